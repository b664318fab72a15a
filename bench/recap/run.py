"""Recap benchmark: how fast a month's recaps are built, and the recap pages answer, with ten
million reports.

Fills a throwaway PostgreSQL database with the demo hierarchy and N synthetic reports
(``manage.py generate_complaints``; with ``--reuse``, a database already holding them), builds
the month before the current one (Asia/Jakarta) with ``manage.py build_recap`` a few times and
the eleven months before it once each (so the pages have a twelve-month trend), then starts
gunicorn (2 sync workers, DEBUG off) and, as one client (latency, not throughput), logs in
through the login form as the national and as a province coordinator and requests the recap
page (their own scope, a province, a city), the API, the quarterly evaluation and the
province's exports. Prints the build times against the target (median below 10 s) and
p50/p95/max per page and user against the target (p95 below 100 ms).

Without ``--reuse`` or with too few reports in it, the database is dropped and filled anew; it
is refused while another session uses it (a generation still running). Every request goes to
127.0.0.1 only; every phase is bounded.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import html
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "intake"))  # loads.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # common.py

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Browser,
    bench_env,
    database_facts,
    demo_password,
    fill,
    flush_redis,
    forget_second_steps,
    free_port,
    git_dirty_files,
    git_head,
    gunicorn,
    manage,
    plan_summary,
    recreate_database,
    report_count,
    verdict,
)
from loads import percentile

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench_recap"
REDIS_URL = "redis://127.0.0.1:6379/15"
TARGET_BUILD_S = 10.0
TARGET_P95_MS = 100.0
SEED = 20261129
TIME_ZONE = ZoneInfo("Asia/Jakarta")  # lapor.settings.TIME_ZONE: where a month begins and ends
USERS = ("nasional", "kaltim")  # the national coordinator, Kalimantan Timur's coordinator
PROVINCE, CITY = "64", "64.72"  # Kalimantan Timur, Kota Samarinda
EXPORT_USER = "kaltim"
EXPORT_WARMUP = 2
# Builds run with this application_name, so a build stopped at its timeout can have its
# PostgreSQL sessions ended too (and only those).
BUILD_APP_NAME = "lapor-bench-recap-build"
BUILD_LINE = re.compile(r"^(\d{4}-\d{2}): (\d+) rows in ([0-9.]+) s; nation: (.*)$", re.MULTILINE)
MONTHS_ID = (
    "",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
SLOW_QUERY_S = 0.1  # the build's queries slower than this are listed (and explained)


# --- Months ----------------------------------------------------------------------------------


def shift_month(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_ended_month() -> dt.date:
    """The month before the current one in Asia/Jakarta."""
    return shift_month(dt.datetime.now(TIME_ZONE).date().replace(day=1), -1)


def parse_month(value: str) -> dt.date:
    try:
        month = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a month YYYY-MM: {value!r}") from exc
    if month > last_ended_month():
        raise argparse.ArgumentTypeError(f"{value} has not ended yet (Asia/Jakarta)")
    return month


def last_quarter_by(month: dt.date) -> str:
    """The last quarter that has ended by the end of ``month``: ``2026-Q3`` for 2026-10 and
    for 2026-09."""
    index = month.year * 4 + (month.month - 1) // 3 - (0 if month.month % 3 == 0 else 1)
    return f"{index // 4}-Q{index % 4 + 1}"


def month_names(month: dt.date) -> tuple[str, str]:
    """ "Oktober 2026" (the pages' language, Indonesian) and "October 2026" (English)."""
    return (
        f"{MONTHS_ID[month.month]} {month.year}",
        f"{calendar.month_name[month.month]} {month.year}",
    )


# --- The database ----------------------------------------------------------------------------


def other_sessions(database_url: str) -> int:
    """Sessions of anyone on the bench database (0 when it does not exist)."""
    parts = urllib.parse.urlsplit(database_url)
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (parts.path.lstrip("/"),),
        ).fetchone()
    return int(row[0]) if row else 0


def region_names(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT code, name FROM routing_region WHERE code IN (%s, %s)", (PROVINCE, CITY)
        ).fetchall()
    names = {code: name for code, name in rows}
    if set(names) != {PROVINCE, CITY}:
        raise BenchError(f"regions {PROVINCE} and {CITY} not found: was load_regions run?")
    return names


def end_build_sessions(database_url: str) -> int:
    """End the PostgreSQL sessions of a build this bench stopped: its query would run on."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = %s AND datname = current_database()
                 AND pid <> pg_backend_pid()""",
            (BUILD_APP_NAME,),
        ).fetchall()
    return len(rows)


def recap_rows(database_url: str) -> dict[str, int]:
    """Rows of the recap table per month built."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT to_char(month, 'YYYY-MM'), count(*) FROM reports_monthlyrecap "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return {month: int(n) for month, n in rows}


# --- Building --------------------------------------------------------------------------------


def build(env: dict[str, str], database_url: str, month: dt.date, timeout: float) -> dict[str, Any]:
    """``manage.py build_recap --month`` once: its own figure ("in X s") and the wall time of
    the process (with Django's start-up)."""
    value = f"{month:%Y-%m}"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(PYTHON), "manage.py", "build_recap", f"--month={value}", "--no-progress"],
            cwd=ROOT,
            env=env | {"PGAPPNAME": BUILD_APP_NAME},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        ended = end_build_sessions(database_url)
        print(f"    {value}: stopped after {timeout:g} s ({ended} sessions ended)", flush=True)
        return {"month": value, "timed_out": True, "wall_s": time.monotonic() - started}
    wall = time.monotonic() - started
    if done.returncode:
        raise BenchError(f"build_recap --month {value} failed:\n{done.stderr[-3000:]}")
    line = BUILD_LINE.search(done.stdout)
    if line is None:
        raise BenchError(f"build_recap --month {value} printed no summary: {done.stdout[-500:]}")
    result = {
        "month": value,
        "timed_out": False,
        "rows": int(line[2]),
        "build_s": float(line[3]),
        "wall_s": wall,
        "nation": line[4],
    }
    print(f"    {value}: {line[2]} rows in {line[3]} s (wall {wall:.1f} s)", flush=True)
    return result


def build_steps(
    env: dict[str, str], database_url: str, month: dt.date, timeout: float, explain: bool
) -> dict[str, Any]:
    """Run this file as a Django helper: the month built once more in-process, the seconds of
    each step and of the slowest queries (with their plans). Informational."""
    try:
        done = subprocess.run(
            [str(PYTHON), __file__, "--steps-helper", f"{month:%Y-%m}", "1" if explain else "0"],
            cwd=ROOT,
            env=env | {"PGAPPNAME": BUILD_APP_NAME},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        ended = end_build_sessions(database_url)
        return {"error": f"stopped after {timeout:g} s ({ended} sessions ended)"}
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout)


def steps_helper(month_value: str, explain: bool) -> None:
    """In a Django process: ``build_monthly_recap`` for the month, timed step by step, its
    queries captured; the SELECTs over ``SLOW_QUERY_S`` explained (ANALYZE). Prints JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reports.selectors import parse_month as app_parse_month
    from reports.services import build_monthly_recap

    marks = [("start", time.monotonic(), 0)]  # (step done, when, queries run by then)
    with CaptureQueriesContext(connection) as captured:
        build_monthly_recap(
            month=app_parse_month(month_value),
            now=timezone.now(),
            progress=lambda step: marks.append(
                (step, time.monotonic(), len(captured.captured_queries))
            ),
        )
    steps = {step: at - before for (_, before, _), (step, at, _) in itertools.pairwise(marks)}
    step_of = [
        step
        for (_, _, first), (step, _, last) in itertools.pairwise(marks)
        for _ in range(last - first)
    ]
    queries = sorted(
        (
            {"step": step_of[i] if i < len(step_of) else "", "sql": q["sql"], "s": float(q["time"])}
            for i, q in enumerate(captured.captured_queries)
        ),
        key=lambda q: -q["s"],
    )
    slow = [q for q in queries if q["s"] >= SLOW_QUERY_S]
    if explain:
        for query in slow:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query["sql"])
                query |= plan_summary(cursor.fetchone()[0][0])
    out = {
        "month": month_value,
        "total_s": marks[-1][1] - marks[0][1],
        "steps_s": steps,
        "queries": len(queries),
        "queries_s": sum(q["s"] for q in queries),
        "slow_queries": [q | {"sql": q["sql"][:2000]} for q in slow],
    }
    print(json.dumps(out))


def build_phase(
    args: argparse.Namespace, env: dict[str, str], database_url: str, month: dt.date
) -> dict[str, Any]:
    print(f"Building {month:%Y-%m} {args.build_runs} times (manage.py build_recap)", flush=True)
    runs = [build(env, database_url, month, args.build_timeout) for _ in range(args.build_runs)]
    if any(run["timed_out"] for run in runs):
        raise BenchError(f"building {month:%Y-%m} took over {args.build_timeout:g} s")
    steps = None
    if args.steps:
        print(f"  once more in-process, step by step (EXPLAIN: {args.explain})", flush=True)
        steps = build_steps(env, database_url, month, args.build_timeout * 4, args.explain)
    past = []
    if args.past_months:
        print(f"Building the {args.past_months} months before it once each", flush=True)
        for back in range(1, args.past_months + 1):
            past.append(build(env, database_url, shift_month(month, -back), args.build_timeout))
    build_s = [run["build_s"] for run in runs]
    return {
        "month": f"{month:%Y-%m}",
        "runs": runs,
        "median_build_s": statistics.median(build_s),
        "median_wall_s": statistics.median(run["wall_s"] for run in runs),
        "steps": steps,
        "past_months": past,
    }


# --- The pages -------------------------------------------------------------------------------


@dataclass
class Page:
    kind: str
    url: str
    check: str  # "monthly", "api", "evaluation", "csv", "xlsx", "pdf"
    region: str = ""  # the region code it asks for ("": the user's own)


@dataclass
class Timing:
    user: str
    kind: str
    url: str
    target: bool  # False: informational
    ms: list[float] = field(default_factory=list)
    bytes: int = 0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.ms)
        return {
            "user": self.user,
            "kind": self.kind,
            "url": self.url,
            "target": self.target,
            "requests": len(ordered),
            "bytes": self.bytes,
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
            "max_ms": ordered[-1],
            "mean_ms": sum(ordered) / len(ordered),
        }


def pages(month: dt.date, quarter: str) -> list[Page]:
    m = f"{month:%Y-%m}"
    return [
        Page("page, own scope", f"/reports/?month={m}", "monthly"),
        Page(
            f"page ?region={PROVINCE}",
            f"/reports/?month={m}&region={PROVINCE}",
            "monthly",
            PROVINCE,
        ),
        Page(f"page ?region={CITY}", f"/reports/?month={m}&region={CITY}", "monthly", CITY),
        Page(
            f"API ?region={PROVINCE}",
            f"/api/v1/reports/monthly/?month={m}&region={PROVINCE}",
            "api",
            PROVINCE,
        ),
        Page(
            f"API ?region={CITY}", f"/api/v1/reports/monthly/?month={m}&region={CITY}", "api", CITY
        ),
        Page(
            f"evaluation {quarter} ?region={PROVINCE}",
            f"/reports/evaluation/?quarter={quarter}&region={PROVINCE}",
            "evaluation",
            PROVINCE,
        ),
    ]


def exports(month: dt.date) -> list[Page]:
    query = f"?month={month:%Y-%m}&region={PROVINCE}"
    return [
        Page(f"export {kind.upper()} ?region={PROVINCE}", f"/reports/export.{kind}{query}", kind)
        for kind in ("csv", "xlsx", "pdf")
    ]


def problem(
    page: Page,
    body: str,
    headers: dict[str, str],
    month: dt.date,
    quarter: str,
    names: dict[str, str],
) -> str | None:
    """Why the answer is not the page asked for, or None."""
    if page.check == "monthly":
        if not any(name in body for name in month_names(month)):
            return f"no {' or '.join(month_names(month))} in it"
        if "<tfoot" not in body:
            return "no table total: the month has no recap?"
        if page.region and html.escape(names[page.region]) not in body:
            return f"no {names[page.region]!r} in it"
    elif page.check == "api":
        try:
            data = json.loads(body)
        except ValueError:
            return f"not JSON: {body[:200]!r}"
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            return f"no list of rows: {body[:200]!r}"
        if data.get("month") != f"{month:%Y-%m}" or data.get("region") != page.region:
            return f"month {data.get('month')!r} and region {data.get('region')!r}"
    elif page.check == "evaluation":
        if quarter not in body or html.escape(names[PROVINCE]) not in body:
            return f"no {quarter} and {names[PROVINCE]!r} in it"
        if "<tbody" not in body:
            return "no table: the quarter has no recaps?"
    elif page.check == "csv":
        if not headers.get("Content-Type", "").startswith("text/csv"):
            return f"Content-Type {headers.get('Content-Type')!r}"
    elif page.check == "xlsx":
        if not body.startswith("PK"):
            return "not an XLSX (zip) file"
    elif page.check == "pdf" and not body.startswith("%PDF"):
        return "not a PDF"
    return None


def measure(
    browser: Browser,
    user: str,
    page: Page,
    warmup: int,
    requests: int,
    *,
    target: bool,
    context: tuple[dt.date, str, dict[str, str]],
) -> Timing:
    """``warmup`` unrecorded requests, then ``requests`` recorded ones, each answer checked."""
    timing = Timing(user, page.kind, page.url, target)
    for i in range(warmup + requests):
        status, body, headers, ms = browser.request("GET", page.url)
        if status != 200:
            raise BenchError(f"{user}: {page.url} answered {status}: {body[:300]}")
        wrong = problem(page, body, headers, *context)
        if wrong:
            raise BenchError(f"{user}: {page.url} is not the page asked for: {wrong}")
        if i >= warmup:
            timing.ms.append(ms)
        length = headers.get("Content-Length")
        timing.bytes = int(length) if length else len(body.encode())
    return timing


def page_phase(
    args: argparse.Namespace, env: dict[str, str], database_url: str, month: dt.date
) -> dict[str, Any]:
    quarter = last_quarter_by(month)
    context = (month, quarter, region_names(database_url))
    port = free_port()
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="lapor-bench-recap-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        print(f"Starting gunicorn ({args.workers} sync workers) on 127.0.0.1:{port}", flush=True)
        try:
            forget_second_steps(database_url)
            with gunicorn(env, port, args.workers, log, "/dashboard/login/"):
                for user in USERS:
                    browser = Browser(port)
                    browser.login(user, demo_password())
                    todo = [(page, True) for page in pages(month, quarter)]
                    if user == EXPORT_USER and args.export_requests:
                        todo += [(page, False) for page in exports(month)]
                    for page, target in todo:
                        warmup, requests = (
                            (args.warmup, args.requests)
                            if target
                            else (EXPORT_WARMUP, args.export_requests)
                        )
                        timing = measure(
                            browser, user, page, warmup, requests, target=target, context=context
                        )
                        row = timing.summary()
                        print(
                            f"  {user:9} {page.kind:31} p50 {row['p50_ms']:7.1f}  "
                            f"p95 {row['p95_ms']:7.1f}  max {row['max_ms']:7.1f} ms",
                            flush=True,
                        )
                        timings.append(timing)
        except BenchError:
            if log.exists() and log.stat().st_size:
                print("gunicorn log (tail):\n" + log.read_text()[-3000:], file=sys.stderr)
            raise
    return {"quarter": quarter, "timings": [t.summary() for t in timings]}


# --- The run ---------------------------------------------------------------------------------


def took(run: dict[str, Any]) -> str:
    return "TIMED OUT" if run["timed_out"] else f"{run['build_s']:.1f} s"


def print_report(summary: dict[str, Any]) -> None:
    fill_info, facts, builds = summary["fill"], summary["database"], summary["build"]
    print(f"\n=== lapor recap benchmark ({summary['when']}, commit {summary['commit']}) ===")
    if fill_info["reused"]:
        print(
            f"Database reused: {fill_info['reports']} reports; migrate, VACUUM ANALYZE "
            f"{fill_info['vacuum_analyze_s']:.0f} s"
        )
    else:
        print(
            f"Generated {fill_info['reports']} reports in {fill_info['generate_s']:.0f} s; "
            f"VACUUM ANALYZE {fill_info['vacuum_analyze_s']:.0f} s"
        )
    rows = {t["table"]: t["rows"] for t in facts["tables"]}
    events = rows.get("complaints_complaintevent")
    print(
        f"Reports {fill_info['reports']}; events about {events if events is not None else '?'} "
        f"(planner estimate); database size {facts['pretty']}; largest tables (with indexes):"
    )
    for table in facts["tables"][:8]:
        print(
            f"  {table['table']:28} {table['rows']:>11} rows  {table['total']:>8} "
            f"(indexes {table['indexes']})"
        )

    print(
        f"\nBuilding {builds['month']} for all agencies (manage.py build_recap; its own figure, "
        f"and the wall time of the process with Django's start-up):"
    )
    for i, run in enumerate(builds["runs"], 1):
        print(f"  run {i}: {run['build_s']:6.1f} s  (wall {run['wall_s']:.1f} s)")
    met = builds["median_build_s"] < TARGET_BUILD_S
    print(
        f"  median {builds['median_build_s']:.1f} s (wall {builds['median_wall_s']:.1f} s), "
        f"{builds['runs'][-1]['rows']} rows: target < {TARGET_BUILD_S:.0f} s {verdict(met)}"
    )
    print(f"  nation: {builds['runs'][-1]['nation']}")
    steps = builds.get("steps")
    if isinstance(steps, dict) and "error" in steps:
        print(f"  step by step: failed:\n{steps['error']}")
    elif steps:
        parts = ", ".join(f"{step} {s:.1f} s" for step, s in steps["steps_s"].items())
        print(
            f"  step by step (in-process, {steps['total_s']:.1f} s): {parts}; "
            f"{steps['queries']} queries, {steps['queries_s']:.1f} s in the database"
        )
        for query in steps["slow_queries"]:
            used = ", ".join(dict.fromkeys(query.get("indexes", []))) or "no index"
            scans = f"; SEQ SCAN {', '.join(query['seq_scans'])}" if query.get("seq_scans") else ""
            plan = f": {used}{scans}" if "indexes" in query else ""
            sql = " ".join(query["sql"].split())[:100]
            print(f"    {query['s']:6.2f} s ({query['step']}) {sql}...{plan}")
    if builds["past_months"]:
        print("Earlier months, once each (informational: more of their reports changed since):")
        print("  " + ", ".join(f"{run['month']} {took(run)}" for run in builds["past_months"]))

    config = summary["config"]
    print(
        f"\ngunicorn {config['workers']} sync workers; one client, {config['requests']} requests "
        f"per page after {config['warmup']} warm-ups; ms from request to last byte; "
        f"quarter {summary['pages']['quarter']}"
    )
    print(f"{'user':9} {'page':31} {'p50':>7} {'p95':>7} {'max':>7} {'bytes':>8}  p95 < 100 ms")
    timings = summary["pages"]["timings"]
    for row in timings:
        mark = verdict(row["p95_ms"] < TARGET_P95_MS) if row["target"] else "(informational)"
        print(
            f"{row['user']:9} {row['kind']:31} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['max_ms']:7.1f} {row['bytes']:8}  {mark}"
        )
    targeted = [row for row in timings if row["target"]]
    worst = max(targeted, key=lambda r: r["p95_ms"])
    exported = [row for row in timings if not row["target"]]
    if exported:
        print(f"(exports: {exported[0]['requests']} requests after {EXPORT_WARMUP} warm-ups)")

    print("\nVerdicts:")
    print(
        f"  build {builds['month']}, median {builds['median_build_s']:.1f} s < "
        f"{TARGET_BUILD_S:.0f} s: {verdict(met)}"
    )
    print(
        f"  pages and API, worst p95 {worst['p95_ms']:.1f} ms ({worst['user']}, {worst['kind']}) "
        f"< {TARGET_P95_MS:.0f} ms: {verdict(worst['p95_ms'] < TARGET_P95_MS)}"
    )
    print(f"\nJSON: {summary['json_path']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_RECAP_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (default: $BENCH_RECAP_DATABASE_URL or %(default)s)",
    )
    parser.add_argument("--count", type=int, default=10_000_000, help="reports to generate")
    parser.add_argument("--seed", type=int, default=SEED, help="of generate_complaints")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the bench database if it already holds --count reports; keep it afterwards",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--fill-only", action="store_true", help="fill (or reuse) the database and stop"
    )
    parser.add_argument(
        "--month",
        type=parse_month,
        default=f"{last_ended_month():%Y-%m}",
        help="the month to build, YYYY-MM (default: the last ended in Asia/Jakarta, %(default)s)",
    )
    parser.add_argument("--build-runs", type=int, default=3, help="builds of the month timed")
    parser.add_argument(
        "--past-months", type=int, default=11, help="months before it built once each"
    )
    parser.add_argument(
        "--build-timeout", type=float, default=900.0, help="seconds one build may take"
    )
    parser.add_argument(
        "--no-steps",
        dest="steps",
        action="store_false",
        help="skip the in-process build step by step (and its EXPLAIN)",
    )
    parser.add_argument(
        "--no-explain",
        dest="explain",
        action="store_false",
        help="skip EXPLAIN ANALYZE of the build's slow queries",
    )
    parser.add_argument("--requests", type=int, default=200, help="recorded requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unrecorded requests per page")
    parser.add_argument(
        "--export-requests",
        type=int,
        default=20,
        help="recorded requests per export of the province page (0: none)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    if args.build_runs < 1 or args.requests < 1 or args.warmup < 0 or args.past_months < 0:
        parser.error("--build-runs and --requests must be at least 1; the others not negative")

    database_url = args.database_url
    where = urllib.parse.urlsplit(database_url)
    print(f"Preparing database {where.path.lstrip('/')} on {where.hostname}", flush=True)
    existing = report_count(database_url) if args.reuse else None
    if existing is None or existing < args.count:
        busy = other_sessions(database_url)
        if busy:
            raise BenchError(
                f"{where.path.lstrip('/')} would be dropped and filled anew, but {busy} other "
                "sessions use it (a generation still running?): not touching it"
            )
    env = bench_env(database_url, REDIS_URL)
    keep = args.keep or args.reuse or args.fill_only
    summary: dict[str, Any] = {
        "when": time.strftime("%Y%m%d-%H%M%S"),
        "commit": git_head(),
        "dirty_files": git_dirty_files(),
        "config": vars(args)
        | {
            "month": f"{args.month:%Y-%m}",
            "database_url": database_url,
            "cpus": os.cpu_count(),
            "target_build_s": TARGET_BUILD_S,
            "target_p95_ms": TARGET_P95_MS,
        },
    }
    try:
        flush_redis(REDIS_URL)
        manage(env, "collectstatic", "--noinput")  # DEBUG off: pages need the manifest
        summary["fill"] = fill(
            env,
            database_url,
            count=args.count,
            seed=args.seed,
            reuse=args.reuse,
            reuse_maintenance="VACUUM ANALYZE",
        )
        summary["database"] = database_facts(database_url)
        print(f"  database size {summary['database']['pretty']}", flush=True)
        if args.fill_only:
            return 0
        summary["build"] = build_phase(args, env, database_url, args.month)
        summary["recap_rows"] = recap_rows(database_url)
        summary["pages"] = page_phase(args, env, database_url, args.month)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out: {exc}") from exc
    finally:
        if not keep:
            recreate_database(database_url, drop_only=True)
        flush_redis(REDIS_URL)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / f"recap-{summary['when']}.json"
    summary["json_path"] = str(json_path.relative_to(ROOT))
    json_path.write_text(json.dumps(summary, indent=2, default=str))
    print_report(summary)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--steps-helper":
        steps_helper(sys.argv[2], sys.argv[3] == "1")
        sys.exit(0)
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
