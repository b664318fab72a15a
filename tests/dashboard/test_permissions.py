"""Who may open and do what, on which report, through every staff page and the staff API.

The issue: "An officer sees only reports that are or were disposed to their agency; a
coordinator only its subtree. Any other report, by URL, API or export, answers 404." Every role
is tried against reports of its own agency and of others, on every surface: the report page, its
attachment, the inbox (each scope) and each action, as HTML and through the API with a token and
with the session. The expected answers come from the tables below, written out by hand: they
are not computed by the selectors under test.

The world is built once for the module inside a transaction that is rolled back at its end;
each test runs in a savepoint of it (pytest-django's own), so an action that succeeds in one
test is undone before the next.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings

from complaints import services as complaint_services
from complaints import workflow
from complaints.models import Complaint, ComplaintEvent, Response, TransferRequest
from complaints.selectors import Action
from complaints.services import submit_complaint
from routing import services as routing_services
from routing.models import Agency, Category, DeadlineSetting, Officer, Region, RoutingRule
from routing.selectors import clear_settings_cache
from tests.files import png
from tests.helpers import NOW, api_token, route_fully

# Reports are filed at fixed moments: the clock starts after them (tests/helpers.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# --- the roles, the reports and what each role may see and do ---------------------------------

# Who is asking. "visitor": nobody logged in; "plain" and "superuser": logged in, no agency;
# "closed": an officer of an agency that is no longer active; "revealer": the national
# coordinator with the complaints.reveal_reporter permission ("national": without it).
ROLES = [
    "visitor",
    "plain",
    "superuser",
    "closed",
    "dinkes",
    "rsud",
    "samarinda",
    "kaltim",
    "dki",
    "national",
    "revealer",
]
NO_AGENCY = {"plain", "superuser", "closed"}

# The reports, all open:
#   held       DISPOSED at Dinkes Samarinda (an OPD)
#   answered   RESPONDED: answered by Dinkes, which still holds it
#   returned   returned by Dinkes as not its authority, now DISPOSED at RSUD Samarinda
#   queue      AWAITING_VERIFICATION in Diskominfo Samarinda's queue (no regency rule)
#   province   AWAITING_VERIFICATION in Diskominfo Kaltim's queue (no rule at all)
#   dki        AWAITING_VERIFICATION at Diskominfo DKI, another province
#   anonymous  an anonymous report, DISPOSED at Dinkes
#   missing    a well-formed tracking number no report has
REPORTS = ["held", "answered", "returned", "queue", "province", "dki", "anonymous", "missing"]
KALTIM = {"held", "answered", "returned", "queue", "province", "anonymous"}
EVERYTHING = KALTIM | {"dki"}

VISIBLE: dict[str, set[str]] = {
    "visitor": set(),
    "plain": set(),
    "superuser": set(),
    "closed": set(),
    # ... and "returned", since it was disposed to Dinkes before it went on to RSUD
    "dinkes": {"held", "answered", "returned", "anonymous"},
    "rsud": {"returned"},
    "samarinda": {"held", "answered", "returned", "queue", "anonymous"},
    "kaltim": KALTIM,
    "dki": {"dki"},
    "national": EVERYTHING,
    "revealer": EVERYTHING,
}

A = Action
# The reports are complaints (pengaduan): an OPD may set the inspection deadline, not extend.
# Every report here is open and handed to an agency: its holder, or any coordinator that sees
# it, may merge it into another report of the same problem (none is merged: none taken out).
OPD_HOLDS = {A.ACKNOWLEDGE, A.INTERIM, A.ANSWER, A.INSPECTION, A.TRANSFER, A.NOTE, A.MERGE}
QUEUE = {A.DISPOSE, A.PASS_UP, A.ARCHIVE, A.NOTE, A.PRIVACY, A.MERGE}
SEES = {A.NOTE, A.PRIVACY, A.MERGE}

# (role, report) → the actions it may take; every pair not listed here is invisible (404).
ALLOWED: dict[tuple[str, str], set[Action]] = {
    ("dinkes", "held"): OPD_HOLDS,
    # answered: nothing left to acknowledge or answer
    ("dinkes", "answered"): {A.NOTE, A.MERGE},
    ("dinkes", "returned"): {A.NOTE},  # it returned it: now RSUD's
    ("dinkes", "anonymous"): OPD_HOLDS,
    ("rsud", "returned"): OPD_HOLDS,
    ("samarinda", "held"): SEES,
    ("samarinda", "answered"): SEES,
    ("samarinda", "returned"): SEES,
    ("samarinda", "queue"): QUEUE,
    ("samarinda", "anonymous"): SEES,
    ("kaltim", "held"): SEES,
    ("kaltim", "answered"): SEES,
    ("kaltim", "returned"): SEES,
    ("kaltim", "queue"): SEES,  # Samarinda's queue, not Kaltim's
    ("kaltim", "province"): QUEUE,
    ("kaltim", "anonymous"): SEES,
    ("dki", "dki"): QUEUE,
    **{("national", report): SEES for report in EVERYTHING},
    **{("revealer", report): SEES for report in EVERYTHING - {"anonymous"}},
    ("revealer", "anonymous"): SEES | {A.REVEAL},
}

# (role, scope) → the reports its inbox lists (open ones, the default filter).
INBOX: dict[tuple[str, str], set[str]] = {
    ("dinkes", "held"): {"held", "answered", "anonymous"},
    ("dinkes", "history"): {"held", "answered", "returned", "anonymous"},
    ("rsud", "held"): {"returned"},
    ("rsud", "history"): {"returned"},
    ("samarinda", "held"): {"queue"},
    ("samarinda", "subtree"): {"held", "answered", "returned", "queue", "anonymous"},
    ("kaltim", "held"): {"province"},
    ("kaltim", "subtree"): KALTIM,
    ("dki", "held"): {"dki"},
    ("dki", "subtree"): {"dki"},
    ("national", "held"): set(),
    ("national", "subtree"): EVERYTHING,
    ("revealer", "held"): set(),
    ("revealer", "subtree"): EVERYTHING,
}
# A scope an agency does not have: the page falls back to its first scope, the API says 400.
FOREIGN_SCOPE = {
    "dinkes": "subtree",
    "rsud": "subtree",
    "samarinda": "history",
    "kaltim": "history",
    "dki": "history",
    "national": "history",
    "revealer": "history",
}

# Where a coordinator hands a report of its queue in the success case (agency codes).
DISPOSE_TO = {"samarinda": "dinkes-smd", "kaltim": "disdik-kaltim", "dki": "dki-opd"}
EVENT_OF = {
    A.ACKNOWLEDGE: ComplaintEvent.Type.ACKNOWLEDGED,
    A.ANSWER: ComplaintEvent.Type.RESPONDED,
    A.INTERIM: ComplaintEvent.Type.INTERIM_REPLY,
    A.INSPECTION: ComplaintEvent.Type.INSPECTION,
    A.EXTEND: ComplaintEvent.Type.EXTENDED,
    A.TRANSFER: ComplaintEvent.Type.TRANSFER_REQUESTED,
    A.NOTE: ComplaintEvent.Type.NOTE,
    A.DISPOSE: ComplaintEvent.Type.DISPOSED,
    A.PASS_UP: ComplaintEvent.Type.PASSED_UP,
    A.ARCHIVE: ComplaintEvent.Type.ARCHIVED,
    A.PRIVACY: ComplaintEvent.Type.PRIVACY_RAISED,
    A.REVEAL: ComplaintEvent.Type.IDENTITY_REVEALED,
    # Only on a report by e-mail without its category and place (none here: refused to all).
    A.DETAILS: ComplaintEvent.Type.DETAILS_SET,
    A.MERGE: ComplaintEvent.Type.MERGED,
    # Only on a merged report (none here: refused to all).
    A.UNMERGE: ComplaintEvent.Type.UNMERGED,
}

SURFACES = ["html", "token", "session"]
API_SURFACES = ["token", "session"]
MISSING = "2222-2222-2222"
REPORTER_NAME = "Pelapor Anonim Rahasia"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
TN_IN_LINK = re.compile(r"/dashboard/complaints/([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/")


# --- the world ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    tracking: dict[str, str]  # report → tracking number
    usernames: dict[str, str]  # role → username
    tokens: dict[str, str]  # role → API token
    sessions: dict[str, str]  # role → session key of a login made once for the module
    media: Path


def _seed_reference_data() -> None:
    """What the `regions` and `categories` fixtures do, for a module-scoped world."""
    routing_services.load_regions(province_codes=["64", "31"])
    seed = import_module("routing.migrations.0002_seed_categories")
    for position, (code, name_id, name_en) in enumerate(seed.CATEGORIES, start=1):
        Category.objects.get_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "position": position}
        )
    deadlines = import_module("routing.migrations.0003_seed_deadlines")
    for step, kind, days, source in deadlines.DEADLINES:
        DeadlineSetting.objects.get_or_create(
            step=step, kind=kind, defaults={"working_days": days, "source": source}
        )


def _agency(
    code: str, level: str, region: str | None, parent: Agency | None, **extra: Any
) -> Agency:
    return Agency.objects.create(
        code=code, name=code.upper(), level=level, region_id=region, parent=parent, **extra
    )


def _submit(**overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "kind": "COMPLAINT",
        "title": "Puskesmas tutup di jam layanan",
        "description": "Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00.",
        "category": Category.objects.get(code="kesehatan"),
        "region": Region.objects.get(code="64.72.01"),
        "incident_date": NOW.date(),
        "is_anonymous": False,
        "is_confidential": False,
        "reporter_name": REPORTER_NAME,
        "reporter_email": "pelapor@example.id",
        "reporter_phone": "0812 3456 7890",
        "attachments": [SimpleUploadedFile("foto-warga.png", png(), "image/png")],
        "now": NOW,
    }
    fields.update(overrides)
    return route_fully(submit_complaint(**fields).complaint)


def _build_world(media: Path) -> World:
    clear_settings_cache()
    _seed_reference_data()
    national = _agency("nasional", "NATIONAL", None, None)
    kaltim = _agency("kaltim", "PROVINCE", "64", national)
    samarinda = _agency("smd", "REGENCY", "64.72", kaltim)
    dinkes = _agency("dinkes-smd", "OPD", "64.72", samarinda)
    rsud = _agency("rsud-smd", "OPD", "64.72", samarinda)
    closed = _agency("dinas-lama", "OPD", "64.72", samarinda, is_active=False)
    _agency("disdik-kaltim", "OPD", "64", kaltim)
    dki = _agency("dki", "PROVINCE", "31", national)
    _agency("dki-opd", "OPD", "31.71", dki)
    health = Category.objects.get(code="kesehatan")
    social = Category.objects.get(code="sosial")
    RoutingRule.objects.create(category=health, level="PROVINCE", target="REGENCY_COORDINATOR")
    RoutingRule.objects.create(
        category=health, level="REGENCY", region_id="64.72", target="AGENCY", agency=dinkes
    )
    # Social affairs go down to the regency, where no rule decides: Samarinda's queue.
    RoutingRule.objects.create(
        category=social, level="PROVINCE", region_id="64", target="REGENCY_COORDINATOR"
    )
    clear_settings_cache()

    reports = {
        "held": _submit(),
        "answered": _submit(),
        "returned": _submit(),
        "queue": _submit(category=social),
        "province": _submit(category=Category.objects.get(code="lainnya")),
        "dki": _submit(region=Region.objects.get(code="31.71")),
        "anonymous": _submit(is_anonymous=True),
    }
    complaint_services.respond_to_complaint(
        complaint_id=reports["answered"].pk,
        agency=dinkes,
        text="Puskesmas sudah kami tegur dan jam layanan kembali normal.",
        actor=None,
        now=NOW,
    )
    complaint_services.request_transfer(
        complaint_id=reports["returned"].pk,
        agency=dinkes,
        reason="Kewenangan RSUD.",
        suggested_agency=rsud,
        actor=None,
        now=NOW,
    )
    complaint_services.dispose_complaint(
        complaint_id=reports["returned"].pk,
        coordinator=samarinda,
        to_agency=rsud,
        actor=None,
        now=NOW,
    )
    expected = {
        "held": ("DISPOSED", dinkes),
        "answered": ("RESPONDED", dinkes),
        "returned": ("DISPOSED", rsud),
        "queue": ("AWAITING_VERIFICATION", samarinda),
        "province": ("AWAITING_VERIFICATION", kaltim),
        "dki": ("AWAITING_VERIFICATION", dki),
        "anonymous": ("DISPOSED", dinkes),
    }
    for name, (status, holder) in expected.items():
        complaint = Complaint.objects.get(pk=reports[name].pk)
        assert (complaint.status, complaint.current_agency_id) == (status, holder.pk), name
    assert not Complaint.objects.filter(tracking_number=MISSING).exists()

    agencies = {
        "closed": closed,
        "dinkes": dinkes,
        "rsud": rsud,
        "samarinda": samarinda,
        "kaltim": kaltim,
        "dki": dki,
        "national": national,
        "revealer": national,
    }
    usernames: dict[str, str] = {}
    tokens: dict[str, str] = {}
    sessions: dict[str, str] = {}
    for role in ROLES:
        if role == "visitor":
            continue
        username = f"perm-{role}"
        if role == "superuser":
            user = User.objects.create_superuser(username, f"{role}@example.test")
        else:
            user = User.objects.create_user(username, f"{role}@example.test")
        if role in agencies:
            Officer.objects.create(user=user, agency=agencies[role])
        if role == "revealer":
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="complaints", codename="reveal_reporter"
                )
            )
        usernames[role] = username
        tokens[role] = api_token(user)
        login = Client()
        login.force_login(user)
        sessions[role] = login.cookies[django_settings.SESSION_COOKIE_NAME].value
    tracking = {name: complaint.tracking_number for name, complaint in reports.items()}
    tracking["missing"] = MISSING
    return World(
        tracking=tracking, usernames=usernames, tokens=tokens, sessions=sessions, media=media
    )


@pytest.fixture(scope="module")
def world_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = tmp_path_factory.mktemp("permissions-media")
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": None},
        },
    }
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(MEDIA_ROOT=str(media), STORAGES=storages):
                built = _build_world(media)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        # Nothing of the world outlives the module.
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        clear_settings_cache()


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings: Any) -> Iterator[None]:
    """Overrides the conftest fixture of this name for this module: the same settings and
    empty cache, without a fresh upload folder for each of the thousands of tests here (making
    and removing them cost a sixth of the run). Uploads go to the world's folder instead (see
    ``world``); the actions tried here write no file."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    clear_settings_cache()
    yield
    cache.clear()


@pytest.fixture
def world(world_once: World, settings: Any) -> World:
    """The module's world, its uploaded files in the media folder."""
    settings.MEDIA_ROOT = str(world_once.media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(world_once.media), "base_url": None},
        },
    }
    return world_once


# --- helpers -----------------------------------------------------------------------------------


def client_for(world: World, role: str, surface: str) -> Client:
    if role == "visitor":
        return Client()
    if surface == "token":
        return Client(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def page_url(world: World, report: str, suffix: str = "") -> str:
    return f"/dashboard/complaints/{world.tracking[report]}/{suffix}"


def api_url(world: World, report: str, suffix: str = "") -> str:
    return f"/api/v1/staff/complaints/{world.tracking[report]}/{suffix}"


def url(world: World, surface: str, report: str, suffix: str = "") -> str:
    return (page_url if surface == "html" else api_url)(world, report, suffix)


def login_redirect(path: str) -> str:
    return f"/dashboard/login/?next={quote(path, safe='/')}"


def expected_read(role: str, report: str, surface: str) -> int:
    """The status of opening a report (page, attachment) for this role."""
    if role == "visitor":
        return 302 if surface == "html" else 401
    if role in NO_AGENCY:
        return 403
    return 200 if report in VISIBLE[role] else 404


def expected_action(role: str, report: str, action: Action, surface: str) -> int:
    if role == "visitor":
        return 302 if surface == "html" else 401
    if role in NO_AGENCY:
        return 403
    if report not in VISIBLE[role]:
        return 404
    if action not in ALLOWED[(role, report)]:
        return 403
    if action == A.MERGE and not VISIBLE[role] - {report}:
        return 400  # allowed, but there is no other report this agency sees to merge it into
    if surface == "html":
        return 200 if action == A.REVEAL else 302
    return 200


def valid_input(
    action: Action, role: str, complaint: Complaint, surface: str, world: World | None = None
) -> dict[str, Any]:
    """A valid body for the action, as the page's form (ids) or the API (codes) takes it."""
    html = surface == "html"
    body: dict[str, Any] = {"version": complaint.version}
    if action in (A.ANSWER, A.INTERIM):
        body["text"] = "Sudah kami tindak lanjuti: petugas puskesmas ditegur."
    elif action in (A.INSPECTION, A.EXTEND):
        body["reason"] = "Perlu pemeriksaan lapangan oleh inspektorat."
    elif action == A.TRANSFER:
        body["reason"] = "Bukan kewenangan kami."
    elif action == A.NOTE:
        body = {"text": "Catatan internal untuk tim."}
    elif action == A.DISPOSE:
        target = Agency.objects.get(code=DISPOSE_TO.get(role, "dinkes-smd"))
        body["to_agency"] = target.pk if html else target.code
    elif action in (A.PASS_UP, A.ARCHIVE):
        body["reason"] = "Di luar kewenangan tingkat ini."
    elif action == A.DETAILS:
        body.update(category="kesehatan", regency="64.72")
    elif action == A.PRIVACY:
        body["make_confidential"] = "on" if html else True
    elif action == A.REVEAL:
        body = {"reason": "Permintaan resmi aparat penegak hukum."}
    elif action == A.MERGE:
        # Into another open public report this officer sees (the only ones it may name).
        assert world is not None
        username = world.usernames.get(role)
        user = User.objects.filter(username=username).first() if username else None
        seen = Complaint.objects.visible_to(user) if user else Complaint.objects.all()
        original = (
            seen.exclude(pk=complaint.pk)
            .filter(is_confidential=False, duplicate_of__isnull=True)
            .filter(status__in=sorted(workflow.MERGEABLE))
            .order_by("pk")
            .first()
        )
        body.update(
            original=original.tracking_number if original else MISSING, reason="Masalah yang sama."
        )
    elif action == A.UNMERGE:
        body["reason"] = "Bukan masalah yang sama."
    return body


def post(client: Client, surface: str, path: str, body: dict[str, Any]) -> Any:
    if surface == "html":
        return client.post(path, body)
    return client.post(path, body, content_type="application/json")


def snapshot(complaint_id: int) -> tuple[int, int]:
    """The report's version and its newest event: what any write changes."""
    complaint = Complaint.objects.get(pk=complaint_id)
    last = complaint.events.order_by("-pk").values_list("pk", flat=True).first() or 0
    return complaint.version, last


def check_effect(
    action: Action, role: str, before: Complaint, last_event: int, user: User, response: Any
) -> None:
    """The action really happened: its one event, by this user, and the report's new state."""
    after = Complaint.objects.select_related("current_agency").get(pk=before.pk)
    events = list(after.events.filter(pk__gt=last_event).order_by("pk"))
    assert [e.type for e in events] == [EVENT_OF[action]]
    assert events[0].actor_id == user.pk
    agency = user.officer.agency
    if action == A.ACKNOWLEDGE:
        assert after.status == Complaint.Status.IN_PROGRESS
    elif action == A.ANSWER:
        assert after.status == Complaint.Status.RESPONDED
        assert Response.objects.filter(complaint=after, agency=agency, is_final=True).exists()
    elif action == A.INTERIM:
        assert after.status == Complaint.Status.IN_PROGRESS
        assert after.current_agency_id == agency.pk
        assert Response.objects.get(complaint=after, agency=agency).is_final is False
    elif action == A.INSPECTION:
        assert (after.status, after.needs_inspection) == (Complaint.Status.IN_PROGRESS, True)
        assert events[0].data["reason"] == "Perlu pemeriksaan lapangan oleh inspektorat."
        assert after.due_at is not None and before.due_at is not None
        assert after.due_at > before.due_at
    elif action == A.TRANSFER:
        assert after.status == Complaint.Status.AWAITING_VERIFICATION
        assert after.current_agency_id == agency.parent_id
        assert TransferRequest.objects.filter(
            complaint=after, from_agency=agency, decided_at__isnull=True
        ).exists()
    elif action == A.NOTE:
        assert events[0].is_public is False
        assert events[0].data["text"] == "Catatan internal untuk tim."
        assert (after.status, after.version) == (before.status, before.version)
    elif action == A.DISPOSE:
        assert after.status == Complaint.Status.DISPOSED
        assert after.current_agency.code == DISPOSE_TO[role]
    elif action == A.PASS_UP:
        assert after.status == Complaint.Status.AWAITING_VERIFICATION
        assert after.current_agency_id == agency.parent_id
    elif action == A.ARCHIVE:
        assert after.status == Complaint.Status.ARCHIVED
    elif action == A.PRIVACY:
        assert (before.is_confidential, after.is_confidential) == (False, True)
        assert events[0].is_public is False
    elif action == A.REVEAL:
        assert events[0].is_public is False
        assert events[0].data["reason"] == "Permintaan resmi aparat penegak hukum."
        assert REPORTER_NAME in response.content.decode()


def _ids(*parts: object) -> str:
    return "-".join(str(p) for p in parts)


# --- the tables themselves ---------------------------------------------------------------------


class TestTables:
    def test_allowed_lists_exactly_the_visible_pairs(self) -> None:
        visible_pairs = {(role, report) for role, seen in VISIBLE.items() for report in seen}
        assert set(ALLOWED) == visible_pairs

    def test_inbox_lists_lie_inside_what_the_role_sees(self) -> None:
        for (role, _scope), listed in INBOX.items():
            assert listed <= VISIBLE[role], role

    def test_every_action_has_an_event(self) -> None:
        assert set(EVENT_OF) == set(Action)


# --- the report page and its attachment --------------------------------------------------------

READ_CASES = [
    pytest.param(role, report, surface, id=_ids(role, report, surface))
    for role in ROLES
    for report in REPORTS
    for surface in SURFACES
]


class TestReportPage:
    @pytest.mark.parametrize(("role", "report", "surface"), READ_CASES)
    def test_report(self, world: World, role: str, report: str, surface: str) -> None:
        path = url(world, surface, report)
        response = client_for(world, role, surface).get(path)
        expected = expected_read(role, report, surface)
        assert response.status_code == expected
        if expected == 302:
            assert response["Location"] == login_redirect(path)
            return
        body = response.content.decode()
        if expected != 200:
            # A refusal says nothing about the report: not even its title.
            assert "Puskesmas" not in body
            return
        allowed = sorted(ALLOWED[(role, report)])
        if surface == "html":
            assert world.tracking[report] in body
            offered = set(
                re.findall(
                    rf'action="/dashboard/complaints/{world.tracking[report]}/([a-z-]+)/"', body
                )
            )
            # The page offers an interim reply as a choice of the answer's form.
            assert offered == set(allowed) - {A.INTERIM}
            assert ('value="interim"' in body) == (A.INTERIM in allowed)
        else:
            data = response.json()
            assert data["tracking_number"] == world.tracking[report]
            assert data["actions"] == allowed

    @pytest.mark.parametrize(("role", "report", "surface"), READ_CASES)
    def test_attachment(self, world: World, role: str, report: str, surface: str) -> None:
        path = url(world, surface, report, "attachments/1/")
        response = client_for(world, role, surface).get(path)
        expected = expected_read(role, report, surface)
        assert response.status_code == expected
        if expected == 302:
            assert response["Location"] == login_redirect(path)
        elif expected == 200:
            assert response["Content-Type"] == "image/png"
            assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        else:
            assert not getattr(response, "streaming", False)

    @pytest.mark.parametrize("surface", SURFACES)
    @pytest.mark.parametrize(
        ("method", "suffix"), [("get", ""), ("get", "attachments/1/"), ("post", "note/")]
    )
    @pytest.mark.parametrize(("role", "report"), [("dinkes", "dki"), ("dki", "held")])
    def test_an_invisible_report_answers_like_a_missing_one(
        self, world: World, role: str, report: str, method: str, suffix: str, surface: str
    ) -> None:
        """The 404 says nothing about whether the report exists."""
        client = client_for(world, role, surface)
        answers = []
        for name in (report, "missing"):
            path = url(world, surface, name, suffix)
            if method == "get":
                response = client.get(path)
            else:
                response = post(client, surface, path, {"text": "Catatan."})
            body = response.content.decode().replace(world.tracking[name], "<tn>")
            answers.append((response.status_code, CSRF_TOKEN.sub("<csrf>", body)))
        assert answers[0] == answers[1]
        assert answers[0][0] == 404

    @pytest.mark.parametrize("surface", SURFACES)
    @pytest.mark.parametrize("role", ["dinkes", "national"])
    def test_attachment_at_a_position_without_a_file(
        self, world: World, role: str, surface: str
    ) -> None:
        response = client_for(world, role, surface).get(
            url(world, surface, "held", "attachments/7/")
        )
        assert response.status_code == 404


# --- the actions -------------------------------------------------------------------------------

ACTION_CASES = [
    pytest.param(role, report, action, surface, id=_ids(role, report, action, surface))
    for role in ROLES
    for report in REPORTS
    for action in Action
    for surface in SURFACES
]


class TestActions:
    @pytest.mark.parametrize(("role", "report", "action", "surface"), ACTION_CASES)
    def test_action(
        self, world: World, role: str, report: str, action: Action, surface: str
    ) -> None:
        complaint = Complaint.objects.filter(tracking_number=world.tracking[report]).first()
        before = snapshot(complaint.pk) if complaint else None
        path = url(world, surface, report, f"{action}/")
        body = valid_input(action, role, complaint, surface, world) if complaint else {"version": 1}
        response = post(client_for(world, role, surface), surface, path, body)
        expected = expected_action(role, report, action, surface)
        assert response.status_code == expected, response.content.decode()[:500]
        if expected == 302 and role == "visitor":
            # Back to the report after logging in: an action's URL only takes a POST.
            assert response["Location"] == login_redirect(page_url(world, report))
        elif expected == 302:
            assert response["Location"] == page_url(world, report)
        if expected in (200, 302) and role != "visitor":
            assert complaint is not None
            user = User.objects.select_related("officer__agency").get(
                username=world.usernames[role]
            )
            check_effect(action, role, complaint, before[1], user, response)
        elif complaint is not None:
            assert snapshot(complaint.pk) == before  # refused: nothing written

    @pytest.mark.parametrize("surface", SURFACES)
    @pytest.mark.parametrize("role", ["dinkes", "samarinda"])
    def test_unknown_action_is_404(self, world: World, role: str, surface: str) -> None:
        before = snapshot(Complaint.objects.get(tracking_number=world.tracking["held"]).pk)
        response = post(
            client_for(world, role, surface), surface, url(world, surface, "held", "delete/"), {}
        )
        assert response.status_code == 404
        assert snapshot(Complaint.objects.get(tracking_number=world.tracking["held"]).pk) == before

    @pytest.mark.parametrize("role", ["dinkes", "national"])
    def test_reading_an_action_url_is_not_allowed(self, world: World, role: str) -> None:
        response = client_for(world, role, "html").get(page_url(world, "held", "note/"))
        assert response.status_code == 405

    def test_session_post_to_the_api_needs_the_csrf_token(self, world: World) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(User.objects.get(username=world.usernames["dinkes"]))
        complaint = Complaint.objects.get(tracking_number=world.tracking["held"])
        before = snapshot(complaint.pk)
        response = client.post(
            api_url(world, "held", "note/"),
            {"text": "Catatan tanpa token CSRF."},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert snapshot(complaint.pk) == before


# --- the inbox ---------------------------------------------------------------------------------

INBOX_CASES = [
    pytest.param(role, scope, surface, id=_ids(role, scope, surface))
    for (role, scope) in INBOX
    for surface in SURFACES
]


def listed_in_page(world: World, body: str) -> set[str]:
    by_number = {number: name for name, number in world.tracking.items()}
    found = set(TN_IN_LINK.findall(body))
    assert found <= set(by_number), found - set(by_number)
    return {by_number[number] for number in found}


def never_mentioned(world: World, body: str, listed: set[str]) -> None:
    for name, number in world.tracking.items():
        if name not in listed:
            assert number not in body, name


class TestInbox:
    @pytest.mark.parametrize(("role", "scope", "surface"), INBOX_CASES)
    def test_lists_only_what_the_scope_holds(
        self, world: World, role: str, scope: str, surface: str
    ) -> None:
        client = client_for(world, role, surface)
        expected = INBOX[(role, scope)]
        if surface == "html":
            response = client.get("/dashboard/", {"scope": scope})
            assert response.status_code == 200
            body = response.content.decode()
            assert listed_in_page(world, body) == expected
        else:
            response = client.get("/api/v1/staff/complaints/", {"scope": scope})
            assert response.status_code == 200
            data = response.json()
            by_number = {number: name for name, number in world.tracking.items()}
            assert {by_number[row["tracking_number"]] for row in data["results"]} == expected
            # every report of the world is open: the counts are those of the scope only
            assert sum(v for k, v in data["counts"].items() if k != "overdue") == len(expected)
            body = response.content.decode()
        never_mentioned(world, body, expected)

    @pytest.mark.parametrize(("role", "scope", "surface"), INBOX_CASES)
    def test_every_status_still_lists_only_the_scope(
        self, world: World, role: str, scope: str, surface: str
    ) -> None:
        """Asking for every status (closed ones too) widens the filter, never the scope."""
        client = client_for(world, role, surface)
        params = {"scope": scope, "status": list(Complaint.Status.values)}
        path = "/dashboard/" if surface == "html" else "/api/v1/staff/complaints/"
        response = client.get(path, params)
        assert response.status_code == 200
        body = response.content.decode()
        if surface == "html":
            assert listed_in_page(world, body) == INBOX[(role, scope)]
        never_mentioned(world, body, INBOX[(role, scope)])

    @pytest.mark.parametrize("role", sorted(FOREIGN_SCOPE))
    def test_a_scope_the_agency_has_not_falls_back_on_the_page(
        self, world: World, role: str
    ) -> None:
        response = client_for(world, role, "html").get(
            "/dashboard/", {"scope": FOREIGN_SCOPE[role]}
        )
        assert response.status_code == 200
        assert listed_in_page(world, response.content.decode()) == INBOX[(role, "held")]

    @pytest.mark.parametrize("surface", API_SURFACES)
    @pytest.mark.parametrize("role", sorted(FOREIGN_SCOPE))
    def test_a_scope_the_agency_has_not_is_400_in_the_api(
        self, world: World, role: str, surface: str
    ) -> None:
        response = client_for(world, role, surface).get(
            "/api/v1/staff/complaints/", {"scope": FOREIGN_SCOPE[role]}
        )
        assert response.status_code == 400
        assert "scope" in response.json()

    @pytest.mark.parametrize("surface", SURFACES)
    @pytest.mark.parametrize("direction", ["after", "before"])
    @pytest.mark.parametrize(("role", "scope"), [("dinkes", "history"), ("samarinda", "subtree")])
    def test_a_cursor_made_from_another_agencys_report_lists_nothing_more(
        self, world: World, role: str, scope: str, direction: str, surface: str
    ) -> None:
        """A cursor is a position (deadline, id), not a permission: one built from a report
        the role cannot see moves through its own scope only."""
        foreign = Complaint.objects.get(tracking_number=world.tracking["dki"])
        assert foreign.due_at is not None
        raw = f"{foreign.due_at.isoformat()}|{foreign.pk}".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        query = {"scope": scope, "status": list(Complaint.Status.values), direction: cursor}
        path = "/dashboard/" if surface == "html" else "/api/v1/staff/complaints/"
        response = client_for(world, role, surface).get(path, query)
        assert response.status_code == 200
        body = response.content.decode()
        if surface == "html":
            assert listed_in_page(world, body) <= INBOX[(role, scope)]
        never_mentioned(world, body, INBOX[(role, scope)])

    @pytest.mark.parametrize("surface", SURFACES)
    @pytest.mark.parametrize("role", ["visitor", *sorted(NO_AGENCY)])
    def test_no_inbox_without_an_agency(self, world: World, role: str, surface: str) -> None:
        path = "/dashboard/" if surface == "html" else "/api/v1/staff/complaints/"
        response = client_for(world, role, surface).get(path)
        if role == "visitor":
            assert response.status_code == (302 if surface == "html" else 401)
            if surface == "html":
                assert response["Location"] == login_redirect("/dashboard/")
        else:
            assert response.status_code == 403
        never_mentioned(world, response.content.decode(), set())


class TestApiAuthentication:
    def test_unauthenticated_is_401_with_a_token_challenge(self, world: World) -> None:
        response = Client().get(api_url(world, "held"))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"

    def test_a_wrong_token_is_401(self, world: World) -> None:
        response = Client(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/v1/staff/complaints/")
        assert response.status_code == 401

    def test_a_token_of_an_inactive_user_is_401(self, world: World) -> None:
        User.objects.filter(username=world.usernames["dinkes"]).update(is_active=False)
        response = client_for(world, "dinkes", "token").get(api_url(world, "held"))
        assert response.status_code == 401

    @pytest.mark.parametrize("surface", API_SURFACES)
    def test_an_officer_moved_to_another_agency_loses_the_old_reports(
        self, world: World, surface: str
    ) -> None:
        Officer.objects.filter(user__username=world.usernames["rsud"]).update(
            agency=Agency.objects.get(code="dki")
        )
        client = client_for(world, "rsud", surface)
        assert client.get(api_url(world, "returned")).status_code == 404
        assert client.get(api_url(world, "dki")).status_code == 200
