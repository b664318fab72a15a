"""SMS through Kannel: sending text with smsbox's sendsms interface (``KannelBackend``), and the
GSM 03.38 alphabet that decides how a text is coded.

A text made only of GSM 03.38 characters goes as 7-bit text (160 characters in one SMS, 153 per
part of a concatenated one); any other character (an emoji, a ``ç``) makes the whole message
UCS-2 (70 characters, 67 per part), which costs more than twice as many parts. Typographic
punctuation that a word processor puts in an officer's answer (curly quotes, dashes, the
ellipsis, non-breaking spaces) is therefore written in its plain form first, so that it alone
does not turn an answer into UCS-2.

How long a message may be is the sender's business (``messaging.senders`` cuts it to
``LAPOR_SMS_MAX_LENGTH``): Kannel's ``sendsms-user`` splits it into concatenated parts and cuts
what does not fit in its ``max-messages`` (deploy/kannel/kannel.conf). ``parts_needed`` says
how many parts a text takes.

Nothing here logs or raises with a phone number or a message's text in it: errors name only
HTTP statuses and Kannel's own status line, because the outbox stores and logs them.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

from django.conf import settings

from messaging.types import Backend, MediaRef, SendFailed, SendRefused

logger = logging.getLogger(__name__)

TIMEOUT = 10

# GSM 03.38: the basic table (the escape to the extension table left out), then the extension
# table, whose characters take two septets each.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

# Quotation marks, primes, dashes, the bullet and the ellipsis; spaces that are not GSM's.
_PLAIN_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\u2022", "-"),
        "\u2026": "...",
        **dict.fromkeys("\u00a0\u2009\u202f\t", " "),
    }
)

# Septets of one SMS, and of each part of a concatenated one (the rest holds the UDH);
# UCS-2 counts UTF-16 code units.
_GSM_SINGLE, _GSM_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67

# Kannel's sendsms answers 202 with "0: Accepted for delivery" or "3: Queued for later
# delivery"; the longest status line kept in an error.
_STATUS_LINE_LENGTH = 120


def plain_text(text: str) -> str:
    """``text`` with typographic punctuation in its plain GSM form (see the module's
    docstring)."""
    return text.translate(_PLAIN_PUNCTUATION)


def needs_ucs2(text: str) -> bool:
    """Whether ``text`` has a character outside the GSM 03.38 alphabet."""
    return any(ch not in GSM_BASIC and ch not in GSM_EXTENSION for ch in text)


def parts_needed(text: str) -> int:
    """How many SMS ``text`` takes as ``KannelBackend`` sends it (after ``plain_text``)."""
    text = plain_text(text)
    if needs_ucs2(text):
        units = len(text.encode("utf-16-be")) // 2
        single, part = _UCS2_SINGLE, _UCS2_PART
    else:
        units = sum(2 if ch in GSM_EXTENSION else 1 for ch in text)
        single, part = _GSM_SINGLE, _GSM_PART
    if units <= single:
        return 1
    return -(-units // part)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect from sendsms is a configuration error; following it would carry the
    credentials and the message in the query string to wherever it points."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # Kannel runs beside the portal: no proxy from the environment, only HTTP(S).
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _NoRedirect(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class KannelBackend(Backend):
    """Sends text through Kannel's sendsms interface (``LAPOR_KANNEL_SENDSMS_URL``), as the
    sendsms-user ``LAPOR_KANNEL_USERNAME``, from ``LAPOR_SMS_FROM`` when set (else the
    sendsms-user's ``default-sender``).

    The text goes as UTF-8 (``charset=UTF-8``); Kannel writes it in GSM 7-bit, or in UCS-2
    (``coding=2``) when it holds a character outside GSM 03.38. A refusal (4xx: bad number,
    wrong credentials) raises ``SendRefused``; no answer, a timeout or a 5xx raises
    ``SendFailed``, and the outbox tries again.
    """

    def send(self, to: str, text: str, *, window_open: bool = True) -> None:
        url = settings.LAPOR_KANNEL_SENDSMS_URL
        if not url:
            raise SendRefused("LAPOR_KANNEL_SENDSMS_URL is not set")
        if not to.strip():
            raise SendRefused("no number to send to")
        text = plain_text(text)
        params = {
            "username": settings.LAPOR_KANNEL_USERNAME,
            "password": settings.LAPOR_KANNEL_PASSWORD,
            "to": to.strip(),
            "text": text,
            "charset": "UTF-8",
        }
        if settings.LAPOR_SMS_FROM:
            params["from"] = settings.LAPOR_SMS_FROM
        if needs_ucs2(text):
            params["coding"] = "2"
        separator = "&" if "?" in url else "?"
        address = url + separator + urlencode(params)
        request = urllib.request.Request(address, method="GET")  # noqa: S310  (http(s) only: _opener)
        try:
            with _opener().open(request, timeout=TIMEOUT) as response:
                status = response.status
                answer = response.read(_STATUS_LINE_LENGTH)
        except urllib.error.HTTPError as exc:
            try:
                line = _status_line(exc.read(_STATUS_LINE_LENGTH))
            except (OSError, http.client.HTTPException):
                line = ""
            finally:
                exc.close()
            if 400 <= exc.code < 500:
                raise SendRefused(f"Kannel refused the SMS: HTTP {exc.code} {line}") from None
            raise SendFailed(f"Kannel did not take the SMS: HTTP {exc.code} {line}") from None
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, bad TLS
            raise SendFailed(f"Kannel cannot be reached: {_cause(exc)}") from None
        logger.info(
            "SMS handed to Kannel: HTTP %s %s (%s)",
            status,
            _status_line(answer),
            "UCS-2" if "coding" in params else "GSM 7-bit",
        )

    def download(self, media: MediaRef, *, timeout: float | None = None) -> tuple[bytes, str]:
        raise SendRefused("SMS carries no media")


def _cause(exc: BaseException) -> str:
    """The kind of a connection's failure (the reason inside urllib's ``URLError``), never its
    message: that may hold the address, with the query."""
    reason = getattr(exc, "reason", None)
    return type(reason if isinstance(reason, BaseException) else exc).__name__


def _status_line(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip().splitlines()[0] if body.strip() else ""
