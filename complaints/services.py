"""State changes of reports. Every one goes through a function here and writes an event."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lokal import parse_phone

from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Attachment,
    Complaint,
    ComplaintEvent,
    Reporter,
)
from lapor.lib.text import has_forbidden_characters
from lapor.lib.tracking import hash_access_key, new_access_key, new_tracking_number
from lapor.lib.uploads import CleanFile, UploadRejected, clean_upload
from routing import selectors as routing_selectors
from routing import services as routing_services
from routing.models import Category, DeadlineSetting, Region

logger = logging.getLogger(__name__)


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
            )
            Reporter.objects.create(
                complaint=complaint,
                name=reporter_name.strip(),
                email=reporter_email.strip(),
                phone=phone,
                ip_address=ip_address,
            )
            for position, (original_name, clean) in enumerate(cleaned, start=1):
                attachment = Attachment(
                    complaint=complaint,
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
                written.append(attachment.file.name)
                attachment.save()
            ComplaintEvent.objects.create(
                complaint=complaint,
                type=ComplaintEvent.Type.SUBMITTED,
                from_status="",
                to_status=Complaint.Status.SUBMITTED,
                created_at=now,
                data={"attachments": len(cleaned)},
            )
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


def _create_with_unique_tracking_number(**fields: object) -> Complaint:
    # 31^8 numbers make a clash rare, not impossible: the unique index decides, we draw again.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Complaint.objects.create(tracking_number=new_tracking_number(), **fields)
        except IntegrityError:
            logger.warning("tracking number clash, drawing again")
    raise RuntimeError("could not draw a free tracking number")
