"""The log-in pages and the home page in a real Chromium, on a 360 px phone and a 1366 px office
screen: the password's show/hide button (its name and pressed state, hidden again before the
form goes, absent without JavaScript), axe-core's rules and no page wider than the screen.

Screenshots are saved in ``LAPOR_SCREENSHOT_DIR`` (the system's temporary folder without it)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from complaints import services
from routing.models import Agency, Officer
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS
from tests.helpers import WIB, in_indonesian, route_fully

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))
PASSWORD = "sandi-warga-panjang-2026"
# Mid-December 2026 in Jakarta: the month the home page's figures are of.
TODAY = dt.datetime(2026, 12, 15, 10, 0, tzinfo=WIB)


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest, chromium: Browser) -> Iterator[tuple[str, Page]]:
    """A page at each screen size (Indonesian, JavaScript on), with its name."""
    name: str = request.param
    context = chromium.new_context(viewport=VIEWPORTS[name], locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield name, context.new_page()
    finally:
        context.close()


def check(page: Page, shot: str) -> None:
    """axe-core finds nothing, nothing is wider than the screen; a screenshot to look at."""
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    overflow = measure_overflow(page)
    assert not overflow.overflows, str(overflow)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{shot}.png"), full_page=True)


def citizen() -> User:
    services.request_registration(email="warga@example.id")
    user = User.objects.get(username="warga@example.id")
    return services.activate_citizen(user=user, password=PASSWORD)


def test_the_password_can_be_shown_and_hidden(
    live_server: LiveServer, screen: tuple[str, Page], db: None
) -> None:
    name, page = screen
    citizen()
    show, hide = in_indonesian("Show password"), in_indonesian("Hide password")
    page.goto(f"{live_server.url}/akun/masuk/")
    password = page.locator("#id_password")
    toggle = page.get_by_role("button", name=show)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(toggle).to_have_attribute("aria-controls", "id_password")
    check(page, f"login-{name}")

    password.fill("salah-sandi-ini")
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    shown = page.get_by_role("button", name=hide)
    expect(shown).to_have_attribute("aria-pressed", "true")
    check(page, f"login-shown-{name}")
    shown.click()
    expect(password).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name=show)).to_have_attribute("aria-pressed", "false")

    # A wrong password: the summary at the top has the focus, the field is hidden again.
    page.locator("#id_username").fill("Warga@Example.id")
    page.get_by_role("button", name=show).click()
    page.get_by_role("button", name=in_indonesian("Log in"), exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(page.locator("#id_password")).to_have_attribute("type", "password")
    check(page, f"login-error-{name}")

    # Shown while typed, the password is sent as a password: the form logs the citizen in.
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=show).click()
    expect(page.locator("#id_password")).to_have_attribute("type", "text")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/akun/laporan/")


def test_without_javascript_there_is_no_button(live_server: LiveServer, nojs_page: Page) -> None:
    nojs_page.goto(f"{live_server.url}/akun/masuk/")
    expect(nojs_page.locator("#id_password")).to_have_attribute("type", "password")
    expect(nojs_page.locator(".password-toggle")).to_have_count(0)
    nojs_page.goto(f"{live_server.url}/dashboard/login/")
    expect(nojs_page.locator(".password-toggle")).to_have_count(0)


def test_the_staff_password_pages(
    live_server: LiveServer, screen: tuple[str, Page], tree: dict[str, Agency]
) -> None:
    name, page = screen
    user = User.objects.create_user("dinkes", "dinkes@example.go.id", PASSWORD)
    Officer.objects.create(user=user, agency=tree["dinkes"])
    page.goto(f"{live_server.url}/dashboard/login/")
    check(page, f"staff-login-{name}")
    page.locator("#id_username").fill("DINKES@example.go.id")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/dashboard/password/")
    # Three password fields, each with its own button.
    expect(page.get_by_role("button", name=in_indonesian("Show password"))).to_have_count(3)
    check(page, f"password-change-{name}")


def test_the_home_page(
    live_server: LiveServer,
    screen: tuple[str, Page],
    tree: dict[str, Agency],
    submit: Callable[..., Any],
) -> None:
    name, page = screen
    for n in range(6):
        moment = TODAY - dt.timedelta(hours=n + 1)
        receipt = submit(
            now=moment,
            incident_date=moment.date() - dt.timedelta(days=1),
            title=f"Lampu penerangan jalan di Jalan Pahlawan padam sejak sepekan lalu ({n})",
        )
        route_fully(receipt.complaint, now=moment)
    with time_machine.travel(TODAY, tick=True):
        page.goto(f"{live_server.url}/")
        expect(page.locator("ol.steps > li")).to_have_count(4)
        expect(page.locator("ul.recent > li")).to_have_count(5)
        expect(page.locator("ul.figures strong").first).to_have_text("6")
        check(page, f"home-{name}")
