from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from complaints.models import Complaint
from routing.models import Agency


def send_agency_notification(*, complaint: Complaint) -> None:
    """Tell the officers of the agency holding a report that it is now theirs to handle (or to
    verify). Nothing about the reporter is in it: not for an anonymous report, and not for any
    other either."""
    agency = complaint.current_agency
    if agency is None:
        return
    addresses = officer_addresses(agency)
    if not addresses:
        return
    with translation.override("id"):
        context = {"complaint": complaint, "agency": agency}
        subject = render_to_string("emails/agency_notification_subject.txt", context).strip()
        text = render_to_string("emails/agency_notification_body.txt", context)
        html = render_to_string("emails/agency_notification_body.html", context)
    message = EmailMultiAlternatives(subject, text, bcc=addresses)
    message.attach_alternative(html, "text/html")
    message.send()


def officer_addresses(agency: Agency) -> list[str]:
    return sorted(
        {
            email
            for email in agency.officers.filter(user__is_active=True).values_list(
                "user__email", flat=True
            )
            if email
        }
        | ({agency.email} if agency.email else set())
    )


def send_overdue_digest_email(*, agency: Agency, complaints: list[Complaint], day: dt.date) -> None:
    """The day's list of reports an agency holds past their deadline (no reporter in it)."""
    addresses = officer_addresses(agency)
    if not addresses:
        return
    with translation.override("id"):
        context = {"agency": agency, "complaints": complaints, "day": day}
        subject = render_to_string("emails/overdue_digest_subject.txt", context).strip()
        text = render_to_string("emails/overdue_digest_body.txt", context)
        html = render_to_string("emails/overdue_digest_body.html", context)
    message = EmailMultiAlternatives(subject, text, bcc=addresses)
    message.attach_alternative(html, "text/html")
    message.send()
