"""The citizen's pages, through HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Attachment, Complaint
from complaints.services import SubmissionReceipt
from tests.files import exif_gps, files_in, jpeg_with_gps, png, png_bomb
from tests.helpers import form_data

pytestmark = pytest.mark.usefixtures("regions", "categories")


@pytest.mark.django_db
class TestReportForm:
    def test_form_page_is_in_indonesian_and_linked_from_home(self, client: Client) -> None:
        home = client.get("/")
        assert 'href="/lapor/"' in home.content.decode()
        page = client.get("/lapor/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'lang="id"' in html
        assert "Kirim laporan" in html  # "Send report"
        assert 'name="is_anonymous"' in html and 'name="is_confidential"' in html

    def test_english_switch(self, client: Client) -> None:
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/lapor/"})
        assert response.status_code == 302
        html = client.get("/lapor/").content.decode()
        assert 'lang="en"' in html and "Send report" in html

    def test_submit_lands_on_receipt_shown_once(self, client: Client, mailoutbox) -> None:
        response = client.post("/lapor/", form_data(is_anonymous="on"))
        assert response.status_code == 302 and response["Location"] == "/lapor/terkirim/"
        complaint = Complaint.objects.get()
        assert complaint.is_anonymous and not complaint.is_confidential
        assert complaint.region_id == "64.72.01"
        receipt = client.get("/lapor/terkirim/")
        html = receipt.content.decode()
        assert receipt.status_code == 200
        assert complaint.tracking_number in html
        assert f"/lacak/{complaint.tracking_number}/" in html
        assert receipt["Cache-Control"] == "no-store"
        # The private link is in the page exactly once, and the page cannot be shown again.
        again = client.get("/lapor/terkirim/")
        assert again.status_code == 410
        assert complaint.tracking_number not in again.content.decode()

    def test_receipt_private_link_opens_the_whole_report(self, client: Client) -> None:
        client.post("/lapor/", form_data(reporter_name="Budi <b>Santoso</b>"))
        html = client.get("/lapor/terkirim/").content.decode()
        link = re.search(r'id="private-link"[^>]*>([^<]+)</textarea>', html).group(1)
        page = client.get(link)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Lubang besar di jalan depan Pasar Segiri" in body
        assert "Budi &lt;b&gt;Santoso&lt;/b&gt;" in body
        assert "budi@example.id" in body

    def test_district_must_lie_in_the_regency(self, client: Client) -> None:
        # 64.71.01 is in Kota Balikpapan, not Kota Samarinda (64.72).
        response = client.post("/lapor/", form_data(district="64.71.01"))
        assert response.status_code == 400
        assert "Kecamatan ini tidak berada" in response.content.decode()
        assert not Complaint.objects.exists()

    def test_regency_must_lie_in_the_province(self, client: Client) -> None:
        response = client.post("/lapor/", form_data(province="31", district=None))
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"title": ""}, "title"),
            ({"title": "x" * 151}, "title"),
            ({"description": "d" * 5001}, "description"),
            ({"title": "Judul berisi \x00 NUL"}, "title"),
            ({"category": "tidak-ada"}, "category"),
            ({"regency": "99.99"}, "regency"),
            ({"incident_date": "2999-01-01"}, "incident_date"),
            ({"incident_date": "kemarin"}, "incident_date"),
            ({"kind": "SPAM"}, "kind"),
            ({"reporter_email": "bukan-email"}, "reporter_email"),
            ({"reporter_phone": "999"}, "reporter_phone"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_saved(
        self, client: Client, overrides: dict, field: str
    ) -> None:
        response = client.post("/lapor/", form_data(**overrides))
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert "Laporan Anda belum terkirim" in response.content.decode()
        assert not Complaint.objects.exists()

    def test_invalid_utf8_is_refused(self, client: Client) -> None:
        from urllib.parse import urlencode

        body = urlencode(form_data()).encode() + b"&title=Jalan+rusak+%FF%FE+parah+sekali"
        response = client.generic(
            "POST", "/lapor/", body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
        assert "title" in response.context["form"].errors
        assert not Complaint.objects.exists()

    def test_files_are_cleaned_and_bad_files_leave_nothing(
        self, client: Client, media_root: Path
    ) -> None:
        bad = client.post(
            "/lapor/",
            form_data(
                attachments=[
                    SimpleUploadedFile("a.png", png(), "image/png"),
                    SimpleUploadedFile("b.png", png_bomb(), "image/png"),
                ]
            ),
        )
        assert bad.status_code == 400
        assert "terlalu besar" in bad.content.decode() or "too large" in bad.content.decode()
        assert not Complaint.objects.exists()
        # Only the good file is left, cleaned and held for the form's next round (it is not
        # an attachment): tests/complaints/test_intake_form_errors.py.
        assert [p.parent.name for p in files_in(media_root)] == ["held"]

        good = client.post(
            "/lapor/",
            form_data(attachments=[SimpleUploadedFile("gps.jpg", jpeg_with_gps(), "image/jpeg")]),
        )
        assert good.status_code == 302
        attachment = Attachment.objects.get()
        with attachment.file.open("rb") as handle:
            assert exif_gps(handle.read()) == {}

    def test_too_many_files(self, client: Client, settings) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 1
        files = [SimpleUploadedFile(f"{i}.png", png(), "image/png") for i in range(2)]
        response = client.post("/lapor/", form_data(attachments=files))
        assert response.status_code == 400
        assert "attachments" in response.context["form"].errors
        assert not Complaint.objects.exists()

    def test_file_too_large(self, client: Client, settings) -> None:
        settings.LAPOR_MAX_ATTACHMENT_BYTES = 100
        files = [SimpleUploadedFile("big.png", png((64, 64)), "image/png")]
        response = client.post("/lapor/", form_data(attachments=files))
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_rate_limit(self, client: Client, settings) -> None:
        settings.LAPOR_SUBMIT_RATE = "2/h"
        assert client.post("/lapor/", form_data()).status_code == 302
        assert client.post("/lapor/", form_data(title="")).status_code == 400
        refused = client.post("/lapor/", form_data())
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert "Mohon tunggu" in refused.content.decode()
        assert Complaint.objects.count() == 1
        # another address has its own budget
        other = client.post("/lapor/", form_data(), REMOTE_ADDR="10.9.8.7")
        assert other.status_code == 302

    def test_location_selects_fill_in_without_javascript(self, client: Client) -> None:
        response = client.post(
            "/lapor/", {"province": "64", "title": "Judul yang tersimpan", "_refresh": "province"}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert '<option value="64.72">Kota Samarinda</option>' in html
        assert "Judul yang tersimpan" in html  # what was typed is kept
        assert not Complaint.objects.exists()
        response = client.post(
            "/lapor/", {"province": "64", "regency": "64.72", "_refresh": "regency"}
        )
        assert '<option value="64.72.01">Palaran</option>' in response.content.decode()


@pytest.mark.django_db
class TestTracking:
    def test_lookup_redirects_to_public_page(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        number = submit().complaint.tracking_number
        typed = number.lower().replace("-", " ")
        response = client.get("/lacak/", {"tracking_number": typed})
        assert response.status_code == 302
        assert response["Location"] == f"/lacak/{number}/"

    def test_unknown_number(self, client: Client) -> None:
        response = client.get("/lacak/", {"tracking_number": "ZZZZ-ZZZZ-ZZZZ"})
        assert response.status_code == 200
        assert "tracking_number" in response.context["form"].errors
        assert client.get("/lacak/ZZZZ-ZZZZ-ZZZZ/").status_code == 404

    def test_public_page_never_shows_the_reporter(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        complaint = submit(
            title="Sekolah <script>alert(1)</script> rusak", reporter_name="Nama Rahasia Pelapor"
        ).complaint
        html = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert "Sekolah &lt;script&gt;alert(1)&lt;/script&gt; rusak" in html
        assert "<script>alert(1)" not in html
        assert "Nama Rahasia Pelapor" not in html
        assert "siti@example.id" not in html and "6281234567890" not in html
        assert "Laporan masuk" in html  # the timeline

    def test_confidential_public_page_hides_title_and_text(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit(is_confidential=True, title="Judul yang sangat rahasia")
        complaint = receipt.complaint
        html = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert "Judul yang sangat rahasia" not in html
        assert "Puskesmas Palaran" not in html
        private = client.get(f"/lacak/{complaint.tracking_number}/{receipt.access_key}/")
        assert "Judul yang sangat rahasia" in private.content.decode()

    def test_private_link_needs_the_right_key(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        number = receipt.complaint.tracking_number
        wrong = "A" * 43
        assert client.get(f"/lacak/{number}/{wrong}/").status_code == 404
        page = client.get(f"/lacak/{number}/{receipt.access_key}/")
        assert page.status_code == 200
        assert page["Cache-Control"] == "no-store"

    def test_attachment_through_the_private_link_only(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit(attachments=[SimpleUploadedFile("x.jpg", jpeg_with_gps(), "image/jpeg")])
        number = receipt.complaint.tracking_number
        url = f"/lacak/{number}/{receipt.access_key}/lampiran/1/"
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert exif_gps(b"".join(response.streaming_content)) == {}
        assert client.get(f"/lacak/{number}/{'B' * 43}/lampiran/1/").status_code == 404
        assert client.get(f"/lacak/{number}/{receipt.access_key}/lampiran/2/").status_code == 404


@pytest.mark.django_db
class TestErrorPages:
    def test_404_is_in_indonesian(self, client: Client) -> None:
        response = client.get("/tidak-ada/")
        assert response.status_code == 404
        assert "Tidak ditemukan" in response.content.decode()


@pytest.mark.django_db
class TestLanguage:
    def test_pages_are_indonesian_even_for_an_english_phone(self, client: Client) -> None:
        html = client.get("/lapor/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
        assert 'lang="id"' in html and "Kirim laporan" in html
