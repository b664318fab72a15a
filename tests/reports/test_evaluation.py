"""The quarterly evaluation (``reports.selectors.quarterly_evaluation``) and its page and exports:
the score rewards answering, a regency/city with nothing to answer has no score, and a quarter
that has not ended or is not fully built is shown but not ranked.

The recaps are written here row by row (one ``MonthlyRecap`` per regency/city and month, the
unit the evaluation adds up), so each figure below can be checked by hand:

Q3 2026 (July to September), ended and built:

* Kota Samarinda (64.72): three reports, all answered on time (2, 4 and 9 working days).
* Kota Balikpapan (64.71): five reports, all let escalate without an answer (the designed case
  of issue 16, where the old score ranked it first with 100).
* Kota Bontang (64.74): four reports to answer: three answered (two on time, one disputed), one
  let escalate; two ratings, 3 and 5.
* Kabupaten Paser (64.01): one report answered on time, below the minimum of three.
* Kabupaten Kutai Kartanegara (64.02): two reports waiting in its coordinator's queue, not yet
  overdue: nothing to answer, so no score.

Q4 2026: October and November built, December not; Samarinda holds three open reports at the end
of November, one overdue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from html import escape
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from reports.exports import evaluation_rows
from reports.models import MonthlyRecap
from reports.selectors import (
    Evaluation,
    Quarter,
    QuarterlyEvaluation,
    Unranked,
    evaluation_notes,
    evaluation_quarter,
    evaluation_quarters,
    quarterly_evaluation,
)
from routing.models import Region
from tests.helpers import WIB
from tests.reports.conftest import in_indonesian, page_tables, pdf_pages

pytestmark = pytest.mark.django_db

MINIMUM = 3
Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)
JUL, AUG, SEP = Q3.months
OCT, NOV, DEC = Q4.months
BUILT_AT = dt.datetime(2026, 12, 1, 6, 0, tzinfo=WIB)
# After Q3 and during Q4; after Q4, before December is built.
IN_DECEMBER = dt.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
IN_JANUARY = dt.datetime(2027, 1, 10, 10, 0, tzinfo=WIB)
PAGE = "/reports/evaluation/"


def recap(month: dt.date, region: str, *, in_queue: int = 0, **figures: Any) -> MonthlyRecap:
    """A regency/city's row for ``month``; open reports are in process unless ``in_queue``."""
    in_process = figures.pop("open", 0) - in_queue
    return MonthlyRecap.objects.create(
        month=month,
        level=MonthlyRecap.Level.REGENCY,
        region_id=region,
        parent_region_id=region.split(".")[0],
        name=Region.objects.get(code=region).name,
        open=in_process + in_queue,
        queue=in_queue,
        in_process=in_process,
        built_at=BUILT_AT,
        **figures,
    )


def build(*months: dt.date) -> None:
    """Mark ``months`` as built: the nation's row, which the builder writes for every month."""
    for month in months:
        MonthlyRecap.objects.create(
            month=month, level=MonthlyRecap.Level.NATION, name="Indonesia", built_at=BUILT_AT
        )


@pytest.fixture
def quarters(regions: None, settings: Any) -> None:
    """The recaps of the module docstring."""
    settings.LAPOR_EVALUATION_MIN_REPORTS = MINIMUM
    build(JUL, AUG, SEP, OCT, NOV)
    # Samarinda: three reports, all answered on time.
    recap(
        JUL, "64.72", received=2, first_answers=2, answered_on_time=2, answer_days={"2": 1, "4": 1}
    )
    recap(AUG, "64.72", received=1, first_answers=1, answered_on_time=1, answer_days={"9": 1})
    recap(SEP, "64.72")
    # Balikpapan: five reports, all let escalate to the province in August; nothing left.
    recap(JUL, "64.71", received=5, open=5)
    recap(AUG, "64.71", escalated_unanswered=5, escalations=5)
    recap(SEP, "64.71")
    # Bontang: one let escalate, three answered, one of them disputed; two ratings.
    recap(
        SEP,
        "64.74",
        received=4,
        first_answers=3,
        answered_on_time=2,
        escalated_unanswered=1,
        escalations=1,
        disputes=1,
        rating_sum=8,
        rating_count=2,
        answer_days={"3": 1, "10": 1, "20": 1},
    )
    # Paser: one answer, too few to rank.
    recap(SEP, "64.01", received=1, first_answers=1, answered_on_time=1, answer_days={"1": 1})
    # Kutai Kartanegara: two reports in its coordinator's queue, within their deadline; an
    # overdue report at the end of July is stock of July, not of the quarter.
    recap(JUL, "64.02", received=2, open=3, in_queue=3, overdue=1)
    recap(SEP, "64.02", open=2, in_queue=2)
    # Q4 so far: Samarinda answered two in October, holds three at the end of November.
    recap(OCT, "64.72", received=2, first_answers=2, answered_on_time=2, answer_days={"5": 2})
    recap(NOV, "64.72", received=3, open=3, overdue=1)
    recap(OCT, "64.71", received=1, first_answers=1, answered_on_time=0, answer_days={"30": 1})


def evaluate(quarter: Quarter = Q3, now: dt.datetime = IN_DECEMBER) -> QuarterlyEvaluation:
    return quarterly_evaluation(Region.objects.get(code="64"), quarter, now=now)


def by_code(result: QuarterlyEvaluation) -> dict[str, Evaluation]:
    return {e.region.code: e for e in result.rows}


class TestScore:
    def test_the_regency_that_let_every_report_escalate_scores_far_below_the_one_that_answered(
        self, quarters: None
    ) -> None:
        rows = by_code(evaluate())
        samarinda, balikpapan = rows["64.72"], rows["64.71"]
        assert (samarinda.responsible, samarinda.first_answers, samarinda.score) == (3, 3, 100.0)
        # Five reports to answer, none answered, none on time, five deadlines missed.
        assert (balikpapan.responsible, balikpapan.first_answers, balikpapan.score) == (5, 0, 0.0)
        assert balikpapan.part_percents == {
            "answered": 0.0,
            "on_time": 0.0,
            "deadlines_kept": 0.0,
            "rating": None,
            "undisputed": None,
        }
        assert samarinda.rank == 1
        assert balikpapan.rank is not None and balikpapan.rank > samarinda.rank

    def test_letting_reports_escalate_through_two_agencies_still_scores_nothing(
        self, quarters: None
    ) -> None:
        # The OPD let them escalate to the regency's coordinator, which let them go on up.
        MonthlyRecap.objects.filter(region_id="64.71", month=AUG).update(
            escalated_unanswered=10, escalations=10
        )
        assert by_code(evaluate())["64.71"].score == 0.0

    def test_each_part_by_hand(self, quarters: None) -> None:
        bontang = by_code(evaluate())["64.74"]
        assert bontang.responsible == 4  # three answered, one let escalate
        assert bontang.part_percents == {
            "answered": 75.0,  # 3 of 4
            "on_time": 50.0,  # 2 of 4
            "deadlines_kept": 75.0,  # 1 - 1/4
            "rating": 75.0,  # average 4: (4 - 1) / 4
            "undisputed": 66.7,  # 1 - 1/3
        }
        # (40 * .75 + 25 * .5 + 15 * .75 + 10 * .75 + 10 * 2/3) / 100 = 67.916…
        assert bontang.score == 67.9
        assert bontang.left_out == []
        assert (bontang.answered_share, bontang.on_time_share, bontang.dispute_share) == (
            75.0,
            50.0,
            33.3,
        )
        assert (bontang.median_days, bontang.rating) == (10.0, 4.0)

    def test_a_part_without_data_is_left_out_and_named(self, quarters: None) -> None:
        samarinda = by_code(evaluate())["64.72"]
        # No ratings: the other parts, 90 of the weight, make the score.
        assert samarinda.left_out == ["rating"]
        with translation.override("en"):
            _header, rows = evaluation_rows([samarinda])
        assert rows[0][-1] == "scored without: rating"

    def test_overdue_reports_at_the_end_of_the_quarter_count_as_not_answered(
        self, quarters: None
    ) -> None:
        recap(
            SEP, "64.09", received=8, first_answers=4, answered_on_time=4, open=4, overdue=4
        )  # Kabupaten Penajam Paser Utara
        e = by_code(evaluate())["64.09"]
        assert (e.responsible, e.answered_share, e.on_time_share) == (8, 50.0, 50.0)
        # (40 * .5 + 25 * .5 + 15 + 10) / 90 = 63.88…
        assert e.score == 63.9

    def test_the_stock_is_the_quarters_last_month(self, quarters: None) -> None:
        kukar = by_code(evaluate())["64.02"]
        # July's overdue report was dealt with by the end of September.
        assert (kukar.open, kukar.overdue, kukar.received) == (2, 0, 2)

    def test_the_flows_of_the_three_months_add_up(self, quarters: None) -> None:
        samarinda = by_code(evaluate())["64.72"]
        assert (samarinda.received, samarinda.first_answers, samarinda.answered_on_time) == (
            3,
            3,
            3,
        )
        # The median of 2, 4 and 9 working days over July and August.
        assert samarinda.median_days == 4.0

    def test_the_median_of_an_even_number_of_answers_is_interpolated(self, quarters: None) -> None:
        MonthlyRecap.objects.filter(region_id="64.72", month=SEP).update(
            first_answers=1, answered_on_time=1, answer_days={"12": 1}
        )
        # 2, 4, 9 and 12: between 4 and 9.
        assert by_code(evaluate())["64.72"].median_days == 6.5


class TestRanking:
    def test_ranked_best_first_then_the_unranked_by_code(self, quarters: None) -> None:
        result = evaluate()
        assert not result.provisional and result.provisional_reason is None
        assert [(e.rank, e.region.code, e.score, e.unranked_reason) for e in result.rows] == [
            (1, "64.72", 100.0, None),
            (2, "64.74", 67.9, None),
            (3, "64.71", 0.0, None),
            # One report to answer, below the minimum of three: a score, no rank.
            (None, "64.01", 100.0, Unranked.TOO_FEW_REPORTS),
            # Nothing to answer: no score at all (not 0), no rank.
            (None, "64.02", None, Unranked.NOTHING_TO_SCORE),
        ]

    def test_equal_scores_share_a_rank(self, quarters: None) -> None:
        recap(SEP, "64.09", received=3, first_answers=3, answered_on_time=3)
        assert [(e.rank, e.region.code) for e in evaluate().rows][:4] == [
            (1, "64.09"),
            (1, "64.72"),
            (3, "64.74"),
            (4, "64.71"),
        ]

    def test_the_minimum_counts_reports_to_answer_not_reports_received(
        self, quarters: None, settings: Any
    ) -> None:
        settings.LAPOR_EVALUATION_MIN_REPORTS = 4
        rows = by_code(evaluate())
        assert rows["64.72"].rank is None  # three to answer
        assert rows["64.72"].unranked_reason == Unranked.TOO_FEW_REPORTS
        assert (rows["64.71"].rank, rows["64.74"].rank) == (2, 1)
        with translation.override("en"):
            _header, table = evaluation_rows([rows["64.72"]])
        assert table[0][-1] == (
            "not ranked: 3 of the 4 reports to answer needed; scored without: rating"
        )

    def test_no_rows_before_any_month_of_the_quarter_is_built(self, quarters: None) -> None:
        result = evaluate(Quarter(2026, 2))
        assert result.rows == [] and result.built == []


class TestProvisional:
    def test_a_quarter_that_has_not_ended_is_evaluated_but_not_ranked(self, quarters: None) -> None:
        result = evaluate(Q4, now=IN_DECEMBER)
        assert result.provisional and not result.ended
        assert result.built == [OCT, NOV]
        with translation.override("en"):
            assert result.provisional_reason == (
                "Provisional, not ranked: the quarter ends on 31 December 2026."
            )
        assert [(e.region.code, e.rank, e.unranked_reason) for e in result.rows] == [
            ("64.71", None, Unranked.PROVISIONAL),
            ("64.72", None, Unranked.PROVISIONAL),
        ]
        # The stock is that of the newest built month: November.
        samarinda = by_code(result)["64.72"]
        assert (samarinda.open, samarinda.overdue, samarinda.responsible) == (3, 1, 3)
        assert samarinda.score is not None

    def test_an_ended_quarter_not_fully_built_is_not_ranked(self, quarters: None) -> None:
        result = evaluate(Q4, now=IN_JANUARY)
        assert result.ended and result.provisional
        assert result.missing == [DEC]
        with translation.override("en"):
            assert result.provisional_reason == (
                "Provisional, not ranked: months not built yet: December 2026."
            )
        assert all(e.rank is None for e in result.rows)

    def test_the_quarter_ends_at_midnight_in_jakarta(self, quarters: None) -> None:
        build(DEC)
        just_before = dt.datetime(2026, 12, 31, 23, 59, tzinfo=WIB)
        assert evaluate(Q4, now=just_before).provisional
        at_midnight = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)  # 1 January, 00:00 WIB
        assert not evaluate(Q4, now=at_midnight).provisional


class TestQuarters:
    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            (IN_DECEMBER, Q3),
            (IN_JANUARY, Q4),
            (dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC), Q3),  # 23:59 WIB
            (dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC), Q4),  # 00:00 WIB
            (dt.datetime(2027, 3, 31, 12, 0, tzinfo=WIB), Q4),
            (dt.datetime(2027, 4, 1, 0, 0, tzinfo=WIB), Quarter(2027, 1)),
        ],
    )
    def test_without_one_the_last_ended_quarter(self, now: dt.datetime, expected: Quarter) -> None:
        assert evaluation_quarter("", now=now) == expected

    def test_a_quarter_asked_for(self) -> None:
        assert evaluation_quarter(" 2026-Q3 ", now=IN_DECEMBER) == Q3
        assert Q3.value == "2026-Q3"
        assert Q3.months == [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]
        assert Q4.last_day == dt.date(2026, 12, 31)

    def test_the_quarters_with_a_built_month_newest_first(self, quarters: None) -> None:
        assert evaluation_quarters() == [Q4, Q3]
        assert evaluation_quarters(include=Quarter(2026, 1)) == [Q4, Q3, Quarter(2026, 1)]
        assert evaluation_quarters(include=Q3) == [Q4, Q3]

    def test_labels(self) -> None:
        with translation.override("en"):
            assert [Quarter(2026, n).label for n in (1, 2, 3, 4)] == [
                "Q1 2026",
                "Q2 2026",
                "Q3 2026",
                "Q4 2026",
            ]
        with translation.override("id"):
            assert Q3.label == "Triwulan III 2026"
            assert Q4.label == "Triwulan IV 2026"


class TestNotes:
    def test_every_part_of_the_score_is_defined_with_its_weight(self, settings: Any) -> None:
        settings.LAPOR_EVALUATION_MIN_REPORTS = 7
        with translation.override("en"):
            notes = dict(evaluation_notes())
        assert "answered 40, on time 25, deadlines not missed 15, rating 10" in notes["Score"]
        assert " 7 " in notes["Rank"]
        for label in ("To answer", "Answered", "On time", "Missed deadlines", "Overdue"):
            assert label in notes
        assert "no score, not 0" in notes["No score"]
        assert "not ranked" in notes["Provisional"]


# --- the page and its exports ------------------------------------------------------------------

ClientFor = Callable[[str], Client]


@pytest.fixture
def at_december() -> Iterator[None]:
    with time_machine.travel(IN_DECEMBER, tick=False):
        yield


@pytest.fixture
def at_january() -> Iterator[None]:
    with time_machine.travel(IN_JANUARY, tick=False):
        yield


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV export in its default form: semicolons, after a byte order mark."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode()[1:]), delimiter=";"))


def page(client: Client, **params: str) -> str:
    response = client.get(PAGE, params)
    assert response.status_code == 200
    return response.content.decode()


class TestPage:
    def test_the_quarter_is_chosen_from_a_list_the_last_ended_by_default(
        self, quarters: None, client_for: ClientFor, at_january: None
    ) -> None:
        html = page(client_for("kaltim"))
        options = [
            f'<option value="2026-Q4" selected>{in_indonesian(lambda: Q4.label)}</option>',
            f'<option value="2026-Q3">{in_indonesian(lambda: Q3.label)}</option>',
        ]
        assert '<select id="quarter" name="quarter">' + "".join(options) + "</select>" in html

    def test_a_provisional_quarter_says_why_and_ranks_nobody(
        self, quarters: None, client_for: ClientFor, at_january: None
    ) -> None:
        html = page(client_for("kaltim"), quarter="2026-Q4")
        result = in_indonesian(lambda: evaluate(Q4, now=IN_JANUARY).provisional_reason)
        assert f'<p class="note provisional" role="status"><strong>{escape(result)}' in html
        _header, *rows = page_tables(html).tables["inbox recap"]
        assert [(r[0], r[1]) for r in rows] == [
            ("–", "Kota Balikpapan"),
            ("–", "Kota Samarinda"),
        ]

    def test_a_final_quarter_ranks_and_has_no_provisional_note(
        self, quarters: None, client_for: ClientFor, at_december: None
    ) -> None:
        html = page(client_for("kaltim"), quarter="2026-Q3")
        assert 'class="note provisional"' not in html
        _header, *rows = page_tables(html).tables["inbox recap"]
        # (rank, name, to answer, answered, let escalate, score)
        assert [(r[0], r[1], r[4], r[5], r[6], r[14]) for r in rows] == [
            ("1", "Kota Samarinda", "3", "3", "0", "100,0"),
            ("2", "Kota Bontang", "4", "3", "1", "67,9"),
            ("3", "Kota Balikpapan", "5", "0", "5", "0,0"),
            ("–", "Kabupaten Paser", "1", "1", "0", "100,0"),
            ("–", "Kabupaten Kutai Kartanegara", "0", "0", "0", "–"),
        ]

    def test_every_note_is_on_the_page(
        self, quarters: None, client_for: ClientFor, at_december: None
    ) -> None:
        html = page(client_for("kaltim"), quarter="2026-Q3")
        for label, text in in_indonesian(evaluation_notes):
            assert f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" in html

    @pytest.mark.parametrize(
        "quarter", ["2026-Q5", "2026-Q0", "Q3-2026", "1999-Q3", "2026-q3", "9999-Q4"]
    )
    def test_a_malformed_quarter_is_400_in_the_users_language(
        self, quarters: None, client_for: ClientFor, settings: Any, quarter: str
    ) -> None:
        client = client_for("kaltim")
        message = "Give the quarter as YYYY-Qn, for example 2026-Q3."
        response = client.get(PAGE, {"quarter": quarter})
        assert response.status_code == 400
        assert escape(in_indonesian(gettext, message)) in response.content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
        english = client.get(PAGE, {"quarter": quarter})
        assert english.status_code == 400
        assert escape(message) in english.content.decode()


class TestExports:
    def test_the_csv_of_a_provisional_quarter_says_so_above_the_table(
        self, quarters: None, client_for: ClientFor, at_december: None
    ) -> None:
        client = client_for("kaltim")
        content = client.get(
            "/reports/evaluation/export.csv", {"quarter": "2026-Q4", "region": "64"}
        ).content
        status, header, *rows = csv_rows(content)
        reason = in_indonesian(lambda: evaluate(Q4).provisional_reason)
        assert status == [reason]
        expected_header, expected = in_indonesian(evaluation_rows, evaluate(Q4).rows)
        assert header == expected_header
        assert [r[1] for r in rows] == [r[1] for r in expected]

    def test_the_csv_of_a_final_quarter_starts_with_its_header(
        self, quarters: None, client_for: ClientFor, at_december: None
    ) -> None:
        content = (
            client_for("kaltim")
            .get("/reports/evaluation/export.csv", {"quarter": "2026-Q3", "region": "64"})
            .content
        )
        header, *rows = csv_rows(content)
        assert header == in_indonesian(evaluation_rows, [])[0]
        assert [r[1] for r in rows] == [
            "Kota Samarinda",
            "Kota Bontang",
            "Kota Balikpapan",
            "Kabupaten Paser",
            "Kabupaten Kutai Kartanegara",
        ]

    def test_the_pdf_of_a_provisional_quarter_says_so_and_names_the_quarter(
        self, quarters: None, client_for: ClientFor, at_december: None
    ) -> None:
        content = (
            client_for("kaltim")
            .get("/reports/evaluation/export.pdf", {"quarter": "2026-Q4", "region": "64"})
            .content
        )
        text = " ".join(" ".join(page.split()) for page in pdf_pages(content))
        reason = in_indonesian(lambda: evaluate(Q4).provisional_reason)
        assert " ".join(reason.split()) in text
        assert in_indonesian(lambda: Q4.label) in text
