"""Optional citizen accounts: register with an e-mail address, log in, see "my reports", and
claim a report filed without an account through its private link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services
from complaints.emails import ACTIVATION_MAX_AGE, ACTIVATION_SALT, private_link_path
from complaints.forms import RegisterForm
from complaints.models import Complaint
from lapor.lib.actions import ActionError


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.register_citizen(
            email=form.cleaned_data["email"], password=form.cleaned_data["password1"]
        )
        return render(request, "complaints/account/register_done.html")
    return render(
        request,
        "complaints/account/register.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def activate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id = signing.loads(token, salt=ACTIVATION_SALT, max_age=ACTIVATION_MAX_AGE)
        services.activate_citizen(user_id=int(user_id))
    except (signing.BadSignature, ValueError, TypeError, User.DoesNotExist):
        return render(request, "complaints/account/activation_failed.html", status=400)
    messages.success(request, _("Your address is confirmed. You can log in now."))
    return redirect("complaints:login")


class CitizenLoginView(auth_views.LoginView):
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
