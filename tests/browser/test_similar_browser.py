"""On a phone, a citizen writing a report is shown an open report of the same problem and
supports it instead of filing (static/js/similar.js, /api/v1/complaints/similar/)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from complaints.models import Complaint
from routing.models import Agency
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.helpers import in_indonesian, route_fully

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

SCREENSHOT = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", tempfile.gettempdir())) / (
    "lapor-similar.png"
)
EXISTING_TITLE = "Puskesmas Palaran tutup sebelum jam layanan"
TYPED_TITLE = "Puskesmas Palaran sudah tutup sebelum jam layanan"
SIMILAR_API = "/api/v1/complaints/similar/"


@pytest.fixture
def existing(submit: Callable[..., Any], tree: dict[str, Agency]) -> Complaint:
    """An open public report in Palaran (Kota Samarinda), filed through the one door yesterday
    and routed to Dinas Kesehatan, with a pin."""
    now = timezone.now() - dt.timedelta(days=1)
    receipt = submit(
        title=EXISTING_TITLE,
        now=now,
        incident_date=timezone.localdate(now) - dt.timedelta(days=1),
        point=(-0.5702, 117.1803),
    )
    complaint: Complaint = route_fully(receipt.complaint, now=now)
    assert complaint.status == Complaint.Status.DISPOSED
    return complaint


class TestSupportInsteadOfFiling:
    def test_a_similar_report_is_offered_and_supported_instead(
        self, live_server: LiveServer, page: Page, existing: Complaint
    ) -> None:
        base = live_server.url
        number = existing.tracking_number
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if SIMILAR_API in r.url else None)
        page.goto(f"{base}/lapor/")

        # Title and category alone ask nothing: the place is not chosen yet.
        page.locator("#id_title").fill(TYPED_TITLE)
        page.locator("#id_category").select_option("kesehatan")
        with page.expect_response(lambda r: r.url.endswith("/api/v1/regions/?parent=64")):
            page.locator("#id_province").select_option("64")
        assert asked == []
        expect(page.locator("#similar-slot")).to_be_empty()

        # The regency/city chosen: the open report of the same problem is offered.
        with page.expect_response(lambda r: SIMILAR_API in r.url) as answered:
            page.locator("#id_regency").select_option("64.72")
        assert answered.value.ok
        offered = page.locator(f"#similar-slot li[data-tracking-number='{number}']")
        expect(offered).to_be_visible()
        expect(offered.locator(".similar-title")).to_contain_text(EXISTING_TITLE)
        expect(offered.locator(".similar-title")).to_have_attribute(
            "href", f"{base}/lacak/{number}/"
        )
        expect(offered.locator(".similar-count")).to_contain_text("0")
        expect(page.locator("#similar-slot h2")).to_have_text(
            in_indonesian("Has this been reported already?")
        )
        # Screen readers hear how many, from a live region that stays in the page.
        expect(page.locator("#similar-slot + [role=status]")).to_have_text(
            in_indonesian("Open reports that look like yours: {count}.").replace("{count}", "1")
        )

        # A pin dropped on the map (no tiles here: the blank map still takes it) asks again,
        # with the point.
        with page.expect_response(lambda r: SIMILAR_API in r.url and "lat=" in r.url) as pinned:
            page.locator("#report-map").click()
        assert pinned.value.ok
        expect(page.locator("#id_latitude")).not_to_have_value("")
        expect(offered).to_be_visible()
        page.screenshot(path=SCREENSHOT, full_page=True)
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)
        overflow = measure_overflow(page)
        assert not overflow.overflows, overflow

        # Supported instead: the count rises, and the citizen is told no new report is needed.
        button = offered.locator("button.similar-support")
        expect(button).to_have_text(in_indonesian("Support this report instead"))
        with page.expect_response(
            lambda r: r.url.endswith(f"/complaints/{number}/support/")
        ) as sent:
            button.click()
        assert sent.value.status == 201
        done = offered.locator(".similar-done")
        expect(done).to_contain_text(
            in_indonesian(
                "Done: you support this report now. You need not file a new report about the "
                "same problem."
            )
        )
        expect(done.locator("a")).to_have_attribute("href", f"{base}/lacak/{number}/")
        expect(offered.locator(".similar-count")).to_contain_text("1")
        expect(button).to_have_count(0)
        existing.refresh_from_db()
        assert existing.support_count == 1
        assert existing.supports.count() == 1

        # Filing anyway stays possible: the form and its button are all there.
        expect(page.locator("#similar-slot .similar-anyway")).to_be_visible()
        expect(page.locator("#report-form button.primary[type=submit]")).to_be_enabled()
        expect(page).to_have_url(f"{base}/lapor/")

    def test_nothing_offered_for_another_problem(
        self, live_server: LiveServer, page: Page, existing: Complaint
    ) -> None:
        page.goto(f"{live_server.url}/lapor/")
        page.locator("#id_title").fill("Atap ruang kelas bocor setiap hujan")
        page.locator("#id_category").select_option("kesehatan")
        with page.expect_response(lambda r: r.url.endswith("/api/v1/regions/?parent=64")):
            page.locator("#id_province").select_option("64")
        with page.expect_response(lambda r: SIMILAR_API in r.url) as answered:
            page.locator("#id_regency").select_option("64.72")
        assert answered.value.json()["results"] == []
        expect(page.locator("#similar-slot")).to_be_empty()
