"""WhatsApp through the WhatsApp Business Cloud API: reading Meta's webhook deliveries into
``Incoming`` messages, and sending text (or, outside the 24-hour window, the approved template)
and fetching the photos citizens send through the Graph API.

Nothing here logs or raises with a phone number or a message's text in it: error messages name
only HTTP statuses and Graph's error codes, because the outbox stores and logs them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import math
import re
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from complaints.models import Channel
from messaging.types import Backend, Incoming, MediaRef, SendFailed, SendRefused

logger = logging.getLogger(__name__)

TIMEOUT = 10
# What one message may carry: a text body, and the template's one body parameter.
TEXT_MAX_LENGTH = 4096
TEMPLATE_PARAMETER_MAX_LENGTH = 1024
# Graph's error for a free-form message outside the 24-hour customer service window.
RE_ENGAGEMENT = 131047
# Graph's errors that pass with time, though most come with HTTP 400: server trouble (1, 2,
# 131000, 131016, 133004) and the throughput and rate limits (4, 80007, 130429, 131048, 131056).
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
# The photo formats WhatsApp sends and the upload checks (lapor.lib.uploads) take.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SIGNATURE_PREFIX = "sha256="
# Message types that ask for no answer: a reaction to one of our messages, a system notice.
_SILENT_TYPES = frozenset({"reaction", "system"})
_MEDIA_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")
_DIGITS = re.compile(r"[0-9]{5,20}")


def verify_signature(body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body under the app secret
    (Meta signs every delivery so). False when no secret is configured."""
    secret = settings.LAPOR_WHATSAPP_APP_SECRET
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))


# --- reading deliveries ---------------------------------------------------------------------


def parse_webhook(payload: Any) -> list[Incoming]:
    """The citizens' messages in one webhook delivery, in the order Meta listed them.

    Only messages to our business number (``LAPOR_WHATSAPP_PHONE_NUMBER_ID``) are taken; status
    updates (sent, delivered, read, failed) are ignored. Text, photos (also a photo sent as a
    document), locations and button replies are read; other kinds (voice, video, sticker…)
    become an ``Incoming`` with no text, which the engine answers by asking for text or a photo.
    Whatever does not have the documented shape is skipped, never raised.
    """
    ours = settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    taken: list[Incoming] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not ours or not isinstance(metadata, dict):
                continue
            if str(metadata.get("phone_number_id", "")) != ours:
                continue
            for message in _dicts(value.get("messages")):
                incoming = _read_message(message)
                if incoming is not None:
                    taken.append(incoming)
    return taken


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _read_message(message: dict[str, Any]) -> Incoming | None:
    sender = _string(message.get("from"))
    message_id = _string(message.get("id"))
    kind = _string(message.get("type"))
    if not _DIGITS.fullmatch(sender) or not message_id or kind in _SILENT_TYPES:
        return None
    text = ""
    media: tuple[MediaRef, ...] = ()
    location: tuple[float, float] | None = None
    part = message.get(kind)
    part = part if isinstance(part, dict) else {}
    if kind == "text":
        text = _string(part.get("body"))
    elif kind == "image" or (kind == "document" and _mime(part) in IMAGE_TYPES):
        text = _string(part.get("caption"))
        media_id = _string(part.get("id"))
        if _MEDIA_ID.fullmatch(media_id):
            media = (MediaRef(media_id=media_id, mime_type=_mime(part)),)
    elif kind == "location":
        location = _point(part.get("latitude"), part.get("longitude"))
        text = ", ".join(s for s in (_string(part.get("name")), _string(part.get("address"))) if s)
    elif kind == "interactive":
        reply = part.get(_string(part.get("type")))
        if isinstance(reply, dict):
            text = _string(reply.get("title")) or _string(reply.get("id"))
    elif kind == "button":
        text = _string(part.get("text")) or _string(part.get("payload"))
    return Incoming(
        channel=Channel.WHATSAPP,
        sender="+" + sender,
        text=text,
        message_id=message_id,
        media=media,
        location=location,
        sent_at=_moment(message.get("timestamp")),
    )


def _mime(part: dict[str, Any]) -> str:
    return _string(part.get("mime_type")).split(";")[0].strip().lower()


def _point(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    numbers = []
    for value in (latitude, longitude):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        numbers.append(number)
    lat, lon = numbers
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _moment(timestamp: Any) -> dt.datetime | None:
    """Meta's ``timestamp``: Unix seconds, as a string."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | str):
        return None
    try:
        return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- the Graph API ---------------------------------------------------------------------------


def _opener() -> urllib.request.OpenerDirector:
    # Only HTTP(S): no file:, ftp: or data: handlers, whatever URL Graph's answer holds. A
    # redirect is followed without the access token (``add_unredirected_header``).
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class _Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def error_code(self) -> int | None:
        error = self.json().get("error")
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, int) and not isinstance(code, bool) else None


def _call(
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    limit: int = 1024 * 1024,
    timeout: float = TIMEOUT,
) -> _Answer:
    """One request to Graph with the access token; the answer, whatever its status, or
    ``SendFailed`` when no answer came. At most ``limit`` bytes of the answer are read (one more
    says that it was longer)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310  (http(s) only: _opener)
    request.add_unredirected_header("Authorization", f"Bearer {settings.LAPOR_WHATSAPP_TOKEN}")
    request.add_header("User-Agent", "lapor")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _opener().open(request, timeout=timeout) as response:
            return _Answer(response.status, response.read(limit + 1))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(limit + 1)
        except (OSError, http.client.HTTPException):
            body = b""
        finally:
            exc.close()
        return _Answer(exc.code, body)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # URLError, refused or reset connections and timeouts are OSErrors; HTTPException is a
        # broken answer; ValueError a URL urllib cannot use.
        raise SendFailed(f"WhatsApp Cloud API unreachable: {type(exc).__name__}") from None


def _raise_for(answer: _Answer, what: str) -> None:
    if answer.status < 300:
        return
    code = answer.error_code()
    reason = f"{what}: HTTP {answer.status}, Graph error {code}"
    if answer.status == 429 or answer.status >= 500 or code in TRANSIENT_CODES:
        raise SendFailed(reason)
    raise SendRefused(reason)


def _configured() -> tuple[str, str]:
    graph = settings.LAPOR_WHATSAPP_GRAPH_URL.rstrip("/")
    if not (graph and settings.LAPOR_WHATSAPP_TOKEN and settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID):
        raise SendRefused("WhatsApp Cloud API is not configured")
    return graph, settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID


def template_parameter(text: str) -> str:
    """``text`` as the template's body parameter: Graph refuses parameters with new lines, tabs
    or runs of spaces, and longer than 1024 characters."""
    flat = " ".join(text.split())
    if len(flat) > TEMPLATE_PARAMETER_MAX_LENGTH:
        flat = flat[: TEMPLATE_PARAMETER_MAX_LENGTH - 1] + "…"
    return flat


def _text_body(text: str) -> str:
    return text if len(text) <= TEXT_MAX_LENGTH else text[: TEXT_MAX_LENGTH - 1] + "…"


class CloudApiBackend(Backend):
    """Sends through ``POST /<phone number id>/messages`` and downloads through the media
    endpoints. Failures that pass (no answer, HTTP 429 or 5xx, Graph's rate limits) raise
    ``SendFailed`` for the outbox to try again; the rest raise ``SendRefused``."""

    def send(self, to: str, text: str, *, window_open: bool = True) -> None:
        graph, phone_number_id = _configured()
        recipient = to.strip().removeprefix("+")
        if not _DIGITS.fullmatch(recipient):
            raise SendRefused("not a WhatsApp number")
        if not text.strip():
            raise SendRefused("nothing to send")
        url = f"{graph}/{phone_number_id}/messages"
        if window_open:
            answer = _call("POST", url, payload=self._text(recipient, text))
            if answer.status < 300 or answer.error_code() != RE_ENGAGEMENT:
                _raise_for(answer, "WhatsApp text message")
                return
            # The citizen's last message is older than Graph's 24 hours (our clock and Meta's
            # differ, or an answer crossed the limit while queued): only a template may go.
            logger.info("whatsapp window closed: sending the template instead")
        answer = _call("POST", url, payload=self._template(recipient, text))
        _raise_for(answer, "WhatsApp template message")

    @staticmethod
    def _text(recipient: str, text: str) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "type": "text",
            "text": {"preview_url": False, "body": _text_body(text)},
        }

    @staticmethod
    def _template(recipient: str, text: str) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "type": "template",
            "template": {
                "name": settings.LAPOR_WHATSAPP_TEMPLATE,
                "language": {"code": settings.LAPOR_WHATSAPP_TEMPLATE_LANGUAGE},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": template_parameter(text)}],
                    }
                ],
            },
        }

    def download(self, media: MediaRef, *, timeout: float | None = None) -> tuple[bytes, str]:
        """The photo's bytes and type: Graph's media endpoint gives a short-lived URL, fetched
        with the same token, both within ``timeout`` seconds in all (``TIMEOUT`` each without
        one). Refused: an unknown id, a type the upload checks do not take, and anything larger
        than ``LAPOR_MAX_ATTACHMENT_BYTES`` (said by Graph or seen in the bytes)."""
        until = time.monotonic() + timeout if timeout is not None else None

        def left() -> float:
            if until is None:
                return TIMEOUT
            remaining = until - time.monotonic()
            if remaining <= 0:
                raise SendFailed("WhatsApp media: out of time")
            return min(TIMEOUT, remaining)

        graph, _ = _configured()
        limit = settings.LAPOR_MAX_ATTACHMENT_BYTES
        if not _MEDIA_ID.fullmatch(media.media_id):
            raise SendRefused("not a WhatsApp media id")
        answer = _call("GET", f"{graph}/{media.media_id}", timeout=left())
        _raise_for(answer, "WhatsApp media lookup")
        info = answer.json()
        url = info.get("url")
        mime_type = _mime(info)
        size = info.get("file_size")
        if not isinstance(url, str) or urlsplit(url).scheme not in {
            "https",
            urlsplit(graph).scheme,
        }:
            raise SendRefused("WhatsApp media lookup: no usable URL")
        if mime_type not in IMAGE_TYPES:
            raise SendRefused(f"WhatsApp media is not a photo ({mime_type or 'no type'})")
        if isinstance(size, int | str) and str(size).isdigit() and int(size) > limit:
            raise SendRefused("WhatsApp media is too large")
        content = _call("GET", url, limit=limit, timeout=left())
        _raise_for(content, "WhatsApp media download")
        if len(content.body) > limit:
            raise SendRefused("WhatsApp media is too large")
        return content.body, mime_type
