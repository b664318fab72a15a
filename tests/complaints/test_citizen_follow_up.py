"""The citizen's side of an answer: reply, accept, dispute, rate, and completion when the reply
window passes. Each through its service (state, the one event, the rows, what it refuses), then
through the private link over HTTP, and the coordinator's side of a dispute in the dashboard."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import holidays
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from complaints import deadlines, services
from complaints import services as complaint_services
from complaints.models import (
    Complaint,
    ComplaintEvent,
    Disposition,
    Dispute,
    Message,
    Rating,
    Response,
)
from complaints.services import SubmissionReceipt
from complaints.tasks import complete_unanswered_reports_task
from lapor import queue
from lapor.lib.actions import ActionError
from routing import selectors as routing_selectors
from routing.models import Agency, DeadlineSetting, Officer
from tests.helpers import (
    NOW,
    end_of,
    in_indonesian,
    last_event_pk,
    route_fully,
    snapshot,
    the_new_event,
)

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WIB = NOW.tzinfo
Status = Complaint.Status
Type = ComplaintEvent.Type
Step = DeadlineSetting.Step
Submit = Callable[..., Any]

# Mon 30 Nov 2026: filed and routed to Dinkes Samarinda (NOW), taken up the same day; answered
# Wed 2 Dec; the citizen reacts Thu 3 Dec.
ANSWERED_AT = NOW + dt.timedelta(days=2)
REACTED_AT = NOW + dt.timedelta(days=3, hours=1)
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
SECOND_ANSWER = "Kami sudah memeriksa ulang: kepala puskesmas diganti, jadwal kini dipasang."
REPLY = "Apakah jadwal baru juga berlaku pada hari Sabtu? Mohon penjelasan."
REASON = "Puskesmas tetap tutup pukul 10 pada hari Selasa, jawaban ini tidak benar."
COMMENT = "Ditangani cepat setelah sanggahan."
# Django's own messages, which its Indonesian catalog translates.
REQUIRED = "This field is required."
INVALID_CHOICE = "Select a valid choice. %(value)s is not one of the available choices."


def answer(complaint: Complaint, agency: Agency, now: dt.datetime, text: str = ANSWER) -> Response:
    response = services.respond_to_complaint(
        complaint_id=complaint.pk, agency=agency, text=text, actor=None, now=now
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.RESPONDED
    return response


@pytest.fixture
def filed(tree: dict[str, Agency], submit: Submit) -> SubmissionReceipt:
    """A health report from Palaran, routed down to Dinkes Samarinda and taken up there."""
    receipt = submit()
    complaint = route_fully(receipt.complaint)
    assert (complaint.status, complaint.current_agency) == (Status.DISPOSED, tree["dinkes"])
    services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=NOW
    )
    return receipt


@pytest.fixture
def in_progress(filed: SubmissionReceipt) -> Complaint:
    complaint = filed.complaint
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    return complaint


@pytest.fixture
def answered(in_progress: Complaint, tree: dict[str, Agency]) -> Complaint:
    """Answered by Dinkes Samarinda on Wed 2 Dec 2026: the citizen's reply window runs."""
    answer(in_progress, tree["dinkes"], ANSWERED_AT)
    # 10 working days after Wed 2 Dec 2026: Thu 3 … Wed 16 Dec.
    assert in_progress.due_at == end_of(2026, 12, 16)
    return in_progress


def latest_answer(complaint: Complaint) -> Response:
    return complaint.responses.order_by("-created_at", "-pk").first()  # type: ignore[return-value]  # the report has an answer


# --- the services ------------------------------------------------------------------------------


class TestReplyToAnswer:
    def test_goes_back_to_the_agency_that_answered_with_a_follow_up_deadline(
        self, answered: Complaint, tree: dict[str, Agency]
    ) -> None:
        since, version, step = last_event_pk(answered), answered.version, answered.routing_step
        response = latest_answer(answered)
        event = services.reply_to_answer(
            complaint_id=answered.pk, text=f"  {REPLY}  ", now=REACTED_AT
        )
        answered.refresh_from_db()
        assert answered.status == Status.IN_PROGRESS
        assert answered.current_agency == tree["dinkes"]
        assert answered.version == version + 1
        assert answered.routing_step == step  # no disposition: the same desk
        # 5 working days after Thu 3 Dec 2026: Fri 4, Mon 7 … Thu 10 Dec.
        expected = routing_selectors.due_at(start=REACTED_AT, step=Step.FIRST_RESPONSE)
        assert answered.due_at == expected == end_of(2026, 12, 10)
        new = the_new_event(answered, since)
        assert new == event
        assert (new.type, new.from_status, new.to_status) == (
            Type.CITIZEN_REPLIED,
            Status.RESPONDED,
            Status.IN_PROGRESS,
        )
        assert new.is_public is True
        assert new.actor is None
        assert new.created_at == REACTED_AT
        assert new.data == {
            "agency_id": tree["dinkes"].pk,
            "agency_name": "Dinkes Samarinda",
            "text": REPLY,
            "response_id": response.pk,
        }
        assert answered.disputes.count() == 0

    def test_the_agency_is_told_after_commit_and_can_answer_again(
        self,
        answered: Complaint,
        tree: dict[str, Agency],
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
        mailoutbox: list[Any],
    ) -> None:
        from complaints.tasks import send_message_task

        officer = User.objects.create_user("dinkes", "dinkes@example.go.id", "sandi-uji-2026")
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        queued = published(queue.SEND_MESSAGE)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.reply_to_answer(complaint_id=answered.pk, text=REPLY, now=REACTED_AT)
            assert queued == []  # nothing leaves before the commit
        assert len(callbacks) == 1
        notice = Message.objects.get(
            kind=Message.Kind.AGENCY_NOTICE, complaint=answered, created_at=REACTED_AT
        )
        assert notice.agency_id == tree["dinkes"].pk
        assert queued == [{"message_id": notice.pk}]
        assert send_message_task(**queued[0]) == "sent"
        (message,) = mailoutbox
        assert message.bcc == ["dinkes@example.go.id"]
        assert answered.tracking_number in message.subject

        again_at = REACTED_AT + dt.timedelta(days=1)  # Fri 4 Dec 2026
        version = Complaint.objects.get(pk=answered.pk).version
        second = answer(answered, tree["dinkes"], again_at, SECOND_ANSWER)
        assert second.agency == tree["dinkes"]
        assert answered.version == version + 1
        # A new reply window: 10 working days after Fri 4 Dec 2026 → Fri 18 Dec.
        assert answered.due_at == end_of(2026, 12, 18)
        assert latest_answer(answered) == second

    @pytest.mark.parametrize(
        "text", ["", "   \n ", "x" * (services.REPLY_MAX_LENGTH + 1), "Halo\x00dunia"]
    )
    def test_refuses_an_empty_or_too_long_reply(self, answered: Complaint, text: str) -> None:
        before = snapshot(answered)
        with pytest.raises(ValidationError) as caught:
            services.reply_to_answer(complaint_id=answered.pk, text=text, now=REACTED_AT)
        assert "text" in caught.value.message_dict
        assert snapshot(answered) == before


class TestAcceptAnswer:
    def test_completes_the_report(self, answered: Complaint, tree: dict[str, Agency]) -> None:
        since, version, due = last_event_pk(answered), answered.version, answered.due_at
        result = services.accept_answer(complaint_id=answered.pk, now=REACTED_AT)
        answered.refresh_from_db()
        assert result.pk == answered.pk
        assert answered.status == Status.COMPLETED
        assert answered.current_agency == tree["dinkes"]
        assert answered.version == version + 1
        assert answered.due_at == due
        event = the_new_event(answered, since)
        assert (event.type, event.from_status, event.to_status) == (
            Type.COMPLETED,
            Status.RESPONDED,
            Status.COMPLETED,
        )
        assert event.is_public is True
        assert event.actor is None
        assert event.created_at == REACTED_AT
        assert event.data == {"agency_id": tree["dinkes"].pk, "agency_name": "Dinkes Samarinda"}
        assert not answered.is_open


class TestNotWaitingForTheCitizen:
    """Reply, accept and dispute need a report that is answered and waiting for the citizen."""

    ACTIONS: dict[str, Callable[[int], Any]] = {
        "reply": lambda pk: services.reply_to_answer(complaint_id=pk, text=REPLY, now=REACTED_AT),
        "accept": lambda pk: services.accept_answer(complaint_id=pk, now=REACTED_AT),
        "dispute": lambda pk: complaint_services.dispute_answer(
            complaint_id=pk, reason=REASON, now=REACTED_AT
        ),
    }

    @pytest.mark.parametrize("action", ACTIONS)
    def test_refused_before_any_answer(self, in_progress: Complaint, action: str) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as caught:
            self.ACTIONS[action](in_progress.pk)
        assert caught.value.conflict is True
        assert snapshot(in_progress) == before

    @pytest.mark.parametrize("first", ["accept", "dispute", "reply"])
    @pytest.mark.parametrize("action", ACTIONS)
    def test_refused_after_the_citizen_already_reacted(
        self, answered: Complaint, first: str, action: str
    ) -> None:
        self.ACTIONS[first](answered.pk)
        before = snapshot(answered)
        assert before[0] != Status.RESPONDED
        with pytest.raises(ActionError) as caught:
            self.ACTIONS[action](answered.pk)
        assert caught.value.conflict is True
        assert caught.value.message == str(
            translation.gettext("This report is not waiting for your reaction to an answer.")
        )
        assert snapshot(answered) == before


class TestDisputeAnswer:
    def test_goes_to_the_coordinator_above_and_counts_against_the_agency(
        self, answered: Complaint, tree: dict[str, Agency]
    ) -> None:
        since, version, step = last_event_pk(answered), answered.version, answered.routing_step
        response = latest_answer(answered)
        dispute = complaint_services.dispute_answer(
            complaint_id=answered.pk, reason=f" {REASON}\n", now=REACTED_AT
        )
        answered.refresh_from_db()
        assert answered.status == Status.IN_PROGRESS
        # To Diskominfo Samarinda, above Dinkes; not back to the desk that answered.
        assert answered.current_agency == tree["samarinda"]
        assert answered.version == version + 1
        assert answered.routing_step == step + 1
        # A verification deadline: 3 working days after Thu 3 Dec 2026 → Tue 8 Dec.
        assert answered.due_at == end_of(2026, 12, 8)

        assert dispute.complaint == answered
        assert dispute.agency == tree["dinkes"]
        assert dispute.response == response
        assert dispute.reason == REASON
        assert dispute.created_at == REACTED_AT
        assert Dispute.objects.filter(agency=tree["dinkes"]).count() == 1
        assert Dispute.objects.filter(agency=tree["samarinda"]).count() == 0

        disposition = answered.dispositions.get(sequence=answered.routing_step)
        assert disposition.kind == Disposition.Kind.DISPUTE
        assert (disposition.from_agency, disposition.to_agency) == (
            tree["dinkes"],
            tree["samarinda"],
        )
        assert disposition.due_at == answered.due_at
        assert disposition.created_at == REACTED_AT

        event = the_new_event(answered, since)
        assert (event.type, event.from_status, event.to_status) == (
            Type.DISPUTED,
            Status.RESPONDED,
            Status.IN_PROGRESS,
        )
        assert event.is_public is True
        assert event.actor is None
        assert event.data["agency_id"] == tree["samarinda"].pk
        assert event.data["agency_name"] == "Diskominfo Samarinda"
        assert event.data["disputed_agency"] == "Dinkes Samarinda"
        assert event.data["reason"] == REASON
        assert event.data["disposition"] == disposition.sequence
        with translation.override("en"):
            assert event.label == (
                "The reporter disputed the answer; passed to Diskominfo Samarinda"
            )

    def test_the_coordinator_is_told_after_commit(
        self,
        answered: Complaint,
        tree: dict[str, Agency],
        django_capture_on_commit_callbacks: Any,
        published: Callable[[str], list[dict[str, Any]]],
    ) -> None:

        queued = published(queue.SEND_MESSAGE)
        with django_capture_on_commit_callbacks(execute=True):
            complaint_services.dispute_answer(
                complaint_id=answered.pk, reason=REASON, now=REACTED_AT
            )
            assert queued == []
        notice = Message.objects.get(
            kind=Message.Kind.AGENCY_NOTICE, complaint=answered, created_at=REACTED_AT
        )
        assert notice.agency_id == tree["samarinda"].pk
        assert queued == [{"message_id": notice.pk}]

    @pytest.mark.parametrize(
        "reason", ["", "  \n", "x" * (complaint_services.REASON_MAX_LENGTH + 1), "Salah\x07"]
    )
    def test_refuses_an_empty_or_too_long_reason(self, answered: Complaint, reason: str) -> None:
        before = snapshot(answered)
        with pytest.raises(ActionError) as caught:
            complaint_services.dispute_answer(
                complaint_id=answered.pk, reason=reason, now=REACTED_AT
            )
        assert caught.value.conflict is False
        assert snapshot(answered) == before

    @pytest.mark.parametrize("to", ["dinkes", "rsud"])
    def test_coordinator_disposes_then_the_citizen_accepts_the_second_answer_and_rates_it(
        self, answered: Complaint, tree: dict[str, Agency], to: str
    ) -> None:
        complaint_services.dispute_answer(complaint_id=answered.pk, reason=REASON, now=REACTED_AT)
        answered.refresh_from_db()
        disposed_at = REACTED_AT + dt.timedelta(days=1)  # Fri 4 Dec 2026
        since, version = last_event_pk(answered), answered.version
        disposition = complaint_services.dispose_complaint(
            complaint_id=answered.pk,
            coordinator=tree["samarinda"],
            to_agency=tree[to],
            actor=None,
            now=disposed_at,
            expected_version=version,
        )
        answered.refresh_from_db()
        assert (answered.status, answered.current_agency) == (Status.DISPOSED, tree[to])
        assert answered.version == version + 1
        assert disposition.kind == Disposition.Kind.DISPOSE
        assert (disposition.from_agency, disposition.to_agency) == (tree["samarinda"], tree[to])
        # First follow-up: 5 working days after Fri 4 Dec 2026 → Fri 11 Dec.
        assert answered.due_at == end_of(2026, 12, 11)
        event = the_new_event(answered, since)
        assert (event.type, event.from_status, event.to_status) == (
            Type.DISPOSED,
            Status.IN_PROGRESS,
            Status.DISPOSED,
        )

        services.acknowledge_complaint(
            complaint_id=answered.pk, agency=tree[to], actor=None, now=disposed_at
        )
        second = answer(answered, tree[to], disposed_at + dt.timedelta(hours=3), SECOND_ANSWER)
        assert second.agency == tree[to]
        accepted_at = disposed_at + dt.timedelta(days=3)
        services.accept_answer(complaint_id=answered.pk, now=accepted_at)
        answered.refresh_from_db()
        assert answered.status == Status.COMPLETED
        completed = answered.events.get(type=Type.COMPLETED)
        assert completed.data["agency_id"] == tree[to].pk

        rating = services.rate_answer(
            complaint_id=answered.pk, score=5, comment=COMMENT, now=accepted_at
        )
        assert (rating.response, rating.agency, rating.score) == (second, tree[to], 5)
        # The dispute stays counted against Dinkes, the agency whose answer was disputed.
        assert Dispute.objects.filter(agency=tree["dinkes"]).count() == 1
        assert Dispute.objects.get(complaint=answered).response != second
        assert Dispute.objects.filter(agency=tree["rsud"]).count() == 0


class TestRateAnswer:
    def test_rates_the_latest_answer_once(
        self, answered: Complaint, tree: dict[str, Agency]
    ) -> None:
        since, state = last_event_pk(answered), snapshot(answered)
        response = latest_answer(answered)
        rating = services.rate_answer(
            complaint_id=answered.pk, score=4, comment=f" {COMMENT} ", now=REACTED_AT
        )
        assert (rating.complaint, rating.response, rating.agency) == (
            answered,
            response,
            tree["dinkes"],
        )
        assert (rating.score, rating.comment, rating.created_at) == (4, COMMENT, REACTED_AT)
        event = the_new_event(answered, since)
        assert (event.type, event.from_status, event.to_status) == (
            Type.RATED,
            Status.RESPONDED,
            Status.RESPONDED,
        )
        assert event.is_public is True
        assert event.data == {"score": 4, "response_id": response.pk}
        # Rating changes nothing else: the citizen can still reply, accept or dispute.
        after = snapshot(answered)
        assert after[:5] == state[:5]
        assert after[-1] == state[-1] + 1

        before = snapshot(answered)
        with pytest.raises(ActionError) as caught:
            services.rate_answer(complaint_id=answered.pk, score=1, comment="", now=REACTED_AT)
        assert caught.value.conflict is True
        assert snapshot(answered) == before
        assert Rating.objects.get(response=response).score == 4

    def test_a_second_answer_can_be_rated_again(
        self, answered: Complaint, tree: dict[str, Agency]
    ) -> None:
        first = latest_answer(answered)
        services.rate_answer(complaint_id=answered.pk, score=2, comment="", now=REACTED_AT)
        services.reply_to_answer(complaint_id=answered.pk, text=REPLY, now=REACTED_AT)
        second = answer(answered, tree["dinkes"], REACTED_AT + dt.timedelta(days=1), SECOND_ANSWER)
        rating = services.rate_answer(
            complaint_id=answered.pk, score=5, comment=COMMENT, now=REACTED_AT
        )
        assert rating.response == second
        assert dict(answered.ratings.values_list("response_id", "score")) == {
            first.pk: 2,
            second.pk: 5,
        }
        assert answered.events.filter(type=Type.RATED).count() == 2

    @pytest.mark.parametrize("score", [0, 6, -1])
    def test_refuses_a_score_outside_one_to_five(self, answered: Complaint, score: int) -> None:
        before = snapshot(answered)
        with pytest.raises(ValidationError) as caught:
            services.rate_answer(complaint_id=answered.pk, score=score, comment="", now=REACTED_AT)
        assert "score" in caught.value.message_dict
        assert snapshot(answered) == before

    def test_refuses_a_too_long_comment(self, answered: Complaint) -> None:
        before = snapshot(answered)
        with pytest.raises(ValidationError) as caught:
            services.rate_answer(
                complaint_id=answered.pk, score=3, comment="x" * 2001, now=REACTED_AT
            )
        assert "comment" in caught.value.message_dict
        assert snapshot(answered) == before

    def test_refuses_a_report_without_an_answer(self, in_progress: Complaint) -> None:
        before = snapshot(in_progress)
        with pytest.raises(ActionError) as caught:
            services.rate_answer(complaint_id=in_progress.pk, score=5, comment="", now=REACTED_AT)
        assert caught.value.conflict is True
        assert snapshot(in_progress) == before


# --- completion when the reply window passes --------------------------------------------------

# Answered on Friday 14 August 2026, 10:00 WIB. Monday 17 August is Independence Day and
# Tuesday 25 August the Prophet's Birthday, so the 10 working days of the reply window are
# Tue 18, Wed 19, Thu 20, Fri 21, Mon 24, Wed 26, Thu 27, Fri 28, Mon 31 Aug, Tue 1 Sep.
HOLIDAY_ANSWERED_AT = dt.datetime(2026, 8, 14, 10, 0, tzinfo=WIB)
HOLIDAY_REPLY_DUE = end_of(2026, 9, 1)


@pytest.fixture
def answered_before_independence_day(tree: dict[str, Agency], submit: Submit) -> Complaint:
    filed_at = dt.datetime(2026, 8, 10, 9, 0, tzinfo=WIB)
    complaint = route_fully(
        submit(now=filed_at, incident_date=dt.date(2026, 8, 8)).complaint, now=filed_at
    )
    services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=filed_at
    )
    answer(complaint, tree["dinkes"], HOLIDAY_ANSWERED_AT)
    return complaint


class TestCompleteUnanswered:
    def test_the_reply_window_skips_weekends_and_national_holidays(
        self, answered_before_independence_day: Complaint
    ) -> None:
        national = holidays.country_holidays("ID", years=2026, categories=("public", "government"))
        assert dt.date(2026, 8, 17) in national  # Hari Kemerdekaan, a Monday
        assert dt.date(2026, 8, 25) in national  # Maulid Nabi, a Tuesday
        assert answered_before_independence_day.due_at == HOLIDAY_REPLY_DUE

    def test_completes_only_after_the_window_and_only_once(
        self, answered_before_independence_day: Complaint, tree: dict[str, Agency]
    ) -> None:
        complaint = answered_before_independence_day
        since, version = last_event_pk(complaint), complaint.version
        before = snapshot(complaint)
        minute = dt.timedelta(minutes=1)

        assert deadlines.complete_unanswered_reports(now=HOLIDAY_REPLY_DUE - minute) == 0
        assert snapshot(complaint) == before

        assert deadlines.complete_unanswered_reports(now=HOLIDAY_REPLY_DUE + minute) == 1
        complaint.refresh_from_db()
        assert complaint.status == Status.COMPLETED
        assert complaint.current_agency == tree["dinkes"]
        assert complaint.version == version + 1
        event = the_new_event(complaint, since)
        assert (event.type, event.from_status, event.to_status) == (
            Type.AUTO_COMPLETED,
            Status.RESPONDED,
            Status.COMPLETED,
        )
        assert event.is_public is True
        assert event.actor is None
        assert event.created_at == HOLIDAY_REPLY_DUE + minute
        assert event.data == {"agency_id": tree["dinkes"].pk, "agency_name": "Dinkes Samarinda"}

        # A second run (a repeated beat, a second worker) changes nothing.
        done = snapshot(complaint)
        later = HOLIDAY_REPLY_DUE + dt.timedelta(days=1)
        assert deadlines.complete_unanswered_reports(now=later) == 0
        assert deadlines.complete_unanswered(complaint_id=complaint.pk, now=later) is False
        assert snapshot(complaint) == done

    def test_a_report_the_citizen_replied_to_is_not_completed(
        self, answered_before_independence_day: Complaint
    ) -> None:
        complaint = answered_before_independence_day
        replied_at = dt.datetime(2026, 8, 18, 8, 0, tzinfo=WIB)
        services.reply_to_answer(complaint_id=complaint.pk, text=REPLY, now=replied_at)
        before = snapshot(complaint)
        assert before[0] == Status.IN_PROGRESS
        late = HOLIDAY_REPLY_DUE + dt.timedelta(days=3)
        assert deadlines.complete_unanswered_reports(now=late) == 0
        assert deadlines.complete_unanswered(complaint_id=complaint.pk, now=late) is False
        assert snapshot(complaint) == before
        assert not complaint.events.filter(type=Type.AUTO_COMPLETED).exists()

    def test_the_beat_task_completes_what_is_due_now(
        self, tree: dict[str, Agency], submit: Submit
    ) -> None:
        """The task reads the clock itself: one report answered two months ago, one just now."""
        now = timezone.now()

        def answered_at(moment: dt.datetime) -> Complaint:
            complaint = route_fully(
                submit(now=moment, incident_date=timezone.localdate(moment)).complaint, now=moment
            )
            services.acknowledge_complaint(
                complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=moment
            )
            answer(complaint, tree["dinkes"], moment)
            return complaint

        old = answered_at(now - dt.timedelta(days=60))
        fresh = answered_at(now - dt.timedelta(minutes=5))
        fresh_before = snapshot(fresh)

        assert complete_unanswered_reports_task() == 1
        old.refresh_from_db()
        assert old.status == Status.COMPLETED
        assert old.events.filter(type=Type.AUTO_COMPLETED).count() == 1
        assert snapshot(fresh) == fresh_before

        assert complete_unanswered_reports_task() == 0  # a repeated delivery changes nothing
        assert old.events.filter(type=Type.AUTO_COMPLETED).count() == 1

    def test_the_task_is_on_the_beat_schedule(self) -> None:
        from lapor.celery import app

        entry = app.conf.beat_schedule["complete-unanswered"]
        assert entry["task"] == complete_unanswered_reports_task.name
        assert entry["task"] == "complaints.tasks.complete_unanswered_reports_task"


# --- through HTTP, with the private link -------------------------------------------------------


def private_url(complaint: Complaint, key: str, action: str = "") -> str:
    base = f"/lacak/{complaint.tracking_number}/{key}/"
    return f"{base}{action}/" if action else base


# The input each form's first error summary link leads to (a group of radio buttons: its first).
FIELD_OF = {"balas": "id_balas_text", "sanggah": "id_sanggah_reason", "nilai": "id_nilai_score"}
ANCHOR_OF = {**FIELD_OF, "nilai": "id_nilai_score_0"}


def error_summary(html: str) -> str:
    """The error summary of a page that came back (it holds no other ``div``); fails when the
    page has none, or has it anywhere but above the report."""
    found = re.search(
        r'<div class="error-summary"[^>]*data-error-summary[^>]*>(.*?)</div>', html, re.S
    )
    assert found is not None, "no error summary"
    assert found.start() < html.index("<article"), "the summary is not at the top"
    return found.group(1)


def offered_forms(html: str, complaint: Complaint, key: str) -> set[str]:
    return {
        action
        for action in ("balas", "terima", "sanggah", "nilai")
        if f'action="{private_url(complaint, key, action)}"' in html
    }


@pytest.fixture
def answered_link(answered: Complaint, filed: SubmissionReceipt) -> tuple[Complaint, str]:
    return answered, filed.access_key


class TestPrivatePage:
    def test_forms_follow_the_state_of_the_report(
        self, client: Client, filed: SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint, key = filed.complaint, filed.access_key
        page = client.get(private_url(complaint, key))
        assert page.status_code == 200
        assert offered_forms(page.content.decode(), complaint, key) == set()

        answer(complaint, tree["dinkes"], ANSWERED_AT)
        html = client.get(private_url(complaint, key)).content.decode()
        assert 'lang="id"' in html
        assert offered_forms(html, complaint, key) == {"balas", "terima", "sanggah", "nilai"}
        assert escape(ANSWER) in html
        assert escape(in_indonesian("Accept the answer")) in html

        services.accept_answer(complaint_id=complaint.pk, now=REACTED_AT)
        html = client.get(private_url(complaint, key)).content.decode()
        assert offered_forms(html, complaint, key) == {"nilai"}  # still unrated

        services.rate_answer(complaint_id=complaint.pk, score=5, comment="", now=REACTED_AT)
        html = client.get(private_url(complaint, key)).content.decode()
        assert offered_forms(html, complaint, key) == set()

    def test_a_disputed_report_offers_only_the_rating(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        complaint_services.dispute_answer(complaint_id=complaint.pk, reason=REASON, now=REACTED_AT)
        html = client.get(private_url(complaint, key)).content.decode()
        assert offered_forms(html, complaint, key) == {"nilai"}
        assert "Diskominfo Samarinda" in html  # where it is now


def answer_blocks(html: str) -> list[str]:
    """The private page's answers, each with what is drawn beside it (up to the next answer, or
    the next heading after the last one)."""
    parts = html.split('<div class="answer')[1:]
    if parts:
        parts[-1] = parts[-1].split("<h2", 1)[0]
    return parts


class TestPrivatePageShowsWhatTheCitizenWrote:
    def test_replies_objection_and_rating_beside_the_answers_they_concern(
        self, client: Client, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, key = answered_link
        assert client.post(private_url(complaint, key, "balas"), {"text": REPLY}).status_code == 302
        officer = User.objects.create_user(
            # A username the page's own words cannot contain ("petugas" is one of them).
            "rahmat.h",
            "rahmat.h@example.go.id",
            "sandi-uji-2026",
            first_name="Rahmat",
            last_name="Hidayatullah",
        )
        services.add_internal_note(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Catatan internal: pelapor sering mengeluh.",
            actor=officer,
            now=REACTED_AT,
        )
        second_at = REACTED_AT + dt.timedelta(days=1)
        services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text=SECOND_ANSWER,
            actor=officer,
            now=second_at,
        )
        assert (
            client.post(
                private_url(complaint, key, "nilai"), {"score": "2", "comment": COMMENT}
            ).status_code
            == 302
        )
        assert (
            client.post(private_url(complaint, key, "sanggah"), {"reason": REASON}).status_code
            == 302
        )

        html = client.get(private_url(complaint, key)).content.decode()
        first, second = answer_blocks(html)
        with translation.override("id"):
            assert escape(ANSWER) in first
            assert escape(translation.gettext("Your reply")) in first and escape(REPLY) in first
            for later in (COMMENT, REASON):
                assert escape(later) not in first
            assert escape(SECOND_ANSWER) in second
            assert escape(translation.gettext("Your rating")) in second
            assert escape(translation.gettext("%(score)s of 5") % {"score": 2}) in second
            assert escape(COMMENT) in second
            assert (
                escape(translation.gettext("Your dispute")) in second and escape(REASON) in second
            )
            # The coordinator the objection went to.
            assert (
                escape(
                    translation.gettext("sent to %(agency)s") % {"agency": "Diskominfo Samarinda"}
                )
                in second
            )
            assert escape(REPLY) not in second
        # Never a note, never an officer's name.
        for internal in ("Catatan internal", "Rahmat", "Hidayatullah", "rahmat.h"):
            assert internal not in html

    def test_the_acceptance_beside_the_answer(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        assert client.post(private_url(complaint, key, "terima")).status_code == 302
        (block,) = answer_blocks(client.get(private_url(complaint, key)).content.decode())
        assert escape(in_indonesian("You accepted this answer")) in block
        assert 'class="reaction reaction-accept"' in block

    def test_nothing_is_shown_before_the_citizen_reacts_nor_on_the_public_page(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        (block,) = answer_blocks(client.get(private_url(complaint, key)).content.decode())
        assert "your-reactions" not in block
        services.rate_answer(complaint_id=complaint.pk, score=5, comment=COMMENT, now=REACTED_AT)
        public = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert "your-reactions" not in public and escape(COMMENT) not in public


class TestPrivateActions:
    def post_ok(
        self,
        client: Client,
        complaint: Complaint,
        key: str,
        action: str,
        data: dict[str, Any],
        message: str,
    ) -> str:
        response = client.post(private_url(complaint, key, action), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == private_url(complaint, key)
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert escape(in_indonesian(message)) in html
        assert 'class="alert success"' in html
        complaint.refresh_from_db()
        return html

    def test_reply(
        self, client: Client, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, key = answered_link
        since = last_event_pk(complaint)
        html = self.post_ok(
            client, complaint, key, "balas", {"text": REPLY}, "Your reply was sent to the agency."
        )
        assert (complaint.status, complaint.current_agency) == (
            Status.IN_PROGRESS,
            tree["dinkes"],
        )
        event = the_new_event(complaint, since)
        assert (event.type, event.data["text"]) == (Type.CITIZEN_REPLIED, REPLY)
        assert offered_forms(html, complaint, key) == {"nilai"}

    def test_accept(self, client: Client, answered_link: tuple[Complaint, str]) -> None:
        complaint, key = answered_link
        since = last_event_pk(complaint)
        self.post_ok(client, complaint, key, "terima", {}, "Thank you. Your report is completed.")
        assert complaint.status == Status.COMPLETED
        assert the_new_event(complaint, since).type == Type.COMPLETED

    def test_dispute(
        self, client: Client, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, key = answered_link
        self.post_ok(
            client,
            complaint,
            key,
            "sanggah",
            {"reason": REASON},
            "Your dispute was sent to the coordinator above the agency.",
        )
        assert (complaint.status, complaint.current_agency) == (
            Status.IN_PROGRESS,
            tree["samarinda"],
        )
        dispute = Dispute.objects.get(complaint=complaint)
        assert (dispute.agency, dispute.reason) == (tree["dinkes"], REASON)

    def test_rate(self, client: Client, answered_link: tuple[Complaint, str]) -> None:
        complaint, key = answered_link
        html = self.post_ok(
            client,
            complaint,
            key,
            "nilai",
            {"score": "4", "comment": COMMENT},
            "Thank you for your rating.",
        )
        rating = Rating.objects.get(complaint=complaint)
        assert (rating.score, rating.comment, rating.response) == (
            4,
            COMMENT,
            latest_answer(complaint),
        )
        assert complaint.status == Status.RESPONDED
        assert offered_forms(html, complaint, key) == {"balas", "terima", "sanggah"}

    @pytest.mark.parametrize("action", ["balas", "terima", "sanggah", "nilai"])
    def test_a_wrong_key_is_404_and_changes_nothing(
        self, client: Client, answered_link: tuple[Complaint, str], action: str
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        wrong = ("A" if key[0] != "A" else "B") + key[1:]
        data = {"text": REPLY, "reason": REASON, "score": "5", "comment": ""}
        response = client.post(private_url(complaint, wrong, action), data)
        assert response.status_code == 404
        assert REPLY not in response.content.decode()
        assert snapshot(complaint) == before

    def test_an_unknown_action_is_404(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        for word in ("tutup", "hapus", "arsip"):
            assert client.post(private_url(complaint, key, word), {}).status_code == 404
        assert snapshot(complaint) == before

    @pytest.mark.parametrize("action", ["balas", "terima", "sanggah", "nilai"])
    def test_get_on_an_action_is_405(
        self, client: Client, answered_link: tuple[Complaint, str], action: str
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        assert client.get(private_url(complaint, key, action)).status_code == 405
        assert snapshot(complaint) == before

    @pytest.mark.parametrize(
        ("action", "data"),
        [
            ("balas", {"text": REPLY}),
            ("terima", {}),
            ("sanggah", {"reason": REASON}),
        ],
    )
    def test_a_report_no_longer_answered_is_409_with_its_state(
        self,
        client: Client,
        answered_link: tuple[Complaint, str],
        action: str,
        data: dict[str, str],
    ) -> None:
        complaint, key = answered_link
        services.accept_answer(complaint_id=complaint.pk, now=REACTED_AT)
        before = snapshot(complaint)
        response = client.post(private_url(complaint, key, action), data)
        assert response.status_code == 409
        html = response.content.decode()
        assert (
            escape(in_indonesian("This report is not waiting for your reaction to an answer."))
            in html
        )
        assert 'class="alert error"' in html
        assert "status-completed" in html
        with translation.override("id"):
            assert str(Status.COMPLETED.label) in html
        assert offered_forms(html, complaint, key) == {"nilai"}
        assert snapshot(complaint) == before

    def test_rating_the_same_answer_twice_is_409(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        services.rate_answer(complaint_id=complaint.pk, score=3, comment="", now=REACTED_AT)
        before = snapshot(complaint)
        response = client.post(private_url(complaint, key, "nilai"), {"score": "1"})
        assert response.status_code == 409
        assert escape(in_indonesian("You have already rated this answer.")) in (
            response.content.decode()
        )
        assert snapshot(complaint) == before
        assert Rating.objects.get(complaint=complaint).score == 3

    @pytest.mark.parametrize(
        ("action", "data", "message"),
        [
            ("balas", {"text": ""}, REQUIRED),
            ("balas", {"text": "   "}, REQUIRED),
            ("sanggah", {"reason": ""}, REQUIRED),
            ("nilai", {"score": ""}, REQUIRED),
            ("nilai", {"score": "0"}, INVALID_CHOICE),
            ("nilai", {"score": "6"}, INVALID_CHOICE),
        ],
    )
    def test_invalid_input_is_400_in_indonesian(
        self,
        client: Client,
        answered_link: tuple[Complaint, str],
        action: str,
        data: dict[str, str],
        message: str,
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        response = client.post(private_url(complaint, key, action), data)
        assert response.status_code == 400
        html = response.content.decode()
        values = {"value": data.get("score", "")}
        expected = in_indonesian(message) % values
        assert expected != message % values  # Indonesian, not English
        # At the top, above the report: what went wrong, a link to the field further down.
        summary = error_summary(html)
        assert f'href="#{ANCHOR_OF[action]}"' in summary
        assert escape(expected) in summary
        # … and beside the field, which says it is wrong and why.
        field_error = re.search(
            rf'<div class="error" id="{FIELD_OF[action]}_error">(.*?)</div>', html, re.S
        )
        assert field_error is not None and escape(expected) in field_error.group(1)
        assert html.index(f'id="{ANCHOR_OF[action]}"') > html.index("<article")
        # The form comes back with the other actions still offered.
        assert offered_forms(html, complaint, key) == {"balas", "terima", "sanggah", "nilai"}
        assert snapshot(complaint) == before

    def test_a_too_long_reason_is_400(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        response = client.post(private_url(complaint, key, "sanggah"), {"reason": "x" * 2001})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'href="#id_sanggah_reason"' in error_summary(html)
        assert 'id="id_sanggah_reason_error"' in html
        assert "x" * 2001 in html  # what was typed comes back
        assert snapshot(complaint) == before

    def test_a_reason_the_service_refuses_comes_back_typed_with_the_message_at_the_top(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        typed = f"{REASON}\x07"  # a control character: the form lets it through, the service not
        response = client.post(private_url(complaint, key, "sanggah"), {"reason": typed})
        assert response.status_code == 400
        html = response.content.decode()
        summary = error_summary(html)
        assert escape(in_indonesian("Your dispute was not sent. Please correct this:")) in summary
        message = in_indonesian(
            "Please write at most %(max)d characters, without control characters.",
            max=complaint_services.REASON_MAX_LENGTH,
        )
        assert escape(message) in summary
        textarea = re.search(r'<textarea name="reason"[^>]*>(.*?)</textarea>', html, re.S)
        assert textarea is not None and escape(REASON) in textarea.group(1)
        assert snapshot(complaint) == before

    def test_a_rating_without_a_score_keeps_its_comment(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        response = client.post(private_url(complaint, key, "nilai"), {"comment": COMMENT})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'href="#id_nilai_score_0"' in error_summary(html)
        assert escape(in_indonesian("Your rating was not sent. Please correct this:")) in html
        # The group of scores is described by its help and its error.
        assert 'aria-describedby="id_nilai_score_helptext id_nilai_score_error"' in html
        comment = re.search(r'<textarea name="comment"[^>]*>(.*?)</textarea>', html, re.S)
        assert comment is not None and escape(COMMENT) in comment.group(1)
        assert not Rating.objects.filter(complaint=complaint).exists()

    @pytest.mark.parametrize("action", ["balas", "terima", "sanggah", "nilai"])
    def test_csrf_is_enforced(self, answered_link: tuple[Complaint, str], action: str) -> None:
        complaint, key = answered_link
        before = snapshot(complaint)
        client = Client(enforce_csrf_checks=True)
        assert client.get(private_url(complaint, key)).status_code == 200
        data = {"text": REPLY, "reason": REASON, "score": "5"}
        assert client.post(private_url(complaint, key, action), data).status_code == 403
        assert snapshot(complaint) == before

    def test_the_citizen_pages_speak_indonesian(self) -> None:
        """Every message of this feature the citizen reads has an Indonesian translation."""
        english = [
            "Your reply was sent to the agency.",
            "Thank you. Your report is completed.",
            "Your dispute was sent to the coordinator above the agency.",
            "Thank you for your rating.",
            "This report is not waiting for your reaction to an answer.",
            "You have already rated this answer.",
            "Accept the answer",
            "Send the reply",
            "Send the dispute",
            "Send the rating",
            "The reporter replied; back to %(agency)s",
            "The reporter disputed the answer; passed to %(agency)s",
            "Completed: the reporter accepted the answer",
            "Completed: no reply within the reply window",
            "The reporter rated the handling",
        ]
        untranslated = [m for m in english if in_indonesian(m) == m]
        assert untranslated == []


class TestPublicPage:
    def test_never_shows_what_the_citizen_wrote_but_shows_the_timeline(
        self, client: Client, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, key = answered_link
        assert client.post(private_url(complaint, key, "balas"), {"text": REPLY}).status_code == 302
        answer(complaint, tree["dinkes"], REACTED_AT + dt.timedelta(days=1), SECOND_ANSWER)
        rated = client.post(
            private_url(complaint, key, "nilai"), {"score": "2", "comment": COMMENT}
        )
        assert rated.status_code == 302
        disputed = client.post(private_url(complaint, key, "sanggah"), {"reason": REASON})
        assert disputed.status_code == 302

        private_html = client.get(private_url(complaint, key)).content.decode()
        assert escape(SECOND_ANSWER) in private_html

        page = client.get(f"/lacak/{complaint.tracking_number}/")
        assert page.status_code == 200
        html = page.content.decode()
        for secret in (REPLY, REASON, COMMENT, key):
            assert secret not in html and escape(secret) not in html
        # The agency's answers are public on a report that is not confidential.
        assert not complaint.is_confidential
        for public in (ANSWER, SECOND_ANSWER):
            assert escape(public) in html
        events = list(complaint.events.filter(is_public=True).order_by("pk"))
        types = [e.type for e in events]
        for kind in (Type.CITIZEN_REPLIED, Type.RATED, Type.DISPUTED):
            assert kind in types
        with translation.override("id"):
            for event in events:
                assert escape(event.label) in html, event.type
            assert (
                escape(
                    Type.DISPUTED.label % {"agency": "Diskominfo Samarinda"}  # type: ignore[operator]  # due_at is set by then
                )
                in html
            )

    def test_accepted_and_auto_completed_are_on_the_timeline(
        self, client: Client, answered_link: tuple[Complaint, str]
    ) -> None:
        complaint, key = answered_link
        client.post(private_url(complaint, key, "terima"))
        html = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        with translation.override("id"):
            assert escape(str(Type.COMPLETED.label)) in html
            assert str(Status.COMPLETED.label) in html


# --- the coordinator's side of a dispute, in the dashboard ------------------------------------


class TestCoordinatorDisposesADisputedReport:
    def test_the_dashboard_offers_dispose_and_it_works(
        self, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, _key = answered_link
        complaint_services.dispute_answer(complaint_id=complaint.pk, reason=REASON, now=REACTED_AT)
        complaint.refresh_from_db()
        user = User.objects.create_user("smd", "smd@example.go.id", "sandi-uji-2026")
        Officer.objects.create(user=user, agency=tree["samarinda"])
        client = Client()
        client.force_login(user)

        page_url = reverse("dashboard:complaint", args=[complaint.tracking_number])
        action = reverse("dashboard:action", args=[complaint.tracking_number, "dispose"])
        assert action == f"/dashboard/complaints/{complaint.tracking_number}/dispose/"
        page = client.get(page_url)
        assert page.status_code == 200
        html = page.content.decode()
        assert f'action="{action}"' in html
        assert escape(REASON) in html  # the coordinator reads why the citizen objected

        since, version = last_event_pk(complaint), complaint.version
        response = client.post(action, {"version": version, "to_agency": tree["rsud"].pk})
        assert response.status_code == 302, response.content.decode()[:3000]
        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == (Status.DISPOSED, tree["rsud"])
        assert complaint.version == version + 1
        assert the_new_event(complaint, since).type == Type.DISPOSED

    def test_the_answering_agency_cannot_act_on_it_any_more(
        self, answered_link: tuple[Complaint, str], tree: dict[str, Agency]
    ) -> None:
        complaint, _key = answered_link
        complaint_services.dispute_answer(complaint_id=complaint.pk, reason=REASON, now=REACTED_AT)
        complaint.refresh_from_db()
        before = snapshot(complaint)
        with pytest.raises(ActionError) as caught:
            services.respond_to_complaint(
                complaint_id=complaint.pk,
                agency=tree["dinkes"],
                text=SECOND_ANSWER,
                actor=None,
                now=REACTED_AT,
            )
        assert caught.value.conflict is True
        assert snapshot(complaint) == before
