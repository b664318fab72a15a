"""The Celery app and its beat schedule, in code."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

app = Celery("lapor")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.autodiscover_tasks()

# E-mail has its own queue, so that a burst of mail never holds up routing: production runs a
# worker per queue (docker-compose.yml); ``make run``'s one worker takes both.
MAIL_TASKS = frozenset(
    {
        "complaints.tasks.send_receipt_email_task",
        "complaints.tasks.send_reporter_notification_task",
        "complaints.tasks.send_activation_email_task",
        "complaints.tasks.send_account_exists_email_task",
        "complaints.tasks.send_password_reset_email_task",
        "complaints.tasks.notify_agency_task",
        "complaints.tasks.send_overdue_digest_task",
        "reports.tasks.send_recap_email_task",
    }
)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    if name in MAIL_TASKS:
        from django.conf import settings

        return {"queue": settings.LAPOR_MAIL_QUEUE}
    return None


app.conf.task_routes = (route_task,)


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
    # Routing steps whose request could not publish them (broker down at submission).
    "relay-routing-outbox": {
        "task": "complaints.tasks.relay_outbox_task",
        "schedule": _every("LAPOR_RELAY_EVERY_SECONDS", 10),
    },
    # Reports whose step was lost (worker killed, queue lost): publish the step again.
    "sweep-stalled-routing": {
        "task": "complaints.tasks.sweep_stalled_routing_task",
        "schedule": _every("LAPOR_SWEEP_EVERY_SECONDS", 60),
    },
    # Missed deadlines: one level up, counted against the agency that missed them.
    "escalate-overdue": {
        "task": "complaints.tasks.escalate_overdue_task",
        "schedule": _every("LAPOR_ESCALATE_EVERY_SECONDS", 900),
    },
    # Reporter e-mails whose message was lost (broker down at the time): published again.
    "relay-notifications": {
        "task": "complaints.tasks.relay_unsent_notifications_task",
        "schedule": _every("LAPOR_NOTIFY_RELAY_EVERY_SECONDS", 60),
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
    # Answered reports the citizen left without a word for the reply window: completed.
    "complete-unanswered": {
        "task": "complaints.tasks.complete_unanswered_reports_task",
        "schedule": _every("LAPOR_AUTOCOMPLETE_EVERY_SECONDS", 900),
    },
}
