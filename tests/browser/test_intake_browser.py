"""A citizen files a report in a real Chromium, then follows it by number and by private link."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from PIL import ExifTags, Image
from pytest_django.live_server_helper import LiveServer

from complaints.models import Attachment, Complaint, Reporter
from lapor.lib.tracking import TRACKING_NUMBER_RE
from routing.models import Region
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.files import files_in, phone_jpeg, sentinels_in
from tests.helpers import has_gps, in_indonesian

try:
    from playwright.sync_api import Page, Route, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

# Screenshots on a phone-sized screen, for a person to look at (/tmp unless told otherwise).
SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))
FORM_SCREENSHOT = SCREENSHOT_DIR / "lapor-form.png"
RECEIPT_SCREENSHOT = SCREENSHOT_DIR / "lapor-receipt.png"

PROVINCE = "64"  # Kalimantan Timur
REGENCY = "64.72"  # Kota Samarinda
DISTRICT = "64.72.01"
TITLE = "Puskesmas tutup pada jam pelayanan"
DESCRIPTION = (
    "Puskesmas di kecamatan kami tutup sejak pukul 10 pagi, padahal jadwal pelayanan "
    "sampai pukul 14. Banyak warga lansia menunggu di luar tanpa kejelasan."
)
EMAIL = "warga.pelapor@example.org"
ATTACHMENT_NAME = "foto-puskesmas.jpg"


def jpeg_with_gps(path: Path) -> Path:
    """A small photo carrying the position of the phone that took it, as phones write it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "LaporTestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (0.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (117.0, 9.0, 3.0)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path, format="JPEG", exif=exif)
    assert has_gps(path.read_bytes()), "the test photo lacks GPS"
    return path


@pytest.mark.usefixtures("eager_celery")
class TestFileReportInBrowser:
    def test_file_a_report_then_follow_it(
        self, live_server: LiveServer, page: Page, tmp_path: Path, mailoutbox: list[EmailMessage]
    ) -> None:
        base = live_server.url
        photo = jpeg_with_gps(tmp_path / ATTACHMENT_NAME)
        incident_date = timezone.localdate() - dt.timedelta(days=3)
        district_name = Region.objects.get(code=DISTRICT).name

        # 1. From the home page to the form.
        page.goto(f"{base}/")
        page.locator(".hero a[href='/lapor/']").click()
        expect(page).to_have_url(f"{base}/lapor/")
        expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
        # With JavaScript the selects fill themselves: the no-JavaScript buttons are hidden.
        expect(page.locator("button[name=_refresh][value=province]")).to_be_hidden()

        # 2. Fill it in as a citizen would.
        page.locator("input[name=kind][value=COMPLAINT]").check()
        page.locator("#id_title").fill(TITLE)
        page.locator("#id_description").fill(DESCRIPTION)
        page.locator("#id_category").select_option("kesehatan")
        page.locator("#id_incident_date").fill(incident_date.isoformat())

        with page.expect_response(
            lambda r: r.url.endswith(f"/api/v1/regions/?parent={PROVINCE}")
        ) as regencies:
            page.locator("#id_province").select_option(PROVINCE)
        assert regencies.value.ok
        samarinda = page.locator(f"#id_regency option[value='{REGENCY}']")
        expect(samarinda).to_have_count(1)
        expect(samarinda).to_have_text("Kota Samarinda")
        expect(page.locator("#id_regency")).to_be_enabled()

        with page.expect_response(lambda r: r.url.endswith(f"?parent={REGENCY}")):
            page.locator("#id_regency").select_option(REGENCY)
        expect(page.locator(f"#id_district option[value='{DISTRICT}']")).to_have_text(district_name)
        expect(page.locator("#id_district")).to_be_enabled()
        page.locator("#id_district").select_option(DISTRICT)

        page.locator("#id_attachments").set_input_files(photo)
        page.locator("#id_is_anonymous").check()
        page.locator("#id_reporter_email").fill(EMAIL)
        # Only what the citizen chose was sent back: no full page reload happened on the way.
        expect(page).to_have_url(f"{base}/lapor/")
        page.screenshot(path=FORM_SCREENSHOT, full_page=True)

        # 3. Send it and get the receipt.
        page.locator("#report-form button[type=submit]:not([name])").click()
        expect(page).to_have_url(f"{base}/lapor/terkirim/")
        tracking_number = page.locator("#tracking-number").inner_text().strip()
        assert TRACKING_NUMBER_RE.fullmatch(tracking_number), tracking_number
        private_link = page.locator("#private-link").input_value()
        assert private_link.startswith(f"{base}/lacak/{tracking_number}/")
        page.screenshot(path=RECEIPT_SCREENSHOT, full_page=True)

        # The receipt e-mail went to the address given, with the same private link.
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [EMAIL]
        assert tracking_number in mailoutbox[0].body

        # The receipt is shown once only.
        page.reload()
        expect(page.locator("#tracking-number")).to_have_count(0)

        # 4. Anyone with the number sees the progress, not who reported.
        page.goto(f"{base}/")
        lookup = page.locator("main form[action='/lacak/']")
        lookup.locator("#id_tracking_number").fill(tracking_number)
        lookup.locator("button[type=submit]").click()
        expect(page).to_have_url(f"{base}/lacak/{tracking_number}/")
        with translation.override("id"):
            submitted = str(Complaint.Status.SUBMITTED.label)
        expect(page.locator(".status.status-submitted")).to_have_text(submitted)
        expect(page.locator("h1")).to_have_text(TITLE)
        expect(page.locator("main")).not_to_contain_text(EMAIL)
        expect(page.locator("main")).not_to_contain_text(ATTACHMENT_NAME)
        expect(page.locator("ul.attachments")).to_have_count(0)

        # 5. The private link shows everything, and the photo without its position.
        page.goto(private_link)
        expect(page.locator("h1")).to_have_text(TITLE)
        expect(page.locator(".text")).to_contain_text(DESCRIPTION)
        expect(page.locator("main")).to_contain_text(EMAIL)
        link = page.locator("ul.attachments a")
        expect(link).to_have_count(1)
        expect(link).to_have_text(ATTACHMENT_NAME)
        expect(link).to_have_attribute(
            "href", re.compile(rf"^/lacak/{tracking_number}/[A-Za-z0-9_-]+/lampiran/1/$")
        )
        with page.expect_response(lambda r: "/lampiran/1/" in r.url) as download:
            link.click()
        response = download.value
        assert response.status == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert "lampiran-1.jpg" in response.headers["content-disposition"]
        assert not has_gps(response.body())

        # 6. Exactly this one report was stored, anonymous, with its reporter and photo.
        complaint = Complaint.objects.get()
        assert complaint.tracking_number == tracking_number
        assert complaint.is_anonymous is True
        assert complaint.is_confidential is False
        assert complaint.kind == Complaint.Kind.COMPLAINT
        assert complaint.category.code == "kesehatan"
        assert complaint.region.code == DISTRICT
        assert complaint.incident_date == incident_date
        assert Reporter.objects.get().email == EMAIL
        attachment = Attachment.objects.get()
        assert attachment.complaint == complaint
        assert attachment.content_type == "image/jpeg"
        assert attachment.original_name == ATTACHMENT_NAME
        with attachment.file.open("rb") as stored:
            assert not has_gps(stored.read())

    def test_a_mistake_is_fixed_without_choosing_the_photo_again(
        self, live_server: LiveServer, page: Page, tmp_path: Path, settings: object
    ) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 1  # type: ignore[attr-defined]  # pytest-django's settings fixture
        base = live_server.url
        photo = tmp_path / "foto-jalan.jpg"
        photo.write_bytes(phone_jpeg())
        second_photo = jpeg_with_gps(tmp_path / "foto-lain.jpg")
        media = Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]  # pytest-django's settings fixture
        incident_date = timezone.localdate() - dt.timedelta(days=2)

        page.goto(f"{base}/lapor/")
        form = page.locator("#report-form")
        title = page.locator("#id_title")
        send = form.locator("button[type=submit]:not([name])")
        page.locator("input[name=kind][value=COMPLAINT]").check()
        page.locator("#id_description").fill(DESCRIPTION)
        page.locator("#id_category").select_option("kesehatan")
        page.locator("#id_incident_date").fill(incident_date.isoformat())
        with page.expect_response(lambda r: r.url.endswith(f"?parent={PROVINCE}")):
            page.locator("#id_province").select_option(PROVINCE)
        with page.expect_response(lambda r: r.url.endswith(f"?parent={REGENCY}")):
            page.locator("#id_regency").select_option(REGENCY)
        page.locator("#id_attachments").set_input_files(photo)

        # 1. An empty title is caught by the browser itself: nothing is sent.
        send.click()
        assert title.evaluate("input => input.validity.valueMissing") is True
        expect(page.locator(".error-summary")).to_have_count(0)

        # 2. A title of spaces passes the browser, not the server: the summary at the top
        # has the focus, everything typed is kept, and the photo is listed as attached.
        title.fill("          ")
        with page.expect_navigation():
            send.click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary.locator("a")).to_have_count(1)
        expect(summary.locator("a[href='#id_title']")).to_have_count(1)
        held = page.locator("#held-files li")
        expect(held).to_have_count(1)
        expect(held).to_contain_text("foto-jalan.jpg")
        expect(page.locator("#id_attachments")).to_have_value("")
        expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
        expect(page.locator("#id_province")).to_have_value(PROVINCE)
        expect(page.locator("#id_regency")).to_have_value(REGENCY)
        expect(page.locator("#id_category")).to_have_value("kesehatan")
        page.screenshot(path=SCREENSHOT_DIR / "lapor-form-held-file.png", full_page=True)
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)
        overflow = measure_overflow(page)
        assert not overflow.overflows, overflow
        [held_copy] = [p for p in files_in(media) if p.parent.name == "held"]
        assert sentinels_in(held_copy.read_bytes()) == set()

        # The page checks the number of files with the held one before sending them.
        page.locator("#id_attachments").set_input_files(second_photo)
        too_many = in_indonesian("At most %(max)d files can be attached.", max=1)
        expect(page.locator("#id_attachments_check")).to_have_text(too_many)
        assert page.locator("#id_attachments").evaluate("i => i.validity.customError") is True
        page.locator("#id_attachments").set_input_files([])
        expect(page.locator("#id_attachments_check")).to_be_hidden()

        # 3. The link of the summary leads to the title; fixed, Enter sends the report (with
        # the form's first button, not one that fills a select or removes a file).
        summary.locator("a[href='#id_title']").click()
        expect(title).to_be_focused()
        title.fill(TITLE)
        with page.expect_navigation():
            title.press("Enter")
        expect(page).to_have_url(f"{base}/lapor/terkirim/")

        # Filed with the photo, cleaned; its held copy is gone.
        complaint = Complaint.objects.get()
        assert complaint.title == TITLE
        attachment = Attachment.objects.get(complaint=complaint)
        assert attachment.original_name == "foto-jalan.jpg"
        with attachment.file.open("rb") as stored:
            content = stored.read()
        assert not has_gps(content) and sentinels_in(content) == set()
        assert [p for p in files_in(media) if p.parent.name == "held"] == []

    def test_a_form_sending_files_says_it_is_busy_until_an_answer(
        self, live_server: LiveServer, page: Page
    ) -> None:
        base = live_server.url
        page.goto(f"{base}/lapor/")
        form = page.locator("#report-form")
        send = form.locator("button[type=submit]:not([name])")
        expect(send).to_have_text(in_indonesian("Send report"))
        # The request goes to a frame of its own and waits there, so that the page stays
        # readable while it runs; it then fails, and the button comes back (after 1 s here).
        page.evaluate(
            """() => {
                const sink = document.createElement("iframe");
                sink.name = "sink";
                document.body.appendChild(sink);
                const form = document.getElementById("report-form");
                form.target = "sink";
                form.noValidate = true;
                form.setAttribute("data-busy-timeout", "1");
            }"""
        )
        pending: list[Route] = []
        page.route(
            f"{base}/lapor/",
            lambda route: (
                pending.append(route) if route.request.method == "POST" else route.continue_()
            ),
        )
        send.click(no_wait_after=True)
        expect(send).to_be_disabled()
        expect(send).to_have_text(in_indonesian("Sending your report…"))
        expect(form).to_have_attribute("aria-busy", "true")
        # The other buttons cannot send it a second time either.
        expect(form.locator("button[name=_default]")).to_be_disabled()
        assert len(pending) == 1
        pending[0].fulfill(status=502, body="")
        expect(send).to_be_enabled()
        expect(send).to_have_text(in_indonesian("Send report"))
        expect(form).not_to_have_attribute("aria-busy", "true")
        page.unroute(f"{base}/lapor/")
        assert Complaint.objects.count() == 0

    def test_location_selects_work_without_javascript(
        self, live_server: LiveServer, nojs_page: Page, tmp_path: Path
    ) -> None:
        page = nojs_page
        page.goto(f"{live_server.url}/lapor/")
        expect(page.locator(f"#id_regency option[value='{REGENCY}']")).to_have_count(0)

        # A photo chosen before the form goes back to fill a select is kept, not dropped.
        page.locator("#id_attachments").set_input_files(jpeg_with_gps(tmp_path / "a.jpg"))
        page.locator("#id_province").select_option(PROVINCE)
        page.locator("button[name=_refresh][value=province]").click()
        expect(page.locator("#id_province")).to_have_value(PROVINCE)
        expect(page.locator(f"#id_regency option[value='{REGENCY}']")).to_have_text(
            "Kota Samarinda"
        )
        expect(page.locator("#held-files li")).to_have_text(re.compile(r"^\s*a\.jpg"))
        # Sending the form back to fill a select is not a failed submission.
        expect(page.locator(".error-summary, .error")).to_have_count(0)

        page.locator("#id_regency").select_option(REGENCY)
        page.locator("button[name=_refresh][value=regency]").click()
        expect(page.locator("#id_regency")).to_have_value(REGENCY)
        expect(page.locator(f"#id_district option[value='{DISTRICT}']")).to_have_count(1)
        expect(page.locator("#held-files li")).to_have_count(1)

        # Removed without JavaScript: the form comes back without it.
        page.locator("#held-files button[name=_remove]").click()
        expect(page.locator("#held-files")).to_have_count(0)
        expect(page.locator("#id_regency")).to_have_value(REGENCY)
        assert Complaint.objects.count() == 0
