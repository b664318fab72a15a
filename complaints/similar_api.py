"""``GET /api/v1/complaints/similar/``: the open public reports that look like one being written
(``complaints.similar``), for the report form's suggestions and for any client that files
reports. Public and without authentication, limited as every API request is
(``lapor.throttling.ApiRateThrottle``). Nothing about any reporter: no address, no exact point,
no text."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import places, similar
from complaints.api import FIELD_ERRORS
from complaints.models import TITLE_MIN_LENGTH, Complaint
from routing.models import Category, Region
from routing.selectors import is_region_code

QUERY_MIN_LENGTH = 3
QUERY_MAX_LENGTH = 200
# A Kemendagri code is at most "64.72.01.1001"; a category's code at most its field's length.
REGION_CODE_MAX_LENGTH = 13
CATEGORY_CODE_MAX_LENGTH = 40


class SimilarQuery(serializers.Serializer):
    """The query string: what the report says so far, where and about what."""

    q = serializers.CharField(
        min_length=QUERY_MIN_LENGTH,
        max_length=QUERY_MAX_LENGTH,
        help_text="The report's title as written so far: its words are compared (the report "
        f"form asks once the title has {TITLE_MIN_LENGTH} characters).",
    )
    region = serializers.CharField(
        max_length=REGION_CODE_MAX_LENGTH,
        help_text="Where: the Kemendagri code of a regency/city (64.72), or of a district or "
        "village inside one; reports anywhere in that regency/city are compared.",
    )
    category = serializers.CharField(
        max_length=CATEGORY_CODE_MAX_LENGTH,
        help_text="The code of an active category (/api/v1/categories/).",
    )
    lat = serializers.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="The pin's latitude (decimal degrees, WGS84), with `long`: nearer reports "
        "rank higher.",
    )
    long = serializers.FloatField(
        required=False, min_value=-180, max_value=180, help_text="With `lat`."
    )

    def validate_region(self, value: str) -> Region:
        region = Region.objects.filter(code=value).first() if is_region_code(value) else None
        if region is None:
            raise serializers.ValidationError(
                _(
                    "No region has this code. Give the code of a regency/city, or of a district "
                    "or village inside one, such as 64.72."
                )
            )
        if region.regency_code is None:
            raise serializers.ValidationError(
                _("This is a province: give a regency/city, or a district or village inside one.")
            )
        return region

    def validate_category(self, value: str) -> Category:
        category = Category.objects.filter(code=value, is_active=True).first()
        if category is None:
            raise serializers.ValidationError(_("No category in use has this code."))
        return category

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lat" in attrs) != ("long" in attrs):
            missing = "long" if "lat" in attrs else "lat"
            raise serializers.ValidationError(
                {missing: [_("Give lat and long together, or neither.")]}
            )
        return attrs


class SimilarReportSerializer(serializers.Serializer):
    """A report like the one being written, as the public may see it."""

    tracking_number = serializers.CharField(source="complaint.tracking_number")
    title = serializers.CharField(source="complaint.title")
    status = serializers.ChoiceField(choices=Complaint.Status.choices, source="complaint.status")
    status_display = serializers.CharField(source="complaint.get_status_display")
    region_code = serializers.CharField(source="complaint.region.code")
    region_name = serializers.CharField(source="complaint.region.name")
    support_count = serializers.IntegerField(
        source="complaint.support_count", help_text="Visitors who support (dukung) it."
    )
    submitted_at = serializers.DateTimeField(source="complaint.submitted_at")
    public_url = serializers.SerializerMethodField(help_text="The report's public page.")
    latitude = serializers.SerializerMethodField(
        help_text="The report's point as the public may see it: snapped to the centre of a "
        "grid cell (complaints.places); null without one."
    )
    longitude = serializers.SerializerMethodField(help_text="With `latitude`.")
    score = serializers.FloatField(
        help_text="How alike, 0 to 1: the words of the titles and texts, and how near when "
        "both have a point."
    )

    def get_public_url(self, found: similar.SimilarReport) -> str:
        path = reverse(
            "complaints:public", kwargs={"tracking_number": found.complaint.tracking_number}
        )
        return str(self.context["request"].build_absolute_uri(path))

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_latitude(self, found: similar.SimilarReport) -> float | None:
        point = places.public_point(found.complaint)
        return float(point[0]) if point else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_longitude(self, found: similar.SimilarReport) -> float | None:
        point = places.public_point(found.complaint)
        return float(point[1]) if point else None


class SimilarListSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="How many days back reports are compared.")
    results = SimilarReportSerializer(many=True)


class ComplaintSimilarApi(APIView):
    @extend_schema(
        operation_id="complaints_similar",
        parameters=[SimilarQuery],
        responses={
            200: SimilarListSerializer,
            400: OpenApiResponse(
                FIELD_ERRORS,
                description="A query too short or too long, an unknown region or category, a "
                "province, or half a point.",
            ),
        },
        summary="Open reports like one being written",
        description=(
            "Before filing: the open public reports of the same category in the same "
            "regency/city, from the last `days` days, whose words are most like `q` (and, "
            "with a point, that lie nearest), best first, at most 5; none that is too unlike. "
            "Support one instead of filing the same problem again "
            "(/api/v1/complaints/{tracking_number}/support/). No authentication."
        ),
    )
    def get(self, request: Request) -> Response:
        # An empty lat/long, as a form without a pin sends them, is no point at all.
        params = {
            key: value
            for key, value in request.query_params.items()
            if not (key in ("lat", "long") and value == "")
        }
        query = SimilarQuery(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        region: Region = data["region"]
        assert region.regency_code is not None  # validate_region
        point = (data["lat"], data["long"]) if "lat" in data else None
        found = similar.similar_reports(
            text=data["q"],
            regency_code=region.regency_code,
            category=data["category"],
            point=point,
            now=timezone.now(),
        )
        body = {"days": similar.similar_days(), "results": found}
        return Response(SimilarListSerializer(body, context={"request": request}).data)
