"""Upload benchmark: what rebuilding a submission's files costs (``lapor.lib.uploads``).

Each case is cleaned ``--repeats`` times through ``clean_uploads`` with the default limits, as a
submission does: one child process per submission. Prints the median wall time and the median
CPU of the child, and the stored size. Needs no database. See README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from PIL import Image  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from lapor.lib.uploads import CleanFile, Upload, clean_uploads, upload_limits  # noqa: E402


def photo(width: int, height: int) -> bytes:
    """A phone-sized JPEG with structure (gradient, noise) and EXIF, as cameras write them."""
    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((width, height)),
            Image.effect_noise((width, height), 40),
            Image.radial_gradient("L").resize((width, height)),
        ),
    )
    exif = Image.Exif()
    exif[0x010F] = "samsung"
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def letter(pages: int) -> bytes:
    """An A4 letter of ``pages`` pages of text, as a word processor exports it."""
    out = io.BytesIO()
    document = canvas.Canvas(out, pagesize=A4, invariant=True)
    for number in range(pages):
        document.setFont("Helvetica", 11)
        for line in range(50):
            document.drawString(
                60, 780 - line * 14, f"Halaman {number + 1}, baris {line + 1}: " * 2
            )
        document.showPage()
    document.save()
    return out.getvalue()


def measure(files: list[tuple[str, bytes]], repeats: int) -> tuple[float, float, int]:
    walls, cpus, stored = [], [], 0
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        results = clean_uploads(
            [Upload(name, io.BytesIO(content), len(content)) for name, content in files],
            upload_limits(),
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if not all(isinstance(r, CleanFile) for r in results):
            raise SystemExit(f"refused: {[getattr(r, 'message', '') for r in results]}")
        stored = sum(len(r.content) for r in results if isinstance(r, CleanFile))
    return statistics.median(walls), statistics.median(cpus), stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    tiny = io.BytesIO()
    Image.new("RGB", (32, 32)).save(tiny, format="PNG")
    cases: dict[str, Callable[[], list[tuple[str, bytes]]]] = {
        "one tiny PNG (the child's own cost)": lambda: [("a.png", tiny.getvalue())],
        "one 12 MP phone photo": lambda: [("foto.jpg", photo(4000, 3000))],
        "five 12 MP phone photos": lambda: [(f"foto{i}.jpg", photo(4000, 3000)) for i in range(5)],
        "a 5-page letter (PDF)": lambda: [("surat.pdf", letter(5))],
        "a 20-page letter (PDF)": lambda: [("surat.pdf", letter(20))],
    }
    print(f"{'case':40} {'sent':>9} {'stored':>9} {'wall p50':>9} {'child CPU p50':>14}")
    for label, build in cases.items():
        files = build()
        wall, cpu, stored = measure(files, args.repeats)
        sent = sum(len(content) for _name, content in files)
        print(f"{label:40} {sent / 1e6:8.2f}M {stored / 1e6:8.2f}M {wall:8.2f}s {cpu:13.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
