from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Attachment, Complaint, ComplaintEvent, Message, Reporter
from complaints.services import SubmissionReceipt
from complaints.tasks import send_message_task
from lapor import queue
from lapor.lib.tracking import TRACKING_NUMBER_RE
from routing.models import Region
from tests.files import exif_gps, files_in, jpeg_with_gps, pdf, png, png_bomb
from tests.helpers import NOW

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

Submit = Callable[..., SubmissionReceipt]
Published = Callable[[str], list[dict[str, Any]]]


@pytest.mark.django_db
class TestSubmitComplaint:
    def test_writes_report_reporter_event_and_deadline(self, submit: Submit) -> None:
        receipt = submit()
        complaint = Complaint.objects.get(pk=receipt.complaint.pk)
        assert TRACKING_NUMBER_RE.match(complaint.tracking_number)
        assert complaint.status == Complaint.Status.SUBMITTED
        assert complaint.submitted_at == NOW
        # Monday 30 Nov 2026 + 3 working days = Thursday 3 Dec, end of day in Jakarta.
        assert complaint.due_at == dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=NOW.tzinfo)
        event = complaint.events.get()
        assert (event.type, event.from_status, event.to_status) == (
            ComplaintEvent.Type.SUBMITTED,
            "",
            Complaint.Status.SUBMITTED,
        )
        assert event.is_public and event.actor is None
        reporter = Reporter.objects.get(complaint=complaint)
        assert (reporter.name, reporter.email, reporter.phone) == (
            "Siti Aminah",
            "siti@example.id",
            "+6281234567890",
        )

    def test_only_the_hash_of_the_access_key_is_stored(self, submit: Submit) -> None:
        receipt = submit()
        complaint = Complaint.objects.get(pk=receipt.complaint.pk)
        assert receipt.access_key not in complaint.access_key_hash
        assert complaint.access_key_matches(receipt.access_key)
        assert not complaint.access_key_matches("")

    def test_each_report_gets_its_own_tracking_number(self, submit: Submit) -> None:
        # Randomness and the alphabet are tested in tests/lib/test_tracking.py.
        numbers = [submit().complaint.tracking_number for _ in range(5)]
        assert len(set(numbers)) == 5

    def test_attachments_are_cleaned_and_stored_privately(
        self, submit: Submit, media_root: Path
    ) -> None:
        files = [
            SimpleUploadedFile("IMG_20261127_GPS.jpg", jpeg_with_gps(), "image/jpeg"),
            SimpleUploadedFile("surat.pdf", pdf(), "application/pdf"),
        ]
        receipt = submit(attachments=files)
        photo, letter = receipt.complaint.attachments.order_by("position")
        assert (photo.position, letter.position) == (1, 2)
        assert photo.original_name == "IMG_20261127_GPS.jpg"
        assert "IMG_" not in photo.file.name and photo.file.name.endswith(".jpg")
        with photo.file.open("rb") as handle:
            assert exif_gps(handle.read()) == {}
        assert letter.content_type == "application/pdf"
        assert len(files_in(media_root)) == 2

    def test_queues_the_receipt_and_the_first_routing_step_published_after_commit(
        self, submit: Submit, django_capture_on_commit_callbacks: Any, published: Published
    ) -> None:
        mail_queue, routing_queue = published(queue.SEND_MESSAGE), published(queue.ROUTE_MESSAGE)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            receipt = submit(reporter_email="siti@example.id")
        complaint = receipt.complaint
        # Written with the report, in its transaction...
        receipt_row = Message.objects.get(kind=Message.Kind.RECEIPT, complaint=complaint)
        step = Message.objects.get(kind=Message.Kind.ROUTE_STEP, complaint=complaint)
        assert (receipt_row.key, step.key) == (f"receipt:{complaint.pk}", f"route:{complaint.pk}:0")
        assert step.data == {"step": 0}
        # ...and nothing leaves before the transaction commits.
        assert mail_queue == routing_queue == []
        for callback in callbacks:
            callback()
        assert mail_queue == [{"message_id": receipt_row.pk}]
        assert routing_queue == [{"message_id": step.pk}]
        # The broker carries ids only: the private link's key never leaves the database.
        assert receipt.access_key not in repr(mail_queue)

    def test_the_receipt_task_sends_a_working_private_link(
        self, submit: Submit, mailoutbox: list[Any]
    ) -> None:
        receipt = submit(reporter_email="siti@example.id")
        row = Message.objects.get(kind=Message.Kind.RECEIPT, complaint=receipt.complaint)
        assert send_message_task(message_id=row.pk) == "sent"
        assert send_message_task(message_id=row.pk) == "busy"  # delivered twice: sent once
        assert len(mailoutbox) == 1
        message = mailoutbox[0]
        assert message.to == ["siti@example.id"]
        assert receipt.complaint.tracking_number in message.subject
        link = f"/lacak/{receipt.complaint.tracking_number}/{receipt.access_key}/"
        assert link in message.body
        html = message.alternatives[0][0]
        assert receipt.access_key in html
        assert Client().get(link).status_code == 200

    def test_no_email_address_no_email(
        self, submit: Submit, django_capture_on_commit_callbacks: Any, published: Published
    ) -> None:
        queued = published(queue.SEND_MESSAGE)
        with django_capture_on_commit_callbacks(execute=True):
            receipt = submit(reporter_email="")
        assert queued == []
        kinds = Message.objects.filter(complaint=receipt.complaint).values_list("kind", flat=True)
        assert list(kinds) == [Message.Kind.ROUTE_STEP]  # no receipt


@pytest.mark.django_db
class TestSubmitComplaintRefuses:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"kind": "SPAM"}, "kind"),
            ({"title": "Pendek"}, "title"),
            ({"title": "x" * 151}, "title"),
            ({"title": "   " + " " * 20}, "title"),
            ({"description": "Terlalu singkat."}, "description"),
            ({"description": "a" * 5001}, "description"),
            ({"title": "Judul dengan NUL \x00 di tengah"}, "title"),
            (
                {"description": "Teks yang rusak \ufffd dari byte yang bukan UTF-8 sama sekali."},
                "description",
            ),
            ({"incident_date": dt.date(2026, 12, 1)}, "incident_date"),
            ({"reporter_phone": "12345"}, "reporter_phone"),
            ({"reporter_name": "n" * 101}, "reporter_name"),
        ],
    )
    def test_bad_fields(self, submit: Submit, overrides: dict, field: str) -> None:
        with pytest.raises(ValidationError) as info:
            submit(**overrides)
        assert field in info.value.message_dict
        assert not Complaint.objects.exists()

    def test_province_is_not_a_place(self, submit: Submit) -> None:
        with pytest.raises(ValidationError) as info:
            submit(region=Region.objects.get(code="64"))
        assert "region" in info.value.message_dict

    def test_inactive_category(self, submit: Submit) -> None:
        from routing.models import Category

        Category.objects.filter(code="sosial").update(is_active=False)
        with pytest.raises(ValidationError) as info:
            submit(category=Category.objects.get(code="sosial"))
        assert "category" in info.value.message_dict

    def test_too_many_files(self, submit: Submit, settings, media_root: Path) -> None:
        settings.LAPOR_MAX_ATTACHMENTS = 2
        files = [SimpleUploadedFile(f"f{i}.png", png(), "image/png") for i in range(3)]
        with pytest.raises(ValidationError) as info:
            submit(attachments=files)
        assert "attachments" in info.value.message_dict
        assert not Complaint.objects.exists() and files_in(media_root) == []

    def test_one_bad_file_refuses_all_and_keeps_nothing(
        self, submit: Submit, media_root: Path
    ) -> None:
        files = [
            SimpleUploadedFile("ok.png", png(), "image/png"),
            SimpleUploadedFile("bomb.png", png_bomb(), "image/png"),
        ]
        with pytest.raises(ValidationError):
            submit(attachments=files)
        assert not Complaint.objects.exists()
        assert not Attachment.objects.exists()
        assert files_in(media_root) == []

    def test_failure_after_files_were_written_removes_them(
        self, submit: Submit, media_root: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A database error halfway (here: writing the event) rolls back and deletes files."""

        def broken_create(*args: object, **kwargs: object) -> None:
            raise RuntimeError("database went away")

        monkeypatch.setattr(ComplaintEvent.objects, "create", broken_create)
        files = [SimpleUploadedFile("ok.png", png(), "image/png")]
        with pytest.raises(RuntimeError):
            submit(attachments=files)
        assert not Complaint.objects.exists()
        assert not Reporter.objects.exists()
        assert files_in(media_root) == []
