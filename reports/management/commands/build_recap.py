"""Build (or rebuild) one month's recaps: ``manage.py build_recap --month 2026-10``."""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from lapor.lib.actions import ActionError
from reports.models import RecapBuild
from reports.selectors import parse_month
from reports.services import STEPS, build_monthly_recap


class Command(BaseCommand):
    help = (
        "Compute a month's recap for every agency, regency/city, province and the nation from "
        "the event log as of the end of the month, and replace that month's rows."
    )

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM, a month that has ended")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (none without a TTY)"
        )
        parser.add_argument(
            "--current-settings",
            action="store_true",
            help="count working days with today's calendar and make rows for today's agencies "
            "(default: a month built before keeps the calendar and agencies of its first build)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = parse_month(options["month"])
        except ActionError as error:
            raise CommandError(str(error)) from error
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = tqdm(total=len(STEPS), desc=f"{month:%Y-%m}", unit="step", disable=not show)
        started = time.monotonic()

        def progress(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update(1)

        try:
            rows = build_monthly_recap(
                month=month,
                now=timezone.now(),
                progress=progress,
                current_settings=options["current_settings"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        nation = next(r for r in rows if r.level == r.Level.NATION)
        build = RecapBuild.objects.get(month=month)
        if build.rebuilt_with_old_settings:
            first = timezone.localtime(build.settings_at)
            settings_used = (
                f"with the calendar and agencies of its first build ({first:%Y-%m-%d %H:%M})"
            )
        else:
            settings_used = "with today's calendar and agencies"
        self.stdout.write(
            f"{month:%Y-%m}: {len(rows)} rows in {time.monotonic() - started:.1f} s; "
            f"nation: {nation.received} received, {nation.first_answers} answered, "
            f"{nation.open} open at its end, {nation.overdue} overdue; {settings_used}"
        )
