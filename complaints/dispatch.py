"""A report's way down the hierarchy, one level per routing step (an outbox row delivered by
the routing worker): ``routing`` decides where it goes (``routing.selectors.next_holder``), the
workflow hands it over and queues the next step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from complaints import workflow
from complaints.models import Complaint
from routing import selectors as routing_selectors
from routing.models import Agency


@dataclass(frozen=True)
class StepResult:
    moved: bool
    status: str
    agency_id: int | None


def route_step(*, complaint_id: int, step: int, now: dt.datetime) -> StepResult:
    """Take routing step number ``step`` of a report: national → province → provincial OPD or
    regency/city → OPD, one level per call, or into the queue of the coordinator where no rule
    decides.

    Idempotent: the step is taken only if the report is still being routed and its last
    hand-over is still number ``step`` (the workflow checks it under the lock); a second
    delivery, or a second worker, finds it moved and changes nothing. The next step is queued
    in the same transaction (an outbox row).

    :raises Complaint.DoesNotExist: for an unknown report.
    """
    try:
        with workflow.transition(
            _decide,
            complaint_id=complaint_id,
            now=now,
            routing_step=step,
            only=workflow.ROUTING_FIELDS,
        ) as change:
            pass
    except workflow.Refused:
        current = Complaint.objects.values("status", "current_agency_id").get(pk=complaint_id)
        return StepResult(False, current["status"], current["current_agency_id"])
    return StepResult(True, change.complaint.status, change.complaint.current_agency_id)


def _decide(complaint: Complaint) -> workflow.Decision:
    """Where the rules lead the report from its holder (the national coordinator, before the
    first step): on to a coordinator, to an OPD, or, where nothing decides, into the holder's
    queue."""
    holder = (
        routing_selectors.get_agency(complaint.current_agency_id)
        if complaint.current_agency_id
        else routing_selectors.get_national_coordinator()
    )
    if complaint.category_id is None or complaint.region_id is None:
        # A report by e-mail that did not say them: the national coordinator's queue, until
        # the reporter gives them (``workflow.GIVE_DETAILS``).
        return workflow.Decision(workflow.AWAIT_VERIFICATION, holder)
    target, rule = routing_selectors.next_holder(
        category_id=complaint.category_id, region_code=complaint.region_id, holder=holder
    )
    if target is None:
        return workflow.Decision(workflow.AWAIT_VERIFICATION, holder)
    if target.level == Agency.Level.OPD:
        return workflow.Decision(workflow.ROUTE_TO_AGENCY, target, rule)
    return workflow.Decision(workflow.ROUTE, target, rule)
