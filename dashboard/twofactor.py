"""Two-step sign-in for staff (django-otp): a password, then a code from an authenticator app
(TOTP), or one of ten recovery codes.

Who must: everyone who can open the admin, every coordinator (national, province, regency/city),
everyone who may reveal a reporter, and with ``LAPOR_2FA_FOR_OFFICERS`` every OPD officer too;
any officer may choose it. Until such a user has confirmed a code in this session, every staff
page (dashboard, recaps, admin) sends them to ``/dashboard/dua-langkah/``: to set it up the
first time (a QR code and the key, then ten recovery codes shown once), afterwards to enter a
code. The staff API with a token is not asked: the token is its own long secret. With the
session, the API answers 403 until the session is verified.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from routing.models import Agency
from routing.selectors import staff_agency

RECOVERY_CODES = 10
# Paths a signed-in user may open before the second step (logging in and out, this step).
_OPEN = (
    "/dashboard/login/",
    "/dashboard/logout/",
    "/dashboard/dua-langkah/",
    "/admin/login/",
    "/admin/logout/",
)
_GUARDED = ("/dashboard/", "/reports/", "/admin/", "/api/v1/staff/", "/api/v1/reports/")


def required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` must pass the second step before any staff page."""
    if not settings.LAPOR_2FA or not user.is_authenticated:
        return False
    assert isinstance(user, User)
    if user.is_staff or user.is_superuser or user.has_perm("complaints.reveal_reporter"):
        return True
    agency = staff_agency(user)
    if agency is None:
        return False
    if agency.level != Agency.Level.OPD or settings.LAPOR_2FA_FOR_OFFICERS:
        return True
    return user_has_device(user, confirmed=True)  # an officer who chose it


class TwoFactorMiddleware:
    """Sends a user who must pass the second step, and has not in this session, to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if (
            path.startswith(_GUARDED)
            and not path.startswith(_OPEN)
            and request.user.is_authenticated
            and not request.user.is_verified()  # type: ignore[attr-defined]  # set by django-otp's middleware
            and required(request.user)
        ):
            if path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Confirm the two-step sign-in on the dashboard first.")},
                    status=403,
                )
            return redirect(
                f"{reverse('dashboard:two-factor')}?next={quote(request.get_full_path())}"
            )
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard:inbox")


def qr_svg(uri: str) -> str:
    """A QR code of ``uri`` as an SVG of paths, to put inline (no style, no script: the CSP
    holds)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@login_required(login_url="dashboard:login")
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up the second step (the first time), or pass it (every sign-in after)."""
    user = request.user
    assert isinstance(user, User)
    form = CodeForm(request.POST or None)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context: dict[str, Any] = {"form": form, "next": _next(request)}
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            device = match_token(user, form.cleaned_data["code"].replace(" ", ""))
            if device is not None:
                otp_login(request, device)
                return redirect(_next(request))
            form.add_error("code", _("This code is not right, or was used already."))
        return render(
            request, "dashboard/two_factor_verify.html", context, status=400 if form.errors else 200
        )

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
            otp_login(request, device)
            return render(
                request,
                "dashboard/two_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error(
            "code", _("This code is not right. Check the time on your phone and try again.")
        )
    secret = base64.b32encode(device.bin_key).decode()
    issuer = "LAPOR"
    uri = (
        f"otpauth://totp/{quote(issuer)}:{quote(user.get_username())}"
        f"?secret={secret}&issuer={quote(issuer)}&digits={device.digits}&period={device.step}"
    )
    context.update(
        {
            "qr": mark_safe(qr_svg(uri)),  # noqa: S308  (qrcode's own SVG of our URI)
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        }
    )
    return render(
        request, "dashboard/two_factor_setup.html", context, status=400 if form.errors else 200
    )
