"""The Content-Security-Policy holds on every kind of page: Chromium opens the citizen's pages,
the dashboard, the recaps, the admin and the API docs, and reports no violation (no inline
script, nothing from another site). A control proves that a violation would be seen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from demo.hierarchy import DEMO_PASSWORD, seed_demo_hierarchy
from tests.helpers import route_fully

try:
    from playwright.sync_api import ConsoleMessage, Page
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]


def log_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


def test_no_page_breaks_the_policy(
    live_server: LiveServer, page: Page, submit: Callable[..., Any]
) -> None:
    base = live_server.url
    seed_demo_hierarchy()
    receipt = submit()
    number = route_fully(receipt.complaint).tracking_number
    User.objects.create_superuser("root", "root@example.id", DEMO_PASSWORD)

    violations: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", listen)

    # The control: an inline script is refused, and the refusal is heard.
    page.goto(f"{base}/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert violations and page.evaluate("() => window.ran") is None
    violations.clear()

    citizen_pages = [
        "/",
        "/lapor/",
        "/lacak/",
        "/laporan/",
        "/peta/",
        f"/lacak/{number}/",
        f"/lacak/{number}/{receipt.access_key}/",
        "/akun/daftar/",
        "/akun/masuk/",
        "/akun/sandi/lupa/",
        "/api/docs/",
    ]
    for path in citizen_pages:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
    page.wait_for_timeout(500)  # Swagger UI draws after its scripts load

    log_in(page, f"{base}/dashboard/login/", "kaltim", DEMO_PASSWORD)
    for path in ("/dashboard/", "/reports/", "/reports/evaluation/", "/dashboard/dua-langkah/"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path

    log_in(page, f"{base}/admin/login/", "root", DEMO_PASSWORD)
    for path in ("/admin/", "/admin/complaints/complaint/", "/admin/routing/agency/add/"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path

    assert violations == []
