"""Middleware: early refusal of oversized bodies, the pages' language, and 503 while the
database cannot be reached."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from lapor.errors import DatabaseUnavailable, for_programs, respond, service_unavailable

logger = logging.getLogger(__name__)


class RequestSizeLimitMiddleware:
    """Answer 413 when Content-Length exceeds ``LAPOR_MAX_REQUEST_BYTES``.

    It sits before the CSRF middleware, which would otherwise parse (and spool to disk) the
    whole upload just to find the token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.LAPOR_MAX_REQUEST_BYTES:
            limit_mb = settings.LAPOR_MAX_ATTACHMENT_BYTES // (1024 * 1024)
            message = _(
                "What you sent is too large. Attach at most %(count)d files of %(limit)d MB each."
            ) % {"count": settings.LAPOR_MAX_ATTACHMENTS, "limit": limit_mb}
            return respond(request, 413, _("Too large"), message)
        return self.get_response(request)


class LanguageMiddleware(LocaleMiddleware):
    """Pages are in Bahasa Indonesia unless the visitor chose English with the switch.

    A phone set to English is common in Indonesia and says little about what its owner reads
    best, so the pages ignore Accept-Language; the API, used by programs, honours it.
    """

    def process_request(self, request: HttpRequest) -> None:
        if for_programs(request):
            super().process_request(request)
            return
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database (PostgreSQL restarting) answers 503 with
    Retry-After in the visitor's language, not 500: the citizen is told to send it again, and
    the transaction that failed saved nothing. (The API's views map it in
    ``lapor.errors.api_exception_handler``.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseUnavailable):
            logger.warning("database unavailable: %s", exception)
            return service_unavailable(request)
        return None
