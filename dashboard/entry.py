"""A report brought to an office, recorded by an officer for the citizen (``input oleh
admin``): the form, and the printable receipt shown once.

The report goes through the one door (``services.enter_complaint``). Its private link exists
only in the answer of that call: it is kept in the officer's session under a one-time key and
shown on the receipt the first time it is opened, then forgotten (the citizen can get a new
link from the tracking page, or by e-mail when they gave an address). With it, the receipt
shows what the reporter gave as the officer typed it: for an anonymous report, the one time
any staff member sees who the reporter was.

The session is a database row, and stays one when the browser closes before the receipt is
shown: it holds the receipt sealed with a key derived from the one-time key, and that key only
as a digest. The one-time key itself is only in the receipt's URL.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from complaints import selectors, services
from complaints.emails import private_link_path
from complaints.models import Complaint
from complaints.selectors import DeadlineInForce
from dashboard.context import StaffRequest
from dashboard.forms import StaffEntryForm
from dashboard.twofactor import qr_svg
from dashboard.views import staff_view
from lapor.lib.secretbox import derived_key, open_sealed, seal

# The session's receipts not yet shown, by a digest of their one-time key; at most this many
# (an officer who records several reports and never opens a receipt does not grow the session).
RECEIPTS_KEY = "dashboard.entry_receipts"
MAX_PENDING_RECEIPTS = 5

_REPORTER_FIELDS = ("reporter_name", "reporter_email", "reporter_phone")
# Where it happened may be where the reporter lives: kept out of error reports as well.
_PLACE_FIELDS = ("address", "coordinates", "latitude", "longitude")


@sensitive_post_parameters(*_REPORTER_FIELDS, *_PLACE_FIELDS)
@require_http_methods(["GET", "POST"])
@staff_view
@sensitive_variables("form", "data", "receipt")  # innermost: it hides this frame's variables
def enter(request: StaffRequest) -> HttpResponse:
    """Record a report brought to the office. Every round checks every field and every file;
    a report is filed whole or not at all (the service writes nothing when it refuses). Files
    are not held across rounds: the form asks for them again."""
    agency = request.agency
    now = timezone.now()
    if request.method == "GET":
        return _entry_page(request, StaffEntryForm(agency=agency, now=now))
    if "_refresh" in request.POST:
        # Without JavaScript the location selects fill in by sending the form back unchecked.
        form = StaffEntryForm(initial=request.POST.dict(), agency=agency, now=now)
        return _entry_page(request, form, refreshed=True)

    # Django's uploaded files (services.UploadedFileLike; its stubs type ``file`` loosely).
    files: list[Any] = request.FILES.getlist("attachments")
    form = StaffEntryForm(request.POST, request.FILES, agency=agency, now=now)
    # The files' checks and cleaning, in the same round as the other fields' (in memory:
    # nothing is stored until the report is filed).
    checked, problems = services.check_attachments(files)
    for problem in problems:
        form.add_error("attachments", problem)
    if form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.enter_complaint(
                officer=request.user,
                agency=agency,
                channel=data["channel"],
                received_on=data["received_on"],
                keep=data["keep"],
                now=now,
                **form.report_fields(),
                checked_attachments=checked,
                # The reporter's e-mails in the portal's language (not the officer's screen's).
                language=settings.LANGUAGE_CODE,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            token = _keep_receipt(request, receipt, data)
            return redirect("dashboard:entry-receipt", token=token)
    return _entry_page(request, form, status=400)


def _entry_page(
    request: StaffRequest, form: StaffEntryForm, *, refreshed: bool = False, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "dashboard/enter.html",
        {
            "agency": request.agency,
            "form": form,
            "refreshed": refreshed,
            # Files chosen before a round that came back are not kept: say so.
            "files_dropped": status != 200 and bool(request.FILES),
            "days_back": settings.LAPOR_STAFF_ENTRY_DAYS_BACK,
        },
        status=status,
    )


def _slot(token: str) -> str:
    """Where the session keeps the receipt of one-time key ``token``: its digest."""
    return hashlib.sha256(f"lapor.entry-receipt:{token}".encode()).hexdigest()


def _keys(token: str) -> tuple[str]:
    """The key that seals the receipt of one-time key ``token`` (which the session has not)."""
    return (derived_key(f"lapor.entry-receipt:{token}"),)


@sensitive_variables("receipt", "data", "pending", "shown", "token")
def _keep_receipt(
    request: StaffRequest, receipt: services.SubmissionReceipt, data: dict[str, Any]
) -> str:
    """Keep what the receipt shows in the session, sealed, under a new one-time key."""
    token = secrets.token_urlsafe(18)
    shown = {
        "complaint": receipt.complaint.pk,
        "access_key": receipt.access_key,
        "reporter": {name: data[name] for name in _REPORTER_FIELDS},
        "is_anonymous": data["is_anonymous"],
        "is_confidential": data["is_confidential"],
    }
    pending: dict[str, Any] = dict(request.session.get(RECEIPTS_KEY) or {})
    pending[_slot(token)] = {
        "user": request.user.pk,
        "sealed": seal(json.dumps(shown), _keys(token)),
    }
    request.session[RECEIPTS_KEY] = dict(list(pending.items())[-MAX_PENDING_RECEIPTS:])
    return token


@sensitive_variables("token", "kept", "opened")
def _take_receipt(request: StaffRequest, token: str) -> dict[str, Any] | None:
    """What the receipt of ``token`` shows, once: it leaves the session as it is read. None
    when it was shown before, is another user's, or was never there."""
    pending: dict[str, Any] = dict(request.session.get(RECEIPTS_KEY) or {})
    kept = pending.pop(_slot(token), None)
    if kept is None:
        return None
    request.session[RECEIPTS_KEY] = pending
    if not isinstance(kept, dict) or kept.get("user") != request.user.pk:
        return None
    opened = open_sealed(str(kept.get("sealed", "")), _keys(token))
    return json.loads(opened) if opened is not None else None


@require_GET
@staff_view
@sensitive_variables("stored", "token", "access_key", "private_url")
def entry_receipt(request: StaffRequest, token: str) -> HttpResponse:
    """The receipt of a report just recorded, to print or show the citizen: shown once (its
    key leaves the session as it is read); opened again, a page that says so."""
    stored = _take_receipt(request, token)
    if stored is None:
        response = render(
            request, "dashboard/entry_receipt_gone.html", {"agency": request.agency}, status=410
        )
        response["Cache-Control"] = "no-store"
        return response
    complaint = Complaint.objects.select_related("current_agency", "category", "region").get(
        pk=stored["complaint"]
    )
    access_key = stored["access_key"]
    deadlines = selectors.process_deadlines()
    private_url = request.build_absolute_uri(private_link_path(complaint, access_key))
    response = render(
        request,
        "dashboard/entry_receipt.html",
        {
            "agency": request.agency,
            "complaint": complaint,
            "private_url": private_url,
            "qr": mark_safe(qr_svg(private_url)),  # noqa: S308  (qrcode's own SVG of our URL)
            "reporter": stored["reporter"],
            "chose_anonymous": stored["is_anonymous"],
            "chose_confidential": stored["is_confidential"],
            "final_answer": _final_answer_deadline(complaint, deadlines),
            "reply_window": deadlines.citizen_reply,
            "track_url": request.build_absolute_uri(reverse("complaints:track")),
            "new_link_url": request.build_absolute_uri(reverse("complaints:resend-link")),
            "can_open": Complaint.objects.visible_to(request.user).filter(pk=complaint.pk).exists(),
        },
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _final_answer_deadline(
    complaint: Complaint, deadlines: selectors.ProcessDeadlines
) -> DeadlineInForce | None:
    return {
        Complaint.Kind.COMPLAINT: deadlines.complaint,
        Complaint.Kind.ASPIRATION: deadlines.aspiration,
        Complaint.Kind.INFORMATION_REQUEST: deadlines.information_request,
    }.get(Complaint.Kind(complaint.kind))
