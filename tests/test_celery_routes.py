"""Where each task runs: e-mail on the mail queue (its own worker in production), everything
else on the default queue, so that a burst of mail never holds up routing. The expectation
below is the requirement, written once here; the routes in ``lapor.celery``, the names in
``lapor.queue`` and the task the outbox publishes for each kind of message are checked against
it through Celery's own router."""

from __future__ import annotations

import pytest

from complaints import outbox
from complaints.models import Message
from lapor import queue
from lapor.celery import app

# Every task of the project, by what it does.
SENDS_MAIL = {"complaints.tasks.send_message_task"}
WORKS_ON_REPORTS = {
    "complaints.tasks.route_message_task",
    "complaints.tasks.relay_messages_task",
    "complaints.tasks.forget_old_secrets_task",
    "complaints.tasks.delete_stale_held_uploads_task",
    "complaints.tasks.escalate_overdue_task",
    "complaints.tasks.complete_unanswered_reports_task",
    "complaints.tasks.queue_overdue_digests_task",
    "reports.tasks.build_previous_month_recap_task",
    "messaging.tasks.forget_expired_conversations_task",
}
APPS = (
    "complaints.",
    "reports.",
    "routing.",
    "dashboard.",
    "open311.",
    "inbound.",
    "messaging.",
    "demo.",
)


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if name.startswith(APPS)}


def test_every_task_is_in_the_expectation(registered: set[str]) -> None:
    assert registered == SENDS_MAIL | WORKS_ON_REPORTS


def test_every_name_published_or_scheduled_is_a_task(registered: set[str]) -> None:
    assert queue.NAMES <= registered, queue.NAMES - registered
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= registered, scheduled - registered


@pytest.mark.parametrize("name", sorted(SENDS_MAIL | WORKS_ON_REPORTS))
def test_celery_routes_each_task_to_its_queue(name: str, settings: object) -> None:
    settings.LAPOR_MAIL_QUEUE = "mail-test"  # type: ignore[attr-defined]  # pytest-django's settings
    expected = "mail-test" if name in SENDS_MAIL else app.conf.task_default_queue
    assert app.amqp.router.route({}, name)["queue"].name == expected


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_routing_steps_go_to_the_default_queue_and_every_e_mail_to_the_mail_queue(
    kind: str, settings: object
) -> None:
    settings.LAPOR_MAIL_QUEUE = "mail-test"  # type: ignore[attr-defined]  # pytest-django's settings
    name = outbox.task_for(kind)
    assert name in queue.NAMES
    expected = app.conf.task_default_queue if kind == Message.Kind.ROUTE_STEP else "mail-test"
    assert app.amqp.router.route({}, name)["queue"].name == expected
