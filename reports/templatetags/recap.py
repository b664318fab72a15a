from __future__ import annotations

from django import template

from reports.figures import FIGURES, display_row
from reports.models import MonthlyRecap

register = template.Library()


@register.filter
def recap_cells(row: MonthlyRecap) -> list[str]:
    """The row's figures as the page shows them."""
    return display_row(row)


@register.simple_tag
def recap_lines(row: MonthlyRecap) -> str:
    """The row's figures as lines of text: "  Label: value"."""
    return "\n".join(
        f"  {figure.label}: {cell}" for figure, cell in zip(FIGURES, display_row(row), strict=True)
    )
