"""Reads for routing: deadlines in working days, the hierarchy, and which rule decides."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from lapor.lib.workdays import add_working_days
from routing.models import (
    Agency,
    CalendarException,
    Category,
    DeadlineSetting,
    Region,
    RoutingRule,
)

# Administrators' calendar exceptions and deadline settings are read at most this often per
# process: an edit in the admin applies within a minute, and no deadline costs two queries.
SETTINGS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Settings:
    days_off: frozenset[dt.date]
    extra_working_days: frozenset[dt.date]
    working_days: dict[tuple[str, str], int] = field(default_factory=dict)


_lock = threading.Lock()
_cached: tuple[float, _Settings] | None = None


def clear_settings_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def _settings() -> _Settings:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < SETTINGS_TTL_SECONDS:
        return cached[1]
    exceptions = list(CalendarException.objects.values_list("date", "is_working_day"))
    loaded = _Settings(
        days_off=frozenset(d for d, working in exceptions if not working),
        extra_working_days=frozenset(d for d, working in exceptions if working),
        working_days={
            (step, kind): days
            for step, kind, days in DeadlineSetting.objects.values_list(
                "step", "kind", "working_days"
            )
        },
    )
    with _lock:
        _cached = (now, loaded)
    return loaded


def deadline_days(step: str, kind: str = "") -> int:
    """Working days allowed for ``step`` (a ``DeadlineSetting.Step``) of a report of ``kind``.

    :raises LookupError: when an administrator removed the setting it needs.
    """
    days = _settings().working_days
    for key in ((step, kind), (step, "")):
        if key in days:
            return days[key]
    raise LookupError(f"no deadline setting for {step} {kind or '(any kind)'}")


def due_at(*, start: dt.datetime, step: str, kind: str = "") -> dt.datetime:
    """End of the last working day allowed for ``step``, counted from the day after ``start``
    (Asia/Jakarta), skipping weekends, national holidays, cuti bersama and the administrators'
    extra days off."""
    settings = _settings()
    local = timezone.localtime(start)
    day = add_working_days(
        local.date(),
        deadline_days(step, kind),
        extra_days_off=settings.days_off,
        extra_working_days=settings.extra_working_days,
    )
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local.tzinfo)


def get_national_coordinator() -> Agency:
    """:raises Agency.DoesNotExist: before the hierarchy is loaded."""
    return Agency.objects.get(level=Agency.Level.NATIONAL)


def get_coordinator(level: str, region_code: str) -> Agency | None:
    return Agency.objects.filter(level=level, region_id=region_code, is_active=True).first()


def get_rule(*, category: Category, level: str, region_code: str) -> RoutingRule | None:
    """The rule for ``category`` at ``level``: the one for this region, else the one for
    everywhere."""
    rules = RoutingRule.objects.filter(
        Q(region_id=region_code) | Q(region__isnull=True), category=category, level=level
    ).select_related("agency")
    found = sorted(rules, key=lambda rule: rule.region_id is None)
    return found[0] if found else None


def is_in_subtree(agency: Agency, root: Agency) -> bool:
    """Whether ``agency`` is ``root`` or lies below it (the tree is at most four deep)."""
    node: Agency | None = agency
    for _depth in range(6):
        if node is None:
            return False
        if node.pk == root.pk:
            return True
        node = node.parent
    return False


def region_codes(region: Region) -> tuple[str, str | None]:
    """The province code and the regency/city code (None for a province) of a region."""
    return region.province_code, region.regency_code
