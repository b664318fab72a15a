"""Intake benchmark: how many reports a second the form and the API take, and how fast.

Builds a throwaway PostgreSQL database, starts gunicorn (sync workers, DEBUG off) on a free
port of 127.0.0.1 and measures, for the HTML form and the JSON API:

* saturation throughput and latency with wrk (``submit.lua``), repeated, the median quoted;
* latency at a steady open-loop rate, timed from each request's scheduled moment;
* the resident memory of the gunicorn master and workers, and the CPU each side used.

Every load goes to 127.0.0.1 only, is bounded in time and stops by itself. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: common.py

from common import (
    RESULTS_DIR,
    ROOT,
    BenchError,
    RssSampler,
    children,
    cpu_meter,
    flush_redis,
    free_port,
    git_head,
    gunicorn,
    manage,
    recreate_database,
    verdict,
)
from loads import RunResult, preflight, run_steady, run_wrk
from payloads import Target, api_target, fetch_csrf, form_target

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
TARGETS = {"form_rps": 800.0, "api_rps": 700.0, "steady_p99_ms": 50.0}


def flush_bench_redis() -> None:
    """Empty Redis database 14, the bench's own: rate-limit keys and the e-mail tasks that no
    worker takes during the bench."""
    flush_redis(REDIS_URL)


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "LAPOR_SUBMIT_RATE": "100000000/h",
        "LAPOR_API_ADDRESS_RATE": "100000000/h",
        "LAPOR_API_USER_RATE": "100000000/h",
        "LOG_LEVEL": "WARNING",
    }


# --- The runs --------------------------------------------------------------------------------


def bench(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = workdir / "gunicorn.log"
    runs: list[RunResult] = []
    steady: list[RunResult] = []
    print(f"Starting gunicorn ({args.workers} sync workers) on {base}", flush=True)
    try:
        with gunicorn(env, port, args.workers, log) as master:
            sampler = RssSampler(master)
            sampler.start()
            try:
                sampler.sample()
                targets: list[Target] = [form_target(*fetch_csrf(base)), api_target()]
                for target in targets:
                    preflight(target, port)
                sampler.set_phase("warmup")
                for target in targets:
                    print(f"  warm-up {target.name}: {args.warmup} s", flush=True)
                    run_wrk(target, base, workdir, args.warmup, args.threads, args.connections)
                sampler.set_phase("saturation")
                for i in range(args.repeats):
                    for target in targets:  # interleaved: the growing tables weigh on both
                        with cpu_meter(master, load_in_this_process=False) as cpu:
                            result = run_wrk(
                                target,
                                base,
                                workdir,
                                args.duration,
                                args.threads,
                                args.connections,
                            )
                        result.cpu = cpu[0]
                        print(
                            f"  saturation {target.name} #{i + 1}: {result.rps:.1f}/s, "
                            f"p99 {result.p99_ms:.1f} ms",
                            flush=True,
                        )
                        result.check()
                        runs.append(result)
                sampler.set_phase("steady")
                for target in targets:
                    with cpu_meter(master, load_in_this_process=True) as cpu:
                        result = run_steady(target, port, args.steady_rate, args.steady_seconds)
                    result.cpu = cpu[0]
                    print(
                        f"  steady {target.name} at {args.steady_rate:g}/s: p50 "
                        f"{result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms",
                        flush=True,
                    )
                    result.check()
                    steady.append(result)
                sampler.set_phase("after")
                time.sleep(2)
                sampler.sample()
                workers_alive = len(children(master))
            finally:
                sampler.stop()
    except BenchError:
        if log.exists() and log.stat().st_size:
            print("gunicorn log (tail):\n" + log.read_text()[-3000:], file=sys.stderr)
        raise
    return summarize(args, runs, steady, sampler.peaks, workers_alive)


# --- Report ----------------------------------------------------------------------------------


def median_of(runs: list[RunResult]) -> dict[str, float]:
    out = {
        key: statistics.median(getattr(r, key) for r in runs)
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "max_ms")
    }
    cpu = [(r.cpu, r.requests) for r in runs if r.cpu]
    out["server_cpu_ms"] = statistics.median(c.server / n * 1000 for c, n in cpu)
    out["other_cpu_ms"] = statistics.median(c.other / n * 1000 for c, n in cpu)
    out["loadgen_cpu_ms"] = statistics.median(c.load_generator / n * 1000 for c, n in cpu)
    out["busy_cores"] = statistics.median(
        (c.server + c.other + c.load_generator) / c.wall for c, _ in cpu
    )
    return out


def summarize(
    args: argparse.Namespace,
    runs: list[RunResult],
    steady: list[RunResult],
    memory: dict[str, dict[str, int]],
    workers_alive: int,
) -> dict[str, Any]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return {
        "when": stamp,
        "commit": git_head(),
        "config": vars(args) | {"cpus": os.cpu_count(), "workers_alive_at_end": workers_alive},
        "targets": TARGETS,
        "saturation": {
            name: median_of([r for r in runs if r.target == name]) for name in ("form", "api")
        },
        "steady": {r.target: asdict(r) for r in steady},
        "memory_kib": memory,
        "runs": [asdict(r) for r in runs],
    }


def print_report(summary: dict[str, Any]) -> None:
    config, sat, steady = summary["config"], summary["saturation"], summary["steady"]
    print(f"\n=== lapor intake benchmark ({summary['when']}, commit {summary['commit']}) ===")
    print(
        f"gunicorn: {config['workers']} sync workers; wrk -t{config['threads']} "
        f"-c{config['connections']}, {config['duration']} s x {config['repeats']} per target; "
        f"{config['cpus']} CPUs shared by gunicorn, PostgreSQL, Redis and the load generator"
    )
    print(f"\nSaturation (median of {config['repeats']} runs; CPU in ms per submission)")
    print(
        f"{'':5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'gunicorn':>8} {'pg+redis':>8} {'wrk':>5} {'cores':>5}  target"
    )
    for name, goal in (("form", TARGETS["form_rps"]), ("api", TARGETS["api_rps"])):
        m = sat[name]
        print(
            f"{name:5} {m['rps']:7.1f} {m['p50_ms']:7.1f} {m['p95_ms']:7.1f} {m['p99_ms']:7.1f} "
            f"{m['max_ms']:7.1f} {m['server_cpu_ms']:8.2f} {m['other_cpu_ms']:8.2f} "
            f"{m['loadgen_cpu_ms']:5.2f} {m['busy_cores']:5.2f}  >= {goal:.0f}/s: "
            f"{verdict(m['rps'] >= goal)}"
        )
    print(
        "  each run, req/s: " + ", ".join(f"{r['target']} {r['rps']:.0f}" for r in summary["runs"])
    )
    print(
        f"\nSteady open-loop rate ({config['steady_rate']:g}/s for {config['steady_seconds']:g} s,"
        " latency from the scheduled send)"
    )
    print(f"{'':5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}  target")
    for name in ("form", "api"):
        s = steady[name]
        print(
            f"{name:5} {s['rps']:7.1f} {s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['p99_ms']:7.1f} "
            f"{s['max_ms']:7.1f}  p99 < {TARGETS['steady_p99_ms']:.0f} ms: "
            f"{verdict(s['p99_ms'] < TARGETS['steady_p99_ms'])}"
        )
    print("\nGunicorn RSS in MiB, peak per phase")
    for phase, peaks in summary["memory_kib"].items():
        workers = [kib / 1024 for key, kib in peaks.items() if key.startswith("worker-")]
        print(
            f"  {phase:10} master {peaks.get('master', 0) / 1024:5.1f}  max worker "
            f"{max(workers, default=0):5.1f}  workers {' '.join(f'{w:.1f}' for w in workers)}"
            f"  total {peaks['total'] / 1024:6.1f}"
        )
    print(f"\nJSON: {summary['json_path']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="wrk runs per target")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--warmup", type=int, default=5, help="unrecorded wrk seconds per target")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--steady-rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    where = urllib.parse.urlsplit(database_url)
    print(f"Preparing database {where.path.lstrip('/')} on {where.hostname}", flush=True)
    env = server_env(database_url)
    recreate_database(database_url)
    try:
        flush_bench_redis()
        manage(env, "migrate", "--noinput")
        manage(env, "load_regions")
        manage(env, "collectstatic", "--noinput")  # DEBUG off serves the hashed manifest
        with tempfile.TemporaryDirectory(prefix="lapor-bench-") as tmp:
            summary = bench(args, env, Path(tmp))
    finally:
        if not args.keep:
            recreate_database(database_url, drop_only=True)
        flush_bench_redis()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / f"intake-{summary['when']}.json"
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
