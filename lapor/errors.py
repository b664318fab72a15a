"""Error pages in the visitor's language: HTML for pages, JSON under /api/, and Open311's error
list (JSON or XML) under /open311/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

# Paths answered to programs, never with an HTML page.
API_PREFIX, OPEN311_PREFIX = "/api/", "/open311/"


def for_programs(request: HttpRequest) -> bool:
    return request.path.startswith((API_PREFIX, OPEN311_PREFIX))


def respond(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """The error as the page, the API or Open311 gives it."""
    if request.path.startswith(OPEN311_PREFIX):
        from open311.errors import error_response

        return error_response(request.path, status, message)
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=status)
    return render(
        request, "error.html", {"title": title, "message": message, "status": status}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(
        request,
        400,
        _("Request not understood"),
        _("What your browser sent could not be read. Please go back and try again."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(
        request,
        403,
        _("Not allowed"),
        _("You are not allowed to open this page."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return respond(
        request,
        404,
        _("Not found"),
        _("There is nothing here. Check the address, or look a report up by its tracking number."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return respond(
        request,
        500,
        _("Something went wrong"),
        _("Something went wrong on our side. Please try again in a moment."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return respond(
        request,
        403,
        _("The form has expired"),
        _(
            "This form was open too long or cookies are blocked. Please reload the page and send it again."
        ),
    )
