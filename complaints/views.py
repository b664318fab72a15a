"""The citizen's pages: file a report, get the receipt, follow it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import held_uploads, selectors, services
from complaints.citizen_actions import URL_WORDS, perform_citizen_action
from complaints.emails import private_link_path
from complaints.filters import PublicComplaintFilter, summarize
from complaints.forms import CITIZEN_FORMS, ComplaintForm, TrackForm
from complaints.link_forms import ReceiptEmailForm, ResendLinkForm
from complaints.models import Attachment, Complaint
from lapor.client import (
    address_digest,
    client_ip,
    lookup_wait_seconds,
    private_link_wait_seconds,
    submission_wait_seconds,
    support_wait_seconds,
)
from lapor.lib.actions import ActionError

RECEIPT_COOKIE = "lapor_receipt"
RECEIPT_SALT = "complaints.receipt"
RECEIPT_MAX_AGE = 30 * 60


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


@sensitive_variables("form", "gathered", "held")
@sensitive_post_parameters(
    "reporter_name", "reporter_email", "reporter_phone", "address", "latitude", "longitude"
)
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The report form. Every round checks every field and every file; files that passed are
    held for the next round when the form goes back with errors (``complaints.held_uploads``),
    and the page lists them instead of asking for them again."""
    max_attachments = settings.LAPOR_MAX_ATTACHMENTS
    if request.method == "GET":
        form = ComplaintForm(max_attachments=max_attachments)
        return render(request, "complaints/submit.html", {"form": form})

    now = timezone.now()
    owner = held_uploads.owner_of(request)
    tokens = request.POST.getlist(held_uploads.TOKEN_FIELD)
    # Django's uploaded files (services.UploadedFileLike; its stubs type ``file`` loosely).
    files: list[Any] = request.FILES.getlist("attachments")

    if "_refresh" in request.POST or "_remove" in request.POST:
        # Without JavaScript the location selects fill in, and a held file is removed, by
        # sending the form back unvalidated; files chosen meanwhile are checked and held (at
        # the cost of a submission: the checks are the expensive part of one).
        if files:
            wait = submission_wait_seconds(request)
            if wait is not None:
                return rate_limited_response(request, wait)
        removed = request.POST.get("_remove", "")
        if removed:
            held_uploads.discard_token(removed, owner=owner)
        gathered = held_uploads.gather_attachments(
            files=files, tokens=[t for t in tokens if t != removed], owner=owner, now=now
        )
        form = ComplaintForm(
            initial=request.POST.dict(), max_attachments=max_attachments, held=gathered.count
        )
        context = {"form": form, "refreshed": True, "attachment_problems": gathered.errors}
        return _form_page_holding(request, context, gathered, owner=owner, now=now)

    wait = submission_wait_seconds(request)
    if wait is not None:
        return rate_limited_response(request, wait)

    gathered = held_uploads.gather_attachments(files=files, tokens=tokens, owner=owner, now=now)
    form = ComplaintForm(
        request.POST, request.FILES, max_attachments=max_attachments, held=gathered.count
    )
    for problem in gathered.errors:
        form.add_error("attachments", problem)
    if form.is_valid():
        try:
            receipt = services.submit_complaint(
                **form.report_fields(),
                checked_attachments=gathered.checked(),
                ip_address=client_ip(request),
                language=translation.get_language() or settings.LANGUAGE_CODE,
                owner=request.user if request.user.is_authenticated else None,
                now=now,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            held_uploads.release_held(gathered.held)
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
    return _form_page_holding(request, {"form": form}, gathered, owner=owner, now=now, status=400)


@sensitive_variables("context", "gathered", "held")
def _form_page_holding(
    request: HttpRequest,
    context: dict[str, Any],
    gathered: held_uploads.GatheredAttachments,
    *,
    owner: str,
    now: dt.datetime,
    status: int = 200,
) -> HttpResponse:
    """The report form drawn again, listing the files it holds: those held in earlier rounds
    and those just chosen, held now. When the page cannot be drawn (the database went away
    meanwhile: a 503), the copies just made are deleted again: no page carries their tokens,
    so nothing could ever attach them. Those held before stay, for the page the browser
    still has."""
    earlier = len(gathered.held)
    held = held_uploads.hold_attachments(gathered, owner=owner, now=now)
    try:
        response = render(
            request, "complaints/submit.html", {**context, "held": held}, status=status
        )
    except BaseException:
        held_uploads.release_held(held[earlier:])
        raise
    if held:
        held_uploads.remember_owner(response, owner, path=request.path)
    return response


@sensitive_variables("value", "access_key")
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
    response = _receipt_page(request, complaint, access_key)
    response.delete_cookie(RECEIPT_COOKIE, samesite="Lax")
    return response


def _receipt_page(
    request: HttpRequest,
    complaint: Complaint,
    access_key: str,
    *,
    email_form: ReceiptEmailForm | None = None,
    sent_to: str = "",
    status: int = 200,
) -> HttpResponse:
    """The receipt: the number, the private link, a file to download it as, and (when the
    reporter gave no e-mail address) the form that e-mails it."""
    private_url = request.build_absolute_uri(private_link_path(complaint, access_key))
    has_email = bool(complaint.reporter.email)
    if email_form is None and not has_email:
        email_form = ReceiptEmailForm(
            initial={"tracking_number": complaint.tracking_number, "access_key": access_key}
        )
    response = render(
        request,
        "complaints/receipt.html",
        {
            "complaint": complaint,
            "private_url": private_url,
            "has_email": has_email and not sent_to,
            # A lost link can be sent again to the reporter's kept address.
            "can_resend": has_email,
            "email_form": None if has_email else email_form,
            "sent_to": sent_to,
            "download_name": f"lapor-{complaint.tracking_number}.txt",
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@sensitive_variables("access_key", "form")
@sensitive_post_parameters("access_key", "email")
@require_POST
def receipt_email(request: HttpRequest) -> HttpResponse:
    """From the receipt, e-mail the private link to an address given after filing. The report's
    number and key come in the POST body, as the receipt page holds them (never in a URL, so
    never in a log); a key that does not open the report is answered like a receipt already
    shown. Limited per address and per report (``LAPOR_PRIVATE_LINK_RATE``)."""
    access_key = request.POST.get("access_key", "")
    try:
        complaint = selectors.access_complaint_by_private_link(
            request.POST.get("tracking_number", ""), access_key
        )
    except Complaint.DoesNotExist:
        return render(request, "complaints/receipt_gone.html", status=410)
    form = ReceiptEmailForm(request.POST)
    if not form.is_valid():
        return _receipt_page(request, complaint, access_key, email_form=form, status=400)
    wait = private_link_wait_seconds(request, complaint.tracking_number)
    if wait is not None:
        form.add_error(None, _too_many(wait))
        response = _receipt_page(request, complaint, access_key, email_form=form, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        services.email_private_link(
            complaint_id=complaint.pk,
            access_key=access_key,
            email=form.cleaned_data["email"],
            keep=form.cleaned_data["keep"],
            now=timezone.now(),
        )
    except Complaint.DoesNotExist:  # the link was replaced meanwhile
        return render(request, "complaints/receipt_gone.html", status=410)
    except ValidationError as exc:
        for error in exc.message_dict.get("email", []):
            form.add_error("email", error)
        return _receipt_page(request, complaint, access_key, email_form=form, status=400)
    except ActionError as exc:
        messages.error(request, exc.message)
        complaint.refresh_from_db()
        return _receipt_page(request, complaint, access_key, status=409)
    complaint.reporter.refresh_from_db()
    # Not a redirect: the page that shows the link again is the one that holds it.
    return _receipt_page(request, complaint, access_key, sent_to=form.cleaned_data["email"])


def _too_many(wait_seconds: int) -> str:
    minutes = max(1, (wait_seconds + 59) // 60)
    return ngettext(
        "Too many links have been asked for from your connection or for this report. Please "
        "try again in %(minutes)d minute.",
        "Too many links have been asked for from your connection or for this report. Please "
        "try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


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
    return _track_page(request, form, ResendLinkForm())


def _track_page(
    request: HttpRequest, form: TrackForm, link_form: ResendLinkForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request, "complaints/track.html", {"form": form, "link_form": link_form}, status=status
    )


@sensitive_post_parameters("contact")
@require_http_methods(["GET", "POST"])
def resend_link(request: HttpRequest) -> HttpResponse:
    """A citizen who lost the private link asks for a new one with the tracking number and the
    e-mail address or phone number given with the report. The answer is the same whether or
    not they match (``services.resend_private_link``): the page tells no one whose report it
    is. Limited per address and per report (``LAPOR_PRIVATE_LINK_RATE``)."""
    if request.method == "GET":  # the form lives on the tracking page
        return redirect(reverse("complaints:track") + "#tautan-baru")
    form = ResendLinkForm(request.POST)
    if not form.is_valid():
        return _track_page(request, TrackForm(), form, status=400)
    data = form.cleaned_data
    wait = private_link_wait_seconds(request, data["tracking_number"])
    if wait is not None:
        form.add_error(None, _too_many(wait))
        response = _track_page(request, TrackForm(), form, status=429)
        response["Retry-After"] = str(wait)
        return response
    try:
        complaint = selectors.get_complaint_by_tracking_number(data["tracking_number"])
    except Complaint.DoesNotExist:
        pass
    else:
        services.resend_private_link(
            complaint_id=complaint.pk, email=data["email"], phone=data["phone"], now=timezone.now()
        )
    if data["phone"] and settings.LAPOR_SMS_BACKEND:
        messages.success(
            request,
            _(
                "If this is the number you gave with this report, a new private link is on its "
                "way: by SMS (or WhatsApp, if you sent the report that way), or by e-mail if you "
                "also gave an address. The old one no longer works."
            ),
        )
    elif data["phone"]:
        messages.info(
            request,
            _(
                "We cannot send text messages yet, so a new private link can only go by e-mail. "
                "If this is the number you gave with this report and you also gave an e-mail "
                "address, a new link is on its way to that address and the old one no longer "
                "works. If you gave only a phone number, follow your report with its tracking "
                "number for now."
            ),
        )
    else:
        messages.success(
            request,
            _(
                "If this is the address you gave with this report, a new private link is on its "
                "way; the old one no longer works. It can take a few minutes: look in your spam "
                "folder too."
            ),
        )
    return redirect("complaints:track")


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
                "link_form": _link_form_for(complaint),
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
            "link_form": _link_form_for(complaint),
        },
    )


def _link_form_for(complaint: Complaint) -> ResendLinkForm:
    """The "lost your private link?" form of a report's public page, its number filled in."""
    return ResendLinkForm(initial={"tracking_number": complaint.tracking_number})


def _private_page(
    request: HttpRequest,
    complaint: Complaint,
    access_key: str,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The reporter's page. A form sent back with errors (``bound``, by its URL word) is drawn
    again as it was typed, and its error summary stands at the top of the page, above the
    report, linking to the fields further down."""
    allowed = selectors.citizen_actions(complaint)
    offered = [word for word, action in URL_WORDS.items() if action in allowed]
    citizen_forms = {
        name: (bound or {}).get(name) or CITIZEN_FORMS[name](auto_id=f"id_{name}_%s")
        for name in offered
    }
    failed = next(((name, form) for name, form in (bound or {}).items() if form.errors), None)
    response = render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "reporter": complaint.reporter,
            "attachments": complaint.attachments.filter(response__isnull=True).order_by("position"),
            "responses": selectors.private_response_list(complaint),
            "events": selectors.public_event_list(complaint),
            "transfer_count": complaint.transfer_requests.count(),
            "private": True,
            "access_key": access_key,
            "citizen_forms": citizen_forms,
            "error_form": failed[1] if failed else None,
            "error_intro": NOT_SENT[failed[0]] if failed else "",
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# The first line of the error summary of a citizen's form that came back, by its URL word.
NOT_SENT = {
    "lengkapi": gettext_lazy("Your report was not completed. Please correct this:"),
    "tambah": gettext_lazy("What you added was not sent. Please correct this:"),
    "balas": gettext_lazy("Your reply was not sent. Please correct this:"),
    "terima": gettext_lazy("The answer was not accepted:"),
    "sanggah": gettext_lazy("Your dispute was not sent. Please correct this:"),
    "nilai": gettext_lazy("Your rating was not sent. Please correct this:"),
}


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
        if not exc.conflict:
            # Input the service refused (a reason with control characters): the form comes
            # back as typed, the message in its summary at the top.
            form.add_error(None, exc.message)
            return _private_page(request, complaint, access_key, bound={action: form}, status=400)
        # The report moved on: its state now, the message at the top (messages).
        messages.error(request, exc.message)
        complaint.refresh_from_db()
        return _private_page(request, complaint, access_key, status=409)
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
    """The landing page: how a report goes (four steps with the deadlines in force), what
    anonymous and confidential mean, this month's figures (cached for a few minutes, see
    ``selectors.month_figures``), the newest public reports, and the box to follow a report."""
    return render(
        request,
        "home.html",
        {
            "track_form": TrackForm(),
            "deadlines": selectors.process_deadlines(),
            "figures": selectors.month_figures(now=timezone.now()),
            "recent": selectors.recent_public_complaints(),
        },
    )


SUPPORTER_COOKIE = "lapor_supporter"

# The public list counts at most this many reports ("more than 10,000"): an exact COUNT reads
# every matching row, which for an unfiltered list on every anonymous page view would grow with
# the archive; reading at most one row more than this costs the same whatever the archive holds,
# and past it nobody reads the number as more than "a lot".
PUBLIC_COUNT_LIMIT = 10_000


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Reports anyone may read (never a confidential one), newest or most supported first."""
    order = (
        selectors.PublicOrder(request.GET["order"])
        if request.GET.get("order") in selectors.PublicOrder.__members__.values()
        else selectors.PublicOrder.NEWEST
    )
    filters = PublicComplaintFilter(request.GET, queryset=Complaint.objects.listed())
    items: list[Complaint] = []
    following = None
    if filters.is_valid():
        items, following = selectors.public_page(
            filters.qs.select_related("category", "region", "current_agency"),
            order=order,
            after=request.GET.get("after", ""),
        )
    summary = summarize(filters, request.GET, count_limit=PUBLIC_COUNT_LIMIT)
    params = request.GET.copy()
    params.pop("after", None)
    next_url = ""
    if following:
        params["after"] = following
        next_url = "?" + params.urlencode()
    # The order tabs keep the filters, and start again at the first page.
    params.pop("after", None)
    order_urls = {}
    for each in selectors.PublicOrder:
        params["order"] = each.value
        order_urls[each.value] = "?" + params.urlencode()
    return render(
        request,
        "complaints/public_list.html",
        {
            "filters": filters,
            "items": items,
            "order": order,
            "next_url": next_url,
            "summary": summary,
            "order_urls": order_urls,
        },
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
    """An agency in public: how to reach it, how it responds (reports handed to it, share
    answered, median days to the first answer, over the last 12 months) and its newest public
    reports."""
    agency = selectors.get_public_agency(code)
    if agency is None:
        raise Http404
    return render(
        request,
        "complaints/agency.html",
        {
            "agency": agency,
            "figures": selectors.agency_figures(agency, now=timezone.now()),
            "reports": selectors.agency_recent_reports(agency),
        },
    )
