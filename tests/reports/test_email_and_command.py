"""The coordinators' recap e-mail (queued once, sent once), the beat task that builds last month,
the ``build_recap`` command and the beat schedule."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from complaints import outbox
from complaints.models import Complaint, Message
from complaints.tasks import send_message_task
from lapor import queue as background
from reports import tasks
from reports.figures import BY_KEY
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap, queue_recap_emails
from reports.templatetags.recap import recap_lines
from routing.models import Agency
from tests.reports.conftest import (
    BUILT_AT,
    HTML_NAME,
    NOV,
    OCT,
    REPORTER_VALUES,
    WIB,
    Agencies,
    in_indonesian,
    make_user,
    own_row,
    recap_rows,
)

pytestmark = pytest.mark.django_db

Built = dict[str, Complaint]
SENT_AT = dt.datetime(2027, 1, 5, 9, 5, tzinfo=WIB)

# Who reads each coordinator's e-mail; Bontang has no address at all.
ADDRESSES = {
    "nasional": ["pusat@example.go.id"],
    "kaltim": ["diskominfo@kaltimprov.go.id", "rekap.kaltim@example.go.id"],
    "smd": ["rekap.smd@example.go.id"],
    "bpp": ["rekap.bpp@example.go.id"],
    "kukar": ["kominfo@kukarkab.go.id"],
}
REGION_OF = {"nasional": None, "kaltim": "64", "smd": "64.72", "bpp": "64.71", "kukar": "64.02"}
OPD_ADDRESS = "dinkes.smd@example.go.id"
# November's rows: the 11 agencies of the scenario; Kaltim and its four regencies/cities with
# agencies; DKI Jakarta and Kota Administrasi Jakarta Pusat (31.71), which have a report and no
# agency; the nation.
ROWS = 11 + 5 + 2 + 1


@pytest.fixture
def addresses(built: Built, agencies: Agencies) -> Agencies:
    """Officers with e-mail addresses (one of them of an OPD), and agency mailboxes."""
    make_user("pusat", agencies["national"], "pusat@example.go.id")
    make_user("rekap-kaltim", agencies["kaltim"], "rekap.kaltim@example.go.id")
    Agency.objects.filter(code="kaltim").update(email="diskominfo@kaltimprov.go.id")
    make_user("rekap-smd", agencies["samarinda"], "rekap.smd@example.go.id")
    make_user("rekap-bpp", agencies["balikpapan"], "rekap.bpp@example.go.id")
    Agency.objects.filter(code="kukar").update(email="kominfo@kukarkab.go.id")
    make_user("dinkes-smd", agencies["dinkes"], OPD_ADDRESS)
    return agencies


@pytest.fixture
def recap_emails(published: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """What is handed to the broker for the mail worker: the keyword arguments of each task
    (the reports of the scenario queue nothing that is published: not in a captured commit)."""
    return published(background.SEND_MESSAGE)


def queue(month: dt.date, now: dt.datetime, capture: Any) -> int:
    with capture(execute=True):
        return queue_recap_emails(month=month, now=now)


def recaps(month: dt.date) -> Any:
    """The recap e-mails of ``month``: outbox rows, one per coordinator."""
    return Message.objects.filter(kind=Message.Kind.RECAP, data__month=month.isoformat())


def send(message_id: int, now: dt.datetime = SENT_AT) -> str:
    """Deliver one recap e-mail as the mail worker does (``complaints.outbox``)."""
    return outbox.deliver(message_id, now=now)


def send_all(month: dt.date, now: dt.datetime = SENT_AT) -> dict[str, str]:
    return {e.agency.code: send(e.pk, now) for e in recaps(month).select_related("agency")}


def message_for(code: str) -> mail.EmailMessage:
    (message,) = [m for m in mail.outbox if m.bcc == ADDRESSES[code]]
    return message


class TestRecapEmails:
    def test_each_coordinator_with_an_address_gets_one_email_of_its_region(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        assert queue(NOV, BUILT_AT, django_capture_on_commit_callbacks) == 6
        emails = recaps(NOV)
        assert sorted(e.agency.code for e in emails) == sorted(
            ["nasional", "kaltim", "smd", "bpp", "btg", "kukar"]
        )
        assert {e.key for e in emails} == {f"recap:2026-11:{e.agency_id}" for e in emails}
        assert sorted(p["message_id"] for p in recap_emails) == sorted(e.pk for e in emails)

        sent = send_all(NOV)
        # Bontang: nowhere to send.
        assert sent == {code: "skipped" if code == "btg" else "sent" for code in sent}
        assert {e.sent_at for e in recaps(NOV)} == {SENT_AT}
        assert sorted(m.bcc for m in mail.outbox) == sorted(ADDRESSES.values())
        # The OPD's officer has an address, and gets nothing.
        assert User.objects.filter(email=OPD_ADDRESS, officer__agency__code="dinkes-smd").exists()
        for message in mail.outbox:
            assert message.to == []
            assert OPD_ADDRESS not in message.recipients()

    @pytest.mark.parametrize("code", list(ADDRESSES))
    def test_the_email_holds_the_regions_figures_and_a_link(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
        code: str,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        email = recaps(NOV).get(agency__code=code)
        assert send(email.pk) == "sent"
        message = message_for(code)
        assert message.extra_headers["Message-ID"] == outbox.message_id_header(email)
        region = REGION_OF[code]
        total, rows = own_row(NOV, region), recap_rows(NOV, region)
        subject = in_indonesian(gettext, "Monthly recap %(month)s: %(name)s")
        assert message.subject == subject % {"month": "November 2026", "name": total.name}
        link = f"{settings.LAPOR_BASE_URL}/reports/?month=2026-11&region={region or ''}"
        assert link in message.body
        assert in_indonesian(recap_lines, total) in message.body
        for row in rows:
            assert f"\n{row.name}\n{in_indonesian(recap_lines, row)}\n" in message.body
        html, kind = message.alternatives[0]
        assert kind == "text/html"
        assert link.replace("&", "&amp;") in html
        assert all(f"<td>{row.name}</td>" in html for row in rows)

    def test_a_regency_reads_only_its_own_agencies(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        send_all(NOV)
        samarinda = message_for("smd").body
        assert "Dinkes Samarinda" in samarinda
        for elsewhere in ("Balikpapan", "Bontang", "Disdik Kaltim", "Nasional", "Jakarta"):
            assert elsewhere not in samarinda
        # The figures of Kota Samarinda, not of the province: 7 reports filed about it in
        # November (12 about Kaltim), 2 answered (6), 5 open at its end (11).
        received, answered, open_ = (
            in_indonesian(str, BY_KEY[key].label) for key in ("received", "first_answers", "open")
        )
        total = samarinda.split("\n\n")[1]  # the region's own lines come first
        assert f"  {received}: 7\n  {answered}: 2\n" in total
        assert f"\n  {open_}: 5\n" in total

    def test_no_reporter_in_any_email(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        send_all(NOV)
        assert len(mail.outbox) == 5
        for message in mail.outbox:
            text = message.subject + message.body + message.alternatives[0][0]
            for value in REPORTER_VALUES:
                assert value not in text

    def test_queued_and_sent_twice_nothing_more(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        ids = [p["message_id"] for p in recap_emails]
        for message_id in ids:
            send(message_id)
        assert len(mail.outbox) == 5

        recap_emails.clear()
        later = SENT_AT + dt.timedelta(hours=1)
        assert queue(NOV, later, django_capture_on_commit_callbacks) == 0
        assert recap_emails == []
        assert [send(i, later) for i in ids] == ["busy"] * 6
        # A repeated delivery of the mail worker's task changes nothing either.
        with time_machine.travel(later, tick=False):
            assert [send_message_task(message_id=i) for i in ids] == ["busy"] * 6
        assert len(mail.outbox) == 5
        assert recaps(NOV).count() == 6
        assert {e.sent_at for e in recaps(NOV)} == {SENT_AT}

    def test_queued_twice_before_sending_each_is_sent_once(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        assert queue(NOV, BUILT_AT, django_capture_on_commit_callbacks) == 6
        assert queue(NOV, BUILT_AT, django_capture_on_commit_callbacks) == 0
        assert recaps(NOV).count() == 6
        # Each published twice (the request's publication and beat's relay both reached the
        # broker): each task run twice, each e-mail sent once.
        twice = [*recap_emails, *recap_emails]
        assert len(twice) == 12
        with time_machine.travel(SENT_AT, tick=False):
            outcomes = [send_message_task(**kwargs) for kwargs in twice]
        assert sorted(outcomes) == sorted(["sent"] * 5 + ["skipped"] + ["busy"] * 6)
        assert len(mail.outbox) == 5

    def test_nothing_is_published_before_commit(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            queue_recap_emails(month=NOV, now=BUILT_AT)
            assert recap_emails == []
        assert len(callbacks) == 6
        assert recap_emails == []

    def test_opds_and_closed_coordinators_get_none(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        Agency.objects.filter(code="bpp").update(is_active=False)
        assert queue(NOV, BUILT_AT, django_capture_on_commit_callbacks) == 5
        codes = set(recaps(NOV).values_list("agency__code", flat=True))
        assert codes == {"nasional", "kaltim", "smd", "btg", "kukar"}

    def test_names_with_markup_are_escaped_in_the_html_part(
        self,
        odd_names: list[Agency],
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        send(recaps(NOV).get(agency__code="smd").pk)
        message = message_for("smd")
        html = message.alternatives[0][0]
        assert HTML_NAME not in html
        assert f"<td>{escape(HTML_NAME)}</td>" in html
        assert f"\n{HTML_NAME}\n" in message.body  # plain text: as it is

    def test_a_coordinator_without_a_region_is_not_sent_the_nations_figures(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        stray = Agency.objects.create(
            code="tanpa-wilayah",
            name="Diskominfo Tanpa Wilayah",
            level="REGENCY",
            region=None,
            parent=addresses["kaltim"],
        )
        user = make_user("stray", stray, "stray@example.go.id")
        page = Client()
        page.force_login(user)
        assert page.get("/reports/", {"month": "2026-11"}).status_code == 403
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        assert send(recaps(NOV).get(agency=stray).pk) == "skipped"
        for kwargs in recap_emails:
            send(kwargs["message_id"])
        assert [m.subject for m in mail.outbox if "stray@example.go.id" in m.bcc] == []

    def test_each_month_is_its_own_email(
        self,
        addresses: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        queue(NOV, BUILT_AT, django_capture_on_commit_callbacks)
        queue(OCT, BUILT_AT, django_capture_on_commit_callbacks)
        assert len(recap_emails) == 12
        for kwargs in recap_emails:
            send(kwargs["message_id"])
        assert len(mail.outbox) == 10
        assert {m.subject.split(":")[0] for m in mail.outbox} == {
            in_indonesian(gettext, "Monthly recap %(month)s: %(name)s").split(":")[0]
            % {"month": month}
            for month in ("Oktober 2026", "November 2026")
        }


# --- the beat task -----------------------------------------------------------------------------


class TestBuildPreviousMonthTask:
    def test_on_the_first_in_jakarta_builds_last_month_and_queues_the_emails(
        self,
        scenario: Built,
        agencies: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # 00:30 on 1 December in Jakarta is still 30 November in UTC.
        now = dt.datetime(2026, 12, 1, 0, 30, tzinfo=WIB)
        monkeypatch.setattr(timezone, "now", lambda: now)
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.build_previous_month_recap_task() == 6
        rows = MonthlyRecap.objects.filter(month=NOV)
        assert rows.count() == ROWS
        assert set(rows.values_list("built_at", flat=True)) == {now}
        assert not MonthlyRecap.objects.exclude(month=NOV).exists()
        assert own_row(NOV, "64.72").open == 5  # Dinkes Samarinda's five
        assert sorted(p["message_id"] for p in recap_emails) == sorted(
            recaps(NOV).values_list("pk", flat=True)
        )

    def test_run_again_rebuilds_the_same_figures_and_queues_nothing_sent(
        self,
        scenario: Built,
        agencies: Agencies,
        recap_emails: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        make_user("rekap-smd", agencies["samarinda"], "rekap.smd@example.go.id")
        now = dt.datetime(2026, 12, 1, 0, 30, tzinfo=WIB)
        monkeypatch.setattr(timezone, "now", lambda: now)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.build_previous_month_recap_task()
        first = frozen(NOV)
        for kwargs in recap_emails:
            send_message_task(**kwargs)
        assert len(mail.outbox) == 1
        recap_emails.clear()

        monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(minutes=5))
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.build_previous_month_recap_task() == 0
        assert recap_emails == []
        assert frozen(NOV) == first
        assert len(mail.outbox) == 1


FROZEN = [f.attname for f in MonthlyRecap._meta.concrete_fields if f.name not in ("id", "built_at")]


def frozen(month: dt.date) -> list[dict[str, Any]]:
    """A month's saved rows but for their ids and build time, in a fixed order."""
    return sorted(
        MonthlyRecap.objects.filter(month=month).values(*FROZEN),
        key=lambda r: (r["level"], r["agency_id"] or 0, r["region_id"] or ""),
    )


# --- the command -------------------------------------------------------------------------------


def build_recap(*args: str) -> str:
    out = io.StringIO()
    call_command("build_recap", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dt.datetime]]:
    """The command's clock: it reads the last time put in the list."""
    clock = [BUILT_AT]
    monkeypatch.setattr(timezone, "now", lambda: clock[-1])
    yield clock


class TestBuildRecapCommand:
    def test_builds_the_month_and_prints_a_summary(
        self, scenario: Built, frozen_now: list[dt.datetime]
    ) -> None:
        output = build_recap("--month", "2026-11")
        # Thirteen reports filed in November; six first answers (two by each Dinkes); twelve
        # open at its end (Dinkes Samarinda's five, the two of Balikpapan and of Bontang, Disdik
        # Kaltim's in process, Kutai Kartanegara's and Jakarta's in the queues), four of them
        # overdue (October's at Dinkes Samarinda, Disdik Kaltim's, the two in the queues).
        assert re.fullmatch(
            rf"2026-11: {ROWS} rows in \d+\.\d s; nation: 13 received, 6 answered, "
            r"12 open at its end, 4 overdue; with today's calendar and agencies\n",
            output,
        ), output
        assert set(MonthlyRecap.objects.filter(month=NOV).values_list("built_at", flat=True)) == {
            BUILT_AT
        }
        nation = own_row(NOV, None)
        assert (nation.received, nation.first_answers, nation.open, nation.overdue) == (
            13,
            6,
            12,
            4,
        )

    def test_rebuilding_gives_identical_rows(
        self, scenario: Built, frozen_now: list[dt.datetime]
    ) -> None:
        first_output = build_recap("--month", "2026-11")
        first = frozen(NOV)
        frozen_now.append(BUILT_AT + dt.timedelta(days=40))
        second_output = build_recap("--month", "2026-11")
        assert frozen(NOV) == first
        # The second build says it kept the calendar and agencies of the first.
        assert first_output.endswith("; with today's calendar and agencies\n")
        assert re.search(
            r"; with the calendar and agencies of its first build \(2027-01-05 09:00\)\n$",
            second_output,
        ), second_output
        assert MonthlyRecap.objects.filter(month=NOV).count() == ROWS
        assert first_output.split(" rows")[0] == second_output.split(" rows")[0]
        assert set(MonthlyRecap.objects.filter(month=NOV).values_list("built_at", flat=True)) == {
            frozen_now[-1]
        }

    def test_matches_the_service(self, scenario: Built, frozen_now: list[dt.datetime]) -> None:
        build_monthly_recap(month=NOV, now=BUILT_AT)
        by_service = frozen(NOV)
        build_recap("--month", "2026-11")
        assert frozen(NOV) == by_service

    @pytest.mark.parametrize("month", ["2026-13", "2026/11", "11-2026", "next", "2026-11-01"])
    def test_a_malformed_month_is_refused_with_the_format(
        self, agencies: Agencies, frozen_now: list[dt.datetime], month: str
    ) -> None:
        with pytest.raises(CommandError) as error:
            build_recap("--month", month)
        assert str(error.value) == gettext("Give the month as YYYY-MM, for example 2026-10.")
        assert not MonthlyRecap.objects.exists()

    def test_a_month_not_ended_is_refused_and_nothing_written(
        self, scenario: Built, frozen_now: list[dt.datetime]
    ) -> None:
        frozen_now.append(dt.datetime(2026, 11, 30, 23, 59, tzinfo=WIB))
        with pytest.raises(CommandError, match="only after it has ended"):
            build_recap("--month", "2026-11")
        assert not MonthlyRecap.objects.exists()

    def test_the_month_is_required(self, agencies: Agencies) -> None:
        with pytest.raises(CommandError, match="--month"):
            build_recap()


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


# --- the schedule ------------------------------------------------------------------------------


class TestBeatSchedule:
    """When beat runs the monthly recap: its next run as Celery computes it from the schedule,
    on a frozen clock."""

    @staticmethod
    def next_run(last_run_at: dt.datetime, now: dt.datetime) -> dt.datetime:
        from lapor.celery import app

        entry = app.conf.beat_schedule["monthly-recap"]
        assert entry["task"] == tasks.build_previous_month_recap_task.name
        with time_machine.travel(now, tick=False):
            remaining = entry["schedule"].remaining_estimate(last_run_at)
        return (now + remaining).astimezone(WIB)

    @pytest.mark.parametrize(
        ("last_run_at", "now", "expected"),
        [
            # Mid-month: the 1st of the next month, 00:30 in Jakarta.
            (wib(2026, 11, 1, 0, 30), wib(2026, 11, 15, 12), wib(2026, 12, 1, 0, 30)),
            # Across the year's end.
            (wib(2026, 12, 1, 0, 30), wib(2026, 12, 20, 9), wib(2027, 1, 1, 0, 30)),
            # 23:00 on 31 December in Jakarta is still 16:00 UTC: the run is half an hour
            # after Jakarta's midnight, not UTC's.
            (wib(2026, 12, 1, 0, 30), wib(2026, 12, 31, 23), wib(2027, 1, 1, 0, 30)),
            # A February of 28 days.
            (wib(2027, 2, 1, 0, 30), wib(2027, 2, 28, 23, 59), wib(2027, 3, 1, 0, 30)),
        ],
    )
    def test_the_monthly_recap_runs_on_the_first_just_after_midnight_in_jakarta(
        self, last_run_at: dt.datetime, now: dt.datetime, expected: dt.datetime
    ) -> None:
        assert self.next_run(last_run_at, now) == expected
