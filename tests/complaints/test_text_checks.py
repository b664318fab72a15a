"""Every text a citizen or an officer submits is refused when it holds a Unicode noncharacter or
anything XML 1.0 cannot carry (lapor.lib.text): each service that takes a text, and the web form,
the API, the citizen's page and the dashboard through HTTP. Open311's posts are in
tests/open311/test_bad_input.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.emails import private_link_path
from complaints.models import Complaint
from complaints.services import SubmissionReceipt
from lapor.lib.actions import ActionError
from routing.models import Agency
from tests.helpers import (
    NOW,
    api_data,
    form_data,
    in_indonesian,
    make_user,
    route_fully,
    snapshot,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Submit = Callable[..., Any]
LATER = NOW + dt.timedelta(days=2)
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
# A noncharacter of the first plane, one of the last, one of the U+FDD0 block, a C0 control, a
# lone surrogate: each refused wherever it is typed.
REFUSED = ["\ufffe", "\uffff", "\U0010ffff", "\ufdd0", "\x0b", "\udc80"]


def reason_refused() -> str:
    return in_indonesian(
        "Please write at most %(max)d characters, without control characters.",
        max=services.REASON_MAX_LENGTH,
    )


def _with(character: str, text: str = "Tolong periksa lagi jadwal pelayanan puskesmas") -> str:
    return f"{text} {character} sekarang."


@pytest.fixture
def answered(tree: dict[str, Agency], submit: Submit) -> SubmissionReceipt:
    """A report at Dinkes Samarinda, answered: every text action has something to act on."""
    receipt = submit()
    complaint = route_fully(receipt.complaint)
    services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], actor=None, now=NOW
    )
    services.respond_to_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=NOW
    )
    complaint.refresh_from_db()
    return receipt


class TestServicesRefuse:
    @pytest.mark.parametrize("character", REFUSED)
    @pytest.mark.parametrize("field", ["title", "description", "reporter_name"])
    def test_submission(self, submit: Submit, character: str, field: str) -> None:
        value = _with(character, "Puskesmas tutup") if field != "description" else _with(character)
        with pytest.raises(ValidationError) as raised:
            submit(**{field: value})
        assert list(raised.value.message_dict) == [field]
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize("character", REFUSED)
    def test_staff_texts(
        self, answered: SubmissionReceipt, tree: dict[str, Agency], character: str
    ) -> None:
        complaint = answered.complaint
        before = snapshot(complaint)
        officer = make_user("nasional", tree["national"])
        attempts: list[tuple[Callable[[], Any], type[Exception]]] = [
            (
                lambda: services.respond_to_complaint(
                    complaint_id=complaint.pk,
                    agency=tree["dinkes"],
                    text=_with(character, ANSWER),
                    actor=None,
                    now=LATER,
                ),
                ValidationError,
            ),
            (
                lambda: services.add_internal_note(
                    complaint_id=complaint.pk,
                    agency=tree["dinkes"],
                    text=_with(character),
                    actor=None,
                    now=LATER,
                ),
                ValidationError,
            ),
            (
                lambda: services.request_transfer(
                    complaint_id=complaint.pk,
                    agency=tree["dinkes"],
                    reason=_with(character),
                    suggested_agency=None,
                    actor=None,
                    now=LATER,
                ),
                ActionError,
            ),
            (
                lambda: services.archive_complaint(
                    complaint_id=complaint.pk,
                    coordinator=tree["samarinda"],
                    reason=_with(character),
                    actor=None,
                    now=LATER,
                ),
                ActionError,
            ),
            (
                lambda: services.reveal_reporter(
                    complaint_id=complaint.pk, actor=officer, reason=_with(character), now=LATER
                ),
                ValidationError,
            ),
        ]
        for attempt, refusal in attempts:
            with pytest.raises(refusal) as raised:
                attempt()
            if isinstance(raised.value, ActionError):
                # Refused for its text, not because the report is not in that queue.
                assert raised.value.message == reason_refused()
        assert snapshot(complaint) == before

    @pytest.mark.parametrize("character", REFUSED)
    def test_citizen_texts(self, answered: SubmissionReceipt, character: str) -> None:
        complaint = answered.complaint
        before = snapshot(complaint)
        with pytest.raises(ValidationError):
            services.reply_to_answer(complaint_id=complaint.pk, text=_with(character), now=LATER)
        with pytest.raises(ActionError) as raised:
            services.dispute_answer(complaint_id=complaint.pk, reason=_with(character), now=LATER)
        assert raised.value.message == reason_refused()
        with pytest.raises(ValidationError):
            services.rate_answer(
                complaint_id=complaint.pk, score=4, comment=_with(character), now=LATER
            )
        assert snapshot(complaint) == before


class TestThroughHttp:
    def test_the_web_form(self, client: Client, tree: dict[str, Agency]) -> None:
        response = client.post(
            reverse("complaints:submit"), form_data(title=_with("\ufffe", "Jalan rusak"))
        )
        assert response.status_code == 400
        assert "title" in response.context["form"].errors
        assert not Complaint.objects.exists()

    def test_the_api(self, client: Client, tree: dict[str, Agency]) -> None:
        response = client.post("/api/v1/complaints/", api_data(description=_with("\uffff")))
        assert response.status_code == 400
        assert list(response.json()) == ["description"]
        assert not Complaint.objects.exists()

    def test_the_citizens_reply(self, client: Client, answered: SubmissionReceipt) -> None:
        complaint = answered.complaint
        before = snapshot(complaint)
        page = private_link_path(complaint, answered.access_key)
        response = client.post(f"{page}balas/", {"text": _with("\ufdd0")})
        assert response.status_code == 400
        assert snapshot(complaint) == before

    def test_the_officers_note(self, answered: SubmissionReceipt, tree: dict[str, Agency]) -> None:
        complaint = answered.complaint
        before = snapshot(complaint)
        client = Client()
        client.force_login(make_user("dinkes", tree["dinkes"]))
        response = client.post(
            reverse("dashboard:action", args=[complaint.tracking_number, "note"]),
            {"text": _with("\U0001fffe")},
        )
        assert response.status_code == 400
        assert snapshot(complaint) == before
