"""Dashboard benchmark: how fast the staff dashboard answers with a million reports.

Fills a throwaway PostgreSQL database with the demo hierarchy and N synthetic reports
(``manage.py generate_complaints``), starts gunicorn (2 sync workers, DEBUG off) and, as one
client (latency, not throughput), logs in through the login form as an OPD officer and as a
province coordinator and requests their inbox (plain, filtered, searched, deeper pages) and
report pages they may see. Prints p50/p95/max per page and user against the target (p95 below
100 ms) and the plans of the queries each page runs (EXPLAIN ANALYZE: which indexes).

Every request goes to 127.0.0.1 only; every phase is bounded. See README.md.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    verdict,
)
from loads import percentile

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench_dashboard"
REDIS_URL = "redis://127.0.0.1:6379/12"
TARGET_P95_MS = 100.0
SEED = 20261130
SEARCH_WORD = "puskesmas"  # in the health texts of demo.words, so it occurs
# username, the category its filter uses, whether it has the subtree scope
USERS = (("dinkes.samarinda", "kesehatan", False), ("kaltim", "infrastruktur", True))
DEEP_PAGES = 20


# --- The database ----------------------------------------------------------------------------


def pick_reports(database_url: str, username: str, count: int) -> list[str]:
    """Tracking numbers of reports the user may open: for an OPD, those it holds; for a
    coordinator, those held anywhere in its subtree. A fixed sample, the same on every run."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT setseed(0.42)")
        rows = conn.execute(
            """WITH RECURSIVE me AS (
                   SELECT o.agency_id AS id FROM routing_officer o
                   JOIN auth_user u ON u.id = o.user_id WHERE u.username = %s),
               subtree AS (
                   SELECT id FROM me
                   UNION ALL SELECT a.id FROM routing_agency a JOIN subtree s ON a.parent_id = s.id)
               SELECT tracking_number FROM complaints_complaint
               WHERE current_agency_id IN (SELECT id FROM subtree)
               ORDER BY random() LIMIT %s""",
            (username, count),
        ).fetchall()
    return [row[0] for row in rows]


# --- The client ------------------------------------------------------------------------------


NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"|<a rel="next" href="([^"]+)"')


def next_link(page: str) -> str | None:
    found = NEXT_LINK.search(page)
    if found is None:
        return None
    return html.unescape(found[1] or found[2])


@dataclass
class Timing:
    user: str
    kind: str
    urls: int
    ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.ms)
        return {
            "user": self.user,
            "kind": self.kind,
            "requests": len(ordered),
            "distinct_urls": self.urls,
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
            "max_ms": ordered[-1],
            "mean_ms": sum(ordered) / len(ordered),
        }


def pages_of(
    browser: Browser, username: str, category: str, subtree: bool, reports: list[str]
) -> dict[str, list[str]]:
    """The URLs of each page kind for one user; the deeper pages are found by following the
    "next" links from the first page of the widest list."""
    kinds = {
        "inbox": ["/dashboard/"],
        "inbox ?status=IN_PROGRESS": ["/dashboard/?status=IN_PROGRESS"],
        "inbox ?overdue=1": ["/dashboard/?overdue=1"],
        f"inbox ?q={SEARCH_WORD}": [f"/dashboard/?q={SEARCH_WORD}"],
        f"inbox ?category={category}": [f"/dashboard/?category={category}"],
    }
    if subtree:
        kinds["inbox ?scope=subtree"] = ["/dashboard/?scope=subtree"]
        # The costliest list: a search over every open report below the coordinator.
        kinds[f"inbox ?scope=subtree&q={SEARCH_WORD}"] = [
            f"/dashboard/?scope=subtree&q={SEARCH_WORD}"
        ]
    deeper: list[str] = []
    url: str | None = "/dashboard/?scope=subtree" if subtree else "/dashboard/"
    while url is not None and len(deeper) < DEEP_PAGES:
        status, page, _ms = browser.get(url)
        if status != 200:
            raise BenchError(f"{username}: {url} answered {status}")
        found = next_link(page)
        # The links are relative ("?after=..."): resolved against the page they are on.
        url = urllib.parse.urljoin(url, found) if found is not None else None
        if url is not None:
            deeper.append(url)
    if deeper:
        kinds["inbox, next pages 2.." + str(len(deeper) + 1)] = deeper
    kinds["report page"] = [f"/dashboard/complaints/{number}/" for number in reports]
    return kinds


def measure(
    browser: Browser, username: str, kind: str, urls: list[str], args: argparse.Namespace
) -> Timing:
    """``args.warmup`` unrecorded requests, then ``args.requests`` recorded ones, cycling over
    the URLs (a report page: a different report each time)."""
    timing = Timing(username, kind, len(urls))
    for i in range(args.warmup + args.requests):
        url = urls[i % len(urls)]
        status, page, ms = browser.get(url)
        if status != 200:
            raise BenchError(f"{username}: {url} answered {status}: {page[:300]}")
        if kind.startswith("inbox") and 'class="pager"' not in page:
            raise BenchError(f"{username}: {url} is not an inbox page")
        if kind == "report page" and url.split("/")[-2] not in page:
            raise BenchError(f"{username}: {url} does not show its report")
        if i >= args.warmup:
            timing.ms.append(ms)
    return timing


# --- EXPLAIN: what each page asks the database -----------------------------------------------


def explain_pages(env: dict[str, str], pages: dict[str, dict[str, str]], workdir: Path) -> Any:
    """Run this file as a Django helper: each page through the test client, its queries
    captured and explained (ANALYZE) on the bench database. Bounded to 10 minutes."""
    spec = workdir / "pages.json"
    spec.write_text(json.dumps(pages))
    done = subprocess.run(
        [str(PYTHON), __file__, "--explain-helper", str(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout)


def explain_helper(spec_path: str) -> None:
    """In a Django process: for each user and page, the SELECTs the page runs, each with its
    execution time and the indexes and sequential scans of its plan. Prints JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    # The plans of the pages, not the sign-in: this process's test client skips the second step.
    os.environ["LAPOR_2FA"] = "0"
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out: dict[str, Any] = {}
    for username, pages in json.loads(Path(spec_path).read_text()).items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(
            User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
        )
        for kind, url in pages.items():
            with CaptureQueriesContext(connection) as captured:
                status = client.get(url).status_code
            queries = []
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                    plan = cursor.fetchone()[0][0]
                queries.append({"sql": sql, **plan_summary(plan)})
            queries.sort(key=lambda q: -q["execution_ms"])
            out.setdefault(username, {})[kind] = {"url": url, "status": status, "queries": queries}
    print(json.dumps(out))


# --- The run ---------------------------------------------------------------------------------


def bench(args: argparse.Namespace, env: dict[str, str], database_url: str) -> dict[str, Any]:
    port = free_port()
    timings: list[Timing] = []
    explained_pages: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="lapor-bench-dashboard-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        print(f"Starting gunicorn ({args.workers} sync workers) on 127.0.0.1:{port}", flush=True)
        try:
            forget_second_steps(database_url)
            with gunicorn(env, port, args.workers, log, "/dashboard/login/"):
                for username, category, subtree in USERS:
                    reports = pick_reports(database_url, username, args.warmup + args.requests)
                    if not reports:
                        raise BenchError(f"{username} can see no report: is the database filled?")
                    browser = Browser(port)
                    browser.login(username, demo_password())
                    kinds = pages_of(browser, username, category, subtree, reports)
                    explained_pages[username] = {kind: urls[0] for kind, urls in kinds.items()}
                    for kind, urls in kinds.items():
                        timing = measure(browser, username, kind, urls, args)
                        row = timing.summary()
                        print(
                            f"  {username:17} {kind:38} p50 {row['p50_ms']:6.1f}  "
                            f"p95 {row['p95_ms']:6.1f}  max {row['max_ms']:6.1f} ms",
                            flush=True,
                        )
                        timings.append(timing)
        except BenchError:
            if log.exists() and log.stat().st_size:
                print("gunicorn log (tail):\n" + log.read_text()[-3000:], file=sys.stderr)
            raise
        explained = explain_pages(env, explained_pages, Path(tmp)) if args.explain else None
    return {"timings": [t.summary() for t in timings], "explain": explained}


def print_report(summary: dict[str, Any]) -> None:
    fill_info, facts = summary["fill"], summary["database"]
    print(f"\n=== lapor dashboard benchmark ({summary['when']}, commit {summary['commit']}) ===")
    if fill_info["reused"]:
        print(f"Database reused: {fill_info['reports']} reports")
    else:
        print(
            f"Generated {fill_info['reports']} reports in {fill_info['generate_s']:.0f} s; "
            f"VACUUM ANALYZE {fill_info['vacuum_analyze_s']:.0f} s"
        )
    print(f"Database size {facts['pretty']}; largest tables (with their indexes):")
    for table in facts["tables"][:6]:
        print(
            f"  {table['table']:28} {table['rows']:>10} rows  {table['total']:>8} "
            f"(indexes {table['indexes']})"
        )
    config = summary["config"]
    print(
        f"\ngunicorn {config['workers']} sync workers; one client, {config['requests']} requests "
        f"per page after {config['warmup']} warm-ups; ms from request to last byte"
    )
    print(f"{'user':17} {'page':38} {'p50':>7} {'p95':>7} {'max':>7}  p95 < {TARGET_P95_MS:.0f} ms")
    for row in summary["timings"]:
        print(
            f"{row['user']:17} {row['kind']:38} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} "
            f"{row['max_ms']:7.1f}  {verdict(row['p95_ms'] < TARGET_P95_MS)}"
        )
    worst = max(summary["timings"], key=lambda r: r["p95_ms"])
    print(
        f"Worst p95: {worst['p95_ms']:.1f} ms ({worst['user']}, {worst['kind']}): "
        f"{verdict(worst['p95_ms'] < TARGET_P95_MS)}"
    )
    explained = summary.get("explain")
    if isinstance(explained, dict) and "error" in explained:
        print(f"\nEXPLAIN failed:\n{explained['error']}")
    elif explained:
        print("\nQueries over 1 ms per page (EXPLAIN ANALYZE, execution ms: indexes; seq scans):")
        for username, pages in explained.items():
            for kind, page in pages.items():
                for query in page["queries"]:
                    if query["execution_ms"] < 1:
                        continue
                    used = ", ".join(dict.fromkeys(query["indexes"])) or "no index"
                    scans = (
                        f"; SEQ SCAN {', '.join(query['seq_scans'])}" if query["seq_scans"] else ""
                    )
                    print(f"  {username:17} {kind:38} {query['execution_ms']:7.1f}: {used}{scans}")
    print(f"\nJSON: {summary['json_path']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="reports to generate")
    parser.add_argument("--seed", type=int, default=SEED, help="of generate_complaints")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the bench database if it already holds --count reports; keep it afterwards",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--requests", type=int, default=200, help="recorded requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unrecorded requests per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--no-explain", dest="explain", action="store_false", help="skip EXPLAIN ANALYZE"
    )
    parser.add_argument(
        "--fill-only", action="store_true", help="fill (or reuse) the database and stop"
    )
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DASHBOARD_DATABASE_URL", DEFAULT_DATABASE_URL)
    where = urllib.parse.urlsplit(database_url)
    print(f"Preparing database {where.path.lstrip('/')} on {where.hostname}", flush=True)
    env = bench_env(database_url, REDIS_URL)
    keep = args.keep or args.reuse or args.fill_only
    summary: dict[str, Any] = {
        "when": time.strftime("%Y%m%d-%H%M%S"),
        "commit": git_head(),
        "dirty_files": git_dirty_files(),
        "config": vars(args) | {"cpus": os.cpu_count(), "target_p95_ms": TARGET_P95_MS},
    }
    try:
        flush_redis(REDIS_URL)
        manage(env, "collectstatic", "--noinput")  # DEBUG off: pages need the manifest
        summary["fill"] = fill(
            env, database_url, count=args.count, seed=args.seed, reuse=args.reuse
        )
        summary["database"] = database_facts(database_url)
        print(f"  database size {summary['database']['pretty']}", flush=True)
        if args.fill_only:
            return 0
        summary |= bench(args, env, database_url)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out: {exc}") from exc
    finally:
        if not keep:
            recreate_database(database_url, drop_only=True)
        flush_redis(REDIS_URL)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / f"dashboard-{summary['when']}.json"
    summary["json_path"] = str(json_path.relative_to(ROOT))
    json_path.write_text(json.dumps(summary, indent=2, default=str))
    print_report(summary)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--explain-helper":
        explain_helper(sys.argv[2])
        sys.exit(0)
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
