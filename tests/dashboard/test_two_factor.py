"""Two-step sign-in for staff: who must, setting it up (QR code, key, recovery codes shown once),
signing in with a code or a recovery code, and what stays open (the token API)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from routing.models import Agency
from tests.helpers import WIB, api_token, in_indonesian, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "sandi-uji-2026"  # make_user's
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
SETUP = "/dashboard/dua-langkah/"


@pytest.fixture(autouse=True)
def _on(settings: Any) -> None:
    settings.LAPOR_2FA = True


def log_in(username: str) -> Client:
    client = Client()
    response = client.post("/dashboard/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def code(user: User) -> str:
    """The code the authenticator app shows now (the clock is frozen by the test)."""
    device = TOTPDevice.objects.get(user=user)
    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"
    )


def set_up(client: Client, user: User) -> list[str]:
    """Go through the setup; returns the recovery codes shown."""
    page = client.get(SETUP, {"next": "/dashboard/"})
    assert page.status_code == 200 and b"<svg" in page.content
    assert re.search(rb'<code id="totp-key">[A-Z2-7 ]{20,}</code>', page.content)
    done = client.post(SETUP, {"code": code(user), "next": "/dashboard/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    return codes


def test_a_coordinator_must_set_it_up_then_enters_a_code_at_each_sign_in(
    tree: dict[str, Agency],
) -> None:
    user = make_user("koordinator", tree["kaltim"])
    with time_machine.travel(START, tick=False):
        client = log_in("koordinator")
        first = client.get("/dashboard/")
        assert first.status_code == 302
        assert first["Location"] == f"{SETUP}?next=/dashboard/"
        assert client.get("/reports/").status_code == 302
        recovery = set_up(client, user)
        assert client.get("/dashboard/").status_code == 200
        assert client.get("/reports/").status_code == 200

    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        again = log_in("koordinator")
        assert again.get("/dashboard/")["Location"].startswith(SETUP)
        asked = again.get(SETUP)
        assert b"<svg" not in asked.content  # the step itself, not the setup
        wrong = again.post(SETUP, {"code": "000000", "next": "/dashboard/"})
        assert wrong.status_code == 400 and "/dashboard/" not in wrong.get("Location", "")
    with time_machine.travel(START + dt.timedelta(minutes=6), tick=False):
        right = again.post(SETUP, {"code": code(user), "next": "/dashboard/"})
        assert right.status_code == 302 and right["Location"] == "/dashboard/"
        assert again.get("/dashboard/").status_code == 200

    # A recovery code signs in once.
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        lost_phone = log_in("koordinator")
        assert (
            lost_phone.post(SETUP, {"code": recovery[0], "next": "/dashboard/"}).status_code == 302
        )
        assert lost_phone.get("/dashboard/").status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=15), tick=False):
        reused = log_in("koordinator")
        assert reused.post(SETUP, {"code": recovery[0], "next": "/dashboard/"}).status_code == 400


def test_who_must(tree: dict[str, Agency], settings: Any) -> None:
    make_user("opd", tree["dinkes"])
    revealer = make_user("pengungkap", tree["dinkes"])
    revealer.user_permissions.add(
        Permission.objects.get(content_type__app_label="complaints", codename="reveal_reporter")
    )
    User.objects.create_superuser("akar", "akar@example.id", PASSWORD)
    assert log_in("opd").get("/dashboard/").status_code == 200  # an OPD officer may choose
    assert log_in("pengungkap").get("/dashboard/").status_code == 302
    admin = Client()
    admin.post("/admin/login/", {"username": "akar", "password": PASSWORD})
    assert admin.get("/admin/")["Location"].startswith(SETUP)
    settings.LAPOR_2FA_FOR_OFFICERS = True
    assert log_in("opd").get("/dashboard/").status_code == 302


def test_an_officer_who_chose_it_is_asked_too(tree: dict[str, Agency]) -> None:
    user = make_user("opd", tree["dinkes"])
    with time_machine.travel(START, tick=False):
        client = log_in("opd")
        set_up(client, user)
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        assert log_in("opd").get("/dashboard/").status_code == 302


def test_the_token_api_is_not_asked_the_session_api_is(tree: dict[str, Agency]) -> None:
    user = make_user("koordinator", tree["kaltim"])
    token = api_token(user)
    assert (
        Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/staff/complaints/").status_code
        == 200
    )
    session = log_in("koordinator").get("/api/v1/staff/complaints/")
    assert session.status_code == 403
    assert session.json()["detail"] == in_indonesian(
        "Confirm the two-step sign-in on the dashboard first."
    )


def test_off_elsewhere_in_the_suite(settings: Any, tree: dict[str, Agency]) -> None:
    settings.LAPOR_2FA = False
    make_user("koordinator", tree["kaltim"])
    assert log_in("koordinator").get("/dashboard/").status_code == 200
