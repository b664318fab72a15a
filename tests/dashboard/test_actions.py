"""Staff actions on a report: each through its service (the state it changes, the one event it
writes, the rows it adds, what it refuses), then through the dashboard pages and the staff API,
and two officers acting on the same report at once."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from complaints import deadlines, services
from complaints import services as complaint_services
from complaints.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    Message,
    Reporter,
    Response,
    TransferRequest,
)
from lapor import queue
from lapor.lib.actions import ActionError
from routing import selectors as routing_selectors
from routing.models import Agency, Category, DeadlineSetting, Region
from tests.files import exif_gps, files_in, jpeg_with_gps, png
from tests.helpers import (
    NOW,
    api_token,
    end_of,
    last_event_pk,
    make_user,
    route_fully,
    snapshot,
    the_new_event,
)

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WIB = NOW.tzinfo
# The officer acts two days after the report reached the agency (Mon 30 Nov → Wed 2 Dec 2026).
LATER = NOW + dt.timedelta(days=2)
Step = DeadlineSetting.Step
Status = Complaint.Status
Submit = Callable[..., Any]
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def officers(tree: dict[str, Agency]) -> dict[str, User]:
    return {name: make_user(name, agency) for name, agency in tree.items()}


@pytest.fixture
def disposed(tree: dict[str, Agency], submit: Submit) -> Complaint:
    """A health report in Samarinda, routed down to Dinkes Samarinda (DISPOSED) at NOW."""
    complaint = route_fully(submit().complaint)
    assert (complaint.status, complaint.current_agency.code) == ("DISPOSED", "dinkes-smd")
    return complaint


@pytest.fixture
def in_progress(disposed: Complaint, tree: dict[str, Agency]) -> Complaint:
    services.acknowledge_complaint(
        complaint_id=disposed.pk, agency=tree["dinkes"], actor=None, now=NOW
    )
    disposed.refresh_from_db()
    return disposed


@pytest.fixture
def kaltim_queue(submit: Submit, tree: dict[str, Agency]) -> Complaint:
    """A social-affairs report no rule routes: it waits in the Kaltim coordinator's queue."""
    complaint = route_fully(submit(category=Category.objects.get(code="sosial")).complaint)
    assert (complaint.status, complaint.current_agency) == ("AWAITING_VERIFICATION", tree["kaltim"])
    return complaint


@pytest.fixture
def returned(disposed: Complaint, tree: dict[str, Agency]) -> Complaint:
    """Dinkes returned the report as not its authority: it waits in Samarinda's queue."""
    complaint_services.request_transfer(
        complaint_id=disposed.pk,
        agency=tree["dinkes"],
        reason="Ini kewenangan RSUD, bukan Dinkes.",
        suggested_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )
    disposed.refresh_from_db()
    assert (disposed.status, disposed.current_agency) == (
        "AWAITING_VERIFICATION",
        tree["samarinda"],
    )
    return disposed


# --- services -----------------------------------------------------------------------------------


class TestAcknowledge:
    def test_takes_the_report_up_with_the_completion_deadline_of_the_disposition(
        self, disposed: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        since, version = last_event_pk(disposed), disposed.version
        result = services.acknowledge_complaint(
            complaint_id=disposed.pk,
            agency=tree["dinkes"],
            actor=officers["dinkes"],
            now=LATER,
            expected_version=version,
        )
        disposed.refresh_from_db()
        assert result.pk == disposed.pk
        assert disposed.status == Status.IN_PROGRESS
        assert disposed.current_agency == tree["dinkes"]
        assert disposed.version == version + 1
        # 14 working days for a complaint, counted from the hand-over (Mon 30 Nov), not from
        # the day the officer happened to open it.
        handed_over = disposed.dispositions.get(sequence=disposed.routing_step).created_at
        assert handed_over == NOW
        expected = routing_selectors.due_at(start=NOW, step=Step.COMPLETION, kind="COMPLAINT")
        assert disposed.due_at == expected == end_of(2026, 12, 18)
        assert disposed.due_at != routing_selectors.due_at(
            start=LATER, step=Step.COMPLETION, kind="COMPLAINT"
        )
        event = the_new_event(disposed, since)
        assert event.type == ComplaintEvent.Type.ACKNOWLEDGED
        assert (event.from_status, event.to_status) == ("DISPOSED", "IN_PROGRESS")
        assert event.actor == officers["dinkes"]
        assert event.is_public is True
        assert event.created_at == LATER
        assert event.data == {"agency_id": tree["dinkes"].pk, "agency_name": "Dinkes Samarinda"}
        # Taking a report up hands nothing over.
        assert disposed.dispositions.count() == 3

    def test_a_complaint_that_needs_an_inspection_gets_60_working_days(
        self, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        complaint = route_fully(submit().complaint)
        Complaint.objects.filter(pk=complaint.pk).update(needs_inspection=True)
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=LATER
        )
        complaint.refresh_from_db()
        assert complaint.due_at == routing_selectors.due_at(
            start=NOW, step=Step.COMPLETION_INSPECTION, kind="COMPLAINT"
        )
        assert complaint.due_at > end_of(2027, 2, 1)

    def test_an_aspiration_gets_5_working_days(
        self, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        complaint = route_fully(submit(kind="ASPIRATION").complaint)
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=LATER
        )
        complaint.refresh_from_db()
        assert complaint.due_at == routing_selectors.due_at(
            start=NOW, step=Step.COMPLETION, kind="ASPIRATION"
        )
        assert complaint.due_at == end_of(2026, 12, 7)

    def test_another_agency_is_refused_as_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            services.acknowledge_complaint(
                complaint_id=disposed.pk, agency=tree["rsud"], actor=None, now=LATER
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before

    def test_a_report_already_in_progress_is_refused_as_a_conflict(
        self, in_progress: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as raised:
            services.acknowledge_complaint(
                complaint_id=in_progress.pk, agency=tree["dinkes"], actor=None, now=LATER
            )
        assert raised.value.conflict is True
        assert snapshot(in_progress) == before

    def test_an_older_version_is_refused_as_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            services.acknowledge_complaint(
                complaint_id=disposed.pk,
                agency=tree["dinkes"],
                actor=None,
                now=LATER,
                expected_version=disposed.version - 1,
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before


class TestRespond:
    def test_answer_with_a_photo_without_its_location(
        self,
        submit: Submit,
        tree: dict[str, Agency],
        officers: dict[str, User],
        media_root: Path,
    ) -> None:
        # The citizen attached a file too: the answer's file is numbered after it.
        complaint = route_fully(
            submit(attachments=[upload("bukti.png", png(), "image/png")]).complaint
        )
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=NOW
        )
        complaint.refresh_from_db()
        photo = jpeg_with_gps()
        assert exif_gps(photo), "the test photo lacks GPS"
        since, version = last_event_pk(complaint), complaint.version

        response = services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text=f"  {ANSWER}  ",
            attachments=[upload("foto-perbaikan.jpg", photo)],
            actor=officers["dinkes"],
            now=LATER,
            expected_version=version,
        )

        complaint.refresh_from_db()
        assert complaint.status == Status.RESPONDED
        assert complaint.current_agency == tree["dinkes"]
        assert complaint.version == version + 1
        # The citizen has 10 working days from the answer to reply (Wed 2 Dec → Wed 16 Dec).
        assert complaint.due_at == routing_selectors.due_at(
            start=LATER, step=Step.CITIZEN_REPLY, kind="COMPLAINT"
        )
        assert complaint.due_at == end_of(2026, 12, 16)

        stored = Response.objects.get(complaint=complaint)
        assert stored.pk == response.pk
        assert (stored.agency, stored.author, stored.text) == (
            tree["dinkes"],
            officers["dinkes"],
            ANSWER,
        )
        assert stored.created_at == LATER
        attachment = stored.attachments.get()
        assert attachment.complaint == complaint
        assert attachment.position == 2
        assert (attachment.content_type, attachment.extension) == ("image/jpeg", "jpg")
        assert attachment.original_name == "foto-perbaikan.jpg"
        assert (attachment.width, attachment.height) == (64, 48)
        with attachment.file.open("rb") as handle:
            kept = handle.read()
        assert kept and exif_gps(kept) == {}
        assert attachment.size == len(kept)
        assert complaint.attachments.filter(response__isnull=True).count() == 1
        assert len(files_in(media_root)) == 2

        event = the_new_event(complaint, since)
        assert event.type == ComplaintEvent.Type.RESPONDED
        assert (event.from_status, event.to_status) == ("IN_PROGRESS", "RESPONDED")
        assert event.actor == officers["dinkes"]
        assert event.is_public is True
        assert event.data == {
            "agency_id": tree["dinkes"].pk,
            "agency_name": "Dinkes Samarinda",
            "response_id": stored.pk,
            "attachments": 1,
        }

    def test_a_disposed_report_may_be_answered_at_once(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        since = last_event_pk(disposed)
        services.respond_to_complaint(
            complaint_id=disposed.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=LATER
        )
        disposed.refresh_from_db()
        assert disposed.status == Status.RESPONDED
        event = the_new_event(disposed, since)
        assert (event.type, event.from_status, event.to_status) == (
            "RESPONDED",
            "DISPOSED",
            "RESPONDED",
        )
        assert event.data["attachments"] == 0

    @pytest.mark.parametrize("text", ["", "   ", "Sudah.", "x" * 5001])
    def test_empty_short_or_long_answer_is_refused_with_nothing_written(
        self, in_progress: Complaint, tree: dict[str, Agency], text: str, media_root: Path
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ValidationError) as raised:
            services.respond_to_complaint(
                complaint_id=in_progress.pk,
                agency=tree["dinkes"],
                text=text,
                attachments=[upload("foto.jpg", jpeg_with_gps())],
                actor=None,
                now=LATER,
            )
        assert list(raised.value.message_dict) == ["text"]
        assert snapshot(in_progress) == before
        assert files_in(media_root) == []

    def test_a_refused_file_leaves_no_row_and_no_file(
        self, in_progress: Complaint, tree: dict[str, Agency], media_root: Path
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ValidationError) as raised:
            services.respond_to_complaint(
                complaint_id=in_progress.pk,
                agency=tree["dinkes"],
                text=ANSWER,
                # A good photo and a "photo" that is a text file: neither is kept.
                attachments=[
                    upload("foto.jpg", jpeg_with_gps()),
                    upload("surat.jpg", b"bukan gambar, hanya teks"),
                ],
                actor=None,
                now=LATER,
            )
        assert "surat.jpg" in " ".join(raised.value.message_dict["attachments"])
        assert snapshot(in_progress) == before
        assert not Response.objects.exists()
        assert not Attachment.objects.exists()
        assert files_in(media_root) == []

    def test_another_agency_is_refused_as_a_conflict(
        self, in_progress: Complaint, tree: dict[str, Agency], media_root: Path
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as raised:
            services.respond_to_complaint(
                complaint_id=in_progress.pk,
                agency=tree["rsud"],
                text=ANSWER,
                attachments=[upload("foto.jpg", jpeg_with_gps())],
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(in_progress) == before
        assert files_in(media_root) == []

    def test_an_answered_report_cannot_be_answered_again(
        self, in_progress: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.respond_to_complaint(
            complaint_id=in_progress.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=LATER
        )
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as raised:
            services.respond_to_complaint(
                complaint_id=in_progress.pk,
                agency=tree["dinkes"],
                text=ANSWER,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(in_progress) == before

    def test_an_older_version_writes_no_answer_and_no_file(
        self, in_progress: Complaint, tree: dict[str, Agency], media_root: Path
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as raised:
            services.respond_to_complaint(
                complaint_id=in_progress.pk,
                agency=tree["dinkes"],
                text=ANSWER,
                attachments=[upload("foto.jpg", jpeg_with_gps())],
                actor=None,
                now=LATER,
                expected_version=in_progress.version - 1,
            )
        assert raised.value.conflict is True
        assert snapshot(in_progress) == before
        assert files_in(media_root) == []


@pytest.fixture
def published_answer_emails(
    published: Callable[[str], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """What the services hand to the broker for the mail worker: recorded instead of
    published, so that the test can deliver it by calling the task."""
    return published(queue.SEND_MESSAGE)


def answer_emails(complaint: Complaint) -> Any:
    return Message.objects.filter(
        kind=Message.Kind.REPORTER_UPDATE,
        complaint=complaint,
        event__type=ComplaintEvent.Type.RESPONDED,
    )


class TestAnswerEmail:
    def answer(
        self,
        complaint: Complaint,
        agency: Agency,
        capture: Any,
        published: list[dict[str, Any]],
    ) -> Response:
        with capture(execute=True) as callbacks:
            response = services.respond_to_complaint(
                complaint_id=complaint.pk, agency=agency, text=ANSWER, actor=None, now=LATER
            )
            # Inside the transaction nothing is published: a rollback must not tell the citizen.
            assert published == []
        rows = answer_emails(complaint)
        assert len(callbacks) == rows.count()
        assert published == [{"message_id": row.pk} for row in rows]
        return response

    def test_the_citizen_is_told_after_commit_in_indonesian(
        self,
        in_progress: Complaint,
        tree: dict[str, Agency],
        django_capture_on_commit_callbacks: Any,
        published_answer_emails: list[dict[str, Any]],
    ) -> None:
        from complaints.tasks import send_message_task

        assert in_progress.language == "id"
        self.answer(
            in_progress, tree["dinkes"], django_capture_on_commit_callbacks, published_answer_emails
        )
        assert mail.outbox == []
        assert send_message_task(**published_answer_emails[0]) == "sent"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["siti@example.id"]
        assert in_progress.tracking_number in message.subject
        assert ANSWER in message.body
        assert "Dinkes Samarinda telah menjawab laporan Anda." in message.body
        # The subject too is in the citizen's language, not the English source text.
        with translation.override("id"):
            expected = translation.gettext(
                "Your LAPOR report %(number)s has been answered"
            ).replace("%(number)s", in_progress.tracking_number)
        assert message.subject == expected
        assert "has been answered" not in message.subject
        # Delivered twice (a retry, a relay): sent once.
        assert send_message_task(**published_answer_emails[0]) == "busy"
        assert len(mail.outbox) == 1

    def test_a_citizen_who_wrote_in_english_is_told_in_english(
        self,
        submit: Submit,
        tree: dict[str, Agency],
        django_capture_on_commit_callbacks: Any,
        published_answer_emails: list[dict[str, Any]],
    ) -> None:
        from complaints.tasks import send_message_task

        complaint = route_fully(submit(language="en").complaint)
        self.answer(
            complaint, tree["dinkes"], django_capture_on_commit_callbacks, published_answer_emails
        )
        send_message_task(**published_answer_emails[0])
        message = mail.outbox[0]
        assert message.subject == f"Your LAPOR report {complaint.tracking_number} has been answered"
        assert "Dinkes Samarinda has answered your report." in message.body

    def test_no_address_no_email(
        self,
        submit: Submit,
        tree: dict[str, Agency],
        django_capture_on_commit_callbacks: Any,
        published_answer_emails: list[dict[str, Any]],
    ) -> None:
        complaint = route_fully(submit(reporter_email="").complaint)
        self.answer(
            complaint, tree["dinkes"], django_capture_on_commit_callbacks, published_answer_emails
        )
        assert published_answer_emails == []
        assert not Message.objects.filter(
            complaint=complaint,
            kind__in=[Message.Kind.RECEIPT, Message.Kind.REPORTER_UPDATE],
        ).exists()
        assert mail.outbox == []


class TestInternalNote:
    def test_a_note_is_an_internal_event_that_changes_nothing_else(
        self, in_progress: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        before = snapshot(in_progress)
        since = last_event_pk(in_progress)
        event = services.add_internal_note(
            complaint_id=in_progress.pk,
            agency=tree["dinkes"],
            text="  Sudah telepon kepala puskesmas.  ",
            actor=officers["dinkes"],
            now=LATER,
        )
        assert event == the_new_event(in_progress, since)
        assert event.type == ComplaintEvent.Type.NOTE
        assert event.is_public is False
        assert (event.from_status, event.to_status) == ("IN_PROGRESS", "IN_PROGRESS")
        assert event.actor == officers["dinkes"]
        assert event.data == {
            "agency_id": tree["dinkes"].pk,
            "agency_name": "Dinkes Samarinda",
            "text": "Sudah telepon kepala puskesmas.",
        }
        after = snapshot(in_progress)
        assert after[:7] == before[:7]  # status, holder, deadline, version, privacy unchanged
        # And the citizen's timeline does not show it.
        from complaints.selectors import public_event_list

        assert event not in list(public_event_list(in_progress))

    @pytest.mark.parametrize("text", ["", "  \n ", "x" * 2001, "catatan\x00rahasia"])
    def test_empty_long_or_binary_note_is_refused(
        self, in_progress: Complaint, tree: dict[str, Agency], text: str
    ) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ValidationError) as raised:
            services.add_internal_note(
                complaint_id=in_progress.pk, agency=tree["dinkes"], text=text, actor=None, now=LATER
            )
        assert list(raised.value.message_dict) == ["text"]
        assert snapshot(in_progress) == before


class TestRaisePrivacy:
    def test_make_anonymous(
        self, disposed: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        since, version = last_event_pk(disposed), disposed.version
        services.raise_privacy(
            complaint_id=disposed.pk,
            coordinator=tree["samarinda"],
            make_anonymous=True,
            make_confidential=False,
            actor=officers["samarinda"],
            now=LATER,
            expected_version=version,
        )
        disposed.refresh_from_db()
        assert (disposed.is_anonymous, disposed.is_confidential) == (True, False)
        assert disposed.version == version + 1
        assert (disposed.status, disposed.current_agency) == ("DISPOSED", tree["dinkes"])
        event = the_new_event(disposed, since)
        assert event.type == ComplaintEvent.Type.PRIVACY_RAISED
        assert event.is_public is False
        assert event.actor == officers["samarinda"]
        assert (event.from_status, event.to_status) == ("DISPOSED", "DISPOSED")
        assert event.data == {
            "agency_id": tree["samarinda"].pk,
            "agency_name": "Diskominfo Samarinda",
            "made": ["is_anonymous"],
        }

    def test_never_less_private(self, submit: Submit, tree: dict[str, Agency]) -> None:
        complaint = route_fully(submit(is_anonymous=True).complaint)
        services.raise_privacy(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            make_anonymous=False,
            make_confidential=True,
            actor=None,
            now=LATER,
        )
        complaint.refresh_from_db()
        assert (complaint.is_anonymous, complaint.is_confidential) == (True, True)
        assert complaint.events.get(type="PRIVACY_RAISED").data["made"] == ["is_confidential"]

    @pytest.mark.parametrize(("anonymous", "confidential"), [(False, False), (True, False)])
    def test_nothing_to_change_is_refused_without_an_event(
        self, submit: Submit, tree: dict[str, Agency], anonymous: bool, confidential: bool
    ) -> None:
        # An anonymous report: asking for nothing, or for what it already is, changes nothing.
        complaint = route_fully(submit(is_anonymous=True).complaint)
        before = snapshot(complaint)
        with pytest.raises(ActionError) as raised:
            services.raise_privacy(
                complaint_id=complaint.pk,
                coordinator=tree["samarinda"],
                make_anonymous=anonymous,
                make_confidential=confidential,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(complaint) == before

    def test_an_older_version_is_refused_as_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            services.raise_privacy(
                complaint_id=disposed.pk,
                coordinator=tree["samarinda"],
                make_anonymous=True,
                make_confidential=True,
                actor=None,
                now=LATER,
                expected_version=disposed.version - 1,
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before


class TestRevealReporter:
    def test_the_reveal_is_recorded_without_the_identity(
        self, submit: Submit, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        complaint = route_fully(submit(is_anonymous=True).complaint)
        officers["national"].user_permissions.add(
            Permission.objects.get(codename="reveal_reporter")
        )
        before = snapshot(complaint)
        since = last_event_pk(complaint)
        reporter = services.reveal_reporter(
            complaint_id=complaint.pk,
            actor=officers["national"],
            reason="Permintaan kepolisian, surat no. 12/2026.",
            now=LATER,
        )
        assert isinstance(reporter, Reporter)
        assert (reporter.name, reporter.email) == ("Siti Aminah", "siti@example.id")
        event = the_new_event(complaint, since)
        assert event.type == ComplaintEvent.Type.IDENTITY_REVEALED
        assert event.is_public is False
        assert event.actor == officers["national"]
        assert event.data == {"reason": "Permintaan kepolisian, surat no. 12/2026."}
        assert "Siti" not in str(event.data) and "siti@" not in str(event.data)
        assert snapshot(complaint)[:7] == before[:7]

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
    def test_a_reason_is_required(
        self, submit: Submit, tree: dict[str, Agency], officers: dict[str, User], reason: str
    ) -> None:
        complaint = route_fully(submit(is_anonymous=True).complaint)
        before = snapshot(complaint)
        with pytest.raises(ValidationError) as raised:
            services.reveal_reporter(
                complaint_id=complaint.pk, actor=officers["national"], reason=reason, now=LATER
            )
        assert list(raised.value.message_dict) == ["reason"]
        assert snapshot(complaint) == before


class TestDispose:
    def test_to_a_coordinator_below_then_to_an_opd(
        self, kaltim_queue: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        complaint = kaltim_queue
        since, version, step = last_event_pk(complaint), complaint.version, complaint.routing_step
        disposition = complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["kaltim"],
            to_agency=tree["samarinda"],
            actor=officers["kaltim"],
            now=LATER,
            expected_version=version,
        )
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        assert complaint.version == version + 1
        assert complaint.routing_step == step + 1
        verification = routing_selectors.due_at(
            start=LATER, step=Step.VERIFICATION, kind="COMPLAINT"
        )
        assert complaint.due_at == verification
        assert Disposition.objects.get(complaint=complaint, sequence=step + 1) == disposition
        assert (disposition.kind, disposition.from_agency, disposition.to_agency) == (
            "DISPOSE",
            tree["kaltim"],
            tree["samarinda"],
        )
        assert (disposition.actor, disposition.created_at, disposition.due_at) == (
            officers["kaltim"],
            LATER,
            verification,
        )
        event = the_new_event(complaint, since)
        assert event.type == ComplaintEvent.Type.AWAITING_VERIFICATION
        assert (event.from_status, event.to_status) == (
            "AWAITING_VERIFICATION",
            "AWAITING_VERIFICATION",
        )
        assert event.actor == officers["kaltim"]
        assert event.is_public is True
        assert event.data["agency_name"] == "Diskominfo Samarinda"
        assert event.data["from_agency_id"] == tree["kaltim"].pk

        since = last_event_pk(complaint)
        disposition = complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["rsud"],
            actor=officers["samarinda"],
            now=LATER,
            expected_version=complaint.version,
        )
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["rsud"])
        assert complaint.due_at == routing_selectors.due_at(
            start=LATER, step=Step.FIRST_RESPONSE, kind="COMPLAINT"
        )
        assert disposition.kind == Disposition.Kind.DISPOSE
        event = the_new_event(complaint, since)
        assert (event.type, event.from_status, event.to_status) == (
            "DISPOSED",
            "AWAITING_VERIFICATION",
            "DISPOSED",
        )
        assert event.data["agency_name"] == "RSUD Samarinda"
        assert "Dinkes" not in event.label and "RSUD Samarinda" in event.label

    @pytest.mark.parametrize("target", ["disdik", "kaltim", "samarinda"])
    def test_outside_the_subtree_or_itself_is_refused(
        self, returned: Complaint, tree: dict[str, Agency], target: str
    ) -> None:
        # Samarinda's queue: the provincial Disdik and Kaltim above are not below Samarinda.
        before = snapshot(returned)
        with pytest.raises(ActionError) as raised:
            complaint_services.dispose_complaint(
                complaint_id=returned.pk,
                coordinator=tree["samarinda"],
                to_agency=tree[target],
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(returned) == before

    def test_an_inactive_agency_is_refused(
        self, returned: Complaint, tree: dict[str, Agency]
    ) -> None:
        Agency.objects.filter(pk=tree["rsud"].pk).update(is_active=False)
        tree["rsud"].refresh_from_db()
        before = snapshot(returned)
        with pytest.raises(ActionError) as raised:
            complaint_services.dispose_complaint(
                complaint_id=returned.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["rsud"],
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(returned) == before

    def test_back_to_the_agency_that_returned_it_only_with_allow_returned(
        self, returned: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(returned)
        with pytest.raises(ActionError) as raised:
            complaint_services.dispose_complaint(
                complaint_id=returned.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["dinkes"],
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(returned) == before
        transfer = TransferRequest.objects.get(complaint=returned)
        assert transfer.decided_at is None

        since = last_event_pk(returned)
        complaint_services.dispose_complaint(
            complaint_id=returned.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["dinkes"],
            actor=None,
            now=LATER,
            allow_returned=True,
        )
        returned.refresh_from_db()
        assert (returned.status, returned.current_agency) == ("DISPOSED", tree["dinkes"])
        transfer.refresh_from_db()
        assert transfer.decided_at == LATER
        event = the_new_event(returned, since)
        assert event.type == "DISPOSED"
        assert event.data["transfers_decided"] == [transfer.pk]

    def test_a_report_not_in_the_queue_is_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            complaint_services.dispose_complaint(
                complaint_id=disposed.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["rsud"],
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before

    def test_an_older_version_is_a_conflict(
        self, returned: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(returned)
        with pytest.raises(ActionError) as raised:
            complaint_services.dispose_complaint(
                complaint_id=returned.pk,
                coordinator=tree["samarinda"],
                to_agency=tree["rsud"],
                actor=None,
                now=LATER,
                expected_version=returned.version - 1,
            )
        assert raised.value.conflict is True
        assert snapshot(returned) == before


class TestRequestTransfer:
    def test_returns_the_report_to_the_coordinator_above(
        self, in_progress: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        complaint = in_progress
        since, version, step = last_event_pk(complaint), complaint.version, complaint.routing_step
        transfer = complaint_services.request_transfer(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            reason="  Puskesmas dikelola RSUD.  ",
            suggested_agency=tree["rsud"],
            actor=officers["dinkes"],
            now=LATER,
            expected_version=version,
        )
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        assert complaint.version == version + 1
        assert complaint.due_at == routing_selectors.due_at(
            start=LATER, step=Step.VERIFICATION, kind="COMPLAINT"
        )
        assert TransferRequest.objects.get(complaint=complaint) == transfer
        assert (transfer.from_agency, transfer.suggested_agency, transfer.reason) == (
            tree["dinkes"],
            tree["rsud"],
            "Puskesmas dikelola RSUD.",
        )
        assert (transfer.requested_by, transfer.created_at, transfer.decided_at) == (
            officers["dinkes"],
            LATER,
            None,
        )
        disposition = complaint.dispositions.get(sequence=step + 1)
        assert (disposition.kind, disposition.from_agency, disposition.to_agency) == (
            "RETURN",
            tree["dinkes"],
            tree["samarinda"],
        )
        event = the_new_event(complaint, since)
        assert event.type == ComplaintEvent.Type.TRANSFER_REQUESTED
        assert (event.from_status, event.to_status) == ("IN_PROGRESS", "AWAITING_VERIFICATION")
        assert event.actor == officers["dinkes"]
        assert event.is_public is True
        assert event.data["agency_name"] == "Diskominfo Samarinda"
        assert event.data["returned_by"] == "Dinkes Samarinda"

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, "alasan\x07"])
    def test_empty_or_too_long_reason_is_refused(
        self, disposed: Complaint, tree: dict[str, Agency], reason: str
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            complaint_services.request_transfer(
                complaint_id=disposed.pk,
                agency=tree["dinkes"],
                reason=reason,
                suggested_agency=None,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(disposed) == before
        assert not TransferRequest.objects.exists()

    def test_another_agency_is_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            complaint_services.request_transfer(
                complaint_id=disposed.pk,
                agency=tree["rsud"],
                reason="Bukan kami.",
                suggested_agency=None,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before

    def test_an_answered_report_cannot_be_returned(
        self, in_progress: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.respond_to_complaint(
            complaint_id=in_progress.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=LATER
        )
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as raised:
            complaint_services.request_transfer(
                complaint_id=in_progress.pk,
                agency=tree["dinkes"],
                reason="Bukan kami.",
                suggested_agency=None,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(in_progress) == before


class TestPassUp:
    def test_to_the_coordinator_above(
        self, returned: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        since, version, step = last_event_pk(returned), returned.version, returned.routing_step
        disposition = complaint_services.pass_up_complaint(
            complaint_id=returned.pk,
            coordinator=tree["samarinda"],
            reason="Menyangkut RSUD milik provinsi.",
            actor=officers["samarinda"],
            now=LATER,
            expected_version=version,
        )
        returned.refresh_from_db()
        assert (returned.status, returned.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["kaltim"],
        )
        assert returned.version == version + 1
        assert returned.due_at == routing_selectors.due_at(
            start=LATER, step=Step.VERIFICATION, kind="COMPLAINT"
        )
        assert returned.dispositions.get(sequence=step + 1) == disposition
        assert (disposition.kind, disposition.from_agency, disposition.to_agency) == (
            "PASS_UP",
            tree["samarinda"],
            tree["kaltim"],
        )
        assert disposition.actor == officers["samarinda"]
        event = the_new_event(returned, since)
        assert event.type == ComplaintEvent.Type.PASSED_UP
        assert (event.from_status, event.to_status) == (
            "AWAITING_VERIFICATION",
            "AWAITING_VERIFICATION",
        )
        assert event.actor == officers["samarinda"]
        assert event.is_public is True
        assert event.data["agency_name"] == "Diskominfo Kaltim"
        assert event.data["reason"] == "Menyangkut RSUD milik provinsi."

    def test_the_national_coordinator_has_no_level_above(
        self, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        complaint = route_fully(submit(region=Region.objects.get(code="31.71")).complaint)
        assert complaint.current_agency == tree["national"]
        before = snapshot(complaint)
        with pytest.raises(ActionError) as raised:
            complaint_services.pass_up_complaint(
                complaint_id=complaint.pk,
                coordinator=tree["national"],
                reason="Ke atas.",
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(complaint) == before

    @pytest.mark.parametrize("reason", ["", " ", "x" * 2001])
    def test_a_reason_is_required(
        self, returned: Complaint, tree: dict[str, Agency], reason: str
    ) -> None:
        before = snapshot(returned)
        with pytest.raises(ActionError) as raised:
            complaint_services.pass_up_complaint(
                complaint_id=returned.pk,
                coordinator=tree["samarinda"],
                reason=reason,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(returned) == before

    def test_a_report_not_in_the_queue_is_a_conflict(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        with pytest.raises(ActionError) as raised:
            complaint_services.pass_up_complaint(
                complaint_id=disposed.pk,
                coordinator=tree["samarinda"],
                reason="Ke atas.",
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(disposed) == before


class TestArchive:
    def test_closes_the_report_with_a_public_reason(
        self, returned: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        since, version, due = last_event_pk(returned), returned.version, returned.due_at
        dispositions = returned.dispositions.count()
        complaint_services.archive_complaint(
            complaint_id=returned.pk,
            coordinator=tree["samarinda"],
            reason="  Laporan ganda dari laporan sebelumnya.  ",
            actor=officers["samarinda"],
            now=LATER,
            expected_version=version,
        )
        returned.refresh_from_db()
        assert returned.status == Status.ARCHIVED
        assert returned.current_agency == tree["samarinda"]
        assert returned.version == version + 1
        assert returned.due_at == due
        assert returned.dispositions.count() == dispositions
        assert TransferRequest.objects.get(complaint=returned).decided_at == LATER
        event = the_new_event(returned, since)
        assert event.type == ComplaintEvent.Type.ARCHIVED
        assert (event.from_status, event.to_status) == ("AWAITING_VERIFICATION", "ARCHIVED")
        assert event.actor == officers["samarinda"]
        assert event.is_public is True
        assert event.data == {
            "agency_id": tree["samarinda"].pk,
            "agency_name": "Diskominfo Samarinda",
            "reason": "Laporan ganda dari laporan sebelumnya.",
        }

    @pytest.mark.parametrize("reason", ["", "\n", "x" * 2001])
    def test_a_reason_is_required(
        self, kaltim_queue: Complaint, tree: dict[str, Agency], reason: str
    ) -> None:
        before = snapshot(kaltim_queue)
        with pytest.raises(ActionError) as raised:
            complaint_services.archive_complaint(
                complaint_id=kaltim_queue.pk,
                coordinator=tree["kaltim"],
                reason=reason,
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is False
        assert snapshot(kaltim_queue) == before

    def test_another_coordinator_is_a_conflict(
        self, kaltim_queue: Complaint, tree: dict[str, Agency]
    ) -> None:
        before = snapshot(kaltim_queue)
        with pytest.raises(ActionError) as raised:
            complaint_services.archive_complaint(
                complaint_id=kaltim_queue.pk,
                coordinator=tree["samarinda"],
                reason="Spam.",
                actor=None,
                now=LATER,
            )
        assert raised.value.conflict is True
        assert snapshot(kaltim_queue) == before


class TestEscalate:
    def test_a_missed_deadline_moves_the_report_up_once(
        self, disposed: Complaint, tree: dict[str, Agency]
    ) -> None:
        assert disposed.due_at is not None
        missed = disposed.due_at
        assert deadlines.escalate_complaint(complaint_id=disposed.pk, now=missed) is None
        late = missed + dt.timedelta(seconds=1)
        since, version, step = last_event_pk(disposed), disposed.version, disposed.routing_step
        disposition = deadlines.escalate_complaint(complaint_id=disposed.pk, now=late)
        assert disposition is not None
        disposed.refresh_from_db()
        assert (disposed.status, disposed.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        assert disposed.version == version + 1
        assert disposed.due_at == routing_selectors.due_at(
            start=late, step=Step.VERIFICATION, kind="COMPLAINT"
        )
        assert (disposition.kind, disposition.sequence, disposition.from_agency) == (
            "ESCALATE",
            step + 1,
            tree["dinkes"],
        )
        breach = DeadlineBreach.objects.get(complaint=disposed)
        assert (breach.agency, breach.due_at) == (tree["dinkes"], missed)
        event = the_new_event(disposed, since)
        assert (event.type, event.from_status, event.to_status) == (
            "ESCALATED",
            "DISPOSED",
            "AWAITING_VERIFICATION",
        )
        assert event.actor is None
        assert event.data["missed_by"] == "Dinkes Samarinda"
        # A second sweep finds nothing to do.
        assert deadlines.escalate_complaint(complaint_id=disposed.pk, now=late) is None
        assert disposed.events.filter(pk__gt=since).count() == 1


# --- through HTTP: the dashboard pages ----------------------------------------------------------


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(complaint: Complaint) -> str:
    return reverse("dashboard:complaint", args=[complaint.tracking_number])


def action_url(complaint: Complaint, name: str) -> str:
    return reverse("dashboard:action", args=[complaint.tracking_number, name])


def api_url(complaint: Complaint, name: str) -> str:
    return reverse(f"api:staff-{name}", args=[complaint.tracking_number])


def form_version(body: str, action: str) -> int:
    """The version a page's form of ``action`` carries."""
    found = re.search(
        rf'<input type="hidden" name="version" value="(\d+)" id="id_{action}_version">', body
    )
    assert found, f"no {action} form on the page"
    return int(found.group(1))


def status_label(status: str) -> str:
    with translation.override("id"):
        return str(Complaint.Status(status).label)


class TestActionsThroughPages:
    def test_acknowledge(
        self, disposed: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["dinkes"])
        version = form_version(client.get(page_url(disposed)).content.decode(), "acknowledge")
        assert version == disposed.version
        since = last_event_pk(disposed)
        response = client.post(action_url(disposed, "acknowledge"), {"version": version})
        assert response.status_code == 302
        assert response["Location"] == page_url(disposed)
        disposed.refresh_from_db()
        assert disposed.status == Status.IN_PROGRESS
        assert disposed.version == version + 1
        event = the_new_event(disposed, since)
        assert (event.type, event.actor) == ("ACKNOWLEDGED", officers["dinkes"])
        body = client.get(page_url(disposed)).content.decode()
        assert 'class="status status-in_progress"' in body
        assert "id_acknowledge_version" not in body

    def test_answer_with_a_photo(
        self, in_progress: Complaint, officers: dict[str, User], media_root: Path
    ) -> None:
        client = logged_in(officers["dinkes"])
        since = last_event_pk(in_progress)
        response = client.post(
            action_url(in_progress, "answer"),
            {
                "version": in_progress.version,
                "text": ANSWER,
                "attachments": [upload("foto-perbaikan.jpg", jpeg_with_gps())],
            },
        )
        assert response.status_code == 302
        in_progress.refresh_from_db()
        assert in_progress.status == Status.RESPONDED
        event = the_new_event(in_progress, since)
        assert (event.type, event.actor, event.data["attachments"]) == (
            "RESPONDED",
            officers["dinkes"],
            1,
        )
        answer = Response.objects.get(complaint=in_progress)
        assert (answer.text, answer.author) == (ANSWER, officers["dinkes"])
        attachment = answer.attachments.get()
        body = client.get(page_url(in_progress)).content.decode()
        assert ANSWER in body
        link = reverse(
            "dashboard:attachment", args=[in_progress.tracking_number, attachment.position]
        )
        assert link in body
        served = client.get(link)
        assert served.status_code == 200
        assert served["Content-Type"] == "image/jpeg"
        content = b"".join(served.streaming_content)
        assert exif_gps(content) == {}
        assert len(files_in(media_root)) == 1

    def test_answer_too_short_shows_the_form_again(
        self, in_progress: Complaint, officers: dict[str, User], media_root: Path
    ) -> None:
        client = logged_in(officers["dinkes"])
        before = snapshot(in_progress)
        response = client.post(
            action_url(in_progress, "answer"),
            {
                "version": in_progress.version,
                "text": "Sudah.",
                "attachments": [upload("foto.jpg", jpeg_with_gps())],
            },
        )
        assert response.status_code == 400
        body = response.content.decode()
        with translation.override("id"):
            expected = translation.gettext("Please write at least %(min)d characters.") % {
                "min": 20
            }
        assert expected in body
        assert snapshot(in_progress) == before
        assert files_in(media_root) == []

    def test_answer_with_a_refused_file(
        self, in_progress: Complaint, officers: dict[str, User], media_root: Path
    ) -> None:
        client = logged_in(officers["dinkes"])
        before = snapshot(in_progress)
        response = client.post(
            action_url(in_progress, "answer"),
            {
                "version": in_progress.version,
                "text": ANSWER,
                "attachments": [upload("program.exe", b"MZ\x90\x00", "application/octet-stream")],
            },
        )
        assert response.status_code == 400
        assert "program.exe" in response.content.decode()
        assert snapshot(in_progress) == before
        assert files_in(media_root) == []

    def test_transfer(
        self, in_progress: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["dinkes"])
        since = last_event_pk(in_progress)
        response = client.post(
            action_url(in_progress, "transfer"),
            {
                "version": in_progress.version,
                "reason": "Puskesmas ini dikelola RSUD.",
                "suggested_agency": tree["rsud"].pk,
            },
        )
        assert response.status_code == 302
        # Dinkes still sees the report it once held, now at its coordinator.
        assert response["Location"] == page_url(in_progress)
        in_progress.refresh_from_db()
        assert (in_progress.status, in_progress.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["samarinda"],
        )
        event = the_new_event(in_progress, since)
        assert (event.type, event.actor) == ("TRANSFER_REQUESTED", officers["dinkes"])
        transfer = TransferRequest.objects.get(complaint=in_progress)
        assert (transfer.suggested_agency, transfer.reason) == (
            tree["rsud"],
            "Puskesmas ini dikelola RSUD.",
        )

    def test_dispose(
        self, returned: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["samarinda"])
        body = client.get(page_url(returned)).content.decode()
        assert "Ini kewenangan RSUD, bukan Dinkes." in body  # the open transfer request
        since = last_event_pk(returned)
        response = client.post(
            action_url(returned, "dispose"),
            {"version": form_version(body, "dispose"), "to_agency": tree["rsud"].pk},
        )
        assert response.status_code == 302
        returned.refresh_from_db()
        assert (returned.status, returned.current_agency) == ("DISPOSED", tree["rsud"])
        event = the_new_event(returned, since)
        assert (event.type, event.actor) == ("DISPOSED", officers["samarinda"])
        disposition = returned.dispositions.get(sequence=returned.routing_step)
        assert (disposition.kind, disposition.to_agency, disposition.actor) == (
            "DISPOSE",
            tree["rsud"],
            officers["samarinda"],
        )

    def test_dispose_back_to_the_returner_needs_the_box_ticked(
        self, returned: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["samarinda"])
        before = snapshot(returned)
        response = client.post(
            action_url(returned, "dispose"),
            {"version": returned.version, "to_agency": tree["dinkes"].pk},
        )
        assert response.status_code == 400
        assert snapshot(returned) == before
        response = client.post(
            action_url(returned, "dispose"),
            {"version": returned.version, "to_agency": tree["dinkes"].pk, "allow_returned": "on"},
        )
        assert response.status_code == 302
        returned.refresh_from_db()
        assert (returned.status, returned.current_agency) == ("DISPOSED", tree["dinkes"])

    def test_dispose_outside_the_subtree_is_not_offered(
        self, returned: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["samarinda"])
        before = snapshot(returned)
        response = client.post(
            action_url(returned, "dispose"),
            {"version": returned.version, "to_agency": tree["disdik"].pk},
        )
        assert response.status_code == 400
        assert snapshot(returned) == before

    def test_archive(
        self, kaltim_queue: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["kaltim"])
        since = last_event_pk(kaltim_queue)
        response = client.post(
            action_url(kaltim_queue, "archive"),
            {"version": kaltim_queue.version, "reason": "Iklan, bukan laporan."},
        )
        assert response.status_code == 302
        kaltim_queue.refresh_from_db()
        assert kaltim_queue.status == Status.ARCHIVED
        event = the_new_event(kaltim_queue, since)
        assert (event.type, event.actor, event.data["reason"]) == (
            "ARCHIVED",
            officers["kaltim"],
            "Iklan, bukan laporan.",
        )
        body = client.get(page_url(kaltim_queue)).content.decode()
        assert "Iklan, bukan laporan." in body
        assert 'class="status status-archived"' in body

    def test_pass_up(
        self, kaltim_queue: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["kaltim"])
        since = last_event_pk(kaltim_queue)
        response = client.post(
            action_url(kaltim_queue, "pass-up"),
            {"version": kaltim_queue.version, "reason": "Menyangkut kementerian."},
        )
        assert response.status_code == 302
        kaltim_queue.refresh_from_db()
        assert (kaltim_queue.status, kaltim_queue.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["national"],
        )
        event = the_new_event(kaltim_queue, since)
        assert (event.type, event.actor) == ("PASSED_UP", officers["kaltim"])

    def test_note(self, disposed: Complaint, officers: dict[str, User]) -> None:
        client = logged_in(officers["dinkes"])
        since = last_event_pk(disposed)
        response = client.post(action_url(disposed, "note"), {"text": "Cek jadwal dokter jaga."})
        assert response.status_code == 302
        event = the_new_event(disposed, since)
        assert (event.type, event.is_public, event.actor) == ("NOTE", False, officers["dinkes"])
        body = client.get(page_url(disposed)).content.decode()
        assert re.search(
            r'<li class="internal"><time[^>]*>[^<]*</time> [^<]*<span class="meta">\(dinkes\)</span>: <span class="text">Cek jadwal dokter jaga\.</span>',
            body,
        )
        assert "Cek jadwal dokter jaga." in body
        # The citizen's public page never shows it.
        public = Client().get(f"/lacak/{disposed.tracking_number}/").content.decode()
        assert "Cek jadwal dokter jaga." not in public

    def test_privacy(
        self, disposed: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = logged_in(officers["samarinda"])
        assert "Siti Aminah" in client.get(page_url(disposed)).content.decode()
        since = last_event_pk(disposed)
        response = client.post(
            action_url(disposed, "privacy"), {"version": disposed.version, "make_anonymous": "on"}
        )
        assert response.status_code == 302
        disposed.refresh_from_db()
        assert disposed.is_anonymous is True
        event = the_new_event(disposed, since)
        assert (event.type, event.is_public, event.actor) == (
            "PRIVACY_RAISED",
            False,
            officers["samarinda"],
        )
        assert "Siti Aminah" not in client.get(page_url(disposed)).content.decode()
        # Sending the form with nothing ticked makes nothing less private.
        response = client.post(action_url(disposed, "privacy"), {"version": disposed.version})
        assert response.status_code == 400
        disposed.refresh_from_db()
        assert (disposed.is_anonymous, disposed.is_confidential) == (True, False)

    def test_an_action_not_yours_is_403_and_an_invisible_report_404(
        self, disposed: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        dinkes = logged_in(officers["dinkes"])
        response = dinkes.post(
            action_url(disposed, "dispose"),
            {"version": disposed.version, "to_agency": tree["rsud"].pk},
        )
        assert response.status_code == 403
        assert dinkes.post(action_url(disposed, "reveal"), {"reason": "x"}).status_code == 403
        rsud = logged_in(officers["rsud"])
        response = rsud.post(action_url(disposed, "acknowledge"), {"version": disposed.version})
        assert response.status_code == 404
        assert rsud.get(page_url(disposed)).status_code == 404
        assert dinkes.post(action_url(disposed, "nonsense"), {}).status_code == 404
        assert dinkes.get(action_url(disposed, "acknowledge")).status_code == 405
        anonymous = Client().post(action_url(disposed, "acknowledge"), {"version": 1})
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("dashboard:login"))
        assert snapshot(disposed) == before


# --- through HTTP: the staff API -------------------------------------------------------------------


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


class TestActionsThroughApi:
    def test_acknowledge_and_answer_with_a_photo(
        self, disposed: Complaint, officers: dict[str, User], media_root: Path
    ) -> None:
        client = api_as(officers["dinkes"])
        detail = client.get(reverse("api:staff-complaint", args=[disposed.tracking_number])).json()
        assert detail["version"] == disposed.version
        assert "acknowledge" in detail["actions"]
        since = last_event_pk(disposed)
        response = client.post(
            api_url(disposed, "acknowledge"), {"version": detail["version"]}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["complaint"]["status"] == "IN_PROGRESS"
        assert body["complaint"]["version"] == detail["version"] + 1
        assert the_new_event(disposed, since).type == "ACKNOWLEDGED"

        since = last_event_pk(disposed)
        response = client.post(
            api_url(disposed, "answer"),
            {
                "version": body["complaint"]["version"],
                "text": ANSWER,
                "attachments": [upload("foto.jpg", jpeg_with_gps())],
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["complaint"]["status"] == "RESPONDED"
        assert [r["text"] for r in body["complaint"]["responses"]] == [ANSWER]
        files = body["complaint"]["attachments"]
        assert len(files) == 1 and files[0]["content_type"] == "image/jpeg"
        assert files[0]["response"] == body["complaint"]["responses"][0]["id"]
        event = the_new_event(disposed, since)
        assert (event.type, event.actor, event.data["attachments"]) == (
            "RESPONDED",
            officers["dinkes"],
            1,
        )
        served = client.get(files[0]["url"])
        assert served.status_code == 200
        assert exif_gps(b"".join(served.streaming_content)) == {}
        assert len(files_in(media_root)) == 1

    def test_answer_too_short_is_400_with_the_field(
        self, in_progress: Complaint, officers: dict[str, User]
    ) -> None:
        before = snapshot(in_progress)
        response = api_as(officers["dinkes"]).post(
            api_url(in_progress, "answer"), {"text": "Sudah."}, format="multipart"
        )
        assert response.status_code == 400
        assert "text" in response.json()
        assert snapshot(in_progress) == before

    def test_transfer(
        self, disposed: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        since = last_event_pk(disposed)
        response = api_as(officers["dinkes"]).post(
            api_url(disposed, "transfer"),
            {"reason": "Kewenangan RSUD.", "suggested_agency": "rsud-smd"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["complaint"]["status"] == "AWAITING_VERIFICATION"
        event = the_new_event(disposed, since)
        assert (event.type, event.actor) == ("TRANSFER_REQUESTED", officers["dinkes"])
        assert TransferRequest.objects.get(complaint=disposed).suggested_agency == tree["rsud"]

    def test_dispose(
        self, returned: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        client = api_as(officers["samarinda"])
        since = last_event_pk(returned)
        response = client.post(
            api_url(returned, "dispose"),
            {"to_agency": "dinkes-smd", "version": returned.version},
            format="json",
        )
        # Back to the agency that returned it: refused unless confirmed.
        assert response.status_code == 400
        assert response.json()["detail"]
        assert last_event_pk(returned) == since
        response = client.post(
            api_url(returned, "dispose"),
            {"to_agency": "disdik-kaltim", "version": returned.version},
            format="json",
        )
        assert response.status_code == 400
        assert last_event_pk(returned) == since
        response = client.post(
            api_url(returned, "dispose"),
            {"to_agency": "rsud-smd", "version": returned.version},
            format="json",
        )
        assert response.status_code == 200, response.content
        returned.refresh_from_db()
        assert (returned.status, returned.current_agency) == ("DISPOSED", tree["rsud"])
        event = the_new_event(returned, since)
        assert (event.type, event.actor) == ("DISPOSED", officers["samarinda"])
        assert response.json()["complaint"]["current_agency"]["code"] == "rsud-smd"

    def test_archive(self, kaltim_queue: Complaint, officers: dict[str, User]) -> None:
        since = last_event_pk(kaltim_queue)
        response = api_as(officers["kaltim"]).post(
            api_url(kaltim_queue, "archive"), {"reason": "Laporan ganda."}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["complaint"]["status"] == "ARCHIVED"
        event = the_new_event(kaltim_queue, since)
        assert (event.type, event.data["reason"]) == ("ARCHIVED", "Laporan ganda.")

    def test_pass_up(
        self, kaltim_queue: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        since = last_event_pk(kaltim_queue)
        response = api_as(officers["kaltim"]).post(
            api_url(kaltim_queue, "pass-up"), {"reason": "Urusan pusat."}, format="json"
        )
        assert response.status_code == 200, response.content
        kaltim_queue.refresh_from_db()
        assert kaltim_queue.current_agency == tree["national"]
        event = the_new_event(kaltim_queue, since)
        assert (event.type, event.actor) == ("PASSED_UP", officers["kaltim"])

    def test_note(self, disposed: Complaint, officers: dict[str, User]) -> None:
        since = last_event_pk(disposed)
        response = api_as(officers["dinkes"]).post(
            api_url(disposed, "note"), {"text": "Menunggu data kunjungan."}, format="json"
        )
        assert response.status_code == 200, response.content
        notes = [e for e in response.json()["complaint"]["events"] if e["type"] == "NOTE"]
        assert len(notes) == 1
        assert notes[0]["is_public"] is False
        assert notes[0]["text"] == "Menunggu data kunjungan."
        assert notes[0]["actor"] == "dinkes"
        event = the_new_event(disposed, since)
        assert (event.type, event.is_public) == ("NOTE", False)

    def test_privacy_never_less_private(
        self, submit: Submit, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        complaint = route_fully(submit(is_anonymous=True).complaint)
        client = api_as(officers["samarinda"])
        since = last_event_pk(complaint)
        response = client.post(
            api_url(complaint, "privacy"),
            {"make_anonymous": False, "make_confidential": True},
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()["complaint"]
        assert (body["is_anonymous"], body["is_confidential"]) == (True, True)
        assert body["reporter"] is None
        event = the_new_event(complaint, since)
        assert (event.type, event.is_public) == ("PRIVACY_RAISED", False)
        # Both already set: the action is offered no more; nothing is written.
        response = client.post(
            api_url(complaint, "privacy"), {"make_anonymous": True}, format="json"
        )
        assert response.status_code == 403
        assert last_event_pk(complaint) == event.pk

    def test_refusals(
        self, disposed: Complaint, officers: dict[str, User], tree: dict[str, Agency]
    ) -> None:
        before = snapshot(disposed)
        url = api_url(disposed, "acknowledge")
        anonymous = APIClient().post(url, {}, format="json")
        assert anonymous.status_code == 401
        wrong = APIClient()
        wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert wrong.post(url, {}, format="json").status_code == 401
        assert api_as(officers["rsud"]).post(url, {}, format="json").status_code == 404
        dinkes = api_as(officers["dinkes"])
        response = dinkes.post(
            api_url(disposed, "dispose"), {"to_agency": "rsud-smd"}, format="json"
        )
        assert response.status_code == 403
        response = dinkes.post(url, {"version": "lama"}, format="json")
        assert response.status_code == 400
        assert "version" in response.json()
        nobody = make_user("tanpa-instansi")
        assert api_as(nobody).post(url, {}, format="json").status_code == 403
        assert snapshot(disposed) == before


# --- two officers at once -------------------------------------------------------------------------


class TestTwoOfficersSequentially:
    def test_the_second_page_answers_409_with_the_current_state(
        self,
        disposed: Complaint,
        tree: dict[str, Agency],
        officers: dict[str, User],
        media_root: Path,
    ) -> None:
        first = logged_in(officers["dinkes"])
        second = logged_in(make_user("dinkes2", tree["dinkes"]))
        first_page = first.get(page_url(disposed)).content.decode()
        second_page = second.get(page_url(disposed)).content.decode()
        version = form_version(first_page, "acknowledge")
        assert form_version(second_page, "answer") == version

        assert (
            first.post(action_url(disposed, "acknowledge"), {"version": version}).status_code == 302
        )
        after_first = snapshot(disposed)

        response = second.post(
            action_url(disposed, "answer"),
            {
                "version": version,
                "text": ANSWER,
                "attachments": [upload("foto.jpg", jpeg_with_gps())],
            },
        )
        assert response.status_code == 409
        body = response.content.decode()
        with translation.override("id"):
            message = translation.gettext(
                "Someone else changed this report while you were looking at it. "
                "Here is its current state: check it and try again."
            )
        assert message in body
        # The current state: in progress, with forms drawn from the new version.
        assert f'class="status status-in_progress">{status_label("IN_PROGRESS")}<' in body
        assert form_version(body, "answer") == version + 1
        # Nothing of the second officer's answer was written.
        assert snapshot(disposed) == after_first
        assert not Response.objects.exists()
        assert files_in(media_root) == []
        assert disposed.events.filter(type="RESPONDED").count() == 0
        assert disposed.events.filter(type="ACKNOWLEDGED").count() == 1

    def test_the_conflict_message_is_in_indonesian(
        self, disposed: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        client = logged_in(officers["dinkes"])
        stale = disposed.version
        assert (
            client.post(action_url(disposed, "acknowledge"), {"version": stale}).status_code == 302
        )
        response = client.post(
            action_url(disposed, "transfer"), {"version": stale, "reason": "Bukan wewenang kami."}
        )
        assert response.status_code == 409
        assert "Someone else changed this report" not in response.content.decode()

    def test_the_second_api_call_answers_409_with_detail(
        self, disposed: Complaint, tree: dict[str, Agency], officers: dict[str, User]
    ) -> None:
        first = api_as(officers["dinkes"])
        second = api_as(make_user("dinkes2", tree["dinkes"]))
        url = reverse("api:staff-complaint", args=[disposed.tracking_number])
        version = first.get(url).json()["version"]
        assert second.get(url).json()["version"] == version
        response = first.post(api_url(disposed, "acknowledge"), {"version": version}, format="json")
        assert response.status_code == 200
        after_first = snapshot(disposed)

        response = second.post(
            api_url(disposed, "answer"),
            {"version": version, "text": ANSWER, "attachments": [upload("f.jpg", jpeg_with_gps())]},
            format="multipart",
        )
        assert response.status_code == 409
        body = response.json()
        assert "Someone else changed" in body["detail"] or "diubah" in body["detail"]
        assert body["version"] == version + 1
        assert snapshot(disposed) == after_first
        # A transfer drawn from the old version is refused the same way.
        response = second.post(
            api_url(disposed, "transfer"),
            {"version": version, "reason": "Bukan wewenang kami."},
            format="json",
        )
        assert response.status_code == 409
        assert snapshot(disposed) == after_first


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released at the same instant; each result or exception."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:  # the outcome under test, kept for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def _no_publication(published: Callable[[str], list[dict[str, Any]]]) -> None:
    """In a transactional test commits are real, and so would be the tasks published after
    them (routing steps, e-mails, agency notices): these tests are about the actions, so
    those are kept (``published``) instead of sent into a broker another test might read."""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_no_publication")
class TestTwoOfficersAtTheSameInstant:
    def test_two_answers_one_wins(
        self, submit: Submit, tree: dict[str, Agency], media_root: Path
    ) -> None:
        complaint = route_fully(submit().complaint)
        version = complaint.version
        officer_a = make_user("dinkes-a", tree["dinkes"])
        officer_b = make_user("dinkes-b", tree["dinkes"])

        def answer(user: User, text: str) -> Callable[[], Response]:
            return lambda: services.respond_to_complaint(
                complaint_id=complaint.pk,
                agency=tree["dinkes"],
                text=text,
                attachments=[upload(f"{user.username}.jpg", jpeg_with_gps())],
                actor=user,
                now=LATER,
                expected_version=version,
            )

        results = race([answer(officer_a, ANSWER + " (A)"), answer(officer_b, ANSWER + " (B)")])
        won = [r for r in results if isinstance(r, Response)]
        lost = [r for r in results if isinstance(r, ActionError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].conflict is True
        complaint.refresh_from_db()
        assert complaint.status == Status.RESPONDED
        assert complaint.version == version + 1
        assert list(Response.objects.filter(complaint=complaint)) == won
        assert complaint.events.filter(type="RESPONDED").count() == 1
        event = complaint.events.get(type="RESPONDED")
        assert event.actor_id == won[0].author_id
        assert event.data["response_id"] == won[0].pk
        # Only the winner's file is stored.
        assert Attachment.objects.filter(complaint=complaint).count() == 1
        assert len(files_in(media_root)) == 1

    def test_two_acknowledgements_one_wins(self, submit: Submit, tree: dict[str, Agency]) -> None:
        complaint = route_fully(submit().complaint)
        version = complaint.version
        users = [make_user(f"dinkes-{n}", tree["dinkes"]) for n in range(2)]

        def acknowledge(user: User) -> Callable[[], Complaint]:
            return lambda: services.acknowledge_complaint(
                complaint_id=complaint.pk,
                agency=tree["dinkes"],
                actor=user,
                now=LATER,
                expected_version=version,
            )

        results = race([acknowledge(user) for user in users])
        won = [r for r in results if isinstance(r, Complaint)]
        lost = [r for r in results if isinstance(r, ActionError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].conflict is True
        complaint.refresh_from_db()
        assert (complaint.status, complaint.version) == ("IN_PROGRESS", version + 1)
        assert complaint.events.filter(type="ACKNOWLEDGED").count() == 1
