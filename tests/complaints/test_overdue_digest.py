"""The daily digest of overdue reports to each agency: once per agency and day, no reporter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from complaints import deadlines
from complaints.models import OverdueDigest
from lapor import queue
from routing.models import Agency, Officer
from tests.helpers import route_fully


@pytest.mark.django_db
class TestOverdueDigest:
    def test_one_digest_per_agency_and_day_without_the_reporter(
        self,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        officer = User.objects.create_user("dinkes", email="dinkes@example.go.id")
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        late = route_fully(submit(is_anonymous=True, reporter_name="Nama Rahasia").complaint)
        on_time = route_fully(submit().complaint)
        on_time.due_at = late.due_at + dt.timedelta(days=30)  # type: ignore[operator]  # due_at is set by then
        on_time.save(update_fields=["due_at"])
        now = late.due_at + dt.timedelta(hours=1)  # type: ignore[operator]  # due_at is set by then
        queued = published(queue.OVERDUE_DIGEST)
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now) == 1
        digest = OverdueDigest.objects.get()
        assert digest.agency_id == tree["dinkes"].pk
        assert queued == [{"digest_id": digest.pk}]
        assert deadlines.send_overdue_digest(digest_id=digest.pk, now=now) is True
        (message,) = mail.outbox
        assert message.bcc == ["dinkes@example.go.id"]
        assert late.tracking_number in message.body
        assert on_time.tracking_number not in message.body
        assert "Nama Rahasia" not in message.body + message.alternatives[0][0]
        # Again the same day: nothing queued, nothing sent twice.
        queued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now + dt.timedelta(hours=1)) == 0
        assert queued == []
        assert deadlines.send_overdue_digest(digest_id=digest.pk, now=now) is False
        assert len(mail.outbox) == 1
        # The next day: a new digest.
        with django_capture_on_commit_callbacks(execute=True):
            assert deadlines.queue_overdue_digests(now=now + dt.timedelta(days=1)) == 1
        assert OverdueDigest.objects.count() == 2

    def test_nothing_overdue_nothing_queued(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit().complaint)
        assert deadlines.queue_overdue_digests(now=complaint.due_at - dt.timedelta(hours=1)) == 0  # type: ignore[operator]  # due_at is set by then
        assert not OverdueDigest.objects.exists()
