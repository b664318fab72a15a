"""Every operation of the OpenAPI schema served at /api/schema/, driven by schemathesis against a
live server with demo-like data: no answer is a 5xx, and every answer is one the schema documents
(status code, content type, headers and body).

Generated values rarely hit a report that exists, so ``aim`` points most cases at the fixture's
reports, keys and tokens, chosen from the generated values themselves (a case and where it is
aimed depend only on Hypothesis's derandomized draws). The rest keep their generated values, so
the 404 and 401 answers are checked too. Bounded for CI: derandomized, ``MAX_EXAMPLES`` per
operation, nothing but the test server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from pytest_django.live_server_helper import LiveServer
from schemathesis import GenerationMode

from complaints import services
from complaints import services as complaint_services
from complaints.models import Complaint
from reports.services import build_monthly_recap
from routing.models import Agency, Category, Officer
from tests.files import png
from tests.helpers import api_token, route_fully

# Live server threads share the database: the data must be committed, and flushed afterwards.
pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 100
# Index in ``Demo.tokens`` of who may take each staff action: the OPD officer, the regency or
# province coordinator, the national one.
ROLE = {"dispose": 1, "pass-up": 2, "archive": 2, "privacy": 2, "reveal": 3}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@dataclass(frozen=True)
class Report:
    tracking_number: str
    access_key: str


@dataclass(frozen=True)
class Demo:
    reports: list[Report]
    tokens: list[str]  # an OPD officer, the regency, province and national coordinators
    citizen_tokens: list[str]  # a citizen owning the first report, one owning the second
    agency_codes: list[str]
    region_codes: list[str]
    months: list[str]


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(), content_type="image/png")


@pytest.fixture
def demo(submit: Callable[..., Any], tree: dict[str, Agency]) -> Demo:
    """Reports in every state an officer meets, filed five weeks ago (so last month has a
    recap), with a token for an OPD officer and for each level of coordinator, and two citizen
    accounts with a token, each with a report claimed into it."""
    start = timezone.now() - dt.timedelta(days=35)
    earlier = start.date() - dt.timedelta(days=1)
    dinkes, kaltim = tree["dinkes"], tree["kaltim"]
    social = Category.objects.get(code="sosial")
    receipts = []

    def filed(**fields: Any) -> Complaint:
        receipt = submit(now=start, incident_date=earlier, **fields)
        receipts.append(receipt)
        return route_fully(receipt.complaint, now=start)

    filed()  # DISPOSED to Dinkes Samarinda
    filed(is_anonymous=True, is_confidential=True)
    taken = filed(attachments=[_upload("bukti.png")])
    services.acknowledge_complaint(complaint_id=taken.pk, agency=dinkes, actor=None, now=start)
    for accepted in (False, True):
        answered = filed(attachments=[_upload("foto.png")])
        services.acknowledge_complaint(
            complaint_id=answered.pk, agency=dinkes, actor=None, now=start
        )
        services.respond_to_complaint(
            complaint_id=answered.pk,
            agency=dinkes,
            text="Sudah kami tindak lanjuti; layanan kembali buka sampai pukul 14.00.",
            attachments=[_upload("perbaikan.png")],
            actor=None,
            now=start,
        )
        if accepted:
            services.accept_answer(complaint_id=answered.pk, now=start)
    returned = filed()
    complaint_services.request_transfer(
        complaint_id=returned.pk,
        agency=dinkes,
        reason="Ini kewenangan RSUD, bukan Dinkes.",
        suggested_agency=tree["rsud"],
        actor=None,
        now=start,
    )
    filed(category=social)  # AWAITING_VERIFICATION at Kaltim
    archived = filed(category=social)
    complaint_services.archive_complaint(
        complaint_id=archived.pk, coordinator=kaltim, reason="Laporan ganda.", actor=None, now=start
    )

    tokens = []
    for name in ("dinkes", "samarinda", "kaltim", "national"):
        user = User.objects.create_user(f"uji.{name}", f"{name}@example.go.id", "sandi-uji-2026")
        Officer.objects.create(user=user, agency=tree[name])
        tokens.append(api_token(user))

    citizen_tokens = []
    for name, receipt in (("warga", receipts[0]), ("tetangga", receipts[1])):
        citizen = User.objects.create_user(f"{name}@example.id", f"{name}@example.id", "sandi-2026")
        services.claim_complaint(complaint_id=receipt.complaint.pk, user=citizen)
        citizen_tokens.append(api_token(citizen))

    month = start.date().replace(day=1)
    build_monthly_recap(month=month, now=timezone.now())
    return Demo(
        reports=[Report(r.complaint.tracking_number, r.access_key) for r in receipts],
        tokens=tokens,
        citizen_tokens=citizen_tokens,
        agency_codes=[agency.code for agency in tree.values()],
        region_codes=["64", "64.72", "64.71", "31"],
        months=[f"{month:%Y-%m}", "2020-01"],
    )


def _pick(options: list[Any], seed: object) -> Any | None:
    """One of ``options`` or, one time in ``len(options) + 1``, None (keep what was generated),
    decided by ``seed`` alone."""
    index = zlib.crc32(repr(seed).encode()) % (len(options) + 1)
    return options[index] if index < len(options) else None


def aim(case: Any, demo: Demo) -> None:
    """Point a generated case at the demo data: an existing report with its access key, a
    staff token, known agency and region codes and months."""
    path = case.path_parameters or {}
    if "tracking_number" in path:
        report = _pick(demo.reports, path["tracking_number"])
        if report is not None:
            path["tracking_number"] = report.tracking_number
            if case.operation.path.startswith("/api/v1/complaints/{"):
                # The private view and the citizen's actions mostly; the public view sometimes.
                headers = dict(case.headers or {})
                headers.pop("X-Access-Key", None)
                key = _pick([report.access_key] * 3, (report, "key"))
                case.headers = {**headers, "X-Access-Key": key} if key else headers
    if "code" in path:
        path["code"] = _pick(demo.agency_codes, path["code"]) or path["code"]
    if "position" in path:
        path["position"] = _pick(["1", "2"], path["position"]) or path["position"]
    if case.operation.path.startswith("/api/v1/me/") or case.operation.path.endswith("/claim/"):
        # Mostly the first citizen (its own report, another's, one nobody holds), now and then
        # the other citizen or the generated credentials.
        token = _pick(
            [demo.citizen_tokens[0]] * 3 + demo.citizen_tokens[1:], (path, case.query, case.headers)
        )
        if token is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    if case.operation.path.startswith("/api/v1/staff/") or "/reports/" in case.operation.path:
        # Mostly the role that may take the action (else nearly every action is a 403), now
        # and then anyone, or the generated credentials.
        action = case.operation.path.rstrip("/").rsplit("/", 1)[-1]
        tokens = demo.tokens + [demo.tokens[ROLE.get(action, 0)]] * 3
        token = _pick(tokens, (path, case.query, case.body))
        if token is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
    if isinstance(case.body, dict):
        for field in ("to_agency", "suggested_agency"):
            if field in case.body:
                case.body[field] = _pick(demo.agency_codes, case.body[field]) or case.body[field]
    if case.query:
        if "region" in case.query:
            case.query["region"] = _pick(demo.region_codes, case.query["region"]) or ""
        if "month" in case.query:
            case.query["month"] = _pick(demo.months, case.query["month"]) or case.query["month"]


def test_every_operation_conforms_to_the_schema(
    live_server: LiveServer, demo: Demo, subtests: pytest.Subtests
) -> None:
    # The schema as the portal serves it. Each operation is a subtest of this one test, not a
    # test of its own: schemathesis's lazy `from_fixture` loader does not run on pytest 9.2,
    # and one test builds the demo data and its live server once, not once per operation.
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = []
    for result in schema.get_all_operations():
        if not hasattr(result, "ok"):
            pytest.fail(f"an operation of the schema cannot be tested: {result.err()}")
        operations.append(result.ok())
    assert len(operations) >= 20, [operation.label for operation in operations]
    for operation in operations:
        with subtests.test(msg=operation.label):
            _run(operation, demo)


def _run(operation: Any, demo: Demo) -> None:
    """Cases that fit the schema and cases that do not, each answered as the schema says."""
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=cases)
    def check(case: Any) -> None:
        aim(case, demo)
        case.call_and_validate(checks=CHECKS, timeout=30)

    check()
