"""The staff API under /api/v1/staff/: the same inbox, report and actions as the dashboard, for
agencies that connect their own systems. Token (``Authorization: Token …``, django-rest-knox:
issued in the admin, stored as a digest, with an expiry) or session authentication; the same rule of who sees what (404 otherwise)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import User
from django.http import FileResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from knox.auth import TokenAuthentication
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors
from complaints.filters import StaffComplaintFilter
from complaints.models import Complaint
from complaints.selectors import Action, Scope
from complaints.views import attachment_response
from dashboard import serializers as s
from dashboard.actions import perform
from dashboard.context import report_data
from routing import selectors as routing_selectors
from routing.models import Agency

PAGE_SIZE = 50


class OfficerRequest(Request):
    """A request the permissions let through: a signed-in officer, and the active agency
    ``IsOfficer`` found for it."""

    user: User
    agency: Agency


class IsOfficer(BasePermission):
    message = gettext_lazy("Your account belongs to no active agency.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        agency = routing_selectors.staff_agency(request.user)
        request.agency = agency  # type: ignore[attr-defined]  # what makes it an OfficerRequest
        return agency is not None


ERROR = inline_serializer("StaffError", {"detail": serializers.CharField()})
ACTION_ERROR = inline_serializer(
    "StaffActionError",
    {
        "detail": serializers.CharField(),
        "version": serializers.IntegerField(help_text="The report's version now."),
    },
)
# Every staff operation answers these before it looks at its input.
AUTH_RESPONSES = {
    401: OpenApiResponse(ERROR, description="No credentials, or an unknown or inactive token."),
    403: OpenApiResponse(ERROR, description="Your account belongs to no active agency."),
}
NOT_YOURS = OpenApiResponse(ERROR, description="No such report, or not yours to see.")


class StaffApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, IsOfficer]
    request: OfficerRequest

    @property
    def agency(self) -> Agency:
        return self.request.agency

    def complaint(self, tracking_number: str) -> Complaint:
        """:raises Complaint.DoesNotExist: (404) unless the user may see it."""
        return selectors.access_complaint_for_staff(self.request.user, tracking_number)

    def detail(self, complaint: Complaint) -> dict[str, Any]:
        now = timezone.now()
        page = report_data(self.request.user, self.agency, complaint, now)
        return s.StaffComplaintDetailSerializer(
            complaint, context={"request": self.request, "now": now, "page": page}
        ).data


_INBOX_PARAMETERS = [
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=[x.value for x in Scope],
        description="held (default: held by my agency, or my coordinator queue), subtree "
        "(coordinators: held anywhere below me), history (OPDs: ever disposed to us).",
    ),
    OpenApiParameter("after", OpenApiTypes.STR, description="Cursor: the page after this one."),
    OpenApiParameter("before", OpenApiTypes.STR, description="Cursor: the page before this one."),
]


class StaffInboxApi(StaffApi):
    # Read by the schema generator only, to document the filters (``get`` filters by hand).
    filter_backends = [DjangoFilterBackend]
    filterset_class = StaffComplaintFilter
    queryset = Complaint.objects.none()

    @extend_schema(
        parameters=_INBOX_PARAMETERS,
        filters=True,
        responses={
            200: inline_serializer(
                "StaffInbox",
                {
                    "counts": serializers.DictField(child=serializers.IntegerField()),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                    "results": s.StaffComplaintSerializer(many=True),
                },
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A scope or filter value that cannot be used: messages per field.",
            ),
            **AUTH_RESPONSES,
        },
        summary="Staff inbox",
        operation_id="staff_inbox",
        description=(
            "Reports, 50 a page, open ones unless `status` says otherwise: first those the "
            "holder must act on, by their deadline (then id); then those waiting for someone "
            "else, by when that wait ends: the reporter's reply window (`awaiting_reporter`) "
            "or a routing step; completed and archived ones last. `counts` has the open "
            "reports per status, the overdue ones and the disputed ones (`is_disputed`, also "
            "counted in IN_PROGRESS) in the scope. Follow `next`/`previous` (keyset cursors: "
            "they carry the group as well as the deadline)."
        ),
    )
    def get(self, request: OfficerRequest) -> Response:
        now = timezone.now()
        scopes = selectors.scopes_for(self.agency)
        wanted = request.query_params.get("scope") or scopes[0]
        if wanted not in scopes:
            raise exceptions.ValidationError({"scope": [f"Choose one of: {', '.join(scopes)}."]})
        reports = selectors.inbox_queryset(self.agency, Scope(wanted))
        filters = StaffComplaintFilter(request.query_params, queryset=reports, now=now)
        if not filters.is_valid():
            raise exceptions.ValidationError(filters.errors)
        page = selectors.keyset_page(
            filters.qs.select_related("category", "current_agency"),
            after=request.query_params.get("after", ""),
            before=request.query_params.get("before", ""),
            size=PAGE_SIZE,
        )
        return Response(
            {
                "counts": selectors.inbox_counts(reports, now),
                "next": self._link(request, "after", page.next_cursor),
                "previous": self._link(request, "before", page.previous_cursor),
                "results": s.StaffComplaintSerializer(
                    page.items, many=True, context={"now": now}
                ).data,
            }
        )

    def _link(self, request: Request, key: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        params = request.query_params.copy()
        params.pop("after", None)
        params.pop("before", None)
        params[key] = cursor
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class StaffComplaintDetailApi(StaffApi):
    @extend_schema(
        responses={
            200: s.StaffComplaintDetailSerializer,
            **AUTH_RESPONSES,
            404: NOT_YOURS,
        },
        summary="A report, as staff see it",
        operation_id="staff_complaint",
        description="Everything on the staff page, with `actions` you may take now. "
        "`reporter` is null for an anonymous report.",
    )
    def get(self, request: OfficerRequest, tracking_number: str) -> Response:
        return Response(self.detail(self.complaint(tracking_number)))


class StaffAttachmentApi(StaffApi):
    @extend_schema(
        responses={
            (200, "*/*"): OpenApiTypes.BINARY,
            **AUTH_RESPONSES,
            404: OpenApiResponse(ERROR, description="No such report or file, or not yours to see."),
        },
        summary="A file of a report",
        operation_id="staff_complaint_attachment",
    )
    def get(self, request: OfficerRequest, tracking_number: str, position: int) -> FileResponse:
        complaint = self.complaint(tracking_number)
        return attachment_response(complaint.attachments.get(position=position))


class StaffActionApi(StaffApi):
    """One action on a report: 404 if you cannot see it, 403 if the action is not offered to
    you on the report as it is now, 409 if the report changed since ``version`` (or moved on
    while the action ran), 400 for bad input. The domain's errors are mapped by
    ``lapor.errors.api_exception_handler``."""

    action: ClassVar[Action]
    input_class: ClassVar[type[serializers.Serializer]]

    reported: Complaint | None = None

    def report_version(self) -> int | None:
        """The report's version now, for an action refused (``api_exception_handler``)."""
        if self.reported is None:
            return None
        return (
            Complaint.objects.filter(pk=self.reported.pk).values_list("version", flat=True).first()
        )

    def post(self, request: OfficerRequest, tracking_number: str) -> Response:
        complaint = self.reported = self.complaint(tracking_number)
        if self.action not in selectors.staff_actions(request.user, self.agency, complaint):
            raise exceptions.PermissionDenied("You cannot do this on this report.")
        data = request.data.copy() if hasattr(request.data, "copy") else dict(request.data)
        if self.action == Action.ANSWER and isinstance(request.data, MultiValueDict):
            data = {**request.data.dict(), "attachments": request.FILES.getlist("attachments")}
        given = self.input_class(data=data)
        given.is_valid(raise_exception=True)
        result = perform(
            self.action,
            complaint=complaint,
            agency=self.agency,
            user=request.user,
            data=dict(given.validated_data),
        )
        if self.action == Action.REVEAL:
            response = Response({"reporter": s.StaffReporterSerializer(result).data})
            response["Cache-Control"] = "no-store"
            return response
        visible = Complaint.objects.visible_to(request.user).filter(pk=complaint.pk).first()
        return Response(
            {"detail": str(result), "complaint": self.detail(visible) if visible else None}
        )


def _action_api(
    action: Action, input_class: type[serializers.Serializer], summary: str
) -> type[StaffActionApi]:
    multipart = action == Action.ANSWER
    result = s.RevealResultSerializer if action == Action.REVEAL else s.ActionResultSerializer

    def post(self: StaffActionApi, request: OfficerRequest, tracking_number: str) -> Response:
        return StaffActionApi.post(self, request, tracking_number)

    class _Api(StaffActionApi):
        pass

    _Api.action = action
    _Api.input_class = input_class
    _Api.post = extend_schema(  # type: ignore[method-assign]  # its own post, for its own schema
        request={"multipart/form-data": input_class} if multipart else input_class,
        responses={
            200: result,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Bad input, messages per field; or an action that cannot be taken "
                "(`detail` and the report's `version`).",
            ),
            401: AUTH_RESPONSES[401],
            403: OpenApiResponse(
                ERROR,
                description="You may see the report but not take this action, or your account "
                "belongs to no active agency.",
            ),
            404: NOT_YOURS,
            409: OpenApiResponse(
                ACTION_ERROR,
                description="The report moved on or changed since `version`; nothing was written.",
            ),
        },
        summary=summary,
        operation_id=f"staff_complaint_{action.replace('-', '_')}",
    )(post)
    _Api.__name__ = _Api.__qualname__ = "Staff" + action.title().replace("-", "") + "Api"
    return _Api


StaffAcknowledgeApi = _action_api(
    Action.ACKNOWLEDGE, s.VersionInput, "Acknowledge (OPD): IN_PROGRESS"
)
StaffAnswerApi = _action_api(
    Action.ANSWER, s.AnswerInput, "Answer (OPD): RESPONDED, the citizen is told"
)
StaffInterimApi = _action_api(
    Action.INTERIM,
    s.AnswerInput,
    "Interim reply (OPD, or a coordinator on a disputed report): the citizen is told, the "
    "report stays in process and its deadline keeps running",
)
StaffInspectionApi = _action_api(
    Action.INSPECTION,
    s.ReasonInput,
    "A complaint needs an inspection (OPD): the long completion deadline, with the reason",
)
StaffExtendApi = _action_api(
    Action.EXTEND,
    s.ReasonInput,
    "Extend an information request's deadline once (OPD, UU 14/2008), with the reason",
)
StaffTransferApi = _action_api(
    Action.TRANSFER, s.TransferInput, "Return as not our authority (OPD)"
)
StaffNoteApi = _action_api(Action.NOTE, s.NoteInput, "Internal note (never shown to the citizen)")
StaffDisposeApi = _action_api(
    Action.DISPOSE, s.DisposeInput, "Verify and hand to an agency below (coordinator)"
)
StaffPassUpApi = _action_api(Action.PASS_UP, s.ReasonInput, "Pass up a level (coordinator)")
StaffDetailsApi = _action_api(
    Action.DETAILS,
    s.DetailsInput,
    "Give the category and place a report by e-mail did not say (national coordinator)",
)
StaffArchiveApi = _action_api(Action.ARCHIVE, s.ReasonInput, "Archive with a reason (coordinator)")
StaffPrivacyApi = _action_api(
    Action.PRIVACY, s.PrivacyInput, "Make anonymous and/or confidential (coordinator)"
)
StaffRevealApi = _action_api(
    Action.REVEAL, s.RevealInput, "Reveal an anonymous reporter (national, recorded)"
)

StaffMergeApi = _action_api(
    Action.MERGE,
    s.MergeInput,
    "Merge into an open report of the same problem (the holder, or a coordinator): the report "
    "follows it from then on",
)
StaffUnmergeApi = _action_api(
    Action.UNMERGE,
    s.ReasonInput,
    "Take a merged report out of its original while that is open (the original's holder, or a "
    "coordinator): handed to the agency taking it out",
)

ACTION_APIS = {
    Action.ACKNOWLEDGE: StaffAcknowledgeApi,
    Action.ANSWER: StaffAnswerApi,
    Action.INTERIM: StaffInterimApi,
    Action.INSPECTION: StaffInspectionApi,
    Action.EXTEND: StaffExtendApi,
    Action.TRANSFER: StaffTransferApi,
    Action.NOTE: StaffNoteApi,
    Action.DISPOSE: StaffDisposeApi,
    Action.PASS_UP: StaffPassUpApi,
    Action.ARCHIVE: StaffArchiveApi,
    Action.PRIVACY: StaffPrivacyApi,
    Action.REVEAL: StaffRevealApi,
    Action.DETAILS: StaffDetailsApi,
    Action.MERGE: StaffMergeApi,
    Action.UNMERGE: StaffUnmergeApi,
}
