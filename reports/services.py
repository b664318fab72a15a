"""Building the monthly recaps from the event log, as of the end of the month.

A month's row separates its flows (what happened in the month) from its stock (the reports
open at its end); ``reports.figures`` defines every figure in one sentence.

The stock: every event keeps the report's state before and after it (status, holder,
deadline), and the report row caches its last event. So the states at the cut-off are the
present states with the events after the cut-off undone, and a month rebuilt later gives the
same figures, whatever happened since.

The flows are facts kept when they happened: an event marks the first time a report reached
an agency to act on (``reached``), an agency's first final answer keeps when the report first
reached it and the completion deadline from then, a missed deadline keeps its due date and
whether the agency had never answered. Every query is a pass over an index range, grouped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
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
from lapor.lib.workdays import WorkingDayCounter
from reports.models import (
    BUILD_DELAY,
    COUNTS,
    MonthlyRecap,
    RecapBuild,
    merge_histograms,
    month_bounds,
)
from routing import selectors as routing_selectors
from routing.models import Agency, Region

Status = Complaint.Status

# Where an open report stood at the cut-off, by its stored status (a Status is that string);
# a report in process at a coordinator is a disputed one, in its queue. Closed reports are
# not stock: they are counted in the month they closed.
STOCK_OF_STATUS: dict[str, str] = {
    Status.SUBMITTED: "queue",  # between two routing levels at midnight
    Status.AWAITING_VERIFICATION: "queue",
    Status.DISPOSED: "unanswered",
    Status.IN_PROGRESS: "in_process",
    Status.RESPONDED: "awaiting_citizen",
}
STEPS = ("states", "answers", "flows", "save")
# What the events after a cut-off are grouped by: the state before and after each, and
# whether the deadline before and after it had passed at the cut-off.
CHANGE = ("from_holder_id", "from_status", "was_late", "holder_id", "to_status", "late")


@dataclass
class _Figures:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    answer_days: dict[str, int] = field(default_factory=dict)
    # Open reports held at the cut-off, by status, and how many of them were overdue.
    states: Counter[str] = field(default_factory=Counter)
    # ``received`` by the channel of the report.
    channels: Counter[str] = field(default_factory=Counter)

    def stock(self, agency: Agency) -> dict[str, int]:
        stock = dict.fromkeys(("queue", "unanswered", "in_process", "awaiting_citizen"), 0)
        for status, count in self.states.items():
            figure = STOCK_OF_STATUS[status]
            if figure == "in_process" and agency.level != Agency.Level.OPD:
                figure = "queue"
            stock[figure] += count
        return {**stock, "open": sum(stock.values())}


def build_monthly_recap(
    *,
    month: dt.date,
    now: dt.datetime,
    progress: Callable[[str], None] | None = None,
    current_settings: bool = False,
) -> list[MonthlyRecap]:
    """Compute ``month``'s figures for every agency, regency/city, province and the nation, and
    replace that month's rows with them, all in one transaction (on PostgreSQL with one
    snapshot for every query). ``progress`` hears each step of ``STEPS`` when it is done.

    A month built before is built again with the working-day calendar and the agencies it was
    first built with (its ``RecapBuild``), so that a holiday entered or an agency deactivated
    since changes nothing; with ``current_settings``, with today's, which the month then keeps.

    :raises ValueError: for a month that has not ended ``BUILD_DELAY`` before ``now``.
    """
    start, cut = month_bounds(month, timezone.get_default_timezone())
    if cut + BUILD_DELAY > now:
        raise ValueError(
            "a month can be recapped only after it has ended, "
            f"{BUILD_DELAY.total_seconds() / 60:.0f} minutes after its last second"
        )
    report = progress or (lambda step: None)
    figures: defaultdict[int, _Figures] = defaultdict(_Figures)
    month = month.replace(day=1)
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
        recorded = None if current_settings else RecapBuild.objects.filter(month=month).first()
        _count_states(figures, cut)
        report("states")
        calendar = _count_first_answers(figures, start, cut, recorded)
        report("answers")
        _count_flows(figures, start, cut)
        received = _received_by_region(start, cut)
        report("flows")
        agencies = _agencies(figures, recorded)
        rows = _rows(month, figures, received, agencies, now)
        MonthlyRecap.objects.filter(month=month).delete()
        MonthlyRecap.objects.bulk_create(rows, batch_size=500)
        RecapBuild.objects.update_or_create(
            month=month,
            defaults={
                "built_at": now,
                "settings_at": recorded.settings_at if recorded else now,
                "calendar": calendar,
                "agencies": [
                    {"id": a.pk, "name": a.name, "region": a.region_id, "active": a.is_active}
                    for a in agencies
                ],
            },
        )
    report("save")
    return rows


def _agencies(figures: dict[int, _Figures], recorded: RecapBuild | None) -> list[Agency]:
    """The agencies the month's rows are made for: every agency as it is now, or as the month's
    first build recorded them (name, region, active), with any that has figures since."""
    current = {a.pk: a for a in Agency.objects.select_related("region").order_by("pk")}
    if recorded is not None and recorded.agencies:
        agencies = []
        for entry in recorded.agencies:
            agency = current.pop(entry["id"], None)
            if agency is None:  # an agency is never deleted while rows point at it
                continue
            agency.name, agency.region_id, agency.is_active = (
                entry["name"],
                entry["region"],
                entry["active"],
            )
            agencies.append(agency)
        agencies += [a for a in current.values() if a.pk in figures]
    else:
        agencies = list(current.values())
    regions = {r.code: r for r in Region.objects.filter(code__in={a.region_id for a in agencies})}
    for agency in agencies:
        agency.region = regions.get(agency.region_id) if agency.region_id else None
    return [a for a in agencies if a.is_active or a.pk in figures]


def _count_states(figures: defaultdict[int, _Figures], cut: dt.datetime) -> None:
    """Open reports held at the cut-off, by holder and state: every open report's present state
    (one pass over an index), then the changes since, undone from the events after the cut-off
    alone.

    Each event keeps the state before it (the previous event's state after) and after it, so
    for a report the events after the cut-off add up to "take out the present state, put in
    the state at the cut-off" (a report submitted after it is taken out again). No report is
    looked up one by one.
    """
    tally: Counter[tuple[int, str, bool]] = Counter()
    present = (
        Complaint.objects.filter(current_agency__isnull=False, status__in=sorted(STOCK_OF_STATUS))
        .values("current_agency_id", "status")
        .annotate(held=Count("*"), late=Count("due_at", filter=Q(due_at__lt=cut)))
        .order_by()
    )
    for row in present:
        tally[row["current_agency_id"], row["status"], True] += row["late"]
        tally[row["current_agency_id"], row["status"], False] += row["held"] - row["late"]
    changes = (
        ComplaintEvent.objects.filter(created_at__gte=cut)
        .annotate(
            was_late=ExpressionWrapper(Q(from_due_at__lt=cut), BooleanField()),
            late=ExpressionWrapper(Q(due_at__lt=cut), BooleanField()),
        )
        .values(*CHANGE)
        .annotate(n=Count("*"))
        .values_list(*CHANGE, "n")
        .order_by()
    )
    # Tallied by bucket first: one dictionary step per kind of change, not per report.
    for was_holder, was_status, was_late, holder, status, late, n in changes:
        if was_holder is not None and was_status in STOCK_OF_STATUS:
            tally[was_holder, was_status, bool(was_late)] += n
        if holder is not None and status in STOCK_OF_STATUS:
            tally[holder, status, bool(late)] -= n
    for (holder, status, late), count in tally.items():
        if count:
            f = figures[holder]
            f.states[status] += count
            if late and status in workflow.DEADLINE:
                f.counts["overdue"] += count


def _count_first_answers(
    figures: defaultdict[int, _Figures],
    start: dt.datetime,
    cut: dt.datetime,
    recorded: RecapBuild | None,
) -> dict[str, Any]:
    """Each agency's first final answer to a report given in the month: working days from the
    first time the report reached that agency, and whether it came by the completion deadline
    that applied from then. The answer keeps those facts from the moment it was given, so this
    is one pass over an index, grouped by day."""
    tz = timezone.get_default_timezone()
    answers = (
        Response.objects.filter(is_first=True, created_at__gte=start, created_at__lt=cut)
        .annotate(
            reached_day=TruncDate("reached_at", tzinfo=tz),
            answered_day=TruncDate("created_at", tzinfo=tz),
            on_time=ExpressionWrapper(Q(created_at__lte=F("due_first")), BooleanField()),
        )
        .values("agency_id", "reached_day", "answered_day", "on_time")
        .annotate(n=Count("*"))
        .values_list("agency_id", "reached_day", "answered_day", "on_time", "n")
        .order_by()
    )
    rows = list(answers)
    last = cut.astimezone(tz).date()
    first = min((reached for _, reached, _, _, _ in rows), default=last)
    counter = _counter(first, last, recorded)
    weekdays_off, weekend_days_worked = counter.exceptions()
    calendar = {
        "first": counter.first.isoformat(),
        "last": counter.last.isoformat(),
        "weekdays_off": [day.isoformat() for day in weekdays_off],
        "weekend_days_worked": [day.isoformat() for day in weekend_days_worked],
    }
    tally: Counter[tuple[int, int, bool]] = Counter()
    for agency_id, reached, answered, on_time, n in rows:
        tally[agency_id, counter.between(reached, answered), bool(on_time)] += n
    for (agency_id, days, on_time), count in tally.items():
        f = figures[agency_id]
        f.answer_days[str(days)] = f.answer_days.get(str(days), 0) + count
        f.counts["first_answers"] += count
        f.counts["answered_on_time"] += count * on_time
    return calendar


def _counter(first: dt.date, last: dt.date, recorded: RecapBuild | None) -> WorkingDayCounter:
    """Working days over ``first``..``last``: as the month's first build recorded them, and from
    today's calendar only for days it did not record (an answer whose report reached its agency
    earlier than any the first build counted: its history was backfilled since)."""
    if recorded is None or not recorded.calendar:
        return routing_selectors.working_day_counter(first, last)
    kept_first = dt.date.fromisoformat(recorded.calendar["first"])
    kept_last = dt.date.fromisoformat(recorded.calendar["last"])
    span_first, span_last = min(first, kept_first), max(last, kept_last)
    off = {dt.date.fromisoformat(d) for d in recorded.calendar["weekdays_off"]}
    worked = {dt.date.fromisoformat(d) for d in recorded.calendar["weekend_days_worked"]}
    if not (kept_first <= first and last <= kept_last):
        today_off, today_worked = routing_selectors.working_day_counter(
            span_first, span_last
        ).exceptions()
        outside = lambda day: not kept_first < day <= kept_last  # noqa: E731
        off |= {day for day in today_off if outside(day)}
        worked |= {day for day in today_worked if outside(day)}
    return WorkingDayCounter.frozen(
        span_first, span_last, weekdays_off=off, weekend_days_worked=worked
    )


def _count_flows(figures: defaultdict[int, _Figures], start: dt.datetime, cut: dt.datetime) -> None:
    """The month's other flows, each counted for the agency it concerns: reports that first
    reached it (by their channel too), deadlines it missed (by the month they passed) and reports it let escalate
    unanswered, reports it returned, answers disputed, reports completed and archived, and
    ratings."""
    in_month = Q(created_at__gte=start, created_at__lt=cut)
    # A missed deadline counts in the month it passed, if the sweep recorded it by the time the
    # month is built; one recorded later (the sweep was down) counts in the month it was
    # recorded. Each counts once, and a built month stays as built.
    missed = Q(due_at__gte=start, due_at__lt=cut, created_at__lt=cut + BUILD_DELAY) | Q(
        created_at__gte=start + BUILD_DELAY, created_at__lt=cut + BUILD_DELAY, due_at__lt=start
    )
    # Reports that first reached an agency, by their channel: one grouped pass over the
    # month's marked events, each joined to its report.
    for agency_id, channel, count in (
        ComplaintEvent.objects.filter(in_month, reached=True)
        .values("holder_id", "complaint__channel")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("holder_id", "complaint__channel", "n")
    ):
        if agency_id is not None:  # a marked event always has its holder
            figures[agency_id].counts["received"] += count
            figures[agency_id].channels[channel] += count
    grouped: tuple[tuple[QuerySet[Any], str, str], ...] = (
        (DeadlineBreach.objects.filter(missed), "agency_id", "escalations"),
        (
            DeadlineBreach.objects.filter(missed, unanswered=True),
            "agency_id",
            "escalated_unanswered",
        ),
        (TransferRequest.objects.filter(in_month), "from_agency_id", "transfers"),
        (Dispute.objects.filter(in_month), "agency_id", "disputes"),
        # A completion or an archiving is the event that leads into the status, counted for
        # the holder: the agency whose answer was accepted, the coordinator that archived.
        (
            ComplaintEvent.objects.filter(
                in_month,
                type__in=[ComplaintEvent.Type.COMPLETED, ComplaintEvent.Type.AUTO_COMPLETED],
            ),
            "holder_id",
            "completed",
        ),
        (
            ComplaintEvent.objects.filter(in_month, type=ComplaintEvent.Type.ARCHIVED),
            "holder_id",
            "archived",
        ),
    )
    for queryset, agency_field, figure in grouped:
        for agency_id, count in (
            queryset.values(agency_field)
            # COUNT(*): read from the index alone, no row fetched.
            .annotate(n=Count("*"))
            .order_by()
            .values_list(agency_field, "n")
        ):
            if agency_id is not None:
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


def _received_by_region(
    start: dt.datetime, cut: dt.datetime
) -> defaultdict[str | None, Counter[str]]:
    """Reports filed in the month, by the regency/city and province they are about and for the
    nation (None): every one of them, whatever became of it, by channel. A report by e-mail
    that has no place yet counts for the nation alone."""
    received: defaultdict[str | None, Counter[str]] = defaultdict(Counter)
    for code, channel, count in (
        Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=cut)
        .values("region_id", "channel")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("region_id", "channel", "n")
    ):
        received[None][channel] += count
        if code is None:  # a report by e-mail without its place yet: the nation's only
            continue
        parts = code.split(".")
        received[parts[0]][channel] += count
        if len(parts) > 1:
            received[".".join(parts[:2])][channel] += count
    return received


def _by_channel(counts: Counter[str]) -> dict[str, int]:
    """A row's ``received_by_channel``: the channels with reports and their counts."""
    return {channel: counts[channel] for channel in Complaint.Channel.values if counts[channel]}


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


def _rows(
    month: dt.date,
    figures: dict[int, _Figures],
    received: defaultdict[str | None, Counter[str]],
    agencies: list[Agency],
    now: dt.datetime,
) -> list[MonthlyRecap]:
    """A row per agency of ``agencies``, per regency/city and province that has agencies or
    reports, and for the nation. A region's row is the sum of the rows of its agencies, but for
    ``received`` (and its channels): the reports filed about the region."""
    wanted = {a.region_id for a in agencies if a.region_id} | {
        code for code in received if code is not None
    }
    regions: dict[str, Region] = {}
    while wanted - regions.keys():
        missing = wanted - regions.keys()
        for found in Region.objects.filter(code__in=missing):
            regions[found.code] = found
            if found.parent_id:
                wanted.add(found.parent_id)
        wanted -= missing - regions.keys()  # a code no longer in the table: no row
    totals: defaultdict[str | None, list[dict[str, int]]] = defaultdict(list)  # None: nation
    days: defaultdict[str | None, list[dict[str, int]]] = defaultdict(list)
    rows = []
    for agency in agencies:
        f = figures.get(agency.pk, _Figures())
        counts = {**f.counts, **f.stock(agency)}
        province, regency = _regions_of(agency.region, regions)
        for code in {None, province, regency}:
            totals[code].append(counts)
            days[code].append(f.answer_days)
        rows.append(
            MonthlyRecap(
                month=month,
                level=MonthlyRecap.Level.AGENCY,
                agency=agency,
                parent_region_id=regency or province,
                name=agency.name,
                answer_days=f.answer_days,
                received_by_channel=_by_channel(f.channels),
                built_at=now,
                **counts,
            )
        )
    for code in set(totals) | {code for code in received if code in regions} | {None}:
        counts = {name: sum(part[name] for part in totals[code]) for name in COUNTS}
        channels = received.get(code, Counter())
        counts["received"] = channels.total()
        region: Region | None
        if code is None:
            level, region, parent = MonthlyRecap.Level.NATION, None, None
        else:
            region = regions[code]
            if region.level > Region.Level.REGENCY:
                continue
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
                answer_days=merge_histograms(days[code]),
                received_by_channel=_by_channel(channels),
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
