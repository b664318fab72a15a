"""Checks on free text typed by citizens, shared by the web form and the API."""

from __future__ import annotations

import re

# C0 controls other than tab, newline and carriage return, DEL, and the replacement character
# that a decoder leaves where the browser sent bytes that were not UTF-8.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def has_forbidden_characters(text: str) -> bool:
    return bool(_FORBIDDEN.search(text))
