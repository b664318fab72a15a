"""Filing a report through Open311, and the use of API keys."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction

from complaints.models import Complaint
from complaints.services import submit_complaint
from lapor.lib.ratelimit import Rate, hit
from lapor.lib.tracking import hash_access_key
from open311.models import ApiKey, Open311Request
from routing.models import Category, Region


def authenticate_api_key(key: str, *, now: dt.datetime) -> ApiKey | None:
    """The usable key behind ``key`` (None for an unknown or revoked one), marked as used now."""
    if not key:
        return None
    api_key = ApiKey.objects.usable().filter(key_hash=hash_access_key(key)).first()
    if api_key is not None:
        api_key.last_used_at = now
        api_key.save(update_fields=["last_used_at"])
    return api_key


def api_key_wait_seconds(api_key: ApiKey) -> int | None:
    """Count one post with this key against its hourly limit; seconds to wait when over it."""
    rate = Rate(count=api_key.hourly_limit, seconds=3600)
    return hit("open311", str(api_key.pk), rate, redis_url=settings.REDIS_URL)


def file_service_request(
    *,
    api_key: ApiKey,
    kind: str,
    title: str,
    description: str,
    category: Category,
    region: Region,
    incident_date: dt.date,
    is_anonymous: bool,
    is_confidential: bool,
    reporter_name: str,
    reporter_email: str,
    reporter_phone: str,
    address: str = "",
    point: tuple[float, float] | None = None,
    ip_address: str | None,
    language: str,
    now: dt.datetime,
) -> Open311Request:
    """File a report posted through Open311 with ``submit_complaint`` (the web form's checks,
    receipt and routing) and record the key it came with and a token to look it up by, in one
    transaction: the routing step is published only once both are saved. ``address`` is
    ``address_string`` as posted, ``point`` the posted (``lat``, ``long``), both kept with the
    report as the one door keeps the form's.

    :raises ValidationError: from ``submit_complaint``, with a message per field; nothing is saved.
    """
    with transaction.atomic():
        receipt = submit_complaint(
            kind=kind,
            title=title,
            description=description,
            category=category,
            region=region,
            incident_date=incident_date,
            is_anonymous=is_anonymous,
            is_confidential=is_confidential,
            reporter_name=reporter_name,
            reporter_email=reporter_email,
            reporter_phone=reporter_phone,
            address=address,
            point=point,
            ip_address=ip_address,
            language=language,
            channel=Complaint.Channel.OPEN311,
            now=now,
        )
        return Open311Request.objects.create(
            complaint=receipt.complaint,
            api_key=api_key,
            token=secrets.token_hex(16),
            created_at=now,
        )
