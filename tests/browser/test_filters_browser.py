"""The filters in words in a real Chromium, on a 360 px phone and a 1366 px desktop: the public
list's and the inbox's filter box open with a region typed by name, a shared name's choices, a
name no region has, an empty result; each page no wider than the screen and without an axe-core
violation. With JavaScript, typing in the region box fills its suggestions from the regions API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from complaints.models import Complaint
from routing.models import Agency, Region
from routing.selectors import clear_settings_cache
from routing.services import load_regions
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.helpers import make_user

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]


@pytest.fixture
def tab(viewport_context: BrowserContext) -> Iterator[Page]:
    page = viewport_context.new_page()
    try:
        yield page
    finally:
        viewport_context.clear_cookies()
        page.close()


@pytest.fixture
def reports(live_server: LiveServer, submit: Callable[..., Any]) -> dict[str, Complaint]:
    load_regions(province_codes=["21"])
    clear_settings_cache()
    region = Region.objects.get
    return {
        "palaran": submit(title="Puskesmas Palaran tutup siang").complaint,
        "balikpapan": submit(
            title="Lampu jalan mati di Balikpapan Kota", region=region(code="64.71.06")
        ).complaint,
        "ampar_kutim": submit(
            title="Air bersih di Batu Ampar Kutai Timur", region=region(code="64.08.17")
        ).complaint,
        "ampar_batam": submit(
            title="Air bersih di Batu Ampar Batam", region=region(code="21.71.02")
        ).complaint,
    }


def check(tab: Page) -> None:
    """No wider than the screen, no axe-core violation."""
    overflow = measure_overflow(tab)
    assert not overflow.overflows, str(overflow)
    violations = axe_violations(tab)
    assert not violations, format_violations(violations)


def visit(tab: Page, base: str, path: str, query: dict[str, Any]) -> None:
    response = tab.goto(f"{base}{path}?{urlencode(query, doseq=True)}")
    assert response is not None and response.status == 200


class TestPublicList:
    def test_a_shared_name_then_a_choice(
        self, live_server: LiveServer, tab: Page, reports: dict[str, Complaint]
    ) -> None:
        visit(tab, live_server.url, "/laporan/", {"region": "Batu Ampar"})
        expect(tab.locator("details.filter-box")).to_have_attribute("open", "")
        expect(tab.locator("article.card")).to_have_count(2)
        expect(tab.locator(".region-choices li")).to_have_count(2)
        check(tab)
        tab.locator(".region-choices a", has_text="Batu Ampar, Kota Batam").click()
        expect(tab.locator("article.card")).to_have_count(1)
        expect(tab.locator("#id_region")).to_have_value("Batu Ampar, Kota Batam")
        expect(tab.locator(".result-count")).to_contain_text("Batu Ampar, Kota Batam")

    def test_a_name_no_region_has_and_an_empty_result(
        self, live_server: LiveServer, tab: Page, reports: dict[str, Complaint]
    ) -> None:
        visit(tab, live_server.url, "/laporan/", {"region": "Balikpapn"})
        expect(tab.locator(".error-summary")).to_be_focused()
        expect(tab.locator("#id_region_error")).to_contain_text("Kota Balikpapan")
        check(tab)
        visit(tab, live_server.url, "/laporan/", {"q": "banjir", "region": "Samarinda"})
        expect(tab.locator(".empty-state li")).to_have_count(3)
        check(tab)

    def test_typing_suggests_regions(
        self, live_server: LiveServer, tab: Page, reports: dict[str, Complaint]
    ) -> None:
        visit(tab, live_server.url, "/laporan/", {})
        tab.locator("details.filter-box > summary").click()
        region = tab.locator("#id_region")
        region.press_sequentially("balik", delay=30)
        expect(region).to_have_attribute("list", "id_region-suggestions")
        expect(tab.locator('#id_region-suggestions option[value="Kota Balikpapan"]')).to_have_count(
            1
        )
        check(tab)
        region.fill("Kota Balikpapan")
        tab.locator(".filter-actions button").click()
        expect(tab.locator("article.card")).to_have_count(1)
        expect(tab.locator(".result-count")).to_contain_text("Kota Balikpapan")


class TestInbox:
    def test_the_filter_box_open_with_several_statuses(
        self,
        live_server: LiveServer,
        tab: Page,
        tree: dict[str, Agency],
        reports: dict[str, Complaint],
    ) -> None:
        client = Client()
        client.force_login(make_user("kaltim", tree["kaltim"]))
        tab.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        query = {
            "region": "Kalimantan Timur",
            "status": ["DISPOSED", "IN_PROGRESS"],
            "submitted_from": "2026-11-01",
        }
        visit(tab, live_server.url, "/dashboard/", query)
        expect(tab.locator("details.filter-box")).to_have_attribute("open", "")
        expect(tab.locator("input[name=status]:checked")).to_have_count(2)
        expect(tab.locator("#id_submitted_from")).to_have_value("2026-11-01")
        expect(tab.locator(".empty-state")).to_be_visible()
        check(tab)
        # With no filter: what would appear here.
        visit(tab, live_server.url, "/dashboard/", {})
        check(tab)
