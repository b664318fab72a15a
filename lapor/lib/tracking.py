"""Tracking numbers and access keys for reports.

A tracking number is what a citizen reads aloud over the phone: eight characters from an
alphabet without look-alikes (no 0/O, 1/I/L, U), grouped 4-4, random rather than sequential so
that nobody can guess the next report. 30^8 is about 6.6e11 numbers. The access key behind the
private link is a 256-bit secret; only its SHA-256 is stored, and a secret that long needs no
slow hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUP = 4
_LENGTH = 8
# Letters people write for the ones we left out.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
TRACKING_NUMBER_RE = re.compile(rf"^[{ALPHABET}]{{{_GROUP}}}-[{ALPHABET}]{{{_GROUP}}}$")


def new_tracking_number() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))
    return f"{raw[:_GROUP]}-{raw[_GROUP:]}"


def normalize_tracking_number(text: str) -> str | None:
    """The canonical ``XXXX-XXXX`` form of what a citizen typed, or None if it cannot be one."""
    compact = re.sub(r"[\s\-_.]", "", text.upper()).translate(_CONFUSABLES)
    if len(compact) != _LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return f"{compact[:_GROUP]}-{compact[_GROUP:]}"


def new_access_key() -> str:
    return secrets.token_urlsafe(32)


def hash_access_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def access_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_access_key(key), stored_hash)
