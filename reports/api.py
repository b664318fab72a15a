"""The recaps as JSON: ``GET /api/v1/reports/monthly/?month=2026-10&region=64``, for
coordinators (Token or session authentication), with the figures of the page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.api import StaffApi
from lapor.lib.actions import ActionError
from reports import selectors
from reports.figures import FIGURES, row_values
from reports.models import MonthlyRecap


class RecapRowSerializer(serializers.Serializer[MonthlyRecap]):
    level = serializers.CharField(help_text="NATION, PROVINCE, REGENCY or AGENCY.")
    code = serializers.CharField(
        help_text="Kemendagri region code, agency code, or empty for the nation."
    )
    name = serializers.CharField()
    received = serializers.IntegerField()
    held = serializers.IntegerField()
    answered = serializers.IntegerField()
    in_process = serializers.IntegerField()
    unanswered = serializers.IntegerField()
    completed = serializers.IntegerField()
    archived = serializers.IntegerField()
    overdue = serializers.IntegerField()
    escalations = serializers.IntegerField()
    transfers = serializers.IntegerField()
    disputes = serializers.IntegerField()
    first_answers = serializers.IntegerField()
    median_days = serializers.IntegerField(allow_null=True)
    p90_days = serializers.IntegerField(allow_null=True)
    on_time = serializers.FloatField(allow_null=True, help_text="Percent of first answers on time.")
    rating = serializers.FloatField(allow_null=True, help_text="Average rating, 1 to 5.")
    rating_count = serializers.IntegerField()

    def to_representation(self, row: MonthlyRecap) -> dict[str, Any]:
        return {
            "level": row.level,
            "code": row.code,
            "name": row.name,
            **row_values(row),
            "rating_count": row.rating_count,
        }


MONTHLY_RESPONSE = inline_serializer(
    "MonthlyRecapResponse",
    {
        "month": serializers.CharField(help_text="YYYY-MM"),
        "region": serializers.CharField(help_text="The region asked for; empty: the nation."),
        "built_at": serializers.DateTimeField(),
        "total": RecapRowSerializer(),
        "rows": RecapRowSerializer(many=True),
        "definitions": serializers.DictField(child=serializers.CharField()),
    },
)
ERROR = inline_serializer("RecapError", {"detail": serializers.CharField()})


class MonthlyRecapApi(StaffApi):
    @extend_schema(
        operation_id="reports_monthly",
        summary="A month's recap for a region and each region or agency right under it",
        parameters=[
            OpenApiParameter(
                "month", OpenApiTypes.STR, description="YYYY-MM (default: the newest built)."
            ),
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description="Province (64) or regency/city (64.72) code; default: your own region "
                "(the nation for the national coordinator).",
            ),
        ],
        responses={
            200: MONTHLY_RESPONSE,
            400: OpenApiResponse(ERROR, description="A malformed month."),
            403: OpenApiResponse(
                ERROR, description="Not a coordinator, or a region outside yours."
            ),
            404: OpenApiResponse(ERROR, description="No such region, or no recap for that month."),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            month = (
                selectors.parse_month(request.query_params.get("month", ""))
                if request.query_params.get("month")
                else None
            )
        except ActionError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from error
        try:
            _scope, region = selectors.access_recap_region(
                request.user, request.query_params.get("region", "")
            )
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        month = month or selectors.newest_month()
        if month is None:
            raise exceptions.NotFound(_("No month has a recap yet."))
        table = selectors.recap_table(month, region)
        if table.total is None:
            raise exceptions.NotFound(_("This month has no recap yet."))
        return Response(
            {
                "month": f"{month:%Y-%m}",
                "region": region.code if region else "",
                "built_at": table.total.built_at,
                "total": RecapRowSerializer(table.total).data,
                "rows": RecapRowSerializer(table.rows, many=True).data,
                "definitions": {f.key: str(f.definition) for f in FIGURES},
            }
        )
