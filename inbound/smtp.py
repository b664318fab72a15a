"""The listener a mail server delivers to: SMTP (or LMTP, for Postfix's lmtp transport) on
``LAPOR_SMTP_HOST``:``LAPOR_SMTP_PORT``, built on aiosmtpd. It takes mail only for the
portal's address and its reply addresses, refuses a message over ``LAPOR_INBOUND_MAX_BYTES``
before reading it (the SIZE extension; counted like every refusal), and hands each message to
``inbound.services.receive_mail`` in a worker thread (the database is synchronous)."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from inbound import services

logger = logging.getLogger(__name__)

# aiosmtpd logs every command line with its sender and recipients at INFO, and the message's
# lines at DEBUG: citizens' addresses, their texts and reply addresses (each a report's secret).
# Only its warnings and errors reach the log, whatever the level of the others.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# Recipients of one message: RFC 5321 asks a server to take at least 100; more are answered
# "try the rest later", so that a client cannot grow one envelope without end.
MAX_RECIPIENTS = 100
TOO_MANY_RECIPIENTS = "452 4.5.3 Terlalu banyak penerima. / Too many recipients."


def _receive(raw: bytes, sender: str, recipients: list[str]) -> services.Received:
    close_old_connections()
    try:
        return services.receive_mail(
            raw=raw, envelope_sender=sender, recipients=recipients, now=timezone.now()
        )
    finally:
        close_old_connections()


class Handler:
    """aiosmtpd's hooks: which recipients, and what to do with a message."""

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        if not services.takes_recipient(address):
            return services.NO_SUCH_ADDRESS
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # aiosmtpd keeps bytes unless told to decode
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            received = await sync_to_async(_receive, thread_sensitive=False)(
                raw, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except Exception:
            # The door's own boundary: the database is down, a bug. The sending server keeps
            # the message and tries again later; nothing is lost.
            logger.exception("inbound mail could not be handled; the sender will retry")
            return services.TRY_LATER
        if isinstance(server, LMTP):
            # LMTP answers once per recipient.
            return "\r\n".join([received.reply] * max(1, len(envelope.rcpt_tos)))
        return received.reply


# What aiosmtpd answers, before any hook of ours, to a message over ``data_size_limit``: declared
# too large (MAIL FROM's SIZE) or found so while reading its DATA.
_AIOSMTPD_TOO_LARGE = (
    "552 Error: message size exceeds fixed maximum",
    "552 Error: Too much mail data",
)


def _refused_too_large() -> None:
    close_old_connections()
    try:
        services.refuse_too_large(now=timezone.now())
    finally:
        close_old_connections()


async def _counted_too_large(status: object) -> bool:
    """Whether ``status`` is aiosmtpd's own refusal of a message too large; if so, it is
    counted (the door then says why in Indonesian and English, like every refusal)."""
    if not isinstance(status, str) or not status.startswith(_AIOSMTPD_TOO_LARGE):
        return False
    try:
        await sync_to_async(_refused_too_large, thread_sensitive=False)()
    except Exception:  # counting it must not keep the refusal from the sender
        logger.exception("a message refused for its size could not be counted")
    return True


class _SMTP(SMTP):
    async def push(self, status: Any) -> None:
        if await _counted_too_large(status):
            status = services.TOO_LARGE
        await super().push(status)


class _LMTP(LMTP):
    async def push(self, status: Any) -> None:
        if await _counted_too_large(status):
            status = services.TOO_LARGE
        await super().push(status)


class _Controller(Controller):
    def __init__(self, handler: Handler, *, lmtp: bool, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return (_LMTP if self.lmtp else _SMTP)(self.handler, **self.SMTP_kwargs)


def listener(*, host: str, port: int, lmtp: bool = False) -> Controller:
    """A listener on ``host``:``port``, not started (``start()`` runs it in a thread)."""
    return _Controller(
        Handler(),
        lmtp=lmtp,
        hostname=host,
        port=port,
        ready_timeout=10.0,
        server_hostname=settings.LAPOR_INBOUND_ADDRESS.rpartition("@")[2] or "lapor",
        ident="lapor",
        data_size_limit=settings.LAPOR_INBOUND_MAX_BYTES,
        decode_data=False,
    )
