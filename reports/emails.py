"""The monthly recap e-mail to a coordinator."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from reports.figures import FIGURES
from reports.selectors import RecapTable
from routing.emails import officer_addresses, send_staff_email
from routing.models import Agency


def send_recap_email_message(
    *, agency: Agency, table: RecapTable, message_id: str | None = None
) -> bool:
    """The month's figures for the coordinator's region and each region and agency under it,
    with a link to the page; False when the agency has no address to send to."""
    addresses = officer_addresses(agency)
    if not addresses:
        return False
    query = urlencode(
        {"month": f"{table.month:%Y-%m}", "region": table.region.code if table.region else ""}
    )
    send_staff_email(
        addresses=addresses,
        template="recap",
        context={
            "agency": agency,
            "table": table,
            "figures": FIGURES,
            "url": f"{settings.LAPOR_BASE_URL}{reverse('reports:monthly')}?{query}",
        },
        message_id=message_id,
    )
    return True
