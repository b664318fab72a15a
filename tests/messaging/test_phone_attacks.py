"""The SMS and WhatsApp doors as an attacker, a confused citizen and an operator try them: whose
report a number may reach, what a number is sent that it did not ask for, odd text, replays
and messages out of order, and the failures around them (a gateway or the database away, a
photo that cannot be fetched). Through the real doors (``/kanal/sms/``, ``/kanal/whatsapp/``)
or the engine itself (``messaging.services.receive``), with the fixtures and helpers of
test_conversation.py, test_sms_door.py and test_whatsapp.py."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone, translation

from complaints import services as complaint_services
from complaints.models import Channel, Complaint, ComplaintEvent, Message, Reporter
from messaging import services
from messaging.backends import LocmemBackend
from messaging.models import Conversation, InboundMessage
from messaging.types import Incoming
from routing.models import Category, Region
from tests.files import phone_jpeg
from tests.helpers import NOW, api_token, deliver_pending, make_user, route_fully
from tests.messaging.fake_cloud_api import (
    FakeCloudApi,
    delivery,
    image_message,
    messages_of,
    text_message,
)
from tests.messaging.test_conversation import BUDI, REPORT, SITI, Phone
from tests.messaging.test_conversation import phones as phones  # the fixture, by name
from tests.messaging.test_sms_door import FakeSendsms, basic, deliver, sent_to
from tests.messaging.test_sms_door import door as door  # the fixture, by name
from tests.messaging.test_sms_door import sendsms as sendsms  # the fixture door uses
from tests.messaging.test_whatsapp import SENDER, id_of, post, replies
from tests.messaging.test_whatsapp import silent_server as silent_server  # the fixture

pytestmark = pytest.mark.django_db

# SITI's number as gateways, forms and people write it.
SITI_FORMS = ("+6281234567890", "6281234567890", "081234567890", "+62 812-3456-7890")
# What gives SITI's number away, however it is written.
SITI_TRACES = ("81234567890", "812-3456-7890", "812 3456 7890")
STORY = (
    "Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai pukul 14.00, sudah tiga "
    "hari ini."
)


def consented(number: str, channel: str = Channel.SMS) -> None:
    """A number that agreed to the privacy terms before: its reports are filed at once."""
    Conversation.objects.get_or_create(
        channel=channel, sender=number, defaults={"consented_at": NOW}
    )


def filed(phone: Phone, text: str = REPORT) -> Complaint:
    consented(phone.number, phone.channel)
    received = phone.send(text)
    assert received.outcome == "filed" and received.complaint_id is not None, received
    return Complaint.objects.get(pk=received.complaint_id)


def texts_to(number: str, now: dt.datetime) -> list[str]:
    """What the in-memory gateway sent to ``number`` once the outbox is delivered at ``now``."""
    deliver_pending(now)
    return [s.text for s in LocmemBackend.sent if s.to == number]


def answered(complaint: Complaint, tree: dict[str, Any], now: dt.datetime) -> Complaint:
    """The report routed to Dinkes and answered: it waits for the citizen."""
    route_fully(complaint, now)
    complaint_services.respond_to_complaint(
        complaint_id=complaint.pk,
        agency=tree["dinkes"],
        text="Kepala puskesmas sudah kami tegur; jadwal layanan dipasang di depan puskesmas.",
        actor=None,
        now=now,
    )
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def frozen() -> Iterator[None]:
    """The wall clock held still (the per-number limits count in clock hours and days), so
    that a test's messages all fall in one window whenever it runs."""
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        yield


# --- whose report a number reaches -------------------------------------------------------------


class TestIdentity:
    def test_the_filing_number_adds_to_its_report_in_every_form_the_gateway_writes_it(
        self, client: Client, door: FakeSendsms
    ) -> None:
        consented("+6281234567890")
        deliver(client, f"LAPOR Kesehatan Kota Samarinda {STORY}", sender="081234567890")
        complaint = Complaint.objects.get()
        number = complaint.tracking_number
        for n, form in enumerate(SITI_FORMS):
            text = f"{number} tambahan {n}: hari ini tutup lagi"
            assert deliver(client, text, sender=form).status_code == 200
        added = ComplaintEvent.objects.filter(
            complaint=complaint, type=ComplaintEvent.Type.CITIZEN_ADDED
        )
        assert sorted(e.data["text"] for e in added) == [
            f"tambahan {n}: hari ini tutup lagi" for n in range(len(SITI_FORMS))
        ]

    def test_another_number_learns_nothing_from_a_refusal_and_adds_nothing(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        complaint = filed(siti)
        siti.inbox()  # routed
        budi = Phone(BUDI)
        before = ComplaintEvent.objects.filter(complaint=complaint).count()
        assert budi.send(f"{complaint.tracking_number} Ini laporan palsu").outcome == "refused"
        not_yours = budi.last()
        assert budi.send("ABCD-EFGH-JKMN Ini laporan palsu").outcome == "refused"
        missing = budi.last()
        # The same answer whether or not such a report exists: a number is no key.
        assert not_yours.replace(complaint.tracking_number, "X") == missing.replace(
            "ABCD-EFGH-JKMN", "X"
        )
        assert ComplaintEvent.objects.filter(complaint=complaint).count() == before

    def test_a_whatsapp_message_from_the_filing_number_adds_to_its_sms_report(
        self, phones: list[Any]
    ) -> None:
        complaint = filed(Phone(SITI))
        whatsapp = Phone(SITI, Channel.WHATSAPP)
        assert (
            whatsapp.send(f"{complaint.tracking_number} Masih tutup hari ini.").outcome == "reply"
        )
        assert ComplaintEvent.objects.filter(
            complaint=complaint, type=ComplaintEvent.Type.CITIZEN_ADDED
        ).exists()

    @pytest.mark.parametrize(
        "authorization",
        ["", basic("tebakan"), f"Basic {'a' * 8}"],
    )
    def test_a_forged_sender_without_the_secret_adds_nothing(
        self, client: Client, door: FakeSendsms, authorization: str
    ) -> None:
        consented(SITI)
        deliver(client, f"LAPOR Kesehatan Kota Samarinda {STORY}")
        complaint = Complaint.objects.get()
        before = ComplaintEvent.objects.filter(complaint=complaint).count()
        response = deliver(
            client,
            f"{complaint.tracking_number} Laporan ini bohong, tutup saja.",
            sender=SITI,
            authorization=authorization,
        )
        assert response.status_code == 403
        # The secret in the query string (where logs would keep it) is no secret either.
        response = deliver(
            client,
            f"{complaint.tracking_number} Laporan ini bohong, tutup saja.",
            authorization="",
            query="id=forged-1&password=rahasia-kannel_2026",
        )
        assert response.status_code == 403
        assert ComplaintEvent.objects.filter(complaint=complaint).count() == before

    def test_cek_on_a_confidential_report_says_no_more_than_its_public_page(
        self, phones: list[Any], tree: dict[str, Any], client: Client
    ) -> None:
        siti = Phone(SITI)
        complaint = filed(siti, REPORT.replace("LAPOR", "LAPOR RAHASIA ANONIM"))
        answered(complaint, tree, siti.clock)
        budi = Phone(BUDI)
        assert budi.send(f"CEK {complaint.tracking_number}").outcome == "status"
        answer = budi.last()
        with translation.override("id"):
            status = complaint.get_status_display()
        assert answer.startswith(f"Laporan {complaint.tracking_number}: {status}, sejak ")
        for secret in (
            "Dinkes",
            "Kesehatan",
            "Samarinda",
            "Puskesmas",
            "pengaduan",
            complaint.title[:20],
            *SITI_TRACES,
        ):
            assert secret not in answer, secret
        page = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert status in page and "Puskesmas" not in page

    def test_the_number_of_an_anonymous_report_reaches_no_agency_page_api_mail_or_log(
        self,
        phones: list[Any],
        tree: dict[str, Any],
        client: Client,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        officer = make_user("petugas.dinkes", tree["dinkes"])
        coordinator = make_user("koordinator.smd", tree["samarinda"])
        siti = Phone(SITI)
        complaint = filed(siti, REPORT.replace("LAPOR", "LAPOR ANONIM"))
        route_fully(complaint, siti.clock)
        assert siti.send(f"{complaint.tracking_number} Hari ini pun tutup.").outcome == "reply"
        deliver_pending(siti.clock)
        assert Reporter.objects.get(complaint=complaint).phone == SITI  # kept, for the receipts

        client.force_login(officer)
        seen = {
            "page": client.get(f"/dashboard/complaints/{complaint.tracking_number}/"),
            "inbox": client.get("/dashboard/"),
        }
        above = Client()
        above.force_login(coordinator)
        seen["coordinator page"] = above.get(f"/dashboard/complaints/{complaint.tracking_number}/")
        api = Client(HTTP_AUTHORIZATION=f"Token {api_token(officer)}")
        seen["api"] = api.get(f"/api/v1/staff/complaints/{complaint.tracking_number}/")
        seen["api inbox"] = api.get("/api/v1/staff/complaints/")
        for where, response in seen.items():
            assert response.status_code == 200, where
            body = response.content.decode()
            assert complaint.tracking_number in body, where
            for trace in SITI_TRACES:
                assert trace not in body, (where, trace)
        assert seen["api"].json()["reporter"] is None
        assert mail.outbox, "the agency was told by e-mail"
        for sent in mail.outbox:
            for trace in SITI_TRACES:
                assert trace not in sent.body and trace not in sent.subject
        for trace in SITI_TRACES:
            assert trace not in caplog.text

    def test_a_story_whose_first_word_looks_like_a_tracking_number_starts_a_report(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        received = siti.send("Kemacetannya parah sekali di Jalan Juanda setiap pagi dan sore.")
        assert received.outcome == "asked"
        assert "Jenis laporan" in siti.last()


# --- what a number is sent that it did not ask for ---------------------------------------------


class TestUnasked:
    def test_a_number_that_said_berhenti_gets_no_receipt_of_a_web_report_naming_it(
        self, phones: list[Any], submit: Callable[..., Any]
    ) -> None:
        siti = Phone(SITI)
        assert siti.send("BERHENTI").outcome == "stopped"
        siti.inbox()
        complaint = submit(reporter_phone="0812 3456 7890", reporter_email="").complaint
        complaint_services.resend_private_link(
            complaint_id=complaint.pk, phone="081234567890", now=NOW
        )
        deliver_pending(NOW + dt.timedelta(minutes=5))
        assert [s.text for s in LocmemBackend.sent if s.to == SITI] == [
            "Anda tidak akan menerima pesan lagi dari LAPOR. Kirim MULAI untuk menerima kabar "
            "laporan Anda lagi."
        ]
        skipped = Message.objects.filter(complaint=complaint, outcome="skipped")
        assert {m.kind for m in skipped} >= {Message.Kind.PHONE_RECEIPT}

    def test_an_auto_responder_and_the_portal_stop_talking_within_the_hourly_limit(
        self, phones: list[Any], settings: Any, frozen: None
    ) -> None:
        """An automatic reply to every message the portal sends: the limit per number ends
        the exchange, and nothing starts it again."""
        settings.LAPOR_PHONE_SENDER_RATE = "30/h"
        robot = Phone(BUDI)
        robot.send("Terima kasih, pesan Anda akan kami balas pada jam kerja.")
        answered_so_far = 0
        for _round in range(100):
            got = len(robot.inbox())
            if got == answered_so_far:
                break
            for _new in range(got - answered_so_far):
                robot.send("Terima kasih, pesan Anda akan kami balas pada jam kerja.")
            answered_so_far = got
        else:
            pytest.fail("the portal and the auto-responder kept talking")
        assert answered_so_far <= 30
        outcomes = list(InboundMessage.objects.values_list("outcome", flat=True))
        assert outcomes.count(InboundMessage.Outcome.RATE_LIMITED) >= 1

    def test_berhenti_from_a_number_over_its_limit_is_still_honoured(
        self, phones: list[Any], settings: Any, tree: dict[str, Any], frozen: None
    ) -> None:
        siti = Phone(SITI)
        complaint = filed(siti)
        settings.LAPOR_PHONE_SENDER_RATE = "3/h"
        for _n in range(3):
            siti.send("BANTUAN")
        assert siti.send("BERHENTI").outcome in ("stopped", "rate_limited")
        before = len(siti.inbox())
        answered(complaint, tree, siti.clock)
        assert len(siti.inbox()) == before
        assert Conversation.objects.get(channel=Channel.SMS, sender=SITI).stopped_at is not None

    def test_a_message_sent_before_berhenti_and_delivered_after_it_does_not_undo_it(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        written = siti.clock + dt.timedelta(seconds=10)
        siti.send("BERHENTI", sent_at=written + dt.timedelta(seconds=20))
        siti.inbox()
        late = siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu.", sent_at=written)
        assert late.outcome == "late"
        assert Conversation.objects.get(channel=Channel.SMS, sender=SITI).stopped_at is not None
        assert len(siti.inbox()) == 1  # only "Anda tidak akan menerima pesan lagi"

    @pytest.mark.parametrize("text", ["UNREG LAPOR", "STOP LAPOR", "berhenti lapor"])
    def test_unreg_lapor_stops_the_number_as_other_sms_services_do(
        self, phones: list[Any], text: str
    ) -> None:
        siti = Phone(SITI)
        assert siti.send(text).outcome == "stopped"

    def test_the_limit_per_number_counts_every_form_of_the_number_as_one(
        self, client: Client, door: FakeSendsms, settings: Any, frozen: None
    ) -> None:
        settings.LAPOR_PHONE_SENDER_RATE = "4/h"
        for form in SITI_FORMS:
            assert deliver(client, "BANTUAN", sender=form).status_code == 200
        assert deliver(client, "BANTUAN", sender="0812.3456.7890").status_code == 200
        outcomes = list(InboundMessage.objects.order_by("pk").values_list("outcome", flat=True))
        assert outcomes == ["help"] * 4 + ["rate_limited"]
        assert Conversation.objects.filter(channel=Channel.SMS).count() == 1

    @pytest.mark.parametrize("sender", ["TELKOMSEL", "1708", "3636", "+14155550100", "0"])
    def test_a_sender_that_is_no_indonesian_phone_is_never_answered(
        self, client: Client, door: FakeSendsms, sender: str
    ) -> None:
        """Operators' notices, short codes and foreign numbers: nothing to file under them,
        and an answer could start a loop with a machine."""
        notice = "Sisa pulsa Anda Rp 1.000. Balas STOP"
        assert deliver(client, notice, sender=sender).status_code == 200
        assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["refused"]
        assert not Conversation.objects.exists()
        deliver_pending(timezone.now() + dt.timedelta(minutes=1))
        assert door.requests == []

    def test_berhenti_on_whatsapp_holds_when_its_updates_fall_back_to_sms(
        self, phones: list[Any], settings: Any, tree: dict[str, Any]
    ) -> None:
        whatsapp = Phone(SITI, Channel.WHATSAPP)
        complaint = filed(whatsapp)
        whatsapp.inbox()
        assert whatsapp.send("BERHENTI").outcome == "stopped"
        whatsapp.inbox()
        settings.LAPOR_WHATSAPP_BACKEND = ""
        LocmemBackend.sent.clear()
        answered(complaint, tree, whatsapp.clock)
        assert texts_to(SITI, whatsapp.clock) == []

    def test_a_number_named_in_many_web_reports_is_not_flooded(
        self, phones: list[Any], submit: Callable[..., Any], settings: Any, frozen: None
    ) -> None:
        settings.LAPOR_PHONE_NOTICE_RATE = "5/d"
        for n in range(20):
            submit(
                reporter_phone="0812 3456 7890",
                reporter_email="",
                title=f"Puskesmas tutup di jam layanan {n}",
            )
        assert len(texts_to(SITI, NOW + dt.timedelta(minutes=5))) <= 5

    def test_the_reports_per_number_are_counted_across_sms_and_whatsapp(
        self, phones: list[Any], settings: Any, frozen: None
    ) -> None:
        settings.LAPOR_PHONE_REPORT_RATE = "2/d"
        sms, whatsapp = Phone(SITI), Phone(SITI, Channel.WHATSAPP)
        for phone in (sms, whatsapp, sms, whatsapp):
            consented(SITI, phone.channel)
            phone.send(REPORT)
        assert Complaint.objects.count() == 2

    def test_lacak_says_a_new_link_goes_by_sms_when_sms_is_on(
        self, phones: list[Any], submit: Callable[..., Any], client: Client
    ) -> None:
        complaint = submit(reporter_phone="0812 3456 7890", reporter_email="").complaint
        deliver_pending(NOW)
        LocmemBackend.sent.clear()
        page = client.post(
            "/lacak/tautan-baru/",
            {"tracking_number": complaint.tracking_number, "contact": "081234567890"},
            follow=True,
        )
        assert page.status_code == 200
        deliver_pending(timezone.now())
        (sms,) = [s.text for s in LocmemBackend.sent if s.to == SITI]
        assert "tautan pribadi baru" in sms
        html = page.content.decode()
        assert "belum dapat mengirim SMS" not in html


# --- odd text ----------------------------------------------------------------------------------


class TestOddText:
    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   \n\t  ",
            "🙏🙏🙏",
            "\u200b\u200f\u202e",
            "LAPOR",
            "LAPOR #",
            "LAPOR###",
            "LAPOR # # #",
            "lapor#kesehatan##",
            "LAPOR ANONIM RAHASIA",
            "ASPIRASI#",
            "#",
            "0",
            "99",
        ],
    )
    def test_what_says_nothing_is_asked_about_and_files_nothing(
        self, client: Client, door: FakeSendsms, text: str
    ) -> None:
        consented(SITI)
        assert deliver(client, text).status_code == 200
        assert not Complaint.objects.exists()
        (question,) = sent_to(door)
        assert question.startswith(("Ceritakan", "Jenis laporan")), question
        assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["asked"]

    def test_zero_width_and_right_to_left_marks_do_not_hide_an_answer(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        assert siti.send("\u200f1\u200b").outcome == "asked"
        assert Conversation.objects.get(sender=SITI).step == "category"
        assert siti.send("\u202bKesehatan\u202c").outcome == "asked"
        assert Conversation.objects.get(sender=SITI).step == "region"

    def test_a_story_in_emoji_and_scripts_is_kept_as_written(self, phones: list[Any]) -> None:
        story = "Jalan rusak 🚧🛵 di depan مسجد dan 学校, anak-anak jatuh 😢 setiap hari."
        complaint = filed(Phone(SITI), f"LAPOR Kesehatan Kota Samarinda {story}")
        assert complaint.description == story

    def test_markup_in_a_story_reaches_staff_as_text(
        self, phones: list[Any], tree: dict[str, Any], client: Client
    ) -> None:
        story = '<script>alert("x")</script><img src=x onerror=alert(1)> jalan rusak parah.'
        siti = Phone(SITI)
        complaint = filed(siti, f"LAPOR Kesehatan Kota Samarinda {story}")
        siti.inbox()
        client.force_login(make_user("petugas.dinkes", tree["dinkes"]))
        html = client.get(f"/dashboard/complaints/{complaint.tracking_number}/").content.decode()
        assert "&lt;script&gt;alert(" in html
        assert '<script>alert("x")' not in html and "<img src=x" not in html

    def test_cek_alone_says_how_to_check(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        siti.send("CEK")
        assert "CEK <nomor laporan>" in siti.last() or "CEK ABCD-EFGH-JKMN" in siti.last()
        assert not Conversation.objects.get(sender=SITI).data

    def test_a_tracking_number_alone_answers_its_status(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        complaint = filed(siti)
        siti.inbox()
        assert siti.send(complaint.tracking_number.lower()).outcome == "status"

    def test_a_question_mark_gets_the_commands(self, phones: list[Any]) -> None:
        assert Phone(SITI).send("?").outcome == "help"

    @pytest.mark.parametrize(
        ("answer", "kind"),
        [
            ("aspirasi", Complaint.Kind.ASPIRATION),
            ("Pengaduan", Complaint.Kind.COMPLAINT),
            ("informasi", Complaint.Kind.INFORMATION_REQUEST),
        ],
    )
    def test_the_kind_answered_by_its_name_keeps_the_story(
        self, phones: list[Any], answer: str, kind: str
    ) -> None:
        siti = Phone(SITI)
        story = "Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali."
        siti.send(story)
        assert "Jenis laporan" in siti.last()
        siti.send(answer)
        conversation = Conversation.objects.get(sender=SITI)
        assert conversation.data.get("description") == story
        assert conversation.data.get("kind") == kind
        assert conversation.step == "category"

    @pytest.mark.parametrize("answer", ["0", "99", "1.5", "12", "satu"])
    def test_a_number_outside_a_list_asks_again(self, phones: list[Any], answer: str) -> None:
        siti = Phone(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        assert siti.send(answer).outcome == "asked"
        assert siti.last().startswith("Maaf, balas dengan angka 1, 2 atau 3")
        siti.send("1")
        assert siti.send(answer).outcome == "asked"
        assert siti.last().startswith("Maaf, kategori itu tidak ada")
        siti.send("kesehatan")
        siti.send("Kota Samarinda")
        assert siti.send(answer).outcome == "asked"
        assert siti.last().startswith("Maaf, balas dengan angka 1, 2, 3 atau 4")
        assert not Complaint.objects.exists()

    def test_a_number_outside_the_list_of_regions_asks_again(self, phones: list[Any]) -> None:
        consented(SITI)
        siti = Phone(SITI)
        siti.send("LAPOR Kesehatan Puskesmas tutup pukul 10 pagi, padahal sampai 14.00")
        siti.send("Kutai")
        listed = siti.last()
        assert "Balas nomornya: 1 " in listed
        choices = Conversation.objects.get(sender=SITI).data["region_choices"]
        assert len(choices) < 6
        siti.send("6")  # not on the list (and the first digit of Kalimantan Timur's codes)
        assert Conversation.objects.get(sender=SITI).data["region_choices"] == choices
        again = siti.last()
        assert again.startswith("Maaf") and again.endswith(listed), again

    def test_a_region_name_that_fits_many_says_to_write_it_more_fully(
        self, phones: list[Any]
    ) -> None:
        consented(SITI)
        siti = Phone(SITI)
        siti.send("LAPOR Kesehatan Puskesmas tutup pukul 10 pagi, padahal sampai 14.00")
        siti.send("Kota")
        listed = siti.last()
        assert listed.count(", ") >= 4  # five choices
        assert "lengkap" in listed or "tulis" in listed.lower()

    def test_a_region_named_exactly_is_taken_at_once_whatever_its_case_and_marks(
        self, phones: list[Any]
    ) -> None:
        consented(SITI)
        siti = Phone(SITI)
        siti.send("LAPOR Kesehatan Puskesmas tutup pukul 10 pagi, padahal sampai 14.00")
        assert siti.send("kota  SAMARINDA.").outcome == "filed"
        assert Complaint.objects.get().region_id == "64.72"

    def test_a_story_longer_than_the_maximum_is_not_cut_silently(
        self, client: Client, door: FakeSendsms
    ) -> None:
        consented(SITI)
        story = ("Jalan di depan SDN 012 berlubang, motor jatuh setiap hari. " * 170).strip()
        assert len(story) > 10_000
        assert deliver(client, f"LAPOR Kesehatan Kota Samarinda {story}").status_code == 200
        said = " ".join(sent_to(door))
        complaint = Complaint.objects.first()
        assert complaint is None or complaint.description == story[: len(complaint.description)]
        assert "5000" in said or "5.000" in said

    def test_a_story_joined_across_messages_never_exceeds_the_maximum(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        siti.send("Jalan rusak")
        siti.send("x" * 6000)
        description = Conversation.objects.get(sender=SITI).data["description"]
        assert len(description) == 5000
        assert description.startswith("Jalan rusak x")

    def test_a_story_that_starts_with_a_long_link_is_filed(self, phones: list[Any]) -> None:
        link = (
            "https://www.google.com/maps/place/Pasar+Segiri/@-0.4936,117.1497,17z/data=!3m1!4b1"
            "!4m6!3m5!1s0x2df67f0a1b2c3d4e:0x5f6a7b8c9d0e1f2a!8m2!3d-0.4936!4d117.1522"
        )
        consented(SITI)
        siti = Phone(SITI)
        received = siti.send(f"LAPOR Kesehatan Kota Samarinda Lihat {link} jalan berlubang besar.")
        assert received.outcome == "filed", siti.last()

    def test_a_whatsapp_text_with_a_nul_is_refused_and_the_next_message_still_taken(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        bad = messages_of(text_message(SENDER, "Jalan rusak\x00 di depan pasar\x1b, motor jatuh."))
        good = messages_of(text_message(SENDER, "BANTUAN", timestamp=1796094060))
        response = post(client, delivery(bad + good))
        assert response.status_code == 200
        assert [r.outcome for r in InboundMessage.objects.order_by("pk")] == ["refused", "help"]
        data = Conversation.objects.get(channel=Channel.WHATSAPP).data
        assert "\x00" not in str(data) and "\x1b" not in str(data)
        assert "tidak" in replies()[0]["text"]


# --- what changed while a conversation waited --------------------------------------------------


class TestChangedMeanwhile:
    def guided_to_privacy(self, siti: Phone, region: str = "Kota Samarinda") -> None:
        consented(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        siti.send("1")
        siti.send("kesehatan")
        siti.send(region)
        assert Conversation.objects.get(sender=SITI).step == "privacy"

    def test_a_category_deactivated_meanwhile_is_asked_again(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        self.guided_to_privacy(siti)
        Category.objects.filter(code="kesehatan").update(is_active=False)
        assert siti.send("1").outcome == "asked"
        assert siti.last().startswith("Kategori?")
        conversation = Conversation.objects.get(sender=SITI)
        assert conversation.data["description"].startswith("Lampu jalan")
        assert conversation.data["region"] == "64.72"

    def test_a_region_deleted_meanwhile_is_asked_again(self, phones: list[Any]) -> None:
        siti = Phone(SITI)
        self.guided_to_privacy(siti, region="Palaran")
        code = Conversation.objects.get(sender=SITI).data["region"]
        assert Region.objects.get(code=code).level == Region.Level.DISTRICT
        Region.objects.filter(parent_id=code).delete()  # its villages first
        Region.objects.filter(code=code).delete()
        assert siti.send("1").outcome == "asked"
        assert "kabupaten/kota mana" in siti.last()
        conversation = Conversation.objects.get(sender=SITI)
        assert conversation.data["description"].startswith("Lampu jalan")
        assert siti.send("Kota Samarinda").outcome == "filed"

    def test_a_conversation_expired_meanwhile_starts_afresh_and_keeps_the_consent(
        self, phones: list[Any]
    ) -> None:
        siti = Phone(SITI)
        self.guided_to_privacy(siti)
        siti.clock += dt.timedelta(minutes=121)
        assert siti.send("1").outcome == "asked"
        conversation = Conversation.objects.get(sender=SITI)
        assert not {"kind", "category", "region"} & set(conversation.data)
        assert conversation.step == "description" and siti.last().startswith("Ceritakan")
        assert conversation.consented_at is not None

    def test_a_long_list_of_categories_reaches_the_phone_whole(self, phones: list[Any]) -> None:
        names = [
            "Pertanian dan Ketahanan Pangan",
            "Energi dan Sumber Daya Mineral",
            "Keuangan dan Perpajakan Daerah",
            "Politik, Hukum dan Keamanan",
            "Pemberdayaan Perempuan dan Perlindungan Anak",
            "Kebencanaan dan Penanggulangan Darurat",
            "Pariwisata dan Ekonomi Kreatif",
            "Koperasi dan Usaha Kecil Menengah",
            "Kepegawaian dan Aparatur Sipil Negara",
            "Pelayanan Air Minum dan Sanitasi",
            "Perumahan dan Kawasan Permukiman",
            "Komunikasi dan Informatika",
        ]
        for n, name in enumerate(names, start=20):
            Category.objects.create(code=f"tambahan-{n}", name_id=name, name_en=name, position=n)
        siti = Phone(SITI)
        siti.send("Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.")
        siti.send("1")
        parts = [siti.last()]
        while len(parts) < 6 and "0 untuk kategori lainnya" in parts[-1]:
            siti.send("0")
            parts.append(siti.last())
            if parts[-1] == parts[0]:
                break
        # Every category reaches the phone, each part in one message of three SMS, and after
        # the last part the first comes again.
        assert parts[-1] == parts[0] and len(parts) > 2
        said = " ".join(parts)
        for category in Category.objects.filter(is_active=True):
            assert category.name_id in said, category.name_id
        assert all(len(part) <= 459 for part in parts)
        number = [
            c.code for c in Category.objects.filter(is_active=True).order_by("position", "pk")
        ].index("tambahan-31") + 1
        assert siti.send(str(number)).outcome == "asked"
        assert (
            Conversation.objects.get(sender=SITI).data["category"]
            == Category.objects.get(code="tambahan-31").pk
        )


# --- replays and order -------------------------------------------------------------------------


class TestReplays:
    def test_a_delivery_mixing_broken_foreign_and_good_messages_takes_each_good_one_once(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        good = messages_of(text_message(SENDER, "BANTUAN"))
        foreign = messages_of(text_message("14155550100", "HELP"))
        broken: list[dict[str, Any]] = [
            {"from": SENDER, "type": "text", "text": {"body": "tanpa id"}},
            {"from": SENDER, "id": "wamid.X1", "type": "text", "text": "bukan objek"},
            {"from": SENDER, "id": "wamid.X2", "type": "text"},
        ]
        payload = delivery([*broken, *foreign, *good])
        other_number = text_message(SENDER, "BATAL", phone_number_id="999999999999999")
        payload["entry"] += other_number["entry"]
        for _attempt in range(2):
            assert post(client, payload).status_code == 200
        outcomes = dict(InboundMessage.objects.values_list("message_id", "outcome"))
        # A part of the wrong shape reads as a message without text: asked what happened.
        assert outcomes == {
            "wamid.X1": "asked",
            "wamid.X2": "asked",
            foreign[0]["id"]: "refused",
            good[0]["id"]: "help",
        }
        assert InboundMessage.objects.count() == 4
        assert [r["to"] for r in replies()] == ["+" + SENDER] * 3

    def test_a_whatsapp_answer_delivered_after_a_later_one_is_not_taken_for_it(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        """The phone sent "2" (aspiration) then "kesehatan"; Meta delivers them the other way
        round: "kesehatan" is no kind, and "2" comes late to the question asked since."""
        post(client, text_message(SENDER, "Lampu jalan di Jalan Pahlawan mati sudah dua minggu."))
        later = text_message(SENDER, "kesehatan", timestamp=1796094120)
        earlier = text_message(SENDER, "2", timestamp=1796094060)
        assert post(client, later).status_code == 200
        assert post(client, earlier).status_code == 200
        assert taken_outcome(id_of(earlier)) == "late"
        conversation = Conversation.objects.get(channel=Channel.WHATSAPP)
        assert "kind" not in conversation.data and conversation.step == "kind"


def taken_outcome(message_id: str) -> str:
    return str(InboundMessage.objects.get(message_id=message_id).outcome)


def at_once(count: int, work: Callable[[int], str]) -> list[str]:
    """``work(n)`` in ``count`` threads started together: what each returned, in the order of
    ``n``, or the name of the error it met (a database error is answered 503 by the doors,
    and the gateway delivers the message again)."""
    barrier = threading.Barrier(count)
    results = [""] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as error:  # reported, and judged by the test
            results[n] = type(error).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
class TestAtOnce:
    def test_one_delivery_made_twice_at_once_is_taken_once(self, phones: list[Any]) -> None:
        incoming = Incoming(
            channel=Channel.SMS,
            sender=SITI,
            text="Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.",
            message_id="kannel-sama",
            sent_at=NOW,
        )
        results = at_once(4, lambda _n: services.receive(incoming, now=NOW).outcome)
        assert set(results) <= {"asked", "duplicate", "OperationalError"}, results
        assert results.count("asked") <= 1, results
        for _retry in range(results.count("OperationalError")):
            services.receive(incoming, now=NOW)
        assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["asked"]
        assert Message.objects.filter(kind=Message.Kind.PHONE_REPLY).count() == 1
        assert Conversation.objects.count() == 1

    def test_two_messages_of_a_new_number_at_once_make_one_conversation(
        self, phones: list[Any]
    ) -> None:
        texts = ["Lampu jalan di Jalan Pahlawan mati sudah dua minggu, gelap sekali.", "BANTUAN"]

        def send(n: int) -> str:
            incoming = Incoming(
                channel=Channel.SMS,
                sender=SITI_FORMS[n],
                text=texts[n],
                message_id=f"kannel-{n}",
                sent_at=NOW + dt.timedelta(seconds=n),
            )
            return services.receive(incoming, now=NOW).outcome

        results = at_once(2, send)
        assert set(results) <= {"asked", "help", "OperationalError"}, results
        for n, result in enumerate(results):
            if result == "OperationalError":
                send(n)
        assert sorted(InboundMessage.objects.values_list("message_id", flat=True)) == [
            "kannel-0",
            "kannel-1",
        ]
        (conversation,) = Conversation.objects.all()
        assert conversation.sender == SITI
        assert conversation.data["description"] == texts[0]


# --- failures around the doors -----------------------------------------------------------------


class TestFailures:
    def test_a_receipt_the_gateway_could_not_take_goes_once_later_with_its_private_link(
        self, client: Client, door: FakeSendsms
    ) -> None:
        consented(SITI)
        assert deliver(client, f"LAPOR Kesehatan Kota Samarinda {STORY}").status_code == 200
        complaint = Complaint.objects.get()
        door.status, door.body = 503, b"Temporal failure, try again later."
        now = timezone.now()
        deliver_pending(now)
        receipt = Message.objects.get(kind=Message.Kind.PHONE_RECEIPT)
        assert receipt.sent_at is None and receipt.attempts == 1 and receipt.secret
        door.status, door.body = 202, b"0: Accepted for delivery"
        deliver_pending(now + dt.timedelta(hours=1))
        deliver_pending(now + dt.timedelta(hours=2))
        tried = [r["text"] for r in door.requests if "diterima dengan nomor" in r["text"]]
        assert len(tried) == 2 and tried[0] == tried[1]
        assert f"/lacak/{complaint.tracking_number}/" in tried[1]
        receipt.refresh_from_db()
        assert receipt.outcome == "sent" and receipt.secret == ""

    def test_the_database_failing_in_the_middle_of_a_message_leaves_nothing_half_taken(
        self, client: Client, door: FakeSendsms
    ) -> None:
        consented(SITI)
        before = Conversation.objects.values().get()

        def outbox_away(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.startswith('INSERT INTO "complaints_message"'):
                raise OperationalError("server closed the connection unexpectedly")
            return execute(sql, params, many, context)

        text = f"LAPOR Kesehatan Kota Samarinda {STORY}"
        with connection.execute_wrapper(outbox_away):
            response = deliver(client, text, message_id="kannel-putus")
        assert response.status_code == 503 and response["Retry-After"]
        assert not InboundMessage.objects.exists()
        assert not Complaint.objects.exists() and not Reporter.objects.exists()
        assert not Message.objects.exists()
        assert Conversation.objects.values().get() == before
        assert deliver(client, text, message_id="kannel-putus").status_code == 200
        assert deliver(client, text, message_id="kannel-putus").status_code == 200
        assert Complaint.objects.count() == 1
        assert list(InboundMessage.objects.values_list("outcome", flat=True)) == ["filed"]

    def test_the_database_failing_on_the_second_message_of_a_delivery_loses_neither(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        first = messages_of(text_message(SENDER, "Lampu jalan di Jalan Pahlawan mati sudah lama."))
        second = messages_of(text_message(SENDER, "1", timestamp=1796094060))
        payload = delivery(first + second)
        inserts = 0

        def second_away(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal inserts
            if sql.startswith('INSERT INTO "messaging_inboundmessage"'):
                inserts += 1
                if inserts == 2:
                    raise OperationalError("server closed the connection unexpectedly")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(second_away):
            response = post(client, payload)
        assert response.status_code == 503
        assert list(InboundMessage.objects.values_list("message_id", flat=True)) == [first[0]["id"]]
        assert post(client, payload).status_code == 200
        assert dict(InboundMessage.objects.values_list("message_id", "outcome")) == {
            first[0]["id"]: "asked",
            second[0]["id"]: "asked",
        }
        conversation = Conversation.objects.get(channel=Channel.WHATSAPP)
        assert conversation.data["kind"] == Complaint.Kind.COMPLAINT
        assert len(replies()) == 2

    def test_a_photo_that_cannot_be_fetched_or_read_is_left_out_not_the_report(
        self, client: Client, cloud_api: FakeCloudApi, tree: dict[str, Any]
    ) -> None:
        consented("+" + SENDER, Channel.WHATSAPP)
        cloud_api.add_media("5551", phone_jpeg(), "image/jpeg")
        cloud_api.add_media("5552", b"\xff\xd8\xff\xe0 bukan foto", "image/jpeg")
        sent = [
            image_message(SENDER, "4040", timestamp=1796094000),  # Graph does not know it
            image_message(SENDER, "5552", timestamp=1796094010),  # not an image at all
            image_message(
                SENDER,
                "5551",
                caption=f"LAPOR Kesehatan Kota Samarinda {STORY}",
                timestamp=1796094020,
            ),
        ]
        for payload in sent:
            assert post(client, payload).status_code == 200
        complaint = Complaint.objects.get()
        assert complaint.attachments.count() == 1
        assert cloud_api.downloads == 2
        assert Conversation.objects.get(channel=Channel.WHATSAPP).data == {}
        told = [r["text"] for r in replies() if "foto tidak dapat dilampirkan" in r["text"]]
        assert told and told[0].startswith("2 foto tidak dapat dilampirkan")

    def test_a_graph_that_hangs_keeps_the_webhook_no_longer_than_the_photo_budget(
        self,
        client: Client,
        cloud_api: FakeCloudApi,
        silent_server: int,
        monkeypatch: pytest.MonkeyPatch,
        settings: Any,
        tree: dict[str, Any],
    ) -> None:
        monkeypatch.setattr("messaging.whatsapp.TIMEOUT", 1.0)
        monkeypatch.setattr(services, "MEDIA_SECONDS", 1.2)
        consented("+" + SENDER, Channel.WHATSAPP)
        assert post(client, image_message(SENDER, "7001", timestamp=1796094000)).status_code == 200
        settings.LAPOR_WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{silent_server}/v21.0"
        last = image_message(
            SENDER, "7002", caption=f"LAPOR Kesehatan Kota Samarinda {STORY}", timestamp=1796094010
        )
        started = time.monotonic()
        assert post(client, last).status_code == 200
        elapsed = time.monotonic() - started
        assert Complaint.objects.get().attachments.count() == 0
        assert elapsed < 1.2 + 0.5, elapsed
