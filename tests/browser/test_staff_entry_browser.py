"""An officer records an anonymous report brought by telephone, in a real Chromium, with
two-step sign-in on: the receipt shows the tracking number, the private link and its QR code,
and what the citizen gave, once; after it, no staff member sees who the citizen was (not the
officer who recorded it, not a colleague, not the coordinators above); the coordinators see
who recorded it, the colleague does not."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.live_server_helper import LiveServer

from complaints.models import Complaint
from demo.hierarchy import DEMO_PASSWORD, seed_demo_hierarchy
from routing.models import Agency
from tests.browser.conftest import DESKTOP_VIEWPORT, TIMEOUT_MS
from tests.dashboard.test_anonymity import ANONYMOUS, found_in
from tests.helpers import make_user

try:
    from playwright.sync_api import Browser, ConsoleMessage, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))
FORM_SCREENSHOT = SCREENSHOT_DIR / "lapor-staff-entry-form.png"
RECEIPT_SCREENSHOT = SCREENSHOT_DIR / "lapor-staff-entry-receipt.png"
PRINT_SCREENSHOT = SCREENSHOT_DIR / "lapor-staff-entry-receipt-print.png"

RECORDER = "dinkes.samarinda"  # an officer of Dinas Kesehatan Kota Samarinda (demo)
COLLEAGUE = "rekan.dinkes"
COLLEAGUE_PASSWORD = "sandi-uji-2026"  # make_user's
TITLE = "Pungli di loket puskesmas Palaran"
IDENTITY = ("name", "email", "phone")


@pytest.fixture
def two_step(settings: Any) -> None:
    """Every staff member passes the second step, officers of an OPD too."""
    settings.LAPOR_2FA = True
    settings.LAPOR_2FA_FOR_OFFICERS = True


class Session:
    """A staff member's own browser (context), signed in with a password and a code."""

    def __init__(self, browser: Browser, base: str, violations: list[str]) -> None:
        self.context = browser.new_context(viewport=DESKTOP_VIEWPORT, locale="id-ID")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = base

        def listen(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                violations.append(f"{self.page.url}: {message.text}")

        self.page.on("console", listen)

    def log_in(self, username: str, password: str) -> None:
        page = self.page
        page.goto(f"{self.base}/dashboard/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("main form.card button[type=submit]").click()
        # The first sign-in sets the second step up: the code of the authenticator app.
        expect(page).to_have_url(re.compile(r"/dashboard/dua-langkah/"))
        expect(page.locator(".qr svg")).to_be_visible()
        device = TOTPDevice.objects.get(user__username=username)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.locator("#id_code").fill(f"{code:06d}")
        page.locator("#id_code").press("Enter")
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        page.locator("main a.button.primary").click()
        expect(page).to_have_url(f"{self.base}/dashboard/")

    def report_page(self, tracking_number: str) -> str:
        response = self.page.goto(f"{self.base}/dashboard/complaints/{tracking_number}/")
        assert response is not None and response.status == 200
        expect(self.page.locator("h1")).to_have_text(TITLE)
        return self.page.content()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sessions(live_server: LiveServer, chromium: Browser) -> Iterator[tuple[Any, list[str]]]:
    violations: list[str] = []
    opened: list[Session] = []

    def open_session(username: str, password: str = DEMO_PASSWORD) -> Session:
        session = Session(chromium, live_server.url, violations)
        opened.append(session)
        session.log_in(username, password)
        return session

    try:
        yield open_session, violations
    finally:
        for session in opened:
            session.close()


@pytest.mark.usefixtures("two_step")
class TestStaffEntryInBrowser:
    def test_an_officer_records_an_anonymous_call_and_no_one_sees_who_it_was(
        self, live_server: LiveServer, sessions: tuple[Any, list[str]]
    ) -> None:
        open_session, violations = sessions
        base = live_server.url
        seed_demo_hierarchy()
        dinkes = Agency.objects.get(code="dinkes-64-72")
        make_user(COLLEAGUE, dinkes)

        # 1. The officer signs in (password and code) and opens the form from the inbox.
        officer = open_session(RECORDER)
        page = officer.page
        page.locator("a[href='/dashboard/laporan-baru/']").click()
        expect(page).to_have_url(f"{base}/dashboard/laporan-baru/")
        expect(page.locator("html")).to_have_attribute("lang", "id")

        # 2. A telephone call, received today, kept by Dinkes (it is theirs), anonymous.
        page.locator("input[name=channel][value=PHONE]").check()
        expect(page.locator("#id_received_on")).not_to_have_value("")
        page.locator("input[name=kind][value=COMPLAINT]").check()
        page.locator("#id_title").fill(TITLE)
        page.locator("#id_description").fill(
            "Penelepon menyebut petugas loket meminta uang tambahan di luar tarif resmi."
        )
        page.locator("#id_category").select_option("kesehatan")
        page.locator("#id_incident_date").fill(page.locator("#id_received_on").input_value())
        page.locator("#id_province").select_option("64")
        expect(page.locator("#id_regency option[value='64.72']")).to_have_count(1)
        page.locator("#id_regency").select_option("64.72")
        expect(page.locator("#id_district option[value='64.72.01']")).to_have_count(1)
        page.locator("#id_district").select_option("64.72.01")
        page.locator("#id_reporter_name").fill(ANONYMOUS.name)
        page.locator("#id_reporter_email").fill(ANONYMOUS.email)
        page.locator("#id_reporter_phone").fill(ANONYMOUS.phone)
        page.locator("#id_is_anonymous").check()
        page.locator("#id_keep").check()
        page.screenshot(path=FORM_SCREENSHOT, full_page=True)
        page.locator("form#report-form button.primary[type=submit]").click()

        # 3. The receipt: number, link, QR code, what the citizen gave; printable.
        expect(page).to_have_url(re.compile(r"/dashboard/laporan-baru/tanda-terima/"))
        complaint = Complaint.objects.get(title=TITLE)
        assert (complaint.status, complaint.current_agency, complaint.channel) == (
            "DISPOSED",
            dinkes,
            "PHONE",
        )
        assert complaint.is_anonymous
        assert complaint.entered_by == User.objects.get(username=RECORDER)
        tracking_number = complaint.tracking_number
        expect(page.locator("#tracking-number")).to_have_text(tracking_number)
        link = page.locator("#private-link").inner_text()
        assert link.startswith(f"{base}/lacak/{tracking_number}/")
        expect(page.locator(".entry-receipt .qr svg")).to_be_visible()
        receipt = page.content()
        assert found_in(ANONYMOUS, receipt.encode(), IDENTITY) == set(IDENTITY)
        page.screenshot(path=RECEIPT_SCREENSHOT, full_page=True)
        page.evaluate("() => { window.print = () => { window.printed = true; }; }")
        page.locator("[data-print]").click()
        assert page.evaluate("() => window.printed") is True
        page.emulate_media(media="print")
        expect(page.locator("header.site")).to_be_hidden()
        expect(page.locator("[data-print]")).to_be_hidden()
        expect(page.locator("#private-link")).to_be_visible()
        page.screenshot(path=PRINT_SCREENSHOT, full_page=True)
        page.emulate_media(media="screen")

        # Once: reloaded, the receipt is gone, and the citizen is sent to a new link.
        again = page.reload()
        assert again is not None and again.status == 410
        expect(page.locator("a[href='/lacak/#tautan-baru']")).to_be_visible()
        assert found_in(ANONYMOUS, page.content().encode(), IDENTITY) == set()
        assert link not in page.content()

        # 4. The officer opens the report: who the citizen was is not shown; who recorded it is.
        body = officer.report_page(tracking_number)
        assert found_in(ANONYMOUS, body.encode(), IDENTITY) == set()
        expect(page.locator(".facts .recorded-by")).to_contain_text(RECORDER)

        # 5. A colleague at the same agency: the channel, not who recorded it, nor the citizen.
        colleague = open_session(COLLEAGUE, COLLEAGUE_PASSWORD)
        body = colleague.report_page(tracking_number)
        assert found_in(ANONYMOUS, body.encode(), IDENTITY) == set()
        expect(colleague.page.locator(".facts .channel")).to_be_visible()
        expect(colleague.page.locator(".facts .recorded-by")).to_have_count(0)
        assert RECORDER not in body

        # 6. The coordinators above: who recorded it, never the citizen.
        for username in ("samarinda", "kaltim", "nasional"):
            coordinator = open_session(username)
            body = coordinator.report_page(tracking_number)
            assert found_in(ANONYMOUS, body.encode(), IDENTITY) == set(), username
            recorded = coordinator.page.locator(".facts .recorded-by")
            expect(recorded).to_contain_text(RECORDER)
            expect(recorded).to_contain_text(dinkes.name)

        # 7. The citizen's own page says who recorded it for them.
        citizen = colleague.context.browser.new_context(locale="id-ID")  # type: ignore[union-attr]
        try:
            own = citizen.new_page()
            own.goto(link)
            expect(own.locator(".recorded-for-you")).to_contain_text(dinkes.name)
        finally:
            citizen.close()

        assert violations == []
