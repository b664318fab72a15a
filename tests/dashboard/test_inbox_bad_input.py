"""The staff inbox's query string at the edges, page and API: cursors naming a position no row can
have and dates at the ends of the calendar were 500s (OverflowError); now a cursor like that
gives the first page, as any unreadable one does, and such a date is a form error (the page) or
a 400 (the API)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client

from complaints.models import Complaint
from routing.models import Agency
from tests.helpers import in_indonesian, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

INBOX = "/dashboard/"
API = "/api/v1/staff/complaints/"


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


OUT_OF_RANGE_CURSORS = [
    # Still the year 0 in UTC, or already the year 10000.
    cursor("0001-01-01T00:00:00+14:00|1"),
    cursor("9999-12-31T23:59:59-14:00|1"),
    # An id beyond a 64-bit column (SQLite: "Python int too large to convert").
    cursor("2026-12-07T23:59:00+07:00|" + "9" * 30),
    cursor("2026-12-07T23:59:00+07:00|-" + "9" * 30),
    cursor(f"2026-12-07T23:59:00+07:00|{2**63}"),
]


@pytest.fixture
def held(submit: Callable[..., Any], tree: dict[str, Agency]) -> list[Complaint]:
    """Three reports at Dinkes Samarinda, in the inbox's order."""
    reports = [route_fully(submit().complaint) for _ in range(3)]
    return sorted(reports, key=lambda r: (r.due_at, r.pk))


@pytest.fixture
def officer(tree: dict[str, Agency]) -> User:
    return make_user("petugas.dinkes", tree["dinkes"])


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestCursorsNoRowCanHave:
    @pytest.mark.parametrize("value", OUT_OF_RANGE_CURSORS)
    @pytest.mark.parametrize("direction", ["after", "before"])
    def test_give_the_first_page(
        self, held: list[Complaint], officer: User, value: str, direction: str
    ) -> None:
        client = _client(officer)
        first = [r.tracking_number for r in held]
        page = client.get(f"{INBOX}?{urlencode({direction: value})}")
        assert page.status_code == 200
        assert [c.tracking_number for c in page.context["page"].items] == first
        api = client.get(f"{API}?{urlencode({direction: value})}")
        assert api.status_code == 200
        assert [r["tracking_number"] for r in api.json()["results"]] == first

    def test_a_cursor_at_the_first_moment_utc_can_hold_still_works(
        self, held: list[Complaint], officer: User
    ) -> None:
        value = cursor("0001-01-01T00:00:00+00:00|1")
        response = _client(officer).get(f"{API}?{urlencode({'after': value})}")
        assert response.status_code == 200
        assert [r["tracking_number"] for r in response.json()["results"]] == [
            r.tracking_number for r in held
        ]


def _date_message() -> str:
    return in_indonesian(
        "Give a date from %(first)s to %(last)s.", first="1900-01-01", last="2999-12-31"
    )


class TestDatesAtTheEdges:
    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("submitted_from", "0001-01-01"),  # the day's start in Jakarta is the year 0 in UTC
            ("submitted_to", "9999-12-31"),  # the next day's start is the year 10000
            ("submitted_from", "1899-12-31"),
            ("submitted_to", "3000-01-01"),
        ],
    )
    def test_page_shows_the_form_error_and_lists_nothing(
        self, held: list[Complaint], officer: User, name: str, value: str
    ) -> None:
        response = _client(officer).get(f"{INBOX}?{name}={value}")
        assert response.status_code == 200
        assert response.context["filters"].errors == {name: [_date_message()]}
        assert response.context["page"].items == []
        assert _date_message() in response.content.decode()

    @pytest.mark.parametrize(
        ("name", "value"),
        [("submitted_from", "0001-01-01"), ("submitted_to", "9999-12-31")],
    )
    def test_api_is_400(self, held: list[Complaint], officer: User, name: str, value: str) -> None:
        response = _client(officer).get(f"{API}?{name}={value}")
        assert response.status_code == 400
        assert response.json() == {name: [_date_message()]}

    def test_the_ends_of_the_range_are_allowed(self, held: list[Complaint], officer: User) -> None:
        response = _client(officer).get(f"{API}?submitted_from=1900-01-01&submitted_to=2999-12-31")
        assert response.status_code == 200
        assert [r["tracking_number"] for r in response.json()["results"]] == [
            r.tracking_number for r in held
        ]
