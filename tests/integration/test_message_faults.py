"""Fault tests of message delivery (the outbox; DESIGN.md, "Messages"): the real gunicorn, a
routing worker, a mail worker and beat as processes, on a PostgreSQL cluster and a Redis server
of the test's own (``tests.integration.stack``), with citizens filing reports over HTTP while a
fault strikes.

Through every fault, every report that got a 201 is stored, routed exactly once (national →
Kaltim → Samarinda → Dinkes Samarinda), its reporter gets one receipt whose private link opens
the report, and Dinkes gets one notice. Every e-mail carries the outbox's stable Message-ID
(``<lapor.<pk>.<kind>@host>``); a Message-ID is written once, or twice if the process sending
it was killed after writing it and before marking it sent. Reports stored without a 201 (a web
worker killed after its commit) are held to the same. The figures of each fault are printed at
the end of the module, and written as JSON to ``LAPOR_FAULT_SUMMARY`` when it is set.

A process that exits by itself is started again, as docker-compose.yml's restart policy does
(counted in the figures; ``LAPOR_FAULT_SUPERVISE=0``: left dead). ``LAPOR_FAULT_WAIT``: how many
seconds a test waits for delivery after its fault (90). Each test's process logs, e-mails and
submissions (``submissions.json``) stay in its tmp_path.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.stack import (
    AGENCY_EMAILS,
    DINKES_OFFICER,
    Cluster,
    Database,
    Mail,
    OutboxRow,
    Report,
    Stack,
    Submission,
    Traffic,
    get,
    read_mail,
    sending_now,
    stack_on,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

# How long a test waits for everything to be delivered after its fault ends.
WAIT_SECONDS = float(os.environ.get("LAPOR_FAULT_WAIT", "90"))
# The longest a client may wait for an answer while Redis is down or frozen.
MAX_LATENCY_SECONDS = 5.0
# After everything is delivered, how long to watch for a late second copy.
SETTLE_SECONDS = 2.0
TRACKING_NUMBER = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")
DINKES_ADDRESSES = {AGENCY_EMAILS["dinkes-smd"], DINKES_OFFICER}


# --- what has been delivered ------------------------------------------------------------------


@dataclass
class Delivery:
    """The stack's database and mailbox at one moment."""

    reports: dict[str, Report]
    mails: list[Mail]
    outbox: dict[int, OutboxRow] | None  # None: no outbox table of the contract's shape
    outbox_error: str = ""
    numbers: dict[int | None, str] = field(init=False)  # tracking numbers by report id

    def __post_init__(self) -> None:
        self.numbers = {r.id: r.tracking_number for r in self.reports.values()}

    @classmethod
    def read(cls, database: Database, stack: Stack) -> Delivery:
        """:raises psycopg.Error: the database cannot be read (PostgreSQL down)."""
        reports = database.reports()
        try:
            outbox: dict[int, OutboxRow] | None = database.outbox()
            error = ""
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
            outbox, error = None, f"{type(exc).__name__}: {exc}".strip()
        return cls(reports, read_mail(stack.mail_dir), outbox, error)

    def tracking_number(self, mail: Mail) -> str | None:
        """The report an e-mail is about: its outbox row's, else the first stored report's
        tracking number in its subject or text."""
        if self.outbox is not None and mail.pk in self.outbox:
            return self.numbers.get(self.outbox[mail.pk].complaint_id)
        for number in TRACKING_NUMBER.findall(f"{mail.subject}\n{mail.text}"):
            if number in self.reports:
                return str(number)
        return None

    def of_kind(self, kind: str) -> dict[str, list[Mail]]:
        """The e-mails of ``kind`` (by their Message-ID), by report."""
        found: dict[str, list[Mail]] = {}
        for mail in self.mails:
            if mail.kind == kind and (number := self.tracking_number(mail)):
                found.setdefault(number, []).append(mail)
        return found

    def progress(self, accepted: list[Submission]) -> dict[str, list[str]]:
        """What is still missing, per milestone (empty lists: reached)."""
        receipts, notices = self.of_kind("receipt"), self.of_kind("agency_notice")
        unstored = [s.tracking_number for s in accepted if s.tracking_number not in self.reports]
        return {
            "routed": unstored
            + [
                f"{r.tracking_number} {r.status} at {r.agency} {list(r.sequences)}"
                for r in self.reports.values()
                if (r.status, r.agency) != ("DISPOSED", "dinkes-smd")
            ],
            "receipts": [n for n in self.reports if n not in receipts],
            "notices": [n for n in self.reports if n not in notices],
            "drained": [
                f"{row.key} (attempts {row.attempts}) {row.error[-200:]}"
                for row in (self.outbox or {}).values()
                if row.pending
            ],
        }


@dataclass(repr=False)
class Fault:
    """One fault's run: the stack, the citizens' traffic, the processes killed, and when the
    fault ended (so that recovery is timed from then)."""

    name: str
    cluster: Cluster
    stack: Stack
    database: Database
    traffic: Traffic
    kills: int = 0
    # Message-IDs written by a killed process and not marked sent: one more copy allowed each.
    resend_allowed: Counter[str] = field(default_factory=Counter)
    ended_at: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    last: Delivery | None = None

    def kill(self, *names: str) -> None:
        """SIGKILL ``names`` together (whole process groups), then note the e-mails their
        processes wrote and never marked sent."""
        pids = self.stack.kill(*names)
        self.kills += 1
        unmarked = set()
        for marker, sending in sending_now(self.stack.inflight_dir).items():
            if sending.get("pid") in pids:  # left by a killed process
                if sending.get("phase") == "after":
                    unmarked.add(sending["message_id"])
                marker.unlink()
        try:
            outbox = self.database.outbox()
        except psycopg.Error as exc:
            self.notes.setdefault("outbox_unread_after_kill", f"{type(exc).__name__}: {exc}")
            outbox = {}
        for mail in read_mail(self.stack.mail_dir):
            row = outbox.get(mail.pk) if mail.pk is not None else None
            if mail.pid in pids and row is not None and not row.sent:
                unmarked.add(mail.message_id)
        self.resend_allowed.update(unmarked)

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name}: no {what} within {timeout:.0f} s\n{self.stack.logs()}")
            time.sleep(0.02)

    def routing_under_way(self, backlog: list[str]) -> bool:
        """Some of ``backlog`` routed and some not yet: the worker is at it."""
        try:
            reports = self.database.reports()
        except psycopg.Error:
            return False
        routed = [n in reports and len(reports[n].sequences) == 3 for n in backlog]
        return any(routed) and not all(routed)

    def sending(self, phase: str) -> bool:
        """Whether a running process is sending an e-mail, in ``phase``."""
        return any(
            m.get("phase") == phase and Path(f"/proc/{m.get('pid')}").exists()
            for m in sending_now(self.stack.inflight_dir).values()
        )

    def ended(self) -> None:
        self.ended_at = time.monotonic()

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def wait_delivered(self, timeout: float = WAIT_SECONDS) -> Delivery:
        """Until every report is routed, has its receipt and its notice, and the outbox holds
        nothing pending; then a little longer, for late copies. Times each milestone from the
        fault's end."""
        start = time.monotonic()
        since = self.ended_at or start
        progress: dict[str, list[str]] = {}
        error = ""
        while True:
            try:
                self.last = Delivery.read(self.database, self.stack)
                error = ""
            except psycopg.Error as exc:
                error = f"database unreadable: {type(exc).__name__}: {exc}"
            else:
                progress = self.last.progress(self.traffic.accepted())
                for milestone, missing in progress.items():
                    if not missing and milestone not in self.timings:
                        self.timings[milestone] = round(time.monotonic() - since, 1)
                if not any(progress.values()):
                    self.notes["delivered"] = True
                    break
            if time.monotonic() - start > timeout:
                self.notes["delivered"] = False
                lines = [f"{self.name}: not delivered within {timeout:.0f} s of the fault's end"]
                lines += self.problems + ([error] if error else [])
                for milestone, missing in progress.items():
                    if missing:
                        lines.append(f"not yet {milestone} ({len(missing)}): {missing[:8]}")
                if self.last is not None:
                    lines.append(self._outbox_summary(self.last))
                lines.append(f"figures: {json.dumps(self.figures())}")
                pytest.fail("\n".join(lines) + "\n" + self._logs())
            time.sleep(0.5)
        time.sleep(SETTLE_SECONDS)
        self.last = Delivery.read(self.database, self.stack)
        return self.last

    def _outbox_summary(self, delivery: Delivery) -> str:
        if delivery.outbox is None:
            return f"outbox unreadable ({delivery.outbox_error}); {len(delivery.mails)} e-mails"
        states = Counter(
            (row.kind, "sent" if row.sent else "failed" if row.failed else "pending")
            for row in delivery.outbox.values()
        )
        return f"outbox rows {dict(sorted(states.items()))}; {len(delivery.mails)} e-mails"

    def _logs(self) -> str:
        postgres = self.cluster.log()
        return self.stack.logs(2500) + (f"\n--- postgres.log\n{postgres}" if postgres else "")

    def check(self) -> None:
        """Everything delivered exactly as the outbox promises (see the module's docstring)."""
        delivery = self.wait_delivered()
        by_number = {s.tracking_number: s for s in self.traffic.accepted()}
        self._check_routing(delivery, by_number)
        self._check_receipts(delivery, by_number)
        self._check_notices(delivery)
        self._check_copies(delivery)
        assert not self.problems, "\n".join(
            [f"{self.name}: {len(self.problems)} problems", *self.problems[:40],
             self._outbox_summary(delivery), f"figures: {json.dumps(self.figures())}",
             self._logs()]
        )  # fmt: skip

    def _check_routing(self, delivery: Delivery, by_number: dict[str, Submission]) -> None:
        for number in by_number:
            self.expect(number in delivery.reports, f"{number}: answered 201, not stored")
        for report in delivery.reports.values():
            self.expect(
                report.sequences == (1, 2, 3)
                and report.agency == "dinkes-smd"
                and (report.disposed_events, report.routed_events) == (1, 2),
                f"{report.tracking_number}: not routed exactly once: {report}",
            )

    def _check_receipts(self, delivery: Delivery, by_number: dict[str, Submission]) -> None:
        receipts = delivery.of_kind("receipt")
        for number in delivery.reports:
            ids = {mail.message_id for mail in receipts.get(number, [])}
            self.expect(len(ids) == 1, f"{number}: {len(ids)} receipts (Message-IDs {ids})")
            if not ids:
                continue
            submission = by_number.get(number)
            prefix = f"{self.stack.base_url}/lacak/{number}/"
            links = set()
            for receipt in receipts[number]:  # a copy sent again must work as well as the first
                if submission is not None:
                    self.expect(
                        receipt.recipients == (submission.reporter_email,),
                        f"{number}: receipt to {receipt.recipients}, not the reporter",
                    )
                found = re.findall(rf"{re.escape(prefix)}[A-Za-z0-9_-]{{20,100}}/", receipt.text)
                self.expect(bool(found), f"{number}: no private link in {receipt.file}")
                links.update(found[:1])
            if submission is not None:
                self.expect(
                    links <= {submission.url}, f"{number}: the receipt's link is not the API's"
                )
            for link in sorted(links):
                status, page = get(link)
                self.expect(
                    status == 200 and number in page,
                    f"{number}: the receipt's private link answers {status}"
                    + ("" if number in page else " without the tracking number"),
                )

    def _check_notices(self, delivery: Delivery) -> None:
        notices = delivery.of_kind("agency_notice")
        for number in delivery.reports:
            mails = notices.get(number, [])
            ids = {mail.message_id for mail in mails}
            self.expect(len(ids) == 1, f"{number}: {len(ids)} agency notices (Message-IDs {ids})")
            for mail in mails[:1]:
                self.expect(
                    DINKES_ADDRESSES <= set(mail.recipients)
                    and not any(a.endswith("@example.id") for a in mail.recipients),
                    f"{number}: the notice went to {mail.recipients}, not Dinkes' addresses",
                )

    def _check_copies(self, delivery: Delivery) -> None:
        copies = Counter(mail.message_id for mail in delivery.mails)
        unstable = [mail for mail in delivery.mails if mail.pk is None]
        self.expect(
            not unstable,
            f"{len(unstable)} of {len(delivery.mails)} e-mails without the outbox's Message-ID "
            f"(<lapor.<pk>.<kind>@host>), e.g. {unstable[0].message_id if unstable else ''} "
            f"{unstable[0].subject if unstable else ''!r}",
        )
        for message_id, count in copies.items():
            allowed = 1 + self.resend_allowed[message_id]
            self.expect(count <= allowed, f"{message_id}: {count} copies, at most {allowed}")
        if delivery.outbox is None:
            self.problems.append(f"no outbox to check: {delivery.outbox_error}")
            return
        for row in delivery.outbox.values():
            self.expect(not row.failed, f"{row.key}: given up on: {row.error[-300:]}")
        self.notes["resent_copies"] = sum(count - 1 for count in copies.values())

    def figures(self) -> dict[str, Any]:
        submissions = self.traffic.submissions
        during = [s for s in submissions if s.phase == "during"]
        return {
            "reports_filed": len(submissions),
            "answered_201": len(self.traffic.accepted()),
            "answers": dict(sorted(Counter(str(s.status) for s in submissions).items())),
            "filed_during_fault": len(during),
            "answered_201_during_fault": sum(s.status == 201 for s in during),
            "stored": len(self.last.reports) if self.last else None,
            "max_latency_s": round(max((s.latency for s in submissions), default=0), 2),
            "max_latency_during_fault_s": round(max((s.latency for s in during), default=0), 2),
            "processes_killed": self.kills,
            "all_routed_after_s": self.timings.get("routed"),
            "all_receipts_after_s": self.timings.get("receipts"),
            "all_notices_after_s": self.timings.get("notices"),
            "outbox_drained_after_s": self.timings.get("drained"),
            "resends_allowed": sum(self.resend_allowed.values()),
            "crashes": dict(self.stack.crashes),
            "problems": len(self.problems),
            **self.notes,
        }


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def summary(request: pytest.FixtureRequest) -> Iterator[dict[str, dict[str, Any]]]:
    """Each fault's figures, printed (and written to LAPOR_FAULT_SUMMARY) at the module's end."""
    figures: dict[str, dict[str, Any]] = {}
    yield figures
    if not figures:
        return
    path = os.environ.get("LAPOR_FAULT_SUMMARY")
    if path:
        Path(path).write_text(json.dumps(figures, indent=2) + "\n")
    columns = [
        ("all delivered", "delivered"),
        ("filed", "reports_filed"),
        ("201", "answered_201"),
        ("stored", "stored"),
        ("max s", "max_latency_s"),
        ("max s in fault", "max_latency_during_fault_s"),
        ("all routed s", "all_routed_after_s"),
        ("all receipts s", "all_receipts_after_s"),
        ("all notices s", "all_notices_after_s"),
        ("kills", "processes_killed"),
        ("resent", "resent_copies"),
        ("resends allowed", "resends_allowed"),
        ("crashes", "crashes"),
        ("problems", "problems"),
    ]
    table = [["fault", *(title for title, _ in columns)]]
    table += [[name, *(_cell(row.get(key)) for _, key in columns)] for name, row in figures.items()]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["", "Message delivery under faults (seconds counted from the fault's end):"]
    for row in table:
        pairs = enumerate(zip(row, widths, strict=True))
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs))
    if path:
        lines.append(f"(written to {path})")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, dict):  # crashes per process
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "0"
    return str(value)


@pytest.fixture
def fault(
    request: pytest.FixtureRequest,
    cluster: Cluster,
    template: str,
    summary: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> Iterator[Fault]:
    """A fresh database copied from the template, and a whole stack on it."""
    name = request.node.name.removeprefix("test_")
    with stack_on(cluster, template, tmp_path) as (stack, database):
        run = Fault(
            name=name,
            cluster=cluster,
            stack=stack,
            database=database,
            traffic=Traffic(stack.base_url),
        )
        try:
            yield run
        finally:
            run.traffic.stop(check=False)
            summary[name] = run.figures()
            (tmp_path / "submissions.json").write_text(
                json.dumps([asdict(s) for s in run.traffic.submissions], indent=1)
            )


# --- the faults -------------------------------------------------------------------------------


class TestMessagesSurviveFaults:
    def test_routing_worker_killed_mid_step(self, fault: Fault) -> None:
        fault.traffic.start(threads=1, pause=0.1)
        for _round in range(2):
            # A backlog first, so that the worker is in the middle of it when it is killed: a
            # delivery routes a report down every level in one transaction.
            fault.kill("routing")
            fault.traffic.phase = "during"
            backlog = [s.tracking_number for s in fault.traffic.submit_many(30)]
            fault.stack.start_worker("routing", "celery")
            fault.wait_for("routing under way", partial(fault.routing_under_way, backlog))
            fault.kill("routing")
            reports = fault.database.reports()
            fault.notes.setdefault("unrouted_at_kills", []).append(
                sum(n in reports and len(reports[n].sequences) < 3 for n in backlog)
            )
            time.sleep(2)  # reports keep coming while no worker routes
            fault.stack.start_worker("routing", "celery")
            fault.stack.wait_for_log("routing", " ready.")
            fault.ended()
        fault.traffic.phase = "after"
        time.sleep(1)
        fault.traffic.stop()
        fault.check()

    def test_mail_worker_killed_mid_send(self, fault: Fault) -> None:
        fault.stack.slow_mail(before=0.4, after=0.8)
        fault.traffic.submit_many(8)
        fault.traffic.phase = "during"
        # Once after an e-mail is written and before it is marked sent, once before it is written.
        for phase in ("after", "before"):
            fault.wait_for(f"e-mail being sent ({phase} writing it)", partial(fault.sending, phase))
            fault.kill("mail")
            fault.stack.start_worker("mail", "mail")
            fault.stack.wait_for_log("mail", " ready.")
        fault.stack.slow_mail(before=0, after=0)
        fault.ended()
        fault.traffic.phase = "after"
        fault.traffic.submit_many(2)
        fault.check()

    def test_redis_stopped(self, fault: Fault) -> None:
        fault.traffic.submit_many(4)
        fault.stack.kill("redis", sig=signal.SIGTERM)
        fault.traffic.phase = "during"
        during = fault.traffic.submit_many(10)
        time.sleep(3)  # the relay finds no broker either
        fault.stack.start_redis()  # empty: whatever the queues held is gone
        fault.ended()
        fault.traffic.phase = "after"
        fault.traffic.submit_many(2)
        slowest = max(s.latency for s in during)
        fault.expect(
            all(s.status == 201 for s in during),
            f"answers while Redis was down: {Counter(s.status for s in during)} "
            f"{[s.error for s in during if s.status != 201][:3]}",
        )
        fault.expect(
            slowest < MAX_LATENCY_SECONDS,
            f"a submission took {slowest:.1f} s while Redis was down",
        )
        fault.check()

    def test_redis_frozen(self, fault: Fault) -> None:
        fault.traffic.submit_many(4)
        fault.traffic.phase = "during"
        fault.stack.send_signal("redis", signal.SIGSTOP)
        try:
            fault.traffic.start(threads=2, pause=0.1)
            time.sleep(8)
        finally:
            fault.stack.send_signal("redis", signal.SIGCONT)
        fault.ended()
        fault.traffic.stop()  # after SIGCONT: a request stuck on Redis is measured, not left
        fault.traffic.phase = "after"
        fault.traffic.submit_many(2)
        during = fault.traffic.in_phase("during")
        slowest = max(s.latency for s in during)
        fault.expect(
            slowest < MAX_LATENCY_SECONDS,
            f"a submission took {slowest:.1f} s while Redis was frozen "
            f"(answers {Counter(s.status for s in during)})",
        )
        fault.check()

    def test_postgres_restarted(self, fault: Fault) -> None:
        if not fault.cluster.private:
            pytest.skip(f"no PostgreSQL cluster of the test's own: {fault.cluster.why_shared}")
        fault.traffic.start(threads=1)
        time.sleep(2)
        fault.traffic.phase = "during"
        fault.cluster.stop("fast")
        try:
            time.sleep(3)  # the workers and beat find no database meanwhile
        finally:
            fault.cluster.start()
        fault.ended()
        fault.traffic.phase = "after"
        time.sleep(3)
        fault.traffic.stop()
        fault.check()

    def test_web_workers_killed(self, fault: Fault) -> None:
        # A client whose request got no answer sends it again with the same Idempotency-Key.
        fault.traffic.retries = 1
        fault.traffic.start(threads=3, pause=0.02)  # more clients than workers: none is idle
        fault.wait_for("answers", lambda: len(fault.traffic.accepted()) >= 5)
        fault.traffic.phase = "during"
        for _round in range(4):
            # The oldest worker, in the middle of a request; gunicorn's master starts another.
            os.kill(fault.stack.web_worker_pids()[0], signal.SIGKILL)
            fault.kills += 1
            time.sleep(2)
        fault.ended()
        fault.traffic.phase = "after"
        time.sleep(2)
        fault.traffic.stop()
        fault.check()

    def test_workers_and_beat_down_together(self, fault: Fault) -> None:
        fault.stack.slow_mail(before=0.1, after=0.4)
        fault.traffic.start(threads=1, pause=0.1)
        fault.wait_for("e-mail being sent", lambda: fault.sending("after"))
        fault.traffic.phase = "during"
        fault.kill("routing", "mail", "beat")
        time.sleep(4)  # reports keep coming with nothing in the background
        fault.stack.slow_mail(before=0, after=0)
        fault.stack.start_background()
        fault.ended()
        fault.traffic.phase = "after"
        time.sleep(1)
        fault.traffic.stop()
        fault.check()
