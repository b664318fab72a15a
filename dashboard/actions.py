"""Each staff action: its form and the one service it calls. Shared by the pages and the API,
so both take the same input to the same service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

from django import forms as django_forms
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from complaints import selectors, services
from complaints.models import Complaint, Reporter
from complaints.selectors import Action
from dashboard import forms
from routing.models import Agency

FORMS: dict[Action, type[django_forms.Form]] = {
    Action.ACKNOWLEDGE: forms.AcknowledgeForm,
    Action.INTERIM: forms.InterimForm,
    Action.ANSWER: forms.AnswerForm,
    Action.INSPECTION: forms.ReasonForm,
    Action.EXTEND: forms.ReasonForm,
    Action.TRANSFER: forms.TransferForm,
    Action.NOTE: forms.NoteForm,
    Action.DISPOSE: forms.DisposeForm,
    Action.PASS_UP: forms.ReasonForm,
    Action.ARCHIVE: forms.ReasonForm,
    Action.PRIVACY: forms.PrivacyForm,
    Action.REVEAL: forms.RevealForm,
    Action.DETAILS: forms.DetailsForm,
    Action.MERGE: forms.MergeForm,
    Action.UNMERGE: forms.ReasonForm,
}


def agency_choices(action: Action, agency: Agency) -> QuerySet[Agency]:
    """Dispose: the agencies below the coordinator. Transfer: the OPDs and coordinators an
    officer may name (any active agency; the coordinator decides). The transfer form lists
    only those near the report (``TransferForm.offer_nearby``), but accepts any of these, as
    the API does."""
    if action == Action.DISPOSE:
        return selectors.dispose_targets(agency)
    return (
        Agency.objects.filter(is_active=True)
        .exclude(pk=agency.pk)
        .select_related(*selectors.AGENCY_PLACE_FIELDS)
        .order_by("level", "name")
    )


def action_form(
    action: Action,
    agency: Agency,
    data: Mapping[str, Any] | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
    **kwargs: Any,
) -> django_forms.Form:
    """The form of ``action`` for this agency (with the agencies it may name), bound or not."""
    if action in (Action.DISPOSE, Action.TRANSFER):
        kwargs["agencies"] = agency_choices(action, agency)
    return FORMS[action](data, files, auto_id=f"id_{action}_%s", **kwargs)


class _Common(TypedDict):
    """What every action's service is given."""

    complaint_id: int
    actor: User
    now: dt.datetime


def perform(
    action: Action, *, complaint: Complaint, agency: Agency, user: User, data: dict[str, Any]
) -> str | Reporter:
    """Call the service of ``action`` with a form's cleaned data; returns the message to show
    (for a reveal: the reporter).

    :raises ActionError: from the service (a conflict, or an action that cannot be taken).
    :raises ValidationError: from the service, per field.
    """
    now = timezone.now()
    version = data.get("version")
    common: _Common = {"complaint_id": complaint.pk, "actor": user, "now": now}
    if action == Action.ACKNOWLEDGE:
        services.acknowledge_complaint(agency=agency, expected_version=version, **common)
        return _("The report is now in progress at your agency.")
    if action in (Action.ANSWER, Action.INTERIM):
        final = action == Action.ANSWER and data.get("kind") != forms.AnswerForm.INTERIM
        services.respond_to_complaint(
            agency=agency,
            text=data["text"],
            attachments=data.get("attachments") or [],
            final=final,
            expected_version=version,
            **common,
        )
        if final:
            return _("Your answer has been sent; the citizen is told.")
        return _("Your interim reply has been sent; the report stays with you.")
    if action == Action.INSPECTION:
        services.set_inspection_deadline(
            agency=agency, reason=data["reason"], expected_version=version, **common
        )
        return _("The complaint now has the inspection deadline; the citizen is told why.")
    if action == Action.EXTEND:
        services.extend_deadline(
            agency=agency, reason=data["reason"], expected_version=version, **common
        )
        return _("The deadline was extended; the citizen is told why.")
    if action == Action.TRANSFER:
        services.request_transfer(
            agency=agency,
            reason=data["reason"],
            suggested_agency=data.get("suggested_agency"),
            expected_version=version,
            **common,
        )
        return _("The report went back to your coordinator, with your reason.")
    if action == Action.NOTE:
        services.add_internal_note(agency=agency, text=data["text"], **common)
        return _("Note added.")
    if action == Action.DISPOSE:
        disposition = services.dispose_complaint(
            coordinator=agency,
            to_agency=data["to_agency"],
            allow_returned=bool(data.get("allow_returned")),
            expected_version=version,
            **common,
        )
        return _("The report was handed to %(agency)s.") % {"agency": disposition.to_agency.name}
    if action == Action.PASS_UP:
        disposition = services.pass_up_complaint(
            coordinator=agency, reason=data["reason"], expected_version=version, **common
        )
        return _("The report was passed up to %(agency)s.") % {"agency": disposition.to_agency.name}
    if action == Action.ARCHIVE:
        services.archive_complaint(
            coordinator=agency, reason=data["reason"], expected_version=version, **common
        )
        return _("The report was archived.")
    if action == Action.PRIVACY:
        services.raise_privacy(
            coordinator=agency,
            make_anonymous=bool(data.get("make_anonymous")),
            make_confidential=bool(data.get("make_confidential")),
            expected_version=version,
            **common,
        )
        return _("The report is now more private.")
    if action == Action.DETAILS:
        services.set_details(
            coordinator=agency,
            category=data["category"],
            region=data["regency"],
            expected_version=version,
            **common,
        )
        return _("The report has its category and place and is being routed by the rules.")
    if action == Action.MERGE:
        services.merge_duplicate(
            agency=agency,
            original_tracking_number=data["original"],
            reason=data["reason"],
            expected_version=version,
            **common,
        )
        return _("The report now follows the report of the same problem; its reporter is told.")
    if action == Action.UNMERGE:
        services.unmerge_duplicate(
            agency=agency, reason=data["reason"], expected_version=version, **common
        )
        return _("The report is a report of its own again, handed to your agency.")
    if action == Action.REVEAL:
        return services.reveal_reporter(
            complaint_id=complaint.pk, actor=user, reason=data["reason"], now=now
        )
    raise ValueError(action)
