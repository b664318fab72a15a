"""E-mails about reports: to the reporter (receipt, updates, account activation) and to the
officers of an agency (a report handed to it, the day's overdue digest). Nothing about the
reporter is ever in a message to staff."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from complaints.models import Complaint, ComplaintEvent, Response
from complaints.reply_address import reply_address
from complaints.tokens import activation_tokens
from routing.emails import officer_addresses, send_staff_email
from routing.models import Agency


def private_link_path(complaint: Complaint, access_key: str) -> str:
    return reverse(
        "complaints:private",
        kwargs={"tracking_number": complaint.tracking_number, "access_key": access_key},
    )


def send_receipt_email(
    *, complaint: Complaint, access_key: str | None, message_id: str | None = None
) -> bool:
    """Send the receipt with the private link (or, without the key, the tracking number
    alone), in the language the citizen used; False when there is no address."""
    address = complaint.reporter.email
    if not address:
        return False
    with translation.override(complaint.language):
        context = {
            "complaint": complaint,
            "private_url": settings.LAPOR_BASE_URL + private_link_path(complaint, access_key)
            if access_key
            else "",
            "track_url": settings.LAPOR_BASE_URL + reverse("complaints:track"),
        }
        subject = render_to_string("emails/receipt_subject.txt", context).strip()
        text = render_to_string("emails/receipt_body.txt", context)
        html = render_to_string("emails/receipt_body.html", context)
    message = EmailMultiAlternatives(
        subject, text, to=[address], headers=_reporter_headers(complaint, message_id)
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def send_private_link_email(
    *,
    complaint: Complaint,
    access_key: str,
    address: str,
    renewed: bool,
    message_id: str | None = None,
) -> None:
    """Send the private link the reporter asked for, in the language they used: a new one
    (``renewed``: the old link no longer works, and whoever did not ask should know), or the
    receipt's link, to an address they gave after filing."""
    with translation.override(complaint.language):
        context = {
            "complaint": complaint,
            "private_url": settings.LAPOR_BASE_URL + private_link_path(complaint, access_key),
            "track_url": settings.LAPOR_BASE_URL + reverse("complaints:track"),
            "renewed": renewed,
        }
        subject = render_to_string("emails/private_link_subject.txt", context).strip()
        text = render_to_string("emails/private_link_body.txt", context)
        html = render_to_string("emails/private_link_body.html", context)
    message = EmailMultiAlternatives(
        subject, text, to=[address], headers=_reporter_headers(complaint, message_id)
    )
    message.attach_alternative(html, "text/html")
    message.send()


# Stamped on every e-mail the portal sends: the e-mail door drops a message that carries it
# (a reporter's server that sends our mail back to us), and, with Auto-Submitted (RFC 3834),
# vacation responders leave it unanswered.
LOOP_HEADER = "X-Lapor-Loop"


def _headers(message_id: str | None) -> dict[str, str]:
    headers = {LOOP_HEADER: "1", "Auto-Submitted": "auto-generated"}
    if message_id:
        headers["Message-ID"] = message_id
    return headers


def _reporter_headers(complaint: Complaint, message_id: str | None) -> dict[str, str]:
    """An e-mail to the reporter about their report: a reply to it is added to the report
    (``complaints.reply_address``), when the portal takes e-mail."""
    headers = _headers(message_id)
    address = reply_address(complaint)
    if address:
        headers["Reply-To"] = address
    return headers


def response_of(event: ComplaintEvent) -> Response | None:
    """The agency's words an event carries: an answer's or an interim reply's (None for any
    other event)."""
    if event.type not in (ComplaintEvent.Type.RESPONDED, ComplaintEvent.Type.INTERIM_REPLY):
        return None
    return (
        Response.objects.select_related("agency").filter(pk=event.data.get("response_id")).first()
    )


def send_reporter_update(*, event: ComplaintEvent, message_id: str | None = None) -> bool:
    """Tell the reporter what just happened to their report, in the language they used: the
    answer itself for an answer, else the step in words (with the reason of an archive). The
    private link cannot be in it (only its hash is kept); the receipt has it. False when
    there is no address."""
    complaint = event.complaint
    address = complaint.reporter.email
    if not address:
        return False
    response = response_of(event)
    name = (
        "answer"
        if response is not None and event.type == ComplaintEvent.Type.RESPONDED
        else "reporter_update"
    )
    with translation.override(complaint.language):
        context = {
            "complaint": complaint,
            "event": event,
            "response": response,
            "track_url": settings.LAPOR_BASE_URL
            + reverse("complaints:public", kwargs={"tracking_number": complaint.tracking_number}),
        }
        subject = render_to_string(f"emails/{name}_subject.txt", context).strip()
        text = render_to_string(f"emails/{name}_body.txt", context)
        html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(
        subject, text, to=[address], headers=_reporter_headers(complaint, message_id)
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def _account_link(name: str, user: User, token: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.LAPOR_BASE_URL + reverse(name, kwargs={"uidb64": uid, "token": token})


def _send_account_email(
    user: User, template: str, context: dict[str, str], message_id: str | None
) -> None:
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}_body.txt", context)
    EmailMultiAlternatives(subject, text, to=[user.email], headers=_headers(message_id)).send()


def send_activation_email(*, user: User, message_id: str | None = None) -> None:
    """The one-time link that confirms a citizen's address and sets the password (valid for
    three days, ``PASSWORD_RESET_TIMEOUT``)."""
    token = activation_tokens.make_token(user)
    _send_account_email(
        user,
        "activation",
        {"url": _account_link("complaints:activate", user, token)},
        message_id,
    )


def send_account_exists_email(*, user: User, message_id: str | None = None) -> None:
    """Someone asked for an account with an address that has one: say so to the address, with
    the way to a new password (the form told the asker nothing)."""
    _send_account_email(
        user,
        "account_exists",
        {
            "login_url": settings.LAPOR_BASE_URL + reverse("complaints:login"),
            "reset_url": settings.LAPOR_BASE_URL + reverse("complaints:password-reset"),
        },
        message_id,
    )


def send_password_reset_email(*, user: User, message_id: str | None = None) -> None:
    """The one-time link to choose a new password (Django's reset token, three days)."""
    token = default_token_generator.make_token(user)
    _send_account_email(
        user,
        "password_reset",
        {"url": _account_link("complaints:password-reset-confirm", user, token)},
        message_id,
    )


def send_agency_notification(*, complaint: Complaint, message_id: str | None = None) -> bool:
    """Tell the officers of the agency holding a report that it is now theirs to handle (or to
    verify). Nothing about the reporter is in it: not for an anonymous report, and not for any
    other either."""
    agency = complaint.current_agency
    if agency is None:
        return False
    addresses = officer_addresses(agency)
    if not addresses:
        return False
    send_staff_email(
        addresses=addresses,
        template="agency_notification",
        context={"complaint": complaint, "agency": agency},
        message_id=message_id,
    )
    return True


def send_overdue_digest_email(
    *, agency: Agency, complaints: list[Complaint], day: dt.date, message_id: str | None = None
) -> bool:
    """The day's list of reports an agency holds past their deadline (no reporter in it);
    False when the agency has no address."""
    addresses = officer_addresses(agency)
    if not addresses:
        return False
    send_staff_email(
        addresses=addresses,
        template="overdue_digest",
        context={"agency": agency, "complaints": complaints, "day": day},
        message_id=message_id,
    )
    return True
