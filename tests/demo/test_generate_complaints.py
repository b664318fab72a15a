"""Synthetic reports (``manage.py generate_complaints``): every report's rows agree with one
another the way the services would have written them, the real services accept the state they
leave, and a seed gives the same reports again."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from complaints import deadlines, workflow
from complaints import services as complaint_services
from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    STAFF_CHANNELS,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Channel,
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    Dispute,
    Rating,
    Reporter,
    Response,
    TransferRequest,
)
from complaints.selectors import search_complaints
from demo.hierarchy import seed_demo_hierarchy
from demo.synthetic import CHANNEL_WEIGHTS, GenerationResult, generate_complaints
from lapor.lib.tracking import TRACKING_NUMBER_RE
from reports.models import MonthlyRecap, month_bounds
from reports.services import build_monthly_recap
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting, Officer, Region
from tests.helpers import NOW, route_fully

Status = Complaint.Status
Event = ComplaintEvent.Type
COUNT = 300


@pytest.fixture
def demo(regions: None, categories: None) -> None:
    seed_demo_hierarchy()


@pytest.fixture
def generated(demo: None) -> GenerationResult:
    # Several batches, so that ids and state carry over from one batch to the next.
    return generate_complaints(count=COUNT, seed=7, now=NOW, batch_size=120)


class Rows:
    """Every row the generator wrote, grouped by report, each group in the order written."""

    def __init__(self) -> None:
        self.complaints = {c.pk: c for c in Complaint.objects.all()}
        self.events: dict[int, list[ComplaintEvent]] = defaultdict(list)
        for event in ComplaintEvent.objects.order_by("complaint_id", "created_at", "pk"):
            self.events[event.complaint_id].append(event)
        self.dispositions: dict[int, list[Disposition]] = defaultdict(list)
        for disposition in Disposition.objects.order_by("complaint_id", "sequence"):
            self.dispositions[disposition.complaint_id].append(disposition)
        self.responses: dict[int, list[Response]] = defaultdict(list)
        for response in Response.objects.order_by("pk"):
            self.responses[response.complaint_id].append(response)


@pytest.fixture
def rows(generated: GenerationResult) -> Rows:
    return Rows()


@pytest.mark.django_db
class TestGeneratedReports:
    def test_writes_the_count_asked_for(self, generated: GenerationResult, rows: Rows) -> None:
        assert generated.count == len(rows.complaints) == COUNT
        assert sum(generated.statuses.values()) == COUNT
        assert Reporter.objects.filter(complaint_id__in=rows.complaints).count() == COUNT

    def test_holder_and_step_are_the_last_disposition(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            dispositions = rows.dispositions[pk]
            assert [d.sequence for d in dispositions] == list(range(1, len(dispositions) + 1))
            assert complaint.routing_step == len(dispositions)
            if not dispositions:  # still being routed from the central queue
                assert complaint.status == Status.SUBMITTED
                assert complaint.current_agency_id is None
                continue
            last = dispositions[-1]
            assert complaint.current_agency_id == last.to_agency_id
            for before, after in itertools.pairwise(dispositions):
                assert after.from_agency_id == before.to_agency_id

    def test_status_is_the_end_of_the_event_chain(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            events = rows.events[pk]
            assert events[0].type == Event.SUBMITTED
            assert (events[0].from_status, events[0].to_status) == ("", Status.SUBMITTED)
            assert (events[0].from_holder_id, events[0].from_due_at) == (None, None)
            # Each event keeps the state before it: the previous event's state after it.
            for before, after in itertools.pairwise(events):
                assert (after.from_status, after.from_holder_id, after.from_due_at) == (
                    before.to_status,
                    before.holder_id,
                    before.due_at,
                ), (complaint, after.type)
            assert [e.pk for e in events] == sorted(e.pk for e in events)
            last = events[-1]
            assert last.to_status == complaint.status
            # Every event keeps the state after it, as the services record it.
            assert last.holder_id == complaint.current_agency_id
            assert last.due_at == complaint.due_at

    def test_answers_are_completed_rated_and_disputed(self, rows: Rows) -> None:
        kinds = Counter(e.type for events in rows.events.values() for e in events)
        assert kinds[Event.COMPLETED] and kinds[Event.AUTO_COMPLETED] and kinds[Event.RATED]
        assert kinds[Event.DISPUTED]
        for pk, complaint in rows.complaints.items():
            types = [e.type for e in rows.events[pk]]
            if complaint.status == Status.COMPLETED:
                assert types[-1] in (Event.COMPLETED, Event.AUTO_COMPLETED, Event.RATED)
            if Event.RATED in types:
                assert Rating.objects.filter(complaint_id=pk).count() == types.count(Event.RATED)
            assert Dispute.objects.filter(complaint_id=pk).count() == types.count(Event.DISPUTED)

    def test_answers_keep_the_facts_of_their_moment(self, rows: Rows) -> None:
        """As ``respond_to_complaint`` writes them: the agency's first final answer to the
        report, when the report first reached that agency (its event marked ``reached``), and
        the completion deadline from then."""
        firsts = 0
        for pk in rows.complaints:
            answers = sorted(rows.responses[pk], key=lambda r: (r.created_at, r.pk))
            reached = {}
            for event in sorted(rows.events[pk], key=lambda e: e.pk):
                if event.reached:
                    assert event.holder_id not in reached  # once per report and agency
                    reached[event.holder_id] = event.created_at
            seen: set[int] = set()
            for answer in answers:
                assert answer.is_final
                assert answer.is_first == (answer.agency_id not in seen)
                seen.add(answer.agency_id)
                firsts += answer.is_first
                if not answer.is_first:
                    continue
                assert answer.reached_at == reached[answer.agency_id]
                assert answer.due_first == routing_selectors.due_at(
                    start=answer.reached_at,
                    step=DeadlineSetting.Step.COMPLETION,
                    kind=rows.complaints[pk].kind,
                )
        assert firsts > 0

    def test_events_mark_the_first_reach_as_the_workflow_does(self, rows: Rows) -> None:
        """The generator's ``reached`` marks are those ``ComplaintEvent.objects.record``
        writes: the first event that leaves the report with a holder under a deadline."""
        marked = 0
        for pk in rows.complaints:
            holders: set[int] = set()
            for event in sorted(rows.events[pk], key=lambda e: e.pk):
                expected = (
                    event.holder_id is not None
                    and event.to_status in workflow.DEADLINE
                    and (
                        event.from_holder_id != event.holder_id
                        or event.from_status not in workflow.DEADLINE
                    )
                    and event.holder_id not in holders
                )
                assert event.reached == expected, (pk, event.type)
                if expected:
                    holders.add(event.holder_id)
                    marked += 1
        assert marked > 0

    def test_missed_deadlines_say_whether_the_agency_never_answered(self, rows: Rows) -> None:
        flagged = 0
        for pk in rows.complaints:
            answered = [(a.agency_id, a.created_at) for a in rows.responses[pk]]
            once: set[int] = set()
            for breach in DeadlineBreach.objects.filter(complaint_id=pk).order_by("created_at"):
                never = not any(
                    agency == breach.agency_id and at < breach.created_at for agency, at in answered
                )
                assert breach.unanswered == (never and breach.agency_id not in once)
                if breach.unanswered:
                    once.add(breach.agency_id)
                    flagged += 1
        assert flagged > 0

    def test_events_follow_one_another_in_time(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            events = rows.events[pk]
            assert events[0].created_at == complaint.submitted_at
            by_pk = sorted(events, key=lambda e: e.pk)
            assert [e.created_at for e in by_pk] == sorted(e.created_at for e in events)
            assert all(e.created_at <= NOW for e in events)

    def test_each_disposition_has_its_event(self, rows: Rows) -> None:
        for pk in rows.complaints:
            numbered = {
                e.data["disposition"]: e for e in rows.events[pk] if "disposition" in e.data
            }
            assert sorted(numbered) == [d.sequence for d in rows.dispositions[pk]]
            for disposition in rows.dispositions[pk]:
                event = numbered[disposition.sequence]
                assert event.created_at == disposition.created_at
                assert event.data["agency_id"] == disposition.to_agency_id
                assert event.data["from_agency_id"] == disposition.from_agency_id

    def test_events_name_their_agency(self, rows: Rows) -> None:
        names = dict(Agency.objects.values_list("pk", "name"))
        for events in rows.events.values():
            for event in events:
                if event.type in (Event.SUBMITTED, Event.RATED):  # as the services write them
                    continue
                assert event.data["agency_name"] == names[event.data["agency_id"]]

    def test_version_counts_the_changes(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            unchanged = (Event.SUBMITTED, Event.NOTE, Event.RATED)
            changes = [e for e in rows.events[pk] if e.type not in unchanged]
            assert complaint.version == len(changes)

    def test_moved_at_is_the_last_move(self, rows: Rows) -> None:
        moves = {
            Event.ROUTED, Event.DISPOSED, Event.AWAITING_VERIFICATION, Event.ESCALATED,
            Event.TRANSFER_REQUESTED, Event.PASSED_UP, Event.SUBMITTED, Event.DISPUTED,
        }  # fmt: skip
        for pk, complaint in rows.complaints.items():
            last_move = [e for e in rows.events[pk] if e.type in moves][-1]
            assert complaint.moved_at == last_move.created_at

    def test_deadlines_are_those_of_the_services(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            assert complaint.due_at is not None and complaint.due_at.tzinfo is not None
            dispositions, events = rows.dispositions[pk], rows.events[pk]
            if complaint.status == Status.DISPOSED:
                start, step = dispositions[-1].created_at, "FIRST_RESPONSE"
            elif complaint.status == Status.IN_PROGRESS:
                start, step = dispositions[-1].created_at, "COMPLETION"
            elif complaint.status == Status.RESPONDED:
                start, step = events[-1].created_at, "CITIZEN_REPLY"
            else:
                continue
            expected = routing_selectors.due_at(start=start, step=step, kind=complaint.kind)
            assert complaint.due_at == expected

    def test_answered_reports_have_their_answer(self, rows: Rows) -> None:
        for pk, complaint in rows.complaints.items():
            answered = [e for e in rows.events[pk] if e.type == Event.RESPONDED]
            assert [e.data["response_id"] for e in answered] == [r.pk for r in rows.responses[pk]]
            if complaint.status in (Status.RESPONDED, Status.COMPLETED):
                assert answered
                assert rows.responses[pk][-1].agency_id == complaint.current_agency_id

    def test_breaches_are_on_the_escalated_disposition(self, rows: Rows) -> None:
        breaches = list(DeadlineBreach.objects.select_related("disposition"))
        assert breaches, "300 reports should include some missed deadlines"
        for breach in breaches:
            after = rows.dispositions[breach.complaint_id][breach.disposition.sequence]
            assert after.kind == Disposition.Kind.ESCALATE
            assert after.from_agency_id == breach.agency_id == breach.disposition.to_agency_id
            assert breach.due_at < breach.created_at == after.created_at

    def test_transfers_go_back_to_the_coordinator_and_are_decided_later(self, rows: Rows) -> None:
        for transfer in TransferRequest.objects.select_related("from_agency"):
            returns = [
                d
                for d in rows.dispositions[transfer.complaint_id]
                if d.kind == Disposition.Kind.RETURN and d.created_at == transfer.created_at
            ]
            assert len(returns) == 1
            assert returns[0].to_agency_id == transfer.from_agency.parent_id
            complaint = rows.complaints[transfer.complaint_id]
            if transfer.decided_at is None:
                assert complaint.status == Status.AWAITING_VERIFICATION
            else:
                assert transfer.decided_at > transfer.created_at

    def test_texts_people_and_numbers(self, rows: Rows) -> None:
        numbers = [c.tracking_number for c in rows.complaints.values()]
        assert len(set(numbers)) == len(numbers)
        assert all(TRACKING_NUMBER_RE.match(n) for n in numbers)
        for complaint in rows.complaints.values():
            assert TITLE_MIN_LENGTH <= len(complaint.title) <= TITLE_MAX_LENGTH
            assert DESCRIPTION_MIN_LENGTH <= len(complaint.description) <= DESCRIPTION_MAX_LENGTH
            assert complaint.incident_date <= complaint.submitted_at.date() + dt.timedelta(days=1)
            assert NOW - complaint.submitted_at < dt.timedelta(days=740)
        anonymous = sum(c.is_anonymous for c in rows.complaints.values())
        assert 0.2 * COUNT < anonymous < 0.4 * COUNT
        assert not Reporter.objects.exclude(email="").exclude(
            email__regex=r"@example\.(com|net|org)$"
        )
        assert not Reporter.objects.exclude(phone="").exists()

    def test_reports_lie_in_the_demo_province(self, rows: Rows) -> None:
        regions = Region.objects.in_bulk([c.region_id for c in rows.complaints.values()])
        assert {r.province_code for r in regions.values()} == {"64"}
        assert all(
            r.level in (Region.Level.REGENCY, Region.Level.DISTRICT) for r in regions.values()
        )

    def test_a_mix_of_paths(self, generated: GenerationResult) -> None:
        assert generated.statuses.get(Status.COMPLETED, 0) > COUNT / 2
        assert generated.statuses.get(Status.ARCHIVED, 0) > 0
        open_ = sum(generated.statuses.get(s, 0) for s in (Status.DISPOSED, Status.IN_PROGRESS))
        assert open_ > 0

    def test_the_demo_opd_sees_its_reports(self, rows: Rows) -> None:
        user = User.objects.get(username="dinkes.samarinda")
        agency = Agency.objects.get(code="dinkes-64-72")
        visible = Complaint.objects.visible_to(user)
        assert visible.exists()
        assert visible.count() < len(rows.complaints)
        assert visible.filter(current_agency=agency).exists()


@pytest.mark.django_db
class TestChannels:
    def test_a_realistic_mix_of_channels(self, rows: Rows) -> None:
        mix = Counter(c.channel for c in rows.complaints.values())
        assert set(mix) <= {channel for channel, _weight in CHANNEL_WEIGHTS}
        assert 0.45 * COUNT < mix[Channel.WEB] < 0.65 * COUNT
        assert 0.05 * COUNT < mix[Channel.EMAIL] < 0.2 * COUNT
        staff = sum(mix[c] for c in STAFF_CHANNELS)
        assert 0.15 * COUNT < staff < 0.35 * COUNT
        assert len(mix) >= 7  # Open311 and social media are 3 in 100: most of them show up

    def test_staff_channels_are_recorded_by_an_officer_of_the_route(self, rows: Rows) -> None:
        """``complaint_entered_by_staff_channel`` holds (the database would refuse the rows
        otherwise); the officer is one of the OPD the rules hand the report to or of a
        coordinator of its regency/city, province or the nation, and the report's first event
        is theirs."""
        officers = dict(Officer.objects.values_list("user_id", "agency_id"))
        national = routing_selectors.get_national_coordinator()
        recorded = [c for c in rows.complaints.values() if c.channel in STAFF_CHANNELS]
        assert recorded
        for complaint in recorded:
            routed = {
                d.to_agency_id
                for d in rows.dispositions[complaint.pk]
                if d.kind == Disposition.Kind.ROUTE
            }
            coordinators = {
                national.pk,
                routing_selectors.get_coordinator(Agency.Level.PROVINCE, "64").pk,
                routing_selectors.get_coordinator(
                    Agency.Level.REGENCY, complaint.region.regency_code
                ).pk,
            }
            if complaint.status != Status.SUBMITTED:  # its route is known
                assert officers[complaint.entered_by_id] in routed | coordinators
            submitted = rows.events[complaint.pk][0]
            assert submitted.actor_id == complaint.entered_by_id
            assert submitted.data["channel"] == complaint.channel
            assert submitted.data["reporter_chose"] == {
                "anonymous": complaint.is_anonymous,
                "confidential": complaint.is_confidential,
            }
            local = timezone.localtime(complaint.submitted_at)
            assert local.weekday() < 5 and 8 <= local.hour < 16, local
        for complaint in rows.complaints.values():
            if complaint.channel not in STAFF_CHANNELS:
                assert complaint.entered_by_id is None
                assert rows.events[complaint.pk][0].actor_id is None
                assert rows.events[complaint.pk][0].data["channel"] == complaint.channel

    def test_the_recap_counts_them(self, generated: GenerationResult) -> None:
        """A month of synthetic reports built: every row's channels add up to its received,
        and the nation's are the month's reports by channel."""
        build_monthly_recap(month=dt.date(2026, 10, 1), now=NOW)
        rows = MonthlyRecap.objects.filter(month=dt.date(2026, 10, 1))
        for row in rows:
            assert sum(row.received_by_channel.values()) == row.received, row
        nation = rows.get(level=MonthlyRecap.Level.NATION)
        start, cut = month_bounds(dt.date(2026, 10, 1), timezone.get_default_timezone())
        filed = Counter(
            Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=cut).values_list(
                "channel", flat=True
            )
        )
        assert nation.received_by_channel == dict(filed) and nation.received > 0
        assert any(row.received_by_channel.get(c) for row in rows for c in STAFF_CHANNELS)


@pytest.mark.django_db
class TestOverdue:
    def test_some_open_reports_are_overdue_where_the_sweep_has_not_been(self, demo: None) -> None:
        generate_complaints(count=2000, seed=7, now=NOW)
        overdue = Complaint.objects.overdue(NOW)
        assert overdue.exists()
        for complaint in overdue.select_related("current_agency"):
            # Not escalated from where it is: no breach on the disposition that put it there.
            assert not DeadlineBreach.objects.filter(
                complaint=complaint, disposition__sequence=complaint.routing_step
            ).exists()


@pytest.mark.django_db
class TestAgreesWithTheServices:
    def test_the_automatic_path_is_route_steps(
        self, generated: GenerationResult, submit: Callable[..., Any]
    ) -> None:
        """A new report of the same category and region, routed by the real ``route_step``,
        takes the same hand-overs and stops where the generated one stopped."""
        seen: set[tuple[int, str]] = set()
        for complaint in Complaint.objects.exclude(status=Status.SUBMITTED).select_related(
            "region"
        ):
            key = (complaint.category_id, complaint.region.regency_code or "")
            if key in seen:
                continue
            seen.add(key)
            routed = list(
                complaint.dispositions.filter(kind=Disposition.Kind.ROUTE)
                .order_by("sequence")
                .values_list("to_agency_id", flat=True)
            )
            first_stop = complaint.events.exclude(
                type__in=[Event.SUBMITTED, Event.ROUTED]
            ).order_by("created_at", "pk")[0]
            fresh = route_fully(
                submit(category=complaint.category, region=complaint.region).complaint
            )
            assert (
                list(fresh.dispositions.order_by("sequence").values_list("to_agency_id", flat=True))
                == routed
            )
            assert (fresh.status, fresh.current_agency_id) == (
                first_stop.to_status,
                first_stop.data["agency_id"],
            )
        assert len(seen) > 10

    def test_the_services_take_over_where_the_walk_stopped(
        self, generated: GenerationResult
    ) -> None:
        last_generated = Disposition.objects.order_by("-pk").values_list("pk", flat=True)[0]
        disposed = Complaint.objects.filter(status=Status.DISPOSED).select_related("current_agency")
        complaint = disposed.first()
        assert complaint is not None and complaint.current_agency is not None
        complaint_services.acknowledge_complaint(
            complaint_id=complaint.pk,
            agency=complaint.current_agency,
            actor=None,
            now=NOW,
            expected_version=complaint.version,
        )
        complaint.refresh_from_db()
        assert complaint.status == Status.IN_PROGRESS
        # The escalation sweep finds the current disposition where it expects it.
        assert complaint.due_at is not None
        moved = deadlines.escalate_complaint(
            complaint_id=complaint.pk, now=complaint.due_at + dt.timedelta(seconds=1)
        )
        assert moved is not None and moved.sequence == complaint.routing_step + 1
        # Ids came after the sequence's (or the table's) last: the service's row gets a new one.
        assert moved.pk > last_generated

    def test_a_submission_afterwards_gets_a_fresh_id(
        self, generated: GenerationResult, submit: Callable[..., Any]
    ) -> None:
        receipt = submit()
        assert receipt.complaint.pk > max(
            Complaint.objects.exclude(pk=receipt.complaint.pk).values_list("pk", flat=True)
        )


def snapshot() -> list[tuple[Any, ...]]:
    """What a run wrote, without the ids the database handed out."""
    reports = []
    for complaint in Complaint.objects.order_by("tracking_number"):
        events = [
            (e.type, e.from_status, e.to_status, e.created_at, e.data.get("agency_id"))
            for e in complaint.events.order_by("created_at", "pk")
        ]
        reports.append(
            (
                complaint.tracking_number, complaint.title, complaint.description,
                complaint.status, complaint.due_at, complaint.current_agency_id,
                complaint.version, complaint.reporter.email, complaint.channel,
                complaint.entered_by_id, events,
            )
        )  # fmt: skip
    return reports


@pytest.mark.django_db
class TestSeed:
    def test_the_same_seed_gives_the_same_reports(self, demo: None) -> None:
        generate_complaints(count=80, seed=11, now=NOW, batch_size=50)
        first = snapshot()
        Complaint.objects.all().delete()
        generate_complaints(count=80, seed=11, now=NOW, batch_size=50)
        assert snapshot() == first

    def test_another_seed_gives_other_reports(self, demo: None) -> None:
        generate_complaints(count=20, seed=1, now=NOW)
        first = snapshot()
        Complaint.objects.all().delete()
        generate_complaints(count=20, seed=2, now=NOW)
        assert snapshot() != first

    def test_the_same_seed_again_appends_other_numbers(self, demo: None) -> None:
        generate_complaints(count=30, seed=5, now=NOW)
        generate_complaints(count=30, seed=5, now=NOW)
        numbers = list(Complaint.objects.values_list("tracking_number", flat=True))
        assert len(numbers) == len(set(numbers)) == 60


@pytest.mark.django_db
class TestCommand:
    def test_appends_and_reports_what_it_wrote(self, demo: None) -> None:
        out = io.StringIO()
        call_command(
            "generate_complaints", "--count", "25", "--seed", "3", "--no-progress", stdout=out
        )
        call_command("generate_complaints", "--count", "25", "--no-progress", stdout=out)
        assert Complaint.objects.count() == 50
        assert "25 reports (seed 3)" in out.getvalue()

    def test_refuses_without_the_demo_hierarchy(self, regions: None, categories: None) -> None:
        with pytest.raises(CommandError, match="seed_demo"):
            call_command("generate_complaints", "--count", "5", "--no-progress")
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize("count", ["0", "-3", "many"])
    def test_refuses_a_count_that_is_not_positive(self, demo: None, count: str) -> None:
        with pytest.raises(CommandError):
            call_command("generate_complaints", "--count", count)


@pytest.mark.postgres
@pytest.mark.django_db
class TestOnPostgres:
    def test_full_text_search_finds_the_generated_words(self, generated: GenerationResult) -> None:
        found = search_complaints(Complaint.objects.all(), "puskesmas")
        assert 0 < found.count() < COUNT
        assert all("uskesmas" in f"{c.title} {c.description}" for c in found)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestOnPostgresOutsideATransaction:
    def test_a_writer_thread_writes_every_batch(self, demo: None) -> None:
        """Outside a caller's transaction the batches are written by a thread with its own
        connection while the next is generated; every batch arrives, and whole."""
        written: list[int] = []
        generate_complaints(count=250, seed=9, now=NOW, batch_size=60, progress=written.append)
        assert written == [60, 60, 60, 60, 10]
        rows = Rows()
        assert len(rows.complaints) == 250
        assert Reporter.objects.count() == 250
        for pk, complaint in rows.complaints.items():
            assert complaint.routing_step == len(rows.dispositions[pk])
            last_event = rows.events[pk][-1]
            assert last_event.to_status in (complaint.status, Status.RESPONDED)
