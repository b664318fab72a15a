"""Where it happened, on the staff entry form: the village, the address or landmark and the
coordinates a citizen shared, recorded through the one door as the web form's are; bad ones
come back on their field with nothing saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from complaints.models import ADDRESS_MAX_LENGTH, Complaint
from dashboard.forms import parse_coordinates
from routing.models import Agency
from tests.dashboard.test_staff_entry import ENTER, NOW, TITLE, entry, logged_in
from tests.helpers import make_user

pytestmark = pytest.mark.django_db

VILLAGE = "64.72.01.1001"  # Rawa Makmur, in Palaran
ADDRESS = "Jl. Pahlawan 12, depan SDN 005"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officer(tree: dict[str, Agency]) -> User:
    return make_user("petugas.dinkes", tree["dinkes"])


def _record(officer: User, **overrides: Any) -> Any:
    return logged_in(officer).post(ENTER, entry(**overrides))


class TestTheFormAsksWhere:
    def test_it_offers_the_village_the_address_and_the_coordinates(self, officer: User) -> None:
        body = logged_in(officer).get(ENTER).content.decode()
        for name in ("village", "address", "coordinates"):
            assert re.search(rf'name="{name}"', body), name
        assert 'maxlength="200"' in body  # the address

    def test_without_javascript_the_district_shows_its_villages(self, officer: User) -> None:
        response = logged_in(officer).post(
            ENTER,
            entry(_refresh="district", address=ADDRESS, coordinates="-0.502106, 117.153709"),
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert f'<option value="{VILLAGE}">Rawa Makmur</option>' in body
        # What was typed comes back, and nothing was recorded.
        assert ADDRESS in body and "-0.502106, 117.153709" in body
        assert not Complaint.objects.exists()


class TestRecordingWhere:
    def test_the_village_address_and_point_are_kept(self, officer: User) -> None:
        response = _record(
            officer, village=VILLAGE, address=ADDRESS, coordinates=" -0.502106 , 117.153709 "
        )
        assert response.status_code == 302, response.context["form"].errors
        complaint = Complaint.objects.get(title=TITLE)
        assert complaint.region_id == VILLAGE
        assert complaint.address == ADDRESS
        assert complaint.latitude == Decimal("-0.502106")
        assert complaint.longitude == Decimal("117.153709")
        assert complaint.channel == Complaint.Channel.PHONE

    def test_decimal_commas_with_a_semicolon_between(self, officer: User) -> None:
        assert _record(officer, coordinates="-0,502106; 117,153709").status_code == 302
        complaint = Complaint.objects.get(title=TITLE)
        assert (complaint.latitude, complaint.longitude) == (
            Decimal("-0.502106"),
            Decimal("117.153709"),
        )

    def test_all_of_it_is_optional(self, officer: User) -> None:
        assert _record(officer).status_code == 302
        complaint = Complaint.objects.get(title=TITLE)
        assert complaint.region_id == "64.72.01"
        assert complaint.address == "" and complaint.latitude is None

    def test_an_anonymous_reports_place_is_kept_too(self, officer: User) -> None:
        response = _record(officer, is_anonymous="on", address=ADDRESS, coordinates="-0.5, 117.1")
        assert response.status_code == 302
        complaint = Complaint.objects.get(title=TITLE)
        assert complaint.is_anonymous and complaint.address == ADDRESS
        assert complaint.latitude == Decimal("-0.5")


class TestBadWhere:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"coordinates": "-0.502106"}, "coordinates"),
            ({"coordinates": "91, 117"}, "coordinates"),
            ({"coordinates": "-0.5, 181"}, "coordinates"),
            ({"coordinates": "nan, 117"}, "coordinates"),
            ({"coordinates": "-0,5, 117,1"}, "coordinates"),
            ({"coordinates": "utara, timur"}, "coordinates"),
            ({"coordinates": "-0.5\x00, 117.1"}, "coordinates"),
            ({"coordinates": "1" * 61}, "coordinates"),
            ({"village": "64.72.02.1001"}, "village"),  # in Samarinda Seberang, not Palaran
            ({"village": VILLAGE, "district": None}, "village"),
            ({"village": "99.99.99.9999"}, "village"),
            ({"address": "J" * (ADDRESS_MAX_LENGTH + 1)}, "address"),
            ({"address": "Jl. Pahlawan \x00 12"}, "address"),
            ({"address": "Jl. Pahlawan \x1b[31m 12"}, "address"),
        ],
    )
    def test_comes_back_on_its_field_and_nothing_is_saved(
        self, officer: User, overrides: dict[str, Any], field: str
    ) -> None:
        response = _record(officer, **overrides)
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert not Complaint.objects.exists()

    def test_the_coordinates_message_shows_an_example(self, officer: User) -> None:
        response = _record(officer, coordinates="di depan pasar")
        (message,) = response.context["form"].errors["coordinates"]
        assert "-0.502106, 117.153709" in message


class TestParseCoordinates:
    @pytest.mark.parametrize(
        ("text", "point"),
        [
            ("-0.502106, 117.153709", (-0.502106, 117.153709)),
            ("-0.502106 117.153709", (-0.502106, 117.153709)),
            ("-0.502106,117.153709", (-0.502106, 117.153709)),
            ("-0,502106; 117,153709", (-0.502106, 117.153709)),
            ("+1, -2", (1.0, -2.0)),
            ("-90, 180", (-90.0, 180.0)),
            ("-90.000001, 180", None),
            ("1e2, 3", None),
            ("-0.5,, 117", None),
            ("-0.5, 117, 3", None),
            ("", None),
        ],
    )
    def test_reads_what_map_apps_show(self, text: str, point: tuple[float, float] | None) -> None:
        assert parse_coordinates(text) == point
