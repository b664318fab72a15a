from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import (
    ADDRESS_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Complaint,
    ComplaintEvent,
)
from complaints.places import (
    ANONYMOUS_GRID_DEGREES,
    PUBLIC_GRID_DEGREES,
    cell_metres,
    public_point,
    staff_point,
)
from complaints.selectors import public_event_list, response_list
from lapor.fields import CodeRelatedField
from routing.models import Agency, Category, Region
from routing.selectors import is_provisional


class ComplaintCreateSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/complaints/``; the service checks the rules behind each field."""

    kind = serializers.ChoiceField(choices=Complaint.Kind.choices)
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, trim_whitespace=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, trim_whitespace=False)
    category = CodeRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        error_messages={"does_not_exist": _("Unknown category “{value}”.")},
    )
    region = CodeRelatedField(
        slug_field="code",
        queryset=Region.objects.filter(level__gt=Region.Level.PROVINCE),
        help_text=(
            "Kemendagri code of a regency/city (64.72), a district (64.72.01) or a village "
            "(64.72.01.1001)."
        ),
        error_messages={
            "does_not_exist": _(
                "Unknown region “{value}”: give the code of a regency/city, a district or a "
                "village."
            )
        },
    )
    incident_date = serializers.DateField(input_formats=["%Y-%m-%d"])
    is_anonymous = serializers.BooleanField(default=False)
    is_confidential = serializers.BooleanField(default=False)
    reporter_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    reporter_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    address = serializers.CharField(
        max_length=ADDRESS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text=(
            "An address or landmark (Jl. Pahlawan 12, depan SDN 005). Only the reporter and "
            "the staff who handle the report ever see it."
        ),
    )
    latitude = serializers.FloatField(
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Where it happened, in decimal degrees (WGS84), with `longitude`: both or neither. "
            "Kept as given (6 decimals) for the reporter and the staff; the public sees it "
            "only snapped to a grid (see `latitude` of the public view)."
        ),
    )
    longitude = serializers.FloatField(
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
        default=None,
        help_text="With `latitude`: both or neither.",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text=(
            "Up to LAPOR_MAX_ATTACHMENTS files (multipart only): JPG, PNG, WebP or HEIC "
            "images, or PDF. Every file is rebuilt without its metadata: images keep only "
            "their pixels (HEIC is stored as JPEG), a PDF is kept as pictures of its pages."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The point as the one door takes it (``point``), from both coordinates or neither."""
        latitude, longitude = attrs.pop("latitude", None), attrs.pop("longitude", None)
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            raise serializers.ValidationError(
                {missing: [_("Give both latitude and longitude, or neither.")]}
            )
        attrs["point"] = None if latitude is None else (latitude, longitude)
        return attrs


class ComplaintCreatedSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    access_key = serializers.CharField(help_text="Shown once; only its hash is stored.")
    status = serializers.CharField()
    url = serializers.CharField(help_text="The private link: the whole report, for the reporter.")


class RegionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level"]


class AgencyRefSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")

    class Meta:
        model = Agency
        fields = ["name", "level", "level_display"]


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "name_id", "name_en"]


class EventSerializer(serializers.ModelSerializer):
    # The event in words, with the agency it names filled in ("Passed on to Dinkes ...").
    type_display = serializers.CharField(source="label")

    class Meta:
        model = ComplaintEvent
        fields = ["type", "type_display", "from_status", "to_status", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    original_name = serializers.CharField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "position",
            "name",
            "original_name",
            "content_type",
            "size",
            "width",
            "height",
            "url",
        ]

    def get_url(self, obj: Attachment) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(
            reverse(
                "api:complaint-attachment",
                kwargs={"tracking_number": obj.complaint.tracking_number, "position": obj.position},
            )
        )


# A degree of latitude is about 111 km: a grid's cell, north to south, in metres.
_PUBLIC_POINT_HELP = (
    "Where it happened, as the public may see it (`complaints.places.public_point`): the "
    f"reporter's point snapped to the centre of a {PUBLIC_GRID_DEGREES}° grid cell (about "
    f"{round(cell_metres(PUBLIC_GRID_DEGREES), -1):.0f} m; "
    f"{ANONYMOUS_GRID_DEGREES}° for an anonymous report), so that it names no house. Null "
    "without a point, and for a report the public may not see (confidential, archived)."
)
_OWN_POINT_HELP = (
    "Where it happened, as the reporter gave it (decimal degrees, WGS84); null without a point."
)


class PointFields(serializers.Serializer):
    """``latitude`` and ``longitude`` as numbers, for the audience of the serializer: the
    public point here, the exact one where ``point`` is overridden (the reporter's own view)."""

    latitude = serializers.SerializerMethodField(help_text=_PUBLIC_POINT_HELP)
    longitude = serializers.SerializerMethodField(help_text="With `latitude`.")

    def point(self, obj: Complaint) -> tuple[Decimal, Decimal] | None:
        return public_point(obj)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_latitude(self, obj: Complaint) -> float | None:
        point = self.point(obj)
        return float(point[0]) if point else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_longitude(self, obj: Complaint) -> float | None:
        point = self.point(obj)
        return float(point[1]) if point else None


class ComplaintPublicSerializer(PointFields, serializers.ModelSerializer):
    """What anyone with the tracking number may see. Never the reporter, nor the address; the
    point only as the public may see it (``PointFields``). Of a confidential report, without its
    key, only the status and the dates: every other field is null (events an empty list)."""

    due_at = serializers.DateTimeField(
        source="pending_due_at",
        allow_null=True,
        read_only=True,
        help_text="The deadline that still runs (the holder's, or the reporter's reply window); "
        "null once the report is completed or archived.",
    )

    STATUS_ONLY = frozenset(
        {
            "tracking_number",
            "status",
            "status_display",
            "is_confidential",
            "submitted_at",
            "due_at",
            "due_at_provisional",
        }
    )

    category = CategorySerializer(allow_null=True, help_text="Null for a confidential report.")
    region = RegionRefSerializer(allow_null=True, help_text="Null for a confidential report.")
    status_display = serializers.CharField(source="get_status_display")
    kind_display = serializers.CharField(source="get_kind_display", allow_null=True)
    events = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    current_agency = AgencyRefSerializer(
        allow_null=True,
        help_text=(
            "Who holds the report now; null while in the central queue, and for a "
            "confidential report."
        ),
    )
    transfer_count = serializers.SerializerMethodField(
        help_text="How often an agency returned the report as not its authority."
    )
    due_at_provisional = serializers.SerializerMethodField(
        help_text=(
            "The deadline was counted over holidays not yet decreed (estimated or missing "
            "cuti bersama): it may move once the decree is entered."
        )
    )

    class Meta:
        model = Complaint
        fields = [
            "tracking_number",
            "kind",
            "kind_display",
            "title",
            "category",
            "region",
            "latitude",
            "longitude",
            "status",
            "status_display",
            "is_confidential",
            "incident_date",
            "submitted_at",
            "current_agency",
            "due_at",
            "due_at_provisional",
            "transfer_count",
            "events",
        ]
        extra_kwargs = {"kind": {"allow_null": True}, "incident_date": {"allow_null": True}}

    def to_representation(self, instance: Complaint) -> dict[str, Any]:
        if instance.is_confidential and not self.context.get("private"):
            return {
                name: (
                    field.to_representation(field.get_attribute(instance))
                    if name in self.STATUS_ONLY
                    else []
                    if name == "events"
                    else None
                )
                for name, field in self.fields.items()
            }
        return super().to_representation(instance)

    def get_title(self, obj: Complaint) -> str | None:
        # A confidential report without its key never gets here (``to_representation``).
        return obj.title

    def get_due_at_provisional(self, obj: Complaint) -> bool:
        return is_provisional(obj.pending_due_at, today=timezone.localdate())

    def get_transfer_count(self, obj: Complaint) -> int | None:
        return obj.transfer_requests.count()

    def get_events(self, obj: Complaint) -> list[dict[str, Any]]:
        return EventSerializer(public_event_list(obj), many=True).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list


class AnswerSerializer(serializers.Serializer):
    """An agency's answer, with its files (download them with the access key)."""

    agency = serializers.CharField(source="agency.name")
    text = serializers.CharField()
    is_final = serializers.BooleanField(
        help_text="A final answer (you may accept, dispute or rate it) or an interim reply "
        "(tindak lanjut: how the handling goes; the report stays with the agency)."
    )
    created_at = serializers.DateTimeField()
    attachments = serializers.SerializerMethodField()

    def get_attachments(self, obj: Any) -> list[dict[str, Any]]:
        return AttachmentSerializer(obj.files, many=True, context=self.context).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class ComplaintPrivateSerializer(ComplaintPublicSerializer):
    """The reporter's own view, behind the access key: their point as they gave it, and their
    address."""

    latitude = serializers.SerializerMethodField(help_text=_OWN_POINT_HELP)
    longitude = serializers.SerializerMethodField(help_text="With `latitude`.")
    reporter = ReporterSerializer()
    attachments = serializers.SerializerMethodField()
    responses = serializers.SerializerMethodField()

    class Meta(ComplaintPublicSerializer.Meta):
        fields = [
            *ComplaintPublicSerializer.Meta.fields,
            "description",
            "address",
            "is_anonymous",
            "reporter",
            "attachments",
            "responses",
        ]

    def point(self, obj: Complaint) -> tuple[Decimal, Decimal] | None:
        return staff_point(obj)

    def get_attachments(self, obj: Complaint) -> list[dict[str, Any]]:
        return AttachmentSerializer(  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list
            obj.attachments.filter(response__isnull=True).order_by("position"),
            many=True,
            context=self.context,
        ).data

    @extend_schema_field(AnswerSerializer(many=True))
    def get_responses(self, obj: Complaint) -> list[dict[str, Any]]:
        return AnswerSerializer(response_list(obj), many=True, context=self.context).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list


class ComplaintViewSerializer(ComplaintPublicSerializer):
    """Schema only: what following a report answers. Everyone gets the public view; with a
    valid X-Access-Key the private fields (``ComplaintPrivateSerializer``) come too, so they are
    optional here."""

    latitude = serializers.SerializerMethodField(
        help_text=f"{_PUBLIC_POINT_HELP} In the private view, the point as the reporter gave it."
    )
    description = serializers.CharField(required=False, help_text="Private view only.")
    address = serializers.CharField(
        required=False,
        help_text="Private view only: the address or landmark the reporter gave (may be empty).",
    )
    is_anonymous = serializers.BooleanField(required=False, help_text="Private view only.")
    reporter = ReporterSerializer(required=False, help_text="Private view only.")
    attachments = AttachmentSerializer(many=True, required=False, help_text="Private view only.")
    responses = AnswerSerializer(many=True, required=False, help_text="Private view only.")

    class Meta(ComplaintPrivateSerializer.Meta):
        pass


class PublicAgencyRefSerializer(AgencyRefSerializer):
    """An agency with its code, which names its public page (``/api/v1/agencies/{code}/``)."""

    class Meta(AgencyRefSerializer.Meta):
        fields = ["code", *AgencyRefSerializer.Meta.fields]


class ComplaintListItemSerializer(PointFields, serializers.ModelSerializer):
    """A report in the public list: what the web list shows. The list holds no confidential
    or archived report; nothing here is about the reporter (its point only as the public may
    see it, never its address), and the text is not listed."""

    category = CategorySerializer()
    region = RegionRefSerializer()
    kind_display = serializers.CharField(source="get_kind_display")
    status_display = serializers.CharField(source="get_status_display")
    current_agency = PublicAgencyRefSerializer(
        allow_null=True, help_text="Who holds the report now; null while in the central queue."
    )
    support_count = serializers.IntegerField(help_text="Visitors who support (dukung) it.")
    url = serializers.SerializerMethodField(help_text="The report's public view in the API.")

    class Meta:
        model = Complaint
        fields = [
            "tracking_number",
            "kind",
            "kind_display",
            "title",
            "category",
            "region",
            "latitude",
            "longitude",
            "status",
            "status_display",
            "submitted_at",
            "current_agency",
            "support_count",
            "url",
        ]

    def get_url(self, obj: Complaint) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:complaint-detail", kwargs={"tracking_number": obj.tracking_number})
        )


class OwnedComplaintSerializer(ComplaintListItemSerializer):
    """A report in the citizen's "my reports": the public list's fields, and whether it is
    confidential (then its public view, ``url``, shows no title; the owner sees it here). The
    point is the owner's own, as they gave it, with their address."""

    latitude = serializers.SerializerMethodField(help_text=_OWN_POINT_HELP)
    longitude = serializers.SerializerMethodField(help_text="With `latitude`.")
    address = serializers.CharField(
        help_text="The address or landmark the reporter gave (may be empty)."
    )

    class Meta(ComplaintListItemSerializer.Meta):
        fields = [*ComplaintListItemSerializer.Meta.fields, "is_confidential", "address"]

    def point(self, obj: Complaint) -> tuple[Decimal, Decimal] | None:
        return staff_point(obj)


class ComplaintSupportedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happened, in the caller's language.")
    new = serializers.BooleanField(help_text="False when this address supported it before.")
    support_count = serializers.IntegerField()


class AgencyContactSerializer(serializers.ModelSerializer):
    """How the public reaches an agency, as its page shows it; each empty when not known. The
    agency's own office, never anything of a reporter."""

    class Meta:
        model = Agency
        fields = ["email", "address", "phone", "website"]
        extra_kwargs = {
            "email": {"help_text": "The agency's shared address."},
            "address": {"help_text": "Its office's address."},
            "phone": {"help_text": "Its public phone number."},
            "website": {"help_text": "Its website."},
        }


class AgencyFiguresSerializer(serializers.Serializer):
    """``complaints.selectors.AgencyFigures``: the figures of the agency's public page."""

    since = serializers.DateTimeField(help_text="Start of the period: 365 days before now.")
    received = serializers.IntegerField(
        help_text="Reports handed to the agency since `since` (confidential ones left out)."
    )
    answered = serializers.IntegerField(help_text="Those of them the agency answered.")
    answered_share = serializers.FloatField(
        allow_null=True, help_text="answered / received, 0 to 1; null without reports."
    )
    median_days_to_answer = serializers.FloatField(
        allow_null=True,
        help_text="Median calendar days from the hand-over to the agency's first answer.",
    )


class AgencyPublicSerializer(serializers.ModelSerializer):
    """An agency's public page: who it is and how it responded over the last 12 months."""

    level_display = serializers.CharField(source="get_level_display")
    parent = PublicAgencyRefSerializer(allow_null=True, help_text="The coordinator above it.")
    region = RegionRefSerializer(allow_null=True)
    contact = AgencyContactSerializer(source="*", read_only=True)
    figures = serializers.SerializerMethodField()
    definition = serializers.SerializerMethodField(
        help_text="The figures defined, as the page says it, in the caller's language."
    )

    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "level",
            "level_display",
            "parent",
            "region",
            "contact",
            "figures",
            "definition",
        ]

    @extend_schema_field(AgencyFiguresSerializer)
    def get_figures(self, obj: Agency) -> dict[str, Any]:
        return AgencyFiguresSerializer(self.context["figures"]).data

    def get_definition(self, obj: Agency) -> str:
        since = timezone.localtime(self.context["figures"].since)
        # The sentence of the page (templates/complaints/agency.html), word for word.
        return gettext(
            "Reports received: reports handed to this agency since %(since)s. Answered: those "
            "of them it answered. Days to the first answer: calendar days from the hand-over "
            "to its first answer, the middle value. Confidential reports are not counted here."
        ) % {"since": date_format(since, "j F Y")}
