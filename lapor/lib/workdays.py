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
