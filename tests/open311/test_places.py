"""Where it happened, through Open311: ``lat``/``long`` and ``address_string`` are posted, kept
with the report, and read back only as the public may see them (``complaints.places``): the
point snapped to the public grid, never the address. Bad ones are the error list, nothing saved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from django.test import Client
from georeport import GeoReport

from complaints.models import ADDRESS_MAX_LENGTH, Complaint
from complaints.places import ANONYMOUS_GRID_DEGREES, PUBLIC_GRID_DEGREES, public_point
from open311.models import Open311Request
from tests.open311.support import BASE, errors_of, json_of, post, post_data, xml_of

VILLAGE = "64.72.01.1001"  # Rawa Makmur, Palaran, Kota Samarinda
ADDRESS = "Jl. Pahlawan 12, depan SDN 005 Rawa Makmur"
LAT, LONG = "-0.502106", "117.153709"


def _place(**overrides: Any) -> dict[str, str]:
    return {
        "attribute[region]": VILLAGE,
        "lat": LAT,
        "long": LONG,
        "address_string": ADDRESS,
        **overrides,
    }


def _within_grid(read: float, sent: str, grid: Decimal) -> bool:
    """``read`` is the centre of the grid cell ``sent`` lies in: no further than half a cell."""
    return abs(Decimal(str(read)) - Decimal(sent)) <= grid / 2 and read != float(sent)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("regions", "categories")
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_back_the_public_point_of_what_was_posted(
    live_server: Any, api_key: str, fmt: str
) -> None:
    root = f"{live_server.url}/open311/v2"
    posted = requests.post(
        f"{root}/requests.{fmt}", data=post_data(api_key=api_key, **_place()), timeout=30
    )
    assert posted.status_code == 200, posted.text
    assert ADDRESS not in posted.text and LAT not in posted.text

    complaint = Complaint.objects.select_related("region").get()
    # Kept as posted, for the staff and the reporter.
    assert complaint.address == ADDRESS
    assert (complaint.latitude, complaint.longitude) == (Decimal(LAT), Decimal(LONG))
    assert complaint.region.code == VILLAGE
    assert complaint.channel == Complaint.Channel.OPEN311

    client = GeoReport(root, jurisdiction="lapor", output_format=fmt)
    one = client.get_service_request(complaint.tracking_number)
    found = client.get_service_requests(service_code="kesehatan")
    # xmltodict reads a list of one element as that element.
    (listed,) = [found] if isinstance(found, dict) else found
    for read in (one, listed):
        assert read["service_request_id"] == complaint.tracking_number
        lat, long = float(read["lat"]), float(read["long"])
        assert _within_grid(lat, LAT, PUBLIC_GRID_DEGREES)
        assert _within_grid(long, LONG, PUBLIC_GRID_DEGREES)
        assert (Decimal(str(lat)), Decimal(str(long))) == public_point(complaint)
        assert read["address"] == "Rawa Makmur, Palaran, Kota Samarinda, Kalimantan Timur"
        assert read["address_id"] == VILLAGE
        assert "address_string" not in read

    # Nothing of the address or the exact point anywhere in what the public reads.
    for path in (
        f"requests/{complaint.tracking_number}.{fmt}",
        f"requests.{fmt}",
        f"requests.{fmt}?service_request_id={complaint.tracking_number}",
    ):
        body = requests.get(f"{root}/{path}", timeout=30).text
        assert ADDRESS not in body and "Pahlawan" not in body
        assert LAT not in body and LONG not in body and "0.5021" not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestPostedPlace:
    def test_an_anonymous_reports_point_is_coarser(self, client: Client, api_key: str) -> None:
        data = post_data(api_key=api_key, **_place(**{"attribute[anonymous]": "true"}))
        assert post(client, **data).status_code == 200
        complaint = Complaint.objects.get()
        assert complaint.is_anonymous and complaint.address == ADDRESS
        (request,) = json_of(client.get(f"{BASE}/requests/{complaint.tracking_number}.json"))
        assert _within_grid(request["lat"], LAT, ANONYMOUS_GRID_DEGREES)
        assert _within_grid(request["long"], LONG, ANONYMOUS_GRID_DEGREES)
        # The cell of 0.01°: further from the point than the named reporter's cell may be.
        assert abs(Decimal(str(request["lat"])) - Decimal(LAT)) > PUBLIC_GRID_DEGREES / 2

    def test_xml_gives_the_public_point_as_text(self, client: Client, api_key: str) -> None:
        assert post(client, **post_data(api_key=api_key, **_place())).status_code == 200
        complaint = Complaint.objects.get()
        (request,) = xml_of(client.get(f"{BASE}/requests/{complaint.tracking_number}.xml"))
        expected = public_point(complaint)
        assert expected is not None
        assert Decimal(request.findtext("lat")) == expected[0]
        assert Decimal(request.findtext("long")) == expected[1]
        assert request.find("address_string") is None

    def test_without_a_point_lat_and_long_are_empty(self, client: Client, api_key: str) -> None:
        data = post_data(api_key=api_key, address_string=ADDRESS)
        assert post(client, **data).status_code == 200
        complaint = Complaint.objects.get()
        assert complaint.latitude is None and complaint.address == ADDRESS
        (request,) = json_of(client.get(f"{BASE}/requests.json"))
        assert request["lat"] is None and request["long"] is None

    def test_an_archived_report_read_by_number_has_no_point(
        self, client: Client, api_key: str
    ) -> None:
        assert post(client, **post_data(api_key=api_key, **_place())).status_code == 200
        complaint = Complaint.objects.get()
        Complaint.objects.filter(pk=complaint.pk).update(status="ARCHIVED")
        (request,) = json_of(client.get(f"{BASE}/requests/{complaint.tracking_number}.json"))
        assert request["lat"] is None and request["long"] is None

    def test_the_address_is_kept_with_its_spaces_tidied(self, client: Client, api_key: str) -> None:
        data = post_data(api_key=api_key, address_string="  Jl. Pahlawan   12\n depan SDN 005 ")
        assert post(client, **data).status_code == 200
        assert Complaint.objects.get().address == "Jl. Pahlawan 12 depan SDN 005"

    def test_an_address_of_the_longest_length_is_kept(self, client: Client, api_key: str) -> None:
        address = "J" * ADDRESS_MAX_LENGTH
        assert post(client, **post_data(api_key=api_key, address_string=address)).status_code == 200
        assert Complaint.objects.get().address == address

    def test_the_definition_says_what_is_kept_and_what_is_read(self, client: Client) -> None:
        definition = json_of(
            client.get(f"{BASE}/services/kesehatan.json", HTTP_ACCEPT_LANGUAGE="en")
        )
        region = next(a for a in definition["attributes"] if a["code"] == "region")
        assert "64.72.01.1001" in region["datatype_description"]
        assert "not kept" not in region["description"]
        assert "address_string" in region["description"] and "220 m" in region["description"]


@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestBadPlace:
    @pytest.mark.parametrize(
        ("overrides", "parameter"),
        [
            ({"lat": LAT, "long": None}, "lat, long"),
            ({"lat": None, "long": LONG}, "lat, long"),
            ({"lat": "", "long": LONG}, "lat, long"),
            ({"lat": "-90.5", "long": LONG}, "lat, long"),
            ({"lat": LAT, "long": "180.01"}, "lat, long"),
            ({"lat": "NaN", "long": LONG}, "lat, long"),
            ({"lat": LAT, "long": "inf"}, "lat, long"),
            ({"lat": "1e400", "long": LONG}, "lat, long"),
            ({"lat": "-0,502106", "long": LONG}, "lat, long"),
            ({"lat": "utara", "long": "timur"}, "lat, long"),
            ({"address_string": "J" * (ADDRESS_MAX_LENGTH + 1)}, "address_string"),
            ({"address_string": "Jl. Pahlawan\x00 12"}, "address_string"),
            ({"address_string": "Jl. Pahlawan\x1b[31m 12"}, "address_string"),
        ],
    )
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_is_the_error_list_and_nothing_is_saved(
        self, client: Client, api_key: str, overrides: dict[str, Any], parameter: str, fmt: str
    ) -> None:
        data = post_data(api_key=api_key, **{**_place(), **overrides})
        response = post(client, fmt, **data)
        assert response.status_code == 400
        ((code, description),) = errors_of(response, fmt)
        assert code == "400"
        assert description.startswith(f"{parameter}: ")
        assert not Complaint.objects.exists()
        assert not Open311Request.objects.exists()

    def test_the_ends_of_the_globe_are_points(self, client: Client, api_key: str) -> None:
        data = post_data(api_key=api_key, lat="-90", long="180")
        assert post(client, **data).status_code == 200
        complaint = Complaint.objects.get()
        assert (complaint.latitude, complaint.longitude) == (Decimal("-90"), Decimal("180"))
