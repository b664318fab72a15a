"""The admin never shows who is behind an anonymous report.

A report filed anonymously by a citizen with an account: every admin page an administrator can
open about it (the report, its events, dispositions, transfers, Open311 rows…) is searched for
the account's name and address, and the query string may not filter reports by their owner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from complaints.models import Complaint, ComplaintEvent
from complaints.services import acknowledge_complaint
from tests.helpers import NOW, make_user, route_fully

pytestmark = pytest.mark.django_db

OWNER_NAME = "zorvelindra.pemilik"
OWNER_EMAIL = "zorvelindra.pemilik@surel-warga.example"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(
        User.objects.create_superuser("root", "root@example.id", "sandi-panjang-sekali")
    )
    return client


@pytest.fixture
def report(tree: dict[str, Any], submit: Callable[..., Any]) -> Complaint:
    owner = User.objects.create_user(OWNER_NAME, OWNER_EMAIL, "sandi-warga-2026")
    receipt = submit(
        is_anonymous=True,
        owner=owner,
        reporter_name="Zorvelindra Pemilik",
        reporter_email=OWNER_EMAIL,
    )
    complaint = route_fully(receipt.complaint)
    officer = make_user("petugas.dinkes", tree["dinkes"])
    acknowledge_complaint(complaint_id=complaint.pk, agency=tree["dinkes"], actor=officer, now=NOW)
    # an event whose actor is the owner's account (as a citizen's own action could be)
    ComplaintEvent.objects.filter(complaint=complaint, type=ComplaintEvent.Type.SUBMITTED).update(
        actor=owner
    )
    return Complaint.objects.get(pk=complaint.pk)


def _leaks(content: bytes) -> list[str]:
    lowered = content.lower()
    return [s for s in (OWNER_NAME, OWNER_EMAIL, "zorvelindra") if s.encode() in lowered]


class TestAdminShowsNoReporter:
    def test_the_report_page_names_its_officer_but_not_its_owner(
        self, admin_client: Client, report: Complaint
    ) -> None:
        response = admin_client.get(f"/admin/complaints/complaint/{report.pk}/change/")
        assert response.status_code == 200
        assert b"petugas.dinkes" in response.content  # the control: staff actors are shown
        assert _leaks(response.content) == []

    def test_every_admin_page_about_reports(self, admin_client: Client, report: Complaint) -> None:
        """Every registered model's list, and the change page of each of its rows, except the
        accounts themselves (auth), which name no report."""
        opened = 0
        for model in admin.site._registry:
            meta = model._meta
            if meta.app_label == "auth":
                continue
            base = f"/admin/{meta.app_label}/{meta.model_name}/"
            pages = [base] + [
                f"{base}{pk}/change/"
                for pk in model._default_manager.values_list("pk", flat=True)[:20]
            ]
            for url in pages:
                response = admin_client.get(url)
                assert response.status_code == 200, url
                assert _leaks(response.content) == [], url
                opened += 1
        assert opened > 20

    @pytest.mark.parametrize(
        "query",
        [
            "owner={pk}",
            "owner__id__exact={pk}",
            "owner__email__contains=zorv",
            "reporter__email__contains=zorv",
            "events__actor={pk}",
        ],
    )
    def test_reports_cannot_be_filtered_by_their_owner(
        self, admin_client: Client, report: Complaint, query: str
    ) -> None:
        owner = User.objects.get(username=OWNER_NAME)
        response = admin_client.get("/admin/complaints/complaint/?" + query.format(pk=owner.pk))
        assert response.status_code == 400
        assert report.tracking_number.encode() not in response.content
