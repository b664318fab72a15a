"""Issuing and revoking API keys in the Django admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from lapor.lib.tracking import hash_access_key
from open311.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    admin = User.objects.create_superuser("root", "root@example.id", "sandi-panjang-sekali")
    client.force_login(admin)
    return client


class TestApiKeyAdmin:
    def test_key_is_shown_once_and_only_its_hash_kept(self, admin_client: Client) -> None:
        response = admin_client.post(
            "/admin/open311/apikey/add/",
            {"organisation": "Aplikasi Kota Samarinda", "hourly_limit": "50"},
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        keys = re.findall(r'<code id="api-key">([A-Za-z0-9_-]{43})</code>', page)
        assert len(keys) == 1
        api_key = ApiKey.objects.get()
        assert api_key.key_hash == hash_access_key(keys[0])
        assert keys[0] not in {str(v) for v in ApiKey.objects.values_list().get()}
        assert api_key.hourly_limit == 50 and api_key.created_at is not None
        # Not in a message (a cookie) or the session, and not on any later page.
        assert not list(get_messages(response.wsgi_request))
        assert keys[0] not in str(admin_client.session.items())
        assert keys[0] not in str(response.cookies)
        for url in (f"/admin/open311/apikey/{api_key.pk}/change/", "/admin/open311/apikey/"):
            assert keys[0] not in admin_client.get(url).content.decode()

    def test_zero_per_hour_is_refused(self, admin_client: Client) -> None:
        response = admin_client.post(
            "/admin/open311/apikey/add/", {"organisation": "LSM", "hourly_limit": "0"}
        )
        assert response.status_code == 200
        assert not ApiKey.objects.exists()

    def test_revoke_action(self, admin_client: Client) -> None:
        keys = []
        for name in ("A", "B"):
            key = ApiKey(organisation=name, created_at=timezone.now())
            key.set_new_key()
            key.save()
            keys.append(key)
        response = admin_client.post(
            "/admin/open311/apikey/",
            {"action": "revoke", "_selected_action": [keys[0].pk]},
        )
        assert response.status_code == 302
        keys[0].refresh_from_db()
        keys[1].refresh_from_db()
        assert keys[0].revoked_at is not None and keys[1].revoked_at is None
        assert list(ApiKey.objects.usable()) == [keys[1]]
