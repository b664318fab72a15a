"""The SMS door and its gateway: ``/kanal/sms/`` as Kannel's smsbox calls it (the sms-service
of deploy/kannel/kannel.conf: POST, the text as the body in its charset, X-Kannel-From, ``id``
and ``time`` in the query string, the secret as the Basic password), through the real view and
the real conversation engine; and ``messaging.kannel.KannelBackend`` against a small fake of
Kannel's sendsms interface on 127.0.0.1. The whole of Kannel (bearerbox, smsbox and the fake
SMSC) runs in tests/integration/test_kannel_stack.py."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from complaints.models import Channel, Complaint, Message
from messaging.kannel import KannelBackend, needs_ucs2, parts_needed, plain_text
from messaging.models import Conversation, InboundMessage
from messaging.types import SendFailed, SendRefused
from tests.helpers import deliver_pending, free_port

SECRET = "rahasia-kannel_2026"
SITI = "+6281234567890"
DOOR = "/kanal/sms/"
# Kannel's ids of messages: uuids.
IDS = iter(f"0fa6113e-15c5-434f-934b-{n:012x}" for n in range(1, 10_000))
STORY = (
    "Puskesmas Palaran tutup sejak pukul 10 pagi, padahal jadwalnya sampai 14.00. Pasien "
    "lansia menunggu di luar 😢 dan petugas bilang “dokter cuti”. Mohon ditindaklanjuti, terima "
    "kasih 🙏 (café, naïve, São Tomé)"
)
REPORT = f"LAPOR Kesehatan Kota Samarinda {STORY}"


# --- a fake of Kannel's sendsms ----------------------------------------------------------------


@dataclass
class FakeSendsms:
    """What Kannel's sendsms would answer (``status``, ``body``; ``delay`` seconds first), and
    the query of every request it got."""

    port: int
    status: int = 202
    body: bytes = b"0: Accepted for delivery"
    delay: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/sendsms"


def _handler(fake: FakeSendsms) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
            fake.requests.append({k: v[0] for k, v in query.items()} | {"path": parts.path})
            time.sleep(fake.delay)
            try:
                self.send_response(fake.status)
                if 300 <= fake.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def sendsms(settings: Any) -> Iterator[FakeSendsms]:
    """The fake sendsms on a free port of 127.0.0.1, and the settings that send through it."""
    fake = FakeSendsms(port=free_port())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", fake.port), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LAPOR_KANNEL_SENDSMS_URL = fake.url
    settings.LAPOR_KANNEL_USERNAME = "lapor"
    settings.LAPOR_KANNEL_PASSWORD = "sandi-sendsms"
    settings.LAPOR_SMS_FROM = "1708"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class TestKannelBackend:
    def test_gsm_text_goes_as_7_bit_utf8_with_the_account_and_the_short_code(
        self, sendsms: FakeSendsms
    ) -> None:
        KannelBackend().send(SITI, "Laporan Anda diterima: café [no. 12] € 5 {ok}")
        (request,) = sendsms.requests
        assert request == {
            "path": "/cgi-bin/sendsms",
            "username": "lapor",
            "password": "sandi-sendsms",
            "from": "1708",
            "to": SITI,
            "text": "Laporan Anda diterima: café [no. 12] € 5 {ok}",
            "charset": "UTF-8",
        }

    def test_a_character_outside_gsm_makes_it_ucs2(self, sendsms: FakeSendsms) -> None:
        KannelBackend().send(SITI, "Terima kasih 🙏")
        KannelBackend().send(SITI, "Garçon")  # ç is not GSM (Ç is)
        assert [(r["text"], r["coding"]) for r in sendsms.requests] == [
            ("Terima kasih 🙏", "2"),
            ("Garçon", "2"),
        ]

    def test_typographic_punctuation_is_written_plain_and_stays_7_bit(
        self, sendsms: FakeSendsms
    ) -> None:
        KannelBackend().send(SITI, "Jawaban: “sudah diperbaiki” – jalan ditambal… Dinas’ PU")
        (request,) = sendsms.requests
        assert request["text"] == 'Jawaban: "sudah diperbaiki" - jalan ditambal... Dinas\' PU'
        assert "coding" not in request

    def test_without_a_from_kannels_default_sender_is_used(
        self, sendsms: FakeSendsms, settings: Any
    ) -> None:
        settings.LAPOR_SMS_FROM = ""
        KannelBackend().send(SITI, "Halo")
        assert "from" not in sendsms.requests[0]

    def test_queued_for_later_is_accepted_too(self, sendsms: FakeSendsms) -> None:
        sendsms.body = b"3: Queued for later delivery"
        KannelBackend().send(SITI, "Halo")
        assert len(sendsms.requests) == 1

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (400, b"Sender missing and no global set, rejected"),
            (403, b"Authorization failed for sendsms"),
            (403, b"Not routable. Do not try again."),
        ],
    )
    def test_a_refusal_is_not_retried(self, sendsms: FakeSendsms, status: int, body: bytes) -> None:
        sendsms.status, sendsms.body = status, body
        with pytest.raises(SendRefused) as refused:
            KannelBackend().send(SITI, "Laporan ABCD-EFGH-JKMN diterima")
        message = str(refused.value)
        assert str(status) in message and body.decode() in message
        assert "81234567890" not in message and "ABCD" not in message

    @pytest.mark.parametrize(
        ("status", "body"),
        [(503, b"Temporal failure, try again later."), (500, b"Sending failed."), (302, b"")],
    )
    def test_a_temporary_failure_is_tried_again(
        self, sendsms: FakeSendsms, status: int, body: bytes
    ) -> None:
        sendsms.status, sendsms.body = status, body
        with pytest.raises(SendFailed) as failed:
            KannelBackend().send(SITI, "Laporan ABCD-EFGH-JKMN diterima")
        assert str(status) in str(failed.value)
        assert "81234567890" not in str(failed.value)
        assert len(sendsms.requests) == 1  # a redirect is not followed

    def test_nothing_listening_is_a_temporary_failure(self, settings: Any) -> None:
        settings.LAPOR_KANNEL_SENDSMS_URL = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
        with pytest.raises(SendFailed, match="cannot be reached"):
            KannelBackend().send(SITI, "Halo")

    def test_no_answer_in_time_is_a_temporary_failure(
        self, sendsms: FakeSendsms, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("messaging.kannel.TIMEOUT", 0.3)
        sendsms.delay = 1.0
        with pytest.raises(SendFailed, match="cannot be reached"):
            KannelBackend().send(SITI, "Halo")

    def test_without_a_sendsms_address_nothing_is_tried(self, settings: Any) -> None:
        settings.LAPOR_KANNEL_SENDSMS_URL = ""
        with pytest.raises(SendRefused):
            KannelBackend().send(SITI, "Halo")


class TestCoding:
    def test_the_gsm_alphabet_and_its_extension_need_no_ucs2(self) -> None:
        assert not needs_ucs2("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà")
        assert not needs_ucs2("^{}\\[~]|€\n\r")
        assert needs_ucs2("ç") and needs_ucs2("’") and needs_ucs2("😢") and needs_ucs2("\t")

    def test_parts_count_septets_or_utf16_units(self) -> None:
        assert parts_needed("a" * 160) == 1
        assert parts_needed("a" * 161) == 2
        assert parts_needed("€" * 80) == 1  # two septets each
        assert parts_needed("a" * 459) == 3
        assert parts_needed("😢" * 35) == 1  # a surrogate pair each
        assert parts_needed("é" + "ç" * 268) == 5
        assert parts_needed("“" * 160) == 1  # written as "

    def test_plain_text_keeps_what_gsm_has(self) -> None:
        assert plain_text("Rp 5.000 – “lunas”…\u00a0ok") == 'Rp 5.000 - "lunas"...\u00a0ok'.replace(
            "\u00a0", " "
        )


# --- the door ------------------------------------------------------------------------------


@pytest.fixture
def door(settings: Any, tree: dict[str, Any], sendsms: FakeSendsms) -> FakeSendsms:
    """The SMS channel on, through Kannel (the fake sendsms), with the door's secret; the
    limits per number out of the way."""
    settings.LAPOR_SMS_BACKEND = "messaging.kannel.KannelBackend"
    settings.LAPOR_SMS_SECRET = SECRET
    settings.LAPOR_SMS_ALLOWED_IPS = ["127.0.0.1", "::1"]
    settings.LAPOR_PHONE_SENDER_RATE = "1000/h"
    settings.LAPOR_PHONE_REPORT_RATE = "1000/d"
    return sendsms


def basic(password: str, user: str = "kannel") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def deliver(
    client: Client,
    text: str | bytes,
    *,
    sender: str | None = SITI,
    message_id: str | None = None,
    seconds: str | None = None,
    charset: str = "UTF-8",
    content_type: str | None = None,
    authorization: str | None = None,
    address: str = "127.0.0.1",
    method: str = "post",
    query: str | None = None,
    forwarded_for: str | None = None,
) -> Any:
    """One delivery as smsbox makes it (the sms-service of deploy/kannel/kannel.conf)."""
    body = text if isinstance(text, bytes) else text.encode(charset)
    if query is None:
        query = f"id={message_id or next(IDS)}"
        query += f"&time={seconds or int(timezone.now().timestamp())}"
    headers = {}
    if sender is not None:
        headers["X-Kannel-From"] = sender
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    headers["Authorization"] = basic(SECRET) if authorization is None else authorization
    call = getattr(client, method)
    return call(
        f"{DOOR}?{query}",
        data=body,
        content_type=content_type or f'text/plain; charset="{charset}"',
        headers=headers,
        REMOTE_ADDR=address,
    )


def taken() -> list[tuple[str, str]]:
    return list(InboundMessage.objects.order_by("pk").values_list("message_id", "outcome"))


def sent_to(sendsms: FakeSendsms, number: str = SITI) -> list[str]:
    """What went to ``number`` through sendsms, once the outbox has delivered."""
    deliver_pending(timezone.now() + dt.timedelta(minutes=1))
    return [r["text"] for r in sendsms.requests if r["to"] == number]


@pytest.mark.django_db
class TestTheDoorRefuses:
    def test_with_the_channel_off_or_no_secret_it_is_not_there(
        self, client: Client, door: FakeSendsms, settings: Any
    ) -> None:
        settings.LAPOR_SMS_BACKEND = ""
        assert deliver(client, REPORT).status_code == 404
        settings.LAPOR_SMS_BACKEND = "messaging.kannel.KannelBackend"
        settings.LAPOR_SMS_SECRET = ""
        assert deliver(client, REPORT, authorization=basic("")).status_code == 404
        assert taken() == []

    @pytest.mark.parametrize(
        "authorization",
        [
            "",
            basic("rahasia-kannel_2025"),
            basic(SECRET.upper()),
            basic(SECRET + "x"),
            f"Bearer {SECRET}",
            "Basic not-base64!",
            "Basic " + base64.b64encode(SECRET.encode()).decode(),  # no user:password
        ],
    )
    def test_a_missing_or_wrong_secret_is_403(
        self, client: Client, door: FakeSendsms, authorization: str
    ) -> None:
        response = deliver(client, REPORT, authorization=authorization)
        assert response.status_code == 403
        assert taken() == []

    def test_an_address_not_allowed_is_403_even_with_the_secret(
        self, client: Client, door: FakeSendsms
    ) -> None:
        assert deliver(client, REPORT, address="203.0.113.7").status_code == 403
        assert taken() == []

    def test_addresses_are_read_behind_the_trusted_proxies_and_networks_allowed(
        self, client: Client, door: FakeSendsms, settings: Any
    ) -> None:
        settings.LAPOR_TRUSTED_PROXY_COUNT = 1
        settings.LAPOR_SMS_ALLOWED_IPS = ["10.20.0.0/24", "not an address"]
        # nginx on 127.0.0.1 says who called it; what the caller wrote itself is ignored.
        forged = deliver(client, REPORT, forwarded_for="10.20.0.5, 203.0.113.7")
        assert forged.status_code == 403
        allowed = deliver(client, "BANTUAN", forwarded_for="10.20.0.5")
        assert allowed.status_code == 200
        assert [outcome for _id, outcome in taken()] == [InboundMessage.Outcome.HELP]

    def test_only_post_is_a_delivery(self, client: Client, door: FakeSendsms) -> None:
        response = deliver(client, b"", method="get")
        assert response.status_code == 405
        assert taken() == []

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"sender": None}, "sender"),
            ({"sender": "+62 812\x00"}, "sender"),
            ({"query": "time=1796653574"}, "message id"),
            ({"query": "id=&time=1796653574"}, "message id"),
            ({"query": "id=a%20b"}, "message id"),
            ({"query": "id=abc&id=def"}, "more than once"),
            ({"query": "id=abc&time=kemarin"}, "time"),
            ({"query": "id=abc&time=-5"}, "time"),
            ({"charset": "UTF-16BE", "text": b"\xd8\x3d"}, "charset"),  # half an emoji
            ({"text": b"caf\xe9"}, "charset"),  # Latin-1 sent as UTF-8
            ({"content_type": 'text/plain; charset="KLINGON"'}, "unknown charset"),
            ({"content_type": "application/json"}, "not text/plain"),
            ({"content_type": "application/octet-stream", "text": b"\x0b\x05\x04\xff"}, "charset"),
            ({"text": "LAPOR\x00 jalan rusak"}, "NUL"),
        ],
    )
    def test_a_delivery_smsbox_would_not_send_is_400_and_leaves_nothing(
        self, client: Client, door: FakeSendsms, changes: dict[str, Any], reason: str
    ) -> None:
        text = changes.pop("text", REPORT)
        response = deliver(client, text, **changes)
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert taken() == []
        assert not Conversation.objects.exists()

    def test_a_body_too_large_is_400(self, client: Client, door: FakeSendsms) -> None:
        response = deliver(client, "a" * (64 * 1024 + 1))
        assert response.status_code == 400
        assert taken() == []


@pytest.mark.django_db
class TestTheDoorTakes:
    def test_a_report_in_utf8_is_filed_whole_and_the_receipt_goes_back_through_kannel(
        self, client: Client, door: FakeSendsms
    ) -> None:
        asked = deliver(client, REPORT)
        assert asked.status_code == 200
        assert asked.content == b""  # smsbox sends nothing itself (omit-empty)
        (question,) = sent_to(door)
        assert "Balas YA" in question

        assert deliver(client, "YA").status_code == 200
        complaint = Complaint.objects.get()
        assert complaint.channel == Channel.SMS
        assert complaint.description == STORY
        (receipt,) = [t for t in sent_to(door) if "diterima dengan nomor" in t]
        assert complaint.tracking_number in receipt
        assert "coding" not in next(r for r in door.requests if r["text"] == receipt)  # GSM

    def test_ucs2_text_as_utf16be_is_read_the_same(self, client: Client, door: FakeSendsms) -> None:
        assert deliver(client, REPORT, charset="UTF-16BE").status_code == 200
        assert deliver(client, "ya", charset="UTF-16BE").status_code == 200
        assert Complaint.objects.get().description == STORY

    def test_a_long_concatenated_message_arrives_whole(
        self, client: Client, door: FakeSendsms
    ) -> None:
        story = " ".join(
            f"Hari ke-{n}: jalan di depan SDN 00{n} Sungai Kunjang berlubang dan tergenang, "
            "motor warga jatuh 🛵."
            for n in range(1, 8)
        )
        assert len(story) > 500
        deliver(client, f"LAPOR Kesehatan Kota Samarinda {story}")
        deliver(client, "YA")
        # Agreed once: the next one is filed at once.
        deliver(client, f"LAPOR Kesehatan Kota Samarinda {story}", charset="UTF-16BE")
        assert [c.description for c in Complaint.objects.order_by("pk")] == [story, story]

    def test_lines_and_spaces_of_a_free_text_are_kept(
        self, client: Client, door: FakeSendsms
    ) -> None:
        text = "Lampu jalan mati\ndi Jl. Juanda  RT 05,\r\nsudah 3 hari 😢"
        assert deliver(client, text).status_code == 200
        conversation = Conversation.objects.get(channel=Channel.SMS, sender=SITI)
        assert conversation.data["description"] == text

    def test_the_time_smsbox_gives_is_when_the_phone_sent_it(
        self, client: Client, door: FakeSendsms
    ) -> None:
        deliver(client, "BANTUAN", seconds="1796653574")
        conversation = Conversation.objects.get(channel=Channel.SMS, sender=SITI)
        assert conversation.last_sent_at == dt.datetime(2026, 12, 7, 14, 26, 14, tzinfo=dt.UTC)

    def test_a_number_without_its_plus_is_the_same_phone(
        self, client: Client, door: FakeSendsms
    ) -> None:
        deliver(client, REPORT, sender="6281234567890")
        deliver(client, "ya", sender="081234567890")
        assert Complaint.objects.get().description == STORY
        assert Conversation.objects.filter(channel=Channel.SMS).count() == 1

    def test_a_delivery_smsbox_repeats_is_taken_once(
        self, client: Client, door: FakeSendsms
    ) -> None:
        message_id = next(IDS)
        for _attempt in range(3):
            assert deliver(client, REPORT, message_id=message_id).status_code == 200
        assert taken() == [(message_id, InboundMessage.Outcome.ASKED)]
        assert Message.objects.filter(kind=Message.Kind.PHONE_REPLY).count() == 1
        assert len(sent_to(door)) == 1

    def test_the_database_away_is_503_and_smsbox_delivers_again(
        self, client: Client, door: FakeSendsms
    ) -> None:
        message_id = next(IDS)

        def unreachable(*args: Any) -> Any:
            raise OperationalError("server closed the connection unexpectedly")

        with connection.execute_wrapper(unreachable):
            response = deliver(client, REPORT, message_id=message_id)
        assert response.status_code == 503
        assert response["Retry-After"]
        assert taken() == []
        # smsbox's next try, with the same id.
        assert deliver(client, REPORT, message_id=message_id).status_code == 200
        assert taken() == [(message_id, InboundMessage.Outcome.ASKED)]

    def test_an_empty_message_is_asked_what_happened(
        self, client: Client, door: FakeSendsms
    ) -> None:
        assert deliver(client, b"").status_code == 200
        (question,) = sent_to(door)
        assert question.startswith("Ceritakan masalahnya")


TEST_CFG = Path("/usr/lib/kannel/test/test_cfg")
DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "kannel" / "kannel.conf"


def test_the_deployed_kannel_configuration_has_only_fields_kannel_knows() -> None:
    """Kannel's own configuration checker (kannel-extras) reads deploy/kannel/kannel.conf: every
    group and field a name Kannel 1.4.5 knows. (The stack test runs bearerbox and smsbox on
    it, all but its SMPP link.)"""
    if not os.access(TEST_CFG, os.X_OK):
        if os.environ.get("LAPOR_REQUIRE_ALL") == "1":
            pytest.fail(f"LAPOR_REQUIRE_ALL=1 but {TEST_CFG} is missing (kannel-extras)")
        pytest.skip(f"needs {TEST_CFG}: apt-get install kannel-extras")
    checked = subprocess.run(
        [str(TEST_CFG), str(DEPLOYED)], capture_output=True, text=True, timeout=30, check=False
    )
    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, output
    assert " ERROR: " not in output and " PANIC: " not in output, output
    for group in ("core", "smsc", "smsbox", "sendsms-user", "sms-service"):
        assert f"dumping group ({group})" in output
