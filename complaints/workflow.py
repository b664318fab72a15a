"""A report's life in one place: its states, the table of every transition between them, and
the one function that performs a transition.

Read it top down:

1. the vocabulary: statuses, events, kinds of hand-over, who may act, who is told;
2. ``TRANSITIONS``, one row per transition: the statuses it starts from, who takes it, the
   status it leads to, the deadline it starts, the event it writes, the hand-over it makes
   (a ``Disposition`` to the next holder) and who is told;
3. the sets of statuses the rest of the code speaks of (open, closed, a coordinator's queue,
   running against a deadline, public), derived from the table;
4. ``refusal`` (whether a transition may be taken now, and by whom) and ``advance`` (the state
   after it): pure, shared by the pages that offer actions and by the demo generator;
5. ``transition``, the one function that performs a transition: it locks the report, checks its
   state and version, lets the caller write the transition's own rows (an answer, a dispute),
   saves the report, hands it over, writes the event and queues the effects after commit.

Nothing else writes a report's status, holder, deadline, routing step or version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import F, TextChoices, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# complaints.models imports this module for its vocabulary and sets (choices, partial indexes,
# the queryset's words), so this one takes the models module as it is while that loads, and
# reads its classes only when a transition runs.
from complaints import models
from lapor.lib.actions import ActionError
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting, RoutingRule

# --- 1. the vocabulary --------------------------------------------------------------------------


class Status(TextChoices):
    SUBMITTED = "SUBMITTED", gettext_lazy("received, waiting to be routed")
    AWAITING_VERIFICATION = "AWAITING_VERIFICATION", gettext_lazy("being verified")
    DISPOSED = "DISPOSED", gettext_lazy("handed to the agency in charge")
    IN_PROGRESS = "IN_PROGRESS", gettext_lazy("being handled")
    RESPONDED = "RESPONDED", gettext_lazy("answered")
    COMPLETED = "COMPLETED", gettext_lazy("completed")
    ARCHIVED = "ARCHIVED", gettext_lazy("archived")


class EventType(TextChoices):
    """What an event says happened; ``%(agency)s`` is the agency the event names."""

    SUBMITTED = "SUBMITTED", gettext_lazy("Report received")
    ROUTED = "ROUTED", gettext_lazy("Passed on to %(agency)s")
    AWAITING_VERIFICATION = "AWAITING_VERIFICATION", gettext_lazy("Being verified by %(agency)s")
    DISPOSED = "DISPOSED", gettext_lazy("Handed to %(agency)s, which must follow it up")
    ESCALATED = "ESCALATED", gettext_lazy("Deadline missed; passed up to %(agency)s")
    TRANSFER_REQUESTED = (
        "TRANSFER_REQUESTED",
        gettext_lazy("Returned as not its authority; back to %(agency)s"),
    )
    PASSED_UP = "PASSED_UP", gettext_lazy("Passed up to %(agency)s")
    ACKNOWLEDGED = "ACKNOWLEDGED", gettext_lazy("Being handled by %(agency)s")
    INTERIM_REPLY = "INTERIM_REPLY", gettext_lazy("Interim reply from %(agency)s")
    INSPECTION = (
        "INSPECTION",
        gettext_lazy("Needs an inspection: %(agency)s has a longer deadline to complete it"),
    )
    EXTENDED = "EXTENDED", gettext_lazy("Deadline extended by %(agency)s")
    RESPONDED = "RESPONDED", gettext_lazy("Answered by %(agency)s")
    ARCHIVED = "ARCHIVED", gettext_lazy("Archived by %(agency)s")
    CITIZEN_REPLIED = "CITIZEN_REPLIED", gettext_lazy("The reporter replied; back to %(agency)s")
    DISPUTED = "DISPUTED", gettext_lazy("The reporter disputed the answer; passed to %(agency)s")
    COMPLETED = "COMPLETED", gettext_lazy("Completed: the reporter accepted the answer")
    AUTO_COMPLETED = "AUTO_COMPLETED", gettext_lazy("Completed: no reply within the reply window")
    RATED = "RATED", gettext_lazy("The reporter rated the handling")
    CITIZEN_ADDED = "CITIZEN_ADDED", gettext_lazy("The reporter added information")
    DETAILS_SET = (
        "DETAILS_SET",
        gettext_lazy("%(agency)s gave the category and the place; being routed"),
    )
    DETAILS_GIVEN = (
        "DETAILS_GIVEN",
        gettext_lazy("The reporter gave the category and the place; being routed"),
    )
    # A duplicate (laporan serupa): merged into its original, whose every change it follows
    # from then on (the same event, written on both: ``_follow``), until it is taken out again.
    MERGED = "MERGED", gettext_lazy("Merged into a report of the same problem; follows it")
    DUPLICATE_ADDED = "DUPLICATE_ADDED", gettext_lazy("A report of the same problem was merged in")
    UNMERGED = "UNMERGED", gettext_lazy("Taken out of the report it was merged into")
    DUPLICATE_REMOVED = (
        "DUPLICATE_REMOVED",
        gettext_lazy("A report merged in was taken out again"),
    )
    # Internal: never on the citizen's timeline.
    NOTE = "NOTE", gettext_lazy("Internal note")
    PRIVACY_RAISED = "PRIVACY_RAISED", gettext_lazy("Made more private")
    IDENTITY_REVEALED = "IDENTITY_REVEALED", gettext_lazy("Reporter's identity revealed")


class HandOver(TextChoices):
    """The kind of a ``Disposition``: how a report reached its next holder."""

    ROUTE = "ROUTE", gettext_lazy("routed")
    DISPOSE = "DISPOSE", gettext_lazy("disposed by a coordinator")
    ESCALATE = "ESCALATE", gettext_lazy("escalated after a missed deadline")
    RETURN = "RETURN", gettext_lazy("returned as not its authority")
    PASS_UP = "PASS_UP", gettext_lazy("passed up by a coordinator")
    DISPUTE = "DISPUTE", gettext_lazy("disputed by the reporter, to the coordinator above")
    KEEP = "KEEP", gettext_lazy("kept by the agency that recorded it")
    UNMERGE = "UNMERGE", gettext_lazy("taken out of the report it was merged into")


class By(StrEnum):
    """Who takes a transition: the condition on the one who acts."""

    ROUTING = "routing"  # the routing worker, at the step it was published for
    CITIZEN = "citizen"  # the reporter: the form, the private link
    CLOCK = "clock"  # beat, once the report's deadline has passed
    OPD = "opd"  # the OPD that holds the report
    QUEUE = "queue"  # the coordinator in whose queue the report waits
    COORDINATOR = "coordinator"  # any coordinator that sees the report
    STAFF = "staff"  # any officer that sees the report
    NATIONAL = "national"  # the national coordinator, with the permission to reveal
    # The officer who has just recorded a report brought to their agency outside the portal,
    # before the first routing step: to keep it for their own agency.
    ENTRANT = "entrant"
    # The agency that holds the report, whatever its level, or any coordinator that sees it:
    # to merge a report into another of the same problem, or take it out again.
    MERGER = "merger"


STAFF = frozenset(
    {By.OPD, By.QUEUE, By.COORDINATOR, By.STAFF, By.NATIONAL, By.MERGER}
)  # offered on a page


class StaffAction(StrEnum):
    """The words of the staff's actions (dashboard URLs, API paths, buttons)."""

    ACKNOWLEDGE = "acknowledge"
    INTERIM = "interim"
    ANSWER = "answer"
    INSPECTION = "inspection"
    EXTEND = "extend"
    TRANSFER = "transfer"
    NOTE = "note"
    DISPOSE = "dispose"
    PASS_UP = "pass-up"  # noqa: S105
    ARCHIVE = "archive"
    PRIVACY = "privacy"
    REVEAL = "reveal"
    DETAILS = "details"
    MERGE = "merge"
    UNMERGE = "unmerge"


class CitizenAction(StrEnum):
    """The words of the citizen's actions on an answer (the private page and the API)."""

    REPLY = "reply"
    ACCEPT = "accept"
    DISPUTE = "dispute"
    RATE = "rate"
    DETAILS = "details"  # a report by e-mail: its category and place
    ADD = "add"  # more words while the report is being handled


class To(StrEnum):
    """Who holds the report after the transition."""

    SAME = "same"  # the holder does not change
    CHOSEN = "chosen"  # the agency the caller names: routing's decision, a coordinator's choice
    ABOVE = "above"  # the coordinator above the holder


class Tell(StrEnum):
    """Who hears of a transition, after commit."""

    REPORTER = "reporter"  # an e-mail to the reporter, when they left an address
    HOLDER = "holder"  # the officers of the agency that now holds the report
    ROUTING = "routing"  # the next routing step


Step = DeadlineSetting.Step


@dataclass(frozen=True)
class Deadline:
    """The deadline a transition starts: ``step``'s working days from now, from the hand-over
    to the holder (``from_hand_over``) or from the deadline in force (``from_due``: an
    extension). A completion deadline of a report that needs an inspection is
    ``COMPLETION_INSPECTION`` instead."""

    step: str
    from_hand_over: bool = False
    from_due: bool = False


class Report(Protocol):
    """What ``refusal`` reads of a report: a ``Complaint``, or a report of the demo generator
    while it walks."""

    @property
    def status(self) -> str: ...
    @property
    def routing_step(self) -> int: ...
    @property
    def due_at(self) -> dt.datetime | None: ...
    @property
    def current_agency_id(self) -> int | None: ...
    @property
    def is_anonymous(self) -> bool: ...
    @property
    def is_confidential(self) -> bool: ...
    @property
    def kind(self) -> str: ...
    @property
    def needs_inspection(self) -> bool: ...
    @property
    def deadline_extended(self) -> bool: ...


@dataclass(frozen=True)
class Transition:
    name: str
    # Statuses it may start from; empty for the one that creates a report.
    sources: frozenset[str]
    by: By
    # The status it leads to; None: the status stays.
    target: str | None
    # The deadline it starts; None: the deadline stays.
    deadline: Deadline | None
    event: str
    # A hand-over writes a ``Disposition`` of this kind to the next holder.
    hand_over: str | None = None
    to: To = To.SAME
    tells: frozenset[Tell] = frozenset()
    # The event is on the citizen's timeline.
    public: bool = True
    # The report row changes (its version is raised); a note, a rating or a reveal leaves it.
    changes: bool = True
    # The event names an agency: the new holder, else the one acting, else the holder.
    names_agency: bool = True
    # The action that takes it, in the staff's or the citizen's list (None: no one offers it).
    action: StaffAction | CitizenAction | None = None
    # A further condition on the report (the message says what is missing).
    requires: Callable[[Report], str | None] | None = None

    def __str__(self) -> str:
        return self.name


def _can_be_more_private(complaint: Report) -> str | None:
    if complaint.is_anonymous and complaint.is_confidential:
        return _("Choose what to make more private; it is already so.")
    return None


def _is_anonymous(complaint: Report) -> str | None:
    return None if complaint.is_anonymous else _("This report is not anonymous.")


def _may_need_inspection(complaint: Report) -> str | None:
    # Permenpan RB 62/2018: the long deadline is for a complaint (pengaduan) whose handling
    # needs an inspection (berkadar pengawasan), set once.
    if complaint.kind != "COMPLAINT":
        return _("Only a complaint can need an inspection.")
    if complaint.needs_inspection:
        return _("This complaint already has the inspection deadline.")
    return None


def _may_extend(complaint: Report) -> str | None:
    # UU 14/2008 (KIP), article 22: an information request's deadline may be extended once.
    if complaint.kind != "INFORMATION_REQUEST":
        return _("Only an information request's deadline can be extended.")
    if complaint.deadline_extended:
        return _("This request's deadline has been extended once already.")
    return None


def _waits_for_details(complaint: Report) -> str | None:
    # (The demo generator's reports always have both.)
    if not getattr(complaint, "details_missing", False):
        return _("This report has its category and place already.")
    holder = _holder(complaint)
    if holder is None or holder.level != Agency.Level.NATIONAL:
        return _("This report is being handled already: its agency can no longer change.")
    return None


def _is_merged(complaint: Report) -> str | None:
    if getattr(complaint, "duplicate_of_id", None) is None:
        return _("This report is not merged into another.")
    return None


def _holder(complaint: Report) -> Agency | None:
    if complaint.current_agency_id is None:
        return None
    return routing_selectors.get_agency(complaint.current_agency_id)


# --- 2. the table ---------------------------------------------------------------------------------

S = Status
E = EventType
ANY = frozenset(Status.values)
QUEUE_SOURCES = frozenset({S.AWAITING_VERIFICATION, S.IN_PROGRESS})  # disputed: IN_PROGRESS
HELD_BY_OPD = frozenset({S.DISPOSED, S.IN_PROGRESS})
# Where a report can be merged into another, or into which (handed to an agency, not closed).
MERGEABLE = frozenset({S.AWAITING_VERIFICATION, S.DISPOSED, S.IN_PROGRESS, S.RESPONDED})
UNDER_DEADLINE = frozenset({S.AWAITING_VERIFICATION, S.DISPOSED, S.IN_PROGRESS})
T = Transition

# Each row: T(name, from statuses, by, to status, deadline started, event, hand-over kind,
#              next holder, who is told, ...); None: unchanged. (docs/workflow.md reads it out.)
# fmt: off
# The one door: a new report (at version 0), into routing.
SUBMIT = T("submit", frozenset(), By.CITIZEN, S.SUBMITTED, Deadline(Step.VERIFICATION),
           E.SUBMITTED, tells=frozenset({Tell.REPORTER, Tell.ROUTING}), changes=False,
           names_agency=False)
# A report recorded by an officer (a walk-in, a call, a letter) that is their own agency's to
# handle: kept there at once, dated when it was received, instead of routed by the rules; an
# OPD to follow it up, a coordinator in its queue (to verify and hand down).
KEEP = T("keep", frozenset({S.SUBMITTED}), By.ENTRANT, S.DISPOSED,
         Deadline(Step.FIRST_RESPONSE), E.DISPOSED, HandOver.KEEP, To.CHOSEN,
         frozenset({Tell.REPORTER, Tell.HOLDER}))
KEEP_IN_QUEUE = T("keep-in-queue", frozenset({S.SUBMITTED}), By.ENTRANT,
                  S.AWAITING_VERIFICATION, Deadline(Step.VERIFICATION),
                  E.AWAITING_VERIFICATION, HandOver.KEEP, To.CHOSEN, frozenset({Tell.HOLDER}))
# Routing: one level per step, national → province → regency/city → OPD, by the rules; where
# no rule decides, the report waits in that level's coordinator queue (nothing is handed over).
ROUTE = T("route", frozenset({S.SUBMITTED}), By.ROUTING, S.SUBMITTED, None,
          E.ROUTED, HandOver.ROUTE, To.CHOSEN, frozenset({Tell.ROUTING}))
ROUTE_TO_AGENCY = T("route-to-agency", frozenset({S.SUBMITTED}), By.ROUTING, S.DISPOSED,
                    Deadline(Step.FIRST_RESPONSE), E.DISPOSED, HandOver.ROUTE, To.CHOSEN,
                    frozenset({Tell.REPORTER, Tell.HOLDER}))
AWAIT_VERIFICATION = T("await-verification", frozenset({S.SUBMITTED}), By.ROUTING,
                       S.AWAITING_VERIFICATION, None, E.AWAITING_VERIFICATION, None, To.CHOSEN,
                       frozenset({Tell.HOLDER}))
# A coordinator's queue: verify and hand down (to an OPD, or a coordinator below), pass up, archive.
DISPOSE = T("dispose", QUEUE_SOURCES, By.QUEUE, S.DISPOSED, Deadline(Step.FIRST_RESPONSE),
            E.DISPOSED, HandOver.DISPOSE, To.CHOSEN, frozenset({Tell.REPORTER, Tell.HOLDER}),
            action=StaffAction.DISPOSE)
DISPOSE_DOWN = T("dispose-down", QUEUE_SOURCES, By.QUEUE, S.AWAITING_VERIFICATION,
                 Deadline(Step.VERIFICATION), E.AWAITING_VERIFICATION, HandOver.DISPOSE,
                 To.CHOSEN, frozenset({Tell.HOLDER}), action=StaffAction.DISPOSE)
PASS_UP = T("pass-up", QUEUE_SOURCES, By.QUEUE, S.AWAITING_VERIFICATION,
            Deadline(Step.VERIFICATION), E.PASSED_UP, HandOver.PASS_UP, To.ABOVE,
            frozenset({Tell.HOLDER}), action=StaffAction.PASS_UP)
ARCHIVE = T("archive", QUEUE_SOURCES, By.QUEUE, S.ARCHIVED, None, E.ARCHIVED,
            tells=frozenset({Tell.REPORTER}), action=StaffAction.ARCHIVE)
# ... or, for a disputed report, answer it itself.
RESPOND_DISPUTED = T("respond-disputed", frozenset({S.IN_PROGRESS}), By.QUEUE, S.RESPONDED,
                     Deadline(Step.CITIZEN_REPLY), E.RESPONDED, tells=frozenset({Tell.REPORTER}),
                     action=StaffAction.ANSWER)
# The OPD that holds it: take it up, answer (from DISPOSED too), or return it (bukan wewenang).
ACKNOWLEDGE = T("acknowledge", frozenset({S.DISPOSED}), By.OPD, S.IN_PROGRESS,
                Deadline(Step.COMPLETION, from_hand_over=True), E.ACKNOWLEDGED,
                action=StaffAction.ACKNOWLEDGE)
RESPOND = T("respond", HELD_BY_OPD, By.OPD, S.RESPONDED, Deadline(Step.CITIZEN_REPLY),
            E.RESPONDED, tells=frozenset({Tell.REPORTER}), action=StaffAction.ANSWER)
# An interim reply (tindak lanjut): the citizen is told, the report stays with the agency and
# its clock keeps running; on a report not yet taken up it takes it up, as acknowledging does.
INTERIM_TAKE_UP = T("interim-take-up", frozenset({S.DISPOSED}), By.OPD, S.IN_PROGRESS,
                    Deadline(Step.COMPLETION, from_hand_over=True), E.INTERIM_REPLY,
                    tells=frozenset({Tell.REPORTER}), action=StaffAction.INTERIM)
INTERIM = T("interim", frozenset({S.IN_PROGRESS}), By.OPD, None, None, E.INTERIM_REPLY,
            tells=frozenset({Tell.REPORTER}), action=StaffAction.INTERIM)
INTERIM_DISPUTED = T("interim-disputed", frozenset({S.IN_PROGRESS}), By.QUEUE, None, None,
                     E.INTERIM_REPLY, tells=frozenset({Tell.REPORTER}),
                     action=StaffAction.INTERIM)
# The long deadline of a complaint that needs an inspection, and the one extension of an
# information request, each with its reason on the citizen's timeline.
SET_INSPECTION = T("set-inspection", HELD_BY_OPD, By.OPD, S.IN_PROGRESS,
                   Deadline(Step.COMPLETION, from_hand_over=True), E.INSPECTION,
                   tells=frozenset({Tell.REPORTER}), action=StaffAction.INSPECTION,
                   requires=_may_need_inspection)
EXTEND = T("extend", frozenset({S.IN_PROGRESS}), By.OPD, None,
           Deadline(Step.EXTENSION, from_due=True), E.EXTENDED,
           tells=frozenset({Tell.REPORTER}), action=StaffAction.EXTEND, requires=_may_extend)
REQUEST_TRANSFER = T("request-transfer", HELD_BY_OPD, By.OPD, S.AWAITING_VERIFICATION,
                     Deadline(Step.VERIFICATION), E.TRANSFER_REQUESTED, HandOver.RETURN,
                     To.ABOVE, frozenset({Tell.HOLDER}), action=StaffAction.TRANSFER)
# Staff, whatever the status: notes, privacy, and (national, recorded) the reporter's identity.
NOTE = T("note", ANY, By.STAFF, None, None, E.NOTE, public=False, changes=False,
         action=StaffAction.NOTE)
RAISE_PRIVACY = T("raise-privacy", ANY, By.COORDINATOR, None, None, E.PRIVACY_RAISED,
                  public=False, action=StaffAction.PRIVACY, requires=_can_be_more_private)
REVEAL = T("reveal", ANY, By.NATIONAL, None, None, E.IDENTITY_REVEALED, public=False,
           changes=False, names_agency=False, action=StaffAction.REVEAL, requires=_is_anonymous)
# The citizen, on an answer: reply (back to the agency), accept, dispute (to the coordinator
# above the agency that answered), rate (the latest answer, once).
REPLY = T("reply", frozenset({S.RESPONDED}), By.CITIZEN, S.IN_PROGRESS,
          Deadline(Step.FIRST_RESPONSE), E.CITIZEN_REPLIED, tells=frozenset({Tell.HOLDER}),
          action=CitizenAction.REPLY)
ACCEPT = T("accept", frozenset({S.RESPONDED}), By.CITIZEN, S.COMPLETED, None, E.COMPLETED,
           tells=frozenset({Tell.REPORTER}), action=CitizenAction.ACCEPT)
DISPUTE = T("dispute", frozenset({S.RESPONDED}), By.CITIZEN, S.IN_PROGRESS,
            Deadline(Step.VERIFICATION), E.DISPUTED, HandOver.DISPUTE, To.ABOVE,
            frozenset({Tell.HOLDER}), action=CitizenAction.DISPUTE)
RATE = T("rate", ANY, By.CITIZEN, None, None, E.RATED, changes=False, names_agency=False,
         action=CitizenAction.RATE)
# The reporter writes again (a reply to an e-mail about the report) while it is not waiting for
# them: the words join the report, for whoever holds it; nothing else changes.
ADD_INFORMATION = T("add-information",
                    frozenset({S.SUBMITTED, S.AWAITING_VERIFICATION, S.DISPOSED, S.IN_PROGRESS}),
                    By.CITIZEN, None, None, E.CITIZEN_ADDED, changes=False, names_agency=False,
                    action=CitizenAction.ADD)
# A report by e-mail that did not say its category or place waits in the national queue; once
# the reporter gives them it goes back into routing from there.
GIVE_DETAILS = T("give-details", frozenset({S.AWAITING_VERIFICATION}), By.CITIZEN, S.SUBMITTED,
                 Deadline(Step.VERIFICATION), E.DETAILS_GIVEN, tells=frozenset({Tell.ROUTING}),
                 names_agency=False, action=CitizenAction.DETAILS, requires=_waits_for_details)
# ... or the national coordinator reads them from the message and gives them itself.
SET_DETAILS = T("set-details", frozenset({S.AWAITING_VERIFICATION}), By.QUEUE, S.SUBMITTED,
                Deadline(Step.VERIFICATION), E.DETAILS_SET, tells=frozenset({Tell.ROUTING}),
                action=StaffAction.DETAILS, requires=_waits_for_details)
# The clock: the reply window passes (completed), a holder's deadline passes (one level up,
# counted against it).
AUTO_COMPLETE = T("auto-complete", frozenset({S.RESPONDED}), By.CLOCK, S.COMPLETED, None,
                  E.AUTO_COMPLETED, tells=frozenset({Tell.REPORTER}))
ESCALATE = T("escalate", UNDER_DEADLINE, By.CLOCK, S.AWAITING_VERIFICATION,
             Deadline(Step.VERIFICATION), E.ESCALATED, HandOver.ESCALATE, To.ABOVE,
             frozenset({Tell.REPORTER, Tell.HOLDER}))
# Duplicates (laporan serupa): the agency holding a report, or a coordinator, merges it into
# an open report of the same problem (``merge``): it takes the original's status and holder,
# with no deadline of its own, and follows every change of the original from then on. Until
# the original is closed it can be taken out again, to the one who takes it out.
MERGE = T("merge", MERGEABLE, By.MERGER, None, None, E.MERGED, tells=frozenset({Tell.REPORTER}),
          names_agency=False, action=StaffAction.MERGE)
UNMERGE = T("unmerge", MERGEABLE, By.MERGER, S.DISPOSED, Deadline(Step.FIRST_RESPONSE),
            E.UNMERGED, HandOver.UNMERGE, To.CHOSEN, frozenset({Tell.REPORTER, Tell.HOLDER}),
            action=StaffAction.UNMERGE, requires=_is_merged)
UNMERGE_TO_QUEUE = T("unmerge-to-queue", MERGEABLE, By.MERGER, S.AWAITING_VERIFICATION,
                     Deadline(Step.VERIFICATION), E.UNMERGED, HandOver.UNMERGE, To.CHOSEN,
                     frozenset({Tell.REPORTER, Tell.HOLDER}), action=StaffAction.UNMERGE,
                     requires=_is_merged)
# fmt: on

TRANSITIONS: tuple[Transition, ...] = (
    SUBMIT,
    KEEP,
    KEEP_IN_QUEUE,
    ROUTE,
    ROUTE_TO_AGENCY,
    AWAIT_VERIFICATION,
    DISPOSE,
    DISPOSE_DOWN,
    PASS_UP,
    ARCHIVE,
    RESPOND_DISPUTED,
    ACKNOWLEDGE,
    RESPOND,
    INTERIM_TAKE_UP,
    INTERIM,
    INTERIM_DISPUTED,
    SET_INSPECTION,
    EXTEND,
    REQUEST_TRANSFER,
    NOTE,
    RAISE_PRIVACY,
    REVEAL,
    REPLY,
    ACCEPT,
    DISPUTE,
    RATE,
    ADD_INFORMATION,
    GIVE_DETAILS,
    SET_DETAILS,
    AUTO_COMPLETE,
    ESCALATE,
    MERGE,
    UNMERGE,
    UNMERGE_TO_QUEUE,
)

# --- 3. sets of statuses, from the table ----------------------------------------------------------


def in_order(statuses: frozenset[str]) -> list[str]:
    """``statuses`` in the order of a report's life (for counts, filters and lists)."""
    return [status for status in Status.values if status in statuses]


# No transition leads out of these: the report's life is over.
CLOSED = frozenset(
    status
    for status in Status.values
    if not any(t.target not in (None, status) for t in TRANSITIONS if status in t.sources)
)
# Someone still has to act: routing, a coordinator, the agency or the citizen.
OPEN = frozenset(Status.values) - CLOSED
# Being routed from level to level by the worker.
ROUTING = ROUTE.sources
# A coordinator's queue: reports to verify, and disputed ones.
QUEUE = DISPOSE.sources
# The holder runs against a deadline that passes the report up a level when missed.
DEADLINE = ESCALATE.sources
# Answered: the citizen's reply window runs.
AWAITING_CITIZEN = REPLY.sources
# What an archive leads to is kept from the public (spam, duplicates, out of scope).
NOT_PUBLIC = frozenset({ARCHIVE.target})
# What a duplicate can still have done to it: by staff, notes, privacy, a reveal and taking it
# out; by its reporter, a rating of the answer it got, and a reply, a dispute or more words,
# which go to its original (``transition``). Everything else happens to the original.
FOR_DUPLICATES = frozenset(
    {NOTE, RAISE_PRIVACY, REVEAL, RATE, REPLY, DISPUTE, ADD_INFORMATION, UNMERGE, UNMERGE_TO_QUEUE}
)
# The reporter's actions a duplicate passes on to its original.
PASSED_TO_ORIGINAL = frozenset({REPLY, DISPUTE, ADD_INFORMATION})
# The events the reporter is e-mailed about (the receipt is sent on its own, with the link).
REPORTER_EVENTS = frozenset(
    t.event for t in TRANSITIONS if Tell.REPORTER in t.tells and t is not SUBMIT
)


# --- 4. may it be taken, and the state after it ---------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot be taken. A conflict is a report that is no longer where the
    action needs it (someone acted first): the one acting sees its state now. Otherwise the
    action can never be taken on it (no level above, nothing left to make private)."""

    message: str
    conflict: bool = True


def refusal(
    t: Transition,
    complaint: Report,
    *,
    agency: Agency | None = None,
    user: User | AnonymousUser | None = None,
    now: dt.datetime | None = None,
    routing_step: int | None = None,
) -> Refusal | None:
    """Why ``t`` cannot be taken on ``complaint`` now by ``agency`` (staff), ``user``, the
    routing worker at ``routing_step`` or the clock at ``now``; None when it can.

    Whether the one acting may see the report at all is decided before, by
    ``Complaint.objects.visible_to``.
    """
    if not t.sources:  # the transition that creates a report
        return None if not complaint.status else Refusal(_("This report has been filed already."))
    if getattr(complaint, "duplicate_of_id", None) is not None and t not in FOR_DUPLICATES:
        return Refusal(
            _(
                "This report is merged into another report of the same problem and follows "
                "it: act on that one."
            ),
            conflict=False,
        )
    if t.by is By.CITIZEN:
        if complaint.status not in t.sources:
            return Refusal(_("This report is not waiting for your reaction to an answer."))
    elif t.by is By.ROUTING:
        if complaint.status not in t.sources or complaint.routing_step != routing_step:
            return Refusal(_("This report has moved on."))
    elif t.by is By.ENTRANT:
        # Only on a report not yet routed, by the officer who recorded it, for their agency.
        if (
            agency is None
            or user is None
            or complaint.status not in t.sources
            or complaint.routing_step != 0
            or getattr(complaint, "entered_by_id", None) != user.pk
            or (agency.level == Agency.Level.OPD) != (t.target == S.DISPOSED)
        ):
            return Refusal(_("This report has moved on."))
    elif t.by is By.CLOCK:
        if (
            complaint.status not in t.sources
            or complaint.due_at is None
            or now is None
            or complaint.due_at >= now
        ):
            return Refusal(_("This report's deadline has not passed."))
    else:
        if agency is None or complaint.status not in t.sources:
            return Refusal(_("This report is no longer waiting for this action from your agency."))
        holds = complaint.current_agency_id == agency.pk
        if (
            (t.by is By.OPD and not (holds and agency.level == Agency.Level.OPD))
            or (t.by is By.QUEUE and not (holds and agency.is_coordinator))
            or (t.by is By.MERGER and not (holds or agency.is_coordinator))
        ):
            return Refusal(_("This report is no longer waiting for this action from your agency."))
        if (t.by is By.COORDINATOR and not agency.is_coordinator) or (
            t.by is By.NATIONAL
            and not (
                agency.level == Agency.Level.NATIONAL
                and user is not None
                and user.has_perm("complaints.reveal_reporter")
            )
        ):
            return Refusal(_("You cannot do this on this report."), conflict=False)
    if t.to is To.ABOVE and _holder_parent_id(complaint) is None:
        return Refusal(_("There is no level above."), conflict=False)
    if t.requires is not None:
        message = t.requires(complaint)
        if message is not None:
            return Refusal(message, conflict=False)
    return None


def actions_allowed(
    complaint: models.Complaint,
    *,
    agency: Agency | None = None,
    user: User | AnonymousUser | None = None,
) -> frozenset[StaffAction | CitizenAction]:
    """The actions of the table that may be taken on ``complaint`` now: by the officer of
    ``agency`` (``user``), or without an agency by the citizen."""
    by = STAFF if agency is not None else frozenset({By.CITIZEN})
    return frozenset(
        t.action
        for t in TRANSITIONS
        if t.action is not None
        and t.by in by
        and refusal(t, complaint, agency=agency, user=user) is None
    )


def staff_transition(
    action: StaffAction, *, agency: Agency, to: Agency | None = None
) -> Transition:
    """The transition behind a staff action taken by ``agency``: an answer by an OPD or by a
    coordinator (a disputed report), a dispose down to an OPD or to a coordinator (``to``)."""
    if action == StaffAction.ANSWER:
        return RESPOND if agency.level == Agency.Level.OPD else RESPOND_DISPUTED
    if action == StaffAction.INTERIM:
        raise ValueError("an interim reply's transition depends on the report: interim_transition")
    if action == StaffAction.DISPOSE:
        return DISPOSE if to is None or to.level == Agency.Level.OPD else DISPOSE_DOWN
    if action == StaffAction.UNMERGE:
        return UNMERGE if agency.level == Agency.Level.OPD else UNMERGE_TO_QUEUE
    return next(t for t in TRANSITIONS if t.action == action)


def keep_transition(agency: Agency) -> Transition:
    """How the officer who recorded a report keeps it for ``agency``: an OPD to follow it up,
    a coordinator in its own queue."""
    return KEEP if agency.level == Agency.Level.OPD else KEEP_IN_QUEUE


def interim_transition(complaint: Report, *, agency: Agency) -> Transition:
    """The interim reply ``agency`` can give on ``complaint`` as it is: one that takes up a
    report just handed to an OPD, one on a report in process, or a coordinator's on a disputed
    report in its queue."""
    if agency.level != Agency.Level.OPD:
        return INTERIM_DISPUTED
    return INTERIM_TAKE_UP if complaint.status == S.DISPOSED else INTERIM


def _holder_parent_id(complaint: Report) -> int | None:
    if complaint.current_agency_id is None:
        return None
    return routing_selectors.get_agency(complaint.current_agency_id).parent_id


class State(NamedTuple):
    """What the machine changes on a report. (A tuple: the demo generator makes millions.)"""

    status: str
    holder: Agency | None
    due_at: dt.datetime | None
    # Hand-overs so far (the sequence of the last ``Disposition``), and the report's version.
    routing_step: int
    version: int
    # When the holder last changed.
    moved_at: dt.datetime | None

    @classmethod
    def before_submission(cls) -> State:
        return cls("", None, None, 0, 0, None)


DueAt = Callable[..., dt.datetime]


def advance(
    t: Transition,
    state: State,
    *,
    now: dt.datetime,
    kind: str,
    needs_inspection: bool = False,
    to: Agency | None = None,
    handed_at: dt.datetime | None = None,
    due_at: DueAt = routing_selectors.due_at,
) -> State:
    """The state after ``t``: its status, the holder ``to`` (for a transition that changes the
    holder), its deadline (from ``now``, or from ``handed_at``, the hand-over to the holder),
    one more hand-over if it makes one, one more version if it changes the report."""
    holder = state.holder if t.to is To.SAME else to
    deadline = state.due_at
    if t.deadline is not None:
        step = t.deadline.step
        if step == Step.COMPLETION and needs_inspection:
            step = Step.COMPLETION_INSPECTION
        start = (handed_at or now) if t.deadline.from_hand_over else now
        if t.deadline.from_due and state.due_at is not None:
            start = state.due_at
        deadline = due_at(start=start, step=step, kind=kind)
    return State(
        status=t.target or state.status,
        holder=holder,
        due_at=deadline,
        routing_step=state.routing_step + (1 if t.hand_over else 0),
        version=state.version + (1 if t.changes else 0),
        moved_at=now if (t.to is not To.SAME or not t.sources) else state.moved_at,
    )


def event_data(
    t: Transition,
    before: State,
    after: State,
    *,
    agency: Agency | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What an event keeps besides the state: the agency it names (the new holder, else the one
    acting, else the holder, by name as it was then), and for a hand-over where from and its
    number."""
    data: dict[str, Any] = {}
    named = after.holder if t.to is not To.SAME else (agency or after.holder)
    if t.names_agency and named is not None:
        data = {"agency_id": named.id, "agency_name": named.name}
    if t.hand_over:
        data["from_agency_id"] = before.holder.id if before.holder else None
        data["disposition"] = after.routing_step
    data.update(extra or {})
    return data


# --- 5. performing a transition -------------------------------------------------------------------


class Refused(ActionError):
    """A transition that cannot be taken on the report as it is now (``Refusal``); ``version``
    is the report's current version."""

    def __init__(self, refusal: Refusal, *, version: int) -> None:
        super().__init__(refusal.message, conflict=refusal.conflict, version=version)


@dataclass
class Change:
    """A transition under way, for the caller's own rows: the locked report as it was before,
    the new holder (when the transition names one), and more for the event."""

    transition: Transition
    complaint: models.Complaint
    now: dt.datetime
    to: Agency | None
    data: dict[str, Any] = field(default_factory=dict)
    rule: RoutingRule | None = None
    # Other fields of the report the body changed (a privacy flag), saved with the state.
    updated_fields: list[str] = field(default_factory=list)
    # The private link's key of a report just filed, for its receipt (only its hash is kept).
    access_key: str = ""
    # The original a report is merged into (``MERGE``): the state it takes.
    mirror: models.Complaint | None = None
    # Set once the transition is written.
    event: models.ComplaintEvent | None = None
    disposition: models.Disposition | None = None


# The report fields a routing step reads: the worker skips the texts.
ROUTING_FIELDS = (
    "status",
    "routing_step",
    "region_id",
    "category_id",
    "kind",
    "needs_inspection",
    "due_at",
    "moved_at",
    "submitted_at",
    "current_agency_id",
    "version",
)


def lock(complaint_id: int, *, only: tuple[str, ...] = ()) -> models.Complaint:
    """The report, locked until the end of the transaction.

    :raises Complaint.DoesNotExist: for an unknown report.
    """
    reports = models.Complaint.objects.select_for_update(of=("self",))
    return (reports.only(*only) if only else reports).get(pk=complaint_id)


@dataclass(frozen=True)
class Decision:
    """A transition chosen on the locked report (routing: where the rules lead from its holder),
    with the agency it goes to and the rule that decided."""

    transition: Transition
    to: Agency | None = None
    rule: RoutingRule | None = None


@contextmanager
def transition(
    t: Transition | Callable[[models.Complaint], Decision],
    *,
    complaint_id: int,
    now: dt.datetime,
    agency: Agency | None = None,
    actor: User | None = None,
    to: Agency | None = None,
    expected_version: int | None = None,
    routing_step: int | None = None,
    data: dict[str, Any] | None = None,
    only: tuple[str, ...] = (),
) -> Iterator[Change]:
    """Perform a transition on a report, in one transaction: lock it, check that the transition
    may be taken (``refusal``) and that nobody changed it since ``expected_version``, run the
    body of the ``with`` (the transition's own rows), then save the report, write the
    ``Disposition`` of a hand-over (to ``to``, or the coordinator above), write the event and
    queue what the transition tells, published after commit.

    ``t`` is the transition, or a function that decides it on the locked report (routing).
    ``agency`` and ``actor``: the officer acting (staff transitions); ``routing_step``: the
    step a routing task was published for; ``only``: the report fields to read (the worker's
    steps skip the texts).

    :raises Refused: when the report is not in a state where the transition can be taken (a
        conflict: someone acted first, the report moved on).
    :raises ActionError: (a conflict) when the report changed since ``expected_version``; when
        a coordinator names an agency that cannot receive it.
    :raises Complaint.DoesNotExist: for an unknown report.
    """
    with transaction.atomic():
        data = dict(data or {})
        if t in PASSED_TO_ORIGINAL:
            complaint_id = _original_to_act_on(complaint_id, data)
        complaint = lock(complaint_id, only=only)
        if isinstance(t, Transition):
            decision = Decision(t, to)
        else:
            decision = t(complaint)
        chosen = decision.transition
        refused = refusal(
            chosen, complaint, agency=agency, user=actor, now=now, routing_step=routing_step
        )
        if refused is not None:
            raise Refused(refused, version=complaint.version)
        complaint.check_version(expected_version)
        change = Change(
            chosen,
            complaint,
            now,
            _next_holder(chosen, complaint, agency, decision.to),
            data=data,
            rule=decision.rule,
        )
        yield change
        _write(change, agency=agency, actor=actor)


def _original_to_act_on(complaint_id: int, data: dict[str, Any]) -> int:
    """The report a reporter's reply, dispute or added words go to: their own, or the original
    it is merged into (noted in ``data``), which the transition then locks. The duplicate is
    read, not locked, so that no two reports are ever locked in another order than ``merge``'s;
    a duplicate taken out meanwhile is a conflict."""
    row = (
        models.Complaint.objects.filter(pk=complaint_id)
        .values_list("duplicate_of_id", "tracking_number")
        .first()
    )
    if row is None or row[0] is None:
        return complaint_id
    original_id, tracking_number = row
    data["from_duplicate"] = tracking_number
    return int(original_id)


@contextmanager
def submission(
    *,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    access_key: str = "",
    actor: User | None = None,
    **fields: Any,
) -> Iterator[Change]:
    """Create a report (``SUBMIT``) with ``fields``, in one transaction: the body of the
    ``with`` writes its reporter and files; then its first event (by ``actor``, the officer
    who recorded a report brought to their agency), its first routing step and its receipt
    (outbox rows, published after commit; the receipt keeps ``access_key``, sealed, until it is
    sent) are written."""
    t = SUBMIT
    before = State.before_submission()
    after = advance(t, before, now=now, kind=fields["kind"])
    with transaction.atomic():
        complaint = models.Complaint.objects.create_with_tracking_number(
            status=after.status,
            due_at=after.due_at,
            moved_at=after.moved_at,
            submitted_at=now,
            **fields,
        )
        change = Change(t, complaint, now, None, data=dict(data or {}), access_key=access_key)
        yield change
        change.event = models.ComplaintEvent.objects.record(
            complaint,
            type=t.event,
            actor=actor,
            created_at=now,
            data=event_data(t, before, after, extra=change.data),
        )
        _tell(change)


def _next_holder(
    t: Transition, complaint: models.Complaint, agency: Agency | None, chosen: Agency | None
) -> Agency | None:
    if t.to is To.SAME:
        return None
    holder = _holder(complaint)
    if t.to is To.ABOVE:
        assert holder is not None and holder.parent_id is not None  # refusal() checked it
        return routing_selectors.get_agency(holder.parent_id)
    if chosen is None:
        raise ValueError(f"{t} needs the agency it hands the report to")
    if t.by is By.ENTRANT and (agency is None or chosen.pk != agency.pk):
        raise ValueError(f"{t} keeps a report only for the agency of the one who recorded it")
    if t.by is By.QUEUE:
        # A coordinator hands a report only down its own subtree, to an active agency.
        assert agency is not None
        if chosen.pk == agency.pk or not routing_selectors.is_in_subtree(chosen, agency):
            raise ActionError(_("You can only hand a report to an agency below you."))
        if not chosen.is_active:
            raise ActionError(_("This agency is not active."))
    return chosen


def state_of(complaint: models.Complaint) -> State:
    holder = _holder(complaint)
    return State(
        status=complaint.status,
        holder=holder,
        due_at=complaint.due_at,
        routing_step=complaint.routing_step,
        version=complaint.version,
        moved_at=complaint.moved_at,
    )


def _handed_at(complaint: models.Complaint) -> dt.datetime:
    """When the holder received the report: its last hand-over, or its submission."""
    return (
        models.Disposition.objects.filter(complaint=complaint, sequence=complaint.routing_step)
        .values_list("created_at", flat=True)
        .first()
    ) or complaint.submitted_at


def _write(change: Change, *, agency: Agency | None, actor: User | None) -> None:
    t, complaint, now = change.transition, change.complaint, change.now
    before = state_of(complaint)
    if change.mirror is not None:
        after = _mirrored(before, change.mirror, now=now)
    else:
        after = advance(
            t,
            before,
            now=now,
            kind=complaint.kind,
            needs_inspection=complaint.needs_inspection,
            to=change.to,
            handed_at=_handed_at(complaint)
            if t.deadline is not None and t.deadline.from_hand_over
            else None,
        )
    if t.changes:
        _save_state(complaint, before, after, also=change.updated_fields)
    if t.hand_over:
        assert after.holder is not None and after.due_at is not None
        change.disposition = models.Disposition.objects.create(
            complaint=complaint,
            sequence=after.routing_step,
            kind=t.hand_over,
            from_agency=before.holder,
            to_agency=after.holder,
            rule=change.rule,
            actor=actor,
            created_at=now,
            due_at=after.due_at,
        )
    change.event = models.ComplaintEvent.objects.record(
        complaint,
        type=t.event,
        actor=actor,
        is_public=t.public,
        created_at=now,
        data=event_data(t, before, after, agency=agency, extra=change.data),
    )
    _tell(change)
    if t.changes and t not in _NOT_FOLLOWED and change.mirror is None and t.by is not By.ROUTING:
        # (A report with duplicates is never routed again: ``merge`` takes only originals
        # that reached an agency with their category and place.)
        _follow(change, agency=agency, actor=actor)


def _save_state(
    complaint: models.Complaint, before: State, after: State, *, also: Sequence[str] = ()
) -> None:
    """Set ``after`` on the locked report and save what changed, with a new version."""
    updated = [
        name
        for name, old, new in (
            ("status", before.status, after.status),
            ("current_agency", before.holder, after.holder),
            ("due_at", before.due_at, after.due_at),
            ("routing_step", before.routing_step, after.routing_step),
            ("moved_at", before.moved_at, after.moved_at),
        )
        if old != new
    ]
    complaint.status = after.status
    complaint.current_agency = after.holder
    complaint.due_at = after.due_at
    complaint.routing_step = after.routing_step
    complaint.moved_at = after.moved_at
    complaint.version = after.version
    complaint.save(update_fields=[*updated, *also, "version"])


# --- duplicates ------------------------------------------------------------------------------------

# Changes of an original its duplicates do not take: its own privacy, and its own merging.
_NOT_FOLLOWED = frozenset({RAISE_PRIVACY, MERGE, UNMERGE, UNMERGE_TO_QUEUE})


def _mirrored(before: State, original: models.Complaint, *, now: dt.datetime) -> State:
    """A duplicate's state: its original's status and holder, and no deadline of its own (so no
    clock, inbox or overdue count takes it: the original's deadline is the problem's)."""
    holder = _holder(original)
    return State(
        status=original.status,
        holder=holder,
        due_at=None,
        routing_step=before.routing_step,
        version=before.version + 1,
        moved_at=now if holder != before.holder else before.moved_at,
    )


def _follow(change: Change, *, agency: Agency | None, actor: User | None) -> None:
    """The original's change, written on each of its duplicates: the same event (marked with
    the original's number, ``follows``), the original's status and holder, a copy of an answer
    (its text, for the duplicate's reporter to read, rate and be counted as answered), and the
    reporter told by their own channel when the original's reporter is."""
    from complaints import notifications

    t, original, now = change.transition, change.complaint, change.now
    duplicates = list(
        models.Complaint.objects.select_for_update(of=("self",))
        .filter(duplicate_of=original)
        .order_by("pk")
    )
    if not duplicates:
        return
    # The answer an answer or interim reply wrote (a reply names the answer it replies to: that
    # one was copied when it was given).
    response = None
    if t.event in (EventType.RESPONDED, EventType.INTERIM_REPLY) and "response_id" in change.data:
        response = models.Response.objects.get(pk=change.data["response_id"])
    for duplicate in duplicates:
        before = state_of(duplicate)
        after = _mirrored(before, original, now=now)
        _save_state(duplicate, before, after)
        extra: dict[str, Any] = {"follows": original.tracking_number}
        if t.by is not By.CITIZEN and "reason" in change.data:
            extra["reason"] = change.data["reason"]  # staff's reason (an archive, an extension)
        if change.data.get("from_duplicate") == duplicate.tracking_number:
            # This duplicate's own reporter wrote it, through their link: their words, on their
            # report, for their private page (another reporter's never are).
            extra["own"] = True
            extra.update({k: change.data[k] for k in ("text", "reason") if k in change.data})
        if response is not None:
            extra["response_id"] = copy_response(response, duplicate).pk
        data = event_data(t, before, after, agency=agency, extra=extra)
        data.pop("disposition", None)  # the hand-over is the original's
        event = models.ComplaintEvent.objects.record(
            duplicate, type=t.event, actor=actor, is_public=t.public, created_at=now, data=data
        )
        if Tell.REPORTER in t.tells:
            notifications.queue_reporter_notification(event)


def copy_response(response: models.Response, duplicate: models.Complaint) -> models.Response:
    """An answer to the original, kept on a duplicate with the facts the recaps read for it: the
    agency's first final answer to the duplicate, from when the duplicate first reached it."""
    copy = models.Response(
        complaint=duplicate,
        agency_id=response.agency_id,
        author_id=response.author_id,
        text=response.text,
        created_at=response.created_at,
        is_final=response.is_final,
    )
    agency = routing_selectors.get_agency(response.agency_id)
    if (
        response.is_final
        and not duplicate.responses.filter(agency_id=response.agency_id, is_final=True).exists()
    ):
        copy.is_first = True
        copy.reached_at, copy.due_first = answer_facts(duplicate, agency)
    copy.save()
    return copy


def answer_facts(complaint: models.Complaint, agency: Agency) -> tuple[dt.datetime, dt.datetime]:
    """For an agency's first final answer to a report: when the report first came to the agency
    to act on (its event marked ``reached``; for a history written before that mark, its first
    hand-over there, or submission), and the completion deadline that applied from then."""
    reached = (
        models.ComplaintEvent.objects.filter(complaint=complaint, holder=agency, reached=True)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    if reached is None:
        reached = (
            models.Disposition.objects.filter(complaint=complaint, to_agency=agency)
            .order_by("created_at", "sequence")
            .values_list("created_at", flat=True)
            .first()
        ) or complaint.submitted_at
    due = routing_selectors.due_at(
        start=reached,
        step=Step.COMPLETION_INSPECTION if complaint.needs_inspection else Step.COMPLETION,
        kind=complaint.kind,
    )
    return reached, due


def merge(
    *,
    duplicate_id: int,
    original_id: int | None,
    agency: Agency,
    actor: User | None,
    now: dt.datetime,
    reason: str = "",
    expected_version: int | None = None,
) -> Change:
    """Merge a report into an open report of the same problem (``MERGE``), in one transaction
    with both locked (in the order of their ids): the duplicate takes the original's status
    and holder and follows it from then on (``_follow``); reports merged into the duplicate
    before follow it into the original; the original counts the duplicate's reporter and
    supporters among its supporters, and its history says a report was merged in. The
    duplicate's reporter is told by their own channel.

    :raises Refused: when the duplicate cannot be merged now, or not by ``agency``.
    :raises ActionError: when the original cannot take it (``merge_problem``; ``original_id``
        None: a number the one acting cannot see), or the duplicate changed since
        ``expected_version``.
    :raises Complaint.DoesNotExist: for an unknown duplicate.
    """
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in models.Complaint.objects.select_for_update(of=("self",))
            .filter(pk__in={duplicate_id, original_id or duplicate_id})
            .order_by("pk")
        }
        if duplicate_id not in locked:
            raise models.Complaint.DoesNotExist
        duplicate = locked[duplicate_id]
        refused = refusal(MERGE, duplicate, agency=agency, user=actor)
        if refused is not None:
            raise Refused(refused, version=duplicate.version)
        duplicate.check_version(expected_version)
        original = locked.get(original_id) if original_id is not None else None
        problem = merge_problem(duplicate, original)
        if problem is not None or original is None:
            raise ActionError(problem or _("No report you can see has this tracking number."))
        data: dict[str, Any] = {"original": original.tracking_number}
        if reason:
            data["reason"] = reason
        duplicate.duplicate_of = original
        change = Change(
            MERGE, duplicate, now, None, data=data, mirror=original, updated_fields=["duplicate_of"]
        )
        _write(change, agency=agency, actor=actor)
        # Reports merged into the duplicate before follow it into the original, with the
        # supporters they brought it.
        supporters = duplicate.support_count + 1
        for earlier in (
            models.Complaint.objects.select_for_update(of=("self",))
            .filter(duplicate_of=duplicate)
            .order_by("pk")
        ):
            earlier.duplicate_of = original
            moved = Change(
                MERGE,
                earlier,
                now,
                None,
                data={"original": original.tracking_number, "via": duplicate.tracking_number},
                mirror=original,
                updated_fields=["duplicate_of"],
            )
            _write(moved, agency=agency, actor=actor)
            duplicate.support_count -= earlier.support_count + 1
        if duplicate.support_count + 1 != supporters:
            duplicate.save(update_fields=["support_count"])
        original.support_count = F("support_count") + supporters
        original.save(update_fields=["support_count"])
        models.ComplaintEvent.objects.record(
            original,
            type=EventType.DUPLICATE_ADDED,
            actor=actor,
            created_at=now,
            data={"duplicate": duplicate.tracking_number},
        )
    return change


def merge_problem(duplicate: models.Complaint, original: models.Complaint | None) -> str | None:
    """Why ``duplicate`` cannot be merged into ``original``; None when it can. A report is never
    merged into itself, into a duplicate (its own or another's: merge into that one's
    original), into a report not handed to an agency or closed, or into a confidential one
    (the duplicate's reporter would read what it keeps private)."""
    if original is None:
        return _("No report you can see has this tracking number.")
    if original.pk == duplicate.pk:
        return _("A report cannot be merged into itself.")
    if original.duplicate_of_id is not None:
        return _("That report is itself merged into another report: merge into that one instead.")
    if (
        original.status not in MERGEABLE
        or original.category_id is None
        or original.region_id is None
    ):
        return _("That report cannot take others: it is still being routed, or it is closed.")
    if original.is_confidential:
        return _(
            "A report cannot be merged into a confidential report: its reporter would read "
            "what that report keeps private."
        )
    return None


def unmerge(
    *,
    duplicate_id: int,
    agency: Agency,
    actor: User | None,
    now: dt.datetime,
    reason: str = "",
    expected_version: int | None = None,
) -> Change:
    """Take a duplicate out of its original while the original is open (``UNMERGE``): it is
    handed to the agency taking it out (an OPD to follow it up, a coordinator's queue to verify
    it) with a deadline of its own; the original gives back the supporters it counted for it
    and says so in its history. Both are locked in the order of their ids, as ``merge`` does.

    :raises Refused: when it is not a duplicate, or not ``agency``'s to take out.
    :raises ActionError: when it changed since ``expected_version``.
    :raises Complaint.DoesNotExist: for an unknown report.
    """
    with transaction.atomic():
        original_id = (
            models.Complaint.objects.filter(pk=duplicate_id)
            .values_list("duplicate_of_id", flat=True)
            .first()
        )
        list(
            models.Complaint.objects.select_for_update(of=("self",))
            .filter(pk__in={duplicate_id, original_id or duplicate_id})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        with transition(
            staff_transition(StaffAction.UNMERGE, agency=agency),
            complaint_id=duplicate_id,
            agency=agency,
            actor=actor,
            now=now,
            to=agency,
            expected_version=expected_version,
            data={"reason": reason} if reason else None,
        ) as change:
            _take_out_of_original(change, actor=actor)
    return change


def _take_out_of_original(change: Change, *, actor: User | None) -> None:
    duplicate = change.complaint
    assert duplicate.duplicate_of_id is not None  # UNMERGE requires it (_is_merged)
    original = lock(duplicate.duplicate_of_id)
    duplicate.duplicate_of = None
    change.updated_fields.append("duplicate_of")
    change.data["original"] = original.tracking_number
    original.support_count = Greatest(F("support_count") - (duplicate.support_count + 1), Value(0))
    original.save(update_fields=["support_count"])
    models.ComplaintEvent.objects.record(
        original,
        type=EventType.DUPLICATE_REMOVED,
        actor=actor,
        created_at=change.now,
        data={"duplicate": duplicate.tracking_number},
    )


def _tell(change: Change) -> None:
    """Queue, in the transition's transaction, what it tells: outbox rows, published after
    commit, and by beat's relay if that publication is lost."""
    # It reads complaints.models' classes when imported: not while it loads.
    from complaints import notifications

    t, complaint = change.transition, change.complaint
    assert change.event is not None
    if Tell.REPORTER in t.tells:
        if t is SUBMIT:
            notifications.queue_receipt(change.event, access_key=change.access_key)
        else:
            notifications.queue_reporter_notification(change.event)
    if Tell.HOLDER in t.tells:
        notifications.queue_agency_notice(complaint, now=change.now)
    if Tell.ROUTING in t.tells:
        # Routing again from the national queue, at the same hand-over: a step of its own.
        again = "details" if t in (GIVE_DETAILS, SET_DETAILS) else ""
        notifications.queue_routing_step(complaint, now=change.now, again=again)
