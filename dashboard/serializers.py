"""JSON of the staff API. Nothing here reads the reporter except through
``dashboard.context.visible_reporter`` (None for an anonymous report). Where it happened (the
point and the address) is given as the reporter gave it, anonymous reports included: the staff
need it to act, and it says where the problem is, not who reported it
(``complaints.places.staff_point``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints import selectors
from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Attachment,
    Complaint,
    ComplaintEvent,
    Disposition,
)
from complaints.places import staff_point
from lapor.fields import CodeRelatedField
from routing.models import Agency, Category, Region
from routing.selectors import is_provisional


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "level"]


class StaffComplaintSerializer(serializers.ModelSerializer):
    """One row of the staff inbox."""

    # Null only for a report by e-mail whose reporter has not given them yet.
    category: CodeRelatedField = CodeRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The category's code; null for a report by e-mail that has not said it yet.",
    )
    region = serializers.CharField(
        source="region_id",
        read_only=True,
        allow_null=True,
        help_text="The region's Kemendagri code; null for a report by e-mail that has not said "
        "it yet.",
    )
    current_agency = AgencySerializer(read_only=True)
    overdue = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(
        source="pending_due_at",
        allow_null=True,
        read_only=True,
        help_text="The deadline that still runs (the holder's, or the reporter's reply window); "
        "null once the report is completed or archived.",
    )
    due_at_provisional = serializers.SerializerMethodField(
        help_text=(
            "The deadline was counted over holidays not yet decreed (estimated or missing "
            "cuti bersama): it may move once the decree is entered."
        )
    )
    awaiting_reporter = serializers.BooleanField(
        source="awaits_citizen",
        read_only=True,
        help_text="Answered and waiting for the reporter: `due_at` is the end of their reply "
        "window, not a deadline of the holder. The inbox lists these after the reports the "
        "holder must act on.",
    )
    is_disputed = serializers.SerializerMethodField(
        help_text="The reporter disputed an answer and the report is with the coordinator it "
        "was disputed to (status IN_PROGRESS), which has not handed it on. A coordinator's "
        "answer ends it; a hand-over down or up ends it too."
    )

    class Meta:
        model = Complaint
        fields = [
            "tracking_number",
            "title",
            "kind",
            "status",
            "is_disputed",
            "category",
            "region",
            "current_agency",
            "due_at",
            "due_at_provisional",
            "awaiting_reporter",
            "overdue",
            "submitted_at",
            "channel",
            "is_anonymous",
            "is_confidential",
            "version",
        ]
        extra_kwargs = {
            "channel": {
                "help_text": "How the report came in: the portal's own doors (WEB, API, OPEN311, "
                "EMAIL, SMS, WHATSAPP) or recorded by an officer for a citizen who brought it to "
                "an office (WALK_IN, PHONE, LETTER, SOCIAL_MEDIA, OTHER); `submitted_at` is then "
                "when it was received there."
            }
        }

    def get_overdue(self, obj: Complaint) -> bool:
        return obj.is_overdue(self.context["now"])

    def get_due_at_provisional(self, obj: Complaint) -> bool:
        return is_provisional(obj.pending_due_at, today=timezone.localdate(self.context["now"]))

    def get_is_disputed(self, obj: Complaint) -> bool:
        # The inbox's pages carry the flag (``keyset_page``); a report read otherwise is asked.
        flag = getattr(obj, "is_disputed", None)
        if flag is None:
            return selectors.current_dispute(obj) is not None
        return bool(flag)


class StaffReporterSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class StaffAttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    url = serializers.SerializerMethodField()
    response = serializers.IntegerField(source="response_id", allow_null=True)

    class Meta:
        model = Attachment
        fields = ["position", "name", "content_type", "size", "url", "response"]

    def get_url(self, obj: Attachment) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(
                "api:staff-attachment",
                kwargs={"tracking_number": obj.complaint.tracking_number, "position": obj.position},
            )
        )


class StaffResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = AgencySerializer()
    text = serializers.CharField()
    is_final = serializers.BooleanField(
        help_text="A final answer, or an interim reply (the report stayed in process)."
    )
    created_at = serializers.DateTimeField()


class StaffEventSerializer(serializers.ModelSerializer):
    label = serializers.CharField()  # type: ignore[assignment]  # drf-stubs: a field, not Field.label
    actor = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintEvent
        fields = [
            "type",
            "label",
            "from_status",
            "to_status",
            "is_public",
            "actor",
            "text",
            "created_at",
        ]

    def get_actor(self, obj: ComplaintEvent) -> str | None:
        # Who recorded a report brought to an office only for those who may know it
        # (``dashboard.context.report_events``).
        if obj.actor is None or getattr(obj, "actor_hidden", False):
            return None
        return obj.actor.get_username()

    def get_text(self, obj: ComplaintEvent) -> str:
        """A note's text, or the reason of an archive, a pass-up or a reveal."""
        return str(obj.data.get("text") or obj.data.get("reason") or "")


class StaffDispositionSerializer(serializers.ModelSerializer):
    from_agency = AgencySerializer(allow_null=True)
    to_agency = AgencySerializer()

    class Meta:
        model = Disposition
        fields = ["sequence", "kind", "from_agency", "to_agency", "created_at", "due_at"]


class StaffTransferSerializer(serializers.Serializer):
    from_agency = AgencySerializer()
    reason = serializers.CharField()
    suggested_agency = AgencySerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class StaffDisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="The reporter's reason, in their words.")
    agency = AgencySerializer(help_text="The agency whose answer was disputed.")
    created_at = serializers.DateTimeField()


class StaffRecorderSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The officer's full name, else their username.")
    username = serializers.CharField()
    agency = AgencySerializer(
        allow_null=True, help_text="The officer's agency now; null once they belong to none."
    )


class StaffComplaintDetailSerializer(StaffComplaintSerializer):
    """A report as its staff page shows it; ``reporter`` is null for an anonymous report."""

    address = serializers.CharField(
        read_only=True,
        help_text="The address or landmark the reporter gave, for anonymous reports too; may "
        "be empty.",
    )
    latitude = serializers.SerializerMethodField(
        help_text="Where it happened, as the reporter gave it (decimal degrees, WGS84), for "
        "anonymous reports too; null without a point. The public sees it only snapped to a "
        "grid, never as here."
    )
    longitude = serializers.SerializerMethodField(help_text="With `latitude`.")
    reporter = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField(
        help_text="The officer who recorded a report brought to an office (a staff `channel`), "
        "for coordinators that see the report and the officer who recorded it; null for other "
        "officers and for a report that came by the portal's own doors."
    )
    dispute = serializers.SerializerMethodField(
        help_text="While `is_disputed`: the reporter's dispute (the newest); null otherwise."
    )
    attachments = serializers.SerializerMethodField()
    responses = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    dispositions = serializers.SerializerMethodField()
    open_transfers = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(StaffComplaintSerializer.Meta):
        fields = [
            *StaffComplaintSerializer.Meta.fields,
            "description",
            "address",
            "latitude",
            "longitude",
            "incident_date",
            "needs_inspection",
            "dispute",
            "reporter",
            "recorded_by",
            "attachments",
            "responses",
            "events",
            "dispositions",
            "open_transfers",
            "actions",
        ]

    def _ctx(self) -> dict[str, Any]:
        return self.context["page"]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_latitude(self, obj: Complaint) -> float | None:
        point = staff_point(obj)
        return float(point[0]) if point else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_longitude(self, obj: Complaint) -> float | None:
        point = staff_point(obj)
        return float(point[1]) if point else None

    def get_is_disputed(self, obj: Complaint) -> bool:
        return self._ctx()["dispute"] is not None

    @extend_schema_field(StaffDisputeSerializer(allow_null=True))
    def get_dispute(self, obj: Complaint) -> dict[str, Any] | None:
        dispute = self._ctx()["dispute"]
        return StaffDisputeSerializer(dispute).data if dispute else None

    @extend_schema_field(StaffReporterSerializer(allow_null=True))
    def get_reporter(self, obj: Complaint) -> dict[str, Any] | None:
        reporter = self._ctx()["reporter"]
        return StaffReporterSerializer(reporter).data if reporter else None

    @extend_schema_field(StaffRecorderSerializer(allow_null=True))
    def get_recorded_by(self, obj: Complaint) -> dict[str, Any] | None:
        recorder = self._ctx()["recorded_by"]
        return StaffRecorderSerializer(recorder).data if recorder else None

    @extend_schema_field(StaffAttachmentSerializer(many=True))
    def get_attachments(self, obj: Complaint) -> list[dict[str, Any]]:
        files = [*self._ctx()["attachments"]]
        for response in self._ctx()["responses"]:
            files.extend(response.files)
        return StaffAttachmentSerializer(  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list
            sorted(files, key=lambda a: a.position), many=True, context=self.context
        ).data

    @extend_schema_field(StaffResponseSerializer(many=True))
    def get_responses(self, obj: Complaint) -> list[dict[str, Any]]:
        return StaffResponseSerializer(self._ctx()["responses"], many=True).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list

    @extend_schema_field(StaffEventSerializer(many=True))
    def get_events(self, obj: Complaint) -> list[dict[str, Any]]:
        return StaffEventSerializer(self._ctx()["events"], many=True).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list

    @extend_schema_field(StaffDispositionSerializer(many=True))
    def get_dispositions(self, obj: Complaint) -> list[dict[str, Any]]:
        return StaffDispositionSerializer(self._ctx()["dispositions"], many=True).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list

    @extend_schema_field(StaffTransferSerializer(many=True))
    def get_open_transfers(self, obj: Complaint) -> list[dict[str, Any]]:
        return StaffTransferSerializer(self._ctx()["open_transfers"], many=True).data  # type: ignore[return-value]  # drf-stubs: many=True's .data is a list

    def get_actions(self, obj: Complaint) -> list[str]:
        """The actions this user may take now (each is ``POST …/<action>/``)."""
        return sorted(self._ctx()["allowed_actions"])


# --- input of the actions ---------------------------------------------------------------------

_VERSION_HELP = (
    "The report's `version` as last read. When given and the report changed since, the action "
    "is refused with 409 and nothing is written."
)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, required=False, help_text=_VERSION_HELP)


class AnswerInput(VersionInput):
    text = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, allow_empty=True
    )


class TransferInput(VersionInput):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
    suggested_agency = CodeRelatedField(
        slug_field="code",
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Code of the agency that should handle the report.",
    )


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class DisposeInput(VersionInput):
    to_agency = CodeRelatedField(
        slug_field="code",
        queryset=Agency.objects.filter(is_active=True),
        help_text="Code of an agency below the coordinator.",
    )
    allow_returned = serializers.BooleanField(required=False, default=False)


class DetailsInput(VersionInput):
    category = CodeRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        help_text="Code of the report's category.",
    )
    regency = CodeRelatedField(
        slug_field="code",
        queryset=Region.objects.filter(level=Region.Level.REGENCY),
        help_text="Kemendagri code of the regency/city where it happened.",
    )


class ReasonInput(VersionInput):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class PrivacyInput(VersionInput):
    make_anonymous = serializers.BooleanField(required=False, default=False)
    make_confidential = serializers.BooleanField(required=False, default=False)


class RevealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class ActionResultSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happened, in the user's language.")
    complaint = StaffComplaintDetailSerializer(
        allow_null=True, help_text="The report after the action; null when it left your view."
    )


class RevealResultSerializer(serializers.Serializer):
    reporter = StaffReporterSerializer()


class MergeInput(ReasonInput):
    original = serializers.CharField(
        max_length=20,
        help_text="The tracking number of the open report of the same problem to merge into.",
    )
