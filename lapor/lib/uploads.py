"""Checking and cleaning files that citizens attach to a report.

Each file's type is read from its content and must agree with its name. Images are checked for
their pixel count before any pixel is decoded (a small PNG can claim 100,000 x 100,000 pixels and
take gigabytes to open), then decoded, turned upright and re-encoded, which drops EXIF and with it
the GPS position of the phone that took the picture. PDFs are parsed and written anew without
their document information and XMP metadata (author, software).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

# Pillow format name -> (content type, file extension of the cleaned file)
_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Extensions a citizen's file may carry, by the type its content must have.
_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
ALLOWED_EXTENSIONS = tuple(_EXTENSIONS)


class UploadRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def clean_upload(
    name: str, stream: IO[bytes], size: int, *, max_bytes: int, max_pixels: int
) -> CleanFile:
    """Check one uploaded file and return what may be stored of it.

    :raises UploadRejected: with a message for the citizen when the file may not be kept.
    """
    extension = _extension(name)
    expected = _EXTENSIONS.get(extension)
    if expected is None:
        raise UploadRejected(
            _("“%(name)s”: only JPG, PNG, WebP images and PDF documents can be attached.")
            % {"name": name}
        )
    if size > max_bytes:
        raise UploadRejected(
            _("“%(name)s” is larger than %(limit)d MB.")
            % {"name": name, "limit": max_bytes // (1024 * 1024)}
        )
    if size == 0:
        raise UploadRejected(_("“%(name)s” is empty.") % {"name": name})
    stream.seek(0)
    if expected == "application/pdf":
        return _clean_pdf(name, stream)
    return _clean_image(name, stream, expected, max_pixels)


def _clean_pdf(name: str, stream: IO[bytes]) -> CleanFile:
    not_a_pdf = UploadRejected(_("“%(name)s” is not a valid PDF document.") % {"name": name})
    content = stream.read()
    if not content.startswith(b"%PDF-"):
        raise not_a_pdf
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise UploadRejected(
                _("“%(name)s” is protected with a password; please attach it without one.")
                % {"name": name}
            )
        # Rewritten without its document information and XMP metadata, which often carry
        # the author's name and the software of the reporter's own computer.
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer.xmp_metadata = None
        out = io.BytesIO()
        writer.write(out)
    except UploadRejected:
        raise
    except (
        # A hostile or broken PDF can fail deep inside the parser in many ways; each means
        # the same to the citizen: not a PDF we can keep.
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
    ) as exc:
        raise not_a_pdf from exc
    return CleanFile(content=out.getvalue(), content_type="application/pdf", extension="pdf")


def _clean_image(name: str, stream: IO[bytes], expected: str, max_pixels: int) -> CleanFile:
    not_an_image = UploadRejected(
        _("“%(name)s” is not a valid image of the type its name says.") % {"name": name}
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on decompression bombs; we check the size ourselves.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(stream, formats=tuple(_IMAGE_FORMATS))
            fmt = image.format or ""
            if _IMAGE_FORMATS.get(fmt, ("",))[0] != expected:
                raise not_an_image
            width, height = image.size
            if width * height > max_pixels:
                raise UploadRejected(
                    _(
                        "“%(name)s” is too large in pixels (%(width)d × %(height)d); "
                        "please send a smaller picture."
                    )
                    % {"name": name, "width": width, "height": height}
                )
            image.load()
            image = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected(
            _("“%(name)s” is too large in pixels; please send a smaller picture.") % {"name": name}
        ) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise not_an_image from exc

    content_type, extension = _IMAGE_FORMATS[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        image.save(out, format="PNG", optimize=False)
    else:
        image.save(out, format="WEBP", quality=85)
    return CleanFile(
        content=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
    )
