"""A citizen follows their report through the private link in a real Chromium, on a phone:
reads the answer, disputes it, accepts the second answer and rates it; sees a form's mistake at
the top of the page; saves the receipt's link as a file; gets a new link after losing it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from pytest_django.live_server_helper import LiveServer

from complaints import services
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintEvent, Dispute, Rating
from complaints.services import SubmissionReceipt
from routing.models import Agency
from tests.browser.conftest import PHONE_VIEWPORT
from tests.helpers import form_data, in_indonesian, route_fully

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

ANSWER = "Puskesmas Palaran sudah kami tegur; mulai Senin layanan buka sampai pukul 14.00."
REASON = "Hari Selasa kemarin puskesmas tetap tutup pukul 10 pagi. Jawaban ini tidak benar."
SECOND_ANSWER = (
    "Setelah diperiksa ulang, kepala puskesmas diganti dan jadwal layanan kini dipasang di pintu."
)
COMMENT = "Akhirnya ditangani setelah sanggahan, terima kasih."


def label(event_type: str, agency: str = "") -> str:
    with translation.override("id"):
        text = str(ComplaintEvent.Type(event_type).label)
    return text % {"agency": agency} if "%(agency)s" in text else text


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the page scrolls sideways: {width}px"


@pytest.mark.usefixtures("eager_celery")
class TestCitizenFollowsTheAnswer:
    def test_a_citizen_reads_an_answer_disputes_it_then_accepts_the_second_answer_and_rates_it(
        self,
        live_server: LiveServer,
        page: Page,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
    ) -> None:
        dinkes, samarinda = tree["dinkes"], tree["samarinda"]
        filed_at = timezone.now() - dt.timedelta(hours=3)
        receipt: SubmissionReceipt = submit(now=filed_at, incident_date=filed_at.date())
        complaint = route_fully(receipt.complaint, now=filed_at)
        assert (complaint.status, complaint.current_agency) == ("DISPOSED", dinkes)
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=dinkes, actor=None, now=filed_at
        )
        first = services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=dinkes,
            text=ANSWER,
            actor=None,
            now=filed_at + dt.timedelta(hours=1),
        )
        link = f"{live_server.url}/lacak/{complaint.tracking_number}/{receipt.access_key}/"

        # 1. The private link shows the answer and what the citizen can do with it.
        page.goto(link)
        expect(page.locator("html")).to_have_attribute("lang", "id")
        answers = page.locator(".answer")
        expect(answers).to_have_count(1)
        expect(answers.locator(".meta")).to_contain_text(dinkes.name)
        expect(answers.locator(".text")).to_have_text(ANSWER)
        for action in ("terima", "balas", "sanggah", "nilai"):
            expect(page.locator(f"form[action$='/{action}/']")).to_have_count(1)
        fits_the_phone(page)

        # 2. The answer does not settle it: the citizen objects.
        dispute = page.locator("form[action$='/sanggah/']")
        dispute.locator("#id_sanggah_reason").fill(REASON)
        dispute.locator("button[type=submit]").click()
        expect(page).to_have_url(link)
        expect(page.locator(".alert.success")).to_have_text(
            in_indonesian("Your dispute was sent to the coordinator above the agency.")
        )
        expect(page.locator(".facts .status").first).to_have_class(
            re.compile(r"\bstatus-in_progress\b")
        )
        expect(page.locator(".facts").first).to_contain_text(samarinda.name)
        expect(page.locator(".timeline")).to_contain_text(
            label(ComplaintEvent.Type.DISPUTED, samarinda.name)
        )
        for action in ("terima", "balas", "sanggah"):
            expect(page.locator(f"form[action$='/{action}/']")).to_have_count(0)

        complaint.refresh_from_db()
        assert (complaint.status, complaint.current_agency) == ("IN_PROGRESS", samarinda)
        disputed = Dispute.objects.get(complaint=complaint)
        assert (disputed.agency, disputed.response, disputed.reason) == (dinkes, first, REASON)

        # 3. Meanwhile Diskominfo Samarinda hands it back to Dinkes, which answers again.
        complaint_services.dispose_complaint(
            complaint_id=complaint.pk,
            coordinator=samarinda,
            to_agency=dinkes,
            actor=None,
            now=timezone.now(),
        )
        services.acknowledge_complaint(
            complaint_id=complaint.pk, agency=dinkes, actor=None, now=timezone.now()
        )
        second = services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=dinkes,
            text=SECOND_ANSWER,
            actor=None,
            now=timezone.now(),
        )

        # 4. The citizen comes back, reads the second answer and accepts it.
        page.reload()
        expect(answers).to_have_count(2)
        expect(answers.nth(1).locator(".text")).to_have_text(SECOND_ANSWER)
        expect(page.locator(".facts .status").first).to_have_class(
            re.compile(r"\bstatus-responded\b")
        )
        page.locator("form[action$='/terima/'] button[type=submit]").click()
        expect(page).to_have_url(link)
        expect(page.locator(".alert.success")).to_have_text(
            in_indonesian("Thank you. Your report is completed.")
        )
        status = page.locator(".facts .status").first
        expect(status).to_have_class(re.compile(r"\bstatus-completed\b"))
        with translation.override("id"):
            expect(status).to_have_text(str(Complaint.Status.COMPLETED.label))
        expect(page.locator(".timeline")).to_contain_text(label(ComplaintEvent.Type.COMPLETED))
        expect(page.locator("form[action$='/terima/']")).to_have_count(0)

        # 5. … and rates it 4, with a comment.
        rate = page.locator("form[action$='/nilai/']")
        expect(rate).to_have_count(1)
        rate.locator("input[name=score][value='4']").check()
        rate.locator("#id_nilai_comment").fill(COMMENT)
        fits_the_phone(page)
        rate.locator("button[type=submit]").click()
        expect(page).to_have_url(link)
        expect(page.locator(".alert.success")).to_have_text(
            in_indonesian("Thank you for your rating.")
        )
        expect(page.locator("form[action$='/nilai/']")).to_have_count(0)
        expect(page.locator(".timeline")).to_contain_text(label(ComplaintEvent.Type.RATED))

        # 6. In the database: completed, the second answer rated 4, the dispute counted
        # against Dinkes for its first answer.
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.COMPLETED
        assert complaint.current_agency == dinkes
        rating = Rating.objects.get(complaint=complaint)
        assert (rating.response, rating.agency, rating.score, rating.comment) == (
            second,
            dinkes,
            4,
            COMMENT,
        )
        assert Dispute.objects.filter(agency=dinkes).count() == 1
        assert Dispute.objects.filter(agency=samarinda).count() == 0
        citizen_events = list(
            complaint.events.filter(
                type__in=[
                    ComplaintEvent.Type.DISPUTED,
                    ComplaintEvent.Type.COMPLETED,
                    ComplaintEvent.Type.RATED,
                ]
            )
            .order_by("pk")
            .values_list("type", "from_status", "to_status")
        )
        assert citizen_events == [
            ("DISPUTED", "RESPONDED", "IN_PROGRESS"),
            ("COMPLETED", "RESPONDED", "COMPLETED"),
            ("RATED", "COMPLETED", "COMPLETED"),
        ]

        # 7. The public page shows the progress and the agency's answers (the report is not
        # confidential), never what the citizen wrote.
        page.goto(f"{live_server.url}/lacak/{complaint.tracking_number}/")
        body = page.locator("main").inner_text()
        for secret in (REASON, COMMENT):
            assert secret not in body
        for answer_text in (ANSWER, SECOND_ANSWER):
            assert answer_text in body
        expect(page.locator(".timeline")).to_contain_text(
            label(ComplaintEvent.Type.DISPUTED, samarinda.name)
        )


def answered_report(tree: dict[str, Agency], submit: Callable[..., Any]) -> tuple[Complaint, str]:
    """A report answered by Dinkes Samarinda three hours after it was filed, and its key."""
    dinkes = tree["dinkes"]
    filed_at = timezone.now() - dt.timedelta(hours=3)
    receipt: SubmissionReceipt = submit(now=filed_at, incident_date=filed_at.date())
    complaint = route_fully(receipt.complaint, now=filed_at)
    services.acknowledge_complaint(
        complaint_id=complaint.pk, agency=dinkes, actor=None, now=filed_at
    )
    services.respond_to_complaint(
        complaint_id=complaint.pk,
        agency=dinkes,
        text=ANSWER,
        actor=None,
        now=filed_at + dt.timedelta(hours=1),
    )
    return complaint, receipt.access_key


class TestMistakesOnAPhone:
    @pytest.mark.parametrize(
        ("action", "field", "intro"),
        [
            ("sanggah", "id_sanggah_reason", "Your dispute was not sent. Please correct this:"),
            ("nilai", "id_nilai_score_0", "Your rating was not sent. Please correct this:"),
        ],
    )
    def test_an_empty_form_shows_its_error_at_the_top_and_leads_to_the_field(
        self,
        live_server: LiveServer,
        page: Page,
        tree: dict[str, Agency],
        submit: Callable[..., Any],
        action: str,
        field: str,
        intro: str,
    ) -> None:
        complaint, key = answered_report(tree, submit)
        link = f"{live_server.url}/lacak/{complaint.tracking_number}/{key}/"
        page.goto(link)
        form = page.locator(f"form[action$='/{action}/']")
        form.locator("button[type=submit]").click()

        # The summary stands above the report, in view, and has the focus: the phone user
        # reads it first, not 3,000 px further down.
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        expect(summary.locator("h2")).to_have_text(in_indonesian(intro))
        above = page.evaluate(
            "document.querySelector('[data-error-summary]').compareDocumentPosition("
            "document.querySelector('article.report')) & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        assert above, "the summary is not above the report"
        target = page.locator(f"#{field}")
        expect(target).not_to_be_in_viewport()
        fits_the_phone(page)

        # Its link moves the focus to the field, far down the page, and brings it into view.
        summary.locator(f"a[href='#{field}']").click()
        expect(target).to_be_focused()
        expect(target).to_be_in_viewport()
        assert Dispute.objects.filter(complaint=complaint).count() == 0
        assert Rating.objects.filter(complaint=complaint).count() == 0

        # Corrected, it goes through.
        if action == "sanggah":
            target.fill(REASON)
        else:
            form.locator("input[name=score][value='3']").check()
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(link)
        expect(page.locator("[data-error-summary]")).to_have_count(0)
        expect(page.locator(".alert.success")).to_have_count(1)


@pytest.mark.usefixtures("eager_celery")
class TestTheLinkKept:
    def test_the_receipt_saves_the_link_as_a_file(
        self, live_server: LiveServer, page: Page
    ) -> None:
        client = Client()
        assert client.post("/lapor/", form_data()).status_code == 302
        page.context.add_cookies(
            [
                {
                    "name": "lapor_receipt",
                    "value": client.cookies["lapor_receipt"].value,
                    "url": live_server.url,
                }
            ]
        )
        page.goto(f"{live_server.url}/lapor/terkirim/")
        number = page.locator("#tracking-number").inner_text()
        link = page.locator("#private-link").input_value()
        with page.expect_download() as saving:
            page.get_by_role("button", name=in_indonesian("Download the link")).click()
        download = saving.value
        assert download.suggested_filename == f"lapor-{number}.txt"
        text = Path(download.path()).read_text(encoding="utf-8")
        assert number in text and link in text
        assert (
            in_indonesian(
                "Keep this file to yourself: whoever has the link can read your whole report and "
                "answer in your name."
            )
            in text
        )
        fits_the_phone(page)

    def test_a_lost_link_is_replaced_by_one_sent_by_e_mail(
        self, live_server: LiveServer, page: Page, submit: Callable[..., Any]
    ) -> None:
        filed_at = timezone.now() - dt.timedelta(days=2)
        receipt: SubmissionReceipt = submit(now=filed_at, incident_date=filed_at.date())
        complaint = receipt.complaint
        old = f"{live_server.url}/lacak/{complaint.tracking_number}/{receipt.access_key}/"
        mail.outbox.clear()

        # The citizen has only the number: the report's public page offers a new link.
        page.goto(f"{live_server.url}/lacak/{complaint.tracking_number}/")
        page.get_by_text(in_indonesian("Is this your report? Lost your private link?")).click()
        page.locator("#id_link_contact").fill("Siti@Example.id")
        fits_the_phone(page)
        page.get_by_role("button", name=in_indonesian("Send me a new link")).click()
        expect(page).to_have_url(f"{live_server.url}/lacak/")
        expect(page.locator(".alert.success")).to_contain_text(
            in_indonesian(
                "If this is the address you gave with this report, a new private link is on its "
                "way; the old one no longer works. It can take a few minutes: look in your spam "
                "folder too."
            )
        )

        (email,) = [m for m in mail.outbox if complaint.tracking_number in m.subject]
        assert email.to == ["siti@example.id"]
        found = re.search(rf"/lacak/{complaint.tracking_number}/[A-Za-z0-9_-]+/", str(email.body))
        assert found is not None
        page.goto(live_server.url + found[0])
        expect(page.locator("h1")).to_have_text(complaint.title)
        assert page.goto(old).status == 404  # type: ignore[union-attr]  # a navigation has a response
