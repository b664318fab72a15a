"""The recap pages and their exports. Each view parses the month (or quarter) and region, asks
``reports.selectors`` (which decides who may read what) and renders; the numbers come from
``reports.figures`` for the page and every export alike."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dashboard.views import staff_view
from lapor.lib.actions import ActionError
from reports import charts, exports, selectors
from reports.figures import FIGURES, display, display_row
from reports.selectors import RecapScope
from routing.models import Region

TREND_KEYS = ("received", "first_answers", "unanswered")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "reports/error.html", {"message": message}, status=400)


def _month(request: HttpRequest) -> dt.date:
    """The month asked for; without one, the newest built (or, before any, the last ended).

    :raises ActionError: for a malformed month.
    """
    value = request.GET.get("month", "")
    if value:
        return selectors.parse_month(value)
    newest = selectors.newest_month()
    if newest is not None:
        return newest
    return selectors.shift_month(timezone.localdate().replace(day=1), -1)


def _trail(scope: RecapScope, region: Region | None) -> list[tuple[str, str]]:
    """(name, region code) from the user's own region down to ``region``."""
    trail: list[tuple[str, str]] = []
    node = region
    while node is not None and scope.covers(node):
        trail.insert(0, (node.name, node.code))
        node = node.parent
    if scope.region is None:
        trail.insert(0, ("Indonesia", ""))
    return trail


def _query(**params: str) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


@require_GET
@staff_view
def monthly(request: HttpRequest) -> HttpResponse:
    try:
        month = _month(request)
    except ActionError as error:
        return _bad_request(request, str(error))
    scope, region = selectors.access_recap_region(request.user, request.GET.get("region", ""))
    table = selectors.recap_table(month, region)
    trend = selectors.recap_trend(month, region)
    code = region.code if region else ""
    rows = [
        {
            "row": row,
            "cells": display_row(row),
            "states": [display(getattr(row, key), "count") for key in charts.STATE_KEYS],
            "url": _query(month=f"{month:%Y-%m}", region=row.region_id) if row.region_id else "",
        }
        for row in table.rows
    ]
    context: dict[str, Any] = {
        "scope": scope,
        "region": region,
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "months": selectors.built_months(),
        "table": table,
        "rows": rows,
        "total": display_row(table.total) if table.total else None,
        "figures": FIGURES,
        "trail": [
            (name, _query(month=f"{month:%Y-%m}", region=c)) for name, c in _trail(scope, region)
        ],
        "trend": [
            (
                m,
                [display(getattr(r, k), "count") if r else "–" for k in TREND_KEYS],
            )
            for m, r in trend
        ],
        "trend_svg": charts.to_svg(charts.trend_chart(trend)),
        "states_svg": charts.to_svg(charts.states_chart(table.rows)) if table.rows else None,
        "exports": [
            (
                kind.upper(),
                reverse("reports:monthly-export", args=[kind])
                + _query(month=f"{month:%Y-%m}", region=code),
            )
            for kind in EXPORT_TYPES
        ],
        "can_evaluate": scope.region is None or scope.region.level == Region.Level.PROVINCE,
    }
    return render(request, "reports/monthly.html", context)


@require_GET
@staff_view
def monthly_export(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        month = _month(request)
    except ActionError as error:
        return _bad_request(request, str(error))
    _scope, region = selectors.access_recap_region(request.user, request.GET.get("region", ""))
    table = selectors.recap_table(month, region)
    if table.total is None:
        return _bad_request(request, _("This month has no recap yet."))
    header, rows = exports.recap_rows(table)
    title = exports.monthly_title(table)
    name = f"rekap-{month:%Y-%m}-{region.code if region else 'nasional'}"
    if kind == "csv":
        body = exports.to_csv(header, rows)
    elif kind == "xlsx":
        body = exports.to_xlsx(f"{month:%Y-%m}", header, rows)
    else:
        trend = selectors.recap_trend(month, region)
        header, rows = exports.recap_rows(table, compact=True)
        body = exports.to_pdf(
            title=title,
            period=exports.recap_period(table),
            header=header,
            rows=rows,
            charts=[charts.trend_chart(trend), *charts.states_charts(table.rows)],
            notes=[(str(f.label), str(f.definition)) for f in FIGURES],
        )
    return _download(body, kind, name)


def _download(body: bytes, kind: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=EXPORT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


# --- quarterly evaluation ----------------------------------------------------------------------


@require_GET
@staff_view
def evaluation(request: HttpRequest) -> HttpResponse:
    try:
        year, quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""))
    except ActionError as error:
        return _bad_request(request, str(error))
    scope, province = selectors.access_evaluation_province(
        request.user, request.GET.get("region", "")
    )
    quarter_value = f"{year}-Q{quarter}"
    context: dict[str, Any] = {
        "scope": scope,
        "province": province,
        "quarter_value": quarter_value,
        "months": selectors.quarter_months(year, quarter),
        "minimum": selectors.minimum_reports(),
        "notes": selectors.evaluation_notes(),
    }
    if province is None:
        context["provinces"] = [
            (r.name, _query(quarter=quarter_value, region=r.code))
            for r in Region.objects.filter(level=Region.Level.PROVINCE, agencies__isnull=False)
            .distinct()
            .order_by("name")
        ]
    else:
        header, rows = exports.evaluation_rows(
            selectors.quarterly_evaluation(province, year, quarter)
        )
        context.update(
            header=header,
            rows=rows,
            exports=[
                (
                    kind.upper(),
                    reverse("reports:evaluation-export", args=[kind])
                    + _query(quarter=quarter_value, region=province.code),
                )
                for kind in ("csv", "pdf")
            ],
        )
    return render(request, "reports/evaluation.html", context)


@require_GET
@staff_view
def evaluation_export(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        year, quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""))
    except ActionError as error:
        return _bad_request(request, str(error))
    _scope, province = selectors.access_evaluation_province(
        request.user, request.GET.get("region", "")
    )
    if province is None:
        return _bad_request(request, _("Choose a province."))
    header, rows = exports.evaluation_rows(selectors.quarterly_evaluation(province, year, quarter))
    name = f"evaluasi-{year}-q{quarter}-{province.code}"
    if kind == "csv":
        return _download(exports.to_csv(header, rows), kind, name)
    months = selectors.quarter_months(year, quarter)
    period = _("%(first)s to %(last)s") % {
        "first": date_format(months[0], "F Y"),
        "last": date_format(months[-1], "F Y"),
    }
    body = exports.to_pdf(
        title=_("Quarterly evaluation: %(province)s, %(year)s Q%(quarter)s")
        % {"province": province.name, "year": year, "quarter": quarter},
        period=period,
        header=header,
        rows=rows,
        notes=selectors.evaluation_notes(),
    )
    return _download(body, kind, name)
