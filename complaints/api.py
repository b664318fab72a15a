"""The citizen's JSON API: file a report, read it back, and the lists the form needs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.citizen_actions import CitizenAction, perform_citizen_action
from complaints.emails import private_link_path
from complaints.models import NOTE_MAX_LENGTH, Attachment, Complaint
from complaints.serializers import (
    CategorySerializer,
    ComplaintCreatedSerializer,
    ComplaintCreateSerializer,
    ComplaintPrivateSerializer,
    ComplaintPublicSerializer,
)
from complaints.views import attachment_response
from lapor.client import client_ip, submission_wait_seconds
from lapor.lib.actions import ActionError
from routing.filters import RegionFilter
from routing.models import Category, Region
from routing.serializers import RegionSerializer

ACCESS_KEY_HEADER = OpenApiParameter(
    name="X-Access-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The access key from the receipt; with it the private view is returned.",
)


@method_decorator(
    sensitive_post_parameters("reporter_name", "reporter_email", "reporter_phone"), name="dispatch"
)
class ComplaintCreateApi(APIView):
    @extend_schema(
        request={
            "application/json": ComplaintCreateSerializer,
            "multipart/form-data": ComplaintCreateSerializer,
        },
        responses={201: ComplaintCreatedSerializer},
        summary="File a report",
        description=(
            "Checks every field and file, stores nothing when anything is refused (400 with "
            "messages per field), and answers 429 with Retry-After when the client address "
            "has sent more than LAPOR_SUBMIT_RATE submissions."
        ),
    )
    def post(self, request: Request) -> Response:
        wait = submission_wait_seconds(request._request)
        if wait is not None:
            return Response(
                {"detail": _("Too many reports from your address. Please try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        serializer = ComplaintCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            receipt = services.submit_complaint(
                **data,
                ip_address=client_ip(request._request),
                language=translation.get_language() or settings.LANGUAGE_CODE,
                now=timezone.now(),
            )
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        complaint = receipt.complaint
        body = ComplaintCreatedSerializer(
            {
                "tracking_number": complaint.tracking_number,
                "access_key": receipt.access_key,
                "status": complaint.status,
                "url": request.build_absolute_uri(private_link_path(complaint, receipt.access_key)),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


def _complaint_for(request: Request, tracking_number: str) -> tuple[Complaint, bool]:
    key = request.headers.get("X-Access-Key", "")
    try:
        if key:
            return selectors.access_complaint_by_private_link(tracking_number, key), True
        return selectors.get_complaint_by_tracking_number(tracking_number), False
    except Complaint.DoesNotExist:
        raise Http404 from None


class ComplaintDetailApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        responses={200: ComplaintPrivateSerializer},
        summary="Follow a report",
        description=(
            "The public view (no description for anyone, no title for a confidential report); "
            "with a valid X-Access-Key the private view with description, reporter and "
            "attachments. A wrong key answers 404, as an unknown number does."
        ),
    )
    def get(self, request: Request, tracking_number: str) -> Response:
        complaint, private = _complaint_for(request, tracking_number)
        context = {"request": request, "private": private}
        if private:
            return Response(ComplaintPrivateSerializer(complaint, context=context).data)
        return Response(ComplaintPublicSerializer(complaint, context=context).data)


class ComplaintAttachmentApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download an attachment (needs X-Access-Key)",
    )
    def get(self, request: Request, tracking_number: str, position: int) -> FileResponse:
        complaint, private = _complaint_for(request, tracking_number)
        if not private:
            raise Http404 from None
        try:
            attachment = complaint.attachments.get(position=position)
        except Attachment.DoesNotExist:
            raise Http404 from None
        return attachment_response(attachment)


class CategoryListApi(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.filter(is_active=True).order_by("position", "code")


class RegionListApi(generics.ListAPIView):
    """Children of a region (``?parent=64``), or the provinces without ``parent``."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    pagination_class = None

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.order_by("code")


class CitizenReplyInput(serializers.Serializer):
    text = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class CitizenDisputeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class CitizenRateInput(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, default="")


class CitizenEmptyInput(serializers.Serializer):
    pass


def _citizen_action(
    request: Request,
    tracking_number: str,
    action: CitizenAction,
    input_class: type[serializers.Serializer],
) -> Response:
    """Through the access key only: 404 without it, 409 when the report moved on."""
    complaint, private = _complaint_for(request, tracking_number)
    if not private:
        raise Http404
    given = input_class(data=request.data)
    given.is_valid(raise_exception=True)
    try:
        perform_citizen_action(
            action, complaint_id=complaint.pk, data=dict(given.validated_data), now=timezone.now()
        )
    except ActionError as exc:
        code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        return Response({"detail": exc.message}, status=code)
    except ValidationError as exc:
        return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
    complaint.refresh_from_db()
    context = {"request": request, "private": True}
    return Response(ComplaintPrivateSerializer(complaint, context=context).data)


_CITIZEN_RESPONSES = {
    200: ComplaintPrivateSerializer,
    400: OpenApiResponse(description="Bad input, per field."),
    404: OpenApiResponse(description="Unknown number, or no valid X-Access-Key."),
    409: OpenApiResponse(
        description="The report is not waiting for this (no answer to react to, or rated already)."
    ),
}


class ComplaintReplyApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        request=CitizenReplyInput,
        responses=_CITIZEN_RESPONSES,
        summary="Reply to the answer (back to the agency)",
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        return _citizen_action(request, tracking_number, CitizenAction.REPLY, CitizenReplyInput)


class ComplaintAcceptApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        request=CitizenEmptyInput,
        responses=_CITIZEN_RESPONSES,
        summary="Accept the answer (COMPLETED)",
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        return _citizen_action(request, tracking_number, CitizenAction.ACCEPT, CitizenEmptyInput)


class ComplaintDisputeApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        request=CitizenDisputeInput,
        responses=_CITIZEN_RESPONSES,
        summary="Dispute the answer (to the coordinator above the agency)",
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        return _citizen_action(request, tracking_number, CitizenAction.DISPUTE, CitizenDisputeInput)


class ComplaintRateApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        request=CitizenRateInput,
        responses=_CITIZEN_RESPONSES,
        summary="Rate the handling of the latest answer, 1 to 5, once",
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        return _citizen_action(request, tracking_number, CitizenAction.RATE, CitizenRateInput)
