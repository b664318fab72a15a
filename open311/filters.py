"""The query string of GET Service Requests, read and checked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _

from lapor.lib.bounds import FIRST_MOMENT, LAST_MOMENT, moment_in_range
from open311.errors import Open311Error

# The spec's defaults: the most recent 90 days, at most 1000 requests.
WINDOW = dt.timedelta(days=90)
MAX_RESULTS = 1000
# Reports looked up by number in one request: a client that knows its numbers needs few, and
# each one counts against the address's lookup limit (LAPOR_LOOKUP_RATE).
MAX_IDS = 10
STATUSES = ("open", "closed")
# What a service code can be (a category's slug, as in the URL of a service definition):
# anything else is refused before the database sees it (PostgreSQL refuses a NUL with an error).
_SERVICE_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
# A page number: ASCII digits only (``"²".isdigit()`` holds, but int() refuses it), and few of
# them (int() refuses more than 4300 digits).
_NUMBER = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class RequestQuery:
    """What to list. With ``ids`` the other filters do not apply (the spec says they override)."""

    ids: list[str]
    service_codes: list[str]
    start: dt.datetime
    end: dt.datetime
    statuses: list[str]
    page: int
    page_size: int


def _comma_list(params: QueryDict, name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def _moment(params: QueryDict, name: str, errors: list[str]) -> dt.datetime | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors.append(
            _(
                "%(name)s: give a date and time with its time zone (W3C format), "
                "for example 2026-11-01T00:00:00+07:00 or 2026-10-31T17:00:00Z."
            )
            % {"name": name}
        )
        return None
    # The window reaches 90 days from either end, and the database compares in UTC.
    if not moment_in_range(moment):
        errors.append(
            _("%(name)s: give a moment from %(first)s to %(last)s.")
            % {"name": name, "first": _w3c(FIRST_MOMENT), "last": _w3c(LAST_MOMENT)}
        )
        return None
    return moment


def _w3c(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _positive(params: QueryDict, name: str, default: int, top: int, errors: list[str]) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not _NUMBER.fullmatch(text) or not 1 <= int(text) <= top:
        errors.append(
            _("%(name)s: give a whole number from 1 to %(top)d.") % {"name": name, "top": top}
        )
        return default
    return int(text)


def parse_request_query(params: QueryDict, *, now: dt.datetime) -> RequestQuery:
    """Read the filters: comma lists, a window of at most 90 days (the most recent 90 days when
    neither end is given, 90 days from the end given otherwise), and the ``page`` and
    ``page_size`` extension (1000 a page at most, the spec's limit).

    :raises Open311Error: (400) with one description per bad parameter.
    """
    errors: list[str] = []
    start = _moment(params, "start_date", errors)
    end = _moment(params, "end_date", errors)
    service_codes = _comma_list(params, "service_code")
    if not all(_SERVICE_CODE.fullmatch(code) for code in service_codes):
        errors.append(_("service_code: give codes from services.json, separated by commas."))
    statuses = [s.lower() for s in _comma_list(params, "status")]
    if any(s not in STATUSES for s in statuses):
        errors.append(_("status: give open, closed, or both separated by a comma."))
    ids = _comma_list(params, "service_request_id")
    if len(ids) > MAX_IDS:
        errors.append(
            _("service_request_id: give at most %(count)d numbers at once.") % {"count": MAX_IDS}
        )
    page = _positive(params, "page", 1, 1_000_000, errors)
    page_size = _positive(params, "page_size", MAX_RESULTS, MAX_RESULTS, errors)
    if start is None:
        if end is None:
            end = now
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if not errors:
        if end < start:
            errors.append(_("end_date: must not be before start_date."))
        elif end - start > WINDOW:
            errors.append(_("start_date, end_date: the range may not span more than 90 days."))
    if errors:
        raise Open311Error(400, errors)
    return RequestQuery(
        ids=ids,
        service_codes=service_codes,
        start=start,
        end=end,
        statuses=statuses,
        page=page,
        page_size=page_size,
    )
