"""The public map (``/peta/``): public reports that carry a point, each shown only where
``complaints.places.public_point`` allows, filtered exactly like the public list (``/laporan/``,
the same ``PublicComplaintFilter``).

The page draws the filters, the count and the rule; the points come from a GeoJSON answer
(``/peta/titik.json``) that static/js/public-map.js reads with the page's own query string.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from complaints import places
from complaints.filters import PublicComplaintFilter, summarize
from complaints.models import Complaint

# The most points one answer holds: the newest reports that match. More would only slow a
# phone down; the page says so and asks for narrower filters when there are more.
MAP_POINT_LIMIT = 2000

# The columns a point needs: what it links to and says, and what public_point decides by.
_POINT_COLUMNS = (
    "tracking_number",
    "title",
    "status",
    "latitude",
    "longitude",
    "is_anonymous",
    "is_confidential",
)

# One degree of latitude, in metres (and of longitude at the equator: Indonesia lies across it).


def _located(request: HttpRequest) -> PublicComplaintFilter:
    """The public list's filters over the public reports that have a point."""
    return PublicComplaintFilter(
        request.GET,
        queryset=Complaint.objects.listed().filter(latitude__isnull=False, longitude__isnull=False),
    )


def public_precision() -> dict[str, float]:
    """The public rule in words' numbers: the width of a grid cell, in metres for a report
    with a named reporter and in kilometres for an anonymous one."""
    return {
        "named_m": round(places.cell_metres(places.PUBLIC_GRID_DEGREES), -1),
        "anonymous_km": round(places.cell_metres(places.ANONYMOUS_GRID_DEGREES) / 1000, 1),
    }


def map_features(reports: QuerySet[Complaint], *, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The newest ``limit`` of ``reports`` as GeoJSON features at their public points, and
    whether there were more. One query, of the columns a point needs only."""
    rows = list(reports.only(*_POINT_COLUMNS).order_by("-submitted_at", "-pk")[: limit + 1])
    features = []
    for complaint in rows[:limit]:
        point = places.public_point(complaint)
        if point is None:
            continue
        latitude, longitude = point
        features.append(
            {
                "type": "Feature",
                "id": complaint.tracking_number,
                "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
                "properties": {
                    "title": complaint.title,
                    "status": complaint.status,
                    "status_label": complaint.get_status_display(),
                    "url": reverse("complaints:public", args=[complaint.tracking_number]),
                },
            }
        )
    return features, len(rows) > limit


@require_GET
def public_map(request: HttpRequest) -> HttpResponse:
    """The map page: the public list's filters, how many reports match with a point, and the
    map, drawn by JavaScript from ``map_points`` (without it, a link to the list)."""
    filters = _located(request)
    summary = summarize(filters, request.GET, count_limit=MAP_POINT_LIMIT)
    query = request.GET.urlencode()
    return render(
        request,
        "complaints/map.html",
        {
            "filters": filters,
            "summary": summary,
            "points_url": reverse("complaints:map-points") + (f"?{query}" if query else ""),
            "list_url": reverse("complaints:public-list") + (f"?{query}" if query else ""),
            "limit": MAP_POINT_LIMIT,
            "precision": public_precision(),
        },
    )


@require_GET
def map_points(request: HttpRequest) -> JsonResponse:
    """The points of the public map as a GeoJSON FeatureCollection, with the list's filters:
    at most ``MAP_POINT_LIMIT`` (``limit``), the newest first; ``truncated`` says there were
    more. Filters that do not hold answer 400 with each field's messages."""
    filters = _located(request)
    if not filters.is_valid():
        return JsonResponse({"errors": filters.form.errors.get_json_data()}, status=400)
    features, truncated = map_features(filters.qs, limit=MAP_POINT_LIMIT)
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "limit": MAP_POINT_LIMIT,
            "truncated": truncated,
        }
    )
