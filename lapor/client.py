"""Who is asking: the client address behind any trusted proxies, and the submission limit."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from lapor.lib.ratelimit import hit, parse_rate


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry our own proxies added to X-Forwarded-For.

    Only as many X-Forwarded-For entries as there are trusted proxies are believed; anything a
    client writes there itself stays to the left and is ignored.
    """
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.LAPOR_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


# The part of an IPv6 address one subscriber is given: a phone, a home's network or a rented
# server gets a whole /64 and may use any of its addresses.
_IPV6_SUBSCRIBER_PREFIX = 64


def limited_client(request: HttpRequest) -> str:
    """Who the per-address limits count (``client_ip``): an IPv4 address, or the /64 network of
    an IPv6 address. Counted address by address, one IPv6 subscriber could start every request
    afresh from another of its 2^64 addresses, and no limit would hold."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address a.b.c.d
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{_IPV6_SUBSCRIBER_PREFIX}", strict=False))
    return address


def submission_wait_seconds(request: HttpRequest) -> int | None:
    """Count a submission attempt from this client; seconds to wait if over the limit, else None."""
    rate = parse_rate(settings.LAPOR_SUBMIT_RATE)
    return hit("submit", limited_client(request), rate, redis_url=settings.REDIS_URL)


def support_wait_seconds(request: HttpRequest) -> int | None:
    """Count a support from this client (page and API together); seconds to wait if over
    ``LAPOR_SUPPORT_RATE``, else None."""
    rate = parse_rate(settings.LAPOR_SUPPORT_RATE)
    return hit("support", limited_client(request), rate, redis_url=settings.REDIS_URL)


def private_link_wait_seconds(request: HttpRequest, tracking_number: str) -> int | None:
    """Count a request to e-mail the private link of report ``tracking_number`` (a new link, or
    the receipt's) from this client: per client address and, apart, per report, so that
    neither one connection nor many can flood a reporter's inbox or keep replacing their link.
    Seconds to wait if either is over ``LAPOR_PRIVATE_LINK_RATE``, else None."""
    rate = parse_rate(settings.LAPOR_PRIVATE_LINK_RATE)
    waits = [
        hit("private_link", limited_client(request), rate, redis_url=settings.REDIS_URL),
        hit("private_link_report", tracking_number, rate, redis_url=settings.REDIS_URL),
    ]
    return max((wait for wait in waits if wait is not None), default=None)


def lookup_wait_seconds(request: HttpRequest, count: int = 1) -> int | None:
    """Count ``count`` lookups of reports by tracking number from this client (the tracking
    page, the public report page, supports, the API and Open311 together); seconds to wait if
    over ``LAPOR_LOOKUP_RATE``, else None. See README, "Tracking numbers"."""
    rate = parse_rate(settings.LAPOR_LOOKUP_RATE)
    return hit("lookup", limited_client(request), rate, redis_url=settings.REDIS_URL, amount=count)


def address_digest(request: HttpRequest, purpose: str) -> str:
    """The client's address keyed with SECRET_KEY for one ``purpose``: the same address gives
    the same digest, and the digest gives nothing from which the address could be worked out
    (a plain hash of an IPv4 address could be reversed by trying all of them)."""
    address = client_ip(request) or "unknown"
    return salted_hmac(f"lapor.client.{purpose}", address, algorithm="sha256").hexdigest()


def axes_client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failed logins against: the same as everywhere else."""
    return client_ip(request)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name django-axes counts failed logins against, as axes itself reads it (what the
    log-in form checked the password of, after ``selectors.citizen_login_username`` or
    ``staff_login_username``; else the name posted), cut to the length of axes' column.

    Django's login form (the staff's and the admin's) takes a name of any length, and a name
    longer than the column would make axes' insert fail: a 500 on PostgreSQL instead of
    "wrong name or password". No account has a name that long, so cutting it merges nothing
    that could log in.
    """
    from axes.models import AccessAttempt  # not at import time: the apps load this module

    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")  # set by axes.conf
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(field)
    if not isinstance(username, str):
        return username
    return username[: AccessAttempt._meta.get_field("username").max_length]
