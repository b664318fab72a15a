"""Logging in: citizens with the e-mail address their account was made for (any case, spaces
around it), staff with their username or their e-mail address where it names one account;
django-axes counting every spelling against the one account. And every password page: its
fields' type and ``autocomplete``, the show/hide button's script and labels, and its errors in
the summary at the top of the form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from complaints import services
from complaints.tokens import activation_tokens
from routing.models import Agency, Officer
from tests.helpers import in_indonesian, lockout_text

pytestmark = pytest.mark.django_db

CITIZEN_LOGIN = "/akun/masuk/"
STAFF_LOGIN = "/dashboard/login/"
PASSWORD = "sandi-warga-panjang-2026"
STAFF_PASSWORD = "kopi-tubruk-samarinda-2026"
# Documentation addresses (RFC 5737): they only tell clients apart.
HOME, OFFICE = "192.0.2.10", "198.51.100.20"
CITIZEN_WRONG = (
    "The e-mail address or the password is not right. Capital letters in the password count. "
    "A new account works only after you open the link we sent to your e-mail."
)
STAFF_WRONG = (
    "Please enter a correct username and password. Note that both fields may be case-sensitive."
)


def citizen(address: str = "warga@example.id", password: str = PASSWORD) -> User:
    """A citizen account made as the site makes one: asked for, then confirmed through the
    link, which sets the password."""
    services.request_registration(email=address)
    user = User.objects.get(username=address.strip().lower())
    return services.activate_citizen(user=user, password=password)


def officer(username: str, email: str, agency: Agency) -> User:
    user = User.objects.create_user(username, email, STAFF_PASSWORD)
    Officer.objects.create(user=user, agency=agency)
    return user


def logged_in_as(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def summary_html(body: str) -> str:
    """The error summary at the top of the form."""
    found = re.search(r'<div class="error-summary"[^>]*data-error-summary>(.*?)</div>', body, re.S)
    assert found, "no error summary"
    return found.group(1)


def summary(body: str) -> str:
    """The error summary's words, tags removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", summary_html(body)).split())


def input_tag(body: str, name: str) -> str:
    found = re.search(rf'<input[^>]* name="{name}"[^>]*>', body)
    assert found, f"no input {name}"
    return found.group(0)


def has_password_toggle(body: str) -> bool:
    """The page loads the show/hide script and names its button's two labels on the form."""
    show, hide = in_indonesian("Show password"), in_indonesian("Hide password")
    return (
        '<script src="/static/js/password.js" defer></script>' in body
        and f'data-password-show="{show}" data-password-hide="{hide}"' in body
    )


class TestCitizenLogin:
    def test_the_form_asks_for_the_email_address(self) -> None:
        body = Client().get(CITIZEN_LOGIN).content.decode()
        assert f'<label for="id_username">{in_indonesian("E-mail")}</label>' in body
        username = input_tag(body, "username")
        assert 'type="email"' in username and 'autocomplete="username"' in username
        password = input_tag(body, "password")
        assert 'type="password"' in password and 'autocomplete="current-password"' in password
        assert in_indonesian("Username") not in body
        assert has_password_toggle(body)
        assert 'href="/dashboard/login/"' in body  # staff find their own page

    @pytest.mark.parametrize(
        "typed", ["warga@example.id", "  WARGA@Example.ID  ", "Warga@example.id"]
    )
    def test_logs_in_with_the_address_in_any_case(self, typed: str) -> None:
        citizen()
        client = Client()
        response = client.post(CITIZEN_LOGIN, {"username": typed, "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == "/akun/laporan/"
        assert logged_in_as(client) == "warga@example.id"

    def test_a_wrong_password_is_told_in_the_summary(self) -> None:
        citizen()
        client = Client()
        response = client.post(
            CITIZEN_LOGIN, {"username": "Warga@Example.id", "password": "salah-sandi-ini"}
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert in_indonesian(CITIZEN_WRONG) in summary(body)
        assert in_indonesian("You are not logged in yet:") in summary(body)
        # The address typed is kept, the password is not.
        assert 'value="Warga@Example.id"' in input_tag(body, "username")
        assert "salah-sandi-ini" not in body
        assert logged_in_as(client) is None

    def test_an_unconfirmed_or_unknown_address_is_told_the_same(self) -> None:
        services.request_registration(email="baru@example.id")  # never confirmed
        told = []
        for address in ("baru@example.id", "siapa@example.id"):
            client = Client()
            response = client.post(CITIZEN_LOGIN, {"username": address, "password": PASSWORD})
            assert response.status_code == 200 and logged_in_as(client) is None
            told.append(summary(response.content.decode()))
        assert (
            told[0]
            == told[1]
            == f"{in_indonesian('You are not logged in yet:')} {in_indonesian(CITIZEN_WRONG)}"
        )

    def test_an_address_that_is_no_address_is_an_error_of_its_field(self) -> None:
        citizen()
        response = Client().post(CITIZEN_LOGIN, {"username": "warga", "password": PASSWORD})
        assert response.status_code == 200
        body = response.content.decode()
        assert 'href="#id_username"' in summary_html(body)
        assert in_indonesian("Enter a valid email address.") in summary(body)
        assert 'aria-invalid="true"' in input_tag(body, "username")
        # No password was checked, so no failure is counted.
        assert not AccessAttempt.objects.exists()

    def test_every_spelling_counts_against_the_one_account(self) -> None:
        citizen()
        spellings = [
            "warga@example.id",
            "WARGA@example.id",
            " Warga@Example.id",
            "warga@EXAMPLE.ID",
        ]
        for number in range(settings.AXES_FAILURE_LIMIT):
            response = Client(REMOTE_ADDR=HOME).post(
                CITIZEN_LOGIN,
                {"username": spellings[number % len(spellings)], "password": f"tebakan-{number}"},
            )
        assert response.status_code == 429
        assert list(AccessAttempt.objects.values_list("username", flat=True)) == [
            "warga@example.id"
        ]
        # From that address the account waits, whatever the spelling, on the citizens' page.
        client = Client(REMOTE_ADDR=HOME)
        locked = client.post(CITIZEN_LOGIN, {"username": "Warga@Example.ID", "password": PASSWORD})
        assert locked.status_code == 429 and logged_in_as(client) is None
        body = locked.content.decode()
        assert lockout_text(5) in body
        assert 'href="/akun/daftar/"' in body
        assert 'type="email"' in input_tag(body, "username")
        # The owner elsewhere logs in.
        elsewhere = Client(REMOTE_ADDR=OFFICE)
        ok = elsewhere.post(CITIZEN_LOGIN, {"username": "warga@example.id", "password": PASSWORD})
        assert ok.status_code == 302 and logged_in_as(elsewhere) == "warga@example.id"


class TestStaffLogin:
    def test_the_form(self) -> None:
        body = Client().get(STAFF_LOGIN).content.decode()
        assert f'<label for="id_username">{in_indonesian("Username or e-mail")}</label>' in body
        assert 'autocomplete="username"' in input_tag(body, "username")
        password = input_tag(body, "password")
        assert 'type="password"' in password and 'autocomplete="current-password"' in password
        assert has_password_toggle(body)

    def test_by_username_or_by_email_address(self, tree: dict[str, Agency]) -> None:
        officer("dinkes", "Kepala.Dinkes@example.go.id", tree["dinkes"])
        for typed in ("dinkes", "kepala.dinkes@example.go.id", " KEPALA.DINKES@example.go.id "):
            client = Client()
            response = client.post(STAFF_LOGIN, {"username": typed, "password": STAFF_PASSWORD})
            assert response.status_code == 302, typed
            assert response["Location"] == "/dashboard/"
            assert logged_in_as(client) == "dinkes"

    def test_a_wrong_password_is_told_in_the_summary(self, tree: dict[str, Agency]) -> None:
        officer("dinkes", "dinkes@example.go.id", tree["dinkes"])
        response = Client().post(STAFF_LOGIN, {"username": "dinkes", "password": "keliru-ini"})
        assert response.status_code == 200
        assert in_indonesian(STAFF_WRONG) in summary(response.content.decode())

    def test_a_shared_address_opens_no_account(self, tree: dict[str, Agency]) -> None:
        officer("dinkes", "sekretariat@example.go.id", tree["dinkes"])
        officer("rsud", "Sekretariat@example.go.id", tree["rsud"])
        client = Client()
        response = client.post(
            STAFF_LOGIN, {"username": "sekretariat@example.go.id", "password": STAFF_PASSWORD}
        )
        assert response.status_code == 200 and logged_in_as(client) is None
        assert in_indonesian(STAFF_WRONG) in summary(response.content.decode())

    def test_a_username_is_never_taken_over_by_an_address(self, tree: dict[str, Agency]) -> None:
        """A citizen's username is an address; an officer who has that address too logs in
        with their own username, and the address opens the citizen's account only."""
        citizen("warga@example.id")
        officer("dinkes", "warga@example.id", tree["dinkes"])
        client = Client()
        response = client.post(
            STAFF_LOGIN, {"username": "warga@example.id", "password": STAFF_PASSWORD}
        )
        assert response.status_code == 200 and logged_in_as(client) is None
        response = client.post(STAFF_LOGIN, {"username": "warga@example.id", "password": PASSWORD})
        assert response.status_code == 302 and logged_in_as(client) == "warga@example.id"

    @pytest.mark.parametrize("path", [STAFF_LOGIN, "/admin/login/"])
    @pytest.mark.parametrize("typed", ["d" * 5000, "d" * 300 + "@example.go.id"])
    def test_a_name_longer_than_any_is_a_wrong_login_not_a_500(
        self, tree: dict[str, Agency], path: str, typed: str
    ) -> None:
        """Django's form takes a name of any length; django-axes keeps the failure under a
        name cut to its column (whole, PostgreSQL refused the insert: a 500)."""
        officer("dinkes", "dinkes@example.go.id", tree["dinkes"])
        column = AccessAttempt._meta.get_field("username").max_length
        assert column is not None and len(typed) > column
        client = Client()
        response = client.post(path, {"username": typed, "password": STAFF_PASSWORD})
        assert response.status_code == 200 and logged_in_as(client) is None
        if path == STAFF_LOGIN:
            assert in_indonesian(STAFF_WRONG) in summary(response.content.decode())
        assert list(AccessAttempt.objects.values_list("username", flat=True)) == [typed[:column]]

    def test_guesses_by_name_and_by_address_count_together(self, tree: dict[str, Agency]) -> None:
        officer("dinkes", "dinkes@example.go.id", tree["dinkes"])
        limit = settings.AXES_FAILURE_LIMIT
        for number in range(limit):
            typed = "dinkes" if number % 2 else "Dinkes@example.go.id"
            response = Client(REMOTE_ADDR=HOME).post(
                STAFF_LOGIN, {"username": typed, "password": f"tebakan-{number}"}
            )
            assert response.status_code == (429 if number == limit - 1 else 200)
        for typed in ("dinkes", "dinkes@example.go.id"):
            client = Client(REMOTE_ADDR=HOME)
            locked = client.post(STAFF_LOGIN, {"username": typed, "password": STAFF_PASSWORD})
            assert locked.status_code == 429 and logged_in_as(client) is None
            assert lockout_text(5) in locked.content.decode()
        elsewhere = Client(REMOTE_ADDR=OFFICE)
        ok = elsewhere.post(
            STAFF_LOGIN, {"username": "dinkes@example.go.id", "password": STAFF_PASSWORD}
        )
        assert ok.status_code == 302 and logged_in_as(elsewhere) == "dinkes"


# --- the other password pages ---------------------------------------------------------------------


def new_password_fields(body: str) -> None:
    for name in ("new_password1", "new_password2"):
        tag = input_tag(body, name)
        assert 'type="password"' in tag and 'autocomplete="new-password"' in tag, tag


class TestPasswordPages:
    def test_choosing_the_password_of_a_new_account(self) -> None:
        services.request_registration(email="baru@example.id")
        user = User.objects.get(username="baru@example.id")
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        client = Client()
        page = client.get(
            f"/akun/aktifkan/{uid}/{activation_tokens.make_token(user)}/", follow=True
        )
        body = page.content.decode()
        new_password_fields(body)
        assert has_password_toggle(body)
        url = page.redirect_chain[-1][0]
        wrong = client.post(
            url, {"new_password1": "sandi-baru-panjang-2026", "new_password2": "sandi-lain-2026"}
        )
        assert wrong.status_code == 200
        assert 'href="#id_new_password2"' in summary_html(wrong.content.decode())
        assert in_indonesian("The two password fields didn’t match.") in summary(
            wrong.content.decode()
        )
        user.refresh_from_db()
        assert not user.is_active

    def test_choosing_a_new_password(self) -> None:
        user = citizen()
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        client = Client()
        page = client.get(
            f"/akun/sandi/atur/{uid}/{default_token_generator.make_token(user)}/", follow=True
        )
        body = page.content.decode()
        new_password_fields(body)
        assert has_password_toggle(body)
        short = client.post(
            page.redirect_chain[-1][0], {"new_password1": "pendek", "new_password2": "pendek"}
        )
        assert short.status_code == 200
        assert 'href="#id_new_password2"' in summary_html(short.content.decode())
        assert User.objects.get(pk=user.pk).check_password(PASSWORD)

    def test_a_staff_password_change(self, tree: dict[str, Agency]) -> None:
        user = officer("dinkes", "dinkes@example.go.id", tree["dinkes"])
        client = Client()
        client.force_login(user)
        body = client.get("/dashboard/password/").content.decode()
        old = input_tag(body, "old_password")
        assert 'type="password"' in old and 'autocomplete="current-password"' in old
        new_password_fields(body)
        assert has_password_toggle(body)
        wrong = client.post(
            "/dashboard/password/",
            {
                "old_password": "bukan-sandi-lama",
                "new_password1": "Teh-Manis-Mahakam-7731",
                "new_password2": "Teh-Manis-Mahakam-7731",
            },
        )
        assert wrong.status_code == 200
        body = wrong.content.decode()
        assert 'href="#id_old_password"' in summary_html(body)
        assert "Sandi lama Anda yang dimasukkan salah" in summary(body)
        assert User.objects.get(pk=user.pk).check_password(STAFF_PASSWORD)

    def test_registering_a_too_long_address(self) -> None:
        form = Client().get("/akun/daftar/").content.decode()
        assert 'autocomplete="email"' in input_tag(form, "email")
        address = "a" * 140 + "@example.id"  # 151 characters: longer than a username may be
        response = Client().post("/akun/daftar/", {"email": address})
        assert response.status_code == 400
        assert 'href="#id_email"' in summary_html(response.content.decode())
        assert not User.objects.exists()

    def test_a_wrong_two_step_code_is_told_in_the_summary(
        self, tree: dict[str, Agency], settings: Any
    ) -> None:
        settings.LAPOR_2FA = True
        user = officer("koordinator", "koordinator@example.go.id", tree["kaltim"])
        client = Client()
        client.force_login(user)
        response = client.post("/dashboard/dua-langkah/", {"code": "000000", "next": "/dashboard/"})
        assert response.status_code == 400
        body = response.content.decode()
        assert 'href="#id_code"' in summary_html(body)
        assert in_indonesian(
            "This code is not right. Check the time on your phone and try again."
        ) in summary(body)
