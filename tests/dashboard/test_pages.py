"""The staff dashboard through HTTP: login, inbox, report page and each action with its event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint, ComplaintEvent
from routing.models import Agency, Officer
from tests.helpers import route_fully

PASSWORD = "kata-sandi-uji-2026"


def officer(username: str, agency: Agency) -> Client:
    user = User.objects.create_user(username, f"{username}@example.test", PASSWORD)
    Officer.objects.create(user=user, agency=agency)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dinkes(tree: dict[str, Agency]) -> Client:
    return officer("dinkes", tree["dinkes"])


@pytest.fixture
def routed(submit: Callable[..., Any]) -> Complaint:
    return route_fully(submit().complaint)


def page(complaint: Complaint) -> str:
    return reverse("dashboard:complaint", args=[complaint.tracking_number])


def action(complaint: Complaint, name: str) -> str:
    return reverse("dashboard:action", args=[complaint.tracking_number, name])


class TestInboxAndPage:
    def test_inbox_lists_the_held_report(self, dinkes: Client, routed: Complaint) -> None:
        response = dinkes.get(reverse("dashboard:inbox"))
        assert response.status_code == 200
        assert routed.tracking_number in response.content.decode()

    def test_report_page_shows_text_and_actions(self, dinkes: Client, routed: Complaint) -> None:
        response = dinkes.get(page(routed))
        body = response.content.decode()
        assert response.status_code == 200
        assert routed.title in body
        assert action(routed, "acknowledge") in body

    def test_acknowledge_then_answer(self, dinkes: Client, routed: Complaint) -> None:
        response = dinkes.post(action(routed, "acknowledge"), {"version": routed.version})
        assert response.status_code == 302
        routed.refresh_from_db()
        assert routed.status == Complaint.Status.IN_PROGRESS
        response = dinkes.post(
            action(routed, "answer"),
            {"version": routed.version, "text": "Puskesmas sudah kami tegur dan antrean dibenahi."},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        routed.refresh_from_db()
        assert routed.status == Complaint.Status.RESPONDED
        assert routed.events.filter(type=ComplaintEvent.Type.RESPONDED).exists()

    def test_second_officer_with_old_version_gets_409(
        self, dinkes: Client, routed: Complaint, tree: dict[str, Agency]
    ) -> None:
        other = officer("dinkes2", tree["dinkes"])
        stale = routed.version
        assert dinkes.post(action(routed, "acknowledge"), {"version": stale}).status_code == 302
        response = other.post(
            action(routed, "transfer"), {"version": stale, "reason": "Bukan wewenang kami."}
        )
        assert response.status_code == 409
        assert (
            "Someone else changed" in response.content.decode()
            or "diubah" in response.content.decode()
        )
