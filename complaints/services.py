"""State changes of reports. Every one goes through a function here and writes an event."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from lokal import parse_phone

from complaints.models import (
    ANSWER_MIN_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Attachment,
    Complaint,
    ComplaintEvent,
    Notification,
    Rating,
    Reporter,
    Response,
    Support,
)
from complaints.notifications import queue_reporter_notification
from lapor.lib.actions import ActionError
from lapor.lib.text import has_forbidden_characters
from lapor.lib.tracking import hash_access_key, new_access_key, new_tracking_number
from lapor.lib.uploads import CleanFile, UploadRejected, clean_upload
from routing import selectors as routing_selectors
from routing import services as routing_services
from routing.models import Agency, Category, DeadlineSetting, Disposition, Region

logger = logging.getLogger(__name__)

Status = Complaint.Status


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    @property
    def file(self) -> IO[bytes]: ...


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
    errors: dict[str, list[str]], attachments: Sequence[UploadedFileLike]
) -> list[tuple[str, CleanFile]]:
    if len(attachments) > settings.LAPOR_MAX_ATTACHMENTS:
        errors.setdefault("attachments", []).append(
            _("At most %(max)d files can be attached.") % {"max": settings.LAPOR_MAX_ATTACHMENTS}
        )
        return []
    cleaned: list[tuple[str, CleanFile]] = []
    for upload in attachments:
        name = (upload.name or "").rsplit("/", 1)[-1][:150]
        try:
            cleaned.append(
                (
                    name,
                    clean_upload(
                        name,
                        upload.file,
                        upload.size or 0,
                        max_bytes=settings.LAPOR_MAX_ATTACHMENT_BYTES,
                        max_pixels=settings.LAPOR_MAX_IMAGE_PIXELS,
                    ),
                )
            )
        except UploadRejected as exc:
            errors.setdefault("attachments", []).append(str(exc.message))
    return cleaned


def submit_complaint(
    *,
    kind: str,
    title: str,
    description: str,
    category: Category,
    region: Region,
    incident_date: dt.date,
    is_anonymous: bool,
    is_confidential: bool,
    reporter_name: str = "",
    reporter_email: str = "",
    reporter_phone: str = "",
    attachments: Sequence[UploadedFileLike] = (),
    ip_address: str | None = None,
    language: str = "id",
    owner: User | None = None,
    now: dt.datetime,
) -> SubmissionReceipt:
    """File a citizen's report: the report, its reporter, its attachments, its first event and
    its first routing step (an outbox row), in one transaction. The routing step is published
    and the receipt e-mail (when an address was given) sent after commit.

    Everything is checked before anything is written; files written before a failure are
    removed again, so a refused or failed submission leaves nothing behind.

    :raises ValidationError: with a message per field (``title``, ``region``, ``attachments``…).
    """
    errors: dict[str, list[str]] = {}
    if kind not in Complaint.Kind.values:
        errors["kind"] = [_("Choose the kind of report.")]
    _check_text(errors, "title", title, TITLE_MIN_LENGTH, TITLE_MAX_LENGTH)
    _check_text(errors, "description", description, DESCRIPTION_MIN_LENGTH, DESCRIPTION_MAX_LENGTH)
    if not category.is_active:
        errors["category"] = [_("This category is no longer in use.")]
    if region.level not in (Region.Level.REGENCY, Region.Level.DISTRICT):
        errors["region"] = [_("Choose a regency/city, and a district if you know it.")]
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
    cleaned = _clean_attachments(errors, attachments)
    if errors:
        raise ValidationError(errors)

    access_key = new_access_key()
    written: list[str] = []
    try:
        with transaction.atomic():
            complaint = _create_with_unique_tracking_number(
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
                status=Complaint.Status.SUBMITTED,
                submitted_at=now,
                due_at=routing_selectors.due_at(
                    start=now, step=DeadlineSetting.Step.VERIFICATION, kind=kind
                ),
                moved_at=now,
                owner=owner,
            )
            Reporter.objects.create(
                complaint=complaint,
                name=reporter_name.strip(),
                email=reporter_email.strip(),
                phone=phone,
                ip_address=ip_address,
            )
            for position, (original_name, clean) in enumerate(cleaned, start=1):
                written.append(_save_attachment(complaint, clean, original_name, position, now))
            submitted = ComplaintEvent.objects.record(
                complaint,
                type=ComplaintEvent.Type.SUBMITTED,
                created_at=now,
                data={"attachments": len(cleaned)},
            )
            if reporter_email.strip():
                # The receipt, sent once; if its message is lost, beat sends the tracking number
                # without the private link (whose key exists only in that message).
                Notification.objects.create(event=submitted, created_at=now)
            routing_services.enqueue_routing(complaint=complaint, now=now)
            if reporter_email.strip():
                from complaints.tasks import send_receipt_email_task

                complaint_id = complaint.pk
                # robust: a broker that is down must not turn a saved report into an error page.
                transaction.on_commit(
                    lambda: send_receipt_email_task.delay(
                        complaint_id=complaint_id, access_key=access_key
                    ),
                    robust=True,
                )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return SubmissionReceipt(complaint=complaint, access_key=access_key)


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
    try:
        attachment.save()
    except BaseException:
        default_storage.delete(attachment.file.name)
        raise
    return attachment.file.name


def _create_with_unique_tracking_number(**fields: object) -> Complaint:
    # 31^8 numbers make a clash rare, not impossible: the unique index decides, we draw again.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Complaint.objects.create(tracking_number=new_tracking_number(), **fields)
        except IntegrityError:
            logger.warning("tracking number clash, drawing again")
    raise RuntimeError("could not draw a free tracking number")


# --- staff actions on a report ------------------------------------------------------------------
#
# Each locks the report, checks that it is still where the acting agency believes it is (and,
# with ``expected_version``, that nobody changed it since the officer's page was drawn), changes
# it, and writes one event. Who may try which action is decided in ``complaints.selectors``.


def _lock(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).get(pk=complaint_id)


def _lock_held(
    complaint_id: int, agency: Agency, statuses: Sequence[str], expected_version: int | None
) -> Complaint:
    complaint = _lock(complaint_id)
    if complaint.current_agency_id != agency.pk or complaint.status not in statuses:
        raise ActionError(
            _("This report is no longer waiting for this action from your agency."),
            conflict=True,
        )
    complaint.check_version(expected_version)
    return complaint


def _event(
    complaint: Complaint,
    *,
    type: str,
    actor: User | None,
    now: dt.datetime,
    agency: Agency | None = None,
    is_public: bool = True,
    data: dict[str, object] | None = None,
) -> ComplaintEvent:
    agency_data = {"agency_id": agency.pk, "agency_name": agency.name} if agency else {}
    event = ComplaintEvent.objects.record(
        complaint,
        type=type,
        actor=actor,
        is_public=is_public,
        created_at=now,
        data={**agency_data, **(data or {})},
    )
    queue_reporter_notification(event)
    return event


def _change_status(
    complaint: Complaint,
    *,
    status: str,
    due_at: dt.datetime,
    event_type: str,
    actor: User | None,
    now: dt.datetime,
    agency: Agency,
    data: dict[str, object] | None = None,
) -> None:
    """Move a locked report to ``status`` with its new deadline, and write the event."""
    complaint.status = status
    complaint.due_at = due_at
    complaint.version += 1
    complaint.save(update_fields=["status", "due_at", "version"])
    _event(
        complaint,
        type=event_type,
        actor=actor,
        now=now,
        agency=agency,
        data=data,
    )


def _completion_due_at(complaint: Complaint) -> dt.datetime:
    """The completion deadline, counted from the hand-over to the agency that holds it."""
    start = (
        Disposition.objects.filter(complaint=complaint, sequence=complaint.routing_step)
        .values_list("created_at", flat=True)
        .first()
    ) or complaint.submitted_at
    step = (
        DeadlineSetting.Step.COMPLETION_INSPECTION
        if complaint.needs_inspection
        else DeadlineSetting.Step.COMPLETION
    )
    return routing_selectors.due_at(start=start, step=step, kind=complaint.kind)


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
    with transaction.atomic():
        complaint = _lock_held(complaint_id, agency, [Status.DISPOSED], expected_version)
        _change_status(
            complaint,
            status=Status.IN_PROGRESS,
            due_at=_completion_due_at(complaint),
            event_type=ComplaintEvent.Type.ACKNOWLEDGED,
            actor=actor,
            now=now,
            agency=agency,
        )
        return complaint


def respond_to_complaint(
    *,
    complaint_id: int,
    agency: Agency,
    text: str,
    attachments: Sequence[UploadedFileLike] = (),
    actor: User | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Response:
    """The agency holding a report answers it (→ RESPONDED) with a text and files; the citizen
    is told after commit and has the reply window (a deadline setting) to react.

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
    written: list[str] = []
    try:
        with transaction.atomic():
            complaint = _lock_held(
                complaint_id, agency, [Status.DISPOSED, Status.IN_PROGRESS], expected_version
            )
            handed_at = (
                Disposition.objects.filter(
                    complaint=complaint, to_agency=agency, created_at__lte=now
                )
                .order_by("-created_at", "-sequence")
                .values_list("created_at", flat=True)
                .first()
            )
            response = Response.objects.create(
                complaint=complaint,
                agency=agency,
                author=actor,
                text=text.strip(),
                created_at=now,
                is_first=not complaint.responses.exists(),
                handed_at=handed_at or complaint.submitted_at,
                due_at_before=complaint.due_at,
            )
            first = (complaint.attachments.aggregate(m=Max("position"))["m"] or 0) + 1
            for position, (original_name, clean) in enumerate(cleaned, start=first):
                written.append(
                    _save_attachment(complaint, clean, original_name, position, now, response)
                )
            _change_status(
                complaint,
                status=Status.RESPONDED,
                due_at=routing_selectors.due_at(
                    start=now, step=DeadlineSetting.Step.CITIZEN_REPLY, kind=complaint.kind
                ),
                event_type=ComplaintEvent.Type.RESPONDED,
                actor=actor,
                now=now,
                agency=agency,
                data={"response_id": response.pk, "attachments": len(cleaned)},
            )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return response


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
    with transaction.atomic():
        complaint = _lock(complaint_id)
        return _event(
            complaint,
            type=ComplaintEvent.Type.NOTE,
            actor=actor,
            now=now,
            agency=agency,
            is_public=False,
            data={"text": text.strip()},
        )


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
    nothing here makes a report less so.

    :raises ActionError: when nothing would change, or (a conflict) the report changed since
        ``expected_version``.
    """
    with transaction.atomic():
        complaint = _lock(complaint_id)
        complaint.check_version(expected_version)
        changed = []
        if make_anonymous and not complaint.is_anonymous:
            complaint.is_anonymous = True
            changed.append("is_anonymous")
        if make_confidential and not complaint.is_confidential:
            complaint.is_confidential = True
            changed.append("is_confidential")
        if not changed:
            raise ActionError(_("Choose what to make more private; it is already so."))
        complaint.version += 1
        complaint.save(update_fields=[*changed, "version"])
        _event(
            complaint,
            type=ComplaintEvent.Type.PRIVACY_RAISED,
            actor=actor,
            now=now,
            agency=coordinator,
            is_public=False,
            data={"made": changed},
        )
        return complaint


def reveal_reporter(*, complaint_id: int, actor: User, reason: str, now: dt.datetime) -> Reporter:
    """Open an anonymous reporter's identity, for a national administrator with the permission
    to (a legal request, a threat to someone). The reveal is an event on the report, with who
    and why; the identity itself is never written to the log.

    Who may call this is decided by ``complaints.selectors.staff_actions``.

    :raises ValidationError: for an empty reason.
    """
    if not reason.strip() or len(reason) > NOTE_MAX_LENGTH or has_forbidden_characters(reason):
        raise ValidationError({"reason": [_("Say why the identity must be revealed.")]})
    with transaction.atomic():
        complaint = _lock(complaint_id)
        _event(
            complaint,
            type=ComplaintEvent.Type.IDENTITY_REVEALED,
            actor=actor,
            now=now,
            is_public=False,
            data={"reason": reason.strip()},
        )
        logger.warning("reporter identity of report %s revealed by user %s", complaint.pk, actor.pk)
        return Reporter.objects.get(complaint=complaint)


# --- the citizen's side of an answer, through the private link ---------------------------------

REPLY_MAX_LENGTH = NOTE_MAX_LENGTH


def _lock_answered(complaint_id: int) -> tuple[Complaint, Response]:
    complaint = _lock(complaint_id)
    if complaint.status != Status.RESPONDED:
        raise ActionError(
            _("This report is not waiting for your reaction to an answer."), conflict=True
        )
    response = complaint.responses.order_by("-created_at", "-pk").first()
    if response is None:  # a RESPONDED report always has an answer; the database does not say so
        raise ActionError(_("This report has no answer yet."), conflict=True)
    return complaint, response


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
    with transaction.atomic():
        complaint, response = _lock_answered(complaint_id)
        agency = response.agency
        _change_status(
            complaint,
            status=Status.IN_PROGRESS,
            due_at=routing_selectors.due_at(
                start=now, step=DeadlineSetting.Step.FIRST_RESPONSE, kind=complaint.kind
            ),
            event_type=ComplaintEvent.Type.CITIZEN_REPLIED,
            actor=None,
            now=now,
            agency=agency,
            data={"text": text, "response_id": response.pk},
        )
        routing_services.notify_holder(complaint)
        return complaint.events.order_by("-pk").first()  # type: ignore[return-value]


def accept_answer(*, complaint_id: int, now: dt.datetime) -> Complaint:
    """The citizen accepts the answer: the report is completed.

    :raises ActionError: (a conflict) unless the report is answered and waiting for the citizen.
    """
    with transaction.atomic():
        complaint, response = _lock_answered(complaint_id)
        _complete(complaint, ComplaintEvent.Type.COMPLETED, response.agency, now)
        return complaint


def _complete(complaint: Complaint, event_type: str, agency: Agency, now: dt.datetime) -> None:
    complaint.status = Status.COMPLETED
    complaint.version += 1
    complaint.save(update_fields=["status", "version"])
    _event(
        complaint,
        type=event_type,
        actor=None,
        now=now,
        agency=agency,
    )


def complete_unanswered(*, complaint_id: int, now: dt.datetime) -> bool:
    """Complete an answered report whose reply window (``due_at``) has passed without a word
    from the citizen. Idempotent: the report is locked and checked again.
    """
    with transaction.atomic():
        complaint = _lock(complaint_id)
        if (
            complaint.status != Status.RESPONDED
            or complaint.due_at is None
            or complaint.due_at >= now
        ):
            return False
        response = (
            complaint.responses.select_related("agency").order_by("-created_at", "-pk").first()
        )
        if response is None:
            return False
        _complete(complaint, ComplaintEvent.Type.AUTO_COMPLETED, response.agency, now)
        return True


def complete_unanswered_reports(*, now: dt.datetime, limit: int = 1000) -> int:
    """Complete every answered report whose reply window has passed; returns how many."""
    ids = list(
        Complaint.objects.filter(status=Status.RESPONDED, due_at__lt=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for complaint_id in ids if complete_unanswered(complaint_id=complaint_id, now=now))


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
    with transaction.atomic():
        complaint = _lock(complaint_id)
        response = complaint.responses.order_by("-created_at", "-pk").first()
        if response is None:
            raise ActionError(_("This report has no answer to rate yet."), conflict=True)
        if Rating.objects.filter(response=response).exists():
            raise ActionError(_("You have already rated this answer."), conflict=True)
        rating = Rating.objects.create(
            complaint=complaint,
            response=response,
            agency_id=response.agency_id,
            score=score,
            comment=comment.strip(),
            created_at=now,
        )
        _event(
            complaint,
            type=ComplaintEvent.Type.RATED,
            actor=None,
            now=now,
            data={"score": score, "response_id": response.pk},
        )
        return rating


# --- support (dukungan) of a public report -----------------------------------------------------


def support_complaint(*, complaint_id: int, supporter: str, now: dt.datetime) -> bool:
    """A visitor supports a public report, once per browser (``supporter``: a hash of the
    browser's random cookie). Returns whether this support is new.

    :raises ActionError: for a report that is not public (confidential or archived).
    """
    with transaction.atomic():
        complaint = _lock(complaint_id)
        if complaint.is_confidential or complaint.status == Status.ARCHIVED:
            raise ActionError(_("This report cannot be supported."))
        _support, created = Support.objects.get_or_create(
            complaint=complaint, supporter=supporter, defaults={"created_at": now}
        )
        if created:
            Complaint.objects.filter(pk=complaint.pk).update(support_count=F("support_count") + 1)
        return created


# --- optional citizen accounts ------------------------------------------------------------------


def claim_complaint(*, complaint_id: int, user: User) -> Complaint:
    """Add a report filed without an account to a citizen's "my reports" (the caller has
    proved it holds the private link).

    :raises ActionError: when another account holds it already.
    """
    with transaction.atomic():
        complaint = _lock(complaint_id)
        if complaint.owner_id not in (None, user.pk):
            raise ActionError(_("This report belongs to another account."), conflict=True)
        if complaint.owner_id is None:
            complaint.owner = user
            complaint.save(update_fields=["owner"])
        return complaint


def register_citizen(*, email: str, password: str) -> User:
    """Create a citizen account, inactive until the address is confirmed; the confirmation
    e-mail is sent after commit. The form has checked the address and the password."""
    with transaction.atomic():
        user = User.objects.create_user(
            username=email.lower(), email=email.lower(), password=password, is_active=False
        )
        from complaints.tasks import send_activation_email_task

        user_id = user.pk
        transaction.on_commit(
            lambda: send_activation_email_task.delay(user_id=user_id), robust=True
        )
        return user


def activate_citizen(*, user_id: int) -> User:
    """Confirm a citizen's address: the account can log in from now on.

    :raises User.DoesNotExist: for an unknown account, or a staff account (never activated
        by a citizen's link).
    """
    user = User.objects.get(pk=user_id, is_staff=False, officer__isnull=True)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user
