"""How far the working-day calendar is known: the ``holidays`` package's data per year (real,
pinned holidays==0.109), the years an administrator confirmed in the admin, the system check
that warns a year ahead, the coordinators' banner and the "provisional" mark beside a deadline
counted past the covered years. Every moment is fixed: none of this depends on the day it runs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint
from lapor.lib.workdays import holiday_data
from routing import selectors
from routing.checks import check_calendar_coverage
from routing.models import Agency, CalendarYear
from tests.helpers import WIB, api_token, end_of, make_user, route_fully

# Early December 2026: the coming months reach 2027, whose Idul Fitri and Idul Adha the package
# only estimates.
DECEMBER_2026 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
# Mid-year 2026: the banner's months stay inside 2026, which is complete.
JUNE_2026 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=WIB)
# Late 2027, with 2027 confirmed: the coming months reach 2028, which has no cuti bersama.
NOVEMBER_2027 = dt.datetime(2027, 11, 1, 9, 0, tzinfo=WIB)

BANNER = 'class="note calendar-coverage"'
MARK = 'class="provisional"'


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    """The clock stands at ``moment`` (pages and checks read it)."""
    with time_machine.travel(moment, tick=False):
        yield


def confirm(year: int) -> CalendarYear:
    row = CalendarYear.objects.create(
        year=year, note=f"SKB 3 Menteri {year}", confirmed_at=timezone.now()
    )
    selectors.clear_settings_cache()
    return row


class TestHolidayData:
    """What the pinned ``holidays`` package knows, measured: 2026 is complete; 2027 has its
    cuti bersama (the SKB is in) but Idul Fitri and Idul Adha only estimated (the sidang isbat
    decides them); 2028 has no cuti bersama and eight estimated dates."""

    def test_2026_is_complete(self) -> None:
        data = holiday_data(2026)
        assert data.has_cuti_bersama
        assert data.estimated == ()
        assert data.is_complete

    def test_2027_has_cuti_bersama_but_estimates_idul_fitri_and_idul_adha(self) -> None:
        data = holiday_data(2027)
        assert data.has_cuti_bersama
        assert [day for day, _name in data.estimated] == [
            dt.date(2027, 3, 10),
            dt.date(2027, 3, 11),
            dt.date(2027, 5, 17),
        ]
        assert data.estimated[0][1] == "Hari Raya Idul Fitri"  # the label taken off
        assert not data.is_complete

    def test_2028_has_no_cuti_bersama_and_estimated_dates(self) -> None:
        data = holiday_data(2028)
        assert not data.has_cuti_bersama
        assert (dt.date(2028, 2, 27), "Hari Raya Idul Fitri") in data.estimated
        assert len(data.estimated) == 8
        assert not data.is_complete

    def test_the_process_locale_does_not_matter(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The package names holidays in the locale's language unless told: the estimated
        label is looked for in the language the function asks for."""
        monkeypatch.setenv("LANG", "en_US.UTF-8")
        monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
        holiday_data.cache_clear()
        try:
            assert len(holiday_data(2028).estimated) == 8
        finally:
            holiday_data.cache_clear()


@pytest.mark.django_db
class TestCoverage:
    def test_covered_until_the_end_of_the_last_complete_year(self) -> None:
        assert selectors.calendar_covered_until(dt.date(2026, 6, 1)) == dt.date(2026, 12, 31)

    def test_a_confirmed_year_is_covered(self) -> None:
        assert not selectors.is_year_covered(2027)
        confirm(2027)
        assert selectors.is_year_covered(2027)
        # 2028 still lacks its decree: the run of covered years stops there.
        assert selectors.calendar_covered_until(dt.date(2026, 6, 1)) == dt.date(2027, 12, 31)

    def test_an_uncovered_current_year_covers_nothing(self) -> None:
        assert selectors.calendar_covered_until(dt.date(2028, 3, 1)) == dt.date(2027, 12, 31)

    def test_gaps_of_the_coming_months(self) -> None:
        (gap,) = selectors.calendar_gap_list(dt.date(2026, 12, 7))
        assert gap.year == 2027
        assert not gap.missing_cuti_bersama
        assert len(gap.estimated) == 3
        assert selectors.calendar_gap_list(dt.date(2026, 6, 1), horizon_days=120) == []
        confirm(2027)
        (gap,) = selectors.calendar_gap_list(dt.date(2027, 11, 1))
        assert gap.year == 2028
        assert gap.missing_cuti_bersama
        assert "cuti bersama" in gap.describe()

    def test_a_deadline_past_the_covered_years_is_provisional(self) -> None:
        today = dt.date(2026, 12, 21)
        assert selectors.is_provisional(end_of(2027, 1, 5), today=today)
        assert not selectors.is_provisional(end_of(2026, 12, 30), today=today)
        assert not selectors.is_provisional(None, today=today)
        # The last second of 31 December in Jakarta is still inside 2026.
        assert not selectors.is_provisional(end_of(2026, 12, 31), today=today)
        confirm(2027)
        assert not selectors.is_provisional(end_of(2027, 1, 5), today=today)


@pytest.mark.django_db
class TestSystemCheck:
    def test_warns_a_year_ahead_naming_the_year_and_the_admin(self) -> None:
        with at(DECEMBER_2026):
            (warning,) = check_calendar_coverage(databases=["default"])
        assert warning.id == "routing.W001"
        assert "2027" in warning.msg
        assert "Idul Fitri" in warning.msg
        assert warning.hint is not None
        assert reverse("admin:routing_calendarexception_changelist") in warning.hint

    def test_names_missing_cuti_bersama(self) -> None:
        confirm(2027)
        with at(NOVEMBER_2027):
            (warning,) = check_calendar_coverage(databases=["default"])
        assert "2028" in warning.msg
        assert "cuti bersama" in warning.msg

    def test_silent_once_the_year_is_confirmed(self) -> None:
        confirm(2027)
        with at(DECEMBER_2026):
            assert check_calendar_coverage(databases=["default"]) == []

    def test_runs_only_when_a_database_is_named(self) -> None:
        """Like Django's own database checks: at ``migrate`` and ``check --database``, not at
        every command (nor in a build's ``check --deploy`` without a database)."""
        with at(DECEMBER_2026):
            assert check_calendar_coverage(databases=None) == []
            plain, with_database = StringIO(), StringIO()
            call_command("check", stdout=plain, stderr=plain)
            call_command(
                "check", "--database", "default", stdout=with_database, stderr=with_database
            )
        assert "routing.W001" not in plain.getvalue()
        assert "routing.W001" in with_database.getvalue()

    def test_before_migrate_it_reads_no_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Checks run before ``migrate`` creates the table: then nothing is confirmed, and the
        table is not read (a confirmation in it would silence the warning)."""
        confirm(2027)
        monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
        with at(DECEMBER_2026):
            (warning,) = check_calendar_coverage(databases=["default"])
        assert "2027" in warning.msg


@pytest.mark.django_db
class TestConfirmInTheAdmin:
    def test_an_administrator_confirms_a_year(self, client: Client) -> None:
        root = User.objects.create_superuser("root", "root@example.id", "sandi-panjang-sekali")
        with at(DECEMBER_2026):
            client.force_login(root)
            changelist = client.get(reverse("admin:routing_calendarexception_changelist"))
            assert changelist.status_code == 200
            assert re.search(r'class="warning">[^<]*2027', changelist.content.decode())
            form = client.get(reverse("admin:routing_calendaryear_add"))
            assert form.status_code == 200
            response = client.post(
                reverse("admin:routing_calendaryear_add"),
                {"year": "2027", "note": "SKB 3 Menteri 2026 tentang libur nasional 2027"},
            )
        assert response.status_code == 302
        row = CalendarYear.objects.get(year=2027)
        assert row.confirmed_by == root
        assert row.confirmed_at == DECEMBER_2026
        # Covered at once in this process (the settings read a minute ago are forgotten).
        assert selectors.is_year_covered(2027)
        with at(DECEMBER_2026):
            assert check_calendar_coverage(databases=["default"]) == []
            page = client.get(reverse("admin:routing_calendaryear_change", args=[row.pk]))
            changelist = client.get(reverse("admin:routing_calendarexception_changelist"))
        # The package's data for the year, to check the decree against.
        assert "Idul Adha" in page.content.decode()
        assert 'class="warning"' not in changelist.content.decode()


@pytest.fixture
def routed(tree: dict[str, Agency], submit: Callable[..., Any]) -> Complaint:
    return route_fully(submit().complaint)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def staff_api_rows(user: User) -> list[dict[str, Any]]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    response = client.get("/api/v1/staff/complaints/")
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.django_db
class TestBanner:
    def test_shown_to_a_coordinator_on_the_dashboard_and_the_recaps(
        self, tree: dict[str, Agency]
    ) -> None:
        user = make_user("kominfo.smd", tree["samarinda"])
        with at(DECEMBER_2026):
            coordinator = logged_in(user)
            inbox = html(coordinator, reverse("dashboard:inbox"))
            recaps = html(coordinator, reverse("reports:monthly"))
        for page in (inbox, recaps):
            assert BANNER in page
            assert "2027" in page
        # Not an administrator: told whom to ask, not sent to the admin.
        assert reverse("admin:routing_calendarexception_changelist") not in inbox

    def test_links_to_the_admin_for_a_coordinator_who_may_edit_the_calendar(
        self, tree: dict[str, Agency]
    ) -> None:
        user = make_user("kominfo.kaltim", tree["kaltim"])
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(Permission.objects.get(codename="add_calendarexception"))
        with at(DECEMBER_2026):
            inbox = html(logged_in(user), reverse("dashboard:inbox"))
        assert reverse("admin:routing_calendarexception_changelist") in inbox

    def test_not_shown_to_an_opd_officer_or_a_citizen(
        self, tree: dict[str, Agency], routed: Complaint
    ) -> None:
        officer_user, citizen_user = make_user("dinkes", tree["dinkes"]), make_user("warga")
        with at(DECEMBER_2026):
            officer, citizen = logged_in(officer_user), logged_in(citizen_user)
            assert BANNER not in html(officer, reverse("dashboard:inbox"))
            for client in (citizen, Client()):
                page = html(client, f"/lacak/{routed.tracking_number}/")
                assert BANNER not in page
            assert BANNER not in html(citizen, reverse("complaints:my-reports"))

    def test_not_shown_when_the_coming_months_are_covered(self, tree: dict[str, Agency]) -> None:
        user = make_user("kominfo.smd", tree["samarinda"])
        with at(JUNE_2026):
            page = html(logged_in(user), reverse("dashboard:inbox"))
            assert BANNER not in page
        confirm(2027)
        with at(DECEMBER_2026):
            page = html(logged_in(user), reverse("dashboard:inbox"))
            assert BANNER not in page


@pytest.mark.django_db
class TestProvisionalMark:
    """A report whose deadline falls on 5 January 2027, seen on 21 December 2026."""

    @pytest.fixture
    def late(self, routed: Complaint) -> Complaint:
        Complaint.objects.filter(pk=routed.pk).update(due_at=end_of(2027, 1, 5))
        return Complaint.objects.get(pk=routed.pk)

    def test_staff_pages_and_api(self, tree: dict[str, Agency], late: Complaint) -> None:
        user = make_user("dinkes", tree["dinkes"])
        coordinator_user = make_user("kominfo.smd", tree["samarinda"])
        with at(dt.datetime(2026, 12, 21, 9, 0, tzinfo=WIB)):
            officer, coordinator = logged_in(user), logged_in(coordinator_user)
            inbox = html(officer, reverse("dashboard:inbox"))
            detail = coordinator.get(reverse("dashboard:complaint", args=[late.tracking_number]))
            rows = staff_api_rows(user)
        assert late.tracking_number in inbox
        assert MARK in inbox
        assert detail.status_code == 200
        assert MARK in detail.content.decode()
        (row,) = rows
        assert row["due_at_provisional"] is True

    def test_citizen_page_and_api(self, late: Complaint) -> None:
        client = Client()
        with at(dt.datetime(2026, 12, 21, 9, 0, tzinfo=WIB)):
            page = html(client, f"/lacak/{late.tracking_number}/")
            data = client.get(f"/api/v1/complaints/{late.tracking_number}/").json()
        assert MARK in page
        assert data["due_at_provisional"] is True

    def test_a_confidential_report_keeps_the_mark(self, late: Complaint) -> None:
        Complaint.objects.filter(pk=late.pk).update(is_confidential=True)
        with at(dt.datetime(2026, 12, 21, 9, 0, tzinfo=WIB)):
            data = Client().get(f"/api/v1/complaints/{late.tracking_number}/").json()
        assert data["title"] is None
        assert data["due_at_provisional"] is True

    def test_no_mark_once_the_year_is_confirmed(
        self, tree: dict[str, Agency], late: Complaint
    ) -> None:
        confirm(2027)
        user = make_user("dinkes", tree["dinkes"])
        with at(dt.datetime(2026, 12, 21, 9, 0, tzinfo=WIB)):
            inbox = html(logged_in(user), reverse("dashboard:inbox"))
            (row,) = staff_api_rows(user)
            data = Client().get(f"/api/v1/complaints/{late.tracking_number}/").json()
        assert late.tracking_number in inbox
        assert MARK not in inbox
        assert row["due_at_provisional"] is False
        assert data["due_at_provisional"] is False
