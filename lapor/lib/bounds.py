"""How far back and ahead a date or a moment in a query may reach.

Python's dates end at the years 1 and 9999, and a query moves what it is given before the
database sees it: a day's end is the next day's start, Open311 reaches 90 days from either end of
its window, and every moment is compared in UTC (0001-01-01T00:00+14:00 is still in the year 0
there). At the edges of the calendar that arithmetic overflows. Every report the portal will
hold lies well inside these bounds, and so does everything computed from them; a query past
them is refused with a message instead.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
FIRST_MOMENT = dt.datetime.combine(FIRST_DAY, dt.time.min, tzinfo=dt.UTC)
LAST_MOMENT = dt.datetime.combine(LAST_DAY, dt.time.max, tzinfo=dt.UTC)


def day_in_range(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def moment_in_range(moment: dt.datetime) -> bool:
    """For an aware ``moment``: comparing aware datetimes never converts them, so this is safe
    for any of them."""
    return FIRST_MOMENT <= moment <= LAST_MOMENT


def validate_query_day(day: dt.date) -> None:
    """A form field's validator, for a date that filters a list.

    :raises ValidationError: for a date outside ``FIRST_DAY`` to ``LAST_DAY``.
    """
    if not day_in_range(day):
        raise ValidationError(
            _("Give a date from %(first)s to %(last)s."),
            code="out_of_range",
            params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
