"""Browser fixtures: Debian's Chromium driven by Playwright, with no download of any browser.

Tests using these fixtures are marked ``browser`` (see tests/conftest.py, which skips them where
Chromium or Playwright is missing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

CHROMIUM = os.environ.get("LAPOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A small phone: the portal's citizens mostly report from one.
PHONE_VIEWPORT: ViewportSize = {"width": 360, "height": 740}
# An office screen: officers and coordinators work at one.
DESKTOP_VIEWPORT: ViewportSize = {"width": 1366, "height": 800}
# The two screens every page is checked on (``viewport`` fixture), by name.
VIEWPORTS: dict[str, ViewportSize] = {"phone": PHONE_VIEWPORT, "desktop": DESKTOP_VIEWPORT}
# Playwright's default wait (30 s) only slows a failing run down; the pages are local.
TIMEOUT_MS = 10_000


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with nothing of its own reaching the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A fresh Chromium for one test.

    Playwright's sync API keeps an asyncio loop in this thread, which Django takes for async
    code; database access from the test body is still synchronous, so the check is lifted for
    as long as the browser runs (monkeypatch restores it afterwards).
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            # The test body's queries ran while Playwright's loop was current, on a connection
            # of their own: give it back, or it keeps the test database busy at teardown.
            from django.db import connections

            connections.close_all()
            browser.close()


@pytest.fixture(scope="module")
def module_chromium() -> Iterator[Browser]:
    """One Chromium for a whole module (a module that walks many pages starts it once); the
    async check is lifted for as long as it runs, as for ``chromium``."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                yield browser
            finally:
                from django.db import connections

                connections.close_all()
                browser.close()


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The name of the screen a module's tests run on: each test runs on every one
    (``VIEWPORTS``), the tests of one screen together."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def viewport_context(module_chromium: Browser, viewport: str) -> Iterator[BrowserContext]:
    """One context per screen for a module: Indonesian, JavaScript on, at ``viewport``'s size."""
    context = module_chromium.new_context(viewport=VIEWPORTS[viewport], locale="id-ID")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def new_phone_context(browser: Browser, *, java_script_enabled: bool = True) -> BrowserContext:
    """A context like an Indonesian citizen's phone: small screen, Indonesian language."""
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        locale="id-ID",
        java_script_enabled=java_script_enabled,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A page in a phone-sized context with JavaScript on."""
    context = new_phone_context(chromium)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def nojs_page(chromium: Browser) -> Iterator[Page]:
    """A page in a phone-sized context with JavaScript off."""
    context = new_phone_context(chromium, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run Celery tasks in the live server's thread instead of writing them to a broker."""
    from lapor.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = was_eager
