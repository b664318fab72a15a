from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.workflow import (
    AWAITING_CITIZEN,
    CLOSED,
    DEADLINE,
    DISPUTE,
    NOT_PUBLIC,
    OPEN,
    ROUTING,
    EventType,
    HandOver,
    Status,
)
from lapor.lib.actions import ActionError
from lapor.lib.tracking import access_key_matches, new_tracking_number
from routing import selectors as routing_selectors

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 150
TITLE_MIN_LENGTH = 10
DESCRIPTION_MAX_LENGTH = 5000
DESCRIPTION_MIN_LENGTH = 30
ANSWER_MIN_LENGTH = 20
# An address or landmark ("Jl. Pahlawan 12, depan SDN 005"), as Open311's address_string.
ADDRESS_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = NOTE_MAX_LENGTH


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    """The words for sets of reports, each defined once (the statuses from the workflow's
    table)."""

    def open(self) -> ComplaintQuerySet:
        """Someone still has to act: routing, a coordinator, the agency or the citizen."""
        return self.filter(status__in=sorted(OPEN))

    def closed(self) -> ComplaintQuerySet:
        """No transition leads out: completed or archived."""
        return self.filter(status__in=sorted(CLOSED))

    def being_routed(self) -> ComplaintQuerySet:
        return self.filter(status__in=sorted(ROUTING))

    def awaiting_citizen(self) -> ComplaintQuerySet:
        """Answered: the citizen's reply window runs."""
        return self.filter(status__in=sorted(AWAITING_CITIZEN))

    def under_deadline(self) -> ComplaintQuerySet:
        """The holder runs against a deadline that passes the report up a level when missed."""
        return self.filter(status__in=sorted(DEADLINE))

    def overdue(self, now: dt.datetime) -> ComplaintQuerySet:
        """The holder missed its deadline (answered, closed and routing reports are never late)."""
        return self.under_deadline().filter(due_at__lt=now)

    def with_dispute_flag(self) -> ComplaintQuerySet:
        """Each report with ``is_disputed``: the reporter disputed an answer and the report
        is with the coordinator it was disputed to, which has not handed it on.

        Read from the data, not from the last event (a note or an interim reply comes after
        the dispute without settling it): the status is the one a dispute leads to and the
        report's last hand-over (``Disposition`` number ``routing_step``) is the dispute's.
        So a coordinator that answers the dispute ends it (RESPONDED), a second dispute of its
        answer starts a new one one level up, a hand-over down or up ends it, and a reporter's
        reply to the coordinator's answer keeps it (the report is back with the coordinator it
        was disputed to, still not accepted). One indexed look-up per report
        (``disposition_sequence_unique``).
        """
        return self.annotate(
            is_disputed=Case(
                When(_disputed(), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def disputed(self) -> ComplaintQuerySet:
        """Disputed by the reporter and with the coordinator it was disputed to
        (``with_dispute_flag``)."""
        return self.filter(_disputed())

    def public(self) -> ComplaintQuerySet:
        """What anyone may find: never a confidential report, and not the archived ones (spam,
        duplicates, out of scope). Lists, search, support, Open311's lists and the map."""
        return self.filter(is_confidential=False).exclude(status__in=sorted(NOT_PUBLIC))

    def listed(self) -> ComplaintQuerySet:
        """What the public lists show (the list, the map, the home page, agency pages, the
        API's and Open311's lists): the public reports that are not duplicates. A duplicate is
        found through its original, which counts its reporter among its supporters; its own
        page, by its number, still answers."""
        return self.public().filter(duplicate_of__isnull=True)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> ComplaintQuerySet:
        """The one place that decides which reports a staff user may see.

        An OPD officer sees the reports that are or were disposed to their agency; a coordinator
        those held now or before by any agency of its subtree (the national coordinator: all);
        anyone else, none. Whatever is not in here answers 404 to staff, by page, API or export.
        """
        agency = routing_selectors.staff_agency(user)
        if agency is None:
            return self.none()
        if agency.level == agency.Level.NATIONAL:
            return self.all()
        agencies = (
            {agency.pk}
            if agency.level == agency.Level.OPD
            else routing_selectors.subtree_ids(agency)
        )
        handed = Disposition.objects.filter(complaint=OuterRef("pk"), to_agency_id__in=agencies)
        return self.filter(Q(current_agency_id__in=agencies) | Exists(handed))


def _disputed() -> Q:
    """The one definition of a disputed report (``ComplaintQuerySet.with_dispute_flag``)."""
    last_hand_over_is_dispute = Exists(
        Disposition.objects.filter(
            complaint=OuterRef("pk"), sequence=OuterRef("routing_step"), kind=HandOver.DISPUTE
        )
    )
    return Q(status=DISPUTE.target) & Q(last_hand_over_is_dispute)


_ComplaintManagerBase = models.Manager.from_queryset(ComplaintQuerySet)


class ComplaintManager(_ComplaintManagerBase["Complaint"]):
    def create_with_tracking_number(self, **fields: Any) -> Complaint:
        """Create a report under a new random tracking number. 30^8 numbers make a clash rare,
        not impossible: the unique index decides, and we draw again.

        :raises RuntimeError: when five draws in a row clash.
        """
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return self.create(tracking_number=new_tracking_number(), **fields)
            except IntegrityError:
                logger.warning("tracking number clash, drawing again")
        raise RuntimeError("could not draw a free tracking number")


class Channel(models.TextChoices):
    """How a report came in (kanal). Staff record the ones brought to an office; the others
    are the portal's own doors."""

    WEB = "WEB", _("web form")
    API = "API", _("API")
    OPEN311 = "OPEN311", _("Open311")
    EMAIL = "EMAIL", pgettext_lazy("channel", "e-mail")
    SMS = "SMS", _("SMS")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    WALK_IN = "WALK_IN", _("in person at an office")
    PHONE = "PHONE", _("telephone")
    LETTER = "LETTER", _("letter")
    SOCIAL_MEDIA = "SOCIAL_MEDIA", _("social media")
    OTHER = "OTHER", _("other (recorded by staff)")


# The channels of a report that an officer records on the citizen's behalf.
STAFF_CHANNELS = (
    Channel.WALK_IN,
    Channel.PHONE,
    Channel.LETTER,
    Channel.SOCIAL_MEDIA,
    Channel.OTHER,
)
_OWN_CHANNELS = [c.value for c in Channel if c not in STAFF_CHANNELS]


class Complaint(models.Model):
    """A citizen's report (laporan). Its status, holder, deadline and version are a cache of its
    event log, written by ``complaints.workflow`` alone."""

    class Kind(models.TextChoices):
        COMPLAINT = "COMPLAINT", _("complaint")
        ASPIRATION = "ASPIRATION", _("aspiration")
        INFORMATION_REQUEST = "INFORMATION_REQUEST", _("information request")

    Status = Status
    Channel = Channel

    tracking_number = models.CharField(_("tracking number"), max_length=14, unique=True)
    access_key_hash = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    # Both empty only for a report by e-mail whose message did not say them: it waits in the
    # national coordinator's queue until the reporter gives them (``details_missing``).
    category = models.ForeignKey(
        "routing.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    # A regency/city or a district inside one.
    region = models.ForeignKey(
        "routing.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    incident_date = models.DateField(_("date of the event"))
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_confidential = models.BooleanField(_("confidential"), default=False)
    # Where it happened: a point the reporter shared (a pin on the form's map, a location sent
    # by WhatsApp, Open311's lat/long) and an address or landmark in their words. Staff see them
    # as given; the public map shows a public report's point only coarsened
    # (``complaints.places.public_point``).
    address = models.CharField(
        _("address or landmark"),
        max_length=ADDRESS_MAX_LENGTH,
        blank=True,
        default="",
        db_default="",
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # Berkadar pengawasan: a complaint that needs an inspection (60 working days to complete).
    needs_inspection = models.BooleanField(_("needs an inspection"), default=False)
    # An information request's deadline was extended (UU 14/2008: once, by 7 working days).
    deadline_extended = models.BooleanField(_("deadline extended"), default=False, db_default=False)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED
    )
    # The language the citizen used, for the e-mails we send them.
    language = models.CharField(max_length=8, default="id")
    submitted_at = models.DateTimeField(_("submitted at"))
    # The deadline of whoever holds the report now.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    # Who holds the report now (empty: the central queue, before the first routing step), and
    # the number of its last disposition, which a routing task must find unchanged to act.
    current_agency = models.ForeignKey(
        "routing.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_complaints",
        verbose_name=_("current agency"),
    )
    routing_step = models.PositiveIntegerField(default=0)
    # When the holder last changed: the sweeper re-publishes a step that has stalled.
    moved_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change of state: a staff form carries the number it was drawn with, and
    # an action on a report that changed since is refused instead of overwriting the change.
    version = models.PositiveIntegerField(default=0)
    # The citizen account it was filed from or claimed by (optional accounts): for "my
    # reports" only; never shown to any agency.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_complaints",
    )
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=Channel.choices,
        default=Channel.WEB,
        db_default=Channel.WEB,
    )
    # The officer who recorded a report brought to their agency outside the portal (a walk-in,
    # a call, a letter): staff, not the reporter, and shown to coordinators, so that no one
    # files in someone else's name unseen.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # A duplicate (laporan serupa): the report it was merged into, whose state it follows
    # (``workflow.MERGE``); never itself a duplicate.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # Visitors who support (dukung) the report; a cache of its Support rows, for sorting.
    support_count = models.PositiveIntegerField(_("support"), default=0)

    objects = ComplaintManager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["status", "due_at"], name="complaint_status_due"),
            # ``id`` carried along: the recaps read the reports received in a month from it alone.
            models.Index(fields=["-submitted_at"], include=["id"], name="complaint_submitted"),
            models.Index(
                fields=["moved_at"],
                condition=models.Q(status__in=sorted(ROUTING)),
                name="complaint_routing_moved",
            ),
            # The recaps count every report by holder and state from this index alone.
            models.Index(
                fields=["current_agency", "status"],
                include=["submitted_at", "due_at"],
                name="complaint_holder_status",
            ),
            # Staff inboxes: open reports by deadline, per holder (an OPD) and overall (a
            # coordinator's subtree), walked by keyset (due_at, id).
            # ``status`` is carried along (PostgreSQL INCLUDE) so that an inbox's counts per
            # status are read from the index alone.
            models.Index(
                fields=["current_agency", "due_at", "id"],
                include=["status"],
                condition=models.Q(status__in=sorted(OPEN)),
                name="complaint_open_holder_due",
            ),
            # The public list: newest first, or most supported first.
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=models.Q(is_confidential=False)
                & ~models.Q(status__in=sorted(NOT_PUBLIC)),
                name="complaint_public_new",
            ),
            models.Index(
                fields=["-support_count", "-id"],
                condition=models.Q(is_confidential=False)
                & ~models.Q(status__in=sorted(NOT_PUBLIC)),
                name="complaint_public_support",
            ),
            models.Index(
                fields=["due_at", "id"],
                include=["status", "current_agency"],
                condition=models.Q(status__in=sorted(OPEN)),
                name="complaint_open_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["COMPLAINT", "ASPIRATION", "INFORMATION_REQUEST"]),
                name="complaint_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="complaint_channel_valid"
            ),
            # Only a report by e-mail may come without its category and place (for a while).
            models.CheckConstraint(
                condition=models.Q(category__isnull=False, region__isnull=False)
                | models.Q(channel=Channel.EMAIL),
                name="complaint_details_or_email",
            ),
            # Staff record only the channels brought to an office, and those only staff record.
            models.CheckConstraint(
                condition=models.Q(entered_by__isnull=True, channel__in=_OWN_CHANNELS)
                | models.Q(entered_by__isnull=False, channel__in=[c.value for c in STAFF_CHANNELS]),
                name="complaint_entered_by_staff_channel",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    def access_key_matches(self, key: str) -> bool:
        return bool(key) and access_key_matches(key, self.access_key_hash)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def details_missing(self) -> bool:
        """Filed by e-mail without its category or place: routed only once they are given."""
        return self.category_id is None or self.region_id is None

    @property
    def is_under_deadline(self) -> bool:
        """The holder runs against its own deadline (``ComplaintQuerySet.under_deadline``)."""
        return self.status in DEADLINE

    @property
    def awaits_citizen(self) -> bool:
        """Answered: ``due_at`` is the end of the reporter's reply window, not a deadline of
        the holder (``ComplaintQuerySet.awaiting_citizen``)."""
        return self.status in AWAITING_CITIZEN

    @property
    def pending_due_at(self) -> dt.datetime | None:
        """The deadline that still runs (the holder's, or the citizen's reply window); None
        once the report is closed, whose last deadline no longer means anything."""
        return self.due_at if self.is_open else None

    @property
    def is_public(self) -> bool:
        """Anyone may find it (``ComplaintQuerySet.public``)."""
        return not self.is_confidential and self.status not in NOT_PUBLIC

    def is_overdue(self, now: dt.datetime) -> bool:
        """The holder missed its deadline (``ComplaintQuerySet.overdue``)."""
        return self.status in DEADLINE and self.due_at is not None and self.due_at < now

    def check_version(self, expected: int | None) -> None:
        """Refuse an action drawn from an older state of the report (two officers at once).

        :raises ActionError: (a conflict) when the report changed since ``expected``.
        """
        if expected is not None and expected != self.version:
            raise ActionError(
                str(
                    _(
                        "Someone else changed this report while you were looking at it. "
                        "Here is its current state: check it and try again."
                    )
                ),
                conflict=True,
                version=self.version,
            )


class Reporter(models.Model):
    """Who filed a report, kept apart from it.

    Nothing here is shown to any agency when the report is anonymous; pages, APIs and exports
    for staff must never join this table for such a report.
    """

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="reporter", primary_key=True
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        permissions = [("reveal_reporter", "Can reveal the identity of an anonymous reporter")]

    def __str__(self) -> str:
        return f"reporter of {self.complaint_id}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name says nothing about the citizen's file name or the report.
    return f"attachments/{instance.storage_token[:2]}/{instance.storage_token}.{instance.extension}"


class Attachment(models.Model):
    """A file attached to a report, cleaned on upload (images re-encoded without EXIF)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    # Empty for the citizen's own files; set for the files of an agency's answer.
    response = models.ForeignKey(
        "complaints.Response",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    storage_token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # The citizen's own file name: reporter metadata, shown only through the private link.
    original_name = models.CharField(max_length=150, blank=True)
    position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "position"], name="attachment_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}/{self.position}"

    @property
    def display_name(self) -> str:
        """A name that reveals nothing of the reporter's device or habits."""
        return f"lampiran-{self.position}.{self.extension}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ComplaintEventManager(models.Manager["ComplaintEvent"]):
    def record(
        self,
        complaint: Complaint,
        *,
        type: str,
        created_at: dt.datetime,
        actor: Any = None,
        is_public: bool = True,
        data: dict[str, Any] | None = None,
    ) -> ComplaintEvent:
        """Append an event that keeps the report's state before it (the previous event's state
        after it) and after it (status, holder, deadline: the report row as saved).

        So the state as of any moment is the last event before it, and the changes since a
        moment add up from the events after it alone (what the recaps read). Call it with the
        report locked, after saving it. An event is never dated before the report's previous
        one: the time order of a report's events is the order they were written in.
        """
        before: tuple[str, int | None, dt.datetime | None, dt.datetime | None] = (
            "",
            None,
            None,
            None,
        )
        if type != ComplaintEvent.Type.SUBMITTED:  # the first event: nothing before it
            before = (
                self.filter(complaint=complaint)
                .order_by("-pk")
                .values_list("to_status", "holder_id", "due_at", "created_at")
                .first()
            ) or before
        from_status, from_holder_id, from_due_at, previous_at = before
        if previous_at is not None and previous_at > created_at:
            created_at = previous_at
        holder_id = complaint.current_agency_id
        # The first time the report comes to this holder to act on it (the recaps' "received"
        # of an agency, and the start of its response time).
        reached = (
            holder_id is not None
            and complaint.status in DEADLINE
            and (from_holder_id != holder_id or from_status not in DEADLINE)
            and not self.filter(complaint=complaint, holder_id=holder_id, reached=True).exists()
        )
        return self.create(
            reached=reached,
            complaint=complaint,
            type=type,
            from_status=from_status,
            from_holder_id=from_holder_id,
            from_due_at=from_due_at,
            to_status=complaint.status,
            holder_id=holder_id,
            due_at=complaint.due_at,
            actor=actor,
            is_public=is_public,
            data=data or {},
            created_at=created_at,
        )


class ComplaintEvent(models.Model):
    """One row of a report's append-only history: who did what, when, from which state to which.

    ``to_status``, ``holder`` and ``due_at`` are the report's state after the event: the state
    as of a moment is the last event at or before it. ``from_status``, ``from_holder`` and
    ``from_due_at`` are the state before it, always the previous event's state after it.
    """

    Type = EventType

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("event"), max_length=32, choices=Type.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    holder = models.ForeignKey(
        "routing.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    due_at = models.DateTimeField(null=True, blank=True)
    from_holder = models.ForeignKey(
        "routing.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    from_due_at = models.DateTimeField(null=True, blank=True)
    # Shown on the public timeline; internal events (notes, identity reveals) are not.
    is_public = models.BooleanField(default=True)
    # The first time the report came to its holder (after the event) to act on: to verify,
    # follow up or answer. What an agency "received", and where its response time starts.
    reached = models.BooleanField(default=False, db_default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = ComplaintEventManager()

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_complaint_time"),
            # The recaps add up the changes since a cut-off from this index alone.
            models.Index(
                fields=["created_at"],
                include=[
                    "complaint",
                    "from_status",
                    "from_holder",
                    "from_due_at",
                    "to_status",
                    "holder",
                    "due_at",
                ],
                name="event_time",
            ),
            # The recaps count, per agency, the reports that first reached it in a month.
            models.Index(
                fields=["created_at"],
                include=["holder"],
                condition=models.Q(reached=True),
                name="event_reached_time",
            ),
            # The recaps count, per agency, the reports completed and archived in a month.
            models.Index(
                fields=["created_at"],
                include=["holder", "type"],
                condition=models.Q(type__in=["COMPLETED", "AUTO_COMPLETED", "ARCHIVED"]),
                name="event_closed_time",
            ),
            # An answer finds when its report first reached the answering agency.
            models.Index(
                fields=["complaint", "holder"],
                condition=models.Q(reached=True),
                name="event_reached_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.type}"

    @property
    def label(self) -> str:
        """The event in words, with the agency it names (kept in ``data`` when it happened)."""
        text = str(self.get_type_display())
        if "%(agency)s" in text:
            return text % {"agency": self.data.get("agency_name", "—")}
        return text


class Response(models.Model):
    """An agency's answer to a report: what the citizen reads. A final answer (jawaban) moves
    the report to RESPONDED and starts the citizen's reply window; an interim reply (tindak
    lanjut sementara) tells the citizen how the handling goes while the clock keeps running.
    Only final answers count as answers in the recaps, and only they can be accepted, disputed
    or rated."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="responses")
    agency = models.ForeignKey("routing.Agency", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("answer"), max_length=DESCRIPTION_MAX_LENGTH)
    created_at = models.DateTimeField()
    is_final = models.BooleanField(_("final answer"), default=True, db_default=True)
    # Facts of the moment it was given, for the recaps: whether it is the agency's first final
    # answer to the report, when the report first reached the agency, and the completion
    # deadline that applied from then (whatever acknowledging, an extension or a return did
    # to the deadline later).
    is_first = models.BooleanField(default=False)
    reached_at = models.DateTimeField(null=True, blank=True)
    due_first = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="response_complaint_time"),
            # The recaps read the first answers of a month from this index alone.
            models.Index(
                fields=["created_at"],
                include=["agency", "reached_at", "due_first"],
                condition=models.Q(is_first=True),
                name="response_first_time",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_first=False)
                | models.Q(is_final=True, reached_at__isnull=False, due_first__isnull=False),
                name="response_first_final_reached",
            ),
            models.UniqueConstraint(
                fields=["complaint", "agency"],
                condition=models.Q(is_first=True),
                name="response_first_once_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"answer to {self.complaint_id}"


class AnswerTemplate(models.Model):
    """A ready text an officer can start an answer from; per category, or for every category."""

    category = models.ForeignKey(
        "routing.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answer_templates",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"), max_length=DESCRIPTION_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")

    def __str__(self) -> str:
        return self.title


class Dispute(models.Model):
    """The citizen did not accept an agency's answer; counted against that agency."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="disputes")
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="dispute")
    agency = models.ForeignKey("routing.Agency", on_delete=models.PROTECT, related_name="disputes")
    reason = models.TextField(_("reason"), max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["agency", "created_at"], name="dispute_agency_time")]

    def __str__(self) -> str:
        return f"dispute of {self.response_id}"


class Rating(models.Model):
    """The citizen's mark for how an answer handled their report: once per answer."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="ratings")
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="rating")
    agency = models.ForeignKey("routing.Agency", on_delete=models.PROTECT, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]
        indexes = [models.Index(fields=["agency", "created_at"], name="rating_agency_time")]

    def __str__(self) -> str:
        return f"{self.score} for {self.response_id}"


class Support(models.Model):
    """A visitor's support (dukungan) of a public report: once per address, and on the web once
    per browser as well. ``address`` is the client address keyed with SECRET_KEY and
    ``browser`` a hash of a random cookie (empty through the API), so the table holds nothing
    from which a person or an address could be worked out."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="supports")
    address = models.CharField(max_length=64)
    browser = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "address"], name="support_once_per_address"
            ),
            models.UniqueConstraint(
                fields=["complaint", "browser"],
                condition=~models.Q(browser=""),
                name="support_once_per_browser",
            ),
        ]

    def __str__(self) -> str:
        return f"support of {self.complaint_id}"


# --- hand-overs and what they cause ------------------------------------------------------------


class Disposition(models.Model):
    """One hand-over of a report from one holder to the next, numbered per report.

    ``(complaint, sequence)`` is unique: a routing step delivered twice, or taken by two workers
    at once, can write its disposition only once.
    """

    Kind = HandOver

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="dispositions")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_agency = models.ForeignKey(
        "routing.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_agency = models.ForeignKey(
        "routing.Agency", on_delete=models.PROTECT, related_name="dispositions_received"
    )
    rule = models.ForeignKey(
        "routing.RoutingRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "sequence"], name="disposition_sequence_unique"
            )
        ]
        indexes = [models.Index(fields=["to_agency", "created_at"], name="disposition_to_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.sequence} → {self.to_agency_id}"


class TransferRequest(models.Model):
    """An agency's "bukan wewenang": the report goes back to the coordinator above it."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="transfer_requests"
    )
    from_agency = models.ForeignKey(
        "routing.Agency", on_delete=models.PROTECT, related_name="transfers"
    )
    reason = models.TextField(_("reason"), max_length=2000)
    suggested_agency = models.ForeignKey(
        "routing.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        indexes = [models.Index(fields=["from_agency", "created_at"], name="transfer_from_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id} returned by {self.from_agency_id}"


class DeadlineBreach(models.Model):
    """A deadline an agency missed; one per disposition, so a repeated sweep counts it once."""

    disposition = models.OneToOneField(Disposition, on_delete=models.CASCADE, related_name="breach")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="breaches")
    agency = models.ForeignKey("routing.Agency", on_delete=models.PROTECT, related_name="breaches")
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # The agency let the report escalate without ever giving it a final answer, and this is the
    # first time it did on this report: the recaps count it once as "let escalate".
    unanswered = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        # The recaps count the escalations of a month by the month the deadline passed, and
        # those recorded after that month was built by the month they were recorded.
        indexes = [
            models.Index(
                fields=["due_at"], include=["agency", "unanswered", "created_at"], name="breach_due"
            ),
            models.Index(
                fields=["created_at"],
                include=["agency", "unanswered", "due_at"],
                name="breach_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} missed {self.due_at:%Y-%m-%d} on {self.complaint_id}"


class MessageQuerySet(models.QuerySet["Message"]):
    def pending(self) -> MessageQuerySet:
        """Neither sent nor given up on."""
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def dead(self) -> MessageQuerySet:
        """The dead-letter list: messages given up on after their last attempt."""
        return self.filter(sent_at__isnull=True, failed_at__isnull=False)


_MessageManagerBase = models.Manager.from_queryset(MessageQuerySet)


class MessageManager(_MessageManagerBase["Message"]):
    pass


class Message(models.Model):
    """One message the portal owes someone (the outbox, ``complaints.outbox``): a routing step
    for the worker, or an e-mail. Written in the transaction of the change that causes it,
    published after commit (or by beat's relay), claimed by one worker for a lease, and marked
    sent once; given up on (the dead-letter list) after its last attempt.

    ``key`` names what the message is about, so that the same message is never queued twice
    (one receipt per report, one notice per hand-over, one digest per agency and day…).
    ``secret`` holds, sealed (``lapor.lib.secretbox``), what the message needs and the database
    must not keep (the receipt's private link); it is erased once the message is sent.
    """

    class Kind(models.TextChoices):
        ROUTE_STEP = "route_step", _("routing step")
        RECEIPT = "receipt", _("receipt to the reporter")
        REPORTER_UPDATE = "reporter_update", _("update to the reporter")
        AGENCY_NOTICE = "agency_notice", _("notice to an agency")
        OVERDUE_DIGEST = "overdue_digest", _("overdue digest")
        RECAP = "recap", _("recap e-mail")
        ACTIVATION = "activation", _("account activation")
        ACCOUNT_EXISTS = "account_exists", _("account already exists")
        PASSWORD_RESET = "password_reset", _("password reset")
        PRIVATE_LINK = "private_link", _("private link to the reporter")
        PHONE_RECEIPT = "phone_receipt", _("receipt to the reporter's phone")
        PHONE_UPDATE = "phone_update", _("update to the reporter's phone")
        PHONE_REPLY = "phone_reply", _("reply to a phone")

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("nothing to send")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    event = models.ForeignKey(
        "ComplaintEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "routing.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The routing step, the digest's day or the recap's month, a digest's count.
    data = models.JSONField(default=dict, blank=True)
    secret = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    published_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)

    objects = MessageManager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True),
                name="message_pending",
            ),
            models.Index(
                fields=["failed_at"],
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=False),
                name="message_dead",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class IdempotencyKeyQuerySet(models.QuerySet["IdempotencyKey"]):
    def expired(self, now: dt.datetime) -> IdempotencyKeyQuerySet:
        """Keys older than ``LAPOR_IDEMPOTENCY_HOURS``: their answer is no longer given again,
        and the key may be used anew."""
        lifetime = dt.timedelta(hours=settings.LAPOR_IDEMPOTENCY_HOURS)
        return self.filter(created_at__lte=now - lifetime)


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a client sent with the report it filed (``complaints.idempotency``):
    a retry with the same key and content is given the first answer instead of filing again.

    ``scope`` is the door and who came through it (the REST API as a user or anonymously,
    Open311 with an api_key); ``fingerprint`` the SHA-256 of the request's content; ``secret``
    the answer's access key, sealed (``lapor.lib.secretbox``), the only copy the database keeps.
    The row is written first in the transaction that files the report, so that a concurrent
    retry waits on the unique constraint, and it is rolled back with a refused submission.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # Empty only inside the transaction that files the report: the key is written before it.
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    secret = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once_per_scope")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.key}"
