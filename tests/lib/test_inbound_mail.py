"""Reading citizens' e-mail (``lapor.lib.inbound_mail``): messages as Gmail, Outlook, Apple Mail,
Yahoo, Thunderbird and Foxmail write them (``tests/lib/mail/*.eml``), the ones machines send, and
bytes no client writes."""

from __future__ import annotations

import email
import io
import logging
import random
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from lapor.lib import inbound_mail
from lapor.lib.inbound_mail import (
    AUTO_REPLY,
    BOUNCE,
    BULK,
    LOOP,
    MailAttachment,
    ParsedMail,
    clean_subject,
    html_to_text,
    parse_mail,
    reply_token,
    trim_reply,
)
from lapor.lib.text import has_forbidden_characters

MAIL = Path(__file__).parent / "mail"
FIXTURES = sorted(path.name for path in MAIL.glob("*.eml"))
OURS = ("lapor@lapor.test",)


def fixture(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def parse(name: str, envelope_sender: str | None = "citizen@example.id") -> ParsedMail:
    return parse_mail(fixture(name), envelope_sender=envelope_sender, our_addresses=OURS)


def html_part(name: str) -> str:
    """The text/html alternative of a fixture, decoded by the standard library."""
    message = email.message_from_bytes(fixture(name), policy=policy.default)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def edited(raw: bytes, *, drop: tuple[str, ...] = (), add: tuple[str, ...] = ()) -> bytes:
    """``raw`` without the headers named in ``drop`` (folded lines too) and with ``add``."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    dropped = {name.lower() for name in drop}
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            skipping = line.split(b":", 1)[0].decode().strip().lower() in dropped
        if not skipping:
            kept.append(line)
    return b"\r\n".join([*kept, *(header.encode() for header in add)]) + separator + body


def citizen(*headers: str, subject: str = "Jalan rusak di Palaran", sender: str = "") -> bytes:
    """A person's plain message, with ``headers`` added."""
    lines = [
        f"From: {sender or 'Siti Aminah <siti@example.id>'}",
        "To: lapor@lapor.test",
        f"Subject: {subject}",
        "Date: Mon, 10 Mar 2025 08:00:00 +0800",
        "Message-ID: <m1@example.id>",
        *headers,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Jalan berlubang di depan Pasar Pagi sejak sebulan.",
        "",
    ]
    return "\r\n".join(lines).encode()


def assert_jpeg(attachment: MailAttachment, name: str) -> None:
    assert (attachment.filename, attachment.content_type) == (name, "image/jpeg")
    with Image.open(io.BytesIO(attachment.content)) as image:
        assert (image.format, image.size) == ("JPEG", (16, 12))


def assert_pdf(attachment: MailAttachment, name: str) -> None:
    assert (attachment.filename, attachment.content_type) == (name, "application/pdf")
    assert len(PdfReader(io.BytesIO(attachment.content)).pages) == 1


class TestClients:
    def test_a_gmail_reply_keeps_the_new_words_and_names_the_thread(self) -> None:
        mail = parse("gmail_reply.eml")
        assert mail.subject == "[LAPOR-2025-000123] Laporan Anda sudah kami terima"
        assert (mail.sender, mail.sender_name) == ("siti.aminah@gmail.com", "Siti Aminah")
        assert mail.message_id == "CAJ5n0rZ4xQ8fJ1m2XkqZ-6L0b9Fw7b+8yq2=Dk3vS1hT7e@mail.gmail.com"
        assert mail.in_reply_to == ["rcpt.20250303.8f2c@lapor.test"]
        assert mail.text == (
            "Selamat pagi,\n\nLokasinya di Jl. Pangeran Antasari depan SDN 007, lubangnya sekitar"
            " 1 meter dan sudah dua kali ada pengendara motor jatuh. Mohon segera diperbaiki \u2014"
            " terima kasih."
        )
        assert mail.full_text.startswith(mail.text + "\n\n--\nSiti Aminah\n0812-3456-7890\n\n")
        assert mail.full_text.endswith(
            "menulis:\n\n> Laporan Anda LAPOR-2025-000123 sudah kami terima.\n>\n"
            "> Mohon sebutkan lokasi yang tepat.\n>"
        )
        assert (mail.attachments, mail.auto, mail.defects) == ([], "", 0)

    def test_gmails_html_alternative_reads_as_its_plain_text(self) -> None:
        html = html_part("gmail_reply.eml")
        expected = parse("gmail_reply.eml").text
        assert html_to_text(html) == expected + "\n\n--\nSiti Aminah\n0812-3456-7890"
        assert trim_reply(html_to_text(html)) == expected
        assert trim_reply(html_to_text(html, keep_quotes=True)) == expected

    def test_an_outlook_reply_in_windows_1252_is_cut_at_its_dari_dikirim_block(self) -> None:
        mail = parse("outlook_reply.eml")
        assert mail.subject == "[LAPOR-2025-000124] Permintaan keterangan"
        assert (mail.sender, mail.sender_name) == ("rahmat.hidayat@outlook.co.id", "Rahmat Hidayat")
        assert mail.message_id == (
            "SI2PR06MB5041C9A2E4D7F0B3A1C2D3E4@SI2PR06MB5041.apcprd06.prod.outlook.com"
        )
        assert mail.in_reply_to == ["rcpt.20250304.11aa@lapor.test"]
        assert mail.text == (
            "Selamat siang,\n\nPemadaman air di RT 12 Kelurahan Sidodadi sudah berlangsung 5 hari."
            " Warga harus membeli air galon \u2013 \u201cbiaya tambahan\u201d yang memberatkan."
            "\n\nSalam,\nRahmat"
        )
        assert "Dikirim: Selasa, 04 Maret 2025 16.40" in mail.full_text
        assert mail.auto == ""

    def test_outlooks_html_alternative_stops_at_its_reply_header(self) -> None:
        html = html_part("outlook_reply.eml")
        expected = parse("outlook_reply.eml").text
        assert html_to_text(html) == expected
        kept = html_to_text(html, keep_quotes=True)
        assert kept.startswith(expected + "\nDari: Lapor Samarinda <lapor@lapor.test>\nDikirim:")
        assert trim_reply(kept) == expected

    def test_an_iphone_report_joins_flowed_lines_and_keeps_the_photo(self) -> None:
        mail = parse("iphone.eml")
        assert mail.subject == "Lampu jalan mati di Gang Mawar"
        assert (mail.sender, mail.sender_name) == ("yusuf.maulana@icloud.com", "Yusuf Maulana")
        assert mail.text == (
            "Sudah tiga minggu lampu jalan di Gang Mawar RT 05 Kelurahan Sungai Pinang Dalam mati"
            " total. Malam hari gelap sekali dan warga takut lewat. Berikut fotonya:"
        )
        assert mail.full_text == mail.text + "\n\nDikirim dari iPhone saya"
        (photo,) = mail.attachments
        assert_jpeg(photo, "IMG_0412.jpeg")

    def test_a_yahoo_android_reply_is_cut_where_its_quotation_begins_on_one_line(self) -> None:
        mail = parse("yahoo_reply.eml")
        assert mail.text == (
            "Sampahnya sudah menumpuk lagi sejak kemarin, baunya sampai ke rumah warga."
        )
        assert mail.in_reply_to == [
            "rcpt.20250305.22bb@lapor.test",
            "rcpt.20250301.0001@lapor.test",
        ]
        assert (mail.sender, mail.sender_name) == ("dewi.lestari88@yahoo.co.id", "Dewi Lestari")

    def test_yahoos_html_alternative_drops_its_quotation_and_signature(self) -> None:
        text = html_to_text(html_part("yahoo_reply.eml"))
        assert text.startswith(
            "Sampahnya sudah menumpuk lagi sejak kemarin, baunya sampai ke rumah warga.\n\n"
            "Dikirim dari Yahoo Mail di Android (https://go.onelink.me/107872968?pid=InProduct&c="
        )
        assert "menulis" not in text
        assert trim_reply(text) == parse("yahoo_reply.eml").text

    def test_thunderbird_attachments_keep_their_names_and_bytes(self) -> None:
        mail = parse("thunderbird_attachments.eml")
        assert mail.subject == "Pungutan liar di kantor kelurahan"
        assert mail.text == (
            "Selamat pagi Bapak/Ibu,\n\nSaat mengurus surat pengantar di Kantor Kelurahan Air"
            " Putih, petugas meminta uang Rp50.000 \u2014 tanpa kuitansi. Foto loket dan surat"
            " keterangan saya lampirkan.\n\nHormat saya,\nAgus Salim"
        )
        photo, letter = mail.attachments
        assert_jpeg(photo, "loket kelurahan.jpg")
        assert_pdf(letter, "Surat keterangan \u2013 Kelurahan Air Putih.pdf")

    def test_an_html_only_message_in_iso_8859_1_is_converted(self) -> None:
        mail = parse("html_only.eml")
        # Outlook Express labels Windows-1252 as ISO-8859-1: =96 is a dash, not a control.
        assert mail.subject == "Keluhan layanan IGD \u2013 menunggu \u00b1 4 jam"
        assert mail.sender_name == "Ren\u00e9 Wijaya"
        assert mail.text == (
            "Yth. Admin LAPOR,\n\n"
            "Saya Ren\u00e9 Wijaya, ingin menyampaikan keluhan tentang layanan IGD RSUD A. Wahab"
            " Sjahranie:\n\n"
            "- Anak saya demam 39\u00b0C tetapi menunggu \u00b1 4 jam tanpa diperiksa;\n"
            "- Petugas jaga tidak berada di tempat & telepon tidak diangkat.\n\n"
            "Kronologi lengkap ada di dokumen ini (https://drive.example.id/s/kronologi-igd),"
            " dan Anda dapat menghubungi saya di rene.wijaya@example.id.\n\n"
            "Tanggal kejadian: 2 Maret 2025\n\n"
            "Terima kasih."
        )

    def test_a_foxmail_message_labelled_gb2312_is_read_as_gbk(self) -> None:
        mail = parse("foxmail_gb2312.eml")
        # 喆 is not in GB2312; Foxmail writes GBK under that label.
        assert mail.sender_name == "王喆"
        assert mail.subject == "Jalan rusak 道路损坏 di Jl. Gajah Mada"
        assert mail.text == (
            "您好！\n\nJalan di depan Toko Sinar Jaya (Jl. Gajah Mada 88) 道路损坏，有很大的坑洞。\n"
            "已经两个月了，请尽快修理。\n\n王喆"
        )

    def test_encoded_subjects_and_file_names_are_decoded_and_stripped_of_paths(self) -> None:
        mail = parse("encoded_names.eml")
        # The em dash is split between two encoded words, as some mailers write it.
        assert mail.subject == "Laporan jalan \u2014 Kecamatan Palaran"
        assert mail.sender_name == "Ni Luh Putu Ayu Wulandari"
        assert [(a.filename, a.content_type) for a in mail.attachments] == [
            ("Foto jalan \u2013 malam.jpg", "image/jpeg"),  # RFC 2047 in a quoted name
            (
                "Surat permohonan perbaikan jalan Kelurahan Bukuan \u2013 RT 03.pdf",
                "application/pdf",
            ),  # RFC 2231 continuations
            ("IMG_20250301_0930.jpg", "image/jpeg"),  # a Windows path
            ("denah.png", "image/png"),  # ../../lampiran/.denah.png
            ("attachment-5.png", "image/png"),  # an inline image with only a Content-ID
        ]
        assert_pdf(mail.attachments[1], mail.attachments[1].filename)
        assert mail.text == "Jalan di Kecamatan Palaran rusak parah, foto dan surat terlampir."

    def test_a_forwarded_complaint_with_a_short_note_keeps_what_it_forwards(self) -> None:
        mail = parse("gmail_forward.eml")
        assert mail.subject == "Posyandu Melati tidak buka"
        assert mail.text == (
            "Mohon ditindaklanjuti, surat ini sudah dua minggu tidak dijawab.\n\n"
            "Yth. Dinas Kesehatan,\n\n"
            "Posyandu Melati di RT 09 Kelurahan Lok Bahu tidak buka selama tiga bulan,\n"
            "padahal banyak balita yang perlu imunisasi.\n\n"
            "Terima kasih,\nSiti Aminah"
        )
        assert "---------- Pesan terusan ---------\nDari: Siti Aminah" in mail.full_text

    def test_a_message_forwarded_as_an_attachment_is_read_as_a_forward(self) -> None:
        mail = parse("forward_as_attachment.eml")
        assert mail.subject == "Air PDAM keruh"
        assert mail.text == (
            "Keluhan tetangga saya, mohon dibantu.\n\n"
            "Air PDAM di Perumahan Bengkuring keruh dan berbau sejak Sabtu."
        )
        assert (
            "---------- Forwarded message ---------\n"
            "From: Bambang Irawan <bambang.irawan@example.id>\n"
            "Date: Mon, 10 Mar 2025 07:30:00 +0800\n"
            "Subject: Air PDAM keruh\n"
            "To: Agus Salim <agus.salim@example.id>"
        ) in mail.full_text
        (photo,) = mail.attachments
        assert_jpeg(photo, "air keruh.jpg")

    @pytest.mark.parametrize("name", FIXTURES)
    def test_every_text_is_clean(self, name: str) -> None:
        mail = parse(name)
        for text in (mail.subject, mail.text, mail.full_text, mail.sender_name):
            assert not has_forbidden_characters(text)
            assert "\r" not in text
        assert mail.text == mail.text.strip()
        assert "\n\n\n" not in mail.full_text


class TestAutomatic:
    def test_a_persons_message_is_not_automatic(self) -> None:
        assert parse_mail(citizen(), envelope_sender="siti@example.id").auto == ""

    @pytest.mark.parametrize("envelope", ["", "<>"])
    def test_a_delivery_status_notification_is_a_bounce(self, envelope: str) -> None:
        assert parse("dsn_bounce.eml", envelope_sender=envelope).auto == BOUNCE

    def test_a_bounce_read_from_a_mailbox_is_known_by_its_return_path(self) -> None:
        assert parse("dsn_bounce.eml", envelope_sender=None).auto == BOUNCE
        assert parse_mail(citizen("Return-Path: <>")).auto == BOUNCE
        assert parse_mail(citizen("Return-Path: <siti@example.id>")).auto == ""
        assert parse_mail(citizen()).auto == ""  # no envelope, no Return-Path: not known

    @pytest.mark.parametrize(
        ("envelope", "headers", "sender"),
        [
            ("", (), ""),
            ("<>", (), ""),
            (
                "siti@example.id",
                ("Content-Type: multipart/report; report-type=delivery-status",),
                "",
            ),
            ("siti@example.id", ("X-Failed-Recipients: budi@example.id",), ""),
            ("siti@example.id", (), "Mail Delivery Subsystem <MAILER-DAEMON@googlemail.com>"),
            ("siti@example.id", (), "postmaster@example.id"),
        ],
    )
    def test_each_sign_of_a_bounce(
        self, envelope: str, headers: tuple[str, ...], sender: str
    ) -> None:
        raw = citizen(sender=sender)
        if headers:
            raw = edited(raw, drop=("Content-Type",), add=headers)
        assert parse_mail(raw, envelope_sender=envelope).auto == BOUNCE

    def test_a_read_receipt_is_an_auto_reply(self) -> None:
        raw = edited(
            citizen(),
            drop=("Content-Type",),
            add=("Content-Type: multipart/report; report-type=disposition-notification",),
        )
        assert parse_mail(raw, envelope_sender="siti@example.id").auto == AUTO_REPLY

    def test_an_out_of_office_reply_is_an_auto_reply(self) -> None:
        mail = parse("out_of_office.eml")
        assert mail.auto == AUTO_REPLY
        assert mail.in_reply_to == ["rcpt.20250309.33cc@lapor.test"]
        plain = edited(
            fixture("out_of_office.eml"),
            drop=("Auto-Submitted", "X-Auto-Response-Suppress", "Subject"),
            add=("Subject: Re: [LAPOR-2025-000126] Laporan Anda sudah kami terima",),
        )
        assert parse_mail(plain, envelope_sender="rina@example.id").auto == ""

    @pytest.mark.parametrize(
        "header",
        [
            "Auto-Submitted: auto-replied",
            "Auto-Submitted: auto-generated (vacation)",
            "Auto-Submitted: auto-notified; owner-email=rina@example.id",
            "X-Autoreply: yes",
            "X-Autorespond: Rina Kusuma",
            "X-Auto-Response-Suppress: All",
            "X-Auto-Response-Suppress: DR, OOF, AutoReply",
            "Precedence: auto_reply",
        ],
    )
    def test_each_header_of_an_auto_reply(self, header: str) -> None:
        assert parse_mail(citizen(header), envelope_sender="siti@example.id").auto == AUTO_REPLY

    @pytest.mark.parametrize(
        "subject",
        [
            "Automatic reply: Jalan rusak di Palaran",
            "Balasan Otomatis: [LAPOR-2025-000126] Laporan Anda sudah kami terima",
            "Out of Office",
            "Out of the office: Jalan rusak",
            "Sedang tidak di kantor: Re: laporan",
            "Auto-Reply: Jalan rusak",
        ],
    )
    def test_an_out_of_office_subject_is_an_auto_reply(self, subject: str) -> None:
        assert (
            parse_mail(citizen(subject=subject), envelope_sender="s@example.id").auto == AUTO_REPLY
        )

    @pytest.mark.parametrize(
        ("header", "subject"),
        [
            ("Auto-Submitted: no", "Jalan rusak"),
            ("X-Autoreply: no", "Jalan rusak"),
            ("X-Auto-Response-Suppress: DR, RN, NRN", "Jalan rusak"),
            ("X-Mailer: Outlook", "Out of office hours, loket kelurahan tutup"),
            ("X-Mailer: Outlook", "Sedang tidak di kantor saat jam kerja, pegawai kelurahan"),
            ("X-Mailer: Outlook", "Balasan otomatis dari kelurahan tidak membantu"),
        ],
    )
    def test_what_only_looks_automatic_is_a_persons(self, header: str, subject: str) -> None:
        raw = citizen(header, subject=subject)
        assert parse_mail(raw, envelope_sender="siti@example.id").auto == ""

    def test_a_mailing_list_message_is_bulk(self) -> None:
        assert parse("mailing_list.eml").auto == BULK

    @pytest.mark.parametrize(
        "header",
        [
            "Precedence: bulk",
            "Precedence: junk",
            "Precedence: list",
            "List-Id: <warga.lists.example.id>",
            "List-Unsubscribe: <https://news.example.id/u/123>",
        ],
    )
    def test_each_sign_of_bulk_mail(self, header: str) -> None:
        assert parse_mail(citizen(header), envelope_sender="siti@example.id").auto == BULK

    def test_our_own_mail_coming_back_is_a_loop(self) -> None:
        assert parse("loop.eml").auto == LOOP
        unstamped = edited(fixture("loop.eml"), drop=("X-Lapor-Loop",))
        assert parse_mail(unstamped, our_addresses=OURS).auto == LOOP
        assert parse_mail(unstamped).auto == ""

    def test_the_loop_header_is_the_callers(self) -> None:
        raw = citizen("X-Portal-Stamp: 1")
        assert parse_mail(raw, envelope_sender="s@example.id").auto == ""
        assert (
            parse_mail(raw, envelope_sender="s@example.id", loop_header="x-portal-stamp").auto
            == LOOP
        )

    def test_mail_from_a_tagged_address_of_ours_is_a_loop(self) -> None:
        raw = citizen(sender="Lapor <LAPOR+r.abc123@lapor.test>")
        assert parse_mail(raw, envelope_sender="x@example.id", our_addresses=OURS).auto == LOOP
        assert (
            parse_mail(citizen(), envelope_sender="lapor@lapor.test", our_addresses=OURS).auto
            == LOOP
        )

    def test_too_many_received_headers_is_a_loop(self) -> None:
        hops = [
            f"Received: from mx{i}.example.id by mx{i + 1}.example.id; Mon, 10 Mar 2025"
            for i in range(31)
        ]
        assert parse_mail(citizen(*hops), envelope_sender="s@example.id").auto == LOOP
        assert parse_mail(citizen(*hops[:30]), envelope_sender="s@example.id").auto == ""
        assert (
            parse_mail(citizen(*hops[:30]), envelope_sender="s@example.id", max_received=29).auto
            == LOOP
        )

    def test_a_loop_is_named_before_a_bounce(self) -> None:
        raw = citizen("X-Lapor-Loop: 1", "Auto-Submitted: auto-generated")
        assert parse_mail(raw, envelope_sender="").auto == LOOP


class TestFlowed:
    @pytest.mark.parametrize(
        ("parameters", "lines", "expected"),
        [
            ("format=flowed", "Jalan di depan \r\npasar rusak.\r\n", "Jalan di depan pasar rusak."),
            (
                "format=flowed; delsp=yes",
                "Jalan di dep \r\nan pasar rusak.\r\n",
                "Jalan di depan pasar rusak.",
            ),
            ("format=fixed", "Jalan di depan \r\npasar rusak.\r\n", "Jalan di depan\npasar rusak."),
            (
                "format=flowed",
                "Sudah. \r\n\r\n-- \r\nBudi \r\nRT 03\r\n",
                "Sudah.",
            ),
        ],
    )
    def test_soft_line_breaks_are_joined(self, parameters: str, lines: str, expected: str) -> None:
        raw = (
            H + f"Content-Type: text/plain; charset=us-ascii; {parameters}\r\n\r\n{lines}".encode()
        )
        assert parse_mail(raw).text == expected

    def test_quoted_flowed_lines_stay_quoted(self) -> None:
        raw = H + (
            b"Content-Type: text/plain; format=flowed\r\n\r\nYa, benar.\r\n\r\n"
            b"Pada 3/3/25 10.05, Lapor menulis:\r\n> Apakah lokasinya di \r\n> depan pasar?\r\n"
        )
        mail = parse_mail(raw)
        assert mail.text == "Ya, benar."
        assert mail.full_text.endswith("menulis:\n> Apakah lokasinya di depan pasar?")


class TestSubject:
    @pytest.mark.parametrize(
        ("subject", "expected"),
        [
            ("Re: RE: Fwd: Jalan rusak", "Jalan rusak"),
            ("Bls: Balas: Jalan rusak", "Jalan rusak"),
            ("TRS: Jalan rusak", "Jalan rusak"),
            ("Tr: Jalan rusak", "Jalan rusak"),
            ("AW: WG: Jalan rusak", "Jalan rusak"),
            ("Fw: Jalan rusak", "Jalan rusak"),
            ("Re[2]: Jalan rusak", "Jalan rusak"),
            ("RE : Jalan rusak", "Jalan rusak"),
            ("回复：Jalan rusak", "Jalan rusak"),
            ("  Re:   Jalan\t rusak\n  di  Palaran ", "Jalan rusak di Palaran"),
            ("Reklamasi pantai", "Reklamasi pantai"),
            ("Trotoar rusak: Re: jalan", "Trotoar rusak: Re: jalan"),
            ("Re:", ""),
            ("", ""),
        ],
    )
    def test_prefixes_are_stripped_and_spaces_collapsed(self, subject: str, expected: str) -> None:
        assert clean_subject(subject) == expected

    def test_a_folded_encoded_subject_is_decoded(self) -> None:
        raw = citizen(
            subject="=?utf-8?q?Re=3A_Air_PDAM_keruh_=E2=80=93?=\r\n =?utf-8?q?_Bengkuring?="
        )
        assert parse_mail(raw).subject == "Air PDAM keruh \u2013 Bengkuring"

    def test_an_unknown_charset_in_an_encoded_word_is_guessed(self) -> None:
        raw = citizen(subject="=?x-unknown?q?Caf=C3=A9_tutup?= =?bogus?B?4oCU?= x")
        assert parse_mail(raw).subject == "Caf\u00e9 tutup\u2014 x"

    def test_a_huge_subject_is_cut(self) -> None:
        mail = parse_mail(citizen(subject="Jalan " * 200_000))
        assert len(mail.subject) <= 998
        assert mail.subject.startswith("Jalan Jalan")


class TestTrimReply:
    def test_an_english_gmail_attribution_wrapped_on_two_lines_goes_with_its_quote(self) -> None:
        text = (
            "Lokasinya di depan SDN 007.\n\n"
            "On Mon, 3 Mar 2025 at 10:05, Lapor Samarinda <\nlapor@lapor.test> wrote:\n\n"
            "> Mohon sebutkan lokasinya.\n"
        )
        assert trim_reply(text) == "Lokasinya di depan SDN 007."

    def test_an_inline_reply_keeps_the_answers_between_the_quotations(self) -> None:
        text = (
            "Pada 3/3/25 10.05, Lapor Samarinda menulis:\n"
            "> Di mana lokasinya?\n\n"
            "Jl. Pangeran Antasari, depan SDN 007.\n\n"
            "> Sejak kapan?\n"
            ">\n"
            "Sejak Januari.\n\n"
            "-- \nBudi\n"
        )
        assert trim_reply(text) == "Jl. Pangeran Antasari, depan SDN 007.\n\nSejak Januari."

    @pytest.mark.parametrize(
        "separator",
        [
            "-----Original Message-----\nFrom: Lapor <lapor@lapor.test>",
            "-----Pesan Asli-----\nDari: Lapor <lapor@lapor.test>",
            "________________________________\nFrom: Lapor <lapor@lapor.test>",
            "From: Lapor <lapor@lapor.test>\nSent: Tuesday, March 4, 2025 4:40 PM\nTo: Budi\nSubject: x",
            "Dari: Lapor <lapor@lapor.test>\nDikirim: Selasa, 04 Maret 2025 16.40\nKepada: Budi\nPerihal: x",
            "*From:* Lapor <lapor@lapor.test>\n*Date:* Tue, 4 Mar 2025\n*To:* Budi",
            "On Tue, Mar 4, 2025 at 4:40 PM Lapor <lapor@lapor.test> wrote:",
        ],
    )
    def test_everything_after_an_outlook_style_quotation_is_cut(self, separator: str) -> None:
        text = f"Airnya masih mati.\n\nSalam,\nBudi\n\n{separator}\n\nMohon jelaskan sejak kapan.\n"
        assert trim_reply(text) == "Airnya masih mati.\n\nSalam,\nBudi"

    def test_a_letter_that_begins_with_dari_and_tanggal_is_kept(self) -> None:
        text = (
            "Dari: Budi Santoso, warga RT 03\nTanggal: 4 Maret 2025\nPerihal: Jalan rusak\n\n"
            "Jalan di depan rumah saya berlubang."
        )
        assert trim_reply(text) == text

    def test_a_citizen_quoting_a_letter_in_words_is_kept(self) -> None:
        text = "Pada surat tanggal 3 Maret, Camat menulis:\nJalan akan diperbaiki bulan ini.\n\nBelum ada."
        assert trim_reply(text) == text

    @pytest.mark.parametrize(
        "signature",
        [
            "Sent from my iPhone",
            "Sent from my Samsung Galaxy smartphone.",
            "Dikirim dari iPhone saya",
            "Dikirim dari Yahoo Mail di Android",
            "Dikirim dari Yahoo Mail untuk iPhone",
            "Get Outlook for Android<https://aka.ms/AAb9ysg>",
            "Dapatkan Outlook untuk Android",
            "Sent from Mail for Windows",
            "-- \nBudi Santoso\nKetua RT 03\n0812-0000-1111",
            "--\nBudi Santoso",
        ],
    )
    def test_a_trailing_signature_is_removed(self, signature: str) -> None:
        assert trim_reply(f"Lampu jalan mati.\n\n{signature}\n") == "Lampu jalan mati."

    def test_a_long_block_after_two_dashes_is_not_a_signature(self) -> None:
        text = "Kronologi:\n--\n" + "\n".join(f"{day} Maret: lampu mati." for day in range(1, 15))
        assert trim_reply(text) == text

    def test_an_apple_mail_forward_keeps_the_forwarded_text_without_its_headers(self) -> None:
        text = (
            "Mohon dibantu.\n\nBegin forwarded message:\n\n"
            "From: Budi <budi@example.id>\nSubject: Jalan rusak\n"
            "Date: 3 March 2025 at 10:00:00 GMT+7\nTo: dinas@example.go.id\n\n"
            "Jalan di RT 03 rusak.\n\nSent from my iPhone\n"
        )
        assert trim_reply(text) == "Mohon dibantu.\n\nJalan di RT 03 rusak."

    def test_a_forward_quoted_by_html_is_unquoted(self) -> None:
        html = (
            '<div>Begin forwarded message:</div><br><blockquote type="cite"><div><b>From:</b>'
            " Budi &lt;budi@example.id&gt;<br><b>Subject:</b> Jalan rusak<br></div><br>"
            "<div>Jalan di RT 03 rusak.</div></blockquote>"
        )
        assert trim_reply(html_to_text(html, keep_quotes=True)) == "Jalan di RT 03 rusak."

    def test_after_a_long_text_a_forward_is_a_quotation(self) -> None:
        own = "Saya sudah melapor berkali-kali. " * 12
        text = (
            f"{own}\n\n---------- Forwarded message ---------\nFrom: Budi <budi@example.id>\n\n"
            "Laporan lama.\n"
        )
        assert trim_reply(text) == own.strip()

    def test_outlook_forwards_are_known_only_by_the_subject(self) -> None:
        text = (
            "Tolong ditindaklanjuti.\n\n________________________________\n"
            "Dari: Budi <budi@example.id>\nDikirim: Senin, 03 Maret 2025 10.00\n"
            "Kepada: Dinas PU <pu@example.go.id>\nPerihal: Jalan rusak\n\nJalan di RT 03 rusak.\n"
        )
        assert trim_reply(text, forward=True) == "Tolong ditindaklanjuti.\n\nJalan di RT 03 rusak."
        assert trim_reply(text) == "Tolong ditindaklanjuti."

    def test_a_forward_of_a_reply_keeps_the_forwarded_words_only(self) -> None:
        text = (
            "---------- Forwarded message ---------\nFrom: Budi <budi@example.id>\n"
            "Date: Mon, 3 Mar 2025\nSubject: Re: Jalan\nTo: <dinas@example.go.id>\n\n\n"
            "Masih rusak.\n\nOn Sun, 2 Mar 2025 at 09:00, Dinas <dinas@example.go.id> wrote:\n"
            "> Sudah kami catat.\n"
        )
        assert trim_reply(text) == "Masih rusak."

    def test_nothing_but_a_quotation_is_nothing(self) -> None:
        assert trim_reply("On Mon, 3 Mar 2025 at 10:05 Lapor <l@x.id> wrote:\n> Halo\n") == ""


class TestHtmlToText:
    def test_blocks_lists_links_and_entities(self) -> None:
        html = (
            "<html><head><title>Judul</title><style>p {color: red}</style>"
            "<script>alert(1)</script></head><body>"
            "<h1>Laporan</h1><p>Jalan&nbsp;rusak &amp; berlubang &lt;1 m&gt;.</p>"
            "<ul><li>RT 03</li><li>RT 04</li></ul><ol><li>Januari</li><li>Februari</li></ol>"
            '<p>Peta: <a href="https://maps.example.id/x">lokasi</a>, '
            '<a href="https://maps.example.id/y">https://maps.example.id/y</a>, '
            '<a href="mailto:budi@example.id?subject=x">budi@example.id</a>, '
            '<a href="javascript:void(0)">klik</a></p>'
            "<div>baris satu<br>baris dua<br><br>baris empat</div>"
            '<span style="display: none">tersembunyi</span><p hidden>juga</p>'
            "<table><tr><td>Nama</td><td>Budi</td></tr><tr><td>RT</td><td>03</td></tr></table>"
            "</body></html>"
        )
        assert html_to_text(html) == (
            "Laporan\n\nJalan rusak & berlubang <1 m>.\n\n- RT 03\n- RT 04\n1. Januari\n"
            "2. Februari\n\nPeta: lokasi (https://maps.example.id/x), https://maps.example.id/y,"
            " budi@example.id, klik\n\nbaris satu\nbaris dua\n\nbaris empat\nNama Budi\nRT 03"
        )

    @pytest.mark.parametrize(
        "quoted",
        [
            '<blockquote type="cite"><div>Pesan lama</div></blockquote>',
            '<div class="gmail_quote"><div class="gmail_attr">On x wrote:</div>'
            "<blockquote>Pesan lama</blockquote></div>",
            '<div class="yahoo_quoted" id="yahoo_quoted_123"><div>Pada Senin menulis:</div>'
            "<div>Pesan lama</div></div>",
            '<div class="moz-cite-prefix">Pada 03/03/25 10.05, Lapor menulis:<br></div>'
            '<blockquote type="cite" cite="mid:x@y">Pesan lama</blockquote>',
            '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Lapor</div>'
            "<div>Pesan lama</div>",
            '<div id="x_divRplyFwdMsg"><b>Dari:</b> Lapor</div><div>Pesan lama</div>',
            "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
            "<p class=MsoNormal><b>From:</b> Lapor</p></div><p class=MsoNormal>Pesan lama</p>",
        ],
    )
    def test_quoted_blocks_of_replies_are_dropped(self, quoted: str) -> None:
        html = f"<div>Air masih mati.</div>{quoted}<div></div>"
        assert html_to_text(html) == "Air masih mati."

    def test_with_keep_quotes_a_blockquote_is_marked_as_in_plain_text(self) -> None:
        html = (
            "<div>Jawaban saya</div><div>On x, Lapor &lt;l@x.id&gt; wrote:</div><blockquote>"
            "<p>Pertanyaan</p><blockquote>Lebih lama</blockquote></blockquote><div>Akhir</div>"
        )
        assert html_to_text(html, keep_quotes=True) == (
            "Jawaban saya\nOn x, Lapor <l@x.id> wrote:\n\n> Pertanyaan\n>\n> > Lebih lama\nAkhir"
        )

    def test_outlooks_empty_paragraphs_are_blank_lines(self) -> None:
        html = (
            "<p class=MsoNormal>Selamat siang,<o:p></o:p></p>"
            "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
            "<p class=MsoNormal>Air mati.<o:p></o:p></p>"
            "<p class=MsoNormal>Salam,<o:p></o:p></p>"
        )
        assert html_to_text(html) == "Selamat siang,\n\nAir mati.\nSalam,"

    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            ("<p>Halo</p><![foo[ x <p>lagi</p>", "Halo\n\nlagi"),
            ("<div>a < b dan c > d</div>", "a < b dan c > d"),
            ("<div>teks <b>tebal", "teks tebal"),
            ("<p>satu</div></span></p>dua", "satu\n\ndua"),
            ("<script>var x = '</div>';", ""),
            ("teks <!-- komentar tanpa akhir", "teks"),
            ("<p>Harga &#128; &#x20AC; &euro; &euro &bogus;</p>", "Harga € € € &euro &bogus;"),
            ("<a href='https://x.example.id'><img src='x.png'></a>Teks", "Teks"),
        ],
    )
    def test_malformed_html_is_read_as_a_browser_would(self, html: str, expected: str) -> None:
        assert html_to_text(html) == expected

    @pytest.mark.parametrize(
        "html",
        ["<a " * 200_000, "<a b='" * 100_000, "<!--" * 100_000, "</" * 200_000, "<?" * 200_000],
    )
    def test_pathological_html_takes_linear_time(self, html: str) -> None:
        # html.parser of Python 3.11 takes minutes over the first two.
        started = time.monotonic()
        html_to_text(html)
        assert time.monotonic() - started < 10


class TestReplyToken:
    @pytest.mark.parametrize(
        ("address", "expected"),
        [
            ("lapor+r.k7q2m9x4@lapor.test", "k7q2m9x4"),
            ("LAPOR+R.K7Q2M9X4@Lapor.Test", "k7q2m9x4"),
            ("<lapor+r.ab_c-1@lapor.test>", "ab_c-1"),
            ("lapor@lapor.test", None),
            ("lapor+x.k7q2m9x4@lapor.test", None),
            ("lapor+r.@lapor.test", None),
            ("lapor+r.k7q2/../x@lapor.test", None),
            ("pengaduan+r.k7q2m9x4@lapor.test", None),
            ("lapor+r.k7q2m9x4", None),
            ("", None),
        ],
    )
    def test_only_a_reply_address_of_the_prefix_has_a_token(
        self, address: str, expected: str | None
    ) -> None:
        assert reply_token(address, local_prefix="lapor") == expected


H = b"From: Budi <budi@example.id>\r\nTo: lapor@lapor.test\r\nSubject: Tes\r\n"


def nested(levels: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nteks terdalam\r\n"
    for level in range(levels):
        body = (
            f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
            + body
            + f"\r\n--b{level}--\r\n".encode()
        )
    return H + body


class TestMalformed:
    @pytest.mark.parametrize(
        ("charset", "body", "expected"),
        [
            (
                "x-unknown",
                "Jalan rusak \u2014 mohon diperbaiki.".encode(),
                "Jalan rusak \u2014 mohon diperbaiki.",
            ),
            (
                "x-unknown",
                "Warga membeli air galon \u2013 \u201cbiaya tambahan\u201d yang memberatkan.".encode(
                    "cp1252"
                ),
                "Warga membeli air galon \u2013 \u201cbiaya tambahan\u201d yang memberatkan.",
            ),
            ('"utf8"', "Caf\u00e9 Samarinda".encode(), "Caf\u00e9 Samarinda"),
            (
                "utf-8",
                "Air galon \u2013 \u201cmahal\u201d".encode("cp1252"),
                "Air galon \u2013 \u201cmahal\u201d",
            ),
            ("punycode", b"Jalan-rusak-xyz", "Jalan-rusak-xyz"),
            ("unicode-escape", b"\\u0041 rusak", "\\u0041 rusak"),
            ("idna", "Caf\u00e9".encode(), "Caf\u00e9"),
            ("undefined", b"Jalan rusak", "Jalan rusak"),
        ],
    )
    def test_a_wrong_charset_falls_back_to_what_the_bytes_are(
        self, charset: str, body: bytes, expected: str
    ) -> None:
        raw = (
            H
            + f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
            + body
        )
        assert parse_mail(raw).text == expected

    def test_raw_8bit_headers_are_read(self) -> None:
        utf8 = b"From: Ren\xc3\xa9 <rene@example.id>\r\nSubject: Jalan rusak \xe2\x80\x94 Palaran\r\n\r\nx"
        latin1 = b"From: Ren\xe9 <rene@example.id>\r\nSubject: Caf\xe9 tutup\r\n\r\nx"
        assert (parse_mail(utf8).sender_name, parse_mail(utf8).subject) == (
            "Ren\u00e9",
            "Jalan rusak \u2014 Palaran",
        )
        assert (parse_mail(latin1).sender_name, parse_mail(latin1).subject) == (
            "Ren\u00e9",
            "Caf\u00e9 tutup",
        )

    def test_a_multipart_without_its_boundary_parameter_is_read_by_its_first_boundary(self) -> None:
        raw = (
            H
            + b"Content-Type: multipart/mixed\r\n\r\n--abc\r\nContent-Type: text/plain\r\n\r\nIsi laporan\r\n--abc--\r\n"
        )
        mail = parse_mail(raw)
        assert (mail.text, mail.attachments) == ("Isi laporan", [])
        assert mail.defects > 0

    def test_an_unreadable_boundary_parameter_is_read_from_the_body(self) -> None:
        raw = H + (
            b"Content-Type: multipart/alternative; boundary*=idna''abc\r\n\r\n--abc\r\n"
            b"Content-Type: text/plain; charset=idna\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            b"Isi laporan \xe2\x80\x94 lengkap\r\n--abc--\r\n"
        )
        assert parse_mail(raw).text == "Isi laporan \u2014 lengkap"

    def test_a_truncated_multipart_keeps_what_arrived(self) -> None:
        raw = (
            H + b"Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n"
            b"Content-Type: text/plain\r\n\r\nIsi laporan yang terpotong\r\n--abc\r\n"
            b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQ"
        )
        mail = parse_mail(raw)
        assert mail.text == "Isi laporan yang terpotong"
        assert [(a.filename, a.content[:2]) for a in mail.attachments] == [
            ("attachment-1.jpg", b"\xff\xd8")
        ]

    def test_base64_garbage_decodes_what_it_can(self) -> None:
        raw = (
            H
            + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!@@##SmFsYW4gcnVzYWs=====**\r\n"
        )
        assert parse_mail(raw).text == "Jalan rusak"

    def test_nesting_deeper_than_the_limit_is_left_unread(self) -> None:
        assert parse_mail(nested(10)).text == "teks terdalam"
        started = time.monotonic()
        deep = parse_mail(nested(1000))
        assert time.monotonic() - started < 10
        assert (deep.subject, deep.text, deep.defects) == ("Tes", "", 1)

    def test_deeply_nested_attached_messages_are_left_unread(self) -> None:
        raw = H + b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"Subject: dalam\r\n\r\nisi\r\n"
        mail = parse_mail(raw)
        assert (mail.subject, mail.text, mail.defects) == ("Tes", "", 1)

    def test_huge_headers_are_cut(self) -> None:
        references = b" ".join(b"<%d@example.id>" % number for number in range(100_000))
        raw = (
            b"From: "
            + b"x" * 2_000_000
            + b" <b@example.id>\r\nReferences: "
            + references
            + b"\r\nSubject: Tes\r\n\r\nisi\r\n"
        )
        mail = parse_mail(raw)
        assert (mail.subject, mail.text) == ("Tes", "isi")
        assert len(mail.in_reply_to) == inbound_mail.MAX_IDS
        assert mail.in_reply_to[0].endswith("@example.id")

    def test_the_text_is_capped(self) -> None:
        raw = (
            citizen()[: -len("Jalan berlubang di depan Pasar Pagi sejak sebulan.\r\n")]
            + b"kata " * 5000
        )
        mail = parse_mail(raw, max_text=100)
        assert len(mail.text) <= 100
        assert mail.text.startswith("kata kata")
        assert len(mail.full_text) == len("kata " * 5000) - 1

    @pytest.mark.parametrize(
        "raw", [b"", b"\r\n", b"Subject: hanya judul\r\n", bytes(range(256)) * 4]
    )
    def test_what_is_barely_a_message_is_read_as_far_as_it_goes(self, raw: bytes) -> None:
        mail = parse_mail(raw)
        assert mail.auto == ""
        assert mail.sender == "" and mail.attachments == []

    def test_an_unforeseen_failure_is_logged_and_read_as_nothing(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        def fail(*args: object, **kwargs: object) -> ParsedMail:
            raise RuntimeError("siti.aminah@gmail.com")

        monkeypatch.setattr(inbound_mail, "_parse", fail)
        with caplog.at_level(logging.ERROR, logger="lapor.lib.inbound_mail"):
            mail = parse_mail(fixture("gmail_reply.eml"))
        assert (mail.text, mail.sender, mail.defects) == ("", "", 1)
        assert "Unreadable message" in caplog.text and "RuntimeError" in caplog.text
        assert "siti" not in caplog.text


def mutations(rng: random.Random) -> Iterator[bytes]:
    """Random bytes, and the fixtures cut, flipped, spliced and mislabelled."""
    originals = [fixture(name) for name in FIXTURES]
    junk = [
        b"\r\n",
        b"\r",
        b"\n\n",
        b"--",
        b"=?utf-8?b?",
        b"?=",
        b"<",
        b">",
        b'"',
        b";",
        b"=",
        b"\x00",
        b"\xff",
        b"boundary=",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
    ]
    labels = [
        b"x-unknown",
        b"utf8",
        b"punycode",
        b"utf-7",
        b"utf-16",
        b"idna",
        b"undefined",
        b"gb2312",
        b"",
        b'""',
    ]
    for _ in range(150):
        yield rng.randbytes(rng.randint(0, 3000))
    for _ in range(350):
        raw = bytearray(rng.choice(originals))
        kind = rng.randrange(6)
        if kind == 0:
            raw = raw[: rng.randint(0, len(raw))]
        elif kind == 1:
            for _ in range(rng.randint(1, 30)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif kind == 2:
            for _ in range(rng.randint(1, 10)):
                at = rng.randrange(len(raw))
                raw[at:at] = rng.choice(junk)
        elif kind == 3:
            start = rng.randrange(len(raw))
            del raw[start : start + rng.randint(1, 400)]
        elif kind == 4:
            raw = raw.replace(b"charset=", b"charset=" + rng.choice(labels) + b";x=")
        else:
            raw = raw.replace(b"\r\n", rng.choice([b"\n", b"\r", b"\r\r\n"]))
        yield bytes(raw)


class TestFuzz:
    def test_no_bytes_make_parse_mail_fail(self, caplog: pytest.LogCaptureFixture) -> None:
        count = 0
        with caplog.at_level(logging.ERROR, logger="lapor.lib.inbound_mail"):
            for raw in mutations(random.Random(18)):
                mail = parse_mail(raw, envelope_sender=None, our_addresses=OURS, max_text=2000)
                for text in (
                    mail.message_id,
                    mail.sender,
                    mail.sender_name,
                    mail.subject,
                    mail.text,
                    mail.full_text,
                    mail.auto,
                ):
                    assert isinstance(text, str)
                    assert not has_forbidden_characters(text)
                assert len(mail.text) <= 2000
                assert all(isinstance(message_id, str) for message_id in mail.in_reply_to)
                for attachment in mail.attachments:
                    assert isinstance(attachment.content, bytes) and attachment.content
                    assert attachment.filename and "/" not in attachment.filename
                    assert "\\" not in attachment.filename
                assert mail.auto in {"", BOUNCE, AUTO_REPLY, BULK, LOOP}
                count += 1
        assert count == 500
        assert caplog.records == []
