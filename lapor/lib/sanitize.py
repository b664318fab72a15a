"""Rebuilding the files citizens attach, so that nothing but their content is kept.

This runs in a child process of its own, started by ``lapor.lib.uploads`` once per submission
that has files (``python -I sanitize.py <cpu seconds> <memory MB>``). Before it reads a byte of
the files, the child limits its own CPU time and address space; then it reads the files from
standard input and writes one result per file to standard output as soon as that file is done.
A hostile file that makes a decoder loop, allocate without end or crash costs the child, never
the web worker, and the parent knows from the results so far which file it was.

- **Images keep only their pixels.** An image is decoded (its pixel count checked from the header
  first), turned upright by its EXIF orientation, converted to sRGB when it carries a colour
  profile, copied into a new image that has no metadata, and encoded anew. Nothing of the
  original file is copied: not EXIF (GPS, maker notes, serial numbers), XMP, the ICC profile,
  JPEG comments or PNG text chunks. HEIC/HEIF photos (phones) are stored as JPEG.
- **PDFs are rebuilt from pictures of their pages**, as Dangerzone does: pdfium renders each page
  without annotations or form fields, and a new PDF is made of the pictures alone. None of the
  original objects is copied, so no document information, XMP (document, page or object),
  annotation, form, embedded file, script, link or ``/PieceInfo`` can survive. The text is no
  longer selectable; that is the price of a file that provably carries nothing else.

This module imports neither Django nor the project: the child runs it as a script, isolated
(``-I``) from the environment and the working directory.

Wire format, both ways: frames of a 4-byte big-endian length, a JSON header of that length, and
then as many bytes as the header's ``size`` says.
"""

from __future__ import annotations

import io
import json
import math
import resource
import struct
import sys
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# kind of file -> the Pillow format that must open it
OPENERS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heif": "HEIF"}
# kind of file -> the format it is stored in
STORED_AS = {"jpeg": "jpeg", "png": "png", "webp": "webp", "heif": "jpeg", "pdf": "pdf"}
PDF_DPI = 150
PDF_JPEG_QUALITY = 80
PHOTO_JPEG_QUALITY = 85


class Refused(Exception):
    """A file that cannot be kept: ``code`` says why, ``params`` fill the parent's message."""

    def __init__(self, code: str, **params: int) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Budget:
    """Pixels that the files of one submission may still decode, all together."""

    pixels: int

    def spend(self, pixels: int) -> None:
        if pixels > self.pixels:
            raise Refused("total_pixels")
        self.pixels -= pixels


@dataclass(frozen=True)
class Cleaned:
    content: bytes
    format: str
    width: int | None = None
    height: int | None = None


# --- images -------------------------------------------------------------------------------


def _srgb(image: Image.Image) -> Image.Image:
    """The image in sRGB when it carries an ICC profile that littlecms can read."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a profile that cannot be read is dropped, the pixels kept as they are
    return converted if converted is not None else image


def _pixels_only(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """A new image holding nothing but the pixels of ``image``."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )
    gray = image.mode in ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")
    if keep_alpha and has_alpha:
        mode = "LA" if gray else "RGBA"
    else:
        mode = "L" if gray else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    # frombytes makes an image with an empty ``info``: no comment, profile, EXIF or text
    # can follow the pixels into the encoder.
    return Image.frombytes(mode, image.size, image.tobytes())


def clean_image(data: bytes, kind: str, max_pixels: int, budget: Budget) -> Cleaned:
    if kind == "heif":
        import pillow_heif  # only when a phone photo comes

        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    Image.MAX_IMAGE_PIXELS = None  # the check below is ours, made before any pixel is decoded
    try:
        with Image.open(io.BytesIO(data), formats=(OPENERS[kind],)) as opened:
            width, height = opened.size
            if width * height > max_pixels:
                raise Refused("pixels", width=width, height=height)
            budget.spend(width * height)
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            image = _pixels_only(_srgb(upright), keep_alpha=STORED_AS[kind] != "jpeg")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Refused("not_image") from exc
    except MemoryError as exc:
        raise Refused("too_costly") from exc
    out = io.BytesIO()
    stored = STORED_AS[kind]
    if stored == "jpeg":
        image.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    elif stored == "png":
        image.save(out, format="PNG")
    else:
        image.save(out, format="WEBP", quality=PHOTO_JPEG_QUALITY)
    return Cleaned(out.getvalue(), stored, image.width, image.height)


# --- PDF ----------------------------------------------------------------------------------


def clean_pdf(data: bytes, max_pages: int, max_page_pixels: int, budget: Budget) -> Cleaned:
    import pypdfium2 as pdfium  # only when a PDF comes

    if not data.startswith(b"%PDF-"):
        raise Refused("not_pdf")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise Refused("encrypted") from exc
        raise Refused("not_pdf") from exc
    try:
        pages = len(document)
        if pages == 0:
            raise Refused("not_pdf")
        if pages > max_pages:
            raise Refused("pages", pages=pages, limit=max_pages)
        sizes = [document.get_page_size(i) for i in range(pages)]
        if any(not (1 <= w <= 14_400 and 1 <= h <= 14_400) for w, h in sizes):
            raise Refused("not_pdf")
        # One scale for the whole document (the new PDF has one resolution): PDF_DPI, or less
        # when the largest page would be more than max_page_pixels.
        largest = max(w * h for w, h in sizes)
        scale = min(PDF_DPI / 72, math.sqrt(max_page_pixels / largest))
        pictures: list[Image.Image] = []
        for index in range(pages):
            page = document[index]
            width, height = sizes[index]
            budget.spend(math.ceil(width * scale) * math.ceil(height * scale))
            bitmap = page.render(
                scale=scale,
                draw_annots=False,
                may_draw_forms=False,
                fill_color=(255, 255, 255, 255),
            )
            pictures.append(_pixels_only(bitmap.to_pil(), keep_alpha=False))
            bitmap.close()
            page.close()
    except pdfium.PdfiumError as exc:
        raise Refused("not_pdf") from exc
    except MemoryError as exc:
        raise Refused("too_costly") from exc
    finally:
        document.close()
    out = io.BytesIO()
    first, rest = pictures[0], pictures[1:]
    first.save(
        out,
        format="PDF",
        save_all=True,
        append_images=rest,
        resolution=72 * scale,
        quality=PDF_JPEG_QUALITY,
    )
    return Cleaned(out.getvalue(), "pdf")


# --- the child process ----------------------------------------------------------------------


def read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """One frame, or None at the end of the stream (or of a frame cut short)."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (length,) = struct.unpack(">I", head)
    header = json.loads(stream.read(length))
    size = int(header.get("size", 0))
    body = stream.read(size)
    if len(body) < size:
        return None
    return header, body


def write_frame(stream: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    encoded = json.dumps(dict(header, size=len(body))).encode()
    stream.write(struct.pack(">I", len(encoded)) + encoded + body)
    stream.flush()


def _limit_self(cpu_seconds: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes no file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    _limit_self(int(argv[1]), int(argv[2]))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    first = read_frame(stdin)
    if first is None:
        return 2
    limits = first[0]
    budget = Budget(int(limits["max_total_pixels"]))
    while (frame := read_frame(stdin)) is not None:
        header, body = frame
        kind = header["kind"]
        try:
            if kind == "pdf":
                cleaned = clean_pdf(
                    body, int(limits["max_pages"]), int(limits["max_page_pixels"]), budget
                )
            else:
                cleaned = clean_image(body, kind, int(limits["max_pixels"]), budget)
        except Refused as refused:
            write_frame(stdout, {"ok": False, "code": refused.code, "params": refused.params})
            continue
        write_frame(
            stdout,
            {
                "ok": True,
                "format": cleaned.format,
                "width": cleaned.width,
                "height": cleaned.height,
            },
            cleaned.content,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
