"""Open reports that look like the same problem: offered to a citizen while filing (support
one instead of filing again) and to staff on a report's page ("possible duplicates").

The rule, one for both:

- **which reports**: open (someone still has to act) and public (neither confidential nor
  archived), not themselves merged into another (``duplicate_of`` empty), of the same category,
  in the same regency/city (the report's region is the regency or lies inside it: regions nest
  by code, ``64.72`` ⊃ ``64.72.01`` ⊃ ``64.72.01.1001``), and submitted within the last
  ``LAPOR_SIMILAR_DAYS`` days (90 unless set). Read from the index ``complaint_similar``
  (migration complaints 0016: on PostgreSQL the open reports that are nobody's duplicate, by
  category, region and submission).
- **how alike**: by their words (``lapor.lib.words``: folded, stopwords dropped, lightly
  stemmed). ``words_alike`` = ``TITLE_WEIGHT`` * the Dice coefficient of the two titles' words
  + the rest * the share of the query's words found in the other report's title or text (its
  first ``TEXT_CHARS`` characters). A report that shares no word is never offered.
- **how near**, when the query has a point: 1 within ``NEAR_FULL_M`` of the report's point,
  falling to 0 at ``NEAR_M`` (``UNKNOWN_NEARNESS`` for a report without a point);
  ``score`` = (1 - ``NEAR_WEIGHT``) * ``words_alike`` + ``NEAR_WEIGHT`` * nearness. Without
  a point in the query, ``score`` = ``words_alike``. Only reports scoring at least
  ``MIN_SCORE`` are offered, best first (then the most supported, then the newest).

Candidates: on PostgreSQL, the reports in the index's range ranked by full-text over their
titles (``simple`` configuration: no stemming, no stopwords; every word of the query a prefix,
with the prefixes ``lapor.lib.words.stem`` cuts), the best ``CANDIDATE_LIMIT`` of them;
elsewhere (SQLite, the embedded default) the newest ``CANDIDATE_LIMIT``. The score above is
then computed in Python for those, the same on both.

The public sees distances only to a report's public point (``complaints.places.public_point``,
a grid cell's centre): the exact pin of a report never moves its score, so no series of
queries can find it. Staff, who may see the exact point, are ranked by it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left

from complaints import places
from complaints.models import Complaint, ComplaintQuerySet
from lapor.lib import words as word_lib
from routing.models import Category, Region

DEFAULT_DAYS = 90
# Reports scored in Python, at most, per query.
CANDIDATE_LIMIT = 100
# The share of a report's text read for its words (most reports are a paragraph).
TEXT_CHARS = 1000
TITLE_WEIGHT = 0.75
NEAR_WEIGHT = 0.3
NEAR_FULL_M = 150.0
NEAR_M = 2000.0
# How near a report without a point counts, beside a query with one: neither near nor far.
UNKNOWN_NEARNESS = 0.5
MIN_SCORE = 0.3
# At most this many words of a query count (a title has at most 150 characters).
QUERY_WORDS = 20

# The fields a suggestion is shown with, and scored on.
_FIELDS = (
    "id",
    "tracking_number",
    "title",
    "status",
    "is_anonymous",
    "is_confidential",
    "latitude",
    "longitude",
    "support_count",
    "submitted_at",
    "category_id",
    "region_id",
)


@dataclass(frozen=True)
class SimilarReport:
    """A report like the one asked about: ``score`` (0 to 1, see the module) and, when both
    have a point, ``distance_m`` (to the public point for the public, the exact one for
    staff). ``openable``: for staff, whether they may open it in the dashboard (else its
    public page is theirs to read)."""

    complaint: Complaint
    score: float
    distance_m: float | None
    openable: bool = False

    @property
    def distance_rounded_m(self) -> int | None:
        """The distance to the nearest 10 m, for a page ("about 120 m")."""
        return None if self.distance_m is None else int(round(self.distance_m, -1))

    @property
    def percent(self) -> int:
        """The score in whole percent."""
        return round(self.score * 100)


def similar_days() -> int:
    """How many days back a report is looked for (``LAPOR_SIMILAR_DAYS``)."""
    return int(getattr(settings, "LAPOR_SIMILAR_DAYS", DEFAULT_DAYS))


def similar_reports(
    *,
    text: str,
    regency_code: str,
    category: Category,
    point: tuple[float, float] | None = None,
    exclude: Collection[int] | None = None,
    limit: int = 5,
    now: dt.datetime,
) -> list[SimilarReport]:
    """The open public reports most like a report being written (``text``: its title) in the
    regency/city ``regency_code`` (``64.72``) and ``category``, near ``point`` (latitude,
    longitude) when given: at most ``limit``, best first, none below ``MIN_SCORE`` (see the
    module). ``exclude``: ids of reports not to offer."""
    query = query_words(text)
    if not query or limit <= 0:
        return []
    reports = _in_range(
        Complaint.objects.public(),
        regency_code,
        category.pk,
        since=now - dt.timedelta(days=similar_days()),
    )
    if exclude:
        reports = reports.exclude(pk__in=list(exclude))
    return _best(_candidates(reports, query), query, point, limit=limit, exact=False)


def possible_duplicates(
    complaint: Complaint,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    limit: int = 5,
) -> list[SimilarReport]:
    """For staff on ``complaint``'s page: the open reports that may be the same problem, by
    the rule of the form's suggestions (see the module) around the report itself: its title,
    category, regency/city and exact point, submitted within ``LAPOR_SIMILAR_DAYS`` before or
    after it. Never the report itself, nor a report merged into another (its own duplicates
    among them); none for a report merged into another already, or one without its category
    or place (a report by e-mail, until they are given). Public reports, and with ``user``
    also the confidential ones that ``user`` may see (``Complaint.objects.visible_to``). With
    ``user``, a report ``user`` may not open is ranked and measured by its public point, as
    for the public: its exact pin is its handlers' to see (no distance from points of one's
    own choosing may find it)."""
    if complaint.duplicate_of_id is not None or complaint.details_missing:
        return []
    query = query_words(complaint.title)
    regency_code = complaint.region.regency_code if complaint.region is not None else None
    category_id = complaint.category_id
    if not query or regency_code is None or category_id is None or limit <= 0:
        return []
    days = dt.timedelta(days=similar_days())

    def around(reports: ComplaintQuerySet) -> QuerySet[Complaint]:
        return _in_range(
            reports,
            regency_code,
            category_id,
            since=complaint.submitted_at - days,
            until=complaint.submitted_at + days,
        ).exclude(pk=complaint.pk)

    found = _candidates(around(Complaint.objects.public()), query)
    if user is not None:
        hidden = Complaint.objects.visible_to(user).filter(is_confidential=True)
        found += _candidates(around(hidden), query)
    exact = places.staff_point(complaint)
    point = (float(exact[0]), float(exact[1])) if exact is not None else None
    if user is None:
        return _best(found, query, point, limit=limit, exact=True)
    openable = frozenset(
        Complaint.objects.visible_to(user)
        .filter(pk__in=[c.pk for c in found])
        .values_list("pk", flat=True)
    )
    best = _best(found, query, point, limit=limit, exact=openable)
    return [replace(b, openable=b.complaint.pk in openable) for b in best]


# --- the parts ---------------------------------------------------------------------------------


def query_words(text: str) -> frozenset[str]:
    """The words of a query that count: at most ``QUERY_WORDS`` of them (the first in
    alphabetical order, a fixed choice; a title rarely has more)."""
    found = word_lib.words(text)
    return found if len(found) <= QUERY_WORDS else frozenset(sorted(found)[:QUERY_WORDS])


def _in_range(
    reports: ComplaintQuerySet,
    regency_code: str,
    category_id: int,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
) -> QuerySet[Complaint]:
    """``reports`` that are open, nobody's duplicate, of the category, in the regency/city
    and submitted in the window: the range of the ``complaint_similar`` index, whose condition
    these filters repeat so that the planner may use it. A regency's code (``NN.NN``) is a
    prefix of the codes inside it and of no other."""
    reports = reports.open().filter(
        duplicate_of__isnull=True,
        category_id=category_id,
        region__code__startswith=regency_code,
        submitted_at__gte=since,
    )
    if until is not None:
        reports = reports.filter(submitted_at__lte=until)
    if connection.vendor == "sqlite":
        # SQLite reads a LIKE from an index only under case_sensitive_like; the same prefix
        # as a range of codes (compared byte by byte: "." < "/") it reads from the index.
        reports = reports.filter(
            region__code__gte=regency_code, region__code__lt=f"{regency_code}/"
        )
    return reports


def _candidates(reports: QuerySet[Complaint], query: frozenset[str]) -> list[Complaint]:
    """At most ``CANDIDATE_LIMIT`` of ``reports``, each with the start of its text
    (``text_start``): on PostgreSQL those whose titles share the most words with the query
    (full-text rank), elsewhere the newest."""
    reports = reports.only(*_FIELDS).annotate(text_start=Left("description", TEXT_CHARS))
    if connection.vendor == "postgresql":
        # Terms are folded words (letters and digits only), safe inside quotes.
        terms = " | ".join(f"'{term}':*" for term in word_lib.prefix_terms(query))
        rank = RawSQL(  # noqa: S611 (a constant expression; the terms are a bound parameter)
            _RANK_SQL, [terms], output_field=FloatField()
        )
        reports = reports.annotate(rank=rank).order_by("-rank", "-submitted_at", "-pk")
    else:
        reports = reports.order_by("-submitted_at", "-pk")
    return list(reports[:CANDIDATE_LIMIT])


# The title only: a text's vector costs its length at each question, and the title is what
# ranks most (the text is read for the candidates alone, in Python).
_RANK_SQL = (
    "ts_rank(to_tsvector('simple', \"complaints_complaint\".\"title\"), to_tsquery('simple', %s))"
)


def _best(
    candidates: list[Complaint],
    query: frozenset[str],
    point: tuple[float, float] | None,
    *,
    limit: int,
    exact: bool | frozenset[int],
) -> list[SimilarReport]:
    """The ``limit`` best of ``candidates`` by ``score``, none below ``MIN_SCORE``; distances
    to their exact points (``exact``: all, for staff, or those of these ids) or to their
    public points."""
    scored = []
    for complaint in candidates:
        alike = words_alike(
            query,
            word_lib.words(complaint.title),
            word_lib.words(getattr(complaint, "text_start", "") or ""),
        )
        if alike <= 0:
            continue
        is_exact = exact if isinstance(exact, bool) else complaint.pk in exact
        there = places.staff_point(complaint) if is_exact else places.public_point(complaint)
        distance = (
            places.distance_m(point, (float(there[0]), float(there[1])))
            if point is not None and there is not None
            else None
        )
        score = combined_score(alike, distance, pinned=point is not None)
        if score >= MIN_SCORE:
            scored.append(SimilarReport(complaint, round(score, 3), distance))
    scored.sort(
        key=lambda s: (-s.score, -s.complaint.support_count, -s.complaint.submitted_at.timestamp())
    )
    best = scored[:limit]
    # Their regions, read for these few alone (not joined to every candidate).
    regions = Region.objects.in_bulk([b.complaint.region_id for b in best])
    for found in best:
        found.complaint.region = regions[found.complaint.region_id]
    return best


def words_alike(query: frozenset[str], title: frozenset[str], text: frozenset[str]) -> float:
    """How alike a query's words are to a report's title and text, 0 to 1 (see the module)."""
    return TITLE_WEIGHT * word_lib.dice(query, title) + (1 - TITLE_WEIGHT) * word_lib.coverage(
        query, title | text
    )


def nearness(distance_m: float) -> float:
    """1 within ``NEAR_FULL_M``, 0 from ``NEAR_M`` on, in a straight line between."""
    if distance_m <= NEAR_FULL_M:
        return 1.0
    return max(0.0, (NEAR_M - distance_m) / (NEAR_M - NEAR_FULL_M))


def combined_score(alike: float, distance_m: float | None, *, pinned: bool) -> float:
    """The score of a report whose words are ``alike`` and which lies ``distance_m`` away
    from the query's pin (``pinned``); None: the report has no point, and counts as
    ``UNKNOWN_NEARNESS`` near."""
    if not pinned:
        return alike
    near = UNKNOWN_NEARNESS if distance_m is None else nearness(distance_m)
    return (1 - NEAR_WEIGHT) * alike + NEAR_WEIGHT * near
