"""The citizen's reaction to an answer through the API, with the access key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from complaints.models import Complaint, ComplaintEvent, Dispute, Rating
from complaints.services import SubmissionReceipt, respond_to_complaint
from routing.models import Agency
from tests.helpers import NOW, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

ANSWER = "Puskesmas sudah kami tegur; layanan kembali buka sesuai jadwal."


@pytest.fixture
def answered(tree: dict[str, Agency], submit: Callable[..., Any]) -> SubmissionReceipt:
    receipt = submit()
    route_fully(receipt.complaint)
    respond_to_complaint(
        complaint_id=receipt.complaint.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=NOW
    )
    return receipt


def post(
    client: Client,
    receipt: SubmissionReceipt,
    action: str,
    body: dict[str, Any],
    key: str | None = None,
):  # type: ignore[no-untyped-def]  # an untyped fixture argument
    return client.post(
        f"/api/v1/complaints/{receipt.complaint.tracking_number}/{action}/",
        body,
        content_type="application/json",
        headers={"X-Access-Key": receipt.access_key if key is None else key},
    )


class TestCitizenApi:
    def test_accept_completes_and_returns_the_private_view(
        self, client: Client, answered: SubmissionReceipt
    ) -> None:
        response = post(client, answered, "accept", {})
        assert response.status_code == 200
        assert response.json()["status"] == "COMPLETED"
        assert response.json()["responses"][0]["text"] == ANSWER
        complaint = Complaint.objects.get(pk=answered.complaint.pk)
        assert complaint.events.filter(type=ComplaintEvent.Type.COMPLETED).count() == 1
        # Twice: the report is no longer waiting for the citizen.
        assert post(client, answered, "accept", {}).status_code == 409

    def test_dispute_goes_to_the_coordinator_above(
        self, client: Client, answered: SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        response = post(client, answered, "dispute", {"reason": "Puskesmas masih tutup kemarin."})
        assert response.status_code == 200
        complaint = Complaint.objects.get(pk=answered.complaint.pk)
        assert (complaint.status, complaint.current_agency_id) == (
            "IN_PROGRESS",
            tree["samarinda"].pk,
        )
        assert Dispute.objects.get(complaint=complaint).agency_id == tree["dinkes"].pk

    def test_reply_and_rate(
        self, client: Client, answered: SubmissionReceipt, tree: dict[str, Agency]
    ) -> None:
        assert post(client, answered, "rate", {"score": 6}).status_code == 400
        assert post(client, answered, "rate", {"score": 4, "comment": "Cepat."}).status_code == 200
        assert Rating.objects.get(complaint=answered.complaint).score == 4
        assert post(client, answered, "rate", {"score": 5}).status_code == 409
        assert post(client, answered, "reply", {"text": ""}).status_code == 400
        response = post(client, answered, "reply", {"text": "Jam berapa tepatnya buka?"})
        assert response.status_code == 200
        complaint = Complaint.objects.get(pk=answered.complaint.pk)
        assert (complaint.status, complaint.current_agency_id) == ("IN_PROGRESS", tree["dinkes"].pk)

    def test_without_the_key_nothing_happens(
        self, client: Client, answered: SubmissionReceipt
    ) -> None:
        assert post(client, answered, "accept", {}, key="").status_code == 404
        assert post(client, answered, "accept", {}, key="x" * 43).status_code == 404
        assert Complaint.objects.get(pk=answered.complaint.pk).status == "RESPONDED"
