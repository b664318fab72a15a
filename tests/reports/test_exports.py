"""The recap and evaluation exports through HTTP: CSV, XLSX and PDF carry the rows of the page
in its order with the saved figures, in forms an Indonesian office opens as they are (a CSV Excel
splits into columns of numbers, a sheet with widths and number formats, a PDF whose headers
keep their words and whose numbers line up); text that a spreadsheet would run is neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import gettext

from complaints.models import Channel, Complaint
from reports import charts, exports, figures
from reports.charts import Chart, Rect, Text
from reports.figures import FIGURES, display, row_values
from reports.models import MonthlyRecap
from reports.selectors import Evaluation, Quarter, quarterly_evaluation, unranked_text
from reports.services import build_monthly_recap
from routing.models import Agency, Region
from tests.reports.conftest import (
    BUILT_AT,
    DEC,
    FORMULA_NAMES,
    HTML_NAME,
    NOV,
    evaluation_remarks,
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
BOM = "\ufeff".encode()


def export(
    client: Client, kind: str, region: str | None, month: str = "2026-11", **params: str
) -> bytes:
    response = client.get(
        f"/reports/export.{kind}", {"month": month, "region": region or "", **params}
    )
    assert response.status_code == 200, response.content[:500]
    return response.content


def evaluation_export(client: Client, kind: str, quarter: str = "2026-Q4") -> bytes:
    response = client.get(
        f"/reports/evaluation/export.{kind}", {"quarter": quarter, "region": "64"}
    )
    assert response.status_code == 200
    return response.content


# --- reading the exports as an office would ----------------------------------------------------


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV in the form for Excel with Indonesian settings: UTF-8 with a byte order
    mark, fields separated by semicolons, lines ended by CRLF."""
    assert content.startswith(BOM)
    text = content.decode()[1:]
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def script_csv_rows(content: bytes) -> list[list[str]]:
    """The rows of the CSV for scripts: RFC 4180 (commas, CRLF), no byte order mark."""
    assert not content.startswith(BOM)
    text = content.decode()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


@dataclass(frozen=True)
class Run:
    """A run of text on a PDF page as pdfium finds it (a cell's line), in points from the
    bottom left."""

    text: str
    left: float
    bottom: float
    right: float
    top: float


def pdf_runs(content: bytes, page: int = 0) -> list[Run]:
    """The runs of text of a page, read by pdfium (not by reportlab, which wrote them)."""
    document = pdfium.PdfDocument(content)
    try:
        text_page = document[page].get_textpage()
        runs = []
        for index in range(text_page.count_rects()):
            left, bottom, right, top = text_page.get_rect(index)
            text = text_page.get_text_bounded(left, bottom, right, top).strip()
            if text:
                runs.append(Run(text, left, bottom, right, top))
        return runs
    finally:
        document.close()


def pdf_words(content: bytes, page: int = 0) -> set[str]:
    return {word for run in pdf_runs(content, page) for word in run.text.split()}


def pdf_table_rows(content: bytes, names: list[str], page: int = 0) -> dict[str, list[Run]]:
    """For each row of the table whose first cell is one of ``names`` (the first line of a
    name that wraps will do): the runs of its numbers (a figure or a dash), left to right, on
    the row's first line."""
    runs = pdf_runs(content, page)
    found: dict[str, list[Run]] = {}
    for name in names:
        first = [r for r in runs if name.startswith(r.text) and len(r.text) > 3]
        if not first:
            continue
        line = max(first, key=lambda r: r.top)
        found[name] = sorted(
            (
                r
                for r in runs
                if r.bottom < line.top
                and r.top > line.bottom  # on the same line
                and r.left > line.right
                and re.fullmatch(NUMBER, r.text)
            ),
            key=lambda r: r.left,
        )
    return found


def assert_numbers_right_aligned(rows: dict[str, list[Run]], columns: int) -> None:
    """Each column's numbers end at one edge, though they differ in width: right-aligned, not
    left. (The edges are those of the ink: a "1" ends a point before a "2" does.)"""
    assert rows and all(len(cells) == columns for cells in rows.values()), rows
    for column in range(columns):
        rights = [cells[column].right for cells in rows.values()]
        assert max(rights) - min(rights) < 1.5, (column, rights)
    lefts = {round(cells[c].left, 1) for cells in rows.values() for c in range(columns)}
    assert len(lefts) > columns  # widths differ (a dash, "100,0%"): so do left edges


def assert_header_words_whole(content: bytes, header: list[str]) -> None:
    """Every word of every column header is on the first page in one piece ("Dipegang", not
    "Dipegan" and "g")."""
    words = pdf_words(content)
    missing = [w for label in header for w in label.split() if w not in words]
    assert not missing, missing


def expected_rows(region: str | None) -> list[MonthlyRecap]:
    """The rows under the region, then its own (the total)."""
    return [*recap_rows(NOV, region), own_row(NOV, region)]


def values(row: MonthlyRecap) -> list[Any]:
    return list(row_values(row).values())


def values_and_channels(row: MonthlyRecap) -> list[Any]:
    """A row as the CSV and the sheet carry it: its figures, then its received by channel,
    every channel (0 where none)."""
    return [*values(row), *(row.received_by_channel.get(c, 0) for c in Channel.values)]


def number(text: str) -> int | float | None:
    """A number as an export writes it; none for an empty cell or a dash."""
    if text in ("", "–"):
        return None
    text = text.removesuffix("%")
    return int(text) if text.isdigit() else float(text.replace(",", "."))


def page_cells(client: Client, region: str | None) -> list[list[str]]:
    """The recap tables of the page (one per group of figures) put side by side, total
    included: the name, then the figures as shown, in the order of ``FIGURES``."""
    response = client.get("/reports/", {"month": "2026-11", "region": region or ""})
    tables = page_tables(response.content.decode()).tables
    groups = exports.figure_groups()
    classes = [f"inbox recap recap-{key}" if key else "inbox recap" for key, *_ in groups]
    columns: dict[str, list[str]] = {}
    names: list[str] = []
    for css, (_key, _title, _note, members) in zip(classes, groups, strict=True):
        header, *rows = tables[css]
        names = [r[0] for r in rows]
        assert header[1:] == [in_indonesian(str, f.label) for f in members]
        for index, figure in enumerate(members, start=1):
            columns[figure.key] = [r[index] for r in rows]
    return [[name, *(columns[f.key][i] for f in FIGURES)] for i, name in enumerate(names)]


def one_text(pages: list[str]) -> str:
    """A PDF's text with each run of whitespace (cell wraps included) as one space."""
    return " ".join(" ".join(pages).split())


def labels() -> list[str]:
    return [in_indonesian(str, f.label) for f in FIGURES]


def channel_headers() -> list[str]:
    """The exports' channel columns, after the figures: "Masuk: formulir web"..."""
    return [
        in_indonesian(gettext, "Received: %(channel)s") % {"channel": in_indonesian(str, c.label)}
        for c in Channel
    ]


FIGURES_END = 3 + len(FIGURES)  # the CSV's and the sheet's columns: names, figures, channels


# --- the monthly recap ------------------------------------------------------------------------


class TestCsvForms:
    """``exports.to_csv`` on a table written out here."""

    HEADER = ["Name", "Count", "Share", "Missing", "Rating", "Tiny"]
    ROWS = [["Kota Samarinda; Kaltim", 12345, 85.3, None, 4.25, 0.00001]]

    def test_for_excel_with_indonesian_settings(self) -> None:
        assert (
            exports.to_csv(self.HEADER, self.ROWS)
            == (
                "\ufeffName;Count;Share;Missing;Rating;Tiny\r\n"
                '"Kota Samarinda; Kaltim";12345;85,3;;4,25;0,00001\r\n'
            ).encode()
        )

    def test_for_scripts(self) -> None:
        assert (
            exports.to_csv(self.HEADER, self.ROWS, sep="comma")
            == b"Name,Count,Share,Missing,Rating,Tiny\r\n"
            b"Kota Samarinda; Kaltim,12345,85.3,,4.25,0.00001\r\n"
        )


class TestMonthlyCsv:
    @pytest.mark.parametrize("region", REGIONS)
    def test_rows_are_the_saved_recap_rows_in_the_page_order(
        self, built: Built, client_for: ClientFor, region: str | None
    ) -> None:
        header, *rows = csv_rows(export(client_for("national"), "csv", region))
        assert header == in_indonesian(
            lambda: [
                gettext("Name"),
                gettext("Level"),
                gettext("Code"),
                *map(str, labels()),
                *channel_headers(),
            ]
        )
        expected = expected_rows(region)
        assert [r[:3] for r in rows] == [
            [r.name, in_indonesian(r.get_level_display), r.code] for r in expected
        ]
        assert [[number(c) for c in r[3:]] for r in rows] == [
            values_and_channels(r) for r in expected
        ]

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
                for cell, kind in zip(r[3:FIGURES_END], KINDS.values(), strict=True)
            ]
            for r in rows
        ]
        assert shown == [cells[1:] for cells in page]
        assert [r[0] for r in rows[:-1]] == [cells[0] for cells in page[:-1]]

    def test_decimals_have_a_comma_and_whole_numbers_no_separator(
        self, built: Built, client_for: ClientFor
    ) -> None:
        _header, *rows = csv_rows(export(client_for("kaltim"), "csv", "64"))
        (samarinda,) = [r for r in rows if r[2] == "64.72"]
        expected = row_values(MonthlyRecap.objects.get(month=NOV, region_id="64.72"))
        for cell, (key, value) in zip(samarinda[3:FIGURES_END], expected.items(), strict=True):
            if value is None:
                assert cell == "", key
            elif isinstance(value, int):
                assert cell == str(value), key  # no "1.234" for a thousand
            else:
                assert cell == str(value).replace(".", ","), key
        assert any("," in cell for cell in samarinda[3:])  # the day figures and the on-time share

    def test_for_scripts_commas_and_decimal_points(
        self, built: Built, client_for: ClientFor
    ) -> None:
        client = client_for("kaltim")
        for_excel = csv_rows(export(client, "csv", "64"))
        for_scripts = script_csv_rows(export(client, "csv", "64", sep="comma"))
        assert for_scripts[0] == for_excel[0]
        assert [r[:3] for r in for_scripts] == [r[:3] for r in for_excel]
        assert [[c.replace(".", ",") for c in r[3:]] for r in for_scripts[1:]] == [
            r[3:] for r in for_excel[1:]
        ]
        assert any("." in c for r in for_scripts[1:] for c in r[3:])
        assert [[number(c) for c in r[3:]] for r in for_scripts[1:]] == [
            values_and_channels(r) for r in expected_rows("64")
        ]

    def test_an_unknown_separator_is_refused(self, built: Built, client_for: ClientFor) -> None:
        response = client_for("kaltim").get(
            "/reports/export.csv", {"month": "2026-11", "sep": "tab"}
        )
        assert response.status_code == 400

    def test_the_page_links_both_forms_and_says_which_is_which(
        self, built: Built, client_for: ClientFor
    ) -> None:
        html = client_for("kaltim").get("/reports/", {"month": "2026-11"}).content.decode()
        assert 'href="/reports/export.csv?month=2026-11&amp;region=64"' in html
        assert 'href="/reports/export.csv?month=2026-11&amp;region=64&amp;sep=comma"' in html
        assert "RFC 4180" in html

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


def xlsx_value(value: Any, kind: str) -> Any:
    """A figure as the sheet stores it: a percent as its fraction."""
    return value / 100 if kind == "percent" and value is not None else value


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
            *channel_headers(),
        ]
        expected = expected_rows(region)
        assert [r[:3] for r in rows] == [
            [r.name, in_indonesian(r.get_level_display), r.code or None] for r in expected
        ]
        assert [r[3:] for r in rows] == [
            [
                *(xlsx_value(v, f.kind) for v, f in zip(values(r), FIGURES, strict=True)),
                *values_and_channels(r)[len(FIGURES) :],
            ]
            for r in expected
        ]
        for row in rows:
            assert all(isinstance(v, int | float) or v is None for v in row[3:])
        sheet = xlsx_sheet(content)
        assert sheet.title == "2026-11"
        assert sheet.freeze_panes == "B2"  # the header row and the names stay in view

    def test_number_formats_by_kind_and_empty_cells_for_missing_figures(
        self, built: Built, client_for: ClientFor
    ) -> None:
        sheet = xlsx_sheet(export(client_for("kaltim"), "xlsx", "64"))
        formats = {"count": "#,##0", "percent": "0.0%", "days": "0.0", "rating": "0.00"}
        seen_missing = False
        for row in sheet.iter_rows(min_row=2):
            for cell, figure in zip(row[3:FIGURES_END], FIGURES, strict=True):
                if cell.value is None:
                    seen_missing = True
                    assert cell.data_type == "n"  # empty, not "" or a dash
                else:
                    assert cell.number_format == formats[figure.kind], figure.key
            # A count per channel, 0 where none: never empty.
            assert all(cell.number_format == "#,##0" for cell in row[FIGURES_END:])
        assert seen_missing  # Kutai Kartanegara answered nothing: no median, no rating

    def test_columns_fit_their_header_words_and_values_and_the_header_wraps(
        self, built: Built, client_for: ClientFor
    ) -> None:
        sheet = xlsx_sheet(export(client_for("kaltim"), "xlsx", "64"))
        for column in sheet.iter_cols():
            label, *cells = column
            width = sheet.column_dimensions[label.column_letter].width
            longest_word = max(len(w) for w in str(label.value).split())
            assert width >= longest_word + 1, label.value
            shown = [c.value for c in cells if c.value is not None]
            if label.column > 3:  # figures: the longest number, with its separator or percent
                assert all(width >= len(f"{v:,.2f}") for v in shown), label.value
            assert width <= 50
            assert label.font.bold and label.alignment.wrap_text
        assert sheet.row_dimensions[1].height >= 15  # tall enough for the wrapped headers

    def test_csv_and_xlsx_carry_the_same_cells(self, built: Built, client_for: ClientFor) -> None:
        client = client_for("kaltim")
        in_csv = csv_rows(export(client, "csv", None))
        in_xlsx = xlsx_rows(export(client, "xlsx", None))
        percents = {i for i, f in enumerate(FIGURES, start=3) if f.kind == "percent"}
        assert [[number(c) if i > 2 else c for i, c in enumerate(r)] for r in in_csv[1:]] == [
            r[:3]
            + [
                None if v is None else round(100 * v, 6) if i in percents else float(v)
                for i, v in enumerate(r[3:], start=3)
            ]
            for r in in_xlsx[1:]
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
    build_monthly_recap(month=NOV, now=BUILT_AT, current_settings=True)


def pdf_row(text: str, label: str, count: int) -> list[float | None]:
    """The ``count`` numbers after ``label`` in a PDF's text."""
    match = re.search(re.escape(label) + rf"((?: {NUMBER}){{{count}}})(?: |$)", text)
    assert match, f"no row {label!r} in the PDF"
    return [number(token) for token in match[1].split()]


def pages_with(pages: list[str], text: str) -> list[int]:
    return [i for i, page in enumerate(pages) if text in " ".join(page.split())]


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

    def test_headers_keep_their_words_and_numbers_align_right(
        self, built: Built, client_for: ClientFor
    ) -> None:
        Agency.objects.create(
            code="dpmptsp",
            name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
            level="OPD",
            region_id="64",
            parent=Agency.objects.get(code="kaltim"),
        )
        build_monthly_recap(month=NOV, now=BUILT_AT, current_settings=True)
        pdf = export(client_for("kaltim"), "pdf", "64")
        assert_header_words_whole(pdf, [in_indonesian(gettext, "Name"), *labels()])
        names = [f"{r.name} ({r.code})" for r in expected_rows("64")]
        rows = pdf_table_rows(pdf, names)
        assert len(rows) == len(names)  # the long name too, by its first line
        assert_numbers_right_aligned(rows, len(FIGURES))
        # Names stay on the left, in one column.
        runs = pdf_runs(pdf)
        lefts = {round(r.left) for r in runs if any(n.startswith(r.text) for n in names)}
        assert len(lefts) == 1

    def test_a_header_word_too_long_for_its_column_is_set_smaller_not_split(self) -> None:
        header = ["Nama", *(["Pertanggungjawaban"] * 20)]
        rows: exports.Rows = [
            ["Kota Samarinda", *([exports.Shown("1")] * 20)],
            ["Kota Bontang", *([exports.Shown("100,0%")] * 20)],
        ]
        pdf = exports.to_pdf(title="Rekap", period="November 2026", header=header, rows=rows)
        assert_header_words_whole(pdf, header)
        table = pdf_table_rows(pdf, ["Kota Samarinda", "Kota Bontang"])
        assert_numbers_right_aligned(table, 20)

    def test_groups_over_the_columns_and_the_header_on_every_page(
        self, built: Built, client_for: ClientFor
    ) -> None:
        add_opds(60)  # a table longer than a page
        pdf = export(client_for("samarinda"), "pdf", None)
        pages = pdf_pages(pdf)
        groups = [in_indonesian(str, title) for _key, title, _note in figures.GROUPS]
        # The table of the figures, then the table of received by channel, each on pages of
        # its own but one.
        title = in_indonesian(str, figures.CHANNEL_TITLE)
        channels_from = pages_with(pages, title)[0]
        table_pages = [i for i, page in enumerate(pages) if "(opd-" in page]
        figure_pages = [
            i
            for i in table_pages
            if i < channels_from
            or (i == channels_from and "(opd-" in " ".join(pages[i].split()).split(title)[0])
        ]
        channel_pages = [i for i in table_pages if i >= channels_from]
        assert len(figure_pages) >= 2 and len(channel_pages) >= 2
        for i in figure_pages:
            words = pdf_words(pdf, i)
            assert all(w in words for title in groups for w in title.split())
            assert all(w in words for label in labels() for w in label.split())
        for i in channel_pages:
            words = pdf_words(pdf, i)
            assert all(w in words for c in Channel for w in in_indonesian(str, c.label).split())

    def test_title_period_and_page_numbers_in_indonesian(
        self, built: Built, client_for: ClientFor
    ) -> None:
        pages = pdf_pages(export(client_for("national"), "pdf", None))
        count = len(pages)
        title = in_indonesian(gettext, "Monthly recap: %(scope)s") % {"scope": "Indonesia"}
        assert pages[0].startswith(f"{title}\nNovember 2026")
        assert "5 Januari 2027 09:00" in pages[0]  # built at, in Jakarta time
        for number_, page in enumerate(pages, start=1):
            assert f"Halaman {number_} dari {count}" in page
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
        assert f"Page 1 of {len(pages)}" in pages[0]
        assert f"Page {len(pages)} of {len(pages)}" in pages[-1]

    def test_each_chart_is_whole_on_one_page(self, built: Built, client_for: ClientFor) -> None:
        add_opds(22)  # 25 rows under Samarinda: two states charts
        pages = pdf_pages(export(client_for("samarinda"), "pdf", None))
        text = one_text(pages)
        for n in range(22):
            assert f"OPD {n:02} (opd-{n:02})" in text
        for number_, page in enumerate(pages, start=1):
            assert f"Halaman {number_} dari {len(pages)}" in page
        # A chart's title, its first and last labels and its legend share a page.
        trend = in_indonesian(gettext, "The last 12 months")
        (page,) = pages_with(pages, trend)
        assert "Des 25" in pages[page] and "Nov 26" in pages[page]
        states = in_indonesian(charts.states_title)
        legend = [in_indonesian(charts.figure_label, k) for k in charts.STATE_KEYS]
        chart_pages = pages_with(pages, states)
        assert len(chart_pages) == 2  # 20 rows, then 5
        for page in chart_pages:
            assert all(label in pages[page] for label in legend)
        first, second = (" ".join(pages[p].split(states)[1].split()) for p in chart_pages)
        assert "OPD 17" in first and "OPD 18" not in first  # Dinkes, Diskominfo, OPD 00 to 17
        assert "OPD 18" in second and "RSUD Samarinda" in second

    def test_a_chart_taller_than_a_page_is_scaled_to_fit(self) -> None:
        tall = Chart("Tall chart", 640, 3000)
        tall.shapes += [Rect(0, 0, 10, 3000, "#000000"), Text(0, 10, "top-label")]
        tall.shapes.append(Text(0, 2990, "bottom-label"))
        pdf = exports.to_pdf(
            title="Rekap", period="November 2026", header=["Nama"], rows=[["x"]], charts=[tall]
        )
        pages = pdf_pages(pdf)
        (page,) = pages_with(pages, "Tall chart")
        assert "top-label" in pages[page] and "bottom-label" in pages[page]

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


# --- the quarterly evaluation -----------------------------------------------------------------

Q4 = Quarter(2026, 4)


def evaluation(quarter: Quarter = Q4) -> list[Evaluation]:
    """The selector's evaluation of Kaltim, on the clock of ``quarter_built``."""
    return quarterly_evaluation(Region.objects.get(code="64"), quarter, now=BUILT_AT).rows


def evaluation_values(e: Evaluation) -> list[Any]:
    """A regency's cells, written out from the selector's evaluation."""
    return [
        e.rank,
        e.region.name,
        e.region.code,
        e.received,
        e.first_answers + e.escalated_unanswered + e.overdue,  # to answer
        e.first_answers,
        e.escalated_unanswered,
        e.overdue,
        e.answered_share,
        e.on_time_share,
        e.escalations,
        e.median_days,
        e.dispute_share,
        e.rating,
        e.score,
        in_indonesian(unranked_text, e),
    ]


def parsed(row: list[str]) -> list[Any]:
    """A CSV row of the evaluation with its numbers as numbers."""
    rank, name, code, *figures_, remarks = row
    return [number(rank), name, code, *(number(c) for c in figures_), remarks]


def evaluation_header() -> list[str]:
    return [
        in_indonesian(gettext, h)
        for h in (
            "Rank",
            "Regency/city",
            "Code",
            "Received",
            "To answer",
            "Answered",
            "Let escalate",
            "Overdue",
            "Answered (%)",
            "On time (%)",
            "Missed deadlines",
            "Median days",
            "Disputed (%)",
            "Rating",
            "Score",
            "Remarks",
        )
    ]


class TestEvaluationCsv:
    def test_rows_are_the_selectors_evaluation(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        header, *rows = csv_rows(evaluation_export(client_for("kaltim"), "csv"))
        assert header == evaluation_header()  # a final quarter: no line above the header
        assert [parsed(r) for r in rows] == [evaluation_values(e) for e in evaluation()]

    def test_ties_share_a_rank_and_the_small_regency_is_unranked(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        _header, *rows = csv_rows(evaluation_export(client_for("national"), "csv"))
        # To answer: first final answers + let escalate (none: no sweep ran) + open and
        # overdue at the end of December.
        assert rows == [
            # Both reports answered after 2 working days, within 14; no rating, so the score
            # is the other four parts, all full.
            [
                "1", "Kota Balikpapan", "64.71", "2", "2", "2", "0", "0", "100,0", "100,0", "0",
                "2,0", "0,0", "", "100,0", evaluation_remarks(without=("rating",)),
            ],
            [
                "1", "Kota Bontang", "64.74", "2", "2", "2", "0", "0", "100,0", "100,0", "0",
                "2,0", "0,0", "", "100,0", evaluation_remarks(without=("rating",)),
            ],
            # Eight filed (October 1, November 7); two answered on time (2 and 4 working
            # days: median 3), four overdue at the end of December (October's report, and
            # those due 2, 3 and 4 December); rated 4. Score:
            # (40 * 2/6 + 25 * 2/6 + 15 * 1 + 10 * (4 - 1)/4 + 10 * 1) / 100 = 54.17
            [
                "3", "Kota Samarinda", "64.72", "8", "6", "2", "0", "4", "33,3", "33,3", "0",
                "3,0", "0,0", "4,0", "54,2", "",
            ],
            # One report to answer, overdue in the queue, below the minimum of two: scored on
            # answering, on time and deadlines (15 * 1) / 80 = 18.75, and not ranked.
            [
                "", "Kabupaten Kutai Kartanegara", "64.02", "1", "1", "0", "0", "1", "0,0",
                "0,0", "0", "", "", "", "18,8",
                evaluation_remarks(to_answer=1, without=("rating", "answers not disputed")),
            ],
        ]  # fmt: skip

    def test_the_cells_are_those_of_the_page(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        client = client_for("kaltim")
        _header, *rows = csv_rows(evaluation_export(client, "csv"))
        html = client.get("/reports/evaluation/", {"quarter": "2026-Q4"}).content.decode()
        _page_header, *page = page_tables(html).tables["inbox recap"]
        # Both write decimals with a comma; the page shows a dash for an empty cell.
        assert [[cell or "–" for cell in row] for row in rows] == page

    def test_a_quarter_without_recaps_says_so_above_an_empty_table(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        rows = csv_rows(evaluation_export(client_for("kaltim"), "csv", quarter="2026-Q2"))
        reason = in_indonesian(
            gettext, "Provisional, not ranked: months not built yet: %(months)s."
        ) % {"months": "April 2026, Mei 2026, Juni 2026"}
        assert rows == [[reason], evaluation_header()]

    def test_a_regency_with_nothing_to_answer_has_no_score_and_no_rank(
        self, quarter_built: Built, client_for: ClientFor, agencies: dict[str, Agency]
    ) -> None:
        # Paser (64.01) gets a coordinator in December only, and nothing happens there.
        Agency.objects.create(
            code="paser", name="Diskominfo Paser", level="REGENCY", region_id="64.01",
            parent=agencies["kaltim"],
        )  # fmt: skip
        build_monthly_recap(month=DEC, now=BUILT_AT, current_settings=True)
        _header, *rows = csv_rows(evaluation_export(client_for("kaltim"), "csv"))
        nothing = in_indonesian(gettext, "no reports to answer: no score")
        assert [r[2] for r in rows] == ["64.71", "64.74", "64.72", "64.01", "64.02"]
        (paser,) = [r for r in rows if r[2] == "64.01"]
        # No rank, no shares and no score (not 0): there was nothing to answer.
        assert paser == [
            "", "Kabupaten Paser", "64.01", "0", "0", "0", "0", "0", "", "", "0", "", "", "",
            "", nothing,
        ]  # fmt: skip


class TestEvaluationPdf:
    def test_rows_in_rank_order_with_the_selectors_numbers(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        pages = pdf_pages(evaluation_export(client_for("kaltim"), "pdf"))
        text = one_text(pages)
        title = in_indonesian(gettext, "Quarterly evaluation: %(province)s, %(quarter)s") % {
            "province": "Kalimantan Timur",
            "quarter": "Triwulan IV 2026",
        }
        period = in_indonesian(gettext, "%(first)s to %(last)s") % {
            "first": "Oktober 2026",
            "last": "Desember 2026",
        }
        # A final quarter: nothing between the period and the table.
        assert text.startswith(f"{title} {period} {in_indonesian(gettext, 'Rank')} ")
        assert f"Halaman 1 dari {len(pages)}" in text
        evaluations = evaluation()
        positions = [text.index(f" {e.region.name} {e.region.code} ") for e in evaluations]
        assert positions == sorted(positions)
        for e in evaluations:
            expected = evaluation_values(e)
            match = re.search(
                rf"({NUMBER}) {re.escape(e.region.name)} {re.escape(e.region.code)}"
                rf"((?: {NUMBER}){{12}})",
                text,
            )
            assert match, e.region.name
            assert number(match[1]) == expected[0]
            assert [number(t) for t in match[2].split()] == expected[3:15]
            remarks = " ".join(expected[15].split())
            assert text[match.end() :].startswith(f" {remarks}" if remarks else " ")

    def test_decimals_are_written_as_on_the_page(
        self, quarter_built: Built, client_for: ClientFor
    ) -> None:
        client = client_for("kaltim")
        html = client.get("/reports/evaluation/", {"quarter": "2026-Q4"}).content.decode()
        assert '<td class="num">33,3</td>' in html  # Samarinda: 2 of its 6 answered
        text = one_text(pdf_pages(evaluation_export(client, "pdf")))
        assert " 33,3 " in text
