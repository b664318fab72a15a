"""Errors of staff actions on a report, shared by every app that writes one."""

from __future__ import annotations


class ActionError(Exception):
    """An action that cannot be taken; ``message`` is for the person who tried.

    ``conflict`` is true when the report is no longer in the state the action needs (someone
    else acted first): interfaces answer 409 and show the current state, not a form error.
    """

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict
