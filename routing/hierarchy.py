"""The agency hierarchy and its routing rules in bulk: CSV rows in, upserted rows out (the demo
hierarchy of ``make run`` is loaded through these too: ``demo.hierarchy``).

Agencies (``manage.py load_agencies FILE.csv``), one agency per row, header first:

    code,name,level,region,parent,email,active

- ``code``: the agency's unique slug (letters, digits, ``-``, ``_``); rows are upserted by it.
- ``name``: its full name, e.g. ``Dinas Kesehatan Kota Samarinda``.
- ``level``: ``NATIONAL``, ``PROVINCE`` (a province's coordinator), ``REGENCY`` (a regency's or
  city's coordinator) or ``OPD`` (an agency that answers reports).
- ``region``: a Kemendagri code or empty. NATIONAL: empty. PROVINCE: a province (``64``).
  REGENCY: a regency/city (``64.72``). OPD: empty, or its coordinator's region or a region in it.
- ``parent``: the code of the agency above it. NATIONAL: empty. PROVINCE: the national
  coordinator. REGENCY: the coordinator of its province. OPD: a PROVINCE or REGENCY coordinator.
  A parent may come later in the file, or already be in the database.
- ``email``: the agency's shared address for notifications, or empty.
- ``active``: ``yes``/``no`` (also ``ya``/``tidak``, ``true``/``false``, ``1``/``0``); optional,
  default ``yes``.
- ``address``, ``phone``, ``website``: optional columns, how the public reaches the agency (its
  public page shows them). A file without one of these columns leaves that field as it is.

Routing rules (``--rules RULES.csv``), one rule per row:

    category,level,region,target,agency

- ``category``: a category code (``kesehatan``).
- ``level``: where the rule decides: ``PROVINCE`` or ``REGENCY`` (the coordinator of that level).
- ``region``: empty (everywhere) or the province (PROVINCE rules) or regency/city (REGENCY rules)
  where it applies; a rule with a region wins over one without.
- ``target``: ``AGENCY`` (default) or ``REGENCY_COORDINATOR`` (PROVINCE rules only: on down to the
  coordinator of the report's regency/city).
- ``agency``: for ``AGENCY``, the code of the OPD that holds the authority; it must sit under a
  coordinator of the rule's level (and of the rule's region, when one is given). Empty otherwise.
  Rules are upserted on (category, level, region).

Both loaders check every row before writing anything, write in one transaction, and change
nothing on a second run with the same file. Line numbers in errors count the header as line 1.
``docs/agencies-example.csv`` is an example.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from routing.models import Agency, Category, Region, RoutingRule

AGENCY_COLUMNS = ("code", "name", "level", "region", "parent", "email", "active")
# Optional columns: only those in the file's header are written.
AGENCY_CONTACT_COLUMNS = ("address", "phone", "website")
_CONTACT_LENGTH = {"address": 300, "phone": 30, "website": 200}
RULE_COLUMNS = ("category", "level", "region", "target", "agency")

# Parents before children: the level alone orders the tree, since each level's parent is the
# level above it (an OPD's is one of the two coordinator levels).
LEVEL_ORDER: dict[str, int] = {
    Agency.Level.NATIONAL: 0,
    Agency.Level.PROVINCE: 1,
    Agency.Level.REGENCY: 2,
    Agency.Level.OPD: 3,
}

_TRUE = {"", "yes", "y", "ya", "true", "1"}
_FALSE = {"no", "n", "tidak", "false", "0"}
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class HierarchyError(Exception):
    """A CSV file that cannot be loaded; ``message`` is for the administrator who loads it, one
    line per bad row (``line 3: unknown parent 'x'``). Nothing was written."""

    def __init__(self, message: str, errors: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)

    @classmethod
    def from_errors(cls, errors: Sequence[tuple[int, str]]) -> HierarchyError:
        ordered = sorted(errors)
        return cls("\n".join(f"line {line}: {text}" for line, text in ordered), ordered)


def _numbered(rows: Iterable[dict[str, str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row with its line number: the reader's own count for a ``csv.DictReader`` (right
    across blank lines), else one line per row after the header."""
    for index, row in enumerate(rows, start=2):
        yield getattr(rows, "line_num", index), row


def _clean(row: dict[str, Any], columns: Sequence[str]) -> tuple[dict[str, str], str | None]:
    unknown = sorted(str(key) for key in row if key not in columns)
    if unknown:
        # csv.DictReader puts the cells beyond the header under the key None.
        return {}, f"unknown column(s) {', '.join(unknown)}; the columns are {','.join(columns)}"
    return {column: (row.get(column) or "").strip() for column in columns}, None


# --- agencies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AgencyRow:
    line: int
    code: str
    name: str
    level: str
    region: str | None
    parent: str | None
    email: str
    is_active: bool
    # The contact columns the file has, with their values.
    contacts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Node:
    """What the fit of a level needs to know of an agency, from the file or the database."""

    code: str
    level: str
    region: str | None


def _parse_agency(
    line: int, raw: dict[str, str], errors: list[tuple[int, str]]
) -> _AgencyRow | None:
    row, error = _clean(raw, (*AGENCY_COLUMNS, *AGENCY_CONTACT_COLUMNS))
    if error:
        errors.append((line, error))
        return None
    contacts = tuple((column, row[column]) for column in AGENCY_CONTACT_COLUMNS if column in raw)
    before = len(errors)
    for column, value in contacts:
        if len(value) > _CONTACT_LENGTH[column]:
            errors.append((line, f"{column} is longer than {_CONTACT_LENGTH[column]} characters"))
        elif column == "website" and value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                errors.append((line, f"website {value!r} is not an http(s) address"))
    code, name, level = row["code"], row["name"], row["level"].upper()
    if not code:
        errors.append((line, "code is empty"))
    elif len(code) > 80 or not _SLUG.match(code):
        errors.append((line, f"code {code!r} must be up to 80 letters, digits, '-' or '_'"))
    if not name:
        errors.append((line, "name is empty"))
    elif len(name) > 200:
        errors.append((line, "name is longer than 200 characters"))
    if level not in Agency.Level.values:
        errors.append(
            (line, f"level {row['level']!r} is not one of {', '.join(Agency.Level.values)}")
        )
    if row["email"]:
        try:
            validate_email(row["email"])
        except ValidationError:
            errors.append((line, f"e-mail {row['email']!r} is not a valid address"))
    active = row["active"].lower()
    if active not in _TRUE | _FALSE:
        errors.append((line, f"active {row['active']!r} must be yes or no"))
    if len(errors) > before:
        return None
    return _AgencyRow(
        line=line,
        code=code,
        name=name,
        level=level,
        region=row["region"] or None,
        parent=row["parent"] or None,
        email=row["email"],
        is_active=active in _TRUE,
        contacts=contacts,
    )


def _fit(level: str, region: Region | None, parent: _Node | None) -> str | None:
    """Why an agency of ``level`` cannot have this region and parent, or None when it fits."""
    if level == Agency.Level.NATIONAL:
        if parent is not None or region is not None:
            return "the national coordinator has no parent and no region"
        return None
    if parent is None:
        return "parent is empty; only the national coordinator has none"
    if level == Agency.Level.PROVINCE:
        if region is None or region.level != Region.Level.PROVINCE:
            return "a province coordinator's region must be a province (e.g. 64)"
        if parent.level != Agency.Level.NATIONAL:
            return f"a province coordinator's parent must be the national coordinator, not {parent.code!r}"
        return None
    if level == Agency.Level.REGENCY:
        if region is None or region.level != Region.Level.REGENCY:
            return "a regency/city coordinator's region must be a regency/city (e.g. 64.72)"
        if parent.level != Agency.Level.PROVINCE or parent.region != region.parent_id:
            return (
                f"a regency/city coordinator's parent must be the coordinator of province "
                f"{region.parent_id}, not {parent.code!r}"
            )
        return None
    # OPD
    if parent.level not in (Agency.Level.PROVINCE, Agency.Level.REGENCY):
        return (
            f"an OPD's parent must be a province or regency/city coordinator, not {parent.code!r}"
        )
    if region is not None and not (
        parent.region is not None
        and (region.code == parent.region or region.code.startswith(parent.region + "."))
    ):
        return f"an OPD's region must be {parent.region} (its coordinator's) or lie in it"
    return None


@transaction.atomic
def load_agencies(rows: Iterable[dict[str, str]]) -> dict[str, int]:
    """Upsert agencies from CSV rows (columns in the module docstring), parents before children
    whatever the order of the rows.

    Every row is checked first and nothing is written if any is bad. Idempotent: a second run
    with the same rows changes nothing. Returns ``{"created": n, "updated": n, "unchanged": n}``.

    :raises HierarchyError: listing every bad row with its line number: a missing or malformed
        value, a code twice in the file, an unknown parent or region, a region or parent that
        does not fit the level, a second coordinator for a region or a second national one.
    """
    errors: list[tuple[int, str]] = []
    parsed: dict[str, _AgencyRow] = {}
    for line, raw in _numbered(rows):
        row = _parse_agency(line, raw, errors)
        if row is None:
            continue
        if row.code in parsed:
            errors.append((line, f"code {row.code!r} is already on line {parsed[row.code].line}"))
            continue
        parsed[row.code] = row

    region_codes = {row.region for row in parsed.values() if row.region}
    regions = {region.code: region for region in Region.objects.filter(code__in=region_codes)}
    parent_codes = {row.parent for row in parsed.values() if row.parent} - parsed.keys()
    nodes = {
        code: _Node(code, level, region)
        for code, level, region in Agency.objects.filter(code__in=parent_codes).values_list(
            "code", "level", "region_id"
        )
    }
    # The file wins over the database for the agencies it names.
    nodes.update({row.code: _Node(row.code, row.level, row.region) for row in parsed.values()})

    for row in parsed.values():
        if row.region and row.region not in regions:
            errors.append((row.line, f"unknown region {row.region!r}"))
            continue
        if row.parent and row.parent not in nodes:
            errors.append((row.line, f"unknown parent {row.parent!r}"))
            continue
        if row.parent == row.code:
            errors.append((row.line, "an agency cannot be its own parent"))
            continue
        problem = _fit(
            row.level,
            regions.get(row.region) if row.region else None,
            nodes.get(row.parent) if row.parent else None,
        )
        if problem:
            errors.append((row.line, problem))

    errors.extend(_uniqueness_errors(parsed))
    errors.extend(_orphan_errors(parsed, nodes))
    if errors:
        raise HierarchyError.from_errors(errors)
    try:
        return _write_agencies(parsed)
    except IntegrityError as exc:
        # Only a file that swaps regions between existing coordinators gets here: each row fits
        # the final tree, but one is written before the other moves away.
        raise HierarchyError(f"the database refused the change: {exc}") from exc


def _uniqueness_errors(parsed: dict[str, _AgencyRow]) -> list[tuple[int, str]]:
    """A second national coordinator, or a second coordinator for a province or regency/city,
    in the file or against the database (Agency's unique constraints, said clearly)."""
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str | None], _AgencyRow] = {}
    for row in sorted(parsed.values(), key=lambda r: r.line):
        if row.level not in (Agency.Level.NATIONAL, Agency.Level.PROVINCE, Agency.Level.REGENCY):
            continue
        key = (row.level, None if row.level == Agency.Level.NATIONAL else row.region)
        if key in seen:
            what = "national coordinator" if row.region is None else f"coordinator of {row.region}"
            errors.append((row.line, f"a second {what}: line {seen[key].line} has one"))
        else:
            seen[key] = row
    existing = Agency.objects.filter(
        level__in=(Agency.Level.NATIONAL, Agency.Level.PROVINCE, Agency.Level.REGENCY)
    ).values_list("code", "level", "region_id")
    for code, level, region in existing:
        key = (level, None if level == Agency.Level.NATIONAL else region)
        holder = seen.get(key)
        moved_away = code in parsed and (parsed[code].level, parsed[code].region) != (level, region)
        if holder is not None and holder.code != code and not moved_away:
            what = "national coordinator" if region is None else f"coordinator of {region}"
            errors.append((holder.line, f"the {what} is already {code!r} in the database"))
    return errors


def _orphan_errors(parsed: dict[str, _AgencyRow], nodes: dict[str, _Node]) -> list[tuple[int, str]]:
    """Agencies in the database but not in the file, whose parent the file changes so that
    they would no longer fit under it."""
    errors: list[tuple[int, str]] = []
    children = (
        Agency.objects.filter(parent__code__in=list(parsed))
        .exclude(code__in=list(parsed))
        .select_related("region", "parent")
    )
    for child in children:
        assert child.parent is not None  # chosen by its parent's code
        parent_code = child.parent.code
        problem = _fit(child.level, child.region, nodes[parent_code])
        if problem:
            row = parsed[parent_code]
            errors.append((row.line, f"existing agency {child.code!r} under it: {problem}"))
    return errors


def _write_agencies(parsed: dict[str, _AgencyRow]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {
        agency.code: agency
        for agency in Agency.objects.select_for_update().filter(code__in=list(parsed))
    }
    parent_codes = {row.parent for row in parsed.values() if row.parent}
    ids = dict(Agency.objects.filter(code__in=parent_codes).values_list("code", "pk"))
    for row in sorted(parsed.values(), key=lambda r: (LEVEL_ORDER[r.level], r.line)):
        values: dict[str, Any] = {
            "name": row.name,
            "level": row.level,
            "region_id": row.region,
            "parent_id": ids[row.parent] if row.parent else None,
            "email": row.email,
            "is_active": row.is_active,
            **dict(row.contacts),
        }
        agency = existing.get(row.code)
        if agency is None:
            agency = Agency.objects.create(code=row.code, **values)
            counts["created"] += 1
        else:
            changed = [field for field, value in values.items() if getattr(agency, field) != value]
            for field in changed:
                setattr(agency, field, values[field])
            if changed:
                agency.save(update_fields=changed)
            counts["updated" if changed else "unchanged"] += 1
        ids[row.code] = agency.pk
    return counts


# --- routing rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _RuleRow:
    line: int
    category: str
    level: str
    region: str | None
    target: str
    agency: str | None


def _parse_rule(line: int, raw: dict[str, str], errors: list[tuple[int, str]]) -> _RuleRow | None:
    row, error = _clean(raw, RULE_COLUMNS)
    if error:
        errors.append((line, error))
        return None
    before = len(errors)
    level = row["level"].upper()
    target = row["target"].upper() or RoutingRule.Target.AGENCY
    if not row["category"]:
        errors.append((line, "category is empty"))
    if level not in RoutingRule.Level.values:
        errors.append(
            (line, f"level {row['level']!r} is not one of {', '.join(RoutingRule.Level.values)}")
        )
    if target not in RoutingRule.Target.values:
        errors.append(
            (line, f"target {row['target']!r} is not one of {', '.join(RoutingRule.Target.values)}")
        )
    elif target == RoutingRule.Target.AGENCY and not row["agency"]:
        errors.append((line, "target AGENCY needs the code of an agency"))
    elif target == RoutingRule.Target.REGENCY_COORDINATOR:
        if row["agency"]:
            errors.append((line, "target REGENCY_COORDINATOR takes no agency"))
        if level == RoutingRule.Level.REGENCY:
            errors.append((line, "target REGENCY_COORDINATOR is for PROVINCE rules only"))
    if len(errors) > before:
        return None
    return _RuleRow(
        line=line,
        category=row["category"],
        level=level,
        region=row["region"] or None,
        target=target,
        agency=row["agency"] or None,
    )


def _rule_fit(row: _RuleRow, region: Region | None, agency: Agency | None) -> str | None:
    """Why a rule cannot send its reports where it says, or None when it can."""
    at_province = row.level == RoutingRule.Level.PROVINCE
    where = "province" if at_province else "regency/city"
    wanted = Region.Level.PROVINCE if at_province else Region.Level.REGENCY
    if region is not None and region.level != wanted:
        return f"a {row.level} rule's region must be a {where} or empty"
    if agency is None:
        return None
    # A rule names the OPD that answers: a rule to a coordinator would route again by the
    # report's region, and one to the coordinator deciding would hand the report to itself.
    parent = agency.parent
    if agency.level != Agency.Level.OPD or parent is None or parent.level != row.level:
        return f"agency {agency.code!r} must be an OPD under a {where} coordinator"
    if region is not None and parent.region_id != region.code:
        return f"agency {agency.code!r} is not under the coordinator of {region.code}"
    return None


@transaction.atomic
def load_rules(rows: Iterable[dict[str, str]]) -> dict[str, int]:
    """Upsert routing rules from CSV rows (columns in the module docstring) on (category, level,
    region). The agencies they name must be loaded first (in the same transaction is fine).

    Every row is checked first and nothing is written if any is bad. Idempotent. Returns
    ``{"created": n, "updated": n, "unchanged": n}``.

    :raises HierarchyError: listing every bad row with its line number: a missing or malformed
        value, an unknown category, region or agency, a region or agency that does not fit the
        level, the same (category, level, region) twice in the file.
    """
    errors: list[tuple[int, str]] = []
    parsed: dict[tuple[str, str, str | None], _RuleRow] = {}
    for line, raw in _numbered(rows):
        row = _parse_rule(line, raw, errors)
        if row is None:
            continue
        key = (row.category, row.level, row.region)
        if key in parsed:
            errors.append((line, f"the same rule is already on line {parsed[key].line}"))
            continue
        parsed[key] = row

    categories = {
        c.code: c for c in Category.objects.filter(code__in={r.category for r in parsed.values()})
    }
    regions = {
        r.code: r
        for r in Region.objects.filter(code__in={r.region for r in parsed.values() if r.region})
    }
    agencies = {
        a.code: a
        for a in Agency.objects.filter(
            code__in={r.agency for r in parsed.values() if r.agency}
        ).select_related("parent")
    }
    for row in parsed.values():
        if row.category not in categories:
            errors.append((row.line, f"unknown category {row.category!r}"))
        elif row.region and row.region not in regions:
            errors.append((row.line, f"unknown region {row.region!r}"))
        elif row.agency and row.agency not in agencies:
            errors.append((row.line, f"unknown agency {row.agency!r}"))
        else:
            problem = _rule_fit(
                row,
                regions[row.region] if row.region else None,
                agencies[row.agency] if row.agency else None,
            )
            if problem:
                errors.append((row.line, problem))
    if errors:
        raise HierarchyError.from_errors(errors)

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = {
        (rule.category_id, rule.level, rule.region_id): rule
        for rule in RoutingRule.objects.select_for_update().filter(
            category__in=[categories[row.category] for row in parsed.values()]
        )
    }
    for row in sorted(parsed.values(), key=lambda r: r.line):
        category = categories[row.category]
        values: dict[str, Any] = {
            "target": row.target,
            "agency_id": agencies[row.agency].pk if row.agency else None,
        }
        rule = existing.get((category.pk, row.level, row.region))
        if rule is None:
            RoutingRule.objects.create(
                category=category, level=row.level, region_id=row.region, **values
            )
            counts["created"] += 1
            continue
        changed = [field for field, value in values.items() if getattr(rule, field) != value]
        for field in changed:
            setattr(rule, field, values[field])
        if changed:
            rule.save(update_fields=changed)
        counts["updated" if changed else "unchanged"] += 1
    return counts
