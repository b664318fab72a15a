"""The maps, as the server draws them: the public map's points (``/peta/titik.json``) follow the
public rule of ``complaints.places`` and nothing finer, obey the public list's filters and a cap;
the map page states the rule; the report form and the staff page carry what their maps need;
the Content-Security-Policy allows the tile server and no other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from complaints import map_views
from complaints import services as complaint_services
from complaints.models import Complaint
from routing.models import Agency, Category, Region
from tests.helpers import NOW, form_data, make_user, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ROOT = Path(__file__).resolve().parents[2]
POINTS = "/peta/titik.json"
PAGE = "/peta/"

# A pin in Palaran, Samarinda, as a phone gives it; and where the public may see it.
EXACT = (-0.502345, 117.153456)
NAMED_CELL = [117.153, -0.503]  # the centre of its 0.002° cell (GeoJSON: longitude first)
ANONYMOUS_CELL = [117.155, -0.505]  # the centre of its 0.01° cell
ADDRESS = "Jl. Sultan Hasanuddin 17, rumah cat hijau sebelah warung Bu Sri"


@pytest.fixture
def client() -> Client:
    """A visitor who chose English (the pages' words are asserted in English)."""
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return english


def points(client: Client, query: str = "") -> dict[str, Any]:
    response = client.get(f"{POINTS}{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    data: dict[str, Any] = response.json()
    assert data["type"] == "FeatureCollection"
    return data


def by_number(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["id"]: feature for feature in data["features"]}


@pytest.fixture
def reports(tree: dict[str, Agency], submit: Callable[..., Any]) -> dict[str, Complaint]:
    """The same pin and address on a named, an anonymous, a confidential and an archived
    report; a report with no pin; one elsewhere, of another category, in Jakarta."""
    pinned = {"point": EXACT, "address": ADDRESS}
    # No rule routes "sosial": the report waits with a coordinator, who may archive it.
    archived = route_fully(
        submit(
            title="Laporan ganda yang diarsipkan",
            category=Category.objects.get(code="sosial"),
            **pinned,
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
        "named": submit(title="Jalan berlubang di Palaran", **pinned).complaint,
        "anonymous": submit(
            title="Pungutan di kantor kelurahan", is_anonymous=True, **pinned
        ).complaint,
        "confidential": submit(
            title="Laporan rahasia berpeta", is_confidential=True, **pinned
        ).complaint,
        "archived": archived,
        "no_point": submit(title="Laporan tanpa titik di peta").complaint,
        "jakarta": submit(
            title="Trotoar Gambir rusak",
            region=Region.objects.get(code="31.71.01"),
            category=Category.objects.get(code="infrastruktur"),
            point=(-6.175392, 106.827153),
        ).complaint,
    }


class TestPublicPoints:
    def test_each_report_at_its_public_precision_and_never_more(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        data = points(client)
        found = by_number(data)
        named = found[reports["named"].tracking_number]
        assert named["geometry"] == {"type": "Point", "coordinates": NAMED_CELL}
        assert named["properties"]["title"] == "Jalan berlubang di Palaran"
        assert named["properties"]["url"] == f"/lacak/{reports['named'].tracking_number}/"
        assert named["properties"]["status"] == reports["named"].status
        with translation.override("en"):
            label = reports["named"].get_status_display()
        assert named["properties"]["status_label"] == label
        anonymous = found[reports["anonymous"].tracking_number]
        assert anonymous["geometry"]["coordinates"] == ANONYMOUS_CELL
        # Neither the confidential nor the archived report, nor the one without a pin.
        for absent in ("confidential", "archived", "no_point"):
            assert reports[absent].tracking_number not in found, absent
        assert set(found) == {
            reports[name].tracking_number for name in ("named", "anonymous", "jakarta")
        }
        assert data["limit"] == map_views.MAP_POINT_LIMIT and data["truncated"] is False

    def test_no_exact_coordinate_no_address_no_reporter_leaves(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        body = client.get(POINTS).content.decode()
        for secret in ("502345", "153456", "Hasanuddin", "warung", "Siti", "siti@example.id"):
            assert secret not in body
        page = client.get(PAGE).content.decode()
        for secret in ("502345", "153456", "Hasanuddin", "warung"):
            assert secret not in page
        # Only what a popup says: no field beyond title, status and link.
        for feature in json.loads(body)["features"]:
            assert set(feature["properties"]) == {"title", "status", "status_label", "url"}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("?category=infrastruktur", {"jakarta"}),
            ("?region=64.72", {"named", "anonymous"}),
            ("?region=Kota Samarinda", {"named", "anonymous"}),
            ("?q=berlubang", {"named"}),
            ("?kind=COMPLAINT&region=31", {"jakarta"}),
            ("?status=SUBMITTED&category=kesehatan", {"named", "anonymous"}),
            ("?q=rahasia", set()),
        ],
    )
    def test_filtered_like_the_public_list(
        self, client: Client, reports: dict[str, Complaint], query: str, expected: set[str]
    ) -> None:
        found = set(by_number(points(client, query)))
        assert found == {reports[name].tracking_number for name in expected}
        # The same reports the list shows, less those without a pin.
        listed = {c.tracking_number for c in client.get(f"/laporan/{query}").context["items"]}
        assert found == listed - {reports["no_point"].tracking_number}

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?status=ARCHIVED", "status"),
            ("?category=tidak-ada", "category"),
            ("?region=Negeri Antah Berantah", "region"),
            ("?q=" + "x" * 201, "q"),
        ],
    )
    def test_filters_that_do_not_hold_are_a_400_that_says_why(
        self, client: Client, reports: dict[str, Complaint], query: str, field: str
    ) -> None:
        response = client.get(f"{POINTS}{query}")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert list(errors) == [field] and errors[field][0]["message"]

    def test_at_most_the_newest_limit_and_it_says_so(
        self,
        client: Client,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        import datetime as dt

        made = [
            submit(
                title=f"Laporan berpeta nomor {n}",
                point=(-0.5 + n / 100, 117.15),
                now=NOW + dt.timedelta(minutes=n),
            ).complaint
            for n in range(5)
        ]
        monkeypatch.setattr(map_views, "MAP_POINT_LIMIT", 3)
        data = points(client)
        assert [f["id"] for f in data["features"]] == [c.tracking_number for c in made[:1:-1]]
        assert data["limit"] == 3 and data["truncated"] is True
        page = client.get(PAGE).content.decode()
        assert "The map shows the newest 3 of them." in page
        assert "more than 3 reports" in page

    def test_one_query_of_the_columns_a_point_needs(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        with CaptureQueriesContext(connection) as queries:
            points(client)
        selects = [q["sql"] for q in queries.captured_queries if "complaints_complaint" in q["sql"]]
        assert len(selects) == 1
        sql = selects[0]
        for column in ("tracking_number", "title", "latitude", "longitude", "is_anonymous"):
            assert f'"{column}"' in sql
        for column in ("description", "address", "reporter", "ip_address", "access_key"):
            assert f'"{column}' not in sql, column
        assert "LIMIT" in sql


class TestMapPage:
    def test_the_page_states_the_rule_and_works_without_javascript(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        response = client.get(f"{PAGE}?region=64.72")
        assert response.status_code == 200
        html = response.content.decode()
        assert "the centre of the square, about 220 m wide, that the pin lies in" in html
        assert "for an anonymous report the square is about 1.1 km wide" in html
        assert "Confidential reports are not on it" in html
        # Without JavaScript: a sentence that says so, and the same reports in the list.
        assert "The map needs JavaScript" in html
        assert 'href="/laporan/?region=64.72"' in html
        assert 'data-points-url="/peta/titik.json?region=64.72"' in html
        assert "2 reports" in html
        # Leaflet, served by the portal itself.
        assert "/static/vendor/leaflet/leaflet.js" in html
        assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
        assert f'data-tile-url="{settings.LAPOR_MAP_TILE_URL}"' in html
        assert "https://www.openstreetmap.org/copyright" in html
        assert f'href="{reverse("complaints:map")}"' in client.get("/").content.decode()

    def test_nothing_to_show(self, client: Client, tree: dict[str, Agency]) -> None:
        html = client.get(PAGE).content.decode()
        assert "No reports on the map yet" in html
        assert 'id="public-map"' not in html

    def test_filters_that_do_not_hold_are_shown_on_the_page(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        response = client.get(f"{PAGE}?status=ARCHIVED")
        assert response.status_code == 200
        assert "status" in response.context["filters"].form.errors
        html = response.content.decode()
        assert "Correct the filters above." in html
        assert 'id="public-map"' not in html


class TestPolicy:
    def test_the_tile_server_and_no_other_site_may_give_images(self, client: Client) -> None:
        for path in (PAGE, "/lapor/"):
            policy = client.get(path)["Content-Security-Policy"]
            directives = dict(
                (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
            )
            assert directives["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
            assert directives["script-src"] == ["'self'"]

    @pytest.mark.parametrize(
        ("url", "origin"),
        [
            ("https://{s}.tiles.example.go.id/{z}/{x}/{y}.png", "https://*.tiles.example.go.id"),
            ("http://127.0.0.1:8081/osm/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
            ("/peta/ubin/{z}/{x}/{y}.png", None),
        ],
    )
    def test_the_policy_follows_the_setting(self, url: str, origin: str | None) -> None:
        result = settings_process(LAPOR_MAP_TILE_URL=url)
        assert result.returncode == 0, result.stderr
        expected = ["'self'", "data:"] + ([origin] if origin else [])
        assert json.loads(result.stdout) == expected

    @pytest.mark.parametrize(
        "url", ["ftp://tiles.example/{z}/{x}/{y}.png", "//tiles.example/{z}.png", "tiles"]
    )
    def test_a_tile_url_the_policy_cannot_name_stops_the_start(self, url: str) -> None:
        result = settings_process(LAPOR_MAP_TILE_URL=url)
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr and "LAPOR_MAP_TILE_URL" in result.stderr


def settings_process(**environment: str) -> subprocess.CompletedProcess[str]:
    """The settings imported in a process of their own, with only ``environment`` given:
    prints the policy's img-src."""
    probe = (
        "import json, lapor.settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(ROOT), "DEBUG": "1", **environment},
        capture_output=True,
        text=True,
        check=False,
    )


class TestReportFormAndStaffPage:
    def test_the_form_carries_the_map_and_its_words(self, client: Client, reports: Any) -> None:
        html = client.get("/lapor/").content.decode()
        assert 'id="report-map-slot"' in html
        assert f'data-tile-url="{settings.LAPOR_MAP_TILE_URL}"' in html
        assert 'data-locate="Use my location"' in html
        assert 'data-remove="Remove the pin"' in html
        assert "a square about 220 m wide (about 1.1 km for an anonymous report)" in html
        assert 'type="hidden" name="latitude"' in html
        assert "/static/js/report-map.js" in html and "/static/vendor/leaflet/leaflet.css" in html

    def test_a_form_with_errors_keeps_the_pin(self, client: Client, reports: Any) -> None:
        response = client.post(
            "/lapor/", form_data(title="", latitude="-0.502345", longitude="117.153456")
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert 'name="latitude" value="-0.502345"' in html
        assert 'name="longitude" value="117.153456"' in html

    def test_staff_see_the_exact_point_and_the_address_of_an_anonymous_report(
        self, client: Client, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit(is_anonymous=True, point=EXACT, address=ADDRESS).complaint)
        assert complaint.current_agency_id == tree["dinkes"].pk
        client.force_login(make_user("petugas", tree["dinkes"]))
        html = client.get(reverse("dashboard:complaint", args=[complaint.tracking_number]))
        page = html.content.decode()
        assert ADDRESS in page
        assert 'id="staff-map"' in page
        assert 'data-latitude="-0.502345"' in page and 'data-longitude="117.153456"' in page
        assert "https://www.openstreetmap.org/?mlat=-0.502345" in page
        assert "/static/js/staff-map.js" in page
