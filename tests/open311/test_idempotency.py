"""The Idempotency-Key header on Open311's POST Service Request: a retry files nothing and gets
the first answer again, in the format it asks for; the key's rules (scope per api_key,
content, lifetime)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.utils import timezone

from complaints import idempotency
from complaints.models import Complaint, IdempotencyKey, Message
from open311.models import ApiKey, Open311Request
from tests.files import phone_jpeg
from tests.helpers import api_data, in_indonesian
from tests.open311.support import BASE, errors_of, json_of, post_data, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

KEY = "0b5e3f7a-91c4-4e2d-8a6f-3d9c1b7e5a20"


def _post(client: Client, data: dict[str, Any], fmt: str = "json", key: str | None = KEY) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(f"{BASE}/requests.{fmt}", data, **headers)


def _other_key() -> str:
    other = ApiKey(organisation="LSM Pemantau", created_at=timezone.now())
    plain = other.set_new_key()
    other.save()
    return plain


class TestRetryWithTheSameKey:
    def test_files_one_report_and_answers_the_same(self, client: Client, api_key: str) -> None:
        first = _post(client, post_data(api_key=api_key))
        assert first.status_code == 200, first.content
        assert idempotency.REPLAYED_HEADER not in first
        messages = Message.objects.count()

        again = _post(client, post_data(api_key=api_key))

        assert again.status_code == 200
        assert again[idempotency.REPLAYED_HEADER] == "true"
        assert json_of(again) == json_of(first)
        (receipt,) = json_of(again)
        record = Open311Request.objects.get()
        assert receipt["service_request_id"] == record.complaint.tracking_number
        assert receipt["token"] == record.token
        assert Complaint.objects.count() == 1
        assert Message.objects.count() == messages
        assert IdempotencyKey.objects.get().secret == ""

    def test_retry_in_xml_gets_the_same_request_in_xml(self, client: Client, api_key: str) -> None:
        (receipt,) = json_of(_post(client, post_data(api_key=api_key)))

        again = _post(client, post_data(api_key=api_key), "xml")

        assert again[idempotency.REPLAYED_HEADER] == "true"
        (request,) = xml_of(again).findall("request")
        assert request.findtext("service_request_id") == receipt["service_request_id"]
        assert request.findtext("token") == receipt["token"]
        assert Complaint.objects.count() == 1

    def test_replay_is_not_counted_against_the_hourly_limit(
        self, client: Client, api_key: str
    ) -> None:
        ApiKey.objects.update(hourly_limit=1)
        first = _post(client, post_data(api_key=api_key))
        for _retry in range(3):
            assert json_of(_post(client, post_data(api_key=api_key))) == json_of(first)
        assert _post(client, post_data(api_key=api_key), key="kunci-lain").status_code == 429
        assert Complaint.objects.count() == 1

    def test_multipart_with_a_file_replays(self, client: Client, api_key: str) -> None:
        photo = phone_jpeg()

        def multipart() -> dict[str, Any]:
            media = SimpleUploadedFile("IMG_20261127_101500.jpg", photo, "image/jpeg")
            return {**post_data(api_key=api_key), "media": media}

        first = _post(client, multipart())
        again = _post(client, multipart())

        assert again[idempotency.REPLAYED_HEADER] == "true"
        assert json_of(again) == json_of(first)
        assert Complaint.objects.count() == 1
        other = SimpleUploadedFile("IMG_20261127_101500.jpg", photo[:-10] + bytes(10))
        refused = _post(client, {**post_data(api_key=api_key), "media": other})
        assert refused.status_code == 422


class TestKeyRules:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_other_content_is_422_and_files_nothing(
        self, client: Client, api_key: str, fmt: str
    ) -> None:
        assert _post(client, post_data(api_key=api_key)).status_code == 200

        response = _post(client, post_data(api_key=api_key, description="x" * 40), fmt)

        assert response.status_code == 422
        assert errors_of(response, fmt) == [
            (
                "422",
                in_indonesian(
                    "Idempotency-Key: this key was already used for a report with different "
                    "content. Send a new key with a new report."
                ),
            )
        ]
        assert Complaint.objects.count() == 1

    @pytest.mark.parametrize("key", ["", "k" * 256, "kunci-\u00e9", "kunci\x00"])
    def test_malformed_key_is_400(self, client: Client, api_key: str, key: str) -> None:
        response = _post(client, post_data(api_key=api_key), key=key)
        assert response.status_code == 400
        ((code, description),) = errors_of(response, "json")
        assert code == "400" and description.startswith("Idempotency-Key: ")
        assert not Complaint.objects.exists()

    def test_no_key_files_every_time(self, client: Client, api_key: str) -> None:
        first = json_of(_post(client, post_data(api_key=api_key), key=None))
        second = json_of(_post(client, post_data(api_key=api_key), key=None))
        assert first[0]["service_request_id"] != second[0]["service_request_id"]
        assert Complaint.objects.count() == 2
        assert not IdempotencyKey.objects.exists()

    def test_expired_key_may_be_used_again(self, client: Client, api_key: str) -> None:
        first = json_of(_post(client, post_data(api_key=api_key)))
        lifetime = dt.timedelta(hours=django_settings.LAPOR_IDEMPOTENCY_HOURS)
        IdempotencyKey.objects.update(created_at=F("created_at") - lifetime)

        again = _post(client, post_data(api_key=api_key, description="y" * 40))

        assert again.status_code == 200
        assert idempotency.REPLAYED_HEADER not in again
        assert json_of(again)[0]["service_request_id"] != first[0]["service_request_id"]
        assert IdempotencyKey.objects.count() == 1

    def test_refused_first_attempt_stores_no_key(self, client: Client, api_key: str) -> None:
        refused = _post(client, post_data(api_key=api_key, description="pendek"))
        assert refused.status_code == 400
        assert not IdempotencyKey.objects.exists()

        corrected = _post(client, post_data(api_key=api_key))

        assert corrected.status_code == 200
        assert idempotency.REPLAYED_HEADER not in corrected
        assert Complaint.objects.count() == 1

    def test_each_api_key_has_its_own_keys(self, client: Client, api_key: str) -> None:
        first = json_of(_post(client, post_data(api_key=api_key)))
        other = _post(client, post_data(api_key=_other_key(), description="z" * 40))
        assert other.status_code == 200
        assert json_of(other)[0]["service_request_id"] != first[0]["service_request_id"]
        assert Complaint.objects.count() == 2

    def test_open311_and_the_rest_api_do_not_share_keys(self, client: Client, api_key: str) -> None:
        assert _post(client, post_data(api_key=api_key)).status_code == 200
        rest = client.post(
            "/api/v1/complaints/",
            json.dumps(api_data()),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )
        assert rest.status_code == 201
        assert Complaint.objects.count() == 2

    def test_missing_api_key_is_403_before_the_key_is_read(self, client: Client) -> None:
        response = _post(client, post_data(), key="")
        assert response.status_code == 403
