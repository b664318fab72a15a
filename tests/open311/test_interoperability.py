"""Our server driven by independent Open311 clients over real HTTP.

Reading: ``georeport`` (PyPI), a GeoReport v2 client that parses XML with ``xmltodict``. It has
no method to post; of the other clients on PyPI, ``open311`` 1.1 and ``three`` 0.8 are Python 2
code that cannot be imported on Python 3 (``open311`` would also shadow our app's name), so
posting is done with plain ``requests``, form-encoded as the spec says.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from georeport import GeoReport

from complaints.models import Complaint
from tests.open311.support import post_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("regions", "categories"),
]


def _post(root: str, fmt: str, api_key: str, **overrides: str) -> requests.Response:
    data = post_data(api_key=api_key, **overrides)
    return requests.post(f"{root}/requests.{fmt}", data=data, timeout=30)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_what_requests_posted(
    live_server: Any, api_key: str, fmt: str
) -> None:
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, jurisdiction="lapor", output_format=fmt)

    services = client.get_service_list()
    health = next(s for s in services if s["service_code"] == "kesehatan")
    assert str(health["metadata"]).lower() == "true"

    definition = client.get_service_definition("kesehatan")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes][:3] == ["kind", "title", "region"]

    posted = _post(root, fmt, api_key)
    assert posted.status_code == 200, posted.text
    if fmt == "json":
        number = posted.json()[0]["service_request_id"]
    else:
        number = xmltodict.parse(posted.content)["service_requests"]["request"][
            "service_request_id"
        ]
    assert Complaint.objects.filter(tracking_number=number).exists()
    second = _post(root, fmt, api_key, **{"attribute[kind]": "ASPIRATION"})
    assert second.status_code == 200

    listed = client.get_service_requests(status="open", service_code="kesehatan")
    assert len(listed) == 2 and number in {r["service_request_id"] for r in listed}

    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["service_code"] == "kesehatan"
    assert one["status"] == "open"


def test_refusals_reach_a_client_as_the_error_list(live_server: Any, api_key: str) -> None:
    root = f"{live_server.url}/open311/v2"
    refused = _post(root, "xml", api_key + "x")
    assert refused.status_code == 403
    error = xmltodict.parse(refused.content)["errors"]["error"]
    assert error["code"] == "403"
    with pytest.raises(requests.HTTPError):
        GeoReport(root, jurisdiction="kota-lain").get_service_list()
