"""Reads of reports for citizens: by tracking number (public) and by private link."""

from __future__ import annotations

from django.db.models import QuerySet

from complaints.models import Complaint, ComplaintEvent
from lapor.lib.tracking import normalize_tracking_number


def get_complaint_by_tracking_number(tracking_number: str) -> Complaint:
    """The report with this tracking number, for its public view.

    :raises Complaint.DoesNotExist: for an unknown or malformed number.
    """
    canonical = normalize_tracking_number(tracking_number)
    if canonical is None:
        raise Complaint.DoesNotExist
    return Complaint.objects.select_related(
        "category", "region", "region__parent", "current_agency"
    ).get(tracking_number=canonical)


def access_complaint_by_private_link(tracking_number: str, access_key: str) -> Complaint:
    """The report behind a private link, with its reporter and attachments.

    A wrong key and an unknown number fail the same way, so the answer tells nothing.

    :raises Complaint.DoesNotExist: unless the key belongs to the report.
    """
    complaint = get_complaint_by_tracking_number(tracking_number)
    if not complaint.access_key_matches(access_key):
        raise Complaint.DoesNotExist
    return complaint


def public_event_list(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.filter(is_public=True).order_by("created_at", "pk")
