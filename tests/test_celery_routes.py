"""E-mail tasks go to the mail queue, everything else to the default queue: the routing table
names tasks by string, so a renamed task would silently fall back to the routing queue."""

from __future__ import annotations

import pytest

from lapor.celery import MAIL_TASKS, app, route_task


def test_every_mail_task_exists() -> None:
    app.loader.import_default_modules()
    assert MAIL_TASKS <= set(app.tasks), MAIL_TASKS - set(app.tasks)


@pytest.mark.parametrize("name", sorted(MAIL_TASKS))
def test_mail_tasks_go_to_the_mail_queue(name: str, settings: object) -> None:
    settings.LAPOR_MAIL_QUEUE = "mail-test"  # type: ignore[attr-defined]
    assert route_task(name, (), {}, {}) == {"queue": "mail-test"}


def test_routing_stays_on_the_default_queue() -> None:
    assert route_task("routing.tasks.route_complaint_task", (), {}, {}) is None
    assert app.amqp.router.route({}, "routing.tasks.route_complaint_task")["queue"].name == (
        app.conf.task_default_queue
    )
    assert app.amqp.router.route({}, "complaints.tasks.send_receipt_email_task")["queue"].name == (
        "mail"
    )
