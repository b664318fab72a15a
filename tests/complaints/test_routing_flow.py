"""A report's way through the hierarchy: routing steps (routing decides, the workflow acts),
coordinators' dispositions, transfers, escalation, the outbox and the dead-letter list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from complaints import deadlines, dispatch, outbox
from complaints import services as complaint_services
from complaints.models import (
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    RoutingFailure,
    RoutingOutbox,
    TransferRequest,
)
from lapor import queue
from lapor.lib.actions import ActionError
from routing.models import Agency, CalendarException, Category, Region, RoutingRule
from tests.helpers import NOW, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

WIB = NOW.tzinfo


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=WIB)


Submit = Callable[..., Any]


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
class TestOutboxAndSweeper:
    def test_broker_down_at_submission_then_relayed_once(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        django_capture_on_commit_callbacks,
        monkeypatch,
    ) -> None:
        from kombu.exceptions import OperationalError

        def broker_down(*args: object, **kwargs: object) -> None:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        monkeypatch.setattr(queue, "publish", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            complaint = submit().complaint
        row = RoutingOutbox.objects.get(complaint=complaint)
        assert row.step == 0

        published: list[dict] = []
        monkeypatch.setattr(
            queue, "publish", lambda name, *, retry=True, **kwargs: published.append(kwargs)
        )
        assert outbox.relay_outbox(now=NOW, older_than=dt.timedelta(seconds=10)) == 0  # too young
        later = NOW + dt.timedelta(seconds=30)
        assert outbox.relay_outbox(now=later, older_than=dt.timedelta(seconds=10)) == 1
        assert outbox.relay_outbox(now=later, older_than=dt.timedelta(seconds=10)) == 0
        assert published == [{"complaint_id": complaint.pk, "step": 0}]
        assert not RoutingOutbox.objects.exists()

    def test_published_at_once_when_the_broker_is_up(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        django_capture_on_commit_callbacks,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            complaint = submit().complaint
        assert published(queue.ROUTE_STEP) == [{"complaint_id": complaint.pk, "step": 0}]
        assert not RoutingOutbox.objects.exists()

    def test_sweeper_republishes_stalled_reports_only(
        self,
        tree: dict[str, Agency],
        submit: Submit,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        stalled = submit().complaint
        dispatch.route_step(complaint_id=stalled.pk, step=0, now=NOW)  # then the worker died
        failed = submit().complaint
        RoutingFailure.objects.create(
            complaint=failed, step=0, error="boom", attempts=7, created_at=NOW
        )
        done = route_fully(submit().complaint)
        swept = outbox.sweep_stalled_routing(
            now=NOW + dt.timedelta(minutes=5), stalled_for=dt.timedelta(minutes=2)
        )
        assert swept == 1
        assert published(queue.ROUTE_STEP) == [{"complaint_id": stalled.pk, "step": 1}]
        assert done.status == "DISPOSED"


@pytest.mark.django_db
class TestDeadLetter:
    def test_a_step_that_fails_for_good_is_recorded_once(
        self, tree: dict[str, Agency], submit: Submit, monkeypatch
    ) -> None:
        from complaints.tasks import route_complaint_task

        complaint = submit().complaint

        def broken(**kwargs: object) -> None:
            raise ValueError("rule points nowhere")

        monkeypatch.setattr(dispatch, "route_step", broken)
        for _ in range(2):
            result = route_complaint_task.apply(kwargs={"complaint_id": complaint.pk, "step": 0})
            assert result.failed()
        failure = RoutingFailure.objects.get(complaint=complaint)
        assert "ValueError: rule points nowhere" in failure.error
        assert failure.step == 0 and failure.resolved_at is None


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
        mailoutbox,
        django_capture_on_commit_callbacks,
    ) -> None:
        from django.contrib.auth.models import User

        from complaints.tasks import notify_agency_task
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
        # After commit: the officers' notification, and the reporter's e-mail (an address was given).
        assert len(callbacks) == 2
        notify_agency_task(complaint_id=complaint.pk, agency_id=tree["dinkes"].pk)
        (message,) = mailoutbox
        assert message.bcc == ["dinkes@example.go.id"]
        assert complaint.tracking_number in message.subject
        text = message.body + message.alternatives[0][0]
        assert "Nama Rahasia" not in text and "rahasia@example.id" not in text
