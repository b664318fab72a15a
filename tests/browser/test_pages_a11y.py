"""Every page of the portal, on a 360 by 740 px phone and on a 1366 by 800 px desktop, in a real
Chromium: axe-core finds no violation (``tests/browser/axe.py`` says which rules and why), the
page is no wider than the screen, and a full-page screenshot is kept for a person to look at.

The pages are those a citizen, an OPD officer and a coordinator walk through: the citizen's
(home, the form empty and after an empty submit, the receipt, tracking, the public list, a report's
public page, the private link in each state, the agency page, the account pages), the staff
log-in, an officer's inbox and report page with its action forms, a coordinator's, the recaps,
the API docs, the page of messages not sent and the 404 page.

One world of reports is built for the whole module, through the real services (submitted,
routed by the worker's steps, taken up, answered, disputed, accepted and rated) and committed,
so that the live server's threads see it; it is flushed when the module ends, as a transactional
test's data is. Staff and citizens are logged in by their session cookie (``Client.force_login``);
the log-in forms themselves are checked as pages. Screenshots go to ``LAPOR_SCREENSHOTS`` when it
is set (CI can keep them), else to a temporary folder, as ``<viewport>-<page>.png``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from complaints import services
from complaints.models import Complaint, Message
from complaints.views import RECEIPT_COOKIE, RECEIPT_SALT
from demo.hierarchy import seed_demo_hierarchy
from reports.selectors import Quarter, shift_month
from reports.services import build_monthly_recap
from routing.models import Agency, Category, Region
from routing.selectors import clear_settings_cache
from routing.services import load_regions
from tests.browser.axe import axe_violations, format_violations, measure_overflow
from tests.files import phone_jpeg
from tests.helpers import route_fully, seed_reference_data

try:
    from playwright.sync_api import BrowserContext, Page
except ImportError:  # pragma: no cover - the browser marker skips (or fails) these tests
    pass

pytestmark = pytest.mark.browser

JAKARTA = dt.timezone(dt.timedelta(hours=7))
CITIZEN_EMAIL = "warga.samarinda@example.id"
# The officer, the coordinator above him, the province's coordinator (recaps, evaluation) and
# the national one (messages not sent), from the demo hierarchy.
STAFF = {
    "officer": "dinkes.samarinda",
    "coordinator": "samarinda",
    "province": "kaltim",
    "national": "nasional",
}
OFFICER_AGENCY = "dinkes-64-72"


@dataclass(frozen=True)
class World:
    """What the pages are drawn from: reports by name (tracking number and private key), the
    session cookie of each role, the recap's month and quarter."""

    numbers: dict[str, str]
    keys: dict[str, str]
    sessions: dict[str, str]
    month: str
    quarter: str


def _build_world() -> World:
    """The reports, accounts and recap the pages show (see the module's docstring)."""
    # What earlier tests left in the caches (agencies, deadline settings, regions by name) names
    # rows their rolled-back transactions never kept.
    cache.clear()
    clear_settings_cache()
    now = timezone.now()
    load_regions(province_codes=["64"])
    seed_reference_data()
    seed_demo_hierarchy()
    dinkes = Agency.objects.get(code=OFFICER_AGENCY)
    health = Category.objects.get(code="kesehatan")
    roads = Category.objects.get(code="infrastruktur")
    palaran = Region.objects.get(code="64.72.01")
    citizen = User.objects.create_user(CITIZEN_EMAIL, CITIZEN_EMAIL, "sandi-warga-2026")

    def file(filed_at: dt.datetime, **overrides: Any) -> services.SubmissionReceipt:
        fields: dict[str, Any] = {
            "kind": "COMPLAINT",
            "title": "Puskesmas tutup di jam layanan",
            "description": (
                "Puskesmas Palaran tutup pukul 10 pagi padahal jadwal layanannya sampai pukul "
                "14.00. Sudah tiga kali saya datang dan pintunya terkunci."
            ),
            "category": health,
            "region": palaran,
            "incident_date": filed_at.astimezone(JAKARTA).date() - dt.timedelta(days=1),
            "is_anonymous": False,
            "is_confidential": False,
            "reporter_name": "Siti Aminah",
            "reporter_email": "siti@example.id",
            "reporter_phone": "0812 3456 7890",
            "now": filed_at,
        }
        fields.update(overrides)
        return services.submit_complaint(**fields)

    def answer(complaint: Complaint, at: dt.datetime) -> None:
        services.acknowledge_complaint(complaint_id=complaint.pk, agency=dinkes, actor=None, now=at)
        services.respond_to_complaint(
            complaint_id=complaint.pk,
            agency=dinkes,
            text=(
                "Terima kasih atas laporan Anda. Kepala Puskesmas Palaran sudah kami tegur; "
                "mulai Senin layanan buka sampai pukul 14.00 sesuai jadwal."
            ),
            actor=None,
            now=at + dt.timedelta(hours=1),
        )

    receipts: dict[str, services.SubmissionReceipt] = {}
    # Two months back (ended long enough ago to be recapped whatever the day): one report
    # answered, accepted and rated, one never taken up.
    month = shift_month(timezone.localdate().replace(day=1), -2)
    then = dt.datetime.combine(month.replace(day=10), dt.time(9), tzinfo=JAKARTA)
    photo = SimpleUploadedFile("foto-puskesmas.jpg", phone_jpeg(), content_type="image/jpeg")
    receipts["completed"] = file(then, attachments=[photo])
    completed = route_fully(receipts["completed"].complaint, now=then)
    answer(completed, then + dt.timedelta(hours=2))
    services.accept_answer(complaint_id=completed.pk, now=then + dt.timedelta(days=1))
    services.rate_answer(
        complaint_id=completed.pk,
        score=4,
        comment="Sudah buka sesuai jadwal, terima kasih.",
        now=then + dt.timedelta(days=1, hours=1),
    )
    receipts["late"] = file(
        then + dt.timedelta(days=2),
        kind="ASPIRATION",
        title="Jalan di depan pasar berlubang",
        description="Lubang besar di jalan depan Pasar Segiri sudah dua minggu, motor sering jatuh.",
        category=roads,
        is_anonymous=True,
    )
    route_fully(receipts["late"].complaint, now=then + dt.timedelta(days=2))
    build_monthly_recap(month=month, now=now, current_settings=True)

    # Today's: filed minutes or hours ago, in every state a page draws differently.
    receipts["submitted"] = file(now - dt.timedelta(minutes=10), owner=citizen)
    receipts["disposed"] = file(now - dt.timedelta(hours=2))
    route_fully(receipts["disposed"].complaint, now=now - dt.timedelta(hours=2))
    receipts["in_progress"] = file(now - dt.timedelta(hours=4))
    in_progress = route_fully(receipts["in_progress"].complaint, now=now - dt.timedelta(hours=4))
    services.acknowledge_complaint(
        complaint_id=in_progress.pk, agency=dinkes, actor=None, now=now - dt.timedelta(hours=3)
    )
    receipts["responded"] = file(now - dt.timedelta(hours=6))
    responded = route_fully(receipts["responded"].complaint, now=now - dt.timedelta(hours=6))
    answer(responded, now - dt.timedelta(hours=5))
    receipts["disputed"] = file(now - dt.timedelta(hours=8))
    disputed = route_fully(receipts["disputed"].complaint, now=now - dt.timedelta(hours=8))
    answer(disputed, now - dt.timedelta(hours=7))
    services.dispute_answer(
        complaint_id=disputed.pk,
        reason="Hari Selasa kemarin puskesmas tetap tutup pukul 10 pagi. Jawaban ini tidak benar.",
        now=now - dt.timedelta(hours=1),
    )
    receipts["confidential"] = file(now - dt.timedelta(hours=1), is_confidential=True)
    route_fully(receipts["confidential"].complaint, now=now - dt.timedelta(hours=1))

    # One message the portal gave up on, for the national coordinator's page.
    dead = Message.objects.filter(complaint=completed, kind=Message.Kind.RECEIPT).get()
    Message.objects.filter(pk=dead.pk).update(
        sent_at=None,
        failed_at=then + dt.timedelta(hours=1),
        attempts=8,
        error="SMTPRecipientsRefused: the mail server refused the address",
    )

    sessions: dict[str, str] = {}
    for role, username in {**STAFF, "citizen": CITIZEN_EMAIL}.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return World(
        numbers={name: r.complaint.tracking_number for name, r in receipts.items()},
        keys={name: r.access_key for name, r in receipts.items()},
        sessions=sessions,
        month=f"{month:%Y-%m}",
        quarter=Quarter.of(month).value,
    )


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The module's data, committed, for the module's live server; flushed afterwards."""
    media = tmp_path_factory.mktemp("a11y-media")
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": None},
        },
    }
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=str(media),
            STORAGES=storages,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            LAPOR_2FA=False,
        ),
    ):
        try:
            built = _build_world()
            yield built
        finally:
            call_command("flush", interactive=False, verbosity=0)
            cache.clear()
            clear_settings_cache()


@pytest.fixture(scope="module")
def live_server(world: World) -> Iterator[LiveServer]:
    """Overrides pytest-django's live server for this module with one of its own, started once
    the world is built. (Its name tells pytest-django that the module needs the test database,
    and puts its tests with the transactional ones, which run after the others.)"""
    server = LiveServer("localhost")
    server._live_server_modified_settings.enable()  # the server's host is allowed
    try:
        yield server
    finally:
        server._live_server_modified_settings.disable()
        server.stop()


@pytest.fixture(autouse=True)
def _live_server_helper() -> None:
    """Overrides pytest-django's helper of this name for this module: it would give each test
    that uses ``live_server`` a transactional database, whose flush after the first test would
    take the module's world with it. The world's fixture holds the database open instead."""


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings: Any) -> Iterator[None]:
    """Overrides the conftest fixture of this name for this module: uploads stay in the world's
    folder (its photo is on its pages); the cache (rate-limit counters) is emptied as there."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    clear_settings_cache()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("LAPOR_SCREENSHOTS")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@dataclass
class Tab:
    """The one page of a screen's context, and whose cookies it carries now."""

    context: BrowserContext
    page: Page
    role: str | None = field(default=None)


@pytest.fixture(scope="module")
def tab(viewport_context: BrowserContext) -> Tab:
    return Tab(context=viewport_context, page=viewport_context.new_page())


def use_role(tab: Tab, role: str, world: World, base: str) -> None:
    """Give the tab the session of ``role`` ("anonymous": none)."""
    if tab.role == role:
        return
    tab.context.clear_cookies()
    if role != "anonymous":
        tab.context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": world.sessions[role],
                    "url": base,
                }
            ]
        )
    tab.role = role


# --- what to do on a page, and what it must show, before it is checked -----------------------

Check = Callable[["Page", "World"], None]


def submit_empty(page: Page, world: World) -> None:
    """Send the report form empty, past the browser's own checks, so the server answers."""
    form = page.locator("form#report-form")
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        form.locator("button[type=submit]:not([name])").last.click()
    shows_errors(page, world)


def shows_errors(page: Page, world: World) -> None:
    assert page.locator("main .error-summary, main .error").count() > 0, "no error shown"


def shows(*names: str) -> Check:
    """The page names these reports (by tracking number): it is the page of the state meant."""

    def check(page: Page, world: World) -> None:
        text = page.locator("main").inner_text()
        for name in names:
            assert world.numbers[name] in text, f"{name} ({world.numbers[name]}) is not shown"

    return check


def has(selector: str, *names: str) -> Check:
    """The page holds ``selector`` (a form, a table…) and names these reports."""

    def check(page: Page, world: World) -> None:
        assert page.locator(selector).count() > 0, f"nothing matches {selector}"
        shows(*names)(page, world)

    return check


def shows_none(page: Page, world: World) -> None:
    text = page.locator("main").inner_text()
    assert not [number for number in world.numbers.values() if number in text]


def hand_receipt(tab: Tab, world: World, base: str) -> None:
    """The signed cookie the form sets when a report is sent, as it would after sending."""
    value = signing.get_cookie_signer(salt=RECEIPT_COOKIE + RECEIPT_SALT).sign(
        f"{world.numbers['submitted']}:{world.keys['submitted']}"
    )
    tab.context.add_cookies([{"name": RECEIPT_COOKIE, "value": value, "url": base}])


@dataclass(frozen=True)
class Visit:
    """A page: its name (in the screenshot's file name), who looks, its address, what to do
    before going there, what to do or see there before the checks, the status it answers with."""

    name: str
    role: str
    path: Callable[[World], str]
    before: Callable[[Tab, World, str], None] | None = None
    after: Check | None = None
    status: int = 200


def private(name: str) -> Callable[[World], str]:
    return lambda w: f"/lacak/{w.numbers[name]}/{w.keys[name]}/"


def public(name: str) -> Callable[[World], str]:
    return lambda w: f"/lacak/{w.numbers[name]}/"


def staff_report(name: str) -> Callable[[World], str]:
    return lambda w: f"/dashboard/complaints/{w.numbers[name]}/"


# A citizen's pages, the staff's, then the rest; each on the phone, then each on the desktop.
VISITS = [
    Visit("home", "anonymous", lambda w: "/"),
    Visit("submit", "anonymous", lambda w: "/lapor/", after=has("form#report-form")),
    Visit("submit-errors", "anonymous", lambda w: "/lapor/", after=submit_empty),
    Visit(
        "receipt",
        "anonymous",
        lambda w: "/lapor/terkirim/",
        before=hand_receipt,
        after=shows("submitted"),
    ),
    Visit("track", "anonymous", lambda w: "/lacak/"),
    Visit(
        "track-error",
        "anonymous",
        lambda w: "/lacak/?tracking_number=LPR-0000-0000",
        after=shows_errors,
    ),
    Visit("public-list", "anonymous", lambda w: "/laporan/", after=shows("completed", "responded")),
    Visit("public-map", "anonymous", lambda w: "/peta/"),
    Visit(
        "public-list-filtered",
        "anonymous",
        lambda w: "/laporan/?category=kesehatan&q=puskesmas",
        after=shows("completed"),
    ),
    Visit(
        "public-list-empty",
        "anonymous",
        lambda w: "/laporan/?q=tidak-ada-laporan-seperti-ini",
        after=shows_none,
    ),
    Visit("public-report", "anonymous", public("completed"), after=shows("completed")),
    Visit(
        "public-report-confidential",
        "anonymous",
        public("confidential"),
        after=shows("confidential"),
    ),
    Visit("private-submitted", "anonymous", private("submitted"), after=shows("submitted")),
    Visit(
        "private-responded",
        "anonymous",
        private("responded"),
        after=has("form[action$='/terima/']", "responded"),
    ),
    Visit("private-completed", "anonymous", private("completed"), after=shows("completed")),
    Visit("agency", "anonymous", lambda w: f"/instansi/{OFFICER_AGENCY}/"),
    Visit("citizen-login", "anonymous", lambda w: "/akun/masuk/"),
    Visit("register", "anonymous", lambda w: "/akun/daftar/"),
    Visit("password-reset", "anonymous", lambda w: "/akun/sandi/lupa/"),
    Visit("my-reports", "citizen", lambda w: "/akun/laporan/", after=shows("submitted")),
    Visit("staff-login", "anonymous", lambda w: "/dashboard/login/"),
    Visit(
        "officer-inbox", "officer", lambda w: "/dashboard/", after=shows("disposed", "in_progress")
    ),
    Visit(
        "officer-report-new",
        "officer",
        staff_report("disposed"),
        after=has("form[action$='/acknowledge/']", "disposed"),
    ),
    Visit(
        "officer-report-in-progress",
        "officer",
        staff_report("in_progress"),
        after=has("form[action$='/answer/']", "in_progress"),
    ),
    Visit("coordinator-inbox", "coordinator", lambda w: "/dashboard/", after=shows("disputed")),
    Visit(
        "coordinator-report",
        "coordinator",
        staff_report("disputed"),
        after=has("form[action$='/dispose/']", "disputed"),
    ),
    Visit(
        "recap",
        "province",
        lambda w: f"/reports/?month={w.month}",
        after=has(".recap-group table.recap"),
    ),
    Visit(
        "evaluation",
        "province",
        lambda w: f"/reports/evaluation/?quarter={w.quarter}&region=64",
        after=has("table.recap"),
    ),
    Visit(
        "dead-letters", "national", lambda w: "/dashboard/pesan-gagal/", after=shows("completed")
    ),
    Visit("api-docs", "anonymous", lambda w: "/api/docs/"),
    Visit("not-found", "anonymous", lambda w: "/halaman-yang-tidak-ada/", status=404),
]


@pytest.mark.parametrize("visit", VISITS, ids=[visit.name for visit in VISITS])
def test_page_is_accessible_and_fits_the_screen(
    visit: Visit,
    world: World,
    live_server: LiveServer,
    viewport: str,
    tab: Tab,
    screenshots: Path,
) -> None:
    base = live_server.url
    page = tab.page
    use_role(tab, visit.role, world, base)
    if visit.before is not None:
        visit.before(tab, world, base)
    path = visit.path(world)
    response = page.goto(f"{base}{path}")
    assert response is not None
    assert response.status == visit.status, f"{path} answered {response.status}"
    assert page.url == f"{base}{path}", f"{path} went on to {page.url}"
    if visit.name == "api-docs":  # Swagger UI draws the page from the schema it fetches
        page.locator(".swagger-ui .opblock").first.wait_for()
    if visit.after is not None:
        visit.after(page, world)

    page.screenshot(path=screenshots / f"{viewport}-{visit.name}.png", full_page=True)
    problems: list[str] = []
    violations = axe_violations(page)
    if violations:
        problems.append(f"axe-core found violations:\n{format_violations(violations)}")
    overflow = measure_overflow(page)
    if overflow.overflows:
        problems.append(f"the page is wider than the screen: {overflow}")
    if problems:
        pytest.fail(f"{visit.name} ({viewport}, {page.url}):\n" + "\n".join(problems))


def test_the_checks_see_a_violation_and_an_overflow(
    world: World, live_server: LiveServer, viewport: str, tab: Tab
) -> None:
    """The control: on a page that passes, an image without a text alternative and a box wider
    than the screen are both reported, by their selectors; a wide table in a box that scrolls
    on its own is not an overflow."""
    use_role(tab, "anonymous", world, live_server.url)
    page = tab.page
    page.goto(f"{live_server.url}/")
    assert axe_violations(page) == []
    assert not measure_overflow(page).overflows
    page.evaluate(
        """() => {
            const scroller = document.createElement('div');
            scroller.id = 'scroller';
            scroller.style.overflowX = 'auto';
            const table = document.createElement('div');
            table.style.width = '3000px';
            table.textContent = 'lebar';
            scroller.appendChild(table);
            document.querySelector('main').appendChild(scroller);
            const wide = document.createElement('div');
            wide.id = 'too-wide';
            wide.style.width = '2000px';
            wide.textContent = 'terlalu lebar';
            document.querySelector('main').appendChild(wide);
            const image = document.createElement('img');
            image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
            image.width = image.height = 10;
            document.querySelector('main').appendChild(image);
        }"""
    )
    violations = axe_violations(page)
    assert [v["id"] for v in violations] == ["image-alt"]
    report = format_violations(violations)
    assert "- image-alt (critical, 1 element)" in report
    assert '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="' in report
    overflow = measure_overflow(page)
    assert overflow.overflows
    assert overflow.page > overflow.window
    assert [o["selector"] for o in overflow.offenders] == ["div#too-wide"]
