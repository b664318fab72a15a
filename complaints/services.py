"""What citizens and officers do to a report: file it (the one door), and every action on it
after that. Each validates its input, then performs its transition through
``complaints.workflow`` (which locks, checks, saves, writes the event and queues the effects)
and writes the rows that belong to it (an answer, a dispute, a rating)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from lokal import parse_phone

from complaints import notifications, outbox, workflow
from complaints.models import (
    ADDRESS_MAX_LENGTH,
    ANSWER_MIN_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    STAFF_CHANNELS,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    Disposition,
    Dispute,
    Message,
    Rating,
    Reporter,
    Response,
    Support,
    TransferRequest,
)
from lapor.lib.actions import ActionError
from lapor.lib.text import has_forbidden_characters
from lapor.lib.tracking import hash_access_key, new_access_key, normalize_tracking_number
from lapor.lib.uploads import CleanFile, Upload, UploadRejected, clean_uploads, upload_limits
from routing import selectors as routing_selectors
from routing.models import Agency, Category, Officer, Region

logger = logging.getLogger(__name__)


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    @property
    def file(self) -> IO[bytes]: ...


class BytesUpload:
    """A file that came as bytes (an e-mail's attachment, a photo sent by WhatsApp), as the
    upload cleaner reads a file."""

    name: str | None
    size: int | None

    def __init__(self, name: str, content: bytes) -> None:
        self.name = name
        self.size = len(content)
        self._file = io.BytesIO(content)

    @property
    def file(self) -> IO[bytes]:
        return self._file


@dataclass(frozen=True)
class SubmissionReceipt:
    """What the citizen gets back. ``access_key`` exists only here: we keep its hash."""

    complaint: Complaint
    access_key: str


def _check_text(errors: dict[str, list[str]], field: str, value: str, lo: int, hi: int) -> None:
    if has_forbidden_characters(value):
        errors.setdefault(field, []).append(
            _(
                "This text contains characters that are not allowed (control characters or bytes that are not UTF-8)."
            )
        )
    elif len(value.strip()) < lo:
        errors.setdefault(field, []).append(
            _("Please write at least %(min)d characters.") % {"min": lo}
        )
    elif len(value) > hi:
        errors.setdefault(field, []).append(
            _("Please write at most %(max)d characters.") % {"max": hi}
        )


def _clean_attachments(
    errors: dict[str, list[str]], attachments: Sequence[UploadedFileLike], *, already: int = 0
) -> list[tuple[str, CleanFile]]:
    # ``already``: files of the same submission checked before (held across a form's error
    # round, complaints.held_uploads), which count toward the limit too.
    if len(attachments) + already > settings.LAPOR_MAX_ATTACHMENTS:
        errors.setdefault("attachments", []).append(
            _("At most %(max)d files can be attached.") % {"max": settings.LAPOR_MAX_ATTACHMENTS}
        )
        return []
    names = [(upload.name or "").rsplit("/", 1)[-1][:150] for upload in attachments]
    results = clean_uploads(
        [
            Upload(name, upload.file, upload.size or 0)
            for name, upload in zip(names, attachments, strict=True)
        ],
        upload_limits(),
    )
    cleaned: list[tuple[str, CleanFile]] = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, UploadRejected):
            errors.setdefault("attachments", []).append(str(result.message))
        else:
            cleaned.append((name, result))
    return cleaned


def check_attachments(
    attachments: Sequence[UploadedFileLike], *, already: int = 0
) -> tuple[list[tuple[str, CleanFile]], list[str]]:
    """Check and clean files before the rest of a submission is valid, with the checks of
    ``submit_complaint``: the report form reports its files' problems in the same round as its
    other fields' and holds the files that passed (``complaints.held_uploads``). Returns each
    kept file's name and what may be stored of it, and a message per refused file."""
    errors: dict[str, list[str]] = {}
    cleaned = _clean_attachments(errors, attachments, already=already)
    return cleaned, errors.get("attachments", [])


def _check_place(
    errors: dict[str, list[str]], category: Category | None, region: Region | None
) -> None:
    """What a report's category and place must be (a report by e-mail may wait for them)."""
    if category is not None and not category.is_active:
        errors["category"] = [_("This category is no longer in use.")]
    if region is not None and region.level == Region.Level.PROVINCE:
        errors["region"] = [_("Choose a regency/city, and a district if you know it.")]


def _check_report(
    errors: dict[str, list[str]],
    *,
    kind: str,
    title: str,
    description: str,
    category: Category | None,
    region: Region | None,
    incident_date: dt.date,
    reporter_name: str,
    reporter_email: str,
    reporter_phone: str,
    now: dt.datetime,
) -> str:
    """The checks of a report's fields (``submit_complaint``), into ``errors``; returns the
    reporter's phone number in E.164 ("" when none or not valid)."""
    if kind not in Complaint.Kind.values:
        errors["kind"] = [_("Choose the kind of report.")]
    _check_text(errors, "title", title, TITLE_MIN_LENGTH, TITLE_MAX_LENGTH)
    _check_text(errors, "description", description, DESCRIPTION_MIN_LENGTH, DESCRIPTION_MAX_LENGTH)
    _check_place(errors, category, region)
    if incident_date > timezone.localdate(now):
        errors["incident_date"] = [_("The date of the event cannot be in the future.")]
    for field, value, limit in (
        ("reporter_name", reporter_name, 100),
        ("reporter_phone", reporter_phone, 20),
        ("reporter_email", reporter_email, 254),
    ):
        if has_forbidden_characters(value) or len(value) > limit:
            errors[field] = [_("This value is not valid.")]
    phone = ""
    if reporter_phone and "reporter_phone" not in errors:
        parsed = parse_phone(reporter_phone)
        if parsed.valid and parsed.e164:
            phone = parsed.e164
        else:
            errors["reporter_phone"] = [
                _("Enter an Indonesian phone number, for example 0812 3456 7890.")
            ]
    return phone


def submit_complaint(
    *,
    kind: str,
    title: str,
    description: str,
    category: Category | None,
    region: Region | None,
    incident_date: dt.date,
    is_anonymous: bool,
    is_confidential: bool,
    reporter_name: str = "",
    reporter_email: str = "",
    reporter_phone: str = "",
    attachments: Sequence[UploadedFileLike] = (),
    checked_attachments: Sequence[tuple[str, CleanFile]] = (),
    ip_address: str | None = None,
    language: str = "id",
    owner: User | None = None,
    channel: str = Channel.WEB,
    entered_by: User | None = None,
    keep_for: Agency | None = None,
    caller_errors: dict[str, list[str]] | None = None,
    point: tuple[float, float] | None = None,
    address: str = "",
    now: dt.datetime,
) -> SubmissionReceipt:
    """File a citizen's report: the report, its reporter, its attachments, its first event and
    its first routing step and its receipt (outbox rows: the receipt, when an address was
    given, keeps the private link sealed until it is sent), in one transaction
    (``workflow.SUBMIT``); they are published after commit.

    ``channel`` is the door it came by. A report brought to an office is recorded by an officer
    (``entered_by``, through ``enter_complaint``), who may keep it for their own agency
    (``keep_for``: ``workflow.KEEP``, in the same transaction, instead of routing).

    Everything is checked before anything is written; files written before a failure are
    removed again, so a refused or failed submission leaves nothing behind.

    ``caller_errors``: problems the caller found in its own fields, raised with these.

    ``point``: where it happened (latitude, longitude), when the reporter shared one; a point
    that is not on the globe is not kept. ``address``: an address or landmark in the reporter's
    words (Open311's ``address_string``).

    ``checked_attachments`` are files already checked and cleaned by ``check_attachments``
    (the report form's, some held across an error round): stored as they are, before
    ``attachments``, and counted with them.

    :raises ValidationError: with a message per field (``title``, ``region``, ``attachments``…).
    """
    if (entered_by is None) == (channel in STAFF_CHANNELS) or channel not in Channel.values:
        raise ValueError(f"channel {channel!r} with entered_by={entered_by!r}")
    if (category is None or region is None) and channel != Channel.EMAIL:
        raise ValueError("only a report by e-mail may come without its category and place")
    errors: dict[str, list[str]] = {k: list(v) for k, v in (caller_errors or {}).items()}
    phone = _check_report(
        errors,
        kind=kind,
        title=title,
        description=description,
        category=category,
        region=region,
        incident_date=incident_date,
        reporter_name=reporter_name,
        reporter_email=reporter_email,
        reporter_phone=reporter_phone,
        now=now,
    )
    if address:
        _check_text(errors, "address", address, 0, ADDRESS_MAX_LENGTH)
    cleaned = [
        *checked_attachments,
        *_clean_attachments(errors, attachments, already=len(checked_attachments)),
    ]
    if errors:
        raise ValidationError(errors)

    access_key = new_access_key()
    written: list[str] = []
    data: dict[str, object] = {"attachments": len(cleaned), "channel": channel}
    if entered_by is not None:
        # The reporter's own choices, as the officer recorded them.
        data["reporter_chose"] = {"anonymous": is_anonymous, "confidential": is_confidential}
    try:
        # A report kept at once is kept in the transaction that files it: no routing step
        # can come between (one outer transaction only then; the rest is ``submission``'s).
        with transaction.atomic() if keep_for is not None else nullcontext():
            with workflow.submission(
                now=now,
                data=data,
                actor=entered_by,
                channel=channel,
                entered_by=entered_by,
                kind=kind,
                title=title.strip(),
                description=description.strip(),
                category=category,
                region=region,
                incident_date=incident_date,
                is_anonymous=is_anonymous,
                is_confidential=is_confidential,
                language=language,
                access_key_hash=hash_access_key(access_key),
                access_key=access_key,
                owner=owner,
                address=" ".join(address.split()),
                **_point_fields(point),
            ) as change:
                complaint = change.complaint
                Reporter.objects.create(
                    complaint=complaint,
                    name=reporter_name.strip(),
                    email=reporter_email.strip(),
                    phone=phone,
                    ip_address=ip_address,
                )
                for position, (original_name, clean) in enumerate(cleaned, start=1):
                    written.append(_save_attachment(complaint, clean, original_name, position, now))
            if keep_for is not None:
                with workflow.transition(
                    workflow.keep_transition(keep_for),
                    complaint_id=complaint.pk,
                    now=now,
                    agency=keep_for,
                    actor=entered_by,
                    to=keep_for,
                ) as kept:
                    pass
                complaint = kept.complaint
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return SubmissionReceipt(complaint=complaint, access_key=access_key)


def _point_fields(point: tuple[float, float] | None) -> dict[str, Decimal]:
    if point is None:
        return {}
    latitude, longitude = point
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return {}
    six = Decimal("0.000001")
    return {
        "latitude": Decimal(str(latitude)).quantize(six),
        "longitude": Decimal(str(longitude)).quantize(six),
    }


def received_at_for(received_on: dt.date, *, now: dt.datetime) -> dt.datetime:
    """When a report brought to an office on ``received_on`` counts as received: now, if that
    is today; else midday of that day (its time was not written down)."""
    if received_on >= timezone.localdate(now):
        return now
    midday = dt.datetime.combine(received_on, dt.time(12), tzinfo=timezone.get_default_timezone())
    return min(midday, now)


def check_received_on(received_on: dt.date, *, now: dt.datetime) -> str | None:
    """Why a report cannot be dated ``received_on`` (None when it can): not in the future, at
    most ``LAPOR_STAFF_ENTRY_DAYS_BACK`` days back, and not in a month before this one, whose
    recap is built and stays as built."""
    today = timezone.localdate(now)
    earliest = max(
        today - dt.timedelta(days=settings.LAPOR_STAFF_ENTRY_DAYS_BACK), today.replace(day=1)
    )
    if received_on > today:
        return _("The date it was received cannot be in the future.")
    if received_on < earliest:
        return _(
            "A report can be dated back to %(earliest)s at the earliest (at most %(days)d days, "
            "and not into a month whose recap has been built). Enter today's date and write "
            "when it was really received in the description."
        ) % {
            "earliest": formats.date_format(earliest, "DATE_FORMAT"),
            "days": settings.LAPOR_STAFF_ENTRY_DAYS_BACK,
        }
    return None


def enter_complaint(
    *,
    officer: User,
    agency: Agency,
    channel: str,
    received_on: dt.date,
    keep: bool,
    now: dt.datetime,
    **report: Any,
) -> SubmissionReceipt:
    """Record a report a citizen brought to ``agency`` outside the portal (in person, by
    telephone, by letter, on social media), on their behalf, through the one door
    (``submit_complaint``): dated when it was received (its deadlines run from then), with the
    reporter's details and choices (anonymous, confidential) as the citizen gave them, the
    officer recorded as its ``entered_by`` (shown to coordinators, and to the reporter). With
    ``keep``, it is kept for ``agency`` (an OPD's to follow up, a coordinator's queue) instead
    of routed by the rules.

    ``report``: the other arguments of ``submit_complaint`` (kind, title, the reporter…).

    :raises ValidationError: with a message per field, ``channel`` and ``received_on`` too.
    """
    errors: dict[str, list[str]] = {}
    if channel not in STAFF_CHANNELS:
        errors["channel"] = [_("Choose how the report reached you.")]
        # Not a channel an officer records: the one door would not take it; say so with the
        # other fields' problems.
        _check_report(
            errors,
            kind=report["kind"],
            title=report["title"],
            description=report["description"],
            category=report["category"],
            region=report["region"],
            incident_date=report["incident_date"],
            reporter_name=report.get("reporter_name", ""),
            reporter_email=report.get("reporter_email", ""),
            reporter_phone=report.get("reporter_phone", ""),
            now=now,
        )
        raise ValidationError(errors)
    problem = check_received_on(received_on, now=now)
    if problem:
        errors["received_on"] = [problem]
    elif report.get("incident_date") and report["incident_date"] > received_on:
        errors["incident_date"] = [_("The event cannot come after the day it was reported.")]
    if keep and not agency.is_active:
        errors["keep"] = [_("This agency is not active.")]
    # With the other fields' problems, in the same round.
    return submit_complaint(
        **report,
        caller_errors=errors,
        channel=channel,
        entered_by=officer,
        keep_for=agency if keep else None,
        now=received_at_for(received_on, now=now),
    )


def _save_attachment(
    complaint: Complaint,
    clean: CleanFile,
    original_name: str,
    position: int,
    now: dt.datetime,
    response: Response | None = None,
) -> str:
    """Store a cleaned file and its row; returns the stored name, for removal on failure."""
    attachment = Attachment(
        complaint=complaint,
        response=response,
        storage_token=secrets.token_hex(16),
        extension=clean.extension,
        content_type=clean.content_type,
        size=len(clean.content),
        width=clean.width,
        height=clean.height,
        original_name=original_name,
        position=position,
        created_at=now,
    )
    attachment.file.save("upload", ContentFile(clean.content), save=False)
    stored = attachment.file.name
    assert stored is not None  # FieldFile.save has just named it
    try:
        attachment.save()
    except BaseException:
        default_storage.delete(stored)
        raise
    return stored


# --- staff actions on a report ------------------------------------------------------------------
#
# Who is offered which action is decided by ``complaints.selectors.staff_actions`` from the
# workflow's table; the workflow checks it again under the lock, with ``expected_version``
# (the version the officer's page was drawn from).


def acknowledge_complaint(
    *,
    complaint_id: int,
    agency: Agency,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """The agency holding a report takes it up (DISPOSED → IN_PROGRESS): its first follow-up.
    Its deadline becomes the completion deadline for the kind of report.

    :raises ActionError: (a conflict) when the report is not waiting for this agency to take
        it up, or changed since ``expected_version``.
    """
    with workflow.transition(
        workflow.ACKNOWLEDGE,
        complaint_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        expected_version=expected_version,
    ) as change:
        pass
    return change.complaint


def respond_to_complaint(
    *,
    complaint_id: int,
    agency: Agency,
    text: str,
    attachments: Sequence[UploadedFileLike] = (),
    actor: User | None,
    now: dt.datetime,
    final: bool = True,
    expected_version: int | None = None,
) -> Response:
    """The agency holding a report writes to the citizen with a text and files: the OPD it was
    handed to, or the coordinator in whose queue a disputed report waits.

    A final answer (``final``) moves the report to RESPONDED: the citizen is told after commit
    and has the reply window (a deadline setting) to react. An interim reply leaves the report
    with the agency (a report just handed over is taken up by it, as acknowledging does) and
    its deadline running; the citizen is told too. Only final answers count as answers in the
    recaps.

    Files are cleaned like the citizen's (images re-encoded without EXIF); files written before
    a failure are removed again.

    :raises ValidationError: for a text too short or too long, or a refused file.
    :raises ActionError: (a conflict) when the report is not held by this agency waiting for an
        answer, or changed since ``expected_version``.
    """
    errors: dict[str, list[str]] = {}
    _check_text(errors, "text", text, ANSWER_MIN_LENGTH, DESCRIPTION_MAX_LENGTH)
    cleaned = _clean_attachments(errors, attachments)
    if errors:
        raise ValidationError(errors)

    def decide(complaint: Complaint) -> workflow.Decision:
        if final:
            return workflow.Decision(
                workflow.staff_transition(workflow.StaffAction.ANSWER, agency=agency)
            )
        return workflow.Decision(workflow.interim_transition(complaint, agency=agency))

    written: list[str] = []
    try:
        with workflow.transition(
            decide,
            complaint_id=complaint_id,
            agency=agency,
            actor=actor,
            now=now,
            expected_version=expected_version,
        ) as change:
            complaint = change.complaint
            response = Response(
                complaint=complaint,
                agency=agency,
                author=actor,
                text=text.strip(),
                created_at=now,
                is_final=final,
            )
            if final and not complaint.responses.filter(agency=agency, is_final=True).exists():
                # The facts of the moment, for the recaps: the agency's first final answer,
                # when the report first reached it, and the completion deadline from then.
                response.is_first = True
                response.reached_at, response.due_first = workflow.answer_facts(complaint, agency)
            response.save()
            first = (complaint.attachments.aggregate(m=Max("position"))["m"] or 0) + 1
            for position, (original_name, clean) in enumerate(cleaned, start=first):
                written.append(
                    _save_attachment(complaint, clean, original_name, position, now, response)
                )
            change.data.update({"response_id": response.pk, "attachments": len(cleaned)})
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return response


def set_inspection_deadline(
    *,
    complaint_id: int,
    agency: Agency,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """The OPD holding a complaint says its handling needs an inspection (berkadar
    pengawasan): the complaint takes the long completion deadline (a deadline setting, 60
    working days by Permenpan RB 62/2018) counted from the hand-over, and the citizen reads
    why. Once per complaint.

    :raises ActionError: for an empty reason, a report that is not a complaint or has the
        deadline already, or (a conflict) one not held by this agency or changed since
        ``expected_version``.
    """
    reason = _check_reason(reason, _("Say why this complaint needs an inspection."))
    with workflow.transition(
        workflow.SET_INSPECTION,
        complaint_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        expected_version=expected_version,
        data={"reason": reason},
    ) as change:
        change.complaint.needs_inspection = True
        change.updated_fields.append("needs_inspection")
    return change.complaint


def extend_deadline(
    *,
    complaint_id: int,
    agency: Agency,
    reason: str,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """The OPD handling an information request extends its deadline once (UU 14/2008, article
    22: by 7 working days, a deadline setting), with the reason the citizen reads.

    :raises ActionError: for an empty reason, a report that is not an information request or
        was extended already, or (a conflict) one not in process at this agency or changed
        since ``expected_version``.
    """
    reason = _check_reason(reason, _("Say why the request needs more time."))
    with workflow.transition(
        workflow.EXTEND,
        complaint_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        expected_version=expected_version,
        data={"reason": reason},
    ) as change:
        change.complaint.deadline_extended = True
        change.updated_fields.append("deadline_extended")
    return change.complaint


def add_internal_note(
    *, complaint_id: int, agency: Agency, text: str, actor: User | None, now: dt.datetime
) -> ComplaintEvent:
    """A note for staff on a report's timeline, never shown to the citizen. It changes nothing
    else, so it needs no version: two notes at once are both kept.

    :raises ValidationError: for an empty or too long note.
    """
    if not text.strip() or len(text) > NOTE_MAX_LENGTH or has_forbidden_characters(text):
        raise ValidationError(
            {"text": [_("Write a note of at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}]}
        )
    with workflow.transition(
        workflow.NOTE,
        complaint_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        data={"text": text.strip()},
    ) as change:
        pass
    assert change.event is not None
    return change.event


def raise_privacy(
    *,
    complaint_id: int,
    coordinator: Agency,
    make_anonymous: bool,
    make_confidential: bool,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """A coordinator makes a report anonymous and/or confidential. Only ever more private:
    nothing here makes a report less so. A report with duplicates merged into it is not made
    confidential: their reporters read its answers, and their public pages show them (the rule
    of ``workflow.merge_problem``); they are taken out first.

    :raises ActionError: when nothing would change, when it would make confidential a report
        that has duplicates, or (a conflict) the report changed since ``expected_version``.
    """
    with workflow.transition(
        workflow.RAISE_PRIVACY,
        complaint_id=complaint_id,
        agency=coordinator,
        actor=actor,
        now=now,
        expected_version=expected_version,
    ) as change:
        complaint = change.complaint
        if make_anonymous and not complaint.is_anonymous:
            complaint.is_anonymous = True
            change.updated_fields.append("is_anonymous")
        if make_confidential and not complaint.is_confidential:
            # Under the report's lock, which ``merge`` takes too: no duplicate slips in.
            if complaint.duplicates.exists():
                raise ActionError(
                    _(
                        "Reports are merged into this one: their reporters read its answers. "
                        "Take them out first, then make this report confidential."
                    )
                )
            complaint.is_confidential = True
            change.updated_fields.append("is_confidential")
        if not change.updated_fields:
            raise ActionError(_("Choose what to make more private; it is already so."))
        change.data["made"] = list(change.updated_fields)
    return change.complaint


def reveal_reporter(*, complaint_id: int, actor: User, reason: str, now: dt.datetime) -> Reporter:
    """Open an anonymous reporter's identity, for a national administrator with the permission
    to (a legal request, a threat to someone). The reveal is an event on the report, with who
    and why; the identity itself is never written to the log.

    :raises ValidationError: for an empty reason.
    :raises ActionError: (a conflict) unless the report is anonymous and ``actor`` is a
        national officer with the permission.
    """
    if not reason.strip() or len(reason) > NOTE_MAX_LENGTH or has_forbidden_characters(reason):
        raise ValidationError({"reason": [_("Say why the identity must be revealed.")]})
    with workflow.transition(
        workflow.REVEAL,
        complaint_id=complaint_id,
        agency=routing_selectors.staff_agency(actor),
        actor=actor,
        now=now,
        data={"reason": reason.strip()},
    ) as change:
        reporter = Reporter.objects.get(complaint=change.complaint)
    logger.warning("reporter identity of report %s revealed by user %s", complaint_id, actor.pk)
    return reporter


def _check_reason(reason: str, empty_message: str) -> str:
    """:raises ActionError: for an empty or too long reason."""
    if not reason.strip():
        raise ActionError(empty_message)
    if len(reason) > REASON_MAX_LENGTH or has_forbidden_characters(reason):
        raise ActionError(
            _("Please write at most %(max)d characters, without control characters.")
            % {"max": REASON_MAX_LENGTH}
        )
    return reason.strip()


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

    :raises ActionError: when the report is not in this coordinator's queue or changed since
        ``expected_version`` (conflicts), the agency is not below it or not active, or the
        agency returned the report before.
    """
    t = workflow.staff_transition(workflow.StaffAction.DISPOSE, agency=coordinator, to=to_agency)
    with workflow.transition(
        t,
        complaint_id=complaint_id,
        agency=coordinator,
        actor=actor,
        to=to_agency,
        now=now,
        expected_version=expected_version,
    ) as change:
        transfers = TransferRequest.objects.filter(complaint=change.complaint)
        if transfers.filter(from_agency=to_agency).exists() and not allow_returned:
            raise ActionError(
                _(
                    "This agency already returned the report as not its authority; confirm to send it there again."
                )
            )
        open_transfers = transfers.filter(decided_at__isnull=True)
        decided = list(open_transfers.values_list("pk", flat=True))
        open_transfers.update(decided_at=now)
        if decided:
            change.data["transfers_decided"] = decided
    assert change.disposition is not None
    return change.disposition


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

    :raises ActionError: when the report is not held by this agency or changed since
        ``expected_version`` (conflicts), or the reason is empty or too long.
    """
    reason = _check_reason(reason, _("Say why this report is not your authority."))
    with workflow.transition(
        workflow.REQUEST_TRANSFER,
        complaint_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        expected_version=expected_version,
        data={"returned_by": agency.name},
    ) as change:
        transfer = TransferRequest.objects.create(
            complaint=change.complaint,
            from_agency=agency,
            reason=reason,
            suggested_agency=suggested_agency,
            requested_by=actor,
            created_at=now,
        )
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

    :raises ActionError: when the report is not in this coordinator's queue or changed since
        ``expected_version``, or there is no level above (conflicts), or the reason is empty.
    """
    reason = _check_reason(reason, _("Say why this report goes up a level."))
    with workflow.transition(
        workflow.PASS_UP,
        complaint_id=complaint_id,
        agency=coordinator,
        actor=actor,
        now=now,
        expected_version=expected_version,
        data={"reason": reason},
    ) as change:
        pass
    assert change.disposition is not None
    return change.disposition


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
    out of scope); the reason is on the citizen's timeline. Open transfer requests are closed.

    :raises ActionError: when the report is not in this coordinator's queue or changed since
        ``expected_version`` (conflicts), or the reason is empty.
    """
    reason = _check_reason(reason, _("Say why this report is archived; the citizen will read it."))
    with workflow.transition(
        workflow.ARCHIVE,
        complaint_id=complaint_id,
        agency=coordinator,
        actor=actor,
        now=now,
        expected_version=expected_version,
        data={"reason": reason},
    ) as change:
        TransferRequest.objects.filter(complaint=change.complaint, decided_at__isnull=True).update(
            decided_at=now
        )
    return change.complaint


# --- the citizen's side of an answer, through the private link ---------------------------------

REPLY_MAX_LENGTH = NOTE_MAX_LENGTH


def _latest_answer(complaint: Complaint) -> Response:
    """:raises ActionError: (a conflict) for a report without an answer."""
    response = complaint.responses.filter(is_final=True).order_by("-created_at", "-pk").first()
    if response is None:  # a RESPONDED report always has an answer; the database does not say so
        raise ActionError(_("This report has no answer yet."), conflict=True)
    return response


def _check_citizen_text(text: str, field: str, empty: str) -> str:
    if not text.strip():
        raise ValidationError({field: [empty]})
    if len(text) > REPLY_MAX_LENGTH or has_forbidden_characters(text):
        raise ValidationError(
            {
                field: [
                    _("Please write at most %(max)d characters, without control characters.")
                    % {"max": REPLY_MAX_LENGTH}
                ]
            }
        )
    return text.strip()


def reply_to_answer(*, complaint_id: int, text: str, now: dt.datetime) -> ComplaintEvent:
    """The citizen answers the agency's answer (a question, missing facts): the report goes
    back to the agency that answered (IN_PROGRESS), with a first-follow-up deadline, so the
    clock runs against the agency again and not against the citizen's reply window.

    :raises ValidationError: for an empty or too long text.
    :raises ActionError: (a conflict) unless the report is answered and waiting for the citizen.
    """
    text = _check_citizen_text(text, "text", _("Write your reply."))
    with workflow.transition(
        workflow.REPLY, complaint_id=complaint_id, now=now, data={"text": text}
    ) as change:
        change.data["response_id"] = _latest_answer(change.complaint).pk
    assert change.event is not None
    return change.event


def add_information(*, complaint_id: int, text: str, now: dt.datetime) -> ComplaintEvent:
    """The reporter writes again about a report that is not waiting for them (it is being
    routed, verified or handled): the words join its history for whoever holds it
    (``workflow.ADD_INFORMATION``). An answered report takes ``reply_to_answer`` instead.

    :raises ValidationError: for an empty or too long text.
    :raises ActionError: (a conflict) when the report is answered or closed.
    """
    text = _check_citizen_text(text, "text", _("Write your reply."))
    with workflow.transition(
        workflow.ADD_INFORMATION, complaint_id=complaint_id, now=now, data={"text": text}
    ) as change:
        pass
    assert change.event is not None
    return change.event


def give_details(
    *, complaint_id: int, category: Category, region: Region, now: dt.datetime
) -> Complaint:
    """The reporter of a report by e-mail gives the category and the place its message did
    not say, while it waits in the national coordinator's queue: the report is routed from
    there by the rules (``workflow.GIVE_DETAILS``).

    :raises ValidationError: for an inactive category or a region that is not a regency/city
        or a district.
    :raises ActionError: (a conflict) when the report no longer waits for them.
    """
    return _fill_details(
        workflow.GIVE_DETAILS, complaint_id=complaint_id, category=category, region=region, now=now
    )


def set_details(
    *,
    complaint_id: int,
    coordinator: Agency,
    category: Category,
    region: Region,
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """The national coordinator gives the category and the place a report by e-mail did not
    say (read from its text), instead of its reporter: it is routed by the rules from there
    (``workflow.SET_DETAILS``).

    :raises ValidationError: for an inactive category or a region that is not a regency/city
        or a district.
    :raises ActionError: (a conflict) when the report no longer waits for them.
    """
    return _fill_details(
        workflow.SET_DETAILS,
        complaint_id=complaint_id,
        category=category,
        region=region,
        now=now,
        agency=coordinator,
        actor=actor,
        expected_version=expected_version,
    )


def _fill_details(
    t: workflow.Transition,
    *,
    complaint_id: int,
    category: Category,
    region: Region,
    now: dt.datetime,
    agency: Agency | None = None,
    actor: User | None = None,
    expected_version: int | None = None,
) -> Complaint:
    errors: dict[str, list[str]] = {}
    _check_place(errors, category, region)
    if errors:
        raise ValidationError(errors)
    with workflow.transition(
        t,
        complaint_id=complaint_id,
        now=now,
        agency=agency,
        actor=actor,
        expected_version=expected_version,
        data={"category_id": category.pk, "region": region.code},
    ) as change:
        change.complaint.category = category
        change.complaint.region = region
        change.updated_fields += ["category", "region"]
    return change.complaint


def accept_answer(*, complaint_id: int, now: dt.datetime) -> Complaint:
    """The citizen accepts the answer: the report is completed.

    :raises ActionError: (a conflict) unless the report is answered and waiting for the citizen.
    """
    with workflow.transition(workflow.ACCEPT, complaint_id=complaint_id, now=now) as change:
        _latest_answer(change.complaint)
    return change.complaint


def dispute_answer(*, complaint_id: int, reason: str, now: dt.datetime) -> Dispute:
    """The citizen does not accept the answer: the report goes to the coordinator above the
    agency that answered (IN_PROGRESS in its queue, with a verification deadline), not back to
    the same desk, and the dispute is counted against that agency.

    :raises ActionError: for an empty or too long reason, or (a conflict) unless the report is
        answered and waiting for the citizen.
    """
    reason = _check_reason(reason, _("Say why the answer does not settle your report."))
    with workflow.transition(workflow.DISPUTE, complaint_id=complaint_id, now=now) as change:
        response = _latest_answer(change.complaint)
        dispute = Dispute.objects.create(
            complaint=change.complaint,
            response=response,
            agency_id=response.agency_id,
            reason=reason,
            created_at=now,
        )
        change.data.update({"reason": reason, "disputed_agency": response.agency.name})
    return dispute


def rate_answer(*, complaint_id: int, score: int, comment: str, now: dt.datetime) -> Rating:
    """The citizen rates how the latest answer handled their report, once per answer.

    :raises ValidationError: for a score outside 1 to 5 or a too long comment.
    :raises ActionError: (a conflict) when there is no answer, or this one was rated already.
    """
    if not 1 <= score <= 5:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    if len(comment) > NOTE_MAX_LENGTH or has_forbidden_characters(comment):
        raise ValidationError(
            {"comment": [_("Please write at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}]}
        )
    with workflow.transition(workflow.RATE, complaint_id=complaint_id, now=now) as change:
        response = (
            change.complaint.responses.filter(is_final=True).order_by("-created_at", "-pk").first()
        )
        if response is None:
            raise ActionError(_("This report has no answer to rate yet."), conflict=True)
        if Rating.objects.filter(response=response).exists():
            raise ActionError(_("You have already rated this answer."), conflict=True)
        rating = Rating.objects.create(
            complaint=change.complaint,
            response=response,
            agency_id=response.agency_id,
            score=score,
            comment=comment.strip(),
            created_at=now,
        )
        change.data.update({"score": score, "response_id": response.pk})
    return rating


# --- support (dukungan) of a public report -----------------------------------------------------


def support_complaint(
    *, complaint_id: int, address: str, browser: str = "", now: dt.datetime
) -> bool:
    """A visitor supports a public report: once per address (``address``: the client address
    keyed with SECRET_KEY, see ``lapor.client.address_digest``) and once per browser
    (``browser``: a hash of the browser's random cookie; empty through the API). Returns
    whether this support is new; one that matches an earlier support by either is not.

    A duplicate's supporters support the original it is merged into.

    :raises ActionError: for a report that is not public (confidential or archived).
    """
    # A duplicate's supporters support its original (read first, so that no two reports are
    # ever locked in another order than ``workflow.merge``'s).
    original_id = (
        Complaint.objects.filter(pk=complaint_id).values_list("duplicate_of_id", flat=True).first()
    )
    with transaction.atomic():
        complaint = workflow.lock(original_id or complaint_id)
        if not complaint.is_public:
            raise ActionError(_("This report cannot be supported."))
        same = Q(address=address) | (Q(browser=browser) if browser else Q(pk__in=[]))
        if Support.objects.filter(same, complaint=complaint).exists():
            return False
        Support.objects.create(
            complaint=complaint, address=address, browser=browser, created_at=now
        )
        Complaint.objects.filter(pk=complaint.pk).update(support_count=F("support_count") + 1)
        return True


# --- the private link, e-mailed again ---------------------------------------------------------
#
# The private link is the reporter's only key to their report, and only its hash is kept: a
# link once lost cannot be shown again, only replaced. Neither service writes an event: a new
# key is not a step in the handling of the report (the event log, which staff and the recaps
# read), and the outbox row of the e-mail records when it happened, without the address.


def same_phone(given: str, stored: str) -> bool:
    """Whether two Indonesian phone numbers are one number, however written (0812…, +62812…
    and 62812… are the same)."""
    if not given or not stored:
        return False
    first, second = parse_phone(given), parse_phone(stored)
    return bool(first.valid and second.valid and first.e164 == second.e164)


def _queue_private_link(
    complaint: Complaint, *, access_key: str, now: dt.datetime, renewed: bool, address: str = ""
) -> Message:
    """Queue the e-mail with the private link of ``access_key``; the key, and an ``address``
    that is not the reporter's kept one, travel sealed in the row and are erased once it is
    sent."""
    payload = {"key": access_key, **({"to": address} if address else {})}
    return outbox.enqueue(
        Message.Kind.PRIVATE_LINK,
        f"private_link:{complaint.pk}:{secrets.token_hex(8)}",
        now=now,
        secret=json.dumps(payload),
        complaint=complaint,
        data={"renewed": renewed},
    )


def resend_private_link(
    *, complaint_id: int, email: str = "", phone: str = "", now: dt.datetime
) -> bool:
    """Someone who lost the private link asks for a new one with the e-mail address (compared
    without regard to case) or the phone number (in any Indonesian form) given with the report.
    When it matches the reporter's, and the reporter has an e-mail address, the report gets a
    new access key, at once (the old link opens nothing from this commit on), and the new link
    is queued to the reporter's address in the same transaction, so that neither happens
    without the other. Links still waiting in the outbox (an unsent receipt, an earlier new
    link) are erased: they would open nothing. Returns whether a new link was queued.

    A reporter told by phone (``notifications.reporter_channel``: they filed by SMS or
    WhatsApp, or gave only a phone number, and that channel is on) gets the new link there.
    Without either, the reporter keeps the link they have. The caller answers the same
    whatever this returns, so that the page tells no one whose report it is.
    """
    given_email = email.strip().casefold()
    with transaction.atomic():
        complaint = workflow.lock(complaint_id)
        reporter = Reporter.objects.filter(complaint=complaint).first()
        if reporter is None:
            return False
        complaint.reporter = reporter
        way = notifications.reporter_channel(complaint)
        if not way:
            return False
        by_email = bool(given_email) and given_email == reporter.email.strip().casefold()
        if not (by_email or same_phone(phone, reporter.phone)):
            return False
        access_key = new_access_key()
        complaint.access_key_hash = hash_access_key(access_key)
        complaint.save(update_fields=["access_key_hash"])
        Message.objects.pending().filter(
            complaint=complaint,
            kind__in=[
                Message.Kind.RECEIPT,
                Message.Kind.PRIVATE_LINK,
                Message.Kind.PHONE_RECEIPT,
            ],
        ).exclude(secret="").update(secret="")
        if way in notifications.PHONE_BACKEND_SETTINGS:
            outbox.enqueue(
                Message.Kind.PHONE_RECEIPT,
                f"phone-link:{complaint.pk}:{complaint.access_key_hash[:16]}",
                now=now,
                secret=access_key,
                complaint=complaint,
                data={"channel": way, "renewed": True},
            )
        else:
            _queue_private_link(complaint, access_key=access_key, now=now, renewed=True)
    return True


def email_private_link(
    *, complaint_id: int, access_key: str, email: str, keep: bool, now: dt.datetime
) -> bool:
    """From the receipt, a reporter who gave no e-mail address has the private link (the one
    they hold, ``access_key``) sent to ``email``. Returns whether the address was kept.

    A reporter who is not anonymous has it kept as theirs, as if it had been given on the form:
    updates come to it, a lost link can be sent to it, and the agency sees it beside the name
    it already sees. An anonymous reporter's address is kept only when they ask (``keep``; no
    agency sees it either way); otherwise it travels sealed in the message and is erased once
    the e-mail is sent, and the portal keeps no way to reach them.

    :raises ValidationError: for an address that is not one.
    :raises ActionError: (a conflict) when the report has an e-mail address already.
    :raises Complaint.DoesNotExist: when ``access_key`` no longer opens the report.
    """
    address = email.strip()
    try:
        if len(address) > 254:
            raise ValidationError("too long")
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    with transaction.atomic():
        complaint = workflow.lock(complaint_id)
        if not complaint.access_key_matches(access_key):
            raise Complaint.DoesNotExist
        reporter, _created = Reporter.objects.select_for_update().get_or_create(complaint=complaint)
        if reporter.email:
            raise ActionError(
                _("This report has an e-mail address already: the private link was sent there."),
                conflict=True,
            )
        kept = keep or not complaint.is_anonymous
        if kept:
            reporter.email = address
            reporter.save(update_fields=["email"])
        _queue_private_link(
            complaint,
            access_key=access_key,
            now=now,
            renewed=False,
            address="" if kept else address,
        )
    return kept


# --- optional citizen accounts ------------------------------------------------------------------


def claim_complaint(*, complaint_id: int, user: User) -> Complaint:
    """Add a report filed without an account to a citizen's "my reports" (the caller has
    proved it holds the private link).

    :raises ActionError: when another account holds it already.
    """
    with transaction.atomic():
        complaint = workflow.lock(complaint_id)
        if complaint.owner_id not in (None, user.pk):
            raise ActionError(_("This report belongs to another account."), conflict=True)
        if complaint.owner_id is None:
            complaint.owner = user
            complaint.save(update_fields=["owner"])
        return complaint


def awaiting_confirmation(user: User) -> bool:
    """A citizen account registered but never confirmed: inactive, without a password, never
    logged in, not staff. Only such an account is activated by a link; one an administrator
    deactivated has a password and is not."""
    return (
        not user.is_active
        and not user.has_usable_password()
        and user.last_login is None
        and not user.is_staff
        and not Officer.objects.filter(user=user).exists()
    )


def request_registration(*, email: str) -> None:
    """Someone asks for a citizen account for ``email``. The asker always gets the same answer
    ("check your e-mail"), so that the form tells nobody which addresses have accounts; what is
    sent depends on the address:

    - a new address: an inactive account without a password, and the link that confirms the
      address and lets its holder choose the password;
    - an address registered but never confirmed: that link again. Since only whoever opens it
      chooses the password, registering someone else's address gives no way into the account;
    - an address with an active account: an e-mail saying so, with the way to reset the
      password;
    - a deactivated or staff account: nothing.

    The e-mails are outbox rows, published after commit.
    """
    address = email.strip().lower()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username__iexact=address).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        username=address, email=address, password=None, is_active=False
                    )
            except IntegrityError:  # the same address registered at the same moment
                return
            queue_account_email(Message.Kind.ACTIVATION, user, now=timezone.now())
        elif awaiting_confirmation(user):
            queue_account_email(Message.Kind.ACTIVATION, user, now=timezone.now())
        elif user.is_active and not user.is_staff:
            queue_account_email(Message.Kind.ACCOUNT_EXISTS, user, now=timezone.now())


# One e-mail of each kind per account in this many seconds, however often the form is sent.
ACCOUNT_EMAIL_WINDOW = 600


def queue_account_email(kind: str, user: User, *, now: dt.datetime) -> None:
    """Queue an account e-mail (activation, account exists, password reset) in the caller's
    transaction: at most one of each kind per account in ``ACCOUNT_EMAIL_WINDOW``, so that a
    form sent over and over does not flood the address."""
    window = int(now.timestamp()) // ACCOUNT_EMAIL_WINDOW
    outbox.enqueue(kind, f"{kind}:{user.pk}:{window}", now=now, user=user)


def activate_citizen(*, user: User, password: str) -> User:
    """Confirm a citizen's address and set the password chosen by whoever opened the link;
    the account can log in from now on. The form has checked the password.

    :raises User.DoesNotExist: when the account is not awaiting confirmation (active already,
        deactivated by an administrator, or staff).
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not awaiting_confirmation(user):
            raise User.DoesNotExist
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        return user


def merge_duplicate(
    *,
    complaint_id: int,
    original_tracking_number: str,
    agency: Agency,
    reason: str,
    actor: User,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """Merge a report into an open report of the same problem, named by its tracking number
    (``workflow.merge``): the holder of the report, or a coordinator that sees it, does it.
    The original must be one this officer may see in the dashboard (``visible_to``: a report
    their agency handles or handled, a coordinator's subtree's): any other number is unknown to
    them, so that no agency drops a report of its own into another agency's unrelated report.

    :raises ActionError: when the original is unknown or cannot take it, or the report cannot
        be merged now (a conflict when it moved on).
    """
    reason = _check_reason(reason, _("Say why these reports are the same problem."))
    canonical = normalize_tracking_number(original_tracking_number)
    original = Complaint.objects.filter(tracking_number=canonical).first() if canonical else None
    if (
        original is not None
        and not Complaint.objects.visible_to(actor).filter(pk=original.pk).exists()
    ):
        original = None
    change = workflow.merge(
        duplicate_id=complaint_id,
        original_id=original.pk if original is not None else None,
        agency=agency,
        actor=actor,
        now=now,
        reason=reason,
        expected_version=expected_version,
    )
    return change.complaint


def unmerge_duplicate(
    *,
    complaint_id: int,
    agency: Agency,
    reason: str,
    actor: User,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Complaint:
    """Take a duplicate out of its original (``workflow.unmerge``): it becomes a report of its
    own again, handed to the agency taking it out, with a deadline of its own.

    :raises ActionError: when it is not a duplicate, or not this agency's to take out.
    """
    reason = _check_reason(reason, _("Say why this report is not the same problem."))
    change = workflow.unmerge(
        duplicate_id=complaint_id,
        agency=agency,
        actor=actor,
        now=now,
        reason=reason,
        expected_version=expected_version,
    )
    return change.complaint
