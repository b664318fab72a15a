"""Checking and cleaning files that citizens attach to a report.

Each file's type is read from its content and must agree with its name; its size is checked
here, before anything is decoded. What may be kept of it is made in a child process with its own
CPU and memory limits (``lapor.lib.sanitize``): images keep only their pixels (no EXIF, GPS,
maker notes, XMP, ICC profile, comments or text chunks; HEIC photos become JPEG), and PDFs are
rebuilt from pictures of their pages, so that no metadata, annotation, form, attachment or script
of the original survives. One child cleans all the files of a submission, so the limits bound
the work of the whole request: at most ``max_total_pixels`` decoded, ``cpu_seconds`` of CPU and
``memory_mb`` of memory.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lapor.lib import sanitize

# Extensions a citizen's file may carry -> the kind its content must be.
_KINDS = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "webp": "webp",
    "heic": "heif",
    "heif": "heif",
    "pdf": "pdf",
}
ALLOWED_EXTENSIONS = tuple(_KINDS)
# The format a file is stored in -> (content type, extension)
_STORED = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
}
_SCRIPT = str(Path(sanitize.__file__).resolve())


class UploadRejected(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Limits:
    """What checking the files of one submission may cost."""

    max_bytes: int  # per file, as sent and as stored
    max_pixels: int  # per image
    max_total_pixels: int  # every image and PDF page of the submission together
    max_pages: int  # per PDF
    max_page_pixels: int = 4_000_000  # a PDF page's picture (A4 at 150 dpi is 2.2 million)
    cpu_seconds: int = 10
    memory_mb: int = 1024


def upload_limits() -> Limits:
    """The limits of the settings (``LAPOR_MAX_ATTACHMENT_MB``, ``LAPOR_MAX_IMAGE_PIXELS``…)."""
    return Limits(
        max_bytes=settings.LAPOR_MAX_ATTACHMENT_BYTES,
        max_pixels=settings.LAPOR_MAX_IMAGE_PIXELS,
        max_total_pixels=settings.LAPOR_MAX_UPLOAD_PIXELS,
        max_pages=settings.LAPOR_MAX_PDF_PAGES,
        cpu_seconds=settings.LAPOR_UPLOAD_CPU_SECONDS,
        memory_mb=settings.LAPOR_UPLOAD_MEMORY_MB,
    )


@dataclass(frozen=True)
class Upload:
    name: str
    stream: IO[bytes]
    size: int


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _refusal(name: str, code: str, params: dict[str, int], limits: Limits) -> UploadRejected:
    """The citizen's message for a file the child refused (``sanitize.Refused.code``)."""
    values = {"name": name, **params}
    if code == "pixels":
        return UploadRejected(
            _(
                "“%(name)s” is too large in pixels (%(width)d × %(height)d); "
                "please send a smaller picture."
            )
            % values
        )
    if code == "total_pixels":
        return UploadRejected(
            _(
                "“%(name)s”: the files together are too large in pixels (at most %(limit)d "
                "megapixels for one report); please send fewer or smaller pictures."
            )
            % {"name": name, "limit": limits.max_total_pixels // 1_000_000}
        )
    if code == "pages":
        return UploadRejected(
            _("“%(name)s” has %(pages)d pages; at most %(limit)d pages can be attached.") % values
        )
    if code == "encrypted":
        return UploadRejected(
            _("“%(name)s” is protected with a password; please attach it without one.") % values
        )
    if code == "not_pdf":
        return UploadRejected(_("“%(name)s” is not a valid PDF document.") % values)
    if code == "not_image":
        return UploadRejected(
            _(
                "“%(name)s” is not a valid image, or its content does not match the type in its "
                "name."
            )
            % values
        )
    if code == "not_checked":
        return UploadRejected(
            _("“%(name)s” was not checked, because a file before it took too much work.") % values
        )
    if code == "stored_size":
        return UploadRejected(
            _("“%(name)s” would be larger than %(limit)d MB once cleaned; please split it.")
            % {"name": name, "limit": limits.max_bytes // (1024 * 1024)}
        )
    return UploadRejected(
        _("“%(name)s” takes too much work to check; please send a smaller or simpler file.")
        % values
    )


def _precheck(upload: Upload, limits: Limits) -> str:
    """The file's kind from its name, once its size is allowed."""
    kind = _KINDS.get(_extension(upload.name))
    if kind is None:
        raise UploadRejected(
            _("“%(name)s”: only JPG, PNG, WebP and HEIC images and PDF documents can be attached.")
            % {"name": upload.name}
        )
    if upload.size > limits.max_bytes:
        raise UploadRejected(
            _("“%(name)s” is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": limits.max_bytes // (1024 * 1024)}
        )
    if upload.size == 0:
        raise UploadRejected(_("“%(name)s” is empty.") % {"name": upload.name})
    return kind


def _frame(header: dict[str, object], body: bytes = b"") -> bytes:
    encoded = json.dumps(dict(header, size=len(body))).encode()
    return struct.pack(">I", len(encoded)) + encoded + body


def _run_child(kinds: list[str], contents: list[bytes], limits: Limits) -> bytes:
    """What the child wrote before it ended (by itself, or stopped for time or memory)."""
    request = _frame(
        {
            "max_pixels": limits.max_pixels,
            "max_total_pixels": limits.max_total_pixels,
            "max_pages": limits.max_pages,
            "max_page_pixels": limits.max_page_pixels,
        }
    ) + b"".join(_frame({"kind": kind}, body) for kind, body in zip(kinds, contents, strict=True))
    command = [sys.executable, "-I", _SCRIPT, str(limits.cpu_seconds), str(limits.memory_mb)]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    try:
        finished = subprocess.run(  # noqa: S603  (our own script, no shell, no user input in argv)
            command,
            input=request,
            capture_output=True,
            env=environment,
            timeout=limits.cpu_seconds * 3 + 10,  # a child that sleeps rather than computes
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return bytes(exc.stdout or b"")
    return finished.stdout


def clean_uploads(uploads: Sequence[Upload], limits: Limits) -> list[CleanFile | UploadRejected]:
    """Check the files of one submission; for each, what may be stored of it or why not.

    Files refused on their name or size are not sent to the child. When the child is stopped
    (CPU time or memory spent, or a crash), the file it was working on is refused as too costly
    and the files after it as not checked.
    """
    results: list[CleanFile | UploadRejected | None] = []
    kinds: list[str] = []
    contents: list[bytes] = []
    waiting: list[int] = []
    for upload in uploads:
        try:
            kind = _precheck(upload, limits)
        except UploadRejected as exc:
            results.append(exc)
            continue
        upload.stream.seek(0)
        kinds.append(kind)
        contents.append(upload.stream.read(limits.max_bytes + 1))
        waiting.append(len(results))
        results.append(None)
    if not waiting:
        return [r for r in results if r is not None]
    output = _run_child(kinds, contents, limits)
    stream = io.BytesIO(output)
    stopped = False
    for index in waiting:
        name = uploads[index].name
        frame = None if stopped else _read_frame(stream)
        if frame is None:
            # The child stopped at this file (CPU time or memory spent, or a crash): it cost
            # too much; the files after it were not checked.
            results[index] = _refusal(name, "not_checked" if stopped else "too_costly", {}, limits)
            stopped = True
            continue
        header, body = frame
        if not header.get("ok"):
            params = header.get("params")
            results[index] = _refusal(
                name,
                str(header.get("code")),
                {k: int(v) for k, v in params.items()} if isinstance(params, dict) else {},
                limits,
            )
            continue
        stored = _STORED.get(str(header.get("format")))
        if stored is None:
            results[index] = _refusal(name, "too_costly", {}, limits)
        elif len(body) > limits.max_bytes:
            results[index] = _refusal(name, "stored_size", {}, limits)
        else:
            width, height = header.get("width"), header.get("height")
            results[index] = CleanFile(
                content=body,
                content_type=stored[0],
                extension=stored[1],
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
            )
    return [r for r in results if r is not None]


def _read_frame(stream: IO[bytes]) -> tuple[dict[str, object], bytes] | None:
    try:
        return sanitize.read_frame(stream)
    except (ValueError, TypeError):  # not what our child writes: treat as its end
        return None


def clean_upload(name: str, stream: IO[bytes], size: int, limits: Limits) -> CleanFile:
    """One file alone (see ``clean_uploads``).

    :raises UploadRejected: with a message for the citizen when the file may not be kept.
    """
    (result,) = clean_uploads([Upload(name, stream, size)], limits)
    if isinstance(result, UploadRejected):
        raise result
    return result
