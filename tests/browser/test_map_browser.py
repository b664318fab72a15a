"""The maps in a real Chromium on a 360 by 740 px phone: a citizen taps the report form's map and
the report carries the point; a form that comes back with an error keeps the pin; the browser's
own location fills it, and a refusal says what to do instead; without tiles the blank map still
takes the pin; the public map (/peta/) shows the reports in clusters, each with its popup, with
the public list's filters; and the staff page shows the exact point.

The tiles never come from the internet: a small tile server of the test's own, on another
port, answers every tile with one PNG, and ``LAPOR_MAP_TILE_URL`` points at it; the
Content-Security-Policy is rebuilt from that setting as lapor/settings.py builds it, so that a
tile the policy did not allow would be a violation the test hears.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from pytest_django.live_server_helper import LiveServer

from complaints import places
from complaints.models import Complaint
from lapor.lib.map_tiles import tile_origin
from routing.models import Agency, Category, Region
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.browser.conftest import PHONE_VIEWPORT, TIMEOUT_MS
from tests.helpers import make_user, route_fully

try:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

# Screenshots on the phone, for a person to look at (/tmp unless told otherwise).
SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))

PROVINCE, REGENCY = "64", "64.72"
TITLE = "Jembatan kayu di Palaran patah"
DESCRIPTION = (
    "Papan jembatan kayu menuju pasar patah sejak minggu lalu, anak sekolah harus memutar jauh "
    "dan motor tidak bisa lewat sama sekali."
)


def _tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (214, 226, 236)).save(buffer, format="PNG")
    return buffer.getvalue()


class TileServer:
    """A tile server on 127.0.0.1 that answers every GET with the same tile, and counts them."""

    def __init__(self) -> None:
        tile = _tile_png()
        served: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.served = served
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tiles(settings: Any) -> Iterator[TileServer]:
    """The maps draw on the test's own tile server, which the policy allows as settings.py
    would (its origin in img-src, in place of the default's)."""
    with TileServer() as server:
        settings.LAPOR_MAP_TILE_URL = server.url
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        origin = tile_origin(server.url)
        assert origin is not None
        policy["DIRECTIVES"]["img-src"] = ["'self'", "data:", origin]
        settings.CONTENT_SECURITY_POLICY = policy
        yield server


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    """A touch phone, 360 by 740 px, in Indonesian, at a known place in Samarinda."""
    context = chromium.new_context(
        viewport=PHONE_VIEWPORT,
        locale="id-ID",
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": -0.5213, "longitude": 117.1187, "accuracy": 25},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def violations() -> Callable[[Page], list[str]]:
    """``violations(page)``: the Content-Security-Policy violations the page reported so far."""

    def listen(page: Page) -> list[str]:
        heard: list[str] = []

        def hear(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                heard.append(message.text)

        page.on("console", hear)
        return heard

    return listen


def fill_the_form(page: Page, base: str) -> None:
    page.goto(f"{base}/lapor/")
    page.locator("input[name=kind][value=COMPLAINT]").check()
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_description").fill(DESCRIPTION)
    page.locator("#id_category").select_option("infrastruktur")
    page.locator("#id_incident_date").fill(
        (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    )
    with page.expect_response(lambda r: r.url.endswith(f"?parent={PROVINCE}")):
        page.locator("#id_province").select_option(PROVINCE)
    with page.expect_response(lambda r: r.url.endswith(f"?parent={REGENCY}")):
        page.locator("#id_regency").select_option(REGENCY)
    page.locator("#id_address").fill("Depan Pasar Palaran")


def slot_text(page: Page, name: str) -> str:
    """One of the map's sentences, as the server translated it."""
    text = page.locator("#report-map-slot").get_attribute(f"data-{name}")
    assert text, name
    return text


class TestReportFormMap:
    def test_a_tap_on_the_map_places_the_pin_and_the_report_carries_it(
        self, live_server: LiveServer, phone: BrowserContext, tiles: TileServer, violations: Any
    ) -> None:
        page = phone.new_page()
        heard = violations(page)
        fill_the_form(page, live_server.url)
        latitude, longitude = page.locator("#id_latitude"), page.locator("#id_longitude")
        expect(latitude).to_have_value("")
        remove = page.locator("#report-map-remove")
        expect(remove).to_be_hidden()

        the_map = page.locator("#report-map")
        the_map.scroll_into_view_if_needed()
        expect(page.locator("#report-map .leaflet-tile-loaded").first).to_be_visible()
        assert tiles.served, "no tile was asked of the test's tile server"
        expect(page.locator("#report-map .leaflet-control-attribution")).to_contain_text(
            "OpenStreetMap"
        )
        box = the_map.bounding_box()
        assert box is not None and box["width"] <= PHONE_VIEWPORT["width"]
        # Scripts that follow the place hear of every change of the pin.
        page.evaluate(
            "() => { window.pins = [];"
            " document.addEventListener('lapor:pin', e => window.pins.push(e.detail)); }"
        )
        the_map.tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
        expect(latitude).not_to_have_value("")
        expect(page.locator("#report-map-status")).to_have_text(slot_text(page, "placed"))
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
        expect(remove).to_be_visible()
        first = (float(latitude.input_value()), float(longitude.input_value()))
        # Indonesia, where the map opened.
        assert -11.5 < first[0] < 6.5 and 94.5 < first[1] < 141.5, first

        # A second tap moves the pin: still one.
        the_map.tap(position={"x": box["width"] / 4, "y": box["height"] / 3})
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
        second = (latitude.input_value(), longitude.input_value())
        assert (float(second[0]), float(second[1])) != first
        assert all(len(value.split(".")[1]) == 6 for value in second)
        assert page.evaluate("() => window.pins") == [
            {"latitude": first[0], "longitude": first[1]},
            {"latitude": float(second[0]), "longitude": float(second[1])},
        ]

        page.locator("#report-map-slot").screenshot(path=SCREENSHOT_DIR / "lapor-form-map.png")
        violations_found = axe_violations(page)
        assert violations_found == [], format_violations(violations_found)
        overflow = measure_overflow(page)
        assert not overflow.overflows, overflow

        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name])").click()
        assert page.url.endswith("/lapor/terkirim/")
        complaint = Complaint.objects.get(title=TITLE)
        assert (complaint.latitude, complaint.longitude) == (
            Decimal(second[0]),
            Decimal(second[1]),
        )
        assert complaint.address == "Depan Pasar Palaran"
        assert heard == []

    def test_a_form_back_with_an_error_keeps_the_pin_which_can_be_removed(
        self, live_server: LiveServer, phone: BrowserContext, tiles: TileServer
    ) -> None:
        page = phone.new_page()
        fill_the_form(page, live_server.url)
        # A phone number only the server can refuse.
        page.locator("#id_reporter_phone").fill("12345")
        box = page.locator("#report-map").bounding_box()
        assert box is not None
        page.locator("#report-map").tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
        expect(page.locator("#id_latitude")).not_to_have_value("")
        placed = (
            page.locator("#id_latitude").input_value(),
            page.locator("#id_longitude").input_value(),
        )
        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name])").click()
        expect(page.locator(".error-summary")).to_be_visible()

        # Back with the error: the same pin, on a map opened where it is.
        expect(page.locator("#id_latitude")).to_have_value(placed[0])
        expect(page.locator("#id_longitude")).to_have_value(placed[1])
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
        remove = page.locator("#report-map-remove")
        expect(remove).to_be_visible()

        # "Remove the pin" is a real button: the keyboard reaches and presses it.
        remove.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(0)
        expect(page.locator("#id_latitude")).to_have_value("")
        expect(page.locator("#id_longitude")).to_have_value("")
        expect(page.locator("#report-map-status")).to_have_text(slot_text(page, "removed"))
        expect(page.locator("#report-map")).to_be_focused()

        # With the keyboard alone: Enter on the map puts the pin at its centre.
        page.keyboard.press("Enter")
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
        expect(page.locator("#id_latitude")).not_to_have_value("")

        page.locator("#id_reporter_phone").fill("0812 3456 7890")
        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name])").click()
        assert page.url.endswith("/lapor/terkirim/")
        complaint = Complaint.objects.get(title=TITLE)
        assert complaint.latitude is not None and complaint.longitude is not None

    def test_use_my_location_and_what_a_refusal_says(
        self, live_server: LiveServer, phone: BrowserContext, tiles: TileServer
    ) -> None:
        page = phone.new_page()
        page.goto(f"{live_server.url}/lapor/")
        locate = page.locator("#report-map-locate")
        # Not allowed (yet): the browser refuses, and the page says what to do instead.
        locate.click()
        expect(page.locator("#report-map-status")).to_have_text(slot_text(page, "denied"))
        expect(page.locator("#id_latitude")).to_have_value("")

        phone.grant_permissions(["geolocation"], origin=live_server.url)
        locate.click()
        expect(page.locator("#id_latitude")).to_have_value("-0.521300")
        expect(page.locator("#id_longitude")).to_have_value("117.118700")
        located = slot_text(page, "located").replace("{accuracy}", "25")
        expect(page.locator("#report-map-status")).to_have_text(located)

    def test_without_tiles_the_blank_map_still_takes_the_pin(
        self, live_server: LiveServer, phone: BrowserContext, settings: Any
    ) -> None:
        # A tile server that answers nothing but 404s (a path on the portal itself).
        settings.LAPOR_MAP_TILE_URL = "/no-tiles-here/{z}/{x}/{y}.png"
        page = phone.new_page()
        page.goto(f"{live_server.url}/lapor/")
        status = page.locator("#report-map-status")
        expect(status).to_have_text(slot_text(page, "tiles-failed"))
        expect(page.locator("#report-map .leaflet-tile-loaded")).to_have_count(0)
        box = page.locator("#report-map").bounding_box()
        assert box is not None
        page.locator("#report-map").tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
        expect(page.locator("#id_latitude")).not_to_have_value("")
        expect(page.locator("#id_longitude")).not_to_have_value("")
        expect(status).to_have_text(slot_text(page, "placed"))

    def test_without_javascript_the_selects_and_the_address_carry_the_place(
        self, live_server: LiveServer, nojs_page: Page
    ) -> None:
        nojs_page.goto(f"{live_server.url}/lapor/")
        expect(nojs_page.locator("#id_address")).to_be_visible()
        expect(nojs_page.locator("#report-map-slot")).to_be_empty()
        expect(nojs_page.locator("#report-map-locate")).to_have_count(0)


@pytest.fixture
def pinned_reports(tree: dict[str, Agency], submit: Callable[..., Any]) -> dict[str, Complaint]:
    """Six public reports pinned in Samarinda, close together, one in Jakarta, and a
    confidential one in Samarinda that no map shows."""
    samarinda = [
        submit(title=f"Lampu jalan mati nomor {n}", point=(-0.50 - n * 0.003, 117.15 + n * 0.003))
        for n in range(6)
    ]
    jakarta = submit(
        title="Trotoar Gambir rusak",
        region=Region.objects.get(code="31.71.01"),
        category=Category.objects.get(code="infrastruktur"),
        point=(-6.175392, 106.827153),
    )
    secret = submit(title="Laporan rahasia berpeta", is_confidential=True, point=(-0.51, 117.16))
    return {
        **{f"samarinda{n}": r.complaint for n, r in enumerate(samarinda)},
        "jakarta": jakarta.complaint,
        "secret": secret.complaint,
    }


class TestPublicMap:
    def test_reports_in_clusters_each_with_its_popup(
        self,
        live_server: LiveServer,
        phone: BrowserContext,
        tiles: TileServer,
        pinned_reports: dict[str, Complaint],
        violations: Any,
    ) -> None:
        page = phone.new_page()
        heard = violations(page)
        page.goto(f"{live_server.url}/peta/")
        the_map = page.locator("#public-map")
        expect(the_map).to_have_attribute("data-loaded", "7")
        # Samarinda's six are one cluster at the zoom that shows Jakarta too.
        cluster = page.locator("#public-map .marker-cluster")
        expect(cluster).to_have_count(1)
        expect(cluster).to_have_text("6")
        expect(page.locator("#public-map .leaflet-tile-loaded").first).to_be_visible()
        overflow = measure_overflow(page)
        assert not overflow.overflows, overflow
        page.screenshot(path=SCREENSHOT_DIR / "lapor-peta.png", full_page=True)
        found = axe_violations(page)
        assert found == [], format_violations(found)

        # Jakarta's marker, alone: its popup names the report and links to its page.
        jakarta = pinned_reports["jakarta"]
        marker = page.locator(f"#public-map img.leaflet-marker-icon[alt='{jakarta.title}']")
        marker.click()
        popup = page.locator("#public-map .leaflet-popup")
        expect(popup).to_contain_text(jakarta.title)
        expect(popup.locator(".status")).to_have_count(1)
        link = popup.locator(f"a[href='/lacak/{jakarta.tracking_number}/']")
        expect(link).to_be_visible()
        # Followed as the link itself does (a pointer click can land while the popup still
        # pans the map into view, and miss it).
        link.evaluate("a => a.click()")
        expect(page).to_have_url(f"{live_server.url}/lacak/{jakarta.tracking_number}/")

        # The cluster opens as one zooms into it.
        page.goto(f"{live_server.url}/peta/")
        expect(the_map).to_have_attribute("data-loaded", "7")
        page.locator("#public-map .marker-cluster").click()
        expect(page.locator("#public-map img.leaflet-marker-icon")).not_to_have_count(1)
        assert heard == []

    def test_the_list_filters_apply_and_the_points_are_coarse(
        self,
        live_server: LiveServer,
        page: Page,
        tiles: TileServer,
        pinned_reports: dict[str, Complaint],
    ) -> None:
        page.goto(f"{live_server.url}/peta/?region=31")
        expect(page.locator("#public-map")).to_have_attribute("data-loaded", "1")
        jakarta = pinned_reports["jakarta"]
        # The page asks for the points with its own filters, and gets them coarsened.
        where = page.evaluate(
            "() => fetch(document.querySelector('[data-points-url]').dataset.pointsUrl)"
            ".then(r => r.json()).then(c => c.features.map(f => f.geometry.coordinates))"
        )
        point = places.public_point(jakarta)
        assert point is not None
        latitude, longitude = point
        assert where == [[float(longitude), float(latitude)]]
        assert where != [[106.827153, -6.175392]]

    def test_without_javascript_the_page_says_so_and_links_to_the_list(
        self, live_server: LiveServer, nojs_page: Page, pinned_reports: dict[str, Complaint]
    ) -> None:
        nojs_page.goto(f"{live_server.url}/peta/?region=64.72")
        note = nojs_page.locator("#public-map-nojs")
        expect(note).to_be_visible()
        expect(note.locator("a")).to_have_attribute("href", "/laporan/?region=64.72")
        expect(nojs_page.locator("#public-map")).to_be_hidden()


def test_staff_see_the_exact_point_on_a_map(
    live_server: LiveServer,
    page: Page,
    tiles: TileServer,
    tree: dict[str, Agency],
    submit: Callable[..., Any],
) -> None:
    from django.conf import settings as django_settings
    from django.test import Client

    complaint = route_fully(
        submit(is_anonymous=True, point=(-0.502345, 117.153456), address="Gang Melati 3").complaint
    )
    client = Client()
    client.force_login(make_user("petugas", complaint.current_agency))
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/dashboard/complaints/{complaint.tracking_number}/")
    expect(page.locator("dd.address")).to_contain_text("Gang Melati 3")
    marker = page.locator("#staff-map .leaflet-marker-icon")
    expect(marker).to_have_count(1)
    the_map = page.locator("#staff-map")
    expect(the_map).to_have_attribute("data-latitude", "-0.502345")
    expect(the_map).to_have_attribute("data-longitude", "117.153456")
    expect(page.locator("#staff-map .leaflet-tile-loaded").first).to_be_visible()
    page.screenshot(path=SCREENSHOT_DIR / "lapor-staff-map.png", full_page=True)
    # The map opens on the exact point, and the pin's tip stands on it, at the centre.
    frame, icon = the_map.bounding_box(), marker.bounding_box()
    assert frame is not None and icon is not None
    tip = (icon["x"] + 12, icon["y"] + 41)  # the icon's anchor (static/js/maps.js)
    centre = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    assert abs(tip[0] - centre[0]) <= 1.5 and abs(tip[1] - centre[1]) <= 1.5, (tip, centre)
