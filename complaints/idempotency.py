"""The ``Idempotency-Key`` header on filing a report (the REST API and Open311), as Stripe's API
has it: a client that retries a submission after a timeout gets the first answer again, and no
second report.

The key's row is written first, in the transaction that files the report. A second request with
the same key waits on the row's unique constraint until the first commits (PostgreSQL), then
fails on it and is answered from the first request's row; when the first is rolled back (a
refused or failed submission), so is its key, and the second files the report itself. A key
is kept ``LAPOR_IDEMPOTENCY_HOURS``; after that it may be used again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from complaints.models import Attachment, Complaint, IdempotencyKey
from lapor.lib.secretbox import open_sealed, seal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII, not beginning or ending with a space (which HTTP may strip on the way).
KEY_PATTERN = rf"[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?"
_KEY = re.compile(KEY_PATTERN)
KEY_CONSTRAINT = "idempotency_key_once_per_scope"


class IdempotencyError(Exception):
    """A request the key forbids to answer; ``status`` is its HTTP status."""

    status: int

    def message(self) -> str:
        raise NotImplementedError


class BadKeyError(IdempotencyError):
    """An ``Idempotency-Key`` that is empty, too long or not printable ASCII."""

    status = 400

    def message(self) -> str:
        return _("Idempotency-Key: give 1 to 255 printable ASCII characters, such as a UUID.")


class KeyReusedError(IdempotencyError):
    """The key was used, within its lifetime, for a request with other content."""

    status = 422

    def message(self) -> str:
        return _(
            "Idempotency-Key: this key was already used for a report with different content. "
            "Send a new key with a new report."
        )


class AnswerLostError(IdempotencyError):
    """The first answer can no longer be given: its access key was sealed with a key since
    rotated out of ``LAPOR_MESSAGE_KEYS``."""

    status = 409

    def message(self) -> str:
        return _(
            "Idempotency-Key: the answer to the first request with this key can no longer be "
            "given again."
        )


@dataclass(frozen=True)
class Attempt:
    """One request that carries a key: where the key counts, the key, and what was asked."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """The report a request filed (or a request before it with the same key) and the secret of
    its answer (the access key; empty where the answer has none, as in Open311)."""

    complaint: Complaint
    secret: str
    replayed: bool


def read_key(value: str | None) -> str | None:
    """The header's value; None when the request sent none.

    :raises BadKeyError: an empty, too long or non-printable key.
    """
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise BadKeyError(value)
    return value


def api_scope(user: AbstractBaseUser | None) -> str:
    """The REST API's scope: a signed-in user's own, or the one every anonymous client shares
    (keys are random values the clients make up, so they do not meet by chance)."""
    if user is not None:
        return f"api:user:{user.pk}"
    return "api:anonymous"


def open311_scope(api_key_id: int) -> str:
    """Open311's scope: one per api_key."""
    return f"open311:key:{api_key_id}"


def fingerprint(fields: object, files: MultiValueDict[str, UploadedFile] | None = None) -> str:
    """SHA-256 of the parsed request: the fields sorted by name (each with its values in order)
    and each file by its field name, name, size and SHA-256. Not of the raw body, which differs
    between retries of the same multipart request (its boundary)."""
    canonical = {"fields": _canonical(fields), "files": _canonical(files or {})}
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: object) -> Any:
    if isinstance(value, MultiValueDict):  # a QueryDict, or the files
        return {str(name): [_canonical(v) for v in value.getlist(name)] for name in value}
    if isinstance(value, Mapping):
        return {str(name): _canonical(v) for name, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)  # read again when the report is filed
        return {"name": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return value


def previous_answer(attempt: Attempt, *, now: dt.datetime) -> Answer | None:
    """The answer already given to this key, if it lives; None when there is none (an expired
    key's row is deleted here, so the key may be used again).

    :raises KeyReusedError: the key was used for other content.
    :raises AnswerLostError: the first answer's access key can no longer be opened.
    """
    rows = IdempotencyKey.objects.filter(scope=attempt.scope, key=attempt.key)
    rows.expired(now).delete()
    row = rows.select_related("complaint").first()
    if row is None or row.complaint is None:
        return None
    if row.fingerprint != attempt.fingerprint:
        raise KeyReusedError(attempt.key)
    secret = ""
    if row.secret:
        opened = open_sealed(row.secret, settings.LAPOR_MESSAGE_KEYS)
        if opened is None:
            raise AnswerLostError(attempt.key)
        secret = opened
    return Answer(complaint=row.complaint, secret=secret, replayed=True)


class _TakenError(Exception):
    """Another request with the same key committed first."""

    def __init__(self, clash: IntegrityError) -> None:
        super().__init__(clash)
        self.clash = clash


def submit_once(
    attempt: Attempt | None,
    *,
    now: dt.datetime,
    submit: Callable[[], tuple[Complaint, str]],
) -> Answer:
    """File a report with ``submit`` (which returns it and the secret of its answer), and with
    ``attempt`` its key, in one transaction; without a key just ``submit``. When a request with
    the same key committed while this one waited, its answer instead.

    :raises ValidationError: and whatever else ``submit`` raises; no key is stored then.
    :raises KeyReusedError: the request that committed first had other content.
    :raises AnswerLostError: see ``previous_answer``.
    """
    if attempt is None:
        complaint, secret = submit()
        return Answer(complaint=complaint, secret=secret, replayed=False)
    written: list[str] = []
    try:
        with transaction.atomic():
            row = _claim(attempt, now)
            complaint, secret = submit()
            written = list(
                Attachment.objects.filter(complaint=complaint).values_list("file", flat=True)
            )
            row.complaint = complaint
            row.secret = seal(secret, settings.LAPOR_MESSAGE_KEYS) if secret else ""
            row.save(update_fields=["complaint", "secret"])
    except _TakenError as taken:
        answer = previous_answer(attempt, now=now)
        if answer is None:  # the first request's row is gone again (it expired meanwhile)
            raise taken.clash from None
        return answer
    except BaseException:
        # ``submit_complaint`` removes the files it wrote when it fails itself; once it has
        # returned, the commit is ours, and a failure of it must not leave them behind either.
        for name in written:
            default_storage.delete(name)
        raise
    return Answer(complaint=complaint, secret=secret, replayed=False)


def _claim(attempt: Attempt, now: dt.datetime) -> IdempotencyKey:
    """Write the key's row, the first thing in the submission's transaction.

    :raises _TakenError: the key is taken (on PostgreSQL after waiting for the request that
        took it to commit): only for the key's own constraint, never another one.
    """
    try:
        return IdempotencyKey.objects.create(
            scope=attempt.scope, key=attempt.key, fingerprint=attempt.fingerprint, created_at=now
        )
    except IntegrityError as exc:
        if not _is_key_clash(exc):
            raise
        raise _TakenError(exc) from exc


def _is_key_clash(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return bool(diag.constraint_name == KEY_CONSTRAINT)
    table = IdempotencyKey._meta.db_table  # SQLite names its columns
    return f"UNIQUE constraint failed: {table}.scope, {table}.key" in str(exc)


def forget_expired_idempotency_keys(*, now: dt.datetime) -> int:
    """Delete the keys older than ``LAPOR_IDEMPOTENCY_HOURS``; returns how many there were."""
    deleted, _by_model = IdempotencyKey.objects.expired(now).delete()
    return deleted
