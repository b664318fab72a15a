"""The public list's cursor at the edges, page and API: a cursor naming a moment whose UTC falls
outside the years 1 to 9999 was a 500 (OverflowError); now it gives the first page, as any
unreadable cursor does."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from complaints.models import Complaint
from routing.models import Agency
from tests.helpers import route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def newest_first(submit: Callable[..., Any], tree: dict[str, Agency]) -> list[str]:
    reports = [route_fully(submit().complaint) for _ in range(3)]
    return [r.tracking_number for r in sorted(reports, key=lambda r: r.pk, reverse=True)]


@pytest.mark.parametrize(
    ("order", "value"),
    [
        ("new", cursor("0001-01-01T00:00:00+14:00|1")),
        ("new", cursor("9999-12-31T23:59:59-14:00|1")),
        ("new", cursor("2026-11-30T09:00:00+07:00|" + "9" * 30)),
        ("support", cursor("9" * 30 + "|1")),
        ("support", cursor("0|-" + "9" * 30)),
    ],
)
def test_a_cursor_no_row_can_have_gives_the_first_page(
    client: Client, newest_first: list[str], order: str, value: str
) -> None:
    query = urlencode({"order": order, "after": value})
    page = client.get(f"/laporan/?{query}")
    assert page.status_code == 200
    items: list[Complaint] = page.context["items"]
    api = client.get(f"/api/v1/complaints/?{query}")
    assert api.status_code == 200
    first = [c.tracking_number for c in client.get(f"/laporan/?order={order}").context["items"]]
    assert sorted(first) == sorted(newest_first)
    assert [c.tracking_number for c in items] == first
    assert [r["tracking_number"] for r in api.json()["results"]] == first
