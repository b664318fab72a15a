"""Checks on free text typed by citizens and officers, shared by the web form, the APIs and
Open311; and what an XML 1.0 document can carry, for the writers that produce one."""

from __future__ import annotations

import re

# Unicode's noncharacters, "permanently reserved for internal use" and never to be exchanged:
# U+FDD0 to U+FDEF, and the last two code points of every plane (U+FFFE, U+FFFF, U+1FFFE, ...).
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
# C0 controls other than tab, newline and carriage return (XML 1.0 cannot carry them), DEL,
# surrogates (half of a UTF-16 pair, not a character), the noncharacters, and the replacement
# character that a decoder leaves where the browser sent bytes that were not UTF-8.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffd" + _NONCHARACTERS + "]")
# Everything outside XML 1.0's ``Char`` production: a document holding one is not well-formed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def has_forbidden_characters(text: str) -> bool:
    """Whether ``text`` holds a character no submitted text may: every text a citizen or an
    officer sends is refused with one (the services check it), so stored text can go into
    any format, XML included."""
    return bool(_FORBIDDEN.search(text))


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD: for text stored
    before ``has_forbidden_characters`` refused those, or written by other means."""
    return _NOT_XML.sub("\ufffd", text)
