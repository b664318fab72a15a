from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint


def private_link_path(complaint: Complaint, access_key: str) -> str:
    return reverse(
        "complaints:private",
        kwargs={"tracking_number": complaint.tracking_number, "access_key": access_key},
    )


def send_receipt_email(*, complaint: Complaint, access_key: str) -> None:
    """Send the receipt with the private link, in the language the citizen used."""
    address = complaint.reporter.email
    if not address:
        return
    with translation.override(complaint.language):
        context = {
            "complaint": complaint,
            "private_url": settings.LAPOR_BASE_URL + private_link_path(complaint, access_key),
            "track_url": settings.LAPOR_BASE_URL + reverse("complaints:track"),
        }
        subject = render_to_string("emails/receipt_subject.txt", context).strip()
        text = render_to_string("emails/receipt_body.txt", context)
        html = render_to_string("emails/receipt_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[address])
    message.attach_alternative(html, "text/html")
    message.send()
