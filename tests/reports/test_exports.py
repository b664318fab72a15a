"""The recap and evaluation exports through HTTP: CSV, XLSX and PDF carry the rows of the page
in its order with the saved figures; text that a spreadsheet would run is neutralised."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import gettext

from complaints.models import Complaint
from reports.figures import FIGURES, display, row_values
from reports.models import MonthlyRecap
from reports.selectors import Evaluation, quarterly_evaluation
from reports.services import build_monthly_recap
from routing.models import Agency, Region
from tests.reports.conftest import (
    BUILT_AT,
    DEC,
    FORMULA_NAMES,
    HTML_NAME,
    NOV,
    csv_rows,
    in_indonesian,
    own_row,
    page_tables,
    pdf_pages,
    recap_rows,
    xlsx_rows,
    xlsx_sheet,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], Client]
Built = dict[str, Complaint]

REGIONS = [None, "64", "64.72"]  # what the national coordinator asks for: "" is the nation
KINDS = {f.key: f.kind for f in FIGURES}
NUMBER = r"(?:–|\d+(?:[.,]\d+)?%?)"  # the PDF writes figures as the page does: "85,3%"


def export(client: Client, kind: str, region: str | None, month: str = "2026-11") -> bytes:
    response = client.get(f"/reports/export.{kind}", {"month": month, "region": region or ""})
    assert response.status_code == 200, response.content[:500]
    return response.content


def evaluation_export(client: Client, kind: str, quarter: str = "2026-Q4") -> bytes:
    response = client.get(
        f"/reports/evaluation/export.{kind}", {"quarter": quarter, "region": "64"}
    )
    assert response.status_code == 200
    return response.content


def expected_rows(region: str | None) -> list[MonthlyRecap]:
    """The rows under the region, then its own (the total)."""
    return [*recap_rows(NOV, region), own_row(NOV, region)]


def values(row: MonthlyRecap) -> list[Any]:
    return list(row_values(row).values())


def number(text: str) -> int | float | None:
    """A number as an export writes it; none for an empty cell or a dash."""
    if text in ("", "–"):
        return None
    text = text.removesuffix("%")
    return int(text) if text.isdigit() else float(text.replace(",", "."))


def page_cells(client: Client, region: str | None) -> list[list[str]]:
    """The recap table of the page, total included: name and the figures as shown."""
    response = client.get("/reports/", {"month": "2026-11", "region": region or ""})
    _header, *rows = page_tables(response.content.decode()).tables["inbox recap"]
    return rows


def one_text(pages: list[str]) -> str:
    """A PDF's text with each run of whitespace (cell wraps included) as one space."""
    return " ".join(" ".join(pages).split())


# --- the monthly recap ------------------------------------------------------------------------


class TestMonthlyCsv:
    @pytest.mark.parametrize("region", REGIONS)
    def test_rows_are_the_saved_recap_rows_in_the_page_order(
        self, built: Built, client_for: ClientFor, region: str | None
    ) -> None:
        header, *rows = csv_rows(export(client_for("national"), "csv", region))
        assert header == in_indonesian(
            lambda: [gettext("Name"), gettext("Level"), gettext("Code"), *map(str, labels())]
        )
        expected = expected_rows(region)
        assert [r[:3] for r in rows] == [
            [r.name, in_indonesian(r.get_level_display), r.code] for r in expected
        ]
        assert [[number(c) for c in r[3:]] for r in rows] == [values(r) for r in expected]

    @pytest.mark.parametrize("region", REGIONS)
    def test_numbers_are_those_of_the_page(
        self, built: Built, client_for: ClientFor, region: str | None
    ) -> None:
        client = client_for("national")
        _header, *rows = csv_rows(export(client, "csv", region))
        page = page_cells(client, region)
        shown = [
            [
                in_indonesian(display, number(cell), kind)
                for cell, kind in zip(r[3:], KINDS.values(), strict=True)
            ]
            for r in rows
        ]
        assert shown == [cells[1:] for cells in page]
        assert [r[0] for r in rows[:-1]] == [cells[0] for cells in page[:-1]]

    def test_samarindas_row_by_hand(self, built: Built, client_for: ClientFor) -> None:
        _header, *rows = csv_rows(export(client_for("kaltim"), "csv", "64"))
        (samarinda,) = [r for r in rows if r[2] == "64.72"]
        assert samarinda[0] == "Kota Samarinda"
        assert samarinda[3:] == [
            "5", "6", "1", "1", "3", "1", "0", "1", "0", "0", "0", "2", "2", "4", "100.0", "4.0",
        ]  # fmt: skip

    def test_text_that_starts_a_formula_gets_an_apostrophe(
        self, odd_names: list[Agency], client_for: ClientFor
    ) -> None:
        _header, *rows = csv_rows(export(client_for("samarinda"), "csv", None))
        names = {r[2]: r[0] for r in rows}
        assert [names[a.code] for a in odd_names] == [
            *(f"'{name}" for name in FORMULA_NAMES),
            HTML_NAME,  # not a formula: unchanged
        ]
        assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


class TestMonthlyXlsx:
    @pytest.mark.parametrize("region", REGIONS)
    def test_rows_are_the_saved_recap_rows_with_numbers_as_numbers(
        self, built: Built, client_for: ClientFor, region: str | None
    ) -> None:
        content = export(client_for("national"), "xlsx", region)
        header, *rows = xlsx_rows(content)
        assert header == [
            *(in_indonesian(gettext, h) for h in ("Name", "Level", "Code")),
            *labels(),
        ]
        expected = expected_rows(region)
        assert [r[:3] for r in rows] == [
            [r.name, in_indonesian(r.get_level_display), r.code or None] for r in expected
        ]
        assert [r[3:] for r in rows] == [values(r) for r in expected]
        for row in rows:
            assert all(isinstance(v, int | float) or v is None for v in row[3:])
        sheet = xlsx_sheet(content)
        assert sheet.title == "2026-11"
        assert sheet.freeze_panes == "B2"

    def test_csv_and_xlsx_carry_the_same_cells(self, built: Built, client_for: ClientFor) -> None:
        client = client_for("kaltim")
        in_csv = csv_rows(export(client, "csv", None))
        in_xlsx = xlsx_rows(export(client, "xlsx", None))
        assert [[number(c) if i > 2 else c for i, c in enumerate(r)] for r in in_csv[1:]] == [
            r[:3] + [None if v is None else float(v) for v in r[3:]] for r in in_xlsx[1:]
        ]
        assert in_csv[0] == in_xlsx[0]

    def test_text_that_starts_a_formula_is_a_string_with_an_apostrophe(
        self, odd_names: list[Agency], client_for: ClientFor
    ) -> None:
        sheet = xlsx_sheet(export(client_for("samarinda"), "xlsx", None))
        cells = {row[2].value: row[0] for row in sheet.iter_rows(min_row=2)}
        for agency, name in zip(odd_names, FORMULA_NAMES, strict=False):
            cell = cells[agency.code]
            assert cell.value == f"'{name}"
            assert cell.data_type == "s"
        assert cells[odd_names[-1].code].value == HTML_NAME
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def add_opds(count: int) -> None:
    """``count`` more OPDs in Samarinda, and November built again."""
    samarinda = Agency.objects.get(code="smd")
    for n in range(count):
        Agency.objects.create(
            code=f"opd-{n:02}", name=f"OPD {n:02}", level="OPD", region_id="64.72", parent=samarinda
        )
    build_monthly_recap(month=NOV, now=BUILT_AT)


def pdf_row(text: str, label: str, count: int) -> list[float | None]:
    """The ``count`` numbers after ``label`` in a PDF's text."""
    match = re.search(re.escape(label) + rf"((?: {NUMBER}){{{count}}})(?: |$)", text)
    assert match, f"no row {label!r} in the PDF"
    return [number(token) for token in match[1].split()]


class TestMonthlyPdf:
    @pytest.mark.parametrize("region", ["64", "64.72"])
    def test_rows_and_numbers_are_those_of_the_recap(
        self, built: Built, client_for: ClientFor, region: str
    ) -> None:
        text = one_text(pdf_pages(export(client_for("national"), "pdf", region)))
        rows = expected_rows(region)
        labels_in_order = [f"{r.name} ({r.code})" for r in rows]
        positions = [text.index(label) for label in labels_in_order]
        assert positions == sorted(positions)
        for row, label in zip(rows, labels_in_order, strict=True):
            assert pdf_row(text, label, len(FIGURES)) == values(row)

    def test_title_period_and_page_numbers_in_indonesian(
        self, built: Built, client_for: ClientFor
    ) -> None:
        pages = pdf_pages(export(client_for("national"), "pdf", None))
        assert len(pages) == 2
        title = in_indonesian(gettext, "Monthly recap: %(scope)s") % {"scope": "Indonesia"}
        assert pages[0].startswith(f"{title}\nNovember 2026")
        assert "5 Januari 2027 09:00" in pages[0]  # built at, in Jakarta time
        for number_, page in enumerate(pages, start=1):
            assert f"Halaman {number_} dari 2" in page
            assert f"{title} · November 2026" in page
        # The definitions of every figure close the document.
        for figure in FIGURES:
            definition = " ".join(in_indonesian(str, figure.definition).split())
            assert definition in one_text(pages)

    def test_page_numbers_in_english_for_an_english_visitor(
        self, built: Built, client_for: ClientFor
    ) -> None:
        client = client_for("national")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        pages = pdf_pages(export(client, "pdf", None))
        assert pages[0].startswith("Monthly recap: Indonesia\nNovember 2026")
        assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]

    def test_a_long_table_and_its_charts_run_over_numbered_pages(
        self, built: Built, client_for: ClientFor
    ) -> None:
        add_opds(22)  # 25 rows under Samarinda: the most whose states chart fits a page
        pages = pdf_pages(export(client_for("samarinda"), "pdf", None))
        assert len(pages) >= 3
        text = one_text(pages)
        for n in range(22):
            assert f"OPD {n:02} (opd-{n:02})" in text
        for number_, page in enumerate(pages, start=1):
            assert f"Halaman {number_} dari {len(pages)}" in page

    def test_a_region_with_many_agencies_still_gets_its_pdf(
        self, built: Built, client_for: ClientFor
    ) -> None:
        add_opds(30)  # 33 rows, as a regency with its usual thirty-odd OPDs
        client = client_for("samarinda")
        client.raise_request_exception = False  # answer as the site would: a 500
        response = client.get("/reports/export.pdf", {"month": "2026-11"})
        assert response.status_code == 200
        assert "OPD 29 (opd-29)" in one_text(pdf_pages(response.content))

    def test_markup_in_a_name_is_printed_not_applied(
        self, odd_names: list[Agency], client_for: ClientFor
    ) -> None:
        text = one_text(pdf_pages(export(client_for("samarinda"), "pdf", None)))
        assert f"{HTML_NAME} (odd-4)" in text
        assert '=HYPERLINK("http://x") (odd-0)' in text

    def test_markup_in_a_region_name_is_printed_not_applied(
        self, built: Built, client_for: ClientFor
    ) -> None:
        """The region's name reaches the title, the period line and the charts' titles: a
        link or an image tag in it must stay text (reportlab would follow it, and read an
        image from the server's disk)."""
        name = 'Kota <a href="https://evil.example/">Samarinda</a><img src="/etc/hostname"/>'
        Region.objects.filter(code="64.72").update(name=name)
        build_monthly_recap(month=NOV, now=BUILT_AT)  # the recap keeps the names of its month
        pdf = export(client_for("samarinda"), "pdf", None)
        assert b"/URI" not in pdf and b"/Annots" not in pdf  # no link
        assert not re.search(rb"/Subtype\s*/Image", pdf)  # no picture read from the disk
        text = one_text(pdf_pages(pdf))
        assert '<a href="https://evil.example/">Samarinda</a>' in text
        assert "/etc/hostname" in text


class TestExportsAgree:
    @pytest.mark.parametrize("region", REGIONS)
    def test_page_csv_xlsx_and_pdf_list_the_same_rows_in_the_same_order(
        self, built: Built, client_for: ClientFor, region: str | None
    ) -> None:
        client = client_for("national")
        page = [cells[0] for cells in page_cells(client, region)[:-1]]
        in_csv = [r[0] for r in csv_rows(export(client, "csv", region))[1:-1]]
        in_xlsx = [r[0] for r in xlsx_rows(export(client, "xlsx", region))[1:-1]]
        assert page == in_csv == in_xlsx == [r.name for r in recap_rows(NOV, region)]


def labels() -> list[str]:
    return [in_indonesian(str, f.label) for f in FIGURES]


# --- the quarterly evaluation -----------------------------------------------------------------


def evaluation(year: int = 2026, quarter: int = 4) -> list[Evaluation]:
    return quarterly_evaluation(Region.objects.get(code="64"), year, quarter)


def percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def evaluation_values(e: Evaluation) -> list[Any]:
    """A regency's cells, written out from the selector's evaluation."""
    yes, no = in_indonesian(gettext, "yes"), in_indonesian(gettext, "no")
    rating = None if e.average_rating is None else round(e.average_rating, 2)
    followed = None if e.follow_up_rate is None else yes if e.half_followed_up else no
    return [
        e.rank,
        e.region.name,
        e.region.code,
        e.received,
        percent(e.response_rate),
        percent(e.on_time_rate),
        e.median_days,
        e.disputes,
        rating,
        e.score,
        followed,
    ]


def parsed(row: list[str]) -> list[Any]:
    """A CSV row of the evaluation with its numbers as numbers."""
    rank, name, code, *rest, followed = row
    return [number(rank), name, code, *(number(c) for c in rest), followed or None]


class TestEvaluationCsv:
    def test_rows_are_the_selectors_evaluation(self, built: Built, client_for: ClientFor) -> None:
        header, *rows = csv_rows(evaluation_export(client_for("kaltim"), "csv"))
        assert len(header) == 11
        assert [parsed(r) for r in rows] == [evaluation_values(e) for e in evaluation()]

    def test_ties_share_a_rank_and_the_small_regency_is_unranked(
        self, built: Built, client_for: ClientFor
    ) -> None:
        _header, *rows = csv_rows(evaluation_export(client_for("national"), "csv"))
        yes, no = in_indonesian(gettext, "yes"), in_indonesian(gettext, "no")
        assert [(r[0], r[2], r[3], r[4], r[9], r[10]) for r in rows] == [
            ("1", "64.71", "2", "100.0", "100.0", yes),
            ("1", "64.74", "2", "100.0", "100.0", yes),
            ("3", "64.72", "6", "33.3", "68.3", yes),  # 3 of 6 followed up: exactly half
            ("", "64.02", "1", "0.0", "", no),  # 1 report, the minimum is 2
        ]

    def test_the_cells_are_those_of_the_page(self, built: Built, client_for: ClientFor) -> None:
        client = client_for("kaltim")
        _header, *rows = csv_rows(evaluation_export(client, "csv"))
        html = client.get("/reports/evaluation/", {"quarter": "2026-Q4"}).content.decode()
        _page_header, *page = page_tables(html).tables["inbox recap"]
        # The page shows numbers with a decimal comma and a dash for none; names and codes as is.
        shown = [
            [c if i in (1, 2) else c.replace(".", ",") if c else "–" for i, c in enumerate(r)]
            for r in rows
        ]
        assert shown == page

    def test_a_quarter_without_recaps_has_only_the_header(
        self, built: Built, client_for: ClientFor
    ) -> None:
        rows = csv_rows(evaluation_export(client_for("kaltim"), "csv", quarter="2026-Q2"))
        assert len(rows) == 1

    def test_a_regency_with_nothing_held_has_no_follow_up_verdict(
        self, built: Built, client_for: ClientFor, agencies: dict[str, Agency]
    ) -> None:
        # Paser (64.01) gets a coordinator in December only: nothing held at the quarter's end.
        Agency.objects.create(
            code="paser", name="Diskominfo Paser", level="REGENCY", region_id="64.01",
            parent=agencies["kaltim"],
        )  # fmt: skip
        build_monthly_recap(month=DEC, now=BUILT_AT)
        _header, *rows = csv_rows(evaluation_export(client_for("kaltim"), "csv"))
        (paser,) = [r for r in rows if r[2] == "64.01"]
        assert (paser[0], paser[3], paser[4], paser[10]) == ("", "0", "", "")


class TestEvaluationPdf:
    def test_rows_in_rank_order_with_the_selectors_numbers(
        self, built: Built, client_for: ClientFor
    ) -> None:
        pages = pdf_pages(evaluation_export(client_for("kaltim"), "pdf"))
        assert len(pages) == 1
        text = one_text(pages)
        title = in_indonesian(
            gettext, "Quarterly evaluation: %(province)s, %(year)s Q%(quarter)s"
        ) % {"province": "Kalimantan Timur", "year": 2026, "quarter": 4}
        period = in_indonesian(gettext, "%(first)s to %(last)s") % {
            "first": "Oktober 2026",
            "last": "Desember 2026",
        }
        assert text.startswith(f"{title} {period}")
        assert "Halaman 1 dari 1" in text
        evaluations = evaluation()
        positions = [text.index(f" {e.region.name} {e.region.code} ") for e in evaluations]
        assert positions == sorted(positions)
        for e in evaluations:
            expected = evaluation_values(e)
            match = re.search(
                rf"({NUMBER}) {re.escape(e.region.name)} {re.escape(e.region.code)}"
                rf"((?: {NUMBER}){{7}}) (\S+)",
                text,
            )
            assert match, e.region.name
            assert number(match[1]) == expected[0]
            assert [number(t) for t in match[2].split()] == expected[3:10]
            assert match[3] == expected[10]

    def test_decimals_are_written_as_on_the_page(self, built: Built, client_for: ClientFor) -> None:
        client = client_for("kaltim")
        html = client.get("/reports/evaluation/", {"quarter": "2026-Q4"}).content.decode()
        assert '<td class="num">33,3</td>' in html  # Samarinda's response rate on the page
        text = one_text(pdf_pages(evaluation_export(client, "pdf")))
        assert " 33,3 " in text
