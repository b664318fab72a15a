"""The public list of reports, support (dukungan) and the agencies' public figures."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from complaints import selectors
from complaints import services as complaint_services
from complaints.models import Complaint, Support
from complaints.services import respond_to_complaint
from routing.models import Agency, Category
from tests.helpers import NOW, in_indonesian, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = pytest.mark.usefixtures("clock")

SECRET_TITLE = "Pungutan liar rahasia di kantor kelurahan"
SECRET_TEXT = "Petugas meminta uang tambahan untuk surat keterangan domisili, rahasia sekali."


@pytest.fixture
def reports(tree: dict[str, Agency], submit: Callable[..., Any]) -> dict[str, Complaint]:
    public = route_fully(submit(title="Jalan berlubang di depan pasar pagi").complaint)
    answered = route_fully(submit(title="Puskesmas tutup di jam layanan").complaint)
    respond_to_complaint(
        complaint_id=answered.pk,
        agency=tree["dinkes"],
        text="Puskesmas sudah kami tegur dan jadwal dipatuhi.",
        actor=None,
        now=NOW + dt.timedelta(days=2),
    )
    confidential = route_fully(
        submit(title=SECRET_TITLE, description=SECRET_TEXT, is_confidential=True).complaint
    )
    archived = route_fully(
        submit(
            title="Laporan ganda yang diarsipkan", category=Category.objects.get(code="sosial")
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
        "confidential": confidential,
        "archived": archived,
    }


def listed(client: Client, query: str = "") -> str:
    response = client.get(f"/laporan/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestPublicList:
    def test_lists_public_reports_and_never_confidential_or_archived(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        html = listed(client)
        assert reports["public"].tracking_number in html
        assert reports["answered"].tracking_number in html
        for hidden in ("confidential", "archived"):
            assert reports[hidden].tracking_number not in html
        assert escape(SECRET_TITLE) not in html

    @pytest.mark.parametrize(
        "query",
        [
            "?q=rahasia",
            "?q=Pungutan",
            "?q=domisili",
            "?category=kesehatan",
            "?region=64.72",
            "?kind=COMPLAINT",
            "?status=DISPOSED",
            "?order=support",
        ],
    )
    def test_no_search_or_filter_finds_a_confidential_report(
        self, client: Client, reports: dict[str, Complaint], query: str
    ) -> None:
        html = listed(client, query)
        assert reports["confidential"].tracking_number not in html
        assert escape(SECRET_TITLE) not in html

    def test_search_and_filters(self, client: Client, reports: dict[str, Complaint]) -> None:
        html = listed(client, "?q=berlubang")
        assert reports["public"].tracking_number in html
        assert reports["answered"].tracking_number not in html
        html = listed(client, "?status=RESPONDED")
        assert reports["answered"].tracking_number in html
        assert reports["public"].tracking_number not in html
        # Archived is not a status anyone can ask the public list for.
        response = client.get("/laporan/?status=ARCHIVED")
        assert response.status_code == 200
        assert "status" in response.context["filters"].form.errors
        assert reports["archived"].tracking_number not in response.content.decode()

    def test_pages_follow_newest_first(
        self, client: Client, tree: dict[str, Agency], submit: Callable[..., Any]
    ) -> None:
        made = [
            submit(
                title=f"Laporan publik nomor {n:02d}", now=NOW + dt.timedelta(minutes=n)
            ).complaint
            for n in range(45)
        ]
        seen: list[str] = []
        url = "/laporan/"
        while url:
            response = client.get(url)
            assert response.status_code == 200
            batch = [c.tracking_number for c in response.context["items"]]
            seen += batch
            next_url = response.context["next_url"]
            url = f"/laporan/{next_url}" if next_url else ""
        assert seen == [c.tracking_number for c in reversed(made)]
        # Most supported first: equal counts (all 0) fall back to the id, over the same pages.
        Complaint.objects.filter(pk=made[3].pk).update(support_count=5)
        seen = []
        url = "/laporan/?order=support"
        while url:
            response = client.get(url)
            seen += [c.tracking_number for c in response.context["items"]]
            url = f"/laporan/{response.context['next_url']}" if response.context["next_url"] else ""
        expected = [made[3]] + [c for c in reversed(made) if c.pk != made[3].pk]
        assert seen == [c.tracking_number for c in expected]

    def test_public_page_shows_the_answer_not_for_a_confidential_report(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        html = client.get(f"/lacak/{reports['answered'].tracking_number}/").content.decode()
        assert "Puskesmas sudah kami tegur dan jadwal dipatuhi." in html
        html = client.get(f"/lacak/{reports['confidential'].tracking_number}/").content.decode()
        assert escape(SECRET_TITLE) not in html and escape(SECRET_TEXT) not in html
        assert "dukung" not in html


@pytest.mark.django_db
class TestSupport:
    def test_once_per_browser_and_once_per_address(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        number = reports["public"].tracking_number
        assert client.post(f"/laporan/{number}/dukung/").status_code == 302
        assert client.post(f"/laporan/{number}/dukung/").status_code == 302
        complaint = Complaint.objects.get(pk=reports["public"].pk)
        assert complaint.support_count == 1
        assert Support.objects.filter(complaint=complaint).count() == 1
        # Dropping the cookie does not count again from the same address...
        assert Client().post(f"/laporan/{number}/dukung/").status_code == 302
        assert Complaint.objects.get(pk=complaint.pk).support_count == 1
        # ...nor does the same browser from another address (its cookie is known).
        moved = Client(REMOTE_ADDR="198.51.100.20")
        moved.cookies = client.cookies
        assert moved.post(f"/laporan/{number}/dukung/").status_code == 302
        assert Complaint.objects.get(pk=complaint.pk).support_count == 1
        # Another browser at another address counts.
        assert (
            Client(REMOTE_ADDR="198.51.100.21").post(f"/laporan/{number}/dukung/").status_code
            == 302
        )
        assert Complaint.objects.get(pk=complaint.pk).support_count == 2
        html = listed(client, "?order=support")
        assert html.index(number) < html.index(reports["answered"].tracking_number)

    def test_confidential_and_archived_cannot_be_supported(
        self, client: Client, reports: dict[str, Complaint]
    ) -> None:
        for hidden in ("confidential", "archived"):
            client.post(f"/laporan/{reports[hidden].tracking_number}/dukung/")
            assert Complaint.objects.get(pk=reports[hidden].pk).support_count == 0
        assert not Support.objects.exists()

    def test_limited_per_address(self, reports: dict[str, Complaint], settings: Any) -> None:
        settings.LAPOR_SUPPORT_RATE = "2/h"
        number = reports["public"].tracking_number
        answers = [Client().post(f"/laporan/{number}/dukung/").status_code for _ in range(3)]
        assert answers == [302, 302, 429]
        # one address, one support, however many browsers it drops
        assert Complaint.objects.get(pk=reports["public"].pk).support_count == 1

    def test_unknown_report_and_get(self, client: Client, reports: dict[str, Complaint]) -> None:
        assert client.post("/laporan/ZZZZ-ZZZZ-ZZZZ/dukung/").status_code == 404
        assert (
            client.get(f"/laporan/{reports['public'].tracking_number}/dukung/").status_code == 405
        )


@pytest.mark.django_db
class TestAgencyPage:
    def test_figures_leave_confidential_reports_out(
        self, client: Client, reports: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        figures = selectors.agency_figures(tree["dinkes"], now=NOW + dt.timedelta(days=10))
        # Handed to Dinkes: the public, the answered and the confidential report; counted: two.
        assert figures.received == 2
        assert figures.answered == 1
        assert figures.median_days_to_answer == pytest.approx(2.0, abs=0.01)
        response = client.get(f"/instansi/{tree['dinkes'].code}/")
        assert response.status_code == 200
        assert "Dinkes Samarinda" in response.content.decode()
        assert client.get("/instansi/tidak-ada/").status_code == 404

    def test_lists_its_recent_public_reports_and_never_a_confidential_one(
        self, client: Client, reports: dict[str, Complaint], tree: dict[str, Agency]
    ) -> None:
        # Answered by Dinkes, then disputed: held by Samarinda's coordinator, still on the
        # page of the agency that answered it.
        complaint_services.dispute_answer(
            complaint_id=reports["answered"].pk,
            reason="Puskesmas tetap tutup pukul sepuluh pagi.",
            now=NOW + dt.timedelta(days=3),
        )
        dinkes = client.get(f"/instansi/{tree['dinkes'].code}/").content.decode()
        section = dinkes.split('class="card agency-reports"', 1)[1].split("</section>", 1)[0]
        for name in ("public", "answered"):
            number = reports[name].tracking_number
            assert f'href="/lacak/{number}/"' in section
            assert escape(reports[name].title) in section
        samarinda = client.get(f"/instansi/{tree['samarinda'].code}/").content.decode()
        assert f'href="/lacak/{reports["answered"].tracking_number}/"' in samarinda
        assert f'href="/lacak/{reports["public"].tracking_number}/"' not in samarinda
        for code in ("dinkes", "samarinda", "kaltim", "national", "rsud"):
            html = client.get(f"/instansi/{tree[code].code}/").content.decode()
            for name in ("confidential", "archived"):
                assert reports[name].tracking_number not in html
            assert SECRET_TITLE not in html
        assert [c.tracking_number for c in selectors.agency_recent_reports(tree["dinkes"])] == [
            reports["answered"].tracking_number,
            reports["public"].tracking_number,
        ]

    def test_lists_the_newest_ten_in_few_queries(
        self, client: Client, tree: dict[str, Agency], django_assert_max_num_queries: Any
    ) -> None:
        from tests.dashboard.test_inbox import ComplaintFactory

        def held(day: int) -> Complaint:
            return ComplaintFactory(
                current_agency=tree["rsud"],
                submitted_at=NOW - dt.timedelta(days=day),
                title=f"Antrean panjang di RSUD hari ke-{day:02d}",
            )

        held(1)
        url = f"/instansi/{tree['rsud'].code}/"
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        newest_first = [held(day) for day in range(2, 14)]
        with django_assert_max_num_queries(len(one)):
            html = client.get(url).content.decode()
        shown = re.findall(r'href="/lacak/([A-Z0-9-]+)/"', html)
        assert (
            shown
            == [
                c.tracking_number
                for c in [Complaint.objects.get(title__endswith="ke-01"), *newest_first]
            ][:10]
        )

    def test_shows_how_to_reach_it(self, client: Client, tree: dict[str, Agency]) -> None:
        dinkes = tree["dinkes"]
        bare = client.get(f"/instansi/{dinkes.code}/").content.decode()
        assert f"<dt>{in_indonesian('Address')}</dt>" not in bare
        assert f"<dt>{in_indonesian('Website')}</dt>" not in bare
        assert "mailto:" not in bare
        dinkes.email = "dinkes@samarindakota.go.id"
        dinkes.address = "Jl. Milono No. 1, Samarinda"
        dinkes.phone = "(0541) 123 456"
        dinkes.website = "https://dinkes.samarindakota.go.id/"
        dinkes.save(update_fields=["email", "address", "phone", "website"])
        html = client.get(f"/instansi/{dinkes.code}/").content.decode()
        contact = html.split('class="card agency-contact"', 1)[1].split("</section>", 1)[0]
        assert 'href="mailto:dinkes@samarindakota.go.id"' in contact
        assert "Jl. Milono No. 1, Samarinda" in contact
        assert 'href="tel:(0541)123456"' in contact
        assert 'href="https://dinkes.samarindakota.go.id/"' in contact
        assert "Kota Samarinda" in contact
        assert f'href="/instansi/{tree["samarinda"].code}/"' in contact
