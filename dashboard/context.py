"""What a staff member is shown of a report (page and API alike), and nothing about an
anonymous reporter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from complaints import selectors
from complaints.models import AnswerTemplate, Complaint, Disposition, Reporter, TransferRequest
from complaints.selectors import Action
from dashboard.actions import action_form
from dashboard.forms import TransferForm
from routing.models import Agency


class StaffRequest(HttpRequest):
    """A request ``dashboard.views.staff_view`` let through: a logged-in officer, and the
    active agency it belongs to."""

    user: User
    agency: Agency


def visible_reporter(complaint: Complaint) -> Reporter | None:
    """The reporter's name and contact for staff, or None for an anonymous report: the one
    place staff pages and the staff API read the reporter. The address is never read."""
    if complaint.is_anonymous:
        return None
    return Reporter.objects.only("name", "email", "phone").filter(complaint=complaint).first()


def report_data(
    user: User, agency: Agency, complaint: Complaint, now: dt.datetime
) -> dict[str, Any]:
    return {
        "agency": agency,
        "complaint": complaint,
        "now": now,
        "overdue": complaint.is_overdue(now),
        "reporter": visible_reporter(complaint),
        "attachments": list(
            complaint.attachments.filter(response__isnull=True).order_by("position")
        ),
        "responses": selectors.response_list(complaint),
        "events": list(complaint.events.select_related("actor").order_by("created_at", "pk")),
        "dispositions": list(
            Disposition.objects.filter(complaint=complaint)
            .select_related("from_agency", "to_agency")
            .order_by("sequence")
        ),
        "open_transfers": list(
            TransferRequest.objects.filter(complaint=complaint, decided_at__isnull=True)
            .select_related("from_agency", "suggested_agency")
            .order_by("created_at")
        ),
        "transfer_count": complaint.transfer_requests.count(),
        "allowed_actions": selectors.staff_actions(user, agency, complaint),
        # The reporter's dispute the report is with this coordinator for; None otherwise.
        "dispute": selectors.current_dispute(complaint),
    }


def complaint_context(
    request: StaffRequest, complaint: Complaint, *, bound: dict[Action, Any] | None = None
) -> dict[str, Any]:
    """The report page: the report's data and a form for each action this user may take
    (``bound``: forms that came back with errors)."""
    agency = request.agency
    data = report_data(request.user, agency, complaint, timezone.now())
    allowed = data["allowed_actions"]
    action_forms: dict[str, Any] = {}
    for action in sorted(allowed):
        key = action.replace("-", "_")
        if bound and action in bound:
            action_forms[key] = bound[action]
            continue
        action_forms[key] = action_form(action, agency, initial={"version": complaint.version})
    transfer = action_forms.get(Action.TRANSFER)
    if isinstance(transfer, TransferForm):
        # Bound or not, the officer picks from the agencies near the report.
        transfer.offer_nearby(selectors.nearby_agencies(agency, complaint.region))
    data["forms"] = action_forms
    data["answer_templates"] = (
        AnswerTemplate.objects.filter(is_active=True)
        .filter(Q(category=complaint.category_id) | Q(category__isnull=True))
        .order_by("position", "title")
        if Action.ANSWER in allowed
        else []
    )
    return data
