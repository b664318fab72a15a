"""E-mail to the staff of an agency: one way for every message to officers."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from routing.models import Agency


def send_staff_email(
    *, addresses: list[str], template: str, context: dict[str, Any], message_id: str | None = None
) -> None:
    """An e-mail to staff, in Indonesian, from ``emails/<template>_{subject.txt,body.txt,
    body.html}``; the addresses in Bcc, so that officers do not see each other's. ``message_id``:
    its stable Message-ID (the outbox's)."""
    with translation.override("id"):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        text = render_to_string(f"emails/{template}_body.txt", context)
        html = render_to_string(f"emails/{template}_body.html", context)
    headers = {"Message-ID": message_id} if message_id else {}
    message = EmailMultiAlternatives(subject, text, bcc=addresses, headers=headers)
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
