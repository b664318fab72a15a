"""Where a routing step's time goes, without Celery: ``route_step`` called in this process.

Run after ``run.py --keep`` (it uses the kept bench database):

    .venv/bin/python bench/routing/profile_step.py [--reports 300]

Files reports as ``make_reports.py`` does (nothing published), then takes their three steps here,
every report's first step, then every second step, then every third, as the queue would, with
the publications of the next step and of the OPD e-mail switched off. Prints the SQL of one
report's three steps; the time a step takes as the code is, and with the hierarchy lookups
(national coordinator, coordinators, rules, parents) answered from memory, as a what-if; and a
cProfile table.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))  # the project

ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lapor_bench_routing",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "SECRET_KEY": "profile-step-only",
    "DEBUG": "0",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "lapor.settings",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=300, help="reports per measurement")
    parser.add_argument("--top", type=int, default=30, help="rows of the cProfile table")
    args = parser.parse_args()
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from complaints import dispatch
    from complaints.models import Message
    from complaints.services import submit_complaint
    from lapor import queue as background
    from routing import selectors
    from routing.models import Category, Region

    def off(*_args: object, **_kwargs: object) -> bool:
        return False

    # Nothing is published: the steps are taken here, one after the other.
    background.publish = off  # type: ignore[assignment]  # patched for the bench
    category = Category.objects.get(code="kesehatan")
    region = Region.objects.get(code="64.72.01")

    def file_reports(count: int) -> list[int]:
        ids = [
            submit_complaint(
                kind="COMPLAINT",
                title="Antrean obat di Puskesmas Palaran lebih dari tiga jam",
                description="Antrean pengambilan obat selalu lebih dari tiga jam, satu loket.",
                category=category,
                region=region,
                incident_date=timezone.localdate(),
                is_anonymous=False,
                is_confidential=False,
                now=timezone.now(),
            ).complaint.pk
            for _ in range(count)
        ]
        Message.objects.filter(complaint_id__in=ids).delete()
        return ids

    def route_all(ids: list[int]) -> float:
        started = time.perf_counter()
        for step in range(3):
            for complaint_id in ids:
                dispatch.route_step(complaint_id=complaint_id, step=step, now=timezone.now())
        return time.perf_counter() - started

    def report(label: str, seconds: float) -> None:
        steps = 3 * args.reports
        print(
            f"{label:58} {seconds / steps * 1000:5.2f} ms a step, "
            f"{args.reports / seconds:4.0f} reports/s in one process"
        )

    one = file_reports(1)
    with CaptureQueriesContext(connection) as queries:
        route_all(one)
    print(f"SQL of one report's three steps ({len(queries)} statements):")
    for query in queries:
        print("  " + re.sub(r"\s+", " ", query["sql"])[:140])
    print()

    report("as the code is (no Celery, connection kept)", route_all(file_reports(args.reports)))

    plain: dict[str, Any] = {
        name: getattr(selectors, name)
        for name in ("get_national_coordinator", "get_coordinator", "get_rule", "is_in_subtree")
    }
    parents = dict(selectors.Agency.objects.values_list("pk", "parent_id"))

    def in_subtree(agency: Any, root: Any) -> bool:
        node = agency.pk
        while node is not None and node != root.pk:
            node = parents.get(node)
        return node is not None

    selectors.get_national_coordinator = functools.cache(plain["get_national_coordinator"])
    selectors.get_coordinator = functools.cache(plain["get_coordinator"])
    selectors.get_rule = functools.cache(plain["get_rule"])
    selectors.is_in_subtree = in_subtree
    seconds = route_all(file_reports(args.reports))
    for name, function in plain.items():
        setattr(selectors, name, function)
    report("what-if: hierarchy lookups answered from memory", seconds)

    ids = file_reports(args.reports)
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = route_all(ids)
    profiler.disable()
    report("as the code is, under cProfile", seconds)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
