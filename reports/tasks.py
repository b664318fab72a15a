"""The recaps' background work. Each task calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports import services
from reports.selectors import shift_month


@shared_task
def build_previous_month_recap_task() -> int:
    """On the 1st (Asia/Jakarta): build last month's recaps, then e-mail each coordinator."""
    now = timezone.now()
    month = shift_month(timezone.localdate(now).replace(day=1), -1)
    services.build_monthly_recap(month=month, now=now)
    return services.queue_recap_emails(month=month, now=now)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_recap_email_task(*, email_id: int) -> bool:
    return services.send_recap_email(email_id=email_id, now=timezone.now())
