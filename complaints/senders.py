"""What delivering each kind of message does (``complaints.outbox.deliver``): a routing step,
or one e-mail with the row's stable Message-ID. Each returns whether something went out; the
outbox claims before and marks after. Registered when the app is ready; the recap e-mail is
registered by ``reports``."""

from __future__ import annotations

import datetime as dt
import json

from complaints import dispatch, emails, outbox
from complaints.deadlines import overdue_for_digest
from complaints.models import Complaint, Message, Reporter

# The most levels one delivery takes (national → province → regency/city → OPD is three).
MAX_LEVELS = 6


def route(message: Message, now: dt.datetime) -> bool:
    """Routing steps (``dispatch.route_step``), one level each, in the delivery's transaction:
    as long as the report keeps going down, the next step's row, just queued, is taken here
    too (``outbox.take_inline``) instead of through the broker. Each level is still its own
    hand-over, event and row, and the whole is one commit: a worker that dies in it leaves
    the first row pending. False when the report had moved on already (a second delivery)."""
    assert message.complaint_id is not None
    step = int(message.data["step"])
    moved = False
    for _level in range(MAX_LEVELS):
        try:
            result = dispatch.route_step(complaint_id=message.complaint_id, step=step, now=now)
        except Complaint.DoesNotExist:
            return moved
        moved = moved or result.moved
        if not (result.moved and result.status == Complaint.Status.SUBMITTED):
            return moved
        step += 1
        if not outbox.take_inline(f"route:{message.complaint_id}:{step}", now=now):
            return moved
    return moved


def receipt(message: Message, now: dt.datetime) -> bool:
    """The receipt, with the private link while the row keeps its sealed key (without it, the
    tracking number alone: the key was rotated away or erased)."""
    complaint = _complaint(message)
    if complaint is None:
        return False
    return emails.send_receipt_email(
        complaint=complaint,
        access_key=outbox.sealed_secret(message),
        message_id=outbox.message_id_header(message),
    )


def private_link(message: Message, now: dt.datetime) -> bool:
    """A private link the reporter asked for (``complaints.services.resend_private_link``,
    ``email_private_link``), to the address sealed with it or else the reporter's. Nothing
    once the row's key is erased or no longer opens the report (a newer link replaced it):
    only a link that works is sent."""
    complaint = _complaint(message)
    sealed = outbox.sealed_secret(message)
    if complaint is None or sealed is None:
        return False
    payload = json.loads(sealed)
    access_key = str(payload.get("key", ""))
    if not complaint.access_key_matches(access_key):
        return False
    try:
        address = str(payload.get("to") or complaint.reporter.email)
    except Reporter.DoesNotExist:
        return False
    if not address:
        return False
    emails.send_private_link_email(
        complaint=complaint,
        access_key=access_key,
        address=address,
        renewed=bool(message.data.get("renewed")),
        message_id=outbox.message_id_header(message),
    )
    return True


def reporter_update(message: Message, now: dt.datetime) -> bool:
    """The reporter's e-mail about one event."""
    event = message.event
    if event is None:
        return False
    return emails.send_reporter_update(event=event, message_id=outbox.message_id_header(message))


def agency_notice(message: Message, now: dt.datetime) -> bool:
    """Tell the officers of the agency a report was handed to; not when the report has moved on
    since (the new holder gets its own notice)."""
    if message.complaint_id is None:
        return False
    complaint = (
        Complaint.objects.select_related("category", "current_agency")
        .filter(pk=message.complaint_id, current_agency_id=message.agency_id)
        .first()
    )
    if complaint is None:
        return False
    return emails.send_agency_notification(
        complaint=complaint, message_id=outbox.message_id_header(message)
    )


def overdue_digest(message: Message, now: dt.datetime) -> bool:
    """An agency's list of the reports it holds past their deadline, as of the sending."""
    agency = message.agency
    if agency is None:
        return False
    overdue = overdue_for_digest(agency_id=agency.pk, now=now)
    message.data["reports"] = len(overdue)
    if not overdue:
        return False
    return emails.send_overdue_digest_email(
        agency=agency,
        complaints=overdue,
        day=dt.date.fromisoformat(message.data["day"]),
        message_id=outbox.message_id_header(message),
    )


def activation(message: Message, now: dt.datetime) -> bool:
    """The link that confirms a citizen's address, while the account still awaits it."""
    from complaints.services import awaiting_confirmation

    user = message.user
    if user is None or not awaiting_confirmation(user):
        return False
    emails.send_activation_email(user=user, message_id=outbox.message_id_header(message))
    return True


def account_exists(message: Message, now: dt.datetime) -> bool:
    user = message.user
    if user is None or not user.is_active:
        return False
    emails.send_account_exists_email(user=user, message_id=outbox.message_id_header(message))
    return True


def password_reset(message: Message, now: dt.datetime) -> bool:
    user = message.user
    if user is None or not user.is_active or not user.has_usable_password():
        return False
    emails.send_password_reset_email(user=user, message_id=outbox.message_id_header(message))
    return True


def _complaint(message: Message) -> Complaint | None:
    return (
        Complaint.objects.select_related("reporter").filter(pk=message.complaint_id).first()
        if message.complaint_id
        else None
    )


def register() -> None:
    Kind = Message.Kind
    for kind, handler in (
        (Kind.ROUTE_STEP, route),
        (Kind.RECEIPT, receipt),
        (Kind.REPORTER_UPDATE, reporter_update),
        (Kind.AGENCY_NOTICE, agency_notice),
        (Kind.OVERDUE_DIGEST, overdue_digest),
        (Kind.ACTIVATION, activation),
        (Kind.ACCOUNT_EXISTS, account_exists),
        (Kind.PASSWORD_RESET, password_reset),
        (Kind.PRIVATE_LINK, private_link),
    ):
        outbox.register(kind, handler)
