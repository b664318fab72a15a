"""Helpers of the Open311 tests: a valid post, and readers of both output formats."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from defusedxml import ElementTree
from django.test import Client
from django.utils import timezone

BASE = "/open311/v2"


def post_data(**overrides: Any) -> dict[str, str]:
    """A valid form-encoded POST Service Request, without the key; None drops a field."""
    data: dict[str, Any] = {
        "service_code": "kesehatan",
        "description": "Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00.",
        "first_name": "Siti",
        "last_name": "Aminah",
        "email": "siti@example.id",
        "phone": "0812 3456 7890",
        "attribute[kind]": "COMPLAINT",
        "attribute[title]": "Puskesmas tutup di jam layanan",
        "attribute[region]": "64.72.01",
        "attribute[incident_date]": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def xml_of(response: Any) -> Any:
    """The response parsed as XML, after checking its declaration and content type."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def json_of(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def errors_of(response: Any, fmt: str) -> list[tuple[str, str]]:
    """The spec's error list as (code, description) pairs, from either format."""
    if fmt == "xml":
        root = xml_of(response)
        assert root.tag == "errors"
        return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]
    return [(str(e["code"]), e["description"]) for e in json_of(response)]


def post(client: Client, fmt: str = "json", **data: str) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data)
