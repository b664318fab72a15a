"""A report recorded by an officer, seen by staff: an anonymous reporter stays hidden from
everyone (the officer who recorded it sees the details once, on the receipt; the national
coordinator only through the recorded reveal); who recorded it is shown to coordinators and
to that officer, not to other officers; the channel is on every report, in the inbox and the
staff API, and filters both."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
import yaml
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.utils.text import capfirst

from complaints.models import Complaint, ComplaintEvent
from routing.models import Agency
from tests.dashboard.test_anonymity import ANONYMOUS, found_in
from tests.helpers import WIB, api_token, in_indonesian, make_user, route_fully

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
ENTER = "/dashboard/laporan-baru/"
TITLE = "Pungutan liar di loket puskesmas"
RECORDER = "petugas.pencatat"
RECORDER_NAME = "Rina Wulandari"
IDENTITY = ("name", "email", "phone")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class People:
    """The officer who records, a colleague at the same OPD, the coordinators above (regency,
    province, national) and the national officer who may reveal a reporter."""

    def __init__(self, tree: dict[str, Agency]) -> None:
        self.users = {
            "recorder": make_user(RECORDER, tree["dinkes"]),
            "colleague": make_user("rekan.dinkes", tree["dinkes"]),
            "samarinda": make_user("koordinator.smd", tree["samarinda"]),
            "kaltim": make_user("koordinator.kaltim", tree["kaltim"]),
            "national": make_user("koordinator.nasional", tree["national"]),
            "revealer": make_user("pengungkap.nasional", tree["national"]),
        }
        recorder = self.users["recorder"]
        recorder.first_name, recorder.last_name = RECORDER_NAME.split()
        recorder.save(update_fields=["first_name", "last_name"])
        self.users["revealer"].user_permissions.add(
            Permission.objects.get(content_type__app_label="complaints", codename="reveal_reporter")
        )
        self._clients: dict[str, Client] = {}

    def html(self, role: str) -> Client:
        if role not in self._clients:
            client = Client()
            client.force_login(self.users[role])
            self._clients[role] = client
        return self._clients[role]

    def api(self, role: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Token {api_token(self.users[role])}")


@pytest.fixture
def people(tree: dict[str, Agency]) -> People:
    return People(tree)


def entry(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "PHONE",
        "received_on": "2026-11-30",
        "kind": "COMPLAINT",
        "title": TITLE,
        "description": "Penelepon menyebut petugas loket meminta uang tambahan di luar tarif resmi.",
        "category": "kesehatan",
        "province": "64",
        "regency": "64.72",
        "district": "64.72.01",
        "incident_date": "2026-11-27",
        "keep": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def anonymous_entry() -> dict[str, Any]:
    return entry(
        is_anonymous="on",
        reporter_name=ANONYMOUS.name,
        reporter_email=ANONYMOUS.email,
        reporter_phone=ANONYMOUS.phone,
    )


def record(people: People, data: dict[str, Any], role: str = "recorder") -> tuple[Complaint, str]:
    """Record through the form; the report and its receipt's address."""
    response = people.html(role).post(ENTER, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Complaint.objects.get(title=data["title"]), response["Location"]


def everything_seen(people: People, role: str, complaint: Complaint) -> list[tuple[str, bytes]]:
    """Every page and API answer about the report that ``role`` can get."""
    tn = complaint.tracking_number
    html, api = people.html(role), people.api(role)
    seen = []
    for label, client, url in [
        ("page", html, f"/dashboard/complaints/{tn}/"),
        ("inbox", html, "/dashboard/?status=DISPOSED"),
        ("inbox subtree", html, "/dashboard/?scope=subtree"),
        ("inbox history", html, "/dashboard/?scope=history"),
        ("inbox by channel", html, "/dashboard/?channel=PHONE"),
        ("api", api, f"/api/v1/staff/complaints/{tn}/"),
        ("api inbox", api, "/api/v1/staff/complaints/?scope=subtree"),
        ("api inbox held", api, "/api/v1/staff/complaints/"),
    ]:
        response = client.get(url)
        assert response.status_code in (200, 400), (role, label, response.status_code)
        seen.append((f"{role} {label}", response.content))
    return seen


class TestAnonymousReporter:
    def test_only_the_receipt_shows_who_it_was_once(self, people: People) -> None:
        complaint, receipt = record(people, anonymous_entry())
        assert complaint.is_anonymous and complaint.status == "DISPOSED"
        shown = people.html("recorder").get(receipt)
        # As the officer typed it, once.
        assert found_in(ANONYMOUS, shown.content, IDENTITY) == set(IDENTITY)
        again = people.html("recorder").get(receipt)
        assert again.status_code == 410
        assert found_in(ANONYMOUS, again.content, IDENTITY) == set()

        leaks = []
        for role in ("recorder", "colleague", "samarinda", "kaltim", "national", "revealer"):
            for label, content in everything_seen(people, role, complaint):
                if found := found_in(ANONYMOUS, content, IDENTITY):
                    leaks.append(f"{label}: {sorted(found)}")
        assert leaks == []
        # The report's page says why the reporter is not shown.
        page = people.html("recorder").get(f"/dashboard/complaints/{complaint.tracking_number}/")
        assert (
            in_indonesian("Anonymous: the reporter's identity is not shown to agencies.")
            in page.content.decode()
        )
        # Nor is it in the events' data, which the reports and exports read.
        for event in complaint.events.all():
            assert found_in(ANONYMOUS, json.dumps(event.data).encode(), IDENTITY) == set()
        chose = complaint.events.get(type=ComplaintEvent.Type.SUBMITTED).data["reporter_chose"]
        assert chose == {"anonymous": True, "confidential": False}

    def test_the_national_coordinator_reveals_only_through_the_recorded_action(
        self, people: People
    ) -> None:
        complaint, _receipt = record(people, anonymous_entry())
        url = f"/dashboard/complaints/{complaint.tracking_number}/reveal/"
        refused = people.html("national").post(url, {"reason": "Permintaan penyidik."})
        assert refused.status_code == 403
        assert found_in(ANONYMOUS, refused.content, IDENTITY) == set()
        revealed = people.html("revealer").post(url, {"reason": "Permintaan resmi penyidik."})
        assert revealed.status_code == 200
        assert found_in(ANONYMOUS, revealed.content, IDENTITY) == set(IDENTITY)
        event = complaint.events.get(type=ComplaintEvent.Type.IDENTITY_REVEALED)
        assert event.actor == people.users["revealer"]


class TestWhoRecordedIt:
    def test_coordinators_and_the_recorder_see_it_other_officers_only_the_channel(
        self, people: People
    ) -> None:
        complaint, _receipt = record(people, entry())
        tn = complaint.tracking_number
        channel_line = capfirst(in_indonesian("telephone"))
        for role in ("recorder", "colleague", "samarinda", "kaltim", "national"):
            body = people.html(role).get(f"/dashboard/complaints/{tn}/").content.decode()
            detail = people.api(role).get(f"/api/v1/staff/complaints/{tn}/").json()
            assert channel_line in body, role
            assert detail["channel"] == "PHONE"
            first_events = [e["actor"] for e in detail["events"][:2]]
            if role == "colleague":
                assert 'class="recorded-by"' not in body
                assert RECORDER not in body and RECORDER_NAME not in body
                assert detail["recorded_by"] is None
                assert first_events == [None, None]
            else:
                assert 'class="recorded-by"' in body, role
                assert (
                    in_indonesian(
                        "recorded by %(name)s (%(agency)s), received on %(day)s",
                        name=RECORDER_NAME,
                        agency="Dinkes Samarinda",
                        day="30 November 2026",
                    )
                    in body
                )
                assert detail["recorded_by"] == {
                    "name": RECORDER_NAME,
                    "username": RECORDER,
                    "agency": {"code": "dinkes-smd", "name": "Dinkes Samarinda", "level": "OPD"},
                }
                assert first_events == [RECORDER, RECORDER]

    def test_the_recorders_later_actions_are_shown_as_any_officers(self, people: People) -> None:
        complaint, _receipt = record(people, entry())
        tn = complaint.tracking_number
        with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
            people.html("recorder").force_login(people.users["recorder"])
            acknowledged = people.html("recorder").post(
                f"/dashboard/complaints/{tn}/acknowledge/", {"version": complaint.version}
            )
            assert acknowledged.status_code == 302
            people.html("colleague").force_login(people.users["colleague"])
            detail = people.api("colleague").get(f"/api/v1/staff/complaints/{tn}/").json()
        assert [e["actor"] for e in detail["events"]] == [None, None, RECORDER]

    def test_a_report_from_the_web_names_no_recorder(
        self, people: People, submit: Callable[..., Any]
    ) -> None:
        complaint = route_fully(submit(now=NOW).complaint, now=NOW)
        detail = people.api("samarinda").get(
            f"/api/v1/staff/complaints/{complaint.tracking_number}/"
        )
        assert detail.json()["recorded_by"] is None
        assert detail.json()["channel"] == "WEB"


class TestChannelInTheInbox:
    @pytest.fixture
    def two_reports(self, people: People, submit: Callable[..., Any]) -> dict[str, Complaint]:
        web = route_fully(submit(now=NOW).complaint, now=NOW)
        phone, _receipt = record(people, entry())
        return {"web": web, "phone": phone}

    def test_each_row_names_its_channel(
        self, people: People, two_reports: dict[str, Complaint]
    ) -> None:
        body = people.html("colleague").get("/dashboard/").content.decode()
        for name, complaint in two_reports.items():
            row = body.split(complaint.tracking_number, 1)[1].split("</tr>", 1)[0]
            word = in_indonesian("web") if name == "web" else in_indonesian("telephone")
            assert f"{word}</span></td>" in row, name

    def test_the_page_and_the_api_filter_by_channel(
        self, people: People, two_reports: dict[str, Complaint]
    ) -> None:
        phone, web = two_reports["phone"].tracking_number, two_reports["web"].tracking_number
        page = people.html("colleague").get("/dashboard/", {"channel": ["PHONE", "LETTER"]})
        body = page.content.decode()
        assert phone in body and web not in body
        assert (
            in_indonesian(
                "that came by %(names)s",
                names=in_indonesian(
                    "%(first)s or %(last)s",
                    first=in_indonesian("telephone"),
                    last=in_indonesian("letter"),
                ),
            )
            in body
        )
        rows = people.api("colleague").get("/api/v1/staff/complaints/", {"channel": "WEB"})
        assert [r["tracking_number"] for r in rows.json()["results"]] == [web]
        assert rows.json()["results"][0]["channel"] == "WEB"

    def test_an_unknown_channel_is_an_error(
        self, people: People, two_reports: dict[str, Complaint]
    ) -> None:
        api = people.api("colleague").get("/api/v1/staff/complaints/", {"channel": "FAX"})
        assert api.status_code == 400
        assert "channel" in api.json()
        page = people.html("colleague").get("/dashboard/", {"channel": "FAX"})
        assert page.status_code == 200
        assert page.context["filters"].form.errors["channel"]
        assert two_reports["phone"].tracking_number not in page.content.decode()


class TestTheSchema:
    def test_the_staff_api_documents_the_channel_and_the_recorder(self) -> None:
        out = StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
        schema = yaml.safe_load(out.getvalue())
        inbox = schema["paths"]["/api/v1/staff/complaints/"]["get"]
        channel = next(p for p in inbox["parameters"] if p["name"] == "channel")
        assert channel["schema"]["type"] == "array"
        assert "PHONE" in channel["schema"]["items"]["enum"]
        components = schema["components"]["schemas"]
        assert "channel" in components["StaffComplaint"]["properties"]
        recorded = components["StaffComplaintDetail"]["properties"]["recorded_by"]
        assert recorded["allOf"][0]["$ref"] == "#/components/schemas/StaffRecorder"
        assert recorded["nullable"] is True
        assert set(components["StaffRecorder"]["properties"]) == {"name", "username", "agency"}
