"""``manage.py load_agencies FILE.csv [--rules RULES.csv]``: the agency hierarchy in bulk."""

from __future__ import annotations

import csv
from argparse import ArgumentParser
from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from routing.hierarchy import (
    AGENCY_COLUMNS,
    RULE_COLUMNS,
    HierarchyError,
    load_agencies,
    load_rules,
)

Loader = Callable[[Iterable[dict[str, str]]], dict[str, int]]


class Command(BaseCommand):
    help = (
        f"Load agencies from a CSV file with the columns {','.join(AGENCY_COLUMNS)} "
        "(region: a Kemendagri code or empty; parent: the code of the agency above, or empty; "
        "active: yes/no, default yes), and optionally routing rules from a second CSV file with "
        f"the columns {','.join(RULE_COLUMNS)}. Rows are upserted by code (rules by category, "
        "level and region), so a second run changes nothing; a file with any bad row writes "
        "nothing. Comma or semicolon separated, UTF-8. Example: docs/agencies-example.csv; the "
        "columns are described in routing/hierarchy.py."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="agencies CSV file")
        parser.add_argument("--rules", type=Path, help="routing rules CSV file")

    def handle(self, *args: object, **options: object) -> None:
        agencies_path = options["file"]
        rules_path = options["rules"]
        assert isinstance(agencies_path, Path)
        # Agencies and rules together or not at all: rules name the agencies of the same run.
        with transaction.atomic():
            counts = self._load(load_agencies, agencies_path)
            self.stdout.write(
                _("Agencies: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % counts
            )
            if isinstance(rules_path, Path):
                counts = self._load(load_rules, rules_path)
                self.stdout.write(
                    _("Rules: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                    % counts
                )

    def _load(self, loader: Loader, path: Path) -> dict[str, int]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as file:
                header = file.readline()
                file.seek(0)
                # Spreadsheets set to Indonesian separate cells with semicolons.
                delimiter = ";" if header.count(";") > header.count(",") else ","
                return loader(csv.DictReader(file, delimiter=delimiter))
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(
                _("%(path)s is not a UTF-8 CSV file: %(error)s") % {"path": path, "error": exc}
            ) from exc
        except HierarchyError as exc:
            lines = (
                "\n".join(f"{path}:{line}: {text}" for line, text in exc.errors)
                or f"{path}: {exc.message}"
            )
            raise CommandError(_("Nothing was loaded.") + "\n" + lines) from exc
