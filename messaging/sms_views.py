"""The SMS door (``/kanal/sms/``): Kannel's smsbox delivers every incoming SMS here, and the
conversation engine (``messaging.services.receive``) takes it. Replies never go back in the
HTTP answer: the engine queues them in the outbox, and ``messaging.kannel.KannelBackend``
sends them through sendsms.

The one ``sms-service`` this door reads (deploy/kannel/kannel.conf has it whole)::

    group = sms-service
    keyword = default
    catch-all = true
    post-url = "https://kannel:<LAPOR_SMS_SECRET>@<portal>/kanal/sms/?id=%I&time=%T"
    send-sender = true
    omit-empty = true
    max-messages = 0

- The text is the request body, exactly as the phone sent it (newlines and repeated spaces
  kept), in the charset of its ``Content-Type``: UTF-8 for GSM 7-bit text (or for UCS-2 text
  that smsbox's ``mo-recode`` turned into UTF-8), UTF-16BE for UCS-2 text. A concatenated
  message arrives whole: bearerbox joins its parts (``sms-combine-concatenated-mo``) first.
- The sender is ``X-Kannel-From`` (sent only with ``send-sender = true``); ``%I`` is Kannel's
  id of the message, the same on every retry, so that a delivery repeated is taken once; ``%T``
  the time it was received, in Unix seconds.
- The secret is the password of HTTP Basic authentication in the URL (any user name), not a
  query parameter: it stays out of the access logs of the proxies and of gunicorn, as the
  sender and the text do (header and body). smsbox sends it as written in the URL, without
  decoding percent escapes, so it must be made of letters, digits, ``-`` and ``_``.
- ``max-messages = 0`` and ``omit-empty = true``: smsbox never answers the phone itself, not
  even when it gives up on a delivery.

Answers, for smsbox only: 404 while the SMS channel is off or has no secret; 403 from an
address not in ``LAPOR_SMS_ALLOWED_IPS`` (addresses or networks, seen through
``lapor.client.client_ip``) or with a wrong secret; 405 for anything but POST; 400 for a
delivery that is not what the service above sends; 503 while the database is away; else 200
with an empty body. smsbox tries a failed delivery again (``http-request-retry``) with the
same id. Nothing logged here holds a number or a text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import hmac
import ipaddress
import logging
import re
from urllib.parse import parse_qs

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from complaints.models import Channel
from lapor.client import client_ip
from messaging import backends, services
from messaging.types import DATABASE_AWAY, RETRY_AFTER_SECONDS, Incoming

logger = logging.getLogger(__name__)

# A concatenated SMS has at most 255 parts of 140 octets.
MAX_BODY_BYTES = 64 * 1024
_MESSAGE_ID = re.compile(r"[0-9A-Za-z._:-]{1,128}")
_SENDER = re.compile(r"[+0-9A-Za-z._ -]{1,32}")
_SECONDS = re.compile(r"[0-9]{1,12}")


class BadDelivery(Exception):
    """A delivery that is not what the documented sms-service sends (the reason, with no
    number or text in it)."""


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(f"{text}\n", content_type="text/plain; charset=utf-8", status=status)


@csrf_exempt
def receive(request: HttpRequest) -> HttpResponse:
    """Take one SMS delivered by smsbox (see the module's docstring)."""
    if not backends.is_on(Channel.SMS) or not settings.LAPOR_SMS_SECRET:
        raise Http404("the SMS channel is off")
    if not allowed_address(client_ip(request)):
        logger.warning("SMS delivery refused: address not in LAPOR_SMS_ALLOWED_IPS")
        return _plain(403, "address not allowed")
    if not secret_matches(request.headers.get("Authorization", "")):
        logger.warning("SMS delivery refused: missing or wrong secret")
        return _plain(403, "wrong secret")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        incoming = read_delivery(request)
    except BadDelivery as exc:
        logger.warning("SMS delivery refused: %s", exc)
        return _plain(400, str(exc))
    try:
        received = services.receive(incoming, now=timezone.now())
    except DATABASE_AWAY as exc:
        # Nothing was taken; smsbox delivers it again with the same id.
        logger.warning("SMS %s not taken, database unavailable: %s", incoming.message_id,
                       type(exc).__name__)  # fmt: skip
        response = _plain(503, "database unavailable, deliver again later")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    logger.info("SMS %s taken: %s", incoming.message_id, received.outcome)
    return HttpResponse(b"", content_type="text/plain")


def allowed_address(address: str | None) -> bool:
    """Whether ``address`` is one of ``LAPOR_SMS_ALLOWED_IPS`` or in one of its networks."""
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for entry in settings.LAPOR_SMS_ALLOWED_IPS:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            logger.error("LAPOR_SMS_ALLOWED_IPS holds %r, neither an address nor a network", entry)
            continue
        if ip.version == network.version and ip in network:
            return True
    return False


def secret_matches(authorization: str) -> bool:
    """Whether the password of ``Authorization: Basic …`` is ``LAPOR_SMS_SECRET`` (compared in
    constant time; the user name is not looked at)."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _user, colon, password = decoded.partition(":")
    expected = settings.LAPOR_SMS_SECRET.encode()
    return bool(colon) and hmac.compare_digest(password.encode(), expected)


def read_delivery(request: HttpRequest) -> Incoming:
    """The SMS in smsbox's POST: the body decoded in its charset, the sender from
    ``X-Kannel-From``, the id and the time from the query string (read here as ASCII: Django
    would decode it in the body's charset, UTF-16BE for a UCS-2 message).

    :raises BadDelivery: a field missing or malformed, a body too large or not text.
    """
    query = parse_qs(request.META.get("QUERY_STRING", ""), encoding="ascii", errors="replace")
    message_id = _one(query, "id")
    if not _MESSAGE_ID.fullmatch(message_id):
        raise BadDelivery("missing or malformed message id (id=%I)")
    sender = request.headers.get("X-Kannel-From", "").strip()
    if not _SENDER.fullmatch(sender):
        raise BadDelivery("missing or malformed sender (X-Kannel-From: send-sender = true)")
    sent_at = None
    seconds = _one(query, "time")
    if seconds:
        if not _SECONDS.fullmatch(seconds):
            raise BadDelivery("malformed time (time=%T: Unix seconds)")
        if int(seconds) > 0:  # 0: the SMSC gave no time
            sent_at = dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC)
    return Incoming(
        channel=Channel.SMS,
        sender=sender,
        text=_text(request),
        message_id=message_id,
        sent_at=sent_at,
    )


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name, [])
    if len(values) > 1:
        raise BadDelivery(f"{name} given more than once")
    return values[0].strip() if values else ""


def _text(request: HttpRequest) -> str:
    """The body as text: ``text/plain`` in its charset (UTF-8 when none is named), or 8-bit
    data (``application/octet-stream``) that is UTF-8; nothing else is a text message."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise BadDelivery("body too large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BadDelivery("body too large")
    content_type = request.content_type or ""
    if content_type == "text/plain":
        charset = (request.content_params or {}).get("charset") or "utf-8"
    elif content_type == "application/octet-stream" or (not content_type and not body):
        charset = "utf-8"
    else:
        raise BadDelivery("the body is not text/plain")
    try:
        codecs.lookup(charset)
    except LookupError:
        raise BadDelivery("unknown charset in Content-Type") from None
    try:
        text = body.decode(charset)
    except UnicodeDecodeError:
        raise BadDelivery("the body is not text in the charset of its Content-Type") from None
    if "\x00" in text:
        raise BadDelivery("the text holds a NUL character")
    return text
