"""The national coordinator's dead-letter list: messages given up on, sent again on request;
no other agency sees it, and no error text (which can hold an address) is shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from complaints.models import Message
from tests.helpers import NOW, deliver_pending, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead(submit: Any, tree: dict[str, Any]) -> Message:
    receipt = submit()
    row = Message.objects.get(key=f"receipt:{receipt.complaint.pk}")
    Message.objects.filter(pk=row.pk).update(
        failed_at=NOW,
        attempts=8,
        error="SMTPRecipientsRefused: {'siti@example.id': (550, b'no such user')}",
    )
    row.refresh_from_db()
    return row


def _client(agency: Any) -> Client:
    client = Client()
    client.force_login(make_user(f"officer-{agency.code}", agency=agency))
    return client


class TestTheList:
    def test_shows_the_message_without_its_error_text(
        self, dead: Message, tree: dict[str, Any]
    ) -> None:
        client = _client(tree["national"])
        page = client.get("/dashboard/pesan-gagal/")
        assert page.status_code == 200
        html = page.content.decode()
        assert dead.complaint.tracking_number in html
        assert "SMTPRecipientsRefused" in html
        assert "siti@example.id" not in html
        assert "/dashboard/pesan-gagal/" in client.get("/dashboard/").content.decode()

    @pytest.mark.parametrize("agency", ["kaltim", "samarinda", "dinkes"])
    def test_only_the_national_coordinator(
        self, dead: Message, tree: dict[str, Any], agency: str
    ) -> None:
        client = _client(tree[agency])
        assert client.get("/dashboard/pesan-gagal/").status_code == 403
        assert client.post(f"/dashboard/pesan-gagal/{dead.pk}/kirim-ulang/").status_code == 403
        assert Message.objects.dead().count() == 1
        assert "/dashboard/pesan-gagal/" not in client.get("/dashboard/").content.decode()

    def test_send_again(self, dead: Message, tree: dict[str, Any]) -> None:
        client = _client(tree["national"])
        response = client.post(f"/dashboard/pesan-gagal/{dead.pk}/kirim-ulang/", follow=True)
        assert response.status_code == 200
        assert not Message.objects.dead().exists()
        deliver_pending(now=timezone.now() + dt.timedelta(minutes=1), kinds=("receipt",))
        assert len(mail.outbox) == 1
        # A second press finds it gone from the list and changes nothing.
        again = client.post(f"/dashboard/pesan-gagal/{dead.pk}/kirim-ulang/", follow=True)
        assert again.status_code == 200
        assert len(mail.outbox) == 1

    def test_a_get_does_not_send(self, dead: Message, tree: dict[str, Any]) -> None:
        client = _client(tree["national"])
        assert client.get(f"/dashboard/pesan-gagal/{dead.pk}/kirim-ulang/").status_code == 405
        assert Message.objects.dead().count() == 1
