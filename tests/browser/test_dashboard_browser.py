"""An officer of the demo hierarchy answers a report in a real Chromium, on a phone."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from PIL import ExifTags, Image
from pytest_django.live_server_helper import LiveServer

from complaints.models import AnswerTemplate, Complaint, Response
from demo.hierarchy import DEMO_PASSWORD, seed_demo_hierarchy
from routing.models import Agency, Category
from tests.helpers import has_gps, in_indonesian, route_fully

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

SCREENSHOT_DIR = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir()))
ANSWER_SCREENSHOT = SCREENSHOT_DIR / "lapor-dashboard-answer.png"

USERNAME = "dinkes.samarinda"
TEMPLATE_TITLE = "Sudah ditindaklanjuti"
TEMPLATE_TEXT = (
    "Terima kasih atas laporan Anda. Dinas Kesehatan Kota Samarinda telah menindaklanjuti "
    "laporan ini bersama puskesmas terkait."
)
ADDED = " Mulai Senin, puskesmas buka sampai pukul 14.00 sesuai jadwal."
PHOTO_NAME = "foto-puskesmas-buka.jpg"


def photo_with_gps(path: Path) -> Path:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "LaporTestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (0.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (117.0, 9.0, 3.0)
    Image.new("RGB", (80, 60), (30, 160, 60)).save(path, format="JPEG", exif=exif)
    assert has_gps(path.read_bytes())
    return path


@pytest.mark.usefixtures("eager_celery")
class TestOfficerAnswersInBrowser:
    def test_dinkes_samarinda_logs_in_and_answers_a_report(
        self,
        live_server: LiveServer,
        page: Page,
        submit: Callable[..., Any],
        tmp_path: Path,
        mailoutbox: list[EmailMessage],
    ) -> None:
        base = live_server.url
        seed_demo_hierarchy()
        dinkes = Agency.objects.get(code="dinkes-64-72")
        health = Category.objects.get(code="kesehatan")
        AnswerTemplate.objects.create(category=health, title=TEMPLATE_TITLE, text=TEMPLATE_TEXT)
        # Another category's template is not offered for this report.
        AnswerTemplate.objects.create(
            category=Category.objects.get(code="pendidikan"),
            title="Templat sekolah",
            text="Sekolah sudah kami hubungi untuk perbaikan.",
        )
        # A health report from Palaran, Samarinda, filed an hour ago and routed by the worker
        # (run in this process) down to Dinas Kesehatan Kota Samarinda.
        filed_at = timezone.now() - dt.timedelta(hours=1)
        complaint = route_fully(submit(now=filed_at).complaint, now=filed_at)
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", dinkes)
        tracking_number = complaint.tracking_number
        photo = photo_with_gps(tmp_path / PHOTO_NAME)

        # 1. Log in through the form.
        page.goto(f"{base}/dashboard/login/")
        page.locator("#id_username").fill(USERNAME)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("main form.card button[type=submit]").click()
        expect(page).to_have_url(f"{base}/dashboard/")
        expect(page.locator("h1")).to_have_text(dinkes.name)

        # 2. The report is in the inbox, new and not yet taken up.
        row = page.locator("table.inbox tbody tr", has_text=tracking_number)
        expect(row).to_have_count(1)
        expect(row.locator(".status")).to_have_class(re.compile(r"\bstatus-disposed\b"))
        row.locator(f"a[href='/dashboard/complaints/{tracking_number}/']").click()
        expect(page).to_have_url(f"{base}/dashboard/complaints/{tracking_number}/")
        expect(page.locator("h1")).to_have_text(complaint.title)

        # 3. Take it up.
        page.locator("form[action$='/acknowledge/'] button[type=submit]").click()
        expect(page).to_have_url(f"{base}/dashboard/complaints/{tracking_number}/")
        expect(page.locator(".alert.success")).to_have_text(
            in_indonesian("The report is now in progress at your agency.")
        )
        expect(page.locator(".facts .status")).to_have_class(re.compile(r"\bstatus-in_progress\b"))
        expect(page.locator("form[action$='/acknowledge/']")).to_have_count(0)

        # 4. Start from the template, adjust it, attach a photo and send.
        answer = page.locator("form[action$='/answer/']")
        select = answer.locator("#answer-template")
        expect(select).to_be_visible()
        expect(select.locator("option")).to_have_count(2)  # "choose" and this category's one
        text = answer.locator("#id_answer_text")
        expect(text).to_have_value("")
        select.select_option(label=TEMPLATE_TITLE)
        expect(text).to_have_value(TEMPLATE_TEXT)
        text.press("End")
        text.type(ADDED)
        expect(text).to_have_value(TEMPLATE_TEXT + ADDED)
        answer.locator("#id_answer_attachments").set_input_files(photo)
        page.screenshot(path=ANSWER_SCREENSHOT, full_page=True)
        answer.locator("button[type=submit]").click()

        # 5. The page shows the report answered, with the answer and its photo.
        expect(page).to_have_url(f"{base}/dashboard/complaints/{tracking_number}/")
        expect(page.locator(".alert.success")).to_have_text(
            in_indonesian("Your answer has been sent; the citizen is told.")
        )
        status = page.locator(".facts .status")
        expect(status).to_have_class(re.compile(r"\bstatus-responded\b"))
        with translation.override("id"):
            expect(status).to_have_text(str(Complaint.Status.RESPONDED.label))
        shown = page.locator(".answer")
        expect(shown).to_have_count(1)
        expect(shown.locator(".meta")).to_contain_text(dinkes.name)
        expect(shown.locator(".text")).to_have_text(TEMPLATE_TEXT + ADDED)
        photo_link = shown.locator("ul a")
        expect(photo_link).to_have_count(1)
        expect(photo_link).to_have_text("lampiran-1.jpg")
        # Nothing left to do for this agency but notes: no answer form any more.
        expect(page.locator("form[action$='/answer/']")).to_have_count(0)
        with page.expect_response(lambda r: "/attachments/1/" in r.url) as download:
            photo_link.click()
        served = download.value
        assert served.status == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert not has_gps(served.body())

        # 6. In the database: answered, by this officer, with the photo without its position.
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.RESPONDED
        assert complaint.current_agency == dinkes
        response = Response.objects.get(complaint=complaint)
        assert response.text == TEMPLATE_TEXT + ADDED
        assert (response.agency, response.author.username) == (dinkes, USERNAME)
        attachment = response.attachments.get()
        assert attachment.complaint == complaint
        assert attachment.original_name == PHOTO_NAME
        assert attachment.content_type == "image/jpeg"
        with attachment.file.open("rb") as stored:
            assert not has_gps(stored.read())
        events = list(
            complaint.events.filter(type__in=["ACKNOWLEDGED", "RESPONDED"])
            .order_by("pk")
            .values_list("type", "from_status", "to_status", "actor__username")
        )
        assert events == [
            ("ACKNOWLEDGED", "DISPOSED", "IN_PROGRESS", USERNAME),
            ("RESPONDED", "IN_PROGRESS", "RESPONDED", USERNAME),
        ]
        assert complaint.version == 5  # three routing steps, taken up, answered

        # 7. The citizen was told, in Indonesian.
        told = [m for m in mailoutbox if m.to == ["siti@example.id"] and "dijawab" in m.subject]
        assert len(told) == 1
        assert tracking_number in told[0].subject
        assert TEMPLATE_TEXT + ADDED in told[0].body
