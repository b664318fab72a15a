"""A province of recaps to read: Kaltim with four regencies/cities, October and November 2026
built (and December, for a final fourth quarter: ``quarter_built``).

Reports are filed and handled through the real services with injected times; no deadline sweep
and no reply window runs, so nothing escalates and nothing completes by itself. October and
November 2026 are built on 5 January 2027. Calendar (Asia/Jakarta): Mon 2, 9, 16, 23, 30
November 2026, no holiday in October or November; deadlines: verification 3, first response 5,
completion of a complaint 14 working days, counted from the day after.

November, its flows and the reports open at its end:

* Kota Samarinda (64.72): seven reports filed about it: five health reports for Dinkes
  Samarinda, the education report Disdik Kaltim holds and the social one Diskominfo Kaltim
  archived (a region counts every report about it, whoever handles it). Dinkes Samarinda received
  the five, answered two on time (after 2 and 4 working days: median 3, 90th percentile 3.8), one
  of them completed and rated 4. It holds five open reports: the one of October, never taken up
  (deadline 27 October: overdue), two more not taken up (deadlines 2 and 3 December), one in
  process (deadline 4 December) and one answered, awaiting the reporter.
* Kota Balikpapan (64.71) and Kota Bontang (64.74): their Dinkes each answered the two reports
  of 4 November on 6 November (2 working days), both awaiting the reporter: the same figures.
* Kabupaten Kutai Kartanegara (64.02): one report in its coordinator's queue since 12 November
  (deadline 17 November: overdue).
* Kaltim itself: Disdik Kaltim holds its report of 2 November in process (deadline 20 November:
  overdue); Diskominfo Kaltim received a report to verify on 10 November and archived it.
* The national coordinator: one report about Jakarta (31.71.01) in its queue (deadline 25
  November: overdue); DKI Jakarta (31) and Kota Administrasi Jakarta Pusat (31.71) get rows for
  it, without agencies.

The fourth quarter, with December built (nothing happens in December; by its end Dinkes
Samarinda's other three deadlines have passed too): Balikpapan and Bontang answered both their
reports to answer (score 100, tied first), Samarinda answered two of its six (two answers, four
reports overdue) and Kutai Kartanegara, with one report to answer (overdue), is below the minimum
of two and not ranked.

One Samarinda report carries the reporter below, whose name, e-mail and phone must never show
in a recap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from complaints import services as complaint_services
from complaints.models import Complaint
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Agency, Category, Officer, Region, RoutingRule
from tests.helpers import (
    WIB,
    route_fully,
)

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
BUILT_AT = dt.datetime(2027, 1, 5, 9, 0, tzinfo=WIB)
PASSWORD = "kata-sandi-rekap-2026"
MIN_REPORTS = 2

REPORTER_NAME = "Zulkarnain Rahasiawan"
REPORTER_EMAIL = "zulkarnain.rahasia@example.id"
REPORTER_PHONE = "0813 7777 4242"
REPORTER_VALUES = (REPORTER_NAME, REPORTER_EMAIL, REPORTER_PHONE, "081377774242")

ANSWER = "Layanan puskesmas sudah kami benahi; jam buka kembali sampai pukul 14.00."

# Names a spreadsheet would run as a formula, and one with markup.
FORMULA_NAMES = ('=HYPERLINK("http://x")', "+1", "-2", "@x")
HTML_NAME = "<b>x</b>"

Agencies = dict[str, Agency]


def at(month: int, day: int, hour: int = 9, minute: int = 0, *, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


def recap_rows(month: dt.date, region: str | None) -> list[MonthlyRecap]:
    """The rows under ``region`` (None: the nation) in the order of the page: regions first,
    then agencies, each by name (in the database's collation). Written out here, not taken from
    the selector under test."""
    under = MonthlyRecap.objects.filter(month=month, parent_region_id=region).select_related(
        "agency"
    )
    regions = under.filter(level__in=[MonthlyRecap.Level.PROVINCE, MonthlyRecap.Level.REGENCY])
    agencies = under.filter(level=MonthlyRecap.Level.AGENCY)
    return [*regions.order_by("name", "pk"), *agencies.order_by("name", "pk")]


def own_row(month: dt.date, region: str | None) -> MonthlyRecap:
    if region is None:
        return MonthlyRecap.objects.get(month=month, level=MonthlyRecap.Level.NATION)
    return MonthlyRecap.objects.get(
        month=month, region_id=region, level__in=[MonthlyRecap.Level.PROVINCE, "REGENCY"]
    )


def in_indonesian(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` with the language the pages use by default."""
    with translation.override("id"):
        return function(*args)


def evaluation_remarks(*, to_answer: int | None = None, without: tuple[str, ...] = ()) -> str:
    """The remarks of a row of the quarterly evaluation, in Bahasa Indonesia: not ranked for
    having ``to_answer`` reports to answer, fewer than ``MIN_REPORTS``; the parts of the score
    left out for want of data (``without``, as the English messages name them)."""
    texts = []
    if to_answer is not None:
        texts.append(
            in_indonesian(
                gettext, "not ranked: %(count)s of the %(minimum)s reports to answer needed"
            )
            % {"count": to_answer, "minimum": MIN_REPORTS}
        )
    if without:
        parts = ", ".join(in_indonesian(gettext, part) for part in without)
        texts.append(in_indonesian(gettext, "scored without: %(parts)s") % {"parts": parts})
    return "; ".join(texts)


# --- the province ------------------------------------------------------------------------------


@pytest.fixture
def agencies(tree: Agencies) -> Agencies:
    """The ``tree`` fixture plus Balikpapan and Bontang (a coordinator and a Dinkes each) and
    Kutai Kartanegara (a coordinator, no OPD), with health reports routed to each Dinkes."""
    kaltim = tree["kaltim"]
    health = Category.objects.get(code="kesehatan")
    added: Agencies = {}
    for key, code, name, region in (
        ("balikpapan", "bpp", "Diskominfo Balikpapan", "64.71"),
        ("bontang", "btg", "Diskominfo Bontang", "64.74"),
        ("kukar", "kukar", "Diskominfo Kutai Kartanegara", "64.02"),
    ):
        added[key] = Agency.objects.create(
            code=code, name=name, level="REGENCY", region_id=region, parent=kaltim
        )
    for key, code, name, parent in (
        ("dinkes_bpp", "dinkes-bpp", "Dinkes Balikpapan", added["balikpapan"]),
        ("dinkes_btg", "dinkes-btg", "Dinkes Bontang", added["bontang"]),
    ):
        added[key] = Agency.objects.create(
            code=code, name=name, level="OPD", region_id=parent.region_id, parent=parent
        )
        RoutingRule.objects.create(
            category=health,
            level="REGENCY",
            region_id=parent.region_id,
            target="AGENCY",
            agency=added[key],
        )
    return {**tree, **added}


@dataclass
class Filer:
    submit: Callable[..., Any]

    def __call__(
        self,
        when: dt.datetime,
        *,
        category: str = "kesehatan",
        region: str = "64.72.01",
        **fields: Any,
    ) -> Complaint:
        """File a report at ``when`` and route it down at once."""
        complaint = self.submit(
            now=when,
            category=Category.objects.get(code=category),
            region=Region.objects.get(code=region),
            incident_date=timezone.localdate(when),
            **fields,
        ).complaint
        return route_fully(complaint, when)


def acknowledge(complaint: Complaint, agency: Agency, now: dt.datetime) -> None:
    complaint_services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=agency, actor=None, now=now
    )


def answer(complaint: Complaint, agency: Agency, now: dt.datetime) -> None:
    complaint_services.respond_to_complaint(
        complaint_id=complaint.pk, agency=agency, text=ANSWER, actor=None, now=now
    )


@pytest.fixture
def file(submit: Callable[..., Any]) -> Filer:
    return Filer(submit)


@pytest.fixture
def scenario(agencies: Agencies, file: Filer, settings: Any) -> dict[str, Complaint]:
    """The reports of October and November 2026 (see the module docstring); nothing built."""
    settings.LAPOR_EVALUATION_MIN_REPORTS = MIN_REPORTS
    a = agencies
    r: dict[str, Complaint] = {}
    r["october"] = file(at(10, 20))
    r["completed"] = file(at(11, 2))
    acknowledge(r["completed"], a["dinkes"], at(11, 2, 14))
    answer(r["completed"], a["dinkes"], at(11, 6, 10))
    complaint_services.accept_answer(complaint_id=r["completed"].pk, now=at(11, 9))
    complaint_services.rate_answer(
        complaint_id=r["completed"].pk, score=4, comment="", now=at(11, 9)
    )
    r["answered"] = file(at(11, 3))
    answer(r["answered"], a["dinkes"], at(11, 5, 10))
    r["in_process"] = file(at(11, 16))
    acknowledge(r["in_process"], a["dinkes"], at(11, 17))
    r["secret"] = file(
        at(11, 25),
        reporter_name=REPORTER_NAME,
        reporter_email=REPORTER_EMAIL,
        reporter_phone=REPORTER_PHONE,
    )
    r["untouched"] = file(at(11, 26))
    for city, region, opd in (("bpp", "64.71.01", "dinkes_bpp"), ("btg", "64.74.01", "dinkes_btg")):
        for n in (1, 2):
            r[f"{city}{n}"] = file(at(11, 4), region=region)
            answer(r[f"{city}{n}"], a[opd], at(11, 6, 10))
    r["kukar"] = file(at(11, 12), region="64.02.01")
    r["disdik"] = file(at(11, 2), category="pendidikan")
    acknowledge(r["disdik"], a["disdik"], at(11, 3))
    r["archived"] = file(at(11, 10), category="sosial")
    complaint_services.archive_complaint(
        complaint_id=r["archived"].pk,
        coordinator=a["kaltim"],
        reason="Laporan ganda, sudah ditangani.",
        actor=None,
        now=at(11, 11),
    )
    r["jakarta"] = file(at(11, 20), region="31.71.01")
    return r


@pytest.fixture
def built(scenario: dict[str, Complaint]) -> dict[str, Complaint]:
    """The scenario with October and November 2026 built on 5 January 2027."""
    build_monthly_recap(month=OCT, now=BUILT_AT)
    build_monthly_recap(month=NOV, now=BUILT_AT)
    return scenario


@pytest.fixture
def quarter_built(built: dict[str, Complaint]) -> Iterator[dict[str, Complaint]]:
    """The scenario with December 2026 built too, on a clock frozen at ``BUILT_AT`` (5 January
    2027): the fourth quarter has ended and its three months are built, so its evaluation is
    final and ranked."""
    build_monthly_recap(month=DEC, now=BUILT_AT)
    with time_machine.travel(BUILT_AT, tick=False):
        yield built


@pytest.fixture
def odd_names(built: dict[str, Complaint], agencies: Agencies) -> list[Agency]:
    """OPDs of Samarinda named like formulas and with markup; November built again with
    today's agencies (a rebuild otherwise keeps the agencies of the month's first build)."""
    odd = [
        Agency.objects.create(
            code=f"odd-{n}",
            name=name,
            level="OPD",
            region_id="64.72",
            parent=agencies["samarinda"],
        )
        for n, name in enumerate((*FORMULA_NAMES, HTML_NAME))
    ]
    build_monthly_recap(month=NOV, now=BUILT_AT, current_settings=True)
    return odd


# --- who asks ----------------------------------------------------------------------------------

# Role → the agency key of ``agencies`` whose officer asks (None: logged in, no agency).
ROLE_AGENCY = {
    "plain": None,
    "closed": "closed",
    "dinkes": "dinkes",
    "samarinda": "samarinda",
    "balikpapan": "balikpapan",
    "kaltim": "kaltim",
    "national": "national",
}


def make_user(username: str, agency: Agency | None, email: str = "") -> User:
    user = User.objects.create_user(username, email or f"{username}@example.test", PASSWORD)
    if agency is not None:
        Officer.objects.create(user=user, agency=agency)
    return user


@pytest.fixture
def user_for(agencies: Agencies) -> Callable[[str], User | None]:
    """The user of a role (None for "anonymous"); "closed" is an officer of a coordinator that
    is no longer active."""

    def _user(role: str) -> User | None:
        if role == "anonymous":
            return None
        key = ROLE_AGENCY[role]
        if key == "closed" and "closed" not in agencies:
            agencies["closed"] = Agency.objects.create(
                code="paser",
                name="Diskominfo Paser",
                level="REGENCY",
                region_id="64.01",
                parent=agencies["kaltim"],
                is_active=False,
            )
        return make_user(f"{role}-officer", agencies[key] if key else None)

    return _user


@pytest.fixture
def client_for(user_for: Callable[[str], User | None]) -> Callable[[str], Client]:
    """A browser session of a role."""

    def _client(role: str) -> Client:
        client = Client()
        user = user_for(role)
        if user is not None:
            client.force_login(user)
        return client

    return _client


# --- reading pages -----------------------------------------------------------------------------


class _Tables(HTMLParser):
    """The text of each table's rows: ``tables[class] = [[cell, ...], ...]`` (head, body and
    foot alike), and the ``href`` of the first link in each row's first cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[str]] = {}
        self._stack: list[str] = []
        self._row: list[str] | None = None
        self._link = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(dict(attrs).get("class") or "")
            self.tables.setdefault(self._stack[-1], [])
            self.links.setdefault(self._stack[-1], [])
        elif tag == "tr" and self._stack:
            self._row, self._link = [], ""
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and self._row is not None and not self._row and self._cell is not None:
            self._link = dict(attrs).get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self.tables[self._stack[-1]].append(self._row)
            self.links[self._stack[-1]].append(self._link)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


# --- reading exports ---------------------------------------------------------------------------


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV export in its default form: a byte order mark, then fields separated
    by semicolons."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode()[1:], newline=""), delimiter=";"))


def xlsx_sheet(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content)).active


def xlsx_rows(content: bytes) -> list[list[Any]]:
    return [list(row) for row in xlsx_sheet(content).iter_rows(values_only=True)]


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF."""
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
