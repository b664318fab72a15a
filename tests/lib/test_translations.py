from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]


class TestIndonesianCatalog:
    def test_every_message_is_translated(self) -> None:
        catalog = polib.pofile(str(ROOT / "locale/id/LC_MESSAGES/django.po"))
        missing = [e.msgid for e in catalog.untranslated_entries() + catalog.fuzzy_entries()]
        assert missing == []
