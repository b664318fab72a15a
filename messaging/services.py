"""The conversation engine of the SMS and WhatsApp doors: one message from a citizen's phone
(``Incoming``, read by ``messaging.sms_views`` or ``messaging.whatsapp_views``) and what it
does. Every reply goes through the outbox (``Message.Kind.PHONE_REPLY``, sent by
``messaging.senders``), never in the gateway's HTTP answer: it is written in the transaction
that takes the message, and sent once.

What a citizen can send (case, accents and most spelling slips aside; the replies say it too):

- ``LAPOR <kategori> <wilayah> <isi>``: a report in one message, the category's name or code,
  then the regency/city (or district), then what happened; ``#`` may separate the parts
  (``LAPOR#Kesehatan#Kota Samarinda#Puskesmas tutup…``). ``ASPIRASI`` and ``INFO`` instead of
  ``LAPOR`` file an aspiration or an information request; ``ANONIM`` and ``RAHASIA`` right
  after the keyword make it anonymous or confidential, as the web form's boxes do. What is
  missing or not understood is asked for.
- any other text: a guided conversation (``Conversation.step``) asks in turn for what the
  report still needs: what happened (short messages are joined), the kind, the category (a
  numbered list, in parts of one message each: ``0`` for the next), the regency/city, who may
  see it (open, confidential, anonymous, both) and, the first time a number files, consent to
  the privacy terms (``YA``). An answer the open question lists is taken as its answer before
  any command. ``BATAL`` cancels it; it is forgotten after ``LAPOR_CONVERSATION_MINUTES``.
- ``CEK <nomor>``, or the number alone: the status of a report (what its public tracking page
  shows).
- ``<nomor> <text>``: from the number that filed the report, added to it: a reply to the
  agency's answer when the report waits for the citizen (``services.reply_to_answer``), else
  more information for whoever holds it (``services.add_information``).
- ``BERHENTI`` (``STOP``, ``UNREG``; alone or with one more word): nothing more is sent to
  this number on any channel (one last message says so) until it writes again; ``MULAI`` says
  so. It is heard over the limit, and a message sent before it, delivered after, does not undo
  it. ``BANTUAN`` or ``?``: the commands.

On WhatsApp, photos (up to ``LAPOR_MAX_ATTACHMENTS``, fetched and cleaned when the report is
filed) and a shared location (kept as the report's point) join the conversation too.

The sender's number is the reporter's phone: shown to staff like a web reporter's phone, never
for an anonymous report. A delivery repeated (the same gateway id) is taken once; a message
older than one already taken, delivered late, does not answer the question asked since. Each
number, over both channels, may send ``LAPOR_PHONE_SENDER_RATE`` messages (more are dropped
unanswered: no loop with an automatic sender) and file ``LAPOR_PHONE_REPORT_RATE`` reports.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from lokal import parse_phone

from complaints import outbox
from complaints import selectors as complaint_selectors
from complaints import services as complaint_services
from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Complaint,
    Message,
    Reporter,
)
from lapor.lib import region_names
from lapor.lib.actions import ActionError
from lapor.lib.ratelimit import hit, parse_rate
from lapor.lib.text import has_forbidden_characters
from lapor.lib.tracking import normalize_tracking_number
from messaging.backends import backend_for
from messaging.models import Conversation, InboundMessage
from messaging.types import Incoming, MediaRef, SendFailed, SendRefused
from routing import selectors as routing_selectors
from routing.models import Category, Region

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome
Kind = Complaint.Kind

STOP_WORDS = {"berhenti", "stop", "unreg"}
START_WORDS = {"mulai", "start"}
HELP_WORDS = {"bantuan", "help", "menu", "?"}
CANCEL_WORDS = {"batal", "cancel"}
CHECK_WORDS = {"cek", "status", "check"}
YES_WORDS = {"ya", "y", "yes", "setuju", "ok", "oke"}
NO_WORDS = {"tidak", "t", "no", "n", "tdk"}
REPORT_WORDS = {
    "lapor": Kind.COMPLAINT,
    "aduan": Kind.COMPLAINT,
    "pengaduan": Kind.COMPLAINT,
    "aspirasi": Kind.ASPIRATION,
    "info": Kind.INFORMATION_REQUEST,
    "informasi": Kind.INFORMATION_REQUEST,
}
KIND_ANSWERS = {
    "1": Kind.COMPLAINT,
    "pengaduan": Kind.COMPLAINT,
    "aduan": Kind.COMPLAINT,
    "keluhan": Kind.COMPLAINT,
    "2": Kind.ASPIRATION,
    "aspirasi": Kind.ASPIRATION,
    "saran": Kind.ASPIRATION,
    "usul": Kind.ASPIRATION,
    "3": Kind.INFORMATION_REQUEST,
    "informasi": Kind.INFORMATION_REQUEST,
    "info": Kind.INFORMATION_REQUEST,
    "permintaan informasi": Kind.INFORMATION_REQUEST,
}
KIND_NAMES: dict[str, str] = {
    Kind.COMPLAINT: "pengaduan",
    Kind.ASPIRATION: "aspirasi",
    Kind.INFORMATION_REQUEST: "permintaan informasi",
}
# Who may see the report: (anonymous, confidential).
PRIVACY_ANSWERS = {
    "1": (False, False),
    "biasa": (False, False),
    "terbuka": (False, False),
    "2": (False, True),
    "rahasia": (False, True),
    "3": (True, False),
    "anonim": (True, False),
    "4": (True, True),
    "anonim rahasia": (True, True),
    "rahasia anonim": (True, True),
}
# Photos are fetched while the gateway waits for the door's answer: no longer than this in all.
MEDIA_SECONDS = 15.0
# A region name that fits several: this many are offered.
REGION_CHOICES = 5
# The list of categories is sent in parts that each fit one message (three SMS); "0" asks for
# the next part.
CATEGORY_QUESTION = "Kategori? Balas nomornya: "
CATEGORY_PAGE_LENGTH = 459 - len(CATEGORY_QUESTION) - len(". 0 untuk kategori lainnya.")
# The questions, in the order they are asked.
STEPS = ("description", "kind", "category", "region", "privacy", "consent")

HELP = (
    "LAPOR: kirim LAPOR <kategori> <kabupaten/kota> <isi laporan>, atau tulis saja masalahnya "
    "dan jawab pertanyaannya. CEK <nomor laporan>: status laporan. <nomor laporan> <pesan>: "
    "menambahkan pesan ke laporan Anda. BATAL: membatalkan laporan yang sedang ditulis. "
    "BERHENTI: tidak menerima pesan lagi."
)


@dataclass(frozen=True)
class Received:
    """What became of a message (``InboundMessage.Outcome``, or "duplicate" for a delivery
    taken before), and the report it filed or reached."""

    outcome: str
    complaint_id: int | None = None


def phone_number(raw: str) -> str | None:
    """The E.164 form of an Indonesian number as a gateway gives it (``+62812…``, ``62812…``,
    ``0812…``), or None."""
    text = raw.strip()
    if text.isdigit() and text.startswith("62"):
        text = "+" + text
    parsed = parse_phone(text)
    return parsed.e164 if parsed is not None else None


def receive(incoming: Incoming, *, now: dt.datetime) -> Received:
    """Take one message from a phone (see the module's docstring), in one transaction with
    every reply it queues.

    :raises django.db.DatabaseError: when the database cannot be reached (the door answers so
        that the gateway delivers it again; nothing was taken).
    """
    sender = phone_number(incoming.sender)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = InboundMessage.objects.create(
                    channel=incoming.channel,
                    message_id=incoming.message_id[:128],
                    received_at=now,
                    outcome=Outcome.REFUSED,
                )
        except IntegrityError:
            logger.info("%s message delivered again: not taken twice", incoming.channel)
            return Received("duplicate")
        if sender is None:
            # Not an Indonesian number: nothing can be filed under it, nothing is sent back.
            logger.info("%s message from a number that is not Indonesian", incoming.channel)
            return Received(Outcome.REFUSED)
        conversation = _conversation(incoming.channel, sender, now)
        turn = _Turn(conversation=conversation, row=row, incoming=incoming, now=now)
        outcome: str
        if not turn.is_stop() and _over_limit(
            "phone-in", sender, settings.LAPOR_PHONE_SENDER_RATE, now=now
        ):
            # A stop is always heard; anything else beyond the limit is dropped unanswered.
            outcome, complaint_id = Outcome.RATE_LIMITED, None
        else:
            outcome, complaint_id = turn.handle()
        row.outcome = outcome
        row.complaint_id = complaint_id
        row.save(update_fields=["outcome", "complaint"])
        if incoming.sent_at is not None and (
            conversation.last_sent_at is None or incoming.sent_at > conversation.last_sent_at
        ):
            conversation.last_sent_at = incoming.sent_at
        conversation.last_inbound_at = now
        conversation.save()
    logger.info("%s message: %s", incoming.channel, outcome)
    return Received(outcome, complaint_id)


def _conversation(channel: str, sender: str, now: dt.datetime) -> Conversation:
    """The number's conversation, locked for this message (two messages of one number are
    taken one after the other); an expired one's question and data forgotten."""
    Conversation.objects.get_or_create(channel=channel, sender=sender)
    conversation = Conversation.objects.select_for_update().get(channel=channel, sender=sender)
    if conversation.expires_at is not None and conversation.expires_at <= now:
        conversation.step, conversation.data, conversation.expires_at = "", {}, None
    return conversation


def _over_limit(scope: str, sender: str, rate: str, *, now: dt.datetime) -> bool:
    """Whether ``sender`` is past ``rate``, counted per number over every channel."""
    return (
        hit(
            scope,
            sender,
            parse_rate(rate),
            redis_url=getattr(settings, "REDIS_URL", "") or "",
            now=now.timestamp(),
        )
        is not None
    )


def _stopped_at(conversation: Conversation) -> dt.datetime | None:
    """When the number last sent a stop, on this channel or another (a stop is the number's)."""
    stops = [
        stop
        for stop in Conversation.objects.filter(sender=conversation.sender)
        .exclude(pk=conversation.pk)
        .values_list("stopped_at", flat=True)
        if stop is not None
    ]
    if conversation.stopped_at is not None:
        stops.append(conversation.stopped_at)
    return max(stops) if stops else None


def _tracking_number_in(word: str) -> str | None:
    """The tracking number a first word is: written in its groups, or with a digit in it (a
    word of twelve letters is a word: "Kemacetannya")."""
    if not (re.search(r"\d", word) or re.fullmatch(r"\w{4}-\w{4}-\w{4}", word)):
        return None
    return normalize_tracking_number(word)


def forget_expired(*, now: dt.datetime) -> int:
    """Forget what guided conversations left unfinished hold (beat): their question and data."""
    return Conversation.objects.filter(expires_at__lte=now).update(
        step="", data={}, expires_at=None
    )


@dataclass
class _Turn:
    """One message, taken: what it says and the replies it queues."""

    conversation: Conversation
    row: InboundMessage
    incoming: Incoming
    now: dt.datetime
    replies: int = 0
    words: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.incoming.text.strip()

    def say(self, text: str, *, final: bool = False) -> None:
        """Queue a reply to the sender (``final``: sent even to a number that just stopped)."""
        outbox.enqueue(
            Message.Kind.PHONE_REPLY,
            f"phone-reply:{self.row.pk}:{self.replies}",
            now=self.now,
            secret=json.dumps({"to": self.conversation.sender, "text": text}),
            data={"channel": self.incoming.channel, "final": final},
        )
        self.replies += 1

    def is_stop(self) -> bool:
        """A stop word, alone or with one more word ("BERHENTI", "UNREG LAPOR")."""
        words = self.text.split()
        return bool(words) and len(words) <= 2 and region_names.fold(words[0]) in STOP_WORDS

    def handle(self) -> tuple[str, int | None]:
        conversation = self.conversation
        self.words = self.text.split()
        first = region_names.fold(self.words[0]) if self.words else ""
        alone = len(self.words) == 1
        if has_forbidden_characters(self.text):
            # A NUL or a control character: no text may hold one (nothing could store it).
            self.say(
                "Pesan Anda berisi karakter yang tidak dapat dibaca. Kirim ulang sebagai teks "
                "biasa."
            )
            return Outcome.REFUSED, None
        if self.is_stop():
            conversation.stopped_at = self.now
            conversation.step, conversation.data, conversation.expires_at = "", {}, None
            self.say(
                "Anda tidak akan menerima pesan lagi dari LAPOR. Kirim MULAI untuk menerima "
                "kabar laporan Anda lagi.",
                final=True,
            )
            return Outcome.STOPPED, None
        stopped = _stopped_at(conversation)
        if stopped is not None:
            if self.incoming.sent_at is not None and self.incoming.sent_at < stopped:
                # Written before the stop, delivered after it: the stop holds, no answer.
                return Outcome.LATE, None
            # Writing again undoes the stop, on every channel of the number.
            conversation.stopped_at = None
            Conversation.objects.filter(sender=conversation.sender).exclude(
                pk=conversation.pk
            ).update(stopped_at=None)
            if first in START_WORDS and alone:
                self.say("Anda akan menerima kabar laporan Anda lagi. " + HELP)
                return Outcome.STARTED, None
        if (first in START_WORDS or first in HELP_WORDS or self.text == "?") and alone:
            self.say(HELP)
            return Outcome.HELP, None
        if first in CANCEL_WORDS and alone:
            had = bool(conversation.step)
            conversation.step, conversation.data, conversation.expires_at = "", {}, None
            self.say(
                "Laporan yang sedang Anda tulis dibatalkan."
                if had
                else "Tidak ada laporan yang sedang ditulis. " + HELP
            )
            return Outcome.CANCELLED, None
        late = (
            self.incoming.sent_at is not None
            and conversation.last_sent_at is not None
            and self.incoming.sent_at < conversation.last_sent_at
        )
        if conversation.step and not late and self.answers_the_question():
            # "informasi" answers "which kind?": it does not start a report of its own.
            return self.converse()
        if first in CHECK_WORDS:
            if alone:
                self.say("Kirim CEK dan nomor laporan Anda, misalnya CEK ABCD-EFGH-JKMN.")
                return Outcome.HELP, None
            return self.status(" ".join(self.words[1:]))
        number = _tracking_number_in(self.words[0]) if self.words else None
        if number is not None:
            if alone:
                return self.status(number)
            return self.add_to_report(number, self.text.split(None, 1)[1])
        keyword = region_names.fold(re.split(r"[#/:]", self.words[0])[0]) if self.words else ""
        if keyword in REPORT_WORDS and not self.incoming.location:
            return self.one_message(REPORT_WORDS[keyword])
        if conversation.step and late:
            # An answer to an earlier question, delivered after a later one was taken.
            return Outcome.LATE, None
        return self.converse()

    def answers_the_question(self) -> bool:
        """Whether the message is one of the answers the open question lists (a kind, a
        choice of who may see it, YA/TIDAK, a number of a list)."""
        folded = region_names.fold(self.text)
        step = self.conversation.step
        if step == "kind":
            return folded in KIND_ANSWERS
        if step == "privacy":
            return folded in PRIVACY_ANSWERS
        if step == "consent":
            return folded in YES_WORDS or folded in NO_WORDS
        return step in ("category", "region") and folded.isdigit()

    # -- status and replies --------------------------------------------------------------

    def status(self, typed: str) -> tuple[str, int | None]:
        number = normalize_tracking_number(typed)
        complaint = Complaint.objects.filter(tracking_number=number).first() if number else None
        if complaint is None:
            self.say(
                f"Nomor laporan {typed[:20]} tidak ditemukan. Periksa lagi nomornya, misalnya "
                "CEK ABCD-EFGH-JKMN."
            )
            return Outcome.REFUSED, None
        self.say(status_text(complaint, now=self.now))
        return Outcome.STATUS, complaint.pk

    def add_to_report(self, number: str, text: str) -> tuple[str, int | None]:
        complaint = Complaint.objects.filter(tracking_number=number).first()
        phone = ""
        if complaint is not None:
            phone = (
                Reporter.objects.filter(complaint=complaint).values_list("phone", flat=True).first()
                or ""
            )
        if complaint is None or phone_number(phone) != self.conversation.sender:
            # The same answer whether or not the report exists: a number is no key.
            self.say(
                f"Laporan {number} tidak dikirim dari nomor ini, jadi pesan Anda tidak "
                "ditambahkan. Gunakan tautan pribadi dari tanda terima Anda."
            )
            return Outcome.REFUSED, None
        if not complaint.is_open:
            self.say(
                f"Laporan {number} sudah ditutup; pesan Anda tidak ditambahkan. Kirim laporan "
                "baru bila perlu."
            )
            return Outcome.REFUSED, complaint.pk
        act = (
            complaint_services.reply_to_answer
            if complaint.awaits_citizen
            else complaint_services.add_information
        )
        try:
            with translation.override("id"):
                act(complaint_id=complaint.pk, text=text, now=self.now)
        except ValidationError as exc:
            with translation.override("id"):
                self.say(f"Pesan Anda tidak ditambahkan: {_first_error(exc)}")
            return Outcome.REFUSED, complaint.pk
        except ActionError:
            self.say(f"Pesan Anda tidak dapat ditambahkan ke laporan {number} sekarang.")
            return Outcome.REFUSED, complaint.pk
        if complaint.awaits_citizen:
            self.say(f"Balasan Anda atas jawaban laporan {number} sudah dikirim ke instansinya.")
        else:
            self.say(f"Pesan Anda sudah ditambahkan ke laporan {number}.")
        return Outcome.REPLY, complaint.pk

    # -- filing --------------------------------------------------------------------------

    def one_message(self, kind: str) -> tuple[str, int | None]:
        """``LAPOR <kategori> <wilayah> <isi>``: what it gives is kept, what is missing asked."""
        conversation = self.conversation
        # A photo or a place sent just before (WhatsApp) stays with the report.
        self._gather_media()
        data: dict[str, object] = {
            key: conversation.data[key] for key in ("point", "media") if key in conversation.data
        }
        data["kind"] = kind
        # What follows the keyword, with or without a "#" between.
        rest = re.sub(r"^\s*[^\s#/:]+\s*[#/:]?", "", self.text, count=1)
        anonymous = confidential = False
        while True:
            head, _, tail = rest.strip().lstrip("#").strip().partition(" ")
            word = region_names.fold(head.split("#")[0])
            if word == "anonim":
                anonymous = True
            elif word == "rahasia":
                confidential = True
            else:
                break
            rest = head.split("#", 1)[1] + " " + tail if "#" in head else tail
        data["privacy"] = [anonymous, confidential]
        rest = rest.strip().lstrip("#").strip()
        if "#" in rest:
            parts = [p.strip() for p in rest.split("#")]
            category = _category_named(parts[0]) if parts else None
            if category is not None:
                data["category"] = category.pk
            region = _regions_named(parts[1]) if len(parts) > 1 else []
            if len(region) == 1:
                data["region"] = region[0].code
            description = "#".join(parts[2:]).strip()
        else:
            words = rest.split()
            category, used = _leading_category(words)
            if category is not None:
                data["category"] = category.pk
            region_entry, more = _leading_region(words[used:])
            if region_entry is not None:
                data["region"] = region_entry.code
                used += more
            # The story as written, its line breaks kept.
            description = _after_words(rest, used)
        conversation.data = data
        if description:
            self.keep_description(description)
        return self.next_question()

    def converse(self) -> tuple[str, int | None]:
        """A free text, a photo or a place: the answer to the question asked, or the start of a
        guided report."""
        conversation = self.conversation
        self._gather_media()
        if not conversation.step:
            if self.text and not self.incoming.location:
                self.keep_description(self.text)
            return self.next_question()
        if self.incoming.location is not None or (self.incoming.media and not self.text):
            # A place or a photo alone answers nothing: the same question again.
            return self.next_question(noted=True)
        answer = getattr(self, f"answer_{conversation.step}", None)
        problem = answer(self.text) if answer is not None else None
        if problem:
            self.say(problem)
            self._keep_open()
            return Outcome.ASKED, None
        return self.next_question()

    def _gather_media(self) -> None:
        data = self.conversation.data
        if self.incoming.location is not None:
            data["point"] = list(self.incoming.location)
        media = list(data.get("media", []))
        for item in self.incoming.media:
            if len(media) < settings.LAPOR_MAX_ATTACHMENTS:
                media.append([item.media_id, item.mime_type])
        if media:
            data["media"] = media

    def _keep_open(self) -> None:
        self.conversation.expires_at = self.now + dt.timedelta(
            minutes=settings.LAPOR_CONVERSATION_MINUTES
        )

    def next_question(self, *, noted: bool = False) -> tuple[str, int | None]:
        """Ask for the first thing the report still lacks, or file it."""
        conversation = self.conversation
        data = conversation.data
        for step in STEPS:
            if step == "consent":
                if conversation.consented_at is not None:
                    continue
            elif step == "description":
                if len(str(data.get(step, ""))) >= DESCRIPTION_MIN_LENGTH:
                    continue
            elif step in data:
                continue
            conversation.step = step
            self._keep_open()
            prefix = "Diterima. " if noted else ""
            self.say(prefix + self.question(step))
            return Outcome.ASKED, None
        return self.file()

    def question(self, step: str) -> str:
        data = self.conversation.data
        if step == "description":
            if data.get("description"):
                return (
                    f"Ceritakan lebih lengkap: apa yang terjadi, di mana dan kapan (paling sedikit "
                    f"{DESCRIPTION_MIN_LENGTH} huruf). Kirim BATAL untuk membatalkan."
                )
            return (
                "Ceritakan masalahnya: apa yang terjadi, di mana dan kapan. Kirim BATAL untuk "
                "membatalkan."
            )
        if step == "kind":
            return (
                "Jenis laporan? Balas 1 untuk pengaduan, 2 untuk aspirasi, 3 untuk permintaan "
                "informasi."
            )
        if step == "category":
            pages = _category_pages(_categories())
            page = pages[min(int(data.get("category_page", 0) or 0), len(pages) - 1)]
            listed = ", ".join(page)
            more = " 0 untuk kategori lainnya." if len(pages) > 1 else ""
            return f"{CATEGORY_QUESTION}{listed}.{more}"
        if step == "region":
            choices = data.get("region_choices")
            if choices:
                listed = ", ".join(
                    f"{n} {_region_label(code)}" for n, code in enumerate(choices, start=1)
                )
                return f"Wilayah mana yang Anda maksud? Balas nomornya: {listed}."
            return (
                "Di kabupaten/kota mana? Tulis namanya, misalnya Kota Samarinda atau Kabupaten "
                "Kutai Kartanegara."
            )
        if step == "privacy":
            return (
                "Siapa yang boleh tahu? Balas 1 biasa (petugas melihat nomor Anda, laporan "
                "tampil di situs), 2 rahasia (laporan tidak tampil di situs), 3 anonim (petugas "
                "tidak melihat nomor Anda), 4 anonim dan rahasia."
            )
        return (
            f"Laporan Anda: {self.summary()}. Dengan mengirimnya Anda setuju isi laporan "
            "diteruskan ke instansi yang berwenang dan nomor Anda disimpan untuk mengabarkan "
            "laporan ini (tidak diperlihatkan kepada petugas bila Anda memilih anonim). Balas YA "
            "untuk mengirim, BATAL untuk membatalkan."
        )

    def summary(self) -> str:
        data = self.conversation.data
        category = Category.objects.filter(pk=data.get("category")).first()
        anonymous, confidential = data.get("privacy", [False, False])
        said = [
            KIND_NAMES.get(str(data.get("kind")), ""),
            category.name_id if category else "",
            _region_label(str(data.get("region", ""))),
            "anonim" if anonymous else "",
            "rahasia" if confidential else "",
        ]
        return ", ".join(s for s in said if s)

    # -- the answers (each returns what is wrong with it, or None) -------------------------

    def answer_description(self, text: str) -> str | None:
        data = self.conversation.data
        self.keep_description(f"{data.get('description', '')} {text}".strip())
        if len(str(data["description"])) < DESCRIPTION_MIN_LENGTH:
            return self.question("description")
        return None

    def keep_description(self, text: str) -> None:
        """Keep what happened, up to the longest a report may tell; the citizen is told when
        the end was left out."""
        self.conversation.data["description"] = text[:DESCRIPTION_MAX_LENGTH]
        if len(text) > DESCRIPTION_MAX_LENGTH:
            self.say(
                f"Cerita Anda lebih dari {DESCRIPTION_MAX_LENGTH} huruf: hanya "
                f"{DESCRIPTION_MAX_LENGTH} huruf pertama yang disimpan."
            )

    def answer_kind(self, text: str) -> str | None:
        kind = KIND_ANSWERS.get(region_names.fold(text))
        if kind is None:
            return "Maaf, balas dengan angka 1, 2 atau 3. " + self.question("kind")
        self.conversation.data["kind"] = kind
        return None

    def answer_category(self, text: str) -> str | None:
        categories = _categories()
        folded = region_names.fold(text)
        chosen = None
        pages = _category_pages(categories)
        if folded == "0" and len(pages) > 1:
            # The next part of the list (after the last, the first again).
            data = self.conversation.data
            page = int(data.get("category_page", 0) or 0) + 1
            data["category_page"] = page if page < len(pages) else 0
            return self.question("category")
        if folded.isdigit() and 1 <= int(folded) <= len(categories):
            chosen = categories[int(folded) - 1]
        else:
            chosen = _category_named(text)
        if chosen is None:
            return "Maaf, kategori itu tidak ada. " + self.question("category")
        self.conversation.data["category"] = chosen.pk
        self.conversation.data.pop("category_page", None)
        return None

    def answer_region(self, text: str) -> str | None:
        data = self.conversation.data
        choices = [str(c) for c in data.get("region_choices", [])]
        folded = region_names.fold(text)
        if choices and folded.isdigit():
            if 1 <= int(folded) <= len(choices):
                data["region"] = choices[int(folded) - 1]
                data.pop("region_choices", None)
                return None
            return f"Maaf, balas dengan angka 1 sampai {len(choices)}. " + self.question("region")
        found = _regions_named(text)
        if not found:
            found = [
                e
                for e in routing_selectors.similar_regions(text, limit=8)
                if e.level in (Region.Level.REGENCY, Region.Level.DISTRICT)
            ]
        if len(found) == 1:
            data["region"] = found[0].code
            data.pop("region_choices", None)
            return None
        data.pop("region_choices", None)
        if not found:
            return (
                f"Maaf, wilayah {text[:40]} tidak dikenal. Tulis nama kabupaten/kotanya, "
                "misalnya Kota Samarinda."
            )
        data["region_choices"] = [e.code for e in found[:REGION_CHOICES]]
        more = len(found) > REGION_CHOICES
        return self.question("region") + (
            " Bukan salah satunya? Tulis namanya lebih lengkap, misalnya dengan nama "
            "kabupaten/kotanya."
            if more
            else ""
        )

    def answer_privacy(self, text: str) -> str | None:
        choice = PRIVACY_ANSWERS.get(region_names.fold(text))
        if choice is None:
            return "Maaf, balas dengan angka 1, 2, 3 atau 4. " + self.question("privacy")
        self.conversation.data["privacy"] = list(choice)
        return None

    def answer_consent(self, text: str) -> str | None:
        folded = region_names.fold(text)
        if folded in YES_WORDS:
            self.conversation.consented_at = self.now
            return None
        if folded in NO_WORDS:
            return (
                "Laporan belum dikirim. Balas YA untuk mengirimnya, atau BATAL untuk membatalkan."
            )
        return "Balas YA untuk mengirim laporan Anda, atau BATAL untuk membatalkan."

    def file(self) -> tuple[str, int | None]:
        """File the report through the one door; the receipt, with the tracking number and the
        private link, is the reply (queued by the intake, sent by the citizen's channel)."""
        conversation = self.conversation
        data = conversation.data
        # A category switched off, or a region removed, while the conversation waited: asked
        # again.
        category = Category.objects.filter(pk=data.get("category"), is_active=True).first()
        region = Region.objects.filter(code=data.get("region")).first()
        if category is None:
            data.pop("category", None)
        if region is None:
            data.pop("region", None)
        if category is None or region is None:
            return self.next_question()
        if _over_limit(
            "phone-report", conversation.sender, settings.LAPOR_PHONE_REPORT_RATE, now=self.now
        ):
            self._forget()
            self.say("Nomor ini sudah mengirim terlalu banyak laporan; coba lagi besok.")
            return Outcome.REFUSED, None
        description = str(data.get("description", ""))
        anonymous, confidential = (bool(v) for v in data.get("privacy", [False, False]))
        uploads, missed = self._photos()
        kept, refused = complaint_services.check_attachments(uploads)
        point = data.get("point")
        try:
            with translation.override("id"):
                receipt = complaint_services.submit_complaint(
                    kind=str(data.get("kind", Kind.COMPLAINT)),
                    title=title_from(description),
                    description=description,
                    category=category,
                    region=region,
                    incident_date=timezone.localdate(self.now),
                    is_anonymous=anonymous,
                    is_confidential=confidential,
                    reporter_phone=conversation.sender,
                    checked_attachments=kept,
                    channel=conversation.channel,
                    language="id",
                    point=(float(point[0]), float(point[1])) if isinstance(point, list) else None,
                    now=self.now,
                )
        except ValidationError as exc:
            with translation.override("id"):
                problem = _first_error(exc)
            fields = set(getattr(exc, "error_dict", {}) or {})
            ask = {"description": "description", "title": "description"}
            ask |= {"category": "category", "region": "region"}
            again = [ask[f] for f in fields if f in ask]
            if again and fields <= set(ask):
                # Something the citizen can give again: asked for again, the rest kept.
                for step in again:
                    data.pop(step, None)
                self.say(f"Laporan Anda belum dapat dikirim: {problem}")
                return self.next_question()
            self._forget()
            self.say(f"Laporan Anda belum dapat dikirim: {problem} Silakan kirim lagi.")
            return Outcome.REFUSED, None
        self._forget()
        left_out = missed + len(refused)
        if left_out:
            self.say(
                f"{left_out} foto tidak dapat dilampirkan ke laporan "
                f"{receipt.complaint.tracking_number} (gagal diambil atau bukan gambar yang "
                "dapat dibaca); laporannya tetap terkirim."
            )
        return Outcome.FILED, receipt.complaint.pk

    def _photos(self) -> tuple[list[complaint_services.BytesUpload], int]:
        """The photos the conversation gathered, fetched from the gateway now, within
        ``MEDIA_SECONDS`` in all (the gateway waits for the door's answer); and how many could
        not be fetched."""
        uploads = []
        missed = 0
        media = self.conversation.data.get("media", [])
        until = time.monotonic() + MEDIA_SECONDS
        for position, (media_id, mime_type) in enumerate(media, start=1):
            if time.monotonic() >= until:
                missed += 1
                continue
            try:
                content, content_type = backend_for(self.conversation.channel).download(
                    MediaRef(media_id=str(media_id), mime_type=str(mime_type)),
                    timeout=max(0.5, until - time.monotonic()),
                )
            except (SendFailed, SendRefused):
                logger.warning("a photo sent by %s could not be fetched", self.conversation.channel)
                missed += 1
                continue
            extension = {"image/png": "png", "image/webp": "webp"}.get(content_type, "jpg")
            uploads.append(complaint_services.BytesUpload(f"foto-{position}.{extension}", content))
        return uploads, missed

    def _forget(self) -> None:
        self.conversation.step, self.conversation.data = "", {}
        self.conversation.expires_at = None


def title_from(description: str) -> str:
    """A title from what the citizen wrote: its first sentence, cut at a word, or its start."""
    text = " ".join(description.split())
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")
    if len(sentence) < TITLE_MIN_LENGTH:
        sentence = text
    limit = min(TITLE_MAX_LENGTH, 90)
    if len(sentence) > limit:
        cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        if len(cut) < TITLE_MIN_LENGTH:
            # One short word and a long link: cut inside the link.
            cut = sentence[: limit - 1]
        sentence = cut + "…"
    return sentence


def status_text(complaint: Complaint, *, now: dt.datetime) -> str:
    """What ``CEK`` answers: the status and the date of the last change the public tracking
    page shows (for a confidential report too: status and dates only)."""
    with translation.override("id"):
        parts = [f"Laporan {complaint.tracking_number}: {complaint.get_status_display()}"]
        changed = complaint_selectors.last_change(complaint)
        if changed is not None:
            when = formats.date_format(timezone.localtime(changed), "j F Y")
            parts.append(f"sejak {when}")
        text = ", ".join(parts) + "."
        if complaint.awaits_citizen:
            text += (
                f" Instansi sudah menjawab; baca jawabannya lewat tautan pribadi Anda, atau balas "
                f"dengan {complaint.tracking_number} <pesan>."
            )
        track = reverse("complaints:public", kwargs={"tracking_number": complaint.tracking_number})
    return f"{text} {settings.LAPOR_BASE_URL}{track}"


def _first_error(exc: ValidationError) -> str:
    messages = [str(m) for m in exc.messages]
    return messages[0] if messages else "isi laporan tidak lengkap."


def _category_pages(categories: list[Category]) -> list[list[str]]:
    """The numbered categories ("1 Kesehatan"), in parts that each fit one message."""
    pages: list[list[str]] = [[]]
    length = 0
    for number, category in enumerate(categories, start=1):
        item = f"{number} {category.name_id}"
        if pages[-1] and length + len(item) + 2 > CATEGORY_PAGE_LENGTH:
            pages.append([])
            length = 0
        pages[-1].append(item)
        length += len(item) + 2
    return pages


def _categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("position", "pk"))


def _category_named(text: str) -> Category | None:
    """The active category ``text`` names: its Indonesian or English name or its code, or a
    name spelt nearly like it."""
    folded = region_names.fold(text)
    if not folded:
        return None
    names: dict[str, Category] = {}
    for category in _categories():
        for name in (category.name_id, category.name_en, category.code.replace("-", " ")):
            if name:
                names.setdefault(region_names.fold(name), category)
    if folded in names:
        return names[folded]
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def _leading_category(words: list[str]) -> tuple[Category | None, int]:
    """The category the first words name (the longest that does), and how many words."""
    for count in range(min(4, len(words)), 0, -1):
        category = _category_named(" ".join(words[:count]))
        if category is not None:
            return category, count
    return None, 0


def _regions_named(text: str) -> list[routing_selectors.RegionEntry]:
    return [
        e
        for e in routing_selectors.regions_named(text)
        if e.level in (Region.Level.REGENCY, Region.Level.DISTRICT)
    ]


def _after_words(text: str, count: int) -> str:
    """``text`` without its first ``count`` words, as it was written."""
    parts = re.split(r"\s+", text.strip(), maxsplit=count)
    return parts[count].strip() if len(parts) > count else ""


def _leading_region(words: list[str]) -> tuple[routing_selectors.RegionEntry | None, int]:
    """The one regency/city or district the first words name (the longest that does)."""
    for count in range(min(5, len(words)), 0, -1):
        found = _regions_named(" ".join(words[:count]))
        if len(found) == 1:
            return found[0], count
    return None, 0


def _region_label(code: str) -> str:
    entry = routing_selectors.get_region_entry(code) if code else None
    return (entry.label or entry.name) if entry is not None else ""
