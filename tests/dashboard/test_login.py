"""Staff login through the real form (CSRF enforced), lockout after repeated failures (django-axes)
per account and per address, logout, password change, and accounts without an agency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.db.models import F
from django.http import HttpResponse
from django.test import Client

from routing.models import Agency, Officer
from tests.helpers import in_indonesian, lockout_text

pytestmark = pytest.mark.django_db

LOGIN = "/dashboard/login/"
INBOX = "/dashboard/"
LOGOUT = "/dashboard/logout/"
PASSWORD = "/dashboard/password/"
SECRET = "kopi-tubruk-samarinda-2026"
NEW_SECRET = "Teh-Manis-Mahakam-7731"
# Documentation addresses (RFC 5737): nothing is sent anywhere, they only tell clients apart.
HOME, OFFICE, CAFE = "192.0.2.10", "198.51.100.20", "203.0.113.30"


def officer(username: str, agency: Agency) -> User:
    user = User.objects.create_user(username, f"{username}@example.go.id", SECRET)
    Officer.objects.create(user=user, agency=agency)
    return user


@pytest.fixture
def dinkes(tree: dict[str, Agency]) -> User:
    return officer("dinkes", tree["dinkes"])


@pytest.fixture
def rsud(tree: dict[str, Agency]) -> User:
    return officer("rsud", tree["rsud"])


def browser(address: str = HOME, language: str | None = None) -> Client:
    """A client that, like a browser, must send the CSRF token of the form it was given."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def log_in(client: Client, username: str, password: str, **extra: str) -> HttpResponse:
    """Open the login page, then send its form as a person would."""
    form = client.get(LOGIN)
    assert form.status_code == 200
    data = {
        "csrfmiddlewaretoken": csrf_token(form.content.decode()),
        "username": username,
        "password": password,
        **extra,
    }
    return client.post(LOGIN, data)


def post_form(client: Client, url: str, data: dict[str, str]) -> HttpResponse:
    """GET ``url`` for its form's CSRF token, then POST ``data`` with it."""
    page = client.get(url)
    return client.post(url, {"csrfmiddlewaretoken": csrf_token(page.content.decode()), **data})


def logged_in_as(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def move_time_past_cooloff() -> None:
    """The failures were made longer ago than the cool-off, as if that time had passed."""
    gone = settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - gone)


class TestLogin:
    def test_the_form_logs_an_officer_in(self, dinkes: User) -> None:
        client = browser()
        response = log_in(client, "dinkes", SECRET)
        assert response.status_code == 302
        assert response["Location"] == INBOX
        assert logged_in_as(client) == "dinkes"
        inbox = client.get(INBOX)
        assert inbox.status_code == 200
        assert "Dinkes Samarinda" in inbox.content.decode()

    def test_a_post_without_the_csrf_token_is_refused(self, dinkes: User) -> None:
        client = browser()
        client.get(LOGIN)
        response = client.post(LOGIN, {"username": "dinkes", "password": SECRET})
        assert response.status_code == 403
        assert logged_in_as(client) is None

    def test_login_returns_to_the_page_asked_for(self, dinkes: User) -> None:
        client = browser()
        first = client.get(f"{INBOX}?scope=history")
        assert first.status_code == 302
        assert first["Location"] == f"{LOGIN}?next=/dashboard/%3Fscope%3Dhistory"
        page = client.get(first["Location"]).content.decode()
        response = client.post(
            first["Location"],
            {
                "csrfmiddlewaretoken": csrf_token(page),
                "username": "dinkes",
                "password": SECRET,
                "next": "/dashboard/?scope=history",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == "/dashboard/?scope=history"
        # And never to another site.
        other = browser(OFFICE)
        response = log_in(other, "dinkes", SECRET, next="https://example.com/phish")
        assert response["Location"] == INBOX

    def test_a_wrong_password_is_told_in_indonesian(self, dinkes: User) -> None:
        client = browser()
        response = log_in(client, "dinkes", "salah-sandi")
        assert response.status_code == 200
        body = response.content.decode()
        assert "dan kata sandi yang benar" in body
        assert "Please enter a correct" not in body
        assert logged_in_as(client) is None
        # The username typed is kept, the password is not.
        assert 'value="dinkes"' in body
        assert "salah-sandi" not in body

    def test_english_on_request(self, dinkes: User) -> None:
        response = log_in(browser(language="en"), "dinkes", "salah-sandi")
        assert "Please enter a correct username and password" in response.content.decode()

    def test_a_logged_in_officer_is_sent_on_from_the_login_page(self, dinkes: User) -> None:
        client = browser()
        log_in(client, "dinkes", SECRET)
        response = client.get(LOGIN)
        assert response.status_code == 302
        assert response["Location"] == INBOX

    def test_the_session_ends_when_the_browser_closes(self, dinkes: User) -> None:
        client = browser()
        response = log_in(client, "dinkes", SECRET)
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie.value
        # No expiry date: a session cookie, gone when the browser closes.
        assert cookie["expires"] == ""
        assert cookie["max-age"] == ""
        assert cookie["httponly"] is True
        assert client.session.get_expire_at_browser_close() is True
        # On the server the session still ends after 8 hours at most.
        assert client.session.get_expiry_age() == 8 * 3600


class TestLockout:
    limit = settings.AXES_FAILURE_LIMIT

    def test_settings(self) -> None:
        assert self.limit == 5
        assert settings.AXES_COOLOFF_TIME == dt.timedelta(minutes=5)
        assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]

    def test_the_pair_of_account_and_address_waits_nobody_else(
        self, dinkes: User, rsud: User
    ) -> None:
        for number in range(1, self.limit + 1):
            response = log_in(browser(HOME), "dinkes", f"tebakan-{number}")
            assert response.status_code == (429 if number == self.limit else 200)

        # From that address, that account waits, even with the right password, on a page that
        # says how long and links to a new password.
        client = browser(HOME)
        response = log_in(client, "dinkes", SECRET)
        assert response.status_code == 429
        assert logged_in_as(client) is None
        body = response.content.decode()
        assert lockout_text(5) in body and "5 menit" in body
        assert 'href="/akun/sandi/lupa/"' in body
        assert 'value="dinkes"' in body

        # The owner at another address logs in: a guesser cannot lock the owner out.
        elsewhere = browser(OFFICE)
        assert log_in(elsewhere, "dinkes", SECRET).status_code == 302
        assert logged_in_as(elsewhere) == "dinkes"
        # Another account behind the guesser's address (a shared connection) logs in too.
        same_address = browser(HOME)
        assert log_in(same_address, "rsud", SECRET).status_code == 302
        assert logged_in_as(same_address) == "rsud"

    def test_guesses_spread_over_addresses_or_accounts_lock_nothing(
        self, dinkes: User, rsud: User
    ) -> None:
        addresses = [f"192.0.2.{n}" for n in range(1, self.limit + 2)]
        for number, address in enumerate(addresses, start=1):
            assert log_in(browser(address), "dinkes", f"tebakan-{number}").status_code == 200
        names = ["rsud", "admin", "operator", "root", "kepala.dinas", "dinkes"]
        for name in names:
            assert log_in(browser(CAFE), name, "sandi-tebakan").status_code == 200
        client = browser(CAFE)
        assert log_in(client, "dinkes", SECRET).status_code == 302

    def test_the_citizens_login_says_so_on_its_own_page(self) -> None:
        User.objects.create_user("warga@example.id", "warga@example.id", SECRET)
        for number in range(self.limit):
            response = post_form(
                browser(HOME),
                "/akun/masuk/",
                {"username": "warga@example.id", "password": f"salah-{number}"},
            )
        assert response.status_code == 429
        body = response.content.decode()
        assert lockout_text(5) in body
        assert 'href="/akun/daftar/"' in body  # the citizens' page, not the staff one

    def test_after_the_cooloff_the_account_logs_in_again(self, dinkes: User) -> None:
        for number in range(self.limit):
            log_in(browser(HOME), "dinkes", f"tebakan-{number}")
        assert log_in(browser(HOME), "dinkes", SECRET).status_code == 429

        move_time_past_cooloff()
        client = browser(HOME)
        response = log_in(client, "dinkes", SECRET)
        assert response.status_code == 302
        assert logged_in_as(client) == "dinkes"
        # A success starts the count again: one more mistake locks nothing.
        assert log_in(browser(HOME), "dinkes", "keliru").status_code == 200
        assert log_in(browser(HOME), "dinkes", SECRET).status_code == 302

    def test_with_a_shorter_cooloff(self, dinkes: User, settings: object) -> None:
        settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=1)  # type: ignore[attr-defined]  # pytest-django's settings fixture
        for number in range(self.limit):
            log_in(browser(HOME), "dinkes", f"tebakan-{number}")
        response = log_in(browser(HOME), "dinkes", SECRET)
        assert response.status_code == 429
        assert lockout_text(1) in response.content.decode()
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(seconds=61))
        assert log_in(browser(HOME), "dinkes", SECRET).status_code == 302

    def test_failures_below_the_limit_lock_nothing(self, dinkes: User) -> None:
        for number in range(self.limit - 1):
            assert log_in(browser(HOME), "dinkes", f"tebakan-{number}").status_code == 200
        client = browser(HOME)
        assert log_in(client, "dinkes", SECRET).status_code == 302
        assert logged_in_as(client) == "dinkes"


class TestLogout:
    def test_logout_is_a_post(self, dinkes: User) -> None:
        client = browser()
        log_in(client, "dinkes", SECRET)
        inbox = client.get(INBOX).content.decode()
        assert f'action="{LOGOUT}" method="post"' in inbox
        # A link or an image pointing at the logout address logs nobody out.
        assert client.get(LOGOUT).status_code == 405
        assert logged_in_as(client) == "dinkes"
        # Nor a form from another site, without the token.
        assert client.post(LOGOUT).status_code == 403
        assert logged_in_as(client) == "dinkes"

        response = client.post(LOGOUT, {"csrfmiddlewaretoken": csrf_token(inbox)})
        assert response.status_code == 302
        assert response["Location"] == LOGIN
        assert logged_in_as(client) is None
        after = client.get(INBOX)
        assert after.status_code == 302
        assert after["Location"].startswith(LOGIN)


class TestPasswordChange:
    def test_needs_the_old_password(self, dinkes: User) -> None:
        client = browser()
        log_in(client, "dinkes", SECRET)
        response = post_form(
            client,
            PASSWORD,
            {
                "old_password": "bukan-sandi-lama",
                "new_password1": NEW_SECRET,
                "new_password2": NEW_SECRET,
            },
        )
        assert response.status_code == 200
        assert "Sandi lama Anda yang dimasukkan salah" in response.content.decode()
        dinkes.refresh_from_db()
        assert dinkes.check_password(SECRET)

    def test_a_weak_new_password_is_refused(self, dinkes: User) -> None:
        client = browser()
        log_in(client, "dinkes", SECRET)
        response = post_form(
            client,
            PASSWORD,
            {"old_password": SECRET, "new_password1": "12345678", "new_password2": "12345678"},
        )
        assert response.status_code == 200
        dinkes.refresh_from_db()
        assert dinkes.check_password(SECRET)

    def test_change_keeps_the_session_and_the_new_password_works(self, dinkes: User) -> None:
        client = browser()
        log_in(client, "dinkes", SECRET)
        response = post_form(
            client,
            PASSWORD,
            {"old_password": SECRET, "new_password1": NEW_SECRET, "new_password2": NEW_SECRET},
        )
        assert response.status_code == 302
        assert response["Location"] == INBOX
        inbox = client.get(INBOX)
        assert inbox.status_code == 200
        assert in_indonesian("Your password has been changed.") in inbox.content.decode()
        assert "Kata sandi Anda telah diubah." in inbox.content.decode()
        dinkes.refresh_from_db()
        assert dinkes.check_password(NEW_SECRET)

        assert log_in(browser(OFFICE), "dinkes", SECRET).status_code == 200
        fresh = browser(CAFE)
        assert log_in(fresh, "dinkes", NEW_SECRET).status_code == 302
        assert logged_in_as(fresh) == "dinkes"

    def test_other_sessions_end_with_the_change(self, dinkes: User) -> None:
        elsewhere = browser(OFFICE)
        log_in(elsewhere, "dinkes", SECRET)
        assert elsewhere.get(INBOX).status_code == 200
        client = browser()
        log_in(client, "dinkes", SECRET)
        post_form(
            client,
            PASSWORD,
            {"old_password": SECRET, "new_password1": NEW_SECRET, "new_password2": NEW_SECRET},
        )
        assert client.get(INBOX).status_code == 200
        # The session opened with the old password is no longer valid.
        response = elsewhere.get(INBOX)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)

    def test_only_when_logged_in(self) -> None:
        response = browser().get(PASSWORD)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


class TestNoAgency:
    def test_an_account_without_an_agency_sees_why(self, tree: dict[str, Agency]) -> None:
        User.objects.create_user("warga", "warga@example.id", SECRET)
        client = browser()
        assert log_in(client, "warga", SECRET).status_code == 302
        response = client.get(INBOX)
        assert response.status_code == 403
        body = response.content.decode()
        assert in_indonesian("Your account belongs to no agency") in body
        assert "Akun Anda tidak terdaftar pada instansi mana pun" in body
        # Not a staff member either: no way into the admin is offered.
        assert "/admin/" not in body

    def test_an_officer_of_an_inactive_agency_too(self, tree: dict[str, Agency]) -> None:
        officer("lama", tree["rsud"])
        Agency.objects.filter(pk=tree["rsud"].pk).update(is_active=False)
        client = browser()
        assert log_in(client, "lama", SECRET).status_code == 302
        assert client.get(INBOX).status_code == 403

    def test_a_system_administrator_is_sent_to_the_admin(self, tree: dict[str, Agency]) -> None:
        User.objects.create_user("sysadmin", "admin@example.go.id", SECRET, is_staff=True)
        client = browser()
        log_in(client, "sysadmin", SECRET)
        response = client.get(INBOX)
        assert response.status_code == 403
        assert 'href="/admin/"' in response.content.decode()

    def test_an_inactive_user_cannot_log_in(self, dinkes: User) -> None:
        User.objects.filter(pk=dinkes.pk).update(is_active=False)
        client = browser()
        response = log_in(client, "dinkes", SECRET)
        assert response.status_code == 200
        assert logged_in_as(client) is None
