"""``GET /api/v1/reports/evaluation/`` through HTTP: the quarterly evaluation of the page as JSON,
for the national and province coordinators (Token or session), with the page's access rules,
over the recaps of ``tests/reports/test_evaluation.py`` (Q3 2026 ended and built, Q4 2026 with
October and November built), on 10 January 2027."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from reports import selectors
from reports.exports import evaluation_rows
from reports.selectors import SCORE_WEIGHTS, Quarter, Unranked, evaluation_notes
from routing.models import Region
from tests.reports.conftest import in_indonesian, page_tables
from tests.reports.test_api import session_client, token_client
from tests.reports.test_evaluation import IN_JANUARY, MINIMUM
from tests.reports.test_evaluation import quarters as quarters  # the fixture, by name

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/evaluation/"
PAGE = "/reports/evaluation/"
QUARTER_MESSAGE = "Give the quarter as YYYY-Qn, for example 2026-Q3."
UserFor = Callable[[str], User | None]
ClientFor = Callable[[str], Client]
Quarters = None  # the ``quarters`` fixture gives nothing: it writes the recaps

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


@pytest.fixture(autouse=True)
def _in_january() -> Iterator[None]:
    """10 January 2027: Q4 2026 has ended, its December is not built."""
    with time_machine.travel(IN_JANUARY, tick=False):
        yield


def evaluation(quarter: Quarter) -> selectors.QuarterlyEvaluation:
    return selectors.quarterly_evaluation(Region.objects.get(code="64"), quarter, now=IN_JANUARY)


def api_row(e: selectors.Evaluation) -> dict[str, Any]:
    """A regency/city as the API should give it, written out from the selector's evaluation."""
    return {
        "rank": e.rank,
        "unranked_reason": e.unranked_reason,
        "code": e.region.code,
        "name": e.region.name,
        "received": e.received,
        "responsible": e.first_answers + e.escalated_unanswered + e.overdue,
        "first_answers": e.first_answers,
        "answered_on_time": e.answered_on_time,
        "escalated_unanswered": e.escalated_unanswered,
        "escalations": e.escalations,
        "open": e.open,
        "overdue": e.overdue,
        "disputes": e.disputes,
        "rating_count": e.rating_count,
        "answered_share": e.answered_share,
        "on_time_share": e.on_time_share,
        "dispute_share": e.dispute_share,
        "median_days": e.median_days,
        "rating": e.rating,
        "parts": e.part_percents,
        "left_out": e.left_out,
        "score": e.score,
    }


class TestAccess:
    @pytest.mark.parametrize("connect", [token_client, session_client])
    @pytest.mark.parametrize(("role", "region", "status"), CASES)
    def test_answers_each_role_and_region(
        self,
        quarters: Quarters,
        user_for: UserFor,
        connect: Callable[[User | None], Client],
        role: str,
        region: str,
        status: int,
    ) -> None:
        response = connect(user_for(role)).get(URL, {"quarter": "2026-Q3", "region": region})
        assert response.status_code == status, response.content
        if status == 200:
            assert response.json()["region"] == (region or "64")
        else:
            assert set(response.json()) == {"detail"}
            assert isinstance(response.json()["detail"], str)

    @pytest.mark.parametrize(("role", "region", "status"), CASES)
    def test_the_same_answer_as_the_page(
        self, quarters: Quarters, client_for: ClientFor, role: str, region: str, status: int
    ) -> None:
        page = client_for(role).get(PAGE, {"quarter": "2026-Q3", "region": region})
        # Only the national coordinator without a province differs: the page lists provinces.
        assert page.status_code == (200 if (role, region) == ("national", "") else status)

    def test_the_refusals_are_in_the_callers_language(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        client = token_client(user_for("samarinda"))
        message = "The province evaluates its regencies and cities."
        assert client.get(URL).json() == {"detail": in_indonesian(gettext, message)}
        english = client.get(URL, headers={"accept-language": "en"})
        assert english.json() == {"detail": message}
        national = token_client(user_for("national"))
        assert national.get(URL, {"quarter": "2026-Q3"}).json() == {
            "detail": in_indonesian(gettext, "Choose a province.")
        }
        for role in ("plain", "dinkes"):
            refused = token_client(user_for(role)).get(URL).json()["detail"]
            assert refused not in ("Only coordinators read the recaps.", "")
            assert refused in (
                in_indonesian(gettext, "Only coordinators read the recaps."),
                in_indonesian(gettext, "Your account belongs to no active agency."),
            )

    def test_without_credentials_401(self, quarters: Quarters) -> None:
        response = Client().get(URL, {"quarter": "2026-Q3", "region": "64"})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert isinstance(response.json()["detail"], str)

    def test_an_unknown_token_is_401(self, quarters: Quarters) -> None:
        response = Client().get(URL, headers={"authorization": "Token " + "0" * 40})
        assert response.status_code == 401

    @pytest.mark.parametrize(
        "quarter",
        ["2026-Q5", "2026-Q0", "2026-4", "Q4-2026", "1999-Q4", "2026-q4", "2026-Q4x", "9999-Q4"],
    )
    def test_a_malformed_quarter_is_400_with_the_indonesian_message(
        self, quarters: Quarters, user_for: UserFor, quarter: str
    ) -> None:
        client = token_client(user_for("kaltim"))
        response = client.get(URL, {"quarter": quarter})
        assert response.status_code == 400
        assert response.json() == {"detail": in_indonesian(gettext, QUARTER_MESSAGE)}
        assert response.json()["detail"] != QUARTER_MESSAGE
        english = client.get(URL, {"quarter": quarter}, headers={"accept-language": "en"})
        assert english.status_code == 400
        assert english.json() == {"detail": QUARTER_MESSAGE}

    def test_only_get_is_allowed(self, quarters: Quarters, user_for: UserFor) -> None:
        response = token_client(user_for("kaltim")).post(URL, {"quarter": "2026-Q3"})
        assert response.status_code == 405


class TestFigures:
    @pytest.mark.parametrize(("role", "region"), [("kaltim", ""), ("national", "64")])
    @pytest.mark.parametrize("quarter", [Quarter(2026, 3), Quarter(2026, 4)])
    def test_rows_are_the_selectors_evaluation(
        self, quarters: Quarters, user_for: UserFor, role: str, region: str, quarter: Quarter
    ) -> None:
        response = token_client(user_for(role)).get(
            URL, {"quarter": quarter.value, "region": region}
        )
        assert response.status_code == 200
        data = response.json()
        result = evaluation(quarter)
        assert data["rows"] == [api_row(e) for e in result.rows]
        assert data["quarter"] == quarter.value
        assert data["region"] == "64"
        assert data["months"] == [f"{m:%Y-%m}" for m in quarter.months]
        assert data["minimum_reports"] == MINIMUM
        assert (
            data["weights"]
            == SCORE_WEIGHTS
            == {
                "answered": 40,
                "on_time": 25,
                "deadlines_kept": 15,
                "rating": 10,
                "undisputed": 10,
            }
        )

    def test_the_regency_that_answered_ranks_above_the_one_that_let_every_report_escalate(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        data = token_client(user_for("kaltim")).get(URL, {"quarter": "2026-Q3"}).json()
        assert data["provisional"] is False and data["provisional_reason"] is None
        assert data["months_built"] == ["2026-07", "2026-08", "2026-09"]
        assert [
            (r["rank"], r["name"], r["responsible"], r["score"], r["unranked_reason"])
            for r in data["rows"]
        ] == [
            (1, "Kota Samarinda", 3, 100.0, None),
            (2, "Kota Bontang", 4, 67.9, None),
            (3, "Kota Balikpapan", 5, 0.0, None),
            (None, "Kabupaten Paser", 1, 100.0, Unranked.TOO_FEW_REPORTS),
            (None, "Kabupaten Kutai Kartanegara", 0, None, Unranked.NOTHING_TO_SCORE),
        ]
        balikpapan = data["rows"][2]
        assert balikpapan["escalated_unanswered"] == balikpapan["escalations"] == 5
        assert balikpapan["parts"] == {
            "answered": 0.0,
            "on_time": 0.0,
            "deadlines_kept": 0.0,
            "rating": None,
            "undisputed": None,
        }
        assert balikpapan["left_out"] == ["rating", "undisputed"]
        samarinda = data["rows"][0]
        assert (samarinda["answered_share"], samarinda["on_time_share"]) == (100.0, 100.0)
        assert samarinda["median_days"] == 4.0
        assert data["rows"][4]["left_out"] == []  # no score: nothing left out of it

    def test_a_provisional_quarter_has_no_ranks_and_says_why(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        client = token_client(user_for("kaltim"))
        data = client.get(URL, {"quarter": "2026-Q4"}).json()
        assert data["provisional"] is True
        assert data["months_built"] == ["2026-10", "2026-11"]
        assert data["provisional_reason"] == in_indonesian(
            lambda: evaluation(Quarter(2026, 4)).provisional_reason
        )
        assert [(r["name"], r["rank"], r["unranked_reason"]) for r in data["rows"]] == [
            ("Kota Balikpapan", None, Unranked.PROVISIONAL),
            ("Kota Samarinda", None, Unranked.PROVISIONAL),
        ]
        english = client.get(URL, {"quarter": "2026-Q4"}, headers={"accept-language": "en"})
        assert english.json()["provisional_reason"] == (
            "Provisional, not ranked: months not built yet: December 2026."
        )
        assert english.json()["label"] == "Q4 2026"

    def test_the_same_figures_as_the_page_table(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        user = user_for("kaltim")
        data = token_client(user).get(URL, {"quarter": "2026-Q3"}).json()
        html = session_client(user).get(PAGE, {"quarter": "2026-Q3"}).content.decode()
        _header, *page_rows = page_tables(html).tables["inbox recap"]
        assert [(r[1], r[2], r[4]) for r in page_rows] == [
            (r["name"], r["code"], str(r["responsible"])) for r in data["rows"]
        ]
        # The rows the page and its exports draw, value for value.
        _header, rows = in_indonesian(evaluation_rows, evaluation(Quarter(2026, 3)).rows)
        assert [
            [
                r["rank"],
                r["name"],
                r["code"],
                r["received"],
                r["responsible"],
                r["first_answers"],
                r["escalated_unanswered"],
                r["overdue"],
                r["answered_share"],
                r["on_time_share"],
                r["escalations"],
                r["median_days"],
                r["dispute_share"],
                r["rating"],
                r["score"],
            ]
            for r in data["rows"]
        ] == [row[:15] for row in rows]

    def test_a_quarter_without_recaps_has_no_rows(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        response = token_client(user_for("kaltim")).get(URL, {"quarter": "2026-Q2"})
        assert response.status_code == 200
        data = response.json()
        assert data["rows"] == [] and data["months_built"] == []
        assert data["months"] == ["2026-04", "2026-05", "2026-06"]
        assert data["provisional"] is True

    def test_a_province_without_recaps_has_no_rows(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        data = token_client(user_for("national")).get(URL, {"region": "31"}).json()
        assert data["region"] == "31"
        assert data["rows"] == []

    def test_without_a_quarter_the_last_ended(self, quarters: Quarters, user_for: UserFor) -> None:
        data = token_client(user_for("kaltim")).get(URL).json()
        assert data["quarter"] == "2026-Q4"  # on 10 January 2027
        assert data["label"] == in_indonesian(lambda: Quarter(2026, 4).label)

    def test_definitions_in_the_callers_language(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        client = token_client(user_for("kaltim"))
        indonesian = client.get(URL, {"quarter": "2026-Q3"}).json()["definitions"]
        assert indonesian == [
            {"label": label, "definition": text} for label, text in in_indonesian(evaluation_notes)
        ]
        assert any(f" {MINIMUM} " in d["definition"] for d in indonesian)
        english = client.get(URL, {"quarter": "2026-Q3"}, headers={"accept-language": "en"})
        with translation.override("en"):
            notes = evaluation_notes()
        assert english.json()["definitions"] == [
            {"label": label, "definition": text} for label, text in notes
        ]
        assert english.json()["definitions"][0]["label"] == "Received"

    def test_token_and_session_give_the_same_answer(
        self, quarters: Quarters, user_for: UserFor
    ) -> None:
        user = user_for("kaltim")
        by_token = token_client(user).get(URL, {"quarter": "2026-Q3"})
        by_session = session_client(user).get(URL, {"quarter": "2026-Q3"})
        assert by_token.status_code == by_session.status_code == 200
        assert by_token.json() == by_session.json()
