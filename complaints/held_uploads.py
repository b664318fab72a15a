"""Files attached to the report form, held while the form goes back and forth with errors.

A phone's file input forgets what was chosen whenever the page is drawn again, so a citizen
who mistyped the title would have to find their photos again. Instead, every file that passed
its checks (``services.check_attachments``: the checks and the cleaning of ``submit_complaint``)
is held, already cleaned, in the default storage under ``held/``, and the page carries a token
per file. The next submission brings the tokens back and the held files are attached through
``submit_complaint`` with the new ones; their copies are deleted once the report is filed.

Why this shape:

- The copy held is the cleaned file, never the original: no photo's GPS position or PDF's
  author waits on disk for a form to be fixed, and no file is cleaned twice (a JPEG re-encoded
  twice loses quality for nothing).
- A token is signed (``django.core.signing``) and names a random file (128 bits): it cannot be
  forged or guessed. It is bound to the browser that chose the file by a cookie of its own
  (HttpOnly, kept only as an HMAC in the token), so a token copied out of a page is useless
  elsewhere; and it expires after ``LAPOR_HELD_UPLOAD_MINUTES``.
- The storage has no URL (``STORAGES["default"]["OPTIONS"]["base_url"]`` is None and no view
  serves ``held/``): a held file can only be attached, never read back through the web.
- Nothing is left behind: the copies are deleted when the report is filed or a file is
  removed, and beat deletes those older than their lifetime
  (``delete_stale_held_uploads``), whose tokens have expired anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from complaints import services
from lapor.lib.uploads import CleanFile

logger = logging.getLogger(__name__)

HELD_DIR = "held"
# The form's hidden inputs (one per held file) and the browser's cookie.
TOKEN_FIELD = "held"  # noqa: S105  (a form field's name, not a secret)
COOKIE_NAME = "lapor_held"
_SALT = "complaints.held_uploads"
# A held file's stored name: when it was held (seconds since 1970), then 128 random bits.
_KEY = re.compile(r"^(\d{1,11})-([0-9a-f]{32})$")
_OWNER = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# A form carries at most this many tokens (the files a report may have, and as many again for
# pages open in two tabs): beyond, they are not even unsigned.
_MAX_TOKENS_FACTOR = 2


def lifetime() -> dt.timedelta:
    """How long a held file stays usable (``LAPOR_HELD_UPLOAD_MINUTES``)."""
    return dt.timedelta(minutes=settings.LAPOR_HELD_UPLOAD_MINUTES)


@dataclass(frozen=True)
class HeldFile:
    """A file checked and cleaned in an earlier round of the form, and held for the next."""

    token: str
    key: str
    name: str
    clean: CleanFile

    @property
    def size(self) -> int:
        return len(self.clean.content)


@dataclass
class GatheredAttachments:
    """The files of one submission of the form: those held from earlier rounds that are still
    valid, those chosen now that passed their checks, and a message for each file that did not
    (it must be chosen again)."""

    held: list[HeldFile] = field(default_factory=list)
    new: list[tuple[str, CleanFile]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def checked(self) -> list[tuple[str, CleanFile]]:
        """What ``submit_complaint`` stores (``checked_attachments``), in the order chosen."""
        return [(held.name, held.clean) for held in self.held] + self.new

    @property
    def count(self) -> int:
        return len(self.held) + len(self.new)


# --- the browser a token is bound to ------------------------------------------------------------


def owner_of(request: HttpRequest) -> str:
    """The random value of this browser's cookie, or a new one (set by ``remember_owner``)."""
    value = request.COOKIES.get(COOKIE_NAME, "")
    return value if _OWNER.fullmatch(value) else secrets.token_urlsafe(32)


def remember_owner(response: HttpResponse, owner: str, *, path: str) -> None:
    """Set the cookie that binds held files to this browser, for as long as they are held."""
    response.set_cookie(
        COOKIE_NAME,
        owner,
        max_age=int(lifetime().total_seconds()),
        path=path,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def _owner_digest(owner: str) -> str:
    return salted_hmac(_SALT, owner, algorithm="sha256").hexdigest()[:32]


# --- tokens -------------------------------------------------------------------------------------


def _path(key: str) -> str:
    return f"{HELD_DIR}/{key}"


def _token(key: str, name: str, clean: CleanFile, owner: str) -> str:
    payload = {
        "k": key,
        "n": name,
        "c": clean.content_type,
        "e": clean.extension,
        "w": clean.width,
        "h": clean.height,
        "o": _owner_digest(owner),
    }
    return signing.dumps(payload, salt=_SALT)


def _payload(token: str) -> dict[str, Any] | None:
    """The token's content if we signed it (in any case, and intact), else None."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
        return None
    if not _KEY.fullmatch(payload["k"]) or not isinstance(payload.get("n"), str):
        return None
    return payload


def _held_at(key: str) -> dt.datetime:
    match = _KEY.fullmatch(key)
    assert match is not None  # checked by _payload, or by the caller
    return dt.datetime.fromtimestamp(int(match.group(1)), tz=dt.UTC)


def _read_held(token: str, *, owner: str, now: dt.datetime) -> HeldFile | str:
    """The held file of ``token``, or why it cannot be attached (for the citizen)."""
    payload = _payload(token)
    if payload is None:
        return _("A file attached earlier could not be recognised; please choose it again.")
    name = payload["n"]
    if now - _held_at(payload["k"]) > lifetime():
        return _("“%(name)s” was kept for %(minutes)d minutes only; please choose it again.") % {
            "name": name,
            "minutes": settings.LAPOR_HELD_UPLOAD_MINUTES,
        }
    gone = _("“%(name)s” is no longer kept; please choose it again.") % {"name": name}
    if not constant_time_compare(payload.get("o", ""), _owner_digest(owner)):
        return gone
    try:
        with default_storage.open(_path(payload["k"]), "rb") as handle:
            content = handle.read()
    except OSError:  # deleted by the sweep, or unreadable: either way, not attachable
        return gone
    width, height = payload.get("w"), payload.get("h")
    return HeldFile(
        token=token,
        key=payload["k"],
        name=name,
        clean=CleanFile(
            content=content,
            content_type=str(payload.get("c")),
            extension=str(payload.get("e")),
            width=width if isinstance(width, int) else None,
            height=height if isinstance(height, int) else None,
        ),
    )


# --- the form's rounds --------------------------------------------------------------------------


def gather_attachments(
    *,
    files: Sequence[services.UploadedFileLike],
    tokens: Sequence[str],
    owner: str,
    now: dt.datetime,
) -> GatheredAttachments:
    """The files of one submission of the report form: the held files its ``tokens`` name
    (each still valid, this browser's, and in storage) and the ``files`` chosen now, checked and
    cleaned by ``services.check_attachments`` with the held ones counted toward the limit.

    Writes nothing: ``hold_attachments`` keeps what passed when the form goes back with errors.
    """
    gathered = GatheredAttachments()
    seen: set[str] = set()
    unique = list(dict.fromkeys(t for t in tokens if t))
    limit = settings.LAPOR_MAX_ATTACHMENTS * _MAX_TOKENS_FACTOR
    if len(unique) > limit:
        gathered.errors.append(
            _("A file attached earlier could not be recognised; please choose it again.")
        )
        unique = unique[:limit]
    for token in unique:
        result = _read_held(token, owner=owner, now=now)
        if isinstance(result, str):
            gathered.errors.append(result)
        elif result.key not in seen:
            seen.add(result.key)
            gathered.held.append(result)
    if not files:
        return gathered
    gathered.new, refused = services.check_attachments(files, already=len(gathered.held))
    room = settings.LAPOR_MAX_ATTACHMENTS - len(gathered.held)
    if len(files) > room:
        # Too many: the service refused them all for their number, before checking any.
        gathered.errors.extend(refused)
        gathered.errors.append(
            _("None of the files just chosen was attached: choose at most %(room)d.")
            % {"room": max(room, 0)}
        )
        return gathered
    for problem in refused:  # each names its file and says what is wrong with it
        gathered.errors.append(
            _("%(problem)s It was not attached: choose another file, or this one again once fixed.")
            % {"problem": problem}
        )
    return gathered


def hold_attachments(
    gathered: GatheredAttachments, *, owner: str, now: dt.datetime
) -> list[HeldFile]:
    """Hold the files just chosen that passed their checks, for the form's next round; with the
    files held before, every file the page lists as attached (in the order chosen). When one
    cannot be stored (a full disk), those stored before it in this call are deleted again:
    no page will carry their tokens."""
    fresh: list[HeldFile] = []
    try:
        for name, clean in gathered.new:
            key = f"{int(now.timestamp())}-{secrets.token_hex(16)}"
            stored = default_storage.save(_path(key), ContentFile(clean.content))
            if stored != _path(key):  # a storage that renamed it (cannot with random keys)
                default_storage.delete(stored)
                raise RuntimeError(f"held file stored as {stored!r}")
            fresh.append(
                HeldFile(token=_token(key, name, clean, owner), key=key, name=name, clean=clean)
            )
    except BaseException:
        release_held(fresh)
        raise
    gathered.held, gathered.new = [*gathered.held, *fresh], []
    return gathered.held


def release_held(held: Sequence[HeldFile]) -> None:
    """Delete the held copies of files now attached to a report (or removed by the citizen).
    A copy that cannot be deleted now is left to ``delete_stale_held_uploads``."""
    for file in held:
        try:
            default_storage.delete(_path(file.key))
        except OSError:
            logger.warning("held file %s could not be deleted; the sweep will", file.key)


def discard_token(token: str, *, owner: str) -> bool:
    """Delete the held copy ``token`` names, if it is this browser's (the citizen removed the
    file from the form). Whether a copy was deleted."""
    payload = _payload(token)
    if payload is None or not constant_time_compare(payload.get("o", ""), _owner_digest(owner)):
        return False
    try:
        default_storage.delete(_path(payload["k"]))
    except OSError:
        return False
    return True


def delete_stale_held_uploads(*, now: dt.datetime) -> int:
    """Delete the held files older than their lifetime (beat): those of forms never sent again,
    or whose removal could not delete them. Returns how many were deleted."""
    try:
        _, names = default_storage.listdir(HELD_DIR)
    except FileNotFoundError:
        return 0
    cutoff = now - lifetime()
    deleted = 0
    for name in names:
        path = _path(name)
        if _KEY.fullmatch(name):
            held_at = _held_at(name)
        else:  # not one of ours by name: judged by its age on disk
            try:
                held_at = default_storage.get_modified_time(path)
            except FileNotFoundError:
                continue
        if held_at <= cutoff:
            default_storage.delete(path)
            deleted += 1
    return deleted
