"""Valid inputs for reports, for the service, the web form and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


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
