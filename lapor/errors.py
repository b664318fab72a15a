"""Error pages in the visitor's language: HTML for pages, JSON under /api/, and Open311's error
list (JSON or XML) under /open311/; and the REST API's one mapping of the domain's errors."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from lapor.lib.actions import ActionError

logger = logging.getLogger(__name__)

# The database cannot be reached: a restart, a failover, a lost connection.
DatabaseUnavailable = (OperationalError, InterfaceError)

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


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database could not be reached (a restart, a failover): 503 with Retry-After, so that
    a citizen or a program knows to send it again in a moment, not that it was refused."""
    title = _("Briefly unavailable")
    message = _("The portal is briefly unavailable. Please send it again in a few seconds.")
    try:
        response = respond(request, 503, title, message)
    except DatabaseUnavailable:  # the page's layout asked for the visitor's session
        response = HttpResponse(
            f"{title}\n\n{message}\n", content_type="text/plain; charset=utf-8", status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# How long a client is asked to wait after a 503.
RETRY_AFTER_SECONDS = 5


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return respond(
        request,
        403,
        _("The form has expired"),
        _(
            "This form was open too long or cookies are blocked. Please reload the page and send it again."
        ),
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's one mapping of the domain's errors (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``),
    so that no view maps them by hand:

    - ``ActionError``: 409 when the report is no longer in the state the action needs or
      changed since the version sent (a conflict), else 400; ``{"detail": …}``, and the report's
      ``version`` where the view shows it (``report_version``, the staff API);
    - ``ObjectDoesNotExist`` (an unknown report, file, agency…): 404;
    - Django's ``ValidationError``: 400 with the messages per field;
    - Django's ``PermissionDenied``: 403 with its message;
    - the database unreachable (``OperationalError``, ``InterfaceError``): 503 with
      Retry-After.

    Everything else is DRF's own handling.
    """
    if isinstance(exc, DatabaseUnavailable):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"detail": _("The service is briefly unavailable. Please try again in a few seconds.")},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, ActionError):
        body: dict[str, Any] = {"detail": exc.message}
        report_version = getattr(context.get("view"), "report_version", None)
        if report_version is not None:
            body["version"] = exc.version if exc.version is not None else report_version()
        return Response(body, status=409 if exc.conflict else 400)
    if isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, DjangoPermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(str(exc))
    return exception_handler(exc, context)
