"""Issue 20's features tried the way a citizen, an officer and an attacker would, through the
real pages: each test here reproduced a fault found by trying (see each class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from complaints.services import SubmissionReceipt
from lapor.lib.actions import ActionError
from routing.models import Agency
from tests.helpers import NOW, in_indonesian, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

HOUR = dt.timedelta(hours=1)
SECRET_ANSWER = "Jembatan diperbaiki oleh kontraktor PT Rahasia Sekali pekan ini."
HAS_DUPLICATES = (
    "Reports are merged into this one: their reporters read its answers. Take them out first, "
    "then make this report confidential."
)


@pytest.fixture
def officers(tree: dict[str, Agency]) -> dict[str, User]:
    return {
        "dinkes": make_user("dinkes", tree["dinkes"]),
        "samarinda": make_user("koordinator", tree["samarinda"]),
    }


@pytest.fixture
def merged(
    submit: Callable[..., SubmissionReceipt],
    tree: dict[str, Agency],
    officers: dict[str, User],
) -> tuple[SubmissionReceipt, SubmissionReceipt]:
    """Two reports of one broken bridge, routed to Dinkes Samarinda, the second merged into
    the first; their receipts (for the private links)."""
    first = submit(title="Jembatan Palaran rusak parah")
    second = submit(
        title="Jembatan di Palaran rusak",
        reporter_name="Budi",
        reporter_email="budi@example.id",
        now=NOW + HOUR,
    )
    route_fully(first.complaint)
    route_fully(second.complaint, NOW + HOUR)
    services.merge_duplicate(
        complaint_id=second.complaint.pk,
        original_tracking_number=first.complaint.tracking_number,
        agency=tree["dinkes"],
        reason="Jembatan yang sama",
        actor=officers["dinkes"],
        now=NOW + 2 * HOUR,
    )
    return first, second


def _answer(complaint: Complaint, tree: dict[str, Agency], officer: User, at: dt.datetime) -> None:
    services.respond_to_complaint(
        complaint_id=complaint.pk,
        agency=tree["dinkes"],
        actor=officer,
        text=SECRET_ANSWER,
        final=True,
        now=at,
    )


class TestConfidentialOriginal:
    """Fault: an original could be made confidential after a public report was merged into
    it; its answers were then copied onto the duplicate, whose public page showed them to
    anyone (merging into a confidential report is refused for this very reason)."""

    def test_an_original_with_duplicates_is_not_made_confidential(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        tree: dict[str, Agency],
        officers: dict[str, User],
    ) -> None:
        first, _second = merged
        original = first.complaint
        version = Complaint.objects.get(pk=original.pk).version
        with pytest.raises(ActionError) as refused:
            services.raise_privacy(
                complaint_id=original.pk,
                coordinator=tree["samarinda"],
                make_anonymous=False,
                make_confidential=True,
                actor=officers["samarinda"],
                now=NOW + 3 * HOUR,
            )
        assert str(refused.value) == in_indonesian(HAS_DUPLICATES)
        original.refresh_from_db()
        assert not original.is_confidential and original.version == version
        # Anonymous stays possible: it hides the reporter, not the answers.
        services.raise_privacy(
            complaint_id=original.pk,
            coordinator=tree["samarinda"],
            make_anonymous=True,
            make_confidential=False,
            actor=officers["samarinda"],
            now=NOW + 3 * HOUR,
        )

    def test_through_the_dashboard_the_officer_is_told_why(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        officers: dict[str, User],
        client: Client,
    ) -> None:
        first, _second = merged
        original = Complaint.objects.get(pk=first.complaint.pk)
        client.force_login(officers["samarinda"])
        url = reverse("dashboard:action", args=[original.tracking_number, "privacy"])
        response = client.post(
            url, {"make_confidential": "on", "version": original.version}, follow=True
        )
        assert response.status_code in (200, 400, 409)
        assert in_indonesian(HAS_DUPLICATES) in response.content.decode()
        assert not Complaint.objects.get(pk=original.pk).is_confidential

    def test_the_answer_never_reaches_the_duplicates_public_page(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        tree: dict[str, Agency],
        officers: dict[str, User],
        client: Client,
    ) -> None:
        first, second = merged
        with pytest.raises(ActionError):
            services.raise_privacy(
                complaint_id=first.complaint.pk,
                coordinator=tree["samarinda"],
                make_anonymous=False,
                make_confidential=True,
                actor=officers["samarinda"],
                now=NOW + 3 * HOUR,
            )
        _answer(first.complaint, tree, officers["dinkes"], NOW + 4 * HOUR)
        original = Complaint.objects.get(pk=first.complaint.pk)
        # Still public, so its answer is public by the ordinary rule; nothing confidential
        # was copied anywhere.
        assert original.is_public
        page = client.get(reverse("complaints:public", args=[second.complaint.tracking_number]))
        assert page.status_code == 200


class TestOtherReportersWords:
    """Fault: a duplicate's reporter's dispute (passed on to the original) showed on the
    original reporter's private page as "Your dispute", in the other citizen's own words, and
    a reply likewise as "Your reply"; and the original's reporter's acceptance showed on the
    duplicate's private page as "You accepted this answer"."""

    def test_the_originals_reporter_does_not_read_the_duplicate_reporters_dispute(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        tree: dict[str, Agency],
        officers: dict[str, User],
        client: Client,
    ) -> None:
        first, second = merged
        _answer(first.complaint, tree, officers["dinkes"], NOW + 3 * HOUR)
        words = "Saya Budi di rumah nomor tujuh, jembatan belum diperbaiki sama sekali."
        dispute = client.post(
            reverse(
                "complaints:private-action",
                args=[second.complaint.tracking_number, second.access_key, "sanggah"],
            ),
            {"reason": words},
        )
        assert dispute.status_code == 302
        theirs = Client().get(  # the other reporter, on their own phone
            reverse("complaints:private", args=[first.complaint.tracking_number, first.access_key])
        )
        assert theirs.status_code == 200
        assert words not in theirs.content.decode()
        assert in_indonesian("Your dispute") not in theirs.content.decode()

    def test_the_originals_reporter_does_not_read_the_duplicate_reporters_reply(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        tree: dict[str, Agency],
        officers: dict[str, User],
        client: Client,
    ) -> None:
        first, second = merged
        _answer(first.complaint, tree, officers["dinkes"], NOW + 3 * HOUR)
        words = "Nomor HP saya 0813 1111 2222, silakan hubungi untuk survei lokasi."
        reply = client.post(
            reverse(
                "complaints:private-action",
                args=[second.complaint.tracking_number, second.access_key, "balas"],
            ),
            {"text": words},
        )
        assert reply.status_code == 302
        theirs = Client().get(  # the other reporter, on their own phone
            reverse("complaints:private", args=[first.complaint.tracking_number, first.access_key])
        )
        assert words not in theirs.content.decode()
        assert in_indonesian("Your reply") not in theirs.content.decode()

    def test_the_duplicates_reporter_is_not_told_they_accepted(
        self,
        merged: tuple[SubmissionReceipt, SubmissionReceipt],
        tree: dict[str, Agency],
        officers: dict[str, User],
        client: Client,
    ) -> None:
        first, second = merged
        _answer(first.complaint, tree, officers["dinkes"], NOW + 3 * HOUR)
        accepted = client.post(
            reverse(
                "complaints:private-action",
                args=[first.complaint.tracking_number, first.access_key, "terima"],
            )
        )
        assert accepted.status_code == 302
        duplicate = Complaint.objects.get(pk=second.complaint.pk)
        assert duplicate.status == Complaint.Status.COMPLETED
        page = Client().get(
            reverse(
                "complaints:private", args=[second.complaint.tracking_number, second.access_key]
            )
        )
        assert SECRET_ANSWER in page.content.decode()  # the answer reached them
        assert in_indonesian("You accepted this answer") not in page.content.decode()


class TestPossibleDuplicatesDistance:
    """Fault: on a report's staff page, the possible duplicates held by another agency (which
    the officer may not open) were ranked and measured ("about 40 m away") by their exact
    pins: an officer entering reports at points of their choosing could find where an
    anonymous reporter stood. Those are measured by their public points now."""

    def test_a_report_one_may_not_open_is_measured_by_its_public_point(
        self, submit: Callable[..., SubmissionReceipt], tree: dict[str, Agency]
    ) -> None:
        from decimal import Decimal

        from complaints import places, similar

        theirs = route_fully(
            submit(
                title="Puskesmas Palaran tutup di jam layanan",
                is_anonymous=True,
                point=(-0.570300, 117.180200),
            ).complaint
        )
        assert theirs.current_agency_id == tree["dinkes"].pk
        mine = route_fully(
            submit(title="Puskesmas tutup di jam layanan", point=(-0.570000, 117.180000)).complaint
        )
        rsud = make_user("petugas.rsud", tree["rsud"])
        found = {f.complaint.pk: f for f in similar.possible_duplicates(mine, user=rsud)}
        assert theirs.pk in found and not found[theirs.pk].openable
        public = places.public_point(theirs)
        assert public is not None
        expected = places.distance_m((-0.57, 117.18), (float(public[0]), float(public[1])))
        assert found[theirs.pk].distance_m == pytest.approx(expected)
        assert Decimal(theirs.latitude) == Decimal("-0.570300")  # the exact pin is elsewhere
        # Its handlers still measure by the exact pin.
        dinkes = make_user("petugas.dinkes", tree["dinkes"])
        for_dinkes = {f.complaint.pk: f for f in similar.possible_duplicates(mine, user=dinkes)}
        assert for_dinkes[theirs.pk].openable
        distance = for_dinkes[theirs.pk].distance_m
        assert distance is not None and 30 < distance < 50
