"""Staff entry (/dashboard/laporan-baru/) under attack and under odd use: fields the form does
not have, the receipt guessed, replayed or kept, the day's edges in Jakarta, and what the
session and the report's history keep of an anonymous reporter."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client

from complaints.models import Complaint, ComplaintEvent
from routing.models import Agency
from tests.helpers import WIB, api_token, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
ENTER = "/dashboard/laporan-baru/"
TITLE = "Lampu jalan mati di Jalan Kesehatan"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer(tree: dict[str, Agency]) -> User:
    return make_user("petugas.dinkes", tree["dinkes"])


def entry(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "WALK_IN",
        "received_on": "2026-11-30",
        "kind": "COMPLAINT",
        "title": TITLE,
        "description": "Warga datang: puskesmas Palaran tutup pukul 10 pagi, padahal buka sampai 14.00.",
        "category": "kesehatan",
        "province": "64",
        "regency": "64.72",
        "district": "64.72.01",
        "incident_date": "2026-11-27",
        "reporter_name": "Siti Aminah",
        "reporter_email": "siti@example.id",
        "reporter_phone": "0812 3456 7890",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def at_nine() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.usefixtures("at_nine")
class TestFieldsTheFormHasNot:
    def test_another_agency_recorder_or_owner_cannot_be_slipped_in(
        self, officer: User, tree: dict[str, Agency]
    ) -> None:
        other = make_user("petugas.rsud", tree["rsud"])
        response = logged_in(officer).post(
            ENTER,
            entry(
                keep="on",
                agency=tree["rsud"].pk,
                keep_for=tree["rsud"].pk,
                current_agency=tree["rsud"].pk,
                entered_by=other.pk,
                officer=other.pk,
                owner=other.pk,
                language="en",
                channel_override="WEB",
            ),
        )
        assert response.status_code == 302
        report = Complaint.objects.get(title=TITLE)
        assert report.current_agency == tree["dinkes"]
        assert report.entered_by == officer
        assert report.owner is None
        assert report.language == "id"

    @pytest.mark.parametrize("channel", ["WEB", "API", "OPEN311", "EMAIL", "SMS", "bogus"])
    def test_a_channel_that_is_not_an_officers_is_refused(
        self, officer: User, channel: str
    ) -> None:
        response = logged_in(officer).post(ENTER, entry(channel=channel))
        assert response.status_code == 400
        assert not Complaint.objects.exists()

    def test_a_post_without_the_csrf_token_is_refused(self, officer: User) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(officer)
        assert client.post(ENTER, entry()).status_code == 403
        assert not Complaint.objects.exists()

    def test_refreshing_the_selects_files_nothing(self, officer: User) -> None:
        response = logged_in(officer).post(ENTER, entry(_refresh="1"))
        assert response.status_code == 200
        assert not Complaint.objects.exists()

    def test_a_form_that_comes_back_is_not_cached(self, officer: User) -> None:
        response = logged_in(officer).post(ENTER, entry(title="x"))
        assert response.status_code == 400
        assert "Siti Aminah" in response.content.decode()  # as typed, to correct
        assert "no-store" in response["Cache-Control"]


@pytest.mark.usefixtures("at_nine")
class TestTheReceipt:
    def test_it_cannot_be_opened_after_logging_out_and_in_again(self, officer: User) -> None:
        client = logged_in(officer)
        location = client.post(ENTER, entry(is_anonymous="on"))["Location"]
        client.post("/dashboard/logout/")
        client.force_login(officer)
        gone = client.get(location)
        assert gone.status_code == 410
        assert "Siti Aminah" not in gone.content.decode()

    def test_an_opened_receipt_leaves_nothing_of_the_reporter_in_the_session(
        self, officer: User
    ) -> None:
        client = logged_in(officer)
        location = client.post(ENTER, entry(is_anonymous="on"))["Location"]
        assert client.get(location).status_code == 200
        stored = json.dumps(Session.objects.get().get_decoded())
        for typed in ("Siti", "siti@example.id", "3456"):
            assert typed not in stored
        report = Complaint.objects.get(title=TITLE)
        assert report.access_key_hash[-12:] not in stored

    def test_a_guessed_token_opens_nothing(self, officer: User) -> None:
        client = logged_in(officer)
        client.post(ENTER, entry())
        for token in ("x", "A" * 24, "../../admin", "%00"):
            assert client.get(f"/dashboard/laporan-baru/tanda-terima/{token}/").status_code in (
                404,
                410,
            )


@pytest.mark.usefixtures("at_nine")
class TestAnAnonymousReporter:
    def test_no_event_or_api_answer_names_them(
        self, officer: User, tree: dict[str, Agency]
    ) -> None:
        logged_in(officer).post(ENTER, entry(is_anonymous="on", keep="on"))
        report = Complaint.objects.get(title=TITLE)
        events = json.dumps(
            list(ComplaintEvent.objects.filter(complaint=report).values("data")), default=str
        )
        coordinator = make_user("koordinator.smd", tree["samarinda"])
        answers = [
            Client().get(
                f"/api/v1/staff/complaints/{report.tracking_number}/",
                headers={"Authorization": f"Token {api_token(user)}"},
            )
            for user in (officer, coordinator)
        ]
        assert [a.status_code for a in answers] == [200, 200]
        for text in (events, *(a.content.decode() for a in answers)):
            for typed in ("Siti", "siti@example.id", "3456"):
                assert typed not in text


class TestTheDaysEdges:
    def test_just_after_midnight_in_jakarta_today_is_the_new_day(self, officer: User) -> None:
        moment = dt.datetime(2026, 12, 1, 0, 10, tzinfo=WIB)  # 30 November 17:10 UTC
        with time_machine.travel(moment, tick=False):
            client = logged_in(officer)
            refused = client.post(
                ENTER, entry(received_on="2026-11-30", incident_date="2026-11-30")
            )
            assert refused.status_code == 400  # into a month whose recap is built
            assert (
                client.post(
                    ENTER, entry(received_on="2026-12-01", incident_date="2026-11-30")
                ).status_code
                == 302
            )
        report = Complaint.objects.get(title=TITLE)
        assert report.submitted_at == moment

    def test_just_before_midnight_tomorrow_is_the_future(self, officer: User) -> None:
        moment = dt.datetime(2026, 11, 30, 23, 59, tzinfo=WIB)
        with time_machine.travel(moment, tick=False):
            client = logged_in(officer)
            assert client.post(ENTER, entry(received_on="2026-12-01")).status_code == 400
            assert client.post(ENTER, entry(received_on="2026-11-30")).status_code == 302
        assert Complaint.objects.get(title=TITLE).submitted_at == moment

    def test_a_past_day_is_dated_at_its_midday_in_jakarta(self, officer: User) -> None:
        with time_machine.travel(NOW, tick=False):
            logged_in(officer).post(
                ENTER, entry(received_on="2026-11-20", incident_date="2026-11-19")
            )
        report = Complaint.objects.get(title=TITLE)
        assert report.submitted_at == dt.datetime(2026, 11, 20, 12, 0, tzinfo=WIB)


@pytest.mark.usefixtures("at_nine")
class TestWhatTheSessionKeeps:
    def test_before_the_receipt_is_opened_the_session_store_holds_nothing_readable(
        self, officer: User
    ) -> None:
        """Sessions are rows in the database (and its backups), and one whose receipt is never
        opened (the browser closed on the way) stays there: it must not hold the link's secret
        or who the anonymous reporter was in the clear."""
        client = logged_in(officer)
        location = client.post(ENTER, entry(is_anonymous="on"))["Location"]
        stored = json.dumps(Session.objects.get().get_decoded())
        token = location.rstrip("/").rsplit("/", 1)[1]
        receipt = client.get(location).content.decode()
        key = re.search(r'<code id="private-link">[^<]*/lacak/[^/]+/([^/<]+)/', receipt)
        assert key is not None
        for secret in (key.group(1), token, "Siti", "siti@example.id", "3456"):
            assert secret not in stored


class TestExpiredSessionsGo:
    def test_the_daily_task_deletes_expired_sessions(self) -> None:
        from django.utils import timezone

        from complaints.tasks import forget_old_secrets_task

        Session.objects.create(
            session_key="x" * 32,
            session_data="{}",
            expire_date=timezone.now() - dt.timedelta(hours=1),
        )
        Session.objects.create(
            session_key="y" * 32,
            session_data="{}",
            expire_date=timezone.now() + dt.timedelta(hours=1),
        )
        forget_old_secrets_task()
        assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]
