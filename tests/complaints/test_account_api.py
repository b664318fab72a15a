"""The citizen account's API: "my reports" and claiming a report with its private link, through
HTTP, with a token and with the web session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from complaints.models import Complaint
from complaints.services import SubmissionReceipt
from tests.complaints.test_accounts import PASSWORD, log_in
from tests.helpers import NOW, api_token

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MINE = "/api/v1/me/complaints/"


def claim_url(tracking_number: str) -> str:
    return f"/api/v1/complaints/{tracking_number}/claim/"


@pytest.fixture
def citizen() -> User:
    return User.objects.create_user("warga@example.id", "warga@example.id", PASSWORD)


@pytest.fixture
def other() -> User:
    return User.objects.create_user("lain@example.id", "lain@example.id", PASSWORD)


def token_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


class TestMyComplaintListApi:
    def test_the_same_reports_as_the_web_page(
        self, citizen: User, other: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        for days in (3, 1, 2):
            submit(owner=citizen, now=NOW - dt.timedelta(days=days))
        submit(owner=citizen, now=NOW, is_confidential=True, is_anonymous=True)
        theirs = submit(owner=other).complaint
        submit()  # no account

        browser = Client()
        log_in(browser)
        page = browser.get("/akun/laporan/")
        on_page = [complaint.tracking_number for complaint in page.context["reports"]]
        assert len(on_page) == 4

        for client in (browser, token_client(citizen)):
            response = client.get(MINE)
            assert response.status_code == 200
            results = response.json()["results"]
            assert [item["tracking_number"] for item in results] == on_page
            assert theirs.tracking_number not in {item["tracking_number"] for item in results}
        first = results[0]
        owned = Complaint.objects.get(tracking_number=first["tracking_number"])
        assert first["status"] == owned.status == "SUBMITTED"
        assert first["is_confidential"] is True
        assert first["title"] == owned.title  # the owner sees the title of a confidential report
        assert "reporter" not in first and "description" not in first

    def test_an_account_without_reports_gets_an_empty_list(self, citizen: User) -> None:
        response = token_client(citizen).get(MINE)
        assert response.status_code == 200
        assert response.json() == {"results": []}

    def test_401_without_credentials_or_with_a_wrong_token(self, citizen: User) -> None:
        assert Client().get(MINE).status_code == 401
        wrong = Client(HTTP_AUTHORIZATION="Token " + "0" * 40).get(MINE)
        assert wrong.status_code == 401 and "detail" in wrong.json()

    def test_an_inactive_account_is_refused(self, citizen: User) -> None:
        client = token_client(citizen)
        User.objects.filter(pk=citizen.pk).update(is_active=False)
        assert client.get(MINE).status_code == 401

    def test_refusals_in_the_callers_language(self) -> None:
        indonesian = Client().get(MINE).json()["detail"]
        english = Client().get(MINE, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
        assert english == "Authentication credentials were not provided."
        assert indonesian != english


class TestComplaintClaimApi:
    def test_claim_then_listed_and_claiming_again_changes_nothing(
        self, citizen: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        number = receipt.complaint.tracking_number
        client = token_client(citizen)
        response = client.post(claim_url(number), HTTP_X_ACCESS_KEY=receipt.access_key)
        assert response.status_code == 200
        assert response.json()["tracking_number"] == number
        assert response.json()["status"] == "SUBMITTED"
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == citizen.pk
        assert [item["tracking_number"] for item in client.get(MINE).json()["results"]] == [number]
        again = client.post(claim_url(number), HTTP_X_ACCESS_KEY=receipt.access_key)
        assert again.status_code == 200
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == citizen.pk

    def test_with_the_web_session(
        self, citizen: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        browser = Client()
        log_in(browser)
        response = browser.post(
            claim_url(receipt.complaint.tracking_number), HTTP_X_ACCESS_KEY=receipt.access_key
        )
        assert response.status_code == 200
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == citizen.pk

    def test_a_session_without_the_csrf_token_answers_403(
        self, citizen: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(citizen)
        response = browser.post(
            claim_url(receipt.complaint.tracking_number), HTTP_X_ACCESS_KEY=receipt.access_key
        )
        assert response.status_code == 403 and "detail" in response.json()
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id is None

    def test_a_report_of_another_account_answers_409(
        self, citizen: User, other: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit(owner=other)
        url = claim_url(receipt.complaint.tracking_number)
        client = token_client(citizen)
        response = client.post(url, HTTP_X_ACCESS_KEY=receipt.access_key)
        assert response.status_code == 409
        assert response.json() == {"detail": "Laporan ini milik akun lain."}
        english = client.post(url, HTTP_X_ACCESS_KEY=receipt.access_key, HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 409
        assert english.json() == {"detail": "This report belongs to another account."}
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id == other.pk

    @pytest.mark.parametrize("key", ["wrong", "x" * 43, None])
    def test_a_wrong_or_missing_key_answers_404(
        self, citizen: User, submit: Callable[..., SubmissionReceipt], key: str | None
    ) -> None:
        receipt = submit()
        headers = {} if key is None else {"HTTP_X_ACCESS_KEY": key}
        response = token_client(citizen).post(
            claim_url(receipt.complaint.tracking_number), **headers
        )
        assert response.status_code == 404 and "detail" in response.json()
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id is None

    def test_an_unknown_number_answers_404(
        self, citizen: User, submit: Callable[..., SubmissionReceipt]
    ) -> None:
        receipt = submit()
        response = token_client(citizen).post(
            claim_url("AAAA-AAAA-AAAA"), HTTP_X_ACCESS_KEY=receipt.access_key
        )
        assert response.status_code == 404

    def test_401_before_anything_else(self, submit: Callable[..., SubmissionReceipt]) -> None:
        receipt = submit()
        url = claim_url(receipt.complaint.tracking_number)
        response = Client().post(url, HTTP_X_ACCESS_KEY=receipt.access_key)
        assert response.status_code == 401
        assert response.json()["detail"] != "Authentication credentials were not provided."
        assert Complaint.objects.get(pk=receipt.complaint.pk).owner_id is None
