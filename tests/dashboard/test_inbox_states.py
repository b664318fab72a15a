"""What the staff see of a report's state: inbox deadlines that are the holder's own (a report
waiting for the reporter comes after the ones the agency must act on, across keyset pages), a
disputed report shown and counted as such, each status page showing only what applies to it,
the transfer form's suggestions near the report, and the busy state of the action forms."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints import selectors, services
from complaints.models import Complaint
from complaints.selectors import Scope
from routing.models import Agency
from tests.dashboard.test_inbox import (
    API,
    INBOX,
    ComplaintFactory,
    api_client,
    link,
    listed,
    make_officer,
    page_client,
)
from tests.helpers import NOW, in_indonesian, route_fully

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Submit = Callable[..., Any]
ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
REASON = "Puskesmas masih tutup pukul 10 pagi, jawaban ini tidak sesuai kenyataan."
# The clock of these tests runs from NOW + 14 days (``clock``): a deadline at NOW + 1 day has
# passed, one at NOW + 30 days has not.
PASSED = NOW + dt.timedelta(days=1)
AHEAD = NOW + dt.timedelta(days=30)


def staff_page(client: Client, complaint: Complaint) -> str:
    response = client.get(f"/dashboard/complaints/{complaint.tracking_number}/")
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, complaint: Complaint) -> str:
    """The inbox table's row of ``complaint``."""
    found = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*?/dashboard/complaints/{complaint.tracking_number}/.*?</tr>",
        html,
        re.S,
    )
    assert found, f"{complaint.tracking_number} is not in the table"
    return found.group(0)


def counts_on(html: str) -> dict[str, int]:
    """The inbox's counts, by their words."""
    block = html.split('<ul class="counts"', 1)[1].split("</ul>", 1)[0]
    return {
        label.strip(): int(n) for n, label in re.findall(r"<strong>(\d+)</strong>([^<]+)<", block)
    }


def expected_order(reports: list[Complaint]) -> list[str]:
    """The holder's own deadlines first, then the reports waiting for someone else, each by
    deadline then id (statuses read afresh)."""
    fresh = Complaint.objects.filter(pk__in=[r.pk for r in reports])
    acting = {"AWAITING_VERIFICATION", "DISPOSED", "IN_PROGRESS"}
    return [
        r.tracking_number
        for r in sorted(fresh, key=lambda r: (r.status not in acting, r.due_at, r.pk))
    ]


# --- the order of the inbox -----------------------------------------------------------------------


@pytest.fixture
def dinkes_inbox(tree: dict[str, Agency]) -> list[Complaint]:
    """55 reports held by Dinkes: 40 to act on (deadlines from NOW + 1 day, three hours
    apart, two on each) and 15 answered ones whose reply windows all end before the first of
    those deadlines, created mixed so that ids follow neither."""
    held = {"current_agency": tree["dinkes"]}
    reports: list[Complaint] = []
    for i in range(55):
        if i % 11 < 3:  # 15 of them
            reports.append(
                ComplaintFactory(status="RESPONDED", due_at=NOW - dt.timedelta(hours=i + 1), **held)
            )
        else:
            status = "DISPOSED" if i % 2 else "IN_PROGRESS"
            due = PASSED + dt.timedelta(hours=3 * ((i * 7) % 20))
            reports.append(ComplaintFactory(status=status, due_at=due, **held))
    assert sum(r.status == "RESPONDED" for r in reports) == 15
    return reports


def walk(reports: Any, size: int) -> tuple[list[list[str]], list[list[str]]]:
    """Every keyset page going forward, then every page going back from the last one."""
    forward: list[list[str]] = []
    page = selectors.keyset_page(reports, size=size)
    while True:
        forward.append([c.tracking_number for c in page.items])
        assert len(forward) <= 60, "the walk went round in a circle"
        if page.next_cursor is None:
            break
        page = selectors.keyset_page(reports, after=page.next_cursor, size=size)
    backward = [[c.tracking_number for c in page.items]]
    while page.previous_cursor is not None:
        page = selectors.keyset_page(reports, before=page.previous_cursor, size=size)
        backward.append([c.tracking_number for c in page.items])
        assert len(backward) <= 60, "the walk went round in a circle"
    return forward, backward


class TestTheHoldersOwnDeadlinesFirst:
    @pytest.mark.parametrize("size", [1, 7, 39, 40, 41, 54, 55, 56])
    def test_answered_reports_come_after_those_to_act_on_across_page_boundaries(
        self, dinkes_inbox: list[Complaint], tree: dict[str, Agency], size: int
    ) -> None:
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        forward, backward = walk(reports, size)
        seen = [n for page in forward for n in page]
        assert seen == expected_order(dinkes_inbox)
        assert len(set(seen)) == 55
        assert backward == forward[::-1]

    def test_the_cursor_carries_the_group(
        self, dinkes_inbox: list[Complaint], tree: dict[str, Agency]
    ) -> None:
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        acting_page = selectors.keyset_page(reports, size=10)
        assert acting_page.next_cursor is not None and acting_page.next_cursor.startswith("0.")
        waiting_page = selectors.keyset_page(reports, size=45)
        assert waiting_page.next_cursor is not None and waiting_page.next_cursor.startswith("1.")
        following = selectors.keyset_page(reports, after=waiting_page.next_cursor, size=45)
        assert {c.status for c in following.items} == {"RESPONDED"}
        # A cursor of the older kind (deadline and id alone) is not read: the first page.
        last = acting_page.items[-1]
        old = base64.urlsafe_b64encode(f"{last.due_at.isoformat()}|{last.pk}".encode()).decode()
        again = selectors.keyset_page(reports, after=old, size=10)
        assert again.items == acting_page.items
        for garbled in ("9." + acting_page.next_cursor[2:], "x.abc", "0.", "."):
            assert selectors.keyset_page(reports, after=garbled, size=10).items == acting_page.items

    @pytest.mark.parametrize("group", ["²", "١", "٠", "9" * 5000, "01", " 1", "-0", "+1"])
    def test_a_forged_group_gives_the_first_page_not_a_500(
        self, dinkes_inbox: list[Complaint], tree: dict[str, Agency], group: str
    ) -> None:
        """Digits ``str.isdigit`` admits and ``int`` refuses (a superscript, more than 4,300 of
        them) or reads (Arabic-Indic), signs and spaces: no group ``_encode_cursor`` writes."""
        reports = selectors.inbox_queryset(tree["dinkes"], Scope.HELD)
        first = selectors.keyset_page(reports, size=25)
        assert first.next_cursor is not None
        forged = group + first.next_cursor[1:]
        officer = make_officer("dinkes", tree["dinkes"])
        for key in ("after", "before"):
            response = page_client(officer).get(INBOX, {key: forged})
            assert response.status_code == 200
            assert listed(response.content.decode()) == [c.tracking_number for c in first.items]
            body = api_client(officer).get(API, {key: forged}).json()
            assert [r["tracking_number"] for r in body["results"]][:25] == listed(
                response.content.decode()
            )

    def test_through_the_page(self, dinkes_inbox: list[Complaint], tree: dict[str, Agency]) -> None:
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        html = client.get(INBOX).content.decode()
        pages = [listed(html)]
        while (after := link(html, "next")) is not None:
            html = client.get(INBOX + after).content.decode()
            pages.append(listed(html))
            assert len(pages) <= 4, pages
        assert [len(p) for p in pages] == [25, 25, 5]
        assert [n for p in pages for n in p] == expected_order(dinkes_inbox)
        back = [listed(html)]
        while (before := link(html, "prev")) is not None:
            html = client.get(INBOX + before).content.decode()
            back.append(listed(html))
            assert len(back) <= 4, back
        assert back == pages[::-1]

    def test_through_the_api(self, dinkes_inbox: list[Complaint], tree: dict[str, Agency]) -> None:
        client = api_client(make_officer("dinkes", tree["dinkes"]))
        body = client.get(API).json()
        pages = [[r["tracking_number"] for r in body["results"]]]
        assert [r["awaiting_reporter"] for r in body["results"]][-10:] == [True] * 10
        while body["next"]:
            body = client.get(body["next"]).json()
            pages.append([r["tracking_number"] for r in body["results"]])
            assert len(pages) <= 3, pages
        assert [len(p) for p in pages] == [50, 5]
        assert [n for p in pages for n in p] == expected_order(dinkes_inbox)
        back = client.get(body["previous"]).json()
        assert [r["tracking_number"] for r in back["results"]] == pages[0]

    def test_an_answered_row_says_whom_it_waits_for_and_is_never_late(
        self, tree: dict[str, Agency]
    ) -> None:
        held = {"current_agency": tree["dinkes"]}
        late = ComplaintFactory(status="IN_PROGRESS", due_at=PASSED, **held)
        waiting = ComplaintFactory(status="RESPONDED", due_at=NOW, **held)
        html = page_client(make_officer("dinkes", tree["dinkes"])).get(INBOX).content.decode()
        assert listed(html) == [late.tracking_number, waiting.tracking_number]
        assert 'class="overdue-flag"' in row_of(html, late)
        row = row_of(html, waiting)
        assert in_indonesian("waiting for the citizen until") in row
        assert "overdue-flag" not in row and 'class="overdue"' not in row
        body = api_client(make_officer("dinkes-api", tree["dinkes"])).get(API).json()
        assert [(r["awaiting_reporter"], r["overdue"]) for r in body["results"]] == [
            (False, True),
            (True, False),
        ]

    def test_the_coordinators_queue_too(self, tree: dict[str, Agency]) -> None:
        """A coordinator's queue: reports to verify first, then the disputed report it answered
        itself (the reporter's window) and one passing through routing."""
        held = {"current_agency": tree["samarinda"]}
        verify = ComplaintFactory(status="AWAITING_VERIFICATION", due_at=AHEAD, **held)
        answered = ComplaintFactory(status="RESPONDED", due_at=NOW, **held)
        routing = ComplaintFactory(status="SUBMITTED", due_at=PASSED, **held)
        html = page_client(make_officer("smd", tree["samarinda"])).get(INBOX).content.decode()
        assert listed(html) == [
            verify.tracking_number,
            answered.tracking_number,
            routing.tracking_number,
        ]
        assert in_indonesian("waiting for the citizen until") in row_of(html, answered)
        assert in_indonesian("being routed") in row_of(html, routing)
        assert "overdue-flag" not in row_of(html, routing)


# --- disputed reports -----------------------------------------------------------------------------


@pytest.fixture
def disputed(submit: Submit, tree: dict[str, Agency]) -> Complaint:
    """Routed to Dinkes Samarinda, answered by it, disputed by the reporter: IN_PROGRESS with
    Diskominfo Samarinda."""
    complaint = route_fully(submit().complaint)
    services.respond_to_complaint(
        complaint_id=complaint.pk, agency=tree["dinkes"], text=ANSWER, actor=None, now=PASSED
    )
    services.dispute_answer(complaint_id=complaint.pk, reason=REASON, now=PASSED)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.current_agency) == ("IN_PROGRESS", tree["samarinda"])
    return complaint


def is_disputed(complaint: Complaint) -> bool:
    flagged = Complaint.objects.with_dispute_flag().get(pk=complaint.pk).is_disputed  # type: ignore[attr-defined]  # the annotation
    listed_as = Complaint.objects.disputed().filter(pk=complaint.pk).exists()
    assert flagged == listed_as
    return bool(flagged)


class TestDisputed:
    def test_is_told_from_a_report_in_progress(
        self, disputed: Complaint, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        handled = route_fully(submit().complaint)
        services.acknowledge_complaint(
            complaint_id=handled.pk, agency=tree["dinkes"], actor=None, now=PASSED
        )
        assert Complaint.objects.get(pk=handled.pk).status == "IN_PROGRESS"
        assert is_disputed(disputed)
        assert not is_disputed(handled)
        assert list(Complaint.objects.disputed()) == [disputed]

    def test_in_the_coordinators_inbox_rows_and_counts(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        label = in_indonesian("disputed by the reporter")
        client = page_client(make_officer("smd", tree["samarinda"]))
        for scope in ("held", "subtree"):
            html = client.get(INBOX, {"scope": scope}).content.decode()
            assert label in row_of(html, disputed)
            assert counts_on(html)[label] == 1
        held = selectors.inbox_queryset(tree["samarinda"], Scope.HELD)
        assert selectors.inbox_counts(held, NOW)["disputed"] == 1
        kaltim = page_client(make_officer("kaltim", tree["kaltim"]))
        assert counts_on(kaltim.get(INBOX, {"scope": "subtree"}).content.decode())[label] == 1
        assert counts_on(kaltim.get(INBOX).content.decode())[label] == 0
        # An OPD has no such count: a disputed report is never its to act on.
        opd = page_client(make_officer("dinkes", tree["dinkes"]))
        history = opd.get(INBOX, {"scope": "history"}).content.decode()
        assert label not in counts_on(history)
        assert label in row_of(history, disputed)

    def test_the_count_links_to_a_list_of_the_disputed_ones(
        self, disputed: Complaint, submit: Submit, tree: dict[str, Agency]
    ) -> None:
        other = route_fully(submit().complaint)  # in the same coordinator's subtree, not disputed
        officer = make_officer("kaltim", tree["kaltim"])
        kaltim = page_client(officer)
        html = kaltim.get(INBOX, {"scope": "subtree"}).content.decode()
        assert 'href="?scope=subtree&amp;disputed=on"' in html
        listed = kaltim.get(INBOX, {"scope": "subtree", "disputed": "on"}).content.decode()
        assert disputed.tracking_number in listed
        assert other.tracking_number not in listed
        assert in_indonesian("disputed by the reporter") in listed.split("<table", 1)[0]
        body = api_client(officer).get(API, {"scope": "subtree", "disputed": "true"})
        assert [r["tracking_number"] for r in body.json()["results"]] == [disputed.tracking_number]

    def test_on_the_report_page_with_the_reason(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        html = staff_page(page_client(make_officer("smd", tree["samarinda"])), disputed)
        assert in_indonesian("Disputed by the reporter") in html
        assert REASON in html
        assert "Dinkes Samarinda" in html.split('class="dispute"', 1)[1].split("</section>")[0]
        # The coordinator may answer it itself, hand it down or pass it up.
        for action in ("answer", "dispose", "pass-up"):
            assert f"/dashboard/complaints/{disputed.tracking_number}/{action}/" in html

    def test_in_the_staff_api(self, disputed: Complaint, tree: dict[str, Agency]) -> None:
        client = api_client(make_officer("smd", tree["samarinda"]))
        body = client.get(API).json()
        assert body["counts"]["disputed"] == 1
        (item,) = [r for r in body["results"] if r["tracking_number"] == disputed.tracking_number]
        assert item["is_disputed"] is True
        detail = client.get(f"{API}{disputed.tracking_number}/").json()
        assert detail["is_disputed"] is True
        assert detail["dispute"]["reason"] == REASON
        assert detail["dispute"]["agency"]["code"] == "dinkes-smd"

    def test_on_the_public_page(self, disputed: Complaint) -> None:
        html = Client().get(f"/lacak/{disputed.tracking_number}/").content.decode()
        assert in_indonesian("disputed by the reporter") in html

    def test_stays_disputed_through_an_interim_reply_and_a_note(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.respond_to_complaint(
            complaint_id=disputed.pk,
            agency=tree["samarinda"],
            text="Kami sedang memeriksa kembali ke puskesmas bersama dinas.",
            actor=None,
            now=PASSED,
            final=False,
        )
        services.add_internal_note(
            complaint_id=disputed.pk,
            agency=tree["samarinda"],
            text="Cek CCTV.",
            actor=None,
            now=PASSED,
        )
        assert is_disputed(disputed)

    def test_answered_by_the_coordinator_then_disputed_again(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.respond_to_complaint(
            complaint_id=disputed.pk,
            agency=tree["samarinda"],
            text="Kami sudah memeriksa langsung: jam layanan kini sesuai jadwal.",
            actor=None,
            now=PASSED,
        )
        assert not is_disputed(disputed)
        again = "Saya datang lagi hari ini dan puskesmas tetap tutup pukul sepuluh."
        services.dispute_answer(complaint_id=disputed.pk, reason=again, now=PASSED)
        disputed.refresh_from_db()
        assert disputed.current_agency == tree["kaltim"]
        assert is_disputed(disputed)
        samarinda = page_client(make_officer("smd", tree["samarinda"]))
        label = in_indonesian("disputed by the reporter")
        assert counts_on(samarinda.get(INBOX).content.decode())[label] == 0
        html = staff_page(page_client(make_officer("kaltim", tree["kaltim"])), disputed)
        # The newest dispute, of the coordinator's answer.
        section = html.split('class="dispute"', 1)[1].split("</section>")[0]
        assert again in section and REASON not in section
        assert "Diskominfo Samarinda" in section

    def test_a_reply_to_the_coordinators_answer_keeps_it_disputed(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        """The reporter still does not accept it, and it is back with the coordinator it was
        disputed to."""
        services.respond_to_complaint(
            complaint_id=disputed.pk,
            agency=tree["samarinda"],
            text="Kami sudah memeriksa langsung: jam layanan kini sesuai jadwal.",
            actor=None,
            now=PASSED,
        )
        services.reply_to_answer(
            complaint_id=disputed.pk, text="Kapan tepatnya diperiksa? Saya ingin tahu.", now=PASSED
        )
        assert is_disputed(disputed)

    def test_disposed_down_it_is_no_longer_disputed(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.dispose_complaint(
            complaint_id=disputed.pk,
            coordinator=tree["samarinda"],
            to_agency=tree["rsud"],
            actor=None,
            now=PASSED,
        )
        assert not is_disputed(disputed)
        html = page_client(make_officer("rsud", tree["rsud"])).get(INBOX).content.decode()
        assert in_indonesian("disputed by the reporter") not in row_of(html, disputed)
        page = staff_page(page_client(make_officer("rsud2", tree["rsud"])), disputed)
        assert 'class="dispute"' not in page

    def test_passed_up_it_is_no_longer_disputed(
        self, disputed: Complaint, tree: dict[str, Agency]
    ) -> None:
        services.pass_up_complaint(
            complaint_id=disputed.pk,
            coordinator=tree["samarinda"],
            reason="Perlu keputusan provinsi.",
            actor=None,
            now=PASSED,
        )
        assert not is_disputed(disputed)


# --- each status shows what applies to it ---------------------------------------------------------

# status → (a deadline of the holder's, the reporter's window, may be overdue)
STATUS_ROWS = {
    "SUBMITTED": (True, False, False),
    "AWAITING_VERIFICATION": (True, False, True),
    "DISPOSED": (True, False, True),
    "IN_PROGRESS": (True, False, True),
    "RESPONDED": (False, True, False),
    "COMPLETED": (False, False, False),
    "ARCHIVED": (False, False, False),
}


class TestEachStatusShowsWhatApplies:
    @pytest.mark.parametrize("status", list(STATUS_ROWS))
    def test_the_staff_page(self, tree: dict[str, Agency], status: str) -> None:
        deadline, window, overdue = STATUS_ROWS[status]
        report = ComplaintFactory(status=status, due_at=PASSED, current_agency=tree["dinkes"])
        html = staff_page(page_client(make_officer("nasional", tree["national"])), report)
        facts = html.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
        assert (f"<dt>{in_indonesian('Deadline')}</dt>" in facts) == deadline
        assert (f"<dt>{in_indonesian('Waiting for the citizen')}</dt>" in facts) == window
        assert ('class="overdue-flag"' in facts) == overdue

    @pytest.mark.parametrize("status", list(STATUS_ROWS))
    def test_the_public_page(self, tree: dict[str, Agency], status: str) -> None:
        deadline, window, _overdue = STATUS_ROWS[status]
        report = ComplaintFactory(status=status, due_at=AHEAD, current_agency=tree["dinkes"])
        html = Client().get(f"/lacak/{report.tracking_number}/").content.decode()
        facts = html.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
        assert (in_indonesian("Next deadline") in facts) == deadline
        assert (in_indonesian("Waiting for the reporter's reaction") in facts) == window
        assert (in_indonesian("Where it is") in facts) == (status not in ("COMPLETED", "ARCHIVED"))
        # A confidential report shows its dates alone, by the same rule.
        secret = ComplaintFactory(
            status=status, due_at=AHEAD, current_agency=tree["dinkes"], is_confidential=True
        )
        html = Client().get(f"/lacak/{secret.tracking_number}/").content.decode()
        assert (in_indonesian("Next deadline") in html) == deadline
        assert (in_indonesian("Waiting for the reporter's reaction") in html) == window

    @pytest.mark.parametrize("status", ["COMPLETED", "ARCHIVED", "RESPONDED"])
    def test_no_action_of_the_agency_on_a_report_it_no_longer_acts_on(
        self, tree: dict[str, Agency], status: str
    ) -> None:
        report = ComplaintFactory(status=status, due_at=PASSED, current_agency=tree["dinkes"])
        html = staff_page(page_client(make_officer("dinkes", tree["dinkes"])), report)
        for action in ("acknowledge", "answer", "interim", "transfer", "extend", "inspection"):
            assert f"/{report.tracking_number}/{action}/" not in html
        # A note is always possible.
        assert f"/{report.tracking_number}/note/" in html


# --- the transfer form's suggestions ---------------------------------------------------------------


class _Select(HTMLParser):
    """The options of one ``<select>``, in groups (``None``: outside any ``<optgroup>``)."""

    def __init__(self, select_id: str) -> None:
        super().__init__()
        self.select_id = select_id
        self.inside = False
        self.groups: list[tuple[str | None, list[str]]] = [(None, [])]
        self.option: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "select" and named.get("id") == self.select_id:
            self.inside = True
        elif self.inside and tag == "optgroup":
            self.groups.append((named.get("label"), []))
        elif self.inside and tag == "option":
            self.option = [named.get("value") or "", ""]

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self.option is not None:
            if self.option[0]:
                self.groups[-1][1].append(self.option[1].strip())
            self.option = None
        elif tag == "optgroup":
            self.groups.append((None, []))
        elif tag == "select":
            self.inside = False


def options(html: str, select_id: str) -> list[tuple[str | None, list[str]]]:
    parser = _Select(select_id)
    parser.feed(html)
    return [(label, names) for label, names in parser.groups if names]


@pytest.fixture
def near(tree: dict[str, Agency]) -> dict[str, Agency]:
    """More agencies around the tree: in Samarinda (one in a district, one entered without a
    region, one inactive), in Balikpapan, and in DKI Jakarta."""
    smd, kaltim, national = tree["samarinda"], tree["kaltim"], tree["national"]

    def agency(code: str, name: str, level: str, region: str | None, parent: Agency) -> Agency:
        return Agency.objects.create(
            code=code, name=name, level=level, region_id=region, parent=parent
        )

    balikpapan = agency("bpp", "Diskominfo Kota Balikpapan", "REGENCY", "64.71", kaltim)
    jakarta = agency(
        "dki", "Diskominfo Provinsi Daerah Khusus Ibukota Jakarta", "PROVINCE", "31", national
    )
    inactive = agency("lama-smd", "Dinas Lama Kota Samarinda", "OPD", "64.72", smd)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "disdik-smd": agency("disdik-smd", "Dinas Pendidikan Kota Samarinda", "OPD", "64.72", smd),
        "puskesmas": agency("pkm-palaran", "Puskesmas Palaran", "OPD", "64.72.01", smd),
        "satpol": agency("satpol-smd", "Satpol PP Kota Samarinda", "OPD", None, smd),
        "balikpapan": balikpapan,
        "disdik-bpp": agency(
            "disdik-bpp", "Dinas Pendidikan Kota Balikpapan", "OPD", "64.71", balikpapan
        ),
        "jakarta": jakarta,
        "dki-opd": agency(
            "dishub-dki", "Dinas Perhubungan Provinsi DKI Jakarta", "OPD", "31", jakarta
        ),
        "inactive": inactive,
    }


class TestTransferSuggestions:
    def test_near_the_report_first_in_groups_with_readable_labels(
        self, tree: dict[str, Agency], near: dict[str, Agency]
    ) -> None:
        report = ComplaintFactory(status="DISPOSED", due_at=AHEAD, current_agency=tree["dinkes"])
        assert report.region.code == "64.72.01"  # Palaran, in Kota Samarinda
        html = staff_page(page_client(make_officer("dinkes", tree["dinkes"])), report)
        coordinator = in_indonesian("%(agency)s (coordinator)")
        assert options(html, "id_transfer_suggested_agency") == [
            (
                in_indonesian("In %(place)s", place="Kota Samarinda"),
                [
                    "Dinas Pendidikan — Kota Samarinda",
                    "Puskesmas Palaran — "
                    + in_indonesian(
                        "%(district)s district, %(regency)s",
                        district="Palaran",
                        regency="Kota Samarinda",
                    ),
                    "RSUD Samarinda — Kota Samarinda",
                    "Satpol PP — Kota Samarinda",
                    coordinator % {"agency": "Diskominfo Samarinda — Kota Samarinda"},
                ],
            ),
            (
                in_indonesian("In %(place)s", place="Kalimantan Timur"),
                [
                    "Disdik Kaltim — "
                    + in_indonesian("%(name)s Province", name="Kalimantan Timur"),
                    coordinator % {"agency": "Diskominfo — Kota Balikpapan"},
                    coordinator
                    % {
                        "agency": "Diskominfo Kaltim — "
                        + in_indonesian("%(name)s Province", name="Kalimantan Timur")
                    },
                ],
            ),
            (
                in_indonesian("Elsewhere: the coordinators who pass it on"),
                [
                    coordinator
                    % {
                        "agency": "Diskominfo — "
                        + in_indonesian("%(name)s Province", name="Daerah Khusus Ibukota Jakarta")
                    },
                    coordinator % {"agency": "Nasional"},
                ],
            ),
        ]
        assert "(OPD)" not in html

    def test_a_suggestion_from_the_list_is_sent_to_the_coordinator(
        self, tree: dict[str, Agency], near: dict[str, Agency]
    ) -> None:
        report = ComplaintFactory(status="DISPOSED", due_at=AHEAD, current_agency=tree["dinkes"])
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        response = client.post(
            f"/dashboard/complaints/{report.tracking_number}/transfer/",
            {
                "version": report.version,
                "reason": "Ini urusan Satpol PP, bukan dinas kesehatan.",
                "suggested_agency": near["satpol"].pk,
            },
        )
        assert response.status_code == 302
        transfer = report.transfer_requests.get()
        assert transfer.suggested_agency == near["satpol"]

    def test_a_form_with_an_error_still_offers_them_near_the_report(
        self, tree: dict[str, Agency], near: dict[str, Agency]
    ) -> None:
        report = ComplaintFactory(status="DISPOSED", due_at=AHEAD, current_agency=tree["dinkes"])
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        response = client.post(
            f"/dashboard/complaints/{report.tracking_number}/transfer/",
            {"version": report.version, "reason": "", "suggested_agency": near["puskesmas"].pk},
        )
        assert response.status_code == 400
        html = response.content.decode()
        groups = options(html, "id_transfer_suggested_agency")
        assert next(label for label, _names in groups) == in_indonesian(
            "In %(place)s", place="Kota Samarinda"
        )
        assert re.search(rf'<option value="{near["puskesmas"].pk}" selected>', html)
        assert "data-error-summary" in html
        assert not report.transfer_requests.exists()

    def test_the_dispose_form_has_the_same_labels(
        self, tree: dict[str, Agency], near: dict[str, Agency]
    ) -> None:
        report = ComplaintFactory(
            status="AWAITING_VERIFICATION", due_at=AHEAD, current_agency=tree["samarinda"]
        )
        html = staff_page(page_client(make_officer("smd", tree["samarinda"])), report)
        (names,) = [names for _label, names in options(html, "id_dispose_to_agency")]
        assert "Dinas Pendidikan — Kota Samarinda" in names
        assert "Satpol PP — Kota Samarinda" in names
        assert "(OPD)" not in " ".join(names)

    def test_the_queries_do_not_grow_with_the_agencies(
        self,
        tree: dict[str, Agency],
        near: dict[str, Agency],
        django_assert_max_num_queries: Any,
    ) -> None:
        report = ComplaintFactory(status="DISPOSED", due_at=AHEAD, current_agency=tree["dinkes"])
        client = page_client(make_officer("dinkes", tree["dinkes"]))
        staff_page(client, report)  # warm: sessions, cached agencies
        with CaptureQueriesContext(connection) as few:
            staff_page(client, report)
        smd, bpp = tree["samarinda"], near["balikpapan"]
        for i in range(20):
            Agency.objects.create(
                code=f"opd-{i}",
                name=f"UPT {i} Kota Samarinda",
                level="OPD",
                region_id="64.72.02" if i % 2 else None,
                parent=smd,
            )
            Agency.objects.create(
                code=f"opd-bpp-{i}", name=f"UPT {i}", level="OPD", region_id="64.71", parent=bpp
            )
        with django_assert_max_num_queries(len(few)):
            html = staff_page(client, report)
        assert "UPT 19" in html


# --- busy state -------------------------------------------------------------------------------------


def test_every_action_form_says_it_is_busy_while_it_is_sent(tree: dict[str, Agency]) -> None:
    report = ComplaintFactory(status="DISPOSED", due_at=AHEAD, current_agency=tree["dinkes"])
    html = staff_page(page_client(make_officer("dinkes", tree["dinkes"])), report)
    forms = re.findall(r'<form method="post" action="/dashboard/complaints/[^"]+"[^>]*>', html)
    assert len(forms) >= 4  # acknowledge, answer, transfer, note
    for form in forms:
        assert " data-busy " in form or " data-busy>" in form, form
        assert f'data-busy-text="{in_indonesian("Sending…")}"' in form, form
