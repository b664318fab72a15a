"""System checks of the routing reference data: the working-day calendar's coverage.

The check reads the administrators' confirmed years, so like Django's own database checks it
runs only when a database is named: at ``migrate`` (every deploy) and ``check --database
default``, not at every command, and not in ``check --deploy`` of a build without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Warning
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from routing import selectors
from routing.models import CalendarYear


def _confirmed_years(alias: str) -> frozenset[int]:
    """The confirmed years in the database; none before the table is migrated (checks run
    before ``migrate`` does)."""
    connection = connections[alias]
    if CalendarYear._meta.db_table not in connection.introspection.table_names():
        return frozenset()
    return frozenset(CalendarYear.objects.using(alias).values_list("year", flat=True))


def check_calendar_coverage(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """routing.W001: the coming twelve months have a year whose days off are not known for
    sure (no cuti bersama in the ``holidays`` package, or estimated dates) and that no
    administrator has confirmed."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    today = timezone.localdate()
    confirmed = _confirmed_years(DEFAULT_DB_ALIAS)
    gaps = selectors.calendar_gap_list(
        today, horizon_days=selectors.CHECK_HORIZON_DAYS, confirmed_years=confirmed
    )
    if not gaps:
        return []
    covered_until = selectors.calendar_covered_until(today, confirmed_years=confirmed)
    exceptions_url = reverse("admin:routing_calendarexception_changelist")
    years_url = reverse("admin:routing_calendaryear_add")
    return [
        Warning(
            gettext("The working-day calendar of %(year)d is not confirmed: %(problems)s.")
            % {"year": gap.year, "problems": gap.describe()},
            hint=gettext(
                "Enter the decree's days off (SKB cuti bersama, the dates of Idul Fitri and "
                "Idul Adha) as calendar exceptions in the admin (%(exceptions_url)s), then "
                "confirm the year (%(years_url)s). Until then deadlines after %(date)s are "
                "provisional."
            )
            % {
                "exceptions_url": exceptions_url,
                "years_url": years_url,
                "date": date_format(covered_until, "j F Y"),
            },
            id="routing.W001",
        )
        for gap in gaps
    ]
