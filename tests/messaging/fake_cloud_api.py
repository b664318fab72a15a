"""A stand-in for the WhatsApp Business Cloud API on 127.0.0.1, and builders of the webhook
deliveries Meta makes.

``FakeCloudApi`` serves the Graph endpoints the portal calls, as the Cloud API documents them:
``POST /v21.0/<phone number id>/messages`` (checks the token and the message's shape, keeps
every message it accepted in ``messages``), ``GET /v21.0/<media id>`` (the media's short-lived
URL and facts) and ``GET /media/<media id>`` (its bytes). A test can make it answer as Graph
does when the citizen's 24-hour window has closed (error 131047 to text messages), or fail a
number of times with a status and error code.

The builders (``text_message``, ``image_message``, ``location_message``…) make whole webhook
payloads; ``delivery`` puts several messages (and status updates) into one; ``signed_delivery``
gives the bytes and the ``X-Hub-Signature-256`` header Meta would send.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "EAAG-uji-token"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "rahasia-aplikasi-uji"
VERIFY_TOKEN = "token-verifikasi-uji"
BUSINESS_ACCOUNT_ID = "102290129340398"
VERSION = "v21.0"
# 1 December 2026, 10:00 in Jakarta: the moment the builders' messages were sent, unless told.
TIMESTAMP = 1796094000

_ids = itertools.count(1)


def _graph_error(code: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message},
            "fbtrace_id": "AbCdEfGhIjK",
        }
    }


@dataclass
class Failure:
    status: int
    code: int
    times: int


@dataclass
class Media:
    content: bytes
    mime_type: str
    file_size: int | None = None


@dataclass
class FakeCloudApi:
    """The fake's state: what it accepted, what it holds, how it should fail. ``attempts``
    counts every request to the messages endpoint, accepted or not."""

    token: str = TOKEN
    phone_number_id: str = PHONE_NUMBER_ID
    messages: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    attempts: int = 0
    downloads: int = 0
    window_closed: bool = False
    failures: list[Failure] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def graph_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, file_size: int | None = None
    ) -> None:
        """Media Meta holds for ``media_id``; ``file_size`` what Graph says of its size, when
        that should differ from the bytes'."""
        self.media[media_id] = Media(content, mime_type, file_size)

    def fail(self, status: int, *, times: int = 1, code: int = 131000) -> None:
        """The next ``times`` requests to the messages endpoint answer ``status`` with Graph's
        error ``code``."""
        self.failures.append(Failure(status, code, times))

    def texts(self) -> list[str]:
        """What the accepted messages say: a text's body, a template's parameter."""
        said = []
        for message in self.messages:
            if message["type"] == "text":
                said.append(message["text"]["body"])
            else:
                said.append(message["template"]["components"][0]["parameters"][0]["text"])
        return said

    def _next_failure(self) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.times > 0:
                    failure.times -= 1
                    return failure
        return None


def _shape_error(message: Any, phone_number_id: str, path_id: str) -> str | None:
    """Why Graph would refuse this send request, or None."""
    if path_id != phone_number_id:
        return "Unsupported post request: unknown phone number id"
    if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if message.get("recipient_type", "individual") != "individual":
        return "recipient_type must be individual"
    if not isinstance(message.get("to"), str) or not re.fullmatch(r"[0-9]{5,20}", message["to"]):
        return "to must be the number's digits"
    if message.get("type") == "text":
        text = message.get("text")
        if not isinstance(text, dict) or set(text) - {"body", "preview_url"}:
            return "text must hold body and preview_url"
        body = text.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 4096:
            return "text.body must be 1 to 4096 characters"
        if not isinstance(text.get("preview_url", False), bool):
            return "text.preview_url must be a boolean"
        return None
    if message.get("type") == "template":
        template = message.get("template")
        if not isinstance(template, dict) or not isinstance(template.get("name"), str):
            return "template.name is required"
        language = template.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str):
            return "template.language.code is required"
        components = template.get("components")
        if not isinstance(components, list) or len(components) != 1:
            return "the template takes one body component"
        body = components[0]
        parameters = body.get("parameters") if isinstance(body, dict) else None
        if body.get("type") != "body" or not isinstance(parameters, list) or len(parameters) != 1:
            return "the template's body takes one parameter"
        parameter = parameters[0]
        value = parameter.get("text") if isinstance(parameter, dict) else None
        if parameter.get("type") != "text" or not isinstance(value, str) or not value:
            return "the parameter must be text"
        if len(value) > 1024 or re.search(r"[\n\t]| {4,}", value):
            return (
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
            )
        return None
    return "type must be text or template"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.server.api.token}":
            return True
        self._answer(401, _graph_error(190, "Invalid OAuth access token"))
        return False

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        match = re.fullmatch(rf"/{VERSION}/([^/]+)/messages", self.path)
        if match is None:
            self._answer(404, _graph_error(100, "Unknown path"))
            return
        with api.lock:
            api.attempts += 1
        if not self._authorised():
            return
        failure = api._next_failure()
        if failure is not None:
            self._answer(failure.status, _graph_error(failure.code, "Failure the test asked for"))
            return
        if self.headers.get_content_type() != "application/json":
            self._answer(400, _graph_error(100, "Content-Type must be application/json"))
            return
        try:
            message = json.loads(raw)
        except ValueError:
            self._answer(400, _graph_error(100, "Invalid JSON"))
            return
        problem = _shape_error(message, api.phone_number_id, match.group(1))
        if problem is not None:
            api.refused.append((100, message))
            self._answer(400, _graph_error(100, problem))
            return
        if api.window_closed and message["type"] == "text":
            api.refused.append((131047, message))
            self._answer(
                400,
                _graph_error(
                    131047,
                    "Message failed to send because more than 24 hours have passed since "
                    "the customer last replied to this number.",
                ),
            )
            return
        with api.lock:
            api.messages.append(message)
            number = len(api.messages)
        self._answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": message["to"], "wa_id": message["to"]}],
                "messages": [{"id": f"wamid.{number}"}],
            },
        )

    def do_GET(self) -> None:
        api = self.server.api
        info = re.fullmatch(rf"/{VERSION}/([0-9A-Za-z_.-]+)", self.path)
        content = re.fullmatch(r"/media/([0-9A-Za-z_.-]+)", self.path)
        if info is None and content is None:
            self._answer(404, _graph_error(100, "Unknown path"))
            return
        if not self._authorised():
            return
        media_id = (info or content).group(1)  # type: ignore[union-attr]  # one of them matched
        media = api.media.get(media_id)
        if media is None:
            self._answer(400, _graph_error(100, "Unsupported get request"))
            return
        if info is not None:
            self._answer(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"http://127.0.0.1:{api.port}/media/{media_id}",
                    "mime_type": media.mime_type,
                    "sha256": hashlib.sha256(media.content).hexdigest(),
                    "file_size": (
                        media.file_size if media.file_size is not None else len(media.content)
                    ),
                    "id": media_id,
                },
            )
            return
        with api.lock:
            api.downloads += 1
        self._answer(200, media.content, media.mime_type)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeCloudApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


class RunningFake:
    """The fake served from a thread until ``stop``."""

    def __init__(self, api: FakeCloudApi | None = None) -> None:
        self.api = api or FakeCloudApi()
        self._server = _Server(self.api)
        self.api.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- webhook deliveries ----------------------------------------------------------------------


def signed_delivery(payload: Any, app_secret: str = APP_SECRET) -> tuple[bytes, str]:
    """The body Meta posts and its ``X-Hub-Signature-256`` header."""
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, f"sha256={digest}"


def delivery(
    messages: Sequence[dict[str, Any]] = (),
    *,
    statuses: Sequence[dict[str, Any]] = (),
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """One webhook delivery holding ``messages`` (as ``message`` builds them) and ``statuses``."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100001708", "phone_number_id": phone_number_id},
    }
    # Tests put broken messages in too: the contacts list only the well-formed senders.
    senders = {
        m["from"] for m in messages if isinstance(m, dict) and isinstance(m.get("from"), str)
    }
    if senders:
        value["contacts"] = [{"profile": {"name": "Warga"}, "wa_id": s} for s in sorted(senders)]
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def message(
    sender: str,
    kind: str,
    part: dict[str, Any],
    *,
    message_id: str = "",
    timestamp: int = TIMESTAMP,
) -> dict[str, Any]:
    """One message of a delivery: ``sender`` the number's digits, ``part`` the object named by
    the message's type."""
    return {
        "from": sender,
        "id": message_id or f"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDN{next(_ids):08d}",
        "timestamp": str(timestamp),
        "type": kind,
        kind: part,
    }


def status_update(recipient: str, message_id: str, status: str = "delivered") -> dict[str, Any]:
    """What Meta sends when one of our messages is sent, delivered, read or failed."""
    return {
        "id": message_id,
        "status": status,
        "timestamp": str(TIMESTAMP),
        "recipient_id": recipient,
        "conversation": {"id": "c0ffee", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }


def text_message(sender: str, body: str, **kwargs: Any) -> dict[str, Any]:
    phone_number_id = kwargs.pop("phone_number_id", PHONE_NUMBER_ID)
    return delivery(
        [message(sender, "text", {"body": body}, **kwargs)], phone_number_id=phone_number_id
    )


def image_message(
    sender: str,
    media_id: str,
    *,
    caption: str = "",
    mime_type: str = "image/jpeg",
    **kwargs: Any,
) -> dict[str, Any]:
    part = {"mime_type": mime_type, "sha256": "aGFzaA==", "id": media_id}
    if caption:
        part["caption"] = caption
    return delivery([message(sender, "image", part, **kwargs)])


def location_message(
    sender: str,
    latitude: float,
    longitude: float,
    *,
    name: str = "",
    address: str = "",
    **kwargs: Any,
) -> dict[str, Any]:
    part: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        part["name"] = name
    if address:
        part["address"] = address
    return delivery([message(sender, "location", part, **kwargs)])


def messages_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of a delivery the builders made, to put into another one."""
    return list(payload["entry"][0]["changes"][0]["value"].get("messages", []))
