from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from lapor.lib.uploads import Limits, Upload, UploadRejected, clean_upload, clean_uploads
from tests.files import (
    CORPUS,
    VISIBLE_TEXT,
    exif_gps,
    jpeg_with_gps,
    pdf,
    pdf_bomb,
    png,
    png_bomb,
    sentinels_in,
)

MB = 1024 * 1024


def _limits(**changes: int) -> Limits:
    values = {
        "max_bytes": 10 * MB,
        "max_pixels": 40_000_000,
        "max_total_pixels": 100_000_000,
        "max_pages": 20,
    }
    values.update(changes)
    return Limits(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _clean(name: str, content: bytes, **limits: int):
    return clean_upload(name, io.BytesIO(content), len(content), _limits(**limits))


class TestCleanUpload:
    def test_jpeg_is_reencoded_without_gps(self) -> None:
        original = jpeg_with_gps()
        assert exif_gps(original)  # the fixture really carries a position
        cleaned = _clean("foto.JPG", original)
        assert cleaned.content_type == "image/jpeg"
        assert cleaned.extension == "jpg"
        assert exif_gps(cleaned.content) == {}
        with Image.open(io.BytesIO(cleaned.content)) as image:
            assert len(image.getexif()) == 0
            assert image.size == (64, 48)

    def test_exif_orientation_is_applied_before_it_is_dropped(self) -> None:
        image = Image.new("RGB", (60, 20))
        exif = Image.Exif()
        exif[0x0112] = 6  # rotated 90° clockwise
        out = io.BytesIO()
        image.save(out, format="JPEG", exif=exif)
        cleaned = _clean("portrait.jpg", out.getvalue())
        assert (cleaned.width, cleaned.height) == (20, 60)

    def test_png_and_pdf_are_accepted(self) -> None:
        assert _clean("a.png", png()).content_type == "image/png"
        assert _clean("surat.pdf", pdf()).content_type == "application/pdf"

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("foto.jpg", png()),  # a PNG named .jpg
            ("foto.png", b"GIF89a not really"),
            ("surat.pdf", png()),
            ("foto.jpg", pdf()),
            ("foto.jpg", b"\xff\xd8\xff\xe0 truncated jpeg"),
        ],
    )
    def test_content_must_match_the_name(self, name: str, content: bytes) -> None:
        with pytest.raises(UploadRejected):
            _clean(name, content)

    @pytest.mark.parametrize("name", ["script.html", "virus.exe", "noextension", "image.svg"])
    def test_other_types_are_refused(self, name: str) -> None:
        with pytest.raises(UploadRejected, match="only JPG, PNG, WebP and HEIC images and PDF"):
            _clean(name, png())

    def test_pdf_loses_its_author(self) -> None:
        original = pdf(author="Siti Aminah")
        assert b"Siti Aminah" in original
        cleaned = _clean("surat.pdf", original)
        assert b"Siti Aminah" not in cleaned.content
        reader = PdfReader(io.BytesIO(cleaned.content))
        assert len(reader.pages) == 1
        assert set(reader.metadata or {}) <= {"/CreationDate", "/ModDate"}

    @pytest.mark.parametrize(
        "content",
        [
            b"%PDF-1.4\n garbage that is no PDF at all",
            b"%PDF-1.7\n" + b"[" * 5000,
        ],
    )
    def test_broken_pdf_is_refused(self, content: bytes) -> None:
        with pytest.raises(UploadRejected, match="not a valid PDF"):
            _clean("surat.pdf", content)

    def test_encrypted_pdf_is_refused(self) -> None:
        with pytest.raises(UploadRejected, match="password"):
            _clean("surat.pdf", pdf(password="rahasia"))

    def test_too_many_bytes(self) -> None:
        with pytest.raises(UploadRejected, match="larger than 1 MB"):
            clean_upload("a.png", io.BytesIO(png()), 2 * MB, _limits(max_bytes=MB))

    def test_empty_file(self) -> None:
        with pytest.raises(UploadRejected, match="empty"):
            _clean("a.png", b"")

    def test_pixel_bomb_is_refused_without_decoding(self) -> None:
        with pytest.raises(UploadRejected, match="too large in pixels"):
            _clean("bomb.png", png_bomb())

    def test_pixel_limit_is_ours_not_pillows(self) -> None:
        with pytest.raises(UploadRejected, match="too large in pixels"):
            _clean("big.png", png((200, 200)), max_pixels=10_000)


class TestCorpus:
    """Files shaped like the ones citizens send, each with the reporter's identity inside
    (EXIF, maker notes, XMP, ICC, comments, text chunks, PDF information, annotations, forms,
    attachments, scripts): nothing of it survives, in any encoding."""

    @pytest.mark.parametrize("kind", list(CORPUS))
    def test_no_sentinel_survives(self, kind: str) -> None:
        name, build = CORPUS[kind]
        original = build()
        assert len(sentinels_in(original)) == 5, "the corpus file must carry every sentinel"
        cleaned = _clean(name, original)
        assert sentinels_in(cleaned.content) == set()

    @pytest.mark.parametrize("kind", [k for k in CORPUS if CORPUS[k][0].endswith(".pdf")])
    def test_pdf_is_pictures_of_its_pages_and_nothing_else(self, kind: str) -> None:
        name, build = CORPUS[kind]
        original = PdfReader(io.BytesIO(build()))
        cleaned = PdfReader(io.BytesIO(_clean(name, build()).content))
        root = cleaned.trailer["/Root"]
        assert set(root) == {"/Type", "/Pages"}
        assert len(cleaned.pages) == len(original.pages)
        for before, after in zip(original.pages, cleaned.pages, strict=True):
            assert set(after) <= {"/Type", "/Parent", "/Resources", "/MediaBox", "/Contents"}
            # the same paper size, to within a pixel of the picture
            for a, b in zip(after.mediabox, before.mediabox, strict=True):
                assert abs(float(a) - float(b)) <= 1
            (image,) = after["/Resources"]["/XObject"].values()
            assert image.get_object()["/Subtype"] == "/Image"
        assert VISIBLE_TEXT not in (cleaned.pages[0].extract_text() or "")

    def test_the_page_is_still_readable(self) -> None:
        """The letter's text is drawn in the picture: dark pixels where the line was."""
        cleaned = PdfReader(io.BytesIO(_clean("surat.pdf", CORPUS["annotated PDF"][1]()).content))
        (picture,) = cleaned.pages[0].images
        image = picture.image
        assert image is not None
        top_line = image.convert("L").crop((0, 0, image.width, image.height // 5))
        assert top_line.getextrema()[0] < 100  # black text on white paper
        # the sticky note and the highlight are not drawn: the note's corner is white
        scale = image.width / 595.2756
        note = image.convert("L").crop(
            (int(400 * scale), int((842 - 720) * scale), int(420 * scale), int((842 - 700) * scale))
        )
        assert note.getextrema()[0] > 240

    def test_heic_is_stored_as_jpeg(self) -> None:
        name, build = CORPUS["HEIC from a phone"]
        cleaned = _clean(name, build())
        assert (cleaned.content_type, cleaned.extension) == ("image/jpeg", "jpg")
        with Image.open(io.BytesIO(cleaned.content)) as image:
            assert image.format == "JPEG" and image.size == (160, 120)
            assert not image.info.get("icc_profile") and not image.getexif()

    def test_images_keep_no_profile_comment_or_chunk(self) -> None:
        for kind in ("phone JPEG", "PNG with text chunks", "WebP with metadata"):
            name, build = CORPUS[kind]
            with Image.open(io.BytesIO(_clean(name, build()).content)) as image:
                image.load()
                assert not set(image.info) & {"icc_profile", "exif", "xmp", "comment", "Author"}
                assert not getattr(image, "text", {})


class TestBounds:
    """The work one submission may cause is bounded; past a bound the file is refused with a
    message, and the web worker is never the process that pays."""

    def test_too_many_pages(self) -> None:
        from pypdf import PdfWriter

        writer = PdfWriter()
        for _ in range(4):
            writer.add_blank_page(width=200, height=200)
        out = io.BytesIO()
        writer.write(out)
        with pytest.raises(UploadRejected, match="has 4 pages; at most 3 pages"):
            _clean("tebal.pdf", out.getvalue(), max_pages=3)

    def test_pixels_of_all_files_together(self) -> None:
        files = [Upload(f"{i}.png", io.BytesIO(png((200, 200))), 1000) for i in range(3)]
        results = clean_uploads(files, _limits(max_total_pixels=100_000))
        assert [isinstance(r, UploadRejected) for r in results] == [False, False, True]
        assert "files together are too large in pixels" in str(results[2].message)  # type: ignore[union-attr]

    def test_a_pdf_that_inflates_beyond_memory_is_refused(self) -> None:
        bomb = pdf_bomb(600)
        assert len(bomb) < MB
        with pytest.raises(UploadRejected, match="too much work"):
            _clean("bom.pdf", bomb, memory_mb=400)

    def test_cpu_time_is_bounded_and_later_files_are_not_checked(self) -> None:
        big = png((6000, 6000))  # decoded and encoded anew: a second or more of CPU each
        files = [Upload(f"besar{i}.png", io.BytesIO(big), len(big)) for i in range(8)]
        files.append(Upload("kecil.png", io.BytesIO(png()), 100))
        # No pixel budget in the way: only the CPU limit can stop these (8 x 36 MP of work).
        results = clean_uploads(files, _limits(cpu_seconds=1, max_total_pixels=10**9))
        refused = [str(r.message) for r in results if isinstance(r, UploadRejected)]
        # the child was stopped within its second, at the file it was working on; every file
        # after that one was not checked
        assert len(refused) >= 7
        assert "takes too much work" in refused[0]
        assert all("was not checked" in message for message in refused[1:])
        assert isinstance(results[-1], UploadRejected)


def test_the_child_runs_without_django_or_the_project() -> None:
    """The rebuilding script is run isolated (``python -I``): it must need nothing but the
    libraries that decode files."""
    import subprocess
    import sys

    from lapor.lib import sanitize

    probe = (
        "import runpy, sys; sys.argv = ['sanitize.py']; "
        f"runpy.run_path({sanitize.__file__!r}, run_name='probe'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'lapor')))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
