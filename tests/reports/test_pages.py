"""The recap pages through HTTP: who may open which region, the drill-down, the numbers, the
charts and what must never be on them.

The permission tables are written out by hand; the expected cells come from the saved
``MonthlyRecap`` rows (shown with ``reports.figures.display_row`` in Bahasa Indonesia), and some
are spelled out from the scenario of ``conftest.py`` (Kota Samarinda's row, the charts' tables,
the quarter's evaluation) so that a wrong figure, rounding or number format shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from complaints.models import Complaint, Reporter
from reports.figures import BY_KEY, FIGURES, display_row, in_group
from reports.selectors import evaluation_notes
from routing.models import Agency
from tests.reports.conftest import (
    BUILT_AT,
    FORMULA_NAMES,
    HTML_NAME,
    MIN_REPORTS,
    NOV,
    REPORTER_EMAIL,
    REPORTER_NAME,
    REPORTER_VALUES,
    csv_rows,
    evaluation_remarks,
    in_indonesian,
    own_row,
    page_tables,
    pdf_pages,
    recap_rows,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], Client]
Built = dict[str, Complaint]

MONTHLY = "/reports/"
EVALUATION = "/reports/evaluation/"
MONTH_MESSAGE = "Give the month as YYYY-MM, for example 2026-10."
QUARTER_MESSAGE = "Give the quarter as YYYY-Qn, for example 2026-Q3."


def get(client: Client, path: str, **params: str) -> Any:
    return client.get(path, params)


def body(response: Any) -> str:
    return response.content.decode()


def indonesian(message: str) -> str:
    """``message`` as the pages show it by default; it must really be translated."""
    translated = in_indonesian(gettext, message)
    assert translated != message, f"no Indonesian translation of {message!r}"
    return translated


def assert_sent_to_login(response: Any, path: str) -> None:
    """Redirected to the staff login, which brings the visitor back to ``path`` after."""
    assert response.status_code == 302
    login, query = response.url.split("?", 1)
    assert login == reverse("dashboard:login")
    assert parse_qs(query)["next"][0].split("?")[0] == path


# --- who may open which region -----------------------------------------------------------------

# (role, region asked for, status, name in the heading for a 200)
MONTHLY_CASES = [
    ("plain", "", 403, None),
    ("closed", "", 403, None),
    ("dinkes", "", 403, None),
    ("dinkes", "64.72", 403, None),
    ("national", "", 200, "Indonesia"),
    ("national", "64", 200, "Kalimantan Timur"),
    ("national", "64.72", 200, "Kota Samarinda"),
    # No agencies, but a report filed about it: a recap of its own.
    ("national", "31", 200, "Daerah Khusus Ibukota Jakarta"),
    ("national", "99", 404, None),
    ("national", "64.72.01", 404, None),  # a district is not a recap region
    ("kaltim", "", 200, "Kalimantan Timur"),
    ("kaltim", "64", 200, "Kalimantan Timur"),
    ("kaltim", "64.71", 200, "Kota Balikpapan"),
    ("kaltim", "31", 403, None),
    ("kaltim", "31.71", 403, None),
    ("kaltim", "64.99", 404, None),
    ("samarinda", "", 200, "Kota Samarinda"),
    ("samarinda", "64.72", 200, "Kota Samarinda"),
    ("samarinda", "64", 403, None),
    ("samarinda", "64.71", 403, None),
    ("samarinda", "31", 403, None),
    ("balikpapan", "64.72", 403, None),
]

# The monthly exports: a region without a recap (no agency, no report) has nothing to download.
EXPORT_CASES = [
    ("plain", "", 403),
    ("closed", "", 403),
    ("dinkes", "", 403),
    ("dinkes", "64.72", 403),
    ("national", "", 200),
    ("national", "64", 200),
    ("national", "64.72", 200),
    ("national", "31", 200),  # no agencies, one report filed about it
    ("national", "64.01", 400),  # Kabupaten Paser: no agency, no report
    ("national", "99", 404),
    ("kaltim", "", 200),
    ("kaltim", "64.71", 200),
    ("kaltim", "31", 403),
    ("kaltim", "64.99", 404),
    ("samarinda", "", 200),
    ("samarinda", "64", 403),
    ("samarinda", "64.71", 403),
    ("balikpapan", "64.72", 403),
]

OWN_REGION = {"national": "nasional", "kaltim": "64", "samarinda": "64.72"}

# The quarterly evaluation: national and province coordinators only, and only a province.
EVALUATION_CASES = [
    ("plain", "", 403),
    ("closed", "", 403),
    ("dinkes", "", 403),
    ("samarinda", "", 403),
    ("samarinda", "64.72", 403),
    ("samarinda", "64", 403),
    ("balikpapan", "", 403),
    ("national", "", 200),  # asks which province
    ("national", "64", 200),
    ("national", "31", 200),  # one regency/city, with nothing to answer: no score
    ("national", "64.72", 403),
    ("national", "99", 404),
    ("kaltim", "", 200),
    ("kaltim", "64", 200),
    ("kaltim", "64.72", 403),
    ("kaltim", "31", 403),
]

# The evaluation exports: the national coordinator must choose a province (400 without).
EVALUATION_EXPORT_CASES = [
    ("plain", "", 403),
    ("dinkes", "", 403),
    ("samarinda", "", 403),
    ("balikpapan", "64", 403),
    ("national", "", 400),
    ("national", "64", 200),
    ("national", "64.72", 403),
    ("national", "99", 404),
    ("kaltim", "", 200),
    ("kaltim", "31", 403),
]


class TestMonthlyPageAccess:
    @pytest.mark.parametrize(("role", "region", "status", "heading"), MONTHLY_CASES)
    def test_answers_each_role_and_region(
        self,
        built: Built,
        client_for: ClientFor,
        role: str,
        region: str,
        status: int,
        heading: str | None,
    ) -> None:
        response = get(client_for(role), MONTHLY, month="2026-11", region=region)
        assert response.status_code == status
        if status == 200:
            assert f": {heading}, November 2026</h1>" in body(response)

    def test_anonymous_is_sent_to_login(self, built: Built, client_for: ClientFor) -> None:
        response = get(client_for("anonymous"), MONTHLY, month="2026-11", region="64")
        assert_sent_to_login(response, MONTHLY)

    @pytest.mark.parametrize(
        "month", ["2026-13", "2026-00", "2026-1", "11-2026", "November", "2026-11-01", "1999-12"]
    )
    def test_a_malformed_month_is_400_with_the_indonesian_message(
        self, built: Built, client_for: ClientFor, month: str
    ) -> None:
        response = get(client_for("kaltim"), MONTHLY, month=month)
        assert response.status_code == 400
        assert escape(indonesian(MONTH_MESSAGE)) in body(response)


class TestMonthlyExportAccess:
    @pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
    @pytest.mark.parametrize(("role", "region", "status"), EXPORT_CASES)
    def test_answers_each_role_and_region(
        self, built: Built, client_for: ClientFor, kind: str, role: str, region: str, status: int
    ) -> None:
        response = get(client_for(role), f"/reports/export.{kind}", month="2026-11", region=region)
        assert response.status_code == status
        if status == 200:
            name = f"rekap-2026-11-{region or OWN_REGION[role]}"
            assert response["Content-Disposition"] == f'attachment; filename="{name}.{kind}"'
        if status == 400:
            assert escape(indonesian("This month has no recap yet.")) in body(response)

    @pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
    def test_anonymous_is_sent_to_login(
        self, built: Built, client_for: ClientFor, kind: str
    ) -> None:
        response = get(client_for("anonymous"), f"/reports/export.{kind}", month="2026-11")
        assert_sent_to_login(response, f"/reports/export.{kind}")

    @pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
    def test_a_malformed_month_is_400_with_the_indonesian_message(
        self, built: Built, client_for: ClientFor, kind: str
    ) -> None:
        response = get(client_for("national"), f"/reports/export.{kind}", month="2026/11")
        assert response.status_code == 400
        assert escape(indonesian(MONTH_MESSAGE)) in body(response)

    @pytest.mark.parametrize("kind", ["csv", "xlsx", "pdf"])
    def test_a_month_without_recap_is_400(
        self, built: Built, client_for: ClientFor, kind: str
    ) -> None:
        response = get(client_for("kaltim"), f"/reports/export.{kind}", month="2026-09")
        assert response.status_code == 400
        assert escape(indonesian("This month has no recap yet.")) in body(response)


class TestEvaluationAccess:
    @pytest.mark.parametrize(("role", "region", "status"), EVALUATION_CASES)
    def test_page_answers_each_role_and_region(
        self, built: Built, client_for: ClientFor, role: str, region: str, status: int
    ) -> None:
        response = get(client_for(role), EVALUATION, quarter="2026-Q4", region=region)
        assert response.status_code == status

    @pytest.mark.parametrize("kind", ["csv", "pdf"])
    @pytest.mark.parametrize(("role", "region", "status"), EVALUATION_EXPORT_CASES)
    def test_export_answers_each_role_and_region(
        self, built: Built, client_for: ClientFor, kind: str, role: str, region: str, status: int
    ) -> None:
        path = f"/reports/evaluation/export.{kind}"
        response = get(client_for(role), path, quarter="2026-Q4", region=region)
        assert response.status_code == status
        if status == 200:
            assert response["Content-Disposition"] == (
                f'attachment; filename="evaluasi-2026-q4-64.{kind}"'
            )
        if status == 400:
            assert escape(indonesian("Choose a province.")) in body(response)

    @pytest.mark.parametrize(
        "path", [EVALUATION, "/reports/evaluation/export.csv", "/reports/evaluation/export.pdf"]
    )
    def test_anonymous_is_sent_to_login(
        self, built: Built, client_for: ClientFor, path: str
    ) -> None:
        assert_sent_to_login(get(client_for("anonymous"), path, quarter="2026-Q4"), path)

    @pytest.mark.parametrize(
        "path", [EVALUATION, "/reports/evaluation/export.csv", "/reports/evaluation/export.pdf"]
    )
    @pytest.mark.parametrize("quarter", ["2026-Q5", "2026-Q0", "2026-4", "Q4-2026", "1999-Q4"])
    def test_a_malformed_quarter_is_400_with_the_indonesian_message(
        self, built: Built, client_for: ClientFor, path: str, quarter: str
    ) -> None:
        response = get(client_for("kaltim"), path, quarter=quarter)
        assert response.status_code == 400
        assert escape(indonesian(QUARTER_MESSAGE)) in body(response)

    def test_the_national_coordinator_chooses_among_provinces_with_agencies(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("national"), EVALUATION, quarter="2026-Q4"))
        assert 'href="?quarter=2026-Q4&amp;region=64"' in html
        assert "region=31" not in html  # DKI Jakarta has no agencies

    def test_the_province_page_links_the_exports_of_its_quarter(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), EVALUATION, quarter="2026-Q4"))
        for kind in ("csv", "pdf"):
            assert f'href="/reports/evaluation/export.{kind}?quarter=2026-Q4&amp;region=64"' in html

    def test_a_regency_coordinator_is_offered_no_evaluation(
        self, built: Built, client_for: ClientFor
    ) -> None:
        assert EVALUATION not in body(get(client_for("samarinda"), MONTHLY, month="2026-11"))
        assert EVALUATION in body(get(client_for("kaltim"), MONTHLY, month="2026-11"))


class TestEvaluationPage:
    def test_ranks_regencies_with_ties_and_leaves_the_small_one_unranked(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), EVALUATION, quarter="2026-Q4"))
        assert 'class="note provisional"' not in html  # ended, its three months built
        header, *rows = page_tables(html).tables["inbox recap"]
        assert len(header) == 16
        # Reports to answer: first final answers + let escalate (none: no sweep ran) + overdue
        # at the end of December.
        # (rank, name, code, received, to answer, answered, overdue, answered %, on time %,
        #  median days, score, remarks)
        assert [(*r[:6], *r[7:10], r[11], r[14], r[15]) for r in rows] == [
            # Both reports of 4 November answered after 2 working days, within the 14; no
            # rating: the score is the other parts, all full.
            (
                "1", "Kota Balikpapan", "64.71", "2", "2", "2", "0", "100,0", "100,0", "2,0",
                "100,0", evaluation_remarks(without=("rating",)),
            ),
            (
                "1", "Kota Bontang", "64.74", "2", "2", "2", "0", "100,0", "100,0", "2,0",
                "100,0", evaluation_remarks(without=("rating",)),
            ),
            # Eight filed about it (one in October, seven in November); two answered (after 2
            # and 4 working days, on time), four overdue at the end of December: the October
            # report, and the three whose deadlines passed on 2, 3 and 4 December.
            # (40 * 2/6 + 25 * 2/6 + 15 * 1 + 10 * (4 - 1)/4 + 10 * 1) / 100 = 54.17
            (
                "3", "Kota Samarinda", "64.72", "8", "6", "2", "4", "33,3", "33,3", "3,0",
                "54,2", "–",
            ),
            # One report to answer (overdue in the queue), below the minimum of two: scored
            # on what it has, (15 * 1) / (40 + 25 + 15) = 18.75, and not ranked.
            (
                "–", "Kabupaten Kutai Kartanegara", "64.02", "1", "1", "0", "1", "0,0", "0,0",
                "–", "18,8",
                evaluation_remarks(to_answer=1, without=("rating", "answers not disputed")),
            ),
        ]  # fmt: skip

    def test_without_its_last_month_built_the_quarter_is_provisional_and_ranks_nobody(
        self, built: Built, client_for: ClientFor
    ) -> None:
        with time_machine.travel(BUILT_AT, tick=False):  # ended; December not built
            html = body(get(client_for("kaltim"), EVALUATION, quarter="2026-Q4"))
        reason = in_indonesian(
            gettext, "Provisional, not ranked: months not built yet: %(months)s."
        ) % {"months": "Desember 2026"}
        assert f'<p class="note provisional" role="status"><strong>{escape(reason)}' in html
        _header, *rows = page_tables(html).tables["inbox recap"]
        assert [(r[0], r[2]) for r in rows] == [
            ("–", "64.02"),
            ("–", "64.71"),
            ("–", "64.72"),
            ("–", "64.74"),
        ]

    def test_a_quarter_without_recaps_says_so(self, built: Built, client_for: ClientFor) -> None:
        response = get(client_for("kaltim"), EVALUATION, quarter="2026-Q2")
        assert response.status_code == 200
        assert escape(in_indonesian(gettext, "No monthly recaps for this quarter yet.")) in body(
            response
        )
        assert "inbox recap" not in body(response)

    def test_every_column_is_defined_with_the_minimum_in_force(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), EVALUATION, quarter="2026-Q4"))
        notes = in_indonesian(evaluation_notes)
        assert len(notes) == 13
        for label, text in notes:
            assert f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" in html
        assert any(f" {MIN_REPORTS} " in text for _label, text in notes)


# --- drill-down -------------------------------------------------------------------------------


# The page's recap: one table per group of figures, each with the names of the rows.
GROUP_TABLES = {
    "flow": "inbox recap recap-flow",
    "stock": "inbox recap recap-stock",
    "time": "inbox recap recap-time",
}


def recap_table(html: str) -> tuple[list[str], list[list[str]], list[str], list[str]]:
    """(header, body rows, total row, link of each body row) of the page's recap, its tables
    joined back into one: the name, then every figure in the order of ``FIGURES``. Each table
    lists the same rows, with the same links."""
    tables = page_tables(html)
    heads: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    names: list[list[str]] = []  # each table's first column, its head included
    links: list[list[str]] = []
    for group, css in GROUP_TABLES.items():
        head, *rows = tables.tables[css]
        members = in_group(group)
        assert len(head) == len(members) + 1, group
        names.append([head[0], *(r[0] for r in rows)])
        links.append(tables.links[css][1:-1])
        for index, figure in enumerate(members, start=1):
            heads[figure.key] = head[index]
            columns[figure.key] = [r[index] for r in rows]
    assert all(column == names[0] for column in names)
    assert all(column == links[0] for column in links)
    name_head, *row_names = names[0]
    joined = [[name, *(columns[f.key][i] for f in FIGURES)] for i, name in enumerate(row_names)]
    *body_rows, total = joined
    return [name_head, *(heads[f.key] for f in FIGURES)], body_rows, total, links[0]


class TestDrillDown:
    def test_the_nation_lists_provinces_with_links_and_the_national_agency(
        self, built: Built, client_for: ClientFor
    ) -> None:
        _header, rows, total, links = recap_table(
            body(get(client_for("national"), MONTHLY, month="2026-11"))
        )
        assert [(r[0], link) for r, link in zip(rows, links, strict=True)] == [
            # No agencies; the report about Jakarta gives it a row.
            ("Daerah Khusus Ibukota Jakarta", "?month=2026-11&region=31"),
            ("Kalimantan Timur", "?month=2026-11&region=64"),
            ("Nasional", ""),
        ]
        assert total[0] == f"{in_indonesian(gettext, 'Total')}: Indonesia"

    def test_the_province_lists_its_regencies_with_links_then_its_own_agencies(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11"))
        _header, rows, total, links = recap_table(html)
        assert [(r[0], link) for r, link in zip(rows, links, strict=True)] == [
            ("Kabupaten Kutai Kartanegara", "?month=2026-11&region=64.02"),
            ("Kota Balikpapan", "?month=2026-11&region=64.71"),
            ("Kota Bontang", "?month=2026-11&region=64.74"),
            ("Kota Samarinda", "?month=2026-11&region=64.72"),
            ("Disdik Kaltim", ""),
            ("Diskominfo Kaltim", ""),
        ]
        assert total[0] == f"{in_indonesian(gettext, 'Total')}: Kalimantan Timur"

    def test_the_regency_lists_its_agencies_under_a_trail_back_to_the_province(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11", region="64.72"))
        _header, rows, _total, links = recap_table(html)
        assert [r[0] for r in rows] == [
            "Dinkes Samarinda",
            "Diskominfo Samarinda",
            "RSUD Samarinda",
        ]
        assert links == ["", "", ""]
        trail = html.split('<nav class="trail"')[1].split("</nav>")[0]
        assert '<a href="?month=2026-11&amp;region=64">Kalimantan Timur</a>' in trail
        assert '<span aria-current="page">Kota Samarinda</span>' in trail

    def test_the_regency_coordinator_gets_no_link_above_its_own(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("samarinda"), MONTHLY, month="2026-11"))
        trail = html.split('<nav class="trail"')[1].split("</nav>")[0]
        assert "<a " not in trail
        assert "region=64&" not in html and 'region=64"' not in html

    def test_the_exports_are_linked_for_the_region_and_month(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11", region="64.72"))
        for kind in ("csv", "xlsx", "pdf"):
            assert f'href="/reports/export.{kind}?month=2026-11&amp;region=64.72"' in html

    def test_a_month_without_recap_says_so(self, built: Built, client_for: ClientFor) -> None:
        response = get(client_for("kaltim"), MONTHLY, month="2026-09")
        assert response.status_code == 200
        html = body(response)
        message = in_indonesian(
            gettext,
            "There is no recap for %(name)s yet. Recaps are built on the 1st of the following month.",
        ) % {"name": "September 2026"}
        assert escape(message) in html
        assert "inbox recap" not in html
        assert "/reports/export." not in html

    def test_without_a_month_the_newest_built_is_shown(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY))
        assert ": Kalimantan Timur, November 2026</h1>" in html
        assert '<option value="2026-11" selected>' in html
        assert '<option value="2026-10">' in html


# --- the numbers -------------------------------------------------------------------------------


class TestMonthlyNumbers:
    @pytest.mark.parametrize(
        ("role", "region"), [("national", None), ("kaltim", "64"), ("samarinda", "64.72")]
    )
    def test_every_cell_is_the_saved_recap_figure(
        self, built: Built, client_for: ClientFor, role: str, region: str | None
    ) -> None:
        header, rows, total, _links = recap_table(
            body(get(client_for(role), MONTHLY, month="2026-11"))
        )
        assert header[1:] == [in_indonesian(str, f.label) for f in FIGURES]
        expected = recap_rows(NOV, region)
        assert rows == [[r.name, *in_indonesian(display_row, r)] for r in expected]
        assert total[1:] == in_indonesian(display_row, own_row(NOV, region))

    def test_samarindas_row_in_the_indonesian_number_format(
        self, built: Built, client_for: ClientFor
    ) -> None:
        _header, rows, _total, _links = recap_table(
            body(get(client_for("kaltim"), MONTHLY, month="2026-11"))
        )
        (samarinda,) = [r for r in rows if r[0] == "Kota Samarinda"]
        cells = dict(zip([f.key for f in FIGURES], samarinda[1:], strict=True))
        assert cells == {
            # Every report filed about Samarinda in November: Dinkes's five, Disdik Kaltim's
            # and the one Diskominfo Kaltim archived (its own agencies received five).
            "received": "7",
            "first_answers": "2",  # Dinkes: 5 November (report of the 3rd), 6 November (2nd)
            "escalated_unanswered": "0",  # no deadline sweep ran: nothing escalated
            "escalations": "0",
            "transfers": "0",
            "disputes": "0",
            "completed": "1",  # accepted on 9 November
            "archived": "0",  # archived by Diskominfo Kaltim, a province's agency
            # Dinkes's five open reports at the end of November: October's and two more not
            # taken up, one in process, one answered and awaiting the reporter.
            "open": "5",
            "queue": "0",
            "unanswered": "3",
            "in_process": "1",
            "awaiting_citizen": "1",
            "overdue": "1",  # the October report, due 27 October; the others' deadlines in December
            # First answers after 2 (3 → 5 November) and 4 (2 → 6 November) working days: the
            # median between them, the 90th percentile 2 + 0.9 * (4 - 2).
            "median_days": "3",
            "p90_days": "3,8",
            "on_time": "100,0%",  # both by their deadline of 14 working days (20 and 23 November)
            "rating": "4,00",
        }

    def test_the_trend_table_holds_the_numbers_of_the_chart(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11"))
        header, *trend = page_tables(html).tables["inbox small"]
        keys = ("received", "first_answers", "unanswered")
        assert header == [
            in_indonesian(gettext, "Month"),
            *(in_indonesian(str, BY_KEY[key].label) for key in keys),
        ]
        assert len(trend) == 12
        assert trend[0] == ["Des 2025", "–", "–", "–"]
        assert trend[-2:] == [
            # October: the one report filed, not taken up at the month's end.
            ["Okt 2026", "1", "0", "1"],
            # November: twelve filed about Kaltim (all but Jakarta's); six first answers
            # (two each by the three Dinkes); Dinkes Samarinda's three not taken up.
            ["Nov 2026", "12", "6", "3"],
        ]
        chart, _states = svgs(html)
        for month, cells in (("2026-10", trend[-2]), ("2026-11", trend[-1])):
            for label, value in zip(header[1:], cells[1:], strict=True):
                assert f"<title>{escape(label)} {month}: {value}</title>" in chart

    def test_the_states_table_holds_the_numbers_of_the_states_chart(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11"))
        header, *states = page_tables(html).tables["inbox small recap"]
        keys = ("awaiting_citizen", "in_process", "unanswered", "queue")
        assert header == [
            in_indonesian(gettext, "Region or agency"),
            *(in_indonesian(str, BY_KEY[key].label) for key in keys),
        ]
        # The reports open at the end of November, by where they stood.
        assert states == [
            ["Kabupaten Kutai Kartanegara", "0", "0", "0", "1"],  # in its coordinator's queue
            ["Kota Balikpapan", "2", "0", "0", "0"],  # both answered on 6 November
            ["Kota Bontang", "2", "0", "0", "0"],
            ["Kota Samarinda", "1", "1", "3", "0"],  # Dinkes Samarinda's five
            ["Disdik Kaltim", "0", "1", "0", "0"],  # taken up on 3 November
            ["Diskominfo Kaltim", "0", "0", "0", "0"],  # archived its one: not open
        ]
        _trend, chart = svgs(html)
        for name, *cells in states:
            for label, value in zip(header[1:], cells, strict=True):
                bar = f"<title>{escape(name)}: {escape(label)} {value}</title>"
                assert (bar in chart) == (value != "0"), bar  # no bar for nothing

    def test_every_figure_is_defined_on_the_page(self, built: Built, client_for: ClientFor) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11"))
        for figure in FIGURES:
            label, definition = (
                in_indonesian(str, figure.label),
                in_indonesian(str, figure.definition),
            )
            assert f"<dt>{escape(label)}</dt><dd>{escape(definition)}</dd>" in html
            assert f'<abbr title="{escape(definition)}">{escape(label)}</abbr>' in html


# --- the charts and what the page loads -------------------------------------------------------

EXTERNAL = re.compile(
    r"""\b(?:src|href|action|srcset|poster|data|xlink:href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|@import""",
    re.IGNORECASE,
)


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)


class TestCharts:
    @pytest.mark.parametrize("region", ["", "64", "64.72"])
    def test_two_inline_svg_charts_without_script_or_links(
        self, built: Built, client_for: ClientFor, region: str
    ) -> None:
        html = body(get(client_for("national"), MONTHLY, month="2026-11", region=region))
        trend, states = svgs(html)
        for chart in (trend, states):
            assert chart.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
            assert not re.search(
                r"<script|<foreignObject|<image|<use\b|\bon\w+\s*=|href", chart, re.I
            )
        assert "Nov 26" in trend
        for row in recap_rows(NOV, region or None):
            assert f">{escape(row.name)}</text>" in states

    @pytest.mark.parametrize(
        "path", [MONTHLY, f"{MONTHLY}?month=2026-09", f"{EVALUATION}?quarter=2026-Q4", EVALUATION]
    )
    def test_nothing_is_loaded_from_another_host(
        self, built: Built, client_for: ClientFor, path: str
    ) -> None:
        response = client_for("kaltim").get(path)
        assert response.status_code == 200
        assert EXTERNAL.findall(body(response)) == []

    def test_names_with_markup_are_escaped_in_the_table_and_the_chart(
        self, odd_names: list[Agency], client_for: ClientFor
    ) -> None:
        html = body(get(client_for("kaltim"), MONTHLY, month="2026-11", region="64.72"))
        assert HTML_NAME not in html
        _header, rows, _total, _links = recap_table(html)
        names = [r[0] for r in rows]
        assert HTML_NAME in names
        assert set(FORMULA_NAMES) <= set(names)  # shown as they are: a page runs no formula
        _trend, states = svgs(html)
        assert f">{escape(HTML_NAME)}</text>" in states
        assert "<b>" not in states


# --- no reporter ---------------------------------------------------------------------------------


class TestNoReporter:
    def test_no_page_or_export_shows_a_reporter(self, built: Built, client_for: ClientFor) -> None:
        reporter = Reporter.objects.get(complaint=built["secret"])
        assert (reporter.name, reporter.email) == (REPORTER_NAME, REPORTER_EMAIL)
        client = client_for("national")
        texts = []
        for region in ("", "64", "64.72"):
            texts.append(body(get(client, MONTHLY, month="2026-11", region=region)))
            export = f"/reports/export.%s?month=2026-11&region={region}"
            texts.append(str(csv_rows(client.get(export % "csv").content)))
            texts.append(str(xlsx_rows(client.get(export % "xlsx").content)))
            texts.extend(pdf_pages(client.get(export % "pdf").content))
        texts.append(body(get(client, EVALUATION, quarter="2026-Q4", region="64")))
        evaluation = "/reports/evaluation/export.%s?quarter=2026-Q4&region=64"
        texts.append(str(csv_rows(client.get(evaluation % "csv").content)))
        texts.extend(pdf_pages(client.get(evaluation % "pdf").content))
        for text in texts:
            for value in REPORTER_VALUES:
                assert value not in text
