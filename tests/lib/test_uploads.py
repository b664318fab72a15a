from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from lapor.lib.uploads import UploadRejected, clean_upload
from tests.files import exif_gps, jpeg_with_gps, pdf, png, png_bomb

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _clean(name: str, content: bytes, *, max_bytes: int = 10 * MB, max_pixels: int = 40_000_000):
    return clean_upload(
        name, io.BytesIO(content), len(content), max_bytes=max_bytes, max_pixels=max_pixels
    )


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
        with pytest.raises(UploadRejected, match="only JPG, PNG, WebP images and PDF"):
            _clean(name, png())

    def test_pdf_loses_its_author(self) -> None:
        original = pdf(author="Siti Aminah")
        assert b"Siti Aminah" in original
        cleaned = _clean("surat.pdf", original)
        assert b"Siti Aminah" not in cleaned.content
        reader = PdfReader(io.BytesIO(cleaned.content))
        assert len(reader.pages) == 1 and not reader.metadata

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
            clean_upload("a.png", io.BytesIO(png()), 2 * MB, max_bytes=MB, max_pixels=10**6)

    def test_empty_file(self) -> None:
        with pytest.raises(UploadRejected, match="empty"):
            _clean("a.png", b"")

    def test_pixel_bomb_is_refused_without_decoding(self) -> None:
        with pytest.raises(UploadRejected, match="too large in pixels"):
            _clean("bomb.png", png_bomb())

    def test_pixel_limit_is_ours_not_pillows(self) -> None:
        with pytest.raises(UploadRejected, match="too large in pixels"):
            _clean("big.png", png((200, 200)), max_pixels=10_000)
