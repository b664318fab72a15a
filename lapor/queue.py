"""Background work, published by task name: the one module that knows the tasks.

Services and the workflow publish through here and never import a ``tasks`` module (which
imports them): tasks are named, not imported, so no import circle runs between services and
tasks. ``tests/test_celery_routes.py`` checks that every name here is a registered task.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lapor.celery import app

ROUTE_STEP = "complaints.tasks.route_complaint_task"
NOTIFY_AGENCY = "complaints.tasks.notify_agency_task"
REPORTER_NOTIFICATION = "complaints.tasks.send_reporter_notification_task"
RECEIPT = "complaints.tasks.send_receipt_email_task"
ACTIVATION = "complaints.tasks.send_activation_email_task"
ACCOUNT_EXISTS = "complaints.tasks.send_account_exists_email_task"
PASSWORD_RESET = "complaints.tasks.send_password_reset_email_task"  # noqa: S105  (a task name)
OVERDUE_DIGEST = "complaints.tasks.send_overdue_digest_task"
RECAP_EMAIL = "reports.tasks.send_recap_email_task"

NAMES = frozenset(
    {
        ROUTE_STEP,
        NOTIFY_AGENCY,
        REPORTER_NOTIFICATION,
        RECEIPT,
        ACTIVATION,
        ACCOUNT_EXISTS,
        PASSWORD_RESET,
        OVERDUE_DIGEST,
        RECAP_EMAIL,
    }
)


def publish(name: str, *, retry: bool = True, **kwargs: Any) -> None:
    """Publish the task ``name`` with ``kwargs`` now (its queue from ``lapor.celery``'s routes).
    ``retry=False``: fail at once when the broker is down, for a caller that keeps the work in
    an outbox. Run in the caller's thread when Celery is eager (the browser tests' live server).

    :raises kombu.exceptions.OperationalError: when the broker cannot take it.
    """
    if app.conf.task_always_eager:
        app.loader.import_default_modules()
        app.tasks[name].apply(kwargs=kwargs)
        return
    app.send_task(name, kwargs=kwargs, retry=retry)


def publish_after_commit(name: str, **kwargs: Any) -> None:
    """Publish once the current transaction commits. A broker that is down then must not turn a
    saved change into an error: what is lost is published again by beat (outbox, relay,
    sweeper)."""
    transaction.on_commit(lambda: publish(name, **kwargs), robust=True)
