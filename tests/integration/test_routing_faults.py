"""Fault tests of routing: the real web server, Celery workers and beat as processes, on a
PostgreSQL cluster and a Redis server of the test's own (``tests.integration.stack``), with
reports submitted over HTTP.

Every report must end routed exactly once: through Redis being down at submission, and through
a worker killed in the middle of its work. (The e-mails, and more faults: test_message_faults.py.)
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stack import (
    Cluster,
    Database,
    Stack,
    Traffic,
    stack_on,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


@pytest.fixture
def stack(cluster: Cluster, template: str, tmp_path: Path) -> Iterator[tuple[Stack, Database]]:
    with stack_on(cluster, template, tmp_path) as running:
        yield running


def _wait_until_routed(numbers: list[str], stack: Stack, db: Database, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports = db.reports()
        if all(n in reports and reports[n].status == "DISPOSED" for n in numbers):
            return
        time.sleep(0.5)
    states = [(r.tracking_number, r.status, r.agency, r.sequences) for r in db.reports().values()]
    pytest.fail(f"not all routed within {timeout:.0f} s: {states}\n{stack.logs()}")


def _assert_routed_exactly_once(numbers: list[str], db: Database, timeout: float = 60) -> None:
    reports = db.reports()
    for number in numbers:
        report = reports[number]
        assert report.sequences == (1, 2, 3), report
        assert report.agency == "dinkes-smd", report
        assert (report.disposed_events, report.routed_events) == (1, 2), report
    # A step whose worker died after it took effect, before its row was marked, waits for its
    # lease to end; delivered again, it finds the report moved on and is marked.
    deadline = time.monotonic() + timeout
    while True:
        pending = [r.key for r in db.outbox().values() if r.kind == "route_step" and r.pending]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not pending
    assert db.reports() == reports  # and nothing moved meanwhile


class TestRoutingSurvivesFaults:
    def test_redis_down_at_submission(self, stack: tuple[Stack, Database]) -> None:
        running, db = stack
        traffic = Traffic(running.base_url)
        before = [s.tracking_number for s in traffic.submit_many(3)]
        _wait_until_routed(before, running, db)

        running.kill("redis", sig=signal.SIGTERM)
        answers = traffic.submit_many(8)  # accepted while the broker is down
        assert [s.status for s in answers] == [201] * 8
        during = [s.tracking_number for s in answers]
        ids = {db.reports()[n].id for n in during}
        waiting = [r for r in db.outbox().values() if r.kind == "route_step" and r.pending]
        assert {r.complaint_id for r in waiting} == ids  # each first step kept in the outbox

        running.start_redis()  # an empty Redis: whatever it held is gone
        _wait_until_routed(before + during, running, db)
        _assert_routed_exactly_once(before + during, db)

    def test_worker_killed_mid_work(self, stack: tuple[Stack, Database]) -> None:
        running, db = stack
        numbers = [s.tracking_number for s in Traffic(running.base_url).submit_many(30)]
        # Kill the worker (and its pool processes) without warning while it routes.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(r.sequences for r in db.reports().values()):
            time.sleep(0.05)
        running.kill("routing")
        unfinished = [r for r in db.reports().values() if r.status != "DISPOSED"]
        assert unfinished, "the worker finished before it could be killed"

        running.start_worker("routing", "celery")
        _wait_until_routed(numbers, running, db)
        _assert_routed_exactly_once(numbers, db)
