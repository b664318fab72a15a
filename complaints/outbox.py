"""Publishing routing steps so that none is lost between the database and the broker: an outbox
row written with the report, published after commit; beat relays what a request could not
publish, and sweeps again the reports whose step was lost on the way."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef

from complaints.models import Complaint, RoutingFailure, RoutingOutbox
from lapor import queue as background


def enqueue_routing(*, complaint: Complaint, now: dt.datetime) -> None:
    """Record, inside the caller's transaction, that ``complaint`` must take its next routing
    step, and publish it once that transaction commits."""
    row = RoutingOutbox.objects.create(
        complaint=complaint, step=complaint.routing_step, created_at=now
    )
    kwargs = {"row_id": row.pk, "complaint_id": complaint.pk, "step": row.step}
    transaction.on_commit(lambda: publish_outbox_row(**kwargs), robust=True)


def publish_outbox_row(*, row_id: int, complaint_id: int, step: int) -> None:
    """Publish one outbox row to the broker, then delete it; if the broker is down, the row
    stays for ``relay_outbox``. A row published twice is harmless: steps are idempotent."""
    background.publish(background.ROUTE_STEP, retry=False, complaint_id=complaint_id, step=step)
    RoutingOutbox.objects.filter(pk=row_id).delete()


def relay_outbox(*, now: dt.datetime, older_than: dt.timedelta, limit: int = 500) -> int:
    """Publish outbox rows that their request could not (a broker that was down). Returns how
    many were published. Rows younger than ``older_than`` are left to their request."""
    rows = list(
        RoutingOutbox.objects.filter(created_at__lte=now - older_than)
        .order_by("created_at")
        .values_list("pk", "complaint_id", "step")[:limit]
    )
    for row_id, complaint_id, step in rows:
        publish_outbox_row(row_id=row_id, complaint_id=complaint_id, step=step)
    return len(rows)


def sweep_stalled_routing(*, now: dt.datetime, stalled_for: dt.timedelta, limit: int = 500) -> int:
    """Publish again the step of every report still being routed that has not moved for
    ``stalled_for``: a worker killed mid-step, or a broker that lost its queue. Steps are
    idempotent, so a report that was only slow loses nothing."""
    stalled = list(
        Complaint.objects.being_routed()
        .filter(moved_at__lte=now - stalled_for)
        .exclude(
            Exists(
                RoutingFailure.objects.filter(complaint=OuterRef("pk"), resolved_at__isnull=True)
            )
        )
        .order_by("moved_at")
        .values_list("pk", "routing_step")[:limit]
    )
    for complaint_id, step in stalled:
        background.publish(background.ROUTE_STEP, complaint_id=complaint_id, step=step)
    return len(stalled)
