"""The demo phone (``/demo/ponsel/``, ``demo.phone``): a citizen files a report by SMS from the
page, the worker's replies (``tests.helpers.deliver_pending``, through ``DemoPhoneBackend``)
appear in the page's thread; off, the page is not there; bad input sends nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from complaints.models import Complaint, Message
from demo import phone
from messaging.models import Conversation, InboundMessage
from tests.helpers import deliver_pending, in_indonesian

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URL = "/demo/ponsel/"
NUMBER = "0812 0000 1708"
THREAD = "6281200001708.jsonl"
REPORT = (
    "LAPOR Kesehatan Kota Samarinda Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya "
    "sampai pukul 14.00, sudah tiga hari ini."
)


@pytest.fixture
def demo(settings: Any, tmp_path: Path, tree: dict[str, Any]) -> Path:
    """The demo phone on, its gateway the demo's, its threads in a folder of the test's own."""
    settings.LAPOR_DEMO_PHONE = True
    settings.LAPOR_SMS_BACKEND = "demo.phone.DemoPhoneBackend"
    settings.LAPOR_WHATSAPP_BACKEND = "demo.phone.DemoWhatsAppBackend"
    settings.VAR_DIR = tmp_path
    return tmp_path / "demo-phone"


def send(client: Client, text: str, number: str = NUMBER, channel: str = "") -> Any:
    return client.post(URL, {"number": number, "text": text, "channel": channel})


def worker_runs() -> None:
    """The worker takes what the outbox holds, a moment after the page sent the message."""
    deliver_pending(timezone.now() + dt.timedelta(minutes=1))


def thread_texts(page: Any) -> list[tuple[str, str]]:
    """The thread as the page shows it: (who, the text's HTML) per bubble, in order."""
    html = page.content.decode()
    bubbles = re.findall(
        r'<li class="sms (sms-in|sms-out)">.*?<p class="text">(.*?)</p>', html, re.S
    )
    return [("LAPOR" if side == "sms-in" else "me", body) for side, body in bubbles]


class TestDemoPhone:
    def test_a_citizen_files_by_sms_and_the_page_shows_the_receipt(
        self, client: Client, demo: Path
    ) -> None:
        page = client.get(URL)
        assert page.status_code == 200
        assert f'value="{NUMBER}"' in page.content.decode()  # the demo number, to start with
        assert "LAPOR Kesehatan Kota Samarinda" in page.content.decode()  # the help box

        answer = send(client, REPORT)
        assert answer.status_code == 302 and answer["Location"] == URL
        page = client.get(URL)
        # The message is in the thread; its reply is not yet (the worker sends it), so the page
        # reloads itself until it comes.
        assert [who for who, _ in thread_texts(page)] == ["me"]
        assert '<meta http-equiv="refresh" content="5">' in page.content.decode()

        worker_runs()
        page = client.get(URL)
        thread = thread_texts(page)
        assert [who for who, _ in thread] == ["me", "LAPOR"]
        assert "Puskesmas Palaran tutup" in thread[0][1]
        assert "Balas YA" in thread[1][1]
        assert '<meta http-equiv="refresh"' not in page.content.decode()  # answered: no reload
        assert not Complaint.objects.exists()

        send(client, "YA")
        worker_runs()
        complaint = Complaint.objects.get()
        assert complaint.channel == "SMS"
        assert complaint.category is not None and complaint.category.code == "kesehatan"
        assert complaint.region_id == "64.72"
        number = complaint.tracking_number
        page = client.get(URL)
        thread = thread_texts(page)
        assert [who for who, _ in thread[:3]] == ["me", "LAPOR", "me"]
        assert thread[2][1] == "YA"
        receipts = [
            text for who, text in thread if who == "LAPOR" and "diterima dengan nomor" in text
        ]
        assert len(receipts) == 1
        assert number in receipts[0]
        # The private link is a link.
        assert re.search(rf'<a href="http://[^"]+/lacak/{number}/[^"]+"', receipts[0])

        # The thread file holds both sides, one JSON line per message.
        rows = [json.loads(line) for line in (demo / THREAD).read_text().splitlines()]
        assert {(row["from"], row["to"]) for row in rows} == {
            ("+6281200001708", "LAPOR"),
            ("LAPOR", "+6281200001708"),
        }

    def test_a_citizen_files_by_whatsapp_and_the_replies_come_by_whatsapp(
        self, client: Client, demo: Path
    ) -> None:
        send(client, REPORT, channel="WHATSAPP")
        send(client, "YA", channel="WHATSAPP")
        worker_runs()
        complaint = Complaint.objects.get()
        assert complaint.channel == "WHATSAPP"
        page = client.get(URL).content.decode()
        # The next message goes by WhatsApp too, unless the citizen changes it.
        assert 'value="WHATSAPP" id="id_channel_1" checked>' in page
        rows = [json.loads(line) for line in (demo / THREAD).read_text().splitlines()]
        assert {row["channel"] for row in rows} == {"WHATSAPP"}
        assert any(
            complaint.tracking_number in row["text"] for row in rows if row["from"] == "LAPOR"
        )
        assert page.count('<span class="tag">WhatsApp</span>') == len(rows)

    def test_the_number_is_kept_for_the_next_visit(self, client: Client, demo: Path) -> None:
        send(client, "BANTUAN", number="+62 857 1234 5678")
        worker_runs()
        page = client.get(URL)
        assert 'value="+62 857 1234 5678"' in page.content.decode()
        thread = thread_texts(page)
        assert [who for who, _ in thread] == ["me", "LAPOR"]
        assert "CEK &lt;nomor laporan&gt;" in thread[1][1]  # the engine's help
        assert (demo / "6285712345678.jsonl").exists()
        assert not (demo / THREAD).exists()

    def test_the_longest_message_is_taken(self, client: Client, demo: Path) -> None:
        assert send(client, "x" * phone.MAX_TEXT_LENGTH).status_code == 302
        assert InboundMessage.objects.count() == 1

    def test_a_number_over_its_limit_is_told_that_no_reply_will_come(
        self, client: Client, demo: Path, settings: Any
    ) -> None:
        settings.LAPOR_PHONE_SENDER_RATE = "1/h"
        send(client, "BANTUAN")
        send(client, "BANTUAN")
        page = client.get(URL)
        assert escape(in_indonesian(phone.OVER_LIMIT)) in page.content.decode()
        worker_runs()  # one reply: to the first message only
        assert [who for who, _ in thread_texts(client.get(URL))] == ["me", "me", "LAPOR"]

    @pytest.mark.parametrize(
        ("number", "text", "error"),
        [
            (NUMBER, "", "Write a message before sending it."),
            (NUMBER, "   \n ", "Write a message before sending it."),
            (
                NUMBER,
                "x" * (phone.MAX_TEXT_LENGTH + 1),
                "A message may have at most %(limit_value)s characters; this one has %(show_value)s.",
            ),
            (
                "+1 415 555 0100",
                "BANTUAN",
                "This is not an Indonesian phone number. Write it like 0812 0000 1708 or +62 812 0000 1708.",
            ),
            (
                "12345",
                "BANTUAN",
                "This is not an Indonesian phone number. Write it like 0812 0000 1708 or +62 812 0000 1708.",
            ),
            ("", "BANTUAN", "Write the number the message comes from."),
        ],
    )
    def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_sent(
        self, client: Client, demo: Path, number: str, text: str, error: str
    ) -> None:
        answer = send(client, text, number=number)
        assert answer.status_code == 400
        html = answer.content.decode()
        assert 'class="error-summary"' in html
        assert escape(in_indonesian(error)).split("%(")[0] in html
        assert '<meta http-equiv="refresh"' not in html  # a reload would wipe what was typed
        assert not InboundMessage.objects.exists()
        assert not Conversation.objects.exists()
        assert not Message.objects.exists()
        assert not demo.exists()
        # The number the page shows next is still the last good one.
        assert f'value="{NUMBER}"' in client.get(URL).content.decode()

    def test_the_page_is_not_there_when_the_demo_phone_is_off(
        self, client: Client, demo: Path, settings: Any
    ) -> None:
        settings.LAPOR_DEMO_PHONE = False
        assert client.get(URL).status_code == 404
        assert send(client, REPORT).status_code == 404
        assert not InboundMessage.objects.exists()
        assert not demo.exists()

    def test_the_page_says_when_replies_cannot_reach_it(
        self, client: Client, demo: Path, settings: Any
    ) -> None:
        settings.LAPOR_SMS_BACKEND = ""
        page = client.get(URL)
        assert escape(in_indonesian("The SMS channel is off (LAPOR_SMS_BACKEND is empty): messages are taken, but no reply is sent. Set LAPOR_SMS_BACKEND=demo.phone.DemoPhoneBackend to see them here.")) in page.content.decode()  # fmt: skip


class TestDemoPhoneBackend:
    def test_a_line_that_cannot_be_read_is_left_out_and_order_is_by_time(self, demo: Path) -> None:
        demo.mkdir()
        later = timezone.now()
        earlier = later - dt.timedelta(seconds=3)
        rows = [
            {"at": later.isoformat(), "to": "+6281200001708", "from": "LAPOR", "text": "balasan"},
            "not json",
            {"at": earlier.isoformat(), "to": "LAPOR", "from": "+6281200001708", "text": "pesan"},
            {"at": "2026-12-14T09:00:00", "from": "LAPOR", "text": "a naive time"},
        ]
        (demo / THREAD).write_text(
            "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
        )
        lines = phone.read_thread("+6281200001708")
        assert [(line.text, line.from_portal) for line in lines] == [
            ("pesan", False),
            ("balasan", True),
        ]

    def test_no_pictures(self, demo: Path) -> None:
        from messaging.types import MediaRef, SendRefused

        with pytest.raises(SendRefused):
            phone.DemoPhoneBackend().download(MediaRef("m1", "image/jpeg"))
