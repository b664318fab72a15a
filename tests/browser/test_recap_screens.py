"""The monthly recap in a real Chromium, as a coordinator of Kaltim opens it on a 360 px phone
and on a 1366 px office screen, and a page of each of its exports as downloaded from it.

Screenshots (the page at both widths, the phone's table scrolled, the PDF's first page) are saved
in ``LAPOR_SCREENSHOT_DIR`` (the system's temporary folder without it) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.contrib.auth.models import User
from django.utils.translation import gettext
from openpyxl import load_workbook
from pytest_django.live_server_helper import LiveServer

from complaints.models import Channel
from reports.figures import FIGURES, channel_counts, row_values
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Agency
from tests.browser.conftest import TIMEOUT_MS
from tests.reports.conftest import (  # noqa: F401 - the recap's fixtures, shared
    BUILT_AT,
    NOV,
    PASSWORD,
    agencies,
    built,
    file,
    in_indonesian,
    own_row,
    recap_rows,
    scenario,
    user_for,
)
from tests.reports.test_exports import (
    assert_header_words_whole,
    assert_numbers_right_aligned,
    number,
    pdf_table_rows,
)

try:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))
PHONE: ViewportSize = {"width": 360, "height": 740}
OFFICE: ViewportSize = {"width": 1366, "height": 800}
# Provincial OPDs with the long names real ones have: they wrap, and widen nothing.
LONG_NAMES = (
    "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Badan Pengelolaan Keuangan dan Aset Daerah",
)
A4_LANDSCAPE = (841.89, 595.28)  # points


@pytest.fixture
def recap(built: Any, agencies: dict[str, Agency]) -> list[MonthlyRecap]:  # noqa: F811
    """November 2026 in Kaltim (tests/reports/conftest.py) with three more provincial OPDs;
    the rows of the Kaltim page, its total last."""
    for n, name in enumerate(LONG_NAMES):
        Agency.objects.create(
            code=f"opd-{n}", name=name, level="OPD", region_id="64", parent=agencies["kaltim"]
        )
    build_monthly_recap(month=NOV, now=BUILT_AT, current_settings=True)
    return [*recap_rows(NOV, "64"), own_row(NOV, "64")]


@pytest.fixture
def coordinator(
    chromium: Browser,
    live_server: LiveServer,
    user_for: Callable[[str], User | None],  # noqa: F811 - the fixture imported above
) -> Iterator[Callable[[ViewportSize], Page]]:
    """A page of Kaltim's coordinator, logged in through the staff form, at a given size."""
    user = user_for("kaltim")
    assert user is not None
    contexts: list[BrowserContext] = []

    def _open(viewport: ViewportSize) -> Page:
        context = chromium.new_context(viewport=viewport, locale="id-ID", accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/dashboard/login/")
        page.locator("#id_username").fill(user.get_username())
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form.card button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/dashboard/")
        page.goto(f"{live_server.url}/reports/?month=2026-11")
        return page

    try:
        yield _open
    finally:
        for context in contexts:
            context.close()


def widths(page: Page) -> dict[str, Any]:
    """The page's width against the window's, and each recap table's box."""
    result: dict[str, Any] = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            window: window.innerWidth,
            boxes: [...document.querySelectorAll('.recap-group .table-scroll')].map(box => ({
                visible: box.clientWidth,
                content: box.scrollWidth,
                right: box.getBoundingClientRect().right,
            })),
        })"""
    )
    return result


class TestRecapPage:
    def test_whole_on_a_1366_px_office_screen(
        self, recap: list[MonthlyRecap], coordinator: Callable[[ViewportSize], Page]
    ) -> None:
        page = coordinator(OFFICE)
        page.screenshot(path=SCREENSHOT_DIR / "lapor-recap-1366.png", full_page=True)
        measured = widths(page)
        assert measured["page"] <= measured["window"], measured
        assert measured["boxes"]
        for box in measured["boxes"]:  # no table scrolls: every column is in view
            assert box["content"] <= box["visible"], measured
            assert box["right"] <= measured["window"]
        # Every figure's column is there, and every row.
        figures = ".recap-group:not(.recap-channels-group)"
        headers = page.locator(f"{figures} table.recap thead th").all_inner_texts()
        assert len(headers) == len(FIGURES) + len(page.locator(figures).all())
        assert page.locator(".recap-group").first.locator("tbody tr").count() == len(recap) - 1

    def test_readable_on_a_360_px_phone(
        self, recap: list[MonthlyRecap], coordinator: Callable[[ViewportSize], Page]
    ) -> None:
        page = coordinator(PHONE)
        page.screenshot(path=SCREENSHOT_DIR / "lapor-recap-360.png", full_page=True)
        measured = widths(page)
        # The page itself is never wider than the phone: only a table's own box scrolls.
        assert measured["page"] <= measured["window"], measured
        assert any(box["content"] > box["visible"] for box in measured["boxes"]), measured
        for box in measured["boxes"]:
            assert box["right"] <= measured["window"]
        # The head of each column is a table head, not hidden as in the inbox's card layout.
        assert page.locator(".recap-group table.recap thead").first.is_visible()

        box = page.locator(".recap-group .table-scroll").first
        box.scroll_into_view_if_needed()
        box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        assert box.evaluate("box => box.scrollLeft") > 0
        page.screenshot(path=SCREENSHOT_DIR / "lapor-recap-360-scrolled.png")
        # Scrolled to its last column, the names are still in view, at the box's left edge,
        # on top of the figures that pass under them.
        names = box.evaluate(
            """box => {
                const edge = box.getBoundingClientRect();
                return [...box.querySelectorAll('tbody th[scope=row]')].map(th => {
                    const r = th.getBoundingClientRect();
                    const inWindow = r.top >= 0 && r.bottom <= window.innerHeight;
                    const hit = document.elementFromPoint(r.left + 4, r.top + r.height / 2);
                    return {
                        name: th.textContent.trim(),
                        atEdge: Math.abs(r.left - edge.left) < 2 && r.right < edge.right,
                        inWindow: inWindow,
                        onTop: inWindow && th.contains(hit),
                    };
                });
            }"""
        )
        assert [n["name"] for n in names] == [r.name for r in recap[:-1]]
        assert all(n["atEdge"] for n in names), names
        in_window = [n for n in names if n["inWindow"]]
        assert len(in_window) >= 3 and all(n["onTop"] for n in in_window), names
        last = box.locator("thead th").last.bounding_box()
        edge = box.bounding_box()
        assert last and edge and last["x"] + last["width"] <= edge["x"] + edge["width"] + 1


def download(page: Page, name: str) -> bytes:
    """The file behind the page's download link named ``name``, as the browser saves it."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name, exact=True).click()
    path = info.value.path()
    return Path(path).read_bytes()


def expected_cells(rows: list[MonthlyRecap]) -> list[list[Any]]:
    """Each row's figures, then its count per channel (the exports' last columns)."""
    return [[r.name, *row_values(r).values(), *channel_counts(r).values()] for r in rows]


class TestRecapExports:
    def test_a_page_of_each_export(
        self, recap: list[MonthlyRecap], coordinator: Callable[[ViewportSize], Page]
    ) -> None:
        page = coordinator(OFFICE)

        # CSV: what Excel with Indonesian settings splits into columns of numbers.
        content = download(page, "CSV")
        assert content.startswith("\ufeff".encode())
        text = content.decode()[1:]
        assert text.split("\r\n")[0].count(";") == len(FIGURES) + 2 + len(Channel)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        assert [[r[0], *(number(c) for c in r[3:])] for r in rows[1:]] == expected_cells(recap)
        assert any("," in c for r in rows[1:] for c in r[3:])  # a decimal comma

        # CSV for scripts: RFC 4180, decimal points.
        content = download(page, in_indonesian(gettext, "CSV for scripts"))
        rows = list(csv.reader(io.StringIO(content.decode(), newline="")))
        assert [[r[0], *(number(c) for c in r[3:])] for r in rows[1:]] == expected_cells(recap)

        # XLSX: widths, a frozen header and names, number formats.
        sheet = load_workbook(io.BytesIO(download(page, "XLSX"))).active
        assert sheet.freeze_panes == "B2"
        for column, figure in enumerate(FIGURES, start=4):
            letter = sheet.cell(row=1, column=column).column_letter
            label = str(sheet.cell(row=1, column=column).value)
            width = sheet.column_dimensions[letter].width
            assert width >= max(len(w) for w in label.split()) + 1
            filled = [c for c in sheet[letter][1:] if c.value is not None]
            assert filled, figure.key
            assert {c.number_format for c in filled} == {
                {"count": "#,##0", "percent": "0.0%", "days": "0.0", "rating": "0.00"}[figure.kind]
            }
        assert sheet.column_dimensions["A"].width >= len("Kota Samarinda")

        # PDF: its first page as an image, and its text as pdfium reads it.
        pdf = download(page, "PDF")
        document = pdfium.PdfDocument(pdf)
        try:
            first = document[0]
            width, height = first.get_size()
            assert (round(width), round(height)) == tuple(round(v) for v in A4_LANDSCAPE)
            image = first.render(scale=2).to_pil().convert("L")
        finally:
            document.close()
        image.save(SCREENSHOT_DIR / "lapor-recap-pdf-page-1.png")
        histogram = image.histogram()
        ink = sum(histogram[:128]) / (image.width * image.height)
        assert 0.005 < ink < 0.5, ink  # neither blank nor a black page
        # The figures' table (the channels' are a table of their own in the PDF).
        assert_header_words_whole(pdf, [str(c.value) for c in sheet[1][3 : 3 + len(FIGURES)]])
        names = [f"{r.name} ({r.code})" for r in recap]
        table = pdf_table_rows(pdf, names)
        assert len(table) == len(names)
        assert_numbers_right_aligned(table, len(FIGURES))
