from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]

# Words that docs/glossary.md replaced, so that a status, an inbox count and a recap column say
# the same thing: an answer is "jawaban" (not "tanggapan"), a deadline "batas waktu" (not
# "tenggat"), a dispute "sanggahan" (not "keberatan"), and KBBI spelling ("email", "direspons").
RETIRED_WORDS = re.compile(
    r"\b(\w*[tn]anggap\w*|tenggat\w*|keberatan|e-mail|surel|direspon|dieskalasi)\b", re.IGNORECASE
)


def indonesian() -> polib.POFile:
    return polib.pofile(str(ROOT / "locale/id/LC_MESSAGES/django.po"))


class TestIndonesianCatalog:
    def test_every_message_is_translated(self) -> None:
        catalog = indonesian()
        missing = [e.msgid for e in catalog.untranslated_entries() + catalog.fuzzy_entries()]
        assert missing == []

    def test_the_glossary_words_are_used(self) -> None:
        texts = {
            entry.msgid: " ".join([entry.msgstr, *entry.msgstr_plural.values()])
            for entry in indonesian().translated_entries()
        }
        retired = {msgid: text for msgid, text in texts.items() if RETIRED_WORDS.search(text)}
        assert retired == {}


class TestCompileMessages:
    def test_english_is_reported_as_the_source_not_as_untranslated(self, tmp_path: Path) -> None:
        # A copy of the catalogs, so that the real .mo files are left as they are.
        for language in ("en", "id"):
            target = tmp_path / "locale" / language / "LC_MESSAGES"
            target.mkdir(parents=True)
            po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
            (target / "django.po").write_bytes(po.read_bytes())
        (tmp_path / "scripts").mkdir()
        script = tmp_path / "scripts" / "compile_messages.py"
        script.write_bytes((ROOT / "scripts" / "compile_messages.py").read_bytes())

        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=True
        )

        assert result.stdout.splitlines() == [
            "locale/en: English is the source language (the msgids), nothing to translate",
            "locale/id: compiled, 100% translated",
        ]
        assert (tmp_path / "locale/en/LC_MESSAGES/django.mo").stat().st_size > 0
        assert (tmp_path / "locale/id/LC_MESSAGES/django.mo").stat().st_size > 0
