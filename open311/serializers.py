"""Our categories and reports as GeoReport v2 documents (plain data for ``formats.render``).

Nothing of the reporter is read here: no name, e-mail, phone or address of any report,
anonymous or not. Location is the report's region; coordinates are never known.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent
from routing.models import Category, Region

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the service definitions last changed shape (attributes, their values): clients cache
# definitions until this moves. Raise it with every change to ``service_definition``.
CHANGESET = "2026-11-30T00:00:00+07:00"


def w3_datetime(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in Western Indonesia Time: ``2026-11-30T09:00:00+07:00``."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def discovery(request: HttpRequest) -> dict[str, Any]:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit(
        "/", 1
    )[0]
    return {
        "changeset": CHANGESET,
        "contact": _("The LAPOR administrators, %(url)s")
        % {"url": request.build_absolute_uri("/")},
        "key_service": _(
            "An API key is needed to post reports. The LAPOR administrators issue keys to "
            "organisations on request: %(url)s"
        )
        % {"url": request.build_absolute_uri("/")},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("Reports about %(name)s") % {"name": category.name},
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([category.name_id, category.name_en, category.code])),
        "group": "",
    }


def _yes_no() -> list[dict[str, str]]:
    return [{"key": "true", "name": _("yes")}, {"key": "false", "name": _("no")}]


def service_definition(category: Category) -> dict[str, Any]:
    """What a report needs beyond Open311's own fields (``description``, ``email``,
    ``first_name``…): the same as our form asks. Post each as ``attribute[code]=value``."""
    attributes = [
        (
            "kind",
            "singlevaluelist",
            True,
            "",
            _("What the report is: a complaint, an aspiration or an information request."),
            [{"key": value, "name": str(label)} for value, label in Complaint.Kind.choices],
        ),
        (
            "title",
            "string",
            True,
            _("10 to 150 characters"),
            _("A short title: what happened, and where."),
            [],
        ),
        (
            "region",
            "string",
            True,
            _("Kemendagri region code, such as 64.72 or 64.72.01"),
            _(
                "Where it happened: the code of a regency/city or of a district. This is the "
                "report's location: lat, long and address_string are not kept."
            ),
            [],
        ),
        (
            "incident_date",
            "string",
            True,
            _("YYYY-MM-DD, not in the future"),
            _("The date of the event."),
            [],
        ),
        (
            "anonymous",
            "singlevaluelist",
            False,
            "",
            _("true: no agency ever sees who filed the report. Default false."),
            _yes_no(),
        ),
        (
            "confidential",
            "singlevaluelist",
            False,
            "",
            _("true: the report is not published, nor shown in Open311. Default false."),
            _yes_no(),
        ),
    ]
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": code,
                "datatype": datatype,
                "required": required,
                "datatype_description": datatype_description,
                "order": order,
                "description": description,
                "values": values,
            }
            for order, (code, datatype, required, datatype_description, description, values) in (
                enumerate(attributes, start=1)
            )
        ],
    }


def _address(region: Region) -> str:
    names = []
    place: Region | None = region
    while place is not None:
        names.append(place.name)
        place = place.parent
    return ", ".join(names)


def service_notice(request: HttpRequest, complaint: Complaint) -> str:
    url = request.build_absolute_uri(
        reverse("complaints:public", kwargs={"tracking_number": complaint.tracking_number})
    )
    return _("Follow this report at %(url)s") % {"url": url}


def _note(event: ComplaintEvent) -> dict[str, Any]:
    return {
        "type": event.type,
        "description": event.label,
        "datetime": w3_datetime(event.created_at),
    }


def service_request(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """One report as a GeoReport v2 service request, with its public history in ``notes`` (an
    extension). Expects the report from ``open311.selectors`` (``public_events`` loaded).

    ``media_url`` is always empty: the web shows no report's files to the public (they are
    behind the reporter's private link), so Open311 shows none either.
    """
    events: list[ComplaintEvent] = complaint.public_events  # type: ignore[attr-defined]  # Prefetch to_attr
    # Open311's "closed": no transition leads out (completed or archived).
    is_open = complaint.is_open
    return {
        "service_request_id": complaint.tracking_number,
        "status": "open" if is_open else "closed",
        "status_notes": str(complaint.get_status_display()),
        # A report by e-mail may wait for its category and place (never public meanwhile).
        "service_name": complaint.category.name if complaint.category else "",
        "service_code": complaint.category.code if complaint.category else "",
        "description": complaint.description,
        "agency_responsible": complaint.current_agency.name if complaint.current_agency else "",
        "service_notice": service_notice(request, complaint),
        "requested_datetime": w3_datetime(complaint.submitted_at),
        "updated_datetime": w3_datetime(
            events[-1].created_at if events else complaint.submitted_at
        ),
        "expected_datetime": w3_datetime(complaint.due_at) if is_open else None,
        "address": _address(complaint.region) if complaint.region else "",
        "address_id": complaint.region.code if complaint.region else "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
        "notes": [_note(event) for event in events],
    }
