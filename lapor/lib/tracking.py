"""Tracking numbers and access keys for reports.

A tracking number is what a citizen reads aloud over the phone: twelve characters from an
alphabet of 30 without look-alikes (no 0/O, 1/I/L, U), grouped 4-4-4, random rather than
sequential so that nobody can guess the next report. There are 30^12, about 5.3e17, numbers: with
10 million reports a guess hits one with a chance of 1.9e-11, and at the lookup limit of 60 an
hour per address (``LAPOR_LOOKUP_RATE``) one address would need about 100,000 years for one hit
(README, "Tracking numbers"). The access key behind the private link is a 256-bit secret; only
its SHA-256 is stored, and a secret that long needs no slow hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUP = 4
TRACKING_NUMBER_CHARS = _LENGTH = 12
# Letters people write for the ones we left out.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
TRACKING_NUMBER_RE = re.compile(rf"^[{ALPHABET}]{{{_GROUP}}}(-[{ALPHABET}]{{{_GROUP}}}){{2}}$")
TRACKING_NUMBER_LENGTH = _LENGTH + _LENGTH // _GROUP - 1  # with its dashes


def format_tracking_number(compact: str) -> str:
    """``TRACKING_NUMBER_CHARS`` characters of the alphabet, in their groups."""
    return "-".join(compact[i : i + _GROUP] for i in range(0, _LENGTH, _GROUP))


def new_tracking_number() -> str:
    return format_tracking_number("".join(secrets.choice(ALPHABET) for _ in range(_LENGTH)))


def normalize_tracking_number(text: str) -> str | None:
    """The canonical ``XXXX-XXXX-XXXX`` form of what a citizen typed, or None if it cannot be
    one."""
    compact = re.sub(r"[\s\-_.]", "", text.upper()).translate(_CONFUSABLES)
    if len(compact) != _LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return format_tracking_number(compact)


def new_access_key() -> str:
    return secrets.token_urlsafe(32)


def hash_access_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def access_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_access_key(key), stored_hash)
