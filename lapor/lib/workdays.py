"""Working days (hari kerja) in Indonesia: no weekend, national holiday or cuti bersama.

National holidays and cuti bersama come from the ``holidays`` package; an administrator's
extra days off and extra working days (next year's cuti bersama is decreed late) are passed in,
so this module stays free of the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _national_days_off(year: int) -> frozenset[dt.date]:
    calendar = holidays.country_holidays("ID", categories=("public", "government"), years=year)
    return frozenset(calendar.keys())


def is_working_day(
    day: dt.date,
    *,
    extra_days_off: Collection[dt.date] = (),
    extra_working_days: Collection[dt.date] = (),
) -> bool:
    """Whether government offices work on ``day``; an extra working day beats everything else."""
    if day in extra_working_days:
        return True
    if day in extra_days_off or day.weekday() >= 5:
        return False
    return day not in _national_days_off(day.year)


def add_working_days(
    start: dt.date,
    days: int,
    *,
    extra_days_off: Collection[dt.date] = (),
    extra_working_days: Collection[dt.date] = (),
) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    :raises ValueError: if ``days`` is negative.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(
            day, extra_days_off=extra_days_off, extra_working_days=extra_working_days
        ):
            remaining -= 1
    return day


class WorkingDayCounter:
    """Counts working days between dates of one span quickly (one pass over the span, then a
    subtraction per question), for figures over many reports at once."""

    def __init__(
        self,
        first: dt.date,
        last: dt.date,
        *,
        extra_days_off: Collection[dt.date] = (),
        extra_working_days: Collection[dt.date] = (),
    ) -> None:
        self.first = first
        self.last = last
        # _upto[i]: working days in (first, first + i].
        self._upto = [0]
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            working = is_working_day(
                day, extra_days_off=extra_days_off, extra_working_days=extra_working_days
            )
            self._upto.append(self._upto[-1] + working)

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 for the same day or
        when ``end`` comes first).

        :raises ValueError: for a date outside the span the counter was built for.
        """
        if not (self.first <= start <= self.last and self.first <= end <= self.last):
            raise ValueError(f"{start}..{end} is outside {self.first}..{self.last}")
        if end <= start:
            return 0
        return self._upto[(end - self.first).days] - self._upto[(start - self.first).days]
