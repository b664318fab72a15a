"""The same broken bridge, reported twice, in a real Chromium: a second citizen on a phone drops a
pin, is shown the open report of the same problem while writing, files anyway; the officer of
Dinas Kesehatan sees the first among its possible duplicates and merges it into it; the first report is answered; the
second citizen reads that answer through their own private link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from complaints import services
from complaints.models import Complaint, Message
from routing.models import Agency
from tests.browser.conftest import PHONE_VIEWPORT, new_phone_context
from tests.helpers import in_indonesian, make_user, route_fully

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions", "categories")]

FIRST_TITLE = "Jembatan kayu di Palaran patah di tengah"
SECOND_TITLE = "Jembatan kayu Palaran patah, warga tidak bisa lewat"
DESCRIPTION = (
    "Jembatan kayu penghubung dua RT di Palaran patah di bagian tengah sejak kemarin sore. "
    "Anak-anak sekolah harus memutar jauh."
)
ANSWER = "Jembatan sudah kami tutup sementara; perbaikan dimulai Senin oleh Dinas PUPR."
SIMILAR_API = "/api/v1/complaints/similar/"


@pytest.mark.usefixtures("eager_celery")
def test_a_second_report_of_the_same_problem_is_merged_and_gets_the_first_ones_answer(
    live_server: LiveServer,
    page: Page,
    chromium: Browser,
    submit: Callable[..., Any],
    tree: dict[str, Agency],
) -> None:
    base = live_server.url
    dinkes = tree["dinkes"]
    officer = make_user("petugas.dinkes", dinkes)
    filed_at = timezone.now() - dt.timedelta(hours=5)
    first = route_fully(
        submit(
            title=FIRST_TITLE,
            now=filed_at,
            incident_date=timezone.localdate(filed_at),
            point=(-0.5902, 117.1801),
        ).complaint,
        now=filed_at,
    )
    assert (first.status, first.current_agency) == ("DISPOSED", dinkes)

    # 1. The second citizen writes on a phone: the first report is offered once the title, the
    # category and the regency/city are there; the pin asks again, near it.
    page.goto(f"{base}/lapor/")
    page.locator("input[name=kind][value=COMPLAINT]").check()
    page.locator("#id_title").fill(SECOND_TITLE)
    page.locator("#id_description").fill(DESCRIPTION)
    page.locator("#id_category").select_option("kesehatan")
    page.locator("#id_incident_date").fill(timezone.localdate().isoformat())
    with page.expect_response(lambda r: r.url.endswith("/api/v1/regions/?parent=64")):
        page.locator("#id_province").select_option("64")
    with page.expect_response(lambda r: SIMILAR_API in r.url):
        page.locator("#id_regency").select_option("64.72")
    offered = page.locator(f"#similar-slot li[data-tracking-number='{first.tracking_number}']")
    expect(offered).to_be_visible()
    with page.expect_response(lambda r: SIMILAR_API in r.url and "lat=" in r.url):
        page.locator("#report-map").click()
    expect(offered).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    page.locator("#id_reporter_email").fill("warga.kedua@example.id")

    # 2. ... and files anyway.
    page.locator("#report-form button[type=submit]:not([name])").click()
    expect(page).to_have_url(f"{base}/lapor/terkirim/")
    number = page.locator("#tracking-number").inner_text().strip()
    private_link = page.locator("#private-link").input_value()
    second = route_fully(Complaint.objects.get(tracking_number=number))
    assert second.latitude is not None and second.current_agency == dinkes

    # 3. The officer merges it into the first, on the report page.
    staff = new_phone_context(chromium)
    try:
        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{base}/dashboard/login/")
        desk.locator("#id_username").fill("petugas.dinkes")
        desk.locator("#id_password").fill("sandi-uji-2026")
        desk.locator("main form.card button[type=submit]").click()
        expect(desk).to_have_url(f"{base}/dashboard/")
        desk.goto(f"{base}/dashboard/complaints/{number}/")
        # The first report is among the page's possible duplicates, with a merge button.
        possible = desk.locator(f".duplicates-item[data-tracking-number='{first.tracking_number}']")
        expect(possible).to_be_visible()
        possible.locator("summary").click()
        possible.locator("textarea").fill("Jembatan yang sama di Palaran.")
        possible.locator("button[type=submit]").click()
        expect(desk).to_have_url(f"{base}/dashboard/complaints/{number}/")
        expect(desk.locator(".merged-into a")).to_have_text(first.tracking_number)
        expect(desk.locator("form[action$='/merge/']")).to_have_count(0)
        expect(desk.locator(".duplicates-item")).to_have_count(0)
        # The first report's page lists it.
        desk.goto(f"{base}/dashboard/complaints/{first.tracking_number}/")
        expect(desk.locator(".merged-in")).to_contain_text(number)
    finally:
        staff.close()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.duplicate_of_id == first.pk and first.support_count == 1

    # 4. The first report is answered.
    services.respond_to_complaint(
        complaint_id=first.pk,
        agency=dinkes,
        actor=officer,
        text=ANSWER,
        now=timezone.now(),
    )
    assert Message.objects.filter(complaint=second, kind=Message.Kind.REPORTER_UPDATE).exists(), (
        "the second citizen is told by e-mail too"
    )

    # 5. The second citizen reads the answer on their own private link, and may dispute it.
    page.goto(private_link)
    expect(page.locator(".merged-into")).to_contain_text(first.tracking_number)
    expect(page.locator("main")).to_contain_text(ANSWER)
    expect(page.locator("form[action$='/sanggah/']")).to_have_count(1)
    expect(page.locator("form[action$='/terima/']")).to_have_count(0)
    expect(page.locator(".status").first).to_have_text(
        re.compile(re.escape(in_indonesian("answered")), re.IGNORECASE)
    )
