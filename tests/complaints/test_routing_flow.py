"""A report's way through the hierarchy: routing steps (routing decides, the workflow acts),
coordinators' dispositions, transfers, escalation, the steps as outbox rows (published after
commit, relayed by beat when lost, taken again when a worker died) and the dead-letter list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from complaints import deadlines, dispatch, outbox
from complaints import services as complaint_services
from complaints.models import (
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    Message,
    TransferRequest,
)
from lapor import queue
from lapor.lib.actions import ActionError
from routing.models import Agency, CalendarException, Category, Region, RoutingRule
from tests.helpers import NOW, deliver_pending, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

WIB = NOW.tzinfo


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=WIB)


Submit = Callable[..., Any]
STEP = Message.Kind.ROUTE_STEP
SECOND = dt.timedelta(seconds=1)


def seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, name))


def step_row(complaint: Complaint, step: int) -> Message:
    """The outbox row of a report's routing step ``step``."""
    return Message.objects.get(kind=STEP, key=f"route:{complaint.pk}:{step}")


class WorkerKilled(BaseException):
    """The worker's process ends in the middle of a step (SIGKILL, OOM): nothing after runs."""


class Broker:
    """``lapor.queue.publish`` to a broker that is up or down; ``sent``: what it took."""

    def __init__(self) -> None:
        self.up = True
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, name: str, **kwargs: Any) -> bool:
        if not self.up:
            return False
        self.sent.append((name, kwargs))
        return True


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    broker = Broker()
    monkeypatch.setattr(queue, "publish", broker.publish)
    return broker


@pytest.mark.django_db
class TestRouteStep:
    def test_health_report_in_samarinda_reaches_the_health_office(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        assert complaint.status == Complaint.Status.DISPOSED
        assert complaint.current_agency == tree["dinkes"]
        path = list(
            complaint.dispositions.order_by("sequence").values_list("sequence", "to_agency__code")
        )
        assert path == [(1, "kaltim"), (2, "smd"), (3, "dinkes-smd")]
        # The OPD must follow up within 5 working days of the disposition (Mon 30 Nov → 7 Dec).
        assert complaint.due_at == dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=WIB)
        events = list(complaint.events.order_by("pk").values_list("type", flat=True))
        assert events == ["SUBMITTED", "ROUTED", "ROUTED", "DISPOSED"]
        last = complaint.events.order_by("pk").last()
        assert last is not None and "Dinkes Samarinda" in last.label

    def test_a_provincial_rule_ends_at_a_provincial_opd(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit(category=Category.objects.get(code="pendidikan")).complaint)
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["disdik"])

    def test_no_rule_waits_in_the_coordinators_queue(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit(category=Category.objects.get(code="sosial")).complaint)
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["kaltim"]
        assert complaint.events.filter(type="AWAITING_VERIFICATION").count() == 1
        # Waiting is no hand-over: the last disposition is still the one to Kaltim.
        assert complaint.dispositions.count() == 1

    def test_no_coordinator_for_the_province_waits_at_national(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit(region=Region.objects.get(code="31.71")).complaint)
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["national"]

    def test_a_step_delivered_twice_changes_nothing_the_second_time(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = submit().complaint
        first = dispatch.route_step(complaint_id=complaint.pk, step=0, now=NOW)
        again = dispatch.route_step(complaint_id=complaint.pk, step=0, now=NOW)
        assert first.moved and not again.moved
        assert complaint.dispositions.count() == 1
        assert complaint.events.filter(type="ROUTED").count() == 1

    def test_a_finished_report_is_not_routed_again(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        for step in range(4):
            assert not dispatch.route_step(complaint_id=complaint.pk, step=step, now=NOW).moved
        assert complaint.dispositions.count() == 3

    def test_a_rule_that_does_not_lead_down_leaves_the_decision_to_the_coordinator(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        RoutingRule.objects.filter(level="REGENCY").update(agency=tree["samarinda"])
        complaint = route_fully(submit().complaint)
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["samarinda"]


@pytest.mark.django_db
class TestDeadlines:
    def test_verification_deadline_across_idul_fitri_2026(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        # Tuesday 17 March 2026; 18-24 March are Nyepi, Idul Fitri and cuti bersama.
        complaint = submit(now=at(2026, 3, 17), incident_date=dt.date(2026, 3, 16)).complaint
        assert complaint.due_at == dt.datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB)

    def test_weekend(self, tree: dict[str, Agency], submit: Submit) -> None:
        complaint = submit(now=at(2026, 11, 27), incident_date=dt.date(2026, 11, 26)).complaint
        assert complaint.due_at == dt.datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)

    def test_extra_day_off_added_by_an_administrator(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        CalendarException.objects.create(
            date=dt.date(2026, 12, 1), is_working_day=False, description="Cuti bersama baru"
        )
        complaint = submit().complaint
        assert complaint.due_at == dt.datetime(2026, 12, 4, 23, 59, 59, tzinfo=WIB)


@pytest.mark.django_db
class TestTransfers:
    def test_return_then_redispose_with_the_loop_guard(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        transfer = complaint_services.request_transfer(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            reason="Ini kewenangan RSUD.",
            suggested_agency=tree["rsud"],
            actor=None,
            now=NOW,
        )
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["samarinda"]
        assert TransferRequest.objects.filter(from_agency=tree["dinkes"]).count() == 1
        body = Client().get(f"/api/v1/complaints/{complaint.tracking_number}/").json()
        assert body["transfer_count"] == 1
        # Not back to the agency that returned it, unless the coordinator says so.
        with pytest.raises(ActionError):
            complaint_services.dispose_complaint(
                complaint_id=complaint.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["dinkes"],
                actor=None,
                now=NOW,
            )
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["rsud"],
            actor=None,
            now=NOW,
        )
        complaint.refresh_from_db()
        transfer.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["rsud"])
        assert transfer.decided_at == NOW
        kinds = list(complaint.dispositions.order_by("sequence").values_list("kind", flat=True))
        assert kinds == ["ROUTE", "ROUTE", "ROUTE", "RETURN", "DISPOSE"]

    def test_coordinator_may_overrule_the_loop_guard(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        complaint_services.request_transfer(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            reason="Bukan kami.",
            suggested_agency=None,
            actor=None,
            now=NOW,
        )
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["dinkes"],
            actor=None,
            now=NOW,
            allow_returned=True,
        )
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]

    def test_only_the_holder_can_return_and_only_with_a_reason(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        with pytest.raises(ActionError):
            complaint_services.request_transfer(
                complaint_id=complaint.pk,
                agency=tree["rsud"],
                reason="x",
                suggested_agency=None,
                actor=None,
                now=NOW,
            )
        with pytest.raises(ActionError):
            complaint_services.request_transfer(
                complaint_id=complaint.pk,
                agency=tree["dinkes"],
                reason="   ",
                suggested_agency=None,
                actor=None,
                now=NOW,
            )
        assert not TransferRequest.objects.exists()

    def test_dispose_only_within_the_subtree(self, tree: dict[str, Agency], submit: Submit) -> None:
        complaint = route_fully(submit(category=Category.objects.get(code="sosial")).complaint)
        assert complaint.current_agency == tree["kaltim"]
        other = Agency.objects.create(
            code="dki",
            name="Diskominfo DKI",
            level="PROVINCE",
            region_id="31",
            parent=tree["national"],
        )
        with pytest.raises(ActionError):
            complaint_services.dispose_complaint(
                complaint_id=complaint.pk,
                coordinator=tree["kaltim"],
                to_agency=other,
                actor=None,
                now=NOW,
            )
        with pytest.raises(ActionError):  # not in Samarinda's queue
            complaint_services.dispose_complaint(
                complaint_id=complaint.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["dinkes"],
                actor=None,
                now=NOW,
            )
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["kaltim"],
            to_agency=tree["dinkes"],
            actor=None,
            now=NOW,
        )
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]


@pytest.mark.django_db
class TestEscalation:
    def test_one_level_at_a_time_up_to_national_and_never_twice(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = route_fully(submit().complaint)
        later = at(2026, 12, 8)  # the OPD's deadline (7 Dec) has passed
        assert deadlines.escalate_overdue(now=later) == 1
        assert deadlines.escalate_overdue(now=later) == 0  # a repeated run moves nothing
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        breach = DeadlineBreach.objects.get()
        assert breach.agency == tree["dinkes"]
        assert breach.due_at == dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=WIB)
        # Samarinda has 3 working days (to 11 Dec), then Kaltim, then national.
        assert deadlines.escalate_overdue(now=at(2026, 12, 14)) == 1
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["kaltim"]
        assert deadlines.escalate_overdue(now=at(2026, 12, 18)) == 1
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["national"]
        assert deadlines.escalate_overdue(now=at(2027, 1, 30)) == 0
        assert list(
            DeadlineBreach.objects.order_by("created_at").values_list("agency__code", flat=True)
        ) == ["dinkes-smd", "smd", "kaltim"]
        escalated = complaint.events.filter(type=ComplaintEvent.Type.ESCALATED)
        assert escalated.count() == 3

    def test_not_yet_overdue_is_left_alone(self, tree: dict[str, Agency], submit: Submit) -> None:
        complaint = route_fully(submit().complaint)
        assert deadlines.escalate_overdue(now=at(2026, 12, 7, 23)) == 0
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]


@pytest.mark.django_db
class TestStepsThroughTheOutbox:
    def test_the_worker_routes_the_report_step_by_step(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        complaint = submit().complaint
        delivered = deliver_pending(kinds=(STEP,))
        # One delivery takes the report down level by level: each level queues the next step's
        # row, which the same delivery takes inline, until the report reaches an agency.
        assert delivered == [f"route:{complaint.pk}:0"]
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["dinkes"])
        rows = Message.objects.filter(kind=STEP, complaint=complaint).order_by("pk")
        assert [(r.key, r.outcome) for r in rows] == [
            (f"route:{complaint.pk}:{step}", "sent") for step in range(3)
        ]
        assert list(
            complaint.dispositions.order_by("sequence").values_list("sequence", flat=True)
        ) == [1, 2, 3]
        # A step delivered again (a retry, a relay) finds it sent and changes nothing.
        assert outbox.deliver(step_row(complaint, 0).pk, now=NOW) == "busy"
        assert complaint.dispositions.count() == 3

    def test_broker_down_at_submission_then_relayed_once(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        django_capture_on_commit_callbacks: Any,
        broker: Broker,
    ) -> None:
        broker.up = False
        with django_capture_on_commit_callbacks(execute=True):
            complaint = submit(reporter_email="").complaint
        row = step_row(complaint, 0)
        assert row.published_at is None  # left for the relay
        grace = seconds("LAPOR_OUTBOX_GRACE_SECONDS")
        # Still down when beat runs: nothing published, the row waits.
        assert outbox.relay(now=NOW + grace) == 0
        broker.up = True
        assert outbox.relay(now=NOW + grace - SECOND) == 0  # too young: its request's chance
        assert outbox.relay(now=NOW + grace) == 1
        assert outbox.relay(now=NOW + grace + SECOND) == 0  # published: not twice
        assert broker.sent == [(queue.ROUTE_MESSAGE, {"message_id": row.pk})]
        row.refresh_from_db()
        assert row.published_at == NOW + grace
        # The relayed step is taken by the worker, and the report goes its way.
        deliver_pending(now=NOW + grace, kinds=(STEP,))
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["dinkes"])

    def test_published_at_once_when_the_broker_is_up(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            complaint = submit().complaint
        row = step_row(complaint, 0)
        assert published(queue.ROUTE_MESSAGE) == [{"message_id": row.pk}]
        row.refresh_from_db()
        assert row.published_at is not None
        # Nothing for the relay: the request published it.
        assert outbox.relay(now=NOW + seconds("LAPOR_OUTBOX_GRACE_SECONDS")) == 0
        assert published(queue.ROUTE_MESSAGE) == [{"message_id": row.pk}]

    def test_steps_lost_by_the_broker_or_by_a_dead_worker_are_published_again_only(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        broker: Broker,
        monkeypatch: pytest.MonkeyPatch,
        settings: Any,
    ) -> None:
        settings.LAPOR_OUTBOX_LEASE_SECONDS = 40
        settings.LAPOR_OUTBOX_REPUBLISH_SECONDS = 120
        done = submit(reporter_email="").complaint
        deliver_pending()  # routed by the worker, the agency told: nothing left to publish
        done.refresh_from_db()
        assert done.status == "DISPOSED"
        assert not Message.objects.pending().exists()
        lost = submit(reporter_email="").complaint
        killed = submit(reporter_email="").complaint
        lost_step, killed_step = step_row(lost, 0), step_row(killed, 0)
        # Their requests' publications were lost; beat publishes both, and only them.
        start = NOW + seconds("LAPOR_OUTBOX_GRACE_SECONDS")
        assert outbox.relay(now=start) == 2
        # The broker then loses one; a worker takes the other and is killed in the middle.
        real_step = dispatch.route_step

        def killed_mid_step(**kwargs: Any) -> Any:
            monkeypatch.setattr(dispatch, "route_step", real_step)
            raise WorkerKilled

        monkeypatch.setattr(dispatch, "route_step", killed_mid_step)
        with pytest.raises(WorkerKilled):
            outbox.deliver(killed_step.pk, now=start)
        # The step's work and its row are one transaction: the killed worker's is rolled back,
        # the row is as it was, and the broker gives the message it never acknowledged to
        # another worker after the visibility timeout.
        killed_step.refresh_from_db()
        assert (killed_step.attempts, killed_step.claimed_until, killed_step.sent_at) == (
            0,
            None,
            None,
        )
        # Beat publishes both again once no worker took them for the republish time, not before.
        republish = start + seconds("LAPOR_OUTBOX_REPUBLISH_SECONDS")
        assert outbox.relay(now=republish - SECOND) == 0
        assert outbox.relay(now=republish) == 2
        assert broker.sent == [
            (queue.ROUTE_MESSAGE, {"message_id": row.pk})
            for row in (lost_step, killed_step, lost_step, killed_step)
        ]
        deliver_pending(now=start + dt.timedelta(minutes=5), kinds=(STEP,))
        for complaint in (lost, killed):
            complaint.refresh_from_db()
            assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["dinkes"])
            assert complaint.dispositions.count() == 3  # each step taken once
        killed_step.refresh_from_db()
        assert killed_step.attempts == 1


@pytest.mark.django_db
class TestDeadLetter:
    def test_a_step_that_fails_for_good_is_in_the_dead_letter_list_once(
        self, tree: dict[str, Agency], submit: Submit, broker: Broker, monkeypatch: Any
    ) -> None:
        from complaints.tasks import route_message_task

        complaint = submit(reporter_email="").complaint
        row = step_row(complaint, 0)
        real_step = dispatch.route_step

        def broken(**kwargs: object) -> None:
            raise ValueError("rule points nowhere")

        monkeypatch.setattr(dispatch, "route_step", broken)
        assert route_message_task(message_id=row.pk) == "failed"
        assert route_message_task(message_id=row.pk) == "busy"  # delivered again: nothing more
        (dead,) = Message.objects.dead().filter(complaint=complaint)
        assert dead.pk == row.pk and dead.attempts == 1
        assert "ValueError: rule points nowhere" in dead.error
        assert dead.failed_at is not None
        # Beat does not publish what was given up on.
        later = dead.failed_at + dt.timedelta(days=1)
        assert outbox.relay(now=later) == 0
        # Once the rule is fixed, a coordinator sends it again and the report goes its way.
        monkeypatch.setattr(dispatch, "route_step", real_step)
        assert outbox.retry_dead(row.pk, now=later) is True
        deliver_pending(now=later, kinds=(STEP,))
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["dinkes"])
        assert not Message.objects.dead().filter(complaint=complaint).exists()


@pytest.mark.django_db
class TestPublicView:
    def test_current_agency_and_deadline(
        self, tree: dict[str, Agency], submit: Submit, client: Client
    ) -> None:
        complaint = route_fully(submit().complaint)
        body = client.get(f"/api/v1/complaints/{complaint.tracking_number}/").json()
        assert body["current_agency"]["name"] == "Dinkes Samarinda"
        assert body["current_agency"]["level"] == "OPD"
        assert body["due_at"].startswith("2026-12-07T23:59:59")
        html = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert "Dinkes Samarinda" in html

    def test_central_queue_before_routing(
        self, tree: dict[str, Agency], submit: Submit, client: Client
    ) -> None:
        complaint = submit().complaint
        body = client.get(f"/api/v1/complaints/{complaint.tracking_number}/").json()
        assert body["current_agency"] is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentDelivery:
    def test_two_workers_take_the_same_step_once(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        import threading

        from django.db import connection

        complaint = submit().complaint
        barrier = threading.Barrier(4)
        results: list[bool] = []

        def deliver() -> None:
            try:
                barrier.wait()
                results.append(
                    dispatch.route_step(complaint_id=complaint.pk, step=0, now=NOW).moved
                )
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, False, False, True]
        assert Disposition.objects.filter(complaint=complaint).count() == 1


@pytest.mark.django_db
class TestAgencyNotification:
    def test_officers_are_told_without_the_reporters_identity(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        mailoutbox: list[Any],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from django.contrib.auth.models import User

        from complaints.tasks import send_message_task
        from routing.models import Officer

        officer = User.objects.create_user("dinkes", email="dinkes@example.go.id")
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        complaint = submit(
            is_anonymous=True, reporter_name="Nama Rahasia", reporter_email="rahasia@example.id"
        ).complaint
        for step in range(2):
            dispatch.route_step(complaint_id=complaint.pk, step=step, now=NOW)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            dispatch.route_step(complaint_id=complaint.pk, step=2, now=NOW)
        # After commit: the officers' notice, and the reporter's e-mail (an address was given).
        assert len(callbacks) == 2
        notice = Message.objects.get(kind=Message.Kind.AGENCY_NOTICE, complaint=complaint)
        assert notice.agency_id == tree["dinkes"].pk
        assert Message.objects.filter(
            kind=Message.Kind.REPORTER_UPDATE, complaint=complaint
        ).exists()
        assert send_message_task(message_id=notice.pk) == "sent"
        (message,) = mailoutbox
        assert message.bcc == ["dinkes@example.go.id"]
        assert complaint.tracking_number in message.subject
        text = message.body + message.alternatives[0][0]
        assert "Nama Rahasia" not in text and "rahasia@example.id" not in text
        assert "Nama Rahasia" not in message.message().as_string()
