"""The listener a mail server delivers to: SMTP (or LMTP, for Postfix's lmtp transport) on
``LAPOR_SMTP_HOST``:``LAPOR_SMTP_PORT``, built on aiosmtpd. It takes mail only for the
portal's address and its reply addresses, refuses a message over ``LAPOR_INBOUND_MAX_BYTES``
before reading it (the SIZE extension), and hands each message to
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


class _Controller(Controller):
    def __init__(self, handler: Handler, *, lmtp: bool, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)


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
