"""Reads for routing: deadlines in working days, the hierarchy, who an officer works for, and
where a report goes next (pure decisions over the reference data; ``complaints.workflow`` acts
on them)."""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from lapor.lib import region_names
from lapor.lib.workdays import WorkingDayCounter, add_working_days, holiday_data
from routing.models import (
    Agency,
    CalendarException,
    CalendarYear,
    Category,
    DeadlineSetting,
    Officer,
    Region,
    RoutingRule,
)

logger = logging.getLogger(__name__)

# Administrators' calendar exceptions and confirmed years, deadline settings, agencies and rules
# are read at most this often per process: an edit in the admin applies within a minute, and
# routing a report costs no query for them.
SETTINGS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Settings:
    days_off: frozenset[dt.date]
    extra_working_days: frozenset[dt.date]
    working_days: dict[tuple[str, str], int] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()


_lock = threading.Lock()
_cached: tuple[float, _Settings] | None = None


def clear_settings_cache() -> None:
    """Forget the deadline settings, calendar exceptions, agencies, rules and regions read so
    far."""
    global _cached, _cached_hierarchy, _cached_regions
    with _lock:
        _cached = None
        _cached_hierarchy = None
        _cached_regions = None


def _settings() -> _Settings:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < SETTINGS_TTL_SECONDS:
        return cached[1]
    exceptions = list(CalendarException.objects.values_list("date", "is_working_day"))
    loaded = _Settings(
        days_off=frozenset(d for d, working in exceptions if not working),
        extra_working_days=frozenset(d for d, working in exceptions if working),
        working_days={
            (step, kind): days
            for step, kind, days in DeadlineSetting.objects.values_list(
                "step", "kind", "working_days"
            )
        },
        confirmed_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )
    with _lock:
        _cached = (now, loaded)
    return loaded


def deadline_days(step: str, kind: str = "") -> int:
    """Working days allowed for ``step`` (a ``DeadlineSetting.Step``) of a report of ``kind``.

    :raises LookupError: when an administrator removed the setting it needs.
    """
    days = _settings().working_days
    for key in ((step, kind), (step, "")):
        if key in days:
            return days[key]
    raise LookupError(f"no deadline setting for {step} {kind or '(any kind)'}")


def due_at(*, start: dt.datetime, step: str, kind: str = "") -> dt.datetime:
    """End of the last working day allowed for ``step``, counted from the day after ``start``
    (Asia/Jakarta), skipping weekends, national holidays, cuti bersama and the administrators'
    extra days off."""
    settings = _settings()
    local = timezone.localtime(start)
    day = add_working_days(
        local.date(),
        deadline_days(step, kind),
        extra_days_off=settings.days_off,
        extra_working_days=settings.extra_working_days,
    )
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local.tzinfo)


def working_day_counter(first: dt.date, last: dt.date) -> WorkingDayCounter:
    """Working days between dates in ``first``..``last``, with the administrators' calendar."""
    settings = _settings()
    return WorkingDayCounter(
        first,
        last,
        extra_days_off=settings.days_off,
        extra_working_days=settings.extra_working_days,
    )


# --- how far the calendar is known ------------------------------------------------------------

# The system check looks a year ahead (time to enter a decree); the coordinators' banner looks as
# far as a deadline set today can reach (60 working days and the holidays between), so that it
# shows whenever a new deadline may be provisional, and not all year long for the next year.
CHECK_HORIZON_DAYS = 365
BANNER_HORIZON_DAYS = 120
# Covered years are counted this far ahead at most.
_MAX_COVERED_YEARS = 10


@dataclass(frozen=True)
class CalendarGap:
    """A year whose days off are not known for sure: the ``holidays`` package lacks its cuti
    bersama or estimates some of its dates, and no administrator has confirmed it."""

    year: int
    # (date, name) of the holidays the package estimated.
    estimated: tuple[tuple[dt.date, str], ...]
    missing_cuti_bersama: bool

    def describe(self) -> str:
        """What is missing, in a sentence for an administrator or a coordinator."""
        parts = []
        if self.missing_cuti_bersama:
            parts.append(gettext("the cuti bersama are missing"))
        if self.estimated:
            dates = ", ".join(
                f"{name} ({date_format(day, 'j F Y')})" for day, name in self.estimated
            )
            parts.append(
                ngettext(
                    "%(count)d date is only estimated: %(dates)s",
                    "%(count)d dates are only estimated: %(dates)s",
                    len(self.estimated),
                )
                % {"count": len(self.estimated), "dates": dates}
            )
        return "; ".join(parts)


def is_year_covered(year: int, *, confirmed_years: Collection[int] | None = None) -> bool:
    """Whether ``year``'s days off are known: the package's data is complete, or an
    administrator confirmed the year (``confirmed_years``; by default the ones in the
    database, as of at most ``SETTINGS_TTL_SECONDS`` ago)."""
    if confirmed_years is None:
        confirmed_years = _settings().confirmed_years
    return year in confirmed_years or holiday_data(year).is_complete


def calendar_covered_until(
    today: dt.date, *, confirmed_years: Collection[int] | None = None
) -> dt.date:
    """The last day of the last covered year in the unbroken run from ``today``'s year (the
    day before ``today``'s year when that year itself is not covered)."""
    if confirmed_years is None:
        confirmed_years = _settings().confirmed_years
    year = today.year
    while year < today.year + _MAX_COVERED_YEARS and is_year_covered(
        year, confirmed_years=confirmed_years
    ):
        year += 1
    return dt.date(year - 1, 12, 31)


def calendar_gap_list(
    today: dt.date,
    *,
    horizon_days: int = CHECK_HORIZON_DAYS,
    confirmed_years: Collection[int] | None = None,
) -> list[CalendarGap]:
    """The years from ``today`` to ``horizon_days`` later that are not covered, with what is
    missing in each."""
    if confirmed_years is None:
        confirmed_years = _settings().confirmed_years
    last = today + dt.timedelta(days=horizon_days)
    gaps: list[CalendarGap] = []
    for year in range(today.year, last.year + 1):
        if is_year_covered(year, confirmed_years=confirmed_years):
            continue
        data = holiday_data(year)
        gaps.append(
            CalendarGap(
                year=year,
                estimated=data.estimated,
                missing_cuti_bersama=not data.has_cuti_bersama,
            )
        )
    return gaps


def is_provisional(due_at: dt.datetime | None, *, today: dt.date) -> bool:
    """Whether a deadline was counted over days off not known for sure: it falls after the
    covered years (``calendar_covered_until``), and may move when the decree is entered."""
    if due_at is None:
        return False
    return timezone.localtime(due_at).date() > calendar_covered_until(today)


@dataclass(frozen=True)
class _Hierarchy:
    """The agency tree and the rules, read at once: a routing step then needs no query to
    decide where a report goes."""

    agencies: dict[int, Agency]
    coordinators: dict[tuple[str, str | None], Agency]
    rules: dict[tuple[int, str, str | None], RoutingRule]


_cached_hierarchy: tuple[float, _Hierarchy] | None = None


def _hierarchy() -> _Hierarchy:
    """The hierarchy as of at most ``SETTINGS_TTL_SECONDS`` ago (an admin's edit of agencies or
    rules reaches the routing workers within a minute)."""
    global _cached_hierarchy
    now = time.monotonic()
    cached = _cached_hierarchy
    if cached is not None and now - cached[0] < SETTINGS_TTL_SECONDS:
        return cached[1]
    agencies = {agency.pk: agency for agency in Agency.objects.all()}
    coordinators = {
        (agency.level, agency.region_id): agency
        for agency in agencies.values()
        if agency.is_active and agency.level != Agency.Level.OPD
    }
    rules: dict[tuple[int, str, str | None], RoutingRule] = {}
    for rule in RoutingRule.objects.all():
        if rule.agency_id is not None:
            rule.agency = agencies[rule.agency_id]
        rules[(rule.category_id, rule.level, rule.region_id)] = rule
    loaded = _Hierarchy(agencies=agencies, coordinators=coordinators, rules=rules)
    with _lock:
        _cached_hierarchy = (now, loaded)
    return loaded


def get_agency(agency_id: int) -> Agency:
    """:raises Agency.DoesNotExist: for an unknown agency."""
    agency = _hierarchy().agencies.get(agency_id)
    # One created since the hierarchy was read is looked up directly.
    return agency if agency is not None else Agency.objects.get(pk=agency_id)


def get_national_coordinator() -> Agency:
    """:raises Agency.DoesNotExist: before the hierarchy is loaded."""
    national = _hierarchy().coordinators.get((Agency.Level.NATIONAL, None))
    if national is None:
        raise Agency.DoesNotExist("no national coordinator")
    return national


def get_coordinator(level: str, region_code: str) -> Agency | None:
    return _hierarchy().coordinators.get((level, region_code))


def get_rule(*, category_id: int, level: str, region_code: str) -> RoutingRule | None:
    """The rule for a category at ``level``: the one for this region, else the one for
    everywhere."""
    rules = _hierarchy().rules
    return rules.get((category_id, level, region_code)) or rules.get((category_id, level, None))


def is_in_subtree(agency: Agency, root: Agency) -> bool:
    """Whether ``agency`` is ``root`` or lies below it (the tree is at most four deep)."""
    agencies = _hierarchy().agencies
    node_id: int | None = agency.pk
    parent_of = {agency.pk: agency.parent_id}
    for _depth in range(6):
        if node_id is None:
            return False
        if node_id == root.pk:
            return True
        known = agencies.get(node_id)
        node_id = known.parent_id if known is not None else parent_of.get(node_id)
    return False


def subtree_ids(root: Agency) -> set[int]:
    """The ids of ``root`` and of every agency below it."""
    agencies = _hierarchy().agencies
    children: dict[int, list[int]] = {}
    for agency in agencies.values():
        if agency.parent_id is not None:
            children.setdefault(agency.parent_id, []).append(agency.pk)
    found = {root.pk}
    frontier = [root.pk]
    while frontier:
        frontier = [child for node in frontier for child in children.get(node, ())]
        found.update(frontier)
    return found


# A Kemendagri code: province "64", regency/city "64.72", district "64.72.01", village
# "64.72.01.1001". Text that is not one (a NUL, which PostgreSQL refuses with an error, among
# others) never reaches a query.
REGION_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?")


def is_region_code(text: object) -> bool:
    return isinstance(text, str) and REGION_CODE.fullmatch(text) is not None


def region_codes(region_code: str) -> tuple[str, str | None]:
    """The province code and the regency/city code (None for a province) of a region code."""
    parts = region_code.split(".")
    return parts[0], ".".join(parts[:2]) if len(parts) > 1 else None


def staff_agency(user: AbstractBaseUser | AnonymousUser) -> Agency | None:
    """The agency a staff user belongs to, or None for anyone who is not an officer of an
    active agency."""
    if not user.is_authenticated or not user.is_active:
        return None
    officer = Officer.objects.select_related("agency").filter(user_id=user.pk).first()
    return officer.agency if officer is not None and officer.agency.is_active else None


# --- where a report goes next --------------------------------------------------------------------


def next_holder(
    *, category_id: int, region_code: str, holder: Agency
) -> tuple[Agency | None, RoutingRule | None]:
    """Where a report of this category and region goes from ``holder``, by the hierarchy and the
    rules, and the rule that decided; (None, None) when nothing decides and a coordinator must.

    National → the province of the region; province → a provincial OPD or the coordinator of
    the regency/city (by a rule); regency/city → an OPD (by a rule). A rule may only send a
    report down from where it is: one naming the holder itself, an inactive agency or an agency
    outside its subtree would loop or leak, so the coordinator decides instead.
    """
    target, rule = _target(category_id, region_code, holder)
    if target is not None and (
        target.pk == holder.pk or not target.is_active or not is_in_subtree(target, holder)
    ):
        logger.warning("rule %s for %s does not lead down from %s", rule, region_code, holder.pk)
        return None, None
    return target, rule


def _target(
    category_id: int, region_code: str, holder: Agency
) -> tuple[Agency | None, RoutingRule | None]:
    province_code, regency_code = region_codes(region_code)
    if holder.level == Agency.Level.NATIONAL:
        return get_coordinator(Agency.Level.PROVINCE, province_code), None
    if holder.level == Agency.Level.PROVINCE:
        rule = get_rule(
            category_id=category_id, level=RoutingRule.Level.PROVINCE, region_code=province_code
        )
        if rule is None:
            return None, None
        if rule.target == RoutingRule.Target.REGENCY_COORDINATOR:
            if regency_code is None:
                return None, None
            return get_coordinator(Agency.Level.REGENCY, regency_code), rule
        return rule.agency, rule
    if holder.level == Agency.Level.REGENCY and regency_code is not None:
        rule = get_rule(
            category_id=category_id, level=RoutingRule.Level.REGENCY, region_code=regency_code
        )
        return (rule.agency, rule) if rule else (None, None)
    return None, None


# --- regions by name ----------------------------------------------------------------------------

# Regions change only when ``load_regions`` runs (a new Kepmendagri decree), so their index is
# read at most this often per process.
REGIONS_TTL_SECONDS = 600.0
# Suggestions as one types, and hints for a name that matches nothing, at most this many.
SUGGESTION_LIMIT = 20
# Close spellings are looked for only in text this short (comparing costs its length squared).
_SIMILAR_MAX_LENGTH = 40


@dataclass(frozen=True)
class RegionEntry:
    """A region as the index holds it; ``label`` is the shortest text that names it alone
    ("Kota Balikpapan", "Provinsi Jambi", "Batu Ampar, Kota Batam")."""

    code: str
    name: str
    level: int
    parent_code: str | None
    label: str = ""

    @property
    def level_display(self) -> str:
        return str(Region.Level(self.level).label)


@dataclass(frozen=True)
class RegionChoice:
    """What a region filter's text names: ``codes`` to filter by (each region with everything
    in it) and the ``regions`` they are (none for a well-formed code no region has)."""

    text: str
    codes: tuple[str, ...]
    regions: tuple[RegionEntry, ...]

    @property
    def is_ambiguous(self) -> bool:
        return len(self.regions) > 1


class UnknownRegion(Exception):
    """No region has this name; ``hints`` are regions with names like it."""

    def __init__(self, text: str, hints: list[RegionEntry]) -> None:
        super().__init__(text)
        self.hints = hints


@dataclass(frozen=True)
class _RegionIndex:
    regions: dict[str, RegionEntry]
    by_key: dict[str, tuple[str, ...]]
    # (code, the texts suggestions compare with), provinces first, then by name.
    searchable: tuple[tuple[str, tuple[str, ...]], ...]
    # A folded name or core name → codes, for close spellings.
    by_folded: dict[str, tuple[str, ...]]


_cached_regions: tuple[float, _RegionIndex] | None = None


def _region_index() -> _RegionIndex:
    """Every region with its keys (``lapor.lib.region_names``): about 8,000 rows, read once in
    ``REGIONS_TTL_SECONDS``, so that a name is resolved, and suggested, without a query."""
    global _cached_regions
    now = time.monotonic()
    cached = _cached_regions
    if cached is not None and now - cached[0] < REGIONS_TTL_SECONDS:
        return cached[1]
    # Villages are chosen from their district's list, not by name: 83,762 names, many of them
    # shared, would make the index ten times larger and its answers no clearer.
    rows = list(
        Region.objects.filter(level__lte=Region.Level.DISTRICT)
        .order_by("level", "name", "code")
        .values_list(*_REGION_FIELDS)
    )
    entries = {code: RegionEntry(code, name, level, parent) for code, name, level, parent in rows}
    by_key: dict[str, list[str]] = {}
    by_folded: dict[str, list[str]] = {}
    searchable = []
    for entry in entries.values():
        for found in region_names.name_keys(entry.name, entry.level):
            by_key.setdefault(found, []).append(entry.code)
        texts = region_names.search_texts(entry.name, entry.level)
        for text in texts:
            by_folded.setdefault(text, []).append(entry.code)
        searchable.append((entry.code, texts))
    index = _RegionIndex(
        regions=entries,
        by_key={k: tuple(v) for k, v in by_key.items()},
        searchable=tuple(searchable),
        by_folded={k: tuple(v) for k, v in by_folded.items()},
    )
    labels = {code: _label(index, entry) for code, entry in entries.items()}
    for code, label in labels.items():
        entry = entries[code]
        entries[code] = RegionEntry(entry.code, entry.name, entry.level, entry.parent_code, label)
    with _lock:
        _cached_regions = (now, index)
    return index


_REGION_FIELDS = ("code", "name", "level", "parent_id")


def _ancestors(index: _RegionIndex, entry: RegionEntry) -> list[RegionEntry]:
    """The regions ``entry`` lies in, nearest first."""
    found: list[RegionEntry] = []
    parent = entry.parent_code
    while parent is not None and parent in index.regions and len(found) < 4:
        found.append(index.regions[parent])
        parent = found[-1].parent_code
    return found


_LEVEL_WORDS = {
    **{word: Region.Level.PROVINCE for word in region_names.PROVINCE_WORDS},
    **{word: Region.Level.REGENCY for word in region_names.REGENCY_WORDS},
    **{word: Region.Level.REGENCY for word in region_names.CITY_WORDS},
    **{word: Region.Level.DISTRICT for word in region_names.DISTRICT_WORDS},
}


def _named(index: _RegionIndex, text: str) -> list[RegionEntry]:
    """The regions ``text`` names: a name (any of its keys), or a name qualified by the regions
    it lies in or by its level ("Batu Ampar, Kota Batam", "Jambi (provinsi)")."""
    codes = index.by_key.get(region_names.key(text))
    if codes:
        return [index.regions[code] for code in codes]
    parts = [part for part in re.split(r"[,()]", text) if region_names.key(part)]
    if len(parts) < 2:
        return []
    candidates = [index.regions[code] for code in index.by_key.get(region_names.key(parts[0]), ())]
    for qualifier in parts[1:]:
        qualifier_key = region_names.key(qualifier)
        level = _LEVEL_WORDS.get(qualifier_key)
        if level is not None:
            candidates = [c for c in candidates if c.level == level]
            continue
        around = set(index.by_key.get(qualifier_key, ()))
        candidates = [c for c in candidates if any(a.code in around for a in _ancestors(index, c))]
    return candidates


def _label(index: _RegionIndex, entry: RegionEntry) -> str:
    ancestors = _ancestors(index, entry)
    tries = [entry.name]
    if entry.level == Region.Level.PROVINCE:
        tries.append(f"Provinsi {entry.name}")
    tries += [", ".join([entry.name, *(a.name for a in ancestors[:n])]) for n in (1, 2)]
    for label in tries:
        named = _named(index, label)
        if len(named) == 1 and named[0].code == entry.code:
            return label
    return entry.code


def get_region_entry(code: str) -> RegionEntry | None:
    return _region_index().regions.get(code)


def region_ancestors(entry: RegionEntry) -> list[RegionEntry]:
    """The regions ``entry`` lies in, nearest first (Kota Batam, then Kepulauan Riau)."""
    return _ancestors(_region_index(), entry)


def resolve_region(text: str) -> RegionChoice:
    """The regions ``text`` names: a Kemendagri code (kept as given, whether or not a region
    has it, as API clients have always sent it), or a name, case, accents and marks aside,
    "Kota"/"Kabupaten"/"Kab."/"Provinsi"/"Kecamatan" understood; several regions when several
    have that name.

    :raises UnknownRegion: when no region has that name, with names like it as hints.
    """
    text = text.strip()
    index = _region_index()
    if region_names.looks_like_code(text):
        code = text.rstrip(".")
        entry = index.regions.get(code)
        return RegionChoice(text=text, codes=(code,), regions=(entry,) if entry else ())
    named = sorted(_named(index, text), key=lambda e: (e.level, e.code))
    if not named:
        raise UnknownRegion(text, similar_regions(text))
    return RegionChoice(text=text, codes=tuple(e.code for e in named), regions=tuple(named))


def region_suggestions(
    text: str, *, within: str | None = None, limit: int = SUGGESTION_LIMIT
) -> list[RegionEntry]:
    """Regions for someone typing ``text``: names that start with it first, then names with
    a word that does, then names that hold it; provinces before regencies before districts.
    A code, or the start of one, suggests the regions under it. ``within``: only regions in
    the region of that code."""
    index = _region_index()
    text = text.strip()
    if region_names.looks_like_code(text):
        start = text.rstrip(".")
        found = [
            e
            for code, e in index.regions.items()
            if code.startswith(start) and _inside(code, within)
        ]
        found.sort(key=lambda e: (e.level, e.code))
        return found[:limit]
    wanted = region_names.fold(text.split(",")[0])
    if not wanted:
        return []
    # "kab kutai", "kota bal": also without the word, among the regions it says.
    words = wanted.split(" ")
    level = _LEVEL_WORDS.get(words[0]) if len(words) > 1 else None
    bare = " ".join(words[1:]) if level is not None else ""
    kind = (
        "kota "
        if words[0] in region_names.CITY_WORDS
        else "kabupaten "
        if words[0] in region_names.REGENCY_WORDS
        else ""
    )
    ranked: list[tuple[int, int, str, RegionEntry]] = []
    for code, texts in index.searchable:
        if not _inside(code, within):
            continue
        entry = index.regions[code]
        rank = _rank(wanted, texts)
        if bare and entry.level == level and texts[0].startswith(kind):
            rank = min(rank, _rank(bare, texts))
        if rank < 3:
            ranked.append((rank, entry.level, entry.name, entry))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:limit]]


def _inside(code: str, within: str | None) -> bool:
    return within is None or code.startswith(f"{within}.")


def _rank(wanted: str, texts: tuple[str, ...]) -> int:
    best = 3
    for text in texts:
        if text.startswith(wanted):
            return 0
        if f" {wanted}" in f" {text}":
            best = min(best, 1)
        elif len(wanted) >= 3 and wanted in text:
            best = min(best, 2)
    return best


def similar_regions(text: str, *, limit: int = 5) -> list[RegionEntry]:
    """Regions whose names start like ``text`` or are spelt nearly like it, for a hint."""
    found = region_suggestions(text, limit=limit)
    if found or len(text) > _SIMILAR_MAX_LENGTH:
        return found
    index = _region_index()
    close = difflib.get_close_matches(
        region_names.fold(text), list(index.by_folded), n=limit, cutoff=0.8
    )
    codes = dict.fromkeys(code for name in close for code in index.by_folded[name])
    return [index.regions[code] for code in list(codes)[:limit]]


_PLACE_LINE = re.compile(
    r"^[ \t>*-]*(?:wilayah|lokasi|tempat|daerah|region|place)[ \t]*[:=][ \t]*(?P<name>[^\n]{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_PLACE_WORDS = re.compile(
    r"\b(?:kota|kabupaten|kab\.?)[ \t]+[A-Za-z'’-]+(?:[ \t]+[A-Za-z'’-]+){0,3}", re.IGNORECASE
)


def regions_named(text: str) -> list[RegionEntry]:
    """The regions ``text`` names exactly (case, accents, marks and "Kota"/"Kabupaten"/"Kab."
    aside), for a message whose place is among other words (the SMS door's ``LAPOR``)."""
    return _named(_region_index(), text)


def region_named_in(text: str) -> RegionEntry | None:
    """The one regency/city (or district) a free text names, or None when it names none or
    several: a line "Wilayah: …" / "Lokasi: …" first, else every "Kota …" / "Kabupaten …" /
    "Kab. …" in it (the longest name that is one, word by word). For the e-mail door, which
    asks the reporter when this finds nothing sure."""
    index = _region_index()
    line = _PLACE_LINE.search(text)
    if line:
        named = [
            e
            for e in _named(index, line.group("name").strip(" .;"))
            if e.level in (Region.Level.REGENCY, Region.Level.DISTRICT)
        ]
        if len(named) == 1:
            return named[0]
    found: dict[str, RegionEntry] = {}
    for match in _PLACE_WORDS.finditer(text):
        words = match.group(0).split()
        for end in range(len(words), 1, -1):
            named = [
                e for e in _named(index, " ".join(words[:end])) if e.level == Region.Level.REGENCY
            ]
            if len(named) == 1:
                found[named[0].code] = named[0]
                break
    return next(iter(found.values())) if len(found) == 1 else None


def category_named_in(subject: str, text: str) -> Category | None:
    """The one active category a message names, or None: a line "Kategori: …", else a
    category's name (Indonesian or English) or code in the subject. For the e-mail door."""
    categories = [c for c in Category.objects.filter(is_active=True).order_by("position", "pk")]

    def named(value: str) -> list[Category]:
        folded = region_names.fold(value)
        return [
            c
            for c in categories
            if any(
                re.search(rf"\b{re.escape(region_names.fold(n))}\b", folded)
                for n in (c.name_id, c.name_en, c.code)
                if n
            )
        ]

    line = re.search(r"\b(?:kategori|category)[ \t]*[:=][ \t]*([^\n.;,]{2,80})", text, re.I)
    for value in ([line.group(1)] if line else []) + [subject]:
        found = named(value)
        if len(found) == 1:
            return found[0]
    return None
