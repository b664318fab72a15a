"""Reads of reports: for citizens by tracking number (public) and by private link, and for staff
through the one rule of who sees what (``Complaint.objects.visible_to``)."""

from __future__ import annotations

import base64
import datetime as dt
import statistics
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from complaints import workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintQuerySet,
    Disposition,
    Dispute,
    Rating,
    Response,
)
from complaints.workflow import CitizenAction, StaffAction
from lapor.lib.tracking import normalize_tracking_number
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting, Region

# The staff's actions, by the name the dashboard has always used.
Action = StaffAction


def get_complaint_by_tracking_number(tracking_number: str) -> Complaint:
    """The report with this tracking number, for its public view.

    :raises Complaint.DoesNotExist: for an unknown or malformed number.
    """
    canonical = normalize_tracking_number(tracking_number)
    if canonical is None:
        raise Complaint.DoesNotExist
    return (
        Complaint.objects.with_dispute_flag()
        .select_related(
            "category", "region", "region__parent", "region__parent__parent", "current_agency"
        )
        .get(tracking_number=canonical)
    )


def access_complaint_by_private_link(tracking_number: str, access_key: str) -> Complaint:
    """The report behind a private link, with its reporter and attachments.

    A wrong key and an unknown number fail the same way, so the answer tells nothing.

    :raises Complaint.DoesNotExist: unless the key belongs to the report.
    """
    complaint = get_complaint_by_tracking_number(tracking_number)
    if not complaint.access_key_matches(access_key):
        raise Complaint.DoesNotExist
    return complaint


# "My reports" lists at most this many, newest first (web page and API alike).
OWNED_LIST_LIMIT = 200


def owned_complaint_list(user: User) -> QuerySet[Complaint]:
    """A citizen's "my reports": everything filed from the account or claimed into it, newest
    first, the latest ``OWNED_LIST_LIMIT``. Never another account's report."""
    return (
        Complaint.objects.filter(owner=user)
        .select_related("category", "region", "current_agency")
        .order_by("-submitted_at", "-pk")[:OWNED_LIST_LIMIT]
    )


def response_list(complaint: Complaint) -> list[Response]:
    """A report's answers, oldest first, each with its files in ``files``."""
    responses = list(complaint.responses.select_related("agency").order_by("created_at", "pk"))
    files = list(complaint.attachments.filter(response__isnull=False).order_by("position"))
    for response in responses:
        response.files = [a for a in files if a.response_id == response.pk]  # type: ignore[attr-defined]  # not a field: read by the pages
    return responses


def public_event_list(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.filter(is_public=True).order_by("created_at", "pk")


def last_change(complaint: Complaint) -> dt.datetime | None:
    """When the report's public history last moved: the one date a confidential report shows
    beside its submission and deadline."""
    return (
        public_event_list(complaint)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )


def access_complaint_for_staff(
    user: AbstractBaseUser | AnonymousUser, tracking_number: str
) -> Complaint:
    """A report a staff user may open.

    :raises Complaint.DoesNotExist: when there is none, or the user may not see it (the same
        answer, so that a URL tells nothing about reports of other agencies).
    """
    canonical = normalize_tracking_number(tracking_number)
    if canonical is None:
        raise Complaint.DoesNotExist
    return (
        Complaint.objects.visible_to(user)
        .with_dispute_flag()
        .select_related("category", "region", "current_agency")
        .get(tracking_number=canonical)
    )


def current_dispute(complaint: Complaint) -> Dispute | None:
    """The reporter's dispute the report is with its coordinator for (the newest one), or None
    when it is not disputed now (``ComplaintQuerySet.with_dispute_flag``: the one definition)."""
    disputed = getattr(complaint, "is_disputed", None)
    if disputed is None:
        disputed = Complaint.objects.filter(pk=complaint.pk).disputed().exists()
    if not disputed:
        return None
    return (
        Dispute.objects.filter(complaint=complaint)
        .select_related("agency", "response")
        .order_by("-created_at", "-pk")
        .first()
    )


# --- staff inbox ---------------------------------------------------------------------------------


class Scope(StrEnum):
    """Which reports an inbox lists; every scope lies inside ``Complaint.objects.visible_to``."""

    # An OPD: what it holds now. A coordinator: its own queue.
    HELD = "held"
    # A coordinator: what any agency of its subtree holds now (the national one: every agency).
    SUBTREE = "subtree"
    # An OPD: every report ever disposed to it, answered or moved on since.
    HISTORY = "history"


def scopes_for(agency: Agency) -> list[Scope]:
    if agency.level == Agency.Level.OPD:
        return [Scope.HELD, Scope.HISTORY]
    return [Scope.HELD, Scope.SUBTREE]


def inbox_queryset(agency: Agency, scope: Scope) -> ComplaintQuerySet:
    """An agency's inbox, before filters: reports with a holder and a deadline.

    :raises ValueError: for a scope the agency does not have.
    """
    if scope not in scopes_for(agency):
        raise ValueError(scope)
    reports = Complaint.objects.filter(due_at__isnull=False)
    if scope == Scope.HELD:
        return reports.filter(current_agency_id=agency.pk)
    if scope == Scope.HISTORY:
        return reports.filter(
            Exists(Disposition.objects.filter(complaint=OuterRef("pk"), to_agency_id=agency.pk))
        )
    if agency.level == Agency.Level.NATIONAL:
        return reports.filter(current_agency__isnull=False)
    return reports.filter(current_agency_id__in=sorted(routing_selectors.subtree_ids(agency)))


def search_complaints(reports: QuerySet[Complaint], text: str) -> QuerySet[Complaint]:
    """Reports whose title or text matches ``text``: full-text (Indonesian stemming, the
    ``complaint_search`` GIN index) on PostgreSQL, a substring match elsewhere."""
    text = text.strip()
    if not text:
        return reports
    if connection.vendor == "postgresql":
        return reports.filter(
            RawSQL(  # noqa: S611 (a constant expression; the text is a bound parameter)
                f"{SEARCH_VECTOR_SQL} @@ websearch_to_tsquery('indonesian', %s)",
                [text],
                output_field=BooleanField(),
            )
        )
    return reports.filter(Q(title__icontains=text) | Q(description__icontains=text))


# The indexed expression (migration complaints 0002): a query must spell it the same way.
SEARCH_VECTOR_SQL = (
    "to_tsvector('indonesian'::regconfig, "
    '("complaints_complaint"."title" || \' \' || "complaints_complaint"."description"))'
)


def inbox_counts(reports: ComplaintQuerySet, now: dt.datetime) -> dict[str, int]:
    """Open reports per status, how many of them are overdue, and how many are disputed by the
    reporter and with the coordinator they were disputed to (counted among IN_PROGRESS too),
    for an inbox's scope."""
    counts = dict.fromkeys(workflow.in_order(workflow.OPEN), 0)
    for row in reports.open().order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["overdue"] = reports.overdue(now).count()
    counts["disputed"] = reports.disputed().order_by().count()
    return counts


@dataclass(frozen=True)
class KeysetPage:
    items: list[Complaint]
    next_cursor: str | None
    previous_cursor: str | None


def _pack_cursor(value: object, pk: int) -> str:
    """An opaque cursor for a keyset position (a datetime or a number, then the id)."""
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return base64.urlsafe_b64encode(f"{text}|{pk}".encode()).decode().rstrip("=")


# The range of a 64-bit integer column (ids are BigAutoField), in PostgreSQL and SQLite alike.
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _unpack_cursor(cursor: str, *, moment: bool) -> tuple[dt.datetime | int, int] | None:
    """The position in a cursor (an aware datetime in UTC or a number, then the id), or None for
    one that cannot be read or names a position no row can have: a number or id beyond a
    64-bit column, or a moment whose UTC falls outside the years 1 to 9999 (0001-01-01T00:00+14:00
    is still 31 December of the year 0 in UTC; comparing it with a column overflows)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        text, _sep, pk_text = raw.partition("|")
        pk = int(pk_text)
        if not _BIGINT_MIN <= pk <= _BIGINT_MAX:
            return None
        if not moment:
            value = int(text)
            return (value, pk) if _BIGINT_MIN <= value <= _BIGINT_MAX else None
        when = dt.datetime.fromisoformat(text)
        if when.tzinfo is None:
            return None
        return when.astimezone(dt.UTC), pk
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None


# The inbox's order: first what the holder must act on, by its own deadline; then what waits
# for someone else (the reporter's reply window, a routing step), by when that wait ends; closed
# reports (listed only when a status filter asks for them) last. Each group is walked by
# (due_at, id) on its own, so a page still reads the deadline indexes (no OFFSET, no sort of a
# computed key over the whole inbox).
INBOX_GROUPS: tuple[frozenset[str], ...] = (
    workflow.DEADLINE,
    workflow.OPEN - workflow.DEADLINE,
    workflow.CLOSED,
)
# A cursor's group, as ``_encode_cursor`` writes it.
_GROUP_TEXTS = frozenset(str(index) for index in range(len(INBOX_GROUPS)))


def inbox_group(complaint: Complaint) -> int:
    """The position of the report's group in ``INBOX_GROUPS``."""
    return next(i for i, statuses in enumerate(INBOX_GROUPS) if complaint.status in statuses)


def _encode_cursor(complaint: Complaint) -> str:
    """The group, then the deadline and id (``_pack_cursor``): ``1.MjAyNi0x…``."""
    return f"{inbox_group(complaint)}.{_pack_cursor(complaint.due_at, complaint.pk)}"


def _decode_cursor(cursor: str) -> tuple[int, tuple[object, int]] | None:
    """The inbox position: the group, and the deadline (in the form the database stores: it is
    compared in raw SQL, and SQLite compares text) and id."""
    group_text, dot, rest = cursor.partition(".")
    # Compared as text: ``str.isdigit`` admits "²" and thousands of digits, which ``int``
    # refuses with a ValueError.
    if not dot or group_text not in _GROUP_TEXTS:
        return None
    position = _unpack_cursor(rest, moment=True)
    if position is None:
        return None
    when, pk = position
    assert isinstance(when, dt.datetime)  # moment=True: a cursor holds a datetime or nothing
    return int(group_text), (connection.ops.adapt_datetimefield_value(when), pk)


_AFTER = '("complaints_complaint"."due_at", "complaints_complaint"."id") > (%s, %s)'
_BEFORE = '("complaints_complaint"."due_at", "complaints_complaint"."id") < (%s, %s)'


def keyset_page(
    reports: QuerySet[Complaint], *, after: str = "", before: str = "", size: int = 25
) -> KeysetPage:
    """One page of the inbox in its order (``INBOX_GROUPS``, then deadline, then id), each
    report with ``is_disputed`` (``ComplaintQuerySet.with_dispute_flag``): a page costs the
    same wherever it is in a list of millions (no OFFSET), one query per group it reaches. A
    cursor that cannot be read gives the first page."""
    if isinstance(reports, ComplaintQuerySet):
        reports = reports.with_dispute_flag()
    backward = _decode_cursor(before) if before else None
    if backward is not None:
        group, position = backward
        rows: list[Complaint] = []
        for index in range(group, -1, -1):
            part = reports.filter(status__in=sorted(INBOX_GROUPS[index]))
            if index == group:
                part = part.filter(RawSQL(_BEFORE, position, output_field=BooleanField()))  # noqa: S611
            rows += part.order_by("-due_at", "-pk")[: size + 1 - len(rows)]
            if len(rows) > size:
                break
        more_before = len(rows) > size
        items = rows[:size][::-1]
        return KeysetPage(
            items=items,
            next_cursor=_encode_cursor(items[-1]) if items else None,
            previous_cursor=_encode_cursor(items[0]) if items and more_before else None,
        )
    forward = _decode_cursor(after) if after else None
    first_group = forward[0] if forward is not None else 0
    rows = []
    for index in range(first_group, len(INBOX_GROUPS)):
        part = reports.filter(status__in=sorted(INBOX_GROUPS[index]))
        if forward is not None and index == first_group:
            part = part.filter(RawSQL(_AFTER, forward[1], output_field=BooleanField()))  # noqa: S611
        rows += part.order_by("due_at", "pk")[: size + 1 - len(rows)]
        if len(rows) > size:
            break
    items = rows[:size]
    return KeysetPage(
        items=items,
        next_cursor=_encode_cursor(items[-1]) if len(rows) > size else None,
        previous_cursor=_encode_cursor(items[0]) if items and forward is not None else None,
    )


# --- what a staff member may do on a report ----------------------------------------------------


def staff_actions(user: User, agency: Agency, complaint: Complaint) -> frozenset[StaffAction]:
    """What this staff member may try on a report they can see (``access_complaint_for_staff``),
    from the workflow's table: who is offered which button and who gets 403 for trying. The
    workflow checks it again under the lock."""
    return frozenset(
        StaffAction(action)
        for action in workflow.actions_allowed(complaint, agency=agency, user=user)
    )


def citizen_actions(complaint: Complaint) -> frozenset[CitizenAction]:
    """What the citizen may do on their report now (the private page, the API): reply, accept
    or dispute an answer waiting for them, and rate the latest answer once."""
    allowed = {
        CitizenAction(action)
        for action in workflow.actions_allowed(complaint)
        if action != CitizenAction.RATE
    }
    latest = complaint.responses.filter(is_final=True).order_by("-created_at", "-pk").first()
    if latest is not None and not Rating.objects.filter(response=latest).exists():
        allowed.add(CitizenAction.RATE)
    return frozenset(allowed)


# What an agency's label names (its place: its region, or its coordinator's region).
AGENCY_PLACE_FIELDS = ("region__parent", "parent__region")


def dispose_targets(coordinator: Agency) -> QuerySet[Agency]:
    """The agencies a coordinator may hand a report to: active ones below it."""
    ids = routing_selectors.subtree_ids(coordinator) - {coordinator.pk}
    return (
        Agency.objects.filter(pk__in=ids, is_active=True)
        .select_related(*AGENCY_PLACE_FIELDS)
        .order_by("level", "name")
    )


def agency_place(agency: Agency) -> Region | None:
    """Where an agency sits: its region, or (an OPD entered without one) its coordinator's;
    None for the national coordinator. Reads ``AGENCY_PLACE_FIELDS``."""
    if agency.region is not None:
        return agency.region
    return agency.parent.region if agency.parent is not None else None


@dataclass(frozen=True)
class NearbyAgencies:
    """The agencies an officer may suggest for a report it returns (bukan wewenang), nearest
    first: those of the report's regency/city, those of its province (the province's own OPDs
    and coordinator, and the other regencies' coordinators), then the province coordinators
    and the national one elsewhere, who pass a report on to the right region. Another
    region's OPDs are left out: a report belongs there far less often than it is misplaced
    inside its own region, and the coordinator who decides hands it on anyway."""

    regency: Region | None
    province: Region | None
    in_regency: list[Agency]
    in_province: list[Agency]
    elsewhere: list[Agency]


_LEVEL_RANK: dict[str, int] = {
    Agency.Level.OPD: 0,
    Agency.Level.REGENCY: 1,
    Agency.Level.PROVINCE: 2,
    Agency.Level.NATIONAL: 3,
}


def nearby_agencies(agency: Agency, region: Region | None) -> NearbyAgencies:
    """What ``agency`` may suggest for a report in ``region`` (``NearbyAgencies``), active ones
    other than itself, OPDs before coordinators and then by name: two queries. A report by
    e-mail that has no place yet has no agencies near it: all are elsewhere."""
    regency_code, province_code = (
        (region.regency_code, region.province_code) if region is not None else (None, None)
    )
    places = {r.code: r for r in Region.objects.filter(code__in=[regency_code, province_code])}
    in_regency = (
        Q(region_id=regency_code)
        | Q(region__parent_id=regency_code)
        | Q(region__isnull=True, parent__region_id=regency_code)
        if regency_code is not None
        else Q(pk__in=[])
    )
    in_province = (
        Q(region_id=province_code)
        | Q(region__isnull=True, parent__region_id=province_code)
        | Q(level=Agency.Level.REGENCY, region__parent_id=province_code)
        if province_code is not None
        else Q(pk__in=[])
    )
    coordinators_elsewhere = Q(level__in=[Agency.Level.NATIONAL, Agency.Level.PROVINCE])
    agencies = (
        Agency.objects.filter(is_active=True)
        .exclude(pk=agency.pk)
        .filter(in_regency | in_province | coordinators_elsewhere)
        .select_related(*AGENCY_PLACE_FIELDS)
    )
    groups: tuple[list[Agency], list[Agency], list[Agency]] = ([], [], [])
    for candidate in sorted(agencies, key=lambda a: (_LEVEL_RANK[a.level], a.name, a.pk)):
        place = agency_place(candidate)
        if place is not None and regency_code and place.regency_code == regency_code:
            groups[0].append(candidate)
        elif place is not None and province_code and place.province_code == province_code:
            groups[1].append(candidate)
        else:
            groups[2].append(candidate)
    return NearbyAgencies(
        regency=places.get(regency_code or ""),
        province=places.get(province_code or ""),
        in_regency=groups[0],
        in_province=groups[1],
        elsewhere=groups[2],
    )


# --- the public list and the agencies' public figures -------------------------------------------


class PublicOrder(StrEnum):
    NEWEST = "new"
    SUPPORTED = "support"


_PUBLIC_KEYS = {PublicOrder.NEWEST: "submitted_at", PublicOrder.SUPPORTED: "support_count"}


def public_page(
    reports: QuerySet[Complaint], *, order: PublicOrder, after: str = "", size: int = 20
) -> tuple[list[Complaint], str | None]:
    """One page of the public list, newest or most supported first, then by id; the cursor of
    the next page (None at the end). A cursor that cannot be read gives the first page."""
    key = _PUBLIC_KEYS[order]
    ordered = reports.order_by(f"-{key}", "-pk")
    position = _unpack_cursor(after, moment=order == PublicOrder.NEWEST) if after else None
    if position is not None:
        value, pk = position
        ordered = ordered.filter(Q(**{f"{key}__lt": value}) | Q(**{key: value, "pk__lt": pk}))
    rows = list(ordered[: size + 1])
    items = rows[:size]
    following = _pack_cursor(getattr(items[-1], key), items[-1].pk) if len(rows) > size else None
    return items, following


@dataclass(frozen=True)
class AgencyFigures:
    """How an agency responded over a period: reports handed to it, the share it answered, and
    the median days from hand-over to its first answer. Confidential reports are left out, so
    that no public number can point at one."""

    received: int
    answered: int
    median_days_to_answer: float | None
    since: dt.datetime

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.received if self.received else None


def agency_figures(agency: Agency, *, now: dt.datetime, days: int = 365) -> AgencyFigures:
    since = now - dt.timedelta(days=days)
    handed: dict[int, dt.datetime] = {}
    for complaint_id, created_at in (
        Disposition.objects.filter(
            to_agency=agency, created_at__gte=since, complaint__is_confidential=False
        )
        .order_by("created_at")
        .values_list("complaint_id", "created_at")
    ):
        handed.setdefault(complaint_id, created_at)
    first_answer: dict[int, dt.datetime] = {}
    for complaint_id, created_at in (
        Response.objects.filter(agency=agency, is_final=True, complaint_id__in=list(handed))
        .order_by("created_at")
        .values_list("complaint_id", "created_at")
    ):
        first_answer.setdefault(complaint_id, created_at)
    waits = sorted(
        (answered_at - handed[cid]).total_seconds() / 86400
        for cid, answered_at in first_answer.items()
        if answered_at >= handed[cid]
    )
    return AgencyFigures(
        received=len(handed),
        answered=len(first_answer),
        median_days_to_answer=statistics.median(waits) if waits else None,
        since=since,
    )


def get_public_agency(code: str) -> Agency | None:
    """The active agency with ``code``, for its public page (web and API); None otherwise."""
    return (
        Agency.objects.filter(code=code, is_active=True)
        .select_related("parent", "region", "region__parent")
        .first()
    )


# An agency's page lists this many of its reports, newest first.
AGENCY_RECENT_REPORTS = 10


def agency_recent_reports(agency: Agency, *, limit: int = AGENCY_RECENT_REPORTS) -> list[Complaint]:
    """The newest public reports (``ComplaintQuerySet.public``: never a confidential or an
    archived one) that ``agency`` holds now or gave a final answer to, newest first.

    Two indexed reads (by holder, and by the answers' agency) merged here, rather than one
    query with OR, which could only walk the whole public list newest first and test each."""
    reports = Complaint.objects.listed().select_related("category", "region")
    newest = ("-submitted_at", "-pk")
    held = list(reports.filter(current_agency=agency).order_by(*newest)[:limit])
    answered_ids = Response.objects.filter(agency=agency, is_final=True).values("complaint_id")
    answered = list(
        reports.filter(pk__in=answered_ids).exclude(current_agency=agency).order_by(*newest)[:limit]
    )
    merged = sorted([*held, *answered], key=lambda c: (c.submitted_at, c.pk), reverse=True)
    return merged[:limit]


# --- what the citizen wrote back, on their private page ------------------------------------------


@dataclass(frozen=True)
class CitizenReaction:
    """One thing the reporter did with an answer, as their private page shows it back: a reply,
    a dispute (``agency``: the coordinator it went to), the acceptance, or a rating."""

    action: CitizenAction
    created_at: dt.datetime
    text: str = ""
    score: int | None = None
    agency: str = ""


_REACTION_EVENTS = (
    ComplaintEvent.Type.CITIZEN_REPLIED,
    ComplaintEvent.Type.DISPUTED,
    ComplaintEvent.Type.COMPLETED,
)


def private_response_list(complaint: Complaint) -> list[Response]:
    """A report's answers for its reporter's private page (``response_list``), each with what
    the reporter did with it, oldest first, in ``reactions``: their replies and dispute in
    their own words, their acceptance, their rating and comment. Read from the public events
    of the reporter's own transitions, the disputes and the ratings; never a note, never a
    staff member's name. Only this reporter's own: not the replies and disputes a duplicate's
    reporter sent to this report (``from_duplicate``: another citizen's words), nor, on a
    duplicate, the replies, disputes and acceptance of its original's reporter (``follows``);
    a duplicate's own reporter's reply or dispute, which went to the original, is on its own
    events (``follows`` and ``own``, with their words).
    Five queries, whatever the number of answers."""
    responses = response_list(complaint)
    finals = [response for response in responses if response.is_final]
    by_answer: dict[int, list[CitizenReaction]] = {response.pk: [] for response in responses}

    def concerned(response_id: object, moment: dt.datetime) -> int | None:
        # A reaction is to the latest final answer given before it, when its event does not
        # name the answer (an acceptance, or a reply written before replies named it).
        if isinstance(response_id, int) and response_id in by_answer:
            return response_id
        earlier = [response.pk for response in finals if response.created_at <= moment]
        return earlier[-1] if earlier else None

    def add(response_id: int | None, reaction: CitizenReaction) -> None:
        if response_id is not None:
            by_answer[response_id].append(reaction)

    events = list(complaint.events.filter(is_public=True, type__in=_REACTION_EVENTS).order_by("pk"))
    # A dispute and its event are written by one transition: the n-th of each go together.
    disputes = iter(complaint.disputes.order_by("pk"))
    for event in events:
        own_on_duplicate = bool(event.data.get("own"))
        if "follows" in event.data and not own_on_duplicate:
            continue  # on a duplicate: what its original's reporter did, copied here
        if "from_duplicate" in event.data:
            if event.type == ComplaintEvent.Type.DISPUTED:
                next(disputes, None)  # its dispute row, which is the other reporter's too
            continue
        if event.type == ComplaintEvent.Type.CITIZEN_REPLIED:
            add(
                concerned(event.data.get("response_id"), event.created_at),
                CitizenReaction(
                    CitizenAction.REPLY, event.created_at, text=event.data.get("text", "")
                ),
            )
        elif event.type == ComplaintEvent.Type.DISPUTED and own_on_duplicate:
            # Its dispute row is the original's; the words came with the event.
            add(
                concerned(None, event.created_at),
                CitizenReaction(
                    CitizenAction.DISPUTE,
                    event.created_at,
                    text=event.data.get("reason", ""),
                    agency=event.data.get("agency_name", ""),
                ),
            )
        elif event.type == ComplaintEvent.Type.DISPUTED:
            dispute = next(disputes, None)
            if dispute is not None:
                add(
                    concerned(dispute.response_id, dispute.created_at),
                    CitizenReaction(
                        CitizenAction.DISPUTE,
                        dispute.created_at,
                        text=dispute.reason,
                        agency=event.data.get("agency_name", ""),
                    ),
                )
        else:
            add(
                concerned(None, event.created_at),
                CitizenReaction(CitizenAction.ACCEPT, event.created_at),
            )
    for rating in complaint.ratings.order_by("pk"):
        add(
            concerned(rating.response_id, rating.created_at),
            CitizenReaction(
                CitizenAction.RATE, rating.created_at, text=rating.comment, score=rating.score
            ),
        )
    for response in responses:
        response.reactions = sorted(by_answer[response.pk], key=lambda r: r.created_at)  # type: ignore[attr-defined]  # not a field: read by the private page
    return responses


# --- log-in: the account a typed name or address stands for -------------------------------------


def citizen_login_username(address: str) -> str:
    """The username to check a citizen's password against, from the e-mail address typed.

    A citizen's username is the address itself, stored in lower case when the account was asked
    for (``services.request_registration``). The address is matched whatever its case and the
    spaces around it, so that "Warga@Example.id " opens the account of warga@example.id and
    django-axes counts the failures of every spelling against that one account.
    """
    address = address.strip()
    found = list(
        User.objects.filter(username__iexact=address).values_list("username", flat=True)[:2]
    )
    return found[0] if len(found) == 1 else address.lower()


def staff_login_username(name: str) -> str:
    """The username to check a staff member's password against: what was typed, or, for an
    e-mail address that is no active account's username, the username of the one active
    account with that address.

    Staff accounts may share an address (a unit's mailbox) or have none: an address that
    belongs to no active account, or to several, is left as typed and fails like any wrong
    username, telling nothing of which. An account's own username always wins, so that
    nobody can take over the name of another by setting an address. Resolved before the
    password is checked, so that django-axes counts guesses under the username and under the
    address against the same account.
    """
    name = name.strip()
    if "@" not in name:
        return name
    active = User.objects.filter(is_active=True)
    if active.filter(username=name).exists():
        return name
    found = list(active.filter(email__iexact=name).values_list("username", flat=True)[:2])
    return found[0] if len(found) == 1 else name


# --- the home page: deadlines, this month's figures, recent public reports ----------------------


@dataclass(frozen=True)
class DeadlineInForce:
    """A deadline as the workflow applies it now: working days, and the rule it rests on."""

    days: int
    source: str


@dataclass(frozen=True)
class ProcessDeadlines:
    """The deadlines the home page explains, each read as the workflow reads it when it starts
    one (``routing.selectors.deadline_days``, from the settings an administrator edits); None
    where a setting has been removed, so the page leaves that line out instead of failing."""

    verification: DeadlineInForce | None
    first_response: DeadlineInForce | None
    complaint: DeadlineInForce | None
    aspiration: DeadlineInForce | None
    information_request: DeadlineInForce | None
    extension: DeadlineInForce | None
    inspection: DeadlineInForce | None
    citizen_reply: DeadlineInForce | None


def process_deadlines() -> ProcessDeadlines:
    """The deadlines of a report's way, for the home page (see ``ProcessDeadlines``)."""
    step, kind = DeadlineSetting.Step, Complaint.Kind
    sources = {
        (row_step, row_kind): source
        for row_step, row_kind, source in DeadlineSetting.objects.values_list(
            "step", "kind", "source"
        )
    }

    def read(of_step: str, of_kind: str = "") -> DeadlineInForce | None:
        try:
            days = routing_selectors.deadline_days(of_step, of_kind)
        except LookupError:
            return None
        # The same fallback as deadline_days: the kind's own setting, else every kind's.
        source = sources.get((of_step, of_kind)) or sources.get((of_step, ""), "")
        return DeadlineInForce(days=days, source=source)

    return ProcessDeadlines(
        verification=read(step.VERIFICATION),
        first_response=read(step.FIRST_RESPONSE),
        complaint=read(step.COMPLETION, kind.COMPLAINT),
        aspiration=read(step.COMPLETION, kind.ASPIRATION),
        information_request=read(step.COMPLETION, kind.INFORMATION_REQUEST),
        extension=read(step.EXTENSION, kind.INFORMATION_REQUEST),
        inspection=read(step.COMPLETION_INSPECTION, kind.COMPLAINT),
        citizen_reply=read(step.CITIZEN_REPLY),
    )


# The home page's figures are at most this many seconds old.
MONTH_FIGURES_SECONDS = 300


@dataclass(frozen=True)
class MonthFigures:
    """This month's reports so far: how many were filed (every one, whatever became of it, as
    the recaps' "received" for the nation), how many of those have had an agency's final
    answer ("answered" as in the recaps: interim replies do not count), and the received by
    channel (``by_channel``: (channel, count) of the channels with reports, in ``Channel``
    order; they add up to ``received``)."""

    month: dt.date
    received: int
    answered: int
    by_channel: tuple[tuple[str, int], ...] = ()

    @property
    def channels(self) -> list[tuple[str, int]]:
        """(the channel's name in the active language, count), for the page."""
        return [(str(Complaint.Channel(c).label), count) for c, count in self.by_channel]

    @property
    def answered_percent(self) -> int | None:
        """The share answered in whole percent, halves rounded up; None of no report."""
        if not self.received:
            return None
        return (200 * self.answered + self.received) // (2 * self.received)


def month_figures(*, now: dt.datetime) -> MonthFigures:
    """The figures of the month ``now`` falls in (Asia/Jakarta), for the home page.

    Two counts over the month's reports (one grouped by channel, whose sum is the received;
    one with a look-up of each report's answers) are cheap on a quiet day, but the home page is
    the portal's most opened page and a month may hold hundreds of thousands of reports. So
    they are kept in Django's cache (Redis in production, shared by every process) for
    ``MONTH_FIGURES_SECONDS``: counted at most once in five minutes, and never more than five
    minutes old (the counting moment is kept with the counts and compared with ``now``, so the
    age does not rest on the cache's own clock). The key names the month, so the first visit
    of a new month counts afresh instead of showing the last month's figures.
    Totals over the whole country name no report, so confidential ones count, as in the
    recaps.
    """
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now, zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    following = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
    # "v2": the counts by channel were added; an entry of the form before is not read.
    key = f"complaints:month-figures:v2:{start.date().isoformat()}"
    cached: tuple[float, dict[str, int], int] | None = cache.get(key)
    fresh = cached is not None and 0 <= now.timestamp() - cached[0] < MONTH_FIGURES_SECONDS
    if cached is None or not fresh:
        month = Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=following)
        answered = month.filter(
            Exists(Response.objects.filter(complaint=OuterRef("pk"), is_final=True))
        )
        by_channel = dict(
            month.values("channel").annotate(n=Count("*")).order_by().values_list("channel", "n")
        )
        cached = (now.timestamp(), by_channel, answered.count())
        cache.set(key, cached, MONTH_FIGURES_SECONDS)
    _counted_at, counts, answered_count = cached
    return MonthFigures(
        month=start.date(),
        received=sum(counts.values()),
        answered=answered_count,
        by_channel=tuple((c, counts[c]) for c in Complaint.Channel.values if counts.get(c)),
    )


# The home page lists this many of the newest public reports.
RECENT_PUBLIC_COUNT = 5


def recent_public_complaints(limit: int = RECENT_PUBLIC_COUNT) -> list[Complaint]:
    """The newest public reports, for the home page: never a confidential or archived one
    (``Complaint.objects.public()``, read from its index), with their region and its parent."""
    return list(
        Complaint.objects.listed()
        .select_related("region", "region__parent")
        .only(
            "tracking_number",
            "title",
            "kind",
            "status",
            "submitted_at",
            "region__name",
            "region__parent__name",
        )
        .order_by("-submitted_at", "-pk")[:limit]
    )
