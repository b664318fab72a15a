"""The conversation engine (``messaging.services.receive``) as both doors use it: messages from a
phone become reports through the one door, status answers and replies to reports; every reply
goes through the outbox and the channel's gateway (the in-memory one here; Kannel and the Cloud
API are tested in tests/messaging/test_sms_door.py, test_whatsapp.py and the Kannel stack)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from PIL import Image

from complaints import services as complaint_services
from complaints.models import Channel, Complaint, ComplaintEvent, Message, Reporter
from messaging import services
from messaging.backends import LocmemBackend
from messaging.models import Conversation, InboundMessage
from messaging.types import Incoming, MediaRef
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Category, Region
from tests.helpers import NOW, deliver_pending, make_user, route_fully

pytestmark = pytest.mark.django_db

SITI = "+6281234567890"
BUDI = "+6285712345678"
REPORT = (
    "LAPOR Kesehatan Kota Samarinda Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya "
    "sampai pukul 14.00, sudah tiga hari ini."
)


@pytest.fixture
def phones(settings: Any, tree: dict[str, Any]) -> Iterator[list[Any]]:
    """SMS and WhatsApp on, through the in-memory gateway; what it sent, in order."""
    settings.LAPOR_SMS_BACKEND = "messaging.backends.LocmemBackend"
    settings.LAPOR_WHATSAPP_BACKEND = "messaging.backends.LocmemWhatsAppBackend"
    settings.LAPOR_PHONE_SENDER_RATE = "1000/h"
    settings.LAPOR_PHONE_REPORT_RATE = "1000/d"
    LocmemBackend.sent.clear()
    LocmemBackend.media.clear()
    yield LocmemBackend.sent
    LocmemBackend.sent.clear()
    LocmemBackend.media.clear()


class Phone:
    """A citizen's phone: sends a message, and reads what came back after the worker ran."""

    def __init__(self, number: str, channel: str = Channel.SMS) -> None:
        self.number = number
        self.channel = channel
        self.sent = 0
        self.clock = NOW

    def send(self, text: str = "", **extra: Any) -> services.Received:
        self.sent += 1
        self.clock += dt.timedelta(seconds=30)
        incoming = Incoming(
            channel=self.channel,
            sender=self.number,
            text=text,
            message_id=extra.pop("message_id", f"{self.number}-{self.sent}"),
            sent_at=extra.pop("sent_at", self.clock),
            **extra,
        )
        return services.receive(incoming, now=self.clock)

    def inbox(self) -> list[str]:
        deliver_pending(self.clock)
        return [s.text for s in LocmemBackend.sent if s.to == self.number]

    def receipt(self) -> str:
        """The receipt among what came back (routing steps are told too)."""
        texts = [t for t in self.inbox() if "diterima dengan nomor" in t]
        assert len(texts) == 1, texts
        return texts[0]

    def last(self) -> str:
        texts = self.inbox()
        assert texts, "nothing came back"
        return texts[-1]


def the_report() -> Complaint:
    row = InboundMessage.objects.get(outcome=InboundMessage.Outcome.FILED)
    assert row.complaint is not None
    return row.complaint


class TestOneMessage:
    def test_a_new_number_is_asked_to_agree_once_then_the_report_is_filed_and_routed(
        self, phones: list[Any], tree: dict[str, Any]
    ) -> None:
        siti = Phone(SITI)
        assert siti.send(REPORT).outcome == "asked"
        question = siti.last()
        assert "pengaduan, Kesehatan, Kota Samarinda" in question
        assert "Balas YA" in question
        assert not Complaint.objects.exists()

        assert siti.send("ya").outcome == "filed"
        complaint = the_report()
        assert complaint.channel == Channel.SMS
        assert complaint.kind == Complaint.Kind.COMPLAINT
        assert complaint.category is not None and complaint.category.code == "kesehatan"
        assert complaint.region_id == "64.72"
        assert complaint.description.startswith("Puskesmas Palaran tutup pukul 10 pagi")
        assert complaint.title == "Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai pukul 14.00, sudah tiga hari ini"[:90].rsplit(" ", 1)[0] + "…"  # fmt: skip
        assert (complaint.is_anonymous, complaint.is_confidential) == (False, False)
        assert Reporter.objects.get(complaint=complaint).phone == SITI

        receipt = siti.receipt()
        assert complaint.tracking_number in receipt
        assert f"/lacak/{complaint.tracking_number}/" in receipt  # the private link
        assert f"CEK {complaint.tracking_number}" in receipt
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]
        assert mail.outbox == [] or all(SITI not in m.body for m in mail.outbox)

        # Agreed once: the next report from this number is filed in one message.
        assert siti.send(REPORT.replace("tiga", "empat")).outcome == "filed"
        assert Complaint.objects.count() == 2

    @pytest.mark.parametrize(
        "text",
        [
            "lapor#kesehatan#kota samarinda#Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00",
            "LAPOR KESEHATN KOTA SAMARINDA Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00",
            "Lapor kesehatan Samarinda Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00",
        ],
    )
    def test_case_separators_and_a_slip_of_spelling_are_forgiven(
        self, phones: list[Any], text: str
    ) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        assert Phone(SITI).send(text).outcome == "filed"
        complaint = the_report()
        assert complaint.category is not None
        assert (complaint.category.code, complaint.region_id) == ("kesehatan", "64.72")
        assert complaint.description.startswith("Puskesmas Palaran")

    def test_the_story_keeps_its_lines_as_written(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        text = (
            "LAPOR Kesehatan Kota Samarinda Puskesmas Palaran tutup pukul 10 pagi.\n"
            "Jadwalnya  sampai 14.00, sudah tiga hari."
        )
        assert Phone(SITI).send(text).outcome == "filed"
        assert the_report().description == (
            "Puskesmas Palaran tutup pukul 10 pagi.\nJadwalnya  sampai 14.00, sudah tiga hari."
        )

    def test_anonim_and_rahasia_work_as_on_the_web(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        siti = Phone(SITI)
        assert siti.send(REPORT.replace("LAPOR", "LAPOR ANONIM RAHASIA")).outcome == "filed"
        complaint = the_report()
        assert (complaint.is_anonymous, complaint.is_confidential) == (True, True)
        # The number is the reporter's contact: kept, and the receipt goes to it.
        assert Reporter.objects.get(complaint=complaint).phone == SITI
        assert complaint.tracking_number in siti.receipt()

    def test_what_the_message_leaves_out_is_asked_for(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        siti = Phone(SITI)
        assert siti.send("LAPOR Kesehatan Puskesmas tutup pukul 10 pagi, padahal sampai 14.00").outcome == "asked"  # fmt: skip
        assert "kabupaten/kota mana" in siti.last()
        assert siti.send("Kota Samarinda").outcome == "filed"
        assert the_report().region_id == "64.72"

    def test_aspirasi_and_info_choose_the_kind(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        Phone(SITI).send(REPORT.replace("LAPOR", "ASPIRASI"))
        assert the_report().kind == Complaint.Kind.ASPIRATION


class TestGuided:
    def test_a_free_text_starts_a_conversation_that_asks_for_each_thing(
        self, phones: list[Any], tree: dict[str, Any]
    ) -> None:
        siti = Phone(SITI)
        assert siti.send("Jalan rusak").outcome == "asked"
        assert "lebih lengkap" in siti.last()
        siti.send("di depan SDN 012 Sungai Kunjang, berlubang besar sejak bulan lalu.")
        assert "Jenis laporan" in siti.last()
        siti.send("4")
        assert "Maaf, balas dengan angka 1, 2 atau 3" in siti.last()
        siti.send("1")
        categories = siti.last()
        assert categories.startswith("Kategori? Balas nomornya: 1 ")
        health = list(Category.objects.filter(is_active=True).order_by("position", "pk"))
        number = [c.code for c in health].index("kesehatan") + 1
        siti.send(str(number))
        assert "kabupaten/kota mana" in siti.last()
        siti.send("Kota Samarindah")  # a slip: the one region spelt like it
        assert "Siapa yang boleh tahu" in siti.last()
        siti.send("3")
        assert "anonim" in siti.last() and "Balas YA" in siti.last()
        assert siti.send("YA").outcome == "filed"
        complaint = the_report()
        assert complaint.description == (
            "Jalan rusak di depan SDN 012 Sungai Kunjang, berlubang besar sejak bulan lalu."
        )
        assert complaint.is_anonymous and not complaint.is_confidential
        assert complaint.tracking_number in siti.receipt()
        conversation = Conversation.objects.get(sender=SITI)
        assert (conversation.step, conversation.data) == ("", {})

    def test_a_region_with_several_matches_is_chosen_from_a_list(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        siti = Phone(SITI)
        siti.send("LAPOR Kesehatan Puskesmas tutup pukul 10 pagi, padahal sampai 14.00")
        siti.send("Kutai")
        choices = siti.last()
        assert "Balas nomornya: 1 " in choices
        labels = choices.split("Balas nomornya: ", 1)[1]
        number = next(
            part.split(" ", 1)[0]
            for part in labels.rstrip(".").split(", ")
            if "Kutai Timur" in part
        )
        assert siti.send(number).outcome == "filed"
        assert Region.objects.get(code=the_report().region_id).name.endswith("Kutai Timur")

    def test_batal_forgets_and_an_expired_conversation_is_forgotten(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        assert siti.send("BATAL").outcome == "cancelled"
        assert Conversation.objects.get(sender=SITI).data == {}

        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        assert Conversation.objects.get(sender=SITI).data
        later = siti.clock + dt.timedelta(minutes=121)
        assert services.forget_expired(now=later) == 1
        conversation = Conversation.objects.get(sender=SITI)
        assert (conversation.step, conversation.data) == ("", {})

    def test_a_late_delivery_does_not_answer_a_later_question(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        first = siti.clock
        siti.send("1")  # the kind
        assert Conversation.objects.get(sender=SITI).step == "category"
        # A message written before the last one, delivered after it:
        outcome = siti.send("2", sent_at=first - dt.timedelta(seconds=5)).outcome
        assert outcome == "late"
        assert Conversation.objects.get(sender=SITI).step == "category"


class TestStatusAndReplies:
    def filed(self, phone: Phone) -> Complaint:
        Conversation.objects.get_or_create(
            channel=phone.channel, sender=phone.number, defaults={"consented_at": NOW}
        )
        assert phone.send(REPORT).outcome == "filed"
        return Complaint.objects.latest("pk")

    def test_cek_answers_the_status(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        complaint = self.filed(siti)
        budi = Phone(BUDI)
        assert budi.send(f"cek {complaint.tracking_number.lower()}").outcome == "status"
        answer = budi.last()
        assert answer.startswith(f"Laporan {complaint.tracking_number}: ")
        assert f"/lacak/{complaint.tracking_number}/" in answer
        assert budi.send("CEK ABCD-EFGH-JKMN").outcome == "refused"
        assert "tidak ditemukan" in budi.last()

    def test_a_reply_from_the_reporters_number_joins_the_report(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        complaint = self.filed(siti)
        number = complaint.tracking_number
        assert (
            siti.send(f"{number} Hari ini juga tutup, pasien menunggu di luar.").outcome == "reply"
        )
        event = ComplaintEvent.objects.filter(complaint=complaint).latest("pk")
        assert event.type == ComplaintEvent.Type.CITIZEN_ADDED
        assert event.data["text"] == "Hari ini juga tutup, pasien menunggu di luar."
        assert any("sudah ditambahkan ke laporan" in t for t in siti.inbox())

        budi = Phone(BUDI)
        before = ComplaintEvent.objects.count()
        assert budi.send(f"{number} Saya juga melihatnya.").outcome == "refused"
        assert ComplaintEvent.objects.count() == before
        assert "tidak dikirim dari nomor ini" in budi.last()

    def test_the_answer_reaches_the_phone_cut_with_a_link_and_a_reply_goes_back(
        self, phones: list[Any], tree: dict[str, Any], settings: Any
    ) -> None:
        siti = Phone(SITI)
        complaint = self.filed(siti)
        siti.inbox()
        complaint.refresh_from_db()
        assert complaint.current_agency == tree["dinkes"]
        answer = "Terima kasih atas laporannya. " + "Kami sudah menegur kepala puskesmas. " * 20
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text=answer,
            actor=None,
            now=siti.clock,
        )
        text = siti.last()
        assert text.startswith(f"LAPOR {complaint.tracking_number}: Dinkes Samarinda menjawab: ")
        assert len(text) <= settings.LAPOR_SMS_MAX_LENGTH
        assert "Selengkapnya: http" in text and f"/lacak/{complaint.tracking_number}/" in text
        assert f"Balas dengan {complaint.tracking_number}" in text

        assert (
            siti.send(f"{complaint.tracking_number} Tapi hari ini masih tutup.").outcome == "reply"
        )
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.IN_PROGRESS
        assert "dikirim ke instansinya" in siti.last()

    def test_an_answer_the_gsm_alphabet_cannot_carry_is_cut_shorter(
        self, phones: list[Any], tree: dict[str, Any]
    ) -> None:
        siti = Phone(SITI)
        complaint = self.filed(siti)
        siti.inbox()
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Jadwal sudah dipasang 👍 " + "Kepala puskesmas sudah kami tegur. " * 10,
            actor=None,
            now=siti.clock,
        )
        text = siti.last()
        assert len(text) <= 201 and text.startswith(f"LAPOR {complaint.tracking_number}")
        assert f"/lacak/{complaint.tracking_number}/" in text

    def test_berhenti_stops_every_message_until_the_number_writes_again(
        self, phones: list[Any], tree: dict[str, Any]
    ) -> None:
        siti = Phone(SITI)
        complaint = self.filed(siti)
        siti.inbox()
        assert siti.send("berhenti").outcome == "stopped"
        assert "tidak akan menerima pesan lagi" in siti.last()
        count = len(siti.inbox())
        complaint_services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            text="Kami sudah menegur kepala puskesmas dan jadwal dipasang di depan.",
            actor=None,
            now=siti.clock,
        )
        assert len(siti.inbox()) == count
        assert (
            Message.objects.filter(kind=Message.Kind.PHONE_UPDATE, outcome="skipped").count() == 1
        )
        assert siti.send("MULAI").outcome == "started"
        assert "menerima kabar laporan Anda lagi" in siti.last()

    def test_a_delivery_repeated_is_taken_once(self, phones: list[Any]) -> None:
        Conversation.objects.create(channel=Channel.SMS, sender=SITI, consented_at=NOW)
        siti = Phone(SITI)
        assert siti.send(REPORT, message_id="kannel-1").outcome == "filed"
        assert siti.send(REPORT, message_id="kannel-1").outcome == "duplicate"
        assert Complaint.objects.count() == 1
        assert InboundMessage.objects.count() == 1

    def test_a_number_over_its_limit_gets_no_answer(self, phones: list[Any], settings: Any) -> None:
        settings.LAPOR_PHONE_SENDER_RATE = "3/h"
        budi = Phone(BUDI)
        outcomes = [budi.send("BANTUAN").outcome for _ in range(5)]
        assert outcomes == ["help", "help", "help", "rate_limited", "rate_limited"]
        assert len(budi.inbox()) == 3

    def test_a_number_that_is_not_indonesian_files_nothing(self, phones: list[Any]) -> None:
        assert Phone("+14155550100").send(REPORT).outcome == "refused"
        assert not Conversation.objects.exists()
        assert Phone("+14155550100").inbox() == []


class TestWhatsApp:
    def test_a_photo_and_a_shared_place_join_the_report(self, phones: list[Any]) -> None:
        photo = io.BytesIO()
        Image.new("RGB", (64, 48), (120, 90, 60)).save(photo, "JPEG")
        LocmemBackend.media["media-1"] = (photo.getvalue(), "image/jpeg")
        siti = Phone(SITI, Channel.WHATSAPP)
        siti.send(
            "Jembatan kayu di Sungai Kunjang patah di tengah, anak sekolah memutar jauh.",
            media=(MediaRef("media-1", "image/jpeg"),),
        )
        siti.send("", location=(-0.502106, 117.153709))
        assert "Diterima." in siti.last()
        for answer in ("1", "kesehatan", "Kota Samarinda", "2", "YA"):
            siti.send(answer)
        complaint = the_report()
        assert complaint.tracking_number in siti.receipt()
        assert complaint.channel == Channel.WHATSAPP
        assert complaint.latitude is not None and complaint.longitude is not None
        assert (float(complaint.latitude), float(complaint.longitude)) == (-0.502106, 117.153709)
        assert complaint.attachments.count() == 1
        assert complaint.is_confidential
        sent = [s for s in LocmemBackend.sent if s.to == SITI]
        assert {s.channel for s in sent} == {Channel.WHATSAPP}
        assert all(s.window_open for s in sent)

    def test_photos_that_cannot_be_had_are_left_out_and_the_citizen_is_told(
        self, phones: list[Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        LocmemBackend.media["not-a-picture"] = (b"%PDF-1.4 not an image", "image/jpeg")
        Conversation.objects.create(channel=Channel.WHATSAPP, sender=SITI, consented_at=NOW)
        siti = Phone(SITI, Channel.WHATSAPP)
        siti.send(
            "",
            media=(MediaRef("gone", "image/jpeg"), MediaRef("not-a-picture", "image/jpeg")),
        )
        assert siti.send(REPORT).outcome == "filed"
        complaint = the_report()
        assert complaint.attachments.count() == 0
        told = [t for t in siti.inbox() if "foto tidak dapat dilampirkan" in t]
        assert told == [
            f"2 foto tidak dapat dilampirkan ke laporan {complaint.tracking_number} (gagal "
            "diambil atau bukan gambar yang dapat dibaca); laporannya tetap terkirim."
        ]

    def test_fetching_photos_stops_when_its_time_is_up(
        self, phones: list[Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(services, "MEDIA_SECONDS", 0.0)
        photo = io.BytesIO()
        Image.new("RGB", (64, 48), (120, 90, 60)).save(photo, "JPEG")
        LocmemBackend.media["media-1"] = (photo.getvalue(), "image/jpeg")
        Conversation.objects.create(channel=Channel.WHATSAPP, sender=SITI, consented_at=NOW)
        siti = Phone(SITI, Channel.WHATSAPP)
        siti.send("", media=(MediaRef("media-1", "image/jpeg"),))
        assert siti.send(REPORT).outcome == "filed"
        assert the_report().attachments.count() == 0
        assert any(t.startswith("1 foto tidak dapat dilampirkan") for t in siti.inbox())


class TestStaffSee:
    def test_the_point_and_for_an_open_report_the_number_but_never_an_anonymous_ones(
        self, phones: list[Any], tree: dict[str, Any], client: Any
    ) -> None:
        officer = make_user("petugas.dinkes", tree["dinkes"])
        client.force_login(officer)
        for number, flags in ((SITI, ""), (BUDI, " ANONIM")):
            Conversation.objects.create(channel=Channel.WHATSAPP, sender=number, consented_at=NOW)
            phone = Phone(number, Channel.WHATSAPP)
            phone.send("", location=(-0.502106, 117.153709))
            assert phone.send(REPORT.replace("LAPOR", "LAPOR" + flags)).outcome == "filed"
            phone.inbox()
        open_report, anonymous = Complaint.objects.order_by("pk")
        page = client.get(f"/dashboard/complaints/{open_report.tracking_number}/")
        assert page.status_code == 200, page.status_code
        html = page.content.decode()
        assert "-0.502106, 117.153709" in html
        assert SITI in html
        page = client.get(f"/dashboard/complaints/{anonymous.tracking_number}/")
        html = page.content.decode()
        assert BUDI not in html and BUDI[1:] not in html and "0857" not in html
        assert "-0.502106, 117.153709" in html  # staff need the place to act


class TestWebReporters:
    def test_a_web_reporter_who_left_only_a_phone_gets_the_receipt_by_sms(
        self, phones: list[Any], submit: Any
    ) -> None:
        complaint = submit(reporter_phone="0812-3456-7890", reporter_email="").complaint
        deliver_pending(NOW)
        texts = [s.text for s in LocmemBackend.sent if s.to == SITI]
        assert complaint.tracking_number in texts[0] and "diterima dengan nomor" in texts[0]
        assert {s.channel for s in LocmemBackend.sent} == {Channel.SMS}

    def test_one_who_left_an_address_too_gets_it_by_email(
        self, phones: list[Any], submit: Any
    ) -> None:
        submit(reporter_phone="0812-3456-7890", reporter_email="siti@example.id")
        deliver_pending(NOW)
        assert LocmemBackend.sent == []
        assert {tuple(m.to) for m in mail.outbox} == {("siti@example.id",)}

    def test_a_landline_gets_nothing_by_sms(self, phones: list[Any], submit: Any) -> None:
        submit(reporter_phone="021 555 1234", reporter_email="")
        deliver_pending(NOW)
        assert LocmemBackend.sent == []
        assert not Message.objects.filter(kind=Message.Kind.PHONE_RECEIPT).exists()

    def test_with_sms_off_nothing_is_queued_for_the_phone(self, settings: Any, submit: Any) -> None:
        settings.LAPOR_SMS_BACKEND = ""
        submit(reporter_phone="0812-3456-7890", reporter_email="")
        assert not Message.objects.filter(kind=Message.Kind.PHONE_RECEIPT).exists()


class TestRecap:
    def test_the_recap_counts_sms_and_whatsapp_reports_per_channel(
        self, phones: list[Any], tree: dict[str, Any]
    ) -> None:
        for number, channel in ((SITI, Channel.SMS), (BUDI, Channel.WHATSAPP)):
            Conversation.objects.create(channel=channel, sender=number, consented_at=NOW)
            assert Phone(number, channel).send(REPORT).outcome == "filed"
        for complaint in Complaint.objects.all():
            route_fully(complaint, NOW + dt.timedelta(minutes=5))
        month = NOW.date().replace(day=1)
        build_monthly_recap(month=month, now=NOW + dt.timedelta(days=40))
        region = MonthlyRecap.objects.get(
            month=month, level=MonthlyRecap.Level.REGENCY, region_id="64.72"
        )
        assert region.received_by_channel == {"SMS": 1, "WHATSAPP": 1}
        agency = MonthlyRecap.objects.get(
            month=month, level=MonthlyRecap.Level.AGENCY, agency=tree["dinkes"]
        )
        assert agency.received_by_channel == {"SMS": 1, "WHATSAPP": 1}


class TestAdmin:
    def test_the_messages_received_are_listed_read_only_and_lead_to_no_number(
        self, phones: list[Any], client: Any
    ) -> None:
        from django.contrib.auth.models import User

        Phone(SITI).send("BANTUAN")
        admin_user = User.objects.create_superuser("admin-uji", "admin@example.go.id", "x")
        client.force_login(admin_user)
        listing = client.get("/admin/messaging/inboundmessage/")
        assert listing.status_code == 200
        html = listing.content.decode()
        assert "bantuan dikirim" in html  # the outcome, in Indonesian
        assert SITI not in html and SITI[3:] not in html
        assert client.get("/admin/messaging/inboundmessage/add/").status_code == 403
        # No way through the report to its reporter's number.
        probe = client.get("/admin/messaging/inboundmessage/?complaint__reporter__phone=1")
        assert probe.status_code == 400
