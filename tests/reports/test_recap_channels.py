"""Received by channel (issue 18): the monthly recap breaks each row's ``received`` down by the
door its reports came by, and the page, the CSV, XLSX and PDF and the API show it.

A month of reports of every kind of door, filed and handled through the real services (the
citizen's door ``submit_complaint`` with its channel; ``enter_complaint`` for those an officer
records) with injected times, over the province of tests/reports/conftest.py. November 2026:

* Kota Samarinda (64.72.01), health, routed down to Dinkes Samarinda: three by the web form,
  two by e-mail (one of them Dinkes returns as not its authority on 5 November, and Diskominfo
  Samarinda hands it to RSUD Samarinda on 6 November), one by the API, one a citizen brought to
  Dinkes in person (its officer records it and keeps it), one by telephone to Diskominfo
  Samarinda (its officer records it and lets the rules route it).
* Kota Samarinda, education, routed to Disdik Kaltim (a provincial OPD: the region counts it,
  the province's agency received it): one by Open311, one a Kaltim officer recorded from social
  media.
* Kota Balikpapan (64.71.01), health, routed to Dinkes Balikpapan: one by SMS, one by WhatsApp,
  one letter that Diskominfo Balikpapan's officer records and keeps in its queue, then hands
  to Dinkes Balikpapan.
* Jakarta (31.71.01): one by the web form, in the national coordinator's queue.
* Kota Samarinda: one by the web form at 23:50 on 30 November, routed at 00:05 on 1 December:
  received by the region in November, by Dinkes Samarinda only in December.

And one e-mail about Samarinda in October (routed then), counted in October alone.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from complaints import services as complaint_services
from complaints.models import Channel, Complaint
from reports import figures
from reports.figures import CHANNEL_DEFINITION, CHANNEL_TITLE, display, share
from reports.models import MonthlyRecap
from reports.services import build_monthly_recap
from routing.models import Agency, Category, Region
from tests.helpers import api_token, make_user, route_fully
from tests.reports.conftest import (
    BUILT_AT,
    NOV,
    OCT,
    Agencies,
    Filer,
    at,
    csv_rows,
    in_indonesian,
    own_row,
    page_tables,
    pdf_pages,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], Client]
Scenario = dict[str, Complaint]

REASON = "Ini kewenangan RSUD Samarinda, bukan Dinas Kesehatan."


def counts(**by_channel: int) -> dict[str, int]:
    """Every channel, 0 but those given."""
    assert set(by_channel) <= set(Channel.values), by_channel
    return {**dict.fromkeys(Channel.values, 0), **by_channel}


# November, by scope: the agencies by code ("" the nation, region codes for the rest).
AGENCY_CHANNELS = {
    "dinkes-smd": counts(WEB=3, EMAIL=2, API=1, WALK_IN=1, PHONE=1),
    "smd": counts(EMAIL=1),  # the report Dinkes returned, in its queue
    "rsud-smd": counts(EMAIL=1),
    "disdik-kaltim": counts(OPEN311=1, SOCIAL_MEDIA=1),
    "bpp": counts(LETTER=1),  # kept in its queue by the officer who recorded it
    "dinkes-bpp": counts(SMS=1, WHATSAPP=1, LETTER=1),
    "nasional": counts(WEB=1),  # the Jakarta report, in its queue
    "kaltim": counts(),
    "btg": counts(),
    "dinkes-btg": counts(),
    "kukar": counts(),
}
SAMARINDA = counts(WEB=4, EMAIL=2, API=1, WALK_IN=1, PHONE=1, OPEN311=1, SOCIAL_MEDIA=1)
BALIKPAPAN = counts(SMS=1, WHATSAPP=1, LETTER=1)
JAKARTA = counts(WEB=1)
REGION_CHANNELS = {
    "64.72": SAMARINDA,
    "64.71": BALIKPAPAN,
    "64": {c: SAMARINDA[c] + BALIKPAPAN[c] for c in Channel.values},
    "31.71": JAKARTA,
    "31": JAKARTA,
    "": {c: SAMARINDA[c] + BALIKPAPAN[c] + JAKARTA[c] for c in Channel.values},
}


# --- the month, through the services ------------------------------------------------------------


def enter(
    officer: User,
    agency: Agency,
    when: dt.datetime,
    channel: str,
    *,
    keep: bool,
    category: str = "kesehatan",
    region: str = "64.72.01",
) -> Complaint:
    """An officer of ``agency`` records a report a citizen brought on the day (``when``), keeps
    it or lets the rules route it."""
    complaint = complaint_services.enter_complaint(
        officer=officer,
        agency=agency,
        channel=channel,
        received_on=timezone.localdate(when),
        keep=keep,
        now=when,
        kind="COMPLAINT",
        title="Antrean puskesmas tidak tertib",
        description="Warga datang ke kantor: antrean di puskesmas tidak memakai nomor urut.",
        category=Category.objects.get(code=category),
        region=Region.objects.get(code=region),
        incident_date=timezone.localdate(when),
        is_anonymous=False,
        is_confidential=False,
        reporter_name="Budi Santoso",
    ).complaint
    return complaint if keep else route_fully(complaint, when)


@pytest.fixture
def month(agencies: Agencies, file: Filer, submit: Callable[..., Any]) -> Scenario:
    """The reports of the module docstring; nothing built."""
    a = agencies
    r: Scenario = {}
    r["october"] = file(at(10, 20), channel=Channel.EMAIL)
    for n, day in enumerate((2, 3, 4), start=1):
        r[f"web{n}"] = file(at(11, day))
    r["email"] = file(at(11, 4, 10), channel=Channel.EMAIL)
    r["returned"] = file(at(11, 4, 11), channel=Channel.EMAIL)
    complaint_services.request_transfer(
        complaint_id=r["returned"].pk,
        agency=a["dinkes"],
        reason=REASON,
        suggested_agency=a["rsud"],
        actor=None,
        now=at(11, 5),
    )
    complaint_services.dispose_complaint(
        complaint_id=r["returned"].pk,
        coordinator=a["samarinda"],
        to_agency=a["rsud"],
        actor=None,
        now=at(11, 6),
    )
    r["api"] = file(at(11, 5), channel=Channel.API)
    r["walk_in"] = enter(
        make_user("petugas.dinkes", a["dinkes"]), a["dinkes"], at(11, 9), Channel.WALK_IN, keep=True
    )
    r["phone"] = enter(
        make_user("petugas.smd", a["samarinda"]),
        a["samarinda"],
        at(11, 10),
        Channel.PHONE,
        keep=False,
    )
    r["open311"] = file(at(11, 11), category="pendidikan", channel=Channel.OPEN311)
    r["social"] = enter(
        make_user("petugas.kaltim", a["kaltim"]),
        a["kaltim"],
        at(11, 12),
        Channel.SOCIAL_MEDIA,
        keep=False,
        category="pendidikan",
    )
    r["sms"] = file(at(11, 13), region="64.71.01", channel=Channel.SMS)
    r["whatsapp"] = file(at(11, 16), region="64.71.01", channel=Channel.WHATSAPP)
    r["letter"] = enter(
        make_user("petugas.bpp", a["balikpapan"]),
        a["balikpapan"],
        at(11, 17),
        Channel.LETTER,
        keep=True,
        region="64.71.01",
    )
    complaint_services.dispose_complaint(
        complaint_id=r["letter"].pk,
        coordinator=a["balikpapan"],
        to_agency=a["dinkes_bpp"],
        actor=None,
        now=at(11, 18),
    )
    r["jakarta"] = file(at(11, 19), region="31.71.01")
    late = submit(
        now=at(11, 30, 23, 50),
        category=Category.objects.get(code="kesehatan"),
        region=Region.objects.get(code="64.72.01"),
        incident_date=dt.date(2026, 11, 30),
    ).complaint
    r["midnight"] = route_fully(late, at(12, 1, 0, 5))
    return r


@pytest.fixture
def built(month: Scenario) -> Scenario:
    """October and November built on 5 January 2027."""
    build_monthly_recap(month=OCT, now=BUILT_AT)
    build_monthly_recap(month=NOV, now=BUILT_AT)
    return month


def agency_row(month: dt.date, code: str) -> MonthlyRecap:
    return MonthlyRecap.objects.get(month=month, level=MonthlyRecap.Level.AGENCY, agency__code=code)


def scope_key(row: MonthlyRecap) -> tuple[str, str]:
    return row.level, row.agency.code if row.agency_id else row.region_id or ""


def month_rows(month: dt.date) -> dict[tuple[str, str], tuple[int, dict[str, int]]]:
    """Every row of the month: its scope → (received, received by channel)."""
    return {
        scope_key(row): (row.received, row.received_by_channel)
        for row in MonthlyRecap.objects.filter(month=month).select_related("agency")
    }


def all_channels(row: MonthlyRecap) -> dict[str, int]:
    return {c: row.received_by_channel.get(c, 0) for c in Channel.values}


# --- the build ----------------------------------------------------------------------------------


class TestBuild:
    def test_the_channels_went_in_as_filed(self, month: Scenario) -> None:
        assert {name: c.channel for name, c in month.items()} == {
            "october": "EMAIL", "web1": "WEB", "web2": "WEB", "web3": "WEB", "email": "EMAIL",
            "returned": "EMAIL", "api": "API", "walk_in": "WALK_IN", "phone": "PHONE",
            "open311": "OPEN311", "social": "SOCIAL_MEDIA", "sms": "SMS", "whatsapp": "WHATSAPP",
            "letter": "LETTER", "jakarta": "WEB", "midnight": "WEB",
        }  # fmt: skip
        assert (month["walk_in"].current_agency.code, month["walk_in"].status) == (
            "dinkes-smd",
            "DISPOSED",
        )
        assert month["phone"].current_agency.code == "dinkes-smd"
        assert month["social"].current_agency.code == "disdik-kaltim"

    def test_each_agency_counts_the_reports_that_reached_it_by_channel(
        self, built: Scenario
    ) -> None:
        for code, expected in AGENCY_CHANNELS.items():
            row = agency_row(NOV, code)
            assert all_channels(row) == expected, code
            assert row.received == sum(expected.values()), code
            # Only the channels with reports are stored (in no order: PostgreSQL's jsonb keeps
            # none).
            assert set(row.received_by_channel) == {c for c in Channel.values if expected[c]}

    def test_each_region_and_the_nation_count_the_reports_filed_about_them(
        self, built: Scenario
    ) -> None:
        for code, expected in REGION_CHANNELS.items():
            row = own_row(NOV, code or None)
            assert all_channels(row) == expected, code
            assert row.received == sum(expected.values()), code
        assert own_row(NOV, None).received == 15
        # The report filed at 23:50 on 30 November counts for Samarinda in November, but it
        # reached Dinkes Samarinda only in December.
        assert own_row(NOV, "64.72").received_by_channel["WEB"] == 4
        assert agency_row(NOV, "dinkes-smd").received_by_channel["WEB"] == 3

    def test_october_counts_its_own_report(self, built: Scenario) -> None:
        assert own_row(OCT, None).received_by_channel == {"EMAIL": 1}
        assert own_row(OCT, "64").received_by_channel == {"EMAIL": 1}
        assert own_row(OCT, "64.72").received_by_channel == {"EMAIL": 1}
        assert agency_row(OCT, "dinkes-smd").received_by_channel == {"EMAIL": 1}
        assert agency_row(OCT, "kaltim").received_by_channel == {}

    def test_the_channels_add_up_to_received_in_every_row(self, built: Scenario) -> None:
        rows = MonthlyRecap.objects.filter(month__in=[OCT, NOV])
        assert rows.count() > 20
        for row in rows:
            assert sum(row.received_by_channel.values()) == row.received, row
            assert set(row.received_by_channel) <= set(Channel.values), row
            assert all(n > 0 for n in row.received_by_channel.values()), row

    def test_a_rebuild_gives_the_same_numbers(self, built: Scenario) -> None:
        first = month_rows(NOV)
        build_monthly_recap(month=NOV, now=BUILT_AT + dt.timedelta(days=30))
        assert month_rows(NOV) == first
        build_monthly_recap(month=NOV, now=BUILT_AT + dt.timedelta(days=31), current_settings=True)
        assert month_rows(NOV) == first

    def test_more_reports_and_channels_take_no_more_queries(
        self, built: Scenario, file: Filer
    ) -> None:
        """The channels come in the grouped queries that count ``received``: no query per
        report, agency or channel."""

        def rebuild() -> list[str]:
            with CaptureQueriesContext(connection) as captured:
                build_monthly_recap(month=NOV, now=BUILT_AT)
            return [q["sql"] for q in captured.captured_queries]

        before = rebuild()
        for n, channel in enumerate((Channel.SMS, Channel.WHATSAPP, Channel.API, Channel.WEB)):
            file(at(11, 24, 9 + n), channel=channel, region="64.74.01" if n % 2 else "64.72.01")
        after = rebuild()
        assert len(after) == len(before)
        assert agency_row(NOV, "dinkes-btg").received_by_channel == {"WHATSAPP": 1, "WEB": 1}
        by_channel = [sql for sql in after if '"channel"' in sql]
        assert len(by_channel) == 2  # the reports about each region; the agencies' first reaches

    def test_months_built_before_get_their_channels_counted(self, built: Scenario) -> None:
        """The data migration counts the channels of months built without them, as a build
        would."""
        expected = month_rows(NOV)
        MonthlyRecap.objects.update(received_by_channel={})
        migration = importlib.import_module("reports.migrations.0007_count_received_by_channel")
        migration.count(apps, None)
        assert month_rows(NOV) == expected
        assert own_row(OCT, None).received_by_channel == {"EMAIL": 1}


# --- the page -----------------------------------------------------------------------------------


def page(client: Client, region: str) -> str:
    response = client.get("/reports/", {"month": "2026-11", "region": region})
    assert response.status_code == 200
    return response.content.decode()


def shown(value: int) -> str:
    return in_indonesian(display, value, "count")


def shown_share(part: int, whole: int) -> str:
    return in_indonesian(display, share(part, whole), "percent")


def label(channel: Channel) -> str:
    return in_indonesian(str, channel.label)


class TestPage:
    @pytest.mark.parametrize(("role", "region"), [("national", ""), ("kaltim", "64")])
    def test_every_channel_with_its_count_and_share_in_channel_order(
        self, built: Scenario, client_for: ClientFor, role: str, region: str
    ) -> None:
        content = page(client_for(role), region)
        header, *rows, total = page_tables(content).tables["inbox recap recap-channels"]
        assert header == [in_indonesian(gettext, h) for h in ("Channel", "Reports", "Share")]
        expected = REGION_CHANNELS[region]
        received = sum(expected.values())
        assert rows == [
            [capfirst(label(c)), shown(expected[c]), shown_share(expected[c], received)]
            for c in Channel
        ]
        assert [r[1] for r in rows].count("0") == sum(1 for c in Channel if not expected[c])
        assert total[1:] == [shown(received), shown_share(received, received)]

    def test_its_title_and_definition(self, built: Scenario, client_for: ClientFor) -> None:
        text = html.unescape(page(client_for("national"), ""))
        assert in_indonesian(str, CHANNEL_TITLE) in text
        # In the group's note and among the definitions at the foot of the page.
        assert text.count(in_indonesian(str, CHANNEL_DEFINITION)) == 2

    def test_each_region_and_agency_under_the_one_shown(
        self, built: Scenario, client_for: ClientFor
    ) -> None:
        content = page(client_for("samarinda"), "64.72")
        header, *rows, total = page_tables(content).tables["inbox recap recap-channels-rows"]
        # A column per channel that received reports in the region shown, by its short name.
        used = [c for c in Channel.values if SAMARINDA[c]]
        assert header[1:] == [in_indonesian(str, figures.BY_KEY["received"].label)] + [
            in_indonesian(figures.channel_short_label, c) for c in used
        ]
        full = in_indonesian(lambda c: capfirst(figures.channel_label(c)), "WALK_IN")
        assert f'<abbr title="{html.escape(full)}">' in content
        by_name = {r[0]: r[1:] for r in rows}
        for code, name in (
            ("dinkes-smd", "Dinkes Samarinda"),
            ("rsud-smd", "RSUD Samarinda"),
            ("smd", "Diskominfo Samarinda"),
        ):
            expected = AGENCY_CHANNELS[code]
            assert by_name[name] == [
                shown(sum(expected.values())),
                *(shown(expected[c]) for c in used),
            ], name
        assert total[1:] == [shown(sum(SAMARINDA.values())), *(shown(SAMARINDA[c]) for c in used)]

    def test_a_month_without_a_recap_has_no_channel_table(
        self, built: Scenario, client_for: ClientFor
    ) -> None:
        response = client_for("national").get("/reports/", {"month": "2026-09"})
        assert response.status_code == 200
        assert "recap-channels" not in response.content.decode()


# --- exports ------------------------------------------------------------------------------------


def export(client: Client, kind: str, region: str) -> bytes:
    response = client.get(f"/reports/export.{kind}", {"month": "2026-11", "region": region})
    assert response.status_code == 200
    return response.content


def channel_headers() -> list[str]:
    return [
        in_indonesian(gettext, "Received: %(channel)s") % {"channel": label(c)} for c in Channel
    ]


class TestExports:
    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_a_column_per_channel_after_the_figures(
        self, built: Scenario, client_for: ClientFor, kind: str
    ) -> None:
        content = export(client_for("kaltim"), kind, "64.72")
        header, *rows = csv_rows(content) if kind == "csv" else xlsx_rows(content)
        width = len(Channel.values)
        assert header[-width:] == channel_headers()
        assert header[:-width][-1] == in_indonesian(str, figures.FIGURES[-1].label)

        def cells(row: list[Any]) -> list[int]:
            return [int(c) for c in row[-width:]]

        by_code = {r[2]: cells(r) for r in rows[:-1]}
        for code in ("dinkes-smd", "rsud-smd", "smd"):
            assert by_code[code] == list(AGENCY_CHANNELS[code].values()), code
        assert cells(rows[-1]) == list(SAMARINDA.values())  # the total: the region's own row

    def test_the_nation_and_its_provinces(self, built: Scenario, client_for: ClientFor) -> None:
        _header, *rows = csv_rows(export(client_for("national"), "csv", ""))
        width = len(Channel.values)
        by_code = {r[2]: [int(c) for c in r[-width:]] for r in rows}
        assert by_code["64"] == list(REGION_CHANNELS["64"].values())
        assert by_code["31"] == list(JAKARTA.values())
        assert by_code["nasional"] == list(AGENCY_CHANNELS["nasional"].values())
        assert [int(c) for c in rows[-1][-width:]] == list(REGION_CHANNELS[""].values())

    def test_the_pdf_has_a_table_of_channels_and_their_definition(
        self, built: Scenario, client_for: ClientFor
    ) -> None:
        text = " ".join(" ".join(pdf_pages(export(client_for("kaltim"), "pdf", "64.72"))).split())
        title = in_indonesian(str, CHANNEL_TITLE)
        assert title in text
        after = text.split(title, 1)[1]
        expected = AGENCY_CHANNELS["dinkes-smd"]
        numbers = " ".join(shown(n) for n in [sum(expected.values()), *expected.values()])
        assert f"Dinkes Samarinda (dinkes-smd) {numbers}" in after
        definition = " ".join(in_indonesian(str, CHANNEL_DEFINITION).split())
        assert definition in text


# --- the API ------------------------------------------------------------------------------------


def api(user: User | None, region: str) -> dict[str, Any]:
    client = Client()
    assert user is not None
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(user)}"
    response = client.get("/api/v1/reports/monthly/", {"month": "2026-11", "region": region})
    assert response.status_code == 200
    return response.json()


class TestApi:
    def test_every_channel_for_the_total_and_each_row(
        self, built: Scenario, user_for: Callable[[str], User | None]
    ) -> None:
        data = api(user_for("samarinda"), "64.72")
        assert data["total"]["received_by_channel"] == SAMARINDA
        rows = {r["code"]: r for r in data["rows"]}
        for code in ("dinkes-smd", "rsud-smd", "smd"):
            assert rows[code]["received_by_channel"] == AGENCY_CHANNELS[code], code
            assert list(rows[code]["received_by_channel"]) == Channel.values
            assert sum(rows[code]["received_by_channel"].values()) == rows[code]["received"]
        assert data["groups"]["received_by_channel"] == "flow"
        assert data["definitions"]["received_by_channel"] == in_indonesian(str, CHANNEL_DEFINITION)

    def test_the_nation(self, built: Scenario, user_for: Callable[[str], User | None]) -> None:
        data = api(user_for("national"), "")
        assert data["total"]["received_by_channel"] == REGION_CHANNELS[""]
        rows = {r["code"]: r["received_by_channel"] for r in data["rows"]}
        assert rows["64"] == REGION_CHANNELS["64"]
        assert rows["nasional"] == AGENCY_CHANNELS["nasional"]


class TestSchema:
    def test_received_by_channel_is_an_object_of_integers_keyed_by_channel(self) -> None:
        out = StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
        schemas = yaml.safe_load(out.getvalue())["components"]["schemas"]
        field = schemas["RecapRow"]["properties"]["received_by_channel"]
        reference = field["allOf"][0]["$ref"] if "allOf" in field else field["$ref"]
        channels = schemas[reference.split("/")[-1]]
        assert channels["type"] == "object"
        assert list(channels["properties"]) == Channel.values
        assert all(p["type"] == "integer" for p in channels["properties"].values())
        assert sorted(channels["required"]) == sorted(Channel.values)
        with translation.override("en"):
            assert str(CHANNEL_DEFINITION) in field["description"]
