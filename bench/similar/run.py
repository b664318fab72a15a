"""Similar-report benchmark: how fast the suggestions answer (``complaints.similar`` and
``GET /api/v1/complaints/similar/``) when the database holds a million reports.

Builds a throwaway PostgreSQL database with every region of Indonesia and N reports written
straight into the table by COPY (Indonesian titles and texts from ``demo.words``, spread over the
514 regencies/cities, the categories, three years and the statuses as described in README.md),
then, one query at a time (latency, not throughput):

* calls ``similar_reports`` in this process for many random queries (a title like the reports of
  a random regency/city and category, half of them with a pin), and as many for the busiest
  regency/city and category;
* asks the API through gunicorn (2 sync workers, DEBUG off) for random queries;
* explains the busiest query (EXPLAIN ANALYZE: which index).

Prints p50/p95/p99/max in milliseconds against the target (p95 < 100 ms). Everything goes to
127.0.0.1 only; every phase is bounded. See README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "intake"))  # loads.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # common.py

from common import (
    RESULTS_DIR,
    ROOT,
    BenchError,
    bench_env,
    create_indexes,
    database_facts,
    drop_secondary_indexes,
    flush_redis,
    free_port,
    git_dirty_files,
    git_head,
    gunicorn,
    plan_summary,
    recreate_database,
    report_count,
    timed_sql,
    verdict,
)
from loads import percentile

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench_similar"
REDIS_URL = "redis://127.0.0.1:6379/15"
TARGET_P95_MS = 100.0
SEED = 20261207
YEARS = 3
# Regencies/cities get reports by a Zipf law over a fixed shuffle of them (rank ** -ZIPF): the
# busiest has about 5 % of all reports, the median one about 0.1 %.
ZIPF = 0.7
# Where the report is placed inside its regency/city.
REGION_LEVEL_WEIGHTS = ((2, 10), (3, 60), (4, 30))  # the regency itself, a district, a village
P_POINT = 0.4
P_ANONYMOUS = 0.3
P_CONFIDENTIAL = 0.05
P_DUPLICATE = 0.02
# Statuses by age: most recent reports are still open, most old ones are closed.
OPEN_STATUSES = (
    ("SUBMITTED", 2),
    ("AWAITING_VERIFICATION", 8),
    ("DISPOSED", 35),
    ("IN_PROGRESS", 35),
    ("RESPONDED", 20),
)
P_OPEN_RECENT = 0.6  # submitted in the last 90 days
P_OPEN_OLD = 0.05
P_ARCHIVED_OF_CLOSED = 0.08

COLUMNS = (
    "id",
    "tracking_number",
    "access_key_hash",
    "kind",
    "title",
    "description",
    "category_id",
    "region_id",
    "incident_date",
    "is_anonymous",
    "is_confidential",
    "address",
    "latitude",
    "longitude",
    "needs_inspection",
    "deadline_extended",
    "status",
    "language",
    "submitted_at",
    "due_at",
    "routing_step",
    "moved_at",
    "version",
    "channel",
    "duplicate_of_id",
    "support_count",
)


def django_setup(database_url: str) -> None:
    """Django in this process, on the bench database, with production settings."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "lapor.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING",
            "SECURE_COOKIES": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the reports -----------------------------------------------------------------------------


@dataclass
class Regency:
    code: str
    name: str
    weight: float
    centre: tuple[float, float]
    # (code, name) of the district and village places inside it, by level.
    places: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class World:
    regencies: list[Regency]
    categories: list[tuple[int, str]]  # (id, code)
    category_weights: list[float]

    def __post_init__(self) -> None:
        self.regency_cum = _cumulative([r.weight for r in self.regencies])
        self.category_cum = _cumulative(self.category_weights)

    def regency(self, rng: random.Random) -> Regency:
        return self.regencies[_pick(self.regency_cum, rng)]

    def category(self, rng: random.Random) -> tuple[int, str]:
        return self.categories[_pick(self.category_cum, rng)]

    @property
    def busiest_regency(self) -> Regency:
        return max(self.regencies, key=lambda r: r.weight)

    @property
    def busiest_category(self) -> tuple[int, str]:
        weights = dict(zip(self.categories, self.category_weights, strict=True))
        return max(self.categories, key=weights.__getitem__)


def _pick(cumulative: list[float], rng: random.Random) -> int:
    import bisect

    return min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def build_world(seed: int) -> World:
    """Regencies/cities with their weight, an invented centre (a fixed point of Indonesia's
    extent; the bench needs points close together inside one regency, not true ones) and their
    districts and villages; the categories with the demo generator's weights."""
    from demo.synthetic import CATEGORY_WEIGHTS
    from routing.models import Category, Region

    rng = random.Random(seed)
    regencies = list(Region.objects.filter(level=2).order_by("code").values_list("code", "name"))
    if not regencies:
        raise BenchError("no regions: load_regions did not run")
    rng.shuffle(regencies)
    world = [
        Regency(
            code,
            name,
            (rank + 1) ** -ZIPF,
            (rng.uniform(-10.0, 5.0), rng.uniform(95.5, 140.5)),
        )
        for rank, (code, name) in enumerate(regencies)
    ]
    by_code = {r.code: r for r in world}
    for code, name, level in Region.objects.filter(level__gte=3).values_list(
        "code", "name", "level"
    ):
        regency = by_code.get(code[:5])
        if regency is not None:
            regency.places.setdefault(level, []).append((code, name))
    categories = list(Category.objects.filter(is_active=True).values_list("id", "code"))
    return World(
        regencies=world,
        categories=categories,
        category_weights=[float(CATEGORY_WEIGHTS.get(code, 5)) for _, code in categories],
    )


def place_in(regency: Regency, rng: random.Random) -> tuple[str, str]:
    """(region code, name of the area) of a report in ``regency``."""
    levels, weights = zip(*REGION_LEVEL_WEIGHTS, strict=True)
    level = rng.choices(levels, weights)[0]
    options = regency.places.get(level) or regency.places.get(3) or []
    if level == 2 or not options:
        return regency.code, regency.name
    return rng.choice(options)


def point_near(regency: Regency, rng: random.Random) -> tuple[float, float]:
    """A point within about 10 km of the regency's centre."""
    return (
        round(regency.centre[0] + rng.gauss(0, 0.05), 6),
        round(regency.centre[1] + rng.gauss(0, 0.05), 6),
    )


def tracking_number(rng: random.Random) -> str:
    from lapor.lib.tracking import ALPHABET, format_tracking_number

    return format_tracking_number("".join(rng.choice(ALPHABET) for _ in range(12)))


def rows(world: World, count: int, seed: int, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """``count`` report rows in id order, over the ``YEARS`` before ``now``, more in recent
    months (the portal grows)."""
    from demo.synthetic import KIND_WEIGHTS
    from demo.words import Place, report_texts
    from lapor.lib.tracking import hash_access_key

    rng = random.Random(seed)
    kinds, kind_weights = zip(*KIND_WEIGHTS, strict=True)
    statuses, status_weights = zip(*OPEN_STATUSES, strict=True)
    key_hash = hash_access_key("bench")
    span = YEARS * 365 * 86400
    ages = sorted((span * (1 - math.sqrt(rng.random())) for _ in range(count)), reverse=True)
    recent_ids: list[int] = []
    seen: set[str] = set()
    for pk, age in enumerate(ages, start=1):
        submitted = now - dt.timedelta(seconds=age)
        regency = world.regency(rng)
        category_id, category_code = world.category(rng)
        code, area = place_in(regency, rng)
        kind = rng.choices(kinds, kind_weights)[0]
        title, description = report_texts(rng, kind, category_code, Place(code, area, regency.code))
        recent = age < 90 * 86400
        if rng.random() < (P_OPEN_RECENT if recent else P_OPEN_OLD):
            status = rng.choices(statuses, status_weights)[0]
        else:
            status = "ARCHIVED" if rng.random() < P_ARCHIVED_OF_CLOSED else "COMPLETED"
        point = point_near(regency, rng) if rng.random() < P_POINT else (None, None)
        duplicate_of = None
        if recent_ids and rng.random() < P_DUPLICATE:
            duplicate_of = rng.choice(recent_ids[-1000:])
        recent_ids.append(pk)
        number = tracking_number(rng)
        while number in seen:
            number = tracking_number(rng)
        seen.add(number)
        yield (
            pk,
            number,
            key_hash,
            kind,
            title,
            description,
            category_id,
            code,
            submitted.date(),
            rng.random() < P_ANONYMOUS,
            rng.random() < P_CONFIDENTIAL,
            "",
            point[0],
            point[1],
            False,
            False,
            status,
            "id",
            submitted,
            submitted + dt.timedelta(days=14) if status != "COMPLETED" else None,
            3,
            submitted,
            5,
            "WEB",
            duplicate_of,
            int(rng.paretovariate(2.5)) - 1,
        )


def fill(
    database_url: str, world: World, count: int, seed: int, now: dt.datetime
) -> dict[str, Any]:
    """COPY ``count`` reports into the table, the secondary indexes dropped before and built
    after, then VACUUM ANALYZE."""
    started = time.monotonic()
    indexes = drop_secondary_indexes(database_url)
    copy_sql = f"COPY complaints_complaint ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(database_url) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers per row
        with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[arg-type]
            for i, row in enumerate(rows(world, count, seed, now), start=1):
                copy.write_row(row)
                if i % 100_000 == 0:
                    print(
                        f"  {i:,} reports written ({time.monotonic() - started:.0f} s)", flush=True
                    )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('complaints_complaint', 'id'), "
            "(SELECT max(id) FROM complaints_complaint))"
        )
    written = time.monotonic() - started
    indexing = create_indexes(database_url, indexes)
    vacuum = timed_sql(database_url, "VACUUM ANALYZE")
    print(
        f"  {count:,} reports written in {written:.0f} s; {len(indexes)} indexes built in "
        f"{indexing:.0f} s; VACUUM ANALYZE in {vacuum:.0f} s",
        flush=True,
    )
    return {"write_s": written, "indexes_s": indexing, "vacuum_analyze_s": vacuum}


# --- the queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    text: str
    regency: str
    region: str  # what the form sends: the regency, or a district inside it
    category_id: int
    category_code: str
    point: tuple[float, float] | None


def queries(world: World, count: int, seed: int, *, busiest: bool = False) -> list[Query]:
    """Titles a citizen might type, for regencies/cities and categories drawn as the reports
    are (or all in the busiest regency/city and category), half with a pin."""
    from demo.words import Place, report_texts

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        regency = world.busiest_regency if busiest else world.regency(rng)
        category_id, category_code = world.busiest_category if busiest else world.category(rng)
        code, area = place_in(regency, rng)
        title, _text = report_texts(
            rng, "COMPLAINT", category_code, Place(code, area, regency.code)
        )
        point = point_near(regency, rng) if rng.random() < 0.5 else None
        region = code if code.count(".") <= 2 else code.rsplit(".", 1)[0]
        out.append(Query(title, regency.code, region, category_id, category_code, point))
    return out


@dataclass
class Timing:
    name: str
    ms: list[float] = field(default_factory=list)
    found: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.ms)
        return {
            "name": self.name,
            "requests": len(ordered),
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
            "p99_ms": percentile(ordered, 99),
            "max_ms": ordered[-1],
            "mean_ms": sum(ordered) / len(ordered),
            "mean_found": sum(self.found) / len(self.found) if self.found else 0,
            "share_with_suggestions": sum(1 for n in self.found if n) / len(self.found)
            if self.found
            else 0,
        }


def time_selector(name: str, sample: list[Query], warmup: int) -> Timing:
    from django.utils import timezone

    from complaints import similar
    from routing.models import Category

    categories = {c.pk: c for c in Category.objects.all()}
    timing = Timing(name)
    for i, query in enumerate(sample[:warmup] + sample):
        started = time.perf_counter()
        found = similar.similar_reports(
            text=query.text,
            regency_code=query.regency,
            category=categories[query.category_id],
            point=query.point,
            now=timezone.now(),
        )
        elapsed = (time.perf_counter() - started) * 1000
        if i >= warmup:
            timing.ms.append(elapsed)
            timing.found.append(len(found))
    return timing


def time_api(port: int, sample: list[Query], warmup: int) -> Timing:
    timing = Timing("API through gunicorn")
    for i, query in enumerate(sample[:warmup] + sample):
        params = {"q": query.text[:200], "region": query.region, "category": query.category_code}
        if query.point is not None:
            params.update(lat=str(query.point[0]), long=str(query.point[1]))
        path = "/api/v1/complaints/similar/?" + urllib.parse.urlencode(params)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        if response.status != 200:
            raise BenchError(f"{path} answered {response.status}: {body[:300]!r}")
        if i >= warmup:
            timing.ms.append(elapsed)
            timing.found.append(len(json.loads(body)["results"]))
    return timing


def explain(query: Query) -> dict[str, Any]:
    """The plan of the candidates' query for ``query`` (EXPLAIN ANALYZE, BUFFERS)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from complaints import similar
    from routing.models import Category

    with CaptureQueriesContext(connection) as captured:
        similar.similar_reports(
            text=query.text,
            regency_code=query.regency,
            category=Category.objects.get(pk=query.category_id),
            point=query.point,
            now=timezone.now(),
        )
    sql = next(q["sql"] for q in captured.captured_queries if "ts_rank" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0][0]
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
    return {"summary": plan_summary(plan), "text": text, "query": query.text}


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000, help="selector queries per set")
    parser.add_argument("--api-requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reuse", action="store_true", help="keep a database that has N reports")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_SIMILAR_DATABASE_URL", DEFAULT_DATABASE_URL)
    existing = report_count(database_url) if args.reuse else None
    reuse = existing is not None and existing >= args.reports
    if not reuse:
        print(f"creating {urllib.parse.urlsplit(database_url).path.lstrip('/')}", flush=True)
        recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command
    from django.utils import timezone

    results: dict[str, Any] = {
        "commit": git_head(),
        "dirty_files": git_dirty_files(),
        "reports_asked": args.reports,
        "target_p95_ms": TARGET_P95_MS,
    }
    call_command("migrate", "--noinput", verbosity=0)
    # gunicorn's WhiteNoise serves staticfiles/ (gitignored), as the other benches build it.
    call_command("collectstatic", "--noinput", verbosity=0)
    try:
        if not reuse:
            started = time.monotonic()
            call_command("load_regions", verbosity=0)
            print(f"  regions loaded in {time.monotonic() - started:.0f} s", flush=True)
        world = build_world(args.seed)
        if reuse:
            print(f"  reusing the database: {existing:,} reports", flush=True)
            results["fill"] = {"reused": True, "analyze_s": timed_sql(database_url, "ANALYZE")}
        else:
            results["fill"] = fill(database_url, world, args.reports, args.seed, timezone.now())
        results["reports"] = report_count(database_url)
        results["database"] = database_facts(database_url)
        results["candidates_in_busiest"] = busiest_range(world)
        print(
            f"  {results['reports']:,} reports, database {results['database']['pretty']}; the "
            f"busiest regency/category holds {results['candidates_in_busiest']:,} open public "
            "reports of the last 90 days",
            flush=True,
        )

        mixed = queries(world, args.queries, args.seed + 1)
        busiest = queries(world, args.queries, args.seed + 2, busiest=True)
        timings = [
            time_selector("selector, random regency and category", mixed, args.warmup),
            time_selector("selector, busiest regency and category", busiest, args.warmup),
        ]
        env = bench_env(database_url, REDIS_URL)
        port = free_port()
        with (
            tempfile.TemporaryDirectory() as workdir,
            gunicorn(
                env,
                port,
                args.workers,
                Path(workdir) / "gunicorn.log",
                probe_path="/api/v1/categories/",
            ),
        ):
            api_sample = queries(world, args.api_requests, args.seed + 3)
            timings.append(time_api(port, api_sample, args.warmup))
        results["timings"] = [t.summary() for t in timings]
        results["plan_busiest"] = explain(busiest[0])
    finally:
        flush_redis(REDIS_URL)
        if not (args.keep or args.reuse):
            from django.db import connections

            connections.close_all()
            recreate_database(database_url, drop_only=True)

    print()
    print(f"{'set':<42} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  target p95 < 100 ms")
    worst = 0.0
    for row in results["timings"]:
        worst = max(worst, row["p95_ms"])
        print(
            f"{row['name']:<42} {row['requests']:>6} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['max_ms']:>7.1f}  {verdict(row['p95_ms'] < TARGET_P95_MS)}"
            f"  (suggestions for {row['share_with_suggestions']:.0%}, {row['mean_found']:.1f} on "
            "average)"
        )
    summary = results["plan_busiest"]["summary"]
    print(
        f"\nbusiest query's plan: {summary['top']}, {', '.join(summary['indexes']) or 'no index'}"
        f"{', sequential: ' + ', '.join(summary['seq_scans']) if summary['seq_scans'] else ''}; "
        f"{summary['execution_ms']:.1f} ms in PostgreSQL"
    )
    results["worst_p95_ms"] = worst
    results["met"] = worst < TARGET_P95_MS
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"similar-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"worst p95 {worst:.1f} ms: target {verdict(worst < TARGET_P95_MS)}; details in {out}")


def busiest_range(world: World) -> int:
    """How many reports the busiest regency/city and category hold in the suggestions' range
    (open, public, nobody's duplicate, of the last ``LAPOR_SIMILAR_DAYS`` days)."""
    from django.utils import timezone

    from complaints import similar
    from complaints.models import Complaint

    return similar._in_range(
        Complaint.objects.public(),
        world.busiest_regency.code,
        world.busiest_category[0],
        since=timezone.now() - dt.timedelta(days=similar.similar_days()),
    ).count()


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"bench failed: {error}")
