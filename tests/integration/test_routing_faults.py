"""Fault tests: the real web server, Celery worker and beat as processes, on PostgreSQL and a
Redis server of the test's own (so that it can be stopped), with reports submitted over HTTP.

Every report must end routed exactly once: through Redis being down at submission, and through
a worker killed in the middle of its work.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from complaints.models import Complaint, RoutingOutbox
from tests.helpers import api_data, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@dataclass
class Stack:
    """Processes this test started, each in a session of its own so it can be ended whole."""

    tmp: Path
    env: dict[str, str]
    redis_port: int
    web_port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def start_redis(self) -> None:
        redis_server = shutil.which("redis-server")
        assert redis_server, "redis-server is needed for the fault tests"
        self.start(
            "redis",
            [
                redis_server,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
        )
        wait_for_port(self.redis_port)

    def start_worker(self) -> None:
        self.start(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lapor",
                "worker",
                "-Q",
                "celery,mail",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
        )

    def submit(self, count: int) -> list[str]:
        numbers = []
        for _ in range(count):
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.web_port}/api/v1/complaints/",
                data=json.dumps(api_data(category="kesehatan", region="64.72.01")).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 201
                numbers.append(json.loads(response.read())["tracking_number"])
        return numbers

    def log(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.tmp.glob("*.log"))
        )


@pytest.fixture
def stack(tmp_path: Path, tree: dict[str, Any]) -> Iterator[Stack]:
    db = settings.DATABASES["default"]
    redis_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LAPOR_VAR_DIR": str(tmp_path / "var"),
        "LAPOR_SUBMIT_RATE": "100000/h",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LAPOR_OUTBOX_GRACE_SECONDS": "1",
        "LAPOR_ROUTING_STALL_SECONDS": "3",
        "LAPOR_RELAY_EVERY_SECONDS": "1",
        "LAPOR_SWEEP_EVERY_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }
    stack = Stack(tmp=tmp_path, env=env, redis_port=redis_port, web_port=web_port)
    try:
        stack.start_redis()
        stack.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "lapor.wsgi:application",
                "--workers=2",
                f"--bind=127.0.0.1:{web_port}",
                "--log-level=warning",
            ],
        )
        wait_for_port(web_port)
        stack.start_worker()
        stack.start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lapor",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(tmp_path / "beat-schedule"),
            ],
        )
        yield stack
    finally:
        for name in list(stack.processes):
            stack.stop(name)


def _wait_until_routed(numbers: list[str], stack: Stack, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Complaint.objects.filter(tracking_number__in=numbers, status="DISPOSED").count()
        if done == len(numbers):
            return
        time.sleep(0.5)
    states = list(
        Complaint.objects.filter(tracking_number__in=numbers).values_list(
            "tracking_number", "status", "routing_step"
        )
    )
    pytest.fail(f"not all routed within {timeout:.0f} s: {states}\n{stack.log()}")


def _assert_routed_exactly_once(numbers: list[str]) -> None:
    for complaint in Complaint.objects.filter(tracking_number__in=numbers):
        sequences = list(
            complaint.dispositions.order_by("sequence").values_list("sequence", flat=True)
        )
        assert sequences == [1, 2, 3], complaint.tracking_number
        assert complaint.current_agency.code == "dinkes-smd"
        assert complaint.events.filter(type="DISPOSED").count() == 1
        assert complaint.events.filter(type="ROUTED").count() == 2
    assert not RoutingOutbox.objects.exists()


class TestRoutingSurvivesFaults:
    def test_redis_down_at_submission(self, stack: Stack) -> None:
        before = stack.submit(3)
        _wait_until_routed(before, stack)

        stack.stop("redis")
        during = stack.submit(8)  # accepted while the broker is down
        assert RoutingOutbox.objects.filter(complaint__tracking_number__in=during).count() == 8

        stack.start_redis()  # an empty Redis: whatever it held is gone
        _wait_until_routed(before + during, stack)
        _assert_routed_exactly_once(before + during)

    def test_worker_killed_mid_work(self, stack: Stack) -> None:
        numbers = stack.submit(30)
        # Kill the worker (and its pool processes) without warning while it routes.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and not Complaint.objects.filter(
                tracking_number__in=numbers, routing_step__gt=0
            ).exists()
        ):
            time.sleep(0.05)
        stack.stop("worker", signal.SIGKILL)
        unfinished = Complaint.objects.filter(tracking_number__in=numbers).exclude(
            status="DISPOSED"
        )
        assert unfinished.exists(), "the worker finished before it could be killed"

        stack.start_worker()
        _wait_until_routed(numbers, stack)
        _assert_routed_exactly_once(numbers)
