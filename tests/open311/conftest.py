"""Fixtures for the Open311 tests: an issued API key, and reports filed at chosen moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from complaints.models import Complaint
from open311.models import ApiKey


@pytest.fixture
def api_key(db: None) -> str:
    """A usable key, in clear."""
    key = ApiKey(organisation="Aplikasi Kota", created_at=timezone.now())
    plain = key.set_new_key()
    key.save()
    return plain


@pytest.fixture
def file_report(submit: Callable[..., Any]) -> Callable[..., Complaint]:
    """File a report through the service ``days_ago`` days before the real clock (the Open311
    list's default window is the most recent 90 days of the real clock)."""

    def _file(days_ago: float = 1, **overrides: Any) -> Complaint:
        now = timezone.now() - dt.timedelta(days=days_ago)
        fields = {"now": now, "incident_date": timezone.localdate(now), **overrides}
        return submit(**fields).complaint

    return _file
