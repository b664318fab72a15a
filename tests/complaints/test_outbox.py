"""The outbox's own mechanics (``complaints.outbox``): a message is a row written with its
change, claimed for a lease, sent once with a stable Message-ID, retried after a backoff, and
given up on into the dead-letter list; the receipt keeps its private link sealed until sent."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from complaints import outbox
from complaints.models import Message
from lapor import queue
from lapor.lib import secretbox
from tests.helpers import NOW, deliver_pending

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/lacak/(?P<number>[0-9A-Z-]+)/(?P<key>[A-Za-z0-9_-]{20,100})/")


def _receipt_row(receipt: Any) -> Message:
    return Message.objects.get(key=f"receipt:{receipt.complaint.pk}")


class TestWrittenWithTheChange:
    def test_a_report_queues_its_first_step_and_its_receipt(self, submit: Any) -> None:
        receipt = submit()
        kinds = sorted(Message.objects.values_list("kind", "key"))
        complaint_id = receipt.complaint.pk
        assert kinds == [
            ("receipt", f"receipt:{complaint_id}"),
            ("route_step", f"route:{complaint_id}:0"),
        ]

    def test_no_address_no_receipt(self, submit: Any) -> None:
        submit(reporter_email="")
        assert list(Message.objects.values_list("kind", flat=True)) == ["route_step"]

    def test_the_private_link_is_kept_sealed(self, submit: Any, settings: Any) -> None:
        receipt = submit()
        row = _receipt_row(receipt)
        assert receipt.access_key not in row.secret
        assert row.secret
        assert secretbox.open_sealed(row.secret, settings.LAPOR_MESSAGE_KEYS) == receipt.access_key

    def test_a_refused_report_queues_nothing(self, submit: Any) -> None:
        with pytest.raises(Exception):  # noqa: B017  (the service's ValidationError)
            submit(title="short")
        assert not Message.objects.exists()


class TestTheReceipt:
    def test_sent_once_with_a_working_link_and_then_forgotten(self, submit: Any, tree: Any) -> None:
        receipt = submit()
        deliver_pending(kinds=("receipt",))
        assert len(mail.outbox) == 1
        found = LINK.search(mail.outbox[0].body)
        assert found is not None
        assert found["key"] == receipt.access_key
        assert found["number"] == receipt.complaint.tracking_number
        path = found[0].split("://", 1)[1]
        page = Client().get(path[path.index("/") :])
        assert page.status_code == 200
        assert receipt.complaint.tracking_number in page.content.decode()
        row = _receipt_row(receipt)
        assert row.sent_at is not None and row.outcome == "sent" and row.secret == ""
        # A second delivery of the same row sends nothing.
        assert outbox.deliver(row.pk, now=NOW) == "busy"
        assert len(mail.outbox) == 1

    def test_without_its_key_it_still_gives_the_number(self, submit: Any, settings: Any) -> None:
        receipt = submit()
        # The key that sealed it was rotated away: the e-mail goes out with the number alone.
        settings.LAPOR_MESSAGE_KEYS = (secretbox.derived_key("another secret"),)
        deliver_pending(kinds=("receipt",))
        (email,) = mail.outbox
        assert receipt.complaint.tracking_number in email.body
        assert LINK.search(email.body) is None

    def test_old_secrets_are_erased(self, submit: Any) -> None:
        receipt = submit()
        assert (
            outbox.forget_old_secrets(
                now=NOW + dt.timedelta(days=1), older_than=dt.timedelta(days=7)
            )
            == 0
        )
        assert (
            outbox.forget_old_secrets(
                now=NOW + dt.timedelta(days=8), older_than=dt.timedelta(days=7)
            )
            == 1
        )
        assert _receipt_row(receipt).secret == ""


class TestClaimAndLease:
    def test_a_claimed_row_is_not_taken_twice(self, submit: Any, settings: Any) -> None:
        row = _receipt_row(submit())
        Message.objects.filter(pk=row.pk).update(claimed_until=NOW + dt.timedelta(seconds=30))
        assert outbox.deliver(row.pk, now=NOW) == "busy"
        assert mail.outbox == []

    def test_a_dead_workers_lease_runs_out(self, submit: Any) -> None:
        row = _receipt_row(submit())
        Message.objects.filter(pk=row.pk).update(
            claimed_until=NOW - dt.timedelta(seconds=1),
            attempts=1,
            published_at=NOW - dt.timedelta(minutes=1),
        )
        assert row.pk in _relayed(NOW)
        assert outbox.deliver(row.pk, now=NOW) == "sent"
        assert Message.objects.get(pk=row.pk).attempts == 2

    def test_crash_between_sending_and_marking_sends_once_more_with_the_same_id(
        self, submit: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
    ) -> None:
        row = _receipt_row(submit())

        def crash(*args: Any, **kwargs: Any) -> None:
            raise SystemExit("worker killed")

        monkeypatch.setattr(outbox, "_mark_sent", crash)
        with pytest.raises(SystemExit):
            outbox.deliver(row.pk, now=NOW)
        monkeypatch.undo()
        # Within the lease nobody sends it again; after it, the next delivery does.
        assert outbox.deliver(row.pk, now=NOW + dt.timedelta(seconds=5)) == "busy"
        later = NOW + dt.timedelta(seconds=settings.LAPOR_OUTBOX_LEASE_SECONDS + 1)
        assert outbox.deliver(row.pk, now=later) == "sent"
        first, second = mail.outbox
        assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
        assert first.message()["Message-ID"] == outbox.message_id_header(row)

    def test_too_many_claims_end_in_the_dead_letter_list(self, submit: Any, settings: Any) -> None:
        row = _receipt_row(submit())
        Message.objects.filter(pk=row.pk).update(attempts=settings.LAPOR_OUTBOX_MAX_ATTEMPTS)
        assert outbox.deliver(row.pk, now=NOW) == "failed"
        assert list(Message.objects.dead().values_list("pk", flat=True)) == [row.pk]
        assert mail.outbox == []


class TestRetries:
    def test_a_mail_server_away_is_tried_again_later(
        self, submit: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        row = _receipt_row(submit())
        monkeypatch.setattr(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            _raise(ConnectionRefusedError("mail server down")),
        )
        assert outbox.deliver(row.pk, now=NOW) == "retry"
        row.refresh_from_db()
        assert row.sent_at is None and row.failed_at is None and row.claimed_until is None
        assert "ConnectionRefusedError" in row.error
        assert row.next_attempt_at >= NOW + dt.timedelta(seconds=8)
        assert outbox.deliver(row.pk, now=NOW) == "busy"  # not before its time
        monkeypatch.undo()
        assert outbox.deliver(row.pk, now=row.next_attempt_at) == "sent"
        assert len(mail.outbox) == 1

    def test_a_database_error_is_transient(
        self, submit: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from django.db import OperationalError

        row = _receipt_row(submit())
        monkeypatch.setattr(
            "complaints.emails.send_receipt_email",
            _raise(OperationalError("server closed the connection")),
        )
        assert outbox.deliver(row.pk, now=NOW) == "retry"

    def test_the_last_attempt_gives_up_and_a_coordinator_can_retry(
        self, submit: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
    ) -> None:
        row = _receipt_row(submit())
        monkeypatch.setattr(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            _raise(ConnectionRefusedError("mail server down")),
        )
        moment = NOW
        results = []
        for _ in range(settings.LAPOR_OUTBOX_MAX_ATTEMPTS):
            results.append(outbox.deliver(row.pk, now=moment))
            moment = Message.objects.get(pk=row.pk).next_attempt_at
        assert results == ["retry"] * (settings.LAPOR_OUTBOX_MAX_ATTEMPTS - 1) + ["failed"]
        assert Message.objects.dead().filter(pk=row.pk).exists()
        assert row.pk not in _relayed(moment + dt.timedelta(days=1))
        monkeypatch.undo()
        assert outbox.retry_dead(row.pk, now=moment)
        assert not outbox.retry_dead(row.pk, now=moment)  # no longer in the list
        assert outbox.deliver(row.pk, now=moment) == "sent"
        # The private link survived the dead-letter list.
        assert LINK.search(mail.outbox[0].body) is not None

    def test_a_bug_gives_up_at_once(self, submit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        row = _receipt_row(submit())
        monkeypatch.setattr("complaints.emails.send_receipt_email", _raise(KeyError("oops")))
        assert outbox.deliver(row.pk, now=NOW) == "failed"
        assert "KeyError" in Message.objects.get(pk=row.pk).error

    def test_backoff_doubles_up_to_its_cap(self) -> None:
        waits = [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 20)]
        assert 8 <= waits[0] <= 12 and 16 <= waits[1] <= 24 and 32 <= waits[2] <= 48
        assert waits[3] <= outbox.BACKOFF_MAX * 1.2


class TestRelay:
    def test_what_the_request_could_not_publish(self, submit: Any, settings: Any) -> None:
        receipt = submit()
        rows = set(Message.objects.filter(complaint=receipt.complaint).values_list("pk", flat=True))
        assert _relayed(NOW) == set()  # the request's own chance first
        later = NOW + dt.timedelta(seconds=settings.LAPOR_OUTBOX_GRACE_SECONDS)
        assert _relayed(later) == rows

    def test_what_a_broker_lost(self, submit: Any, settings: Any) -> None:
        receipt = submit()
        Message.objects.update(published_at=NOW)
        assert (
            _relayed(NOW + dt.timedelta(seconds=settings.LAPOR_OUTBOX_REPUBLISH_SECONDS - 1))
            == set()
        )
        again = _relayed(NOW + dt.timedelta(seconds=settings.LAPOR_OUTBOX_REPUBLISH_SECONDS))
        assert again == set(receipt.complaint.messages.values_list("pk", flat=True))

    def test_a_broker_that_refuses_stops_the_relay(
        self, submit: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        submit()
        calls: list[str] = []

        def refuse(name: str, **kwargs: Any) -> bool:
            calls.append(name)
            return False

        monkeypatch.setattr(queue, "publish", refuse)
        assert outbox.relay(now=NOW + dt.timedelta(minutes=5)) == 0
        assert len(calls) == 1
        assert Message.objects.filter(published_at__isnull=True).count() == 2

    def test_routing_steps_and_mail_go_to_their_own_tasks(
        self, submit: Any, published: Any
    ) -> None:
        submit()
        outbox.relay(now=NOW + dt.timedelta(minutes=5))
        assert len(published(queue.ROUTE_MESSAGE)) == 1
        assert len(published(queue.SEND_MESSAGE)) == 1


class TestTheBrokerNeverHoldsARequest:
    def test_a_failed_publish_pauses_the_broker_for_this_process(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from lapor.celery import app

        attempts: list[str] = []

        def down(name: str, **kwargs: Any) -> None:
            attempts.append(name)
            raise ConnectionRefusedError("redis down")

        assert not app.conf.task_always_eager
        monkeypatch.setattr(app, "send_task", down)
        monkeypatch.setattr(queue, "_paused_until", 0.0)
        assert queue.publish(queue.SEND_MESSAGE, message_id=1) is False
        assert queue.publish(queue.SEND_MESSAGE, message_id=2) is False
        assert attempts == [queue.SEND_MESSAGE]  # the second did not even try


def _relayed(now: dt.datetime) -> set[int]:
    return set(
        Message.objects.pending()
        .filter(next_attempt_at__lte=now)
        .filter(outbox.due_for_relay(now))
        .values_list("pk", flat=True)
    )


def _raise(exc: BaseException) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail
