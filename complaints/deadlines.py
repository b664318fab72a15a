"""What the clock does (beat): a missed deadline passes a report one level up, counted against
the agency that missed it; an answer the citizen left without a word for the reply window is
completed; each agency holding overdue reports gets the day's digest."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from complaints import outbox, workflow
from complaints.models import Complaint, DeadlineBreach, Disposition, Message, Response
from routing import selectors as routing_selectors
from routing.models import Agency


def escalate_complaint(*, complaint_id: int, now: dt.datetime) -> Disposition | None:
    """Move an overdue report one level up (OPD → its coordinator → province → national),
    counting the missed deadline against the agency that held it.

    Idempotent: the workflow locks and checks the report again, and the breach is unique per
    disposition, so a second run escalates nothing. Returns the new disposition, or None.
    """
    try:
        with workflow.transition(workflow.ESCALATE, complaint_id=complaint_id, now=now) as change:
            complaint = change.complaint
            assert complaint.due_at is not None and complaint.current_agency_id is not None
            holder = routing_selectors.get_agency(complaint.current_agency_id)
            # Counted once per report as "let escalate" when the agency never gave it a final
            # answer (a report it answered and got back is a missed deadline, not ignored).
            unanswered = not (
                Response.objects.filter(complaint=complaint, agency=holder, is_final=True).exists()
                or DeadlineBreach.objects.filter(
                    complaint=complaint, agency=holder, unanswered=True
                ).exists()
            )
            DeadlineBreach.objects.create(
                unanswered=unanswered,
                disposition=Disposition.objects.get(
                    complaint=complaint, sequence=complaint.routing_step
                ),
                complaint=complaint,
                agency=holder,
                due_at=complaint.due_at,
                created_at=now,
            )
            change.data.update(
                {"missed_by": holder.name, "missed_due_at": complaint.due_at.isoformat()}
            )
    except workflow.Refused:
        return None
    return change.disposition


def escalate_overdue(*, now: dt.datetime, limit: int = 1000) -> int:
    """Escalate every overdue report one level; returns how many moved."""
    ids = list(
        Complaint.objects.overdue(now)
        .exclude(current_agency__level=Agency.Level.NATIONAL)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for complaint_id in ids if escalate_complaint(complaint_id=complaint_id, now=now))


def complete_unanswered(*, complaint_id: int, now: dt.datetime) -> bool:
    """Complete an answered report whose reply window (``due_at``) has passed without a word
    from the citizen. Idempotent: the workflow locks and checks the report again."""
    try:
        with workflow.transition(workflow.AUTO_COMPLETE, complaint_id=complaint_id, now=now):
            pass
    except workflow.Refused:
        return False
    return True


def complete_unanswered_reports(*, now: dt.datetime, limit: int = 1000) -> int:
    """Complete every answered report whose reply window has passed; returns how many."""
    ids = list(
        Complaint.objects.awaiting_citizen()
        .filter(due_at__lt=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for complaint_id in ids if complete_unanswered(complaint_id=complaint_id, now=now))


# --- the daily digest of overdue reports ---------------------------------------------------------

DIGEST_LIMIT = 200


def queue_overdue_digests(*, now: dt.datetime) -> int:
    """Queue today's digest for every agency holding reports past their deadline: one outbox
    row per agency and day, however often this runs (each hour, to catch what fell overdue
    since). Returns how many were queued now."""
    day = timezone.localdate(now)
    agency_ids = set(
        Complaint.objects.overdue(now)
        .filter(current_agency__isnull=False)
        .order_by()
        .values_list("current_agency_id", flat=True)
        .distinct()
    )
    queued = 0
    for agency_id in sorted(agency_ids):
        queued += outbox.enqueue_new(
            Message.Kind.OVERDUE_DIGEST,
            f"digest:{agency_id}:{day.isoformat()}",
            now=now,
            agency_id=agency_id,
            data={"day": day.isoformat()},
        )
    return queued


def overdue_for_digest(*, agency_id: int, now: dt.datetime) -> list[Complaint]:
    """The reports an agency holds past their deadline, earliest first, for its digest
    (nothing about any reporter is read)."""
    return list(
        Complaint.objects.overdue(now)
        .filter(current_agency_id=agency_id)
        .select_related("category")
        .order_by("due_at", "pk")[:DIGEST_LIMIT]
    )
