"""Where it happened, through the REST API: filing takes a point (both coordinates or neither,
on the globe) and an address; the public reads give only the public point
(``complaints.places.public_point``) and never the address; the reporter's own reads (the
private view, "my reports") and the staff API give both as given, anonymous reports included."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from complaints.models import ADDRESS_MAX_LENGTH, Complaint
from complaints.places import ANONYMOUS_GRID_DEGREES, PUBLIC_GRID_DEGREES, public_point
from routing.models import Agency
from tests.helpers import api_data, api_token, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

URL = "/api/v1/complaints/"
VILLAGE = "64.72.01.1001"  # Rawa Makmur, Palaran, Kota Samarinda
ADDRESS = "Jl. Pahlawan 12, depan SDN 005 Rawa Makmur"
LATITUDE, LONGITUDE = -0.502106, 117.153709


def _place(**overrides: Any) -> dict[str, Any]:
    return api_data(
        region=VILLAGE, latitude=LATITUDE, longitude=LONGITUDE, address=ADDRESS, **overrides
    )


def _file(client: Client, body: dict[str, Any]) -> tuple[Complaint, str]:
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    return Complaint.objects.get(tracking_number=created["tracking_number"]), created["access_key"]


def _detail(client: Client, complaint: Complaint, key: str = "") -> Any:
    headers = {"HTTP_X_ACCESS_KEY": key} if key else {}
    response = client.get(f"{URL}{complaint.tracking_number}/", **headers)
    assert response.status_code == 200
    return response


def _leaks(body: bytes) -> bool:
    """Whether a public answer holds the address or the exact point in any form."""
    text = body.decode()
    return "Pahlawan" in text or "0.502106" in text or "117.153709" in text or "0.5021" in text


def _near(value: float, sent: float, grid: Decimal) -> bool:
    """``value`` is a grid cell's centre within half a cell of ``sent``, and not ``sent``."""
    return abs(Decimal(str(value)) - Decimal(str(sent))) <= grid / 2 and value != sent


class TestFilingAPlace:
    def test_kept_as_given(self, client: Client) -> None:
        complaint, _key = _file(client, _place())
        assert complaint.region_id == VILLAGE
        assert complaint.address == ADDRESS
        assert complaint.latitude == Decimal("-0.502106")
        assert complaint.longitude == Decimal("117.153709")
        assert complaint.channel == Complaint.Channel.API

    def test_place_is_optional(self, client: Client) -> None:
        complaint, _key = _file(client, api_data(latitude=None, longitude=None))
        assert complaint.latitude is None and complaint.longitude is None
        assert complaint.address == ""

    def test_multipart_with_empty_coordinates_has_no_point(self, client: Client) -> None:
        response = client.post(URL, api_data(latitude="", longitude="", address=ADDRESS))
        assert response.status_code == 201, response.content
        complaint = Complaint.objects.get()
        assert complaint.latitude is None and complaint.address == ADDRESS

    def test_multipart_with_a_point(self, client: Client) -> None:
        response = client.post(URL, api_data(latitude="-0.502106", longitude="117.153709"))
        assert response.status_code == 201, response.content
        complaint = Complaint.objects.get()
        assert (complaint.latitude, complaint.longitude) == (
            Decimal("-0.502106"),
            Decimal("117.153709"),
        )

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"latitude": LATITUDE, "longitude": None}, "longitude"),
            ({"latitude": None, "longitude": LONGITUDE}, "latitude"),
            ({"latitude": -90.5}, "latitude"),
            ({"latitude": 91}, "latitude"),
            ({"longitude": 180.5}, "longitude"),
            ({"longitude": -181}, "longitude"),
            ({"latitude": "NaN"}, "latitude"),
            ({"longitude": "Infinity"}, "longitude"),
            ({"latitude": "1e400"}, "latitude"),
            ({"latitude": "-0,502106"}, "latitude"),
            ({"latitude": "utara"}, "latitude"),
            ({"address": "J" * (ADDRESS_MAX_LENGTH + 1)}, "address"),
            ({"address": "Jl. Pahlawan \x00 12"}, "address"),
            ({"address": "Jl. Pahlawan \x1b[31m 12"}, "address"),
        ],
    )
    def test_bad_place_is_400_on_its_field_and_nothing_saved(
        self, client: Client, overrides: dict[str, Any], field: str
    ) -> None:
        body = {**_place(), **overrides}
        body = {name: value for name, value in body.items() if value is not None}
        response = client.post(URL, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, response.content
        assert field in response.json(), response.json()
        assert not Complaint.objects.exists()

    def test_json_nan_is_refused_as_unreadable(self, client: Client) -> None:
        raw = json.dumps(_place()).replace(str(LATITUDE), "NaN")
        response = client.post(URL, raw, content_type="application/json")
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_a_retry_with_the_same_key_files_the_place_once(self, client: Client) -> None:
        body = json.dumps(_place())
        headers = {"HTTP_IDEMPOTENCY_KEY": "f0b7c1d2-place"}
        first = client.post(URL, body, content_type="application/json", **headers)
        again = client.post(URL, body, content_type="application/json", **headers)
        assert first.status_code == again.status_code == 201
        assert Complaint.objects.get().address == ADDRESS


class TestReadingAPlace:
    def test_the_public_view_gives_the_public_point_and_no_address(self, client: Client) -> None:
        complaint, _key = _file(client, _place())
        response = _detail(client, complaint)
        body = response.json()
        assert "address" not in body
        assert (Decimal(str(body["latitude"])), Decimal(str(body["longitude"]))) == public_point(
            complaint
        )
        assert _near(body["latitude"], LATITUDE, PUBLIC_GRID_DEGREES)
        assert _near(body["longitude"], LONGITUDE, PUBLIC_GRID_DEGREES)
        assert body["region"]["code"] == VILLAGE
        assert not _leaks(response.content)

    def test_the_public_list_gives_the_public_point_and_no_address(self, client: Client) -> None:
        complaint, _key = _file(client, _place())
        response = client.get(URL)
        assert response.status_code == 200
        (item,) = response.json()["results"]
        assert item["tracking_number"] == complaint.tracking_number
        assert "address" not in item
        assert _near(item["latitude"], LATITUDE, PUBLIC_GRID_DEGREES)
        assert _near(item["longitude"], LONGITUDE, PUBLIC_GRID_DEGREES)
        assert not _leaks(response.content)

    def test_an_anonymous_reports_public_point_is_coarser(self, client: Client) -> None:
        complaint, _key = _file(client, _place(is_anonymous=True))
        for response in (_detail(client, complaint), client.get(URL)):
            body = response.json()
            shown = body["results"][0] if "results" in body else body
            assert _near(shown["latitude"], LATITUDE, ANONYMOUS_GRID_DEGREES)
            assert _near(shown["longitude"], LONGITUDE, ANONYMOUS_GRID_DEGREES)
            assert abs(Decimal(str(shown["latitude"])) - Decimal(str(LATITUDE))) > (
                PUBLIC_GRID_DEGREES / 2
            )
            assert not _leaks(response.content)

    def test_a_confidential_report_shows_no_point_to_the_public(self, client: Client) -> None:
        complaint, key = _file(client, _place(is_confidential=True))
        public = _detail(client, complaint)
        assert public.json()["latitude"] is None and public.json()["longitude"] is None
        assert not _leaks(public.content)
        private = _detail(client, complaint, key).json()
        assert (private["latitude"], private["longitude"]) == (LATITUDE, LONGITUDE)
        assert private["address"] == ADDRESS

    def test_an_archived_report_shows_no_point_to_the_public(self, client: Client) -> None:
        complaint, _key = _file(client, _place())
        Complaint.objects.filter(pk=complaint.pk).update(status="ARCHIVED")
        public = _detail(client, complaint)
        assert public.json()["latitude"] is None
        assert not _leaks(public.content)

    def test_the_private_view_gives_the_reporter_their_own_place(self, client: Client) -> None:
        complaint, key = _file(client, _place(is_anonymous=True))
        body = _detail(client, complaint, key).json()
        assert body["address"] == ADDRESS
        assert body["latitude"] == LATITUDE and body["longitude"] == LONGITUDE

    def test_the_private_view_without_a_place(self, client: Client) -> None:
        complaint, key = _file(client, api_data())
        body = _detail(client, complaint, key).json()
        assert body["address"] == "" and body["latitude"] is None and body["longitude"] is None

    def test_a_wrong_key_gets_no_place(self, client: Client) -> None:
        complaint, _key = _file(client, _place())
        response = client.get(f"{URL}{complaint.tracking_number}/", HTTP_X_ACCESS_KEY="x" * 43)
        assert response.status_code == 404
        assert not _leaks(response.content)

    def test_my_reports_give_the_owner_their_own_place(self, client: Client) -> None:
        complaint, key = _file(client, _place())
        citizen = User.objects.create_user("warga@example.id", "warga@example.id", "sandi-2026")
        mine = Client(HTTP_AUTHORIZATION=f"Token {api_token(citizen)}")
        claimed = mine.post(
            f"{URL}{complaint.tracking_number}/claim/", HTTP_X_ACCESS_KEY=key
        ).json()
        assert claimed["address"] == ADDRESS and claimed["latitude"] == LATITUDE
        (item,) = mine.get("/api/v1/me/complaints/").json()["results"]
        assert item["address"] == ADDRESS
        assert (item["latitude"], item["longitude"]) == (LATITUDE, LONGITUDE)


class TestStaffApi:
    @pytest.mark.parametrize("anonymous", [False, True])
    def test_gives_the_place_as_given(
        self, client: Client, tree: dict[str, Agency], anonymous: bool
    ) -> None:
        complaint, _key = _file(client, _place(is_anonymous=anonymous, category="kesehatan"))
        route_fully(complaint, now=timezone.now())
        officer = make_user("petugas.dinkes", tree["dinkes"])
        staff = Client(HTTP_AUTHORIZATION=f"Token {api_token(officer)}")
        response = staff.get(f"/api/v1/staff/complaints/{complaint.tracking_number}/")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["address"] == ADDRESS
        assert (body["latitude"], body["longitude"]) == (LATITUDE, LONGITUDE)
        assert body["region"] == VILLAGE
        # The place, not the person: an anonymous report's reporter stays hidden.
        assert (body["reporter"] is None) is anonymous
