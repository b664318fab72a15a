"""``services.enter_complaint``, which the dashboard's entry form calls: where the report goes
for each level, its date, and its refusals (every field's in one round, nothing written)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Complaint, ComplaintEvent, Disposition
from complaints.services import SubmissionReceipt, enter_complaint
from routing import selectors as routing_selectors
from routing.models import Agency, Category, DeadlineSetting, Region
from tests.files import files_in, jpeg_with_gps
from tests.helpers import WIB, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


def enter(officer: User, agency: Agency, **overrides: Any) -> SubmissionReceipt:
    fields: dict[str, Any] = {
        "officer": officer,
        "agency": agency,
        "channel": Complaint.Channel.WALK_IN,
        "received_on": dt.date(2026, 11, 30),
        "keep": True,
        "now": NOW,
        "kind": "COMPLAINT",
        "title": "Antrean puskesmas tidak tertib",
        "description": "Warga datang ke kantor: antrean di puskesmas Palaran tidak memakai nomor.",
        "category": Category.objects.get(code="kesehatan"),
        "region": Region.objects.get(code="64.72.01"),
        "incident_date": dt.date(2026, 11, 27),
        "is_anonymous": False,
        "is_confidential": False,
        "reporter_name": "Budi Santoso",
    }
    fields.update(overrides)
    return enter_complaint(**fields)


class TestEnterComplaint:
    def test_an_opd_keeps_it_to_follow_up(self, tree: dict[str, Agency]) -> None:
        officer = make_user("petugas", tree["dinkes"])
        complaint = enter(officer, tree["dinkes"]).complaint
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", tree["dinkes"])
        assert (complaint.channel, complaint.entered_by) == ("WALK_IN", officer)
        kept = Disposition.objects.get(complaint=complaint)
        assert (kept.kind, kept.from_agency, kept.to_agency) == ("KEEP", None, tree["dinkes"])
        submitted = complaint.events.get(type=ComplaintEvent.Type.SUBMITTED)
        assert submitted.actor == officer
        assert submitted.data["channel"] == "WALK_IN"

    def test_a_coordinator_keeps_it_in_its_queue(self, tree: dict[str, Agency]) -> None:
        officer = make_user("koordinator", tree["kaltim"])
        complaint = enter(officer, tree["kaltim"]).complaint
        assert (complaint.status, complaint.current_agency) == (
            "AWAITING_VERIFICATION",
            tree["kaltim"],
        )

    def test_dated_back_its_deadline_runs_from_the_day_received(
        self, tree: dict[str, Agency]
    ) -> None:
        officer = make_user("petugas", tree["dinkes"])
        complaint = enter(
            officer,
            tree["dinkes"],
            received_on=dt.date(2026, 11, 20),
            incident_date=dt.date(2026, 11, 19),
        ).complaint
        received = dt.datetime(2026, 11, 20, 12, 0, tzinfo=WIB)
        assert complaint.submitted_at == received
        assert complaint.due_at == routing_selectors.due_at(
            start=received, step=DeadlineSetting.Step.FIRST_RESPONSE
        )

    def test_every_problem_is_refused_in_one_round_and_nothing_is_written(
        self, tree: dict[str, Agency], media_root: Path
    ) -> None:
        officer = make_user("petugas", tree["dinkes"])
        with pytest.raises(ValidationError) as refused:
            enter(
                officer,
                tree["dinkes"],
                received_on=dt.date(2026, 12, 1),
                title="x",
                attachments=[
                    SimpleUploadedFile("foto.jpg", jpeg_with_gps(), "image/jpeg"),
                    SimpleUploadedFile("surat.pdf", b"not a pdf", "application/pdf"),
                ],
            )
        assert {"received_on", "title", "attachments"} <= set(refused.value.message_dict)
        assert not Complaint.objects.exists()
        assert files_in(media_root) == []

    def test_a_channel_that_is_not_an_officers_is_a_field_error(
        self, tree: dict[str, Agency]
    ) -> None:
        officer = make_user("petugas", tree["dinkes"])
        with pytest.raises(ValidationError) as refused:
            enter(officer, tree["dinkes"], channel=Complaint.Channel.WEB, title="pendek")
        assert set(refused.value.message_dict) == {"channel", "title"}
        assert not Complaint.objects.exists()
