"""A report brought to an office, recorded by an officer through the dashboard (issue 18,
"input oleh admin"): who may, the form and its errors (nothing half-saved), where the report
goes for each level, its date, and the printable receipt shown once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import formats, translation

from complaints.models import Complaint, Disposition
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting
from tests.files import exif_gps, files_in, jpeg_with_gps, png_bomb
from tests.helpers import WIB, deliver_pending, in_indonesian, make_user, route_fully

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 09:00 in Jakarta: 14 days back is 16 November, in the same month.
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
ENTER = "/dashboard/laporan-baru/"
TITLE = "Lampu jalan mati di Jalan Kesehatan"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer(tree: dict[str, Agency]) -> User:
    return make_user("petugas.dinkes", tree["dinkes"])


@pytest.fixture
def coordinator(tree: dict[str, Agency]) -> User:
    return make_user("koordinator.smd", tree["samarinda"])


def entry(**overrides: Any) -> dict[str, Any]:
    """A valid POST of the staff entry form: a health report from Palaran, Samarinda, by
    telephone today, not kept (the rules send it to Dinkes Samarinda)."""
    data: dict[str, Any] = {
        "channel": "PHONE",
        "received_on": "2026-11-30",
        "kind": "COMPLAINT",
        "title": TITLE,
        "description": "Warga menelepon: puskesmas Palaran tutup pukul 10 pagi, padahal buka sampai 14.00.",
        "category": "kesehatan",
        "province": "64",
        "regency": "64.72",
        "district": "64.72.01",
        "incident_date": "2026-11-27",
        "reporter_name": "Siti Aminah",
        "reporter_email": "siti@example.id",
        "reporter_phone": "0812 3456 7890",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def record(client: Client, **overrides: Any) -> Any:
    return client.post(ENTER, entry(**overrides))


def the_report() -> Complaint:
    return Complaint.objects.select_related("current_agency").get(title=TITLE)


class TestWhoMayRecord:
    def test_someone_not_logged_in_is_sent_to_log_in(self, tree: dict[str, Agency]) -> None:
        client = Client()
        for response in (client.get(ENTER), client.post(ENTER, entry())):
            assert response.status_code == 302
            assert response["Location"].startswith(
                "/dashboard/login/?next=/dashboard/laporan-baru/"
            )
        assert not Complaint.objects.exists()

    def test_a_citizen_account_is_refused(self, tree: dict[str, Agency]) -> None:
        citizen = logged_in(make_user("warga@example.id"))
        page = citizen.get(ENTER)
        assert page.status_code == 403
        assert in_indonesian("Your account belongs to no agency") in page.content.decode()
        assert citizen.post(ENTER, entry()).status_code == 403
        assert not Complaint.objects.exists()

    def test_an_officer_of_an_inactive_agency_is_refused(
        self, tree: dict[str, Agency], officer: User
    ) -> None:
        tree["dinkes"].is_active = False
        tree["dinkes"].save(update_fields=["is_active"])
        assert logged_in(officer).post(ENTER, entry(keep="on")).status_code == 403
        assert not Complaint.objects.exists()

    def test_a_coordinator_passes_the_second_step_first(
        self, coordinator: User, settings: Any
    ) -> None:
        settings.LAPOR_2FA = True
        response = logged_in(coordinator).get(ENTER)
        assert response.status_code == 302
        assert response["Location"] == "/dashboard/dua-langkah/?next=/dashboard/laporan-baru/"

    def test_the_inbox_links_to_it(self, officer: User) -> None:
        inbox = logged_in(officer).get("/dashboard/").content.decode()
        assert f'href="{ENTER}"' in inbox
        assert in_indonesian("Record a report") in inbox


class TestTheForm:
    def test_it_offers_the_staff_channels_today_and_what_keeping_means_for_the_level(
        self, officer: User, coordinator: User
    ) -> None:
        page = logged_in(officer).get(ENTER)
        body = page.content.decode()
        assert page.status_code == 200
        assert re.findall(r'name="channel" value="([A-Z_]+)"', body) == [
            "WALK_IN",
            "PHONE",
            "LETTER",
            "SOCIAL_MEDIA",
            "OTHER",
        ]
        assert re.search(r'name="received_on" value="2026-11-30"', body)
        assert 'enctype="multipart/form-data"' in body
        # The web form's explanations of anonymous and confidential.
        assert in_indonesian("No agency will ever see your name or contact details.") in body
        assert "Dinkes Samarinda" in body and "<script>" not in body
        opd_help = in_indonesian(
            "Ticked: the report is handed to %(agency)s at once, for you to take it up; its "
            "deadline runs from the day it was received. Not ticked: the routing rules send "
            "it to the agency in charge, as a report filed on the web.",
            agency="Dinkes Samarinda",
        )
        assert opd_help in body
        queue_help = in_indonesian(
            "Ticked: the report waits in the verification queue of %(agency)s, for you to "
            "check it and hand it to the agency in charge yourself. Not ticked: the routing "
            "rules send it on, as a report filed on the web.",
            agency="Diskominfo Samarinda",
        )
        assert queue_help in logged_in(coordinator).get(ENTER).content.decode()

    def test_every_problem_comes_in_one_round_and_nothing_is_saved(
        self, officer: User, media_root: Path
    ) -> None:
        response = logged_in(officer).post(
            ENTER,
            entry(
                channel="WEB",  # not one an officer records
                received_on="2026-12-01",
                title="ab",
                category=None,
                regency=None,
                reporter_phone="12",
                incident_date="2026-12-02",
            ),
        )
        assert response.status_code == 400
        form = response.context["form"]
        assert {
            "channel",
            "received_on",
            "title",
            "category",
            "regency",
            "reporter_phone",
            "incident_date",
        } <= set(form.errors)
        body = response.content.decode()
        assert (
            in_indonesian("The report was not recorded. Please correct what is marked below.")
            in body
        )
        assert in_indonesian("The date it was received cannot be in the future.") in body
        # What was typed comes back.
        assert 'value="ab"' in body and "Siti Aminah" in body
        assert not Complaint.objects.exists()
        assert files_in(media_root) == []

    @pytest.mark.parametrize(
        ("moment", "received_on"),
        [
            (NOW, "2026-11-15"),  # 15 days back
            (NOW, "2026-12-01"),  # tomorrow
            (dt.datetime(2026, 12, 3, 9, 0, tzinfo=WIB), "2026-11-30"),  # last month
        ],
    )
    def test_a_date_received_out_of_bounds_is_refused(
        self, officer: User, moment: dt.datetime, received_on: str
    ) -> None:
        with time_machine.travel(moment, tick=False):
            response = logged_in(officer).post(
                ENTER, entry(received_on=received_on, incident_date="2026-11-10", keep="on")
            )
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["received_on"]
        assert not Complaint.objects.exists()

    def test_the_event_cannot_come_after_the_day_received(self, officer: User) -> None:
        response = logged_in(officer).post(
            ENTER, entry(received_on="2026-11-20", incident_date="2026-11-25")
        )
        assert response.status_code == 400
        assert response.context["form"].errors["incident_date"] == [
            in_indonesian("The event cannot come after the day it was reported.")
        ]
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize(
        ("name", "content", "content_type"),
        [
            ("surat.pdf", b"%PDF-1.7 not really a document", "application/pdf"),
            ("pindaian.exe", b"MZ\x90\x00 a program", "application/octet-stream"),
            ("bom.png", png_bomb(), "image/png"),
        ],
    )
    def test_a_bad_file_is_refused_and_nothing_is_left_behind(
        self, officer: User, media_root: Path, name: str, content: bytes, content_type: str
    ) -> None:
        good = SimpleUploadedFile("foto.jpg", jpeg_with_gps(), "image/jpeg")
        bad = SimpleUploadedFile(name, content, content_type)
        response = logged_in(officer).post(ENTER, {**entry(keep="on"), "attachments": [good, bad]})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == ["attachments"]
        assert name in " ".join(errors["attachments"])
        body = response.content.decode()
        assert (
            in_indonesian(
                "The files you chose were not kept while the form came back: choose them again."
            )
            in body
        )
        assert not Complaint.objects.exists()
        assert files_in(media_root) == []

    def test_too_many_files_are_refused(self, officer: User, settings: Any) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 2
        files = [SimpleUploadedFile(f"f{i}.jpg", jpeg_with_gps(), "image/jpeg") for i in range(3)]
        response = logged_in(officer).post(ENTER, {**entry(), "attachments": files})
        assert response.status_code == 400
        assert response.context["form"].errors["attachments"] == [
            in_indonesian("At most %(max)d files can be attached.", max=2)
        ]
        assert not Complaint.objects.exists()

    def test_without_javascript_the_location_selects_fill_in(self, officer: User) -> None:
        response = logged_in(officer).post(
            ENTER, {**entry(regency="", district=""), "_refresh": "province"}
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert '<option value="64.72">' in body
        assert not response.context["form"].is_bound
        assert not Complaint.objects.exists()


class TestWhereItGoes:
    def test_an_opd_officer_keeps_it_for_their_agency(
        self, officer: User, tree: dict[str, Agency]
    ) -> None:
        response = record(logged_in(officer), keep="on")
        assert response.status_code == 302
        assert response["Location"].startswith("/dashboard/laporan-baru/tanda-terima/")
        report = the_report()
        assert (report.status, report.current_agency) == ("DISPOSED", tree["dinkes"])
        assert (report.channel, report.entered_by) == ("PHONE", officer)
        assert report.submitted_at == NOW
        assert report.due_at == routing_selectors.due_at(
            start=NOW, step=DeadlineSetting.Step.FIRST_RESPONSE
        )
        kept = Disposition.objects.get(complaint=report)
        assert (kept.kind, kept.to_agency) == ("KEEP", tree["dinkes"])
        assert report.reporter.name == "Siti Aminah"
        assert report.reporter.phone == "+6281234567890"
        assert report.reporter.ip_address is None  # the office's address is not the citizen's

    def test_a_coordinator_keeps_it_in_its_queue(
        self, coordinator: User, tree: dict[str, Agency]
    ) -> None:
        assert record(logged_in(coordinator), keep="on", channel="LETTER").status_code == 302
        report = the_report()
        assert (report.status, report.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        assert report.due_at == routing_selectors.due_at(
            start=NOW, step=DeadlineSetting.Step.VERIFICATION
        )
        # The coordinator finds it in its own queue.
        inbox = logged_in(coordinator).get("/dashboard/").content.decode()
        assert report.tracking_number in inbox

    def test_not_kept_it_is_routed_by_the_rules(
        self, officer: User, tree: dict[str, Agency]
    ) -> None:
        # An education report recorded at Dinkes goes where the rules send it: Disdik Kaltim.
        assert record(logged_in(officer), category="pendidikan").status_code == 302
        report = the_report()
        assert report.status == "SUBMITTED" and report.current_agency is None
        routed = route_fully(report, now=NOW)
        assert (routed.status, routed.current_agency) == ("DISPOSED", tree["disdik"])

    def test_dated_back_it_counts_from_the_day_received(
        self, officer: User, tree: dict[str, Agency]
    ) -> None:
        assert (
            record(
                logged_in(officer), keep="on", received_on="2026-11-16", incident_date="2026-11-15"
            ).status_code
            == 302
        )
        report = the_report()
        received = dt.datetime(2026, 11, 16, 12, 0, tzinfo=WIB)
        assert report.submitted_at == received
        assert report.due_at == routing_selectors.due_at(
            start=received, step=DeadlineSetting.Step.FIRST_RESPONSE
        )
        assert report.events.order_by("pk").first().created_at == received

    def test_a_scan_is_attached_cleaned(self, officer: User) -> None:
        scan = SimpleUploadedFile("surat-warga.jpg", jpeg_with_gps(), "image/jpeg")
        response = logged_in(officer).post(ENTER, {**entry(keep="on"), "attachments": [scan]})
        assert response.status_code == 302
        attachment = the_report().attachments.get()
        assert attachment.original_name == "surat-warga.jpg"
        assert not exif_gps(attachment.file.read())


class TestTheReceipt:
    def test_it_is_shown_once_with_the_number_the_link_and_what_was_typed(
        self, officer: User
    ) -> None:
        client = logged_in(officer)
        location = record(client, keep="on", is_confidential="on")["Location"]
        report = the_report()
        receipt = client.get(location)
        body = receipt.content.decode()
        assert receipt.status_code == 200
        assert "no-store" in receipt["Cache-Control"]
        assert report.tracking_number in body
        link = re.search(r'<code id="private-link">([^<]+)</code>', body)
        assert link is not None
        url = urlsplit(link.group(1))
        assert (url.scheme, url.netloc) == ("http", "testserver")
        assert url.path.startswith(f"/lacak/{report.tracking_number}/")
        assert "<svg" in body and "<script>" not in body  # the QR code, inline
        for typed in ("Siti Aminah", "siti@example.id", "0812 3456 7890"):
            assert typed in body
        assert (
            in_indonesian(
                "Yes: the report is not published; only you and the agencies handling it can read it."
            )
            in body
        )
        assert (
            in_indonesian("No: the agency handling the report sees your name and contact details.")
            in body
        )
        assert "data-print" in body and "js/print.js" in body
        # The link opens the reporter's page, which says who recorded it for them.
        private = Client().get(url.path)
        assert private.status_code == 200
        assert (
            in_indonesian(
                "This report was recorded for you by an officer of %(agency)s (%(channel)s).",
                agency="Dinkes Samarinda",
                channel=in_indonesian("telephone"),
            )
            in private.content.decode()
        )

        again = client.get(location)
        assert again.status_code == 410
        assert "no-store" in again["Cache-Control"]
        text = again.content.decode()
        assert in_indonesian("This receipt has already been shown") in text
        assert "/lacak/#tautan-baru" in text
        assert url.path not in text and "Siti Aminah" not in text

    def test_it_is_the_officers_own(self, officer: User, tree: dict[str, Agency]) -> None:
        location = record(logged_in(officer), keep="on")["Location"]
        colleague = logged_in(make_user("rekan.dinkes", tree["dinkes"]))
        assert colleague.get(location).status_code == 410

    def test_what_happens_next_says_the_holder_and_the_deadline(self, officer: User) -> None:
        client = logged_in(officer)
        body = client.get(record(client, keep="on")["Location"]).content.decode()
        report = the_report()
        with translation.override("id"):
            due = formats.date_format(report.due_at.astimezone(WIB), "l, j F Y")
        assert (
            in_indonesian(
                "Your report is with %(agency)s, which must take it up by %(due)s.",
                agency="Dinkes Samarinda",
                due=due,
            )
            in body
        )
        assert f'href="/dashboard/complaints/{report.tracking_number}/"' in body

    def test_the_reporter_is_emailed_and_told_who_recorded_it(self, officer: User) -> None:
        record(logged_in(officer), keep="on")
        deliver_pending(now=NOW)
        subject = in_indonesian(
            "Your LAPOR report %(number)s has been received", number=the_report().tracking_number
        )
        receipts = [m for m in mail.outbox if m.subject == subject]
        assert len(receipts) == 1 and receipts[0].to == ["siti@example.id"]
        told = in_indonesian(
            "This report was recorded for you by an officer of %(agency)s.",
            agency="Dinkes Samarinda",
        )
        assert told in receipts[0].body
        assert told in receipts[0].alternatives[0][0]
