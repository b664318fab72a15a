"""Cells for CSV and spreadsheet exports."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    """``value`` for an exported cell: text that could start a formula gets a leading
    apostrophe, so it is shown as text; numbers and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
