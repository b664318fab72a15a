"""Files for upload tests, made in memory."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter

GPS_IFD = 0x8825


def files_in(root: Path) -> list[Path]:
    """Every file below ``root``: what a refused submission must not leave behind."""
    return [p for p in root.rglob("*") if p.is_file()]


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF carries a GPS position (as a phone camera writes it)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {
        1: "S",
        2: (0.0, 30.0, 12.5),
        3: "E",
        4: (117.0, 9.0, 1.0),
    }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def pdf(*, author: str = "", password: str = "") -> bytes:
    """A one-page PDF, with an author in its metadata when given, encrypted with a password."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if author:
        writer.add_metadata({"/Author": author, "/Creator": f"{author}'s laptop"})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a bitmap of width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def exif_gps(content: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(content)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))
