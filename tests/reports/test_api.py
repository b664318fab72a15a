"""``GET /api/v1/reports/monthly/`` through HTTP: the saved recap rows as JSON, for coordinators
with a token or a session; 400, 401, 403 and 404 as documented."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.translation import gettext

from complaints.models import Channel, Complaint
from reports.figures import CHANNEL_DEFINITION, FIGURES, row_values
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Agency
from tests.helpers import api_token
from tests.reports.conftest import (
    BUILT_AT,
    NOV,
    OCT,
    REPORTER_VALUES,
    in_indonesian,
    own_row,
    recap_rows,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/monthly/"
UserFor = Callable[[str], User | None]
Built = dict[str, Complaint]


def token_client(user: User | None) -> Client:
    """A program's client: the user's token in the Authorization header, no session."""
    client = Client()
    if user is not None:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(user)}"
    return client


def session_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_row(row: MonthlyRecap) -> dict[str, Any]:
    """A row as the API should give it: scope, every figure of the page, the rating count."""
    return {
        "level": row.level,
        "code": row.code,
        "name": row.name,
        **row_values(row),
        "answered_on_time": row.answered_on_time,
        "rating_count": row.rating_count,
        # Every channel, 0 where the row counted none.
        "received_by_channel": {c: row.received_by_channel.get(c, 0) for c in Channel.values},
    }


# (role, region asked for, status); anonymous callers get 401 (see TestAuthentication)
CASES = [
    ("plain", "", 403),
    ("closed", "", 403),
    ("dinkes", "", 403),
    ("dinkes", "64.72", 403),
    ("national", "", 200),
    ("national", "64", 200),
    ("national", "64.72", 200),
    ("national", "31", 200),  # no agency, but a report about Jakarta: it has a row
    ("national", "64.01", 404),  # Kabupaten Paser: no agency, no report, no row
    ("national", "99", 404),
    ("national", "64.72.01", 404),
    ("kaltim", "", 200),
    ("kaltim", "64.71", 200),
    ("kaltim", "31", 403),
    ("kaltim", "31.71", 403),
    ("kaltim", "64.99", 404),
    ("samarinda", "", 200),
    ("samarinda", "64.72", 200),
    ("samarinda", "64", 403),
    ("samarinda", "64.71", 403),
    ("balikpapan", "64.72", 403),
]

# What each role reads without asking for a region.
OWN_REGION = {"national": "", "kaltim": "64", "samarinda": "64.72"}


class TestAccess:
    @pytest.mark.parametrize("connect", [token_client, session_client])
    @pytest.mark.parametrize(("role", "region", "status"), CASES)
    def test_answers_each_role_and_region(
        self,
        built: Built,
        user_for: UserFor,
        connect: Callable[[User | None], Client],
        role: str,
        region: str,
        status: int,
    ) -> None:
        response = connect(user_for(role)).get(URL, {"month": "2026-11", "region": region})
        assert response.status_code == status
        if status == 200:
            assert response.json()["region"] == (region or OWN_REGION[role])
        else:
            assert isinstance(response.json()["detail"], str)

    @pytest.mark.parametrize("month", ["2026-13", "2026-1", "November", "2026-11-01", "1999-12"])
    def test_a_malformed_month_is_400_with_the_indonesian_message(
        self, built: Built, user_for: UserFor, month: str
    ) -> None:
        response = token_client(user_for("kaltim")).get(URL, {"month": month})
        assert response.status_code == 400
        message = "Give the month as YYYY-MM, for example 2026-10."
        assert response.json() == {"detail": in_indonesian(gettext, message)}
        assert response.json()["detail"] != message

    def test_a_month_without_recap_is_404(self, built: Built, user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).get(URL, {"month": "2026-09"})
        assert response.status_code == 404

    def test_the_404_detail_is_in_the_callers_language(
        self, built: Built, user_for: UserFor
    ) -> None:
        response = token_client(user_for("kaltim")).get(URL, {"month": "2026-09"})
        assert response.json()["detail"] == in_indonesian(gettext, "This month has no recap yet.")
        assert response.json()["detail"] != "This month has no recap yet."

    def test_nothing_built_yet_is_404(self, agencies: dict[str, Agency], user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).get(URL)
        assert response.status_code == 404

    def test_only_get_is_allowed(self, built: Built, user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).post(URL, {"month": "2026-11"})
        assert response.status_code == 405
        assert MonthlyRecap.objects.filter(month=NOV).count() == 19


class TestAuthentication:
    def test_without_credentials_401(self, built: Built) -> None:
        response = Client().get(URL, {"month": "2026-11"})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_an_unknown_token_is_401(self, built: Built) -> None:
        response = Client().get(URL, {"month": "2026-11"}, HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert response.status_code == 401

    def test_a_token_of_a_deactivated_user_is_401(self, built: Built, user_for: UserFor) -> None:
        user = user_for("kaltim")
        assert user is not None
        client = token_client(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert client.get(URL, {"month": "2026-11"}).status_code == 401

    def test_token_and_session_give_the_same_answer(self, built: Built, user_for: UserFor) -> None:
        user = user_for("kaltim")
        by_token = token_client(user).get(URL, {"month": "2026-11"})
        by_session = session_client(user).get(URL, {"month": "2026-11"})
        assert by_token.status_code == by_session.status_code == 200
        assert by_token.json() == by_session.json()


class TestFigures:
    @pytest.mark.parametrize(("role", "region"), [("kaltim", "64"), ("samarinda", "64.72")])
    def test_rows_and_total_are_the_saved_recap_rows(
        self, built: Built, user_for: UserFor, role: str, region: str
    ) -> None:
        response = token_client(user_for(role)).get(URL, {"month": "2026-11"})
        assert response.status_code == 200
        data = response.json()
        assert data["month"] == "2026-11"
        assert data["region"] == region
        assert dt.datetime.fromisoformat(data["built_at"]) == BUILT_AT
        assert data["rows"] == [api_row(row) for row in recap_rows(NOV, region)]
        assert data["total"] == api_row(own_row(NOV, region))

    def test_the_nation_for_the_national_coordinator(self, built: Built, user_for: UserFor) -> None:
        data = token_client(user_for("national")).get(URL, {"month": "2026-11"}).json()
        assert data["region"] == ""
        assert [(r["level"], r["code"]) for r in data["rows"]] == [
            ("PROVINCE", "31"),  # Daerah Khusus Ibukota Jakarta, by name
            ("PROVINCE", "64"),
            ("AGENCY", "nasional"),
        ]
        assert data["total"] == api_row(own_row(NOV, None))

    def test_samarinda_by_hand(self, built: Built, user_for: UserFor) -> None:
        """The scenario of tests/reports/conftest.py, worked out by hand: seven reports filed
        about Samarinda in November; its agencies' figures are Dinkes Samarinda's (two answers
        after 2 and 4 working days, on time; five open at the end)."""
        data = token_client(user_for("kaltim")).get(URL, {"month": "2026-11"}).json()
        (samarinda,) = [r for r in data["rows"] if r["code"] == "64.72"]
        assert samarinda == {
            "level": "REGENCY",
            "code": "64.72",
            "name": "Kota Samarinda",
            "received": 7,
            "first_answers": 2,
            "escalated_unanswered": 0,
            "escalations": 0,
            "transfers": 0,
            "disputes": 0,
            "completed": 1,
            "archived": 0,
            "open": 5,
            "queue": 0,
            "unanswered": 3,
            "in_process": 1,
            "awaiting_citizen": 1,
            "overdue": 1,
            "median_days": 3.0,
            "p90_days": 3.8,
            "on_time": 100.0,
            "rating": 4.0,
            "answered_on_time": 2,
            "rating_count": 1,
            # Every report of the scenario came by the web form.
            "received_by_channel": {**dict.fromkeys(Channel.values, 0), "WEB": 7},
        }
        # The total is the sum of the rows under it, but for what was received: the reports
        # filed about the province, which are those about its regencies and cities.
        for key in ("first_answers", "completed", "open", "unanswered", "in_process", "overdue"):
            assert data["total"][key] == sum(r[key] for r in data["rows"])
        regions = [r for r in data["rows"] if r["level"] == "REGENCY"]
        assert data["total"]["received"] == sum(r["received"] for r in regions) == 12
        assert data["groups"]["received"] == "flow"
        assert data["groups"]["open"] == "stock"
        assert data["groups"]["median_days"] == "time"

    def test_a_regency_below_its_province(self, built: Built, user_for: UserFor) -> None:
        data = (
            token_client(user_for("kaltim"))
            .get(URL, {"month": "2026-11", "region": "64.72"})
            .json()
        )
        assert [r["name"] for r in data["rows"]] == [
            "Dinkes Samarinda",
            "Diskominfo Samarinda",
            "RSUD Samarinda",
        ]
        assert {r["level"] for r in data["rows"]} == {"AGENCY"}

    def test_without_a_month_the_newest_built(self, built: Built, user_for: UserFor) -> None:
        client = token_client(user_for("kaltim"))
        assert client.get(URL).json()["month"] == "2026-11"
        assert client.get(URL, {"month": "2026-10"}).json()["total"] == api_row(own_row(OCT, "64"))
        # A rebuilt older month does not make it the newest.
        build_monthly_recap(month=OCT, now=BUILT_AT + dt.timedelta(days=1))
        assert client.get(URL).json()["month"] == "2026-11"

    def test_definitions_in_the_callers_language(self, built: Built, user_for: UserFor) -> None:
        client = token_client(user_for("kaltim"))
        indonesian = client.get(URL).json()["definitions"]
        assert indonesian == {
            **{f.key: in_indonesian(str, f.definition) for f in FIGURES},
            "received_by_channel": in_indonesian(str, CHANNEL_DEFINITION),
        }
        english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["definitions"]
        assert english["received"].startswith(
            "For a region: reports filed in the month about a place in it, whatever became of them."
        )
        assert indonesian["received"] != english["received"]

    def test_no_reporter_in_the_answer(self, built: Built, user_for: UserFor) -> None:
        client = token_client(user_for("national"))
        for region in ("", "64", "64.72"):
            text = client.get(URL, {"month": "2026-11", "region": region}).content.decode()
            for value in REPORTER_VALUES:
                assert value not in text
