"""The citizen's pages: file a report, get the receipt, follow it."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services
from complaints.citizen_actions import URL_WORDS, perform_citizen_action
from complaints.emails import private_link_path
from complaints.filters import PublicComplaintFilter
from complaints.forms import CITIZEN_FORMS, ComplaintForm, TrackForm
from complaints.models import Attachment, Complaint
from lapor.client import (
    address_digest,
    client_ip,
    lookup_wait_seconds,
    submission_wait_seconds,
    support_wait_seconds,
)
from lapor.lib.actions import ActionError

RECEIPT_COOKIE = "lapor_receipt"
RECEIPT_SALT = "complaints.receipt"
RECEIPT_MAX_AGE = 30 * 60

# The service's field names, as the form calls them.
_FORM_FIELD = {"region": "regency"}


def rate_limited_response(
    request: HttpRequest, wait_seconds: int, *, lookups: bool = False
) -> HttpResponse:
    response = render(
        request,
        "complaints/rate_limited.html",
        {"wait_minutes": max(1, (wait_seconds + 59) // 60), "lookups": lookups},
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response


@sensitive_variables("form")
@sensitive_post_parameters("reporter_name", "reporter_email", "reporter_phone")
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    max_attachments = settings.LAPOR_MAX_ATTACHMENTS
    if request.method == "GET":
        form = ComplaintForm(max_attachments=max_attachments)
        return render(request, "complaints/submit.html", {"form": form})

    if "_refresh" in request.POST:
        # Without JavaScript the location selects fill in by sending the form back unvalidated.
        form = ComplaintForm(initial=request.POST.dict(), max_attachments=max_attachments)
        return render(request, "complaints/submit.html", {"form": form, "refreshed": True})

    wait = submission_wait_seconds(request)
    if wait is not None:
        return rate_limited_response(request, wait)

    form = ComplaintForm(request.POST, request.FILES, max_attachments=max_attachments)
    if form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.submit_complaint(
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                category=data["category"],
                region=form.region,
                incident_date=data["incident_date"],
                is_anonymous=data["is_anonymous"],
                is_confidential=data["is_confidential"],
                reporter_name=data["reporter_name"],
                reporter_email=data["reporter_email"],
                reporter_phone=data["reporter_phone"],
                attachments=data["attachments"],
                ip_address=client_ip(request),
                language=translation.get_language() or settings.LANGUAGE_CODE,
                owner=request.user if request.user.is_authenticated else None,
                now=timezone.now(),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                target = _FORM_FIELD.get(field, field)
                for message in messages:
                    form.add_error(target if target in form.fields else None, message)
        else:
            response = redirect("complaints:receipt")
            response.set_signed_cookie(
                RECEIPT_COOKIE,
                f"{receipt.complaint.tracking_number}:{receipt.access_key}",
                salt=RECEIPT_SALT,
                max_age=RECEIPT_MAX_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
            return response
    return render(request, "complaints/submit.html", {"form": form}, status=400)


@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """Show the tracking number and private link once, right after submission."""
    try:
        value = request.get_signed_cookie(
            RECEIPT_COOKIE, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE
        )
        assert value is not None  # without a default, a missing cookie raises KeyError
        tracking_number, access_key = value.split(":", 1)
        complaint = selectors.access_complaint_by_private_link(tracking_number, access_key)
    except (KeyError, signing.BadSignature, ValueError, Complaint.DoesNotExist):
        return render(request, "complaints/receipt_gone.html", status=410)
    response = render(
        request,
        "complaints/receipt.html",
        {
            "complaint": complaint,
            "private_url": request.build_absolute_uri(private_link_path(complaint, access_key)),
            "has_email": bool(complaint.reporter.email),
        },
    )
    response.delete_cookie(RECEIPT_COOKIE, samesite="Lax")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        wait = lookup_wait_seconds(request)
        if wait is not None:
            return rate_limited_response(request, wait, lookups=True)
        try:
            complaint = selectors.get_complaint_by_tracking_number(
                form.cleaned_data["tracking_number"]
            )
        except Complaint.DoesNotExist:
            form.add_error(
                "tracking_number",
                _("No report has this tracking number. Check it and try again."),
            )
        else:
            return redirect("complaints:public", tracking_number=complaint.tracking_number)
    return render(request, "complaints/track.html", {"form": form})


@require_GET
def public_detail(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """The report as anyone with its number sees it: a confidential one shows its status and
    dates only. Lookups by number are limited per address (``LAPOR_LOOKUP_RATE``)."""
    wait = lookup_wait_seconds(request)
    if wait is not None:
        return rate_limited_response(request, wait, lookups=True)
    try:
        complaint = selectors.get_complaint_by_tracking_number(tracking_number)
    except Complaint.DoesNotExist:
        raise Http404 from None
    if complaint.tracking_number != tracking_number:
        return redirect("complaints:public", tracking_number=complaint.tracking_number)
    if complaint.is_confidential:
        # Status and dates only: no agency, region, category, kind or timeline.
        return render(
            request,
            "complaints/detail.html",
            {
                "complaint": complaint,
                "status_only": True,
                "private": False,
                "last_change": selectors.last_change(complaint),
            },
        )
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "events": selectors.public_event_list(complaint),
            "transfer_count": complaint.transfer_requests.count(),
            "private": False,
            # A public report shows the agency's answers and can be supported.
            "public_answers": selectors.response_list(complaint),
            "can_support": complaint.is_public,
        },
    )


def _private_page(
    request: HttpRequest,
    complaint: Complaint,
    access_key: str,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    allowed = selectors.citizen_actions(complaint)
    offered = [word for word, action in URL_WORDS.items() if action in allowed]
    citizen_forms = {
        name: (bound or {}).get(name) or CITIZEN_FORMS[name](auto_id=f"id_{name}_%s")
        for name in offered
    }
    response = render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "reporter": complaint.reporter,
            "attachments": complaint.attachments.filter(response__isnull=True).order_by("position"),
            "responses": selectors.response_list(complaint),
            "events": selectors.public_event_list(complaint),
            "transfer_count": complaint.transfer_requests.count(),
            "private": True,
            "access_key": access_key,
            "citizen_forms": citizen_forms,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@sensitive_variables("access_key")
@require_GET
def private_detail(request: HttpRequest, tracking_number: str, access_key: str) -> HttpResponse:
    try:
        complaint = selectors.access_complaint_by_private_link(tracking_number, access_key)
    except Complaint.DoesNotExist:
        raise Http404 from None
    return _private_page(request, complaint, access_key)


@sensitive_variables("access_key")
@require_POST
def private_action(
    request: HttpRequest, tracking_number: str, access_key: str, action: str
) -> HttpResponse:
    """The citizen's reaction to an answer: reply, accept, dispute, rate. A report that moved
    on meanwhile answers 409 with its current state; bad input 400 with the form."""
    try:
        complaint = selectors.access_complaint_by_private_link(tracking_number, access_key)
    except Complaint.DoesNotExist:
        raise Http404 from None
    if action not in CITIZEN_FORMS:
        raise Http404
    form = CITIZEN_FORMS[action](request.POST, auto_id=f"id_{action}_%s")
    if not form.is_valid():
        return _private_page(request, complaint, access_key, bound={action: form}, status=400)
    try:
        message = perform_citizen_action(
            URL_WORDS[action],
            complaint_id=complaint.pk,
            data=form.cleaned_data,
            now=timezone.now(),
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        complaint.refresh_from_db()
        return _private_page(request, complaint, access_key, status=409 if exc.conflict else 400)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _private_page(request, complaint, access_key, bound={action: form}, status=400)
    messages.success(request, message)
    return redirect(private_link_path(complaint, access_key))


@sensitive_variables("access_key")
@require_GET
def private_attachment(
    request: HttpRequest, tracking_number: str, access_key: str, position: int
) -> FileResponse:
    try:
        complaint = selectors.access_complaint_by_private_link(tracking_number, access_key)
        attachment = complaint.attachments.get(position=position)
    except (Complaint.DoesNotExist, Attachment.DoesNotExist):
        raise Http404 from None
    return attachment_response(attachment)


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.display_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"track_form": TrackForm()})


SUPPORTER_COOKIE = "lapor_supporter"


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Reports anyone may read (never a confidential one), newest or most supported first."""
    order = (
        selectors.PublicOrder(request.GET["order"])
        if request.GET.get("order") in selectors.PublicOrder.__members__.values()
        else selectors.PublicOrder.NEWEST
    )
    filters = PublicComplaintFilter(request.GET, queryset=Complaint.objects.public())
    items: list[Complaint] = []
    following = None
    if filters.is_valid():
        items, following = selectors.public_page(
            filters.qs.select_related("category", "region", "current_agency"),
            order=order,
            after=request.GET.get("after", ""),
        )
    params = request.GET.copy()
    params.pop("after", None)
    next_url = ""
    if following:
        params["after"] = following
        next_url = "?" + params.urlencode()
    return render(
        request,
        "complaints/public_list.html",
        {"filters": filters, "items": items, "order": order, "next_url": next_url},
    )


@require_POST
def support(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """Support a public report: once per address and once per browser (a random cookie),
    the API's supports counted with the web's; limited per address."""
    wait = lookup_wait_seconds(request)
    if wait is not None:
        return rate_limited_response(request, wait, lookups=True)
    try:
        complaint = selectors.get_complaint_by_tracking_number(tracking_number)
    except Complaint.DoesNotExist:
        raise Http404 from None
    wait = support_wait_seconds(request)
    if wait is not None:
        return rate_limited_response(request, wait)
    token = request.COOKIES.get(SUPPORTER_COOKIE, "")
    if not (20 <= len(token) <= 100 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(24)
    try:
        new = services.support_complaint(
            complaint_id=complaint.pk,
            address=address_digest(request, "support"),
            browser=hashlib.sha256(token.encode()).hexdigest(),
            now=timezone.now(),
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        new = False
    else:
        if new:
            messages.success(request, _("Thank you for your support."))
        else:
            messages.info(request, _("You already support this report."))
    response = redirect("complaints:public", tracking_number=complaint.tracking_number)
    response.set_cookie(
        SUPPORTER_COOKIE,
        token,
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_GET
def agency_page(request: HttpRequest, code: str) -> HttpResponse:
    """How an agency responds: reports handed to it, share answered, median days to the first
    answer, over the last 12 months."""
    agency = selectors.get_public_agency(code)
    if agency is None:
        raise Http404
    return render(
        request,
        "complaints/agency.html",
        {"agency": agency, "figures": selectors.agency_figures(agency, now=timezone.now())},
    )
