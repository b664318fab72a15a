"""Our categories and reports as GeoReport v2 documents (plain data for ``formats.render``).

Every read of Open311 is public, so nothing of the reporter is read here: no name, e-mail or
phone, and not the address or landmark a report was posted with (``address_string``: the
reporter's words, which may name their house). A report's ``address`` is its region's path, and
its ``lat``/``long`` the public point (``complaints.places.public_point``: snapped to a grid,
none for a report the public may not see), never the point as posted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from complaints.models import ADDRESS_MAX_LENGTH, Complaint, ComplaintEvent
from complaints.places import ANONYMOUS_GRID_DEGREES, PUBLIC_GRID_DEGREES, cell_metres, public_point
from routing.models import Category, Region

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the service definitions last changed shape (attributes, their values): clients cache
# definitions until this moves. Raise it with every change to ``service_definition``.
CHANGESET = "2026-12-07T00:00:00+07:00"


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
            _("Kemendagri region code, such as 64.72, 64.72.01 or 64.72.01.1001"),
            _(
                "Where it happened: the code of a regency/city, a district or a village. Send "
                "lat and long (the point) and address_string (an address or landmark, at most "
                "%(max)d characters) too when you have them: they are kept for the agency that "
                "handles the report. Reading requests gives the point only to a grid of about "
                "%(public)s m (%(anonymous)s km for an anonymous report) and never the address."
            )
            % {
                "max": ADDRESS_MAX_LENGTH,
                "public": number_format(round(cell_metres(PUBLIC_GRID_DEGREES), -1), 0),
                "anonymous": number_format(cell_metres(ANONYMOUS_GRID_DEGREES) / 1000, 1),
            },
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
    behind the reporter's private link), so Open311 shows none either. ``address`` is the
    region's path; ``lat``/``long`` the public point. There is no ``address_string`` (the
    specification's reply has none): the address posted is not for the public.
    """
    events: list[ComplaintEvent] = complaint.public_events  # type: ignore[attr-defined]  # Prefetch to_attr
    point = public_point(complaint)
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
        # The public point as numbers, as the specification's examples give them.
        "lat": float(point[0]) if point else None,
        "long": float(point[1]) if point else None,
        "media_url": "",
        "notes": [_note(event) for event in events],
    }
