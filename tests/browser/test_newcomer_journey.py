"""The issue's test of done, as one walk in a real Chromium on a phone: a newcomer files a report
with a photo, makes a mistake, sees it, fixes it without attaching the photo again, loses the
private link and gets a new one sent to the e-mail address they gave. Every page on the way is
checked with axe-core and for horizontal overflow."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from complaints.models import Attachment, Complaint
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.files import phone_jpeg
from tests.helpers import has_gps, in_indonesian

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

TITLE = "Jalan berlubang di depan SD Negeri 7"
DESCRIPTION = (
    "Lubang sedalam kira-kira 30 cm di depan gerbang sekolah sudah dua minggu tidak ditutup. "
    "Anak-anak harus berjalan di tengah jalan saat pulang sekolah."
)
PHOTO_NAME = "IMG_20261201_071502.jpg"
# A slip a newcomer makes: the browser takes it as an address, the server does not.
MISTYPED_EMAIL = "ibu.rina@gmail"
EMAIL = "ibu.rina@gmail.com"


def checked(page: Page, name: str) -> None:
    """The page as the citizen sees it now: no axe-core violation, nothing wider than the phone."""
    violations = axe_violations(page)
    assert violations == [], f"{name}: {format_violations(violations)}"
    overflow = measure_overflow(page)
    assert not overflow.overflows, f"{name}: {overflow}"


def private_link_in(message: EmailMessage, tracking_number: str) -> str:
    found = re.search(rf"/lacak/{tracking_number}/[A-Za-z0-9_-]{{20,100}}/", str(message.body))
    assert found is not None, message.body
    return found[0]


@pytest.mark.usefixtures("eager_celery")
class TestNewcomerJourney:
    def test_file_with_a_photo_fix_a_mistake_lose_the_link_and_get_a_new_one(
        self, live_server: LiveServer, page: Page, tmp_path: Path, mailoutbox: list[EmailMessage]
    ) -> None:
        base = live_server.url
        photo = tmp_path / PHOTO_NAME
        photo.write_bytes(phone_jpeg())
        incident_date = timezone.localdate() - dt.timedelta(days=1)

        # 1. From the home page, which says what will happen, to the form.
        page.goto(f"{base}/")
        checked(page, "home")
        page.locator(".hero a[href='/lapor/']").click()
        expect(page).to_have_url(f"{base}/lapor/")
        checked(page, "form")

        # 2. The whole form, a photo from the phone, and a mistyped e-mail address.
        page.locator("input[name=kind][value=COMPLAINT]").check()
        page.locator("#id_title").fill(TITLE)
        page.locator("#id_description").fill(DESCRIPTION)
        page.locator("#id_category").select_option("infrastruktur")
        page.locator("#id_incident_date").fill(incident_date.isoformat())
        with page.expect_response(lambda r: r.url.endswith("?parent=64")):
            page.locator("#id_province").select_option("64")
        page.locator("#id_regency").select_option("64.72")
        page.locator("#id_attachments").set_input_files(photo)
        page.locator("#id_reporter_email").fill(MISTYPED_EMAIL)
        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name])").first.click()

        # 3. The mistake is said at the top, where the phone's screen is, with the focus on it;
        # what was typed stays, and the photo is still attached.
        expect(page).to_have_url(f"{base}/lapor/")
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        expect(summary.locator("a")).to_have_count(1)
        email_link = summary.locator("a[href='#id_reporter_email']")
        expect(email_link).to_contain_text(in_indonesian("Enter a valid email address."))
        expect(page.locator("#id_title")).to_have_value(TITLE)
        expect(page.locator("#id_regency")).to_have_value("64.72")
        expect(page.locator("#held-files li")).to_contain_text(PHOTO_NAME)
        expect(page.locator("#id_attachments")).to_have_value("")
        checked(page, "form with an error")
        assert Complaint.objects.count() == 0

        # 4. The summary's link leads to the field; fixed, the report goes without choosing the
        # photo again.
        email_link.click()
        email = page.locator("#id_reporter_email")
        expect(email).to_be_focused()
        email.fill(EMAIL)
        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name])").first.click()
        expect(page).to_have_url(f"{base}/lapor/terkirim/")
        checked(page, "receipt")
        tracking_number = page.locator("#tracking-number").inner_text().strip()
        first_link = page.locator("#private-link").input_value()
        complaint = Complaint.objects.get()
        assert complaint.tracking_number == tracking_number
        attachment = Attachment.objects.get(complaint=complaint)
        assert attachment.original_name == PHOTO_NAME
        with attachment.file.open("rb") as stored:
            assert not has_gps(stored.read())

        # 5. The link is not kept: the receipt, opened again, no longer shows it and points to
        # a new one.
        page.reload()
        expect(page.locator("#private-link")).to_have_count(0)
        checked(page, "receipt shown already")
        page.get_by_role("link", name=in_indonesian("Get a new private link")).click()
        expect(page).to_have_url(f"{base}/lacak/#tautan-baru")
        checked(page, "tracking page")

        # 6. The number and the address given get a new link by e-mail; the old one closes.
        mailoutbox.clear()
        form = page.locator("#tautan-baru form")
        form.locator("#id_link_tracking_number").fill(tracking_number.lower())
        form.locator("#id_link_contact").fill(EMAIL.upper())
        with page.expect_navigation():
            form.get_by_role("button", name=in_indonesian("Send me a new link")).click()
        expect(page.locator(".alert.success")).to_be_visible()
        checked(page, "new link on its way")
        (message,) = [m for m in mailoutbox if tracking_number in m.subject]
        assert message.to == [EMAIL]
        new_link = private_link_in(message, tracking_number)
        assert not first_link.endswith(new_link)

        response = page.goto(first_link)
        assert response is not None and response.status == 404
        page.goto(base + new_link)
        expect(page.locator("h1")).to_have_text(TITLE)
        expect(page.locator("ul.attachments a")).to_have_text(PHOTO_NAME)
        expect(page.locator("main")).to_contain_text(EMAIL)
        checked(page, "private page through the new link")
