"""Interim replies apart from final answers, the inspection deadline of a complaint and the one
extension of an information request: through their services, the dashboard's forms, the staff
API, the citizen's private page and the e-mail the citizen gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Complaint, ComplaintEvent, Message, Response
from complaints.selectors import citizen_actions
from complaints.services import SubmissionReceipt
from complaints.workflow import CitizenAction
from lapor.lib.actions import ActionError
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting
from tests.helpers import NOW, api_token, deliver_pending, end_of, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Status = Complaint.Status
Step = DeadlineSetting.Step
Submit = Callable[..., Any]
LATER = NOW + dt.timedelta(days=2)  # Wed 2 Dec 2026
INTERIM = "Petugas kami sudah meninjau puskesmas; hasilnya kami sampaikan minggu depan."
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
REASON = "Perlu pemeriksaan lapangan oleh inspektorat daerah."


@pytest.fixture
def dinkes(tree: dict[str, Agency]) -> Agency:
    return tree["dinkes"]


@pytest.fixture
def officer(dinkes: Agency) -> User:
    return make_user("petugas-dinkes", dinkes)


@pytest.fixture
def filed(submit: Submit, tree: dict[str, Agency]) -> SubmissionReceipt:
    """A health complaint routed to Dinkes Samarinda at NOW (Mon 30 Nov), with its receipt."""
    receipt = submit()
    route_fully(receipt.complaint)
    return receipt


def reload(complaint: Complaint) -> Complaint:
    complaint.refresh_from_db()
    return complaint


def interim(complaint: Complaint, agency: Agency, now: dt.datetime = LATER) -> Response:
    return services.respond_to_complaint(
        complaint_id=complaint.pk, agency=agency, text=INTERIM, actor=None, now=now, final=False
    )


class TestInterimReplies:
    def test_takes_up_a_report_just_handed_over_and_keeps_its_clock(
        self, filed: SubmissionReceipt, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        reply = interim(complaint, dinkes)
        complaint = reload(complaint)
        # As acknowledging does: in process, 14 working days from the hand-over (Fri 18 Dec).
        assert (complaint.status, complaint.current_agency_id) == (Status.IN_PROGRESS, dinkes.pk)
        assert complaint.due_at == end_of(2026, 12, 18)
        assert (reply.is_final, reply.is_first, reply.reached_at) == (False, False, None)
        event = complaint.events.order_by("-pk").first()
        assert event is not None and event.type == ComplaintEvent.Type.INTERIM_REPLY
        # A second one changes nothing but adds the reply.
        interim(complaint, dinkes, LATER + dt.timedelta(days=1))
        assert reload(complaint).due_at == end_of(2026, 12, 18)
        assert complaint.responses.filter(is_final=False).count() == 2

    def test_the_citizen_reads_it_but_has_nothing_to_accept_dispute_or_rate(
        self, filed: SubmissionReceipt, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        interim(complaint, dinkes)
        # Only more words for the agency, as on any report being handled.
        assert citizen_actions(reload(complaint)) == frozenset({CitizenAction.ADD})
        with pytest.raises(ActionError):
            services.rate_answer(complaint_id=complaint.pk, score=5, comment="", now=LATER)
        with pytest.raises(ActionError):
            services.accept_answer(complaint_id=complaint.pk, now=LATER)
        page = Client().get(f"/lacak/{complaint.tracking_number}/{filed.access_key}/")
        html = page.content.decode()
        assert INTERIM in html
        assert "Tindak lanjut sementara" in html

    def test_the_citizen_is_emailed_its_text(
        self, filed: SubmissionReceipt, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        deliver_pending()  # the receipt and the hand-over's notices
        mail.outbox.clear()
        interim(complaint, dinkes)
        assert Message.objects.filter(kind=Message.Kind.REPORTER_UPDATE).exists()
        deliver_pending(LATER)
        sent = [m for m in mail.outbox if m.to == ["siti@example.id"]]
        assert len(sent) == 1
        assert INTERIM in sent[0].body
        assert complaint.tracking_number in sent[0].subject

    def test_the_final_answer_after_it_is_the_one_rated(
        self, filed: SubmissionReceipt, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        interim(complaint, dinkes)
        final = services.respond_to_complaint(
            complaint_id=complaint.pk, agency=dinkes, text=ANSWER, actor=None, now=LATER
        )
        assert reload(complaint).status == Status.RESPONDED
        assert (final.is_final, final.is_first, final.reached_at) == (True, True, NOW)
        rating = services.rate_answer(complaint_id=complaint.pk, score=4, comment="", now=LATER)
        assert rating.response_id == final.pk

    def test_through_the_answer_form_of_the_dashboard(
        self, filed: SubmissionReceipt, officer: User
    ) -> None:
        complaint = filed.complaint
        client = Client()
        client.force_login(officer)
        page = client.get(reverse("dashboard:complaint", args=[complaint.tracking_number]))
        assert 'value="interim"' in page.content.decode()
        response = client.post(
            reverse("dashboard:action", args=[complaint.tracking_number, "answer"]),
            {"text": INTERIM, "kind": "interim", "version": complaint.version},
        )
        assert response.status_code == 302
        complaint = reload(complaint)
        assert complaint.status == Status.IN_PROGRESS
        assert complaint.responses.get().is_final is False
        # Without a choice, the form sends the final answer, as before the choice existed.
        response = client.post(
            reverse("dashboard:action", args=[complaint.tracking_number, "answer"]),
            {"text": ANSWER, "version": complaint.version},
        )
        assert response.status_code == 302
        assert reload(complaint).status == Status.RESPONDED

    def test_through_the_staff_api(self, filed: SubmissionReceipt, officer: User) -> None:
        complaint = filed.complaint
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(officer)}")
        response = client.post(
            reverse("api:staff-interim", args=[complaint.tracking_number]),
            {"text": INTERIM, "version": complaint.version},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert reload(complaint).status == Status.IN_PROGRESS
        detail = client.get(reverse("api:staff-complaint", args=[complaint.tracking_number]))
        assert [r["is_final"] for r in detail.json()["responses"]] == [False]


class TestInspectionDeadline:
    def test_a_complaint_gets_the_long_deadline_from_its_hand_over_with_the_reason(
        self, filed: SubmissionReceipt, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        services.set_inspection_deadline(
            complaint_id=complaint.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
        )
        complaint = reload(complaint)
        assert (complaint.status, complaint.needs_inspection) == (Status.IN_PROGRESS, True)
        # 60 working days from the hand-over (Mon 30 Nov 2026).
        expected = routing_selectors.due_at(
            start=NOW, step=Step.COMPLETION_INSPECTION, kind="COMPLAINT"
        )
        assert complaint.due_at == expected
        assert expected > end_of(2027, 2, 15)
        event = complaint.events.order_by("-pk").first()
        assert event is not None
        assert (event.type, event.data["reason"]) == (ComplaintEvent.Type.INSPECTION, REASON)
        assert event.is_public

    def test_only_once_and_only_for_a_complaint_and_with_a_reason(
        self, filed: SubmissionReceipt, submit: Submit, dinkes: Agency
    ) -> None:
        complaint = filed.complaint
        with pytest.raises(ActionError, match=r"(?i)alasan|reason|jelaskan"):
            services.set_inspection_deadline(
                complaint_id=complaint.pk, agency=dinkes, reason="  ", actor=None, now=LATER
            )
        services.set_inspection_deadline(
            complaint_id=complaint.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
        )
        with pytest.raises(ActionError) as again:
            services.set_inspection_deadline(
                complaint_id=complaint.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
            )
        assert not again.value.conflict
        aspiration = route_fully(submit(kind="ASPIRATION").complaint)
        with pytest.raises(ActionError):
            services.set_inspection_deadline(
                complaint_id=aspiration.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
            )
        assert reload(aspiration).needs_inspection is False


class TestExtension:
    def test_an_information_request_is_extended_once_by_seven_working_days(
        self, submit: Submit, dinkes: Agency, officer: User
    ) -> None:
        request = route_fully(submit(kind="INFORMATION_REQUEST").complaint)
        # Only once taken up: the completion deadline is what is extended.
        with pytest.raises(ActionError):
            services.extend_deadline(
                complaint_id=request.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
            )
        services.acknowledge_complaint(complaint_id=request.pk, agency=dinkes, actor=None, now=NOW)
        before = reload(request).due_at
        assert before is not None
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(officer)}")
        response = client.post(
            reverse("api:staff-extend", args=[request.tracking_number]),
            {
                "reason": "Dokumen yang diminta tersimpan di arsip kecamatan.",
                "version": reload(request).version,
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        request = reload(request)
        assert request.deadline_extended
        assert request.due_at == routing_selectors.due_at(
            start=before, step=Step.EXTENSION, kind="INFORMATION_REQUEST"
        )
        # Seven working days: from Tue 15 Dec, past Christmas and the cuti bersama.
        assert request.due_at > before + dt.timedelta(days=7)
        again = client.post(
            reverse("api:staff-extend", args=[request.tracking_number]),
            {"reason": "Lagi.", "version": request.version},
            format="json",
        )
        assert again.status_code == 403
        assert reload(request).due_at == request.due_at

    def test_a_complaint_cannot_be_extended(self, filed: SubmissionReceipt, dinkes: Agency) -> None:
        complaint = filed.complaint
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=dinkes, actor=None, now=NOW
        )
        with pytest.raises(ActionError):
            services.extend_deadline(
                complaint_id=complaint.pk, agency=dinkes, reason=REASON, actor=None, now=LATER
            )
        assert reload(complaint).deadline_extended is False
