"""Routing's background work. Each task loads by id and calls one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from routing import services


class RoutingTask(Task):
    """Records a report in the dead-letter list once its step has failed for good."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        services.record_routing_failure(
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
    services.route_step(complaint_id=complaint_id, step=step, now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def notify_agency_task(*, complaint_id: int, agency_id: int) -> None:
    services.notify_agency(complaint_id=complaint_id, agency_id=agency_id, now=timezone.now())


@shared_task
def relay_outbox_task() -> int:
    return services.relay_outbox(
        now=timezone.now(), older_than=dt.timedelta(seconds=settings.LAPOR_OUTBOX_GRACE_SECONDS)
    )


@shared_task
def sweep_stalled_routing_task() -> int:
    return services.sweep_stalled_routing(
        now=timezone.now(),
        stalled_for=dt.timedelta(seconds=settings.LAPOR_ROUTING_STALL_SECONDS),
    )


@shared_task
def escalate_overdue_task() -> int:
    return services.escalate_overdue(now=timezone.now())


@shared_task
def queue_overdue_digests_task() -> int:
    return services.queue_overdue_digests(now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def send_overdue_digest_task(*, digest_id: int) -> bool:
    return services.send_overdue_digest(digest_id=digest_id, now=timezone.now())
