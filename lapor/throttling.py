"""The API's request limit: per signed-in user, or per address for everyone else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from lapor.client import limited_client
from lapor.lib.ratelimit import hit, parse_rate

if TYPE_CHECKING:  # DRF imports this module while it loads its views
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiRateThrottle(BaseThrottle):
    """Counts every request to the API against the signed-in user (``LAPOR_API_USER_RATE``, by
    token or session) or, without one, against the client's address (``LAPOR_API_ADDRESS_RATE``,
    behind the trusted proxies as everywhere else), in fixed windows (``lapor.lib.ratelimit``:
    Redis when there is one, failing open). Over the limit DRF answers 429 with Retry-After."""

    def __init__(self) -> None:
        self.wait_seconds: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            scope, client, rate = "api-user", str(user.pk), settings.LAPOR_API_USER_RATE
        else:
            # An IPv6 client by its /64, as every per-address limit counts it.
            address = limited_client(request._request)
            scope, client, rate = "api-address", address, settings.LAPOR_API_ADDRESS_RATE
        self.wait_seconds = hit(scope, client, parse_rate(rate), redis_url=settings.REDIS_URL)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds
