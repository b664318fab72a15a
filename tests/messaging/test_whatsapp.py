"""The WhatsApp door end to end: Meta's webhook deliveries through the real view
(``/kanal/whatsapp/``) and the real conversation engine, and the replies and photos through
``CloudApiBackend`` against a fake of the Cloud API's Graph endpoints on 127.0.0.1
(tests/messaging/fake_cloud_api.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import outbox
from complaints.models import Channel, Complaint, Message
from messaging import services
from messaging.models import Conversation, InboundMessage
from messaging.types import MediaRef, SendFailed, SendRefused
from messaging.whatsapp import CloudApiBackend, parse_webhook, verify_signature
from tests.files import phone_jpeg
from tests.helpers import deliver_pending
from tests.messaging.fake_cloud_api import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TIMESTAMP,
    VERIFY_TOKEN,
    FakeCloudApi,
    delivery,
    image_message,
    location_message,
    message,
    messages_of,
    signed_delivery,
    status_update,
    text_message,
)

SENDER = "6281234567890"
NUMBER = "+" + SENDER
DESCRIPTION = "Jalan berlubang besar di depan Pasar Segiri, motor sering jatuh sejak minggu lalu."


def url() -> str:
    return reverse("messaging:whatsapp")


def post(client: Client, payload: Any, *, secret: str = APP_SECRET) -> Any:
    """Deliver ``payload`` as Meta does, signed with ``secret``."""
    body, signature = signed_delivery(payload, secret)
    return client.post(
        url(),
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )


def taken(message_id: str) -> list[InboundMessage]:
    return list(InboundMessage.objects.filter(channel=Channel.WHATSAPP, message_id=message_id))


def replies() -> list[dict[str, Any]]:
    """What the engine queued for the phone (the outbox seals it until sent)."""
    return [
        json.loads(outbox.sealed_secret(m) or "{}")
        for m in Message.objects.filter(kind=Message.Kind.PHONE_REPLY).order_by("pk")
    ]


def id_of(payload: dict[str, Any]) -> str:
    return str(messages_of(payload)[0]["id"])


class TestHandshake:
    def test_the_right_verify_token_gets_the_challenge_back(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        response = client.get(
            url(),
            {
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert response.content == b"1158201444"

    @pytest.mark.parametrize(
        "query",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "tebakan", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
            {"hub.challenge": "1"},
        ],
    )
    def test_a_wrong_token_or_mode_is_refused(
        self, client: Client, cloud_api: FakeCloudApi, query: dict[str, str]
    ) -> None:
        response = client.get(url(), query)
        assert response.status_code == 403
        assert b"1" not in response.content

    def test_no_verify_token_configured_refuses_even_an_empty_one(
        self, client: Client, cloud_api: FakeCloudApi, settings: Any
    ) -> None:
        settings.LAPOR_WHATSAPP_VERIFY_TOKEN = ""
        response = client.get(
            url(), {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"}
        )
        assert response.status_code == 403

    def test_other_methods_are_not_allowed(self, client: Client, cloud_api: FakeCloudApi) -> None:
        assert client.put(url(), data=b"{}").status_code == 405


@pytest.mark.django_db
class TestDeliveries:
    def test_a_signed_text_message_is_taken_and_answered_through_the_outbox(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION)
        response = post(client, payload)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        [row] = taken(id_of(payload))
        assert row.outcome == InboundMessage.Outcome.ASKED
        conversation = Conversation.objects.get(channel=Channel.WHATSAPP, sender=NUMBER)
        assert conversation.step == "kind"
        assert conversation.last_sent_at == dt.datetime.fromtimestamp(TIMESTAMP, tz=dt.UTC)
        [reply] = replies()
        assert reply["to"] == NUMBER
        assert "Jenis laporan" in reply["text"]
        # The reply is not in the HTTP answer: the worker sends it, through the Cloud API.
        assert "Jenis" not in response.content.decode()
        deliver_pending(timezone.now())
        assert cloud_api.messages[-1]["to"] == SENDER
        assert cloud_api.messages[-1]["type"] == "text"
        assert "Jenis laporan" in cloud_api.messages[-1]["text"]["body"]

    def test_a_delivery_repeated_is_taken_once(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION)
        assert post(client, payload).status_code == 200
        assert post(client, payload).status_code == 200
        assert len(taken(id_of(payload))) == 1
        assert len(replies()) == 1

    def test_messages_delivered_out_of_order_are_each_taken_once(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        """The description (sent first) arrives after the answer "1" (sent a minute later):
        each is taken once, and the older one does not answer the question asked since."""
        first = text_message(SENDER, DESCRIPTION, timestamp=TIMESTAMP)
        second = text_message(SENDER, "1", timestamp=TIMESTAMP + 60)
        assert post(client, second).status_code == 200
        assert post(client, first).status_code == 200
        assert post(client, second).status_code == 200
        [late] = taken(id_of(first))
        [early] = taken(id_of(second))
        assert early.outcome == InboundMessage.Outcome.ASKED
        assert late.outcome == InboundMessage.Outcome.LATE
        conversation = Conversation.objects.get(channel=Channel.WHATSAPP, sender=NUMBER)
        assert conversation.last_sent_at == dt.datetime.fromtimestamp(TIMESTAMP + 60, tz=dt.UTC)

    def test_several_messages_in_one_delivery_are_taken_in_order(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        first = text_message(SENDER, DESCRIPTION, timestamp=TIMESTAMP)
        second = text_message(SENDER, "2", timestamp=TIMESTAMP + 5)
        response = post(client, delivery(messages_of(first) + messages_of(second)))
        assert response.status_code == 200
        assert taken(id_of(first))[0].outcome == InboundMessage.Outcome.ASKED
        assert taken(id_of(second))[0].outcome == InboundMessage.Outcome.ASKED
        conversation = Conversation.objects.get(channel=Channel.WHATSAPP, sender=NUMBER)
        assert conversation.data["kind"] == Complaint.Kind.ASPIRATION
        assert conversation.step == "category"

    def test_status_updates_are_ignored(self, client: Client, cloud_api: FakeCloudApi) -> None:
        payload = delivery(
            statuses=[
                status_update(SENDER, "wamid.1", "delivered"),
                status_update(SENDER, "wamid.1", "read"),
            ]
        )
        response = post(client, payload)
        assert response.status_code == 200
        assert not InboundMessage.objects.exists()
        assert not Conversation.objects.exists()

    def test_a_message_to_another_business_number_is_ignored(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION, phone_number_id="999999999999999")
        assert post(client, payload).status_code == 200
        assert taken(id_of(payload)) == []
        assert not Conversation.objects.exists()

    @pytest.mark.parametrize("header", [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64])
    def test_a_delivery_without_a_valid_signature_is_refused_and_logged(
        self,
        client: Client,
        cloud_api: FakeCloudApi,
        caplog: pytest.LogCaptureFixture,
        header: str | None,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        payload = text_message(SENDER, DESCRIPTION)
        body, _signature = signed_delivery(payload)
        headers = {} if header is None else {"X-Hub-Signature-256": header}
        response = client.post(url(), data=body, content_type="application/json", headers=headers)
        assert response.status_code == 403
        assert taken(id_of(payload)) == []
        assert not Conversation.objects.exists()
        assert "signature" in caplog.text
        assert SENDER not in caplog.text
        assert "Pasar Segiri" not in caplog.text

    def test_a_delivery_signed_with_another_secret_is_refused(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION)
        assert post(client, payload, secret="rahasia-orang-lain").status_code == 403
        assert taken(id_of(payload)) == []

    def test_a_body_changed_after_signing_is_refused(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION)
        _body, signature = signed_delivery(payload)
        forged = text_message("6289999999999", DESCRIPTION, message_id=id_of(payload))
        response = client.post(
            url(),
            data=json.dumps(forged).encode(),
            content_type="application/json",
            headers={"X-Hub-Signature-256": signature},
        )
        assert response.status_code == 403
        assert taken(id_of(payload)) == []

    def test_signed_json_that_does_not_parse_is_a_bad_request(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        response = post(client, b'{"object": "whatsapp_business_account", "entry": [')
        assert response.status_code == 400
        assert not InboundMessage.objects.exists()

    def test_signed_json_of_another_shape_is_taken_as_nothing(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        for odd in (
            [1, 2],
            {"object": "page", "entry": []},
            {"object": "whatsapp_business_account"},
        ):
            assert post(client, odd).status_code == 200
        assert not InboundMessage.objects.exists()

    def test_a_body_over_one_mebibyte_is_refused(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        payload = text_message(SENDER, "x" * (1024 * 1024))
        response = post(client, payload)
        assert response.status_code == 413
        assert taken(id_of(payload)) == []

    def test_the_door_is_closed_when_the_channel_is_off(
        self, client: Client, cloud_api: FakeCloudApi, settings: Any
    ) -> None:
        settings.LAPOR_WHATSAPP_BACKEND = ""
        payload = text_message(SENDER, DESCRIPTION)
        assert post(client, payload).status_code == 404
        settings.LAPOR_WHATSAPP_BACKEND = "messaging.whatsapp.CloudApiBackend"
        settings.LAPOR_WHATSAPP_APP_SECRET = ""
        assert post(client, payload).status_code == 404
        assert taken(id_of(payload)) == []

    def test_the_database_away_answers_503_so_that_meta_delivers_again(
        self, client: Client, cloud_api: FakeCloudApi, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        payload = text_message(SENDER, DESCRIPTION)

        def away(*args: Any, **kwargs: Any) -> Any:
            raise OperationalError("server closed the connection unexpectedly")

        with monkeypatch.context() as patched:
            patched.setattr(services, "receive", away)
            response = post(client, payload)
        assert response.status_code == 503
        assert response["Retry-After"]
        assert taken(id_of(payload)) == []
        # Meta's next attempt is taken.
        assert post(client, payload).status_code == 200
        assert len(taken(id_of(payload))) == 1

    def test_a_voice_note_is_answered_with_a_question(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        voice = message(SENDER, "audio", {"mime_type": "audio/ogg; codecs=opus", "id": "778899"})
        assert post(client, delivery([voice])).status_code == 200
        [row] = taken(voice["id"])
        assert row.outcome == InboundMessage.Outcome.ASKED
        assert "Ceritakan" in replies()[0]["text"]


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
class TestConversation:
    def test_a_photo_a_place_and_answers_file_a_report_and_the_receipt_goes_back(
        self, client: Client, cloud_api: FakeCloudApi, tree: dict[str, Any], settings: Any
    ) -> None:
        settings.LAPOR_PHONE_SENDER_RATE = "100/h"
        photo = phone_jpeg()
        cloud_api.add_media("1480263479523871", photo, "image/jpeg")
        moment = iter(range(TIMESTAMP, TIMESTAMP + 3600, 30))
        sent = [
            image_message(SENDER, "1480263479523871", caption=DESCRIPTION, timestamp=next(moment)),
            location_message(
                SENDER,
                -0.5022,
                117.1536,
                name="Pasar Segiri",
                address="Jl. Pahlawan",
                timestamp=next(moment),
            ),
            text_message(SENDER, "1", timestamp=next(moment)),
            text_message(SENDER, "Kesehatan", timestamp=next(moment)),
            text_message(SENDER, "Kota Samarinda", timestamp=next(moment)),
            text_message(SENDER, "1", timestamp=next(moment)),
            text_message(SENDER, "YA", timestamp=next(moment)),
        ]
        for payload in sent:
            assert post(client, payload).status_code == 200
        [filed] = taken(id_of(sent[-1]))
        assert filed.outcome == InboundMessage.Outcome.FILED
        assert filed.complaint_id is not None
        complaint = Complaint.objects.get(pk=filed.complaint_id)
        assert complaint.channel == Channel.WHATSAPP
        assert complaint.description == DESCRIPTION
        assert complaint.region_id == "64.72"
        assert complaint.attachments.count() == 1
        assert (complaint.latitude, complaint.longitude) == (
            Decimal("-0.5022"),
            Decimal("117.1536"),
        )
        assert cloud_api.downloads == 1
        deliver_pending(timezone.now())
        tracking = complaint.tracking_number
        assert any(tracking in said for said in cloud_api.texts())
        assert all(m["to"] == SENDER for m in cloud_api.messages)
        assert Conversation.objects.get(sender=NUMBER).data == {}


@pytest.mark.django_db
class TestRepliesThroughTheOutbox:
    def test_a_reply_sent_after_the_24_hour_window_goes_as_the_template(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        assert post(client, text_message(SENDER, DESCRIPTION)).status_code == 200
        deliver_pending(timezone.now() + dt.timedelta(hours=25))
        [sent] = cloud_api.messages
        assert sent["type"] == "template"
        assert "Jenis laporan? Balas 1 untuk pengaduan" in cloud_api.texts()[0]

    def test_a_graph_server_error_leaves_the_reply_for_a_later_attempt(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        assert post(client, text_message(SENDER, DESCRIPTION)).status_code == 200
        cloud_api.fail(500)
        now = timezone.now()
        assert deliver_pending(now) == []
        row = Message.objects.get(kind=Message.Kind.PHONE_REPLY)
        assert row.sent_at is None and row.attempts == 1
        assert "HTTP 500" in row.error and SENDER not in row.error
        assert cloud_api.messages == []
        assert deliver_pending(now + dt.timedelta(hours=1)) == [row.key]
        assert len(cloud_api.messages) == 1

    def test_a_refused_reply_is_not_tried_again(
        self, client: Client, cloud_api: FakeCloudApi
    ) -> None:
        assert post(client, text_message(SENDER, DESCRIPTION)).status_code == 200
        cloud_api.fail(400, code=131026)  # the number cannot receive WhatsApp messages
        now = timezone.now()
        deliver_pending(now)
        row = Message.objects.get(kind=Message.Kind.PHONE_REPLY)
        assert row.failed_at is not None and "Graph error 131026" in row.error
        assert deliver_pending(now + dt.timedelta(hours=1)) == []
        assert cloud_api.attempts == 1


class TestParseWebhook:
    """The reading of deliveries, shape by shape (no database)."""

    @pytest.fixture(autouse=True)
    def _ours(self, settings: Any) -> None:
        settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID

    def test_a_text(self) -> None:
        [incoming] = parse_webhook(text_message(SENDER, "  halo  ", message_id="wamid.A"))
        assert incoming.channel == Channel.WHATSAPP
        assert incoming.sender == NUMBER
        assert incoming.text == "halo"
        assert incoming.message_id == "wamid.A"
        assert incoming.sent_at == dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
        assert incoming.media == () and incoming.location is None

    def test_a_photo_with_its_caption_and_a_photo_sent_as_a_document(self) -> None:
        [photo] = parse_webhook(
            image_message(SENDER, "111", caption="lubang", mime_type="image/png")
        )
        assert photo.text == "lubang"
        assert [(m.media_id, m.mime_type) for m in photo.media] == [("111", "image/png")]
        document = message(
            SENDER, "document", {"id": "222", "mime_type": "image/jpeg", "filename": "IMG.jpg"}
        )
        pdf = message(SENDER, "document", {"id": "333", "mime_type": "application/pdf"})
        as_document, not_a_photo = parse_webhook(delivery([document, pdf]))
        assert [m.media_id for m in as_document.media] == ["222"]
        assert not_a_photo.media == () and not_a_photo.text == ""

    def test_a_place_with_its_name_and_address(self) -> None:
        [place] = parse_webhook(
            location_message(SENDER, -0.5022, 117.1536, name="Pasar Segiri", address="Jl. Pahlawan")
        )
        assert place.location == (-0.5022, 117.1536)
        assert place.text == "Pasar Segiri, Jl. Pahlawan"

    def test_button_and_list_replies_read_as_their_titles(self) -> None:
        button = message(
            SENDER,
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "b1", "title": "YA"}},
        )
        listed = message(
            SENDER,
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {"id": "kes", "title": "Kesehatan", "description": "-"},
            },
        )
        quick = message(SENDER, "button", {"payload": "BERHENTI", "text": "Berhenti"})
        assert [i.text for i in parse_webhook(delivery([button, listed, quick]))] == [
            "YA",
            "Kesehatan",
            "Berhenti",
        ]

    def test_other_kinds_come_without_text_and_reactions_not_at_all(self) -> None:
        kinds = [
            message(SENDER, "sticker", {"id": "1", "mime_type": "image/webp", "animated": False}),
            message(SENDER, "video", {"id": "2", "mime_type": "video/mp4"}),
            message(SENDER, "unsupported", {}),
            message(SENDER, "reaction", {"message_id": "wamid.X", "emoji": "👍"}),
        ]
        read = parse_webhook(delivery(kinds))
        assert [(i.text, i.media) for i in read] == [("", ()), ("", ()), ("", ())]

    @pytest.mark.parametrize(
        "broken",
        [
            {"from": SENDER, "type": "text", "text": {"body": "tanpa id"}},
            {"id": "wamid.B", "type": "text", "text": {"body": "tanpa pengirim"}},
            {"from": "+62 812-abc", "id": "wamid.C", "type": "text", "text": {"body": "x"}},
            {"from": 6281234567890, "id": "wamid.D", "type": "text", "text": {"body": "x"}},
            "not a message",
            None,
        ],
    )
    def test_a_broken_message_is_skipped_and_the_others_read(self, broken: Any) -> None:
        good = messages_of(text_message(SENDER, "halo"))
        read = parse_webhook(delivery([broken, *good]))
        assert [i.text for i in read] == ["halo"]

    @pytest.mark.parametrize(
        "part",
        [
            {"latitude": "utara", "longitude": 117.1},
            {"latitude": 91, "longitude": 117.1},
            {"latitude": True, "longitude": 117.1},
            {"latitude": float("nan"), "longitude": 117.1},
            {"longitude": 117.1},
        ],
    )
    def test_a_place_that_is_no_place_has_no_point(self, part: dict[str, Any]) -> None:
        [place] = parse_webhook(delivery([message(SENDER, "location", part)]))
        assert place.location is None

    @pytest.mark.parametrize("timestamp", ["kemarin", "", "99999999999999999999", None])
    def test_a_bad_timestamp_leaves_the_moment_unknown(self, timestamp: Any) -> None:
        raw = messages_of(text_message(SENDER, "halo"))[0]
        raw["timestamp"] = timestamp
        [incoming] = parse_webhook(delivery([raw]))
        assert incoming.sent_at is None

    @pytest.mark.parametrize(
        "payload",
        [
            None,
            [],
            {"object": "whatsapp_business_account", "entry": "x"},
            {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": []}]}]},
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"value": {"messages": [{}]}}]}],
            },
        ],
    )
    def test_a_delivery_of_another_shape_reads_as_nothing(self, payload: Any) -> None:
        assert parse_webhook(payload) == []

    def test_nothing_is_read_while_our_phone_number_id_is_unset(self, settings: Any) -> None:
        settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = ""
        assert parse_webhook(text_message(SENDER, "halo")) == []


class TestSignature:
    def test_only_the_app_secrets_hmac_of_the_exact_body_passes(self, settings: Any) -> None:
        settings.LAPOR_WHATSAPP_APP_SECRET = APP_SECRET
        body, header = signed_delivery({"a": 1})
        assert verify_signature(body, header)
        assert verify_signature(body, header.upper().replace("SHA256=", "sha256="))
        assert not verify_signature(body + b" ", header)
        assert not verify_signature(body, header[:-1])
        assert not verify_signature(body, None)
        assert not verify_signature(body, "sha256=ü")
        settings.LAPOR_WHATSAPP_APP_SECRET = ""
        assert not verify_signature(body, header)


class TestCloudApiBackend:
    def test_a_text_is_sent_as_graph_documents_it(self, cloud_api: FakeCloudApi) -> None:
        CloudApiBackend().send(NUMBER, "Laporan Anda diterima.\nNomor: ABCD-EFGH-JKMN")
        assert cloud_api.messages == [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": SENDER,
                "type": "text",
                "text": {
                    "preview_url": False,
                    "body": "Laporan Anda diterima.\nNomor: ABCD-EFGH-JKMN",
                },
            }
        ]

    def test_a_long_text_is_cut_to_what_whatsapp_takes(self, cloud_api: FakeCloudApi) -> None:
        CloudApiBackend().send(NUMBER, "a" * 5000)
        body = cloud_api.messages[0]["text"]["body"]
        assert len(body) == 4096 and body.endswith("…")

    def test_outside_the_window_the_template_carries_the_text_on_one_line(
        self, cloud_api: FakeCloudApi
    ) -> None:
        CloudApiBackend().send(
            NUMBER, "Laporan ABCD-EFGH-JKMN\n\ndijawab:     " + "b" * 2000, window_open=False
        )
        [sent] = cloud_api.messages
        assert sent["type"] == "template"
        assert sent["template"]["name"] == "lapor_kabar"
        assert sent["template"]["language"] == {"code": "id"}
        [parameter] = sent["template"]["components"][0]["parameters"]
        assert parameter["text"].startswith("Laporan ABCD-EFGH-JKMN dijawab: bbb")
        assert len(parameter["text"]) == 1024
        assert cloud_api.refused == []

    def test_a_text_refused_for_a_closed_window_goes_again_as_the_template(
        self, cloud_api: FakeCloudApi
    ) -> None:
        cloud_api.window_closed = True
        CloudApiBackend().send(NUMBER, "Laporan Anda dijawab.")
        assert [code for code, _m in cloud_api.refused] == [131047]
        assert [m["type"] for m in cloud_api.messages] == ["template"]
        assert cloud_api.texts() == ["Laporan Anda dijawab."]

    @pytest.mark.parametrize(
        ("status", "code"), [(500, 131000), (503, 2), (429, 4), (400, 130429), (400, 131056)]
    )
    def test_failures_that_pass_are_tried_again_later(
        self, cloud_api: FakeCloudApi, status: int, code: int
    ) -> None:
        cloud_api.fail(status, code=code)
        with pytest.raises(SendFailed) as failed:
            CloudApiBackend().send(NUMBER, "Halo")
        assert SENDER not in str(failed.value) and "Halo" not in str(failed.value)
        assert cloud_api.messages == []
        CloudApiBackend().send(NUMBER, "Halo")
        assert cloud_api.texts() == ["Halo"]

    @pytest.mark.parametrize(("status", "code"), [(400, 100), (400, 131026), (403, 10)])
    def test_refusals_are_final(self, cloud_api: FakeCloudApi, status: int, code: int) -> None:
        cloud_api.fail(status, code=code)
        with pytest.raises(SendRefused) as refused:
            CloudApiBackend().send(NUMBER, "Halo")
        assert SENDER not in str(refused.value)
        assert cloud_api.attempts == 1

    def test_a_wrong_access_token_is_refused(self, cloud_api: FakeCloudApi, settings: Any) -> None:
        settings.LAPOR_WHATSAPP_TOKEN = "token-lama"
        with pytest.raises(SendRefused, match="HTTP 401, Graph error 190"):
            CloudApiBackend().send(NUMBER, "Halo")
        assert cloud_api.messages == []

    @pytest.mark.parametrize(
        ("to", "text"), [("+62 812-abc", "Halo"), ("", "Halo"), (NUMBER, "  \n")]
    )
    def test_what_cannot_be_sent_is_refused_before_graph_is_called(
        self, cloud_api: FakeCloudApi, to: str, text: str
    ) -> None:
        with pytest.raises(SendRefused):
            CloudApiBackend().send(to, text)
        assert cloud_api.attempts == 0

    def test_nothing_listening_is_a_failure_that_passes(self, settings: Any) -> None:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        settings.LAPOR_WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{port}/v21.0"
        settings.LAPOR_WHATSAPP_TOKEN = "t"
        settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
        with pytest.raises(SendFailed):
            CloudApiBackend().send(NUMBER, "Halo")

    def test_a_graph_that_does_not_answer_times_out(
        self, settings: Any, monkeypatch: pytest.MonkeyPatch, silent_server: int
    ) -> None:
        monkeypatch.setattr("messaging.whatsapp.TIMEOUT", 0.5)
        settings.LAPOR_WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{silent_server}/v21.0"
        settings.LAPOR_WHATSAPP_TOKEN = "t"
        settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
        with pytest.raises(SendFailed, match="TimeoutError"):
            CloudApiBackend().send(NUMBER, "Halo")

    def test_an_unconfigured_backend_refuses(self, settings: Any) -> None:
        settings.LAPOR_WHATSAPP_TOKEN = ""
        with pytest.raises(SendRefused):
            CloudApiBackend().send(NUMBER, "Halo")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield int(server.getsockname()[1])


class TestDownload:
    def test_a_photo_is_fetched_with_its_type(self, cloud_api: FakeCloudApi) -> None:
        photo = phone_jpeg()
        cloud_api.add_media("1480263479523871", photo, "image/jpeg")
        content, content_type = CloudApiBackend().download(
            MediaRef("1480263479523871", "image/jpeg")
        )
        assert content == photo
        assert content_type == "image/jpeg"

    def test_a_photo_said_to_be_too_large_is_not_fetched(
        self, cloud_api: FakeCloudApi, settings: Any
    ) -> None:
        settings.LAPOR_MAX_ATTACHMENT_BYTES = 1000
        cloud_api.add_media("5", b"x" * 500, "image/jpeg", file_size=16 * 1024 * 1024)
        with pytest.raises(SendRefused, match="too large"):
            CloudApiBackend().download(MediaRef("5"))
        assert cloud_api.downloads == 0

    def test_a_photo_larger_than_graph_said_is_refused(
        self, cloud_api: FakeCloudApi, settings: Any
    ) -> None:
        settings.LAPOR_MAX_ATTACHMENT_BYTES = 1000
        cloud_api.add_media("6", b"x" * 1001, "image/jpeg", file_size=900)
        with pytest.raises(SendRefused, match="too large"):
            CloudApiBackend().download(MediaRef("6"))

    @pytest.mark.parametrize("mime_type", ["audio/ogg", "video/mp4", "application/pdf", ""])
    def test_what_is_not_a_photo_is_refused(self, cloud_api: FakeCloudApi, mime_type: str) -> None:
        cloud_api.add_media("7", b"bytes", mime_type)
        with pytest.raises(SendRefused, match="not a photo"):
            CloudApiBackend().download(MediaRef("7"))
        assert cloud_api.downloads == 0

    def test_an_unknown_media_id_is_refused(self, cloud_api: FakeCloudApi) -> None:
        with pytest.raises(SendRefused, match="HTTP 400"):
            CloudApiBackend().download(MediaRef("404404"))

    @pytest.mark.parametrize("media_id", ["../../me", "..", "1?fields=owner", "", "1/2"])
    def test_an_id_that_is_no_media_id_is_refused_without_a_request(
        self, cloud_api: FakeCloudApi, media_id: str
    ) -> None:
        with pytest.raises(SendRefused, match="not a WhatsApp media id"):
            CloudApiBackend().download(MediaRef(media_id))
