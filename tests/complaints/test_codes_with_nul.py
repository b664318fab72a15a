"""A code with a NUL (which PostgreSQL refuses with an error) is bad input, never a 500: in the
API's JSON and in the web form, for the category and the region (found by schemathesis on
PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.helpers import api_data, form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]


@pytest.mark.parametrize("field", ["category", "region"])
@pytest.mark.parametrize("value", ["kesehatan\x00", "\ud83d", 12, "x" * 500])
def test_the_api_answers_400(client: Client, field: str, value: object) -> None:
    body = json.dumps({**api_data(), field: value}, ensure_ascii=True)
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("field", ["category", "province", "regency", "district"])
def test_the_form_answers_with_its_errors(client: Client, field: str) -> None:
    response = client.post("/lapor/", form_data(**{field: "64\x00"}))
    assert response.status_code in (200, 400)
    assert field in response.context["form"].errors
