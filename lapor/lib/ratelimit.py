"""A fixed-window rate limit, counted in Redis when there is one, else in the Django cache.

``"20/h"`` allows 20 hits per client per clock hour. Fixed windows can let through twice the
rate across a window boundary; for a submission limit meant to stop floods, not to meter, that
is the right trade for one round trip per request (a pipelined INCR and EXPIRE NX on Redis).
When Redis cannot be reached, or does not answer within its socket timeout, the limit fails
open, so that reports keep coming in; the process then leaves Redis alone for a few seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """Parse ``"<count>/<s|m|h|d>"``.

    :raises ValueError: for anything else.
    """
    count_text, _, period = text.strip().partition("/")
    if not count_text.isdigit() or period not in _PERIODS:
        raise ValueError(f"rate must look like '20/h', not {text!r}")
    return Rate(count=int(count_text), seconds=_PERIODS[period])


# After Redis failed, this process counts nothing for this long (the limit fails open at once):
# a hung Redis costs one request a socket timeout, not every request.
PAUSE_SECONDS = 5.0
_paused_until = 0.0


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=getattr(settings, "REDIS_SOCKET_TIMEOUT", 2.0),
        socket_connect_timeout=getattr(settings, "REDIS_CONNECT_TIMEOUT", 1.0),
    )


def _count_in_redis(url: str, key: str, ttl: int, amount: int) -> int:
    pipe = _redis_client(url).pipeline(transaction=False)
    pipe.incrby(key, amount)
    pipe.expire(key, ttl, nx=True)
    used, _ = pipe.execute()
    return int(used)


def _count_in_cache(key: str, ttl: int, amount: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=ttl)
        return amount


def _fail_open(key: str, exc: Exception) -> int:
    # A limit that cannot be counted lets the request through: refusing every citizen while
    # Redis restarts would lose more reports than a flood could cost.
    logger.warning("rate limit not counted (%s): %s", key.rsplit(":", 1)[0], exc)
    return 0


def hit(
    scope: str,
    client: str,
    rate: Rate,
    *,
    redis_url: str = "",
    now: float | None = None,
    amount: int = 1,
) -> int | None:
    """Count ``amount`` hits; return None when allowed, else the seconds until the window
    ends."""
    moment = time.time() if now is None else now
    window = int(moment // rate.seconds)
    key = f"lapor:rl:{scope}:{client}:{window}"
    ttl = rate.seconds + 5
    if redis_url:
        global _paused_until
        if time.monotonic() < _paused_until:
            used = 0
        else:
            try:
                used = _count_in_redis(redis_url, key, ttl, amount)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                _paused_until = time.monotonic() + PAUSE_SECONDS
                used = _fail_open(key, exc)
    else:
        used = _count_in_cache(key, ttl, amount)
    if used > rate.count:
        return max(1, int((window + 1) * rate.seconds - moment))
    return None
