"""The messages a change to a report owes: queued in the transaction of the change as outbox rows
(``complaints.outbox``), one per thing to tell, so that each is sent once whatever fails."""

from __future__ import annotations

import datetime as dt

from complaints import outbox
from complaints.models import Complaint, ComplaintEvent, Message, Reporter


def queue_reporter_notification(event: ComplaintEvent) -> Message | None:
    """Queue the reporter's e-mail about ``event`` when they left an address; called by the
    workflow inside the transaction that wrote the event, for the transitions that tell the
    reporter. The receipt is queued by the intake (``queue_receipt``), with the private link."""
    if not _reporter_address(event.complaint):
        return None
    return outbox.enqueue(
        Message.Kind.REPORTER_UPDATE,
        f"event:{event.pk}",
        now=event.created_at,
        complaint=event.complaint,
        event=event,
    )


def queue_receipt(event: ComplaintEvent, *, access_key: str) -> Message | None:
    """Queue the receipt of a report just filed, with its private link: the access key, of
    which the report keeps only the hash, is sealed into the row until the e-mail is sent."""
    if not _reporter_address(event.complaint):
        return None
    return outbox.enqueue(
        Message.Kind.RECEIPT,
        f"receipt:{event.complaint_id}",
        now=event.created_at,
        secret=access_key,
        complaint=event.complaint,
        event=event,
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


def _reporter_address(complaint: Complaint) -> str:
    try:
        # The report's reporter: already in memory when the report was just filed.
        return complaint.reporter.email
    except Reporter.DoesNotExist:
        return ""
