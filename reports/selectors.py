"""Reads of the frozen recaps, and the one rule of who may read which part of them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lapor.lib.actions import ActionError
from reports.models import COUNTS, MonthlyRecap, histogram_percentile, merge_histograms
from routing import selectors as routing_selectors
from routing.models import Agency, Region

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
TREND_MONTHS = 12


@dataclass(frozen=True)
class RecapScope:
    """What a coordinator may read: the nation (``region`` None) or its province or
    regency/city, and everything below."""

    agency: Agency
    region: Region | None

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    def covers(self, region: Region | None) -> bool:
        if self.region is None:
            return True
        return region is not None and (
            region.code == self.region.code or region.code.startswith(self.region.code + ".")
        )


def recap_scope_for(user: AbstractBaseUser | AnonymousUser) -> RecapScope | None:
    """The part of the recaps ``user`` may read: a coordinator's officer reads its own region
    (the national coordinator's reads all); anyone else none."""
    agency = routing_selectors.staff_agency(user)
    return recap_scope_of(agency) if agency is not None else None


def recap_scope_of(agency: Agency) -> RecapScope | None:
    """The part of the recaps an agency's officers read (and its recap e-mail carries): the
    nation for the national coordinator, a coordinator's own region, none for an OPD or a
    coordinator without a region."""
    if not agency.is_active or not agency.is_coordinator:
        return None
    if agency.level == Agency.Level.NATIONAL:
        return RecapScope(agency, None)
    if agency.region is None:
        return None
    return RecapScope(agency, agency.region)


def access_recap_region(
    user: AbstractBaseUser | AnonymousUser, region_code: str
) -> tuple[RecapScope, Region | None]:
    """The region asked for (``""``: the user's own), if ``user`` may read it.

    :raises PermissionDenied: for anyone but a coordinator's officer, or a region outside its own.
    :raises Http404: for a region that does not exist or is a district.
    """
    scope = recap_scope_for(user)
    if scope is None:
        raise PermissionDenied(_("Only coordinators read the recaps."))
    if not region_code:
        return scope, scope.region
    if not routing_selectors.is_region_code(region_code):
        raise Http404(_("No such province or regency/city."))
    region = Region.objects.filter(code=region_code, level__lte=Region.Level.REGENCY).first()
    if region is None:
        raise Http404(_("No such province or regency/city."))
    if not scope.covers(region):
        raise PermissionDenied(_("This region is outside your own."))
    return scope, region


def access_evaluation_province(
    user: AbstractBaseUser | AnonymousUser, region_code: str
) -> tuple[RecapScope, Region | None]:
    """The province to evaluate (for the page, its exports and the API): a province
    coordinator's own; the national coordinator's choice (None until it chose).

    :raises PermissionDenied: for a regency/city coordinator, anyone but a coordinator, or a
        region that is not a province of the user's.
    :raises Http404: for a region that does not exist.
    """
    scope, region = access_recap_region(user, region_code)
    if scope.region is not None and scope.region.level != Region.Level.PROVINCE:
        raise PermissionDenied(_("The province evaluates its regencies and cities."))
    if region is not None and region.level != Region.Level.PROVINCE:
        raise PermissionDenied(_("Choose a province."))
    return scope, region


def evaluation_quarter(value: str) -> tuple[int, int]:
    """The quarter asked for (``2026-Q3``); without one, the last that has ended.

    :raises ActionError: for a malformed quarter.
    """
    if value:
        return parse_quarter(value)
    today = timezone.localdate()
    index = today.year * 4 + (today.month - 1) // 3 - 1
    return index // 4, index % 4 + 1


def parse_month(value: str) -> dt.date:
    """``2026-10`` → 1 October 2026.

    :raises ActionError: for anything else.
    """
    match = MONTH_RE.match(value.strip())
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 2000:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise ActionError(_("Give the month as YYYY-MM, for example 2026-10."))


def parse_quarter(value: str) -> tuple[int, int]:
    """``2026-Q3`` → (2026, 3).

    :raises ActionError: for anything else.
    """
    match = QUARTER_RE.match(value.strip())
    if match and int(match[1]) >= 2000:
        return int(match[1]), int(match[2])
    raise ActionError(_("Give the quarter as YYYY-Qn, for example 2026-Q3."))


def built_months() -> list[dt.date]:
    """Months that have recaps, newest first."""
    return list(
        MonthlyRecap.objects.filter(level=MonthlyRecap.Level.NATION)
        .order_by("-month")
        .values_list("month", flat=True)
    )


def newest_month() -> dt.date | None:
    """The newest month that has recaps, or None before the first is built."""
    built = built_months()
    return built[0] if built else None


def shift_month(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _own_row(month: dt.date, region: Region | None) -> MonthlyRecap | None:
    if region is None:
        return MonthlyRecap.objects.filter(month=month, level=MonthlyRecap.Level.NATION).first()
    return MonthlyRecap.objects.filter(
        month=month,
        region=region,
        level__in=[MonthlyRecap.Level.PROVINCE, MonthlyRecap.Level.REGENCY],
    ).first()


@dataclass(frozen=True)
class RecapTable:
    month: dt.date
    region: Region | None
    total: MonthlyRecap | None  # None: this month has not been built
    rows: list[MonthlyRecap]  # the regions and agencies right under ``region``


def recap_table(month: dt.date, region: Region | None) -> RecapTable:
    """The month's row for ``region`` (None: the nation) and one row per region and agency
    right under it: regions first, then agencies, each by name."""
    rows = (
        MonthlyRecap.objects.filter(month=month, parent_region=region)
        .exclude(level=MonthlyRecap.Level.NATION)
        .select_related("agency", "region")
        .annotate(
            is_agency=Case(
                When(level=MonthlyRecap.Level.AGENCY, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("is_agency", "name", "pk")
    )
    return RecapTable(month, region, _own_row(month, region), list(rows))


def recap_trend(month: dt.date, region: Region | None) -> list[tuple[dt.date, MonthlyRecap | None]]:
    """The region's own row for the ``TREND_MONTHS`` months up to ``month`` (None where a month
    has no recap), oldest first."""
    months = [shift_month(month, -back) for back in range(TREND_MONTHS - 1, -1, -1)]
    found = MonthlyRecap.objects.filter(month__in=months)
    if region is None:
        found = found.filter(level=MonthlyRecap.Level.NATION)
    else:
        found = found.filter(region=region).exclude(level=MonthlyRecap.Level.AGENCY)
    by_month = {row.month: row for row in found}
    return [(m, by_month.get(m)) for m in months]


# --- quarterly evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """One regency/city's quarter."""

    region: Region
    received: int
    held: int  # at the end of the quarter, archived left out
    answered: int  # answered or completed at the end of the quarter
    followed_up: int  # in process, answered or completed at the end of the quarter
    first_answers: int
    answered_on_time: int
    median_days: int | None
    disputes: int
    rating_sum: int
    rating_count: int
    score: float | None  # None: too few reports to be ranked
    rank: int | None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.held if self.held else None

    @property
    def on_time_rate(self) -> float | None:
        return self.answered_on_time / self.first_answers if self.first_answers else None

    @property
    def follow_up_rate(self) -> float | None:
        return self.followed_up / self.held if self.held else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def dispute_rate(self) -> float | None:
        return self.disputes / self.first_answers if self.first_answers else None

    @property
    def half_followed_up(self) -> bool:
        rate = self.follow_up_rate
        return rate is not None and rate >= 0.5


# Weights of the composite score (0 to 100); a regency/city without ratings is scored on the rest.
SCORE_WEIGHTS = {"response": 0.4, "on_time": 0.3, "rating": 0.2, "no_dispute": 0.1}


def composite_score(e: Evaluation) -> float:
    parts = {
        "response": e.response_rate,
        "on_time": e.on_time_rate,
        "rating": (e.average_rating - 1) / 4 if e.average_rating is not None else None,
        "no_dispute": 1 - min(1.0, e.dispute_rate) if e.dispute_rate is not None else None,
    }
    known = {k: part for k, part in parts.items() if part is not None}
    weights = {k: w for k, w in SCORE_WEIGHTS.items() if k in known}
    if not weights:
        return 0.0
    total = sum(weights.values())
    return round(100 * sum(w * known[k] for k, w in weights.items()) / total, 1)


def quarter_months(year: int, quarter: int) -> list[dt.date]:
    return [dt.date(year, 3 * quarter - 2 + i, 1) for i in range(3)]


def quarterly_evaluation(province: Region, year: int, quarter: int) -> list[Evaluation]:
    """Each regency/city of ``province`` over the quarter, from its monthly recaps: ranked by
    the composite score when it received at least ``LAPOR_EVALUATION_MIN_REPORTS`` reports in
    the quarter, best first; the others after them, unranked."""
    months = quarter_months(year, quarter)
    rows = MonthlyRecap.objects.filter(
        month__in=months, level=MonthlyRecap.Level.REGENCY, parent_region=province
    ).select_related("region")
    by_region: dict[str, list[MonthlyRecap]] = {}
    for row in rows:
        # A regency/city's row always has its region (the recap_scope_matches_level constraint).
        assert row.region_id is not None
        by_region.setdefault(row.region_id, []).append(row)
    minimum = settings.LAPOR_EVALUATION_MIN_REPORTS
    evaluations = []
    for parts in by_region.values():
        parts.sort(key=lambda r: r.month)
        last = parts[-1]
        assert last.region is not None
        sums = {name: sum(getattr(p, name) for p in parts) for name in COUNTS}
        base = Evaluation(
            region=last.region,
            received=sums["received"],
            held=last.held - last.archived,
            answered=last.answered + last.completed,
            followed_up=last.in_process + last.answered + last.completed,
            first_answers=sums["first_answers"],
            answered_on_time=sums["answered_on_time"],
            median_days=histogram_percentile(merge_histograms(p.answer_days for p in parts), 0.5),
            disputes=sums["disputes"],
            rating_sum=sums["rating_sum"],
            rating_count=sums["rating_count"],
            score=None,
            rank=None,
        )
        score = composite_score(base) if base.received >= minimum else None
        evaluations.append(Evaluation(**{**base.__dict__, "score": score}))
    ranked = sorted(
        ((e.score, e) for e in evaluations if e.score is not None),
        key=lambda scored: (-scored[0], scored[1].region.code),
    )
    unranked = sorted((e for e in evaluations if e.score is None), key=lambda e: e.region.code)
    # Equal scores share a rank (1, 2, 2, 4).
    return [
        Evaluation(**{**e.__dict__, "rank": 1 + sum(1 for other in ranked if other[0] > score)})
        for score, e in ranked
    ] + unranked


def minimum_reports() -> int:
    return int(settings.LAPOR_EVALUATION_MIN_REPORTS)


def evaluation_notes() -> list[tuple[str, str]]:
    """Each column of the evaluation, defined in one sentence."""
    return [
        (
            _("Received"),
            _(
                "Reports submitted in the quarter and held by the regency/city's agencies at the end of their month."
            ),
        ),
        (
            _("Response rate"),
            _(
                "Of the reports its agencies held at the end of the quarter (archived left out), the share answered or completed."
            ),
        ),
        (
            _("On time"),
            _(
                "Share of the quarter's first answers given before the deadline in force when they were given."
            ),
        ),
        (
            _("Median days"),
            _(
                "Half of the quarter's first answers came within this many working days of the hand-over."
            ),
        ),
        (_("Disputes"), _("Answers of its agencies that reporters disputed in the quarter.")),
        (_("Rating"), _("Average of the reporters' ratings (1 to 5) given in the quarter.")),
        (
            _("Score"),
            _(
                "40% response rate, 30% on time, 20% rating (1 counts 0, 5 counts 1) and 10% first answers not disputed; a part without data is left out and the others weigh more."
            ),
        ),
        (
            _("Rank"),
            _(
                "By score among the regencies/cities that received at least %(minimum)s reports in the quarter; equal scores share a rank."
            )
            % {"minimum": minimum_reports()},
        ),
        (
            _("At least half followed up"),
            _(
                "Whether at least half of the reports held at the end of the quarter (archived left out) were taken up, answered or completed."
            ),
        ),
    ]
