"""Synthetic reports over the demo hierarchy, for demos and benchmarks (``generate_complaints``).

Each report walks through the workflow's table (``complaints.workflow``): it is submitted,
routed level by level where the rules decide (``routing.selectors.next_holder``) or waits in a
coordinator's queue, and then coordinators, agencies, the citizen and the clock take turns:
dispose, pass up, archive, return as not their authority, acknowledge, answer, reply, accept,
dispute, rate; the escalation sweep moves what misses its deadline one level up, and the
reply window completes an answer the citizen leaves. Every step is a transition of the table,
checked with ``workflow.refusal`` and applied with ``workflow.advance`` and
``workflow.event_data``, the functions the real transitions use, so the rows are those the
services would have written and cannot drift from them.

The walk stops at ``now``: old reports are mostly done, recent ones still open. The sweep runs
every 15 minutes, so a report overdue below the national coordinator exists only while the sweep
is behind; a few reports are "stalled" (the sweep never reaches them and their holders act days
late) so that overdue inboxes have something to show. Nothing is sent: no e-mail, no task, no
outbox row.

Reports come by the portal's doors and by those staff record (``CHANNEL_WEIGHTS``): one
brought to an office is recorded, on a working day in office hours, by an officer of the OPD the
rules hand it to or of a coordinator above (its ``entered_by``, the actor of its first event),
and routed by the rules like the others.

Rows are written in batches, every report of a batch complete, one transaction per batch: with
PostgreSQL's COPY (ids drawn from the tables' sequences), elsewhere with ``bulk_create``.
Everything random comes from one seed, so a seed, a ``now`` and the same database give the same
reports. Texts and people come from ``demo.words``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import queue
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from complaints import workflow
from complaints.models import (
    STAFF_CHANNELS,
    Channel,
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    Dispute,
    Rating,
    Reporter,
    Response,
    TransferRequest,
)
from complaints.workflow import State, Transition
from demo.hierarchy import DEMO_CITIES, DEMO_PROVINCE, NATIONAL_CODE
from demo.words import (
    ANSWER_ACTIONS,
    ANSWERS,
    ARCHIVE_REASONS,
    DISPUTE_REASONS,
    NOTES,
    PASS_UP_REASONS,
    TRANSFER_REASONS,
    Place,
    report_texts,
    reporter_row,
)
from lapor.lib.tracking import (
    ALPHABET,
    TRACKING_NUMBER_CHARS,
    format_tracking_number,
    hash_access_key,
)
from routing import selectors as routing_selectors
from routing.models import Agency, Category, DeadlineSetting, Officer, Region, RoutingRule

Status = Complaint.Status
Step = DeadlineSetting.Step
SPAN_DAYS = 730
MAX_ACTIONS = 24
SWEEP_EVERY = dt.timedelta(minutes=15)


class SyntheticDataError(Exception):
    """The database lacks what the generator needs (the demo hierarchy); ``message`` says what
    to run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# fmt: off
KIND_WEIGHTS = ((Complaint.Kind.COMPLAINT, 70), (Complaint.Kind.ASPIRATION, 20),
                (Complaint.Kind.INFORMATION_REQUEST, 10))
CATEGORY_WEIGHTS = {
    "kesehatan": 16, "pendidikan": 12, "infrastruktur": 20, "kependudukan": 12,
    "lingkungan": 9, "perhubungan": 8, "perizinan": 5, "sosial": 7, "ketenagakerjaan": 4,
    "lainnya": 5, "pendidikan-menengah": 3, "jalan-provinsi": 3,
}
# Samarinda and Balikpapan, where the demo OPDs are, get most reports; every other regency/city
# of the province shares the rest.
CITY_SHARE = {"64.72": 0.42, "64.71": 0.33}
# Local hours at which citizens file reports (evenings included).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 9, 8, 7, 6, 6, 7, 7, 5, 3, 2)
# The doors reports come by (percent). Those staff record (in person, telephone, letter, social
# media) are recorded in office hours on working days, by an officer (``_World.recorder``).
CHANNEL_WEIGHTS = ((Channel.WEB, 55), (Channel.EMAIL, 12), (Channel.API, 5),
                   (Channel.OPEN311, 3), (Channel.WALK_IN, 9), (Channel.PHONE, 8),
                   (Channel.LETTER, 5), (Channel.SOCIAL_MEDIA, 3))

# The chance that each thing happens when its turn comes.
P_ANONYMOUS = 0.30
P_CONFIDENTIAL = 0.05
P_STALLED = 0.05  # the escalation sweep never reaches this report; its holders act days late
P_COORDINATOR_LATE = 0.05
P_AGENCY_LATE = 0.06
P_ARCHIVE = 0.07
P_TRANSFER = 0.04
P_ANSWER_WITHOUT_ACKNOWLEDGING = 0.10
P_NOTE = 0.08
P_ACCEPT = 0.35  # the citizen accepts the answer within the reply window (else it auto-completes)
P_DISPUTE = 0.04  # the citizen disputes the answer: the coordinator above answers again
P_RATE = 0.30  # the citizen rates an answer they accepted
# fmt: on


# --- the hierarchy, read once ------------------------------------------------------------------


class _World:
    """The demo hierarchy, regions, categories and deadlines as the walks need them, read once;
    routes and deadlines are memoized (a route depends on the category and regency/city only, a
    deadline on the local day, the step and the kind)."""

    def __init__(self) -> None:
        routing_selectors.clear_settings_cache()  # the hierarchy may just have been seeded
        self.tz = timezone.get_default_timezone()
        try:
            self.national = routing_selectors.get_national_coordinator()
        except Agency.DoesNotExist:
            raise _missing("no national coordinator") from None
        if self.national.code != NATIONAL_CODE:
            raise _missing(f"the national coordinator is not {NATIONAL_CODE!r}")
        province = routing_selectors.get_coordinator(Agency.Level.PROVINCE, DEMO_PROVINCE)
        if province is None:
            raise _missing(f"no coordinator for province {DEMO_PROVINCE}")
        self.province: Agency = province
        self.agencies = {
            pk: routing_selectors.get_agency(pk)
            for pk in Agency.objects.order_by("pk").values_list("pk", flat=True)
        }
        self.opds_below: dict[int, list[Agency]] = {}
        for agency in self.agencies.values():
            if agency.level == Agency.Level.OPD and agency.is_active and agency.parent_id:
                self.opds_below.setdefault(agency.parent_id, []).append(agency)
        for city in DEMO_CITIES:
            coordinator = routing_selectors.get_coordinator(Agency.Level.REGENCY, city)
            if coordinator is None or not self.opds_below.get(coordinator.pk):
                raise _missing(f"no coordinator with agencies for {city}")
        if not RoutingRule.objects.filter(level=RoutingRule.Level.REGENCY).exists():
            raise _missing("no routing rules")
        self.officers: dict[int, int] = {}
        for user_id, agency_id in Officer.objects.order_by("user_id").values_list(
            "user_id", "agency_id"
        ):
            self.officers.setdefault(agency_id, user_id)
        self._recorders: dict[tuple[int, str], int | None] = {}
        self._load_places()
        self._load_categories()
        self._routes: dict[
            tuple[int, str], tuple[list[tuple[Agency, RoutingRule | None]], Agency]
        ] = {}
        self._due: dict[tuple[dt.date, str, str], dt.datetime] = {}
        for step in (Step.VERIFICATION, Step.FIRST_RESPONSE, Step.CITIZEN_REPLY):
            routing_selectors.deadline_days(step)  # raises LookupError when one is missing

    def _load_places(self) -> None:
        regencies = [
            region
            for region in Region.objects.filter(parent_id=DEMO_PROVINCE).order_by("code")
            if routing_selectors.get_coordinator(Agency.Level.REGENCY, region.code) is not None
        ]
        districts: dict[str, list[Place]] = {}
        for code, name, parent in (
            Region.objects.filter(parent_id__in=[r.code for r in regencies])
            .order_by("code")
            .values_list("code", "name", "parent_id")
        ):
            districts.setdefault(parent, []).append(Place(code, name, parent))
        others = [r for r in regencies if r.code not in CITY_SHARE]
        rest = 1 - sum(CITY_SHARE[r.code] for r in regencies if r.code in CITY_SHARE)
        self.regencies: list[tuple[Place, list[Place]]] = []
        weights: list[float] = []
        for region in regencies:
            self.regencies.append(
                (Place(region.code, region.name, region.code), districts.get(region.code, []))
            )
            weights.append(CITY_SHARE.get(region.code, rest / max(len(others), 1)))
        self.regency_cum = list(_accumulate(weights))

    def _load_categories(self) -> None:
        categories = list(Category.objects.filter(is_active=True).order_by("position", "code"))
        if not categories:
            raise _missing("no categories")
        self.categories = categories
        self.category_codes = {c.pk: c.code for c in categories}
        self.category_cum = list(_accumulate(CATEGORY_WEIGHTS.get(c.code, 3) for c in categories))

    def due(self, *, start: dt.datetime, step: str, kind: str = "") -> dt.datetime:
        """``routing.selectors.due_at``, memoized per local day."""
        key = (start.astimezone(self.tz).date(), step, kind)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = routing_selectors.due_at(start=start, step=step, kind=kind)
        return found

    def route(
        self, category_id: int, regency_code: str
    ) -> tuple[list[tuple[Agency, RoutingRule | None]], Agency]:
        """The hand-overs the routing steps make for a new report of this category and
        regency/city (``routing.selectors.next_holder`` from the national coordinator down),
        and where it stops: an OPD, or the coordinator in whose queue it waits."""
        key = (category_id, regency_code)
        if key not in self._routes:
            holder = self.national
            hops: list[tuple[Agency, RoutingRule | None]] = []
            while holder.level != Agency.Level.OPD and len(hops) < 6:
                target, rule = routing_selectors.next_holder(
                    category_id=category_id, region_code=regency_code, holder=holder
                )
                if target is None:
                    break
                hops.append((target, rule))
                holder = target
            self._routes[key] = (hops, holder)
        return self._routes[key]

    def recorder(self, category_id: int, regency_code: str) -> int | None:
        """The officer who records a report of this category and regency/city brought to an
        office (``enter_complaint``, letting the rules route it): one of the OPD the rules hand
        it to, else of the regency/city's coordinator, the province's or the national one; None
        when none of them has an officer."""
        key = (category_id, regency_code)
        if key not in self._recorders:
            _hops, stop = self.route(category_id, regency_code)
            offices = [
                stop if stop.level == Agency.Level.OPD else None,
                routing_selectors.get_coordinator(Agency.Level.REGENCY, regency_code),
                self.province,
                self.national,
            ]
            self._recorders[key] = next(
                (self.officers[o.pk] for o in offices if o is not None and o.pk in self.officers),
                None,
            )
        return self._recorders[key]

    def rule_agency(self, category_id: int, regency_code: str) -> Agency | None:
        """The OPD a rule names for this category, in the regency/city or the province."""
        for level, code in (
            (RoutingRule.Level.REGENCY, regency_code),
            (RoutingRule.Level.PROVINCE, regency_code.split(".")[0]),
        ):
            rule = routing_selectors.get_rule(
                category_id=category_id, level=level, region_code=code
            )
            if rule is not None and rule.agency is not None:
                return rule.agency
        return None


def _missing(what: str) -> SyntheticDataError:
    return SyntheticDataError(
        f"The demo hierarchy is missing ({what}): run `manage.py load_regions` and "
        "`manage.py seed_demo` first."
    )


def _accumulate(weights: Any) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


KIND_WEIGHTS_KINDS = [kind for kind, _weight in KIND_WEIGHTS]
KIND_CUM = list(_accumulate(weight for _kind, weight in KIND_WEIGHTS))
CHANNELS = [channel for channel, _weight in CHANNEL_WEIGHTS]
CHANNEL_CUM = list(_accumulate(weight for _channel, weight in CHANNEL_WEIGHTS))
HOUR_CUM = list(_accumulate(HOUR_WEIGHTS))


# --- one batch of rows -------------------------------------------------------------------------


@dataclass
class _Batch:
    complaints: list[tuple[Any, ...]] = field(default_factory=list)
    reporters: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    dispositions: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[list[Any]] = field(default_factory=list)
    breaches: list[tuple[Any, ...]] = field(default_factory=list)
    responses: list[tuple[Any, ...]] = field(default_factory=list)
    disputes: list[tuple[Any, ...]] = field(default_factory=list)
    ratings: list[tuple[Any, ...]] = field(default_factory=list)


# Column order of the tuples above; rows without an id get theirs from the table.
COLUMNS: dict[str, tuple[type[Model], list[str]]] = {
    "complaints": (
        Complaint,
        "id tracking_number access_key_hash kind title description category_id region_id "
        "incident_date is_anonymous is_confidential needs_inspection status language "
        "submitted_at due_at current_agency_id routing_step moved_at version support_count "
        "channel entered_by_id".split(),
    ),
    "reporters": (Reporter, "complaint_id name email phone ip_address".split()),
    "dispositions": (
        Disposition,
        "id complaint_id sequence kind from_agency_id to_agency_id rule_id actor_id created_at "
        "due_at".split(),
    ),
    "transfers": (
        TransferRequest,
        "id complaint_id from_agency_id reason suggested_agency_id requested_by_id created_at "
        "decided_at".split(),
    ),
    "breaches": (
        DeadlineBreach,
        "disposition_id complaint_id agency_id due_at created_at unanswered".split(),
    ),
    "responses": (
        Response,
        "id complaint_id agency_id author_id text created_at is_first reached_at due_first".split(),
    ),
    "disputes": (Dispute, "complaint_id response_id agency_id reason created_at".split()),
    "ratings": (Rating, "complaint_id response_id agency_id score comment created_at".split()),
    "events": (
        ComplaintEvent,
        "complaint_id type from_status from_holder_id from_due_at to_status holder_id due_at "
        "actor_id is_public data created_at reached".split(),
    ),
}
JSON_COLUMNS = {"events": 10}


# --- one report's life -------------------------------------------------------------------------


class _Report:
    """One report while it walks: its state as the workflow keeps it (``workflow.State``), and
    what the walk remembers besides."""

    __slots__ = (
        "answered_by",
        "category_id",
        "channel",
        "disposition_id",
        "entered_by",
        "handed_at",
        "id",
        "ignored_by",
        "kind",
        "missed_by",
        "reached",
        "regency_code",
        "region",
        "response",
        "returned",
        "stalled",
        "state",
        "submitted_at",
        "submitted_data",
        "suggested",
        "transfer_id",
    )

    def __init__(self, pk: int, kind: str, category_id: int, region: Place, at: dt.datetime):
        self.id = pk
        self.kind = kind
        self.category_id = category_id
        self.region = region
        self.regency_code = region.regency_code
        self.submitted_at = at
        self.state = State.before_submission()
        self.handed_at = at  # when the holder got it: its last hand-over, or submission
        self.disposition_id: int | None = None  # the id of the last hand-over's row
        self.stalled = False
        self.returned: set[int] = set()  # agencies that returned it as not their authority
        self.transfer_id: int | None = None  # the open transfer request
        self.suggested: Agency | None = None
        self.missed_by: Agency | None = None  # the last agency escalated away from
        self.response: tuple[int, Agency] | None = None  # the last answer and who gave it
        self.reached: dict[int, dt.datetime] = {}  # agency → when it first had to act on it
        self.answered_by: set[int] = set()  # agencies that gave it a final answer
        self.ignored_by: set[int] = set()  # agencies that let it escalate unanswered
        self.channel: str = Channel.WEB
        self.entered_by: int | None = None  # the officer who recorded it (a staff channel)
        self.submitted_data: dict[str, Any] = {}  # its first event's data

    # What ``workflow.refusal`` reads of a report.
    @property
    def status(self) -> str:
        return self.state.status

    @property
    def holder(self) -> Agency | None:
        return self.state.holder

    @property
    def current_agency_id(self) -> int | None:
        return self.state.holder.id if self.state.holder else None

    @property
    def routing_step(self) -> int:
        return self.state.routing_step

    @property
    def due_at(self) -> dt.datetime | None:
        return self.state.due_at

    is_anonymous = is_confidential = needs_inspection = deadline_extended = False


class _Walker:
    """Walks each report through the workflow's transitions and keeps the rows the services
    would have written along its path."""

    def __init__(self, world: _World, rng: random.Random, ids: _Ids, now: dt.datetime) -> None:
        self.world = world
        self.rng = rng
        self.ids = ids
        self.now = now
        self.batch = _Batch()

    # -- one transition, as ``workflow.transition`` performs it --

    def _take(
        self,
        r: _Report,
        t: Transition,
        at: dt.datetime,
        *,
        to: Agency | None = None,
        agency: Agency | None = None,
        rule: RoutingRule | None = None,
        data: dict[str, Any] | None = None,
        actor: int | None = None,
    ) -> None:
        """Check that ``t`` may be taken (by ``agency`` for a staff transition), then write its
        hand-over and its event (by ``actor``, else an officer of ``agency``), and move the
        report to the state after it."""
        refused = workflow.refusal(
            t,
            r,
            agency=agency,
            now=at,
            routing_step=r.routing_step,
        )
        if refused is not None:
            raise AssertionError(f"{t} on {r.id} ({r.status}): {refused.message}")
        if t.to is workflow.To.ABOVE:
            assert r.holder is not None and r.holder.parent_id is not None
            to = self.world.agencies[r.holder.parent_id]
        before = r.state
        after = workflow.advance(
            t,
            before,
            now=at,
            kind=r.kind,
            to=to,
            handed_at=r.handed_at,
            due_at=self.world.due,
        )
        if actor is None and agency is not None:
            actor = self.world.officers.get(agency.id)
        if t.hand_over:
            assert after.holder is not None
            r.disposition_id = self.ids.next("dispositions")
            r.handed_at = at
            self.batch.dispositions.append(
                (
                    r.disposition_id,
                    r.id,
                    after.routing_step,
                    t.hand_over,
                    before.holder.id if before.holder else None,
                    after.holder.id,
                    rule.id if rule else None,
                    actor,
                    at,
                    after.due_at,
                )
            )
        # ``ComplaintEvent.objects.record``'s mark: the first time the holder has it to act on.
        reached = (
            after.holder is not None
            and after.status in workflow.DEADLINE
            and (before.holder != after.holder or before.status not in workflow.DEADLINE)
            and after.holder.id not in r.reached
        )
        if reached:
            assert after.holder is not None
            r.reached[after.holder.id] = at
        self.batch.events.append(
            (
                r.id,
                t.event,
                before.status,
                before.holder.id if before.holder else None,
                before.due_at,
                after.status,
                after.holder.id if after.holder else None,
                after.due_at,
                actor,
                t.public,
                workflow.event_data(t, before, after, agency=agency, extra=data),
                at,
                reached,
            )
        )
        r.state = after

    # -- the steps, each one transition --

    def submit(self, r: _Report) -> None:
        """As ``submit_complaint`` files it: by the officer who recorded it, if one did."""
        data = {"attachments": 0, "channel": r.channel}
        self._take(r, workflow.SUBMIT, r.submitted_at, data=data, actor=r.entered_by)
        r.submitted_data = self.batch.events[-1][10]  # the reporter's choices come later

    def route(self, r: _Report, to: Agency, rule: RoutingRule | None, at: dt.datetime) -> None:
        t = workflow.ROUTE_TO_AGENCY if to.level == Agency.Level.OPD else workflow.ROUTE
        self._take(r, t, at, to=to, rule=rule)

    def wait(self, r: _Report, holder: Agency, at: dt.datetime) -> None:
        """No rule decides: the report waits in ``holder``'s queue (nothing is handed over)."""
        self._take(r, workflow.AWAIT_VERIFICATION, at, to=holder)

    def dispose(self, r: _Report, to: Agency, at: dt.datetime) -> None:
        coordinator = r.holder
        assert coordinator is not None
        data = None
        if r.transfer_id is not None:
            data = {"transfers_decided": [self._decide_transfer(r, at)]}
        t = workflow.staff_transition(workflow.StaffAction.DISPOSE, agency=coordinator, to=to)
        self._take(r, t, at, to=to, agency=coordinator, data=data)

    def pass_up(self, r: _Report, at: dt.datetime) -> None:
        coordinator = r.holder
        assert coordinator is not None
        reason = self.rng.choice(PASS_UP_REASONS)
        self._take(r, workflow.PASS_UP, at, agency=coordinator, data={"reason": reason})

    def archive(self, r: _Report, at: dt.datetime) -> None:
        coordinator = r.holder
        assert coordinator is not None
        if r.transfer_id is not None:
            self._decide_transfer(r, at)
        reason = self.rng.choice(ARCHIVE_REASONS)
        self._take(r, workflow.ARCHIVE, at, agency=coordinator, data={"reason": reason})

    def request_transfer(self, r: _Report, at: dt.datetime) -> None:
        agency = r.holder
        assert agency is not None and agency.parent_id is not None
        others = [o for o in self.world.opds_below.get(agency.parent_id, []) if o.pk != agency.pk]
        suggested = self.rng.choice(others) if others and self.rng.random() < 0.5 else None
        pk = self.ids.next("transfers")
        self.batch.transfers.append(
            [
                pk,
                r.id,
                agency.pk,
                self.rng.choice(TRANSFER_REASONS),
                suggested.pk if suggested else None,
                self.world.officers.get(agency.pk),
                at,
                None,
            ]
        )
        r.transfer_id, r.suggested = pk, suggested
        r.returned.add(agency.pk)
        self._take(
            r, workflow.REQUEST_TRANSFER, at, agency=agency, data={"returned_by": agency.name}
        )

    def _decide_transfer(self, r: _Report, at: dt.datetime) -> int:
        """Close the open transfer request (decided_at); returns its id."""
        # The open request is the last one written, by this report's walk, in this batch.
        row = self.batch.transfers[-1]
        assert row[0] == r.transfer_id
        row[7] = at
        r.transfer_id, r.suggested = None, None
        return int(row[0])

    def escalate(self, r: _Report, at: dt.datetime) -> None:
        """The breach on the current hand-over, then one level up."""
        holder, due_at = r.holder, r.due_at
        assert holder is not None and due_at is not None and r.disposition_id is not None
        # ``escalate_complaint``'s fact: never answered by it, counted once per report.
        unanswered = holder.pk not in r.answered_by and holder.pk not in r.ignored_by
        if unanswered:
            r.ignored_by.add(holder.pk)
        self.batch.breaches.append((r.disposition_id, r.id, holder.pk, due_at, at, unanswered))
        r.missed_by = holder
        self._take(
            r,
            workflow.ESCALATE,
            at,
            data={"missed_by": holder.name, "missed_due_at": due_at.isoformat()},
        )

    def acknowledge(self, r: _Report, at: dt.datetime) -> None:
        self._take(r, workflow.ACKNOWLEDGE, at, agency=r.holder)

    def respond(self, r: _Report, at: dt.datetime) -> None:
        agency = r.holder
        assert agency is not None
        pk = self.ids.next("responses")
        # ``respond_to_complaint``'s facts: the agency's first final answer?, when the report
        # first reached it, the completion deadline from then.
        first = agency.pk not in r.answered_by
        r.answered_by.add(agency.pk)
        reached_at = r.reached.get(agency.pk, r.submitted_at) if first else None
        due_first = (
            self.world.due(start=reached_at, step=Step.COMPLETION, kind=r.kind)
            if reached_at is not None
            else None
        )
        actor = self.world.officers.get(agency.pk)
        self.batch.responses.append(
            (pk, r.id, agency.pk, actor, self._answer(at), at, first, reached_at, due_first)
        )
        r.response = (pk, agency)
        self._take(
            r, workflow.RESPOND, at, agency=agency, data={"response_id": pk, "attachments": 0}
        )

    def note(self, r: _Report, at: dt.datetime) -> None:
        text = self.rng.choice(NOTES)
        self._take(r, workflow.NOTE, at, agency=r.holder, data={"text": text})

    def complete(self, r: _Report, t: Transition, at: dt.datetime) -> None:
        """The citizen accepts (``ACCEPT``), or the reply window passes (``AUTO_COMPLETE``)."""
        self._take(r, t, at)

    def rate(self, r: _Report, response_id: int, answered_by: Agency, at: dt.datetime) -> None:
        score = self.rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 5, 4))[0]
        self.batch.ratings.append((r.id, response_id, answered_by.pk, score, "", at))
        self._take(r, workflow.RATE, at, data={"score": score, "response_id": response_id})

    def dispute(self, r: _Report, response_id: int, answered_by: Agency, at: dt.datetime) -> None:
        """To the coordinator above the agency that answered, counted against that agency."""
        reason = self.rng.choice(DISPUTE_REASONS)
        self.batch.disputes.append((r.id, response_id, answered_by.pk, reason, at))
        self._take(
            r,
            workflow.DISPUTE,
            at,
            data={"reason": reason, "disputed_agency": answered_by.name},
        )

    # -- the path --

    def walk(self, r: _Report) -> None:
        rng, now = self.rng, self.now
        self.submit(r)
        at = r.submitted_at
        hops, stop = self.world.route(r.category_id, r.regency_code)
        for target, rule in hops:
            at += dt.timedelta(seconds=rng.uniform(0.3, 6.0))  # one worker task per step
            if at >= now:
                return  # still being routed
            self.route(r, target, rule, at)
        if r.status in workflow.ROUTING:
            at += dt.timedelta(seconds=rng.uniform(0.3, 6.0))
            if at >= now:
                return
            self.wait(r, stop, at)
        for _turn in range(MAX_ACTIONS):
            holder = r.holder
            assert holder is not None
            if r.status in workflow.QUEUE and holder.is_coordinator:
                next_at = self._coordinator_turn(r, at)
            elif r.status in workflow.DEADLINE:
                next_at = self._agency_turn(r, at)
            elif r.status in workflow.AWAITING_CITIZEN:
                next_at = self._citizen_turn(r, at)
            else:
                return
            if next_at is None:
                return
            at = next_at

    def _soon(self, at: dt.datetime, mean_hours: float) -> dt.datetime:
        """When a holder acts on what it just received: hours or days later, in office hours."""
        return self._office_hours(at + dt.timedelta(hours=self.rng.expovariate(1 / mean_hours)))

    def _late(self, r: _Report) -> dt.datetime:
        """When a holder that misses its deadline acts: hours to days after it (days to weeks
        for a stalled report)."""
        assert r.due_at is not None
        mean_hours = 240 if r.stalled else 40
        return r.due_at + dt.timedelta(hours=self.rng.expovariate(1 / mean_hours))

    def _office_hours(self, at: dt.datetime) -> dt.datetime:
        local = at.astimezone(self.world.tz)
        if local.weekday() < 5 and 8 <= local.hour < 16:
            return at
        day = local.date() + dt.timedelta(days=1 if local.hour >= 16 or local.weekday() >= 5 else 0)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        opening = dt.datetime.combine(day, dt.time(8), tzinfo=self.world.tz)
        return opening + dt.timedelta(minutes=self.rng.uniform(0, 420))

    def _turn(self, r: _Report, at: dt.datetime, planned: dt.datetime) -> dt.datetime | None:
        """Whatever happens first after ``at``: the sweep escalates a holder that missed its
        deadline (unless the report is stalled or held at the top), or the holder acts. The
        time of the holder's action, or None when nothing more happens before now."""
        holder, due_at = r.holder, r.due_at
        assert holder is not None and due_at is not None
        # Time only moves on (a stalled or top-level holder may act after its deadline passed).
        planned = max(planned, at + dt.timedelta(minutes=1))
        if planned > due_at and not r.stalled and holder.parent_id is not None:
            swept = due_at + dt.timedelta(seconds=self.rng.uniform(1, SWEEP_EVERY.total_seconds()))
            if swept >= self.now:
                return None
            swept = max(swept, at + dt.timedelta(seconds=1))
            self.escalate(r, swept)
            return swept
        if planned >= self.now:
            return None
        if self.rng.random() < P_NOTE:
            self.note(r, at + (planned - at) / 2)
        return planned

    def _coordinator_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        """A coordinator's queue: a report to verify, or a disputed one."""
        rng = self.rng
        late = r.stalled or rng.random() < P_COORDINATOR_LATE
        planned = self._late(r) if late else self._soon(at, 14)
        step_before = r.routing_step
        acted = self._turn(r, at, planned)
        if acted is None or r.routing_step != step_before:
            return acted  # nothing before now, or escalated (its next turn starts then)
        coordinator = r.holder
        assert coordinator is not None
        candidates = [o for o in self._candidates(r, coordinator) if o.pk not in r.returned]
        if rng.random() < P_ARCHIVE * (3 if not candidates else 1):
            self.archive(r, acted)
        elif coordinator.level == Agency.Level.NATIONAL and rng.random() < 0.5:
            self.dispose(r, self.world.province, acted)  # down into the province's queue
        elif not candidates:
            if coordinator.parent_id is None:
                self.archive(r, acted)
            else:
                self.pass_up(r, acted)
        else:
            self.dispose(r, self._pick(r, candidates), acted)
        return acted

    def _citizen_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        """The citizen reads the answer: accepts it (and may rate it), disputes it, or says
        nothing and beat completes it once the reply window (``due_at``) has passed."""
        rng = self.rng
        assert r.response is not None and r.due_at is not None
        response_id, answered_by = r.response
        reacted = at + dt.timedelta(hours=rng.expovariate(1 / 30))
        choice = rng.random()
        if choice < P_DISPUTE + P_ACCEPT and reacted < r.due_at:
            if reacted >= self.now:
                return None
            if choice < P_DISPUTE:
                self.dispute(r, response_id, answered_by, reacted)
                return reacted
            self.complete(r, workflow.ACCEPT, reacted)
            if rng.random() < P_RATE:
                rated = reacted + dt.timedelta(minutes=rng.uniform(1, 30))
                if rated < self.now:
                    self.rate(r, response_id, answered_by, rated)
            return None
        swept = r.due_at + dt.timedelta(seconds=rng.uniform(1, SWEEP_EVERY.total_seconds()))
        if swept < self.now:
            self.complete(r, workflow.AUTO_COMPLETE, swept)
        return None

    def _candidates(self, r: _Report, coordinator: Agency) -> list[Agency]:
        """The OPDs a coordinator would hand this report to: its own, and those of the
        report's regency/city below it."""
        own = self.world.opds_below.get(coordinator.pk, [])
        if coordinator.level == Agency.Level.REGENCY:
            return own
        city = routing_selectors.get_coordinator(Agency.Level.REGENCY, r.regency_code)
        return own + (self.world.opds_below.get(city.pk, []) if city is not None else [])

    def _pick(self, r: _Report, candidates: Sequence[Agency]) -> Agency:
        rng = self.rng
        ids = {c.pk for c in candidates}
        for preferred, chance in (
            (r.suggested, 0.7),
            (r.missed_by, 0.6),
            (self.world.rule_agency(r.category_id, r.regency_code), 0.6),
        ):
            if preferred is not None and preferred.pk in ids and rng.random() < chance:
                return preferred
        return rng.choice(candidates)

    def _agency_turn(self, r: _Report, at: dt.datetime) -> dt.datetime | None:
        """The OPD that holds the report: take it up, answer it, or return it."""
        rng = self.rng
        assert r.due_at is not None
        if r.stalled or rng.random() < P_AGENCY_LATE:
            planned = self._late(r)
        elif r.status == Status.DISPOSED:
            planned = self._soon(at, 18)
        else:  # IN_PROGRESS: somewhere before the completion deadline
            planned = self._office_hours(at + (r.due_at - at) * rng.uniform(0.05, 0.9))
        step_before = r.routing_step
        acted = self._turn(r, at, planned)
        if acted is None or r.routing_step != step_before:
            return acted
        r.missed_by = None
        if r.status == Status.IN_PROGRESS:
            self.respond(r, acted)
        elif rng.random() < P_TRANSFER:
            self.request_transfer(r, acted)
        elif rng.random() < P_ANSWER_WITHOUT_ACKNOWLEDGING:
            self.respond(r, acted)
        else:
            self.acknowledge(r, acted)
        return acted

    def _answer(self, at: dt.datetime) -> str:
        rng = self.rng
        day = at.astimezone(self.world.tz).strftime("%d/%m/%Y")
        return rng.choice(ANSWERS).format(date=day, action=rng.choice(ANSWER_ACTIONS))


# --- ids and writing ---------------------------------------------------------------------------


class _Ids:
    """Ids for the rows the generator must refer to before they are written: from the table's
    sequence on PostgreSQL (a chunk at a time, so nothing else can take them), after the
    largest id elsewhere."""

    CHUNK = 20_000

    def __init__(self) -> None:
        self._free: dict[str, Iterator[int]] = {}
        self._next_sqlite: dict[str, int] = {}

    def next(self, table: str) -> int:
        found = next(self._free.setdefault(table, iter(())), None)
        if found is None:
            self._free[table] = iter(self.take(table, self.CHUNK))
            found = next(self._free[table])
        return found

    def take(self, table: str, count: int) -> list[int]:
        model = COLUMNS[table][0]
        db_table = model._meta.db_table
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [db_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        if table not in self._next_sqlite:
            self._next_sqlite[table] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        start = self._next_sqlite[table]
        self._next_sqlite[table] = start + count
        return list(range(start, start + count))


def _write(batch: _Batch) -> None:
    """One batch in one transaction (a savepoint inside a caller's transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy(batch)
        else:
            _bulk_create(batch)


class _Writer:
    """Writes batches as they come. On PostgreSQL, outside a caller's transaction, in a thread
    with its own connection: the next batch is generated while the database takes the last one
    (the COPY, the indexes, the foreign-key checks at commit): about 15% faster on two cores,
    where the database's side is the larger. Inside a caller's transaction everything must go through the caller's connection,
    so batches are written in line."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.error: BaseException | None = None
        if self.threaded:
            # One batch waiting at most: memory stays at two batches.
            self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._run, name="generate-writer", daemon=True)
            self.thread.start()

    def put(self, batch: _Batch) -> None:
        if not self.threaded:
            _write(batch)
            self._done(batch)
            return
        while not self._offer(batch):
            if self.error is not None:
                raise self.error

    def close(self) -> None:
        """Wait for the batches handed over; raises what the writer raised."""
        if self.threaded:
            while self.thread.is_alive() and not self._offer(None):
                pass
            self.thread.join()
        if self.error is not None:
            raise self.error

    def _offer(self, batch: _Batch | None) -> bool:
        # With a timeout, so that a writer that died cannot leave this thread waiting.
        try:
            self.queue.put(batch, timeout=0.5)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                _write(batch)
                self._done(batch)
        except BaseException as exc:  # handed to the generating thread, which raises it
            self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def _done(self, batch: _Batch) -> None:
        if self.progress is not None:
            self.progress(len(batch.complaints))


def _copy(batch: _Batch) -> None:
    connection.ensure_connection()
    pg = connection.connection
    for name, (model, columns) in COLUMNS.items():
        rows = getattr(batch, name)
        if not rows:
            continue
        json_at = JSON_COLUMNS.get(name)
        statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with pg.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if json_at is not None:
                    row = (*row[:json_at], json.dumps(row[json_at]), *row[json_at + 1 :])
                copy.write_row(row)


def _bulk_create(batch: _Batch) -> None:
    for name, (model, columns) in COLUMNS.items():
        rows = getattr(batch, name)
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )


# --- the entry point ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    count: int
    seed: int
    statuses: dict[str, int]
    rows: dict[str, int]


def _submission_times(rng: random.Random, count: int) -> Iterator[float]:
    """Fractions of SPAN_DAYS before ``now``, oldest first, more recent ones denser (the
    service grows): order statistics drawn from the top down, then mapped through the inverse
    of the density 1 + x (x: 0 two years ago, 1 now)."""
    top = 1.0
    for remaining in range(count, 0, -1):
        top *= rng.random() ** (1.0 / remaining)
        u = 1.0 - top  # ascending
        x = -1.0 + math.sqrt(1.0 + 3.0 * u)
        yield 1.0 - x


def generate_complaints(
    *,
    count: int,
    now: dt.datetime,
    seed: int,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> GenerationResult:
    """Write ``count`` synthetic reports over the demo hierarchy, submitted over the two years
    before ``now`` and walked up to ``now`` (module docstring). Appends to what is there; each
    batch of ``batch_size`` reports is one transaction. ``progress`` is called with the number
    of reports written after each batch.

    :raises SyntheticDataError: when the demo hierarchy is missing.
    """
    world = _World()
    # Reproducible from the seed, so not a secrets-grade generator; nothing here is a secret.
    rng = random.Random(seed)  # noqa: S311
    # Tracking numbers from their own stream: a redraw after a clash changes nothing else.
    numbers_rng = random.Random(seed ^ 0x5EED)  # noqa: S311
    ids = _Ids()
    writer = _Writer(progress)
    statuses: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    ages = _submission_times(rng, count)
    seen: set[str] = set()
    local_now = now.astimezone(world.tz)
    done = 0
    try:
        while done < count:
            size = min(batch_size, count - done)
            walker = _Walker(world, rng, ids, now)
            complaint_ids = ids.take("complaints", size)
            numbers = _tracking_numbers(numbers_rng, size, seen)
            for pk, number, age in zip(complaint_ids, numbers, ages, strict=False):
                r = _new_report(world, rng, pk, age, local_now, now)
                walker.walk(r)
                anonymous = rng.random() < P_ANONYMOUS
                walker.batch.complaints.append(_complaint_row(world, rng, r, number, anonymous))
                walker.batch.reporters.append(reporter_row(rng, pk, anonymous))
                statuses[r.status] += 1
            for name in COLUMNS:
                rows[name] += len(getattr(walker.batch, name))
            writer.put(walker.batch)
            done += size
    finally:
        writer.close()
    return GenerationResult(count=count, seed=seed, statuses=dict(statuses), rows=dict(rows))


def _new_report(
    world: _World, rng: random.Random, pk: int, age: float, local_now: dt.datetime, now: dt.datetime
) -> _Report:
    """A report submitted ``age`` (a fraction of SPAN_DAYS) before ``now``, not yet walked."""
    kind = rng.choices(KIND_WEIGHTS_KINDS, cum_weights=KIND_CUM)[0]
    category = rng.choices(world.categories, cum_weights=world.category_cum)[0]
    regency, districts = rng.choices(world.regencies, cum_weights=world.regency_cum)[0]
    place = rng.choice(districts) if districts and rng.random() < 0.65 else regency
    channel = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM)[0]
    entered_by = None
    if channel in STAFF_CHANNELS:
        entered_by = world.recorder(category.id, place.regency_code)
        if entered_by is None:  # no officer to record it: the citizen used the web form
            channel = Channel.WEB
    day = local_now.date() - dt.timedelta(days=int(age * SPAN_DAYS))
    if entered_by is not None:  # recorded at an office: a working day, in office hours
        hour = rng.randrange(8, 16)
    else:
        if day.weekday() >= 5 and rng.random() < 0.4:  # fewer reports at weekends
            day -= dt.timedelta(days=day.weekday() - 4)
        hour = rng.choices(range(24), cum_weights=HOUR_CUM)[0]
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=world.tz) + dt.timedelta(
        seconds=rng.uniform(0, 3600)
    )
    if local >= now:
        local -= dt.timedelta(days=1)
    while entered_by is not None and local.weekday() >= 5:
        local -= dt.timedelta(days=local.weekday() - 4)
    report = _Report(pk, kind, category.id, place, local.astimezone(dt.UTC))
    report.channel, report.entered_by = channel, entered_by
    report.stalled = rng.random() < P_STALLED
    return report


def _complaint_row(
    world: _World, rng: random.Random, r: _Report, number: str, anonymous: bool
) -> tuple[Any, ...]:
    """The report's row, in ``COLUMNS["complaints"]`` order, with its state after the walk."""
    title, description = report_texts(rng, r.kind, world.category_codes[r.category_id], r.region)
    # Nobody holds the key: the private link of a synthetic report opens for no one.
    key = base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip("=")
    local_day = r.submitted_at.astimezone(world.tz).date()
    incident = local_day - dt.timedelta(days=rng.randint(0, 20))
    confidential = rng.random() < P_CONFIDENTIAL
    language = "en" if rng.random() < 0.03 else "id"
    if r.entered_by is not None:
        # ``submit_complaint`` keeps the reporter's own choices, as the officer recorded them.
        r.submitted_data["reporter_chose"] = {"anonymous": anonymous, "confidential": confidential}
    state = r.state
    return (
        r.id, number, hash_access_key(key), r.kind, title, description, r.category_id,
        r.region.code, incident, anonymous, confidential, False, state.status, language,
        r.submitted_at, state.due_at, r.current_agency_id, state.routing_step, state.moved_at,
        state.version, 0, r.channel, r.entered_by,
    )  # fmt: skip


def _tracking_numbers(rng: random.Random, count: int, seen: set[str]) -> list[str]:
    """``count`` numbers in the format of ``lapor.lib.tracking.new_tracking_number``, drawn from
    the seed, unique among themselves, this run and the reports already in the database."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        drawn = []
        for _ in range(wanted):
            number = format_tracking_number("".join(rng.choices(ALPHABET, k=TRACKING_NUMBER_CHARS)))
            if number not in seen:
                seen.add(number)
                drawn.append(number)
        taken: set[str] = set()
        for start in range(0, len(drawn), 1000):  # within SQLite's limit of query parameters
            taken.update(
                Complaint.objects.filter(
                    tracking_number__in=drawn[start : start + 1000]
                ).values_list("tracking_number", flat=True)
            )
        numbers += [n for n in drawn if n not in taken]
    return numbers
