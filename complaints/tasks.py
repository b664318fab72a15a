"""Background work on reports. Each task loads by id (keyword arguments only) and calls one
service; the services publish them by name (``lapor.queue``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from complaints import deadlines, dispatch, notifications, outbox, services
from complaints.emails import (
    send_account_exists_email,
    send_activation_email,
    send_password_reset_email,
)

# --- routing ----------------------------------------------------------------------------------


class RoutingTask(Task):
    """Records a report in the dead-letter list once its step has failed for good."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        dispatch.record_routing_failure(
            complaint_id=kwargs["complaint_id"],
            step=kwargs["step"],
            error=f"{type(exc).__name__}: {exc}\n{einfo}",
            attempts=self.request.retries + 1,
            now=timezone.now(),
        )


@shared_task(
    base=RoutingTask,
    acks_late=True,
    reject_on_worker_lost=True,
    # Transient database trouble (a restart, a lost connection) is retried with backoff and
    # jitter; anything else fails at once and lands in the dead-letter list.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def route_complaint_task(*, complaint_id: int, step: int) -> None:
    """One routing step of a report (``dispatch.route_step``)."""
    dispatch.route_step(complaint_id=complaint_id, step=step, now=timezone.now())


@shared_task
def relay_outbox_task() -> int:
    """Publish the routing steps their request could not (beat)."""
    return outbox.relay_outbox(
        now=timezone.now(), older_than=dt.timedelta(seconds=settings.LAPOR_OUTBOX_GRACE_SECONDS)
    )


@shared_task
def sweep_stalled_routing_task() -> int:
    """Publish again the steps of reports that stopped moving while being routed (beat)."""
    return outbox.sweep_stalled_routing(
        now=timezone.now(),
        stalled_for=dt.timedelta(seconds=settings.LAPOR_ROUTING_STALL_SECONDS),
    )


# --- the clock --------------------------------------------------------------------------------


@shared_task
def escalate_overdue_task() -> int:
    """Pass every report whose holder missed its deadline one level up (beat)."""
    return deadlines.escalate_overdue(now=timezone.now())


@shared_task
def complete_unanswered_reports_task() -> int:
    """Complete the answered reports whose citizen reply window has passed (beat)."""
    return deadlines.complete_unanswered_reports(now=timezone.now())


@shared_task
def queue_overdue_digests_task() -> int:
    """Queue the day's digest of overdue reports for each agency holding some (beat)."""
    return deadlines.queue_overdue_digests(now=timezone.now())


# --- e-mail (the mail queue) ------------------------------------------------------------------


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_overdue_digest_task(*, digest_id: int) -> bool:
    """Send one agency's overdue digest, once."""
    return deadlines.send_overdue_digest(digest_id=digest_id, now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def notify_agency_task(*, complaint_id: int, agency_id: int) -> None:
    """E-mail the officers of the agency a report was handed to, once per hand-over."""
    notifications.notify_agency(complaint_id=complaint_id, agency_id=agency_id, now=timezone.now())


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_receipt_email_task(*, complaint_id: int, access_key: str) -> None:
    """E-mail the citizen their tracking number and private link, once.

    The access key travels in this task's message because only its hash is stored; the message
    lives in the broker until a worker takes it. If it is lost, beat sends the tracking number
    alone after ``notifications.RECEIPT_FALLBACK_AFTER``.
    """
    notifications.send_receipt(complaint_id=complaint_id, access_key=access_key, now=timezone.now())


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def send_reporter_notification_task(*, notification_id: int) -> bool:
    """E-mail the reporter about one event, once."""
    return notifications.send_reporter_notification(
        notification_id=notification_id, now=timezone.now()
    )


@shared_task
def relay_unsent_notifications_task() -> int:
    """Publish again the reporter e-mails whose message was lost (beat)."""
    return notifications.relay_unsent_notifications(
        now=timezone.now(), older_than=dt.timedelta(minutes=5)
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_activation_email_task(*, user_id: int) -> None:
    """E-mail a citizen account awaiting confirmation the link that confirms its address."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None and services.awaiting_confirmation(user):
        send_activation_email(user=user)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_account_exists_email_task(*, user_id: int) -> None:
    """Tell an address with an active account that someone asked to register it."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        send_account_exists_email(user=user)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_password_reset_email_task(*, user_id: int) -> None:
    """E-mail an active account the link to choose a new password."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.has_usable_password():
        send_password_reset_email(user=user)
