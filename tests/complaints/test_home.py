"""The home page: the four steps of a report's way with the deadlines the workflow applies (read
from the same settings, so an administrator's change shows at once), what anonymous and
confidential mean, this month's figures (counted as the recaps count, cached for a few minutes)
and the newest public reports, never a confidential or archived one."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from complaints import selectors, services
from complaints.models import Complaint
from routing import selectors as routing_selectors
from routing.models import Agency, Category, DeadlineSetting
from tests.helpers import WIB, in_indonesian, route_fully

pytestmark = pytest.mark.django_db

Step = DeadlineSetting.Step
Kind = Complaint.Kind
Submit = Callable[..., Any]

# Mid-December 2026 in Jakarta: the month the figures are of.
TODAY = dt.datetime(2026, 12, 15, 10, 0, tzinfo=WIB)


def text_of(fragment: str) -> str:
    """The words of an HTML fragment, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def home(client: Client | None = None) -> str:
    response = (client or Client()).get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, heading_id: str) -> str:
    found = re.search(
        rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, flags=re.DOTALL
    )
    assert found, f"no section {heading_id}"
    return found.group(1)


def deadline_rows(page: str) -> dict[str, str]:
    """The deadlines list: each row's name → what it says."""
    listing = section(page, "deadlines")
    return {
        text_of(name): text_of(value)
        for name, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", listing, re.DOTALL)
    }


def days(number: int, singular: str = "%(days)s working day") -> str:
    """How the page says ``singular`` (a message naming "working day") of ``number`` days, in
    Indonesian as it is served."""
    plural = singular.replace("working day", "working days")
    with translation.override("id"):
        return translation.ngettext(singular, plural, number) % {"days": number}


def in_force(step: str, kind: str = "") -> int:
    return routing_selectors.deadline_days(step, kind)


def set_deadline(step: str, kind: str, working_days: int) -> None:
    """An administrator changes a deadline; the workflow reads it within a minute (the
    settings cache, dropped here as that minute would)."""
    assert DeadlineSetting.objects.filter(step=step, kind=kind).update(working_days=working_days)
    routing_selectors.clear_settings_cache()


@pytest.mark.usefixtures("categories")
class TestHowItWorks:
    def test_four_steps_with_the_deadlines_in_force(self) -> None:
        page = home()
        steps = re.findall(r"<li>\s*<h3>(.*?)</h3>\s*<p>(.*?)</p>", section(page, "how"), re.S)
        assert [text_of(heading) for heading, _ in steps] == [
            in_indonesian("You report"),
            in_indonesian("LAPOR sends it to the agency in charge"),
            in_indonesian("The agency answers within its legal deadline"),
            in_indonesian("You accept, reply or dispute, and rate"),
        ]
        texts = [text_of(body) for _, body in steps]
        verification, first_response, reply = (
            in_force(Step.VERIFICATION),
            in_force(Step.FIRST_RESPONSE),
            in_force(Step.CITIZEN_REPLY),
        )
        assert (
            days(
                verification,
                "Where the rules cannot decide, a coordinator checks the report and hands it on "
                "within %(days)s working day.",
            )
            in texts[1]
        )
        assert (
            days(
                first_response,
                "The agency must take your report up within %(days)s working day of receiving it.",
            )
            in texts[2]
        )
        assert (
            days(
                reply,
                "Without a word from you within %(days)s working day of the answer, the report is "
                "completed.",
            )
            in texts[3]
        )

    def test_the_deadlines_listed_are_the_workflows(self) -> None:
        rows = deadline_rows(home())
        expected = {
            "Check and hand-over by a coordinator": (Step.VERIFICATION, ""),
            "First follow-up by the agency": (Step.FIRST_RESPONSE, ""),
            "Final answer to a complaint (pengaduan)": (Step.COMPLETION, Kind.COMPLAINT),
            "Final answer to an aspiration (aspirasi)": (Step.COMPLETION, Kind.ASPIRATION),
            "Final answer to an information request": (
                Step.COMPLETION,
                Kind.INFORMATION_REQUEST,
            ),
        }
        assert set(rows) >= {in_indonesian(name) for name in expected}
        for name, (step, kind) in expected.items():
            row = rows[in_indonesian(name)]
            assert row.startswith(days(in_force(step, kind))), (name, row)
            source = DeadlineSetting.objects.get(step=step, kind=kind).source
            assert row.endswith(f"· {source}"), (name, row)
        inspection = rows[in_indonesian("Final answer to a complaint that needs an inspection")]
        assert inspection.startswith(
            days(
                in_force(Step.COMPLETION_INSPECTION, Kind.COMPLAINT),
                "%(days)s working day, when the agency decides it needs one",
            )
        )
        extension = days(
            in_force(Step.EXTENSION, Kind.INFORMATION_REQUEST),
            ", extendable once by %(days)s working day",
        )
        assert extension in rows[in_indonesian("Final answer to an information request")]
        reply = rows[in_indonesian("Your time to react to the answer")]
        assert reply == days(
            in_force(Step.CITIZEN_REPLY), "%(days)s working day, then the report is completed"
        )

    def test_a_changed_setting_shows_at_once(self) -> None:
        before = deadline_rows(home())[in_indonesian("Final answer to a complaint (pengaduan)")]
        assert before.startswith(days(14))
        set_deadline(Step.COMPLETION, Kind.COMPLAINT, 21)
        set_deadline(Step.VERIFICATION, "", 4)
        page = home()
        row = deadline_rows(page)[in_indonesian("Final answer to a complaint (pengaduan)")]
        assert row.startswith(days(21)) and days(14) not in row
        assert days(
            4,
            "Where the rules cannot decide, a coordinator checks the report and hands it on "
            "within %(days)s working day.",
        ) in text_of(section(page, "how"))
        # A new report gets the same number.
        assert in_force(Step.COMPLETION, Kind.COMPLAINT) == 21

    def test_a_removed_setting_leaves_its_line_out(self) -> None:
        DeadlineSetting.objects.filter(step=Step.EXTENSION).delete()
        DeadlineSetting.objects.filter(step=Step.COMPLETION_INSPECTION).delete()
        routing_selectors.clear_settings_cache()
        rows = deadline_rows(home())
        assert in_indonesian("Final answer to a complaint that needs an inspection") not in rows
        info = rows[in_indonesian("Final answer to an information request")]
        assert info.startswith(days(in_force(Step.COMPLETION, Kind.INFORMATION_REQUEST)))
        assert "," not in info.split("·")[0]

    def test_anonymous_and_confidential_are_explained(self) -> None:
        privacy = text_of(section(home(), "privacy"))
        assert in_indonesian("Anonymous (anonim)") in privacy
        assert in_indonesian("Confidential (rahasia)") in privacy
        assert (
            in_indonesian(
                "No agency sees your name or how to reach you: they are kept apart from the "
                "report. The report itself can still be public."
            )
            in privacy
        )

    def test_the_page_keeps_the_lookup_and_stays_light(self) -> None:
        page = home()
        assert 'action="/lacak/"' in page and 'name="tracking_number"' in page
        assert 'href="/lapor/"' in page
        assert "<img" not in page and "style=" not in page
        assert len(page.encode()) < 16_000


# --- this month's figures ------------------------------------------------------------------------


def answer(complaint: Complaint, agency: Agency, now: dt.datetime, *, final: bool = True) -> None:
    services.respond_to_complaint(
        complaint_id=complaint.pk,
        agency=agency,
        text="Petugas sudah datang ke lokasi dan memperbaiki layanan sesuai jadwal.",
        actor=None,
        now=now,
        final=final,
    )


@pytest.fixture
def filed_at(tree: dict[str, Agency], submit: Submit) -> Callable[..., Complaint]:
    """File a health report at a moment (routed down to Dinkes Samarinda), with its answer."""

    def file(
        moment: dt.datetime,
        *,
        answered: dt.datetime | None = None,
        final: bool = True,
        **extra: Any,
    ) -> Complaint:
        complaint = submit(now=moment, incident_date=moment.date(), **extra).complaint
        complaint = route_fully(complaint, now=moment)
        if answered is not None:
            answer(complaint, tree["dinkes"], answered, final=final)
        return complaint

    return file


def figures_text(client: Client | None = None) -> str:
    return text_of(section(home(client), "figures"))


def received_text(total: int, since: str) -> str:
    with translation.override("id"):
        return translation.ngettext(
            "report received since %(since)s", "reports received since %(since)s", total
        ) % {"since": since}


class TestMonthFigures:
    def test_counts_the_months_reports_and_those_answered(
        self, filed_at: Callable[..., Complaint]
    ) -> None:
        hour = dt.timedelta(hours=1)
        # November in Jakarta, though both are near the turn of the month.
        filed_at(dt.datetime(2026, 11, 30, 23, 30, tzinfo=WIB))
        filed_at(dt.datetime(2026, 11, 20, 9, tzinfo=WIB), answered=TODAY - hour)
        # December in Jakarta (still 30 November in UTC), not answered.
        filed_at(dt.datetime(2026, 12, 1, 0, 30, tzinfo=WIB))
        # Answered; answered only with an interim reply; confidential and answered.
        filed_at(
            dt.datetime(2026, 12, 2, 9, tzinfo=WIB),
            answered=dt.datetime(2026, 12, 3, 9, tzinfo=WIB),
        )
        filed_at(TODAY - 5 * hour, answered=TODAY - 4 * hour, final=False)
        filed_at(TODAY - 3 * hour, answered=TODAY - 2 * hour, is_confidential=True)

        with time_machine.travel(TODAY, tick=False):
            figures = selectors.month_figures(now=TODAY)
            text = figures_text()
        assert (figures.month, figures.received, figures.answered) == (dt.date(2026, 12, 1), 4, 2)
        assert figures.answered_percent == 50
        with translation.override("id"):
            since = f"1 {translation.gettext('December')}"
        assert f"4 {received_text(4, since)}" in text
        assert "50%" in text

    def test_share_is_rounded_half_up(self) -> None:
        month = dt.date(2026, 12, 1)
        assert selectors.MonthFigures(month, received=8, answered=1).answered_percent == 13
        assert selectors.MonthFigures(month, received=3, answered=2).answered_percent == 67
        assert selectors.MonthFigures(month, received=3, answered=1).answered_percent == 33
        assert selectors.MonthFigures(month, received=0, answered=0).answered_percent is None

    def test_cached_for_a_few_minutes_and_afresh_in_a_new_month(
        self, filed_at: Callable[..., Complaint]
    ) -> None:
        filed_at(TODAY - dt.timedelta(days=1))
        assert selectors.month_figures(now=TODAY).received == 1
        filed_at(TODAY)
        # Within the cache's time the page shows the figures counted before; the age is told
        # by the moment asked, whatever clock the cache (Redis in CI) keeps.
        seconds = dt.timedelta(seconds=selectors.MONTH_FIGURES_SECONDS)
        later = TODAY + seconds - dt.timedelta(seconds=1)
        assert selectors.month_figures(now=later).received == 1
        assert selectors.month_figures(now=later + dt.timedelta(seconds=2)).received == 2
        # A new month starts from its own count, not from December's cached one.
        new_year = dt.datetime(2027, 1, 1, 0, 5, tzinfo=WIB)
        with time_machine.travel(new_year, tick=False):
            figures = selectors.month_figures(now=new_year)
            text = figures_text()
        assert (figures.month, figures.received) == (dt.date(2027, 1, 1), 0)
        with translation.override("id"):
            since = f"1 {translation.gettext('January')}"
            assert (
                translation.gettext("No reports received since %(since)s yet.") % {"since": since}
                in text
            )


# --- recent public reports -----------------------------------------------------------------------


class TestRecentReports:
    def test_the_five_newest_public_ones(
        self, filed_at: Callable[..., Complaint], tree: dict[str, Agency]
    ) -> None:
        start = dt.datetime(2026, 12, 1, 9, tzinfo=WIB)
        public = [
            filed_at(start + dt.timedelta(hours=n), title=f"Laporan publik nomor {n}")
            for n in range(6)
        ]
        anonymous = filed_at(
            start + dt.timedelta(hours=7),
            title="Laporan anonim tentang pungutan",
            is_anonymous=True,
            reporter_name="Rahasia Sekali",
        )
        filed_at(
            start + dt.timedelta(hours=8), title="Laporan rahasia puskesmas", is_confidential=True
        )
        # Out of scope: no rule routes it, so it waits for the coordinator, who archives it.
        archived = filed_at(
            start + dt.timedelta(hours=9),
            title="Laporan yang diarsipkan",
            category=Category.objects.exclude(code__in=["kesehatan", "pendidikan"]).first(),
        )
        assert archived.status == Complaint.Status.AWAITING_VERIFICATION
        assert archived.current_agency == tree["kaltim"]
        services.archive_complaint(
            complaint_id=archived.pk,
            coordinator=tree["kaltim"],
            reason="Bukan pengaduan layanan publik.",
            actor=None,
            now=start + dt.timedelta(hours=10),
        )

        listing = section(home(), "recent")
        titles = [
            text_of(t) for t in re.findall(r'<a class="text" href="[^"]+">(.*?)</a>', listing)
        ]
        assert titles == [
            "Laporan anonim tentang pungutan",
            "Laporan publik nomor 5",
            "Laporan publik nomor 4",
            "Laporan publik nomor 3",
            "Laporan publik nomor 2",
        ]
        assert "rahasia puskesmas" not in listing and "diarsipkan" not in listing
        assert "Rahasia Sekali" not in listing
        newest = public[5]
        newest.refresh_from_db()
        assert f'href="/lacak/{newest.tracking_number}/"' in listing
        item = text_of(listing)
        assert newest.get_status_display() in item
        region = newest.region
        assert region.parent is not None
        assert f"{region.name}, {region.parent.name}" in item
        assert f'href="/lacak/{anonymous.tracking_number}/"' in listing

    def test_none_yet(self, db: None) -> None:
        listing = text_of(section(home(), "recent"))
        assert in_indonesian("No public reports yet.") in listing
