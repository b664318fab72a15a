"""The outbox: every message the portal sends, from routing steps to e-mails, delivered once.

A message is a ``Message`` row written in the transaction of the change that causes it
(``enqueue``). After that transaction commits, the row's id is published to the broker; when the
broker cannot take it, the row waits for beat's relay (``relay``), which also publishes again
what a broker lost and what a dead worker held. A worker delivers a row (``deliver``) in three
steps: it claims the row for a lease, does the work (a routing step, or an e-mail with a stable
Message-ID), and marks it sent, erasing the row's sealed secret.

The guarantee: a routing step takes effect exactly once (the step itself checks, under the
report's lock, that it is still due). An e-mail is sent once; only a worker that dies, or a
database that cannot be written, after the e-mail left and before the row was marked sends it
once more, with the same Message-ID, when the lease ends. Nothing is lost while the row exists:
a failed attempt is tried again after a backoff, and after ``LAPOR_OUTBOX_MAX_ATTEMPTS`` the row
goes to the dead-letter list (``Message.objects.dead()``), from which a coordinator can send it
again (``retry_dead``).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, Q

from complaints.models import Message
from lapor import queue as background
from lapor.lib import secretbox

logger = logging.getLogger(__name__)

Kind = Message.Kind

# What a delivery does, by kind: returns True when something went out, False when there was
# nothing to send (no address, the report moved on). Registered by the apps (``senders``).
Handler = Callable[[Message, dt.datetime], bool]
_HANDLERS: dict[str, Handler] = {}

# Errors worth another attempt: the database or a mail server away for a while.
TRANSIENT = (OperationalError, InterfaceError, OSError)

# Retries wait 10 s, 20 s, 40 s… up to this long, with jitter.
BACKOFF_FIRST = 10
BACKOFF_MAX = 600


def _reset_connection() -> None:
    """After a failure, give back a connection that may be broken (a database restarting), as
    a request's end would; not inside a caller's transaction, which still holds it."""
    if not connection.in_atomic_block:
        close_old_connections()


def register(kind: str, handler: Handler) -> None:
    """Name the function that delivers messages of ``kind``."""
    _HANDLERS[kind] = handler


def enqueue(
    kind: str,
    key: str,
    *,
    now: dt.datetime,
    secret: str = "",
    **fields: Any,
) -> Message:
    """Write the message ``key`` in the caller's transaction, unless it exists (a message is
    queued once), and publish it after commit. ``secret`` is sealed (``lapor.lib.secretbox``)
    and kept only until the message is sent; ``fields``: the row's complaint, event, agency,
    user and data."""
    message = _create(kind, key, now=now, secret=secret, **fields)
    return message if message is not None else Message.objects.get(key=key)


def enqueue_new(kind: str, key: str, *, now: dt.datetime, **fields: Any) -> bool:
    """``enqueue``, saying whether the message was queued now (False: it was already)."""
    return _create(kind, key, now=now, **fields) is not None


def _create(
    kind: str, key: str, *, now: dt.datetime, secret: str = "", **fields: Any
) -> Message | None:
    try:
        with transaction.atomic():
            message = Message.objects.create(
                kind=kind,
                key=key,
                created_at=now,
                next_attempt_at=now,
                secret=secretbox.seal(secret, settings.LAPOR_MESSAGE_KEYS) if secret else "",
                **fields,
            )
    except IntegrityError:  # queued already (a repeated run, a concurrent one)
        return None
    message_id = message.pk
    transaction.on_commit(lambda: publish(message_id, kind, now), robust=True)
    return message


def task_for(kind: str) -> str:
    """Routing steps go to the routing workers; e-mails to the mail queue's."""
    return background.ROUTE_MESSAGE if kind == Kind.ROUTE_STEP else background.SEND_MESSAGE


def publish(message_id: int, kind: str, now: dt.datetime) -> bool:
    """Hand one row to the broker (never waiting on it: ``lapor.queue.publish``) and note when;
    False when the broker could not take it, and the row waits for the relay. A row a worker
    took inline in the transaction that queued it is not published."""
    if message_id in _taken_inline.ids:
        _taken_inline.ids.discard(message_id)
        return True
    if not background.publish(task_for(kind), message_id=message_id):
        return False
    # Not over a worker's claim: the worker may already have it.
    Message.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk=message_id
    ).update(published_at=now, claimed_until=None)
    return True


def due_for_relay(now: dt.datetime) -> Q:
    """The pending rows the relay publishes: never published (the broker was down) once their
    request had its chance; published but not taken for ``LAPOR_OUTBOX_REPUBLISH_SECONDS``
    (the broker lost it); claimed by a worker whose lease ran out (it died)."""
    grace = dt.timedelta(seconds=settings.LAPOR_OUTBOX_GRACE_SECONDS)
    republish = dt.timedelta(seconds=settings.LAPOR_OUTBOX_REPUBLISH_SECONDS)
    return (
        Q(claimed_until__isnull=True, published_at__isnull=True, next_attempt_at__lte=now - grace)
        | Q(claimed_until__isnull=True, published_at__lte=now - republish)
        | Q(claimed_until__lt=now)
    )


def relay(*, now: dt.datetime, limit: int = 1000) -> int:
    """Publish the rows that are due (``due_for_relay``), oldest first; stop at the first the
    broker refuses. Returns how many were published."""
    rows = list(
        Message.objects.pending()
        .filter(next_attempt_at__lte=now)
        .filter(due_for_relay(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "kind")[:limit]
    )
    published = 0
    for message_id, kind in rows:
        if not publish(message_id, kind, now):
            break
        published += 1
    return published


# Kinds whose work is itself a database transaction (a routing step): the row is locked, the
# work done and the row marked in that one transaction, so the work takes effect exactly once
# and costs one commit. A worker that dies in it leaves the row as it was; its broker message,
# never acknowledged, comes back after the visibility timeout.
IN_ONE_TRANSACTION = frozenset({Kind.ROUTE_STEP})


def deliver(message_id: int, *, now: dt.datetime) -> str:
    """Deliver one row: claim it, do its work, mark it. Returns what happened: ``"sent"``,
    ``"skipped"`` (nothing to send), ``"busy"`` (sent already, held by another worker, or not
    due), ``"retry"`` (a transient failure; tried again after a backoff) or ``"failed"`` (given
    up: the dead-letter list)."""
    _taken_inline.ids.clear()  # what an earlier delivery, rolled back, may have left
    try:
        with transaction.atomic():
            message = (
                Message.objects.select_for_update()
                .pending()
                .filter(pk=message_id, next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .first()
            )
            if message is None:
                return "busy"
            if message.kind in IN_ONE_TRANSACTION:
                message.attempts += 1
                went_out = _HANDLERS[message.kind](message, now)
                _mark(message, went_out, now).save(update_fields=["attempts", *MARKED_FIELDS])
                return "sent" if went_out else "skipped"
    except TRANSIENT as exc:
        _reset_connection()
        failed = Message.objects.filter(pk=message_id).first()
        if failed is None:
            return "busy"
        failed.attempts += 1
        return _retry_later(failed, exc, now)
    except Exception as exc:
        logger.exception("message %s failed", message_id)
        _reset_connection()
        failed = Message.objects.filter(pk=message_id).first()
        if failed is not None:
            failed.attempts += 1
            _give_up(failed, f"{type(exc).__name__}: {exc}", now)
        return "failed"
    return _claim_and_send(message_id, now=now)


class _TakenInline(threading.local):
    def __init__(self) -> None:
        self.ids: set[int] = set()


_taken_inline = _TakenInline()


def take_inline(key: str, *, now: dt.datetime) -> bool:
    """Inside a delivery's transaction, take the pending row ``key`` (queued by the work just
    done, in the same transaction) and mark it sent: its work is done right here by the caller.
    It is then not published after commit. False when there is no such pending row."""
    message = Message.objects.select_for_update().pending().filter(key=key).first()
    if message is None:
        return False
    message.attempts += 1
    _mark(message, True, now).save(update_fields=["attempts", *MARKED_FIELDS])
    _taken_inline.ids.add(message.pk)
    transaction.on_commit(lambda: _taken_inline.ids.discard(message.pk))
    return True


MARKED_FIELDS = ["sent_at", "outcome", "claimed_until", "secret", "error", "data"]


def _mark(message: Message, went_out: bool, now: dt.datetime) -> Message:
    message.sent_at = now
    message.outcome = Message.Outcome.SENT if went_out else Message.Outcome.SKIPPED
    message.claimed_until = None
    message.secret = ""
    message.error = ""
    return message


def _claim_and_send(message_id: int, *, now: dt.datetime) -> str:
    """An e-mail: claimed for a lease (committed, so that no other worker sends it meanwhile),
    sent, then marked."""
    lease = dt.timedelta(seconds=settings.LAPOR_OUTBOX_LEASE_SECONDS)
    claimed = (
        Message.objects.pending()
        .filter(pk=message_id, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "busy"
    message = Message.objects.get(pk=message_id)
    if message.attempts > settings.LAPOR_OUTBOX_MAX_ATTEMPTS:
        # Claimed this often without an end: its workers died on it each time.
        _give_up(message, "worker lost on every attempt", now)
        return "failed"
    try:
        went_out = _HANDLERS[message.kind](message, now)
    except TRANSIENT as exc:
        _reset_connection()
        return _retry_later(message, exc, now)
    except Exception as exc:
        logger.exception("message %s failed", message.key)
        _reset_connection()
        _give_up(message, f"{type(exc).__name__}: {exc}", now)
        return "failed"
    _mark_sent(message, went_out, now)
    return "sent" if went_out else "skipped"


def _mark_sent(message: Message, went_out: bool, now: dt.datetime) -> None:
    # What went out cannot be taken back: insist a little before leaving the row to the lease
    # (a database restarting), which would send it once more.
    for attempt in range(3):
        try:
            Message.objects.filter(pk=message.pk).update(
                sent_at=now,
                outcome=Message.Outcome.SENT if went_out else Message.Outcome.SKIPPED,
                claimed_until=None,
                secret="",
                error="",
                data=message.data,
            )
            return
        except DatabaseError:
            _reset_connection()
            if attempt == 2:
                raise
            time.sleep(1 + attempt)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before attempt ``attempts + 1``: doubling, capped, jittered."""
    seconds = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311  (jitter)


def _retry_later(message: Message, exc: BaseException, now: dt.datetime) -> str:
    error = f"{type(exc).__name__}: {exc}"
    if message.attempts >= settings.LAPOR_OUTBOX_MAX_ATTEMPTS:
        logger.error(
            "message %s given up after %s attempts: %s", message.key, message.attempts, error
        )
        _give_up(message, error, now)
        return "failed"
    logger.warning("message %s attempt %s failed: %s", message.key, message.attempts, error)
    try:
        Message.objects.filter(pk=message.pk).update(
            attempts=message.attempts,
            claimed_until=None,
            published_at=None,
            next_attempt_at=now + backoff(message.attempts),
            error=error[:10_000],
        )
    except DatabaseError:
        # The database is away: the lease ends and the relay publishes the row again.
        _reset_connection()
    return "retry"


def _give_up(message: Message, error: str, now: dt.datetime) -> None:
    try:
        Message.objects.filter(pk=message.pk).update(
            attempts=message.attempts, claimed_until=None, failed_at=now, error=error[:10_000]
        )
    except DatabaseError:
        _reset_connection()


def retry_dead(message_id: int, *, now: dt.datetime) -> bool:
    """Send a message from the dead-letter list again, with a fresh count of attempts; False
    when it is not in the list."""
    with transaction.atomic():
        moved = (
            Message.objects.dead()
            .filter(pk=message_id)
            .update(failed_at=None, attempts=0, next_attempt_at=now, published_at=None)
        )
        if moved:
            kind = Message.objects.values_list("kind", flat=True).get(pk=message_id)
            transaction.on_commit(lambda: publish(message_id, kind, now), robust=True)
    return bool(moved)


def sealed_secret(message: Message) -> str | None:
    """The secret a row keeps for its delivery, or None (none, erased, or its key is gone)."""
    return secretbox.open_sealed(message.secret, settings.LAPOR_MESSAGE_KEYS)


def forget_old_secrets(*, now: dt.datetime, older_than: dt.timedelta) -> int:
    """Erase the secrets of rows that could not be sent for ``older_than`` (the dead-letter
    list, a mail server away for days): a private link is not kept indefinitely."""
    return (
        Message.objects.filter(created_at__lt=now - older_than).exclude(secret="").update(secret="")
    )


def message_id_header(message: Message) -> str:
    """The Message-ID of the e-mail of ``message``: the same each time it is sent, so that a
    copy sent again after a crash is known for what it is."""
    host = urlsplit(settings.LAPOR_BASE_URL).hostname or socket.getfqdn()
    return f"<lapor.{message.pk}.{message.kind}@{host}>"
