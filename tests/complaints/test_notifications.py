"""E-mails to the reporter: queued with the event, published after commit, sent once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail

from complaints import deadlines, notifications
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintEvent, Notification
from complaints.tasks import relay_unsent_notifications_task, send_reporter_notification_task
from lapor import queue
from routing.models import Agency, Category
from tests.helpers import NOW, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

LATER = NOW + dt.timedelta(hours=2)


def notified_types(complaint: Complaint) -> list[str]:
    """The steps queued for the reporter, besides the receipt (sent by its own task)."""
    return list(
        Notification.objects.filter(event__complaint=complaint)
        .exclude(event__type=ComplaintEvent.Type.SUBMITTED)
        .order_by("event__created_at", "event__pk")
        .values_list("event__type", flat=True)
    )


def deliver_all() -> int:
    return sum(
        1
        for pk in Notification.objects.exclude(event__type=ComplaintEvent.Type.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)
        if notifications.send_reporter_notification(notification_id=pk, now=LATER)
    )


@pytest.mark.django_db
class TestReporterNotifications:
    def test_each_step_that_concerns_the_reporter_is_queued_once(
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
        assert deliver_all() == 3
        subjects = [m.subject for m in mail.outbox]
        assert all(complaint.tracking_number in s for s in subjects)
        assert all(m.to == ["siti@example.id"] for m in mail.outbox)
        assert "Selesai: pelapor menerima tanggapan" in mail.outbox[2].body
        # A second delivery of any of them sends nothing.
        assert deliver_all() == 0
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
        deliver_all()
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

    def test_published_after_commit_only(
        self,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        queued = published(queue.REPORTER_NOTIFICATION)
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
        answered = Notification.objects.get(event__type=ComplaintEvent.Type.RESPONDED)
        assert queued == [{"notification_id": answered.pk}]

    def test_beat_publishes_what_was_lost(
        self,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        complaint = route_fully(submit().complaint)
        (lost,) = Notification.objects.filter(
            event__complaint=complaint, event__type=ComplaintEvent.Type.DISPOSED
        )
        queued = published(queue.REPORTER_NOTIFICATION)
        # Too recent: its own message may still be on its way.
        assert (
            notifications.relay_unsent_notifications(
                now=lost.created_at + dt.timedelta(minutes=1), older_than=dt.timedelta(minutes=5)
            )
            == 0
        )
        assert (
            notifications.relay_unsent_notifications(
                now=lost.created_at + dt.timedelta(minutes=6), older_than=dt.timedelta(minutes=5)
            )
            == 1
        )
        assert queued == [{"notification_id": lost.pk}]
        # Once sent, it is not published again: beat's task, on its own clock, minutes later
        # (and hours before the receipt of the same report would fall back).
        send_reporter_notification_task.run(notification_id=lost.pk)
        queued.clear()
        with time_machine.travel(lost.created_at + dt.timedelta(minutes=7), tick=False):
            assert relay_unsent_notifications_task.run() == 0
        assert queued == []


@pytest.mark.django_db
class TestReceipt:
    def test_sent_once_and_a_lost_one_falls_back_late(
        self, submit: Callable[..., Any], published: Callable[[str], list[dict[str, Any]]]
    ) -> None:
        from complaints.tasks import send_receipt_email_task

        receipt = submit()
        send_receipt_email_task(complaint_id=receipt.complaint.pk, access_key=receipt.access_key)
        send_receipt_email_task(complaint_id=receipt.complaint.pk, access_key=receipt.access_key)
        assert len(mail.outbox) == 1
        assert receipt.access_key in mail.outbox[0].body
        lost = submit()
        (row,) = Notification.objects.filter(event__complaint=lost.complaint)
        assert row.event.type == ComplaintEvent.Type.SUBMITTED
        queued = published(queue.REPORTER_NOTIFICATION)
        # A busy queue is not a lost message: no fallback for hours.
        assert (
            notifications.relay_unsent_notifications(
                now=row.created_at + dt.timedelta(hours=1), older_than=dt.timedelta(minutes=5)
            )
            == 0
        )
        assert (
            notifications.relay_unsent_notifications(
                now=row.created_at + dt.timedelta(hours=7), older_than=dt.timedelta(minutes=5)
            )
            == 1
        )
        assert queued == [{"notification_id": row.pk}]
