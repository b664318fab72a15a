"""Open311's error answer: a list of ``code`` and ``description``, one per problem."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse


class Open311Error(Exception):
    """Raised by the Open311 views; answered as the spec's error list with ``status``.

    ``code`` of each error is the HTTP status, as in the spec's examples, and each description
    names the parameter it is about where there is one.
    """

    def __init__(
        self, status: int, descriptions: list[str], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions
        self.headers = headers or {}

    def as_list(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": text} for text in self.descriptions]


def error_response(path: str, status: int, description: str) -> HttpResponse:
    """The error list for a request to ``path`` (XML when it asks for XML, else JSON): for the
    answers given before or outside the Open311 views (404, too large, a bad host, a crash)."""
    from open311.formats import Format, render

    fmt = Format.XML if path.endswith(".xml") else Format.JSON
    return render(Open311Error(status, [description]).as_list(), fmt, root="errors", status=status)
