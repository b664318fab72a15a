"""Optional citizen accounts: register, confirm, log in, my reports, claim by private link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from complaints.models import Complaint
from complaints.services import SubmissionReceipt
from complaints.tasks import send_activation_email_task
from lapor import queue
from routing.models import Agency, Officer
from tests.helpers import form_data

PASSWORD = "sandi-warga-panjang-2026"
Published = Callable[[str], list[dict[str, Any]]]


def register(
    client: Client, capture: Any, published: Published, email: str = "warga@example.id"
) -> User:
    """Register through the form; the activation e-mail published after commit is sent."""
    with capture(execute=True):
        response = client.post(
            "/akun/daftar/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
        )
    assert response.status_code == 200
    queued = published(queue.ACTIVATION)
    while queued:
        send_activation_email_task(**queued.pop(0))
    return User.objects.get(username=email.lower())


def activation_link() -> str:
    (message,) = mail.outbox
    match = re.search(r"https?://[^/\s]+(/akun/aktifkan/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def log_in(client: Client, email: str = "warga@example.id") -> None:
    response = client.post("/akun/masuk/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.django_db
class TestRegister:
    def test_register_confirm_and_log_in(
        self,
        client: Client,
        django_capture_on_commit_callbacks: Any,
        published: Published,
    ) -> None:
        user = register(client, django_capture_on_commit_callbacks, published, "Warga@Example.id")
        assert not user.is_active and user.email == "warga@example.id"
        # Not before the address is confirmed.
        assert (
            client.post(
                "/akun/masuk/", {"username": "warga@example.id", "password": PASSWORD}
            ).status_code
            == 200
        )
        response = client.get(activation_link())
        assert response.status_code == 302
        assert User.objects.get(pk=user.pk).is_active
        log_in(client)
        assert client.get("/akun/laporan/").status_code == 200

    def test_refusals(
        self,
        client: Client,
        django_capture_on_commit_callbacks: Any,
        published: Published,
    ) -> None:
        register(client, django_capture_on_commit_callbacks, published)
        again = client.post(
            "/akun/daftar/",
            {"email": "WARGA@example.id", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert again.status_code == 400
        weak = client.post(
            "/akun/daftar/", {"email": "b@example.id", "password1": "123", "password2": "123"}
        )
        assert weak.status_code == 400
        differ = client.post(
            "/akun/daftar/",
            {"email": "c@example.id", "password1": PASSWORD, "password2": PASSWORD + "x"},
        )
        assert differ.status_code == 400
        assert User.objects.count() == 1
        assert client.get("/akun/aktifkan/bukan-token-yang-sah/").status_code == 400

    def test_a_link_never_activates_a_staff_account(
        self, client: Client, tree: dict[str, Agency]
    ) -> None:
        from django.core import signing

        from complaints.emails import ACTIVATION_SALT

        officer = User.objects.create_user("petugas", "p@example.go.id", PASSWORD, is_active=False)
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        token = signing.dumps(officer.pk, salt=ACTIVATION_SALT)
        assert client.get(f"/akun/aktifkan/{token}/").status_code == 400
        assert not User.objects.get(pk=officer.pk).is_active


@pytest.fixture
def citizen(client: Client) -> User:
    user = User.objects.create_user("warga@example.id", "warga@example.id", PASSWORD)
    log_in(client)
    return user


@pytest.mark.django_db
class TestMyReports:
    def test_a_report_filed_while_logged_in_is_mine(
        self, client: Client, citizen: User, regions: None, categories: None
    ) -> None:
        response = client.post("/lapor/", form_data())
        assert response.status_code == 302
        complaint = Complaint.objects.get()
        assert complaint.owner_id == citizen.pk
        assert complaint.tracking_number in client.get("/akun/laporan/").content.decode()
        assert (
            complaint.tracking_number
            not in Client().get("/akun/laporan/", follow=True).content.decode()
        )

    def test_claim_with_the_private_link(
        self, client: Client, citizen: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        url = f"/lacak/{receipt.complaint.tracking_number}/{receipt.access_key}/klaim/"
        assert client.post(url).status_code == 302
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == citizen.pk
        assert receipt.complaint.tracking_number in client.get("/akun/laporan/").content.decode()
        # Another account cannot take it over, and a wrong key claims nothing.
        other = Client()
        User.objects.create_user("lain@example.id", "lain@example.id", PASSWORD)
        log_in(other, "lain@example.id")
        other.post(url)
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == citizen.pk
        wrong = f"/lacak/{receipt.complaint.tracking_number}/{'x' * 43}/klaim/"
        assert other.post(wrong).status_code == 404

    def test_logged_out_visitors_are_sent_to_log_in(self) -> None:
        response = Client().get("/akun/laporan/")
        assert response.status_code == 302 and response["Location"].startswith("/akun/masuk/")
