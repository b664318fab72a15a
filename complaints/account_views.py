"""Optional citizen accounts: register with an e-mail address, confirm it by a one-time link
that also sets the password, log in, reset a forgotten password (citizens and staff alike), see
"my reports", and claim a report filed without an account through its private link.

No page says whether an address has an account: registering and asking for a new password
answer the same for every address, and what differs goes by e-mail to the address itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services
from complaints.emails import private_link_path
from complaints.forms import CitizenLoginForm, PasswordResetRequestForm, RegisterForm
from complaints.models import Complaint
from complaints.tokens import activation_tokens
from lapor.lib.actions import ActionError


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_registration(email=form.cleaned_data["email"])
        return render(request, "complaints/account/register_done.html")
    return render(
        request,
        "complaints/account/register.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


class ActivateView(auth_views.PasswordResetConfirmView):
    """The link from the registration e-mail: whoever opens it chooses the password, and the
    account is active from then on. It works once, for an account awaiting confirmation only
    (never one an administrator deactivated, never staff)."""

    template_name = "complaints/account/activate.html"
    token_generator = activation_tokens
    reset_url_token = "konfirmasi"  # noqa: S105  (a URL word, not a password)
    success_url = reverse_lazy("complaints:login")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and services.awaiting_confirmation(user) else None

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            services.activate_citizen(user=form.user, password=form.cleaned_data["new_password1"])
        except User.DoesNotExist:
            return render(self.request, "complaints/account/activation_failed.html", status=400)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your address is confirmed. You can log in now."))
        return redirect(self.success_url)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "complaints/account/password_reset.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("complaints:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "complaints/account/password_reset_done.html"


@method_decorator(sensitive_variables("password"), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "complaints/account/password_reset_confirm.html"
    reset_url_token = "sandi-baru"  # noqa: S105  (a URL word, not a password)
    success_url = reverse_lazy("complaints:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "complaints/account/password_reset_complete.html"


class CitizenLoginView(auth_views.LoginView):
    """Log in with the e-mail address and password (``CitizenLoginForm``); django-axes counts
    the failures per account and address, as on the staff login."""

    form_class = CitizenLoginForm
    template_name = "complaints/account/login.html"
    redirect_authenticated_user = True
    next_page = "complaints:my-reports"


@require_GET
@login_required(login_url="complaints:login")
def my_reports(request: HttpRequest) -> HttpResponse:
    """Everything filed from this account or claimed by it, newest first."""
    assert request.user.is_authenticated  # login_required
    reports = selectors.owned_complaint_list(request.user)
    return render(request, "complaints/account/my_reports.html", {"reports": reports})


@sensitive_variables("access_key")
@require_POST
@login_required(login_url="complaints:login")
def claim(request: HttpRequest, tracking_number: str, access_key: str) -> HttpResponse:
    """Add a report to "my reports": holding its private link proves it is yours."""
    assert request.user.is_authenticated  # login_required
    try:
        complaint = selectors.access_complaint_by_private_link(tracking_number, access_key)
    except Complaint.DoesNotExist:
        raise Http404 from None
    try:
        services.claim_complaint(complaint_id=complaint.pk, user=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The report is in your reports now."))
    return redirect(private_link_path(complaint, access_key))
