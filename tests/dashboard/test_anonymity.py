"""An anonymous reporter's identity never reaches agency staff.

The issue: "The identity of an anonymous reporter never reaches any agency staff: not in a page,
an API response, an export, an e-mail, a log line or an error page. A national administrator
may reveal it only through an explicit action that is itself logged." Marker values are planted
in every field of the reporter (name, e-mail, phone, address, the uploaded file's name); then
every response a staff user can get is collected (pages, files, every action's success and
error answers, the API, error pages), with every e-mail to an agency and every log record, and
searched for each marker in every spelling.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from complaints.models import Complaint, ComplaintEvent
from complaints.selectors import Action
from routing.models import Agency, Officer
from tests.files import CORPUS, pdf, sentinels_in
from tests.helpers import api_token, form_data, route_fully

A = Action
STAFF_DOMAIN = "instansi.example"
ALL_STATUSES = list(Complaint.Status.values)
MISSING = "2222-2222-2222"
REVEAL_REASON = "Permintaan resmi penyidik atas ancaman kekerasan."


@dataclass(frozen=True)
class Identity:
    """A reporter whose every field is a marker no page would contain by chance."""

    name: str
    email: str
    phone: str  # as typed; stored as +62…
    phone_groups: tuple[str, str, str]  # the number without its leading 0, in groups
    ip: str
    file_name: str
    name_tokens: tuple[str, ...]
    email_tokens: tuple[str, ...]
    file_token: str

    def spellings(self) -> dict[str, list[str]]:
        """Each kind of marker → every spelling to search for (case-insensitive). A number
        spelled 0813…, +62813…, 62813… or with spaces, dashes or dots all contain one of the
        phone spellings."""
        phone = [sep.join(self.phone_groups) for sep in ("", " ", "-", ".")]
        return {
            "name": [self.name, *self.name_tokens],
            "email": [self.email, *self.email_tokens],
            "phone": [self.phone, *phone],
            "ip": [self.ip],
            "file": [self.file_name, self.file_token],
        }


ANONYMOUS = Identity(
    name="Qorvinaldi XEMBRUTOYA",
    email="Drumvelt.Kasiopa@surel-pelapor.example",
    phone="0813 5790 2468",
    phone_groups=("813", "5790", "2468"),
    ip="203.0.113.77",
    file_name="ktp-Vrombelgast.png",
    name_tokens=("qorvinaldi", "xembrutoya"),
    email_tokens=("drumvelt", "kasiopa", "surel-pelapor"),
    file_token="vrombelgast",
)
NAMED = Identity(
    name="Pandoriska Weltmaran",
    email="trivolent.amaruk@surel-warga.example",
    phone="0857 1122 3344",
    phone_groups=("857", "1122", "3344"),
    ip="198.51.100.23",
    file_name="akta-Glimmerbach.png",
    name_tokens=("pandoriska", "weltmaran"),
    email_tokens=("trivolent", "amaruk", "surel-warga"),
    file_token="glimmerbach",
)
EVERY_KIND = ("name", "email", "phone", "ip", "file")


def found_in(identity: Identity, content: bytes, kinds: tuple[str, ...] = EVERY_KIND) -> set[str]:
    """Which kinds of the identity's markers occur in ``content``."""
    lowered = content.lower()
    return {
        kind
        for kind, spellings in identity.spellings().items()
        if kind in kinds and any(s.lower().encode() in lowered for s in spellings)
    }


# --- what staff got back -----------------------------------------------------------------------


@dataclass
class Seen:
    """Every response collected, by a label that says who asked what."""

    items: list[tuple[str, bytes]] = field(default_factory=list)

    def add(self, label: str, response: Any) -> Any:
        headers = "\n".join(f"{k}: {v}" for k, v in response.items()).encode()
        chain = " ".join(url for url, _status in getattr(response, "redirect_chain", [])).encode()
        if getattr(response, "streaming", False):
            content = b"".join(response.streaming_content)
        else:
            content = response.content
        self.items.append((label, b"\n".join([headers, chain, content])))
        return response

    def leaks(self, identity: Identity, kinds: tuple[str, ...] = EVERY_KIND) -> list[str]:
        return [
            f"{label}: {sorted(found)}"
            for label, content in self.items
            if (found := found_in(identity, content, kinds))
        ]


def staff_emails() -> list[mail.EmailMessage]:
    """The e-mails to an agency or an officer (the citizen's own answer e-mail is theirs)."""
    return [
        message
        for message in mail.outbox
        if any(
            address.endswith("@" + STAFF_DOMAIN)
            for address in [*message.to, *message.cc, *message.bcc]
        )
    ]


def email_leaks(identity: Identity) -> list[str]:
    leaks = []
    for message in staff_emails():
        raw = message.message().as_bytes()
        parts = [raw, message.subject.encode(), message.body.encode()]
        parts += [content.encode() for content, _type in getattr(message, "alternatives", [])]
        if found := found_in(identity, b"\n".join(parts)):
            leaks.append(f"e-mail {message.subject!r} to {message.bcc or message.to}: {found}")
    return leaks


def log_leaks(records: list[logging.LogRecord], identity: Identity) -> list[str]:
    leaks = []
    for record in records:
        text = " ".join(
            [
                record.getMessage(),
                repr(record.args),
                record.exc_text or "",
                logging.Formatter().format(record),
                repr(record.__dict__),
            ]
        )
        if found := found_in(identity, text.encode()):
            leaks.append(f"log {record.name} {record.levelname}: {found}")
    return leaks


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, at DEBUG: also those that do not pass on to the root."""
    caplog.set_level(logging.DEBUG)
    names = list(logging.root.manager.loggerDict)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    silent = [
        logger
        for name in names
        if isinstance(logger := logging.getLogger(name), logging.Logger) and not logger.propagate
    ]
    for logger in silent:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in silent:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def inline_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """E-mails are sent at once, by the mail worker's task, as a worker would take them after
    commit, so that every e-mail staff would get ends up in the outbox (routing steps go
    nowhere: the tests take them). Pair with ``django_capture_on_commit_callbacks``."""
    from complaints import tasks
    from lapor import queue

    def publish(name: str, **kwargs: Any) -> bool:
        if name == queue.SEND_MESSAGE:
            tasks.send_message_task(**kwargs)
        return True

    monkeypatch.setattr(queue, "publish", publish)


# --- staff -------------------------------------------------------------------------------------

# Every staff role that could see the report, and one that cannot (RSUD, the other OPD).
ROLES = ["dinkes", "rsud", "samarinda", "kaltim", "national", "revealer"]
SEE_IT = {"dinkes", "samarinda", "kaltim", "national", "revealer"}


@dataclass
class Staff:
    agencies: dict[str, Agency]
    users: dict[str, User]
    tokens: dict[str, str]
    _clients: dict[str, Client] = field(default_factory=dict)

    def html(self, role: str) -> Client:
        if role not in self._clients:
            client = Client()
            client.force_login(self.users[role])
            self._clients[role] = client
        return self._clients[role]

    def api(self, role: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")


@pytest.fixture
def staff(tree: dict[str, Agency]) -> Staff:
    agencies = {
        "dinkes": tree["dinkes"],
        "rsud": tree["rsud"],
        "samarinda": tree["samarinda"],
        "kaltim": tree["kaltim"],
        "national": tree["national"],
        "revealer": tree["national"],
    }
    for agency in set(agencies.values()):
        agency.email = f"{agency.code}@{STAFF_DOMAIN}"
        agency.save(update_fields=["email"])
    users: dict[str, User] = {}
    tokens: dict[str, str] = {}
    for role, agency in agencies.items():
        user = User.objects.create_user(f"anon-{role}", f"{role}.petugas@{STAFF_DOMAIN}")
        Officer.objects.create(user=user, agency=agency)
        users[role] = user
        tokens[role] = api_token(user)
    users["revealer"].user_permissions.add(
        Permission.objects.get(content_type__app_label="complaints", codename="reveal_reporter")
    )
    return Staff(agencies=agencies, users=users, tokens=tokens)


def png_by(author: str) -> bytes:
    """A PNG whose text chunks name its author, as some phone apps write them."""
    info = PngInfo()
    info.add_text("Author", author)
    info.add_text("Comment", f"Foto oleh {author}")
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (10, 160, 90)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def file_report(
    submit: Callable[..., Any],
    capture: Callable[..., Any],
    identity: Identity,
    *,
    anonymous: bool,
) -> Complaint:
    """Submit and route to Dinkes, running what the commit would start (the agency is told)."""
    with capture(execute=True):
        receipt = submit(
            is_anonymous=anonymous,
            reporter_name=identity.name,
            reporter_email=identity.email,
            reporter_phone=identity.phone,
            ip_address=identity.ip,
            attachments=[
                SimpleUploadedFile(identity.file_name, png_by(identity.name), "image/png"),
                SimpleUploadedFile("surat.pdf", pdf(author=identity.name), "application/pdf"),
            ],
        )
        complaint = route_fully(receipt.complaint)
    assert complaint.current_agency.code == "dinkes-smd"
    assert complaint.status == Complaint.Status.DISPOSED
    return complaint


# --- requests ----------------------------------------------------------------------------------


def page(tn: str, suffix: str = "") -> str:
    return f"/dashboard/complaints/{tn}/{suffix}"


def api(tn: str, suffix: str = "") -> str:
    return f"/api/v1/staff/complaints/{tn}/{suffix}"


def sweep(
    seen: Seen, staff: Staff, role: str, complaint: Complaint, *, sees: bool, full: bool = True
) -> None:
    """Every read a staff member has on the report: inbox (each scope, with filters and
    search), report page, file, the API's inbox, report and file, and the error pages.
    Not ``full``: the inbox of every status only, and no error pages."""
    tn = complaint.tracking_number
    html, token = staff.html(role), staff.api(role)
    scopes = ["held", "history"] if staff.agencies[role].level == "OPD" else ["held", "subtree"]
    filters: list[dict[str, Any]] = [{"status": ALL_STATUSES}]
    if full:
        filters = [
            {},
            {
                "status": ALL_STATUSES,
                "q": "Puskesmas",
                "category": "kesehatan",
                "region": "64.72",
                "kind": "COMPLAINT",
                "submitted_from": "2026-01-01",
                "submitted_to": "2026-12-31",
            },
            {"overdue": "true"},
        ]
    for scope in scopes:
        for params in filters:
            query = {"scope": scope, **params}
            response = seen.add(f"{role} inbox {query}", html.get("/dashboard/", query))
            assert response.status_code == 200
            response = seen.add(
                f"{role} API inbox {query}", token.get("/api/v1/staff/complaints/", query)
            )
            assert response.status_code == 200
    status = 200 if sees else 404
    for label, client, path in [
        ("page", html, page(tn)),
        ("API report", token, api(tn)),
        ("session API report", html, api(tn)),
        ("image", html, page(tn, "attachments/1/")),
        ("PDF", html, page(tn, "attachments/2/")),
        ("API image", token, api(tn, "attachments/1/")),
        ("API PDF", token, api(tn, "attachments/2/")),
    ]:
        response = seen.add(f"{role} {label}", client.get(path))
        assert response.status_code == status, (role, label)
    if sees:
        assert tn.encode() in seen.items[-7][1]
        assert seen.items[-3][1].count(b"%PDF-") == 1  # the file itself was searched
    if not full:
        return
    for label, client, path in [
        ("404 page", html, page(MISSING)),
        ("404 file", html, page(MISSING, "attachments/1/")),
        ("404 malformed", html, page("ZZ")),
        ("404 API", token, api(MISSING)),
        ("404 file position", html, page(tn, "attachments/9/")),
    ]:
        response = seen.add(f"{role} {label}", client.get(path))
        assert response.status_code == 404, (role, label)


def post(
    seen: Seen,
    staff: Staff,
    capture: Callable[..., Any],
    role: str,
    surface: str,
    complaint: Complaint,
    action: str,
    data: dict[str, Any],
    expected: int,
    *,
    tn: str | None = None,
) -> Any:
    """POST an action, run what its commit starts (e-mails), follow a page's redirect."""
    path = (page if surface == "html" else api)(tn or complaint.tracking_number, f"{action}/")
    with capture(execute=True):
        if surface == "html":
            response = staff.html(role).post(path, data, follow=expected == 302)
        else:
            response = staff.api(role).post(path, data, content_type="application/json")
    seen.add(f"{role} {surface} {action} → {expected}", response)
    status = response.redirect_chain[0][1] if getattr(response, "redirect_chain", None) else None
    assert (status or response.status_code) == expected, (
        role,
        surface,
        action,
        response.content[:300],
    )
    if status is not None:
        assert response.status_code == 200
    return response


def version(complaint: Complaint) -> int:
    complaint.refresh_from_db()
    return complaint.version


# What each role may do on the anonymous report while Dinkes holds it, new (the permission
# matrix in test_permissions.py tests this for every report; here it picks the answer expected).
ALLOWED_WHILE_NEW = {
    # A complaint: the inspection deadline may be set, an extension is for information requests.
    "dinkes": {A.ACKNOWLEDGE, A.INTERIM, A.ANSWER, A.INSPECTION, A.TRANSFER, A.NOTE, A.MERGE},
    "samarinda": {A.NOTE, A.PRIVACY, A.MERGE},
    "kaltim": {A.NOTE, A.PRIVACY, A.MERGE},
    "national": {A.NOTE, A.PRIVACY, A.MERGE},
    "revealer": {A.NOTE, A.PRIVACY, A.REVEAL, A.MERGE},
}
VERSIONED = {
    A.ACKNOWLEDGE,
    A.INTERIM,
    A.ANSWER,
    A.INSPECTION,
    A.EXTEND,
    A.TRANSFER,
    A.DISPOSE,
    A.PASS_UP,
    A.ARCHIVE,
    A.PRIVACY,
    A.MERGE,
    A.UNMERGE,
}


def bad_input(action: Action, v: int, surface: str) -> dict[str, Any]:
    """Input each action refuses with 400."""
    if action in (A.NOTE, A.REVEAL):
        return {"text": "", "reason": ""}
    if action == A.ACKNOWLEDGE:
        return {"version": "bukan-angka"}
    if action == A.PRIVACY:
        return {"version": v}  # nothing chosen
    if action == A.DISPOSE:
        return {"version": v, "to_agency": "" if surface == "html" else "tidak-ada"}
    if action in (A.ANSWER, A.INTERIM):
        return {"version": v, "text": "x"}
    return {"version": v, "reason": ""}


def good_input(action: Action, v: int, staff: Staff, surface: str) -> dict[str, Any]:
    if action in (A.ANSWER, A.INTERIM):
        return {"version": v, "text": "Petugas puskesmas sudah kami tegur dan jadwal diperbaiki."}
    if action == A.NOTE:
        return {"text": "Catatan internal."}
    if action == A.REVEAL:
        return {"reason": REVEAL_REASON}
    if action == A.PRIVACY:
        return {"version": v, "make_confidential": "on" if surface == "html" else True}
    if action == A.DISPOSE:
        dinkes = staff.agencies["dinkes"]
        return {"version": v, "to_agency": dinkes.pk if surface == "html" else dinkes.code}
    if action == A.MERGE:
        return {"version": v, "reason": "Masalah yang sama.", "original": MISSING}
    return {"version": v, "reason": "Bukan kewenangan kami."}


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any, inline_tasks: None) -> Any:
    return django_capture_on_commit_callbacks


# --- the tests ---------------------------------------------------------------------------------


class TestMarkersCanBeFound:
    """The control: the search finds the markers where they are shown."""

    def test_the_opd_sees_a_named_reporter(
        self, staff: Staff, submit: Callable[..., Any], capture: Any
    ) -> None:
        complaint = file_report(submit, capture, NAMED, anonymous=False)
        seen = Seen()
        seen.add("dinkes page", staff.html("dinkes").get(page(complaint.tracking_number)))
        seen.add("dinkes API", staff.api("dinkes").get(api(complaint.tracking_number)))
        assert found_in(NAMED, seen.items[0][1]) == {"name", "email", "phone"}
        assert found_in(NAMED, seen.items[1][1]) == {"name", "email", "phone"}
        reporter = staff.api("dinkes").get(api(complaint.tracking_number)).json()["reporter"]
        assert reporter == {"name": NAMED.name, "email": NAMED.email, "phone": "+6285711223344"}
        # and the markers of the anonymous identity are not in it by chance
        assert found_in(ANONYMOUS, seen.items[0][1]) == set()

    def test_address_and_file_name_never_reach_staff_even_of_a_named_reporter(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        complaint = file_report(submit, capture, NAMED, anonymous=False)
        seen = Seen()
        for role in ROLES:
            sweep(seen, staff, role, complaint, sees=role in SEE_IT)
        assert seen.leaks(NAMED, ("ip", "file")) == []
        # the agency's notification names no reporter at all, anonymous or not
        assert staff_emails(), "the agency was told of the report"
        assert email_leaks(NAMED) == []
        assert log_leaks(all_logs.records, NAMED) == []


class TestAnonymousReporter:
    def test_no_read_of_any_staff_role_shows_the_reporter(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        seen = Seen()
        for role in ROLES:
            sweep(seen, staff, role, complaint, sees=role in SEE_IT)
        assert seen.leaks(ANONYMOUS) == []
        assert len(seen.items) > 100
        assert staff_emails(), "the agency was told of the report"
        assert email_leaks(ANONYMOUS) == []
        assert log_leaks(all_logs.records, ANONYMOUS) == []

    def test_exports_and_the_admin_show_no_reporter(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        """The recap exports of the month (read inside: cells of the spreadsheet, text of the
        PDF) and every admin page about the report, as a superuser."""
        import openpyxl
        from pypdf import PdfReader

        from reports.services import build_monthly_recap
        from tests.helpers import NOW

        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        month = NOW.date().replace(day=1)
        build_monthly_recap(month=month, now=NOW + dt.timedelta(days=31))
        seen = Seen()
        for role in ("samarinda", "kaltim", "national"):
            for kind in ("csv", "xlsx", "pdf"):
                response = staff.html(role).get(
                    f"/reports/export.{kind}", {"month": month.strftime("%Y-%m")}
                )
                assert response.status_code == 200, (role, kind)
                content = response.content
                if kind == "xlsx":
                    book = openpyxl.load_workbook(io.BytesIO(content))
                    content = "\n".join(
                        str(cell)
                        for sheet in book
                        for row in sheet.iter_rows(values_only=True)
                        for cell in row
                    ).encode()
                elif kind == "pdf":
                    reader = PdfReader(io.BytesIO(content))
                    content = "\n".join(page.extract_text() or "" for page in reader.pages).encode()
                assert content.strip(), (role, kind)
                seen.items.append((f"{role} export {kind}", content))
        root = Client()
        root.force_login(User.objects.create_superuser("akar", "akar@example.id", "sandi-akar"))
        for url in (
            f"/admin/complaints/complaint/{complaint.pk}/change/",
            "/admin/complaints/complaint/",
            f"/admin/complaints/complaint/?q={complaint.tracking_number}",
            "/admin/complaints/disposition/",
            "/admin/auth/user/",
        ):
            response = root.get(url)
            assert response.status_code == 200, url
            seen.add(f"admin {url}", response)
        assert seen.leaks(ANONYMOUS) == []
        assert log_leaks(all_logs.records, ANONYMOUS) == []

    def test_no_error_answer_of_any_action_shows_the_reporter(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        """400 (bad input), 403 (not yours), 404 (not visible, or no such report) and 409 (a
        stale version), for every action, role and surface."""
        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        seen = Seen()
        statuses: set[int] = set()
        for role in ROLES:
            for action in Action:
                for surface in ("html", "token"):
                    v = version(complaint)
                    args = (seen, staff, capture, role, surface, complaint, action)
                    missing = post(*args, good_input(action, v, staff, surface), 404, tn=MISSING)
                    statuses.add(missing.status_code)
                    if role not in SEE_IT:
                        post(*args, good_input(action, v, staff, surface), 404)
                        continue
                    if action not in ALLOWED_WHILE_NEW[role]:
                        post(*args, good_input(action, v, staff, surface), 403)
                        statuses.add(403)
                        continue
                    post(*args, bad_input(action, v, surface), 400)
                    statuses.add(400)
                    if action in VERSIONED:
                        post(*args, good_input(action, v - 1, staff, surface), 409)
                        statuses.add(409)
                    assert version(complaint) == v, (role, action, surface)
        assert statuses == {400, 403, 404, 409}
        assert seen.leaks(ANONYMOUS) == []
        assert email_leaks(ANONYMOUS) == []
        assert log_leaks(all_logs.records, ANONYMOUS) == []

    def test_its_whole_journey_through_the_agencies(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        """Every successful action on the way (pages followed after the redirect, the API in a
        savepoint undone again), the errors of the coordinators' own actions, and every read of
        every role at each stop; then every e-mail the agencies got, and every log line."""
        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        seen = Seen()

        def act(role: str, action: Action, data: dict[str, Any] | None = None) -> None:
            v = version(complaint)
            # first through the API, undone again...
            with transaction.atomic():
                body = dict(data or good_input(action, v, staff, "token"))
                for key in ("to_agency", "suggested_agency"):
                    if data and key in data:  # the page takes ids, the API codes
                        body[key] = Agency.objects.get(pk=data[key]).code
                post(seen, staff, capture, role, "token", complaint, action, body, 200)
                transaction.set_rollback(True)
            # ...then for real through the page
            expected = 200 if action == A.REVEAL else 302
            post(
                seen,
                staff,
                capture,
                role,
                "html",
                complaint,
                action,
                data or good_input(action, v, staff, "html"),
                expected,
            )
            assert version(complaint) == v + (0 if action == A.NOTE else 1), (role, action)

        def refused(role: str, action: Action, data: dict[str, Any], expected: int) -> None:
            post(seen, staff, capture, role, "html", complaint, action, data, expected)

        def look(full: bool = False) -> None:
            for role in ROLES:
                sweep(seen, staff, role, complaint, sees=role in SEE_IT, full=full)

        look(full=True)
        act("dinkes", A.NOTE)
        act("dinkes", A.ACKNOWLEDGE)
        act(
            "dinkes",
            A.TRANSFER,
            {
                "version": version(complaint),
                "reason": "Kewenangan RSUD.",
                "suggested_agency": staff.agencies["rsud"].pk,
            },
        )
        assert complaint.current_agency_id == staff.agencies["samarinda"].pk
        look()
        # Samarinda's queue: its errors, an archive undone again, then up to Kaltim.
        v = version(complaint)
        refused("samarinda", A.DISPOSE, {"version": v, "to_agency": ""}, 400)
        refused("samarinda", A.PASS_UP, {"version": v, "reason": ""}, 400)
        refused("samarinda", A.ARCHIVE, {"version": v, "reason": ""}, 400)
        for action in (A.DISPOSE, A.PASS_UP, A.ARCHIVE):
            refused("samarinda", action, good_input(action, v - 1, staff, "html"), 409)
        refused("dinkes", A.ANSWER, good_input(A.ANSWER, v, staff, "html"), 403)
        with transaction.atomic():
            act("samarinda", A.ARCHIVE)
            transaction.set_rollback(True)
        act("samarinda", A.PASS_UP, {"version": v, "reason": "Perlu keputusan provinsi."})
        assert complaint.current_agency_id == staff.agencies["kaltim"].pk
        look()
        # Kaltim hands it back down to Samarinda's queue; Samarinda sends it to Dinkes again,
        # which returned it before: refused until the coordinator confirms.
        act(
            "kaltim",
            A.DISPOSE,
            {"version": version(complaint), "to_agency": staff.agencies["samarinda"].pk},
        )
        v = version(complaint)
        dinkes = staff.agencies["dinkes"].pk
        refused("samarinda", A.DISPOSE, {"version": v, "to_agency": dinkes}, 400)
        act("samarinda", A.DISPOSE, {"version": v, "to_agency": dinkes, "allow_returned": "on"})
        assert complaint.current_agency_id == dinkes
        look()
        act("dinkes", A.ANSWER)
        act("national", A.NOTE)
        act("kaltim", A.PRIVACY)
        look(full=True)

        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.RESPONDED
        assert complaint.is_confidential
        assert seen.leaks(ANONYMOUS) == []
        told = staff_emails()
        told_agencies = {address for message in told for address in message.bcc}
        # each hand-over told the agency that got it: the search below has something to search
        assert {
            f"dinkes-smd@{STAFF_DOMAIN}",
            f"smd@{STAFF_DOMAIN}",
            f"kaltim@{STAFF_DOMAIN}",
        } <= told_agencies
        assert all(complaint.tracking_number in message.body for message in told)
        assert email_leaks(ANONYMOUS) == []
        assert log_leaks(all_logs.records, ANONYMOUS) == []


class TestSearch:
    def test_searching_for_the_reporter_does_not_find_the_report(
        self, staff: Staff, submit: Callable[..., Any], capture: Any
    ) -> None:
        """The inbox search would otherwise tell who filed it: type a name, see the report."""
        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        tn = complaint.tracking_number
        searches = [
            ANONYMOUS.name,
            *ANONYMOUS.name_tokens,
            ANONYMOUS.email,
            ANONYMOUS.phone,
            "+6281357902468",
            ANONYMOUS.ip,
            ANONYMOUS.file_token,
        ]
        for role in sorted(SEE_IT):
            scope = "history" if role == "dinkes" else "subtree"
            for q in ["Puskesmas", *searches]:
                query = {"scope": scope, "status": ALL_STATUSES, "q": q}
                listed_page = tn in staff.html(role).get("/dashboard/", query).content.decode()
                rows = staff.api(role).get("/api/v1/staff/complaints/", query).json()["results"]
                listed_api = tn in {row["tracking_number"] for row in rows}
                # a word of the title finds it (the search works); the reporter never does
                expected = q == "Puskesmas"
                assert (listed_page, listed_api) == (expected, expected), (role, q)


class TestReveal:
    @pytest.mark.parametrize("surface", ["html", "token"])
    def test_only_the_permitted_national_officer_reveals_and_it_is_recorded(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
        surface: str,
    ) -> None:
        complaint = file_report(submit, capture, ANONYMOUS, anonymous=True)
        seen = Seen()
        # before: the permitted officer sees no more than anyone else
        sweep(seen, staff, "revealer", complaint, sees=True)
        assert seen.leaks(ANONYMOUS) == []
        # the national officer without the permission cannot
        post(
            seen,
            staff,
            capture,
            "national",
            surface,
            complaint,
            A.REVEAL,
            {"reason": REVEAL_REASON},
            403,
        )
        assert not complaint.events.filter(type=ComplaintEvent.Type.IDENTITY_REVEALED).exists()
        assert seen.leaks(ANONYMOUS) == []

        all_logs.clear()
        reveal = Seen()
        response = post(
            reveal,
            staff,
            capture,
            "revealer",
            surface,
            complaint,
            A.REVEAL,
            {"reason": REVEAL_REASON},
            200,
        )
        assert found_in(ANONYMOUS, response.content) == {"name", "email", "phone"}
        assert "no-store" in response["Cache-Control"]
        if surface == "token":
            assert response.json()["reporter"] == {
                "name": ANONYMOUS.name,
                "email": ANONYMOUS.email,
                "phone": "+6281357902468",
            }
        event = complaint.events.get(type=ComplaintEvent.Type.IDENTITY_REVEALED)
        revealer = staff.users["revealer"]
        assert event.actor_id == revealer.pk
        assert event.data["reason"] == REVEAL_REASON
        assert event.is_public is False
        # the log says who revealed which report, and not whom
        said = [
            r
            for r in all_logs.records
            if "revealed" in r.getMessage() and r.levelno >= logging.WARNING
        ]
        assert len(said) == 1
        assert str(revealer.pk) in said[0].getMessage()
        assert str(complaint.pk) in said[0].getMessage()
        assert log_leaks(all_logs.records, ANONYMOUS) == []

        # afterwards: nobody sees the reporter, not even the one who revealed it, on any read;
        # the reveal itself is on the staff timeline.
        after = Seen()
        for role in ROLES:
            sweep(after, staff, role, complaint, sees=role in SEE_IT, full=False)
        assert after.leaks(ANONYMOUS) == []
        timeline = staff.html("kaltim").get(page(complaint.tracking_number)).content.decode()
        assert REVEAL_REASON in timeline
        assert staff.users["revealer"].get_username() in timeline
        # the citizen's public page does not list it
        public = Client().get(f"/lacak/{complaint.tracking_number}/")
        assert public.status_code == 200
        assert REVEAL_REASON not in public.content.decode()
        assert email_leaks(ANONYMOUS) == []


class TestRaisedPrivacy:
    def test_a_report_made_anonymous_no_longer_shows_its_reporter(
        self,
        staff: Staff,
        submit: Callable[..., Any],
        capture: Any,
        all_logs: pytest.LogCaptureFixture,
    ) -> None:
        complaint = file_report(submit, capture, NAMED, anonymous=False)
        before = staff.html("dinkes").get(page(complaint.tracking_number))
        assert found_in(NAMED, before.content) == {"name", "email", "phone"}

        seen = Seen()
        post(
            seen,
            staff,
            capture,
            "samarinda",
            "html",
            complaint,
            A.PRIVACY,
            {"version": version(complaint), "make_anonymous": "on"},
            302,
        )
        complaint.refresh_from_db()
        assert complaint.is_anonymous
        assert complaint.events.filter(type=ComplaintEvent.Type.PRIVACY_RAISED).exists()
        after = Seen()
        for role in ROLES:
            sweep(after, staff, role, complaint, sees=role in SEE_IT, full=False)
        assert after.leaks(NAMED) == []
        assert staff.api("dinkes").get(api(complaint.tracking_number)).json()["reporter"] is None
        assert seen.leaks(NAMED) == []


class TestFilesFromTheWild:
    """Files shaped like the ones citizens send (``tests.files.CORPUS``: phone photos with maker
    notes and GPS, PNG text chunks, WebP and HEIC metadata, word-processor, annotated, form and
    scripted PDFs), each naming its author inside, attached to an anonymous report through the
    real form: no sentinel is in what is stored, nor in what the agency downloads."""

    @pytest.mark.parametrize("kinds", [list(CORPUS)[:4], list(CORPUS)[4:]], ids=["images", "PDFs"])
    def test_no_sentinel_in_stored_or_served_files(
        self, client: Client, staff: Staff, capture: Any, kinds: list[str]
    ) -> None:
        files = [
            SimpleUploadedFile(name, build(), "application/octet-stream")
            for name, build in (CORPUS[kind] for kind in kinds)
        ]
        with capture(execute=True):
            response = client.post(
                "/lapor/", form_data(category="kesehatan", is_anonymous="on", attachments=files)
            )
        assert response.status_code == 302, response.context and response.context["form"].errors
        complaint = route_fully(Complaint.objects.latest("id"))
        assert complaint.current_agency.code == "dinkes-smd"
        attachments = list(complaint.attachments.order_by("position"))
        assert len(attachments) == len(kinds)
        tn = complaint.tracking_number
        for attachment in attachments:
            with attachment.file.open("rb") as stored:
                content = stored.read()
            assert sentinels_in(content) == set(), attachment.original_name
            suffix = f"attachments/{attachment.position}/"
            for served in (
                staff.html("dinkes").get(page(tn, suffix)),
                staff.api("dinkes").get(api(tn, suffix)),
            ):
                assert served.status_code == 200
                body = b"".join(served.streaming_content) if served.streaming else served.content
                assert body == content
