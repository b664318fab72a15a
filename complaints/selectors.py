"""Reads of reports: for citizens by tracking number (public) and by private link, and for staff
through the one rule of who sees what (``complaints_visible_to``)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from complaints.models import Complaint, ComplaintEvent
from lapor.lib.tracking import normalize_tracking_number
from routing import selectors as routing_selectors
from routing.models import Agency, Disposition, Officer


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


def staff_agency(user: AbstractBaseUser | AnonymousUser) -> Agency | None:
    """The agency a staff user belongs to, or None for anyone who is not an officer."""
    if not user.is_authenticated or not user.is_active:
        return None
    officer = Officer.objects.select_related("agency").filter(user_id=user.pk).first()
    return officer.agency if officer is not None and officer.agency.is_active else None


def complaints_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Complaint]:
    """The one place that decides which reports a staff user may see.

    An OPD officer sees the reports that are or were disposed to their agency; a coordinator
    those held now or before by any agency of its subtree (the national coordinator: all);
    anyone else, none. Whatever is not in here answers 404 to staff, by page, API or export.
    """
    agency = staff_agency(user)
    if agency is None:
        return Complaint.objects.none()
    if agency.level == Agency.Level.NATIONAL:
        return Complaint.objects.all()
    agencies = (
        {agency.pk} if agency.level == Agency.Level.OPD else routing_selectors.subtree_ids(agency)
    )
    handed = Disposition.objects.filter(complaint=OuterRef("pk"), to_agency_id__in=agencies)
    return Complaint.objects.filter(Q(current_agency_id__in=agencies) | Exists(handed))


def access_complaint_for_staff(
    user: AbstractBaseUser | AnonymousUser, tracking_number: str
) -> Complaint:
    """A report a staff user may open.

    :raises Complaint.DoesNotExist: when there is none, or the user may not see it (the same
        answer, so that a URL tells nothing about reports of other agencies).
    """
    canonical = normalize_tracking_number(tracking_number)
    if canonical is None:
        raise Complaint.DoesNotExist
    return (
        complaints_visible_to(user)
        .select_related("category", "region", "current_agency")
        .get(tracking_number=canonical)
    )
