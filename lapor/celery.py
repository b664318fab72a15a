"""The Celery app and its beat schedule, in code."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun
from django.db import InterfaceError, OperationalError

from lapor import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

# Every redis:// broker URL uses kombu's transport with our mend (lapor/broker.py).
broker.install()

app = Celery("lapor")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.autodiscover_tasks()

# E-mail has its own queue, so that a burst of mail (or a slow mail server) never holds up
# routing: production runs a worker per queue (docker-compose.yml); ``make run``'s one worker
# takes both.
MAIL_TASKS = frozenset({"complaints.tasks.send_message_task"})


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    if name in MAIL_TASKS:
        from django.conf import settings

        return {"queue": settings.LAPOR_MAIL_QUEUE}
    return None


app.conf.task_routes = (route_task,)

# Beat's tasks: a transient database error (a restart) is tried again soon, with backoff that
# never outlasts the broker's visibility timeout; past that, the next scheduled run does the
# work. (Messages have their own retries: the outbox.)
CLOCK_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 8,
}


@task_postrun.connect
def _release_database_connections(task: Any = None, **kwargs: object) -> None:
    # Back to the pool (or closed when unusable), as Django does at the end of a request; not
    # for a task run eagerly inside its caller, whose connection (and transaction) it shares.
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


def _every(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


app.conf.beat_schedule = {
    # The outbox: messages whose request could not publish them (broker down), that a broker
    # lost, or that a dead worker held (its lease ran out); and those due for another attempt.
    "relay-messages": {
        "task": "complaints.tasks.relay_messages_task",
        "schedule": _every("LAPOR_RELAY_EVERY_SECONDS", 5),
        # A relay a busy worker did not reach in time is dropped: the next one does its work.
        "options": {"expires": max(1.0, _every("LAPOR_RELAY_EVERY_SECONDS", 5))},
    },
    # Missed deadlines: one level up, counted against the agency that missed them.
    "escalate-overdue": {
        "task": "complaints.tasks.escalate_overdue_task",
        "schedule": _every("LAPOR_ESCALATE_EVERY_SECONDS", 900),
    },
    # Each night: the sealed secrets of messages unsent for a week, and expired idempotency
    # keys, are erased.
    "forget-old-secrets": {
        "task": "complaints.tasks.forget_old_secrets_task",
        "schedule": crontab(minute=15, hour=3),
    },
    # What unfinished SMS and WhatsApp conversations hold, forgotten once they expire.
    "forget-expired-conversations": {
        "task": "messaging.tasks.forget_expired_conversations_task",
        "schedule": 600.0,
    },
    # Each morning (and each hour until 17:00, for what was lost or fell overdue since), the
    # day's digest of overdue reports to each agency holding some; one per agency and day.
    "overdue-digests": {
        "task": "complaints.tasks.queue_overdue_digests_task",
        "schedule": crontab(minute=0, hour=os.environ.get("LAPOR_DIGEST_HOURS", "7-17")),
    },
    # On the 1st, just after midnight in Jakarta: last month's recaps, then each coordinator's
    # e-mail (a repeated run rebuilds the same figures and sends nobody a second e-mail).
    "monthly-recap": {
        "task": "reports.tasks.build_previous_month_recap_task",
        "schedule": crontab(minute=30, hour=0, day_of_month=1),
    },
    # Files held for report forms that came back with errors and were never sent again
    # (complaints.held_uploads): deleted once their tokens have expired.
    "delete-stale-held-uploads": {
        "task": "complaints.tasks.delete_stale_held_uploads_task",
        "schedule": _every("LAPOR_HELD_SWEEP_EVERY_SECONDS", 900),
    },
    # Answered reports the citizen left without a word for the reply window: completed.
    "complete-unanswered": {
        "task": "complaints.tasks.complete_unanswered_reports_task",
        "schedule": _every("LAPOR_AUTOCOMPLETE_EVERY_SECONDS", 900),
    },
}
