"""Compile locale/*/LC_MESSAGES/*.po into .mo files with polib, so that no gettext tools are
needed on a fresh machine. Run by `make` before the portal or the tests start.

The msgids are the English text, so the English catalog is empty on purpose: it is compiled like
the others but reported as the source language, not as "0% translated", which would look like a
broken setup to a newcomer. Any other language is reported with its share translated, and with a
warning when it falls short (tests/lib/test_translations.py holds Indonesian to 100 %)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCE_LANGUAGE = "en"


def describe(language: str, catalog: polib.POFile) -> str:
    """The line printed for one compiled catalog."""
    if language == SOURCE_LANGUAGE:
        return (
            f"locale/{language}: English is the source language (the msgids), nothing to translate"
        )
    missing = len(catalog.untranslated_entries()) + len(catalog.fuzzy_entries())
    line = f"locale/{language}: compiled, {catalog.percent_translated()}% translated"
    if missing:
        line += f" (warning: {missing} messages untranslated or fuzzy; they show in English)"
    return line


def main() -> int:
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalog = polib.pofile(str(po_path))
        catalog.save_as_mofile(str(mo_path))
        print(describe(po_path.parent.parent.name, catalog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
