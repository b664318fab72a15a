"""Looking reports up by number: a confidential report shows its status and dates only, and
every surface that answers by number counts against one limit per address."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from complaints.services import SubmissionReceipt
from tests.helpers import in_indonesian, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tree")]

TITLE = "Pungutan liar di SD Negeri 7 Palaran"


def fresh_address() -> str:
    """An address no other test has used this hour (the counters may live in Redis)."""
    return f"2001:db8:{secrets.token_hex(2)}::{secrets.token_hex(2)}"


@pytest.fixture
def confidential(submit: Callable[..., SubmissionReceipt]) -> SubmissionReceipt:
    receipt = submit(is_confidential=True, title=TITLE)
    route_fully(receipt.complaint)
    return receipt


class TestConfidentialShowsStatusAndDatesOnly:
    def test_page(self, confidential: SubmissionReceipt) -> None:
        number = confidential.complaint.tracking_number
        html = Client(REMOTE_ADDR=fresh_address()).get(f"/lacak/{number}/").content.decode()
        assert "Laporan rahasia" in html
        assert "diteruskan ke instansi yang berwenang" in html  # its status
        for hidden in (
            TITLE,
            "Dinkes",  # the agency holding it
            "Palaran",  # its region
            "Samarinda",
            "Kesehatan",  # its category
            "Pengaduan",  # its kind
            "Riwayat",  # the timeline
        ):
            assert hidden not in html, hidden
        # the reporter, with the private link, sees all of it
        private = Client().get(f"/lacak/{number}/{confidential.access_key}/").content.decode()
        assert TITLE in private and "Dinkes Samarinda" in private

    def test_api(self, confidential: SubmissionReceipt) -> None:
        number = confidential.complaint.tracking_number
        client = Client(REMOTE_ADDR=fresh_address())
        body = client.get(f"/api/v1/complaints/{number}/").json()
        shown = {k for k, v in body.items() if v not in (None, [])}
        assert shown == {
            "tracking_number",
            "status",
            "status_display",
            "is_confidential",
            "submitted_at",
            "due_at",
            "due_at_provisional",  # whether that date may still move (calendar coverage)
        }
        private = client.get(
            f"/api/v1/complaints/{number}/", HTTP_X_ACCESS_KEY=confidential.access_key
        ).json()
        assert private["title"] == TITLE and private["current_agency"] is not None

    def test_a_public_report_still_shows_where_it_is(
        self, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        number = route_fully(submit().complaint).tracking_number
        html = Client(REMOTE_ADDR=fresh_address()).get(f"/lacak/{number}/").content.decode()
        assert "Dinkes Samarinda" in html and "Riwayat" in html


class TestLookupLimit:
    @pytest.fixture(autouse=True)
    def _limit(self, settings: Any) -> None:
        settings.LAPOR_LOOKUP_RATE = "4/h"

    def test_every_surface_shares_one_budget_per_address(
        self, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        number = route_fully(receipt.complaint).tracking_number
        client = Client(REMOTE_ADDR=fresh_address())
        assert client.get(f"/lacak/{number}/").status_code == 200
        assert client.get(f"/api/v1/complaints/{number}/").status_code == 200
        assert client.get(f"/open311/v2/requests/{number}.json").status_code == 200
        assert client.get("/lacak/", {"tracking_number": "2222-2222-2222"}).status_code == 200
        # the fifth, on any surface, waits
        page = client.get(f"/lacak/{number}/")
        assert page.status_code == 429 and 1 <= int(page["Retry-After"]) <= 3600
        assert "pencarian laporan dari koneksi Anda" in page.content.decode()
        api = client.get(f"/api/v1/complaints/{number}/")
        assert api.status_code == 429
        message = "Too many reports looked up from your address. Please try again later."
        assert api.json() == {"detail": in_indonesian(message)}
        open311 = client.get("/open311/v2/requests.json", {"service_request_id": number})
        assert open311.status_code == 429 and open311.json()[0]["code"] == 429
        assert client.post(f"/laporan/{number}/dukung/").status_code == 429
        # the private link is not a lookup: the reporter is never locked out of their report
        private = client.get(f"/lacak/{number}/{receipt.access_key}/")
        assert private.status_code == 200
        key = {"HTTP_X_ACCESS_KEY": receipt.access_key}
        assert client.get(f"/api/v1/complaints/{number}/", **key).status_code == 200
        # another address has its own budget
        assert Client(REMOTE_ADDR=fresh_address()).get(f"/lacak/{number}/").status_code == 200

    def test_an_unknown_number_counts_too(self) -> None:
        client = Client(REMOTE_ADDR=fresh_address())
        for _ in range(4):
            assert client.get("/lacak/2222-2222-2222/").status_code == 404
        assert client.get("/lacak/2222-2222-2222/").status_code == 429

    def test_open311_counts_every_id_and_takes_ten_at_most(
        self, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        number = route_fully(submit().complaint).tracking_number
        client = Client(REMOTE_ADDR=fresh_address())
        eleven = ",".join([number] * 11)
        refused = client.get("/open311/v2/requests.json", {"service_request_id": eleven})
        assert refused.status_code == 400
        assert "service_request_id" in refused.json()[0]["description"]
        three = ",".join([number, "2222-2222-2222", "3333-3333-3333"])
        assert (
            client.get("/open311/v2/requests.json", {"service_request_id": three}).status_code
            == 200
        )
        # three of four used: two more do not fit
        two = ",".join([number, "2222-2222-2222"])
        assert (
            client.get("/open311/v2/requests.xml", {"service_request_id": two}).status_code == 429
        )
