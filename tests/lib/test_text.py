"""What no submitted text may hold, and what an XML document can carry."""

from __future__ import annotations

from xml.etree import ElementTree  # writes; defusedxml reads

import pytest
from defusedxml import ElementTree as SafeElementTree

from lapor.lib.text import has_forbidden_characters, xml_safe

NONCHARACTERS = [
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    *(chr(plane * 0x10000 + last) for plane in (1, 2, 14, 15, 16) for last in (0xFFFE, 0xFFFF)),
]
XML_CANNOT = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1f",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
]


class TestHasForbiddenCharacters:
    @pytest.mark.parametrize("character", [*NONCHARACTERS, *XML_CANNOT, "\x7f", "\ufffd"])
    def test_refuses(self, character: str) -> None:
        assert has_forbidden_characters(f"Jalan rusak {character} di depan pasar")

    @pytest.mark.parametrize(
        "text",
        [
            "Jalan rusak\tdi depan pasar,\r\nsudah dua minggu.",
            "Harga naik 10% — “mahal sekali” … ½ kg",
            "Jalan rusak 🚧🛵 di depan pasar",  # beyond the first plane
            "\ufdcf\ufdf0\ufffc\U0001fffd\U0010fffd",  # next to the noncharacters
            "\ue000 privat",  # private use is not a noncharacter
            "\x85\xa0",  # C1 NEL and no-break space: XML carries them
        ],
    )
    def test_allows(self, text: str) -> None:
        assert not has_forbidden_characters(text)


class TestXmlSafe:
    @pytest.mark.parametrize("character", XML_CANNOT)
    def test_replaces_what_xml_cannot_carry(self, character: str) -> None:
        assert xml_safe(f"a{character}b") == "a\ufffdb"

    def test_keeps_everything_else(self) -> None:
        text = "Tab\t, baris\n, CR\r, \x7f\x85 \ufdd0 \U0001fffe 🚧 \ue000 \ufffd"
        assert xml_safe(text) == text

    def test_every_code_point_it_leaves_parses(self) -> None:
        # Every character of the first plane, and the last of every other, written and read
        # back: what xml_safe leaves is always well-formed.
        text = "".join(map(chr, range(0x10000))) + "".join(
            chr(plane * 0x10000 + last) for plane in range(1, 17) for last in (0xFFFE, 0xFFFF)
        )
        element = ElementTree.Element("t")
        element.text = xml_safe(text)
        written = ElementTree.tostring(element, encoding="unicode").encode("utf-8")
        assert SafeElementTree.fromstring(written).text == xml_safe(text).replace("\r", "\n")
