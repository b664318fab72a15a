"""The e-mail door: a message the listener (``inbound.smtp``) received becomes a report through
the one door (``complaints.services.submit_complaint``), or its report's reporter's reply, or
a refusal with its reason. Every message leaves one ``InboundMail`` row (its outcome, counted)
and one log line (counts and outcomes, never an address or a text).

What is refused answers the sending server with a permanent SMTP error whose text says why, so
that a person who wrote gets it back from their own mail server in plain words, and nothing
is sent from here (no backscatter). What is automatic (a bounce, an auto-reply, list mail, our
own mail coming back) is accepted and dropped: answering it would only make more of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import override

from complaints import reply_address, services
from complaints.emails import LOOP_HEADER
from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Channel,
    Complaint,
)
from inbound.models import InboundMail
from lapor.lib import inbound_mail
from lapor.lib.actions import ActionError
from lapor.lib.inbound_mail import ParsedMail, parse_mail
from lapor.lib.inbound_mail import reply_token as token_of
from lapor.lib.ratelimit import parse_rate
from routing import selectors as routing_selectors
from routing.models import Category, Region

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome

# The SMTP answers (RFC 5321, enhanced codes of RFC 3463). Refusals carry one Indonesian and one
# English sentence, in ASCII, as every SMTP reply must be.
ACCEPTED = "250 2.0.0 OK"
NO_SUCH_ADDRESS = "550 5.1.1 Alamat ini tidak menerima laporan. / This address takes no reports."
TOO_LARGE = (
    "552 5.3.4 Pesan terlalu besar: kirim lampiran yang lebih kecil. / "
    "Message too large: send smaller attachments."
)
RATE_LIMITED = (
    "550 5.7.1 Terlalu banyak pesan dari alamat ini; coba lagi nanti. / "
    "Too many messages from this address; try again later."
)
UNKNOWN_REPORT = (
    "550 5.1.1 Alamat balasan ini tidak membuka laporan mana pun (tautan pribadinya mungkin "
    "sudah diganti). / This reply address opens no report (its private link may have been "
    "renewed)."
)
CLOSED = (
    "550 5.7.1 Laporan ini sudah ditutup; balasan tidak ditambahkan. Kirim laporan baru bila "
    "perlu. / This report is closed; the reply was not added. Send a new report if needed."
)
EMPTY_REPLY = "550 5.6.0 Balasan ini kosong. / This reply is empty."
TOO_LONG_REPLY = (
    "550 5.6.0 Balasan ini terlalu panjang: tulis paling banyak %(max)d huruf. / "
    "This reply is too long: write at most %(max)d characters."
)
TOO_SHORT = (
    "550 5.6.0 Pesan terlalu pendek untuk menjadi laporan: tulis apa yang terjadi, di mana dan "
    "kapan (paling sedikit %(min)d huruf). / Too short to be a report: write what happened, "
    "where and when (at least %(min)d characters)."
)
TRY_LATER = "451 4.3.0 Gangguan sementara; coba lagi nanti. / Temporary failure; try again later."


@dataclass(frozen=True)
class Received:
    """What became of a message: its outcome and the SMTP answer to give."""

    outcome: str
    reply: str
    complaint_id: int | None = None


def inbound_address() -> str:
    return settings.LAPOR_INBOUND_ADDRESS.strip().lower()


def takes_recipient(address: str) -> bool:
    """Whether the door takes mail for ``address``: the portal's address, or a reply address
    (whose token is checked with the message)."""
    address = address.strip().strip("<>").lower()
    ours = inbound_address()
    if not ours:
        return False
    if address == ours:
        return True
    return _reply_token(address) is not None


def _reply_token(address: str) -> str | None:
    ours = inbound_address()
    local, _, domain = ours.rpartition("@")
    token = token_of(address, local_prefix=local)
    if token is None or address.rpartition("@")[2].lower() != domain:
        return None
    return token


def sender_digest(address: str) -> str:
    """A keyed digest of a sender's address: the per-sender limit and the copies delivered
    twice are known by it, and no address is kept."""
    if not address:
        return ""
    return salted_hmac(
        "lapor.inbound-sender", address.strip().lower(), algorithm="sha256"
    ).hexdigest()


def message_id_digest(message_id: str) -> str:
    """A keyed digest of a message's Message-ID: a copy delivered twice is known by it, and
    no Message-ID is kept (many name the sender's host, domain or address)."""
    if not message_id:
        return ""
    return salted_hmac("lapor.inbound-message-id", message_id, algorithm="sha256").hexdigest()


def receive_mail(
    *, raw: bytes, envelope_sender: str, recipients: Sequence[str], now: dt.datetime
) -> Received:
    """Turn one received message into a report, a reply or a refusal (see the module).

    Idempotent per Message-ID and sender: a copy delivered again (the sending server did not
    hear our answer) is accepted and changes nothing.
    """
    size = len(raw)
    if size > settings.LAPOR_INBOUND_MAX_BYTES:
        return _Mail(size, now).record(Outcome.TOO_LARGE, TOO_LARGE)
    ours = [inbound_address(), _address_of(settings.DEFAULT_FROM_EMAIL)]
    parsed = parse_mail(
        raw,
        envelope_sender=envelope_sender,
        our_addresses=[a for a in ours if a],
        loop_header=LOOP_HEADER,
        max_text=DESCRIPTION_MAX_LENGTH,
    )
    digest = sender_digest(parsed.sender or envelope_sender)
    mail = _Mail(size, now, digest, message_id_digest(parsed.message_id))
    if parsed.auto:
        outcome = {
            inbound_mail.BOUNCE: Outcome.BOUNCE,
            inbound_mail.AUTO_REPLY: Outcome.AUTO_REPLY,
            inbound_mail.BULK: Outcome.BULK,
            inbound_mail.LOOP: Outcome.LOOP,
        }.get(parsed.auto, Outcome.AUTO_REPLY)
        return mail.record(outcome, ACCEPTED)
    if (
        mail.message_id
        and InboundMail.objects.filter(
            message_id=mail.message_id, sender_digest=digest, outcome__in=InboundMail.ACTED
        ).exists()
    ):
        return mail.record(Outcome.DUPLICATE, ACCEPTED)
    if _over_limit(digest, now):
        return mail.record(Outcome.RATE_LIMITED, RATE_LIMITED)
    tokens = [t for t in (_reply_token(r.strip().strip("<>").lower()) for r in recipients) if t]
    if tokens:
        # The first address that opens a report: one that opens none beside it (an old reply
        # address, a forged one) does not lose the reply.
        complaint = next(
            (c for c in map(reply_address.complaint_for_token, dict.fromkeys(tokens)) if c), None
        )
        if complaint is None:
            return mail.record(Outcome.UNKNOWN_REPORT, UNKNOWN_REPORT)
        return _reply(complaint, parsed, mail)
    return _new_report(parsed, mail)


def refuse_too_large(*, now: dt.datetime) -> Received:
    """A message the listener refused for its size before reading it (``inbound.smtp``):
    counted like every refusal, its size recorded as just over the limit (not read, not known)."""
    return _Mail(settings.LAPOR_INBOUND_MAX_BYTES + 1, now).record(Outcome.TOO_LARGE, TOO_LARGE)


def _address_of(header: str) -> str:
    from email.utils import parseaddr

    return parseaddr(header)[1].strip().lower()


def _over_limit(digest: str, now: dt.datetime) -> bool:
    if not digest:
        return False
    rate = parse_rate(settings.LAPOR_INBOUND_SENDER_RATE)
    counted = InboundMail.objects.filter(
        sender_digest=digest,
        received_at__gt=now - dt.timedelta(seconds=rate.seconds),
        outcome__in=[*InboundMail.ACTED, Outcome.INVALID, Outcome.UNKNOWN_REPORT, Outcome.CLOSED],
    ).count()
    return counted >= rate.count


@dataclass(frozen=True)
class _Mail:
    """What every outcome of one message records."""

    size: int
    now: dt.datetime
    digest: str = ""
    message_id: str = ""  # its keyed digest (``message_id_digest``)

    def record(self, outcome: str, reply: str, complaint_id: int | None = None) -> Received:
        self.claim(outcome, complaint_id)
        return self.logged(outcome, reply, complaint_id)

    def claim(self, outcome: str, complaint_id: int | None = None) -> InboundMail:
        """The message's row. Written first in the transaction that acts on the message, it
        makes a copy being acted on at the same moment wait, then fail on the row's unique
        constraint (``IntegrityError``) before it writes anything (a report's files)."""
        return InboundMail.objects.create(
            outcome=outcome,
            size=self.size,
            received_at=self.now,
            sender_digest=self.digest,
            message_id=self.message_id,
            complaint_id=complaint_id,
        )

    def logged(self, outcome: str, reply: str, complaint_id: int | None = None) -> Received:
        logger.info("inbound mail %s (%d bytes)", outcome, self.size)
        return Received(outcome, reply, complaint_id)


def _reply(complaint: Complaint, parsed: ParsedMail, mail: _Mail) -> Received:
    """The reporter's reply: to an answer (back to the agency, ``reply_to_answer``), or more
    words on a report being handled (``add_information``)."""
    if not complaint.is_open:
        return mail.record(Outcome.CLOSED, CLOSED, complaint.pk)
    text = parsed.text.strip()
    if not text:
        return mail.record(Outcome.INVALID, EMPTY_REPLY, complaint.pk)
    if len(text) > services.REPLY_MAX_LENGTH:
        too_long = TOO_LONG_REPLY % {"max": services.REPLY_MAX_LENGTH}
        return mail.record(Outcome.INVALID, too_long, complaint.pk)
    act = services.reply_to_answer if complaint.awaits_citizen else services.add_information
    try:
        with transaction.atomic():
            act(complaint_id=complaint.pk, text=text, now=mail.now)
            return mail.record(Outcome.REPLY, ACCEPTED, complaint.pk)
    except IntegrityError:  # the same message, delivered twice at once: the first one acted
        return mail.record(Outcome.DUPLICATE, ACCEPTED, complaint.pk)
    except ValidationError:
        return mail.record(Outcome.INVALID, EMPTY_REPLY, complaint.pk)
    except ActionError:  # it closed meanwhile
        return mail.record(Outcome.CLOSED, CLOSED, complaint.pk)


# What the subject may say about the kind of report (else it is a complaint).
_KIND_WORDS = (
    (
        Complaint.Kind.INFORMATION_REQUEST,
        ("permintaan informasi", "minta informasi", "information request"),
    ),
    (Complaint.Kind.ASPIRATION, ("aspirasi", "usulan", "saran", "aspiration", "suggestion")),
)
# What makes it anonymous, in any case ("[Anonim]", "ANONIM:"); left out of the title.
_ANONYMOUS_WORDS = re.compile(r"\[anonim\]|\[anonymous\]|anonim:", re.IGNORECASE)


def _kind_of(subject: str) -> str:
    lowered = subject.lower()
    for kind, words in _KIND_WORDS:
        if any(word in lowered for word in words):
            return kind
    return Complaint.Kind.COMPLAINT


def _title_of(parsed: ParsedMail) -> str:
    """The subject, or else the first line of the text, cut at a word to the title's length."""
    for candidate in (parsed.subject, *parsed.text.splitlines()[:3]):
        candidate = " ".join(candidate.split())
        candidate = " ".join(_ANONYMOUS_WORDS.sub("", candidate).split())
        if len(candidate) >= TITLE_MIN_LENGTH:
            if len(candidate) > TITLE_MAX_LENGTH:
                cut = candidate[: TITLE_MAX_LENGTH - 1]
                at_word = cut.rsplit(" ", 1)[0]
                # At a word, unless that leaves too little ("Rusak: https://…" and a long link).
                candidate = (at_word if len(at_word) >= TITLE_MIN_LENGTH else cut) + "…"
            return candidate
    return ""


def _new_report(parsed: ParsedMail, mail: _Mail) -> Received:
    """A new report from a message: the subject its title, the text its description, its files
    cleaned (those the cleaner refuses are left out, not the report), its category and place
    when the message says them (``routing.selectors.category_named_in``, ``region_named_in``),
    else it waits for the reporter to give them in the national coordinator's queue.

    A report by e-mail is confidential (kept from the public) unless the reporter makes it
    public later: nobody chose for them; and anonymous when the subject says "[ANONIM]"."""
    now = mail.now
    text = parsed.text.strip()
    title = _title_of(parsed)
    if len(text) < DESCRIPTION_MIN_LENGTH or not title:
        return mail.record(Outcome.INVALID, TOO_SHORT % {"min": DESCRIPTION_MIN_LENGTH})
    with override("id"):
        category = routing_selectors.category_named_in(parsed.subject, text)
        entry = routing_selectors.region_named_in(f"{parsed.subject}\n{text}")
    region = Region.objects.filter(code=entry.code).first() if entry else None
    uploads = [
        services.BytesUpload(attachment.filename or "lampiran", attachment.content)
        for attachment in parsed.attachments[: settings.LAPOR_MAX_ATTACHMENTS]
    ]
    kept, refused = services.check_attachments(uploads)
    email = parsed.sender
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    try:
        with transaction.atomic():
            row = mail.claim(Outcome.REPORT)
            receipt = services.submit_complaint(
                kind=_kind_of(parsed.subject),
                title=title,
                description=text,
                category=category if isinstance(category, Category) else None,
                region=region,
                incident_date=timezone.localdate(now),
                is_anonymous=bool(_ANONYMOUS_WORDS.search(parsed.subject)),
                is_confidential=True,
                reporter_name=parsed.sender_name[:100],
                reporter_email=email[:254],
                checked_attachments=kept,
                channel=Channel.EMAIL,
                now=now,
            )
            complaint = receipt.complaint
            row.outcome = Outcome.INCOMPLETE if complaint.details_missing else Outcome.REPORT
            row.complaint = complaint
            row.save(update_fields=["outcome", "complaint"])
    except IntegrityError:  # the same message, delivered twice at once: the first one filed
        return mail.record(Outcome.DUPLICATE, ACCEPTED)
    except ValidationError as invalid:
        logger.info("inbound mail not filed: %s", sorted(invalid.message_dict))
        return mail.record(Outcome.INVALID, TOO_SHORT % {"min": DESCRIPTION_MIN_LENGTH})
    result = mail.logged(row.outcome, ACCEPTED, complaint.pk)
    if refused:
        logger.info("inbound mail: %d attachment(s) left out", len(refused))
    return result
