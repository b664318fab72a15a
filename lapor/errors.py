"""Error pages in the visitor's language, as HTML for pages and JSON under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _respond(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(
        request, "error.html", {"title": title, "message": message, "status": status}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(
        request,
        400,
        _("Request not understood"),
        _("What your browser sent could not be read. Please go back and try again."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(
        request,
        403,
        _("Not allowed"),
        _("You are not allowed to open this page."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(
        request,
        404,
        _("Not found"),
        _("There is nothing here. Check the address, or look a report up by its tracking number."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(
        request,
        500,
        _("Something went wrong"),
        _("Something went wrong on our side. Please try again in a moment."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _respond(
        request,
        403,
        _("The form has expired"),
        _(
            "This form was open too long or cookies are blocked. Please reload the page and send it again."
        ),
    )
