"""Tests that need the real PostgreSQL, Redis and a Celery worker (run by .ci/run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from complaints.models import Complaint
from tests.helpers import api_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("regions", "categories")
class TestOnPostgres:
    def test_concurrent_submissions_all_land(self, settings) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        settings.LAPOR_SUBMIT_RATE = "1000/h"
        results: list[int] = []
        errors: list[BaseException] = []

        def post() -> None:
            try:
                client = Client()
                for _ in range(5):
                    response = client.post(
                        "/api/v1/complaints/",
                        json.dumps(api_data()),
                        content_type="application/json",
                    )
                    results.append(response.status_code)
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert results == [201] * 40
        numbers = list(Complaint.objects.values_list("tracking_number", flat=True))
        assert len(numbers) == len(set(numbers)) == 40
        assert all(c.events.count() == 1 for c in Complaint.objects.all())

    def test_database_refuses_an_unknown_status(self, submit) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        complaint = submit().complaint
        with pytest.raises(IntegrityError), transaction.atomic():
            Complaint.objects.filter(pk=complaint.pk).update(status="LOST")


@pytest.mark.redis
@pytest.mark.django_db
@pytest.mark.usefixtures("regions", "categories")
class TestOnRedis:
    def test_rate_limit_counts_in_redis(self, client: Client, settings) -> None:  # type: ignore[no-untyped-def]  # an untyped fixture argument
        import redis

        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
        settings.LAPOR_SUBMIT_RATE = "1/h"
        body = json.dumps(api_data())
        assert (
            client.post("/api/v1/complaints/", body, content_type="application/json").status_code
            == 201
        )
        assert (
            client.post("/api/v1/complaints/", body, content_type="application/json").status_code
            == 429
        )
        server = redis.Redis.from_url(settings.REDIS_URL)
        keys = server.keys("lapor:rl:submit:127.0.0.1:*")
        assert keys and 0 < server.ttl(keys[0]) <= 3600 + 5


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("regions", "categories")
class TestWithRealWorker:
    def test_receipt_email_is_sent_by_a_worker_process(
        self,
        client: Client,
        tmp_path: Path,
        settings: Any,
    ) -> None:
        """File a report through the API; a real `celery worker` process takes the task from
        Redis and writes the e-mail (file backend) with the private link."""
        mail_dir = tmp_path / "mail"
        db = settings.DATABASES["default"]
        database_url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        queue = f"test-{os.getpid()}-{time.time_ns()}"
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "LAPOR_MAIL_QUEUE": f"{queue}-mail",
        }
        settings.LAPOR_MAIL_QUEUE = f"{queue}-mail"
        from lapor.celery import app

        app.conf.task_default_queue = queue
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lapor",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                f"{queue},{queue}-mail",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            response = client.post(
                "/api/v1/complaints/",
                json.dumps(api_data(reporter_email="warga@example.id")),
                content_type="application/json",
            )
            assert response.status_code == 201
            body = response.json()
            deadline = time.monotonic() + 60
            messages: list[Path] = []
            while time.monotonic() < deadline and not messages:
                time.sleep(0.25)
                messages = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
                assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            assert messages, "the worker sent no e-mail within 60 s"
            text = messages[0].read_text()
            assert "To: warga@example.id" in text
            assert f"/lacak/{body['tracking_number']}/{body['access_key']}/" in text
        finally:
            app.conf.task_default_queue = "celery"
            worker.terminate()
            worker.wait(timeout=30)
