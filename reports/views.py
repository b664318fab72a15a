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
from reports.figures import (
    CHANNEL_DEFINITION,
    CHANNEL_TITLE,
    Figure,
    channel_counts,
    channel_label,
    channel_short_label,
    display,
    row_values,
    share,
)
from reports.models import MonthlyRecap
from reports.selectors import RecapScope
from routing.models import Region

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
    urls = {
        row.pk: _query(month=f"{month:%Y-%m}", region=row.region_id) if row.region_id else ""
        for row in table.rows
    }
    rows = [
        {
            "row": row,
            "states": [display(getattr(row, key), "count") for key in charts.STATE_KEYS],
        }
        for row in table.rows
    ]
    # One table per group of figures: each narrow enough for a desktop, and on a phone each
    # scrolls in its own box with the names kept in view.
    groups = [
        {
            "key": key,
            "title": title,
            "note": note,
            "figures": members,
            "rows": [
                {"row": row, "url": urls[row.pk], "cells": _shown(row, members)}
                for row in table.rows
            ],
            "total": _shown(table.total, members) if table.total else None,
        }
        for key, title, note, members in exports.figure_groups()
    ]
    month_query = _query(month=f"{month:%Y-%m}", region=code)
    context: dict[str, Any] = {
        **_channel_tables(table, urls),
        "scope": scope,
        "region": region,
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "months": selectors.built_months(),
        "table": table,
        "build": selectors.recap_build(month),
        "rows": rows,
        "groups": groups,
        "trail": [
            (name, _query(month=f"{month:%Y-%m}", region=c)) for name, c in _trail(scope, region)
        ],
        "trend": [
            (
                m,
                [display(getattr(r, k), "count") if r else "–" for k in charts.TREND_KEYS],
            )
            for m, r in trend
        ],
        "trend_labels": [charts.figure_label(k) for k in charts.TREND_KEYS],
        "trend_svg": charts.to_svg(charts.trend_chart(trend)),
        "states_title": charts.states_title(),
        "state_labels": [charts.figure_label(k) for k in charts.STATE_KEYS],
        "states_svg": charts.to_svg(charts.states_chart(table.rows)) if table.rows else None,
        "exports": [
            (kind.upper(), reverse("reports:monthly-export", args=[kind]) + month_query)
            for kind in EXPORT_TYPES
        ],
        "csv_for_scripts": reverse("reports:monthly-export", args=["csv"])
        + month_query
        + "&sep=comma",
        "can_evaluate": scope.region is None or scope.region.level == Region.Level.PROVINCE,
    }
    return render(request, "reports/monthly.html", context)


def _channel_tables(table: selectors.RecapTable, urls: dict[int, str]) -> dict[str, Any]:
    """``received`` by channel: for the region shown (each channel in ``Channel`` order, its
    count and share, 0 where none), and for each region and agency under it."""
    if table.total is None:
        return {}
    total = channel_counts(table.total)
    # The table per region and agency has a column for each channel that received reports in
    # the region shown, under its short name: all eleven would not fit an office screen.
    used = [channel for channel, count in total.items() if count]
    return {
        "channel_title": CHANNEL_TITLE,
        "channel_definition": CHANNEL_DEFINITION,
        "channel_labels": [
            {"short": channel_short_label(c), "full": channel_label(c)} for c in used
        ],
        "channels": [
            {
                "label": channel_label(channel),
                "count": display(count, "count"),
                "share": display(share(count, table.total.received), "percent"),
            }
            for channel, count in total.items()
        ],
        "channel_received": display(table.total.received, "count"),
        "channel_all": display(share(table.total.received, table.total.received), "percent"),
        "channel_rows": [
            {
                "row": row,
                "url": urls[row.pk],
                "cells": [
                    display(n, "count")
                    for n in [row.received, *(channel_counts(row)[c] for c in used)]
                ],
            }
            for row in table.rows
        ],
        "channel_total": [
            display(n, "count") for n in [table.total.received, *(total[c] for c in used)]
        ],
    }


def _shown(row: MonthlyRecap, members: list[Figure]) -> list[str]:
    """The figures ``members`` of ``row`` as the page writes them."""
    values = row_values(row)
    return [display(values[f.key], f.kind) for f in members]


@require_GET
@staff_view
def monthly_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The recap as CSV, XLSX or PDF. The CSV is, by default, the form Excel with Indonesian
    settings opens into columns (semicolons, decimal commas, a byte order mark); ``sep=comma``
    asks for RFC 4180 with decimal points, for scripts (see ``exports.to_csv``)."""
    try:
        month = _month(request)
    except ActionError as error:
        return _bad_request(request, str(error))
    sep = request.GET.get("sep") or "semicolon"
    if sep not in exports.CSV_SEPARATORS:
        return _bad_request(request, _("Give sep=semicolon or sep=comma."))
    _scope, region = selectors.access_recap_region(request.user, request.GET.get("region", ""))
    table = selectors.recap_table(month, region)
    if table.total is None:
        return _bad_request(request, _("This month has no recap yet."))
    header, rows = exports.recap_rows(table)
    title = exports.monthly_title(table)
    name = f"rekap-{month:%Y-%m}-{region.code if region else 'nasional'}"
    if kind == "csv":
        body = exports.to_csv(header, rows, sep=sep)
    elif kind == "xlsx":
        body = exports.to_xlsx(f"{month:%Y-%m}", header, rows, kinds=exports.recap_kinds())
    else:
        trend = selectors.recap_trend(month, region)
        header, rows = exports.recap_rows(table, compact=True)
        body = exports.to_pdf(
            title=title,
            period=exports.recap_period(table),
            header=header,
            rows=rows,
            charts=[charts.trend_chart(trend), *charts.states_charts(table.rows)],
            notes=[
                note
                for key, group_title, group_note, members in exports.figure_groups()
                for note in [
                    *([(group_title, group_note)] if group_title else []),
                    *((str(f.label), str(f.definition)) for f in members),
                    *([(str(CHANNEL_TITLE), str(CHANNEL_DEFINITION))] if key == "flow" else []),
                ]
            ],
            groups=exports.recap_groups(compact=True),
            total=True,
            tables=[(str(CHANNEL_TITLE), *exports.channel_rows(table))],
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
    now = timezone.now()
    try:
        quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""), now=now)
    except ActionError as error:
        return _bad_request(request, str(error))
    scope, province = selectors.access_evaluation_province(
        request.user, request.GET.get("region", "")
    )
    context: dict[str, Any] = {
        "scope": scope,
        "province": province,
        "quarter": quarter,
        "quarters": selectors.evaluation_quarters(include=quarter),
        "months": quarter.months,
        "minimum": selectors.minimum_reports(),
        "notes": selectors.evaluation_notes(),
    }
    if province is None:
        context["provinces"] = [
            (r.name, _query(quarter=quarter.value, region=r.code))
            for r in Region.objects.filter(level=Region.Level.PROVINCE, agencies__isnull=False)
            .distinct()
            .order_by("name")
        ]
    else:
        result = selectors.quarterly_evaluation(province, quarter, now=now)
        header, rows = exports.evaluation_rows(result.rows)
        context.update(
            result=result,
            header=header,
            rows=rows,
            exports=[
                (
                    kind.upper(),
                    reverse("reports:evaluation-export", args=[kind])
                    + _query(quarter=quarter.value, region=province.code),
                )
                for kind in ("csv", "pdf")
            ],
        )
    return render(request, "reports/evaluation.html", context)


@require_GET
@staff_view
def evaluation_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The evaluation as CSV (in the forms of ``monthly_export``) or PDF; a provisional quarter
    says so on a line above the table."""
    now = timezone.now()
    try:
        quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""), now=now)
    except ActionError as error:
        return _bad_request(request, str(error))
    sep = request.GET.get("sep") or "semicolon"
    if sep not in exports.CSV_SEPARATORS:
        return _bad_request(request, _("Give sep=semicolon or sep=comma."))
    _scope, province = selectors.access_evaluation_province(
        request.user, request.GET.get("region", "")
    )
    if province is None:
        return _bad_request(request, _("Choose a province."))
    result = selectors.quarterly_evaluation(province, quarter, now=now)
    header, rows = exports.evaluation_rows(result.rows)
    name = f"evaluasi-{quarter.year}-q{quarter.number}-{province.code}"
    if kind == "csv":
        if result.provisional_reason:  # the line above the table
            body = exports.to_csv([result.provisional_reason], [header, *rows], sep=sep)
        else:
            body = exports.to_csv(header, rows, sep=sep)
        return _download(body, kind, name)
    months = quarter.months
    period = _("%(first)s to %(last)s") % {
        "first": date_format(months[0], "F Y"),
        "last": date_format(months[-1], "F Y"),
    }
    if result.provisional_reason:
        period = f"{period}. {result.provisional_reason}"
    body = exports.to_pdf(
        title=_("Quarterly evaluation: %(province)s, %(quarter)s")
        % {"province": province.name, "quarter": quarter.label},
        period=period,
        header=header,
        rows=rows,
        notes=selectors.evaluation_notes(),
    )
    return _download(body, kind, name)
