"""The recap's columns: each figure's name, its one-sentence definition, and its value for a row,
rounded once here so that the page, the e-mail, the exports and the API show the same numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports.models import MonthlyRecap

Value = int | float | None


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    definition: Promise
    value: Callable[[MonthlyRecap], Value]
    kind: str = "count"  # count | days | percent | rating


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


FIGURES: tuple[Figure, ...] = (
    Figure(
        "received",
        _("Received"),
        _("Reports submitted in the month and held by the agency at the end of the month."),
        lambda r: r.received,
    ),
    Figure(
        "held",
        _("Held"),
        _("All reports the agency held at the end of the month, whenever they came in."),
        lambda r: r.held,
    ),
    Figure(
        "answered",
        _("Answered"),
        _("Held reports answered by the agency and waiting for the reporter's reaction."),
        lambda r: r.answered,
    ),
    Figure(
        "in_process",
        _("In process"),
        _("Held reports the agency has taken up (acknowledged) but not answered yet."),
        lambda r: r.in_process,
    ),
    Figure(
        "unanswered",
        _("No response"),
        _("Held reports on which the agency had taken no action at all."),
        lambda r: r.unanswered,
    ),
    Figure(
        "completed",
        _("Completed"),
        _("Held reports closed after an answer: accepted by the reporter or left without a reply."),
        lambda r: r.completed,
    ),
    Figure(
        "archived",
        _("Archived"),
        _("Held reports a coordinator closed without handing them on (spam, duplicates)."),
        lambda r: r.archived,
    ),
    Figure(
        "overdue",
        _("Overdue"),
        _(
            "Held reports still waiting for the agency whose deadline had passed at the end of the month."
        ),
        lambda r: r.overdue,
    ),
    Figure(
        "escalations",
        _("Escalations"),
        _("Deadlines the agency missed in the month, for which the report was passed up a level."),
        lambda r: r.escalations,
    ),
    Figure(
        "transfers",
        _("Transfers"),
        _("Reports the agency returned in the month as not its authority."),
        lambda r: r.transfers,
    ),
    Figure(
        "disputes",
        _("Disputes"),
        _("Answers of the agency that a reporter disputed in the month."),
        lambda r: r.disputes,
    ),
    Figure(
        "first_answers",
        _("First answers"),
        _("Reports that got their first answer from the agency in the month."),
        lambda r: r.first_answers,
    ),
    Figure(
        "median_days",
        _("Median days"),
        _(
            "Half of those first answers came within this many working days of the hand-over to the agency."
        ),
        lambda r: r.median_days,
        "days",
    ),
    Figure(
        "p90_days",
        _("90% within"),
        _("Nine in ten of those first answers came within this many working days."),
        lambda r: r.p90_days,
        "days",
    ),
    Figure(
        "on_time",
        _("On time"),
        _("Share of those first answers given before the deadline in force when they were given."),
        lambda r: _share(r.answered_on_time, r.first_answers),
        "percent",
    ),
    Figure(
        "rating",
        _("Rating"),
        _("Average of the reporters' ratings (1 to 5) of the agency's answers given in the month."),
        lambda r: round(r.average_rating, 2) if r.average_rating is not None else None,
        "rating",
    ),
)

BY_KEY = {figure.key: figure for figure in FIGURES}


def row_values(row: MonthlyRecap) -> dict[str, Value]:
    return {figure.key: figure.value(row) for figure in FIGURES}


def display(value: Value, kind: str) -> str:
    """A figure for the page and the e-mail, in the active language's number format."""
    from django.utils.formats import number_format

    if value is None:
        return "–"
    if kind == "percent":
        return f"{number_format(value, 1)}%"
    if kind == "rating":
        return number_format(value, 2)
    return number_format(value, force_grouping=True)


def display_row(row: MonthlyRecap) -> list[str]:
    values = row_values(row)
    return [display(values[f.key], f.kind) for f in FIGURES]
