"""How far the working-day calendar is known, on the pages: the coordinators' banner (in the
base layout) and the "(provisional)" mark beside a deadline counted past it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from routing import selectors
from routing.models import Agency

register = template.Library()


@register.inclusion_tag("routing/calendar_banner.html", takes_context=True)
def calendar_coverage_banner(context: template.Context) -> dict[str, Any]:
    """For an officer of a coordinator agency on a staff page (one that
    ``dashboard.views.staff_view`` let through, which sets ``request.agency``): the coming
    months' years whose days off are not known for sure. Any other page does nothing."""
    request: HttpRequest | None = context.get("request")
    agency = getattr(request, "agency", None)
    if request is None or not isinstance(agency, Agency) or not agency.is_coordinator:
        return {"gaps": []}
    today = timezone.localdate()
    gaps = selectors.calendar_gap_list(today, horizon_days=selectors.BANNER_HORIZON_DAYS)
    if not gaps:
        return {"gaps": []}
    may_edit = admin.site.has_permission(request) and request.user.has_perm(
        "routing.add_calendarexception"
    )
    return {
        "gaps": gaps,
        "covered_until": selectors.calendar_covered_until(today),
        "admin_url": reverse("admin:routing_calendarexception_changelist") if may_edit else "",
    }


@register.simple_tag
def provisional_mark(due_at: dt.datetime | None) -> SafeString:
    """ "(provisional)", explained, beside a deadline that ends after the covered years."""
    if not selectors.is_provisional(due_at, today=timezone.localdate()):
        return SafeString("")
    return format_html(
        ' <span class="provisional" title="{}">({})</span>',
        gettext(
            "Counted with holidays that are estimated or not yet decreed: the deadline may "
            "move once the government's decree is entered."
        ),
        gettext("provisional"),
    )
