"""The recaps as JSON, for coordinators (Token or session authentication), with the figures
of the pages: ``GET /api/v1/reports/monthly/?month=2026-10&region=64`` and the quarterly
evaluation ``GET /api/v1/reports/evaluation/?quarter=2026-Q3&region=64``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.functional import lazy
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

from complaints.models import Channel
from dashboard.api import IsOfficer, StaffApi
from lapor.lib.actions import ActionError
from reports import selectors
from reports.figures import CHANNEL_DEFINITION, FIGURES, Figure, channel_counts, row_values
from reports.models import MonthlyRecap
from reports.selectors import SCORE_WEIGHTS, Evaluation, Unranked

# The page's own parsing of the quarter and its rule of who evaluates which province.


def _figure_field(figure: Figure) -> serializers.Field[Any, Any, Any, Any]:
    # The schema says what each figure means: its definition, in English.
    with translation.override("en"):
        help_text = f"{figure.label}: {figure.definition}"
    if figure.kind == "count":
        return serializers.IntegerField(help_text=help_text)
    unit = {"days": " Working days.", "percent": " Percent.", "rating": " 1 to 5."}[figure.kind]
    return serializers.FloatField(allow_null=True, help_text=help_text + unit)


def _channel_help() -> str:
    with translation.override("en"):
        return (
            f"Received by channel: {CHANNEL_DEFINITION} Every channel "
            f"({', '.join(Channel.values)}) with its count, 0 when none; they add up to "
            "`received`."
        )


# ``received`` by channel: an object with every channel's value as a key, each an integer.
ChannelCountsSerializer = inline_serializer(
    "ReceivedByChannel",
    {
        channel.value: serializers.IntegerField(help_text=f"Reports received by {channel.label}.")
        for channel in Channel
    },
    help_text=lazy(_channel_help, str)(),
)


class _RecapRowBase(serializers.Serializer[MonthlyRecap]):
    level = serializers.CharField(help_text="NATION, PROVINCE, REGENCY or AGENCY.")
    code = serializers.CharField(
        help_text="Kemendagri region code, agency code, or empty for the nation."
    )
    name = serializers.CharField()
    answered_on_time = serializers.IntegerField(
        help_text="First final answers given by the completion deadline (on_time's numerator)."
    )
    rating_count = serializers.IntegerField(help_text="Ratings given in the month.")
    received_by_channel = ChannelCountsSerializer

    def to_representation(self, row: MonthlyRecap) -> dict[str, Any]:
        return {
            "level": row.level,
            "code": row.code,
            "name": row.name,
            **row_values(row),
            "answered_on_time": row.answered_on_time,
            "rating_count": row.rating_count,
            "received_by_channel": channel_counts(row),
        }


# One row: its scope, every figure of ``reports.figures`` (the month's flows, the stock at its
# end, speed) rounded as the page shows them, and the counts behind the shares.
RecapRowSerializer = type(
    "RecapRowSerializer",
    (_RecapRowBase,),
    {figure.key: _figure_field(figure) for figure in FIGURES},
)


MONTHLY_RESPONSE = inline_serializer(
    "MonthlyRecapResponse",
    {
        "month": serializers.CharField(help_text="YYYY-MM"),
        "region": serializers.CharField(help_text="The region asked for; empty: the nation."),
        "built_at": serializers.DateTimeField(),
        "total": RecapRowSerializer(),
        "rows": RecapRowSerializer(many=True),
        "definitions": serializers.DictField(child=serializers.CharField()),
        "groups": serializers.DictField(
            child=serializers.CharField(),
            help_text="Each figure's group: flow (in the month), stock (open at its end) or "
            "time (speed and satisfaction); never add figures of different groups.",
        ),
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
                "rows": RecapRowSerializer(table.rows, many=True).data,
                "definitions": {
                    **{f.key: str(f.definition) for f in FIGURES},
                    "received_by_channel": str(CHANNEL_DEFINITION),
                },
                "groups": {**{f.key: f.group for f in FIGURES}, "received_by_channel": "flow"},
            }
        )


# --- quarterly evaluation ----------------------------------------------------------------------

PERCENT = "Percent, one decimal, rounded half up; null when there is nothing to measure."


class EvaluationPartsSerializer(serializers.Serializer[dict[str, Any]]):
    answered = serializers.FloatField(allow_null=True)
    on_time = serializers.FloatField(allow_null=True)
    deadlines_kept = serializers.FloatField(allow_null=True)
    rating = serializers.FloatField(allow_null=True)
    undisputed = serializers.FloatField(allow_null=True)


class EvaluationRowSerializer(serializers.Serializer[Evaluation]):
    """One regency/city's quarter: the flows of its three months added up, the stock at the end
    of the quarter's last built month, with the figures of the page (``reports.exports``)."""

    rank = serializers.IntegerField(
        allow_null=True, help_text="Equal scores share a rank; null: see `unranked_reason`."
    )
    unranked_reason = serializers.ChoiceField(
        choices=[Unranked.NOTHING_TO_SCORE, Unranked.PROVISIONAL, Unranked.TOO_FEW_REPORTS],
        allow_null=True,
        help_text="Why there is no rank: no reports to answer (and no score), a provisional "
        "quarter, or fewer than `minimum_reports` reports to answer; null when ranked.",
    )
    code = serializers.CharField(help_text="Kemendagri code of the regency/city.")
    name = serializers.CharField()
    received = serializers.IntegerField(
        help_text="Reports filed in the quarter about a place in it; not scored."
    )
    responsible = serializers.IntegerField(
        help_text="Reports to answer: `first_answers` + `escalated_unanswered` + `overdue`."
    )
    first_answers = serializers.IntegerField(help_text="First final answers in the quarter.")
    answered_on_time = serializers.IntegerField(
        help_text="Of `first_answers`, by the completion deadline that applied when the report "
        "first reached the agency."
    )
    escalated_unanswered = serializers.IntegerField(
        help_text="Reports its agencies let escalate without a final answer in the quarter."
    )
    escalations = serializers.IntegerField(help_text="Deadlines missed in the quarter.")
    open = serializers.IntegerField(help_text="Open with its agencies at the quarter's end.")
    overdue = serializers.IntegerField(help_text="Of `open`, past their deadline.")
    disputes = serializers.IntegerField()
    rating_count = serializers.IntegerField()
    answered_share = serializers.FloatField(
        allow_null=True, help_text="`first_answers` of `responsible`. " + PERCENT
    )
    on_time_share = serializers.FloatField(
        allow_null=True, help_text="`answered_on_time` of `responsible`. " + PERCENT
    )
    dispute_share = serializers.FloatField(
        allow_null=True, help_text="`disputes` of `first_answers`. " + PERCENT
    )
    median_days = serializers.FloatField(allow_null=True, help_text="Working days, one decimal.")
    rating = serializers.FloatField(allow_null=True, help_text="Average rating, 1 to 5.")
    parts = EvaluationPartsSerializer(
        help_text="Each part of the score, 0 to 100 (one decimal); null: left out for want of data."
    )
    left_out = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SCORE_WEIGHTS)),
        help_text="The parts the score leaves out for want of data.",
    )
    score = serializers.FloatField(
        allow_null=True,
        help_text="0 to 100, the weighted average of `parts` (see `weights`); null: no reports "
        "to answer, no score.",
    )

    def to_representation(self, e: Evaluation) -> dict[str, Any]:
        return {
            "rank": e.rank,
            "unranked_reason": e.unranked_reason,
            "code": e.region.code,
            "name": e.region.name,
            "received": e.received,
            "responsible": e.responsible,
            "first_answers": e.first_answers,
            "answered_on_time": e.answered_on_time,
            "escalated_unanswered": e.escalated_unanswered,
            "escalations": e.escalations,
            "open": e.open,
            "overdue": e.overdue,
            "disputes": e.disputes,
            "rating_count": e.rating_count,
            "answered_share": e.answered_share,
            "on_time_share": e.on_time_share,
            "dispute_share": e.dispute_share,
            "median_days": e.median_days,
            "rating": e.rating,
            "parts": e.part_percents,
            "left_out": e.left_out,
            "score": e.score,
        }


EVALUATION_RESPONSE = inline_serializer(
    "QuarterlyEvaluationResponse",
    {
        "quarter": serializers.CharField(help_text="YYYY-Qn"),
        "label": serializers.CharField(help_text="The quarter's name: Triwulan III 2026."),
        "region": serializers.CharField(help_text="The province evaluated."),
        "months": serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM"),
        "months_built": serializers.ListField(
            child=serializers.CharField(), help_text="The quarter's months that have recaps."
        ),
        "provisional": serializers.BooleanField(
            help_text="The quarter has not ended, or not all its months are built: no ranks."
        ),
        "provisional_reason": serializers.CharField(
            allow_null=True,
            help_text="Why the quarter is provisional, in plain words; null if not.",
        ),
        "minimum_reports": serializers.IntegerField(
            help_text="Reports to answer a regency/city needs in the quarter to be ranked."
        ),
        "weights": inline_serializer(
            "EvaluationWeights",
            {key: serializers.IntegerField() for key in SCORE_WEIGHTS},
            help_text="The weight of each part of the score, out of 100.",
        ),
        "rows": EvaluationRowSerializer(many=True),
        "definitions": inline_serializer(
            "EvaluationDefinition",
            {"label": serializers.CharField(), "definition": serializers.CharField()},
            many=True,
        ),
    },
)


def _evaluation_description() -> str:
    with translation.override("en"):
        notes = "\n".join(f"- **{label}**: {text}" for label, text in selectors.evaluation_notes())
    return (
        "The page /reports/evaluation/ as JSON, for the national coordinator (any province, "
        "which it must name) and a province coordinator (its own). Rows ranked by score among "
        "those with at least `minimum_reports` reports to answer, best first, then the others "
        "by code; no ranks at all while the quarter is provisional (`provisional`, "
        "`provisional_reason`); no rows for a quarter without recaps. The figures:\n\n" + notes
    )


class QuarterlyEvaluationApi(StaffApi):
    permission_classes = [IsAuthenticated, IsOfficer]

    @extend_schema(
        operation_id="reports_evaluation",
        summary="The quarterly evaluation of a province's regencies and cities",
        # Built when the schema is: the definitions and the minimum in force, in English.
        description=lazy(_evaluation_description, str)(),
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
        now = timezone.now()
        try:
            quarter = selectors.evaluation_quarter(request.GET.get("quarter", ""), now=now)
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
        result = selectors.quarterly_evaluation(province, quarter, now=now)
        return Response(
            {
                "quarter": quarter.value,
                "label": quarter.label,
                "region": province.code,
                "months": [f"{m:%Y-%m}" for m in quarter.months],
                "months_built": [f"{m:%Y-%m}" for m in result.built],
                "provisional": result.provisional,
                "provisional_reason": result.provisional_reason,
                "minimum_reports": selectors.minimum_reports(),
                "weights": SCORE_WEIGHTS,
                "rows": EvaluationRowSerializer(result.rows, many=True).data,  # type: ignore[arg-type]  # drf-stubs: many=True takes a list
                "definitions": [
                    {"label": label, "definition": text}
                    for label, text in selectors.evaluation_notes()
                ],
            }
        )
