from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from routing.models import Disposition


def send_agency_notification(*, complaint_id: int, disposition: int) -> None:
    """Tell an agency's officers that a report was handed to them. Nothing about the reporter is
    in it: not for an anonymous report, and not for any other either."""
    found = (
        Disposition.objects.select_related("complaint", "complaint__category", "to_agency")
        .filter(complaint_id=complaint_id, sequence=disposition)
        .first()
    )
    if found is None:
        return
    agency = found.to_agency
    addresses = sorted(
        {
            email
            for email in agency.officers.filter(user__is_active=True).values_list(
                "user__email", flat=True
            )
            if email
        }
        | ({agency.email} if agency.email else set())
    )
    if not addresses:
        return
    with translation.override("id"):
        context = {"disposition": found, "complaint": found.complaint, "agency": agency}
        subject = render_to_string("emails/agency_notification_subject.txt", context).strip()
        text = render_to_string("emails/agency_notification_body.txt", context)
        html = render_to_string("emails/agency_notification_body.html", context)
    message = EmailMultiAlternatives(subject, text, bcc=addresses)
    message.attach_alternative(html, "text/html")
    message.send()
