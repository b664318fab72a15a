"""The public side of the API through HTTP: the list of public reports, support (dukungan) and an
agency's public page, each against the web page that shows the same thing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from complaints import selectors
from complaints import services as complaint_services
from complaints.models import Complaint, Support
from complaints.services import respond_to_complaint
from routing.models import Agency, Category
from tests.helpers import NOW, api_data, in_indonesian, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URL = "/api/v1/complaints/"
PAGE_SIZE = 20

SECRET_TITLE = "Pungutan liar rahasia di kantor kelurahan"
SECRET_TEXT = "Petugas meminta uang tambahan untuk surat keterangan domisili, rahasia sekali."
ARCHIVED_TITLE = "Laporan ganda yang diarsipkan"
REPORTER_NAME = "Rahmawati Kusumadewi"
REPORTER_EMAIL = "rahmawati.kusuma@example.id"
REPORTER_PHONE = "0813 5555 0199"
REPORTER_IP = "203.0.113.77"
# Anything that would give a reporter away, as typed and as stored.
REPORTER_VALUES = (
    REPORTER_NAME,
    REPORTER_EMAIL,
    REPORTER_PHONE,
    "081355550199",
    "+6281355550199",
    REPORTER_IP,
    "Siti Aminah",
    "siti@example.id",
)
Reports = dict[str, Complaint]


@pytest.fixture
def reports(tree: dict[str, Agency], submit: Callable[..., Any]) -> Reports:
    """A public report, an answered one, an anonymous one, a confidential and an archived one;
    every one with a reporter who must never show."""
    reporter = {
        "reporter_name": REPORTER_NAME,
        "reporter_email": REPORTER_EMAIL,
        "reporter_phone": REPORTER_PHONE,
        "ip_address": REPORTER_IP,
    }
    public = route_fully(submit(title="Jalan berlubang di depan pasar pagi", **reporter).complaint)
    answered = route_fully(submit(title="Puskesmas tutup di jam layanan").complaint)
    respond_to_complaint(
        complaint_id=answered.pk,
        agency=tree["dinkes"],
        text="Puskesmas sudah kami tegur dan jadwal dipatuhi.",
        actor=None,
        now=NOW + dt.timedelta(days=2),
    )
    anonymous = route_fully(
        submit(title="Antrean panjang di loket kesehatan", is_anonymous=True, **reporter).complaint
    )
    confidential = route_fully(
        submit(
            title=SECRET_TITLE, description=SECRET_TEXT, is_confidential=True, **reporter
        ).complaint
    )
    archived = route_fully(
        submit(
            title=ARCHIVED_TITLE, category=Category.objects.get(code="sosial"), **reporter
        ).complaint
    )
    complaint_services.archive_complaint(
        complaint_id=archived.pk,
        coordinator=Agency.objects.get(pk=archived.current_agency_id),
        reason="Ganda.",
        actor=None,
        now=NOW,
    )
    return {
        "public": public,
        "answered": answered,
        "anonymous": anonymous,
        "confidential": confidential,
        "archived": archived,
    }


def api_list(client: Client, query: str = "", **headers: str) -> dict[str, Any]:
    response = client.get(f"{URL}{query}", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def numbers(body: dict[str, Any]) -> list[str]:
    return [item["tracking_number"] for item in body["results"]]


def web_numbers(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/laporan/{query}")
    assert response.status_code == 200
    return [c.tracking_number for c in response.context["items"]]


def assert_no_reporter(text: str) -> None:
    for value in REPORTER_VALUES:
        assert value not in text
    for key in ('"reporter', '"ip_address"', '"email"', '"phone"', '"is_anonymous"'):
        assert key not in text


# Every query of the web list's filters and orders (none of them can reach a hidden report).
QUERIES = [
    "",
    "?order=new",
    "?order=support",
    "?q=berlubang",
    "?q=rahasia",
    "?q=Pungutan",
    "?q=domisili",
    "?q=diarsipkan",
    "?category=kesehatan",
    "?category=sosial",
    "?region=64",
    "?region=64.72",
    "?region=64.72.01",
    "?region=31",
    "?kind=COMPLAINT",
    "?kind=ASPIRATION",
    "?status=DISPOSED",
    "?status=RESPONDED",
    "?order=support&category=kesehatan&region=64.72&status=DISPOSED",
]


class TestPublicListApi:
    @pytest.mark.parametrize("query", QUERIES)
    def test_the_same_reports_as_the_web_list(
        self, client: Client, reports: Reports, query: str
    ) -> None:
        body = api_list(client, query)
        assert numbers(body) == web_numbers(client, query)
        assert body["next"] is None

    @pytest.mark.parametrize("query", QUERIES)
    def test_never_a_confidential_or_archived_report(
        self, client: Client, reports: Reports, query: str
    ) -> None:
        text = client.get(f"{URL}{query}").content.decode()
        for hidden in ("confidential", "archived"):
            assert reports[hidden].tracking_number not in text
        for words in (SECRET_TITLE, SECRET_TEXT, ARCHIVED_TITLE):
            assert words not in text

    def test_lists_the_public_reports_newest_first(self, client: Client, reports: Reports) -> None:
        expected = Complaint.objects.public().order_by("-submitted_at", "-pk")
        assert numbers(api_list(client)) == [c.tracking_number for c in expected]
        assert set(numbers(api_list(client))) == {
            reports[k].tracking_number for k in ("public", "answered", "anonymous")
        }

    @pytest.mark.parametrize("query", QUERIES)
    def test_nothing_of_any_reporter(self, client: Client, reports: Reports, query: str) -> None:
        assert_no_reporter(client.get(f"{URL}{query}").content.decode())

    def test_an_item_carries_what_the_web_list_shows(
        self, client: Client, reports: Reports
    ) -> None:
        complaint = reports["answered"]
        (item,) = api_list(client, "?status=RESPONDED")["results"]
        assert item == {
            "tracking_number": complaint.tracking_number,
            "kind": "COMPLAINT",
            "kind_display": "Pengaduan",
            "title": "Puskesmas tutup di jam layanan",
            "category": {
                "code": "kesehatan",
                "name": complaint.category.name_id,
                "name_id": complaint.category.name_id,
                "name_en": complaint.category.name_en,
            },
            "region": {"code": "64.72.01", "name": complaint.region.name, "level": 3},
            # No point was shared (tests/complaints/test_api_places.py has one).
            "latitude": None,
            "longitude": None,
            "status": "RESPONDED",
            "status_display": item["status_display"],
            "submitted_at": item["submitted_at"],
            "current_agency": {
                "code": "dinkes-smd",
                "name": "Dinkes Samarinda",
                "level": "OPD",
                "level_display": in_indonesian(Agency.Level.OPD.label),
            },
            "support_count": 0,
            "url": f"http://testserver{URL}{complaint.tracking_number}/",
        }
        assert dt.datetime.fromisoformat(item["submitted_at"]) == complaint.submitted_at
        assert client.get(item["url"]).status_code == 200

    def test_labels_in_the_callers_language(self, client: Client, reports: Reports) -> None:
        (in_id,) = api_list(client, "?status=RESPONDED")["results"]
        (in_en,) = api_list(client, "?status=RESPONDED", accept_language="en")["results"]
        assert (in_id["kind_display"], in_en["kind_display"]) == (
            "Pengaduan",
            "complaint",
        )
        assert in_id["status_display"] != in_en["status_display"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?status=ARCHIVED", "status"),
            ("?status=BOGUS", "status"),
            ("?kind=KELUHAN", "kind"),
            ("?category=tidak-ada", "category"),
            ("?order=oldest", "order"),
            ("?q=" + "x" * 201, "q"),
        ],
    )
    def test_a_bad_filter_or_order_is_400_per_field_in_the_callers_language(
        self, client: Client, reports: Reports, query: str, field: str
    ) -> None:
        indonesian = client.get(f"{URL}{query}")
        english = client.get(f"{URL}{query}", headers={"accept-language": "en"})
        assert indonesian.status_code == english.status_code == 400
        assert set(indonesian.json()) == {field}
        assert all(isinstance(m, str) for m in indonesian.json()[field])
        assert indonesian.json()[field] != english.json()[field]
        assert reports["archived"].tracking_number not in indonesian.content.decode()

    def test_an_unreadable_cursor_gives_the_first_page_as_on_the_web(
        self, client: Client, reports: Reports
    ) -> None:
        for cursor in ("bukan-kursor", "%%%", "MjAyNi0xMS0zMHw="):
            query = f"?after={cursor}"
            assert numbers(api_list(client, query)) == web_numbers(client, query)
            assert numbers(api_list(client, query)) == numbers(api_list(client))

    def test_post_at_the_same_url_still_files_a_report(
        self, client: Client, reports: Reports
    ) -> None:
        body = api_data()
        response = client.post(URL, json.dumps(body), content_type="application/json")
        assert response.status_code == 201
        number = response.json()["tracking_number"]
        assert number in numbers(api_list(client))
        assert client.put(URL, "{}", content_type="application/json").status_code == 405
        assert client.delete(URL).status_code == 405


def walk(client: Client, query: str) -> list[list[str]]:
    """Every page from ``query`` on, following ``next``; each page checked against the web
    list at the same cursor."""
    pages: list[list[str]] = []
    url: str | None = f"http://testserver{URL}{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        page = numbers(body)
        web_query = "?" + url.split("?", 1)[1] if "?" in url else ""
        assert page == web_numbers(client, web_query)
        pages.append(page)
        url = body["next"]
        assert len(pages) < 20
    return pages


class TestPublicListPages:
    @pytest.fixture
    def many(self, reports: Reports, submit: Callable[..., Any]) -> list[Complaint]:
        """45 more public reports, three at each moment, with supports that tie often."""
        made = [
            submit(
                title=f"Laporan publik nomor {n:02d}",
                now=NOW + dt.timedelta(minutes=n // 3),
                kind="COMPLAINT" if n % 2 else "ASPIRATION",
            ).complaint
            for n in range(45)
        ]
        for n, complaint in enumerate(made):
            Complaint.objects.filter(pk=complaint.pk).update(support_count=n % 4)
        return made

    @pytest.mark.parametrize(
        ("order", "key"), [("new", "submitted_at"), ("support", "support_count")]
    )
    @pytest.mark.parametrize("extra", ["", "&kind=COMPLAINT", "&q=nomor"])
    def test_pages_cover_every_report_once_in_order(
        self, client: Client, many: list[Complaint], order: str, key: str, extra: str
    ) -> None:
        query = f"?order={order}{extra}"
        pages = walk(client, query)
        seen = [number for page in pages for number in page]
        assert len(seen) == len(set(seen))
        everything = Complaint.objects.public()
        if extra == "&kind=COMPLAINT":
            everything = everything.filter(kind="COMPLAINT")
        if extra == "&q=nomor":
            everything = everything.filter(title__contains="nomor")
        expected = [c.tracking_number for c in everything.order_by(f"-{key}", "-pk")]
        assert seen == expected
        assert all(len(page) == PAGE_SIZE for page in pages[:-1])
        assert 0 < len(pages[-1]) <= PAGE_SIZE
        assert len(pages) == -(-len(expected) // PAGE_SIZE)

    def test_next_keeps_the_order_and_filters(self, client: Client, many: list[Complaint]) -> None:
        body = api_list(client, "?order=support&kind=ASPIRATION&region=64.72")
        assert body["next"] is not None
        assert body["next"].startswith(f"http://testserver{URL}?")
        following = client.get(body["next"]).json()
        assert {item["kind"] for item in following["results"]} == {"ASPIRATION"}
        counts = [item["support_count"] for item in body["results"] + following["results"]]
        assert counts == sorted(counts, reverse=True)

    def test_nothing_of_any_reporter_on_any_page(
        self, client: Client, many: list[Complaint]
    ) -> None:
        url: str | None = URL
        while url:
            response = client.get(url)
            assert_no_reporter(response.content.decode())
            url = response.json()["next"]


def support(client: Client, number: str, **extra: Any) -> Any:
    return client.post(f"{URL}{number}/support/", **extra)


class TestSupportApi:
    def test_once_per_address(self, client: Client, reports: Reports) -> None:
        number = reports["public"].tracking_number
        first = support(client, number)
        assert first.status_code == 201
        assert first.json() == {
            "detail": in_indonesian("Thank you for your support."),
            "new": True,
            "support_count": 1,
        }
        again = support(Client(), number)  # another program, the same address
        assert again.status_code == 200
        assert again.json()["new"] is False
        assert again.json()["support_count"] == 1
        assert again.json()["detail"] == in_indonesian("You already support this report.")
        complaint = Complaint.objects.get(pk=reports["public"].pk)
        assert complaint.support_count == 1
        assert Support.objects.filter(complaint=complaint).count() == 1
        # Another address counts.
        other = support(Client(REMOTE_ADDR="198.51.100.9"), number)
        assert other.status_code == 201
        assert other.json()["support_count"] == 2
        assert Complaint.objects.get(pk=complaint.pk).support_count == 2

    def test_the_stored_supporter_does_not_give_the_address_away(
        self, client: Client, reports: Reports
    ) -> None:
        support(Client(REMOTE_ADDR="198.51.100.9"), reports["public"].tracking_number)
        stored = Support.objects.get(complaint=reports["public"]).address
        assert len(stored) == 64
        assert "198.51.100.9" not in stored
        assert stored != hashlib.sha256(b"198.51.100.9").hexdigest()

    def test_counts_in_the_list_and_its_support_order(
        self, client: Client, reports: Reports
    ) -> None:
        number = reports["answered"].tracking_number
        for address in ("198.51.100.1", "198.51.100.2"):
            assert support(Client(REMOTE_ADDR=address), number).status_code == 201
        body = api_list(client, "?order=support")
        assert numbers(body)[0] == number
        assert body["results"][0]["support_count"] == 2
        assert numbers(body) == web_numbers(client, "?order=support")

    def test_the_web_and_the_api_count_one_support_per_address(
        self, client: Client, reports: Reports
    ) -> None:
        number = reports["public"].tracking_number
        assert Client().post(f"/laporan/{number}/dukung/").status_code == 302
        again = support(client, number)
        assert again.status_code == 200 and again.json()["new"] is False
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 1

    def test_the_web_and_the_api_share_the_limit_per_address(
        self, client: Client, reports: Reports, settings: Any
    ) -> None:
        settings.LAPOR_SUPPORT_RATE = "3/h"
        numbers_ = [reports[k].tracking_number for k in ("public", "answered", "anonymous")]
        assert Client().post(f"/laporan/{numbers_[0]}/dukung/").status_code == 302
        assert support(client, numbers_[1]).status_code == 201
        assert support(client, numbers_[2]).status_code == 201
        refused = support(client, numbers_[0])
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 3600
        message = "Too many supports from your address. Please try again later."
        assert refused.json() == {"detail": in_indonesian(message)}
        assert refused.json()["detail"] != message
        english = support(client, numbers_[0], headers={"accept-language": "en"})
        assert english.status_code == 429
        assert english.json() == {"detail": message}
        # Another address is not limited by this one.
        assert support(Client(REMOTE_ADDR="198.51.100.9"), numbers_[0]).status_code == 201
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 2

    def test_the_limit_counts_repeated_supports_too(
        self, client: Client, reports: Reports, settings: Any
    ) -> None:
        settings.LAPOR_SUPPORT_RATE = "2/h"
        number = reports["public"].tracking_number
        answers = [support(client, number).status_code for _ in range(3)]
        assert answers == [201, 200, 429]
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 1

    @pytest.mark.parametrize("hidden", ["confidential", "archived"])
    def test_a_confidential_or_archived_report_cannot_be_supported(
        self, client: Client, reports: Reports, hidden: str
    ) -> None:
        response = support(client, reports[hidden].tracking_number)
        assert response.status_code == 400
        message = "This report cannot be supported."
        assert response.json() == {"detail": in_indonesian(message)}
        assert Complaint.objects.get(pk=reports[hidden].pk).support_count == 0
        assert not Support.objects.exists()
        assert_no_reporter(response.content.decode())

    @pytest.mark.parametrize("number", ["ZZZZ-ZZZZ-ZZZZ", "K7M2-9QXA-H3RT", "x", "a" * 20])
    def test_an_unknown_report_is_404_in_json(
        self, client: Client, reports: Reports, number: str
    ) -> None:
        response = support(client, number)
        assert response.status_code == 404
        assert isinstance(response.json()["detail"], str)
        assert not Support.objects.exists()

    def test_a_number_typed_loosely_supports_the_report(
        self, client: Client, reports: Reports
    ) -> None:
        number = reports["public"].tracking_number
        assert support(client, number.replace("-", "").lower()).status_code == 201
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 1

    def test_only_post(self, client: Client, reports: Reports) -> None:
        number = reports["public"].tracking_number
        assert client.get(f"{URL}{number}/support/").status_code == 405
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 0

    def test_nothing_of_the_reporter_in_the_answer(self, client: Client, reports: Reports) -> None:
        for key in ("public", "anonymous"):
            assert_no_reporter(support(client, reports[key].tracking_number).content.decode())


LATER = NOW + dt.timedelta(days=10)


class TestAgencyApi:
    @pytest.fixture(autouse=True)
    def _ten_days_later(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The figures run up to the moment asked; the reports were filed at ``NOW``."""
        monkeypatch.setattr(timezone, "now", lambda: LATER)

    def test_the_agency_and_the_figures_of_its_page(
        self, client: Client, reports: Reports, tree: dict[str, Agency]
    ) -> None:
        dinkes = tree["dinkes"]
        response = client.get(f"/api/v1/agencies/{dinkes.code}/")
        assert response.status_code == 200
        body = response.json()
        figures = selectors.agency_figures(dinkes, now=LATER)
        # Handed to Dinkes: public, answered, anonymous and the confidential one, not counted.
        assert (figures.received, figures.answered) == (3, 1)
        assert body["figures"]["since"] is not None
        assert dt.datetime.fromisoformat(body["figures"]["since"]) == figures.since
        assert body["figures"] == {
            "since": body["figures"]["since"],
            "received": figures.received,
            "answered": figures.answered,
            "answered_share": figures.answered_share,
            "median_days_to_answer": figures.median_days_to_answer,
        }
        assert body["figures"]["median_days_to_answer"] == pytest.approx(2.0, abs=0.01)
        assert {k: body[k] for k in ("code", "name", "level", "level_display")} == {
            "code": "dinkes-smd",
            "name": "Dinkes Samarinda",
            "level": "OPD",
            "level_display": in_indonesian(Agency.Level.OPD.label),
        }
        assert body["parent"]["code"] == "smd"
        assert body["parent"]["name"] == "Diskominfo Samarinda"
        assert body["region"]["code"] == "64.72"
        # How to reach it: what the page shows, empty where not known.
        assert body["contact"] == {
            "email": dinkes.email,
            "address": "",
            "phone": "",
            "website": "",
        }
        Agency.objects.filter(pk=dinkes.pk).update(phone="0541 000000")
        contact = client.get(f"/api/v1/agencies/{dinkes.code}/").json()["contact"]
        assert contact["phone"] == "0541 000000"
        # The same numbers the web page shows.
        page = client.get(f"/instansi/{dinkes.code}/")
        assert page.context["figures"] == figures

    def test_the_definition_in_the_callers_language(
        self, client: Client, reports: Reports, tree: dict[str, Agency]
    ) -> None:
        url = f"/api/v1/agencies/{tree['dinkes'].code}/"
        indonesian = client.get(url).json()["definition"]
        english = client.get(url, headers={"accept-language": "en"}).json()["definition"]
        assert english.startswith("Reports received: reports handed to this agency since ")
        assert "Confidential reports are not counted here." in english
        assert indonesian.startswith("Laporan masuk:")
        since = timezone.localtime(LATER - dt.timedelta(days=365))
        assert f"since {since.day} {since:%B} {since.year}." in english

    def test_a_coordinator_without_figures(
        self, client: Client, reports: Reports, tree: dict[str, Agency]
    ) -> None:
        body = client.get("/api/v1/agencies/nasional/").json()
        assert body["parent"] is None and body["region"] is None
        assert body["level"] == "NATIONAL"
        figures = selectors.agency_figures(tree["national"], now=LATER)
        assert body["figures"]["received"] == figures.received
        assert body["figures"]["answered_share"] == figures.answered_share

    @pytest.mark.parametrize("code", ["tidak-ada", "DINKES-SMD", "x" * 81, "dinkes_smd"])
    def test_an_unknown_agency_is_404_in_json(
        self, client: Client, reports: Reports, code: str
    ) -> None:
        response = client.get(f"/api/v1/agencies/{code}/")
        assert response.status_code == 404
        assert isinstance(response.json()["detail"], str)

    def test_an_inactive_agency_is_404_as_on_the_web(
        self, client: Client, reports: Reports, tree: dict[str, Agency]
    ) -> None:
        Agency.objects.filter(pk=tree["rsud"].pk).update(is_active=False)
        assert client.get("/instansi/rsud-smd/").status_code == 404
        response = client.get("/api/v1/agencies/rsud-smd/")
        assert response.status_code == 404
        assert response.json()["detail"] == in_indonesian("Not found.")

    def test_nothing_of_any_reporter(
        self, client: Client, reports: Reports, tree: dict[str, Agency]
    ) -> None:
        for agency in tree.values():
            response = client.get(f"/api/v1/agencies/{agency.code}/")
            assert response.status_code == 200
            body = response.json()
            # The agency's own office (its e-mail and phone), checked by value; the rest by key.
            contact = body.pop("contact")
            assert contact["email"] == agency.email and contact["phone"] == agency.phone
            assert not set(contact.values()) & set(REPORTER_VALUES)
            assert_no_reporter(json.dumps(body))
            assert SECRET_TITLE not in response.content.decode()
