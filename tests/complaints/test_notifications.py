"""E-mails to the reporter: outbox rows queued with the event, published after commit (or by
beat's relay when that publication is lost), sent once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from complaints import deadlines, outbox
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintEvent, Message
from complaints.tasks import relay_messages_task, send_message_task
from lapor import queue
from routing.models import Agency, Category
from tests.helpers import NOW, deliver_pending, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

LATER = NOW + dt.timedelta(hours=2)
SECOND = dt.timedelta(seconds=1)
UPDATE = Message.Kind.REPORTER_UPDATE
Published = Callable[[str], list[dict[str, Any]]]


def updates(complaint: Complaint) -> Any:
    """The reporter's e-mails about the steps of ``complaint`` (the receipt is its own kind)."""
    return Message.objects.filter(kind=UPDATE, complaint=complaint).order_by(
        "event__created_at", "event__pk"
    )


def notified_types(complaint: Complaint) -> list[str]:
    return list(updates(complaint).values_list("event__type", flat=True))


def grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LAPOR_OUTBOX_GRACE_SECONDS)


@pytest.mark.django_db
class TestReporterNotifications:
    def test_each_step_that_concerns_the_reporter_is_sent_once(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit().complaint)
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Puskesmas sudah buka kembali sesuai jadwal.",
            actor=None,
            now=LATER,
        )
        complaint_services.accept_answer(complaint_id=complaint.pk, now=LATER)
        # Routing steps between coordinators are not news for the reporter; the hand-over to
        # the agency, the answer and the completion are.
        assert notified_types(complaint) == ["DISPOSED", "RESPONDED", "COMPLETED"]
        rows = list(updates(complaint))
        assert [row.key for row in rows] == [f"event:{row.event_id}" for row in rows]
        assert deliver_pending(now=LATER, kinds=(UPDATE,)) == [row.key for row in rows]
        subjects = [m.subject for m in mail.outbox]
        assert all(complaint.tracking_number in s for s in subjects)
        assert all(m.to == ["siti@example.id"] for m in mail.outbox)
        assert "Selesai: pelapor menerima jawaban" in mail.outbox[2].body
        assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
            outbox.message_id_header(row) for row in rows
        ]
        # A second delivery of any of them (a retry, a relay) sends nothing.
        assert [outbox.deliver(row.pk, now=LATER) for row in rows] == ["busy"] * 3
        assert len(mail.outbox) == 3

    def test_an_archive_tells_the_reason(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit(category=Category.objects.get(code="sosial")).complaint)
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        holder = Agency.objects.get(pk=complaint.current_agency_id)
        complaint_services.archive_complaint(
            complaint_id=complaint.pk,
            coordinator=holder,
            reason="Laporan ganda dari laporan sebelumnya.",
            actor=None,
            now=LATER,
        )
        assert notified_types(complaint) == ["ARCHIVED"]
        deliver_pending(now=LATER, kinds=(UPDATE,))
        (message,) = mail.outbox
        assert "Laporan ganda dari laporan sebelumnya." in message.body
        assert "Laporan ganda dari laporan sebelumnya." in message.alternatives[0][0]

    def test_an_escalation_is_told(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit().complaint)
        assert complaint.due_at is not None
        deadlines.escalate_overdue(now=complaint.due_at + dt.timedelta(minutes=1))
        assert notified_types(complaint) == ["DISPOSED", "ESCALATED"]

    def test_no_address_nothing_queued(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit(reporter_email="").complaint)
        assert notified_types(complaint) == []
        assert not Message.objects.filter(kind=Message.Kind.RECEIPT).exists()

    def test_published_after_commit_only(
        self,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        django_capture_on_commit_callbacks: Any,
        published: Published,
    ) -> None:
        queued = published(queue.SEND_MESSAGE)
        complaint = route_fully(submit().complaint)
        with django_capture_on_commit_callbacks(execute=True):
            complaint_services.respond_to_complaint(
                complaint_id=complaint.pk,
                agency=tree["dinkes"],
                text="Puskesmas sudah buka kembali sesuai jadwal.",
                actor=None,
                now=LATER,
            )
            assert queued == []
        answered = Message.objects.get(kind=UPDATE, event__type=ComplaintEvent.Type.RESPONDED)
        assert queued == [{"message_id": answered.pk}]
        answered.refresh_from_db()
        assert answered.published_at is not None

    def test_beat_publishes_what_was_lost(
        self, tree: dict[str, Agency], submit: Callable[..., Any], published: Published
    ) -> None:
        complaint = route_fully(submit().complaint)
        deliver_pending(now=NOW)  # what the filing and the routing queued: sent
        queued = published(queue.SEND_MESSAGE)
        # Outside a captured commit: its publication after commit is lost (a broker down).
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Puskesmas sudah buka kembali sesuai jadwal.",
            actor=None,
            now=LATER,
        )
        lost = Message.objects.get(kind=UPDATE, event__type=ComplaintEvent.Type.RESPONDED)
        assert lost.published_at is None
        # Too recent: its own publication may still be on its way.
        assert outbox.relay(now=LATER + grace() - SECOND) == 0
        assert outbox.relay(now=LATER + grace()) == 1
        assert queued == [{"message_id": lost.pk}]
        # Published: not again while a worker may still take it...
        assert outbox.relay(now=LATER + grace() + SECOND) == 0
        # ...but again when none did for that long (the broker lost it).
        republish = dt.timedelta(seconds=settings.LAPOR_OUTBOX_REPUBLISH_SECONDS)
        assert outbox.relay(now=LATER + grace() + republish) == 1
        assert queued == [{"message_id": lost.pk}] * 2
        # Delivered twice (both publications reached a worker): sent once.
        assert send_message_task(message_id=lost.pk) == "sent"
        assert send_message_task(message_id=lost.pk) == "busy"
        (message,) = [m for m in mail.outbox if "Puskesmas sudah buka" in m.body]
        assert message.to == ["siti@example.id"]
        # Once sent, it is not published again: beat's task, on its own clock.
        queued.clear()
        assert relay_messages_task() == 0
        assert queued == []
