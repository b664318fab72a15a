"""Routing benchmark: how many reports a second the Celery workers route down to their OPD, and
how long a report takes from submission to its OPD at a steady rate.

Builds a throwaway PostgreSQL database with the demo hierarchy, starts one Celery worker node
(prefork, 2 worker processes, as docker-compose.yml runs it) on Redis database 13 and measures:

* throughput: N reports filed through ``submit_complaint`` while the worker does not consume,
  their first steps all published, then the time until every one is DISPOSED; repeated, median;
* latency at a steady open-loop rate through the API (gunicorn, 2 sync workers): the moment each
  report reached its OPD minus its submission, from the database;
* that every report was routed exactly once, and the CPU each side used.

Every load goes to 127.0.0.1 only, is bounded in time and stops by itself. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any, LiteralString

import psycopg
import redis
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "intake"))  # loads, payloads
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # common.py

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    children,
    cpu_split,
    flush_redis,
    free_port,
    git_dirty_files,
    git_head,
    gunicorn,
    manage,
    recreate_database,
    stop_process,
    verdict,
)
from loads import percentile, preflight, run_steady
from payloads import api_target

CELERY = ROOT / ".venv" / "bin" / "celery"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench_routing"
REDIS_URL = "redis://127.0.0.1:6379/13"
QUEUE = "celery"
MAIL_QUEUE = "mail"
OPD_NAME = "Dinas Kesehatan Kota Samarinda"  # kesehatan in 64.72.01, three steps down
TARGETS = {"reports_per_s": 300.0, "steady_p95_ms": 2000.0}
SEED = "from demo.hierarchy import seed_demo_hierarchy; seed_demo_hierarchy()"


def bench_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LAPOR_SUBMIT_RATE": "100000000/h",
        "LAPOR_API_ADDRESS_RATE": "100000000/h",
        "LAPOR_API_USER_RATE": "100000000/h",
        "LOG_LEVEL": "WARNING",
    }


# --- The Celery worker -----------------------------------------------------------------------


class Worker:
    """One worker node, started and stopped by its PID; consumption switched off and on with
    remote control (cancel_consumer/add_consumer) from a bare Celery app on the same broker."""

    def __init__(
        self,
        env: dict[str, str],
        concurrency: int,
        log: Path,
        queue: str = QUEUE,
        name: str = "bench-routing",
        niceness: int = 0,
    ) -> None:
        self.node = f"{name}-{os.getpid()}@{socket.gethostname()}"
        self.queue = queue
        self.niceness = niceness
        self.concurrency = concurrency
        self.log = log
        self.env = env
        self.control = Celery("bench", broker=REDIS_URL).control
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> None:
        command = ["nice", "-n", str(self.niceness)] if self.niceness else []
        command += [str(CELERY), "-A", "lapor", "worker", "--pool=prefork", "-Q", self.queue]
        command += [f"--concurrency={self.concurrency}", "--loglevel=WARNING", "-n", self.node]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"celery worker exited with {self.process.returncode}")
            if self.control.ping(destination=[self.node], timeout=0.5):
                if len(children(self.pid)) >= self.concurrency:
                    return
            time.sleep(0.25)
        raise BenchError(f"celery worker did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None:
            pool = children(self.process.pid)
            stop_process(self.process, timeout=60)  # warm shutdown: current tasks finish
            for pid in pool:  # left behind only when the node had to be killed
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, signal.SIGKILL)

    def consume(self, on: bool) -> None:
        command = self.control.add_consumer if on else self.control.cancel_consumer
        replies = command(self.queue, destination=[self.node], reply=True, timeout=5)
        if not replies:
            raise BenchError(f"worker did not confirm {'add' if on else 'cancel'}_consumer")


# --- The database ----------------------------------------------------------------------------


class Db:
    """The bench's own reads of the bench database, in autocommit."""

    def __init__(self, database_url: str) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        row = self.one(
            "SELECT id FROM routing_agency WHERE name = %s AND level = 'OPD'", (OPD_NAME,)
        )
        self.opd_id = int(row[0])

    def one(self, query: LiteralString, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return tuple(row)

    def last_id(self) -> int:
        return int(self.one("SELECT coalesce(max(id), 0) FROM complaints_complaint")[0])

    def disposed(self, first: int, last: int) -> int:
        query = "SELECT count(*) FROM complaints_complaint WHERE id BETWEEN %s AND %s AND status = 'DISPOSED'"
        return int(self.one(query, (first, last))[0])

    def wait_disposed(self, first: int, last: int, timeout: float) -> float:
        """Poll every 0.25 s until the reports first..last are all DISPOSED; the seconds waited."""
        started = time.monotonic()
        while (done := self.disposed(first, last)) < last - first + 1:
            if time.monotonic() - started > timeout:
                raise BenchError(
                    f"only {done} of {last - first + 1} reports reached their OPD in {timeout:.0f} s"
                )
            time.sleep(0.25)
        return time.monotonic() - started

    def reached_opd(self, first: int, last: int) -> list[tuple[float, float]]:
        """(submitted_at, moment it reached the OPD) as epoch seconds, per report."""
        rows = self.conn.execute(
            """SELECT extract(epoch FROM c.submitted_at)::float8, extract(epoch FROM d.created_at)::float8
               FROM complaints_complaint c
               JOIN complaints_disposition d ON d.complaint_id = c.id
               JOIN routing_agency a ON a.id = d.to_agency_id AND a.level = 'OPD'
               WHERE c.id BETWEEN %s AND %s""",
            (first, last),
        ).fetchall()
        return [(float(s), float(o)) for s, o in rows]

    def check_exactly_once(self, first: int, last: int) -> dict[str, int]:
        """Every report DISPOSED at the OPD with dispositions 1, 2, 3 and four events; nothing
        left in the outbox or the dead-letter list. Raises BenchError otherwise."""
        reports, good, events_ok = self.one(
            """SELECT count(*),
                      count(*) FILTER (WHERE c.status = 'DISPOSED' AND c.current_agency_id = %s
                                       AND c.routing_step = 3 AND d.seqs = ARRAY[3, 2, 1]
                                       AND d.last_to = %s),
                      count(*) FILTER (WHERE e.types = 'DISPOSED,ROUTED,ROUTED,SUBMITTED')
               FROM complaints_complaint c
               CROSS JOIN LATERAL (
                   SELECT array_agg(sequence ORDER BY sequence DESC) AS seqs,
                          (array_agg(to_agency_id ORDER BY sequence DESC))[1] AS last_to
                   FROM complaints_disposition WHERE complaint_id = c.id) d
               CROSS JOIN LATERAL (
                   SELECT string_agg(type, ',' ORDER BY type) AS types
                   FROM complaints_complaintevent WHERE complaint_id = c.id) e
               WHERE c.id BETWEEN %s AND %s""",
            (self.opd_id, self.opd_id, first, last),
        )
        outbox = int(
            self.one(
                """SELECT count(*) FROM complaints_message
                   WHERE kind = 'route_step' AND sent_at IS NULL AND failed_at IS NULL
                     AND complaint_id BETWEEN %s AND %s""",
                (first, last),
            )[0]
        )
        failures = int(
            self.one(
                """SELECT count(*) FROM complaints_message
                   WHERE sent_at IS NULL AND failed_at IS NOT NULL
                     AND complaint_id BETWEEN %s AND %s""",
                (first, last),
            )[0]
        )
        found = {
            "reports": int(reports),
            "routed_once": int(good),
            "events_ok": int(events_ok),
            "outbox_rows_left": outbox,
            "routing_failures": failures,
        }
        expected = last - first + 1
        if found != {
            "reports": expected,
            "routed_once": expected,
            "events_ok": expected,
            "outbox_rows_left": 0,
            "routing_failures": 0,
        }:
            raise BenchError(f"reports {first}..{last} not routed exactly once: {found}")
        return found


def wait_queue_empty(broker: redis.Redis, timeout: float = 120) -> None:
    """Until the queue and the unacked set are empty (the OPD e-mail tasks of the last run)."""
    deadline = time.monotonic() + timeout
    while broker.llen(QUEUE) or broker.llen(MAIL_QUEUE) or broker.zcard("unacked_index"):
        if time.monotonic() > deadline:
            raise BenchError(f"the queue did not drain within {timeout:.0f} s")
        time.sleep(0.25)


# --- The runs --------------------------------------------------------------------------------


def throughput_run(
    count: int, env: dict[str, str], worker: Worker, mail: Worker, db: Db, broker: redis.Redis
) -> dict[str, Any]:
    """File ``count`` reports and publish their first steps while the worker does not consume;
    then let it consume and time until all are DISPOSED."""
    wait_queue_empty(broker)
    worker.consume(False)
    made = subprocess.run(
        [str(PYTHON), str(Path(__file__).parent / "make_reports.py"), str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    batch = json.loads(made.stdout.strip().splitlines()[-1])
    first, last = batch["first_id"], batch["last_id"]
    if not batch["outbox_rows"] == batch["published"] == broker.llen(QUEUE) == count:
        raise BenchError(f"expected {count} steps in the queue: {batch}, {broker.llen(QUEUE)}")
    with cpu_split({"celery": worker.pid, "mail": mail.pid}) as cpu:
        started = time.time()
        worker.consume(True)
        polled = db.wait_disposed(first, last, timeout=max(120.0, count / 5))
    reached = max(opd for _, opd in db.reached_opd(first, last))
    elapsed = reached - started  # to the last arrival, not to the poll that saw it
    checks = db.check_exactly_once(first, last)
    return {
        "reports": count,
        "seconds": elapsed,
        "reports_per_s": count / elapsed,
        "polled_seconds": polled,
        "cpu_s": cpu,
        "celery_cpu_ms": cpu["celery"] / count * 1000,
        "other_cpu_ms": cpu["other"] / count * 1000,
        "mail_cpu_ms": cpu["mail"] / count * 1000,
        "busy_cores": (cpu["celery"] + cpu["mail"] + cpu["other"] + cpu["load_generator"])
        / cpu["wall"],
        "create_s": batch["create_s"],
        "relay_s": batch["relay_s"],
        "checks": checks,
    }


def steady_run(
    args: argparse.Namespace,
    env: dict[str, str],
    worker: Worker,
    mail: Worker,
    db: Db,
    workdir: Path,
) -> dict[str, Any]:
    """Submit through the API at a steady open-loop rate with the worker consuming; latency of
    each report from its submission to its OPD, from the database."""
    port = free_port()
    target = api_target()
    log = workdir / "gunicorn.log"
    print(f"  gunicorn ({args.web_workers} sync workers) on 127.0.0.1:{port}", flush=True)
    try:
        with gunicorn(env, port, args.web_workers, log, "/api/v1/categories/") as master:
            preflight(target, port)
            run_steady(target, port, args.steady_rate, 3)  # warm-up, not counted
            db.wait_disposed(1, db.last_id(), timeout=60)
            first = db.last_id() + 1
            with cpu_split({"gunicorn": master, "celery": worker.pid, "mail": mail.pid}) as cpu:
                http = run_steady(target, port, args.steady_rate, args.steady_seconds)
                last = db.last_id()
                drain = db.wait_disposed(first, last, timeout=300)
    except BenchError:
        if log.exists() and log.stat().st_size:
            print("gunicorn log (tail):\n" + log.read_text()[-3000:], file=sys.stderr)
        raise
    http.check()
    if last - first + 1 != http.ok:
        raise BenchError(f"{http.ok} answers 201 but {last - first + 1} reports in the database")
    times = db.reached_opd(first, last)
    ms = sorted((opd - submitted) * 1000 for submitted, opd in times)
    count = len(ms)
    span = max(opd for _, opd in times) - min(submitted for submitted, _ in times)
    return {
        "reports": count,
        "offered_rps": args.steady_rate,
        "seconds": args.steady_seconds,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1],
        "drain_after_last_s": drain,
        "routed_per_s": count / span,  # below the offered rate: the queue grew all along
        "http": asdict(http),
        "cpu_s": cpu,
        "cpu_ms": {k: v / count * 1000 for k, v in cpu.items() if k != "wall"},
        "busy_cores": sum(v for k, v in cpu.items() if k != "wall") / cpu["wall"],
        "checks": db.check_exactly_once(first, last),
    }


def bench(args: argparse.Namespace, env: dict[str, str], database_url: str) -> dict[str, Any]:
    broker = redis.Redis.from_url(REDIS_URL)
    with tempfile.TemporaryDirectory(prefix="lapor-bench-routing-") as tmp:
        worker = Worker(env, args.concurrency, Path(tmp) / "celery.log")
        # E-mail on its own queue and worker, as in production (docker-compose.yml).
        mail = Worker(
            env, 1, Path(tmp) / "mail.log", queue=MAIL_QUEUE, name="bench-mail", niceness=10
        )
        print(f"Starting celery worker {worker.node} (prefork, {args.concurrency} processes)")
        print(f"Starting celery worker {mail.node} for the mail queue (1 process, nice 10)")
        try:
            worker.start()
            mail.start()
            db = Db(database_url)
            print(f"  warm-up: {args.warmup_reports} reports", flush=True)
            throughput_run(args.warmup_reports, env, worker, mail, db, broker)
            runs = []
            for i in range(args.repeats):
                run = throughput_run(args.reports, env, worker, mail, db, broker)
                print(
                    f"  throughput #{i + 1}: {run['reports']} reports in {run['seconds']:.2f} s = "
                    f"{run['reports_per_s']:.1f}/s (filed in {run['create_s']:.1f} s, "
                    f"published in {run['relay_s']:.1f} s beforehand)",
                    flush=True,
                )
                runs.append(run)
            wait_queue_empty(broker)
            print(f"  steady: {args.steady_rate:g}/s for {args.steady_seconds:g} s", flush=True)
            steady = steady_run(args, env, worker, mail, db, Path(tmp))
            print(
                f"  steady: p50 {steady['p50_ms']:.0f} ms, p95 {steady['p95_ms']:.0f} ms submit "
                "to OPD",
                flush=True,
            )
            wait_queue_empty(broker)
            workers_alive = len(children(worker.pid))
        except (BenchError, subprocess.CalledProcessError):
            if worker.log.exists():
                print("celery log (tail):\n" + worker.log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            worker.stop()
            mail.stop()
    return summarize(args, runs, steady, workers_alive)


# --- Report ----------------------------------------------------------------------------------


def summarize(
    args: argparse.Namespace,
    runs: list[dict[str, Any]],
    steady: dict[str, Any],
    workers_alive: int,
) -> dict[str, Any]:
    keys = ("reports_per_s", "seconds", "celery_cpu_ms", "other_cpu_ms", "busy_cores")
    return {
        "when": time.strftime("%Y%m%d-%H%M%S"),
        "commit": git_head(),
        "dirty_files": git_dirty_files(),
        "config": vars(args) | {"cpus": os.cpu_count(), "pool_processes_at_end": workers_alive},
        "targets": TARGETS,
        "throughput": {key: statistics.median(r[key] for r in runs) for key in keys},
        "steady": steady,
        "runs": runs,
    }


def print_report(summary: dict[str, Any]) -> None:
    config, thr, steady = summary["config"], summary["throughput"], summary["steady"]
    print(f"\n=== lapor routing benchmark ({summary['when']}, commit {summary['commit']}) ===")
    print(
        f"celery: 1 worker node, prefork, {config['concurrency']} worker processes, Redis broker; "
        f"{config['cpus']} CPUs shared by the workers, PostgreSQL, Redis (and gunicorn and the "
        "load generator in the steady run)"
    )
    print(f"\n{'figure':44} {'value':>9}  {'target':>10}")
    rps_goal, p95_goal = TARGETS["reports_per_s"], TARGETS["steady_p95_ms"]
    print(
        f"{'reports fully routed per second (median)':44} {thr['reports_per_s']:9.1f}  "
        f"{'>= ' + format(rps_goal, '.0f') + '/s':>10}  {verdict(thr['reports_per_s'] >= rps_goal)}"
    )
    print(
        f"{'submit to OPD at steady ' + format(config['steady_rate'], 'g') + '/s, p95 ms':44} "
        f"{steady['p95_ms']:9.0f}  {'< ' + format(p95_goal, '.0f') + ' ms':>10}  "
        f"{verdict(steady['p95_ms'] < p95_goal)}"
    )
    print(
        f"\nThroughput: {config['reports']} reports a run, 3 steps each, all first steps queued "
        f"before the worker consumes; {config['repeats']} runs"
    )
    print(
        "  each run, reports/s: " + ", ".join(f"{r['reports_per_s']:.1f}" for r in summary["runs"])
    )
    print(
        f"  CPU ms per report (median): celery {thr['celery_cpu_ms']:.2f}, "
        f"pg+redis+other {thr['other_cpu_ms']:.2f}; busy cores {thr['busy_cores']:.2f}"
    )
    print(
        f"\nSteady: {steady['reports']} reports through POST /api/v1/complaints/ at "
        f"{config['steady_rate']:g}/s for {config['steady_seconds']:g} s "
        f"(gunicorn {config['web_workers']} sync workers), submit to OPD in ms"
    )
    print(f"  {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    print(
        f"  {steady['p50_ms']:7.0f} {steady['p95_ms']:7.0f} {steady['p99_ms']:7.0f} "
        f"{steady['max_ms']:7.0f}   routed {steady['routed_per_s']:.1f}/s; the last report "
        f"reached its OPD {steady['drain_after_last_s']:.1f} s after the last answer"
    )
    http = steady["http"]
    print(f"  HTTP answer ms: p50 {http['p50_ms']:.1f}, p99 {http['p99_ms']:.1f}")
    cpu = steady["cpu_ms"]
    print(
        f"  CPU ms per report: gunicorn {cpu['gunicorn']:.2f}, celery {cpu['celery']:.2f}, "
        f"mail worker {cpu['mail']:.2f}, "
        f"pg+redis+other {cpu['other']:.2f}, load generator {cpu['load_generator']:.2f}; "
        f"busy cores {steady['busy_cores']:.2f}"
    )
    checks = steady["checks"]
    print(
        f"\nExactly once: every report of every run DISPOSED at {OPD_NAME}, dispositions 1..3, "
        f"four events; {checks['outbox_rows_left']} outbox rows and "
        f"{checks['routing_failures']} routing failures left"
    )
    print(f"\nJSON: {summary['json_path']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=3000, help="reports per throughput run")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs")
    parser.add_argument("--warmup-reports", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2, help="celery worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--steady-rate", type=float, default=50.0, help="reports per second")
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_ROUTING_DATABASE_URL", DEFAULT_DATABASE_URL)
    where = urllib.parse.urlsplit(database_url)
    print(f"Preparing database {where.path.lstrip('/')} on {where.hostname}", flush=True)
    env = bench_env(database_url)
    recreate_database(database_url)
    try:
        flush_redis(REDIS_URL)
        manage(env, "migrate", "--noinput")
        manage(env, "load_regions")
        manage(env, "shell", "-c", SEED)
        summary = bench(args, env, database_url)
    finally:
        if not args.keep:
            recreate_database(database_url, drop_only=True)
        flush_redis(REDIS_URL)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / f"routing-{summary['when']}.json"
    summary["json_path"] = str(json_path.relative_to(ROOT))
    json_path.write_text(json.dumps(summary, indent=2, default=str))
    print_report(summary)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
