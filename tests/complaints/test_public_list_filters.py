"""The public list's filters in words: a region typed by name (with suggestions from the regions
API), selects that say what they leave out, the result count, and an empty list that says what
was searched and what to try instead; through the page and the public API."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from complaints import views
from complaints.models import Complaint
from routing.models import Category, Region
from routing.selectors import clear_settings_cache
from routing.services import load_regions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LIST = "/laporan/"
API = "/api/v1/complaints/"
REGIONS_API = "/api/v1/regions/"


@pytest.fixture
def reports(submit: Callable[..., Any]) -> dict[str, Complaint]:
    """Public reports in Samarinda, Balikpapan, Jakarta and two districts called Batu Ampar
    (Kutai Timur in Kalimantan Timur, Kota Batam in Kepulauan Riau), and a confidential one in
    Samarinda that no filter may count."""
    load_regions(province_codes=["21"])
    clear_settings_cache()
    region = Region.objects.get
    roads = Category.objects.get(code="infrastruktur")
    return {
        "palaran": submit(title="Puskesmas Palaran tutup siang").complaint,
        "palaran_roads": submit(
            title="Jalan rusak di Palaran", category=roads, kind="ASPIRATION"
        ).complaint,
        "balikpapan": submit(
            title="Lampu jalan mati di Balikpapan Kota", region=region(code="64.71.06")
        ).complaint,
        "jakarta": submit(title="Trotoar Gambir rusak", region=region(code="31.71.01")).complaint,
        "ampar_kutim": submit(
            title="Air bersih di Batu Ampar Kutai Timur", region=region(code="64.08.17")
        ).complaint,
        "ampar_batam": submit(
            title="Air bersih di Batu Ampar Batam", region=region(code="21.71.02")
        ).complaint,
        "secret": submit(title="Laporan rahasia di Palaran", is_confidential=True).complaint,
    }


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(query: dict[str, Any], client: Client | None = None) -> tuple[str, Any]:
    response = (client or english()).get(LIST, query)
    assert response.status_code == 200
    return response.content.decode(), response.context


def listed(html: str) -> set[str]:
    return set(re.findall(r'class="tracking-number small">([A-Z0-9-]+)<', html))


def numbers(reports: dict[str, Complaint], *names: str) -> set[str]:
    return {reports[name].tracking_number for name in names}


def links(html: str, css_class: str) -> dict[str, dict[str, list[str]]]:
    """The links inside the first element of ``css_class``: their text → their query."""
    start = html.index(f'class="{css_class}')
    block = html[start : html.index("</div>", start)]
    return {
        unescape(re.sub(r"<[^>]+>", "", text)).strip(): parse_qs(urlsplit(unescape(href)).query)
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', block)
    }


SAMARINDA = {"palaran", "palaran_roads"}


class TestRegionByName:
    @pytest.mark.parametrize(
        "typed",
        ["Kota Samarinda", "kota samarinda", "Samarinda", "  SAMARINDA ", "Sámarindá", "64.72"],
    )
    def test_a_name_or_a_code_lists_the_region_and_what_is_inside(
        self, reports: dict[str, Complaint], typed: str
    ) -> None:
        html, context = page({"region": typed})
        assert listed(html) == numbers(reports, *SAMARINDA)
        assert "2 reports in Kota Samarinda" in html
        assert context["summary"].count == 2

    @pytest.mark.parametrize("typed", ["Kalimantan Timur", "Provinsi Kalimantan Timur", "kaltim"])
    def test_a_province_by_name(self, reports: dict[str, Complaint], typed: str) -> None:
        html, _context = page({"region": typed})
        assert listed(html) == numbers(reports, *SAMARINDA, "balikpapan", "ampar_kutim")
        assert "4 reports in Kalimantan Timur" in html

    @pytest.mark.parametrize("typed", ["DKI Jakarta", "Jakarta", "Gambir", "Kec. Gambir"])
    def test_other_ways_people_write_names(self, reports: dict[str, Complaint], typed: str) -> None:
        html, _context = page({"region": typed})
        assert listed(html) == numbers(reports, "jakarta")

    def test_a_name_several_regions_have_lists_them_to_choose_from(
        self, reports: dict[str, Complaint]
    ) -> None:
        html, context = page({"region": "batu ampar", "category": ""})
        # Meanwhile both are listed, and said so.
        assert listed(html) == numbers(reports, "ampar_kutim", "ampar_batam")
        assert "“batu ampar” is the name of 2 regions" in html
        assert '<p class="result-count">2 reports in 2 regions called “batu ampar”</p>' in html
        assert context["summary"].region_ambiguous
        choices = links(html, "card region-choices")
        assert choices == {
            "Batu Ampar, Kota Batam": {"region": ["Batu Ampar, Kota Batam"]},
            "Batu Ampar, Kabupaten Kutai Timur": {"region": ["Batu Ampar, Kabupaten Kutai Timur"]},
        }
        assert "(district in Kepulauan Riau)" in html
        # A choice names one region: its reports alone, and no more choosing.
        html, context = page({"region": "Batu Ampar, Kota Batam"})
        assert listed(html) == numbers(reports, "ampar_batam")
        assert "1 report in Batu Ampar, Kota Batam" in html
        assert not context["summary"].region_ambiguous
        assert "region-choices" not in html

    @pytest.mark.parametrize(
        ("typed", "hint"),
        [
            ("Balikpapn", "Did you mean Kota Balikpapan?"),
            ("Samarind", "Did you mean "),
            ("Atlantis", "Type the name of a province, regency/city or district"),
        ],
    )
    def test_a_name_no_region_has_is_an_error_with_a_hint(
        self, reports: dict[str, Complaint], typed: str, hint: str
    ) -> None:
        html, context = page({"region": typed})
        assert listed(html) == set()
        errors = context["filters"].form.errors["region"]
        assert errors[0].startswith(f"No region is called “{typed}”.")
        assert hint in errors[0]
        # At the field, and in the summary at the top of the form, which is open.
        assert re.search(r'<div class="field has-error">\s*<label for="id_region"', html)
        assert 'href="#id_region"' in html and "data-error-summary" in html
        assert '<details class="card filter-box" open>' in html
        assert "Correct the filters above." in html
        if "Did you mean" in hint:
            # The regions like it are links, too.
            assert any(
                query.get("region", [""])[0].startswith(("Kota Balikpapan", "Kota Samarinda"))
                for query in links(html, "card empty-state").values()
            )

    def test_the_hint_in_indonesian(self, reports: dict[str, Complaint]) -> None:
        _html, context = page({"region": "Atlantis"}, Client())
        with translation.override("id"):
            expected = translation.gettext(
                "No region is called “%(text)s”. Type the name of a province, regency/city or "
                "district, such as Kota Balikpapan or Kalimantan Timur."
            ) % {"text": "Atlantis"}
        assert context["filters"].form.errors["region"] == [expected]

    def test_the_public_api_takes_names_and_codes(self, reports: dict[str, Complaint]) -> None:
        client = Client()
        for typed in ("64.72", "Kota Samarinda", "samarinda"):
            body = client.get(API, {"region": typed}).json()
            assert {r["tracking_number"] for r in body["results"]} == numbers(
                reports, *SAMARINDA
            ), typed
        body = client.get(API, {"region": "Batu Ampar"}).json()
        assert {r["tracking_number"] for r in body["results"]} == numbers(
            reports, "ampar_kutim", "ampar_batam"
        )
        response = client.get(API, {"region": "Atlantis"})
        assert response.status_code == 400
        assert "region" in response.json()
        # A well-formed code no region has lists nothing, as it always did.
        assert client.get(API, {"region": "64.7"}).json()["results"] == []


class TestSuggestions:
    def test_the_regions_api_searches_names(self, reports: dict[str, Complaint]) -> None:
        client = Client()
        found = client.get(REGIONS_API, {"q": "balik"}).json()
        assert found[0]["code"] == "64.71"
        assert found[0]["label"] == "Kota Balikpapan"
        assert {"Balikpapan Kota", "Balikpapan Timur"} <= {r["label"] for r in found}
        assert {r["level"] for r in found} == {2, 3}
        # Shared names come with where they are: each label names one region.
        labels = {r["code"]: r["label"] for r in client.get(REGIONS_API, {"q": "batu am"}).json()}
        assert labels["64.08.17"] == "Batu Ampar, Kabupaten Kutai Timur"
        assert labels["21.71.02"] == "Batu Ampar, Kota Batam"
        # Within a region; the start of a code; nothing for nothing.
        inside = client.get(REGIONS_API, {"q": "batu", "parent": "21"}).json()
        assert inside and all(r["code"].startswith("21.") for r in inside)
        assert [r["code"] for r in client.get(REGIONS_API, {"q": "64.7"}).json()][:3] == [
            "64.71",
            "64.72",
            "64.74",
        ]
        assert client.get(REGIONS_API, {"q": ""}).json() == []

    def test_without_a_search_the_api_lists_children_as_before(
        self, reports: dict[str, Complaint]
    ) -> None:
        children = Client().get(REGIONS_API, {"parent": "64.72"}).json()
        assert [r["code"] for r in children][:2] == ["64.72.01", "64.72.02"]
        assert children[0] == {
            "code": "64.72.01",
            "name": "Palaran",
            "level": 3,
            "level_display": children[0]["level_display"],
            "parent": "64.72",
            "label": "Palaran",
        }

    @pytest.mark.parametrize(
        "query", [{"q": "x" * 101}, {"q": "a\x00b"}, {"q": "ab", "parent": "\x00"}]
    )
    def test_a_search_that_cannot_be_used_is_a_400(
        self, reports: dict[str, Complaint], query: dict[str, str]
    ) -> None:
        response = Client().get(REGIONS_API, query)
        assert response.status_code == 400
        assert set(response.json()) <= {"q", "parent"}

    def test_the_page_asks_for_suggestions_from_a_script_file(
        self, reports: dict[str, Complaint]
    ) -> None:
        html, _context = page({})
        assert 'data-region-search="/api/v1/regions/"' in html
        assert '<script src="/static/js/region-search.js" defer></script>' in html


class TestWords:
    def test_selects_and_labels_say_what_they_mean(self, reports: dict[str, Complaint]) -> None:
        html, _context = page({})
        assert "---------" not in html
        for words in ("All categories", "All kinds", "All statuses"):
            assert f'<option value="" selected>{words}</option>' in html
        assert "Region (province, regency/city or district)" in html
        assert "Kemendagri" not in html

    def test_the_count_says_what_was_filtered(self, reports: dict[str, Complaint]) -> None:
        html, context = page({})
        # The confidential report is never counted.
        assert context["summary"].count == 6
        assert '<p class="result-count">6 reports</p>' in html
        html, _context = page({"region": "Samarinda", "category": "infrastruktur"})
        assert listed(html) == numbers(reports, "palaran_roads")
        roads = Category.objects.get(code="infrastruktur").name_en
        assert f"1 report in Kota Samarinda, in the category {roads}" in html
        html, _context = page({"q": "Batu Ampar", "kind": "COMPLAINT"})
        with translation.override("en"):
            kind = str(Complaint.Kind.COMPLAINT.label)
        assert f"2 reports matching “Batu Ampar”, of the kind {kind}" in unescape(html)

    def test_the_count_in_indonesian(self, reports: dict[str, Complaint]) -> None:
        html, _context = page({"region": "Samarinda"}, Client())
        with translation.override("id"):
            counted = translation.ngettext("%(count)s report", "%(count)s reports", 2) % {
                "count": 2
            }
            where = translation.gettext("in %(regions)s") % {"regions": "Kota Samarinda"}
        assert f'<p class="result-count">{counted} {where}</p>' in html

    def test_a_large_count_is_capped(
        self, reports: dict[str, Complaint], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(views, "PUBLIC_COUNT_LIMIT", 3)
        html, context = page({})
        assert context["summary"].more_than
        assert '<p class="result-count">more than 3 reports</p>' in html
        # Under the cap it is exact.
        html, context = page({"region": "Samarinda"})
        assert not context["summary"].more_than
        assert "2 reports in Kota Samarinda" in html

    def test_the_order_tabs_keep_the_filters(self, reports: dict[str, Complaint]) -> None:
        html, _context = page({"region": "Samarinda", "q": "Palaran", "order": "new"})
        supported = re.search(r'<a href="\?([^"]*)">Most supported</a>', html)
        assert supported is not None
        assert parse_qs(unescape(supported.group(1))) == {
            "region": ["Samarinda"],
            "q": ["Palaran"],
            "order": ["support"],
        }


class TestEmptyList:
    def test_says_what_was_searched_and_what_to_try(self, reports: dict[str, Complaint]) -> None:
        query = {"q": "banjir", "region": "Samarinda", "category": "infrastruktur", "order": "new"}
        html, context = page(query)
        assert listed(html) == set()
        assert context["summary"].count == 0
        assert "result-count" not in html
        roads = Category.objects.get(code="infrastruktur").name_en
        assert f"No reports matching “banjir”, in Kota Samarinda, in the category {roads}." in html
        tries = links(html, "card empty-state")
        assert tries == {
            "Without the words “banjir”": {
                "region": ["Samarinda"],
                "category": ["infrastruktur"],
                "order": ["new"],
            },
            "Search all regions": {
                "q": ["banjir"],
                "category": ["infrastruktur"],
                "order": ["new"],
            },
            "All categories": {"q": ["banjir"], "region": ["Samarinda"], "order": ["new"]},
            "Clear all filters": {"order": ["new"]},
        }

    def test_no_link_keeps_the_page_cursor(self, reports: dict[str, Complaint]) -> None:
        html, _context = page({"region": "Kota Batam", "status": "RESPONDED", "after": "x"})
        assert links(html, "card empty-state") == {
            "Any status": {"region": ["Kota Batam"]},
            "Search all regions": {"status": ["RESPONDED"]},
            "Clear all filters": {},
        }

    def test_one_filter_is_removed_without_a_clear_all_beside_it(
        self, reports: dict[str, Complaint]
    ) -> None:
        html, _context = page({"q": "banjir"})
        assert links(html, "card empty-state") == {"Without the words “banjir”": {}}

    def test_an_empty_list_without_filters(self, db: None, regions: None) -> None:
        html, context = page({})
        assert context["summary"].count == 0
        assert "No public reports yet" in html
        assert "empty-state" in html
