"""POST Service Request: the key, its limit, the checks of submit_complaint, and routing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint, Disposition, Reporter
from open311.models import ApiKey, Open311Request
from tests.helpers import route_fully
from tests.open311.support import BASE, errors_of, json_of, post, post_data, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]


class TestPostServiceRequest:
    def test_json_files_a_report(self, client: Client, api_key: str) -> None:
        response = post(client, **post_data(api_key=api_key))
        assert response.status_code == 200, response.content
        (receipt,) = json_of(response)
        assert set(receipt) == {"service_request_id", "token", "service_notice", "account_id"}
        complaint = Complaint.objects.get(tracking_number=receipt["service_request_id"])
        assert complaint.kind == "COMPLAINT"
        assert complaint.title == "Puskesmas tutup di jam layanan"
        assert complaint.category.code == "kesehatan"
        assert complaint.region_id == "64.72.01"
        assert not complaint.is_anonymous and not complaint.is_confidential
        assert complaint.reporter.name == "Siti Aminah"
        assert complaint.reporter.email == "siti@example.id"
        assert complaint.reporter.phone == "+6281234567890"
        assert complaint.open311_request.token == receipt["token"]
        assert complaint.open311_request.api_key.organisation == "Aplikasi Kota"
        assert receipt["service_notice"].endswith(f"/lacak/{complaint.tracking_number}/")
        assert receipt["account_id"] is None
        assert ApiKey.objects.get().last_used_at is not None

    def test_xml_files_a_report_with_flags(self, client: Client, api_key: str) -> None:
        data = post_data(
            api_key=api_key,
            **{"attribute[anonymous]": "true", "attribute[confidential]": "TRUE"},
        )
        root = xml_of(post(client, "xml", **data))
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        complaint = Complaint.objects.get(tracking_number=request.findtext("service_request_id"))
        assert complaint.is_anonymous and complaint.is_confidential
        assert request.findtext("token") == complaint.open311_request.token
        assert request.findtext("account_id") == ""

    def test_routed_like_a_web_report(
        self, client: Client, api_key: str, tree: dict[str, Any], submit: Callable[..., Any]
    ) -> None:
        web = route_fully(submit().complaint)
        (receipt,) = post(client, **post_data(api_key=api_key)).json()
        complaint = Complaint.objects.get(tracking_number=receipt["service_request_id"])
        assert complaint.status == "SUBMITTED" and complaint.events.get().type == "SUBMITTED"
        routed = route_fully(complaint, now=timezone.now())
        assert routed.current_agency == web.current_agency == tree["dinkes"]
        assert routed.status == web.status == "DISPOSED"
        assert list(
            Disposition.objects.filter(complaint=routed)
            .order_by("sequence")
            .values_list("to_agency__code", flat=True)
        ) == ["kaltim", "smd", "dinkes-smd"]

    def test_media_url_is_ignored(self, client: Client, api_key: str) -> None:
        # The point and the address posted with it are kept: tests/open311/test_places.py.
        data = post_data(api_key=api_key, media_url="http://10.0.0.1/foto.jpg")
        assert post(client, **data).status_code == 200
        assert not Complaint.objects.get().attachments.exists()

    def test_other_jurisdiction_is_404(self, client: Client, api_key: str) -> None:
        response = post(client, **post_data(api_key=api_key, jurisdiction_id="kota-lain"))
        assert response.status_code == 404
        assert not Complaint.objects.exists()
        assert (
            post(client, **post_data(api_key=api_key, jurisdiction_id="lapor")).status_code == 200
        )

    def test_only_the_form_fields_are_required(self, client: Client, api_key: str) -> None:
        data = post_data(api_key=api_key, first_name=None, last_name=None, email=None, phone=None)
        assert post(client, **data).status_code == 200
        assert Reporter.objects.get().name == ""


class TestApiKey:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_missing_key_is_403(self, client: Client, fmt: str) -> None:
        response = post(client, fmt, **post_data())
        assert response.status_code == 403
        ((code, description),) = errors_of(response, fmt)
        assert code == "403" and "api_key" in description
        assert not Complaint.objects.exists()

    def test_unknown_key_is_403(self, client: Client, api_key: str) -> None:
        response = post(client, **post_data(api_key=api_key + "x"))
        assert response.status_code == 403
        assert not Complaint.objects.exists()

    def test_revoked_key_is_403(self, client: Client, api_key: str) -> None:
        ApiKey.objects.all().revoke(timezone.now())
        response = post(client, **post_data(api_key=api_key))
        assert response.status_code == 403
        assert not Complaint.objects.exists()
        assert ApiKey.objects.get().last_used_at is None

    def test_key_in_the_query_string_is_not_read(self, client: Client, api_key: str) -> None:
        response = client.post(f"{BASE}/requests.json?api_key={api_key}", post_data())
        assert response.status_code == 403

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_hourly_limit_per_key(self, client: Client, api_key: str, fmt: str) -> None:
        ApiKey.objects.update(hourly_limit=2)
        other = ApiKey(organisation="LSM", created_at=timezone.now())
        other_key = other.set_new_key()
        other.save()
        for _attempt in range(2):
            assert post(client, fmt, **post_data(api_key=api_key)).status_code == 200
        response = post(client, fmt, **post_data(api_key=api_key))
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 3600
        ((code, description),) = errors_of(response, fmt)
        assert code == "429" and "api_key" in description
        assert Complaint.objects.count() == 2
        assert post(client, fmt, **post_data(api_key=other_key)).status_code == 200


class TestValidation:
    @pytest.mark.parametrize(
        ("overrides", "parameter"),
        [
            ({"service_code": None}, "service_code"),
            ({"service_code": "tidak-ada"}, "service_code"),
            ({"description": "pendek"}, "description"),
            ({"description": None}, "description"),
            ({"attribute[kind]": "KELUHAN"}, "attribute[kind]"),
            ({"attribute[kind]": None}, "attribute[kind]"),
            ({"attribute[title]": "t" * 151}, "attribute[title]"),
            ({"attribute[region]": None}, "attribute[region]"),
            ({"attribute[region]": "99.99"}, "attribute[region]"),
            ({"attribute[region]": "64"}, "attribute[region]"),
            ({"attribute[incident_date]": "30-11-2026"}, "attribute[incident_date]"),
            ({"attribute[incident_date]": "2999-01-01"}, "attribute[incident_date]"),
            ({"attribute[anonymous]": "mungkin"}, "attribute[anonymous]"),
            ({"attribute[warna]": "merah"}, "attribute[warna]"),
            ({"email": "bukan email"}, "email"),
            ({"phone": "0000"}, "phone"),
            ({"lat": "-0.5", "long": None}, "lat, long"),
            ({"lat": "91", "long": "117"}, "lat, long"),
            ({"lat": "nan", "long": "117"}, "lat, long"),
        ],
    )
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_one_error_per_problem_and_nothing_saved(
        self, client: Client, api_key: str, overrides: dict[str, Any], parameter: str, fmt: str
    ) -> None:
        response = post(client, fmt, **post_data(api_key=api_key, **overrides))
        assert response.status_code == 400
        ((code, description),) = errors_of(response, fmt)
        assert code == "400"
        assert description.startswith(f"{parameter}: ")
        assert not Complaint.objects.exists()
        assert not Open311Request.objects.exists()

    def test_several_problems_several_errors(self, client: Client, api_key: str) -> None:
        data = post_data(
            api_key=api_key,
            **{"attribute[region]": "99.99", "attribute[incident_date]": "kemarin"},
            email="x",
        )
        response = post(client, **data)
        assert response.status_code == 400
        assert [d.split(":")[0] for _code, d in errors_of(response, "json")] == [
            "attribute[region]",
            "attribute[incident_date]",
            "email",
        ]

    def test_messages_from_the_service_are_indonesian(self, client: Client, api_key: str) -> None:
        response = post(client, **post_data(api_key=api_key, description="pendek"))
        ((_code, description),) = errors_of(response, "json")
        assert description == "description: Mohon tulis paling sedikit 30 karakter."

    def test_unreadable_body_is_400_not_an_html_page(self, client: Client) -> None:
        response = client.generic(
            "POST", f"{BASE}/requests.json", b"--x\r\n", content_type="multipart/form-data"
        )
        assert response.status_code == 400
        assert errors_of(response, "json")[0][0] == "400"

    def test_failure_after_the_report_leaves_nothing(
        self, client: Client, api_key: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The report and its Open311 row are one transaction: a failure writing the second
        takes back the first."""

        def fail(**kwargs: Any) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(Open311Request.objects, "create", fail)
        client.raise_request_exception = False
        response = post(client, **post_data(api_key=api_key))
        assert response.status_code == 500
        assert not Complaint.objects.exists()


def test_today_is_a_valid_incident_date(client: Client, api_key: str) -> None:
    today = timezone.localdate().isoformat()
    data = post_data(api_key=api_key, **{"attribute[incident_date]": today})
    assert post(client, **data).status_code == 200
    assert Complaint.objects.get().incident_date == dt.date.fromisoformat(today)
