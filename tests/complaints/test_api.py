"""The citizen's API, through HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Complaint
from complaints.services import SubmissionReceipt
from tests.files import exif_gps, files_in, jpeg_with_gps, pdf, png_bomb
from tests.helpers import api_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

URL = "/api/v1/complaints/"


def _post_json(client: Client, body: object, **extra: str):  # type: ignore[no-untyped-def]  # an untyped fixture argument
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


class TestComplaintCreateApi:
    def test_json_submission(self, client: Client) -> None:
        response = _post_json(client, api_data(is_confidential=True, reporter_email="a@b.id"))
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"tracking_number", "access_key", "status", "url"}
        assert body["status"] == "SUBMITTED"
        complaint = Complaint.objects.get(tracking_number=body["tracking_number"])
        assert complaint.is_confidential and complaint.kind == "ASPIRATION"
        assert complaint.access_key_matches(body["access_key"])
        assert body["url"].endswith(f"/lacak/{complaint.tracking_number}/{body['access_key']}/")

    def test_multipart_with_files(self, client: Client) -> None:
        data = api_data(
            attachments=[
                SimpleUploadedFile("gps.jpg", jpeg_with_gps(), "image/jpeg"),
                SimpleUploadedFile("surat.pdf", pdf(), "application/pdf"),
            ]
        )
        response = client.post(URL, data)
        assert response.status_code == 201, response.content
        complaint = Complaint.objects.get()
        assert complaint.attachments.count() == 2

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"kind": "KELUHAN"}, "kind"),
            ({"title": ""}, "title"),
            ({"title": None}, "title"),
            ({"title": "t" * 151}, "title"),
            ({"description": "d" * 5001}, "description"),
            (
                {"description": "Teks dengan NUL \u0000 di tengah kalimat panjang ini."},
                "description",
            ),
            ({"category": "tidak-ada"}, "category"),
            ({"region": "64"}, "region"),
            ({"region": "99.99"}, "region"),
            ({"incident_date": "2999-12-31"}, "incident_date"),
            ({"incident_date": "31-12-2025"}, "incident_date"),
            ({"reporter_email": "bukan email"}, "reporter_email"),
            ({"reporter_phone": "0000"}, "reporter_phone"),
            ({"is_anonymous": "mungkin"}, "is_anonymous"),
        ],
    )
    def test_bad_fields_answer_400_per_field(
        self, client: Client, overrides: dict, field: str
    ) -> None:
        response = _post_json(client, api_data(**overrides))
        assert response.status_code == 400
        assert field in response.json()
        assert not Complaint.objects.exists()

    def test_messages_follow_accept_language(self, client: Client) -> None:
        body = api_data(region="99.99")
        indonesian = _post_json(client, body).json()["region"][0]
        english = _post_json(client, body, HTTP_ACCEPT_LANGUAGE="en").json()["region"][0]
        assert "Unknown region" in english and indonesian != english

    def test_malformed_json(self, client: Client) -> None:
        response = client.post(URL, b'{"kind": "COMPLAINT",', content_type="application/json")
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_invalid_utf8_json(self, client: Client) -> None:
        raw = json.dumps(api_data()).encode().replace(b"Usulan", b"Usul\xff\xfean")
        response = client.post(URL, raw, content_type="application/json")
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_bad_file_leaves_nothing(self, client: Client, media_root: Path) -> None:
        data = api_data(
            attachments=[
                SimpleUploadedFile("gps.jpg", jpeg_with_gps(), "image/jpeg"),
                SimpleUploadedFile("bomb.png", png_bomb(), "image/png"),
            ]
        )
        response = client.post(URL, data)
        assert response.status_code == 400
        assert "attachments" in response.json()
        assert not Complaint.objects.exists() and files_in(media_root) == []

    def test_file_content_must_match_its_name(self, client: Client) -> None:
        data = api_data(attachments=[SimpleUploadedFile("foto.jpg", pdf(), "image/jpeg")])
        response = client.post(URL, data)
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_rate_limit_shared_with_the_form(self, client: Client, settings) -> None:
        settings.LAPOR_SUBMIT_RATE = "1/h"
        assert _post_json(client, api_data()).status_code == 201
        refused = _post_json(client, api_data())
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert client.post("/lapor/", {"title": "x"}).status_code == 429
        assert Complaint.objects.count() == 1


class TestComplaintDetailApi:
    def test_public_view(self, client: Client, submit: Callable[..., SubmissionReceipt]) -> None:
        complaint = submit(is_anonymous=True).complaint
        response = client.get(f"{URL}{complaint.tracking_number}/")
        assert response.status_code == 200
        body = response.json()
        assert body["tracking_number"] == complaint.tracking_number
        assert body["status"] == "SUBMITTED" and body["status_display"]
        assert body["region"] == {"code": "64.72.01", "name": "Palaran", "level": 3}
        assert body["category"]["code"] == "kesehatan"
        assert [e["type"] for e in body["events"]] == ["SUBMITTED"]
        assert "description" not in body and "reporter" not in body and "attachments" not in body
        text = response.content.decode()
        assert "Siti" not in text and "siti@example.id" not in text

    def test_confidential_public_view_has_no_title(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        complaint = submit(is_confidential=True).complaint
        body = client.get(f"{URL}{complaint.tracking_number}/").json()
        assert body["title"] is None and body["is_confidential"] is True

    def test_private_view_with_the_key(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit(attachments=[SimpleUploadedFile("gps.jpg", jpeg_with_gps(), "image/jpeg")])
        number = receipt.complaint.tracking_number
        response = client.get(f"{URL}{number}/", HTTP_X_ACCESS_KEY=receipt.access_key)
        assert response.status_code == 200
        body = response.json()
        assert body["description"].startswith("Puskesmas Palaran")
        assert body["reporter"] == {
            "name": "Siti Aminah",
            "email": "siti@example.id",
            "phone": "+6281234567890",
        }
        (attachment,) = body["attachments"]
        assert attachment["content_type"] == "image/jpeg"
        download = client.get(attachment["url"], HTTP_X_ACCESS_KEY=receipt.access_key)
        assert download.status_code == 200
        assert exif_gps(b"".join(download.streaming_content)) == {}
        assert client.get(attachment["url"]).status_code == 404

    def test_wrong_key_is_404_like_an_unknown_number(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        number = submit().complaint.tracking_number
        assert client.get(f"{URL}{number}/", HTTP_X_ACCESS_KEY="salah").status_code == 404
        assert client.get(f"{URL}ZZZZ-ZZZZ-ZZZZ/").status_code == 404


class TestReferenceApis:
    def test_categories(self, client: Client) -> None:
        body = client.get("/api/v1/categories/").json()
        codes = [c["code"] for c in body]
        for code in [
            "kesehatan",
            "pendidikan",
            "infrastruktur",
            "kependudukan",
            "lingkungan",
            "perhubungan",
            "perizinan",
            "sosial",
            "ketenagakerjaan",
            "lainnya",
        ]:
            assert code in codes
        assert body[0]["name_id"] == "Kesehatan" and body[0]["name_en"] == "Health"

    def test_regions_children(self, client: Client) -> None:
        body = client.get("/api/v1/regions/", {"parent": "64"}).json()
        codes = [r["code"] for r in body]
        assert "64.72" in codes and "64.71" in codes and len(codes) == 10
        assert all(r["parent"] == "64" for r in body)
        provinces = client.get("/api/v1/regions/").json()
        assert {r["code"] for r in provinces} == {"31", "64"}
        assert client.get("/api/v1/regions/", {"parent": "nope"}).json() == []


class TestApiDocs:
    def test_schema_and_docs_use_no_cdn(self, client: Client) -> None:
        schema = client.get("/api/schema/")
        assert schema.status_code == 200
        assert b"/api/v1/complaints/" in schema.content
        docs = client.get("/api/docs/")
        assert docs.status_code == 200
        html = docs.content.decode()
        assert "swagger-ui" in html
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert external == []
        for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert client.get(path).status_code == 200, path
