"""The staff inbox: keyset pages, counts, filters, scopes and search, through the selectors, the
dashboard page and the staff API."""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import factory
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from complaints import selectors
from complaints import services as complaint_services
from complaints.models import Complaint
from complaints.selectors import Scope
from lapor.lib.tracking import hash_access_key, new_tracking_number
from routing.models import Agency, Category, Officer, Region
from tests.helpers import NOW, api_token, route_fully

pytestmark = pytest.mark.django_db

WIB = NOW.tzinfo
Submit = Callable[..., Any]
INBOX = "/dashboard/"
API = "/api/v1/staff/complaints/"


def wib(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A report row as the services leave it, for inbox tests that need many or odd ones."""

    class Meta:
        model = Complaint

    tracking_number = factory.LazyFunction(new_tracking_number)
    access_key_hash = factory.LazyFunction(lambda: hash_access_key("kunci"))
    kind = Complaint.Kind.COMPLAINT
    title = factory.Sequence(lambda n: f"Laporan warga nomor {n}")
    description = "Pelayanan di kantor kelurahan lambat dan petugas sering tidak ada di tempat."
    category = factory.LazyFunction(lambda: Category.objects.get(code="kesehatan"))
    region = factory.LazyFunction(lambda: Region.objects.get(code="64.72.01"))
    incident_date = dt.date(2026, 11, 20)
    status = Complaint.Status.DISPOSED
    submitted_at = NOW
    due_at = wib(2026, 12, 7, 23, 59)


def make_officer(username: str, agency: Agency) -> User:
    user = User.objects.create_user(username, f"{username}@example.go.id", "sandi-uji-2026")
    Officer.objects.create(user=user, agency=agency)
    return user


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def listed(html: str) -> list[str]:
    """Tracking numbers in the inbox table, in order."""
    table = html.split('<table class="inbox">', 1)
    if len(table) < 2:
        return []
    return re.findall(r'href="/dashboard/complaints/([A-Z0-9-]+)/"', table[1].split("</table>")[0])


def numbers(reports: Iterable[Complaint]) -> list[str]:
    return [r.tracking_number for r in reports]


def in_keyset_order(reports: Iterable[Complaint]) -> list[str]:
    return numbers(sorted(reports, key=lambda r: (r.due_at, r.pk)))


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


# --- keyset pages -------------------------------------------------------------------------------


@pytest.fixture
def sixty(tree: dict[str, Agency]) -> list[Complaint]:
    """60 reports held by Dinkes: 15 deadlines, four reports on each, created in shuffled
    order so that ids do not follow deadlines."""
    base = wib(2026, 12, 1, 23, 59)
    dues = [base + dt.timedelta(hours=3 * (i // 4)) for i in range(60)]
    random.Random(2026).shuffle(dues)
    return [ComplaintFactory(current_agency=tree["dinkes"], due_at=due) for due in dues]


class TestKeysetPage:
    def walk(self, reports: Any, size: int) -> tuple[list[list[str]], list[list[str]]]:
        """Every page going forward, then every page going back from the last one."""
        limit = 61 // size + 2  # more pages than that: the walk went round in a circle
        forward: list[list[str]] = []
        page = selectors.keyset_page(reports, size=size)
        assert page.previous_cursor is None
        while True:
            forward.append(numbers(page.items))
            assert len(forward) <= limit, forward
            if page.next_cursor is None:
                break
            page = selectors.keyset_page(reports, after=page.next_cursor, size=size)
        backward = [numbers(page.items)]
        while page.previous_cursor is not None:
            page = selectors.keyset_page(reports, before=page.previous_cursor, size=size)
            backward.append(numbers(page.items))
            assert len(backward) <= limit, backward
        return forward, backward

    def test_forward_then_back_visits_every_report_once_in_order(
        self, sixty: list[Complaint], tree: dict[str, Agency]
    ) -> None:
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        forward, backward = self.walk(reports, size=7)
        assert [len(p) for p in forward] == [7] * 8 + [4]
        seen = [n for p in forward for n in p]
        assert seen == in_keyset_order(sixty)
        assert len(set(seen)) == 60
        # Back from the last page: the same pages, in reverse, down to the first.
        assert backward == forward[::-1]

    @pytest.mark.parametrize("size", [1, 4, 5, 59, 60, 61])
    def test_any_page_size_sees_each_once(
        self, sixty: list[Complaint], tree: dict[str, Agency], size: int
    ) -> None:
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        forward, backward = self.walk(reports, size=size)
        assert [n for p in forward for n in p] == in_keyset_order(sixty)
        assert backward == forward[::-1]

    @pytest.mark.parametrize(
        "cursor",
        [
            "!!!",
            "not-a-cursor",
            base64.urlsafe_b64encode(b"2026-12-01T23:59:00+07:00|x").decode(),
            base64.urlsafe_b64encode(b"2026-12-01T23:59:00|5").decode(),  # naive
            base64.urlsafe_b64encode(b"\xff\xfe|1").decode(),
            "",
        ],
    )
    def test_a_garbled_cursor_gives_the_first_page(
        self, sixty: list[Complaint], tree: dict[str, Agency], cursor: str
    ) -> None:
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        first = numbers(selectors.keyset_page(reports, size=10).items)
        assert numbers(selectors.keyset_page(reports, after=cursor, size=10).items) == first
        assert numbers(selectors.keyset_page(reports, before=cursor, size=10).items) == first

    def test_through_the_page(self, sixty: list[Complaint], tree: dict[str, Agency]) -> None:
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        html = client.get(INBOX).content.decode()
        pages = [listed(html)]
        assert link(html, "prev") is None
        while (after := link(html, "next")) is not None:
            html = client.get(INBOX + after).content.decode()
            pages.append(listed(html))
            assert len(pages) <= 4, pages
        assert [len(p) for p in pages] == [25, 25, 10]
        assert [n for p in pages for n in p] == in_keyset_order(sixty)
        back = [listed(html)]
        while (before := link(html, "prev")) is not None:
            html = client.get(INBOX + before).content.decode()
            back.append(listed(html))
            assert len(back) <= 4, back
        assert back == pages[::-1]
        assert link(html, "first") is not None
        assert client.get(INBOX + "?after=%25%25garbled").status_code == 200
        assert listed(client.get(INBOX + "?after=%25%25garbled").content.decode()) == pages[0]

    def test_through_the_api(self, sixty: list[Complaint], tree: dict[str, Agency]) -> None:
        client = api_client(make_officer("dinkes", tree["dinkes"]))
        body = client.get(API).json()
        assert body["previous"] is None
        pages = [[r["tracking_number"] for r in body["results"]]]
        while body["next"]:
            body = client.get(body["next"]).json()
            pages.append([r["tracking_number"] for r in body["results"]])
            assert len(pages) <= 3, pages
        assert [len(p) for p in pages] == [50, 10]
        assert [n for p in pages for n in p] == in_keyset_order(sixty)
        assert body["next"] is None
        back = client.get(body["previous"]).json()
        assert [r["tracking_number"] for r in back["results"]] == pages[0]
        assert back["previous"] is None
        garbled = client.get(API, {"after": "~~~"}).json()
        assert [r["tracking_number"] for r in garbled["results"]] == pages[0]

    def test_filters_are_kept_across_pages(
        self, sixty: list[Complaint], tree: dict[str, Agency]
    ) -> None:
        aspirations = sixty[::2]
        Complaint.objects.filter(pk__in=[r.pk for r in aspirations]).update(kind="ASPIRATION")
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        html = client.get(INBOX, {"kind": "ASPIRATION"}).content.decode()
        first = listed(html)
        after = link(html, "next")
        assert after is not None and "kind=ASPIRATION" in after
        second = listed(client.get(INBOX + after).content.decode())
        assert first + second == in_keyset_order(aspirations)


# --- counts ----------------------------------------------------------------------------------------


class TestCounts:
    def test_open_reports_per_status_and_overdue(self, tree: dict[str, Agency]) -> None:
        now = wib(2026, 12, 10)
        past, future = now - dt.timedelta(hours=1), now + dt.timedelta(days=1)
        held = {"current_agency": tree["samarinda"]}
        ComplaintFactory.create_batch(2, status="AWAITING_VERIFICATION", due_at=past, **held)
        ComplaintFactory(status="AWAITING_VERIFICATION", due_at=future, **held)
        ComplaintFactory(status="DISPOSED", due_at=past, current_agency=tree["dinkes"])
        ComplaintFactory(status="IN_PROGRESS", due_at=future, current_agency=tree["rsud"])
        # The citizen's reply window ran out: not the agency's lateness.
        ComplaintFactory(status="RESPONDED", due_at=past, current_agency=tree["dinkes"])
        ComplaintFactory(status="COMPLETED", due_at=past, current_agency=tree["dinkes"])
        ComplaintFactory(status="ARCHIVED", due_at=past, **held)
        # Elsewhere in the province: not in Samarinda's subtree.
        ComplaintFactory(status="DISPOSED", due_at=past, current_agency=tree["disdik"])

        subtree = selectors.inbox_queryset(tree["samarinda"], Scope.SUBTREE)
        assert selectors.inbox_counts(subtree, now) == {
            "SUBMITTED": 0,
            "AWAITING_VERIFICATION": 3,
            "DISPOSED": 1,
            "IN_PROGRESS": 1,
            "RESPONDED": 1,
            "overdue": 3,
            "disputed": 0,
        }
        held_counts = selectors.inbox_counts(
            selectors.inbox_queryset(tree["samarinda"], Scope.HELD), now
        )
        assert (held_counts["AWAITING_VERIFICATION"], held_counts["DISPOSED"]) == (3, 0)
        assert held_counts["overdue"] == 2
        kaltim = selectors.inbox_counts(
            selectors.inbox_queryset(tree["kaltim"], Scope.SUBTREE), now
        )
        assert (kaltim["DISPOSED"], kaltim["overdue"]) == (2, 4)

    def test_counts_on_the_page_and_in_the_api(self, tree: dict[str, Agency]) -> None:
        now = timezone.now()
        ComplaintFactory.create_batch(
            3, status="DISPOSED", due_at=now + dt.timedelta(days=2), current_agency=tree["dinkes"]
        )
        ComplaintFactory(
            status="IN_PROGRESS", due_at=now - dt.timedelta(days=1), current_agency=tree["dinkes"]
        )
        user = make_officer("dinkes", tree["dinkes"])
        html = page_client(user).get(INBOX).content.decode()
        counts = dict(
            (label.strip(), int(n))
            for n, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</a>", html)
        )
        with translation.override("id"):
            assert counts[translation.gettext("new, not taken up")] == 3
            assert counts[translation.gettext("being handled")] == 1
            assert counts[translation.gettext("overdue")] == 1
        body = api_client(user).get(API).json()
        assert body["counts"]["DISPOSED"] == 3
        assert body["counts"]["IN_PROGRESS"] == 1
        assert body["counts"]["overdue"] == 1
        overdue = [r for r in body["results"] if r["overdue"]]
        assert [r["status"] for r in overdue] == ["IN_PROGRESS"]


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def mix(tree: dict[str, Agency]) -> dict[str, Complaint]:
    """Reports in the Kaltim coordinator's own queue, each different in one way."""
    now = timezone.now()
    held = {"current_agency": tree["kaltim"]}
    category = Category.objects.get
    region = Region.objects.get
    return {
        "disposed": ComplaintFactory(
            status="DISPOSED",
            title="Puskesmas tutup lebih awal",
            region=region(code="64.72.01"),
            submitted_at=wib(2026, 11, 30, 23, 30),  # 16:30 UTC, still 30 Nov in Jakarta
            due_at=now + dt.timedelta(days=3),
            **held,
        ),
        "progress": ComplaintFactory(
            status="IN_PROGRESS",
            kind="ASPIRATION",
            category=category(code="pendidikan"),
            title="Usulan ruang kelas baru",
            description="Sekolah dasar kekurangan ruang kelas, murid belajar bergantian.",
            region=region(code="64.72"),
            submitted_at=wib(2026, 12, 1, 0, 30),  # 30 Nov 17:30 UTC, already 1 Dec in Jakarta
            due_at=now + dt.timedelta(days=4),
            **held,
        ),
        "verification": ComplaintFactory(
            status="AWAITING_VERIFICATION",
            kind="INFORMATION_REQUEST",
            title="Permintaan data anggaran",
            region=region(code="64.71.01"),
            submitted_at=wib(2026, 11, 29, 10),
            due_at=now - dt.timedelta(days=1),
            **held,
        ),
        "responded": ComplaintFactory(
            status="RESPONDED",
            region=region(code="64.71"),
            submitted_at=wib(2026, 11, 28, 10),
            due_at=now - dt.timedelta(days=2),
            **held,
        ),
        "archived": ComplaintFactory(
            status="ARCHIVED",
            region=region(code="64.72.02"),
            submitted_at=wib(2026, 11, 27, 10),
            due_at=now - dt.timedelta(days=3),
            **held,
        ),
    }


FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"disposed", "progress", "verification", "responded"}),
    ({"status": ["DISPOSED", "IN_PROGRESS"]}, {"disposed", "progress"}),
    ({"status": ["ARCHIVED"]}, {"archived"}),
    ({"status": ["ARCHIVED", "RESPONDED"]}, {"archived", "responded"}),
    ({"kind": "ASPIRATION"}, {"progress"}),
    ({"kind": "INFORMATION_REQUEST"}, {"verification"}),
    ({"category": "pendidikan"}, {"progress"}),
    ({"region": "64.72"}, {"disposed", "progress"}),
    ({"region": "64.72."}, {"disposed", "progress"}),
    ({"region": "64.71"}, {"verification", "responded"}),
    ({"region": "64.72.01"}, {"disposed"}),
    ({"region": "64.7"}, set()),
    ({"region": "64", "status": ["ARCHIVED"]}, {"archived"}),
    ({"submitted_from": "2026-12-01"}, {"progress"}),
    ({"submitted_to": "2026-11-30"}, {"disposed", "verification", "responded"}),
    ({"submitted_from": "2026-11-29", "submitted_to": "2026-11-30"}, {"disposed", "verification"}),
    ({"overdue": "on"}, {"verification"}),
    ({"overdue": "on", "status": ["RESPONDED"]}, set()),
    ({"q": "Puskesmas"}, {"disposed"}),
    ({"q": "bergantian"}, {"progress"}),
    ({"q": "anggaran", "kind": "COMPLAINT"}, set()),
]


FILTER_IDS = [urlencode(query, doseq=True) or "no-filter" for query, _expected in FILTER_CASES]


class TestFilters:
    @pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=FILTER_IDS)
    def test_on_the_page(
        self,
        mix: dict[str, Complaint],
        tree: dict[str, Agency],
        query: dict[str, Any],
        expected: set[str],
    ) -> None:
        response = page_client(make_officer("kaltim", tree["kaltim"])).get(INBOX, query)
        assert response.status_code == 200
        assert sorted(listed(response.content.decode())) == sorted(
            mix[name].tracking_number for name in expected
        )

    @pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=FILTER_IDS)
    def test_in_the_api(
        self,
        mix: dict[str, Complaint],
        tree: dict[str, Agency],
        query: dict[str, Any],
        expected: set[str],
    ) -> None:
        response = api_client(make_officer("kaltim", tree["kaltim"])).get(API, query)
        assert response.status_code == 200, response.content
        assert sorted(r["tracking_number"] for r in response.json()["results"]) == sorted(
            mix[name].tracking_number for name in expected
        )

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"status": "NOPE"}, "status"),
            ({"status": ["DISPOSED", "NOPE"]}, "status"),
            ({"submitted_from": "xx"}, "submitted_from"),
            ({"submitted_to": "2026-13-45"}, "submitted_to"),
            ({"kind": "KELUHAN"}, "kind"),
            ({"category": "tidak-ada"}, "category"),
            ({"region": "6" * 14}, "region"),
            ({"q": "x" * 201}, "q"),
        ],
    )
    def test_invalid_input_is_an_error_not_a_crash(
        self, mix: dict[str, Complaint], tree: dict[str, Agency], query: dict[str, Any], field: str
    ) -> None:
        user = make_officer("kaltim", tree["kaltim"])
        response = page_client(user).get(INBOX, query)
        assert response.status_code == 200
        html = response.content.decode()
        assert listed(html) == []
        with translation.override("id"):
            assert translation.gettext("Correct the filters above.") in html
        # A field, or a group of check boxes (the statuses) with its legend.
        assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', html) or (
            re.search(
                rf'<fieldset class="field check-group has-error"[^>]*\bid_{field}_error', html
            )
        ), f"no error shown at {field}"
        assert 'role="alert"' in html
        # The counts of the scope are still shown.
        assert "<strong>1</strong>" in html

        api = api_client(user).get(API, query)
        assert api.status_code == 400
        assert field in api.json()

    def test_an_unknown_scope(self, mix: dict[str, Complaint], tree: dict[str, Agency]) -> None:
        user = make_officer("kaltim", tree["kaltim"])
        html = page_client(user).get(INBOX, {"scope": "history"}).content.decode()
        # A coordinator has no history scope: its own queue is shown instead.
        assert len(listed(html)) == 4
        response = api_client(user).get(API, {"scope": "history"})
        assert response.status_code == 400
        assert "scope" in response.json()


# --- scopes -------------------------------------------------------------------------------------


@pytest.fixture
def routed(tree: dict[str, Agency], submit: Submit) -> dict[str, Complaint]:
    """Reports moved by the real services: held by Dinkes, returned by Dinkes to Samarinda,
    answered by Dinkes, at RSUD, in the Kaltim queue and in the national queue."""
    reports = {
        "dinkes": route_fully(submit().complaint),
        "returned": route_fully(submit().complaint),
        "answered": route_fully(submit().complaint),
        "rsud": route_fully(submit().complaint),
        "kaltim": route_fully(submit(category=Category.objects.get(code="sosial")).complaint),
        "national": route_fully(submit(region=Region.objects.get(code="31.71")).complaint),
    }
    complaint_services.request_transfer(
        complaint_id=reports["returned"].pk,
        agency=tree["dinkes"],
        reason="Bukan wewenang kami.",
        suggested_agency=None,
        actor=None,
        now=NOW,
    )
    from complaints.services import respond_to_complaint

    respond_to_complaint(
        complaint_id=reports["answered"].pk,
        agency=tree["dinkes"],
        text="Sudah kami tindak lanjuti dengan kunjungan ke puskesmas.",
        actor=None,
        now=NOW,
    )
    complaint_services.request_transfer(
        complaint_id=reports["rsud"].pk,
        agency=tree["dinkes"],
        reason="Kewenangan RSUD.",
        suggested_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )
    complaint_services.dispose_complaint(
        complaint_id=reports["rsud"].pk,
        coordinator=tree["samarinda"],
        to_agency=tree["rsud"],
        actor=None,
        now=NOW,
    )
    for report in reports.values():
        report.refresh_from_db()
    return reports


SCOPE_CASES = [
    ("dinkes", "held", {"dinkes", "answered"}),
    ("dinkes", "history", {"dinkes", "returned", "answered", "rsud"}),
    ("rsud", "held", {"rsud"}),
    ("rsud", "history", {"rsud"}),
    ("samarinda", "held", {"returned"}),
    ("samarinda", "subtree", {"dinkes", "returned", "answered", "rsud"}),
    ("kaltim", "held", {"kaltim"}),
    ("kaltim", "subtree", {"dinkes", "returned", "answered", "rsud", "kaltim"}),
    ("national", "held", {"national"}),
    ("national", "subtree", {"dinkes", "returned", "answered", "rsud", "kaltim", "national"}),
]


class TestScopes:
    @pytest.mark.parametrize(("agency", "scope", "expected"), SCOPE_CASES)
    def test_selector(
        self,
        routed: dict[str, Complaint],
        tree: dict[str, Agency],
        agency: str,
        scope: str,
        expected: set[str],
    ) -> None:
        reports = selectors.inbox_queryset(tree[agency], Scope(scope))
        assert set(numbers(reports)) == {routed[name].tracking_number for name in expected}
        # Every scope lies inside what the agency may see.
        user = make_officer(f"{agency}-officer", tree[agency])
        visible = set(numbers(Complaint.objects.visible_to(user)))
        assert set(numbers(reports)) <= visible

    @pytest.mark.parametrize(("agency", "scope", "expected"), SCOPE_CASES)
    def test_page_and_api(
        self,
        routed: dict[str, Complaint],
        tree: dict[str, Agency],
        agency: str,
        scope: str,
        expected: set[str],
    ) -> None:
        user = make_officer(f"{agency}-officer", tree[agency])
        wanted = sorted(routed[name].tracking_number for name in expected)
        html = page_client(user).get(INBOX, {"scope": scope}).content.decode()
        assert sorted(listed(html)) == wanted
        assert re.search(rf'<a href="\?scope={scope}" aria-current="page">', html)
        body = api_client(user).get(API, {"scope": scope}).json()
        assert sorted(r["tracking_number"] for r in body["results"]) == wanted

    def test_an_opd_has_no_subtree(
        self, routed: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        with pytest.raises(ValueError):
            selectors.inbox_queryset(tree["dinkes"], Scope.SUBTREE)
        user = make_officer("dinkes", tree["dinkes"])
        html = page_client(user).get(INBOX, {"scope": "subtree"}).content.decode()
        assert sorted(listed(html)) == sorted(
            routed[n].tracking_number for n in ("dinkes", "answered")
        )
        assert api_client(user).get(API, {"scope": "subtree"}).status_code == 400

    def test_no_agency_no_inbox(self, routed: dict[str, Complaint]) -> None:
        user = User.objects.create_user("warga", "warga@example.id", "sandi-uji-2026")
        client = page_client(user)
        assert client.get(INBOX).status_code == 403
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        assert api.get(API).status_code == 403
        assert APIClient().get(API).status_code == 401
        assert Client().get(INBOX).status_code == 302


# --- search on PostgreSQL -------------------------------------------------------------------------


@pytest.mark.postgres
class TestFullTextSearch:
    def test_the_query_uses_the_index(self, tree: dict[str, Agency]) -> None:
        ComplaintFactory.create_batch(5, current_agency=tree["dinkes"])
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        try:
            plan = selectors.search_complaints(Complaint.objects.all(), "jalan rusak").explain()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
        assert "complaint_search" in plan, plan

    def test_indonesian_stemming(self, tree: dict[str, Agency]) -> None:
        held = {"current_agency": tree["dinkes"]}
        road = ComplaintFactory(
            title="Kerusakan parah di pusat kota",
            description="Jalanan di depan pasar berlubang dan tergenang air setiap hujan.",
            **held,
        )
        school = ComplaintFactory(title="Sekolah kekurangan guru", **held)
        found = selectors.search_complaints(Complaint.objects.all(), "jalan")
        assert numbers(found) == [road.tracking_number]
        # "berlubang" is found by its stem "lubang", "pasar" by itself.
        assert numbers(selectors.search_complaints(Complaint.objects.all(), "lubang")) == [
            road.tracking_number
        ]
        assert numbers(selectors.search_complaints(Complaint.objects.all(), "guru")) == [
            school.tracking_number
        ]
        user = make_officer("dinkes", tree["dinkes"])
        html = page_client(user).get(INBOX, {"q": "jalan"}).content.decode()
        assert listed(html) == [road.tracking_number]
        body = api_client(user).get(API, {"q": "jalan"}).json()
        assert [r["tracking_number"] for r in body["results"]] == [road.tracking_number]
