"""The e-mail to an agency that a report is in its hands: once per hand-over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from complaints import notifications
from complaints import services as complaint_services
from complaints.models import AgencyNotice
from complaints.tasks import notify_agency_task
from routing.models import Agency, Officer
from tests.helpers import NOW, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")


@pytest.mark.django_db
class TestAgencyNotice:
    def test_a_task_delivered_twice_sends_once_and_a_new_hand_over_again(
        self, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        officer = User.objects.create_user("dinkes", email="dinkes@example.go.id")
        Officer.objects.create(user=officer, agency=tree["dinkes"])
        complaint = route_fully(submit().complaint)
        ids = {"complaint_id": complaint.pk, "agency_id": tree["dinkes"].pk}
        notify_agency_task(**ids)
        notify_agency_task(**ids)
        assert len(mail.outbox) == 1
        assert AgencyNotice.objects.get().sent_at is not None
        # Returned, then handed back by the coordinator: a new hand-over, a new e-mail.
        complaint_services.request_transfer(
            complaint_id=complaint.pk,
            agency=tree["dinkes"],
            reason="Kewenangan RSUD.",
            suggested_agency=tree["rsud"],
            actor=None,
            now=NOW,
        )
        assert notifications.notify_agency(now=NOW, **ids) is False  # not its report now
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["dinkes"],
            allow_returned=True,
            actor=None,
            now=NOW,
        )
        assert notifications.notify_agency(now=NOW, **ids) is True
        assert notifications.notify_agency(now=NOW, **ids) is False
        assert len(mail.outbox) == 2
