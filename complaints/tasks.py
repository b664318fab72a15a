"""Background work on reports. Each task loads by id (keyword arguments only) and calls one
service. Every message (routing steps and e-mails) is an outbox row: its task carries only the
row's id, and the outbox (``complaints.outbox``) claims, delivers and marks it."""

from __future__ import annotations

import datetime as dt

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from complaints import deadlines, outbox
from lapor.celery import CLOCK_RETRY

# --- the outbox -------------------------------------------------------------------------------


def _deliver(task: Task, message_id: int) -> str:
    try:
        return outbox.deliver(message_id, now=timezone.now())
    except (OperationalError, InterfaceError) as exc:
        # The database is away before the row could even be claimed: try again soon; past
        # that, the relay publishes the row again.
        raise task.retry(
            exc=exc, countdown=min(30, 2 + 2 * task.request.retries), max_retries=20
        ) from exc


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def route_message_task(self: Task, *, message_id: int) -> str:
    """A routing step (an outbox row of kind ``route_step``), on the routing queue."""
    return _deliver(self, message_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def send_message_task(self: Task, *, message_id: int) -> str:
    """An e-mail (any other outbox row), on the mail queue."""
    return _deliver(self, message_id)


@shared_task
def relay_messages_task() -> int:
    """Publish the outbox rows their request could not, those a broker lost and those a dead
    worker held (beat, every few seconds)."""
    return outbox.relay(now=timezone.now())


@shared_task
def forget_old_secrets_task() -> int:
    """Erase what unsent messages keep sealed after a week, forget old idempotency keys, and
    delete expired sessions (a staff entry's sealed receipt never opened among them) (beat,
    daily)."""
    from importlib import import_module

    from django.conf import settings

    from complaints.idempotency import forget_expired_idempotency_keys

    now = timezone.now()
    erased = outbox.forget_old_secrets(now=now, older_than=dt.timedelta(days=7))
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return erased + forget_expired_idempotency_keys(now=now)


@shared_task
def delete_stale_held_uploads_task() -> int:
    """Delete the files held for report forms that were never sent again (beat)."""
    from complaints.held_uploads import delete_stale_held_uploads

    return delete_stale_held_uploads(now=timezone.now())


# --- the clock (beat; transient database errors: CLOCK_RETRY) ----------------------------------


@shared_task(**CLOCK_RETRY)
def escalate_overdue_task() -> int:
    """Pass every report whose holder missed its deadline one level up (beat)."""
    return deadlines.escalate_overdue(now=timezone.now())


@shared_task(**CLOCK_RETRY)
def complete_unanswered_reports_task() -> int:
    """Complete the answered reports whose citizen reply window has passed (beat)."""
    return deadlines.complete_unanswered_reports(now=timezone.now())


@shared_task(**CLOCK_RETRY)
def queue_overdue_digests_task() -> int:
    """Queue the day's digest of overdue reports for each agency holding some (beat)."""
    return deadlines.queue_overdue_digests(now=timezone.now())
