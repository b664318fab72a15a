"""Building the monthly recaps from the event log, as of the end of the month.

Every event keeps the report's state before and after it (status, holder, deadline), and the
report row caches its last event. So the states at the cut-off are the present states with the
events after the cut-off undone, and a month rebuilt later gives the same figures, whatever
happened since. Answers keep the facts the recaps need from the moment they were given (first
answer, hand-over time, deadline before). Every query is a pass over an index range, grouped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from complaints import outbox, workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Dispute,
    Message,
    Rating,
    Response,
    TransferRequest,
)
from reports.models import COUNTS, MonthlyRecap, merge_histograms, month_bounds
from routing import selectors as routing_selectors
from routing.models import Agency, Region

Status = Complaint.Status

# Which figure a report's state at the cut-off counts in; the five add up to ``held``.
# Keyed by the stored status (a Status is that string).
STATE_FIGURE: dict[str, str] = {
    Status.SUBMITTED: "unanswered",  # handed on by rules, nobody acted yet
    Status.AWAITING_VERIFICATION: "unanswered",
    Status.DISPOSED: "unanswered",
    Status.IN_PROGRESS: "in_process",
    Status.RESPONDED: "answered",
    Status.COMPLETED: "completed",
    Status.ARCHIVED: "archived",
}
STEPS = ("states", "answers", "flows", "save")
# What the events after a cut-off are grouped by: the state before and after each (lateness at
# the cut-off), and whether its report was received in the month.
CHANGE = ("from_holder_id", "from_status", "was_late", "holder_id", "to_status", "late", "received")


@dataclass
class _Figures:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    answer_days: dict[str, int] = field(default_factory=dict)

    def add_state(self, status: str, *, received: bool, overdue: bool, count: int = 1) -> None:
        """Count ``count`` reports in ``status`` (negative: take them out)."""
        self.counts["held"] += count
        self.counts[STATE_FIGURE[status]] += count
        self.counts["received"] += count * received
        self.counts["overdue"] += count * (overdue and status in workflow.DEADLINE)


def build_monthly_recap(
    *,
    month: dt.date,
    now: dt.datetime,
    progress: Callable[[str], None] | None = None,
) -> list[MonthlyRecap]:
    """Compute ``month``'s figures for every agency, regency/city, province and the nation, and
    replace that month's rows with them, all in one transaction (on PostgreSQL with one
    snapshot for every query). ``progress`` hears each step of ``STEPS`` when it is done.

    :raises ValueError: for a month that has not ended by ``now``.
    """
    start, cut = month_bounds(month, timezone.get_default_timezone())
    if cut > now:
        raise ValueError("a month can be recapped only after it has ended")
    report = progress or (lambda step: None)
    figures: defaultdict[int, _Figures] = defaultdict(_Figures)
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One snapshot for every query: a report that changes while the month is built
                # would otherwise be counted in one state and taken out in another. And memory
                # for the month's aggregates: with the default 4 MB, PostgreSQL sends the
                # de-duplication of a month's events to disk, minutes instead of a second.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL work_mem = '256MB'")
                # Its queries are long: compiling them (JIT) only adds a second.
                cursor.execute("SET LOCAL jit = off")
        _count_states(figures, start, cut)
        report("states")
        _count_first_answers(figures, start, cut)
        report("answers")
        _count_flows(figures, start, cut)
        report("flows")
        rows = _rows(month.replace(day=1), figures, now)
        MonthlyRecap.objects.filter(month=month.replace(day=1)).delete()
        MonthlyRecap.objects.bulk_create(rows, batch_size=500)
    report("save")
    return rows


def _count_states(
    figures: defaultdict[int, _Figures], start: dt.datetime, cut: dt.datetime
) -> None:
    """Reports held at the cut-off, by holder and state: every report's present state (one pass
    over an index), then the changes since, undone from the events after the cut-off alone.

    Each event keeps the state before it (the previous event's state after) and after it, so
    for a report the events after the cut-off add up to "take out the present state, put in
    the state at the cut-off" (a report submitted after it is taken out again). No report is
    looked up one by one.
    """
    in_month = Q(submitted_at__gte=start, submitted_at__lt=cut)
    present = (
        Complaint.objects.filter(current_agency__isnull=False)
        .values("current_agency_id", "status")
        .annotate(
            held=Count("*"),
            received=Count("submitted_at", filter=in_month),
            late=Count("due_at", filter=Q(due_at__lt=cut)),
        )
        .order_by()
    )
    for row in present:
        f = figures[row["current_agency_id"]]
        f.counts["held"] += row["held"]
        f.counts[STATE_FIGURE[row["status"]]] += row["held"]
        f.counts["received"] += row["received"]
        if row["status"] in workflow.DEADLINE:
            f.counts["overdue"] += row["late"]
    received_ids = Complaint.objects.filter(in_month).values("pk")
    changes = (
        ComplaintEvent.objects.filter(created_at__gte=cut)
        .annotate(
            received=ExpressionWrapper(Q(complaint_id__in=received_ids), BooleanField()),
            was_late=ExpressionWrapper(Q(from_due_at__lt=cut), BooleanField()),
            late=ExpressionWrapper(Q(due_at__lt=cut), BooleanField()),
        )
        .values(*CHANGE)
        .annotate(n=Count("*"))
        .values_list(*CHANGE, "n")
        .order_by()
    )
    # Tallied by bucket first: one dictionary step per kind of change, not per report.
    tally: Counter[tuple[int, str, bool, bool]] = Counter()
    for was_holder, was_status, was_late, holder, status, late, received, n in changes:
        if was_holder is not None:
            tally[was_holder, was_status, bool(received), bool(was_late)] += n
        if holder is not None:
            tally[holder, status, bool(received), bool(late)] -= n
    for (holder, status, received, late), count in tally.items():
        if count:
            figures[holder].add_state(status, received=received, overdue=late, count=count)


def _count_first_answers(
    figures: defaultdict[int, _Figures], start: dt.datetime, cut: dt.datetime
) -> None:
    """Each report's first answer given in the month, counted for the agency that gave it:
    working days from the hand-over to that agency, and whether it beat the deadline in force
    just before it. The answer keeps those facts from the moment it was given, so this is one
    pass over an index, grouped by day."""
    tz = timezone.get_default_timezone()
    answers = (
        Response.objects.filter(is_first=True, created_at__gte=start, created_at__lt=cut)
        .annotate(
            handed_day=TruncDate("handed_at", tzinfo=tz),
            answered_day=TruncDate("created_at", tzinfo=tz),
            on_time=ExpressionWrapper(Q(created_at__lte=F("due_at_before")), BooleanField()),
        )
        .values("agency_id", "handed_day", "answered_day", "on_time")
        .annotate(n=Count("*"))
        .values_list("agency_id", "handed_day", "answered_day", "on_time", "n")
        .order_by()
    )
    rows = list(answers)
    if not rows:
        return
    counter = routing_selectors.working_day_counter(
        min(handed for _, handed, _, _, _ in rows), cut.astimezone(tz).date()
    )
    tally: Counter[tuple[int, int, bool]] = Counter()
    for agency_id, handed, answered, on_time, n in rows:
        tally[agency_id, counter.between(handed, answered), bool(on_time)] += n
    for (agency_id, days, on_time), count in tally.items():
        f = figures[agency_id]
        f.answer_days[str(days)] = f.answer_days.get(str(days), 0) + count
        f.counts["first_answers"] += count
        f.counts["answered_on_time"] += count * on_time


def _count_flows(figures: defaultdict[int, _Figures], start: dt.datetime, cut: dt.datetime) -> None:
    """Escalations (deadlines missed), transfers asked for, disputes and ratings in the month,
    each counted against the agency it concerns."""
    in_month = Q(created_at__gte=start, created_at__lt=cut)
    for model, agency_field, figure in (
        (DeadlineBreach, "agency_id", "escalations"),
        (TransferRequest, "from_agency_id", "transfers"),
        (Dispute, "agency_id", "disputes"),
    ):
        for agency_id, count in (
            model.objects.filter(in_month)
            .values(agency_field)
            .annotate(n=Count("pk"))
            .order_by()
            .values_list(agency_field, "n")
        ):
            figures[agency_id].counts[figure] += count
    for agency_id, total, count in (
        Rating.objects.filter(in_month)
        .values("agency_id")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
        .values_list("agency_id", "total", "n")
    ):
        figures[agency_id].counts["rating_sum"] += total
        figures[agency_id].counts["rating_count"] += count


def _regions_of(region: Region | None, regions: dict[str, Region]) -> tuple[str | None, str | None]:
    """(province code, regency/city code) of an agency's region; a district counts for its
    regency/city."""
    if region is None:
        return None, None
    if region.level == Region.Level.PROVINCE:
        return region.code, None
    while region.level > Region.Level.REGENCY and region.parent_id is not None:
        region = regions[region.parent_id]
    return region.code.split(".")[0], region.code


def _rows(month: dt.date, figures: dict[int, _Figures], now: dt.datetime) -> list[MonthlyRecap]:
    """A row per agency (active, or with figures), per regency/city and province that has
    agencies, and for the nation; a region's row is the sum of the rows of its agencies."""
    agencies = [
        a
        for a in Agency.objects.select_related("region").order_by("pk")
        if a.is_active or a.pk in figures
    ]
    wanted = {a.region_id for a in agencies if a.region_id}
    regions: dict[str, Region] = {}
    while wanted - regions.keys():
        for found in Region.objects.filter(code__in=wanted - regions.keys()):
            regions[found.code] = found
            if found.parent_id:
                wanted.add(found.parent_id)
    totals: defaultdict[str | None, list[_Figures]] = defaultdict(list)  # region code, None: nation
    rows = []
    for agency in agencies:
        f = figures.get(agency.pk, _Figures())
        province, regency = _regions_of(agency.region, regions)
        for code in {None, province, regency}:
            totals[code].append(f)
        rows.append(
            MonthlyRecap(
                month=month,
                level=MonthlyRecap.Level.AGENCY,
                agency=agency,
                parent_region_id=regency or province,
                name=agency.name,
                answer_days=f.answer_days,
                built_at=now,
                **f.counts,
            )
        )
    for code, parts in totals.items():
        counts = {name: sum(p.counts[name] for p in parts) for name in COUNTS}
        days = merge_histograms(p.answer_days for p in parts)
        region: Region | None
        if code is None:
            level, region, parent = MonthlyRecap.Level.NATION, None, None
        else:
            region = regions[code]
            is_province = region.level == Region.Level.PROVINCE
            level = MonthlyRecap.Level.PROVINCE if is_province else MonthlyRecap.Level.REGENCY
            parent = None if is_province else code.split(".")[0]
        rows.append(
            MonthlyRecap(
                month=month,
                level=level,
                region=region,
                parent_region_id=parent,
                name=region.name if region else "Indonesia",
                answer_days=days,
                built_at=now,
                **counts,
            )
        )
    return rows


# --- the coordinators' e-mail -------------------------------------------------------------------


def queue_recap_emails(*, month: dt.date, now: dt.datetime) -> int:
    """Queue, once per coordinator and month, the e-mail of its region's recap (the national
    coordinator's: the nation's) as an outbox row; a repeated run queues nothing again.
    Returns how many were queued now."""
    month = month.replace(day=1)
    queued = 0
    for agency_id in (
        Agency.objects.coordinators().filter(is_active=True).values_list("pk", flat=True)
    ):
        queued += outbox.enqueue_new(
            Message.Kind.RECAP,
            f"recap:{month:%Y-%m}:{agency_id}",
            now=now,
            agency_id=agency_id,
            data={"month": month.isoformat()},
        )
    return queued


def send_recap_email(message: Message, now: dt.datetime) -> bool:
    """Deliver one coordinator's recap e-mail (an outbox row); False when there is nothing to
    send (no region, no recap built, no address). Only figures and names of agencies and
    regions are in it."""
    from reports.emails import send_recap_email_message
    from reports.selectors import recap_scope_of, recap_table

    agency = message.agency
    if agency is None:
        return False
    scope = recap_scope_of(agency)  # the pages' rule: no region, no recap
    table = (
        recap_table(dt.date.fromisoformat(message.data["month"]), scope.region)
        if scope is not None
        else None
    )
    return bool(
        table is not None
        and table.total is not None
        and send_recap_email_message(
            agency=agency, table=table, message_id=outbox.message_id_header(message)
        )
    )
