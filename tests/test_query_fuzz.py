"""Every query string the lists take, fuzzed: the public list (page and API), the staff inbox as an
officer (page and API), the recap pages as the national coordinator, and Open311's GET Service
Requests in JSON and XML. Whatever the query, the answer is never a 5xx, and Open311's XML always
parses, although one listed report holds text that XML 1.0 cannot carry, written straight to the
database.

Values lean towards what broke before: dates and moments at the edges of the calendar, numbers
beyond 64 bits, cursors built from both, NUL and noncharacters, bytes that are not UTF-8. Bounded
for CI: derandomized, ``MAX_EXAMPLES`` per surface, one world built for all of them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_from_bytes

import hypothesis
import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import strategies as st

from complaints import services as complaint_services
from complaints.models import Complaint
from reports.services import build_monthly_recap
from routing.models import Agency
from tests.helpers import NOW, make_user, route_fully
from tests.open311.support import BASE, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MAX_EXAMPLES = 150
# Text no submission may hold any more, but a report stored before (or written around the
# services) may: C0 controls, noncharacters of the first and last plane, a lone "\r".
ODD_TEXT = (
    "Jalan\x01 rusak\x0b di \ufffe depan \uffff pasar \ufdd0 dan \U0010ffff ujung\x1f jalan.\r"
)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# --- values -------------------------------------------------------------------------------------

EDGE_DAYS = ["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "1899-12-31", "3000-01-01"]
EDGE_MOMENTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59+23:59",
    "1899-12-31T23:59:59Z",
    "2026-11-30T09:00:00+07:00",
    "2026-11-30T09:00:00",  # no time zone
]
EDGES = [
    *EDGE_DAYS,
    *EDGE_MOMENTS,
    "",
    " ",
    "0",
    "-1",
    "1",
    "²",
    "١٢",
    "1e400",
    "NaN",
    "inf",
    "9" * 30,
    "-" + "9" * 30,
    "9" * 5000,
    "\x00",
    "a\x00b",
    "\ufffe",
    "\ufdd0",
    "%",
    "on",
    "true",
    "open,closed",
    "new",
    "support",
    "held",
    "subtree",
    "history",
    "COMPLAINT",
    "DISPOSED",
    "kesehatan",
    "kesehatan,\x00",
    "64",
    "64.72",
    "64.72.01",
    "31",
    ".",
    "2026-11",
    "9999-12",
    "0000-01",
    "2026-Q4",
    "9999-Q4",
]
offsets = st.timedeltas(
    min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)
)
moments = st.one_of(
    st.sampled_from(EDGE_MOMENTS),
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=dt.timezone(offset)).isoformat(),
        st.datetimes(),
        offsets,
    ),
)
days = st.one_of(st.sampled_from(EDGE_DAYS), st.dates().map(dt.date.isoformat))
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=2**62, max_value=10**40),
    st.integers(min_value=-(10**40), max_value=-(2**62)),
).map(str)
cursors = st.builds(
    lambda position, pk: _b64(f"{position}|{pk}"),
    st.one_of(moments, numbers, days, st.text(max_size=10)),
    st.one_of(numbers, st.text(max_size=5)),
)
anything = st.one_of(st.sampled_from(EDGES), moments, numbers, cursors, st.text(max_size=20))
# What each parameter is meant to hold; it gets that half the time, anything the other half.
KINDS = {"cursor": cursors, "day": days, "moment": moments, "number": numbers, "word": anything}


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def queries(names: dict[str, str]) -> st.SearchStrategy[str]:
    """A query string: the surface's own parameters, now and then another one, each value
    percent-encoded byte by byte (now and then bytes that are not UTF-8); a name may come more
    than once."""
    known = st.sampled_from(sorted(names)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.one_of(KINDS[names[name]].map(_bytes), anything.map(_bytes), st.binary(max_size=20)),
        )
    )
    other = st.tuples(st.text(max_size=6), anything.map(_bytes))
    pair = st.one_of(known, known, known, other).map(
        lambda item: f"{quote(item[0], safe='')}={quote_from_bytes(item[1], safe='')}"
    )
    return st.lists(pair, max_size=5).map("&".join)


# --- the world ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    officer: Client
    coordinator: Client
    odd_number: str  # a public report with ODD_TEXT in its description and its agency's name


@pytest.fixture
def world(submit: Callable[..., Any], tree: dict[str, Agency]) -> World:
    """Public reports held by Dinkes Samarinda (one answered, one with odd text written straight
    to the database), an officer of Dinkes and one of the national coordinator, and the recaps
    of November 2026."""
    reports = [route_fully(submit().complaint) for _ in range(3)]
    complaint_services.acknowledge_complaint(
        complaint_id=reports[0].pk, agency=tree["dinkes"], actor=None, now=NOW
    )
    complaint_services.respond_to_complaint(
        complaint_id=reports[0].pk,
        agency=tree["dinkes"],
        text="Sudah kami tindak lanjuti; layanan kembali buka sampai pukul 14.00.",
        actor=None,
        now=NOW,
    )
    odd = reports[1]
    Complaint.objects.filter(pk=odd.pk).update(description=ODD_TEXT, title=ODD_TEXT[:40])
    Agency.objects.filter(pk=tree["dinkes"].pk).update(name=f"Dinkes {ODD_TEXT[:20]}")
    build_monthly_recap(month=dt.date(2026, 11, 1), now=NOW + dt.timedelta(days=7))

    officer, coordinator = Client(), Client()
    officer.force_login(make_user("petugas.dinkes", tree["dinkes"]))
    coordinator.force_login(make_user("koordinator.nasional", tree["national"]))
    return World(officer=officer, coordinator=coordinator, odd_number=odd.tracking_number)


# --- surfaces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    paths: list[str]
    names: dict[str, str]  # parameter: what it holds, a key of KINDS
    client: Callable[[World], Client]
    check: Callable[[str, Any, World], None] = lambda path, response, world: None


def _check_open311(path: str, response: Any, world: World) -> None:
    """Open311 answers in the format asked for, always one a client can read; the odd report,
    when listed, holds U+FFFD where XML cannot carry what is stored."""
    if path.endswith(".xml"):
        root = xml_of(response)
        descriptions = [r.findtext("description") for r in root.findall("request")]
        numbers = [r.findtext("service_request_id") for r in root.findall("request")]
        if world.odd_number in numbers:
            assert descriptions[numbers.index(world.odd_number)] == (
                "Jalan\ufffd rusak\ufffd di \ufffd depan \ufffd pasar \ufdd0 dan \U0010ffff "
                "ujung\ufffd jalan.\n"  # an XML parser reads a carriage return as a newline
            )
    else:
        json.loads(response.content)


SURFACES = {
    "public list": Surface(
        paths=["/laporan/", "/api/v1/complaints/"],
        names={
            "q": "word",
            "category": "word",
            "region": "word",
            "kind": "word",
            "status": "word",
            "order": "word",
            "after": "cursor",
        },
        client=lambda world: Client(),
    ),
    "staff inbox": Surface(
        paths=["/dashboard/", "/api/v1/staff/complaints/"],
        names={
            "scope": "word",
            "status": "word",
            "kind": "word",
            "category": "word",
            "region": "word",
            "submitted_from": "day",
            "submitted_to": "day",
            "overdue": "word",
            "q": "word",
            "after": "cursor",
            "before": "cursor",
        },
        client=lambda world: world.officer,
    ),
    "recaps": Surface(
        paths=["/reports/", "/reports/evaluation/"],
        names={"month": "word", "quarter": "word", "region": "word"},
        client=lambda world: world.coordinator,
    ),
    "open311": Surface(
        paths=[f"{BASE}/requests.json", f"{BASE}/requests.xml"],
        names={
            "start_date": "moment",
            "end_date": "moment",
            "status": "word",
            "service_code": "word",
            "service_request_id": "word",
            "page": "number",
            "page_size": "number",
            "jurisdiction_id": "word",
        },
        client=lambda world: Client(),
        check=_check_open311,
    ),
}


def test_no_query_string_is_a_server_error(world: World, subtests: pytest.Subtests) -> None:
    # The odd report is in Open311's default list, so the XML is checked with it.
    listed = xml_of(Client().get(f"{BASE}/requests.xml")).findall("request")
    assert world.odd_number in [r.findtext("service_request_id") for r in listed]
    # One test with a subtest per surface: the world is built once for all of them.
    for label, surface in SURFACES.items():
        with subtests.test(msg=label):
            _fuzz(surface, world)


def _fuzz(surface: Surface, world: World) -> None:
    client = surface.client(world)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @hypothesis.given(query=queries(surface.names))
    def check(query: str) -> None:
        for path in surface.paths:
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (path, query)
            surface.check(path, response, world)

    check()


def test_a_nul_in_a_recap_region_is_not_a_server_error(world: World) -> None:
    """PostgreSQL refuses a NUL with an error: the code is checked before any query."""
    for path in ("/reports/", "/reports/evaluation/", "/api/v1/reports/monthly/"):
        response = world.coordinator.get(f"{path}?region=64%00")
        assert response.status_code == 404, path
