"""The citizen's reactions to an answer, as the private page and the API both take them, and
the category and place of a report by e-mail: each calls its one service and says what
happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from complaints import services
from complaints.workflow import CitizenAction

# The words of the private page's URLs.
URL_WORDS = {
    "lengkapi": CitizenAction.DETAILS,
    "tambah": CitizenAction.ADD,
    "balas": CitizenAction.REPLY,
    "terima": CitizenAction.ACCEPT,
    "sanggah": CitizenAction.DISPUTE,
    "nilai": CitizenAction.RATE,
}


def perform_citizen_action(
    action: CitizenAction, *, complaint_id: int, data: dict[str, Any], now: dt.datetime
) -> str:
    """Call the service of ``action`` with validated input; returns the message to show.

    :raises ActionError: from the service (the report moved on, rated already).
    :raises ValidationError: from the service, per field.
    """
    if action == CitizenAction.DETAILS:
        services.give_details(
            complaint_id=complaint_id,
            category=data["category"],
            region=data["regency"],
            now=now,
        )
        return _("Thank you. Your report is on its way to the agency in charge.")
    if action == CitizenAction.ADD:
        services.add_information(complaint_id=complaint_id, text=data["text"], now=now)
        return _("What you added was sent to the agency handling your report.")
    if action == CitizenAction.REPLY:
        services.reply_to_answer(complaint_id=complaint_id, text=data["text"], now=now)
        return _("Your reply was sent to the agency.")
    if action == CitizenAction.ACCEPT:
        services.accept_answer(complaint_id=complaint_id, now=now)
        return _("Thank you. Your report is completed.")
    if action == CitizenAction.DISPUTE:
        services.dispute_answer(complaint_id=complaint_id, reason=data["reason"], now=now)
        return _("Your dispute was sent to the coordinator above the agency.")
    services.rate_answer(
        complaint_id=complaint_id, score=data["score"], comment=data.get("comment", ""), now=now
    )
    return _("Thank you for your rating.")
