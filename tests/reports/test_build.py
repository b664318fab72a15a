"""Building the monthly recaps (``reports.services.build_monthly_recap``).

Every scenario is played through the real services with injected times, and every figure of
every row is checked against counts written out by hand from the scenario: per agency, and for
Kota Samarinda (64.72), Kalimantan Timur (64) and the nation as the sums of those.

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
from complaints.models import Complaint, DeadlineBreach, TransferRequest
from reports.models import COUNTS, MonthlyRecap
from reports.services import STEPS, build_monthly_recap
from routing.models import Agency, Category, Region
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


def answer(complaint: Complaint, agency: Agency, now: dt.datetime) -> None:
    complaint_services.respond_to_complaint(
        complaint_id=complaint.pk, agency=agency, text=ANSWER, actor=None, now=now
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


def figures(*, answer_days: dict[str, int] | None = None, **counts: int) -> dict[str, Any]:
    """A row's figures: every count zero unless given, and the histogram of working days."""
    unknown = counts.keys() - set(COUNTS)
    assert not unknown, unknown
    return {**dict.fromkeys(COUNTS, 0), **counts, "answer_days": answer_days or {}}


def total(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a region: the sum of its agencies' figures, histograms merged."""
    summed = figures()
    for part in parts:
        for name in COUNTS:
            summed[name] += part[name]
        for days, count in part["answer_days"].items():
            summed["answer_days"][days] = summed["answer_days"].get(days, 0) + count
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


def assert_month(month: dt.date, expected: dict[str, dict[str, Any]]) -> None:
    """The saved rows of ``month`` are one per agency of the tree (with the ``expected`` figures,
    zero for agencies not named), Samarinda, Kaltim and the nation (with the sums)."""
    assert expected.keys() <= set(AGENCIES)
    agencies = {code: expected.get(code, figures()) for code in AGENCIES}
    wanted = {("AGENCY", code): agencies[code] for code in AGENCIES}
    wanted["REGENCY", "64.72"] = total(agencies[code] for code in IN_SAMARINDA)
    wanted["PROVINCE", "64"] = total(agencies[code] for code in IN_KALTIM)
    wanted["NATION", ""] = total(agencies.values())
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


# --- scenario 1 and 2: November in every state ----------------------------------------------


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

    # Education, to the provincial Disdik, taken up; completion due Fri 20 Nov: overdue.
    r["disdik"] = file(submit, at(11, 2), category="pendidikan")
    acknowledge(r["disdik"], disdik, at(11, 3))
    assert state(r["disdik"]) == (Status.IN_PROGRESS, "disdik-kaltim", end_of(11, 20))

    # Answered Thu 5 Nov (2 working days after Tue 3 Nov); the reply window (to 19 Nov) has
    # passed but the sweep that completes it has not run: still answered.
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

    # Routing stalled after its first step: SUBMITTED at Kaltim (due 25 Nov, but a report being
    # routed is not overdue); it moves on only on 1 Dec.
    r["stalled"] = file(submit, at(11, 20), routed=False)
    dispatch.route_step(complaint_id=r["stalled"].pk, step=0, now=at(11, 20))
    assert state(r["stalled"]) == (Status.SUBMITTED, "kaltim", end_of(11, 25))

    # Untouched since it reached Dinkes on Wed 25 Nov; due Wed 2 Dec.
    r["untouched"] = file(submit, at(11, 25))
    assert state(r["untouched"]) == (Status.DISPOSED, "dinkes-smd", end_of(12, 2))

    # Not routed before the cut-off: nobody holds it at the end of November.
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
        # october, completed, answered, acknowledged, untouched, last_second
        held=6,
        received=5,
        unanswered=3,  # october, untouched, last_second
        in_process=1,
        answered=1,
        completed=1,
        overdue=1,  # october
        first_answers=2,
        answered_on_time=2,
        answer_days={"4": 1, "2": 1},
    ),
    "kaltim": figures(held=2, received=2, archived=1, unanswered=1),  # archived, stalled
    "disdik-kaltim": figures(held=1, received=1, in_process=1, overdue=1),
    "nasional": figures(held=1, received=1, unanswered=1, overdue=1),
}


class TestStatesAtTheCutOff:
    def test_counts_each_report_once_by_its_holder_and_state(
        self, november: dict[str, Complaint]
    ) -> None:
        build(NOV)
        assert_month(NOV, NOVEMBER)

    def test_the_month_ending_exactly_now_can_be_built(
        self, november: dict[str, Complaint]
    ) -> None:
        rows = build(NOV, now=CUT_NOV)
        assert {row.built_at for row in rows} == {CUT_NOV}
        assert_month(NOV, NOVEMBER)

    def test_a_month_not_ended_is_refused_and_nothing_is_written(
        self, november: dict[str, Complaint]
    ) -> None:
        with pytest.raises(ValueError, match="ended"):
            build(NOV, now=CUT_NOV - dt.timedelta(microseconds=1))
        assert not MonthlyRecap.objects.filter(month=NOV).exists()

    def test_an_answer_at_the_first_instant_of_the_next_month_belongs_to_it(
        self, november: dict[str, Complaint], tree: Tree
    ) -> None:
        answer(november["untouched"], tree["dinkes"], CUT_NOV)
        build(NOV)
        assert_month(NOV, NOVEMBER)
        build(DEC)
        dinkes = saved_rows(DEC)["AGENCY", "dinkes-smd"]
        # Handed over Wed 25 Nov, answered Tue 1 Dec: Thu 26, Fri 27, Mon 30, Tue 1.
        assert (dinkes.first_answers, dinkes.answered_on_time, dinkes.answer_days) == (
            1,
            1,
            {"4": 1},
        )

    def test_october_counts_only_what_was_held_at_its_end(
        self, november: dict[str, Complaint]
    ) -> None:
        build(OCT)
        assert_month(OCT, {"dinkes-smd": figures(held=1, received=1, unanswered=1, overdue=1)})


class TestChangesAfterTheMonth:
    def test_november_is_as_it_was_at_its_end_however_often_it_is_rebuilt(
        self, november: dict[str, Complaint], tree: Tree
    ) -> None:
        build(NOV, now=at(12, 1, 1))
        first = frozen(NOV)
        dinkes = tree["dinkes"]

        answer(november["untouched"], dinkes, at(12, 2, 10))
        # The answered report's reply window passed on 19 Nov: completed now.
        assert deadlines.complete_unanswered_reports(now=at(12, 2, 11)) == 1
        # The October report at Dinkes and the one at Disdik go up a level.
        assert deadlines.escalate_overdue(now=at(12, 2, 12)) == 2
        give_back(november["acknowledged"], dinkes, at(12, 3), suggested=tree["rsud"])
        rate(november["completed"], 5, at(12, 3))
        assert state(november["answered"])[0] == Status.COMPLETED
        assert state(november["october"])[:2] == (Status.AWAITING_VERIFICATION, "smd")
        assert state(november["disdik"])[:2] == (Status.AWAITING_VERIFICATION, "kaltim")
        assert state(november["acknowledged"])[:2] == (Status.AWAITING_VERIFICATION, "smd")

        build(NOV)
        assert_month(NOV, NOVEMBER)
        assert frozen(NOV) == first
        build(NOV, now=BUILT_AT + dt.timedelta(days=30))
        assert frozen(NOV) == first

    def test_december_shows_the_changes(self, november: dict[str, Complaint], tree: Tree) -> None:
        dinkes = tree["dinkes"]
        answer(november["untouched"], dinkes, at(12, 2, 10))
        assert deadlines.complete_unanswered_reports(now=at(12, 2, 11)) == 1
        assert deadlines.escalate_overdue(now=at(12, 2, 12)) == 2
        give_back(november["acknowledged"], dinkes, at(12, 3), suggested=tree["rsud"])
        rate(november["completed"], 5, at(12, 3))

        build(DEC)
        # Every deadline of 2-8 Dec has passed by 1 Jan and no sweep ran since 2 Dec.
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    # untouched (answered), answered + completed (completed), last_second,
                    # first_instant, unrouted, stalled (all DISPOSED, overdue)
                    held=7,
                    received=1,  # first_instant
                    answered=1,
                    completed=2,
                    unanswered=4,
                    overdue=4,
                    escalations=1,  # october
                    transfers=1,  # acknowledged
                    # untouched: handed over Wed 25 Nov, answered Wed 2 Dec, due that day.
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"5": 1},
                    rating_sum=5,
                    rating_count=1,
                ),
                "smd": figures(held=2, unanswered=2, overdue=2),  # october, acknowledged
                "kaltim": figures(held=2, archived=1, unanswered=1, overdue=1),  # disdik
                "disdik-kaltim": figures(escalations=1),
                "nasional": figures(held=1, unanswered=1, overdue=1),
            },
        )


class TestRebuild:
    def test_building_again_replaces_the_months_rows_and_leaves_other_months(
        self, november: dict[str, Complaint]
    ) -> None:
        build(OCT)
        october = {scope: row.pk for scope, row in saved_rows(OCT).items()}
        build(NOV, now=at(12, 5))
        again = dt.datetime(2027, 2, 1, 9, 0, tzinfo=WIB)
        rows = build(NOV, now=again)

        saved = saved_rows(NOV)
        assert len(saved) == len(rows) == MonthlyRecap.objects.filter(month=NOV).count() == 9
        assert {row.built_at for row in saved.values()} == {again}
        assert_month(NOV, NOVEMBER)
        assert {scope: row.pk for scope, row in saved_rows(OCT).items()} == october

    def test_any_day_of_the_month_names_the_month(self, november: dict[str, Complaint]) -> None:
        build(dt.date(2026, 11, 17))
        assert set(MonthlyRecap.objects.values_list("month", flat=True)) == {NOV}
        assert_month(NOV, NOVEMBER)


class TestRows:
    def test_one_row_per_agency_region_and_the_nation_under_its_parent(
        self, tree: Tree, regions: None
    ) -> None:
        Agency.objects.create(
            code="puskesmas-palaran",
            name="Puskesmas Palaran",
            level="OPD",
            region_id="64.72.01",  # a district counts for its city
            parent=tree["samarinda"],
        )
        Agency.objects.create(
            code="rsj-smd",
            name="RSJ Samarinda",
            level="OPD",
            region_id="64.72",
            parent=tree["samarinda"],
            is_active=False,
        )
        rows = build(NOV)
        assert {key(row) for row in rows} == set(saved_rows(NOV))
        shape = {
            scope: (row.name, row.parent_region_id, row.code, row.built_at)
            for scope, row in saved_rows(NOV).items()
        }
        assert shape == {
            ("AGENCY", "nasional"): ("Nasional", None, "nasional", BUILT_AT),
            ("AGENCY", "kaltim"): ("Diskominfo Kaltim", "64", "kaltim", BUILT_AT),
            ("AGENCY", "smd"): ("Diskominfo Samarinda", "64.72", "smd", BUILT_AT),
            ("AGENCY", "dinkes-smd"): ("Dinkes Samarinda", "64.72", "dinkes-smd", BUILT_AT),
            ("AGENCY", "rsud-smd"): ("RSUD Samarinda", "64.72", "rsud-smd", BUILT_AT),
            ("AGENCY", "disdik-kaltim"): ("Disdik Kaltim", "64", "disdik-kaltim", BUILT_AT),
            ("AGENCY", "puskesmas-palaran"): (
                "Puskesmas Palaran",
                "64.72",
                "puskesmas-palaran",
                BUILT_AT,
            ),
            ("REGENCY", "64.72"): ("Kota Samarinda", "64", "64.72", BUILT_AT),
            ("PROVINCE", "64"): ("Kalimantan Timur", None, "64", BUILT_AT),
            ("NATION", ""): ("Indonesia", None, "", BUILT_AT),
        }
        # No row for the inactive RSJ without figures, and none for Jakarta (no agencies).

    def test_an_inactive_agency_with_figures_keeps_its_row(
        self, tree: Tree, submit: Submit
    ) -> None:
        file(submit, at(11, 16))
        Agency.objects.filter(pk=tree["dinkes"].pk).update(is_active=False)
        build(NOV)
        assert_month(NOV, {"dinkes-smd": figures(held=1, received=1, unanswered=1, overdue=1)})


# --- scenario 3: a transfer across months ----------------------------------------------------


class TestTransferAcrossMonths:
    def test_returned_in_november_and_disposed_in_december(
        self, tree: Tree, submit: Submit
    ) -> None:
        report = file(submit, at(11, 23))
        give_back(report, tree["dinkes"], at(11, 27, 10), suggested=tree["rsud"])
        # Samarinda's verification deadline: Mon 30 Nov, Tue 1, Wed 2 Dec.
        assert state(report) == (Status.AWAITING_VERIFICATION, "smd", end_of(12, 2))
        dispose(report, tree["samarinda"], tree["rsud"], at(12, 2))
        answer(report, tree["rsud"], at(12, 7, 10))
        transfer = TransferRequest.objects.get(complaint=report)
        assert (transfer.from_agency, transfer.decided_at) == (tree["dinkes"], at(12, 2))

        build(NOV)
        build(DEC)
        assert_month(
            NOV,
            {
                "dinkes-smd": figures(transfers=1),
                "smd": figures(held=1, received=1, unanswered=1),
            },
        )
        # RSUD got it on Wed 2 Dec and answered on Mon 7 Dec (Thu 3, Fri 4, Mon 7), before its
        # deadline of Wed 9 Dec; counted from that hand-over, not from the filing on 23 Nov.
        assert_month(
            DEC,
            {
                "rsud-smd": figures(
                    held=1,
                    answered=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"3": 1},
                )
            },
        )


# --- scenario 4: escalation --------------------------------------------------------------------


class TestEscalation:
    def test_overdue_until_the_sweep_and_the_breach_in_the_month_it_ran(
        self, tree: Tree, submit: Submit
    ) -> None:
        # Due Mon 9 Nov; the sweep of Thu 12 Nov moves it to Samarinda (due Tue 17 Nov).
        early = file(submit, at(11, 2))
        assert deadlines.escalate_overdue(now=at(11, 12)) == 1
        assert state(early) == (Status.AWAITING_VERIFICATION, "smd", end_of(11, 17))
        # Due Mon 30 Nov 23:59:59, one second before the cut-off; no sweep runs before 2 Dec.
        late = file(submit, at(11, 23))
        assert state(late)[2] == end_of(11, 30)
        # Due Mon 7 Dec: not overdue at the end of November.
        fresh = file(submit, at(11, 30))

        build(NOV, now=at(12, 1, 1))
        before = frozen(NOV)
        expected_november = {
            # Holds late (overdue) and fresh; early's breach of 12 Nov.
            "dinkes-smd": figures(held=2, received=2, unanswered=2, overdue=1, escalations=1),
            "smd": figures(held=1, received=1, unanswered=1, overdue=1),  # early
        }
        assert_month(NOV, expected_november)

        # Wed 2 Dec: late goes to Samarinda, early on to Kaltim; fresh is not due yet.
        assert deadlines.escalate_overdue(now=at(12, 2)) == 2
        assert state(late)[:2] == (Status.AWAITING_VERIFICATION, "smd")
        assert state(early)[:2] == (Status.AWAITING_VERIFICATION, "kaltim")
        assert state(fresh)[:2] == (Status.DISPOSED, "dinkes-smd")
        assert list(
            DeadlineBreach.objects.order_by("created_at", "pk").values_list(
                "complaint_id", "agency__code", "created_at"
            )
        ) == [
            (early.pk, "dinkes-smd", at(11, 12)),
            (early.pk, "smd", at(12, 2)),
            (late.pk, "dinkes-smd", at(12, 2)),
        ]

        build(NOV)
        assert frozen(NOV) == before
        assert_month(NOV, expected_november)
        build(DEC)
        # Every deadline (7 Dec) has passed by 1 Jan.
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(held=1, unanswered=1, overdue=1, escalations=1),  # fresh
                "smd": figures(held=1, unanswered=1, overdue=1, escalations=1),  # late
                "kaltim": figures(held=1, unanswered=1, overdue=1),  # early
            },
        )


# --- scenario 5: first answers ----------------------------------------------------------------


def answered_report(
    submit: Submit, agency: Agency, handed: dt.datetime, answered: dt.datetime, **kwargs: Any
) -> Complaint:
    """A report filed and routed at ``handed``, answered by ``agency`` at ``answered``."""
    report = file(submit, handed, **kwargs)
    answer(report, agency, answered)
    return report


class TestFirstAnswers:
    def test_working_days_skip_weekends_and_holidays_on_local_dates(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes = tree["dinkes"]
        # Fri 18 → Mon 21 Dec: the weekend does not count.
        answered_report(submit, dinkes, at(12, 18), at(12, 21, 10))
        # Wed 23 → Mon 28 Dec: 24-25 Dec are holidays, then the weekend.
        answered_report(submit, dinkes, at(12, 23), at(12, 28, 10))
        # Tue 22 → Tue 29 Dec: Wed 23, Mon 28, Tue 29.
        answered_report(submit, dinkes, at(12, 22), at(12, 29, 10))
        # The same day.
        answered_report(submit, dinkes, at(12, 1), at(12, 1, 15))
        # Wed 2 Dec 00:30 WIB (still 1 Dec in UTC) → 20:00 the same local day.
        answered_report(submit, dinkes, at(12, 2, 0, 30), at(12, 2, 20))

        build(DEC)
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=5,
                    received=5,
                    answered=5,
                    first_answers=5,
                    answered_on_time=5,
                    answer_days={"1": 2, "3": 1, "0": 2},
                )
            },
        )
        rows = saved_rows(DEC)
        for scope in (("AGENCY", "dinkes-smd"), ("REGENCY", "64.72"), ("NATION", "")):
            # Sorted 0, 0, 1, 1, 3: the 3rd of 5 and the 5th of 5 (nearest rank).
            assert (rows[scope].median_days, rows[scope].p90_days) == (1, 3)
            assert rows[scope].on_time_share == 1.0
        assert rows["AGENCY", "rsud-smd"].median_days is None
        assert rows["AGENCY", "rsud-smd"].on_time_share is None

    def test_on_time_against_the_deadline_in_force_just_before_the_answer(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes = tree["dinkes"]
        # All handed over Tue 1 Dec: first-response deadline Tue 8 Dec 23:59:59.
        late = answered_report(submit, dinkes, at(12, 1), at(12, 10))
        on_the_dot = answered_report(submit, dinkes, at(12, 1), end_of(12, 8))
        # Taken up on Thu 3 Dec: the completion deadline (Mon 21 Dec) is the one in force.
        taken_up = file(submit, at(12, 1))
        acknowledge(taken_up, dinkes, at(12, 3))
        assert state(taken_up)[2] == end_of(12, 21)
        answer(taken_up, dinkes, at(12, 10))
        assert (state(late)[0], state(on_the_dot)[0]) == (Status.RESPONDED, Status.RESPONDED)

        build(DEC)
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=3,
                    received=3,
                    answered=3,
                    first_answers=3,
                    answered_on_time=2,
                    # Tue 1 → Thu 10 Dec: 7 working days (twice); → Tue 8 Dec: 5.
                    answer_days={"7": 2, "5": 1},
                )
            },
        )
        dinkes_row = saved_rows(DEC)["AGENCY", "dinkes-smd"]
        assert (dinkes_row.median_days, dinkes_row.p90_days) == (7, 7)
        assert dinkes_row.on_time_share == pytest.approx(2 / 3)

    def test_a_deadline_set_at_the_same_instant_as_the_answer_is_the_one_in_force(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes = tree["dinkes"]
        report = file(submit, at(12, 1))  # first response due Tue 8 Dec
        # Thu 10 Dec: taken up (completion due Mon 21 Dec) and answered in the same instant.
        acknowledge(report, dinkes, at(12, 10))
        answer(report, dinkes, at(12, 10))
        build(DEC)
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=1,
                    received=1,
                    answered=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"7": 1},
                )
            },
        )

    def test_counted_from_the_last_hand_over_to_the_agency_that_answered(
        self, tree: Tree, submit: Submit
    ) -> None:
        # Filed Mon 30 Nov, waits at Kaltim, handed to Disdik on Mon 14 Dec, answered Wed 16.
        waited = file(submit, at(11, 30), category="sosial")
        assert state(waited)[:2] == (Status.AWAITING_VERIFICATION, "kaltim")
        dispose(waited, tree["kaltim"], tree["disdik"], at(12, 14))
        answer(waited, tree["disdik"], at(12, 16))
        # Reached Dinkes Tue 1 Dec, returned Wed 2 Dec, sent back to it by Samarinda on
        # Wed 9 Dec, answered Thu 10 Dec (due Wed 16 Dec).
        returned = file(submit, at(12, 1))
        give_back(returned, tree["dinkes"], at(12, 2), suggested=tree["rsud"])
        dispose(returned, tree["samarinda"], tree["dinkes"], at(12, 9), allow_returned=True)
        answer(returned, tree["dinkes"], at(12, 10))

        build(NOV)
        build(DEC)
        # Kaltim's verification deadline was Thu 3 Dec.
        assert_month(NOV, {"kaltim": figures(held=1, received=1, unanswered=1)})
        assert_month(
            DEC,
            {
                "disdik-kaltim": figures(
                    held=1,
                    answered=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"2": 1},
                ),
                "dinkes-smd": figures(
                    held=1,
                    received=1,
                    answered=1,
                    transfers=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"1": 1},
                ),
            },
        )

    def test_an_answer_after_a_dispute_is_not_a_first_answer(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes, samarinda = tree["dinkes"], tree["samarinda"]
        # Answered in November (Mon 2 → Wed 4), disputed Thu 5 Nov; Samarinda answers itself
        # on Wed 2 Dec.
        earlier = answered_report(submit, dinkes, at(11, 2), at(11, 4))
        dispute(earlier, at(11, 5))
        assert state(earlier) == (Status.IN_PROGRESS, "smd", end_of(11, 10))
        answer(earlier, samarinda, at(12, 2))
        # Answered Thu 3 Dec (Tue 1 → Thu 3), disputed Fri 4, handed back to Dinkes on Mon 7
        # and answered again on Wed 9 Dec.
        twice = answered_report(submit, dinkes, at(12, 1), at(12, 3))
        dispute(twice, at(12, 4))
        dispose(twice, samarinda, dinkes, at(12, 7))
        answer(twice, dinkes, at(12, 9))
        assert twice.responses.count() == 2

        build(NOV)
        build(DEC)
        assert_month(
            NOV,
            {
                "dinkes-smd": figures(
                    disputes=1, first_answers=1, answered_on_time=1, answer_days={"2": 1}
                ),
                "smd": figures(held=1, received=1, in_process=1, overdue=1),
            },
        )
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=1,
                    received=1,
                    answered=1,
                    disputes=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"2": 1},
                ),
                "smd": figures(held=1, answered=1),
            },
        )

    def test_region_rows_merge_the_histograms(self, tree: Tree, submit: Submit) -> None:
        dinkes, rsud, disdik = tree["dinkes"], tree["rsud"], tree["disdik"]
        answered_report(submit, dinkes, at(12, 1), at(12, 2))  # 1
        answered_report(submit, dinkes, at(12, 7), at(12, 10))  # 3
        to_rsud = file(submit, at(12, 1))
        give_back(to_rsud, dinkes, at(12, 1, 10), suggested=rsud)
        dispose(to_rsud, tree["samarinda"], rsud, at(12, 1, 11))
        answer(to_rsud, rsud, at(12, 4))  # Tue 1 → Fri 4: 3
        school = file(submit, at(12, 14), category="pendidikan")
        answer(school, disdik, at(12, 23))  # Mon 14 → Wed 23: 7, late (due Mon 21)

        build(DEC)
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=2,
                    received=2,
                    answered=2,
                    transfers=1,
                    first_answers=2,
                    answered_on_time=2,
                    answer_days={"1": 1, "3": 1},
                ),
                "rsud-smd": figures(
                    held=1,
                    received=1,
                    answered=1,
                    first_answers=1,
                    answered_on_time=1,
                    answer_days={"3": 1},
                ),
                "disdik-kaltim": figures(
                    held=1, received=1, answered=1, first_answers=1, answer_days={"7": 1}
                ),
            },
        )
        rows = saved_rows(DEC)
        assert rows["REGENCY", "64.72"].answer_days == {"1": 1, "3": 2}
        assert (rows["REGENCY", "64.72"].median_days, rows["REGENCY", "64.72"].p90_days) == (3, 3)
        assert rows["PROVINCE", "64"].answer_days == {"1": 1, "3": 2, "7": 1}
        assert (rows["PROVINCE", "64"].median_days, rows["PROVINCE", "64"].p90_days) == (3, 7)


# --- scenario 6: disputes and ratings ---------------------------------------------------------


class TestDisputesAndRatings:
    def test_counted_in_the_month_they_happened_for_the_agency_that_answered(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes, disdik, kaltim = tree["dinkes"], tree["disdik"], tree["kaltim"]
        # Answered Wed 4 Nov, rated 4 on Thu 5 Nov.
        rated = answered_report(submit, dinkes, at(11, 2), at(11, 4))
        rate(rated, 4, at(11, 5))
        # Answered Tue 10 Nov, rated 3 on Wed 11, accepted Thu 12 Nov.
        accepted = answered_report(submit, dinkes, at(11, 9), at(11, 10))
        rate(accepted, 3, at(11, 11))
        complaint_services.accept_answer(complaint_id=accepted.pk, now=at(11, 12))
        # Answered Wed 25 Nov; rated 2 at the first instant of December, disputed Wed 2 Dec.
        later = answered_report(submit, dinkes, at(11, 23), at(11, 25))
        rate(later, 2, CUT_NOV)
        dispute(later, at(12, 2))
        # Disdik answered Wed 18 Nov; disputed in the last minute of November (to Kaltim, due
        # Thu 3 Dec); handed back on 1 Dec, answered again on 3 Dec, rated 5 on 4 Dec and
        # accepted on 7 Dec.
        school = answered_report(submit, disdik, at(11, 16), at(11, 18), category="pendidikan")
        dispute(school, at(11, 30, 23, 59))
        assert state(school) == (Status.IN_PROGRESS, "kaltim", end_of(12, 3))
        dispose(school, kaltim, disdik, at(12, 1))
        answer(school, disdik, at(12, 3))
        rate(school, 5, at(12, 4))
        complaint_services.accept_answer(complaint_id=school.pk, now=at(12, 7))

        build(NOV)
        build(DEC)
        assert_month(
            NOV,
            {
                "dinkes-smd": figures(
                    held=3,  # rated, accepted, later
                    received=3,
                    answered=2,
                    completed=1,
                    first_answers=3,
                    answered_on_time=3,
                    answer_days={"2": 2, "1": 1},
                    rating_sum=7,
                    rating_count=2,
                ),
                "disdik-kaltim": figures(
                    disputes=1, first_answers=1, answered_on_time=1, answer_days={"2": 1}
                ),
                "kaltim": figures(held=1, received=1, in_process=1),
            },
        )
        assert_month(
            DEC,
            {
                "dinkes-smd": figures(
                    held=2, answered=1, completed=1, disputes=1, rating_sum=2, rating_count=1
                ),
                # later: disputed on Wed 2 Dec, due Mon 7 Dec.
                "smd": figures(held=1, in_process=1, overdue=1),
                "disdik-kaltim": figures(held=1, completed=1, rating_sum=5, rating_count=1),
            },
        )
        rows = saved_rows(NOV)
        assert rows["AGENCY", "dinkes-smd"].average_rating == 3.5
        assert rows["NATION", ""].average_rating == 3.5


# --- scenario 7: progress ---------------------------------------------------------------------


class TestProgress:
    def test_hears_every_step_in_order_and_the_rows_are_saved_at_the_last(
        self, november: dict[str, Complaint]
    ) -> None:
        heard: list[tuple[str, int]] = []

        def progress(step: str) -> None:
            heard.append((step, MonthlyRecap.objects.filter(month=NOV).count()))

        build(NOV, progress=progress)
        assert [step for step, _ in heard] == list(STEPS) == ["states", "answers", "flows", "save"]
        assert [rows for _, rows in heard] == [0, 0, 0, 9]


# --- what the services write for the recaps ----------------------------------------------------


def event_states(complaint: Complaint) -> list[tuple[Any, ...]]:
    return list(
        complaint.events.order_by("pk").values_list(
            "from_status", "from_holder_id", "from_due_at", "to_status", "holder_id", "due_at"
        )
    )


def answer_facts(complaint: Complaint) -> list[tuple[Any, ...]]:
    return list(
        complaint.responses.order_by("pk").values_list(
            "agency__code", "is_first", "handed_at", "due_at_before"
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

    def test_answers_keep_first_hand_over_and_the_deadline_before(
        self, tree: Tree, submit: Submit
    ) -> None:
        dinkes, samarinda = tree["dinkes"], tree["samarinda"]
        # Answered Thu 3 Dec by Dinkes (handed Tue 1 Dec), disputed Fri 4, back to Dinkes on
        # Mon 7 and answered again Wed 9 Dec: two answers, one first.
        report = file(submit, at(12, 1))
        due_first = report.due_at
        answer(report, dinkes, at(12, 3))
        dispute(report, at(12, 4))
        dispose(report, samarinda, dinkes, at(12, 7))
        report.refresh_from_db()
        due_second = report.due_at
        answer(report, dinkes, at(12, 9))
        assert answer_facts(report) == [
            ("dinkes-smd", True, at(12, 1), due_first),
            ("dinkes-smd", False, at(12, 7), due_second),
        ]
        assert None not in (due_first, due_second) and due_first != due_second
