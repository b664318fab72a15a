"""The staff inbox's filters in words: the region by name, the statuses as check boxes, dates
with a date picker, the count with the filters in words, and an empty inbox that says what
would appear there or what to try; the staff API keeps taking codes, repeated statuses and
ISO dates."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint
from routing.models import Agency, Category, Region
from routing.selectors import clear_settings_cache
from routing.services import load_regions
from tests.dashboard.test_inbox import API, INBOX, ComplaintFactory, api_client, listed, wib
from tests.helpers import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(tree: dict[str, Agency]) -> dict[str, Complaint]:
    """Reports in the Kaltim coordinator's queue: in Samarinda, Balikpapan and Batu Ampar
    (Kutai Timur), open and closed, received on different days."""
    load_regions(province_codes=["21"])  # another Batu Ampar, in Kota Batam
    clear_settings_cache()
    now = timezone.now()
    held = {"current_agency": tree["kaltim"], "due_at": now + dt.timedelta(days=3)}
    region = Region.objects.get
    return {
        "palaran": ComplaintFactory.create(
            status="DISPOSED", region=region(code="64.72.01"), submitted_at=wib(2026, 11, 2), **held
        ),
        "samarinda_roads": ComplaintFactory.create(
            status="IN_PROGRESS",
            region=region(code="64.72.04"),
            category=Category.objects.get(code="infrastruktur"),
            submitted_at=wib(2026, 11, 10),
            **held,
        ),
        "balikpapan": ComplaintFactory.create(
            status="RESPONDED",
            region=region(code="64.71.06"),
            submitted_at=wib(2026, 11, 20),
            **held,
        ),
        "ampar": ComplaintFactory.create(
            status="AWAITING_VERIFICATION",
            region=region(code="64.08.17"),
            submitted_at=wib(2026, 11, 25),
            **held,
        ),
        "closed": ComplaintFactory.create(
            status="COMPLETED",
            region=region(code="64.72.01"),
            submitted_at=wib(2026, 11, 1),
            **held,
        ),
    }


def officer_page(
    tree: dict[str, Agency], username: str = "kaltim", agency: str = "kaltim"
) -> Client:
    client = Client()
    client.force_login(make_user(username, tree[agency]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def inbox(client: Client, query: dict[str, Any]) -> tuple[str, Any]:
    response = client.get(INBOX, query)
    assert response.status_code == 200
    return response.content.decode(), response.context


def numbers(queue: dict[str, Complaint], *names: str) -> list[str]:
    return sorted(queue[name].tracking_number for name in names)


def links(html: str, css_class: str) -> dict[str, dict[str, list[str]]]:
    start = html.index(f'class="{css_class}')
    block = html[start : html.index("</div>", start)]
    return {
        unescape(re.sub(r"<[^>]+>", "", text)).strip(): parse_qs(urlsplit(unescape(href)).query)
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', block)
    }


def count_line(html: str) -> str:
    found = re.search(r'<p class="result-count">(.*?)</p>', html)
    assert found is not None, "no count"
    return unescape(found.group(1))


class TestRegion:
    @pytest.mark.parametrize("typed", ["Kota Samarinda", "samarinda", "KOTA SAMARINDA", "64.72"])
    def test_by_name_or_code_on_the_page(
        self, queue: dict[str, Complaint], tree: dict[str, Agency], typed: str
    ) -> None:
        html, _context = inbox(officer_page(tree), {"region": typed})
        assert sorted(listed(html)) == numbers(queue, "palaran", "samarinda_roads")
        assert count_line(html) == "2 reports still open, in Kota Samarinda"

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("64.72", ["palaran", "samarinda_roads"]),
            ("64.72.", ["palaran", "samarinda_roads"]),
            ("64.71", ["balikpapan"]),
            ("Kota Balikpapan", ["balikpapan"]),
            ("Kalimantan Timur", ["palaran", "samarinda_roads", "balikpapan", "ampar"]),
            ("64.7", []),
        ],
    )
    def test_the_staff_api_takes_codes_as_before_and_names(
        self,
        queue: dict[str, Complaint],
        tree: dict[str, Agency],
        typed: str,
        expected: list[str],
    ) -> None:
        response = api_client(make_user("api", tree["kaltim"])).get(API, {"region": typed})
        assert response.status_code == 200, response.content
        assert sorted(r["tracking_number"] for r in response.json()["results"]) == numbers(
            queue, *expected
        )

    def test_a_shared_name_offers_its_regions(
        self, queue: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        html, _context = inbox(officer_page(tree), {"region": "Batu Ampar", "scope": "held"})
        # Only the one in the coordinator's province is in its queue; both are offered.
        assert sorted(listed(html)) == numbers(queue, "ampar")
        assert links(html, "card region-choices") == {
            "Batu Ampar, Kota Batam": {"region": ["Batu Ampar, Kota Batam"], "scope": ["held"]},
            "Batu Ampar, Kabupaten Kutai Timur": {
                "region": ["Batu Ampar, Kabupaten Kutai Timur"],
                "scope": ["held"],
            },
        }

    def test_an_unknown_name_is_an_error_at_the_field_and_in_the_api(
        self, queue: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        html, context = inbox(officer_page(tree), {"region": "Samarindah"})
        assert listed(html) == []
        assert context["filters"].form.errors["region"] == [
            "No region is called “Samarindah”. Did you mean Kota Samarinda?"
        ]
        assert re.search(r'<div class="field has-error">\s*<label for="id_region"', html)
        assert '<a href="#id_region">' in html  # the summary at the top of the form
        response = api_client(make_user("api", tree["kaltim"])).get(API, {"region": "Samarindah"})
        assert response.status_code == 400
        assert "region" in response.json()


class TestStatusAndDates:
    def test_statuses_are_check_boxes_in_a_group(
        self, queue: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        html, _context = inbox(officer_page(tree), {})
        group = html[html.index('<fieldset class="field check-group"') :]
        group = group[: group.index("</fieldset>")]
        assert "<legend>Status" in group
        boxes = re.findall(r'<input type="checkbox" name="status" value="([A-Z_]+)"', group)
        assert boxes == list(Complaint.Status.values)
        assert "<select" not in group and "---------" not in html

    def test_several_statuses(self, queue: dict[str, Complaint], tree: dict[str, Agency]) -> None:
        query = {"status": ["RESPONDED", "COMPLETED"]}
        html, _context = inbox(officer_page(tree), query)
        assert sorted(listed(html)) == numbers(queue, "balikpapan", "closed")
        ticked = re.findall(r'value="([A-Z_]+)"[^>]*checked', html)
        assert sorted(ticked) == ["COMPLETED", "RESPONDED"]
        with_status = count_line(html)
        assert with_status.startswith("2 reports with the status ") and " or " in with_status
        assert "still open" not in with_status
        api = api_client(make_user("api", tree["kaltim"])).get(API, query)
        assert sorted(r["tracking_number"] for r in api.json()["results"]) == numbers(
            queue, "balikpapan", "closed"
        )

    def test_dates_have_a_date_picker_and_stay_iso(
        self, queue: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        query = {"submitted_from": "2026-11-05", "submitted_to": "2026-11-20"}
        html, _context = inbox(officer_page(tree), query)
        assert sorted(listed(html)) == numbers(queue, "samarinda_roads", "balikpapan")
        for name, value in query.items():
            tag = re.search(rf'<input type="date" name="{name}"[^>]*>', html)
            assert tag is not None, name
            assert f'value="{value}"' in tag.group(0)
            assert 'min="1900-01-01"' in tag.group(0) and 'max="2999-12-31"' in tag.group(0)
        assert count_line(html) == (
            "2 reports still open, received from 5 November 2026, received until 20 November 2026"
        )
        api = api_client(make_user("api", tree["kaltim"])).get(API, query)
        assert sorted(r["tracking_number"] for r in api.json()["results"]) == numbers(
            queue, "samarinda_roads", "balikpapan"
        )

    @pytest.mark.parametrize("day", ["1899-12-31", "3000-01-01", "2026-13-45"])
    def test_a_date_outside_the_bounds_is_an_error(
        self, queue: dict[str, Complaint], tree: dict[str, Agency], day: str
    ) -> None:
        html, context = inbox(officer_page(tree), {"submitted_from": day})
        assert "submitted_from" in context["filters"].form.errors
        assert listed(html) == []
        assert 'href="#id_submitted_from"' in html


class TestCountAndEmptyInbox:
    def test_the_count(self, queue: dict[str, Complaint], tree: dict[str, Agency]) -> None:
        html, context = inbox(officer_page(tree), {})
        assert context["summary"].count == 4
        assert count_line(html) == "4 reports still open"
        roads = Category.objects.get(code="infrastruktur").name_en
        html, _context = inbox(
            officer_page(tree, "kaltim2"), {"category": "infrastruktur", "region": "samarinda"}
        )
        assert (
            count_line(html) == f"1 report still open, in Kota Samarinda, in the category {roads}"
        )

    def test_nothing_to_do(self, tree: dict[str, Agency]) -> None:
        for username, agency, words in [
            ("dinkes", "dinkes", "Reports disposed to your agency appear here"),
            ("kaltim", "kaltim", "Reports that wait for your decision appear here"),
        ]:
            html, context = inbox(officer_page(tree, username, agency), {})
            assert context["summary"].count == 0
            assert "result-count" not in html
            assert "<h2>Nothing to do here</h2>" in html
            assert words in html
            # Closed reports are a click away.
            closed = links(html, "card empty-state")["Closed reports too"]
            assert closed["status"] == list(Complaint.Status.values)

    def test_nothing_matches_suggests_what_to_try(
        self, queue: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        query = {"scope": "held", "region": "Balikpapan", "overdue": "on", "q": "banjir"}
        html, context = inbox(officer_page(tree), query)
        assert listed(html) == []
        assert "Nothing to do here" not in html
        assert (
            "<h2>No reports matching “banjir”, in Kota Balikpapan, past their deadline.</h2>"
            in unescape(html)
        )
        every_status = list(Complaint.Status.values)
        assert links(html, "card empty-state") == {
            "Search all regions": {"scope": ["held"], "overdue": ["on"], "q": ["banjir"]},
            "Overdue or not": {"scope": ["held"], "region": ["Balikpapan"], "q": ["banjir"]},
            "Without the words “banjir”": {
                "scope": ["held"],
                "region": ["Balikpapan"],
                "overdue": ["on"],
            },
            "Closed reports too": {
                "scope": ["held"],
                "region": ["Balikpapan"],
                "overdue": ["on"],
                "q": ["banjir"],
                "status": every_status,
            },
            "Clear all filters": {"scope": ["held"]},
        }
        assert context["summary"].count == 0
