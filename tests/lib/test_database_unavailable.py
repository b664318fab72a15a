"""A database that cannot be reached (PostgreSQL restarting) is a 503 with Retry-After in the
visitor's language, on the web form, the REST API and Open311 alike: told to send it again,
never a 500, and nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint, Message
from open311.models import ApiKey
from tests.helpers import api_data, form_data
from tests.open311.support import post, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]


@pytest.fixture
def database_restarting(monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    # Where the submission writes its report: what the three doors share.
    monkeypatch.setattr(Complaint.objects, "create_with_tracking_number", lost)


@pytest.mark.usefixtures("database_restarting")
class TestServiceUnavailable:
    def test_the_web_form(self, client: Client) -> None:
        response = client.post("/lapor/", form_data())
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "Silakan kirim lagi" in response.content.decode()

    def test_the_api(self, client: Client) -> None:
        response = client.post(
            "/api/v1/complaints/",
            json.dumps(api_data()),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="id",
        )
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "coba lagi" in response.json()["detail"]

    def test_open311(self, client: Client) -> None:
        key = ApiKey(organisation="Aplikasi Kota", created_at=timezone.now())
        plain = key.set_new_key()
        key.save()
        response = post(client, **post_data(api_key=plain))
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        (error,) = response.json()
        assert error["code"] == 503

    def test_nothing_is_stored(self, client: Client) -> None:
        client.post("/lapor/", form_data())
        assert not Complaint.objects.exists()
        assert not Message.objects.exists()
