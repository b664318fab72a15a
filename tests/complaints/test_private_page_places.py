"""Where it happened, on the report's own page: the region's path for everyone; the address and
the point as given only on the reporter's private link (``complaints.places``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from complaints.emails import private_link_path
from complaints.services import SubmissionReceipt
from routing.models import Region
from tests.helpers import in_indonesian

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

VILLAGE = "64.72.01.1001"  # Rawa Makmur, Palaran, Kota Samarinda
ADDRESS = "Jl. Pahlawan 12, depan SDN 005"
PATH = "Rawa Makmur, Palaran, Kota Samarinda"


@pytest.fixture
def placed(submit: Callable[..., SubmissionReceipt]) -> Callable[..., SubmissionReceipt]:
    def _placed(**overrides: Any) -> SubmissionReceipt:
        fields = {
            "region": Region.objects.get(code=VILLAGE),
            "point": (-0.502106, 117.153709),
            "address": ADDRESS,
            **overrides,
        }
        return submit(**fields)

    return _placed


def _page(client: Client, path: str, language: str = "en") -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


class TestThePrivatePage:
    @pytest.mark.parametrize("anonymous", [False, True])
    def test_shows_the_reporter_their_place(
        self, client: Client, placed: Callable[..., SubmissionReceipt], anonymous: bool
    ) -> None:
        receipt = placed(is_anonymous=anonymous)
        body = _page(client, private_link_path(receipt.complaint, receipt.access_key))
        assert PATH in body
        assert ADDRESS in body
        assert "-0.502106, 117.153709" in body
        assert (
            in_indonesian(
                "Only you and the staff who handle the report see them as you gave them. The public sees the region, and on the map a public report's point only rounded, so that it names no house."
            )
            in body
        )

    def test_the_point_keeps_its_decimal_points_in_indonesian(
        self, client: Client, placed: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = placed()
        body = _page(client, private_link_path(receipt.complaint, receipt.access_key), "id")
        assert "-0.502106, 117.153709" in body and "-0,502106" not in body

    def test_without_a_place_a_dash(
        self, client: Client, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        body = _page(client, private_link_path(receipt.complaint, receipt.access_key))
        assert "Palaran, Kota Samarinda" in body
        assert receipt.complaint.latitude is None
        assert '<dd class="report-address">—</dd>' in body
        assert '<dd class="report-point">—</dd>' in body


class TestThePublicPage:
    @pytest.mark.parametrize("anonymous", [False, True])
    def test_shows_the_region_only(
        self, client: Client, placed: Callable[..., SubmissionReceipt], anonymous: bool
    ) -> None:
        complaint = placed(is_anonymous=anonymous).complaint
        assert complaint.latitude == Decimal("-0.502106")
        body = _page(client, f"/lacak/{complaint.tracking_number}/")
        assert PATH in body
        assert "Pahlawan" not in body
        assert "0.502" not in body and "0,502" not in body and "117.15" not in body
        assert "report-point" not in body and "report-address" not in body

    def test_a_confidential_report_shows_not_even_the_region(
        self, client: Client, placed: Callable[..., SubmissionReceipt]
    ) -> None:
        complaint = placed(is_confidential=True).complaint
        body = _page(client, f"/lacak/{complaint.tracking_number}/")
        assert "Rawa Makmur" not in body and "Pahlawan" not in body and "0.502" not in body
