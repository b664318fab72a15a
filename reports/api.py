"""The recaps as JSON, for coordinators (Token or session authentication), with the figures
of the pages: ``GET /api/v1/reports/monthly/?month=2026-10&region=64`` and the quarterly
evaluation ``GET /api/v1/reports/evaluation/?quarter=2026-Q3&region=64``."""

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
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.api import IsOfficer, StaffApi
from lapor.lib.actions import ActionError
from reports import selectors
from reports.exports import percent
from reports.figures import FIGURES, row_values
from reports.models import MonthlyRecap
from reports.selectors import Evaluation

# The page's own parsing of the quarter and its rule of who evaluates which province.


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
            401: OpenApiResponse(ERROR, description="No or a wrong token, and no session."),
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
                "rows": RecapRowSerializer(table.rows, many=True).data,  # type: ignore[arg-type]  # drf-stubs: many=True takes a list
                "definitions": {f.key: str(f.definition) for f in FIGURES},
            }
        )


# --- quarterly evaluation ----------------------------------------------------------------------


class EvaluationRowSerializer(serializers.Serializer[Evaluation]):
    """One regency/city's quarter, with the figures of the page (``reports.exports``)."""

    rank = serializers.IntegerField(
        allow_null=True, help_text="Equal scores share a rank; null: too few reports."
    )
    code = serializers.CharField(help_text="Kemendagri code of the regency/city.")
    name = serializers.CharField()
    received = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Held at the end of the quarter, archived left out.")
    answered = serializers.IntegerField(help_text="Of `held`, answered or completed.")
    followed_up = serializers.IntegerField(
        help_text="Of `held`, in process, answered or completed."
    )
    first_answers = serializers.IntegerField()
    answered_on_time = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True, help_text="Percent, 1 decimal.")
    on_time = serializers.FloatField(allow_null=True, help_text="Percent, 1 decimal.")
    median_days = serializers.IntegerField(allow_null=True, help_text="Working days.")
    disputes = serializers.IntegerField()
    rating = serializers.FloatField(allow_null=True, help_text="Average rating, 1 to 5.")
    rating_count = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="0 to 100; null when not ranked.")
    half_followed_up = serializers.BooleanField(
        allow_null=True, help_text="At least half of `held` followed up; null when none held."
    )

    def to_representation(self, e: Evaluation) -> dict[str, Any]:
        return {
            "rank": e.rank,
            "code": e.region.code,
            "name": e.region.name,
            "received": e.received,
            "held": e.held,
            "answered": e.answered,
            "followed_up": e.followed_up,
            "first_answers": e.first_answers,
            "answered_on_time": e.answered_on_time,
            "response_rate": percent(e.response_rate),
            "on_time": percent(e.on_time_rate),
            "median_days": e.median_days,
            "disputes": e.disputes,
            "rating": round(e.average_rating, 2) if e.average_rating is not None else None,
            "rating_count": e.rating_count,
            "score": e.score,
            "half_followed_up": None if e.follow_up_rate is None else e.half_followed_up,
        }


EVALUATION_RESPONSE = inline_serializer(
    "QuarterlyEvaluationResponse",
    {
        "quarter": serializers.CharField(help_text="YYYY-Qn"),
        "region": serializers.CharField(help_text="The province evaluated."),
        "months": serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM"),
        "minimum_reports": serializers.IntegerField(
            help_text="Reports a regency/city must receive in the quarter to be ranked."
        ),
        "rows": EvaluationRowSerializer(many=True),
        "definitions": inline_serializer(
            "EvaluationDefinition",
            {"label": serializers.CharField(), "definition": serializers.CharField()},
            many=True,
        ),
    },
)


class QuarterlyEvaluationApi(StaffApi):
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(
        operation_id="reports_evaluation",
        summary="The quarterly evaluation of a province's regencies and cities",
        description=(
            "The page /reports/evaluation/ as JSON, for the national coordinator (any province, "
            "which it must name) and a province coordinator (its own). Rows ranked by score "
            "among those with at least `minimum_reports` reports, best first, then the others; "
            "no rows for a quarter without recaps."
        ),
        parameters=[
            OpenApiParameter(
                "quarter",
                OpenApiTypes.STR,
                description="YYYY-Qn, such as 2026-Q3 (default: the last ended quarter).",
            ),
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description="Province code (64); default: your own province. The national "
                "coordinator must give one.",
            ),
        ],
        responses={
            200: EVALUATION_RESPONSE,
            400: OpenApiResponse(
                ERROR, description="A malformed quarter, or no province named (national)."
            ),
            401: OpenApiResponse(ERROR, description="No or a wrong token, and no session."),
            403: OpenApiResponse(
                ERROR,
                description="Not a national or province coordinator, or a region that is not "
                "a province of yours.",
            ),
            404: OpenApiResponse(ERROR, description="No such province or regency/city."),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            year, quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""))
        except ActionError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from error
        try:
            _scope, province = selectors.access_evaluation_province(
                request.user, request.GET.get("region", "")
            )
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        if province is None:
            raise exceptions.ValidationError({"detail": _("Choose a province.")})
        evaluations = selectors.quarterly_evaluation(province, year, quarter)
        return Response(
            {
                "quarter": f"{year}-Q{quarter}",
                "region": province.code,
                "months": [f"{m:%Y-%m}" for m in selectors.quarter_months(year, quarter)],
                "minimum_reports": selectors.minimum_reports(),
                "rows": EvaluationRowSerializer(evaluations, many=True).data,  # type: ignore[arg-type]  # drf-stubs: many=True takes a list
                "definitions": [
                    {"label": label, "definition": text}
                    for label, text in selectors.evaluation_notes()
                ],
            }
        )
