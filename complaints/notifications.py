"""E-mails to the reporter about what happens to their report: queued with the event, in the
same transaction, published after commit, sent once."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q

from complaints.models import ComplaintEvent, Notification, Reporter

logger = logging.getLogger(__name__)

Type = ComplaintEvent.Type
RECEIPT_FALLBACK_AFTER = dt.timedelta(hours=6)

# The steps that concern the reporter (the receipt is sent on its own, with the private link).
REPORTER_EVENTS = frozenset(
    {
        Type.DISPOSED,
        Type.ESCALATED,
        Type.RESPONDED,
        Type.COMPLETED,
        Type.AUTO_COMPLETED,
        Type.ARCHIVED,
    }
)


def queue_reporter_notification(event: ComplaintEvent) -> Notification | None:
    """Queue the reporter's e-mail about ``event`` when it concerns them and they left an
    address; called inside the transaction that wrote the event."""
    if event.type not in REPORTER_EVENTS:
        return None
    if not Reporter.objects.filter(complaint_id=event.complaint_id).exclude(email="").exists():
        return None
    notification = Notification.objects.create(event=event, created_at=event.created_at)
    _publish_after_commit(notification.pk)
    return notification


def _publish_after_commit(notification_id: int) -> None:
    from complaints.tasks import send_reporter_notification_task

    # robust: a broker that is down must not undo the action; beat publishes it later.
    transaction.on_commit(
        lambda: send_reporter_notification_task.delay(notification_id=notification_id),
        robust=True,
    )


def send_receipt(*, complaint_id: int, access_key: str, now: dt.datetime) -> bool:
    """Send the receipt with the private link unless it was sent already (its notification
    row, written with the report, is locked and marked); returns whether it was sent now."""
    from complaints.emails import send_receipt_email

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
    from complaints.emails import send_reporter_update

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
    from complaints.tasks import send_reporter_notification_task

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
        send_reporter_notification_task.delay(notification_id=notification_id)
    return len(ids)
