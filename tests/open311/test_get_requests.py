"""GET Service Requests, GET Service Request and GET request id from a token: filters, the
90-day window, and privacy (confidential reports nowhere, reporters never)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from open311.models import ApiKey, Open311Request
from tests.helpers import route_fully
from tests.open311.support import BASE, errors_of, json_of, post, post_data, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

FileReport = Callable[..., Complaint]

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "notes",
}


def _ids(client: Client, query: str = "") -> list[str]:
    response = client.get(f"{BASE}/requests.json{query}")
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in json_of(response)]


def _w3(moment: dt.datetime) -> str:
    return quote(moment.isoformat(timespec="seconds"))


def _close(complaint: Complaint, status: str = "COMPLETED") -> None:
    Complaint.objects.filter(pk=complaint.pk).update(status=status)


class TestRequestListApi:
    def test_fields_of_a_routed_report(
        self, client: Client, tree: dict[str, Any], file_report: FileReport
    ) -> None:
        complaint = route_fully(file_report(), now=timezone.now() - dt.timedelta(hours=12))
        (request,) = json_of(client.get(f"{BASE}/requests.json"))
        assert set(request) == REQUEST_FIELDS
        assert request["service_request_id"] == complaint.tracking_number
        assert request["status"] == "open"
        assert request["status_notes"] == "diteruskan ke instansi yang berwenang"
        assert request["service_code"] == "kesehatan"
        assert request["service_name"] == "Kesehatan"
        assert request["description"] == complaint.description
        assert request["agency_responsible"] == "Dinkes Samarinda"
        assert request["address"] == "Palaran, Kota Samarinda, Kalimantan Timur"
        assert request["address_id"] == "64.72.01"
        assert request["lat"] is None and request["long"] is None
        assert request["zipcode"] == "" and request["media_url"] == ""
        assert request["requested_datetime"] == timezone.localtime(
            complaint.submitted_at
        ).isoformat(timespec="seconds")
        assert request["requested_datetime"].endswith("+07:00")
        assert dt.datetime.fromisoformat(request["expected_datetime"]) == complaint.due_at
        assert request["service_notice"].endswith(f"/lacak/{complaint.tracking_number}/")
        notes = request["notes"]
        assert [n["type"] for n in notes] == ["SUBMITTED", "ROUTED", "ROUTED", "DISPOSED"]
        assert (
            notes[-1]["description"] == "Didisposisikan ke Dinkes Samarinda untuk ditindaklanjuti"
        )
        assert request["updated_datetime"] == notes[-1]["datetime"]

    def test_xml(self, client: Client, file_report: FileReport) -> None:
        complaint = file_report()
        root = xml_of(client.get(f"{BASE}/requests.xml"))
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        assert {child.tag for child in request} == REQUEST_FIELDS
        assert request.findtext("service_request_id") == complaint.tracking_number
        assert request.findtext("status") == "open"
        assert request.findtext("lat") == "" and request.findtext("agency_responsible") == ""
        assert [n.findtext("type") for n in request.findall("notes/note")] == ["SUBMITTED"]

    def test_internal_events_are_not_in_notes(
        self, client: Client, file_report: FileReport
    ) -> None:
        complaint = file_report()
        ComplaintEvent.objects.record(
            complaint, type="NOTE", is_public=False, created_at=timezone.now()
        )
        (request,) = json_of(client.get(f"{BASE}/requests.json"))
        assert [n["type"] for n in request["notes"]] == ["SUBMITTED"]

    def test_default_window_is_the_last_90_days(
        self, client: Client, file_report: FileReport
    ) -> None:
        recent = file_report(days_ago=89)
        file_report(days_ago=91)
        assert _ids(client) == [recent.tracking_number]

    def test_newest_first_and_range(self, client: Client, file_report: FileReport) -> None:
        old = file_report(days_ago=120)
        older = file_report(days_ago=150)
        file_report(days_ago=1)
        now = timezone.now()
        start = _w3(now - dt.timedelta(days=160))
        end = _w3(now - dt.timedelta(days=100))
        assert _ids(client, f"?start_date={start}&end_date={end}") == [
            old.tracking_number,
            older.tracking_number,
        ]
        # One end given: 90 days from it.
        assert _ids(client, f"?start_date={start}") == [old.tracking_number, older.tracking_number]
        assert _ids(client, f"?end_date={_w3(now - dt.timedelta(days=130))}") == [
            older.tracking_number
        ]

    def test_zulu_time_is_read(self, client: Client, file_report: FileReport) -> None:
        complaint = file_report(days_ago=10)
        start = (timezone.now() - dt.timedelta(days=11)).astimezone(dt.UTC)
        query = f"?start_date={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        assert _ids(client, query) == [complaint.tracking_number]

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("?start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z", "start_date"),
            ("?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date"),
            ("?start_date=2026-01-01", "start_date"),
            ("?start_date=2026-01-01T00:00:00", "start_date"),
            ("?end_date=kemarin", "end_date"),
            ("?status=pending", "status"),
            ("?page=0", "page"),
            ("?page_size=1001", "page_size"),
            ("?page_size=sepuluh", "page_size"),
        ],
    )
    def test_bad_query_is_400(self, client: Client, query: str, parameter: str, fmt: str) -> None:
        response = client.get(f"{BASE}/requests.{fmt}{query}")
        assert response.status_code == 400
        ((code, description),) = errors_of(response, fmt)
        assert code == "400" and description.startswith(parameter)

    def test_a_range_of_exactly_90_days_is_allowed(self, client: Client) -> None:
        query = "?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z"
        assert client.get(f"{BASE}/requests.json{query}").status_code == 200

    def test_status_filter(self, client: Client, file_report: FileReport) -> None:
        open_one = file_report(days_ago=3)
        closed = file_report(days_ago=2)
        _close(closed)
        archived = file_report(days_ago=1)
        _close(archived, "ARCHIVED")
        assert _ids(client, "?status=open") == [open_one.tracking_number]
        assert _ids(client, "?status=closed") == [closed.tracking_number]
        assert _ids(client, "?status=open,closed") == [
            closed.tracking_number,
            open_one.tracking_number,
        ]
        (request,) = json_of(client.get(f"{BASE}/requests.json?status=closed"))
        assert request["status"] == "closed" and request["expected_datetime"] is None
        assert request["status_notes"] == "selesai"

    def test_service_code_filter(
        self, client: Client, file_report: FileReport, categories: None
    ) -> None:
        from routing.models import Category

        health = file_report(days_ago=2)
        roads = file_report(days_ago=1, category=Category.objects.get(code="infrastruktur"))
        file_report(category=Category.objects.get(code="pendidikan"))
        assert _ids(client, "?service_code=kesehatan") == [health.tracking_number]
        assert _ids(client, "?service_code=kesehatan,infrastruktur") == [
            roads.tracking_number,
            health.tracking_number,
        ]

    def test_ids_override_the_other_filters(self, client: Client, file_report: FileReport) -> None:
        old = file_report(days_ago=400)
        _close(old, "ARCHIVED")
        recent = file_report(days_ago=1)
        query = f"?service_request_id={old.tracking_number.lower()},{recent.tracking_number},X&status=open&service_code=pendidikan"
        assert _ids(client, query) == [recent.tracking_number, old.tracking_number]

    def test_pages(self, client: Client, file_report: FileReport) -> None:
        reports = [file_report(days_ago=days) for days in (1, 2, 3)]
        numbers = [r.tracking_number for r in reports]
        assert _ids(client, "?page_size=2") == numbers[:2]
        assert _ids(client, "?page_size=2&page=2") == numbers[2:]
        assert _ids(client, "?page_size=2&page=3") == []


class TestPrivacy:
    def test_confidential_reports_appear_nowhere(
        self, client: Client, api_key: str, file_report: FileReport
    ) -> None:
        data = post_data(api_key=api_key, **{"attribute[confidential]": "true"})
        (receipt,) = post(client, **data).json()
        secret = Complaint.objects.get(tracking_number=receipt["service_request_id"])
        web_secret = file_report(is_confidential=True)
        for number in (secret.tracking_number, web_secret.tracking_number):
            assert _ids(client) == []
            assert _ids(client, f"?service_request_id={number}") == []
            for fmt in ("json", "xml"):
                response = client.get(f"{BASE}/requests/{number}.{fmt}")
                assert response.status_code == 404
                assert errors_of(response, fmt)[0][0] == "404"
        response = client.get(f"{BASE}/tokens/{receipt['token']}.json")
        assert response.status_code == 404

    def test_made_confidential_later_disappears(
        self, client: Client, file_report: FileReport
    ) -> None:
        complaint = file_report()
        assert client.get(f"{BASE}/requests/{complaint.tracking_number}.json").status_code == 200
        Complaint.objects.filter(pk=complaint.pk).update(is_confidential=True)
        assert client.get(f"{BASE}/requests/{complaint.tracking_number}.json").status_code == 404

    @pytest.mark.parametrize("anonymous", [True, False])
    def test_no_reporter_detail_in_any_output(
        self, client: Client, api_key: str, anonymous: bool
    ) -> None:
        data = post_data(
            api_key=api_key,
            first_name="Rahmawati",
            last_name="Kusumadewi",
            email="rahmawati.k@example.id",
            phone="0813 9876 5432",
            **{"attribute[anonymous]": str(anonymous).lower()},
        )
        receipts = [post(client, fmt, **data) for fmt in ("json", "xml")]
        (receipt,) = receipts[0].json()
        number, token = receipt["service_request_id"], receipt["token"]
        outputs = [*receipts]
        for fmt in ("json", "xml"):
            outputs += [
                client.get(f"{BASE}/requests.{fmt}"),
                client.get(f"{BASE}/requests.{fmt}?service_request_id={number}"),
                client.get(f"{BASE}/requests/{number}.{fmt}"),
                client.get(f"{BASE}/tokens/{token}.{fmt}"),
            ]
        for response in outputs:
            assert response.status_code == 200
            text = response.content.decode()
            for detail in ("Rahmawati", "Kusumadewi", "rahmawati.k", "9876", "5432"):
                assert detail not in text


class TestRequestDetailApi:
    def test_json_is_a_list_of_one(self, client: Client, file_report: FileReport) -> None:
        complaint = file_report()
        response = client.get(f"{BASE}/requests/{complaint.tracking_number}.json")
        (request,) = json_of(response)
        assert request["service_request_id"] == complaint.tracking_number
        assert set(request) == REQUEST_FIELDS

    def test_xml_and_archived(self, client: Client, file_report: FileReport) -> None:
        complaint = file_report(days_ago=300)
        _close(complaint, "ARCHIVED")
        root = xml_of(client.get(f"{BASE}/requests/{complaint.tracking_number}.xml"))
        (request,) = root.findall("request")
        assert request.findtext("status") == "closed"
        assert request.findtext("status_notes") == "diarsipkan"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_unknown_is_404(self, client: Client, fmt: str) -> None:
        for number in ("ABCD-EFGH-JKMN", "nonsense"):
            response = client.get(f"{BASE}/requests/{number}.{fmt}")
            assert response.status_code == 404
            assert errors_of(response, fmt)[0][0] == "404"


class TestTokenDetailApi:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_token_gives_the_request_id(self, client: Client, api_key: str, fmt: str) -> None:
        (receipt,) = post(client, **post_data(api_key=api_key)).json()
        response = client.get(f"{BASE}/tokens/{receipt['token']}.{fmt}")
        assert response.status_code == 200
        if fmt == "json":
            assert json_of(response) == [
                {"service_request_id": receipt["service_request_id"], "token": receipt["token"]}
            ]
        else:
            (request,) = xml_of(response).findall("request")
            assert request.findtext("service_request_id") == receipt["service_request_id"]
            assert request.findtext("token") == receipt["token"]

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_unknown_token_is_404(self, client: Client, fmt: str) -> None:
        response = client.get(f"{BASE}/tokens/0123abcd.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt)[0][0] == "404"

    def test_token_is_stored_with_the_key(self, client: Client, api_key: str) -> None:
        (receipt,) = post(client, **post_data(api_key=api_key)).json()
        record = Open311Request.objects.get(token=receipt["token"])
        assert record.api_key == ApiKey.objects.get()
        assert record.complaint.tracking_number == receipt["service_request_id"]
