"""The e-mail door through a real SMTP conversation: Python's smtplib against the running
listener (``inbound.smtp``), the report, the receipt, the threading of replies and the
refusals."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from complaints.models import Complaint, ComplaintEvent
from inbound.models import InboundMail
from inbound.smtp import listener
from tests.helpers import deliver_pending, free_port

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "lapor@lapor.test"


@pytest.fixture
def door(settings: Any, tree: dict[str, Any], categories: None) -> Iterator[int]:
    """The listener on a free port, taking mail for ``ADDRESS``."""
    settings.LAPOR_INBOUND_ADDRESS = ADDRESS
    settings.LAPOR_INBOUND_SENDER_RATE = "100/h"
    port = free_port()
    server = listener(host="127.0.0.1", port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def citizen_mail(
    subject: str = "Puskesmas Palaran tutup di jam layanan",
    body: str = (
        "Selamat pagi,\n\nPuskesmas Palaran di Kota Samarinda tutup pukul 10 pagi padahal "
        "jadwalnya sampai 14.00. Kategori: Kesehatan\n\nTerima kasih,\nSiti\n"
    ),
    sender: str = "Siti Aminah <siti@example.id>",
    to: str = ADDRESS,
    **headers: str,
) -> EmailMessage:
    """A message as a mail client writes it (a Message-ID, a date, quoted-printable UTF-8)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Fri, 04 Dec 2026 08:15:00 +0700"
    message["Message-ID"] = make_msgid(domain="example.id")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, cte="quoted-printable")
    return message


def send(port: int, message: EmailMessage, *, sender: str = "siti@example.id") -> None:
    to = [message["To"]] if "<" not in message["To"] else [message["To"].split("<")[1].strip(">")]
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message, from_addr=sender, to_addrs=to)


def filed() -> Complaint:
    row = InboundMail.objects.get(outcome__in=["REPORT", "INCOMPLETE"])
    assert row.complaint is not None
    return row.complaint


class TestNewReports:
    def test_a_message_that_names_its_category_and_place_is_filed_and_routed(
        self, door: int, tree: dict[str, Any]
    ) -> None:
        send(door, citizen_mail())
        complaint = filed()
        assert complaint.channel == Complaint.Channel.EMAIL
        assert complaint.title == "Puskesmas Palaran tutup di jam layanan"
        assert "tutup pukul 10 pagi" in complaint.description
        assert complaint.category.code == "kesehatan"
        assert complaint.region_id == "64.72"
        assert complaint.is_confidential and not complaint.is_anonymous
        assert complaint.reporter.email == "siti@example.id"
        assert complaint.reporter.name == "Siti Aminah"
        deliver_pending(now=complaint.submitted_at)
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]
        receipt = next(m for m in mail.outbox if m.to == ["siti@example.id"])
        assert complaint.tracking_number in receipt.body
        assert receipt.extra_headers["Reply-To"].startswith("lapor+r.")
        assert receipt.extra_headers["Reply-To"].endswith("@lapor.test")

    def test_a_message_that_says_neither_waits_in_the_national_queue_until_completed(
        self, door: int, tree: dict[str, Any], client: Any
    ) -> None:
        send(door, citizen_mail(body="Jalan di depan rumah saya berlubang besar sejak sebulan."))
        complaint = filed()
        assert complaint.details_missing
        assert InboundMail.objects.get(complaint=complaint).outcome == "INCOMPLETE"
        deliver_pending(now=complaint.submitted_at)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.AWAITING_VERIFICATION
        assert complaint.current_agency == tree["national"]
        receipt = next(m for m in mail.outbox if m.to == ["siti@example.id"])
        assert "private link" in receipt.body.lower() or "tautan pribadi" in receipt.body.lower()
        private_url = next(
            line for line in receipt.body.splitlines() if "/lacak/" in line and "http" in line
        )
        path = "/" + private_url.split("/", 3)[3].strip()
        page = client.get(path)
        assert b'name="category"' in page.content
        response = client.post(
            path.rstrip("/") + "/lengkapi/", {"category": "kesehatan", "regency": "64.72"}
        )
        assert response.status_code == 302
        deliver_pending(now=complaint.submitted_at + dt.timedelta(minutes=5))
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]
        assert complaint.events.filter(type=ComplaintEvent.Type.DETAILS_GIVEN).exists()

    def test_a_copy_delivered_twice_is_filed_once(self, door: int) -> None:
        message = citizen_mail()
        send(door, message)
        send(door, message)
        assert Complaint.objects.count() == 1
        assert InboundMail.objects.filter(outcome="DUPLICATE").count() == 1

    def test_a_message_too_short_to_be_a_report_is_refused_with_the_reason(self, door: int) -> None:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(door, citizen_mail(subject="tolong", body="rusak"))
        assert refused.value.smtp_code == 550
        assert b"terlalu pendek" in refused.value.smtp_error
        assert not Complaint.objects.exists()


class TestReplies:
    def _reply_address(self, door: int) -> tuple[Complaint, str]:
        send(door, citizen_mail())
        complaint = filed()
        deliver_pending(now=complaint.submitted_at)
        receipt = next(m for m in mail.outbox if m.to == ["siti@example.id"])
        return complaint, receipt.extra_headers["Reply-To"]

    def test_a_reply_to_the_receipt_joins_the_report_being_handled(self, door: int) -> None:
        complaint, address = self._reply_address(door)
        send(
            door,
            citizen_mail(
                subject="Re: Laporan Anda telah masuk",
                body="Tambahan: puskesmas juga tutup hari Sabtu.\n\n> Laporan Anda telah masuk",
                to=address,
            ),
        )
        event = complaint.events.get(type=ComplaintEvent.Type.CITIZEN_ADDED)
        assert event.data["text"] == "Tambahan: puskesmas juga tutup hari Sabtu."
        assert Complaint.objects.count() == 1

    def test_a_forged_reply_address_is_refused(self, door: int) -> None:
        complaint, address = self._reply_address(door)
        local, _, domain = address.partition("@")
        forged = local[:-4] + "aaaa@" + domain
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(door, citizen_mail(subject="Re: laporan", body="Tambahan informasi.", to=forged))
        assert refused.value.smtp_code == 550
        assert not complaint.events.filter(type=ComplaintEvent.Type.CITIZEN_ADDED).exists()

    def test_an_address_that_is_not_the_portals_is_refused_at_rcpt(self, door: int) -> None:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(door, citizen_mail(to="someone@lapor.test"))


class TestWhatIsNeverAReport:
    def test_a_bounce_is_dropped(self, door: int) -> None:
        send(door, citizen_mail(), sender="")
        assert not Complaint.objects.exists()
        assert InboundMail.objects.get().outcome == "BOUNCE"

    def test_an_auto_reply_is_dropped(self, door: int) -> None:
        send(door, citizen_mail(Auto_Submitted="auto-replied"))
        assert not Complaint.objects.exists()
        assert InboundMail.objects.get().outcome == "AUTO_REPLY"

    def test_our_own_mail_coming_back_is_dropped(self, door: int) -> None:
        send(door, citizen_mail(X_Lapor_Loop="1"))
        assert not Complaint.objects.exists()
        assert InboundMail.objects.get().outcome == "LOOP"

    def test_a_sender_over_the_limit_is_refused(self, door: int, settings: Any) -> None:
        settings.LAPOR_INBOUND_SENDER_RATE = "2/h"
        send(door, citizen_mail())
        send(door, citizen_mail())
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(door, citizen_mail())
        assert refused.value.smtp_code == 550
        assert Complaint.objects.count() == 2
        assert InboundMail.objects.filter(outcome="RATE_LIMITED").count() == 1

    def test_an_oversized_message_is_refused_before_it_is_read(self, door: int) -> None:
        message = citizen_mail(body="Jalan rusak di Kota Samarinda. " * 1_000_000)
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as refused:
            send(door, message)
        assert refused.value.smtp_code == 552
        assert not Complaint.objects.exists()

    def test_malformed_mime_never_stops_the_listener(self, door: int) -> None:
        broken = (
            b"From: siti@example.id\r\nTo: " + ADDRESS.encode() + b"\r\n"
            b"Subject: =?utf-8?B?broken base64?=\r\n"
            b'Content-Type: multipart/mixed; boundary="nope\r\n\r\n'
            b"--nope\r\nContent-Type: text/plain; charset=x-unknown\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n@@@@\r\n"
        )
        with smtplib.SMTP("127.0.0.1", door, timeout=30) as smtp:
            try:
                smtp.sendmail("siti@example.id", [ADDRESS], broken)
            except smtplib.SMTPDataError as refused:
                assert refused.smtp_code == 550
        send(door, citizen_mail())  # the door still answers
        assert Complaint.objects.count() == 1


MAIL = Path(__file__).resolve().parent.parent / "lib" / "mail"


def send_file(port: int, name: str, *, sender: str) -> bytes:
    """A message as a real client wrote it (``tests/lib/mail``), as a mail server relays it."""
    raw = (MAIL / name).read_bytes()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, [ADDRESS], raw)
    return raw


class TestRealClientsMessages:
    """Messages as Gmail, Outlook, Apple Mail, Thunderbird and Foxmail write them, through the
    listener: each becomes a report with its own words, its files cleaned, its receipt sent."""

    @pytest.mark.parametrize(
        ("name", "sender", "title", "words", "files"),
        [
            (
                "html_only.eml",
                "rene.wijaya@example.id",
                "Keluhan layanan IGD \u2013 menunggu \u00b1 4 jam",
                "Anak saya demam 39\u00b0C tetapi menunggu \u00b1 4 jam",
                0,
            ),
            (
                "thunderbird_attachments.eml",
                "agus.salim@example.id",
                "Pungutan liar di kantor kelurahan",
                "petugas meminta uang Rp50.000",
                2,
            ),
            (
                "gmail_forward.eml",
                "siti.aminah@gmail.com",
                "Posyandu Melati tidak buka",
                "Posyandu Melati di RT 09 Kelurahan Lok Bahu tidak buka",
                0,
            ),
            (
                "foxmail_gb2312.eml",
                "wang.zhe@foxmail.com",
                "Jalan rusak \u9053\u8def\u635f\u574f di Jl. Gajah Mada",
                "\u5df2\u7ecf\u4e24\u4e2a\u6708\u4e86",
                0,
            ),
            (
                "iphone.eml",
                "yusuf.maulana@icloud.com",
                "Lampu jalan mati di Gang Mawar",
                "Gang Mawar RT 05 Kelurahan Sungai Pinang Dalam",
                1,
            ),
        ],
    )
    def test_becomes_a_report_with_its_words_and_files(
        self, door: int, name: str, sender: str, title: str, words: str, files: int
    ) -> None:
        send_file(door, name, sender=sender)
        complaint = filed()
        assert complaint.title == title
        assert words in complaint.description
        assert ">" not in complaint.description.splitlines()[0]
        assert complaint.attachments.count() == files
        for attachment in complaint.attachments.all():
            content = attachment.file.read()
            assert b"Exif" not in content[:4096]  # a photo keeps only its pixels
        assert complaint.reporter.email == sender
        deliver_pending(now=complaint.submitted_at)
        assert any(m.to == [sender] and complaint.tracking_number in m.body for m in mail.outbox)

    @pytest.mark.parametrize(
        ("name", "sender", "outcome"),
        [
            ("dsn_bounce.eml", "", "BOUNCE"),
            ("out_of_office.eml", "budi.hartono@example.go.id", "AUTO_REPLY"),
            ("mailing_list.eml", "forum-warga-bounces@lists.example.id", "BULK"),
            ("loop.eml", "lapor@lapor.test", "LOOP"),
        ],
    )
    def test_automatic_mail_is_dropped_and_counted(
        self, door: int, name: str, sender: str, outcome: str
    ) -> None:
        send_file(door, name, sender=sender)
        assert not Complaint.objects.exists()
        assert InboundMail.objects.get().outcome == outcome
        assert not mail.outbox


class TestOutage:
    def test_a_database_that_cannot_be_reached_is_a_temporary_failure(
        self, door: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from django.db import OperationalError

        from inbound import services

        def down(**_: Any) -> services.Received:
            raise OperationalError("connection refused")

        monkeypatch.setattr(services, "receive_mail", down)
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send(door, citizen_mail())
        # 4xx: the sending server keeps the message and tries again later.
        assert deferred.value.smtp_code == 451
        monkeypatch.undo()
        send(door, citizen_mail())
        assert Complaint.objects.count() == 1
