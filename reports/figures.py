"""The recap's columns: each figure's name, its one-sentence definition, the group it belongs to
and its value for a row, rounded once here so that the page, the e-mail, the exports and the
API show the same numbers.

Three groups, never mixed in one sum:

- **flow**: what happened in the month (received, answered, escalated ... in the month);
- **stock**: the reports open at the end of the month, by where they stood;
- **time**: how fast and how well the month's answers came.

The definitions follow SP4N-LAPOR! practice and the deadlines of Permenpan RB 62/2018 (aspirasi
5, pengaduan 14 working days) and UU 14/2008 (information requests, 10 working days); the medians
and percentiles are those of statistics software and spreadsheets (MEDIAN, PERCENTILE.INC);
percentages are rounded half up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel
from reports.models import MonthlyRecap

Value = int | float | None


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    definition: Promise
    value: Callable[[MonthlyRecap], Value]
    kind: str = "count"  # count | days | percent | rating
    group: str = "flow"  # flow | stock | time


def round_half_up(value: float, places: int) -> float:
    """``value`` rounded to ``places`` decimals, halves away from zero (6.25 → 6.3), as people
    and spreadsheets round, not to the even neighbour as Python's ``round`` does."""
    exponent = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(exponent, rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal, rounded half up; None of nothing."""
    return round_half_up(100 * part / whole, 1) if whole else None


def _days(value: float | None) -> float | None:
    return round_half_up(value, 1) if value is not None else None


GROUPS: tuple[tuple[str, Promise, Promise], ...] = (
    (
        "flow",
        _("In the month"),
        _("What happened during the month; each report counts in the month it happened."),
    ),
    (
        "stock",
        _("Open at the end of the month"),
        _("The reports still open at midnight on the month's last day, by where they stood."),
    ),
    (
        "time",
        _("Speed and satisfaction"),
        _("How fast and how well the month's final answers came."),
    ),
)

FIGURES: tuple[Figure, ...] = (
    # --- the month's flows
    Figure(
        "received",
        _("Received"),
        _(
            "For a region: reports filed in the month about a place in it, whatever became of "
            "them. For an agency: reports that came to it for action for the first time in the month."
        ),
        lambda r: r.received,
    ),
    Figure(
        "first_answers",
        _("Answered"),
        _(
            "Reports that got the agency's first final answer in the month (interim replies "
            "do not count)."
        ),
        lambda r: r.first_answers,
    ),
    Figure(
        "escalated_unanswered",
        _("Let escalate"),
        _(
            "Reports the agency let pass up a level without any final answer, counted once per "
            "report in the month the deadline was missed."
        ),
        lambda r: r.escalated_unanswered,
    ),
    Figure(
        "escalations",
        _("Missed deadlines"),
        _(
            "Deadlines the agency missed whose report was passed up a level, counted in the "
            "month the deadline passed."
        ),
        lambda r: r.escalations,
    ),
    Figure(
        "transfers",
        _("Returned"),
        _("Reports the agency returned in the month as not its authority (bukan wewenang)."),
        lambda r: r.transfers,
    ),
    Figure(
        "disputes",
        _("Disputed"),
        _("Final answers of the agency that the reporter disputed in the month."),
        lambda r: r.disputes,
    ),
    Figure(
        "completed",
        _("Completed"),
        _(
            "Reports completed in the month after the agency's answer: accepted by the "
            "reporter, or left without a reply for the reply window."
        ),
        lambda r: r.completed,
    ),
    Figure(
        "archived",
        _("Archived"),
        _("Reports the agency, as coordinator, closed in the month without handing them on."),
        lambda r: r.archived,
    ),
    # --- the stock at the end of the month
    Figure(
        "open",
        _("Open"),
        _(
            "Reports the agency held at the end of the month that were not closed; the sum of "
            "the four columns after it."
        ),
        lambda r: r.open,
        group="stock",
    ),
    Figure(
        "queue",
        _("Awaiting a coordinator"),
        _(
            "Open reports waiting in a coordinator's queue: to be verified and handed on, "
            "or disputed by the reporter."
        ),
        lambda r: r.queue,
        group="stock",
    ),
    Figure(
        "unanswered",
        _("Not taken up"),
        _(
            "Open reports handed to the agency that it had not taken up (acknowledged, "
            "replied to or answered) since it last received them."
        ),
        lambda r: r.unanswered,
        group="stock",
    ),
    Figure(
        "in_process",
        _("In process"),
        _("Open reports the agency had taken up but not yet given a final answer."),
        lambda r: r.in_process,
        group="stock",
    ),
    Figure(
        "awaiting_citizen",
        _("Awaiting the reporter"),
        _("Open reports answered and waiting for the reporter's reaction (the reply window)."),
        lambda r: r.awaiting_citizen,
        group="stock",
    ),
    Figure(
        "overdue",
        _("Overdue"),
        _(
            "Open reports waiting for the agency or a coordinator whose deadline had passed at "
            "the end of the month."
        ),
        lambda r: r.overdue,
        group="stock",
    ),
    # --- speed and satisfaction
    Figure(
        "median_days",
        _("Median days"),
        _(
            "The median of the working days from the first time a report reached the agency "
            "to its first final answer, over the month's answers (as a spreadsheet's MEDIAN)."
        ),
        lambda r: _days(r.median_days),
        "days",
        "time",
    ),
    Figure(
        "p90_days",
        _("90th percentile"),
        _("Nine in ten of the month's answers came within this many working days."),
        lambda r: _days(r.p90_days),
        "days",
        "time",
    ),
    Figure(
        "on_time",
        _("On time"),
        _(
            "Of the reports the agency answered or let escalate in the month, the share "
            "answered by the completion deadline that applied when they first reached it "
            "(complaint 14, aspiration 5 working days: Permenpan RB 62/2018; information "
            "request 10: UU 14/2008)."
        ),
        lambda r: share(r.answered_on_time, r.first_answers + r.escalated_unanswered),
        "percent",
        "time",
    ),
    Figure(
        "rating",
        _("Rating"),
        _("Average of the reporters' ratings (1 to 5) given in the month to the agency's answers."),
        lambda r: round_half_up(r.average_rating, 2) if r.average_rating is not None else None,
        "rating",
        "time",
    ),
)

BY_KEY = {figure.key: figure for figure in FIGURES}


def in_group(group: str) -> tuple[Figure, ...]:
    return tuple(figure for figure in FIGURES if figure.group == group)


def row_values(row: MonthlyRecap) -> dict[str, Value]:
    return {figure.key: figure.value(row) for figure in FIGURES}


# --- received, by channel ------------------------------------------------------------------------

# ``received`` broken down by the door each report came by (``Complaint.channel``): in the
# recap page's small table, one column per channel in the exports, an object in the API.
CHANNEL_TITLE = _("Received by channel")
CHANNEL_DEFINITION = _(
    "Reports received in the month, by the way they came in: the portal's web form, its API "
    "and Open311, e-mail, SMS and WhatsApp, and those staff recorded for a citizen who came in "
    "person, telephoned, wrote a letter, wrote on social media or reached them another way."
)


def channel_counts(row: MonthlyRecap) -> dict[str, int]:
    """``row.received`` by channel: every channel (``Channel`` order), 0 where none."""
    stored = row.received_by_channel or {}
    return {channel.value: int(stored.get(channel.value, 0)) for channel in Channel}


def channel_label(channel: str) -> str:
    """A channel's name in the active language ("web form", "telephone")."""
    return str(Channel(channel).label)


# Short names of the channels, for the heads of narrow columns (the full name in their title).
CHANNEL_SHORT = {
    Channel.WEB: _("Web"),
    Channel.API: _("API"),
    Channel.OPEN311: _("Open311"),
    Channel.EMAIL: pgettext_lazy("channel", "Email"),
    Channel.SMS: _("SMS"),
    Channel.WHATSAPP: _("WhatsApp"),
    Channel.WALK_IN: _("In person"),
    Channel.PHONE: _("Phone"),
    Channel.LETTER: _("Letter"),
    Channel.SOCIAL_MEDIA: _("Social media"),
    Channel.OTHER: _("Other"),
}


def channel_short_label(channel: str) -> str:
    """A channel's short name in the active language ("Web", "Telepon")."""
    return str(CHANNEL_SHORT[Channel(channel)])


def channel_column(channel: str) -> str:
    """The export's header of a channel's column: "Received: web form"."""
    return gettext("Received: %(channel)s") % {"channel": channel_label(channel)}


def display(value: Value, kind: str) -> str:
    """A figure for the page and the e-mail, in the active language's number format."""
    from django.utils.formats import number_format

    if value is None:
        return "–"
    if kind == "percent":
        return f"{number_format(value, 1)}%"
    if kind == "rating":
        return number_format(value, 2)
    if kind == "days":
        return number_format(value, 1 if value != int(value) else 0)
    return number_format(value, force_grouping=True)


def display_row(row: MonthlyRecap) -> list[str]:
    values = row_values(row)
    return [display(values[f.key], f.kind) for f in FIGURES]
