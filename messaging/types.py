"""What the SMS and WhatsApp doors hand to the conversation engine (``messaging.services``), and
what a gateway raises when it cannot send."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError

# The database cannot be reached: a door answers 503 with Retry-After, and the gateway delivers
# the message again (the same id: it is taken once).
DATABASE_AWAY = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class MediaRef:
    """An image the citizen sent, still at the gateway: WhatsApp's media id and its type. It is
    fetched (``Backend.download``) only when the report is filed."""

    media_id: str
    mime_type: str = ""


@dataclass(frozen=True)
class Incoming:
    """One message from a citizen's phone, as its door read it.

    ``sender`` is the number as the gateway gave it (``+62812…``, ``62812…``, ``0812…``);
    ``message_id`` the gateway's own id, so that a delivery repeated is taken once ("" when the
    gateway gives none); ``sent_at`` the time the phone sent it, when the gateway says.
    """

    channel: str
    sender: str
    text: str
    message_id: str = ""
    media: tuple[MediaRef, ...] = field(default=())
    location: tuple[float, float] | None = None
    sent_at: dt.datetime | None = None


class SendFailed(OSError):
    """The gateway could not take the message now (unreachable, busy, a server error): the
    outbox tries again later."""


class SendRefused(Exception):
    """The gateway refused the message for good (a bad number, a bad request): not retried."""


class Backend:
    """A way to send text to a phone. ``window_open`` (WhatsApp) says whether the citizen wrote
    within the last 24 hours; outside it, only a template message may be sent."""

    def send(self, to: str, text: str, *, window_open: bool = True) -> None:
        raise NotImplementedError

    def download(self, media: MediaRef, *, timeout: float | None = None) -> tuple[bytes, str]:
        """The bytes and the content type of an image the citizen sent, within ``timeout``
        seconds when given."""
        raise NotImplementedError
