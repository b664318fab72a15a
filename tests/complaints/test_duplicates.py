"""Merging duplicates (laporan serupa): a report merged into an open report of the same problem
follows it (its status and holder, every event, every answer, told by its own channel), its
reporter can still reply, dispute and rate through their own private link, the original counts
its reporter and supporters, and it can be taken out again until the original is completed.
Each rule through the services and the workflow; the recaps' view of it at the end."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from complaints import deadlines, services, workflow
from complaints.models import Complaint, ComplaintEvent, Dispute, Message, Rating, Response
from complaints.selectors import Scope, citizen_actions, inbox_queryset
from lapor.lib.actions import ActionError
from routing.models import Agency
from tests.helpers import NOW, in_indonesian, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Status = Complaint.Status
Type = ComplaintEvent.Type
CitizenAction = workflow.CitizenAction
StaffAction = workflow.StaffAction
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def officers(tree: dict[str, Agency]) -> dict[str, User]:
    return {
        "dinkes": make_user("dinkes", tree["dinkes"]),
        "rsud": make_user("rsud", tree["rsud"]),
        "samarinda": make_user("koordinator", tree["samarinda"]),
    }


@pytest.fixture
def pair(submit: Callable[..., Any], tree: dict[str, Agency]) -> tuple[Complaint, Complaint]:
    """Two reports of the same broken bridge, both routed to Dinkes Samarinda."""
    original = submit(title="Jembatan Palaran rusak parah").complaint
    duplicate = submit(
        title="Jembatan di Palaran rusak",
        reporter_name="Budi",
        reporter_email="budi@example.id",
        reporter_phone="",
        now=NOW + HOUR,
    ).complaint
    return route_fully(original), route_fully(duplicate, NOW + HOUR)


def merge(duplicate: Complaint, original: Complaint, officer: User, **kw: Any) -> Complaint:
    return services.merge_duplicate(
        complaint_id=duplicate.pk,
        original_tracking_number=original.tracking_number,
        agency=officer.officer.agency,
        reason=kw.pop("reason", "Jembatan yang sama"),
        actor=officer,
        now=kw.pop("now", NOW + 2 * HOUR),
        **kw,
    )


def answer(original: Complaint, officer: User, *, at: dt.datetime, final: bool = True) -> Any:
    return services.respond_to_complaint(
        complaint_id=original.pk,
        agency=officer.officer.agency,
        actor=officer,
        text="Jembatan sudah diperbaiki oleh dinas terkait pada hari Selasa.",
        final=final,
        now=at,
    )


class TestMerge:
    def test_the_duplicate_takes_the_originals_state_with_no_deadline_of_its_own(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        assert duplicate.status == Status.DISPOSED and duplicate.due_at is not None
        merge(duplicate, original, officers["dinkes"])
        duplicate.refresh_from_db()
        original.refresh_from_db()
        assert duplicate.duplicate_of_id == original.pk
        assert duplicate.status == original.status
        assert duplicate.current_agency_id == original.current_agency_id
        assert duplicate.due_at is None
        # The duplicate's reporter and its supporters count on the original.
        assert original.support_count == 1
        merged = duplicate.events.latest("pk")
        assert merged.type == Type.MERGED
        assert merged.data["original"] == original.tracking_number
        assert merged.data["reason"] == "Jembatan yang sama"
        added = original.events.latest("pk")
        assert added.type == Type.DUPLICATE_ADDED
        assert added.data["duplicate"] == duplicate.tracking_number
        # Its reporter is told, by their own channel.
        assert Message.objects.filter(
            event=merged, kind=Message.Kind.REPORTER_UPDATE, complaint=duplicate
        ).exists()

    def test_a_duplicate_leaves_the_inbox_and_the_clock(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        held = inbox_queryset(tree["dinkes"], Scope.HELD)
        assert list(held.values_list("pk", flat=True)) == [original.pk]
        long_after = NOW + dt.timedelta(days=60)
        assert not Complaint.objects.filter(pk=duplicate.pk).overdue(long_after).exists()
        # The deadline sweep escalates the original alone.
        deadlines.escalate_overdue(now=long_after)
        duplicate.refresh_from_db()
        original.refresh_from_db()
        assert original.status == Status.AWAITING_VERIFICATION
        assert duplicate.status == Status.AWAITING_VERIFICATION
        assert duplicate.current_agency_id == original.current_agency_id
        assert duplicate.due_at is None
        assert duplicate.events.latest("pk").data["follows"] == original.tracking_number

    @pytest.mark.parametrize(
        "case, message",
        [
            ("itself", "A report cannot be merged into itself."),
            (
                "into-its-duplicate",
                "That report is itself merged into another report: merge into that one instead.",
            ),
            (
                "confidential",
                "A report cannot be merged into a confidential report: its reporter would read "
                "what that report keeps private.",
            ),
            (
                "closed",
                "That report cannot take others: it is still being routed, or it is closed.",
            ),
            ("unknown", "No report you can see has this tracking number."),
        ],
    )
    def test_what_cannot_be_merged(
        self,
        case: str,
        message: str,
        pair: tuple[Complaint, Complaint],
        officers: dict[str, User],
        submit: Callable[..., Any],
    ) -> None:
        original, duplicate = pair
        officer = officers["dinkes"]
        target: Any = original
        if case == "itself":
            target = duplicate
        elif case == "into-its-duplicate":
            merge(duplicate, original, officer)
            third = route_fully(submit(title="Jembatan rusak lagi").complaint)
            merge(third, original, officer)
            # The original cannot go into a report merged into it.
            third.refresh_from_db()
            with pytest.raises(ActionError, match=re.escape(in_indonesian(message))):
                merge(original, third, officer)
            return
        elif case == "confidential":
            Complaint.objects.filter(pk=original.pk).update(is_confidential=True)
        elif case == "closed":
            Complaint.objects.filter(pk=original.pk).update(status=Status.COMPLETED)
        elif case == "unknown":
            target = Complaint(tracking_number="LAP-XXXX-YYYY")
        before = Complaint.objects.get(pk=duplicate.pk)
        with pytest.raises(ActionError, match=re.escape(in_indonesian(message))):
            merge(duplicate, target, officer)
        after = Complaint.objects.get(pk=duplicate.pk)
        assert (after.duplicate_of_id, after.status, after.version) == (
            None,
            before.status,
            before.version,
        )
        assert not after.events.filter(type=Type.MERGED).exists()

    def test_an_officer_of_another_agency_cannot_merge_it(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        with pytest.raises(ActionError):
            merge(duplicate, original, officers["rsud"])

    def test_a_coordinator_may_merge_it(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["samarinda"])
        assert Complaint.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk

    def test_reports_merged_into_a_duplicate_follow_it_into_the_original(
        self,
        pair: tuple[Complaint, Complaint],
        officers: dict[str, User],
        submit: Callable[..., Any],
    ) -> None:
        original, duplicate = pair
        third = route_fully(submit(title="Jembatan Palaran ambruk").complaint)
        merge(third, duplicate, officers["dinkes"])
        merge(duplicate, original, officers["dinkes"], now=NOW + 3 * HOUR)
        third.refresh_from_db()
        original.refresh_from_db()
        assert third.duplicate_of_id == original.pk
        assert third.events.latest("pk").data["via"] == duplicate.tracking_number
        # Both reporters count on the original.
        assert original.support_count == 2

    def test_staff_may_not_act_on_a_duplicate(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        duplicate.refresh_from_db()
        allowed = workflow.actions_allowed(
            duplicate, agency=tree["dinkes"], user=officers["dinkes"]
        )
        assert StaffAction.ANSWER not in allowed and StaffAction.ACKNOWLEDGE not in allowed
        assert StaffAction.UNMERGE in allowed and StaffAction.NOTE in allowed
        refused = in_indonesian(
            "This report is merged into another report of the same problem and follows it: act "
            "on that one."
        )
        with pytest.raises(ActionError, match=re.escape(refused)):
            answer(duplicate, officers["dinkes"], at=NOW + 3 * HOUR)


class TestFollowing:
    def test_the_answer_reaches_the_duplicates_reporter_who_can_rate_it(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        response = answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        duplicate.refresh_from_db()
        assert duplicate.status == Status.RESPONDED
        copy = Response.objects.get(complaint=duplicate)
        assert copy.text == response.text and copy.agency_id == response.agency_id
        # Counted as answered for the duplicate too (the recaps' first answers).
        assert copy.is_first and copy.reached_at is not None and copy.due_first is not None
        event = duplicate.events.latest("pk")
        assert event.type == Type.RESPONDED
        assert event.data["response_id"] == copy.pk
        update = Message.objects.get(event=event, kind=Message.Kind.REPORTER_UPDATE)
        assert update.complaint_id == duplicate.pk
        # Reply, dispute and rate; accepting is the original's reporter's.
        assert citizen_actions(duplicate) == {
            CitizenAction.REPLY,
            CitizenAction.DISPUTE,
            CitizenAction.RATE,
        }
        rating = services.rate_answer(
            complaint_id=duplicate.pk, score=4, comment="", now=NOW + 6 * HOUR
        )
        assert Rating.objects.get(pk=rating.pk).response_id == copy.pk
        with pytest.raises(ActionError):
            services.accept_answer(complaint_id=duplicate.pk, now=NOW + 6 * HOUR)

    def test_a_reply_through_the_duplicate_goes_to_the_original(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        services.reply_to_answer(
            complaint_id=duplicate.pk,
            text="Jembatan belum diperbaiki, masih berlubang.",
            now=NOW + 6 * HOUR,
        )
        original.refresh_from_db()
        duplicate.refresh_from_db()
        assert original.status == Status.IN_PROGRESS
        replied = original.events.latest("pk")
        assert replied.type == Type.CITIZEN_REPLIED
        assert replied.data["from_duplicate"] == duplicate.tracking_number
        assert duplicate.status == Status.IN_PROGRESS
        own = duplicate.events.latest("pk")
        assert own.type == Type.CITIZEN_REPLIED
        # The duplicate keeps its reporter's own words; the answer replied to is not copied again.
        assert own.data["own"] is True
        assert own.data["text"] == "Jembatan belum diperbaiki, masih berlubang."
        assert Response.objects.filter(complaint=duplicate).count() == 1

    def test_a_dispute_through_the_duplicate_is_the_originals(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        services.dispute_answer(
            complaint_id=duplicate.pk,
            reason="Jawaban tidak sesuai kenyataan di lapangan.",
            now=NOW + 6 * HOUR,
        )
        dispute = Dispute.objects.get()
        assert dispute.complaint_id == original.pk
        # Its words stay on the duplicate for its reporter, and on no other duplicate.
        assert duplicate.events.latest("pk").data["reason"] == dispute.reason
        original.refresh_from_db()
        duplicate.refresh_from_db()
        assert original.current_agency_id == tree["samarinda"].pk
        assert duplicate.current_agency_id == tree["samarinda"].pk
        assert duplicate.due_at is None

    def test_completion_of_the_original_completes_the_duplicate(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        services.accept_answer(complaint_id=original.pk, now=NOW + 6 * HOUR)
        duplicate.refresh_from_db()
        assert duplicate.status == Status.COMPLETED
        assert duplicate.events.filter(type=Type.COMPLETED).count() == 1

    def test_an_interim_reply_reaches_the_duplicate_too(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR, final=False)
        duplicate.refresh_from_db()
        assert duplicate.status == Status.IN_PROGRESS
        copy = Response.objects.get(complaint=duplicate)
        assert not copy.is_final and not copy.is_first


class TestUnmerge:
    def test_taken_out_it_is_a_report_of_its_own_again(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        services.unmerge_duplicate(
            complaint_id=duplicate.pk,
            agency=tree["dinkes"],
            reason="Jembatan yang berbeda",
            actor=officers["dinkes"],
            now=NOW + 3 * HOUR,
        )
        duplicate.refresh_from_db()
        original.refresh_from_db()
        assert duplicate.duplicate_of_id is None
        assert duplicate.status == Status.DISPOSED
        assert duplicate.current_agency_id == tree["dinkes"].pk
        assert duplicate.due_at is not None
        assert original.support_count == 0
        assert duplicate.events.latest("pk").type == Type.UNMERGED
        assert original.events.latest("pk").type == Type.DUPLICATE_REMOVED
        # Its own again: the agency answers it.
        answer(duplicate, officers["dinkes"], at=NOW + 4 * HOUR)
        original.refresh_from_db()
        assert original.status == Status.DISPOSED

    def test_a_coordinator_takes_it_into_its_queue(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        services.unmerge_duplicate(
            complaint_id=duplicate.pk,
            agency=tree["samarinda"],
            reason="Bukan masalah yang sama",
            actor=officers["samarinda"],
            now=NOW + 3 * HOUR,
        )
        duplicate.refresh_from_db()
        assert duplicate.status == Status.AWAITING_VERIFICATION
        assert duplicate.current_agency_id == tree["samarinda"].pk

    def test_not_once_the_original_is_completed(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        services.accept_answer(complaint_id=original.pk, now=NOW + 6 * HOUR)
        with pytest.raises(ActionError):
            services.unmerge_duplicate(
                complaint_id=duplicate.pk,
                agency=tree["samarinda"],
                reason="Bukan masalah yang sama",
                actor=officers["samarinda"],
                now=NOW + 7 * HOUR,
            )
        assert Complaint.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk

    def test_a_report_that_is_not_merged_cannot_be_taken_out(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        _original, duplicate = pair
        with pytest.raises(
            ActionError, match=re.escape(in_indonesian("This report is not merged into another."))
        ):
            services.unmerge_duplicate(
                complaint_id=duplicate.pk,
                agency=tree["dinkes"],
                reason="Bukan masalah yang sama",
                actor=officers["dinkes"],
                now=NOW + 3 * HOUR,
            )


class TestStaffPages:
    def test_an_officer_merges_on_the_report_page_and_takes_it_out_again(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], client: Any
    ) -> None:
        from django.urls import reverse

        original, duplicate = pair
        client.force_login(officers["dinkes"])
        page = reverse("dashboard:complaint", args=[duplicate.tracking_number])
        merge_url = reverse("dashboard:action", args=[duplicate.tracking_number, "merge"])
        shown = client.get(page).content.decode()
        assert f'action="{merge_url}"' in shown and 'name="original"' in shown
        # A number no one can see is a clear error on the form, nothing merged.
        wrong = client.post(
            merge_url,
            {"version": duplicate.version, "original": "2222-2222-2222", "reason": "Sama"},
        )
        assert wrong.status_code == 400
        assert Complaint.objects.get(pk=duplicate.pk).duplicate_of_id is None
        done = client.post(
            merge_url,
            {"version": duplicate.version, "original": original.tracking_number, "reason": "Sama"},
        )
        assert done.status_code == 302
        shown = client.get(page).content.decode()
        assert original.tracking_number in shown and 'class="merged-into"' in shown
        assert 'name="original"' not in shown
        # The original's page lists it.
        original_page = client.get(reverse("dashboard:complaint", args=[original.tracking_number]))
        assert duplicate.tracking_number in original_page.content.decode()
        duplicate.refresh_from_db()
        out = client.post(
            reverse("dashboard:action", args=[duplicate.tracking_number, "unmerge"]),
            {"version": duplicate.version, "reason": "Jembatan yang lain"},
        )
        assert out.status_code == 302
        duplicate.refresh_from_db()
        assert duplicate.duplicate_of_id is None and duplicate.status == Status.DISPOSED

    def test_the_staff_api_merges(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User]
    ) -> None:
        from rest_framework.test import APIClient

        from tests.helpers import api_token

        original, duplicate = pair
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(officers['dinkes'])}")
        url = f"/api/v1/staff/complaints/{duplicate.tracking_number}/merge/"
        missing = api.post(url, {"version": duplicate.version, "reason": "Sama"}, format="json")
        assert missing.status_code == 400 and "original" in missing.json()
        done = api.post(
            url,
            {"version": duplicate.version, "reason": "Sama", "original": original.tracking_number},
            format="json",
        )
        assert done.status_code == 200, done.content
        assert Complaint.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk


class TestPublicSide:
    def test_the_lists_show_the_original_alone_and_a_duplicates_support_goes_to_it(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], client: Any
    ) -> None:
        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        assert list(Complaint.objects.listed().values_list("pk", flat=True)) == [original.pk]
        listed = client.get("/laporan/").content.decode()
        assert original.tracking_number in listed and duplicate.tracking_number not in listed
        assert services.support_complaint(
            complaint_id=duplicate.pk, address="a" * 64, now=NOW + 3 * HOUR
        )
        original.refresh_from_db()
        duplicate.refresh_from_db()
        # The duplicate's reporter, then a supporter through the duplicate's page.
        assert (original.support_count, duplicate.support_count) == (2, 0)


class TestRecaps:
    def test_received_counts_both_answered_counts_the_duplicate_with_its_original(
        self, pair: tuple[Complaint, Complaint], officers: dict[str, User], tree: Any
    ) -> None:
        from reports.models import MonthlyRecap
        from reports.services import build_monthly_recap

        original, duplicate = pair
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        services.accept_answer(complaint_id=original.pk, now=NOW + 6 * HOUR)
        build_monthly_recap(month=dt.date(2026, 11, 1), now=NOW + dt.timedelta(days=3))
        row = MonthlyRecap.objects.get(month=dt.date(2026, 11, 1), agency=tree["dinkes"])
        assert row.received == 2
        assert row.first_answers == 2
        assert row.completed == 2
        assert (row.escalations, row.disputes, row.transfers) == (0, 0, 0)
        assert row.open == 0 and row.overdue == 0
        city = MonthlyRecap.objects.get(
            month=dt.date(2026, 11, 1), agency__isnull=True, region_id="64.72"
        )
        assert city.received == 2


class TestPrivatePage:
    def test_the_duplicates_reporter_reads_the_originals_answer_on_their_own_link(
        self,
        submit: Callable[..., Any],
        tree: dict[str, Agency],
        officers: dict[str, User],
        client: Any,
    ) -> None:
        from django.urls import reverse

        original = route_fully(submit(title="Jembatan Palaran rusak parah").complaint)
        receipt = submit(title="Jembatan di Palaran rusak", now=NOW + HOUR)
        duplicate = route_fully(receipt.complaint, NOW + HOUR)
        merge(duplicate, original, officers["dinkes"])
        answer(original, officers["dinkes"], at=NOW + 5 * HOUR)
        page = reverse("complaints:private", args=[duplicate.tracking_number, receipt.access_key])
        shown = client.get(page).content.decode()
        assert "Jembatan sudah diperbaiki oleh dinas terkait" in shown
        assert 'class="note merged-into"' in shown and original.tracking_number in shown
        # Reply, dispute and rate are offered; accepting is not.
        assert "/balas/" in shown and "/sanggah/" in shown and "/nilai/" in shown
        assert "/terima/" not in shown
        # A reply through the private page goes to the original.
        sent = client.post(
            reverse(
                "complaints:private-action",
                args=[duplicate.tracking_number, receipt.access_key, "balas"],
            ),
            {"text": "Masih rusak, belum ada perbaikan sama sekali."},
        )
        assert sent.status_code == 302
        assert Complaint.objects.get(pk=original.pk).status == Status.IN_PROGRESS
        # The reporter finds their reply on their own page, beside the answer, once.
        shown = client.get(page).content.decode()
        assert "Masih rusak, belum ada perbaikan sama sekali." in shown
        assert shown.count("Jembatan sudah diperbaiki oleh dinas terkait") == 1
        # The public page of the duplicate points at the original.
        public = client.get(reverse("complaints:public", args=[duplicate.tracking_number]))
        assert original.tracking_number in public.content.decode()


class TestWhoseReportsMayTakeIt:
    def test_an_opd_cannot_drop_its_report_into_another_agencys_report(
        self,
        submit: Callable[..., Any],
        officers: dict[str, User],
        tree: dict[str, Agency],
    ) -> None:
        """A public report of another agency, which this OPD never handled: unknown to it, so
        that no agency drops a report of its own (and its deadline) into an unrelated one."""
        from routing.models import Category

        ours = route_fully(submit(title="Jembatan Palaran rusak parah").complaint)
        theirs = route_fully(
            submit(
                title="Sekolah roboh di Samarinda",
                category=Category.objects.get(code="pendidikan"),
            ).complaint
        )
        assert theirs.current_agency == tree["disdik"] and theirs.is_public
        with pytest.raises(
            ActionError,
            match=re.escape(in_indonesian("No report you can see has this tracking number.")),
        ):
            merge(ours, theirs, officers["dinkes"])
        assert Complaint.objects.get(pk=ours.pk).duplicate_of_id is None
