"""E-mails about what happens to a report: to the reporter (queued with the event, in the same
transaction, published after commit, sent once) and to the agency that now holds it (once per
hand-over)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from complaints.emails import send_agency_notification, send_receipt_email, send_reporter_update
from complaints.models import AgencyNotice, Complaint, ComplaintEvent, Notification, Reporter
from lapor import queue as background

logger = logging.getLogger(__name__)

RECEIPT_FALLBACK_AFTER = dt.timedelta(hours=6)


def queue_reporter_notification(
    event: ComplaintEvent, *, publish: bool = True
) -> Notification | None:
    """Queue the reporter's e-mail about ``event`` when they left an address; called by the
    workflow inside the transaction that wrote the event, for the transitions that tell the
    reporter. ``publish=False`` for the receipt, whose task (with the private link) the intake
    publishes itself."""
    try:
        # The report's reporter: already in memory when the report was just filed.
        reporter = event.complaint.reporter
    except Reporter.DoesNotExist:
        return None
    if not reporter.email:
        return None
    notification = Notification.objects.create(event=event, created_at=event.created_at)
    if publish:
        background.publish_after_commit(
            background.REPORTER_NOTIFICATION, notification_id=notification.pk
        )
    return notification


def send_receipt(*, complaint_id: int, access_key: str, now: dt.datetime) -> bool:
    """Send the receipt with the private link unless it was sent already (its notification
    row, written with the report, is locked and marked); returns whether it was sent now."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("event__complaint__reporter")
            .filter(
                event__complaint_id=complaint_id,
                event__type=ComplaintEvent.Type.SUBMITTED,
                sent_at__isnull=True,
            )
            .first()
        )
        if notification is None:
            return False
        send_receipt_email(complaint=notification.event.complaint, access_key=access_key)
        notification.sent_at = now
        notification.save(update_fields=["sent_at"])
        return True


def send_reporter_notification(*, notification_id: int, now: dt.datetime) -> bool:
    """Send one queued e-mail unless it was sent already; returns whether it was sent now.

    The row stays locked while the message goes out, so a second delivery of the task waits
    and then finds it sent. A failure to send leaves it unsent, for a retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("event", "event__complaint", "event__complaint__reporter")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        send_reporter_update(event=notification.event)
        notification.sent_at = now
        notification.save(update_fields=["sent_at"])
        return True


def relay_unsent_notifications(
    *, now: dt.datetime, older_than: dt.timedelta, limit: int = 500
) -> int:
    """Publish again the e-mails whose message was lost (broker down, worker killed)."""
    # A receipt waits much longer: its own task carries the private link, and a busy queue must
    # not lose the link to a fallback that can only give the tracking number.
    ids = list(
        Notification.objects.filter(sent_at__isnull=True)
        .filter(
            Q(created_at__lt=now - older_than) & ~Q(event__type=ComplaintEvent.Type.SUBMITTED)
            | Q(
                created_at__lt=now - RECEIPT_FALLBACK_AFTER,
                event__type=ComplaintEvent.Type.SUBMITTED,
            )
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        background.publish(background.REPORTER_NOTIFICATION, notification_id=notification_id)
    return len(ids)


def notify_agency(*, complaint_id: int, agency_id: int, now: dt.datetime) -> bool:
    """E-mail the officers of the agency a report was handed to, once per hand-over: a task
    delivered twice finds the notice sent (the report's version names the hand-over). A report
    that has moved on since is not announced. Returns whether an e-mail went out now."""
    with transaction.atomic():
        complaint = (
            Complaint.objects.select_related("category", "current_agency")
            .filter(pk=complaint_id, current_agency_id=agency_id)
            .first()
        )
        if complaint is None:
            return False
        key = {"complaint_id": complaint_id, "agency_id": agency_id, "version": complaint.version}
        try:
            with transaction.atomic():
                AgencyNotice.objects.get_or_create(**key, defaults={"created_at": now})
        except IntegrityError:  # created by a concurrent delivery, which holds it
            pass
        notice = AgencyNotice.objects.select_for_update().get(**key)
        if notice.sent_at is not None:
            return False
        send_agency_notification(complaint=complaint)
        notice.sent_at = now
        notice.save(update_fields=["sent_at"])
        return True
