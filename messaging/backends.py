"""The gateways that send text to phones, chosen by settings as Django chooses its e-mail
backend: ``LAPOR_SMS_BACKEND`` and ``LAPOR_WHATSAPP_BACKEND`` (dotted paths; "" leaves the
channel off). ``LocmemBackend`` keeps what it sends in ``sent``, for tests."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from complaints.models import Channel
from messaging.types import Backend, MediaRef, SendRefused

SETTING: dict[str, str] = {
    Channel.SMS: "LAPOR_SMS_BACKEND",
    Channel.WHATSAPP: "LAPOR_WHATSAPP_BACKEND",
}


def is_on(channel: str) -> bool:
    return bool(getattr(settings, SETTING.get(channel, ""), ""))


def backend_for(channel: str) -> Backend:
    path = getattr(settings, SETTING[channel], "")
    if not path:
        raise SendRefused(f"the {channel} channel is off")
    backend: Backend = import_string(path)()
    return backend


class Sent:
    def __init__(self, channel: str, to: str, text: str, window_open: bool) -> None:
        self.channel = channel
        self.to = to
        self.text = text
        self.window_open = window_open

    def __repr__(self) -> str:
        return f"Sent({self.channel}, {self.to}, {self.text!r})"


class LocmemBackend(Backend):
    """Sends nothing: appends to ``sent`` (cleared by the tests' fixture). ``media`` maps media
    ids to (bytes, content type) for ``download``."""

    channel = Channel.SMS
    sent: list[Sent] = []
    media: dict[str, tuple[bytes, str]] = {}

    def send(self, to: str, text: str, *, window_open: bool = True) -> None:
        LocmemBackend.sent.append(Sent(self.channel, to, text, window_open))

    def download(self, media: MediaRef, *, timeout: float | None = None) -> tuple[bytes, str]:
        try:
            return LocmemBackend.media[media.media_id]
        except KeyError:
            raise SendRefused(f"no media {media.media_id}") from None


class LocmemWhatsAppBackend(LocmemBackend):
    channel = Channel.WHATSAPP
