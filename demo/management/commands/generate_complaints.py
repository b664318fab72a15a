"""Fill the database with synthetic reports over the demo hierarchy (``demo.synthetic``)."""

from __future__ import annotations

import secrets
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from demo.synthetic import SyntheticDataError, generate_complaints


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Append N synthetic reports, walked through the demo hierarchy by the workflow's "
        "transitions, submitted over the last two years. Needs `load_regions` and `seed_demo`."
    )

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument("--count", type=_positive, required=True, help="reports to write")
        parser.add_argument(
            "--seed", type=int, help="for the same reports again (default: a random one, printed)"
        )
        parser.add_argument(
            "--batch-size", type=_positive, default=5000, help="reports per transaction"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (none without a TTY)"
        )

    def handle(self, *args: object, **options: Any) -> None:
        count: int = options["count"]
        seed: int = options["seed"] if options["seed"] is not None else secrets.randbits(48)
        started = time.monotonic()
        with tqdm(
            total=count,
            unit="report",
            unit_scale=True,
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        ) as bar:
            try:
                result = generate_complaints(
                    count=count,
                    seed=seed,
                    now=timezone.now(),
                    batch_size=options["batch_size"],
                    progress=bar.update,
                )
            except SyntheticDataError as exc:
                raise CommandError(exc.message) from exc
        seconds = time.monotonic() - started
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items()))
        rows = ", ".join(f"{n} {table}" for table, n in result.rows.items())
        self.stdout.write(
            f"{result.count} reports (seed {result.seed}) in {seconds:.1f} s: {statuses}.\n"
            f"Rows: {rows}."
        )
