"""GeoReport v2 under /open311/v2/: one view per operation, each in JSON and XML.

Every failure is answered with the spec's error list (``code`` and ``description``), never an
HTML page: 400 for bad input, 403 for a missing, unknown or revoked ``api_key``, 404 for
anything unknown (a report, a service, a token, a jurisdiction, a format), 405 for a method an
endpoint does not take, and 429 with ``Retry-After`` when a key has posted more reports than its
hourly limit, or an address has looked up more reports by number (``service_request_id``, at
most ``filters.MAX_IDS`` in one request) than ``LAPOR_LOOKUP_RATE``: 429 is not in the spec's list, but it tells a client to wait rather than to give
up, and the body is the spec's error list all the same.

A POST with an ``Idempotency-Key`` header (``complaints.idempotency``) that repeats an earlier
one of the same api_key is given the first answer again and files nothing; 400 for a malformed
key, 422 for a key used before with other parameters.

GET needs no key. POST takes a form-encoded (or multipart) body; ``media_url`` and uploaded
files are ignored (nothing is fetched or stored). A report's place is its region
(``attribute[region]``, down to the village), with the point (``lat``/``long``) and the address or
landmark (``address_string``) when the client sends them. Every read is public, so it gives the
point only as ``complaints.places.public_point`` allows and never the address: that is the
reporter's words, for the staff who act on the report and the reporter alone.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from complaints import idempotency
from complaints.models import Complaint
from lapor.client import client_ip, lookup_wait_seconds
from open311 import selectors, serializers, services
from open311.errors import Open311Error, error_response
from open311.filters import parse_request_query
from open311.formats import Format, render
from open311.models import ApiKey, Open311Request
from routing.models import Category, Region

_ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[a-z_]+)\]$")
# What a service code (a category's slug) or a region code (64.72.01) can be. Anything else is
# unknown without asking the database, which would refuse some of it (PostgreSQL: a NUL) with
# an error rather than with no row.
_CODE = re.compile(r"[A-Za-z0-9._-]{1,40}")
# The codes of serializers.service_definition, in its order.
ATTRIBUTES = ("kind", "title", "region", "incident_date", "anonymous", "confidential")
# submit_complaint's fields, by the Open311 parameter they come from.
_PARAMETERS = {
    "kind": "attribute[kind]",
    "title": "attribute[title]",
    "description": "description",
    "category": "service_code",
    "region": "attribute[region]",
    "incident_date": "attribute[incident_date]",
    "reporter_name": "first_name, last_name",
    "reporter_email": "email",
    "reporter_phone": "phone",
    "address": "address_string",
}


def _error_response(exc: Open311Error, fmt: Format) -> HttpResponse:
    response = render(exc.as_list(), fmt, root="errors", status=exc.status)
    for header, value in exc.headers.items():
        response[header] = value
    return response


@method_decorator(csrf_exempt, name="dispatch")
class Open311Api(View):
    """Reads the format from the URL, checks ``jurisdiction_id`` and turns an ``Open311Error``
    into the error list. There are no cookies to protect: a post is authorised by its key."""

    fmt: Format

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.fmt = Format(kwargs.pop("fmt"))
        try:
            jurisdiction = request.GET.get("jurisdiction_id") or (
                _body(request).get("jurisdiction_id") if request.method == "POST" else None
            )
            if jurisdiction and jurisdiction != settings.LAPOR_OPEN311_JURISDICTION:
                raise Open311Error(
                    404,
                    [
                        _("jurisdiction_id: unknown jurisdiction; this server serves “%(id)s”.")
                        % {"id": settings.LAPOR_OPEN311_JURISDICTION}
                    ],
                )
            return super().dispatch(request, *args, **kwargs)
        except Open311Error as exc:
            return _error_response(exc, self.fmt)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        raise Open311Error(
            405,
            [_("This endpoint does not take %(method)s.") % {"method": request.method}],
            headers={
                "Allow": ", ".join(m.upper() for m in self.http_method_names if hasattr(self, m))
            },
        )

    def ok(self, data: Any, *, root: str) -> HttpResponse:
        return render(data, self.fmt, root=root)


def _body(request: HttpRequest) -> QueryDict:
    """The posted parameters; a body that cannot be read is a 400, not Django's HTML page."""
    try:
        return request.POST
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent) as exc:
        raise Open311Error(400, [_("The request body could not be read.")]) from exc


class DiscoveryApi(Open311Api):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.ok(serializers.discovery(request), root="discovery")


class ServiceListApi(Open311Api):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.ok(
            [serializers.service(category) for category in selectors.service_list()],
            root="services",
        )


class ServiceDefinitionApi(Open311Api):
    def get(self, request: HttpRequest, service_code: str) -> HttpResponse:
        try:
            category = selectors.get_service(service_code)
        except Category.DoesNotExist:
            raise Open311Error(404, [_unknown_service(service_code)]) from None
        return self.ok(serializers.service_definition(category), root="service_definition")


def _unknown_service(service_code: str) -> str:
    return _("service_code: there is no service “%(code)s”; see services.json.") % {
        "code": service_code
    }


def _count_lookups(request: HttpRequest, count: int) -> None:
    """Count reports looked up by number (``LAPOR_LOOKUP_RATE``, shared with the pages and
    the REST API).

    :raises Open311Error: 429 with ``Retry-After`` over the limit.
    """
    wait = lookup_wait_seconds(request, count)
    if wait is not None:
        raise Open311Error(
            429,
            [
                _(
                    "Too many requests looked up by service_request_id from this address. "
                    "Try again in %(seconds)d seconds."
                )
                % {"seconds": wait}
            ],
            headers={"Retry-After": str(wait)},
        )


@method_decorator(
    # Where it happened may be where the reporter lives: out of error reports too.
    sensitive_post_parameters(
        "api_key", "email", "first_name", "last_name", "phone", "address_string", "lat", "long"
    ),
    name="dispatch",
)
class RequestListApi(Open311Api):
    def get(self, request: HttpRequest) -> HttpResponse:
        query = parse_request_query(request.GET, now=timezone.now())
        if query.ids:
            _count_lookups(request, len(query.ids))
        return self.ok(
            [
                serializers.service_request(request, complaint)
                for complaint in selectors.service_request_list(query)
            ],
            root="service_requests",
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        params = _body(request)
        api_key = services.authenticate_api_key(params.get("api_key", ""), now=now)
        if api_key is None:
            raise Open311Error(
                403,
                [
                    _("api_key: missing.")
                    if not params.get("api_key")
                    else _("api_key: unknown or revoked.")
                ],
            )
        try:
            attempt = _idempotency_attempt(request, params, api_key)
            # A retry is answered before the key's limit counts it: it files nothing.
            answer = idempotency.previous_answer(attempt, now=now) if attempt else None
            if answer is None:
                _count_post(api_key)
                fields = _read_submission(params)
                answer = idempotency.submit_once(
                    attempt,
                    now=now,
                    submit=partial(_file, request, api_key, fields, now=now),
                )
        except idempotency.IdempotencyError as exc:
            raise Open311Error(exc.status, [exc.message()]) from None
        response = self.ok(
            [_receipt(request, answer.complaint.open311_request)], root="service_requests"
        )
        if answer.replayed:
            response[idempotency.REPLAYED_HEADER] = "true"
        return response


def _idempotency_attempt(
    request: HttpRequest, params: QueryDict, api_key: ApiKey
) -> idempotency.Attempt | None:
    """The request's Idempotency-Key with its scope (the api_key) and the fingerprint of what
    it posted (the api_key itself left out: it is the scope).

    :raises BadKeyError: a malformed key.
    """
    key = idempotency.read_key(request.headers.get(idempotency.HEADER))
    if key is None:
        return None
    posted = params.copy()
    posted.pop("api_key", None)
    return idempotency.Attempt(
        scope=idempotency.open311_scope(api_key.pk),
        key=key,
        fingerprint=idempotency.fingerprint(posted, request.FILES),
    )


def _count_post(api_key: ApiKey) -> None:
    """Count a post against its key's hourly limit.

    :raises Open311Error: 429 with ``Retry-After`` over the limit.
    """
    wait = services.api_key_wait_seconds(api_key)
    if wait is not None:
        raise Open311Error(
            429,
            [
                _(
                    "This api_key has posted %(count)d reports this hour, its limit. "
                    "Try again in %(seconds)d seconds."
                )
                % {"count": api_key.hourly_limit, "seconds": wait}
            ],
            headers={"Retry-After": str(wait)},
        )


def _file(
    request: HttpRequest, api_key: ApiKey, fields: dict[str, Any], *, now: dt.datetime
) -> tuple[Complaint, str]:
    """File the report (``file_service_request``); Open311's answer keeps no secret.

    :raises Open311Error: (400) with one description per problem the service found.
    """
    try:
        record = services.file_service_request(
            api_key=api_key,
            **fields,
            ip_address=client_ip(request),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            now=now,
        )
    except ValidationError as exc:
        raise Open311Error(
            400,
            [
                f"{_PARAMETERS.get(field, field)}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            ],
        ) from None
    return record.complaint, ""


def _receipt(request: HttpRequest, record: Open311Request) -> dict[str, Any]:
    return {
        "service_request_id": record.complaint.tracking_number,
        "token": record.token,
        "service_notice": serializers.service_notice(request, record.complaint),
        "account_id": None,
    }


def _required(name: str) -> str:
    return _("%(param)s: required.") % {"param": name}


def _read_submission(params: QueryDict) -> dict[str, Any]:
    """The posted parameters as ``file_service_request``'s fields; what only it can judge (the
    kind, the lengths of texts, the phone number) is left to it.

    :raises Open311Error: (400) with one description per bad parameter.
    """
    errors: list[str] = []
    attributes: dict[str, str] = {}
    for key in params:
        match = _ATTRIBUTE.match(key)
        if key.startswith("attribute") and (match is None or match["code"] not in ATTRIBUTES):
            errors.append(_("%(param)s: there is no such attribute.") % {"param": key})
        elif match is not None:
            attributes[match["code"]] = params.get(key, "").strip()

    category = None
    service_code = params.get("service_code", "").strip()
    if not service_code:
        errors.append(_required("service_code"))
    else:
        if _CODE.fullmatch(service_code):
            category = selectors.service_list().filter(code=service_code).first()
        if category is None:
            errors.append(_unknown_service(service_code))

    region = None
    if not attributes.get("region"):
        errors.append(_required("attribute[region]"))
    else:
        if _CODE.fullmatch(attributes["region"]):
            region = Region.objects.filter(code=attributes["region"]).first()
        if region is None:
            errors.append(
                _("attribute[region]: there is no region “%(code)s”.")
                % {"code": attributes["region"]}
            )

    incident_date = None
    if not attributes.get("incident_date"):
        errors.append(_required("attribute[incident_date]"))
    else:
        try:
            incident_date = dt.date.fromisoformat(attributes["incident_date"])
        except ValueError:
            errors.append(_("attribute[incident_date]: give a date as YYYY-MM-DD."))

    flags: dict[str, bool] = {}
    for code in ("anonymous", "confidential"):
        value = attributes.get(code, "").lower() or "false"
        if value not in ("true", "false"):
            errors.append(_("attribute[%(code)s]: give true or false.") % {"code": code})
        flags[code] = value == "true"

    email = params.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_("email: not a valid e-mail address."))

    point = _read_point(params, errors)
    if errors:
        raise Open311Error(400, errors)
    name = " ".join(
        part
        for part in (params.get("first_name", "").strip(), params.get("last_name", "").strip())
        if part
    )
    return {
        "kind": attributes.get("kind", ""),
        "title": attributes.get("title", ""),
        "description": params.get("description", ""),
        "category": category,
        "region": region,
        "incident_date": incident_date,
        "is_anonymous": flags["anonymous"],
        "is_confidential": flags["confidential"],
        "reporter_name": name,
        "reporter_email": email,
        "reporter_phone": params.get("phone", "").strip(),
        # Its length and characters are the one door's to judge (as the form's address).
        "address": params.get("address_string", ""),
        "point": point,
    }


def _read_point(params: QueryDict, errors: list[str]) -> tuple[float, float] | None:
    """The point posted as ``lat`` and ``long``, or None when neither is sent. Both, as finite
    numbers on the globe, or an error: the one door would quietly drop a point off the globe,
    and a client that sends half a point has a bug worth telling it about."""
    lat, long = params.get("lat", "").strip(), params.get("long", "").strip()
    if not lat and not long:
        return None
    try:
        values = float(lat), float(long)
    except ValueError:
        values = None
    if (
        values is None
        or not all(math.isfinite(v) for v in values)
        or not -90 <= values[0] <= 90
        or not -180 <= values[1] <= 180
    ):
        errors.append(_("lat, long: give both, in decimal degrees (WGS84)."))
        return None
    return values


class RequestDetailApi(Open311Api):
    def get(self, request: HttpRequest, service_request_id: str) -> HttpResponse:
        _count_lookups(request, 1)
        try:
            complaint = selectors.get_service_request(service_request_id)
        except Complaint.DoesNotExist:
            raise Open311Error(404, [_unknown_request(service_request_id)]) from None
        return self.ok([serializers.service_request(request, complaint)], root="service_requests")


def _unknown_request(service_request_id: str) -> str:
    return _("service_request_id: there is no public request “%(id)s”.") % {
        "id": service_request_id
    }


class TokenDetailApi(Open311Api):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            record = selectors.get_request_by_token(token)
        except Open311Request.DoesNotExist:
            raise Open311Error(
                404, [_("token: there is no public request with this token.")]
            ) from None
        return self.ok(
            [{"service_request_id": record.complaint.tracking_number, "token": record.token}],
            root="service_requests",
        )


def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Anything else under /open311/v2/, an unknown format included: 404 as an error list (XML
    when the path asks for XML)."""
    return error_response(
        request.path, 404, _("There is no such endpoint or format; see discovery.json or .xml.")
    )
