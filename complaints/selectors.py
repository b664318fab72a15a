"""Reads of reports: for citizens by tracking number (public) and by private link, and for staff
through the one rule of who sees what (``Complaint.objects.visible_to``)."""

from __future__ import annotations

import base64
import datetime as dt
import statistics
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from complaints import workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintQuerySet,
    Disposition,
    Rating,
    Response,
)
from complaints.workflow import CitizenAction, StaffAction
from lapor.lib.tracking import normalize_tracking_number
from routing import selectors as routing_selectors
from routing.models import Agency

# The staff's actions, by the name the dashboard has always used.
Action = StaffAction


def get_complaint_by_tracking_number(tracking_number: str) -> Complaint:
    """The report with this tracking number, for its public view.

    :raises Complaint.DoesNotExist: for an unknown or malformed number.
    """
    canonical = normalize_tracking_number(tracking_number)
    if canonical is None:
        raise Complaint.DoesNotExist
    return Complaint.objects.select_related(
        "category", "region", "region__parent", "current_agency"
    ).get(tracking_number=canonical)


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
        .select_related("category", "region", "current_agency")
        .get(tracking_number=canonical)
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
    """Open reports per status, and how many of them are overdue, for an inbox's scope."""
    counts = dict.fromkeys(workflow.in_order(workflow.OPEN), 0)
    for row in reports.open().order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["overdue"] = reports.overdue(now).count()
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


def _encode_cursor(complaint: Complaint) -> str:
    return _pack_cursor(complaint.due_at, complaint.pk)


def _decode_cursor(cursor: str) -> tuple[object, int] | None:
    """The inbox position, with its datetime in the form the database stores: it is compared
    in raw SQL (SQLite compares text)."""
    position = _unpack_cursor(cursor, moment=True)
    if position is None:
        return None
    when, pk = position
    assert isinstance(when, dt.datetime)  # moment=True: a cursor holds a datetime or nothing
    return connection.ops.adapt_datetimefield_value(when), pk


_AFTER = '("complaints_complaint"."due_at", "complaints_complaint"."id") > (%s, %s)'
_BEFORE = '("complaints_complaint"."due_at", "complaints_complaint"."id") < (%s, %s)'


def keyset_page(
    reports: QuerySet[Complaint], *, after: str = "", before: str = "", size: int = 25
) -> KeysetPage:
    """One page of reports by deadline, then id: a page costs the same wherever it is in a
    list of millions (no OFFSET). A cursor that cannot be read gives the first page."""
    ordered = reports.order_by("due_at", "pk")
    position = _decode_cursor(before) if before else None
    if position is not None:
        rows = list(
            reports.filter(RawSQL(_BEFORE, position, output_field=BooleanField())).order_by(  # noqa: S611
                "-due_at", "-pk"
            )[: size + 1]
        )
        more_before = len(rows) > size
        items = rows[:size][::-1]
        return KeysetPage(
            items=items,
            next_cursor=_encode_cursor(items[-1]) if items else None,
            previous_cursor=_encode_cursor(items[0]) if items and more_before else None,
        )
    position = _decode_cursor(after) if after else None
    if position is not None:
        ordered = ordered.filter(RawSQL(_AFTER, position, output_field=BooleanField()))  # noqa: S611
    rows = list(ordered[: size + 1])
    items = rows[:size]
    return KeysetPage(
        items=items,
        next_cursor=_encode_cursor(items[-1]) if len(rows) > size else None,
        previous_cursor=_encode_cursor(items[0]) if items and position is not None else None,
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


def dispose_targets(coordinator: Agency) -> QuerySet[Agency]:
    """The agencies a coordinator may hand a report to: active ones below it."""
    ids = routing_selectors.subtree_ids(coordinator) - {coordinator.pk}
    return Agency.objects.filter(pk__in=ids, is_active=True).order_by("level", "name")


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
        Agency.objects.filter(code=code, is_active=True).select_related("parent", "region").first()
    )
