"""API tokens: issued in the admin, shown once on the page answering the form (never in a
message or cookie), stored only as a digest, refused after their expiry or once deleted."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from routing.models import Agency
from tests.helpers import make_user

pytestmark = pytest.mark.django_db
INBOX = "/api/v1/staff/complaints/"


@pytest.fixture
def officer(tree: dict[str, Agency]) -> User:
    return make_user("petugas.api", tree["dinkes"])


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.id", "sandi-akar-2026"))
    return client


def with_token(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_issued_once_kept_as_a_digest(admin_client: Client, officer: User) -> None:
    response = admin_client.post("/admin/knox/authtoken/add/", {"user": officer.pk, "days": "30"})
    assert response.status_code == 200
    (token,) = re.findall(r'<code id="api-token">([0-9a-f]{64})</code>', response.content.decode())
    assert not any(token in value for value in response.cookies.values())  # no message cookie
    stored = AuthToken.objects.get(user=officer)
    assert token not in {str(v) for v in AuthToken.objects.values_list().get()}
    assert stored.token_key == token[:15] and len(stored.digest) == 128
    expiry = stored.expiry
    assert expiry is not None
    assert dt.timedelta(days=29) < expiry - timezone.now() <= dt.timedelta(days=30)
    # It works, and the admin never shows it again.
    assert with_token(token).get(INBOX).status_code == 200
    listing = admin_client.get("/admin/knox/authtoken/").content.decode()
    detail = admin_client.get(f"/admin/knox/authtoken/{stored.pk}/change/").content.decode()
    assert token not in listing and token not in detail


def test_refused_after_expiry_or_deletion(officer: User, settings: Any) -> None:
    assert settings.LAPOR_API_TOKEN_DAYS == 90
    _expired, expired = AuthToken.objects.create(user=officer, expiry=dt.timedelta(seconds=-1))
    assert with_token(expired).get(INBOX).status_code == 401
    instance, token = AuthToken.objects.create(user=officer)
    assert with_token(token).get(INBOX).status_code == 200
    instance.delete()
    assert with_token(token).get(INBOX).status_code == 401
    assert with_token("0" * 64).get(INBOX).status_code == 401
