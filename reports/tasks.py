"""The recaps' background work. Each task calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from lapor.celery import CLOCK_RETRY
from reports import services
from reports.selectors import shift_month


@shared_task(**CLOCK_RETRY)
def build_previous_month_recap_task() -> int:
    """On the 1st (Asia/Jakarta): build last month's recaps, then queue each coordinator's
    e-mail (outbox rows, sent by the mail worker)."""
    now = timezone.now()
    month = shift_month(timezone.localdate(now).replace(day=1), -1)
    services.build_monthly_recap(month=month, now=now)
    return services.queue_recap_emails(month=month, now=now)
