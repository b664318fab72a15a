"""Errors of actions on a report, shared by every app that takes one."""

from __future__ import annotations


class ActionError(Exception):
    """An action that cannot be taken; ``message`` is for the person who tried.

    ``conflict`` is true when the report is no longer in the state the action needs (someone
    else acted first): interfaces answer 409 and show the current state, not a form error.
    ``version`` is the report's version as it is now, when the action read it.
    """

    def __init__(self, message: str, *, conflict: bool = False, version: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict
        self.version = version
