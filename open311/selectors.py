"""What Open311 may show: never a confidential report, and never anything of the reporter."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from complaints.models import Complaint, ComplaintEvent
from lapor.lib.tracking import normalize_tracking_number
from open311.filters import RequestQuery
from open311.models import Open311Request
from routing.models import Category


def service_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "code")


def get_service(service_code: str) -> Category:
    """:raises Category.DoesNotExist: for an unknown or retired category."""
    return service_list().get(code=service_code)


def _with_details(reports: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Everything a service request shows, in a fixed number of queries: the public events
    (``public_events``, oldest first) and the region up to its province for the address."""
    return reports.select_related(
        "category", "current_agency", "region__parent__parent"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=ComplaintEvent.objects.filter(is_public=True).order_by("created_at", "pk"),
            to_attr="public_events",
        )
    )


def _shown() -> QuerySet[Complaint]:
    """Reports Open311 shows when asked for by number or token: all but confidential ones (an
    archived report is shown, as on its public page)."""
    return Complaint.objects.filter(is_confidential=False)


def service_request_list(query: RequestQuery) -> list[Complaint]:
    """Newest first. Asked for by numbers: those of them that may be shown. Otherwise the
    public list of the web (neither confidential nor archived) within the window and filters."""
    if query.ids:
        numbers = {n for n in map(normalize_tracking_number, query.ids) if n is not None}
        reports = _shown().filter(tracking_number__in=numbers)
    else:
        reports = Complaint.objects.listed().filter(
            submitted_at__gte=query.start, submitted_at__lte=query.end
        )
        if query.service_codes:
            reports = reports.filter(category__code__in=query.service_codes)
        if query.statuses == ["open"]:
            reports = reports.open()
        elif query.statuses == ["closed"]:
            reports = reports.closed()
    first = (query.page - 1) * query.page_size
    ordered = _with_details(reports).order_by("-submitted_at", "-pk")
    return list(ordered[first : first + query.page_size])


def get_service_request(service_request_id: str) -> Complaint:
    """:raises Complaint.DoesNotExist: for an unknown, malformed or confidential number."""
    number = normalize_tracking_number(service_request_id)
    if number is None:
        raise Complaint.DoesNotExist
    return _with_details(_shown()).get(tracking_number=number)


def get_request_by_token(token: str) -> Open311Request:
    """:raises Open311Request.DoesNotExist: for an unknown token or a confidential report."""
    return Open311Request.objects.select_related("complaint").get(
        token=token, complaint__is_confidential=False
    )
