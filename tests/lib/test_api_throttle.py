"""The API's request limit: per signed-in user, else per address; 429 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from routing.models import Officer
from tests.helpers import api_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"  # public: counted per address
INBOX = "/api/v1/staff/complaints/"  # signed in: counted per user


@pytest.fixture(autouse=True)
def _fresh_counters(settings) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
    """Counters start at zero, in the cache (emptied per test) or in Redis."""
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()


def token_client(username: str, agency: Any) -> Client:
    """An officer's program, signed in by token (the staff API reads it)."""
    user = User.objects.create_user(username, password="sandi-panjang-sekali")
    Officer.objects.create(user=user, agency=agency)
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(user)}"
    return client


class TestApiRateThrottle:
    def test_per_address_without_a_user(self, client: Client, settings) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        settings.LAPOR_API_ADDRESS_RATE = "3/m"
        assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get(URL)
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert refused.json()["detail"]
        # Another address has its own budget.
        assert client.get(URL, REMOTE_ADDR="10.0.0.9").status_code == 200

    def test_an_ipv6_subscriber_is_one_address(self, client: Client, settings) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        settings.LAPOR_API_ADDRESS_RATE = "3/m"
        senders = ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:abcd::9"]
        assert [client.get(URL, REMOTE_ADDR=s).status_code for s in senders] == [200] * 3
        assert client.get(URL, REMOTE_ADDR="2001:db8:7:1::77").status_code == 429
        # The next /64 is another subscriber.
        assert client.get(URL, REMOTE_ADDR="2001:db8:7:2::1").status_code == 200

    def test_per_user_whatever_the_address(self, settings, tree: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        settings.LAPOR_API_USER_RATE = "2/m"
        settings.LAPOR_API_ADDRESS_RATE = "1000/m"
        first = token_client("satu", tree["dinkes"])
        second = token_client("dua", tree["dinkes"])
        assert [first.get(INBOX).status_code for _ in range(2)] == [200, 200]
        assert first.get(INBOX, REMOTE_ADDR="10.0.0.7").status_code == 429
        assert second.get(INBOX).status_code == 200

    def test_every_operation_documents_429(self, client: Client) -> None:
        schema = client.get("/api/schema/?format=json").json()
        operations = [op for path in schema["paths"].values() for op in path.values()]
        assert operations
        assert all("429" in op["responses"] for op in operations)
