"""Short secrets kept in the database only until they are used (a receipt's private link, the
first answer to an idempotent request), encrypted with Fernet (AES-128-CBC and HMAC-SHA256).

The keys come from the environment: ``LAPOR_MESSAGE_KEYS`` (Fernet keys, comma-separated, the
first one encrypts; the others still decrypt, for rotation), or else a key derived from
``SECRET_KEY``. A value that no key opens (a key rotated away) reads as ``None``.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from ``secret_key`` (HKDF-SHA256, bound to this use)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"lapor.secretbox", info=b"message secrets"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw).decode()


@lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one key is needed")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def seal(value: str, keys: tuple[str, ...]) -> str:
    """``value`` encrypted with the first of ``keys``, as URL-safe text."""
    return _box(keys).encrypt(value.encode()).decode()


def open_sealed(token: str, keys: tuple[str, ...]) -> str | None:
    """What ``seal`` hid, or ``None`` when ``token`` is empty, altered or no key opens it."""
    if not token:
        return None
    try:
        return _box(keys).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
