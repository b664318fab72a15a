"""``GET /api/v1/reports/evaluation/`` through HTTP: the quarterly evaluation of the page as JSON,
for the national and province coordinators (Token or session), with the page's access rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from complaints.models import Complaint
from reports import selectors
from reports.exports import evaluation_rows
from reports.selectors import evaluation_notes
from routing.models import Region
from tests.reports.conftest import MIN_REPORTS, REPORTER_VALUES, in_indonesian, page_tables
from tests.reports.test_api import session_client, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/evaluation/"
PAGE = "/reports/evaluation/"
QUARTER_MESSAGE = "Give the quarter as YYYY-Qn, for example 2026-Q3."
UserFor = Callable[[str], User | None]
ClientFor = Callable[[str], Client]
Built = dict[str, Complaint]

# (role, region asked for, status of the API); anonymous callers get 401 (see below).
CASES = [
    ("plain", "", 403),
    ("closed", "", 403),
    ("dinkes", "", 403),
    ("dinkes", "64", 403),
    ("samarinda", "", 403),
    ("samarinda", "64.72", 403),
    ("samarinda", "64", 403),
    ("balikpapan", "", 403),
    ("national", "", 400),  # the page asks which province; the API wants one named
    ("national", "64", 200),
    ("national", "31", 200),  # no regencies with recaps: no rows
    ("national", "64.72", 403),
    ("national", "64.72.01", 404),
    ("national", "99", 404),
    ("kaltim", "", 200),
    ("kaltim", "64", 200),
    ("kaltim", "64.72", 403),
    ("kaltim", "31", 403),
    ("kaltim", "31.71", 403),
]


def api_row(e: selectors.Evaluation) -> dict[str, Any]:
    """A regency/city as the API should give it, from the selector's evaluation."""
    return {
        "rank": e.rank,
        "code": e.region.code,
        "name": e.region.name,
        "received": e.received,
        "held": e.held,
        "answered": e.answered,
        "followed_up": e.followed_up,
        "first_answers": e.first_answers,
        "answered_on_time": e.answered_on_time,
        "response_rate": None if e.response_rate is None else round(100 * e.response_rate, 1),
        "on_time": None if e.on_time_rate is None else round(100 * e.on_time_rate, 1),
        "median_days": e.median_days,
        "disputes": e.disputes,
        "rating": None if e.average_rating is None else round(e.average_rating, 2),
        "rating_count": e.rating_count,
        "score": e.score,
        "half_followed_up": None if e.follow_up_rate is None else e.half_followed_up,
    }


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
        response = connect(user_for(role)).get(URL, {"quarter": "2026-Q4", "region": region})
        assert response.status_code == status, response.content
        if status == 200:
            assert response.json()["region"] == (region or "64")
        else:
            assert set(response.json()) == {"detail"}
            assert isinstance(response.json()["detail"], str)

    @pytest.mark.parametrize(("role", "region", "status"), CASES)
    def test_the_same_answer_as_the_page(
        self, built: Built, client_for: ClientFor, role: str, region: str, status: int
    ) -> None:
        page = client_for(role).get(PAGE, {"quarter": "2026-Q4", "region": region})
        # Only the national coordinator without a province differs: the page lists provinces.
        assert page.status_code == (200 if (role, region) == ("national", "") else status)

    def test_the_refusals_are_in_the_callers_language(
        self, built: Built, user_for: UserFor
    ) -> None:
        client = token_client(user_for("samarinda"))
        message = "The province evaluates its regencies and cities."
        assert client.get(URL).json() == {"detail": in_indonesian(gettext, message)}
        english = client.get(URL, headers={"accept-language": "en"})
        assert english.json() == {"detail": message}
        national = token_client(user_for("national"))
        assert national.get(URL, {"quarter": "2026-Q4"}).json() == {
            "detail": in_indonesian(gettext, "Choose a province.")
        }
        for role in ("plain", "dinkes"):
            refused = token_client(user_for(role)).get(URL).json()["detail"]
            assert refused not in ("Only coordinators read the recaps.", "")
            assert refused in (
                in_indonesian(gettext, "Only coordinators read the recaps."),
                in_indonesian(gettext, "Your account belongs to no active agency."),
            )

    def test_without_credentials_401(self, built: Built) -> None:
        response = Client().get(URL, {"quarter": "2026-Q4", "region": "64"})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert isinstance(response.json()["detail"], str)

    def test_an_unknown_token_is_401(self, built: Built) -> None:
        response = Client().get(URL, headers={"authorization": "Token " + "0" * 40})
        assert response.status_code == 401

    @pytest.mark.parametrize(
        "quarter", ["2026-Q5", "2026-Q0", "2026-4", "Q4-2026", "1999-Q4", "2026-q4", "2026-Q4x"]
    )
    def test_a_malformed_quarter_is_400_with_the_indonesian_message(
        self, built: Built, user_for: UserFor, quarter: str
    ) -> None:
        client = token_client(user_for("kaltim"))
        response = client.get(URL, {"quarter": quarter})
        assert response.status_code == 400
        assert response.json() == {"detail": in_indonesian(gettext, QUARTER_MESSAGE)}
        assert response.json()["detail"] != QUARTER_MESSAGE
        english = client.get(URL, {"quarter": quarter}, headers={"accept-language": "en"})
        assert english.status_code == 400
        assert english.json() == {"detail": QUARTER_MESSAGE}

    def test_only_get_is_allowed(self, built: Built, user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).post(URL, {"quarter": "2026-Q4"})
        assert response.status_code == 405


class TestFigures:
    @pytest.mark.parametrize(("role", "region"), [("kaltim", ""), ("national", "64")])
    def test_rows_are_the_selectors_evaluation(
        self, built: Built, user_for: UserFor, role: str, region: str
    ) -> None:
        response = token_client(user_for(role)).get(URL, {"quarter": "2026-Q4", "region": region})
        assert response.status_code == 200
        data = response.json()
        evaluations = selectors.quarterly_evaluation(Region.objects.get(code="64"), 2026, 4)
        assert data["rows"] == [api_row(e) for e in evaluations]
        assert data["quarter"] == "2026-Q4"
        assert data["region"] == "64"
        assert data["months"] == ["2026-10", "2026-11", "2026-12"]
        assert data["minimum_reports"] == MIN_REPORTS

    def test_ranks_and_scores_by_hand(self, built: Built, user_for: UserFor) -> None:
        data = token_client(user_for("kaltim")).get(URL, {"quarter": "2026-Q4"}).json()
        assert [
            (r["rank"], r["name"], r["code"], r["received"], r["score"], r["half_followed_up"])
            for r in data["rows"]
        ] == [
            (1, "Kota Balikpapan", "64.71", 2, 100.0, True),
            (1, "Kota Bontang", "64.74", 2, 100.0, True),
            # Six held, three followed up: exactly half is enough.
            (3, "Kota Samarinda", "64.72", 6, 68.3, True),
            # One report, below the minimum of two: no rank, no score.
            (None, "Kabupaten Kutai Kartanegara", "64.02", 1, None, False),
        ]
        samarinda = data["rows"][2]
        assert (samarinda["held"], samarinda["followed_up"], samarinda["answered"]) == (6, 3, 2)
        assert samarinda["rating"] == 4.0 and samarinda["rating_count"] == 1

    def test_the_same_figures_as_the_page_table(self, built: Built, user_for: UserFor) -> None:
        user = user_for("kaltim")
        data = token_client(user).get(URL, {"quarter": "2026-Q4"}).json()
        html = session_client(user).get(PAGE, {"quarter": "2026-Q4"}).content.decode()
        _header, *page_rows = page_tables(html).tables["inbox recap"]
        assert [(r[1], r[2], r[3]) for r in page_rows] == [
            (r["name"], r["code"], str(r["received"])) for r in data["rows"]
        ]
        # The rows the page and its exports draw, value for value.
        evaluations = selectors.quarterly_evaluation(Region.objects.get(code="64"), 2026, 4)
        _header, rows = in_indonesian(evaluation_rows, evaluations)
        assert [
            [
                r["rank"],
                r["name"],
                r["code"],
                r["received"],
                r["response_rate"],
                r["on_time"],
                r["median_days"],
                r["disputes"],
                r["rating"],
                r["score"],
            ]
            for r in data["rows"]
        ] == [row[:10] for row in rows]

    def test_a_quarter_without_recaps_has_no_rows(self, built: Built, user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).get(URL, {"quarter": "2026-Q2"})
        assert response.status_code == 200
        assert response.json()["rows"] == []
        assert response.json()["months"] == ["2026-04", "2026-05", "2026-06"]

    def test_a_province_without_recaps_has_no_rows(self, built: Built, user_for: UserFor) -> None:
        data = token_client(user_for("national")).get(URL, {"region": "31"}).json()
        assert data["region"] == "31"
        assert data["rows"] == []

    def test_without_a_quarter_the_last_ended(self, built: Built, user_for: UserFor) -> None:
        data = token_client(user_for("kaltim")).get(URL).json()
        today = timezone.localdate()
        index = today.year * 4 + (today.month - 1) // 3 - 1
        assert data["quarter"] == f"{index // 4}-Q{index % 4 + 1}"
        assert re.fullmatch(r"\d{4}-Q[1-4]", data["quarter"])

    def test_definitions_in_the_callers_language(self, built: Built, user_for: UserFor) -> None:
        client = token_client(user_for("kaltim"))
        indonesian = client.get(URL, {"quarter": "2026-Q4"}).json()["definitions"]
        assert indonesian == [
            {"label": label, "definition": text} for label, text in in_indonesian(evaluation_notes)
        ]
        assert len(indonesian) == 9
        assert any(f" {MIN_REPORTS} " in d["definition"] for d in indonesian)
        english = client.get(URL, {"quarter": "2026-Q4"}, headers={"accept-language": "en"}).json()[
            "definitions"
        ]
        assert english[0]["label"] == "Received"
        assert english[0]["definition"] != indonesian[0]["definition"]

    def test_token_and_session_give_the_same_answer(self, built: Built, user_for: UserFor) -> None:
        user = user_for("kaltim")
        by_token = token_client(user).get(URL, {"quarter": "2026-Q4"})
        by_session = session_client(user).get(URL, {"quarter": "2026-Q4"})
        assert by_token.status_code == by_session.status_code == 200
        assert by_token.json() == by_session.json()

    def test_no_reporter_in_the_answer(self, built: Built, user_for: UserFor) -> None:
        client = token_client(user_for("national"))
        for quarter in ("2026-Q4", "2026-Q3"):
            text = client.get(URL, {"quarter": quarter, "region": "64"}).content.decode()
            for value in REPORTER_VALUES:
                assert value not in text
