"""Building the monthly recaps (``reports.services.build_monthly_recap``).

Every scenario is played event by event through the real services with injected times, and
every figure of every row is checked against counts written out by hand from the scenario: per
agency, and for Kota Samarinda (64.72), Kalimantan Timur (64) and the nation as the sums of
those, but for ``received``, which a region counts by the place the report is about.

Calendar used below (Asia/Jakarta, WIB = UTC+7): Mon 2, 9, 16, 23, 30 Nov 2026; Tue 1 Dec,
Mon 7, 14, 21, 28 Dec 2026; Thu 24 and Fri 25 Dec 2026 are holidays (cuti bersama, Christmas).
Deadlines (seeded settings): verification 3, first response 5, completion of a complaint 14,
citizen's reply window 10 working days, counted from the day after the start.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.utils import timezone

from complaints import deadlines, dispatch
from complaints import services as complaint_services
from complaints.models import Complaint, DeadlineBreach, Response
from reports import selectors
from reports.figures import row_values
from reports.models import BUILD_DELAY, COUNTS, MonthlyRecap, RecapBuild
from reports.services import STEPS, build_monthly_recap
from routing import selectors as routing_selectors
from routing.models import Agency, CalendarException, Category, Region, RoutingRule
from tests.helpers import route_fully

pytestmark = pytest.mark.django_db

from tests.helpers import WIB  # noqa: E402

Status = Complaint.Status
Submit = Callable[..., Any]
Tree = dict[str, Agency]

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
CUT_NOV = dt.datetime(2026, 12, 1, 0, 0, tzinfo=WIB)  # the first instant of December
CUT_DEC = dt.datetime(2027, 1, 1, 0, 0, tzinfo=WIB)
BUILT_AT = dt.datetime(2027, 1, 15, 9, 0, tzinfo=WIB)

ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
REASON = "Ini kewenangan RSUD Samarinda, bukan Dinas Kesehatan."
DISPUTE = "Puskesmas tetap tutup pukul 10 pada hari Selasa, jawaban ini tidak benar."

# Agencies of the ``tree`` fixture by code, and which region rows each one counts in.
AGENCIES = ("nasional", "kaltim", "smd", "dinkes-smd", "rsud-smd", "disdik-kaltim")
IN_SAMARINDA = ("smd", "dinkes-smd", "rsud-smd")
IN_KALTIM = ("kaltim", "disdik-kaltim", *IN_SAMARINDA)


# --- time --------------------------------------------------------------------------------------


def at(month: int, day: int, hour: int = 9, minute: int = 0, *, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


def end_of(month: int, day: int, *, year: int = 2026) -> dt.datetime:
    """A deadline: the end of a working day."""
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=WIB)


# --- the scenario, through the services -------------------------------------------------------


def file(
    submit: Submit,
    when: dt.datetime,
    *,
    category: str = "kesehatan",
    region: str = "64.72.01",
    routed: bool = True,
) -> Complaint:
    """File a report at ``when`` and (unless ``routed`` is False) route it down at once."""
    complaint = submit(
        now=when,
        category=Category.objects.get(code=category),
        region=Region.objects.get(code=region),
        incident_date=timezone.localdate(when),
    ).complaint
    return route_fully(complaint, when) if routed else complaint


def acknowledge(complaint: Complaint, agency: Agency, now: dt.datetime) -> None:
    complaint_services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=agency, actor=None, now=now
    )


def answer(complaint: Complaint, agency: Agency, now: dt.datetime, *, final: bool = True) -> None:
    complaint_services.respond_to_complaint(
        complaint_id=complaint.pk, agency=agency, text=ANSWER, actor=None, now=now, final=final
    )


def give_back(complaint: Complaint, agency: Agency, now: dt.datetime, suggested: Agency) -> None:
    complaint_services.request_transfer(
        complaint_id=complaint.pk,
        agency=agency,
        reason=REASON,
        suggested_agency=suggested,
        actor=None,
        now=now,
    )


def dispose(
    complaint: Complaint, coordinator: Agency, to: Agency, now: dt.datetime, **kwargs: Any
) -> None:
    complaint_services.dispose_complaint(
        complaint_id=complaint.pk,
        coordinator=coordinator,
        to_agency=to,
        actor=None,
        now=now,
        **kwargs,
    )


def dispute(complaint: Complaint, now: dt.datetime) -> None:
    complaint_services.dispute_answer(complaint_id=complaint.pk, reason=DISPUTE, now=now)


def rate(complaint: Complaint, score: int, now: dt.datetime) -> None:
    complaint_services.rate_answer(complaint_id=complaint.pk, score=score, comment="", now=now)


def state(complaint: Complaint) -> tuple[str, str | None, dt.datetime | None]:
    """The report's present status, holder code and deadline."""
    complaint.refresh_from_db()
    holder = complaint.current_agency.code if complaint.current_agency else None
    return complaint.status, holder, complaint.due_at


# --- expected and built figures ---------------------------------------------------------------

STOCK_PARTS = ("queue", "unanswered", "in_process", "awaiting_citizen")


def figures(*, answer_days: dict[str, int] | None = None, **counts: int) -> dict[str, Any]:
    """A row's figures: every count zero unless given (``open``: the sum of its parts), and the
    histogram of working days."""
    unknown = counts.keys() - set(COUNTS)
    assert not unknown, unknown
    row = {**dict.fromkeys(COUNTS, 0), **counts, "answer_days": answer_days or {}}
    row["open"] = sum(row[part] for part in STOCK_PARTS)
    return row


def total(parts: Iterable[dict[str, Any]], received: int) -> dict[str, Any]:
    """The figures of a region: the sum of its agencies' figures, histograms merged, but for
    ``received``: the reports filed about the region."""
    summed = figures()
    for part in parts:
        for name in COUNTS:
            summed[name] += part[name]
        for days, count in part["answer_days"].items():
            summed["answer_days"][days] = summed["answer_days"].get(days, 0) + count
    summed["received"] = received
    return summed


def build(month: dt.date, now: dt.datetime = BUILT_AT, **kwargs: Any) -> list[MonthlyRecap]:
    return build_monthly_recap(month=month, now=now, **kwargs)


def key(row: MonthlyRecap) -> tuple[str, str]:
    """(level, agency code or region code; "" for the nation)."""
    return row.level, row.agency.code if row.agency_id else row.region_id or ""


def saved_rows(month: dt.date) -> dict[tuple[str, str], MonthlyRecap]:
    rows = MonthlyRecap.objects.filter(month=month).select_related("agency").order_by("pk")
    found = {key(row): row for row in rows}
    assert len(found) == len(rows), "two rows for one scope"
    return found


def row_figures(row: MonthlyRecap) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in COUNTS}, "answer_days": row.answer_days}


def assert_month(
    month: dt.date,
    expected: dict[str, dict[str, Any]],
    received: dict[str, int],
    extra_agencies: tuple[str, ...] = (),
    regions: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """The saved rows of ``month`` are one per agency of the tree (with the ``expected``
    figures, zero for agencies not named), Samarinda, Kaltim and the nation (the sums of their
    agencies, with ``received`` by region code, "" the nation), and a row for any other region
    named in ``received``."""
    codes = (*AGENCIES, *extra_agencies)
    assert expected.keys() <= set(codes)
    agencies = {code: expected.get(code, figures()) for code in codes}
    wanted = {("AGENCY", code): agencies[code] for code in codes}
    members = {"64.72": IN_SAMARINDA, "64": (*IN_KALTIM, *extra_agencies), **(regions or {})}
    for code in {*members, *received} - {""}:
        level = "PROVINCE" if "." not in code else "REGENCY"
        wanted[level, code] = total(
            (agencies[a] for a in members.get(code, ())), received.get(code, 0)
        )
    wanted["NATION", ""] = total(agencies.values(), received.get("", 0))
    actual = {scope: row_figures(row) for scope, row in saved_rows(month).items()}
    assert actual.keys() == wanted.keys()
    # (built, expected) of every figure that differs, by row: readable when it fails.
    differences = {
        scope: {
            name: (actual[scope][name], value)
            for name, value in wanted[scope].items()
            if actual[scope][name] != value
        }
        for scope in wanted
    }
    assert {scope: diff for scope, diff in differences.items() if diff} == {}


FROZEN_FIELDS = [
    f.attname for f in MonthlyRecap._meta.concrete_fields if f.name not in ("id", "built_at")
]


def frozen(month: dt.date) -> list[dict[str, Any]]:
    """Every saved field of a month's rows but the id and the build time, in a fixed order."""
    return sorted(
        MonthlyRecap.objects.filter(month=month).values(*FROZEN_FIELDS),
        key=lambda r: (r["level"], r["agency_id"] or 0, r["region_id"] or ""),
    )


def sweep(now: dt.datetime) -> int:
    """Beat's escalation sweep at ``now``: how many reports it moved up."""
    return deadlines.escalate_overdue(now=now)


# --- scenario 1: November in every state ------------------------------------------------------


@pytest.fixture
def november(tree: Tree, submit: Submit) -> dict[str, Complaint]:
    """Reports of November 2026 (and one of October), each in a different state at the cut-off.
    Events after the cut-off here are only those of reports filed or routed from 1 Dec."""
    dinkes, kaltim, disdik = tree["dinkes"], tree["kaltim"], tree["disdik"]
    r: dict[str, Complaint] = {}

    # October, never touched: still DISPOSED at Dinkes, its deadline long gone.
    r["october"] = file(submit, at(10, 20))
    assert state(r["october"]) == (Status.DISPOSED, "dinkes-smd", end_of(10, 27))

    # Completed: answered Fri 6 Nov (4 working days after Mon 2 Nov), accepted Mon 9 Nov.
    r["completed"] = file(submit, at(11, 2))
    acknowledge(r["completed"], dinkes, at(11, 2, 14))
    answer(r["completed"], dinkes, at(11, 6, 10))
    complaint_services.accept_answer(complaint_id=r["completed"].pk, now=at(11, 9))
    assert state(r["completed"])[:2] == (Status.COMPLETED, "dinkes-smd")

    # Education about a Samarinda school, to the provincial Disdik, taken up; completion due
    # Fri 20 Nov: overdue.
    r["disdik"] = file(submit, at(11, 2), category="pendidikan")
    acknowledge(r["disdik"], disdik, at(11, 3))
    assert state(r["disdik"]) == (Status.IN_PROGRESS, "disdik-kaltim", end_of(11, 20))

    # Answered Thu 5 Nov (2 working days after Tue 3 Nov); the reply window (to 19 Nov) has
    # passed but the sweep that completes it has not run: still awaiting the reporter.
    r["answered"] = file(submit, at(11, 3))
    answer(r["answered"], dinkes, at(11, 5, 10))
    assert state(r["answered"]) == (Status.RESPONDED, "dinkes-smd", end_of(11, 19))

    # No rule for social affairs: waits at Kaltim, which archives it.
    r["archived"] = file(submit, at(11, 10), category="sosial")
    complaint_services.archive_complaint(
        complaint_id=r["archived"].pk,
        coordinator=kaltim,
        reason="Laporan ganda, sudah ditangani.",
        actor=None,
        now=at(11, 11),
    )
    assert state(r["archived"])[:2] == (Status.ARCHIVED, "kaltim")

    # Taken up Tue 17 Nov; completion due Fri 4 Dec: in process, not overdue.
    r["acknowledged"] = file(submit, at(11, 16))
    acknowledge(r["acknowledged"], dinkes, at(11, 17))
    assert state(r["acknowledged"]) == (Status.IN_PROGRESS, "dinkes-smd", end_of(12, 4))

    # From Jakarta, where no coordinator is: waits at the national queue, due Wed 25 Nov.
    r["national"] = file(submit, at(11, 20), region="31.71.01")
    assert state(r["national"]) == (Status.AWAITING_VERIFICATION, "nasional", end_of(11, 25))

    # Routing stalled after its first step: SUBMITTED at Kaltim (a report being routed is not
    # overdue, and has not reached anyone to act on); it moves on only on 1 Dec.
    r["stalled"] = file(submit, at(11, 20), routed=False)
    dispatch.route_step(complaint_id=r["stalled"].pk, step=0, now=at(11, 20))
    assert state(r["stalled"]) == (Status.SUBMITTED, "kaltim", end_of(11, 25))

    # Untouched since it reached Dinkes on Wed 25 Nov; due Wed 2 Dec.
    r["untouched"] = file(submit, at(11, 25))
    assert state(r["untouched"]) == (Status.DISPOSED, "dinkes-smd", end_of(12, 2))

    # Still being routed at midnight: nobody holds it at the end of November.
    r["unrouted"] = file(submit, at(11, 30, 23), routed=False)

    # The last second of November, and the first instant of December.
    r["last_second"] = file(submit, dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB))
    r["first_instant"] = file(submit, CUT_NOV)

    # On 1 Dec the stalled and the unrouted reports reach Dinkes.
    route_fully(r["unrouted"], at(12, 1, 8))
    route_fully(r["stalled"], at(12, 1, 10))
    assert state(r["unrouted"])[:2] == state(r["stalled"])[:2] == (Status.DISPOSED, "dinkes-smd")
    return r


NOVEMBER = {
    "dinkes-smd": figures(
        received=5,  # completed, answered, acknowledged, untouched, last_second reached it
        first_answers=2,
        answered_on_time=2,
        answer_days={"4": 1, "2": 1},
        completed=1,
        unanswered=3,  # october, untouched, last_second
        in_process=1,  # acknowledged
        awaiting_citizen=1,  # answered
        overdue=1,  # october
    ),
    # archived reached it (the stalled report was only passing through); stalled at midnight.
    "kaltim": figures(received=1, archived=1, queue=1),
    "disdik-kaltim": figures(received=1, in_process=1, overdue=1),
    "nasional": figures(received=1, queue=1, overdue=1),
}
# Every report filed in November, by the place it is about: the stalled and the unrouted ones
# too, and the education report Disdik Kaltim handles is about Samarinda.
NOVEMBER_RECEIVED = {"64.72": 9, "64": 9, "31.71": 1, "31": 1, "": 10}
DKI = {"31.71": (), "31": ()}


class TestNovember:
    def test_every_figure_of_every_row(self, november: dict[str, Complaint]) -> None:
        build(NOV)
        assert_month(NOV, NOVEMBER, NOVEMBER_RECEIVED, regions=DKI)

    def test_the_nation_received_every_report_filed_in_the_month(
        self, november: dict[str, Complaint]
    ) -> None:
        build(NOV)
        filed = Complaint.objects.filter(submitted_at__gte=at(11, 1, 0), submitted_at__lt=CUT_NOV)
        nation = saved_rows(NOV)["NATION", ""]
        assert nation.received == filed.count() == 10

    def test_built_half_an_hour_after_the_month_ends_as_beat_does(
        self, november: dict[str, Complaint]
    ) -> None:
        rows = build(NOV, now=CUT_NOV + BUILD_DELAY)
        assert BUILD_DELAY == dt.timedelta(minutes=30)
        assert {row.built_at for row in rows} == {CUT_NOV + BUILD_DELAY}
        assert_month(NOV, NOVEMBER, NOVEMBER_RECEIVED, regions=DKI)

    def test_earlier_is_refused_and_nothing_is_written(
        self, november: dict[str, Complaint]
    ) -> None:
        for now in (CUT_NOV - dt.timedelta(microseconds=1), CUT_NOV + dt.timedelta(minutes=29)):
            with pytest.raises(ValueError, match="ended"):
                build(NOV, now=now)
        assert not MonthlyRecap.objects.filter(month=NOV).exists()

    def test_an_answer_at_the_first_instant_of_the_next_month_belongs_to_it(
        self, november: dict[str, Complaint], tree: Tree
    ) -> None:
        answer(november["untouched"], tree["dinkes"], CUT_NOV)
        build(NOV)
        assert_month(NOV, NOVEMBER, NOVEMBER_RECEIVED, regions=DKI)
        build(DEC)
        dinkes = saved_rows(DEC)["AGENCY", "dinkes-smd"]
        # Reached it Wed 25 Nov, answered Tue 1 Dec: Thu 26, Fri 27, Mon 30, Tue 1.
        assert (dinkes.first_answers, dinkes.answered_on_time, dinkes.answer_days) == (
            1,
            1,
            {"4": 1},
        )

    def test_october(self, november: dict[str, Complaint]) -> None:
        build(OCT)
        assert_month(
            OCT,
            {"dinkes-smd": figures(received=1, unanswered=1, overdue=1)},
            {"64.72": 1, "64": 1, "": 1},
        )

    def test_a_rebuild_after_later_changes_gives_the_same_rows(
        self, november: dict[str, Complaint], tree: Tree
    ) -> None:
        build(NOV, now=at(12, 1, 1))
        first = frozen(NOV)
        dinkes = tree["dinkes"]
        # December: answers, a completion, a new report, and a sweep that (after an outage)
        # escalates the deadlines missed in October and November only now.
        answer(november["untouched"], dinkes, at(12, 2))
        answer(november["last_second"], dinkes, at(12, 3), final=False)
        complaint_services.accept_answer(complaint_id=november["answered"].pk, now=at(12, 3))
        # Overdue on Wed 9 Dec: october (27 Oct), disdik (20 Nov), acknowledged (4 Dec), and the
        # three that reached Dinkes on 1 Dec (8 Dec); the national queue has no level above.
        assert sweep(at(12, 9)) == 6
        file(submit_again(november), at(12, 10))
        build(NOV)
        assert frozen(NOV) == first
        # The late sweep's missed deadlines count in December, the month they were recorded.
        build(DEC)
        december = saved_rows(DEC)
        assert december["AGENCY", "dinkes-smd"].escalations == 5  # october's of 27 Oct too
        assert december["AGENCY", "disdik-kaltim"].escalations == 1  # of 20 Nov

    def test_hears_every_step_in_order_and_the_rows_are_saved_at_the_last(
        self, november: dict[str, Complaint]
    ) -> None:
        heard: list[tuple[str, int]] = []

        def progress(step: str) -> None:
            heard.append((step, MonthlyRecap.objects.filter(month=NOV).count()))

        build(NOV, progress=progress)
        assert [step for step, _ in heard] == list(STEPS) == ["states", "answers", "flows", "save"]
        # Six agencies, Samarinda, Kaltim, Jakarta and DKI, and the nation.
        assert [rows for _, rows in heard] == [0, 0, 0, 11]


def submit_again(november: dict[str, Complaint]) -> Submit:
    """A submit for one more report, as the ``submit`` fixture files them."""

    def _submit(**fields: Any) -> Any:
        from complaints.services import submit_complaint

        defaults = {
            "kind": "COMPLAINT",
            "title": "Jalan berlubang di depan puskesmas",
            "description": "Lubang besar di jalan depan Puskesmas Palaran membahayakan pengendara.",
            "is_anonymous": False,
            "is_confidential": False,
            "reporter_name": "Budi",
            "reporter_email": "",
            "reporter_phone": "",
        }
        return submit_complaint(**{**defaults, **fields})

    return _submit


# --- scenario 2: an agency that ignores everything; escalations across a month's end -----------


@pytest.fixture
def ignored(tree: Tree, submit: Submit) -> dict[str, Complaint]:
    """Three reports nobody answers, escalated by beat's sweep (it runs every 15 minutes; here
    at 00:05 on the day after each deadline) up to the national coordinator."""
    r: dict[str, Complaint] = {}
    # Due Mon 9 Nov at Dinkes, then at Samarinda Fri 13 Nov, then at Kaltim Wed 18 Nov; it
    # waits at the national queue (due Tue 24 Nov), where no sweep can move it.
    r["early"] = file(submit, at(11, 2))
    assert sweep(at(11, 10, 0, 5)) == 1
    assert state(r["early"]) == (Status.AWAITING_VERIFICATION, "smd", end_of(11, 13))
    assert sweep(at(11, 14, 0, 5)) == 1
    assert state(r["early"]) == (Status.AWAITING_VERIFICATION, "kaltim", end_of(11, 18))
    assert sweep(at(11, 19, 0, 5)) == 1
    assert state(r["early"]) == (Status.AWAITING_VERIFICATION, "nasional", end_of(11, 24))
    # Due Mon 30 Nov 23:59:59, one second before the cut-off: escalated at 00:05 on 1 Dec.
    r["late"] = file(submit, at(11, 23))
    assert state(r["late"])[2] == end_of(11, 30)
    # Due Mon 7 Dec: not overdue at the end of November.
    r["fresh"] = file(submit, at(11, 30))
    assert sweep(at(12, 1, 0, 5)) == 1
    assert state(r["late"]) == (Status.AWAITING_VERIFICATION, "smd", end_of(12, 4))
    return r


IGNORED_NOVEMBER = {
    # early, late, fresh reached it; early's and late's deadlines passed in November (late's
    # escalation ran on 1 Dec); at midnight it still held late (overdue) and fresh.
    "dinkes-smd": figures(
        received=3, escalations=2, escalated_unanswered=2, unanswered=2, overdue=1
    ),
    "smd": figures(received=1, escalations=1, escalated_unanswered=1),
    "kaltim": figures(received=1, escalations=1, escalated_unanswered=1),
    "nasional": figures(received=1, queue=1, overdue=1),
}


class TestAnAgencyThatIgnoresEverything:
    def test_november_built_after_the_first_sweep_of_december(
        self, ignored: dict[str, Complaint]
    ) -> None:
        build(NOV, now=at(12, 1, 0, 30))  # beat's monthly build
        assert_month(NOV, IGNORED_NOVEMBER, {"64.72": 3, "64": 3, "": 3})

    def test_let_escalate_is_never_on_time(self, ignored: dict[str, Complaint]) -> None:
        build(NOV, now=at(12, 1, 0, 30))
        rows = saved_rows(NOV)
        for scope in (("AGENCY", "dinkes-smd"), ("REGENCY", "64.72"), ("NATION", "")):
            values = row_values(rows[scope])
            assert values["on_time"] == 0.0, scope
            assert values["median_days"] is None, scope

    def test_december_counts_the_december_deadlines(self, ignored: dict[str, Complaint]) -> None:
        # late: Samarinda's deadline Fri 4 Dec, Kaltim's Wed 9 Dec; fresh: Dinkes' Mon 7 Dec,
        # Samarinda's Fri 11 Dec, Kaltim's Wed 16 Dec.
        for day, moved in ((5, 1), (8, 1), (10, 1), (12, 1), (17, 1)):
            assert sweep(at(12, day, 0, 5)) == moved, day
        assert state(ignored["fresh"])[:2] == (Status.AWAITING_VERIFICATION, "nasional")
        build(DEC, now=at(1, 1, 0, 30, year=2027))
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(escalations=1, escalated_unanswered=1),
                "smd": figures(received=2, escalations=2, escalated_unanswered=2),
                "kaltim": figures(received=2, escalations=2, escalated_unanswered=2),
                # early, late and fresh wait there, every deadline gone by 1 Jan.
                "nasional": figures(received=2, queue=3, overdue=3),
            },
            {},
        )
        # November, rebuilt now, is as it was.
        build(NOV)
        assert_month(NOV, IGNORED_NOVEMBER, {"64.72": 3, "64": 3, "": 3})

    def test_an_agency_that_answered_before_is_not_counted_as_letting_it_escalate(
        self, tree: Tree, submit: Submit
    ) -> None:
        """Answered Wed 4 Nov, disputed, handed back to Dinkes on Thu 5 Nov and left: its
        deadline (Thu 12 Nov) is missed, but Dinkes did answer the report."""
        dinkes, samarinda = tree["dinkes"], tree["samarinda"]
        report = file(submit, at(11, 2))
        answer(report, dinkes, at(11, 4))
        dispute(report, at(11, 4, 15))
        dispose(report, samarinda, dinkes, at(11, 5))
        assert sweep(at(11, 13, 0, 5)) == 1
        build(NOV)
        row = saved_rows(NOV)["AGENCY", "dinkes-smd"]
        assert (row.escalations, row.escalated_unanswered, row.first_answers) == (1, 0, 1)
        breach = DeadlineBreach.objects.get(complaint=report)
        assert breach.unanswered is False


# --- scenario 3: disputes bring an answered report back ----------------------------------------


@pytest.fixture
def disputed(tree: Tree, submit: Submit) -> dict[str, Complaint]:
    dinkes, samarinda = tree["dinkes"], tree["samarinda"]
    r: dict[str, Complaint] = {}
    # Answered Wed 4 Nov, disputed Thu 5 Nov (to Samarinda), handed back to Dinkes Mon 30 Nov
    # (first-response deadline Mon 7 Dec).
    r["back"] = file(submit, at(11, 2))
    answer(r["back"], dinkes, at(11, 4))
    dispute(r["back"], at(11, 5))
    dispose(r["back"], samarinda, dinkes, at(11, 30))
    assert state(r["back"]) == (Status.DISPOSED, "dinkes-smd", end_of(12, 7))
    # Answered Wed 18 Nov, disputed Fri 27 Nov: in Samarinda's queue at midnight (due Wed 2 Dec).
    r["queued"] = file(submit, at(11, 16))
    answer(r["queued"], dinkes, at(11, 18))
    dispute(r["queued"], at(11, 27))
    assert state(r["queued"]) == (Status.IN_PROGRESS, "smd", end_of(12, 2))
    return r


DISPUTED_NOVEMBER = {
    "dinkes-smd": figures(
        received=2,
        first_answers=2,
        answered_on_time=2,
        answer_days={"2": 2},
        disputes=2,
        unanswered=1,  # back: handed to it again, not taken up since
    ),
    # Both reached it when disputed; "queued" waits in its queue, not "in process".
    "smd": figures(received=2, queue=1),
}


class TestDisputes:
    def test_november(self, disputed: dict[str, Complaint]) -> None:
        build(NOV)
        assert_month(NOV, DISPUTED_NOVEMBER, {"64.72": 2, "64": 2, "": 2})

    def test_a_second_answer_is_not_a_first_answer_and_a_coordinators_own_is(
        self, disputed: dict[str, Complaint], tree: Tree
    ) -> None:
        answer(disputed["back"], tree["dinkes"], at(12, 2))
        # Samarinda answers the disputed report itself on Tue 1 Dec: 2 working days after it
        # first reached it (Fri 27 Nov): Mon 30, Tue 1.
        answer(disputed["queued"], tree["samarinda"], at(12, 1))
        build(DEC)
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(awaiting_citizen=1),
                "smd": figures(
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"2": 1},
                    awaiting_citizen=1,
                ),
            },
            {},
        )
        build(NOV)
        assert_month(NOV, DISPUTED_NOVEMBER, {"64.72": 2, "64": 2, "": 2})

    def test_ratings_and_disputes_count_for_the_agency_whose_answer_it_was(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes = tree["dinkes"]
        kept = file(submit, at(11, 2))
        answer(kept, dinkes, at(11, 3))
        rate(kept, 4, at(11, 4))
        other = file(submit, at(11, 2))
        answer(other, dinkes, at(11, 3))
        rate(other, 1, at(12, 1))  # the rating of December
        dispute(other, at(12, 2))
        build(NOV)
        build(DEC)
        november = saved_rows(NOV)["AGENCY", "dinkes-smd"]
        december = saved_rows(DEC)["AGENCY", "dinkes-smd"]
        assert (november.rating_sum, november.rating_count, november.disputes) == (4, 1, 0)
        assert (december.rating_sum, december.rating_count, december.disputes) == (1, 1, 1)
        assert row_values(november)["rating"] == 4.0


# --- scenario 4: interim replies --------------------------------------------------------------


class TestInterimReplies:
    def test_only_a_final_answer_counts_as_the_answer(self, tree: Tree, submit: Submit) -> None:
        dinkes = tree["dinkes"]
        # Interim reply Tue 3 Nov, final answer Tue 10 Nov: 6 working days after Mon 2 Nov.
        settled = file(submit, at(11, 2))
        answer(settled, dinkes, at(11, 3), final=False)
        assert state(settled) == (Status.IN_PROGRESS, "dinkes-smd", end_of(11, 20))
        answer(settled, dinkes, at(11, 10))
        # Two interim replies and no answer by the end of the month: in process.
        pending = file(submit, at(11, 16))
        answer(pending, dinkes, at(11, 18), final=False)
        answer(pending, dinkes, at(11, 23), final=False)
        assert state(pending) == (Status.IN_PROGRESS, "dinkes-smd", end_of(12, 4))
        build(NOV)
        assert_month(
            NOV,
            {
                "dinkes-smd": figures(
                    received=2,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"6": 1},
                    in_process=1,
                    awaiting_citizen=1,
                )
            },
            {"64.72": 2, "64": 2, "": 2},
        )
        assert list(settled.responses.order_by("pk").values_list("is_final", "is_first")) == [
            (False, False),
            (True, True),
        ]

    def test_an_interim_reply_keeps_the_deadline_running(self, tree: Tree, submit: Submit) -> None:
        """Taken up by an interim reply, never answered: escalated at its completion deadline
        (Fri 20 Nov) and counted as let escalate."""
        report = file(submit, at(11, 2))
        answer(report, tree["dinkes"], at(11, 3), final=False)
        answer(report, tree["dinkes"], at(11, 19), final=False)
        assert state(report)[2] == end_of(11, 20)
        assert sweep(at(11, 21)) == 1
        build(NOV)
        row = saved_rows(NOV)["AGENCY", "dinkes-smd"]
        assert (row.first_answers, row.escalated_unanswered, row.escalations) == (0, 1, 1)


# --- scenario 5: how fast, and on time against which deadline ---------------------------------


class TestResponseTime:
    def test_from_the_first_reach_through_escalations_to_the_final_answer(
        self, tree: Tree, submit: Submit
    ) -> None:
        """Reached Dinkes Mon 2 Nov, ignored there and at Samarinda, handed back to Dinkes by
        Kaltim on Mon 23 Nov and answered the next day: 16 working days after the first
        reach, late against the 14 days that applied from it (Fri 20 Nov), though one day
        after the last hand-over."""
        report = file(submit, at(11, 2))
        assert sweep(at(11, 10, 0, 5)) == 1
        assert sweep(at(11, 14, 0, 5)) == 1
        dispose(report, tree["kaltim"], tree["dinkes"], at(11, 23))
        answer(report, tree["dinkes"], at(11, 24))
        build(NOV)
        rows = saved_rows(NOV)
        dinkes = rows["AGENCY", "dinkes-smd"]
        assert (dinkes.first_answers, dinkes.answered_on_time, dinkes.answer_days) == (
            1,
            0,
            {"16": 1},
        )
        assert (dinkes.escalations, dinkes.escalated_unanswered) == (1, 1)
        assert row_values(dinkes)["on_time"] == 0.0
        assert rows["AGENCY", "smd"].escalated_unanswered == 1

    def test_acknowledging_does_not_move_the_yardstick(self, tree: Tree, submit: Submit) -> None:
        """Two reports reached Dinkes Mon 2 Nov and were answered Wed 18 Nov (12 working days),
        one acknowledged first, the other taken up by an interim reply: both are held to the
        same 14 working days from the first reach (Fri 20 Nov)."""
        dinkes = tree["dinkes"]
        one = file(submit, at(11, 2))
        acknowledge(one, dinkes, at(11, 3))
        two = file(submit, at(11, 2))
        answer(two, dinkes, at(11, 4), final=False)
        answer(one, dinkes, at(11, 18))
        answer(two, dinkes, at(11, 18))
        facts = set(Response.objects.filter(is_first=True).values_list("reached_at", "due_first"))
        assert facts == {(at(11, 2), end_of(11, 20))}
        build(NOV)
        dinkes_row = saved_rows(NOV)["AGENCY", "dinkes-smd"]
        assert (dinkes_row.answered_on_time, dinkes_row.answer_days) == (2, {"12": 2})

    def test_working_days_skip_weekends_and_holidays_on_local_dates(
        self, tree: Tree, submit: Submit
    ) -> None:
        """Reached Wed 23 Dec at 23:30 WIB (16:30 UTC), answered Tue 29 Dec at 00:30 WIB (Mon
        28 Dec 17:30 UTC): Thu 24 and Fri 25 are holidays, so Mon 28 and Tue 29: 2 days."""
        report = file(submit, dt.datetime(2026, 12, 23, 23, 30, tzinfo=WIB))
        answer(report, tree["dinkes"], dt.datetime(2026, 12, 29, 0, 30, tzinfo=WIB))
        build(DEC)
        assert saved_rows(DEC)["AGENCY", "dinkes-smd"].answer_days == {"2": 1}

    def test_medians_and_shares_as_a_spreadsheet_gives_them(
        self, tree: Tree, submit: Submit
    ) -> None:
        """Answers after 1, 4, 9 and 12 working days: MEDIAN gives 6.5 (not 4), PERCENTILE.INC
        at 0.9 gives 11.1; a region sums the histograms."""
        dinkes, rsud = tree["dinkes"], tree["rsud"]
        for answered, agency in ((at(11, 3), dinkes), (at(11, 6), dinkes), (at(11, 13), rsud)):
            report = file(submit, at(11, 2))
            if agency is rsud:
                give_back(report, dinkes, at(11, 2, 10), rsud)
                dispose(report, tree["samarinda"], rsud, at(11, 2, 11))
            answer(report, agency, answered)
        report = file(submit, at(11, 2))
        answer(report, dinkes, at(11, 18))
        build(NOV)
        rows = saved_rows(NOV)
        samarinda = row_values(rows["REGENCY", "64.72"])
        assert rows["REGENCY", "64.72"].answer_days == {"1": 1, "4": 1, "9": 1, "12": 1}
        assert (samarinda["median_days"], samarinda["p90_days"]) == (6.5, 11.1)


# --- scenario 6: the quarter a province evaluates ---------------------------------------------


@pytest.fixture
def balikpapan(tree: Tree) -> Tree:
    """Kota Balikpapan (64.71): a coordinator and a Dinkes that health reports are routed to."""
    coordinator = Agency.objects.create(
        code="bpp",
        name="Diskominfo Balikpapan",
        level="REGENCY",
        region_id="64.71",
        parent=tree["kaltim"],
    )
    dinkes = Agency.objects.create(
        code="dinkes-bpp",
        name="Dinkes Balikpapan",
        level="OPD",
        region_id="64.71",
        parent=coordinator,
    )
    RoutingRule.objects.create(
        category=Category.objects.get(code="kesehatan"),
        level="REGENCY",
        region_id="64.71",
        target="AGENCY",
        agency=dinkes,
    )
    return {"bpp": coordinator, "dinkes-bpp": dinkes}


BALIKPAPAN_DISTRICT = "64.71.01"


class TestQuarter:
    def test_a_regency_that_ignored_every_report_ranks_below_one_that_answered(
        self, tree: Tree, submit: Submit, balikpapan: Tree, settings: Any
    ) -> None:
        """The designed case of the finding: Balikpapan ignores its five reports, which
        escalate away; Samarinda answers its three on time."""
        settings.LAPOR_EVALUATION_MIN_REPORTS = 3
        for _ in range(5):
            file(submit, at(11, 2), region=BALIKPAPAN_DISTRICT)
        for _ in range(3):
            answer(file(submit, at(11, 2)), tree["dinkes"], at(11, 4))
        assert sweep(at(11, 10, 0, 5)) == 5  # Dinkes Balikpapan's deadline of Mon 9 Nov
        assert sweep(at(11, 14, 0, 5)) == 5  # Diskominfo Balikpapan's of Fri 13 Nov
        for month in (OCT, NOV, DEC):
            build(month)
        rows = saved_rows(NOV)
        assert rows["REGENCY", "64.71"].received == 5
        assert rows["REGENCY", "64.71"].escalated_unanswered == 10
        assert rows["REGENCY", "64.71"].first_answers == 0
        result = selectors.quarterly_evaluation(
            Region.objects.get(code="64"), selectors.Quarter(2026, 4), now=BUILT_AT
        )
        assert not result.provisional
        by_code = {e.region.code: e for e in result.rows}
        samarinda, balikpapan_row = by_code["64.72"], by_code["64.71"]
        assert samarinda.score is not None and balikpapan_row.score is not None
        assert samarinda.score > balikpapan_row.score
        assert (samarinda.rank, balikpapan_row.rank) == (1, 2)
        assert balikpapan_row.score == 0.0

    def test_a_partial_quarter_is_provisional_and_unranked(
        self, tree: Tree, submit: Submit, balikpapan: Tree, settings: Any
    ) -> None:
        settings.LAPOR_EVALUATION_MIN_REPORTS = 1
        answer(file(submit, at(11, 2)), tree["dinkes"], at(11, 4))
        file(submit, at(11, 2), region=BALIKPAPAN_DISTRICT)
        build(OCT)
        build(NOV)
        kaltim = Region.objects.get(code="64")
        # 7 December: the quarter has not ended.
        during = selectors.quarterly_evaluation(kaltim, selectors.Quarter(2026, 4), now=at(12, 7))
        assert during.provisional and not during.ended
        assert {e.rank for e in during.rows} == {None}
        # 15 January: ended, but December was never built.
        after = selectors.quarterly_evaluation(kaltim, selectors.Quarter(2026, 4), now=BUILT_AT)
        assert after.provisional and after.ended
        assert after.missing == [DEC]
        assert {e.rank for e in after.rows} == {None}
        build(DEC)
        final = selectors.quarterly_evaluation(kaltim, selectors.Quarter(2026, 4), now=BUILT_AT)
        assert not final.provisional
        assert {e.rank for e in final.rows} - {None}


# --- the rows ---------------------------------------------------------------------------------


class TestRows:
    def test_one_row_per_agency_region_and_the_nation_under_its_parent(
        self, november: dict[str, Complaint]
    ) -> None:
        build(NOV)
        parents = {
            scope: (row.parent_region_id, row.name) for scope, row in saved_rows(NOV).items()
        }
        assert parents == {
            ("AGENCY", "nasional"): (None, "Nasional"),
            ("AGENCY", "kaltim"): ("64", "Diskominfo Kaltim"),
            ("AGENCY", "smd"): ("64.72", "Diskominfo Samarinda"),
            ("AGENCY", "dinkes-smd"): ("64.72", "Dinkes Samarinda"),
            ("AGENCY", "rsud-smd"): ("64.72", "RSUD Samarinda"),
            ("AGENCY", "disdik-kaltim"): ("64", "Disdik Kaltim"),
            ("REGENCY", "64.72"): ("64", Region.objects.get(code="64.72").name),
            ("PROVINCE", "64"): (None, Region.objects.get(code="64").name),
            ("REGENCY", "31.71"): ("31", Region.objects.get(code="31.71").name),
            ("PROVINCE", "31"): (None, Region.objects.get(code="31").name),
            ("NATION", ""): (None, "Indonesia"),
        }

    def test_the_database_keeps_open_the_sum_of_its_parts(
        self, november: dict[str, Complaint]
    ) -> None:
        from django.db import IntegrityError, transaction

        build(NOV)
        row = saved_rows(NOV)["AGENCY", "dinkes-smd"]
        with pytest.raises(IntegrityError), transaction.atomic():
            MonthlyRecap.objects.filter(pk=row.pk).update(open=row.open + 1)

    def test_an_inactive_agency_with_figures_keeps_its_row(
        self, november: dict[str, Complaint], tree: Tree
    ) -> None:
        Agency.objects.filter(code="rsud-smd").update(is_active=False)
        Agency.objects.filter(code="disdik-kaltim").update(is_active=False)
        build(NOV)
        rows = saved_rows(NOV)
        assert ("AGENCY", "rsud-smd") not in rows  # nothing to show
        assert rows["AGENCY", "disdik-kaltim"].in_process == 1


# --- what the services write for the recaps ----------------------------------------------------


def event_states(complaint: Complaint) -> list[tuple[Any, ...]]:
    return list(
        complaint.events.order_by("pk").values_list(
            "from_status", "from_holder_id", "from_due_at", "to_status", "holder_id", "due_at"
        )
    )


class TestWriteTimeFacts:
    def test_each_event_keeps_the_state_before_it_and_the_last_the_reports_state(
        self, november: dict[str, Complaint]
    ) -> None:
        for complaint in november.values():
            states = event_states(complaint)
            assert states[0][:3] == ("", None, None)
            for before, after in itertools.pairwise(states):
                assert after[:3] == before[3:], complaint.tracking_number
            complaint.refresh_from_db()
            assert states[-1][3:] == (
                complaint.status,
                complaint.current_agency_id,
                complaint.due_at,
            )

    def test_an_event_is_never_dated_before_the_reports_previous_event(
        self, tree: Tree, submit: Submit
    ) -> None:
        """A change committed after another but stamped a moment earlier (it read the clock
        first) keeps the order it was written in, so the events after a cut-off are a tail."""
        report = file(submit, at(11, 2, 10))
        last = report.events.order_by("-pk").first()
        acknowledge(report, tree["dinkes"], at(11, 2, 9))
        event = report.events.order_by("-pk").first()
        assert event.type == "ACKNOWLEDGED"
        assert event.created_at == last.created_at

    def test_reached_marks_the_first_time_each_agency_had_it_to_act_on(
        self, disputed: dict[str, Complaint]
    ) -> None:
        marks = list(
            disputed["back"]
            .events.filter(reached=True)
            .order_by("pk")
            .values_list("type", "holder__code", "created_at")
        )
        # Passing through the national and provincial coordinators is not reaching them; the
        # hand-back of 30 Nov does not reach Dinkes a second time.
        assert marks == [
            ("DISPOSED", "dinkes-smd", at(11, 2)),
            ("DISPUTED", "smd", at(11, 5)),
        ]

    def test_answers_keep_the_first_reach_and_the_completion_deadline_from_it(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes, samarinda = tree["dinkes"], tree["samarinda"]
        # Reached Tue 1 Dec, answered Thu 3, disputed Fri 4, back on Mon 7, answered Wed 9.
        report = file(submit, at(12, 1))
        answer(report, dinkes, at(12, 3))
        dispute(report, at(12, 4))
        dispose(report, samarinda, dinkes, at(12, 7))
        answer(report, dinkes, at(12, 9))
        # 14 working days after Tue 1 Dec: Mon 21 Dec.
        assert list(
            report.responses.order_by("pk").values_list(
                "agency__code", "is_first", "reached_at", "due_first"
            )
        ) == [
            ("dinkes-smd", True, at(12, 1), end_of(12, 21)),
            ("dinkes-smd", False, None, None),
        ]


# --- a built month stays as built --------------------------------------------------------------


class TestFrozenMonths:
    def test_a_holiday_entered_later_does_not_change_the_month_unless_asked(
        self, tree: Tree, submit: Submit
    ) -> None:
        """Reached Mon 2 Nov, answered Tue 10 Nov: 6 working days. A day off entered later
        for Thu 5 Nov would make it 5; the month keeps 6 until rebuilt with today's calendar."""
        report = file(submit, at(11, 2))
        answer(report, tree["dinkes"], at(11, 10))
        build(NOV)
        assert saved_rows(NOV)["AGENCY", "dinkes-smd"].answer_days == {"6": 1}
        CalendarException.objects.create(date=dt.date(2026, 11, 5), is_working_day=False)
        routing_selectors.clear_settings_cache()
        build(NOV, now=BUILT_AT + dt.timedelta(days=30))
        assert saved_rows(NOV)["AGENCY", "dinkes-smd"].answer_days == {"6": 1}
        recorded = RecapBuild.objects.get(month=NOV)
        assert (recorded.settings_at, recorded.built_at) == (
            BUILT_AT,
            BUILT_AT + dt.timedelta(days=30),
        )
        assert recorded.rebuilt_with_old_settings
        build(NOV, now=BUILT_AT + dt.timedelta(days=31), current_settings=True)
        assert saved_rows(NOV)["AGENCY", "dinkes-smd"].answer_days == {"5": 1}
        recorded.refresh_from_db()
        assert not recorded.rebuilt_with_old_settings
        assert "2026-11-05" in recorded.calendar["weekdays_off"]

    def test_days_the_first_build_did_not_record_come_from_todays_calendar(
        self, tree: Tree, submit: Submit
    ) -> None:
        """An answer whose first reach is earlier than any the first build counted (a history
        corrected since): the recorded days stay, the others are today's. Reached Tue 27 Oct
        (as corrected), answered Tue 10 Nov: 10 working days, 9 with a day off on Thu 29 Oct."""
        report = file(submit, at(11, 2))
        answer(report, tree["dinkes"], at(11, 10))
        build(NOV)
        Response.objects.filter(complaint=report).update(reached_at=at(10, 27))
        CalendarException.objects.create(date=dt.date(2026, 10, 29), is_working_day=False)
        CalendarException.objects.create(date=dt.date(2026, 11, 5), is_working_day=False)
        routing_selectors.clear_settings_cache()
        build(NOV, now=BUILT_AT + dt.timedelta(days=1))
        # 29 Oct is off by today's calendar; 5 Nov stays a working day, as first recorded.
        assert saved_rows(NOV)["AGENCY", "dinkes-smd"].answer_days == {"9": 1}

    def test_an_agency_deactivated_or_renamed_later_keeps_its_row_as_built(
        self, november: dict[str, Complaint]
    ) -> None:
        build(NOV)
        first = frozen(NOV)
        Agency.objects.filter(code="rsud-smd").update(is_active=False)
        Agency.objects.filter(code="dinkes-smd").update(name="Dinas Kesehatan Kota Samarinda")
        build(NOV, now=BUILT_AT + dt.timedelta(days=1))
        assert frozen(NOV) == first
        build(NOV, now=BUILT_AT + dt.timedelta(days=2), current_settings=True)
        rows = saved_rows(NOV)
        assert ("AGENCY", "rsud-smd") not in rows
        assert rows["AGENCY", "dinkes-smd"].name == "Dinas Kesehatan Kota Samarinda"

    def test_the_command_says_which_settings_it_used(self, november: dict[str, Complaint]) -> None:
        import io

        from django.core.management import call_command

        out = io.StringIO()
        call_command("build_recap", "--month", "2026-11", "--no-progress", stdout=out)
        assert "today's calendar and agencies" in out.getvalue()
        out = io.StringIO()
        call_command("build_recap", "--month", "2026-11", "--no-progress", stdout=out)
        assert "calendar and agencies of its first build" in out.getvalue()
        out = io.StringIO()
        call_command(
            "build_recap", "--month", "2026-11", "--no-progress", "--current-settings", stdout=out
        )
        assert "today's calendar and agencies" in out.getvalue()
