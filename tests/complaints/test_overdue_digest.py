"""The daily digest of overdue reports to each agency: once per agency and day, no reporter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from complaints import deadlines, outbox
from complaints import services as complaint_services
from complaints.models import Message
from lapor import queue
from routing.models import Agency, Officer
from tests.helpers import route_fully

DIGEST = Message.Kind.OVERDUE_DIGEST


@pytest.fixture
def dinkes_officer(tree: dict[str, Agency]) -> None:
    officer = User.objects.create_user("dinkes", email="dinkes@example.go.id")
    Officer.objects.create(user=officer, agency=tree["dinkes"])


@pytest.mark.django_db
@pytest.mark.usefixtures("dinkes_officer")
class TestOverdueDigest:
    def test_one_digest_per_agency_and_day_without_the_reporter(
        self,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        late = route_fully(submit(is_anonymous=True, reporter_name="Nama Rahasia").complaint)
        on_time = route_fully(submit().complaint)
        on_time.due_at = late.due_at + dt.timedelta(days=30)  # type: ignore[operator]  # due_at is set by then
        on_time.save(update_fields=["due_at"])
        now = late.due_at + dt.timedelta(hours=1)  # type: ignore[operator]  # due_at is set by then
        queued = published(queue.SEND_MESSAGE)
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now) == 1
        digest = Message.objects.get(kind=DIGEST)
        assert digest.agency_id == tree["dinkes"].pk
        assert digest.key == f"digest:{tree['dinkes'].pk}:2026-12-08"  # the day in Jakarta
        assert queued == [{"message_id": digest.pk}]
        assert outbox.deliver(digest.pk, now=now) == "sent"
        (message,) = mail.outbox
        assert message.bcc == ["dinkes@example.go.id"]
        assert message.extra_headers["Message-ID"] == outbox.message_id_header(digest)
        assert late.tracking_number in message.body
        assert on_time.tracking_number not in message.body
        assert "Nama Rahasia" not in message.body + message.alternatives[0][0]
        digest.refresh_from_db()
        assert digest.data["reports"] == 1
        # Again the same day (beat runs each hour): nothing queued, nothing sent twice.
        queued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now + dt.timedelta(hours=1)) == 0
        assert queued == []
        assert outbox.deliver(digest.pk, now=now + dt.timedelta(hours=1)) == "busy"
        assert len(mail.outbox) == 1
        # The next day: a new digest.
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now + dt.timedelta(days=1)) == 1
        assert Message.objects.filter(kind=DIGEST, agency=tree["dinkes"]).count() == 2
        assert len(queued) == 1 and queued[0]["message_id"] != digest.pk

    def test_a_digest_with_nothing_overdue_left_at_sending_sends_nothing(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit().complaint)
        now = complaint.due_at + dt.timedelta(hours=1)  # type: ignore[operator]  # due_at is set by then
        assert deadlines.queue_overdue_digests(now=now) == 1
        # Answered before the mail worker took the digest.
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Puskesmas sudah buka kembali sesuai jadwal pelayanan.",
            actor=None,
            now=now,
        )
        digest = Message.objects.get(kind=DIGEST)
        assert outbox.deliver(digest.pk, now=now) == "skipped"
        digest.refresh_from_db()
        assert (digest.outcome, digest.data["reports"]) == (Message.Outcome.SKIPPED, 0)
        assert [m for m in mail.outbox if m.bcc] == []

    def test_nothing_overdue_nothing_queued(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit().complaint)
        assert deadlines.queue_overdue_digests(now=complaint.due_at - dt.timedelta(hours=1)) == 0  # type: ignore[operator]  # due_at is set by then
        assert not Message.objects.filter(kind=DIGEST).exists()
