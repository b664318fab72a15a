"""Working days (hari kerja) in Indonesia: no weekend, national holiday or cuti bersama.

National holidays and cuti bersama come from the ``holidays`` package; an administrator's
extra days off and extra working days (next year's cuti bersama is decreed late) are passed in,
so this module stays free of the database.

The package runs ahead of the decrees: for a year whose SKB (cuti bersama) is not out yet it has
no government days at all, and it calculates the Islamic, Chinese and Buddhist holidays it has
no decree for, marking them estimated. ``holiday_data`` says, per year, whether that is so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import holidays

CATEGORIES = ("public", "government")


@lru_cache(maxsize=32)
def _national_days_off(year: int) -> frozenset[dt.date]:
    calendar = holidays.country_holidays("ID", categories=CATEGORIES, years=year)
    return frozenset(calendar.keys())


@dataclass(frozen=True)
class HolidayData:
    """What the ``holidays`` package knows of one year's days off in Indonesia."""

    year: int
    # (date, name in Indonesian) of each holiday the package calculated instead of taking from
    # a decree (the package's "(perkiraan)" label), in date order.
    estimated: tuple[tuple[dt.date, str], ...]
    # Whether the package has the year's cuti bersama (its "government" category) at all.
    has_cuti_bersama: bool

    @property
    def is_complete(self) -> bool:
        return self.has_cuti_bersama and not self.estimated


@lru_cache(maxsize=32)
def holiday_data(year: int) -> HolidayData:
    """Whether the ``holidays`` package's days off for ``year`` come from the decrees: it has
    the year's cuti bersama and estimates no date."""
    # In the package's own language (Indonesian), whatever the process's locale: the label
    # that marks an estimated date is then known, and the names are the official ones.
    calendar = holidays.country_holidays("ID", categories=CATEGORIES, years=year, language="id")
    suffixes = {
        calendar.tr(label).rpartition("%s")[2]
        for label in (calendar.estimated_label, calendar.observed_estimated_label)
    }
    suffixes.discard("")
    estimated = tuple(
        (day, name.removesuffix(suffix))
        for day in sorted(calendar.keys())
        for name in calendar.get_list(day)
        for suffix in suffixes
        if name.endswith(suffix)
    )
    government = holidays.country_holidays("ID", categories=("government",), years=year)
    return HolidayData(year=year, estimated=estimated, has_cuti_bersama=len(government) > 0)


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

    @classmethod
    def frozen(
        cls,
        first: dt.date,
        last: dt.date,
        *,
        weekdays_off: Collection[dt.date],
        weekend_days_worked: Collection[dt.date],
    ) -> WorkingDayCounter:
        """A counter over a calendar recorded earlier (``exceptions``): Monday to Friday but
        ``weekdays_off``, and ``weekend_days_worked``; the ``holidays`` package and today's
        administrators' days are not read."""
        counter = cls.__new__(cls)
        counter.first, counter.last = first, last
        off, worked = frozenset(weekdays_off), frozenset(weekend_days_worked)
        counter._upto = [0]
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            working = day in worked if day.weekday() >= 5 else day not in off
            counter._upto.append(counter._upto[-1] + working)
        return counter

    def exceptions(self) -> tuple[list[dt.date], list[dt.date]]:
        """The calendar this counter counts with, after ``first`` up to ``last``, as (weekdays
        that are not working days, weekend days that are): what ``frozen`` takes back."""
        weekdays_off, weekend_days_worked = [], []
        for index in range(1, len(self._upto)):
            day = self.first + dt.timedelta(days=index)
            working = self._upto[index] > self._upto[index - 1]
            if day.weekday() < 5 and not working:
                weekdays_off.append(day)
            elif day.weekday() >= 5 and working:
                weekend_days_worked.append(day)
        return weekdays_off, weekend_days_worked

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
