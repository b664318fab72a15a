from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from complaints import notifications, services
from complaints.emails import send_activation_email


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


@shared_task
def complete_unanswered_reports_task() -> int:
    """Complete the answered reports whose citizen reply window has passed (beat)."""
    return services.complete_unanswered_reports(now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_activation_email_task(*, user_id: int) -> None:
    """E-mail a new citizen account the link that confirms its address."""
    from django.contrib.auth.models import User

    user = User.objects.filter(pk=user_id, is_active=False).first()
    if user is not None:
        send_activation_email(user=user)
