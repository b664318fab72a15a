"""The e-mail door under attack and under odd real-world mail: forged and guessed reply addresses,
floods of recipients, parts and headers, copies delivered at once, identity kept out of logs and
rows, what the SMTP answers tell a stranger, and the private page's forms of a report by
e-mail."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import tracemalloc
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints import reply_address, services
from complaints.models import Complaint, ComplaintEvent
from inbound import services as inbound
from inbound.models import InboundMail
from inbound.smtp import listener
from lapor.lib.inbound_mail import parse_mail
from lapor.lib.tracking import new_tracking_number
from routing.models import Category, Region
from tests.files import (
    files_in,
    pdf_bomb,
    pdf_with_attachment_and_script,
    png,
    png_bomb,
    sentinels_in,
)
from tests.helpers import WIB, free_port, make_user, route_fully

pytestmark = pytest.mark.django_db

ADDRESS = "lapor@lapor.test"
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
BODY = (
    "Selamat pagi,\n\nPuskesmas Palaran di Kota Samarinda tutup pukul 10 pagi padahal "
    "jadwalnya sampai 14.00. Kategori: Kesehatan\n\nTerima kasih,\nSiti\n"
)


@pytest.fixture(autouse=True)
def _door_settings(settings: Any, tree: dict[str, Any]) -> None:
    settings.LAPOR_INBOUND_ADDRESS = ADDRESS
    settings.LAPOR_INBOUND_SENDER_RATE = "100/h"


def message(
    subject: str = "Puskesmas Palaran tutup di jam layanan",
    body: str = BODY,
    sender: str = "Siti Aminah <siti@example.id>",
    to: str = ADDRESS,
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Fri, 04 Dec 2026 08:15:00 +0700"
    mail["Message-ID"] = message_id or make_msgid(domain="example.id")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body, cte="quoted-printable")
    return mail


def receive(
    mail: EmailMessage | bytes,
    *,
    to: tuple[str, ...] = (ADDRESS,),
    envelope: str = "siti@example.id",
    now: dt.datetime = NOW,
) -> inbound.Received:
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    return inbound.receive_mail(raw=raw, envelope_sender=envelope, recipients=list(to), now=now)


def report_of(received: inbound.Received) -> Complaint:
    assert received.outcome in ("REPORT", "INCOMPLETE"), received
    assert received.complaint_id is not None
    return Complaint.objects.get(pk=received.complaint_id)


def filed(**kwargs: Any) -> Complaint:
    return report_of(receive(message(**kwargs)))


def added(complaint: Complaint) -> list[str]:
    return [
        event.data["text"]
        for event in complaint.events.filter(type=ComplaintEvent.Type.CITIZEN_ADDED)
    ]


def reply(address: str, text: str = "Puskesmas juga tutup hari Sabtu.") -> EmailMessage:
    return message(subject="Re: Laporan Anda telah masuk", body=text, to=address)


# --- reply addresses ----------------------------------------------------------------------------


class TestReplyAddresses:
    def test_a_mail_server_that_changes_the_case_still_delivers_the_reply(self) -> None:
        complaint = filed()
        address = reply_address.reply_address(complaint).upper()
        assert receive(reply(address), to=(address,)).outcome == "REPLY"
        assert added(complaint) == ["Puskesmas juga tutup hari Sabtu."]

    def test_another_reports_digest_opens_nothing(self) -> None:
        first = filed()
        second = filed(subject="Jalan berlubang di depan Pasar Segiri")
        token = reply_address.reply_token(first)
        digest = token.rpartition("-")[2]
        forged = f"lapor+r.{second.tracking_number.lower()}-{digest}@lapor.test"
        result = receive(reply(forged), to=(forged,))
        assert (result.outcome, result.reply) == ("UNKNOWN_REPORT", inbound.UNKNOWN_REPORT)
        assert added(first) == added(second) == []

    def test_an_address_after_the_private_link_was_renewed_opens_nothing(self) -> None:
        complaint = filed()
        old = reply_address.reply_address(complaint)
        assert services.resend_private_link(
            complaint_id=complaint.pk, email="siti@example.id", now=NOW
        )
        complaint.refresh_from_db()
        assert receive(reply(old), to=(old,)).outcome == "UNKNOWN_REPORT"
        new = reply_address.reply_address(complaint)
        assert new != old
        assert receive(reply(new), to=(new,)).outcome == "REPLY"

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda a: a.replace("+r.", "+r.."),  # an extra dot
            lambda a: a.replace("lapor+", "lapor.+"),
            lambda a: a.replace("@lapor.test", "@evil.test"),  # another domain
            lambda a: a.replace("@lapor.test", "@lapor.test.evil.test"),
            lambda a: a.replace("lapor+", "xlapor+"),
            lambda a: a.replace("+r.", "+r.x"),
        ],
    )
    def test_a_mangled_address_opens_nothing(self, mangle: Any) -> None:
        complaint = filed()
        forged = mangle(reply_address.reply_address(complaint))
        assert not inbound.takes_recipient(forged) or (
            receive(reply(forged), to=(forged,)).outcome == "UNKNOWN_REPORT"
        )
        assert added(complaint) == []

    def test_a_stranger_learns_nothing_about_which_reports_exist(self) -> None:
        complaint = filed()
        real = f"lapor+r.{complaint.tracking_number.lower()}-{'0' * 20}@lapor.test"
        number = next(n for n in iter(new_tracking_number, None) if n != complaint.tracking_number)
        none = f"lapor+r.{number.lower()}-{'0' * 20}@lapor.test"
        answers = {receive(reply(a), to=(a,)).reply for a in (real, none)}
        assert answers == {inbound.UNKNOWN_REPORT}

    def test_a_forged_address_costs_one_lookup_by_the_unique_index(self) -> None:
        complaint = filed()
        token = reply_address.reply_token(complaint)
        forged = token[:-4] + "0000"
        with CaptureQueriesContext(connection) as queries:
            assert reply_address.complaint_for_token(forged) is None
            assert reply_address.complaint_for_token("zzzz-" + "0" * 20) is None
        sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
        assert len(queries.captured_queries) == 1
        assert "LIKE" not in sql and "UPPER(" not in sql  # which no index serves
        assert reply_address.complaint_for_token(token) == complaint

    def test_an_auto_reply_to_a_real_address_is_dropped(self) -> None:
        complaint = filed()
        address = reply_address.reply_address(complaint)
        mail = reply(address, "Saya sedang cuti sampai tanggal 10 Desember.")
        mail["Auto-Submitted"] = "auto-replied"
        assert receive(mail, to=(address,)).outcome == "AUTO_REPLY"
        assert added(complaint) == []

    def test_a_long_reply_is_refused_as_too_long_not_as_empty(self) -> None:
        complaint = filed()
        address = reply_address.reply_address(complaint)
        result = receive(reply(address, "Jalan masih rusak. " * 150), to=(address,))
        assert result.outcome == "INVALID"
        assert result.reply != inbound.EMPTY_REPLY
        assert result.reply.startswith("550 ") and "2000" in result.reply
        assert added(complaint) == []

    def test_a_reply_to_a_closed_report_is_refused(self) -> None:
        complaint = filed()
        Complaint.objects.filter(pk=complaint.pk).update(status="ARCHIVED")
        address = reply_address.reply_address(complaint)
        assert receive(reply(address), to=(address,)).reply == inbound.CLOSED
        assert added(complaint) == []

    @pytest.mark.xfail(
        strict=True,
        reason=(
            "receive_mail acts on the first reply address that opens a report and answers 250 "
            "for the message: a reply sent to two reports' addresses at once reaches only one, "
            "and the other is dropped unseen (InboundMail's one-row-per-message constraint "
            "keeps a second REPLY row out; LMTP says 250 for both)"
        ),
    )
    def test_two_reports_reply_addresses_in_one_message_reach_both(self) -> None:
        first = filed()
        second = filed(subject="Jalan berlubang di depan Pasar Segiri")
        to = (reply_address.reply_address(first), reply_address.reply_address(second))
        assert receive(reply(to[0]), to=to).reply == inbound.ACCEPTED
        assert added(first) == added(second) == ["Puskesmas juga tutup hari Sabtu."]

    def test_a_forged_address_beside_the_real_one_does_not_lose_the_reply(self) -> None:
        complaint = filed()
        real = reply_address.reply_address(complaint)
        forged = real[:-15] + "0000@lapor.test"
        receive(reply(real), to=(forged, real))
        assert added(complaint) == ["Puskesmas juga tutup hari Sabtu."]


# --- what a message may cost ----------------------------------------------------------------------


def _peak_mib(raw: bytes) -> float:
    tracemalloc.start()
    try:
        parse_mail(raw, envelope_sender="siti@example.id", our_addresses=[ADDRESS])
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


HEAD = b"From: siti@example.id\r\nTo: lapor@lapor.test\r\nSubject: Jalan rusak di depan pasar\r\n"


class TestCost:
    # Unbounded, 20 MiB of empty parts cost the parser 1.1 GB and half a minute, of header
    # fields 700 MB; several such messages at once and the listener's host runs out.

    def test_a_flood_of_empty_mime_parts_costs_little_memory(self) -> None:
        flood = b"--B\r\n\r\n" * 100_000  # 0.7 MB: 100,000 parts
        raw = HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + flood
        assert _peak_mib(raw) < 10

    def test_a_flood_of_header_fields_costs_little_memory(self) -> None:
        part = b"--B\r\n" + b"X-A: b\r\n" * 100 + b"\r\nx\r\n"
        raw = HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + part * 2000
        assert _peak_mib(raw) < 10  # 1.6 MB: 200,000 header fields

    def test_a_thousand_attachments_make_one_report_with_few_files(self, settings: Any) -> None:
        parts = b"".join(
            b"--B\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
            b'filename="f%d.png"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n' % i
            for i in range(1000)
        )
        raw = (
            HEAD
            + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
            + b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + BODY.encode()
            + b"\r\n"
            + parts
            + b"--B--\r\n"
        )
        result = receive(raw)
        assert result.outcome in ("REPORT", "INCOMPLETE")
        assert Complaint.objects.get().attachments.count() <= settings.LAPOR_MAX_ATTACHMENTS

    def test_bombs_and_scripts_in_files_are_left_out_and_the_report_is_filed(self) -> None:
        mail = message()
        mail.add_attachment(png_bomb(), maintype="image", subtype="png", filename="foto.png")
        mail.add_attachment(pdf_bomb(200), maintype="application", subtype="pdf", filename="a.pdf")
        mail.add_attachment(
            pdf_with_attachment_and_script(),
            maintype="application",
            subtype="pdf",
            filename="../../surat.pdf",
        )
        complaint = report_of(receive(mail))
        kept = list(complaint.attachments.order_by("position"))
        assert [a.original_name for a in kept] == ["a.pdf", "surat.pdf"]  # no picture bomb
        for attachment in kept:
            content = attachment.file.read()
            assert attachment.size < 1_000_000
            assert b"/JavaScript" not in content and b"/JS" not in content
            assert not sentinels_in(content)


# --- odd messages -------------------------------------------------------------------------------


class TestOddMessages:
    def test_null_bytes_and_controls_never_reach_the_report(self) -> None:
        raw = (
            b"From: siti@example.id\r\nTo: lapor@lapor.test\r\n"
            b"Subject: Jalan\x00 rusak\x07 di depan pasar\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + BODY.replace("Puskesmas", "Pusk\x00esmas\x1b").encode()
        )
        complaint = report_of(receive(raw))
        assert "\x00" not in complaint.title + complaint.description
        assert "\x1b" not in complaint.description

    def test_a_ten_thousand_character_subject_is_cut_to_a_title(self) -> None:
        complaint = filed(subject="Jalan rusak " * 900)
        assert 10 <= len(complaint.title) <= 150

    def test_a_subject_of_a_short_word_and_a_long_link_is_still_a_title(self) -> None:
        complaint = filed(subject="Rusak: https://maps.example.id/" + "a" * 300)
        assert 10 <= len(complaint.title) <= 150

    def test_a_script_in_html_never_reaches_the_description(self) -> None:
        mail = message()
        mail.set_content(
            "<html><body><script>alert('x')</script><p>" + BODY + "</p>"
            "<img src=x onerror=alert(1)></body></html>",
            subtype="html",
        )
        complaint = report_of(receive(mail))
        assert "alert" not in complaint.description
        assert "<" not in complaint.description

    def test_only_quoted_text_is_refused_as_too_short(self) -> None:
        result = receive(message(body="> " + BODY.replace("\n", "\n> ")))
        assert result.outcome == "INVALID"
        assert not Complaint.objects.exists()

    def test_a_sender_cannot_make_it_public(self) -> None:
        complaint = filed(subject="[PUBLIK] [PUBLIC] Puskesmas Palaran tutup di jam layanan")
        assert complaint.is_confidential

    @pytest.mark.parametrize(
        "subject",
        [
            "[ANONIM] Puskesmas Palaran tutup di jam layanan",
            "[Anonim] Puskesmas Palaran tutup di jam layanan",
            "Anonim: Puskesmas Palaran tutup di jam layanan",
            "Puskesmas Palaran tutup di jam layanan [anonymous]",
        ],
    )
    def test_anonim_in_the_subject_in_any_case_hides_the_reporter(self, subject: str) -> None:
        complaint = filed(subject=subject)
        assert complaint.is_anonymous
        assert complaint.title == "Puskesmas Palaran tutup di jam layanan"


# --- identity -----------------------------------------------------------------------------------


class TestIdentity:
    def test_no_row_keeps_anything_that_names_the_sender(self) -> None:
        filed(message_id="<20261204081500.siti.aminah@laptop-siti.example.id>")
        row = InboundMail.objects.get()
        stored = " ".join(str(value) for value in row.__dict__.values())
        assert "siti" not in stored.lower()
        assert "example.id" not in stored

    def test_an_anonymous_reporters_name_and_address_reach_no_officer(
        self, tree: dict[str, Any]
    ) -> None:
        complaint = route_fully(
            filed(
                subject="[ANONIM] Puskesmas Palaran tutup di jam layanan",
                sender="Siti Aminah <siti.aminah@example.id>",
            )
        )
        assert complaint.current_agency == tree["dinkes"]
        officer = Client()
        officer.force_login(make_user("petugas.dinkes", tree["dinkes"]))
        page = officer.get(f"/dashboard/complaints/{complaint.tracking_number}/")
        api = officer.get(f"/api/v1/staff/complaints/{complaint.tracking_number}/")
        assert page.status_code == api.status_code == 200
        for text in (page.content.decode(), api.content.decode()):
            assert "siti.aminah" not in text.lower()
            assert "Aminah" not in text

    def test_a_copy_is_still_known_by_its_message_id(self) -> None:
        mail = message(message_id="<20261204081500.siti.aminah@laptop-siti.example.id>")
        assert receive(mail).outcome == "REPORT"
        assert receive(mail).outcome == "DUPLICATE"
        assert Complaint.objects.count() == 1


# --- through the listener -----------------------------------------------------------------------


@pytest.fixture
def door(settings: Any, tree: dict[str, Any], categories: None) -> Iterator[int]:
    port = free_port()
    server = listener(host="127.0.0.1", port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


@pytest.fixture
def small_door(settings: Any, tree: dict[str, Any], categories: None) -> Iterator[int]:
    settings.LAPOR_INBOUND_MAX_BYTES = 100_000
    port = free_port()
    server = listener(host="127.0.0.1", port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


@pytest.fixture
def lmtp_door(settings: Any, tree: dict[str, Any], categories: None) -> Iterator[int]:
    port = free_port()
    server = listener(host="127.0.0.1", port=port, lmtp=True)
    server.start()
    try:
        yield port
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
class TestListener:
    def test_no_log_line_names_the_sender_or_holds_a_reply_address(
        self, door: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        with smtplib.SMTP("127.0.0.1", door, timeout=30) as client:
            client.send_message(message(), from_addr="siti@example.id", to_addrs=[ADDRESS])
        complaint = Complaint.objects.get()
        address = reply_address.reply_address(complaint)
        with smtplib.SMTP("127.0.0.1", door, timeout=30) as client:
            client.send_message(reply(address), from_addr="siti@example.id", to_addrs=[address])
        assert added(complaint)
        logged = caplog.text.lower()
        assert "siti" not in logged
        assert reply_address.reply_token(complaint) not in logged
        assert "puskesmas" not in logged

    def test_a_flood_of_recipients_is_cut_off(self, door: int) -> None:
        with smtplib.SMTP("127.0.0.1", door, timeout=30) as client:
            client.ehlo()
            client.mail("siti@example.id")
            codes = [
                client.rcpt(f"lapor+r.lap-{n:08d}-{'0' * 20}@lapor.test")[0] for n in range(150)
            ]
        assert set(codes[:100]) == {250}
        assert set(codes[100:]) == {452}

    @pytest.mark.parametrize("declared", [True, False])
    def test_an_oversized_message_is_counted_and_told_why_in_both_languages(
        self, small_door: int, declared: bool
    ) -> None:
        raw = message(body=BODY * 1_000).as_bytes().replace(b"\n", b"\r\n")
        assert len(raw) > 100_000
        with smtplib.SMTP("127.0.0.1", small_door, timeout=60) as client:
            client.ehlo()
            if declared:  # MAIL FROM:<...> SIZE=n, as every mail server sends it
                code, text = client.mail("siti@example.id", [f"SIZE={len(raw)}"])
            else:
                client.mail("siti@example.id")
                client.rcpt(ADDRESS)
                code, text = client.data(raw)
        assert (code, text.decode()) == (552, inbound.TOO_LARGE[4:])
        assert InboundMail.objects.get().outcome == "TOO_LARGE"
        assert not Complaint.objects.exists()

    def test_two_copies_at_once_file_one_report(self, tree: dict[str, Any]) -> None:
        raw = message().as_bytes()
        results: list[str] = []

        def deliver() -> None:
            try:
                results.append(receive(raw).outcome)
            except Exception as error:  # a temporary failure: the sender retries
                results.append(type(error).__name__)
            finally:
                close_old_connections()

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Complaint.objects.count() == 1, results

    def test_two_copies_at_once_leave_no_stray_file(self, media_root: Path) -> None:
        mail = message()
        mail.add_attachment(png(), maintype="image", subtype="png", filename="foto.png")
        raw = mail.as_bytes()
        barrier = threading.Barrier(3)
        results: list[str] = []

        def deliver() -> None:
            try:
                barrier.wait()
                results.append(receive(raw).outcome)
            except Exception as error:  # a temporary failure: the sender retries
                results.append(type(error).__name__)
            finally:
                close_old_connections()

        threads = [threading.Thread(target=deliver) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Complaint.objects.count() == 1, results
        stored = {a.file.name for a in Complaint.objects.get().attachments.all()}
        on_disk = {str(path.relative_to(media_root)) for path in files_in(media_root)}
        assert on_disk == stored

    def test_lmtp_answers_once_per_recipient(self, lmtp_door: int) -> None:
        first = filed()
        address = reply_address.reply_address(first)
        with smtplib.LMTP("127.0.0.1", lmtp_door, timeout=30) as client:
            client.ehlo_or_helo_if_needed()
            client.mail("siti@example.id")
            assert client.rcpt(address)[0] == 250
            assert client.rcpt(ADDRESS)[0] == 250
            client.putcmd("data")
            assert client.getreply()[0] == 354
            client.send(reply(address).as_bytes().replace(b"\n", b"\r\n") + b"\r\n.\r\n")
            answers = [client.getreply(), client.getreply()]
            assert client.noop()[0] == 250
        assert [code for code, _ in answers] == [250, 250]
        assert added(first) == ["Puskesmas juga tutup hari Sabtu."]

    def test_an_internationalised_address_is_taken(self, door: int) -> None:
        mail = message(sender="Budi <budi@contoh.id>")
        with smtplib.SMTP("127.0.0.1", door, timeout=30) as client:
            client.ehlo()
            assert client.has_extn("smtputf8")
            client.send_message(
                mail, from_addr="bùdi@contoh.id", to_addrs=[ADDRESS], mail_options=["SMTPUTF8"]
            )
        assert Complaint.objects.count() == 1


# --- the private page's forms of a report by e-mail ----------------------------------------------


def by_email(*, category: Any = None, region: Any = None) -> services.SubmissionReceipt:
    return services.submit_complaint(
        kind="COMPLAINT",
        title="Jalan berlubang di depan sekolah",
        description="Lubang besar di jalan depan sekolah membahayakan anak-anak sejak sebulan.",
        category=category,
        region=region,
        incident_date=NOW.date(),
        is_anonymous=False,
        is_confidential=True,
        reporter_email="warga@example.id",
        channel=Complaint.Channel.EMAIL,
        now=NOW,
    )


def private_path(receipt: services.SubmissionReceipt) -> str:
    return f"/lacak/{receipt.complaint.tracking_number}/{receipt.access_key}/"


class TestPrivatePageForms:
    GIVEN = {"category": "kesehatan", "regency": "64.72"}

    def test_a_report_that_has_its_details_cannot_be_given_others(self) -> None:
        receipt = by_email(
            category=Category.objects.get(code="pendidikan"),
            region=Region.objects.get(code="64.72"),
        )
        response = Client().post(private_path(receipt) + "lengkapi/", self.GIVEN)
        assert response.status_code == 409
        receipt.complaint.refresh_from_db()
        assert receipt.complaint.category is not None
        assert receipt.complaint.category.code == "pendidikan"

    def test_another_reports_link_opens_nothing(self) -> None:
        mine, theirs = by_email(), by_email()
        path = f"/lacak/{theirs.complaint.tracking_number}/{mine.access_key}/lengkapi/"
        assert Client().post(path, self.GIVEN).status_code == 404
        theirs.complaint.refresh_from_db()
        assert theirs.complaint.details_missing

    @pytest.mark.parametrize(
        ("category", "regency"), [("kesehatan", "64.72.01"), ("kesehatan", "64"), ("lama", "64.72")]
    )
    def test_a_district_province_or_retired_category_is_refused(
        self, category: str, regency: str
    ) -> None:
        Category.objects.create(code="lama", name_id="Lama", name_en="Old", is_active=False)
        receipt = by_email()
        response = Client().post(
            private_path(receipt) + "lengkapi/", {"category": category, "regency": regency}
        )
        assert response.status_code == 400
        receipt.complaint.refresh_from_db()
        assert receipt.complaint.details_missing

    def test_nothing_is_added_to_a_closed_report(self) -> None:
        receipt = by_email()
        Complaint.objects.filter(pk=receipt.complaint.pk).update(status="ARCHIVED")
        response = Client().post(private_path(receipt) + "tambah/", {"text": "Masih rusak."})
        assert response.status_code == 409
        assert added(receipt.complaint) == []

    @pytest.mark.parametrize(
        ("action", "data"), [("lengkapi", GIVEN), ("tambah", {"text": "Masih rusak."})]
    )
    def test_a_post_from_another_site_is_refused(self, action: str, data: dict[str, str]) -> None:
        receipt = by_email()
        client = Client(enforce_csrf_checks=True)
        assert client.post(private_path(receipt) + f"{action}/", data).status_code == 403
        receipt.complaint.refresh_from_db()
        assert receipt.complaint.details_missing and added(receipt.complaint) == []
