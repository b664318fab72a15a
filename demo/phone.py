"""A phone in the browser, for ``make run``: try the SMS and WhatsApp channels without a
handset, Kannel or the Cloud API.

The page (``/demo/ponsel/``, only while ``LAPOR_DEMO_PHONE`` is on) sends what is typed to the
conversation engine (``messaging.services.receive``) as an SMS or a WhatsApp message from the
number in its field, just as the SMS door does for Kannel and the WhatsApp door for Meta. The
portal's replies leave through the outbox, in the Celery worker, by ``DemoPhoneBackend``
(``LAPOR_SMS_BACKEND=demo.phone.DemoPhoneBackend``) or ``DemoWhatsAppBackend``
(``LAPOR_WHATSAPP_BACKEND``), which write them to a file per number that the page reads: on the embedded default the worker
and the web server share nothing else that both can write without a broker or a database
table of their own.

One JSON line per message in ``<LAPOR_VAR_DIR>/demo-phone/<digits of the number>.jsonl``:
``{"at": ISO time, "to": …, "from": …, "text": …, "channel": "SMS" or "WHATSAPP"}``; "LAPOR"
stands for the portal's side.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from complaints.models import Channel
from messaging import services
from messaging.models import InboundMessage
from messaging.types import Backend, Incoming, MediaRef, SendRefused

PORTAL = "LAPOR"
DEFAULT_NUMBER = "0812 0000 1708"
SESSION_KEY = "demo_phone_number"
CHANNEL_KEY = "demo_phone_channel"
# The longest message the page takes: some ten concatenated SMS.
MAX_TEXT_LENGTH = 1600
# The thread shows this many of the newest messages.
MAX_SHOWN = 200
# While the newest message is the citizen's and younger than this, a reply is awaited and the
# page reloads itself; not all the time, since a reload would wipe a message being typed.
AWAIT_REPLY = dt.timedelta(minutes=2)
RELOAD_SECONDS = 5
OVER_LIMIT = gettext_noop(
    "The portal takes no more messages from this number for now (LAPOR_PHONE_SENDER_RATE): "
    "no reply will come. Try another number."
)


def thread_folder() -> Path:
    """Where the threads are kept: beside the portal's other runtime files (``var/``)."""
    return Path(settings.VAR_DIR) / "demo-phone"


def thread_path(number: str) -> Path:
    """The file of one number's thread, named by its digits (``+6281200001708`` →
    ``6281200001708.jsonl``).

    :raises ValueError: a number without digits.
    """
    digits = re.sub(r"\D", "", number)
    if not digits:
        raise ValueError("a phone number without digits")
    return thread_folder() / f"{digits}.jsonl"


def append_line(
    number: str,
    *,
    at: dt.datetime,
    sender: str,
    to: str,
    text: str,
    channel: str = Channel.SMS,
) -> None:
    """Add one message to ``number``'s thread. One ``write`` on a file opened for appending, so
    that the worker's lines and the web server's never interleave."""
    path = thread_path(number)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "at": timezone.localtime(at).isoformat(),
            "to": to,
            "from": sender,
            "text": text,
            "channel": str(channel),
        },
        ensure_ascii=False,
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)


class DemoPhoneBackend(Backend):
    """The SMS gateway of the demo: what the portal sends to a number is written to the
    number's thread (see the module's docstring), where the page shows it."""

    channel: str = Channel.SMS

    def send(self, to: str, text: str, *, window_open: bool = True) -> None:
        try:
            append_line(
                to, at=timezone.now(), sender=PORTAL, to=to, text=text, channel=self.channel
            )
        except ValueError:
            raise SendRefused("not a phone number") from None

    def download(self, media: MediaRef, *, timeout: float | None = None) -> tuple[bytes, str]:
        raise SendRefused("the demo phone sends no pictures")


class DemoWhatsAppBackend(DemoPhoneBackend):
    """The WhatsApp gateway of the demo: the same thread, marked WhatsApp."""

    channel = Channel.WHATSAPP


@dataclass(frozen=True)
class Line:
    """One message of a thread."""

    at: dt.datetime
    sender: str
    text: str
    channel: str = Channel.SMS

    @property
    def channel_label(self) -> str:
        return "WhatsApp" if self.channel == Channel.WHATSAPP else "SMS"

    @property
    def from_portal(self) -> bool:
        return self.sender == PORTAL


def read_thread(number: str) -> list[Line]:
    """The newest ``MAX_SHOWN`` messages of ``number``'s thread, oldest first. Ordered by time,
    not by place in the file: the worker may write a reply before the page notes the message
    it answers. A line that cannot be read is left out."""
    try:
        raw = thread_path(number).read_text(encoding="utf-8")
    except (FileNotFoundError, ValueError):
        return []
    lines = []
    for row in raw.splitlines():
        try:
            item = json.loads(row)
            at = dt.datetime.fromisoformat(str(item["at"]))
            line = Line(
                at=at,
                sender=str(item["from"]),
                text=str(item["text"]),
                channel=str(item.get("channel", Channel.SMS)),
            )
        except (ValueError, TypeError, KeyError):
            continue
        if timezone.is_aware(at):
            lines.append(line)
    lines.sort(key=lambda line: line.at)
    return lines[-MAX_SHOWN:]


class PhoneForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Send as"),
        choices=[(Channel.SMS.value, "SMS"), (Channel.WHATSAPP.value, "WhatsApp")],
        initial=Channel.SMS.value,
        widget=forms.RadioSelect,
        required=False,
    )
    number = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=gettext_lazy("The message comes from this number; replies go to it."),
        error_messages={"required": gettext_lazy("Write the number the message comes from.")},
    )
    text = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Write a message before sending it."),
            "max_length": gettext_lazy(
                "A message may have at most %(limit_value)s characters; this one has "
                "%(show_value)s."
            ),
        },
    )

    def clean_number(self) -> str:
        number = str(self.cleaned_data["number"])
        if services.phone_number(number) is None:
            raise forms.ValidationError(
                gettext_lazy(
                    "This is not an Indonesian phone number. Write it like 0812 0000 1708 or "
                    "+62 812 0000 1708."
                ),
                code="not_indonesian",
            )
        return number


def phone(request: HttpRequest) -> HttpResponse:
    """The demo phone: GET shows the thread of the number kept in the session; POST sends a
    message from the number in the form, then shows the thread again (POST/redirect/GET).
    404 unless ``LAPOR_DEMO_PHONE`` is on."""
    if not settings.LAPOR_DEMO_PHONE:
        raise Http404("the demo phone is off")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    number = str(request.session.get(SESSION_KEY, DEFAULT_NUMBER))
    channel = str(request.session.get(CHANNEL_KEY, Channel.SMS.value))
    if request.method == "POST":
        form = PhoneForm(request.POST)
        if form.is_valid():
            number = form.cleaned_data["number"]
            channel = form.cleaned_data["channel"] or Channel.SMS.value
            request.session[SESSION_KEY] = number
            request.session[CHANNEL_KEY] = channel
            outcome = send_from_phone(
                number, form.cleaned_data["text"], now=timezone.now(), channel=channel
            )
            if outcome == InboundMessage.Outcome.RATE_LIMITED:
                messages.warning(request, _(OVER_LIMIT))
            return redirect("demo-phone")
        return _page(request, form, number, watch=False, status=400)
    form = PhoneForm(initial={"number": number, "channel": channel})
    return _page(request, form, number, watch=request.GET.get("tunggu") == "1")


def send_from_phone(number: str, text: str, *, now: dt.datetime, channel: str = Channel.SMS) -> str:
    """What the SMS (or WhatsApp) door does with a message from ``number``, then the message
    noted in the thread (only once taken: a database away leaves nothing behind). The outcome
    (``InboundMessage.Outcome``)."""
    e164 = services.phone_number(number) or number
    incoming = Incoming(
        channel=channel,
        sender=e164,
        text=text,
        message_id=f"demo-phone-{uuid.uuid4().hex}",
        sent_at=now,
    )
    received = services.receive(incoming, now=now)
    append_line(e164, at=now, sender=e164, to=PORTAL, text=text, channel=channel)
    return received.outcome


def _page(
    request: HttpRequest, form: PhoneForm, number: str, *, watch: bool, status: int = 200
) -> HttpResponse:
    e164 = services.phone_number(number) or number
    lines = read_thread(e164)
    awaiting = (
        bool(lines) and not lines[-1].from_portal and timezone.now() - lines[-1].at < AWAIT_REPLY
    )
    reload = status == 200 and (watch or awaiting)
    context = {
        "form": form,
        "number": e164,
        "lines": lines,
        "reload_seconds": RELOAD_SECONDS if reload else None,
        "awaiting": awaiting,
        "watch": watch,
        "backend_note": _backend_note(),
    }
    return render(request, "demo/phone.html", context, status=status)


def _backend_note() -> str:
    """Why replies would not reach this page, when the SMS gateway is not this one."""
    backend = settings.LAPOR_SMS_BACKEND
    if backend == f"{__name__}.{DemoPhoneBackend.__name__}":
        return ""
    if not backend:
        return _(
            "The SMS channel is off (LAPOR_SMS_BACKEND is empty): messages are taken, but no "
            "reply is sent. Set LAPOR_SMS_BACKEND=demo.phone.DemoPhoneBackend to see them here."
        )
    return _(
        "Replies go out through %(backend)s, not to this page. Set "
        "LAPOR_SMS_BACKEND=demo.phone.DemoPhoneBackend to see them here."
    ) % {"backend": backend}
