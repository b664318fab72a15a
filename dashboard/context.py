"""What a staff member is shown of a report (page and API alike), and nothing about an
anonymous reporter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors, similar
from complaints.models import (
    AnswerTemplate,
    Channel,
    Complaint,
    ComplaintEvent,
    Disposition,
    Reporter,
    TransferRequest,
)
from complaints.selectors import Action
from dashboard.actions import action_form
from dashboard.forms import TransferForm
from routing.models import Agency, Officer


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


# A channel in a word or two, for a list's row (the rest read as their full label).
_SHORT_CHANNEL = {
    Channel.WEB: _("web"),
    Channel.WALK_IN: _("in person"),
    Channel.OTHER: _("other"),
}


def short_channel(channel: str) -> str:
    """How a report came in, as a list's row names it ("web", "telephone", "in person")."""
    if channel in _SHORT_CHANNEL:
        return str(_SHORT_CHANNEL[Channel(channel)])
    return str(Channel(channel).label) if channel in Channel.values else channel


@dataclass(frozen=True)
class Recorder:
    """The officer who recorded a report brought to an office: their full name (or username),
    username and agency now (their ``Officer`` row; None once they belong to none)."""

    name: str
    username: str
    agency: Agency | None


def may_see_recorder(user: User, agency: Agency, complaint: Complaint) -> bool:
    """Who recorded a report brought to an office is shown to every coordinator that sees the
    report and to the officer who recorded it; other officers see only its channel."""
    return complaint.entered_by_id is not None and (
        agency.is_coordinator or complaint.entered_by_id == user.pk
    )


def recorded_by(user: User, agency: Agency, complaint: Complaint) -> Recorder | None:
    """The officer who recorded ``complaint``, for the staff who may know
    (``may_see_recorder``); None for the others and for a report that came by the portal."""
    officer_id = complaint.entered_by_id
    if officer_id is None or not may_see_recorder(user, agency, complaint):
        return None
    officer = User.objects.get(pk=officer_id)
    row = Officer.objects.select_related("agency").filter(user_id=officer.pk).first()
    return Recorder(
        name=officer.get_full_name() or officer.get_username(),
        username=officer.get_username(),
        agency=row.agency if row is not None else None,
    )


def report_events(user: User, agency: Agency, complaint: Complaint) -> list[ComplaintEvent]:
    """The report's events, oldest first. The events its recording wrote (filed and, when it
    was kept, kept: by the officer who recorded it, at the moment it counts as received) are
    marked ``actor_hidden`` for the staff who may not know who recorded it."""
    events = list(complaint.events.select_related("actor").order_by("created_at", "pk"))
    if complaint.entered_by_id is not None and not may_see_recorder(user, agency, complaint):
        for event in events:
            if (
                event.actor_id == complaint.entered_by_id
                and event.created_at <= complaint.submitted_at
            ):
                event.actor_hidden = True  # type: ignore[attr-defined]  # read by the page and the API
    return events


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
        "events": report_events(user, agency, complaint),
        # Duplicates: the original this report follows (never confidential: its public page),
        # and the reports merged into this one (they follow it: whoever holds it sees them).
        "original": (
            Complaint.objects.only("tracking_number", "title").get(pk=complaint.duplicate_of_id)
            if complaint.duplicate_of_id
            else None
        ),
        "merged_in": list(
            complaint.duplicates.order_by("submitted_at", "pk").only(
                "tracking_number", "title", "submitted_at", "duplicate_of_id"
            )
        ),
        "recorded_by": recorded_by(user, agency, complaint),
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
    data["possible_duplicates"] = (
        similar.possible_duplicates(complaint, user=request.user)
        if complaint.is_open and complaint.duplicate_of_id is None
        else []
    )
    data["answer_templates"] = (
        AnswerTemplate.objects.filter(is_active=True)
        .filter(Q(category=complaint.category_id) | Q(category__isnull=True))
        .order_by("position", "title")
        if Action.ANSWER in allowed
        else []
    )
    return data
