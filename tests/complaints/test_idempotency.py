"""The Idempotency-Key header on POST /api/v1/complaints/: a retry files nothing and gets the
first answer again; the key's rules (scope, content, lifetime); and the race of two requests
with the same key on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

from complaints import idempotency, services
from complaints.models import Complaint, IdempotencyKey, Message
from lapor.lib.secretbox import open_sealed
from tests.files import files_in, phone_jpeg, word_processor_pdf
from tests.helpers import api_data, api_token, in_indonesian, make_user, route_fully

URL = "/api/v1/complaints/"
KEY = "7c0f9a52-3b1e-4d7a-9c55-0e8f2a6b41d3"
LIFETIME = dt.timedelta(hours=django_settings.LAPOR_IDEMPOTENCY_HOURS)


def _post(client: Client, body: dict[str, Any], key: str | None = KEY) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


Documents = list[tuple[str, bytes, str]]


@pytest.fixture
def documents() -> Documents:
    """A phone's photo and a word processor's PDF, made once: a retry sends the same bytes
    (a photo made a second later differs, its colour profile carries the time)."""
    return [
        ("IMG_20261127_101500.jpg", phone_jpeg(), "image/jpeg"),
        ("surat pengaduan.pdf", word_processor_pdf(), "application/pdf"),
    ]


def _uploads(documents: Documents) -> list[SimpleUploadedFile]:
    """The documents as a request's files, afresh for each request (one reads them to the end)."""
    return [SimpleUploadedFile(name, content, kind) for name, content, kind in documents]


def _age_keys(by: dt.timedelta = LIFETIME) -> None:
    IdempotencyKey.objects.update(created_at=F("created_at") - by)


@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestRetryWithTheSameKey:
    def test_files_one_report_and_answers_the_same(self, client: Client) -> None:
        first = _post(client, api_data(reporter_email="budi@example.id"))
        assert first.status_code == 201, first.content
        assert idempotency.REPLAYED_HEADER not in first
        complaint = Complaint.objects.get()
        messages = Message.objects.count()

        again = _post(client, api_data(reporter_email="budi@example.id"))

        assert again.status_code == 201
        assert again[idempotency.REPLAYED_HEADER] == "true"
        assert again.json() == first.json()
        assert complaint.access_key_matches(again.json()["access_key"])
        assert Complaint.objects.get() == complaint
        assert Message.objects.count() == messages

    def test_access_key_is_kept_only_sealed(self, client: Client) -> None:
        access_key = _post(client, api_data()).json()["access_key"]
        row = IdempotencyKey.objects.get()
        assert row.scope == "api:anonymous" and row.key == KEY
        assert access_key not in row.secret
        assert open_sealed(row.secret, django_settings.LAPOR_MESSAGE_KEYS) == access_key

    def test_replay_is_not_counted_against_the_submission_limit(
        self, client: Client, settings: Any
    ) -> None:
        settings.LAPOR_SUBMIT_RATE = "1/h"
        first = _post(client, api_data())
        for _retry in range(3):
            again = _post(client, api_data())
            assert again.status_code == 201 and again.json() == first.json()
        assert _post(client, api_data(), key="another-key").status_code == 429
        assert Complaint.objects.count() == 1

    @pytest.mark.usefixtures("tree")
    def test_replay_gives_the_first_status_after_the_report_moved_on(self, client: Client) -> None:
        first = _post(client, api_data(category="kesehatan", region="64.72.01"))
        routed = route_fully(Complaint.objects.get(), now=timezone.now())
        assert routed.status == "DISPOSED"
        again = _post(client, api_data(category="kesehatan", region="64.72.01"))
        assert again.json() == first.json()
        assert again.json()["status"] == "SUBMITTED"

    def test_multipart_with_files_replays(
        self, client: Client, media_root: Path, documents: Documents
    ) -> None:
        headers = {"HTTP_IDEMPOTENCY_KEY": KEY}
        first = client.post(URL, api_data(attachments=_uploads(documents)), **headers)
        assert first.status_code == 201, first.content
        stored = files_in(media_root)
        assert len(stored) == 2

        again = client.post(URL, api_data(attachments=_uploads(documents)), **headers)

        assert again.status_code == 201
        assert again[idempotency.REPLAYED_HEADER] == "true"
        assert again.json() == first.json()
        assert Complaint.objects.get().attachments.count() == 2
        assert files_in(media_root) == stored

    def test_multipart_with_another_file_is_422(
        self, client: Client, media_root: Path, documents: Documents
    ) -> None:
        headers = {"HTTP_IDEMPOTENCY_KEY": KEY}
        posted = client.post(URL, api_data(attachments=_uploads(documents)), **headers)
        assert posted.status_code == 201
        stored = files_in(media_root)
        # The same names and sizes, another photo.
        (photo_name, photo, kind), letter = documents
        other = [(photo_name, photo[:-10] + bytes(10), kind), letter]

        response = client.post(URL, api_data(attachments=_uploads(other)), **headers)

        assert response.status_code == 422
        assert files_in(media_root) == stored
        assert Complaint.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestKeyRules:
    def test_other_content_is_422_and_files_nothing(self, client: Client, settings: Any) -> None:
        settings.LAPOR_SUBMIT_RATE = "1/h"
        assert _post(client, api_data()).status_code == 201
        messages = Message.objects.count()

        response = _post(client, api_data(title="Usulan halte di Jalan Pahlawan"))

        assert response.status_code == 422
        assert response.json() == {
            "detail": in_indonesian(
                "Idempotency-Key: this key was already used for a report with different "
                "content. Send a new key with a new report."
            )
        }
        assert idempotency.REPLAYED_HEADER not in response
        assert Complaint.objects.count() == 1
        assert Message.objects.count() == messages

    def test_fields_in_another_order_are_the_same_content(self, client: Client) -> None:
        body = api_data()
        first = _post(client, body)
        again = _post(client, dict(reversed(list(body.items()))))
        assert again.status_code == 201 and again.json() == first.json()

    @pytest.mark.parametrize(
        "key",
        ["", "k" * 256, "kunci-\u00e9", "kunci\tbaru", "kunci\x7f", " kunci", "kunci "],
    )
    def test_malformed_key_is_400(self, client: Client, key: str) -> None:
        response = _post(client, api_data(), key=key)
        assert response.status_code == 400
        assert response.json() == {
            "detail": in_indonesian(
                "Idempotency-Key: give 1 to 255 printable ASCII characters, such as a UUID."
            )
        }
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize("key", ["k", "k" * 255, "pesanan 42/~!"])
    def test_any_printable_ascii_key_of_up_to_255_is_taken(self, client: Client, key: str) -> None:
        assert _post(client, api_data(), key=key).status_code == 201
        assert _post(client, api_data(), key=key)[idempotency.REPLAYED_HEADER] == "true"

    def test_no_key_files_every_time(self, client: Client) -> None:
        first = _post(client, api_data(), key=None)
        second = _post(client, api_data(), key=None)
        assert first.status_code == second.status_code == 201
        assert first.json()["tracking_number"] != second.json()["tracking_number"]
        assert idempotency.REPLAYED_HEADER not in second
        assert Complaint.objects.count() == 2
        assert not IdempotencyKey.objects.exists()

    def test_expired_key_may_be_used_again(self, client: Client) -> None:
        first = _post(client, api_data())
        _age_keys()

        again = _post(client, api_data(title="Usulan halte di Jalan Pahlawan"))

        assert again.status_code == 201
        assert idempotency.REPLAYED_HEADER not in again
        assert again.json()["tracking_number"] != first.json()["tracking_number"]
        row = IdempotencyKey.objects.get()
        assert row.complaint == Complaint.objects.get(
            tracking_number=again.json()["tracking_number"]
        )

    def test_key_just_within_its_lifetime_still_replays(self, client: Client) -> None:
        first = _post(client, api_data())
        _age_keys(LIFETIME - dt.timedelta(minutes=1))
        assert _post(client, api_data()).json() == first.json()

    def test_refused_first_attempt_stores_no_key(self, client: Client, media_root: Path) -> None:
        refused = _post(client, api_data(title="Pendek"))
        assert refused.status_code == 400
        assert not IdempotencyKey.objects.exists()

        corrected = _post(client, api_data())

        assert corrected.status_code == 201
        assert idempotency.REPLAYED_HEADER not in corrected
        assert Complaint.objects.get().title == "Usulan halte di Jalan Juanda"

    def test_signed_in_keys_are_their_own(self, client: Client) -> None:
        anonymous = _post(client, api_data())
        citizen = Client()
        citizen.force_login(make_user("warga"))
        other = Client(headers={"Authorization": f"Token {api_token(make_user('warga2'))}"})

        mine = _post(citizen, api_data())
        theirs = _post(other, api_data(title="Usulan halte di Jalan Pahlawan"))

        assert mine.status_code == theirs.status_code == 201
        numbers = {r.json()["tracking_number"] for r in (anonymous, mine, theirs)}
        assert len(numbers) == 3
        assert _post(citizen, api_data()).json() == mine.json()
        assert _post(client, api_data()).json() == anonymous.json()
        assert _post(other, api_data()).status_code == 422
        assert IdempotencyKey.objects.filter(key=KEY).count() == 3

    def test_key_with_a_bad_token_is_401(self, client: Client) -> None:
        token = Client(headers={"Authorization": "Token tidak-berlaku"})
        response = _post(token, api_data())
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert not Complaint.objects.exists()
        # Without a key the token is not read, as before.
        assert _post(token, api_data(), key=None).status_code == 201

    def test_forget_expired_keys(self, client: Client) -> None:
        _post(client, api_data(), key="lama-1")
        _post(client, api_data(), key="lama-2")
        _age_keys()
        _post(client, api_data(), key="baru")
        now = timezone.now()

        assert idempotency.forget_expired_idempotency_keys(now=now) == 2
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["baru"]
        assert idempotency.forget_expired_idempotency_keys(now=now) == 0
        assert Complaint.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestSubmitOnce:
    """The service under the view, for what HTTP cannot provoke on SQLite."""

    def _attempt(self, fingerprint: str = "a" * 64) -> idempotency.Attempt:
        return idempotency.Attempt(scope="api:anonymous", key=KEY, fingerprint=fingerprint)

    def test_taken_key_answers_from_the_row_that_took_it(
        self, submit: Callable[..., services.SubmissionReceipt]
    ) -> None:
        """What a request that waited on the key's constraint gets (PostgreSQL)."""
        now = timezone.now()
        receipt = submit(now=now)
        first = idempotency.submit_once(
            self._attempt(), now=now, submit=lambda: (receipt.complaint, receipt.access_key)
        )

        def must_not_run() -> tuple[Complaint, str]:
            raise AssertionError("filed twice")

        again = idempotency.submit_once(self._attempt(), now=now, submit=must_not_run)

        assert not first.replayed and again.replayed
        assert again.complaint == receipt.complaint and again.secret == receipt.access_key
        with pytest.raises(idempotency.KeyReusedError):
            idempotency.submit_once(self._attempt("b" * 64), now=now, submit=must_not_run)

    def test_failure_after_filing_leaves_no_files(
        self,
        submit: Callable[..., services.SubmissionReceipt],
        media_root: Path,
        documents: Documents,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        save = IdempotencyKey.save

        def save_then_fail_to_attach(row: IdempotencyKey, **kwargs: Any) -> None:
            if "update_fields" in kwargs:  # attaching the report, after it was filed
                raise RuntimeError("the database went away")
            save(row, **kwargs)

        monkeypatch.setattr(IdempotencyKey, "save", save_then_fail_to_attach)

        def file_with_attachments() -> tuple[Complaint, str]:
            receipt = submit(now=timezone.now(), attachments=_uploads(documents))
            assert len(files_in(media_root)) == 2
            return receipt.complaint, receipt.access_key

        with pytest.raises(RuntimeError):
            idempotency.submit_once(
                self._attempt(), now=timezone.now(), submit=file_with_attachments
            )

        assert files_in(media_root) == []
        assert not Complaint.objects.exists() and not IdempotencyKey.objects.exists()

    def test_unopenable_answer_is_409(self, client: Client) -> None:
        assert _post(client, api_data()).status_code == 201
        IdempotencyKey.objects.update(secret="not-a-sealed-value")
        response = _post(client, api_data())
        assert response.status_code == 409
        assert Complaint.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("regions", "categories")
class TestOnPostgres:
    def test_concurrent_requests_with_one_key_file_one_report(
        self, settings: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings.LAPOR_SUBMIT_RATE = "1000/h"
        file_report = services.submit_complaint

        def file_and_wait_for_the_other(**fields: Any) -> services.SubmissionReceipt:
            receipt = file_report(**fields)
            # Commit only once the other request waits on the key's row, so that it meets the
            # unique constraint rather than the row: the race this test is about.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                    if cursor.fetchone()[0]:
                        break
                time.sleep(0.02)
            else:
                pytest.fail("the second request never waited on the key")
            return receipt

        monkeypatch.setattr(services, "submit_complaint", file_and_wait_for_the_other)
        start = threading.Barrier(2)
        responses: list[Any] = []
        errors: list[BaseException] = []

        def post() -> None:
            try:
                start.wait()
                responses.append(_post(Client(), api_data()))
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert [r.status_code for r in responses] == [201, 201]
        assert responses[0].json() == responses[1].json()
        assert sorted(r.get(idempotency.REPLAYED_HEADER, "") for r in responses) == ["", "true"]
        complaint = Complaint.objects.get()
        assert complaint.tracking_number == responses[0].json()["tracking_number"]
        assert IdempotencyKey.objects.get().complaint == complaint
