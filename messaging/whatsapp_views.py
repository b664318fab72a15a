"""The WhatsApp door: the webhook the WhatsApp Business Cloud API calls (``/kanal/whatsapp/``).

GET is Meta's verification handshake when the webhook is set up. POST is a delivery: signed by
Meta with the app secret, it holds the citizens' messages (and status updates, ignored), each
handed to the conversation engine (``messaging.services.receive``), whose replies go out later
through the outbox. The answers here are for Meta's servers only: 200 once every message is
taken, 503 while the database is away so that Meta delivers again (a message delivered twice is
taken once, by its id), and 4xx for what Meta would never send.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from complaints.models import Channel
from messaging import backends, services
from messaging.types import DATABASE_AWAY, RETRY_AFTER_SECONDS
from messaging.whatsapp import parse_webhook, verify_signature

logger = logging.getLogger(__name__)

# Meta's deliveries are a few kilobytes (media come by id, not inline).
MAX_BODY_BYTES = 1024 * 1024


def _status(status: int, word: str) -> JsonResponse:
    return JsonResponse({"status": word}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _handshake(request)
    return _delivery(request)


def _handshake(request: HttpRequest) -> HttpResponse:
    """Meta checks the webhook's address: ``hub.verify_token`` must be ours, and the page
    answers with ``hub.challenge``."""
    expected = settings.LAPOR_WHATSAPP_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if (
        not expected
        or request.GET.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(expected.encode(), given.encode())
    ):
        logger.warning("whatsapp webhook verification refused")
        return HttpResponse("forbidden\n", content_type="text/plain", status=403)
    challenge = request.GET.get("hub.challenge", "")
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def _delivery(request: HttpRequest) -> HttpResponse:
    if not backends.is_on(Channel.WHATSAPP) or not settings.LAPOR_WHATSAPP_APP_SECRET:
        return _status(404, "off")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _status(413, "too large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _status(413, "too large")
    if not verify_signature(body, request.headers.get("X-Hub-Signature-256")):
        logger.warning(
            "whatsapp delivery refused: missing or wrong signature (%d bytes)", len(body)
        )
        return _status(403, "bad signature")
    try:
        payload = json.loads(body)
    except ValueError:
        return _status(400, "invalid json")
    messages = parse_webhook(payload)
    try:
        for incoming in messages:
            services.receive(incoming, now=timezone.now())
    except DATABASE_AWAY as exc:
        # What was taken before stays taken; Meta's next delivery repeats it by id.
        logger.warning("whatsapp delivery not taken, database unavailable: %s", type(exc).__name__)
        response = _status(503, "unavailable")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _status(200, "ok")
