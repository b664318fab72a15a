"""Shared fixtures, and the rule for tests that need services this machine may not have.

Tests marked ``postgres``, ``redis``, ``worker``, ``browser`` or ``nginx`` are skipped, with the
reason shown, where PostgreSQL (DATABASE_URL), Redis (REDIS_URL), Chromium or nginx are missing. With
``LAPOR_REQUIRE_ALL=1`` (set by .ci/run for its full run) such a skip is a failure instead.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from routing.selectors import clear_settings_cache

CHROMIUM = os.environ.get("LAPOR_CHROMIUM", "/usr/bin/chromium")
REQUIRE_ALL = os.environ.get("LAPOR_REQUIRE_ALL") == "1"


def _missing(marker: str) -> str | None:
    if marker == "postgres":
        engine = settings.DATABASES["default"]["ENGINE"]
        return None if "postgresql" in engine else "needs PostgreSQL: set DATABASE_URL"
    if marker in ("redis", "worker"):
        return None if settings.REDIS_URL else "needs Redis: set REDIS_URL"
    if marker == "nginx":
        nginx = os.environ.get("LAPOR_NGINX", "/usr/sbin/nginx")
        return None if Path(nginx).exists() else f"needs nginx at {nginx} (apt-get install nginx)"
    if marker == "browser":
        if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
            return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "needs the playwright package"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in ("postgres", "redis", "worker", "browser", "nginx"):
            if marker not in item.keywords:
                continue
            reason = _missing(marker)
            if reason is None:
                continue
            if REQUIRE_ALL:
                item.add_marker(
                    pytest.mark.usefixtures("_fail_missing_service"),
                )
                item.user_properties.append(("missing_service", reason))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_missing_service(request: pytest.FixtureRequest) -> None:
    reasons = [v for k, v in request.node.user_properties if k == "missing_service"]
    pytest.fail(f"LAPOR_REQUIRE_ALL=1 but {'; '.join(reasons)}")


@pytest.fixture(scope="session", autouse=True)
def _celery_broker() -> None:
    """Without Redis, tasks published by tests go to an in-memory broker, not into var/."""
    if not settings.REDIS_URL:
        from lapor.celery import app

        app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True)
def _suite_settings(settings: Any) -> None:
    """What every test starts from (a module may override ``_isolated_media_and_cache``, never
    this). The API's limit is tested on its own (tests/lib/test_api_throttle.py), the lookups'
    too (tests/complaints/test_lookups.py): elsewhere, with Redis counting across tests, the
    suite's own requests would reach them. Two-step sign-in is tested on its own as well
    (tests/dashboard/test_two_factor.py)."""
    settings.LAPOR_API_USER_RATE = settings.LAPOR_API_ADDRESS_RATE = "1000000/s"
    settings.LAPOR_LOOKUP_RATE = "1000000/s"
    settings.LAPOR_2FA = False
    # No page asks a tile server on the internet for map tiles (a path on the portal: the
    # content policy needs no change; the map tests serve tiles of their own).
    settings.LAPOR_MAP_TILE_URL = "/no-tiles/{z}/{x}/{y}.png"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the portal's default language, whatever the test before it left
    active in this thread (a request's language stays active after it): a test's outcome must
    not depend on the order the tests run in, nor on how pytest-xdist shares them out."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(tmp_path: Path, settings: object) -> Iterator[None]:
    """Each test gets its own upload folder and an empty cache (rate-limit counters)."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)  # type: ignore[attr-defined]  # pytest-django's settings fixture
    settings.STORAGES = {  # type: ignore[attr-defined]  # pytest-django's settings fixture
        **settings.STORAGES,  # type: ignore[attr-defined]  # pytest-django's settings fixture
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": None},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]  # pytest-django's settings fixture
    # Demo accounts are created in many tests; a deliberately slow hash would dominate them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]  # pytest-django's settings fixture
    cache.clear()
    clear_settings_cache()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def clock() -> Iterator[None]:
    """The clock starts at ``tests.helpers.CLOCK`` and runs on, for a module whose tests fix
    moments (reports filed at ``NOW``) and then let the code read the clock: once for the
    module, before its other fixtures (logins made once a module must not expire)."""
    import time_machine

    from tests.helpers import CLOCK

    with time_machine.travel(CLOCK, tick=True):
        yield


@pytest.fixture(autouse=True)
def _forget_rows_taken_inline() -> Iterator[None]:
    """A test's transaction is rolled back, and SQLite then gives its row ids out again: the
    outbox must not remember, into the next test, ids a delivery took inline."""
    yield
    from complaints import outbox

    outbox._taken_inline.ids.clear()


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[dict[str, Any]]]:
    """Background work published by name (``lapor.queue.publish``) is kept instead of sent
    to a broker: ``published(name)`` is the list of keyword arguments of every task ``name``
    published so far, in order (the same list as it grows)."""
    from lapor import queue

    sent: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)

    def publish(name: str, **kwargs: Any) -> bool:
        sent[name].append(kwargs)
        return True

    monkeypatch.setattr(queue, "publish", publish)
    return lambda name: sent[name]


@pytest.fixture
def media_root(settings: object) -> Path:
    return Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]  # pytest-django's settings fixture


@pytest.fixture
def regions(db: None) -> None:
    """Kalimantan Timur (64) and DKI Jakarta (31) with their regencies and districts."""
    from routing.services import load_regions

    load_regions(province_codes=["64", "31"])


@pytest.fixture
def categories(db: None) -> None:
    """What the data migrations seed: categories and deadline settings. A transactional test's
    flush removes them, so tests that need them ask for this fixture."""
    from tests.helpers import seed_reference_data

    seed_reference_data()


@pytest.fixture
def submit(regions: None, categories: None) -> Callable[..., Any]:
    """File a report through the service, with sensible defaults for every field."""

    from complaints.services import SubmissionReceipt, submit_complaint
    from routing.models import Category, Region
    from tests.helpers import NOW

    def _submit(**overrides: Any) -> SubmissionReceipt:
        fields: dict[str, Any] = {
            "kind": "COMPLAINT",
            "title": "Puskesmas tutup di jam layanan",
            "description": "Puskesmas Palaran tutup pukul 10 pagi padahal jadwalnya sampai 14.00.",
            "category": Category.objects.get(code="kesehatan"),
            "region": Region.objects.get(code="64.72.01"),
            "incident_date": dt.date(2026, 11, 27),
            "is_anonymous": False,
            "is_confidential": False,
            "reporter_name": "Siti Aminah",
            "reporter_email": "siti@example.id",
            "reporter_phone": "0812 3456 7890",
            "now": NOW,
        }
        fields.update(overrides)
        return submit_complaint(**fields)

    return _submit


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Close PostgreSQL connection pools before the test database is dropped: connections that
    the live server's threads gave back to the pool would otherwise keep it in use."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if getattr(connection, "pool", None) is not None:
                connection.close()  # give back the connection this thread still holds
                connection.close_pool()


@pytest.fixture
def tree(regions: None, categories: None) -> dict[str, Any]:
    """A small hierarchy: national → Kaltim → Samarinda → two OPDs, plus a provincial OPD;
    kesehatan goes down to Dinkes Samarinda, pendidikan to the provincial Disdik."""
    from routing.models import Agency, Category, RoutingRule

    national = Agency.objects.create(code="nasional", name="Nasional", level="NATIONAL")
    kaltim = Agency.objects.create(
        code="kaltim", name="Diskominfo Kaltim", level="PROVINCE", region_id="64", parent=national
    )
    samarinda = Agency.objects.create(
        code="smd", name="Diskominfo Samarinda", level="REGENCY", region_id="64.72", parent=kaltim
    )
    dinkes = Agency.objects.create(
        code="dinkes-smd", name="Dinkes Samarinda", level="OPD", region_id="64.72", parent=samarinda
    )
    rsud = Agency.objects.create(
        code="rsud-smd", name="RSUD Samarinda", level="OPD", region_id="64.72", parent=samarinda
    )
    disdik = Agency.objects.create(
        code="disdik-kaltim", name="Disdik Kaltim", level="OPD", region_id="64", parent=kaltim
    )
    health = Category.objects.get(code="kesehatan")
    education = Category.objects.get(code="pendidikan")
    RoutingRule.objects.create(category=health, level="PROVINCE", target="REGENCY_COORDINATOR")
    RoutingRule.objects.create(
        category=health, level="REGENCY", region_id="64.72", target="AGENCY", agency=dinkes
    )
    RoutingRule.objects.create(
        category=education, level="PROVINCE", region_id="64", target="AGENCY", agency=disdik
    )
    return {
        "national": national,
        "kaltim": kaltim,
        "samarinda": samarinda,
        "dinkes": dinkes,
        "rsud": rsud,
        "disdik": disdik,
    }
