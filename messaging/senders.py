"""What delivering a text message to a phone does (``complaints.outbox``): the conversation's
replies (``PHONE_REPLY``), the receipt (``PHONE_RECEIPT``) and the updates (``PHONE_UPDATE``)
of a reporter told by phone (``complaints.notifications.reporter_channel``). Each goes through
the channel's gateway (``messaging.backends``); nothing to a number that sent BERHENTI (but
the message saying it is stopped), nothing once the channel is off. A gateway that cannot
take it now raises ``SendFailed`` (an ``OSError``): the outbox tries again later.

SMS are cut to ``LAPOR_SMS_MAX_LENGTH`` characters (201 when the text needs UCS-2), with a
link to the rest; WhatsApp messages
to 4,096. On WhatsApp, a message to a number that last wrote more than 24 hours ago goes as
the approved template (``window_open=False``)."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from complaints import outbox
from complaints.emails import private_link_path, response_of
from complaints.models import Channel, Complaint, ComplaintEvent, Message, Reporter
from lapor.lib.ratelimit import hit, parse_rate
from messaging.backends import backend_for, is_on
from messaging.kannel import needs_ucs2, plain_text
from messaging.models import Conversation

logger = logging.getLogger(__name__)

WHATSAPP_MAX_LENGTH = 4096
# Three concatenated SMS in UCS-2 (67 characters each), for a text the GSM alphabet cannot carry.
SMS_UCS2_MAX_LENGTH = 201
WINDOW = dt.timedelta(hours=24)


def register() -> None:
    outbox.register(Message.Kind.PHONE_REPLY, phone_reply)
    outbox.register(Message.Kind.PHONE_RECEIPT, phone_receipt)
    outbox.register(Message.Kind.PHONE_UPDATE, phone_update)


def phone_reply(message: Message, now: dt.datetime) -> bool:
    """A reply of the conversation engine, to the number sealed with it."""
    sealed = outbox.sealed_secret(message)
    if sealed is None:
        return False
    payload = json.loads(sealed)
    return _send(
        str(message.data.get("channel")),
        str(payload["to"]),
        str(payload["text"]),
        now=now,
        final=bool(message.data.get("final")),
    )


def phone_receipt(message: Message, now: dt.datetime) -> bool:
    """The receipt: the tracking number, how to follow it, and the private link while the row
    keeps its sealed key and the key still opens the report. ``renewed``: a new private link
    the reporter asked for (``complaints.services.resend_private_link``), sent only while it
    works."""
    complaint, phone = _complaint_and_phone(message)
    if complaint is None or not phone:
        return False
    access_key = outbox.sealed_secret(message)
    if access_key and not complaint.access_key_matches(access_key):
        access_key = None
    number = complaint.tracking_number
    if message.data.get("renewed"):
        if not access_key:
            return False
        text = (
            f"LAPOR: tautan pribadi baru untuk laporan {number} (tautan lama tidak berlaku "
            "lagi; bila bukan Anda yang memintanya, abaikan pesan ini): "
        )
    else:
        text = (
            f"LAPOR: laporan Anda diterima dengan nomor {number}. Simpan nomor ini. Cek "
            f"status: kirim CEK {number}. Tambah keterangan: kirim {number} <pesan>."
        )
        if access_key:
            text += " Tautan pribadi (jangan dibagikan): "
    if access_key:
        text += settings.LAPOR_BASE_URL + private_link_path(complaint, access_key)
    return _send(str(message.data.get("channel")), phone, text, now=now, notice=True)


def phone_update(message: Message, now: dt.datetime) -> bool:
    """What just happened to the report: the answer itself (cut, with a link to the rest),
    or the step in words."""
    complaint, phone = _complaint_and_phone(message)
    event = message.event
    if complaint is None or not phone or event is None:
        return False
    channel = str(message.data.get("channel"))
    number = complaint.tracking_number
    track = settings.LAPOR_BASE_URL + reverse(
        "complaints:public", kwargs={"tracking_number": number}
    )
    with translation.override("id"):
        response = response_of(event)
        if response is not None:
            head = f"LAPOR {number}: {response.agency.name} menjawab: "
            tail = (
                f" Balas dengan {number} <pesan> untuk membalas jawaban ini."
                if event.type == ComplaintEvent.Type.RESPONDED
                else ""
            )
            body = response.text
        else:
            head = f"LAPOR {number}: {event.label}."
            reason = str(event.data.get("reason", "") or "")
            body = f" Alasan: {reason}" if reason else ""
            tail = ""
    text = fit(head, body, tail, link=track, limit=_limit(channel, head + body + tail))
    return _send(channel, phone, text, now=now, notice=True)


def fit(head: str, body: str, tail: str, *, link: str, limit: int) -> str:
    """``head + body + tail`` when it fits in ``limit``; else the body cut at a word, with
    the link where the rest can be read."""
    whole = f"{head}{body}{tail}"
    if len(whole) <= limit:
        return whole
    more = f"… Selengkapnya: {link}"
    room = max(0, limit - len(head) - len(more) - len(tail))
    cut = body[:room]
    if len(body) > room and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return f"{head}{cut.rstrip()}{more}{tail}"[:limit]


def _limit(channel: str, text: str) -> int:
    """How long a message may be: an SMS is shorter when it must go as UCS-2."""
    if channel == Channel.WHATSAPP:
        return WHATSAPP_MAX_LENGTH
    limit: int = settings.LAPOR_SMS_MAX_LENGTH
    return min(limit, SMS_UCS2_MAX_LENGTH) if needs_ucs2(plain_text(text)) else limit


def _complaint_and_phone(message: Message) -> tuple[Complaint | None, str]:
    if message.complaint_id is None:
        return None, ""
    complaint = Complaint.objects.filter(pk=message.complaint_id).first()
    if complaint is None:
        return None, ""
    phone = Reporter.objects.filter(complaint=complaint).values_list("phone", flat=True).first()
    return complaint, phone or ""


def _send(
    channel: str,
    to: str,
    text: str,
    *,
    now: dt.datetime,
    final: bool = False,
    notice: bool = False,
) -> bool:
    """Send ``text`` to ``to``, unless the number stopped (on any channel: the stop is the
    number's), but for the message saying so (``final``). A receipt or an update
    (``notice``), which the number did not ask for by writing, goes only while the number has
    had fewer than ``LAPOR_PHONE_NOTICE_RATE`` of them: a number typed into someone else's
    report cannot be flooded."""
    if channel not in (Channel.SMS, Channel.WHATSAPP) or not is_on(channel):
        return False
    conversation = Conversation.objects.filter(channel=channel, sender=to).first()
    stopped = Conversation.objects.filter(sender=to, stopped_at__isnull=False).exists()
    if stopped and not final:
        return False
    if notice and (
        hit(
            "phone-notice",
            to,
            parse_rate(settings.LAPOR_PHONE_NOTICE_RATE),
            redis_url=getattr(settings, "REDIS_URL", "") or "",
            now=now.timestamp(),
        )
        is not None
    ):
        logger.warning("a %s notice was not sent: the number had its day's share", channel)
        return False
    window_open = (
        conversation is not None
        and conversation.last_inbound_at is not None
        and now - conversation.last_inbound_at < WINDOW
    )
    if channel == Channel.SMS:
        text = text[: _limit(channel, text)]
        window_open = True
    backend_for(channel).send(to, text[:WHATSAPP_MAX_LENGTH], window_open=window_open)
    return True
