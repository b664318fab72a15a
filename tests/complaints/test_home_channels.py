"""The home page's month figures by channel (issue 18): the month's reports counted by the door
they came by, in the count that gives the received (same cache), and a line under the figures
naming the channels that had reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone, translation

from complaints import selectors, services
from complaints.models import Channel, Complaint
from routing.models import Agency
from tests.complaints.test_home import figures_text
from tests.helpers import WIB, in_indonesian, make_user

pytestmark = pytest.mark.django_db

# Mid-December 2026 in Jakarta: the month the figures are of.
TODAY = dt.datetime(2026, 12, 15, 10, 0, tzinfo=WIB)
Submit = Callable[..., Any]


@pytest.fixture
def december(tree: dict[str, Agency], submit: Submit) -> list[Complaint]:
    """Three by the web form, two by e-mail, one recorded by telephone in December; one by
    e-mail in November."""
    filed = [
        submit(now=TODAY - dt.timedelta(days=day), incident_date=dt.date(2026, 12, 1)).complaint
        for day in (1, 2, 3)
    ]
    filed += [
        submit(
            now=TODAY - dt.timedelta(hours=hours),
            incident_date=dt.date(2026, 12, 1),
            channel=Channel.EMAIL,
        ).complaint
        for hours in (1, 2)
    ]
    filed.append(
        services.enter_complaint(
            officer=make_user("petugas", tree["dinkes"]),
            agency=tree["dinkes"],
            channel=Channel.PHONE,
            received_on=timezone.localdate(TODAY),
            keep=True,
            now=TODAY,
            kind="COMPLAINT",
            title="Antrean puskesmas tidak tertib",
            description="Warga menelepon: antrean di puskesmas Palaran tidak memakai nomor.",
            category=filed[0].category,
            region=filed[0].region,
            incident_date=dt.date(2026, 12, 14),
            is_anonymous=False,
            is_confidential=False,
        ).complaint
    )
    submit(
        now=dt.datetime(2026, 11, 30, 23, 0, tzinfo=WIB),
        incident_date=dt.date(2026, 11, 30),
        channel=Channel.EMAIL,
    )
    return filed


class TestMonthFiguresByChannel:
    def test_the_months_reports_by_channel_add_up_to_received(
        self, december: list[Complaint]
    ) -> None:
        figures = selectors.month_figures(now=TODAY)
        assert figures.by_channel == (("WEB", 3), ("EMAIL", 2), ("PHONE", 1))
        assert figures.received == sum(n for _c, n in figures.by_channel) == 6

    def test_the_page_names_the_channels_with_reports(self, december: list[Complaint]) -> None:
        with time_machine.travel(TODAY, tick=False):
            text = figures_text()
        with translation.override("id"):
            names = [str(c.label) for c in (Channel.WEB, Channel.EMAIL, Channel.PHONE)]
        line = f"{in_indonesian('By channel:')} {names[0]} 3 · {names[1]} 2 · {names[2]} 1"
        assert line in text
        with translation.override("id"):
            assert str(Channel.SMS.label) not in text

    def test_counted_once_for_the_cache_with_the_received(
        self, december: list[Complaint], submit: Submit
    ) -> None:
        first = selectors.month_figures(now=TODAY)
        submit(now=TODAY, incident_date=dt.date(2026, 12, 1), channel=Channel.SMS)
        cached = selectors.month_figures(now=TODAY + dt.timedelta(seconds=10))
        assert cached == first
        later = TODAY + dt.timedelta(seconds=selectors.MONTH_FIGURES_SECONDS + 1)
        fresh = selectors.month_figures(now=later)
        assert dict(fresh.by_channel) == {"WEB": 3, "EMAIL": 2, "SMS": 1, "PHONE": 1}
        assert fresh.received == 7

    def test_a_month_without_reports_has_no_channels(self, tree: dict[str, Agency]) -> None:
        figures = selectors.month_figures(now=TODAY)
        assert (figures.received, figures.by_channel) == (0, ())
