"""Optional citizen accounts: register, confirm, log in, my reports, claim by private link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from complaints.models import Complaint, Message
from complaints.services import ACCOUNT_EMAIL_WINDOW, SubmissionReceipt
from complaints.tasks import send_message_task
from complaints.tokens import activation_tokens
from lapor import queue
from routing.models import Agency, Officer
from tests.helpers import CLOCK, form_data

PASSWORD = "sandi-warga-panjang-2026"
Published = Callable[[str], list[dict[str, Any]]]
ACCOUNT_KINDS = {
    Message.Kind.ACTIVATION,
    Message.Kind.ACCOUNT_EXISTS,
    Message.Kind.PASSWORD_RESET,
}


def run_mail(published: Published) -> None:
    """Send the account e-mails published so far, as the mail worker would."""
    queued = published(queue.SEND_MESSAGE)
    while queued:
        message_id = queued.pop(0)["message_id"]
        assert Message.objects.get(pk=message_id).kind in ACCOUNT_KINDS
        send_message_task(message_id=message_id)


def register(
    client: Client, capture: Any, published: Published, email: str = "warga@example.id"
) -> Any:
    """Ask for an account through the form; the e-mails published after commit are sent."""
    with capture(execute=True):
        response = client.post("/akun/daftar/", {"email": email})
    run_mail(published)
    return response


def link_in(message: mail.EmailMessage, word: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/akun/{word}/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def choose_password(client: Client, link: str, password: str = PASSWORD) -> Any:
    """Open a one-time link (Django moves its token into the session) and set the password."""
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert b"new_password1" in form_page.content, form_page.content.decode()[:800]
    url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    return client.post(url, {"new_password1": password, "new_password2": password})


def log_in(client: Client, email: str = "warga@example.id", password: str = PASSWORD) -> None:
    response = client.post("/akun/masuk/", {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]


def cannot_log_in(email: str, password: str) -> bool:
    client = Client()
    response = client.post("/akun/masuk/", {"username": email, "password": password})
    return response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


@pytest.mark.django_db
class TestRegister:
    def test_register_confirm_with_a_password_and_log_in(
        self, client: Client, capture: Any, published: Published
    ) -> None:
        response = register(client, capture, published, "Warga@Example.id")
        assert response.status_code == 200
        assert "Periksa email Anda" in response.content.decode()
        user = User.objects.get(username="warga@example.id")
        assert not user.is_active and not user.has_usable_password()
        (message,) = mail.outbox
        assert message.to == ["warga@example.id"]
        link = link_in(message, "aktifkan")
        done = choose_password(client, link)
        assert done.status_code == 302 and done["Location"] == "/akun/masuk/"
        user.refresh_from_db()
        assert user.is_active and user.check_password(PASSWORD)
        log_in(client)
        assert client.get("/akun/laporan/").status_code == 200
        # The link worked once.
        again = Client().get(link, follow=True)
        assert "Tautan ini tidak berlaku" in again.content.decode()
        assert b"new_password1" not in again.content

    def test_the_form_does_not_say_which_addresses_have_accounts(
        self, client: Client, capture: Any, published: Published
    ) -> None:
        User.objects.create_user("ada@example.id", "ada@example.id", PASSWORD)
        known = register(client, capture, published, "ADA@example.id")
        unknown = register(Client(), capture, published, "baru@example.id")
        assert known.status_code == unknown.status_code == 200
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
        assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())
        # What differs goes to the address itself.
        to_known, to_new = mail.outbox
        assert to_known.to == ["ada@example.id"] and "/akun/sandi/lupa/" in to_known.body
        assert "/akun/aktifkan/" not in to_known.body
        assert to_new.to == ["baru@example.id"] and "/akun/aktifkan/" in to_new.body
        assert User.objects.filter(username__iexact="ada@example.id").count() == 1

    def test_registering_someone_elses_address_gives_no_way_in(
        self, capture: Any, published: Published
    ) -> None:
        """The attacker registers the victim's address: there is no password to know, and the
        password is the one the victim chooses through the link in the victim's mailbox."""
        attacker = Client(REMOTE_ADDR="203.0.113.66")
        # The start of a window of account e-mails (a fixed moment: not the day the test runs).
        start = CLOCK.timestamp() // ACCOUNT_EMAIL_WINDOW * ACCOUNT_EMAIL_WINDOW
        with time_machine.travel(start, tick=False) as clock:
            register(attacker, capture, published, "korban@example.id")
            for guess in (PASSWORD, "", "korban@example.id"):
                assert cannot_log_in("korban@example.id", guess)
            # Asked again at once, over and over: the address gets no flood of links.
            clock.shift(ACCOUNT_EMAIL_WINDOW - 1)
            for _ in range(3):
                register(attacker, capture, published, "korban@example.id")
            assert len(mail.outbox) == 1
            # Registering again later sends the victim a link again; the victim confirms.
            clock.shift(1)
            register(attacker, capture, published, "korban@example.id")
            first, second = mail.outbox
            assert first.to == second.to == ["korban@example.id"]
            victim = Client()
            choose_password(victim, link_in(second, "aktifkan"), "sandi-milik-korban-2026")
        assert cannot_log_in("korban@example.id", PASSWORD)
        log_in(victim, "korban@example.id", "sandi-milik-korban-2026")

    def test_refusals(self, client: Client) -> None:
        for body in ({"email": "bukan alamat"}, {"email": ""}, {}):
            assert client.post("/akun/daftar/", body).status_code == 400
        assert not User.objects.exists()
        assert Client().get("/akun/aktifkan/MQ/<script>/").status_code == 404
        bad = Client().get("/akun/aktifkan/MQ/bukan-token/", follow=True)
        assert bad.status_code == 200 and b"new_password1" not in bad.content
        assert "Tautan ini tidak berlaku" in bad.content.decode()

    def test_a_link_never_activates_a_deactivated_or_staff_account(
        self, client: Client, capture: Any, published: Published, tree: dict[str, Agency]
    ) -> None:
        register(client, capture, published)
        user = User.objects.get(username="warga@example.id")
        link = link_in(mail.outbox[0], "aktifkan")
        # An administrator sets it up and deactivates it before the link is opened.
        user.set_password("sandi-dari-admin-2026")
        user.save()
        assert b"new_password1" not in Client().get(link, follow=True).content
        User.objects.filter(pk=user.pk).update(is_active=False)
        register(client, capture, published)  # asking again sends nothing
        assert len(mail.outbox) == 1
        assert b"new_password1" not in Client().get(link, follow=True).content
        assert not User.objects.get(pk=user.pk).is_active
        # A staff account awaiting nothing is never activated either.
        officer = User.objects.create_user("petugas@example.go.id", "petugas@example.go.id")
        officer.is_active = False
        officer.save()
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        token = activation_tokens.make_token(officer)
        uid = urlsafe_base64_encode(force_bytes(officer.pk))
        page = Client().get(f"/akun/aktifkan/{uid}/{token}/", follow=True)
        assert b"new_password1" not in page.content
        assert not User.objects.get(pk=officer.pk).is_active


@pytest.mark.django_db
class TestPasswordReset:
    @pytest.mark.parametrize("staff", [False, True], ids=["citizen", "officer"])
    def test_a_forgotten_password_is_reset_through_a_one_time_link(
        self, capture: Any, published: Published, tree: dict[str, Agency], staff: bool
    ) -> None:
        user = User.objects.create_user("lupa@example.id", "lupa@example.id", PASSWORD)
        if staff:
            Officer.objects.create(user=user, agency=tree["dinkes"])
        client = Client()
        with capture(execute=True):
            asked = client.post("/akun/sandi/lupa/", {"email": "LUPA@example.id"})
            unknown = Client().post("/akun/sandi/lupa/", {"email": "siapa@example.id"})
        assert asked.status_code == unknown.status_code == 302
        assert asked["Location"] == unknown["Location"] == "/akun/sandi/terkirim/"
        run_mail(published)
        (message,) = mail.outbox
        assert message.to == ["lupa@example.id"]
        link = link_in(message, "sandi/atur")
        done = choose_password(client, link, "sandi-baru-yang-panjang-2026")
        assert done.status_code == 302 and done["Location"] == "/akun/sandi/selesai/"
        assert User.objects.get(pk=user.pk).check_password("sandi-baru-yang-panjang-2026")
        assert b"new_password1" not in Client().get(link, follow=True).content

    def test_every_login_page_links_to_it(self) -> None:
        for page in ("/akun/masuk/", "/dashboard/login/"):
            assert 'href="/akun/sandi/lupa/"' in Client().get(page).content.decode(), page
        admin_login = Client().get("/admin/login/").content.decode()
        assert 'href="/admin/password_reset/"' in admin_login
        assert Client().get("/admin/password_reset/")["Location"] == "/akun/sandi/lupa/"


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
