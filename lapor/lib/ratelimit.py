"""A fixed-window rate limit kept in the Django cache (Redis in production).

``"20/h"`` allows 20 hits per client per clock hour. Fixed windows can let through twice the
rate across a window boundary; for a submission limit meant to stop floods, not to meter, that
is the right trade for one atomic INCR per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

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


def hit(scope: str, client: str, rate: Rate, *, now: float | None = None) -> int | None:
    """Count one hit; return None when allowed, else the seconds until the window ends."""
    moment = time.time() if now is None else now
    window = int(moment // rate.seconds)
    key = f"rl:{scope}:{client}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 5)
        used = 1
    if used > rate.count:
        return max(1, int((window + 1) * rate.seconds - moment))
    return None
