"""The e-mail to an agency that a report is in its hands: once per hand-over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from complaints import outbox
from complaints import services as complaint_services
from complaints.models import Complaint, Message
from routing.models import Agency, Officer
from tests.helpers import NOW, deliver_pending, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")


def officer_of(agency: Agency, name: str) -> None:
    user = User.objects.create_user(name, email=f"{name}@example.go.id")
    Officer.objects.create(user=user, agency=agency)


def notices(complaint: Complaint) -> list[Message]:
    return list(
        Message.objects.filter(kind=Message.Kind.AGENCY_NOTICE, complaint=complaint).order_by("pk")
    )


def return_to_samarinda(complaint: Complaint, tree: dict[str, Agency]) -> None:
    complaint_services.request_transfer(
        complaint_id=complaint.pk,
        agency=tree["dinkes"],
        reason="Kewenangan RSUD.",
        suggested_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )


@pytest.mark.django_db
class TestAgencyNotice:
    def test_a_second_delivery_sends_nothing_and_a_new_hand_over_sends_again(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        officer_of(tree["dinkes"], "dinkes")
        complaint = route_fully(submit().complaint)
        (notice,) = notices(complaint)
        assert notice.agency_id == tree["dinkes"].pk
        assert notice.key == f"notice:{complaint.pk}:{tree['dinkes'].pk}:{complaint.version}"
        assert outbox.deliver(notice.pk, now=NOW) == "sent"
        assert outbox.deliver(notice.pk, now=NOW) == "busy"  # a retry, a relay: sent already
        assert len(mail.outbox) == 1
        notice.refresh_from_db()
        assert (notice.sent_at, notice.outcome) == (NOW, Message.Outcome.SENT)
        # Returned, then handed back by the coordinator: a new hand-over, a new e-mail.
        return_to_samarinda(complaint, tree)
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["dinkes"],
            allow_returned=True,
            actor=None,
            now=NOW,
        )
        first, to_samarinda, again = notices(complaint)
        assert (to_samarinda.agency_id, again.agency_id) == (
            tree["samarinda"].pk,
            tree["dinkes"].pk,
        )
        deliver_pending(kinds=(Message.Kind.AGENCY_NOTICE,))
        assert len(mail.outbox) == 2
        assert [m.bcc for m in mail.outbox] == [["dinkes@example.go.id"]] * 2
        # Each e-mail carries the Message-ID of its own row.
        assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
            outbox.message_id_header(first),
            outbox.message_id_header(again),
        ]
        assert outbox.deliver(again.pk, now=NOW) == "busy"
        assert len(mail.outbox) == 2

    def test_a_report_that_moved_on_before_the_e_mail_is_not_announced(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        officer_of(tree["dinkes"], "dinkes")
        officer_of(tree["samarinda"], "samarinda")
        complaint = route_fully(submit().complaint)
        (to_dinkes,) = notices(complaint)
        return_to_samarinda(complaint, tree)  # before the mail worker took the notice
        assert outbox.deliver(to_dinkes.pk, now=NOW) == "skipped"
        to_dinkes.refresh_from_db()
        assert to_dinkes.outcome == Message.Outcome.SKIPPED
        assert mail.outbox == []
        # The agency that holds it now is told.
        deliver_pending(kinds=(Message.Kind.AGENCY_NOTICE,))
        (message,) = mail.outbox
        assert message.bcc == ["samarinda@example.go.id"]
        assert complaint.tracking_number in message.subject
