"""The messages a change to a report owes: queued in the transaction of the change as outbox rows
(``complaints.outbox``), one per thing to tell, so that each is sent once whatever fails."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from lokal import parse_phone

from complaints import outbox
from complaints.models import Channel, Complaint, ComplaintEvent, Message, Reporter

EMAIL = "EMAIL"
PHONE_BACKEND_SETTINGS: dict[str, str] = {
    Channel.SMS: "LAPOR_SMS_BACKEND",
    Channel.WHATSAPP: "LAPOR_WHATSAPP_BACKEND",
}


def _is_mobile(phone: str) -> bool:
    parsed = parse_phone(phone)
    return parsed is not None and parsed.type == "mobile"


def reporter_channel(complaint: Complaint) -> str:
    """How the reporter of ``complaint`` is told about it: ``Channel.SMS`` or
    ``Channel.WHATSAPP`` when they filed that way (or, by SMS, when they left a mobile number
    and no e-mail address) and that channel is on; else ``EMAIL`` when they left an address;
    else "" (nothing to tell them by)."""
    try:
        # The report's reporter: already in memory when the report was just filed.
        reporter = complaint.reporter
    except Reporter.DoesNotExist:
        return ""
    if reporter.phone and (complaint.channel in PHONE_BACKEND_SETTINGS or not reporter.email):
        ways = [complaint.channel] if complaint.channel in PHONE_BACKEND_SETTINGS else []
        if _is_mobile(reporter.phone):
            # A landline given on a form cannot take an SMS.
            ways.append(Channel.SMS)
        for way in ways:
            if getattr(settings, PHONE_BACKEND_SETTINGS[way], ""):
                return str(way)
    return EMAIL if reporter.email else ""


def queue_reporter_notification(event: ComplaintEvent) -> Message | None:
    """Queue the reporter's e-mail about ``event`` when they left an address; called by the
    workflow inside the transaction that wrote the event, for the transitions that tell the
    reporter. The receipt is queued by the intake (``queue_receipt``), with the private link.
    A reporter told by phone (``reporter_channel``) gets a text message instead."""
    return _queue_for_reporter(
        event,
        email=(Message.Kind.REPORTER_UPDATE, f"event:{event.pk}"),
        phone=(Message.Kind.PHONE_UPDATE, f"phone-event:{event.pk}"),
    )


def queue_receipt(event: ComplaintEvent, *, access_key: str) -> Message | None:
    """Queue the receipt of a report just filed, with its private link: the access key, of
    which the report keeps only the hash, is sealed into the row until the e-mail is sent.
    A reporter told by phone (``reporter_channel``) gets it as a text message."""
    return _queue_for_reporter(
        event,
        email=(Message.Kind.RECEIPT, f"receipt:{event.complaint_id}"),
        phone=(Message.Kind.PHONE_RECEIPT, f"phone-receipt:{event.complaint_id}"),
        secret=access_key,
    )


def _queue_for_reporter(
    event: ComplaintEvent, *, email: tuple[str, str], phone: tuple[str, str], secret: str = ""
) -> Message | None:
    """Queue what ``event`` owes the reporter by the way they are told (``reporter_channel``):
    the ``email`` (kind, key) or the ``phone`` one, with the channel; nothing without a way."""
    way = reporter_channel(event.complaint)
    if way in PHONE_BACKEND_SETTINGS:
        kind, key = phone
        data = {"channel": way}
    elif way == EMAIL:
        kind, key = email
        data = {}
    else:
        return None
    return outbox.enqueue(
        kind,
        key,
        now=event.created_at,
        secret=secret,
        complaint=event.complaint,
        event=event,
        data=data,
    )


def queue_agency_notice(complaint: Complaint, *, now: dt.datetime) -> Message | None:
    """Queue the e-mail telling the agency now holding ``complaint`` that it is theirs: once per
    hand-over (the report's version names it)."""
    if complaint.current_agency_id is None:
        return None
    return outbox.enqueue(
        Message.Kind.AGENCY_NOTICE,
        f"notice:{complaint.pk}:{complaint.current_agency_id}:{complaint.version}",
        now=now,
        complaint=complaint,
        agency_id=complaint.current_agency_id,
        data={"version": complaint.version},
    )


def queue_routing_step(complaint: Complaint, *, now: dt.datetime, again: str = "") -> Message:
    """Queue the report's next routing step (its number: the report's last hand-over); with
    ``again``, a step taken again from the same hand-over, under a key of its own."""
    return outbox.enqueue(
        Message.Kind.ROUTE_STEP,
        f"route:{complaint.pk}:{complaint.routing_step}" + (f":{again}" if again else ""),
        now=now,
        complaint=complaint,
        data={"step": complaint.routing_step},
    )
