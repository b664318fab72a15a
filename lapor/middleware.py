"""Refuse request bodies larger than any valid submission before anything reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


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
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return render(
                request,
                "error.html",
                {"title": _("Too large"), "message": message, "status": 413},
                status=413,
            )
        return self.get_response(request)
