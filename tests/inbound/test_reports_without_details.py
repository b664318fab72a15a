"""A report by e-mail that did not say its category or place: it waits in the national
coordinator's queue, every staff page, the staff API and the recap read it without either,
the reporter completes it through the private link (then it is routed by the rules), and
nobody else can."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from complaints import services
from complaints.models import Complaint, ComplaintEvent
from lapor.lib.actions import ActionError
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Agency, Category, Region
from tests.helpers import WIB, api_token, deliver_pending, in_indonesian, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def waiting(tree: dict[str, Agency]) -> services.SubmissionReceipt:
    receipt = services.submit_complaint(
        kind="COMPLAINT",
        title="Jalan berlubang di depan sekolah",
        description="Lubang besar di jalan depan sekolah membahayakan anak-anak sejak sebulan.",
        category=None,
        region=None,
        incident_date=dt.date(2026, 11, 16),
        is_anonymous=False,
        is_confidential=True,
        reporter_name="Warga",
        reporter_email="warga@example.id",
        channel=Complaint.Channel.EMAIL,
        now=NOW,
    )
    deliver_pending(NOW)
    receipt.complaint.refresh_from_db()
    return receipt


def staff_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestWaiting:
    def test_it_waits_in_the_national_queue(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        assert complaint.details_missing
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["national"]

    def test_only_a_report_by_e_mail_may_lack_them(self, tree: dict[str, Agency]) -> None:
        with pytest.raises(ValueError):
            services.submit_complaint(
                kind="COMPLAINT",
                title="Jalan berlubang di depan sekolah",
                description="Lubang besar di jalan depan sekolah membahayakan anak-anak.",
                category=None,
                region=None,
                incident_date=dt.date(2026, 11, 16),
                is_anonymous=False,
                is_confidential=False,
                now=NOW,
            )

    def test_staff_pages_and_the_staff_api_read_it(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        national = make_user("nasional", tree["national"])
        complaint = waiting.complaint
        client = staff_client(national)
        inbox = client.get("/dashboard/")
        assert inbox.status_code == 200
        assert complaint.tracking_number in inbox.content.decode()
        page = client.get(f"/dashboard/complaints/{complaint.tracking_number}/")
        assert page.status_code == 200
        assert in_indonesian("not given yet") in page.content.decode()
        api = Client(HTTP_AUTHORIZATION=f"Token {api_token(national)}")
        listed = api.get("/api/v1/staff/complaints/").json()["results"]
        (row,) = [r for r in listed if r["tracking_number"] == complaint.tracking_number]
        assert (row["category"], row["region"], row["channel"]) == (None, None, "EMAIL")
        detail = api.get(f"/api/v1/staff/complaints/{complaint.tracking_number}/")
        assert detail.status_code == 200
        assert detail.json()["region"] is None

    def test_the_recap_counts_it_for_the_nation_only(
        self, waiting: services.SubmissionReceipt
    ) -> None:
        build_monthly_recap(month=dt.date(2026, 11, 1), now=dt.datetime(2026, 12, 2, tzinfo=WIB))
        nation = MonthlyRecap.objects.get(month=dt.date(2026, 11, 1), level="NATION")
        assert nation.received == 1
        assert nation.received_by_channel == {"EMAIL": 1}
        assert not MonthlyRecap.objects.filter(level="PROVINCE", received__gt=0).exists()


class TestCompleting:
    def test_the_reporter_completes_it_and_it_is_routed_by_the_rules(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        path = f"/lacak/{complaint.tracking_number}/{waiting.access_key}/"
        page = Client().get(path)
        assert b'action="' + path.encode() + b'lengkapi/"' in page.content
        response = Client().post(path + "lengkapi/", {"category": "kesehatan", "regency": "64.72"})
        assert response.status_code == 302
        deliver_pending(NOW)
        complaint.refresh_from_db()
        assert (complaint.category.code, complaint.region_id) == ("kesehatan", "64.72")
        assert complaint.current_agency == tree["dinkes"]
        given = complaint.events.get(type=ComplaintEvent.Type.DETAILS_GIVEN)
        assert (given.from_status, given.to_status) == ("AWAITING_VERIFICATION", "SUBMITTED")
        # Once routed, the form is gone and the action refused.
        assert b"lengkapi/" not in Client().get(path).content
        with pytest.raises(ActionError):
            services.give_details(
                complaint_id=complaint.pk,
                category=Category.objects.get(code="pendidikan"),
                region=Region.objects.get(code="64.72"),
                now=NOW,
            )

    def test_a_bad_choice_is_a_field_error_and_changes_nothing(
        self, waiting: services.SubmissionReceipt
    ) -> None:
        complaint = waiting.complaint
        path = f"/lacak/{complaint.tracking_number}/{waiting.access_key}/lengkapi/"
        response = Client().post(path, {"category": "kesehatan", "regency": "64"})
        assert response.status_code == 400
        complaint.refresh_from_db()
        assert complaint.details_missing
        with pytest.raises(ValidationError):
            services.give_details(
                complaint_id=complaint.pk,
                category=Category.objects.get(code="kesehatan"),
                region=Region.objects.get(code="64"),
                now=NOW,
            )

    def test_once_a_coordinator_handed_it_on_the_reporter_can_no_longer_choose(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        national = make_user("nasional", tree["national"])
        services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["national"],
            to_agency=tree["kaltim"],
            actor=national,
            now=NOW,
        )
        with pytest.raises(ActionError):
            services.give_details(
                complaint_id=complaint.pk,
                category=Category.objects.get(code="kesehatan"),
                region=Region.objects.get(code="64.72"),
                now=NOW,
            )


class TestTheNationalCoordinatorGivesThem:
    def test_on_the_page_and_it_is_routed_by_the_rules(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        client = staff_client(make_user("nasional", tree["national"]))
        page = client.get(f"/dashboard/complaints/{complaint.tracking_number}/")
        assert 'name="regency"' in page.content.decode()
        response = client.post(
            f"/dashboard/complaints/{complaint.tracking_number}/details/",
            {"category": "kesehatan", "regency": "64.72", "version": complaint.version},
        )
        assert response.status_code == 302
        deliver_pending(NOW)
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]
        event = complaint.events.get(type=ComplaintEvent.Type.DETAILS_SET)
        assert event.actor is not None and event.actor.username == "nasional"
        # The reporter's form is gone with the need for it.
        path = f"/lacak/{complaint.tracking_number}/{waiting.access_key}/"
        assert b"lengkapi/" not in Client().get(path).content

    def test_through_the_staff_api(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        api = Client(
            HTTP_AUTHORIZATION=f"Token {api_token(make_user('nasional', tree['national']))}"
        )
        url = f"/api/v1/staff/complaints/{complaint.tracking_number}/details/"
        bad = api.post(url, {"category": "kesehatan", "regency": "64"}, "application/json")
        assert bad.status_code == 400
        response = api.post(url, {"category": "kesehatan", "regency": "64.72"}, "application/json")
        assert response.status_code == 200, response.content
        complaint.refresh_from_db()
        assert not complaint.details_missing

    def test_no_one_else_is_offered_it(
        self, waiting: services.SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        complaint = waiting.complaint
        routed = services.submit_complaint(
            kind="COMPLAINT",
            title="Puskesmas tutup di jam layanan",
            description="Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00.",
            category=Category.objects.get(code="kesehatan"),
            region=Region.objects.get(code="64.72.01"),
            incident_date=dt.date(2026, 11, 16),
            is_anonymous=False,
            is_confidential=False,
            now=NOW,
        ).complaint
        deliver_pending(NOW)
        national = staff_client(make_user("nasional", tree["national"]))
        # A report that has them: nothing to give.
        assert (
            national.post(
                f"/dashboard/complaints/{routed.tracking_number}/details/",
                {"category": "kesehatan", "regency": "64.72"},
            ).status_code
            == 403
        )
        # An officer below does not see the waiting report at all.
        samarinda = staff_client(make_user("smd", tree["samarinda"]))
        assert (
            samarinda.get(f"/dashboard/complaints/{complaint.tracking_number}/").status_code == 404
        )
