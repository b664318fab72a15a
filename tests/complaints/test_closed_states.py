"""What a report's pages and API say once it is closed, and the public timeline's words: only
what applies to the status, with the agency each event names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from complaints import services
from complaints.models import Complaint
from routing.models import Agency
from tests.helpers import NOW, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Submit = Callable[..., Any]
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."


@pytest.fixture
def completed(submit: Submit, tree: dict[str, Agency]) -> Complaint:
    """Routed to Dinkes Samarinda at NOW, answered two days later, accepted by the reporter."""
    complaint = route_fully(submit().complaint)
    later = NOW + dt.timedelta(days=2)
    services.respond_to_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=later
    )
    services.accept_answer(complaint_id=complaint.pk, now=later + dt.timedelta(hours=1))
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.COMPLETED
    assert complaint.due_at is not None  # the reply window it had: no longer a deadline
    return complaint


class TestAClosedReport:
    def test_shows_no_next_deadline_on_its_page(self, completed: Complaint) -> None:
        html = Client().get(f"/lacak/{completed.tracking_number}/").content.decode()
        assert "Selesai" in html or "selesai" in html
        assert "Batas waktu berikutnya" not in html

    def test_has_no_deadline_in_the_api(self, completed: Complaint) -> None:
        body = Client().get(f"/api/v1/complaints/{completed.tracking_number}/").json()
        assert body["status"] == "COMPLETED"
        assert body["due_at"] is None
        assert body["due_at_provisional"] is False

    def test_an_open_report_still_shows_its_deadline(
        self, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        complaint = route_fully(submit().complaint)
        body = Client().get(f"/api/v1/complaints/{complaint.tracking_number}/").json()
        assert body["due_at"] is not None
        html = Client().get(f"/lacak/{complaint.tracking_number}/").content.decode()
        assert "Batas waktu berikutnya" in html


class TestPublicTimeline:
    def test_each_event_names_its_agency_in_words(self, completed: Complaint) -> None:
        events = Client().get(f"/api/v1/complaints/{completed.tracking_number}/").json()["events"]
        texts = [event["type_display"] for event in events]
        assert not any("%(" in text for text in texts), texts
        assert any("Dinkes Samarinda" in text for text in texts), texts
