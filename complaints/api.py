"""The citizen's JSON API: file a report, read it back, and the lists the form needs."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from knox.auth import TokenAuthentication
from rest_framework import exceptions, generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import idempotency, selectors, services
from complaints.citizen_actions import CitizenAction, perform_citizen_action
from complaints.emails import private_link_path
from complaints.filters import PublicComplaintFilter
from complaints.models import NOTE_MAX_LENGTH, Complaint
from complaints.serializers import (
    AgencyPublicSerializer,
    CategorySerializer,
    ComplaintCreatedSerializer,
    ComplaintCreateSerializer,
    ComplaintListItemSerializer,
    ComplaintPrivateSerializer,
    ComplaintPublicSerializer,
    ComplaintSupportedSerializer,
    ComplaintViewSerializer,
    OwnedComplaintSerializer,
)
from complaints.views import attachment_response
from complaints.workflow import SUBMIT
from lapor.client import (
    address_digest,
    client_ip,
    lookup_wait_seconds,
    submission_wait_seconds,
    support_wait_seconds,
)
from routing import selectors as routing_selectors
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


ERROR = inline_serializer("CitizenError", {"detail": serializers.CharField()})
_MESSAGES = {"type": "array", "items": {"type": "string"}}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            _MESSAGES,
            {
                "type": "object",
                "additionalProperties": _MESSAGES,
                "description": "For a list (the files): messages per item, by its position.",
            },
        ]
    },
    "description": "Messages per field, in the caller's language (Accept-Language).",
}
# A body that cannot be parsed at all (malformed JSON) is refused before any field is read.
FIELD_ERRORS_OR_DETAIL = {
    "oneOf": [
        FIELD_ERRORS,
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
            "description": "A body that could not be read.",
        },
    ]
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the address may try again.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": f"^{idempotency.KEY_PATTERN}$",
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A value of your own (a random UUID) to retry safely: a request with a key already "
        f"used within {settings.LAPOR_IDEMPOTENCY_HOURS} hours and the same content files "
        "nothing and gets the first answer again (the same report and access key), with "
        f"{idempotency.REPLAYED_HEADER}: true; with other content it is refused (422). Keys "
        "sent with a token or a signed-in session are that account's own."
    ),
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    idempotency.REPLAYED_HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[201],
    enum=["true"],
    description="Present when this is the first answer to the same Idempotency-Key, again.",
)


class PublicListQuery(serializers.Serializer):
    order = serializers.ChoiceField(
        choices=[order.value for order in selectors.PublicOrder],
        default=selectors.PublicOrder.NEWEST.value,
    )


_PUBLIC_LIST_PARAMETERS = [
    OpenApiParameter(
        "order",
        OpenApiTypes.STR,
        enum=[order.value for order in selectors.PublicOrder],
        default=selectors.PublicOrder.NEWEST.value,
        description="new: newest first (default); support: most supported first. Equal "
        "values by id, latest first.",
    ),
    OpenApiParameter(
        "after",
        OpenApiTypes.STR,
        description="Cursor: the page after the one that gave it. Follow `next` rather than "
        "building it; an unreadable cursor gives the first page.",
    ),
]


def _page_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["after"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@method_decorator(
    # Where it happened may be where the reporter lives: out of error reports too.
    sensitive_post_parameters(
        "reporter_name", "reporter_email", "reporter_phone", "address", "latitude", "longitude"
    ),
    name="dispatch",
)
class ComplaintListCreateApi(APIView):
    """``/api/v1/complaints/``: the public list (GET) and filing a report (POST)."""

    # For the schema of GET: its filters are the web list's (``PublicComplaintFilter``).
    filter_backends = [DjangoFilterBackend]
    filterset_class = PublicComplaintFilter

    def get_queryset(self) -> QuerySet[Complaint]:
        return Complaint.objects.listed()

    def get_authenticate_header(self, request: Request) -> str:
        # A token is read only for an Idempotency-Key's scope; a bad one is 401, not 403.
        return "Token"

    @extend_schema(
        operation_id="complaints_list",
        parameters=_PUBLIC_LIST_PARAMETERS,
        filters=True,
        responses={
            200: inline_serializer(
                "PublicComplaintPage",
                {
                    "next": serializers.URLField(
                        allow_null=True, help_text="The next page; null on the last."
                    ),
                    "results": ComplaintListItemSerializer(many=True),
                },
            ),
            400: OpenApiResponse(
                FIELD_ERRORS, description="An unknown order, category, kind or status."
            ),
        },
        summary="Public reports",
        description=(
            "The list of /laporan/: every report that is neither confidential nor archived, "
            "20 a page, newest or most supported first, with the same search and filters. "
            "Nothing about any reporter: a report's point only snapped to the public grid, "
            "never its address. No authentication."
        ),
    )
    def get(self, request: Request) -> Response:
        query = PublicListQuery(data=request.query_params)
        filters = PublicComplaintFilter(request.query_params, queryset=self.get_queryset())
        errors = {**filters.errors} if not filters.is_valid() else {}
        if not query.is_valid():
            errors.update(query.errors)
        if errors:
            raise exceptions.ValidationError(errors)
        items, following = selectors.public_page(
            filters.qs.select_related("category", "region", "current_agency"),
            order=selectors.PublicOrder(query.validated_data["order"]),
            after=request.query_params.get("after", ""),
        )
        return Response(
            {
                "next": _page_link(request, following),
                "results": ComplaintListItemSerializer(
                    items, many=True, context={"request": request}
                ).data,
            }
        )

    @extend_schema(
        operation_id="complaints_create",
        request={
            "application/json": ComplaintCreateSerializer,
            "multipart/form-data": ComplaintCreateSerializer,
        },
        responses={
            201: ComplaintCreatedSerializer,
            400: OpenApiResponse(
                FIELD_ERRORS_OR_DETAIL,
                description="Bad input, or a malformed Idempotency-Key; nothing was stored.",
            ),
            401: OpenApiResponse(
                ERROR,
                description="An Idempotency-Key sent with an unknown or expired token (a "
                "token is read only for the key's scope).",
            ),
            409: OpenApiResponse(
                ERROR,
                description="The first answer to this Idempotency-Key can no longer be given "
                "(the server's sealing keys were rotated).",
            ),
            413: OpenApiResponse(ERROR, description="A body larger than any valid submission."),
            422: OpenApiResponse(
                ERROR,
                description="The Idempotency-Key was used for a request with other content.",
            ),
            429: OpenApiResponse(
                ERROR, description="Over LAPOR_SUBMIT_RATE submissions from this address."
            ),
        },
        parameters=[RETRY_AFTER, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        summary="File a report",
        description=(
            "Checks every field and file, stores nothing when anything is refused (400 with "
            "messages per field: a point needs both `latitude` and `longitude`), and answers 429 with Retry-After when the client address "
            "has sent more than LAPOR_SUBMIT_RATE submissions. With an Idempotency-Key, a "
            "retry gets the first answer again and files nothing (nor counts against the "
            "limit)."
        ),
    )
    def post(self, request: Request) -> Response:
        now = timezone.now()
        try:
            attempt = _idempotency_attempt(request)
            # A retry is answered before the limit counts it: it files nothing.
            answer = idempotency.previous_answer(attempt, now=now) if attempt else None
            if answer is None:
                _count_submission(request)
                serializer = ComplaintCreateSerializer(data=request.data)
                serializer.is_valid(raise_exception=True)
                answer = idempotency.submit_once(
                    attempt,
                    now=now,
                    submit=partial(_submit, request, serializer.validated_data, now=now),
                )
        except idempotency.IdempotencyError as exc:
            return Response({"detail": exc.message()}, status=exc.status)
        complaint = answer.complaint
        body = ComplaintCreatedSerializer(
            {
                "tracking_number": complaint.tracking_number,
                "access_key": answer.secret,
                # The status it was filed in: a retry's answer is the first answer, also when
                # the report has moved on since.
                "status": SUBMIT.target,
                "url": request.build_absolute_uri(private_link_path(complaint, answer.secret)),
            }
        ).data
        headers = {idempotency.REPLAYED_HEADER: "true"} if answer.replayed else None
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


def _count_submission(request: Request) -> None:
    """Count a submission from this address (``LAPOR_SUBMIT_RATE``, shared with the form).

    :raises Throttled: over the limit (429 with ``Retry-After``).
    """
    wait = submission_wait_seconds(request._request)
    if wait is not None:
        refused = exceptions.Throttled(
            detail=_("Too many reports from your address. Please try again later.")
        )
        refused.wait = wait  # type: ignore[attr-defined]  # as in _count_lookup: no English sentence after the message
        raise refused


def _submit(request: Request, fields: dict[str, Any], *, now: dt.datetime) -> tuple[Complaint, str]:
    receipt = services.submit_complaint(
        **fields,
        ip_address=client_ip(request._request),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        channel=Complaint.Channel.API,
        now=now,
    )
    return receipt.complaint, receipt.access_key


def _idempotency_attempt(request: Request) -> idempotency.Attempt | None:
    """The request's Idempotency-Key with its scope and the fingerprint of its content.

    :raises BadKeyError: a malformed key.
    """
    key = idempotency.read_key(request.headers.get(idempotency.HEADER))
    if key is None:
        return None
    return idempotency.Attempt(
        scope=idempotency.api_scope(_account(request)),
        key=key,
        fingerprint=idempotency.fingerprint(request.data),
    )


def _account(request: Request) -> AbstractBaseUser | None:
    """The account a request with an Idempotency-Key comes from, for the key's scope only.
    Filing needs no account, so the view authenticates no one (and files no report into an
    account); but a key sent with a token or a signed-in session is that account's own.

    :raises AuthenticationFailed: an unknown or expired token (401): a retry is refused rather
        than moved to the anonymous scope, where it would file the report again.
    """
    found = TokenAuthentication().authenticate(request)
    if found is not None:
        user: AbstractBaseUser = found[0]
        return user
    session_user = get_user(request._request)
    return session_user if isinstance(session_user, AbstractBaseUser) else None


def _count_lookup(request: Request) -> None:
    """Count a lookup by number from this address (``LAPOR_LOOKUP_RATE``, shared with the
    pages and Open311).

    :raises Throttled: over the limit (429 with ``Retry-After``).
    """
    wait = lookup_wait_seconds(request._request)
    if wait is not None:
        refused = exceptions.Throttled(
            detail=_("Too many reports looked up from your address. Please try again later.")
        )
        refused.wait = wait  # type: ignore[attr-defined]  # DRF sets it in __init__; set here so that no English sentence follows the message
        raise refused


def _complaint_for(request: Request, tracking_number: str) -> tuple[Complaint, bool]:
    key = request.headers.get("X-Access-Key", "")
    if key:
        return selectors.access_complaint_by_private_link(tracking_number, key), True
    _count_lookup(request)
    return selectors.get_complaint_by_tracking_number(tracking_number), False


class ComplaintDetailApi(APIView):
    @extend_schema(
        parameters=[ACCESS_KEY_HEADER],
        responses={
            200: ComplaintViewSerializer,
            404: OpenApiResponse(ERROR, description="Unknown number, or a wrong X-Access-Key."),
        },
        summary="Follow a report",
        description=(
            "The public view (no description for anyone, no title for a confidential report, "
            "the point only snapped to the public grid and never the address); with a valid "
            "X-Access-Key the private view with description, the address and the point as "
            "given, reporter and attachments. A wrong key answers 404, as an unknown number "
            "does."
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
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its own content type."
            ),
            404: OpenApiResponse(
                ERROR, description="Unknown number or file, or no valid X-Access-Key."
            ),
        },
        summary="Download an attachment (needs X-Access-Key)",
    )
    def get(self, request: Request, tracking_number: str, position: int) -> FileResponse:
        complaint, private = _complaint_for(request, tracking_number)
        if not private:
            raise Http404
        return attachment_response(complaint.attachments.get(position=position))


class CategoryListApi(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.filter(is_active=True).order_by("position", "code")


class RegionListItemSerializer(RegionSerializer):
    # A declared field, taken out of the class by DRF's metaclass: not the serializer's own label.
    label = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="The name, followed by the regions it lies in where other regions share it "
        '("Batu Ampar, Kota Batam"): what the lists\' `region` filter takes as this region alone.'
    )

    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "label"]

    def get_label(self, region: Region) -> str:
        entry = routing_selectors.get_region_entry(region.code)
        return entry.label if entry is not None else region.name


class RegionSearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=100, allow_blank=True)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search by name instead (suggestions as one types): at most "
                f"{routing_selectors.SUGGESTION_LIMIT} regions of every level, names that start "
                "with it first, then names with a word that does, then names that hold it; "
                "provinces first. A code, or its start, finds the regions under it. With "
                "`parent`: only regions inside that one.",
            )
        ],
        responses={
            200: RegionListItemSerializer(many=True),
            400: OpenApiResponse(
                FIELD_ERRORS, description="A parent that cannot be a code, or a search too long."
            ),
        },
    )
)
class RegionListApi(generics.ListAPIView):
    """Children of a region (``?parent=64``), or the provinces without ``parent``; with ``q``,
    the regions whose names match, at every level (the lists' region box suggests them)."""

    serializer_class = RegionListItemSerializer
    filterset_class = RegionFilter
    pagination_class = None

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.order_by("code")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if "q" not in request.query_params:
            return super().list(request, *args, **kwargs)
        query = RegionSearchQuery(data=request.query_params)
        around = RegionFilter(request.query_params, queryset=self.get_queryset())
        errors = {**around.errors} if not around.is_valid() else {}
        if not query.is_valid():
            errors.update(query.errors)
        if errors:
            raise exceptions.ValidationError(errors)
        found = routing_selectors.region_suggestions(
            query.validated_data["q"], within=around.form.cleaned_data.get("parent") or None
        )
        rows = Region.objects.in_bulk([entry.code for entry in found])
        regions = [rows[entry.code] for entry in found if entry.code in rows]
        return Response(self.get_serializer(regions, many=True).data)


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
    perform_citizen_action(
        action, complaint_id=complaint.pk, data=dict(given.validated_data), now=timezone.now()
    )
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


class ComplaintSupportApi(APIView):
    @extend_schema(
        operation_id="complaints_support",
        request=None,
        parameters=[RETRY_AFTER],
        responses={
            201: OpenApiResponse(ComplaintSupportedSerializer, description="Supported."),
            200: OpenApiResponse(
                ComplaintSupportedSerializer,
                description="This address supported the report before; nothing changed.",
            ),
            400: OpenApiResponse(
                ERROR, description="A confidential or archived report cannot be supported."
            ),
            404: OpenApiResponse(ERROR, description="No report has this tracking number."),
            429: OpenApiResponse(
                ERROR,
                description="Over LAPOR_SUPPORT_RATE supports from this address (web and API "
                "together).",
            ),
        },
        summary="Support (dukung) a public report",
        description=(
            "Counts once per client address, the web's supports and the API's together (the "
            "web page also once per browser), and at most LAPOR_SUPPORT_RATE supports per "
            "address per period. No authentication."
        ),
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        _count_lookup(request)
        complaint = selectors.get_complaint_by_tracking_number(tracking_number)
        wait = support_wait_seconds(request._request)
        if wait is not None:
            return Response(
                {"detail": _("Too many supports from your address. Please try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        new = services.support_complaint(
            complaint_id=complaint.pk,
            address=address_digest(request._request, "support"),
            now=timezone.now(),
        )
        count = Complaint.objects.filter(pk=complaint.pk).values_list("support_count", flat=True)
        body = ComplaintSupportedSerializer(
            {
                "detail": _("Thank you for your support.")
                if new
                else _("You already support this report."),
                "new": new,
                "support_count": count.get(),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


class AgencyDetailApi(APIView):
    @extend_schema(
        operation_id="agencies_retrieve",
        responses={
            200: AgencyPublicSerializer,
            404: OpenApiResponse(ERROR, description="No active agency has this code."),
        },
        summary="An agency's public page",
        description=(
            "The agency of /instansi/{code}/ and its figures over the last 12 months: reports "
            "handed to it, how many it answered and the median days to its first answer; "
            "confidential reports are left out. No authentication."
        ),
    )
    def get(self, request: Request, code: str) -> Response:
        agency = selectors.get_public_agency(code)
        if agency is None:
            raise Http404
        figures = selectors.agency_figures(agency, now=timezone.now())
        return Response(AgencyPublicSerializer(agency, context={"figures": figures}).data)


# --- the citizen's account: "my reports" and claiming a report into it ---------------------------
# Registering, confirming the address and logging in stay on the web (a browser flow with an
# e-mail link); these take the session or a token issued in the admin.

NOT_SIGNED_IN = OpenApiResponse(
    ERROR, description="No credentials, or an unknown token or inactive account."
)


CLAIM_KEY_HEADER = OpenApiParameter(
    name="X-Access-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The access key from the receipt (the end of the private link).",
)


class CitizenAccountApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


class MyComplaintListApi(CitizenAccountApi):
    @extend_schema(
        operation_id="me_complaints_list",
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "MyComplaintList", {"results": OwnedComplaintSerializer(many=True)}
                ),
                description="This account's reports; an empty list when it has none.",
            ),
            401: NOT_SIGNED_IN,
        },
        summary="My reports",
        description=(
            "The reports of /akun/laporan/: filed while signed in to this account or claimed "
            f"into it with the private link, newest first, the latest "
            f"{selectors.OWNED_LIST_LIMIT}, each with its address and point as given. Never "
            "another account's report."
        ),
    )
    def get(self, request: Request) -> Response:
        assert request.user.is_authenticated  # IsAuthenticated
        reports = selectors.owned_complaint_list(request.user)
        items = OwnedComplaintSerializer(reports, many=True, context={"request": request}).data
        return Response({"results": items})


class ComplaintClaimApi(CitizenAccountApi):
    @extend_schema(
        operation_id="complaints_claim",
        parameters=[CLAIM_KEY_HEADER],
        request=None,
        responses={
            200: OpenApiResponse(
                OwnedComplaintSerializer,
                description="The report is in this account's reports (also when it was before).",
            ),
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(
                ERROR,
                description="Signed in by session, without the CSRF token (X-CSRFToken) that "
                "a browser must send.",
            ),
            404: OpenApiResponse(ERROR, description="Unknown number, or no valid X-Access-Key."),
            409: OpenApiResponse(ERROR, description="The report belongs to another account."),
        },
        summary="Add a report to my reports (needs X-Access-Key)",
        description=(
            "Holding the private link proves the report is yours, as "
            '"Add to my reports" on the private link\'s page does. Claiming a report that is '
            "already in your reports changes nothing."
        ),
    )
    def post(self, request: Request, tracking_number: str) -> Response:
        assert request.user.is_authenticated  # IsAuthenticated
        complaint, private = _complaint_for(request, tracking_number)
        if not private:
            raise Http404
        claimed = services.claim_complaint(complaint_id=complaint.pk, user=request.user)
        return Response(OwnedComplaintSerializer(claimed, context={"request": request}).data)
