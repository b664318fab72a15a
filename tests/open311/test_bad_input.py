"""Open311 answers bad input with its error list, never a 500: moments at the edges of the
calendar, page numbers Python cannot read, codes the database cannot be sent (NUL, refused by
PostgreSQL), and text no submission may hold. Its XML stays well-formed for a report whose
stored text XML 1.0 cannot carry."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client

from complaints.models import Complaint
from tests.helpers import in_indonesian
from tests.open311.support import BASE, errors_of, json_of, post, post_data, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions", "categories")]

FileReport = Callable[..., Complaint]


def _moment_message(name: str) -> str:
    return in_indonesian(
        "%(name)s: give a moment from %(first)s to %(last)s.",
        name=name,
        first="1900-01-01T00:00:00Z",
        last="2999-12-31T23:59:59Z",
    )


class TestMomentsAtTheEdges:
    """These were 500s (OverflowError): the window's 90 days, or the conversion to UTC, went
    past the years 1 or 9999."""

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("start_date=0001-01-01T00:00:00+14:00", "start_date"),
            ("end_date=0001-01-01T00:00:00+14:00", "end_date"),
            ("start_date=9999-12-31T23:59:59-14:00", "start_date"),
            ("end_date=9999-12-31T23:59:59-14:00", "end_date"),
            ("start_date=9999-12-31T23:59:59.999999+00:00", "start_date"),
            ("end_date=0001-01-01T00:00:00Z", "end_date"),
            ("start_date=1899-12-31T23:59:59Z", "start_date"),
            ("start_date=3000-01-01T00:00:00Z", "start_date"),
        ],
    )
    def test_is_400_naming_the_range(
        self, client: Client, query: str, parameter: str, fmt: str
    ) -> None:
        name, _eq, value = query.partition("=")
        response = client.get(f"{BASE}/requests.{fmt}?{name}={quote(value)}")
        assert response.status_code == 400
        assert errors_of(response, fmt) == [("400", _moment_message(parameter))]

    def test_the_ends_of_the_range_are_allowed(self, client: Client) -> None:
        for query in (
            "start_date=1900-01-01T00:00:00Z",
            "end_date=2999-12-31T23:59:59Z",
            f"start_date={quote('1900-01-01T07:00:00+07:00')}",
        ):
            response = client.get(f"{BASE}/requests.json?{query}")
            assert response.status_code == 200, (query, response.content)
            assert json_of(response) == []


class TestPageNumbers:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize(
        "value",
        [
            "²",  # a digit to str.isdigit(), not to int(): was a 500 (ValueError)
            "9" * 5000,  # more digits than int() reads: was a 500 (ValueError)
            "١٢",  # Arabic-Indic digits
            "9" * 30,
            "-1",
        ],
    )
    def test_is_400(self, client: Client, value: str, fmt: str) -> None:
        for name, top in (("page", 1_000_000), ("page_size", 1000)):
            response = client.get(f"{BASE}/requests.{fmt}?{name}={quote(value)}")
            assert response.status_code == 400
            assert errors_of(response, fmt) == [
                (
                    "400",
                    in_indonesian(
                        "%(name)s: give a whole number from 1 to %(top)d.", name=name, top=top
                    ),
                )
            ]


class TestCodesTheDatabaseCannotBeSent:
    """A NUL was a 500 on PostgreSQL (DataError): the code went to the database unchecked."""

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize("value", ["\x00", "kesehatan,a\x00b", "kesehatan,jalan raya"])
    def test_a_service_code_that_cannot_be_one_is_400(
        self, client: Client, value: str, fmt: str
    ) -> None:
        response = client.get(f"{BASE}/requests.{fmt}?service_code={quote(value)}")
        assert response.status_code == 400
        assert errors_of(response, fmt) == [
            (
                "400",
                in_indonesian("service_code: give codes from services.json, separated by commas."),
            )
        ]

    def test_a_service_code_that_could_be_one_still_just_filters(
        self, client: Client, file_report: FileReport
    ) -> None:
        file_report()
        response = client.get(f"{BASE}/requests.json?service_code=tidak-ada,kesehatan_lama")
        assert response.status_code == 200
        assert json_of(response) == []

    @pytest.mark.parametrize(
        ("field", "value", "parameter"),
        [
            ("service_code", "kese\x00hatan", "service_code"),
            ("attribute[region]", "64.72\x00", "attribute[region]"),
        ],
    )
    def test_a_post_with_such_a_code_is_400(
        self, client: Client, api_key: str, field: str, value: str, parameter: str
    ) -> None:
        response = post(client, **post_data(api_key=api_key, **{field: value}))
        assert response.status_code == 400
        ((code, description),) = errors_of(response, "json")
        assert code == "400" and description.startswith(parameter)
        assert not Complaint.objects.exists()


class TestTextNoSubmissionMayHold:
    @pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\x01"])
    @pytest.mark.parametrize(
        ("field", "parameter"),
        [
            ("description", "description"),
            ("attribute[title]", "attribute[title]"),
            ("first_name", "first_name, last_name"),
        ],
    )
    def test_is_400_and_nothing_is_stored(
        self, client: Client, api_key: str, character: str, field: str, parameter: str
    ) -> None:
        text = post_data()[field]
        response = post(client, "xml", **post_data(api_key=api_key, **{field: text + character}))
        assert response.status_code == 400
        ((code, description),) = errors_of(response, "xml")
        assert code == "400" and description.startswith(f"{parameter}: ")
        assert not Complaint.objects.exists()


# Written straight to the database: C0 controls, noncharacters, a carriage return.
STORED = "Jalan\x01 rusak\x0b di \ufffe depan \uffff pasar \ufdd0 dan \U0010ffff ujung.\r"
# As an XML parser reads the list: what XML 1.0 cannot carry is U+FFFD, the carriage return a
# newline (the parser's normalisation); the rest as stored.
READ = "Jalan\ufffd rusak\ufffd di \ufffd depan \ufffd pasar \ufdd0 dan \U0010ffff ujung.\n"


class TestStoredTextXmlCannotCarry:
    """One such report made the whole XML list unparsable."""

    def test_the_list_and_the_report_stay_well_formed(
        self, client: Client, file_report: FileReport
    ) -> None:
        odd = file_report(days_ago=2)
        plain = file_report(days_ago=1)
        Complaint.objects.filter(pk=odd.pk).update(description=STORED)
        root = xml_of(client.get(f"{BASE}/requests.xml"))
        assert [
            (r.findtext("service_request_id"), r.findtext("description"))
            for r in root.findall("request")
        ] == [(plain.tracking_number, plain.description), (odd.tracking_number, READ)]
        one = xml_of(client.get(f"{BASE}/requests/{odd.tracking_number}.xml"))
        assert one.find("request").findtext("description") == READ

    def test_json_keeps_the_text_as_stored(self, client: Client, file_report: FileReport) -> None:
        odd = file_report()
        Complaint.objects.filter(pk=odd.pk).update(description=STORED)
        (item,) = json_of(client.get(f"{BASE}/requests.json"))
        assert item["description"] == STORED
