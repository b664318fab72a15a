from __future__ import annotations

import datetime as dt
from typing import Any

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
    send_staff_email(
        addresses=addresses,
        template="agency_notification",
        context={"complaint": complaint, "agency": agency},
    )


def send_staff_email(*, addresses: list[str], template: str, context: dict[str, Any]) -> None:
    """An e-mail to staff, in Indonesian, from ``emails/<template>_{subject.txt,body.txt,
    body.html}``; the addresses in Bcc, so that officers do not see each other's."""
    with translation.override("id"):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        text = render_to_string(f"emails/{template}_body.txt", context)
        html = render_to_string(f"emails/{template}_body.html", context)
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
    send_staff_email(
        addresses=addresses,
        template="overdue_digest",
        context={"agency": agency, "complaints": complaints, "day": day},
    )
