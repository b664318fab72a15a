"""The helpers the tests share: valid inputs for reports (the service, the web form, the API),
fixed moments, routing a report the way the worker does, reading a report's state and its
newest events, staff accounts, messages in Indonesian. (Test files are built in
``tests/files.py``; fixtures live in ``tests/conftest.py``.)"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone, translation
from PIL import ExifTags, Image

WIB = dt.timezone(dt.timedelta(hours=7))
# The moment most tests happen at: Monday 30 November 2026, 09:00 in Jakarta. Tests that pass
# it to a service and then let code read the clock freeze the clock (time_machine).
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
# The wall clock of the tests that fix moments like NOW and then let the code read the clock
# (pages, APIs, tasks): two weeks after NOW, after every moment those tests fix, and running on
# from there (the ``clock`` fixture), so that they pass whatever the day they run.
CLOCK = NOW + dt.timedelta(days=14)

# ``published(name)``: the keyword arguments of every task ``name`` published so far (the
# ``published`` fixture).
Published = Callable[[str], list[dict[str, Any]]]


def end_of(year: int, month: int, day: int) -> dt.datetime:
    """The last second of a day in Jakarta, when a deadline of that day passes."""
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=WIB)


def in_indonesian(message: str, **values: object) -> str:
    """``message`` as a page or an API shows it by default (Indonesian), with ``values``."""
    with translation.override("id"):
        text = translation.gettext(message)
    return text % values if values else text


def make_user(username: str, agency: Any = None, email: str = "") -> User:
    """An account (password ``sandi-uji-2026``), an officer of ``agency`` when one is given."""
    from routing.models import Officer

    user = User.objects.create_user(
        username, email or f"{username}@example.go.id", "sandi-uji-2026"
    )
    if agency is not None:
        Officer.objects.create(user=user, agency=agency)
    return user


def snapshot(complaint: Any) -> tuple[Any, ...]:
    """A report's state and how many rows hang on it, read afresh: equal before and after an
    action that was refused, so nothing was written."""
    from complaints.models import Complaint

    fresh = Complaint.objects.get(pk=complaint.pk)
    return (
        fresh.status,
        fresh.current_agency_id,
        fresh.due_at,
        fresh.version,
        fresh.routing_step,
        fresh.is_anonymous,
        fresh.is_confidential,
        fresh.events.count(),
        fresh.dispositions.count(),
        fresh.responses.count(),
        fresh.attachments.count(),
        fresh.disputes.count(),
        fresh.ratings.count(),
    )


def last_event_pk(complaint: Any) -> int:
    return complaint.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def the_new_event(complaint: Any, since: int) -> Any:
    """The one event written after ``since``; fails if there is none or more than one."""
    new = list(complaint.events.filter(pk__gt=since).order_by("pk"))
    assert len(new) == 1, [e.type for e in new]
    return new[0]


def has_gps(content: bytes) -> bool:
    """Whether a JPEG still says where it was taken (a GPS IFD, even an empty pointer to one)."""
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG"
        exif = image.getexif()
        return ExifTags.IFD.GPSInfo in exif or bool(exif.get_ifd(ExifTags.IFD.GPSInfo))


def form_data(**overrides: Any) -> dict[str, Any]:
    """A valid POST of the web form."""
    data: dict[str, Any] = {
        "kind": "COMPLAINT",
        "title": "Jalan berlubang di depan pasar",
        "description": "Lubang besar di jalan depan Pasar Segiri sudah dua minggu, motor sering jatuh.",
        "category": "infrastruktur",
        "province": "64",
        "regency": "64.72",
        "district": "64.72.01",
        "incident_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "reporter_name": "Budi Santoso",
        "reporter_email": "budi@example.id",
        "reporter_phone": "081234567890",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def api_data(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /api/v1/complaints/."""
    data: dict[str, Any] = {
        "kind": "ASPIRATION",
        "title": "Usulan halte di Jalan Juanda",
        "description": "Kami mengusulkan halte bus di Jalan Juanda karena banyak pelajar menunggu di tepi jalan.",
        "category": "perhubungan",
        "region": "64.72",
        "incident_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def route_fully(complaint: Any, now: dt.datetime = NOW) -> Any:
    """Take routing steps the way the worker does, one per call, until the report stops moving
    down; fails if it has not settled after 10 steps."""
    import pytest

    from complaints.dispatch import route_step

    for _attempt in range(10):
        complaint.refresh_from_db()
        result = route_step(complaint_id=complaint.pk, step=complaint.routing_step, now=now)
        if not (result.moved and result.status == "SUBMITTED"):
            break
    else:
        pytest.fail("routing did not settle in 10 steps")
    complaint.refresh_from_db()
    return complaint


def deliver_pending(now: dt.datetime | None = None, kinds: tuple[str, ...] = ()) -> list[str]:
    """Deliver every pending outbox row the way the workers do (``complaints.outbox.deliver``),
    again and again until none is left (a routing step queues the next one); ``kinds``: only
    rows of these kinds. Returns the keys delivered, in order."""
    from complaints import outbox
    from complaints.models import Message

    moment = now or NOW
    delivered: list[str] = []
    for _round in range(50):
        rows = Message.objects.pending().filter(next_attempt_at__lte=moment)
        if kinds:
            rows = rows.filter(kind__in=kinds)
        batch = list(rows.order_by("pk").values_list("pk", "key"))
        if not batch:
            return delivered
        for message_id, key in batch:
            if outbox.deliver(message_id, now=moment) in ("sent", "skipped"):
                delivered.append(key)
    raise AssertionError("the outbox did not empty in 50 rounds")


def agency_rows() -> list[tuple[Any, ...]]:
    """Every agency as the hierarchy loaders write it, to compare before and after a load."""
    from routing.models import Agency

    return list(
        Agency.objects.order_by("code").values_list(
            "pk", "code", "name", "level", "region_id", "parent__code", "email", "is_active"
        )
    )


def rule_rows() -> list[tuple[Any, ...]]:
    """Every routing rule as the hierarchy loaders write it."""
    from routing.models import RoutingRule

    return list(
        RoutingRule.objects.order_by("category__code", "level", "region_id").values_list(
            "pk", "category__code", "level", "region_id", "target", "agency__code"
        )
    )


def api_token(user: Any) -> str:
    """A new API token of ``user`` (django-rest-knox: only its digest is stored)."""
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user=user)
    return str(token)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a process a test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Until something listens on 127.0.0.1:``port``.

    :raises TimeoutError: after ``timeout`` seconds.
    """
    import socket
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def seed_reference_data() -> None:
    """What the data migrations seed: the categories and the deadline settings (a transactional
    test's flush removes them)."""
    from importlib import import_module

    from routing.models import Category, DeadlineSetting

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


def lockout_text(minutes: int) -> str:
    """The lockout page's sentence, in Indonesian."""
    from django.utils import translation

    with translation.override("id"):
        return translation.ngettext(
            "Too many wrong passwords for this account from your connection. Try again in "
            "%(minutes)s minute, or choose a new password.",
            "Too many wrong passwords for this account from your connection. Try again in "
            "%(minutes)s minutes, or choose a new password.",
            minutes,
        ) % {"minutes": minutes}
