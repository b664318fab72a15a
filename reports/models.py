"""Monthly recaps (rekap bulanan): the figures of one month, frozen per agency and per region."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _

# The figures a recap row adds up; a region's row is the sum of its agencies' rows, but for
# ``received`` (the reports filed about the region). ``reports.figures`` defines each.
FLOWS = (
    "received",
    "first_answers",
    "answered_on_time",
    "escalated_unanswered",
    "escalations",
    "transfers",
    "disputes",
    "completed",
    "archived",
    "rating_sum",
    "rating_count",
)
STOCK = ("open", "queue", "unanswered", "in_process", "awaiting_citizen", "overdue")
COUNTS = FLOWS + STOCK


def merge_histograms(histograms: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Add histograms of working days (``{"3": 12}``: 12 first answers after 3 working days)."""
    merged: dict[str, int] = {}
    for histogram in histograms:
        for days, count in histogram.items():
            merged[days] = merged.get(days, 0) + count
    return merged


def histogram_percentile(histogram: Mapping[str, int], share: float) -> float | None:
    """The ``share`` percentile of the working days in ``histogram``, or None when it is empty,
    as statistics software and spreadsheets compute it (R's default, numpy's ``linear``,
    Excel's PERCENTILE.INC): between the two values around rank ``share * (n - 1)``,
    interpolated. 0.5 is the median: the middle value, or the mean of the two middle ones."""
    total = sum(histogram.values())
    if not total:
        return None
    position = share * (total - 1)
    below = math.floor(round(position, 9))
    fraction = position - below
    lower = upper = None
    seen = 0
    for days in sorted(histogram, key=int):
        seen += histogram[days]
        if lower is None and seen > below:
            lower = int(days)
        if seen > below + 1 or (seen > below and fraction == 0):
            upper = int(days)
            break
    assert lower is not None  # the ranks add up to the total
    if upper is None or fraction == 0:
        return float(lower)
    return lower + fraction * (upper - lower)


class MonthlyRecap(models.Model):
    """One agency's, region's or the nation's figures for one calendar month (Asia/Jakarta),
    as of the end of that month. Built only by ``reports.services.build_monthly_recap``."""

    class Level(models.TextChoices):
        NATION = "NATION", _("nation")
        PROVINCE = "PROVINCE", _("province")
        REGENCY = "REGENCY", _("regency/city")
        AGENCY = "AGENCY", _("agency")

    month = models.DateField(_("month"))  # its first day
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    region = models.ForeignKey(
        "routing.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "routing.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="recaps"
    )
    # The row it is shown under: the region above an agency or a region (None: the nation).
    parent_region = models.ForeignKey(
        "routing.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)

    # The month's flows.
    received = models.PositiveIntegerField(_("received"), default=0)
    first_answers = models.PositiveIntegerField(_("answered"), default=0)
    answered_on_time = models.PositiveIntegerField(_("answered on time"), default=0)
    escalated_unanswered = models.PositiveIntegerField(_("let escalate"), default=0)
    escalations = models.PositiveIntegerField(_("missed deadlines"), default=0)
    transfers = models.PositiveIntegerField(_("returned"), default=0)
    disputes = models.PositiveIntegerField(_("disputed"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)
    archived = models.PositiveIntegerField(_("archived"), default=0)
    # {"<working days>": <first final answers>}: exact medians and percentiles for any sum of
    # rows.
    answer_days = models.JSONField(default=dict, blank=True)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    # ``received`` by the channel of the report (``Complaint.channel``): {"WEB": 12, "EMAIL":
    # 3}, only the channels with reports; the counts add up to ``received`` (tested: a check
    # constraint cannot add up a JSON object).
    received_by_channel = models.JSONField(_("received by channel"), default=dict, blank=True)
    # The stock at the end of the month.
    open = models.PositiveIntegerField(_("open"), default=0)
    queue = models.PositiveIntegerField(_("awaiting a coordinator"), default=0)
    unanswered = models.PositiveIntegerField(_("not taken up"), default=0)
    in_process = models.PositiveIntegerField(_("in process"), default=0)
    awaiting_citizen = models.PositiveIntegerField(_("awaiting the reporter"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("monthly recap")
        verbose_name_plural = _("monthly recaps")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency"],
                condition=models.Q(level="AGENCY"),
                name="recap_one_per_agency",
            ),
            models.UniqueConstraint(
                fields=["month", "region"],
                condition=models.Q(level__in=["PROVINCE", "REGENCY"]),
                name="recap_one_per_region",
            ),
            models.UniqueConstraint(
                fields=["month"], condition=models.Q(level="NATION"), name="recap_one_nation"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(level="AGENCY", agency__isnull=False, region__isnull=True)
                    | models.Q(level="NATION", agency__isnull=True, region__isnull=True)
                    | models.Q(
                        level__in=["PROVINCE", "REGENCY"], agency__isnull=True, region__isnull=False
                    )
                ),
                name="recap_scope_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    open=models.F("queue")
                    + models.F("unanswered")
                    + models.F("in_process")
                    + models.F("awaiting_citizen")
                ),
                name="recap_open_is_the_sum_of_states",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_on_time__lte=models.F("first_answers")),
                name="recap_on_time_within_answers",
            ),
        ]
        indexes = [models.Index(fields=["month", "parent_region"], name="recap_month_parent")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.name}"

    @property
    def code(self) -> str:
        """The region's Kemendagri code, the agency's code, or ``""`` for the nation."""
        if self.agency is not None:
            return self.agency.code
        return self.region_id or ""

    @property
    def median_days(self) -> float | None:
        return histogram_percentile(self.answer_days, 0.5)

    @property
    def p90_days(self) -> float | None:
        return histogram_percentile(self.answer_days, 0.9)

    @property
    def settled(self) -> int:
        """Reports the agency answered or let escalate in the month: what "on time" is out of."""
        return self.first_answers + self.escalated_unanswered

    @property
    def on_time_share(self) -> float | None:
        return self.answered_on_time / self.settled if self.settled else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


# How long after a month's end its recap is built (beat's schedule, ``lapor/celery.py``): the
# escalation sweep (every 15 minutes) has by then recorded the deadlines missed at its last
# second. A missed deadline recorded later still (the sweep was down) counts in the month it was
# recorded, so a month once built never changes.
BUILD_DELAY = dt.timedelta(minutes=30)


def month_bounds(month: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` and of the month after it, in ``tz``."""
    start = dt.datetime.combine(month.replace(day=1), dt.time(0), tzinfo=tz)
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time(0), tzinfo=tz)


class RecapBuild(models.Model):
    """What a month's recap was built with, so that a rebuild gives the same rows: the working
    days its answers were counted with and the agencies (names, regions, active or not) its rows
    were made for, as read the first time (``settings_at``). A rebuild uses them again unless it
    is asked to use today's (``manage.py build_recap --current-settings``)."""

    month = models.DateField(_("month"), unique=True)
    built_at = models.DateTimeField(_("built at"))
    # When the calendar and the agencies below were read.
    settings_at = models.DateTimeField(_("calendar and agencies as of"))
    # {"first", "last", "weekdays_off": [...], "weekend_days_worked": [...]}: ISO dates.
    calendar = models.JSONField(default=dict)
    # [{"id", "name", "region", "active"}]
    agencies = models.JSONField(default=list)

    class Meta:
        verbose_name = _("recap build")
        verbose_name_plural = _("recap builds")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def rebuilt_with_old_settings(self) -> bool:
        return self.settings_at < self.built_at
