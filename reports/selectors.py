"""Reads of the frozen recaps, and the one rule of who may read which part of them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lapor.lib.actions import ActionError
from reports.figures import round_half_up, share
from reports.models import FLOWS, MonthlyRecap, RecapBuild, histogram_percentile, merge_histograms
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


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (triwulan), ``Quarter(2026, 3)``: July to September 2026."""

    year: int
    number: int  # 1 to 4

    @property
    def value(self) -> str:
        """As the query parameter gives it: ``2026-Q3``."""
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        """As people name it: "Q3 2026", "Triwulan III 2026"."""
        return str(QUARTER_LABELS[self.number - 1] % {"year": self.year})

    @property
    def months(self) -> list[dt.date]:
        return [dt.date(self.year, 3 * self.number - 2 + i, 1) for i in range(3)]

    @property
    def last_day(self) -> dt.date:
        return shift_month(self.months[-1], 1) - dt.timedelta(days=1)

    def has_ended(self, now: dt.datetime) -> bool:
        """Whether midnight after the quarter's last day (Asia/Jakarta) has passed by ``now``."""
        following = shift_month(self.months[-1], 1)
        end = dt.datetime.combine(following, dt.time(0), tzinfo=timezone.get_default_timezone())
        return now >= end

    @classmethod
    def of(cls, month: dt.date) -> Quarter:
        return cls(month.year, (month.month - 1) // 3 + 1)

    @classmethod
    def last_ended(cls, now: dt.datetime) -> Quarter:
        """The last quarter that has ended by ``now`` (Asia/Jakarta)."""
        today = timezone.localdate(now)
        return cls.of(shift_month(cls.of(today).months[0], -3))


# One message per quarter: Indonesian names them in Roman numerals (Triwulan III 2026).
QUARTER_LABELS = (
    gettext_lazy("Q1 %(year)s"),
    gettext_lazy("Q2 %(year)s"),
    gettext_lazy("Q3 %(year)s"),
    gettext_lazy("Q4 %(year)s"),
)


def evaluation_quarter(value: str, *, now: dt.datetime) -> Quarter:
    """The quarter asked for (``2026-Q3``); without one, the last that has ended by ``now``.

    :raises ActionError: for a malformed quarter.
    """
    if value:
        return parse_quarter(value)
    return Quarter.last_ended(now)


def parse_month(value: str) -> dt.date:
    """``2026-10`` → 1 October 2026.

    :raises ActionError: for anything else.
    """
    match = MONTH_RE.match(value.strip())
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 2000:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise ActionError(_("Give the month as YYYY-MM, for example 2026-10."))


def parse_quarter(value: str) -> Quarter:
    """``2026-Q3`` → ``Quarter(2026, 3)``.

    :raises ActionError: for anything else.
    """
    match = QUARTER_RE.match(value.strip())
    # 9999-Q4 would end in the year 10000, past the last date Python has.
    if match and 2000 <= int(match[1]) < 9999:
        return Quarter(int(match[1]), int(match[2]))
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


def recap_build(month: dt.date) -> RecapBuild | None:
    """What ``month``'s recap was built with (when, the calendar and agencies of when)."""
    return RecapBuild.objects.filter(month=month).first()


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

# The parts of the score and their weights (out of 100). Answering comes first: a report that an
# agency let escalate, or left open past its deadline, counts against every one of the first three.
SCORE_WEIGHTS: dict[str, int] = {
    "answered": 40,
    "on_time": 25,
    "deadlines_kept": 15,
    "rating": 10,
    "undisputed": 10,
}
PART_LABELS = {
    "answered": gettext_lazy("answered"),
    "on_time": gettext_lazy("on time"),
    "deadlines_kept": gettext_lazy("deadlines kept"),
    "rating": gettext_lazy("rating"),
    "undisputed": gettext_lazy("answers not disputed"),
}


class Unranked:
    """Why a regency/city has no rank (the API's ``unranked_reason``)."""

    NOTHING_TO_SCORE = "NOTHING_TO_SCORE"  # no reports to answer: no score either
    PROVISIONAL = "PROVISIONAL"  # the quarter has not ended or is not fully built
    TOO_FEW_REPORTS = "TOO_FEW_REPORTS"  # fewer than LAPOR_EVALUATION_MIN_REPORTS to answer


@dataclass(frozen=True)
class Evaluation:
    """One regency/city's quarter: the flows of its months added up, the stock at the end of the
    quarter's last built month. Each figure is the sum over the regency/city's agencies."""

    region: Region
    received: int
    first_answers: int
    answered_on_time: int
    escalated_unanswered: int
    escalations: int
    disputes: int
    rating_sum: int
    rating_count: int
    median_days: float | None  # exact over the quarter's answers (merged histograms)
    open: int
    overdue: int
    score: float | None = None  # None: nothing to score
    rank: int | None = None
    unranked_reason: str | None = None  # an ``Unranked`` value when ``rank`` is None

    @property
    def responsible(self) -> int:
        """The reports its agencies had to answer in the quarter: answered, let escalate, or
        still open and overdue with them at the end."""
        return self.first_answers + self.escalated_unanswered + self.overdue

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def parts(self) -> dict[str, float | None]:
        """Each part of the score from 0 to 1; None where there is nothing to measure."""
        responsible = self.responsible
        rating = self.average_rating
        return {
            "answered": self.first_answers / responsible if responsible else None,
            "on_time": self.answered_on_time / responsible if responsible else None,
            "deadlines_kept": (
                max(0.0, 1 - self.escalations / responsible) if responsible else None
            ),
            "rating": (rating - 1) / 4 if rating is not None and responsible else None,
            "undisputed": (
                max(0.0, 1 - self.disputes / self.first_answers) if self.first_answers else None
            ),
        }

    @property
    def left_out(self) -> list[str]:
        """The parts the score leaves out for want of data (none without a score)."""
        if self.score is None:
            return []
        return [key for key, part in self.parts.items() if part is None]

    # The figures as the page, the exports and the API show them, rounded once here.

    @property
    def answered_share(self) -> float | None:
        return share(self.first_answers, self.responsible)

    @property
    def on_time_share(self) -> float | None:
        return share(self.answered_on_time, self.responsible)

    @property
    def dispute_share(self) -> float | None:
        return share(self.disputes, self.first_answers)

    @property
    def rating(self) -> float | None:
        rating = self.average_rating
        return round_half_up(rating, 2) if rating is not None else None

    @property
    def part_percents(self) -> dict[str, float | None]:
        return {
            key: round_half_up(100 * part, 1) if part is not None else None
            for key, part in self.parts.items()
        }


def composite_score(e: Evaluation) -> float | None:
    """The weighted average of the parts that have data, 0 to 100, one decimal (half up);
    None when the regency/city had no reports to answer."""
    if not e.responsible:
        return None
    known = {key: part for key, part in e.parts.items() if part is not None}
    weights = {key: w for key, w in SCORE_WEIGHTS.items() if key in known}
    total = sum(weights.values())
    return round_half_up(100 * sum(w * known[key] for key, w in weights.items()) / total, 1)


@dataclass(frozen=True)
class QuarterlyEvaluation:
    """A province's quarter: one evaluation per regency/city, and whether it is final."""

    province: Region
    quarter: Quarter
    built: list[dt.date]  # the quarter's months that have recaps
    ended: bool
    rows: list[Evaluation]

    @property
    def missing(self) -> list[dt.date]:
        return [month for month in self.quarter.months if month not in self.built]

    @property
    def provisional(self) -> bool:
        """Not ranked: the quarter has not ended, or not all of its months are built."""
        return not self.ended or bool(self.missing)

    @property
    def provisional_reason(self) -> str | None:
        """The plain reason the quarter is provisional, in the active language; None if final."""
        if not self.ended:
            return _("Provisional, not ranked: the quarter ends on %(date)s.") % {
                "date": date_format(self.quarter.last_day, "j F Y")
            }
        if self.missing:
            return _("Provisional, not ranked: months not built yet: %(months)s.") % {
                "months": ", ".join(date_format(month, "F Y") for month in self.missing)
            }
        return None


def quarterly_evaluation(
    province: Region, quarter: Quarter, *, now: dt.datetime
) -> QuarterlyEvaluation:
    """Each regency/city of ``province`` over ``quarter``, from its monthly recaps.

    Ranked by score, best first (equal scores share a rank), are those with at least
    ``LAPOR_EVALUATION_MIN_REPORTS`` reports to answer, and only when the quarter has ended by
    ``now`` and its three months are built; the others follow by Kemendagri code, unranked.
    """
    months = quarter.months
    built = sorted(
        MonthlyRecap.objects.filter(level=MonthlyRecap.Level.NATION, month__in=months).values_list(
            "month", flat=True
        )
    )
    result = QuarterlyEvaluation(province, quarter, built, quarter.has_ended(now), [])
    if not built:
        return result
    rows = MonthlyRecap.objects.filter(
        month__in=built, level=MonthlyRecap.Level.REGENCY, parent_region=province
    ).select_related("region")
    by_region: dict[str, list[MonthlyRecap]] = {}
    for row in rows:
        # A regency/city's row always has its region (the recap_scope_matches_level constraint).
        assert row.region_id is not None
        by_region.setdefault(row.region_id, []).append(row)
    evaluations = [_evaluate(parts, stock_month=built[-1]) for parts in by_region.values()]
    return QuarterlyEvaluation(
        province, quarter, built, result.ended, _ranked(evaluations, final=not result.provisional)
    )


def _evaluate(parts: list[MonthlyRecap], *, stock_month: dt.date) -> Evaluation:
    """A regency/city's rows of the quarter: the flows added up, the stock of ``stock_month``
    (none when the regency/city has no row that month)."""
    region = parts[0].region
    assert region is not None
    flows = {name: sum(getattr(p, name) for p in parts) for name in FLOWS}
    last = next((p for p in parts if p.month == stock_month), None)
    e = Evaluation(
        region=region,
        received=flows["received"],
        first_answers=flows["first_answers"],
        answered_on_time=flows["answered_on_time"],
        escalated_unanswered=flows["escalated_unanswered"],
        escalations=flows["escalations"],
        disputes=flows["disputes"],
        rating_sum=flows["rating_sum"],
        rating_count=flows["rating_count"],
        median_days=_days(
            histogram_percentile(merge_histograms(p.answer_days for p in parts), 0.5)
        ),
        open=last.open if last else 0,
        overdue=last.overdue if last else 0,
    )
    return replace(e, score=composite_score(e))


def _days(value: float | None) -> float | None:
    return round_half_up(value, 1) if value is not None else None


def _ranked(evaluations: list[Evaluation], *, final: bool) -> list[Evaluation]:
    minimum = minimum_reports()

    def reason(e: Evaluation) -> str | None:
        if e.score is None:
            return Unranked.NOTHING_TO_SCORE
        if not final:
            return Unranked.PROVISIONAL
        if e.responsible < minimum:
            return Unranked.TOO_FEW_REPORTS
        return None

    ranked = sorted(
        (e for e in evaluations if reason(e) is None),
        key=lambda e: (-(e.score or 0), e.region.code),
    )
    unranked = sorted(
        (e for e in evaluations if reason(e) is not None), key=lambda e: e.region.code
    )
    # Equal scores share a rank (1, 2, 2, 4).
    return [
        replace(e, rank=1 + sum(1 for other in ranked if (other.score or 0) > (e.score or 0)))
        for e in ranked
    ] + [replace(e, unranked_reason=reason(e)) for e in unranked]


def evaluation_quarters(*, include: Quarter | None = None) -> list[Quarter]:
    """The quarters that have at least one built month, newest first, with ``include`` among
    them (the quarter shown, built or not)."""
    quarters = {Quarter.of(month) for month in built_months()}
    if include is not None:
        quarters.add(include)
    return sorted(quarters, reverse=True)


def minimum_reports() -> int:
    return int(settings.LAPOR_EVALUATION_MIN_REPORTS)


def unranked_text(e: Evaluation) -> str:
    """Why a row has no rank, and which parts its score leaves out, in the active language."""
    texts = []
    if e.unranked_reason == Unranked.NOTHING_TO_SCORE:
        texts.append(_("no reports to answer: no score"))
    elif e.unranked_reason == Unranked.TOO_FEW_REPORTS:
        texts.append(
            _("not ranked: %(count)s of the %(minimum)s reports to answer needed")
            % {"count": e.responsible, "minimum": minimum_reports()}
        )
    if e.left_out:
        texts.append(
            _("scored without: %(parts)s")
            % {"parts": ", ".join(str(PART_LABELS[k]) for k in e.left_out)}
        )
    return "; ".join(texts)


def evaluation_notes() -> list[tuple[str, str]]:
    """Each column of the evaluation and each part of its score, defined in one sentence."""
    return [
        (
            _("Received"),
            _(
                "Reports filed in the quarter about a place in the regency/city, whatever "
                "became of them; shown for scale, not scored."
            ),
        ),
        (
            _("To answer"),
            _(
                "The reports the regency/city's agencies had to answer in the quarter: those "
                "they gave a first final answer, those they let escalate without one, and those "
                "still open with them and overdue at the end of the quarter (a report counts "
                "once for each of its agencies that had to answer it)."
            ),
        ),
        (
            _("Answered"),
            _(
                "Share of the reports to answer that got a first final answer in the quarter; "
                "interim replies do not count, and a report let escalate counts as not answered."
            ),
        ),
        (
            _("On time"),
            _(
                "Share of the reports to answer that got their first final answer by the "
                "completion deadline that applied when the report first reached the agency."
            ),
        ),
        (
            _("Missed deadlines"),
            _(
                "Deadlines its agencies missed in the quarter whose report was passed up a "
                "level; the score's part is 1 minus their number per report to answer, never "
                "below 0."
            ),
        ),
        (
            _("Overdue"),
            _(
                "Reports open with its agencies at the end of the quarter (of its newest built "
                "month while the quarter is provisional) whose deadline had passed."
            ),
        ),
        (
            _("Median days"),
            _(
                "The median of the working days from the first time a report reached the "
                "agency to its first final answer, over the quarter's answers."
            ),
        ),
        (
            _("Disputed"),
            _(
                "Disputes reporters lodged in the quarter against its agencies' final answers, "
                "per first final answer in the quarter; the score's part is 1 minus this share."
            ),
        ),
        (
            _("Rating"),
            _(
                "Average of the reporters' ratings (1 to 5) given in the quarter; in the score "
                "1 counts nothing and 5 counts in full."
            ),
        ),
        (
            _("Score"),
            _(
                "0 to 100, the weighted average of five parts: answered %(answered)s, on time "
                "%(on_time)s, deadlines not missed %(deadlines_kept)s, rating %(rating)s and "
                "answers not disputed %(undisputed)s; a part without data (no ratings, or no "
                "answers to dispute) is left out, the others weigh more, and the remarks say "
                "which."
            )
            % SCORE_WEIGHTS,
        ),
        (
            _("No score"),
            _(
                "A regency/city whose agencies had no reports to answer in the quarter gets no "
                "score, not 0, and no rank."
            ),
        ),
        (
            _("Rank"),
            _(
                "By score among the regencies/cities with at least %(minimum)s reports to "
                "answer, only once the quarter has ended and its three months are built; equal "
                "scores share a rank."
            )
            % {"minimum": minimum_reports()},
        ),
        (
            _("Provisional"),
            _(
                "A quarter that has not ended, or whose three months are not all built, is "
                "shown with its figures so far and not ranked."
            ),
        ),
    ]
