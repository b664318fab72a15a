"""Background work, published by task name: the one module that knows the tasks.

Only the outbox (``complaints.outbox``) publishes: every message is a row first, and its task
carries only the row's id. Tasks are named, not imported, so no import circle runs between
services and tasks. ``tests/test_celery_routes.py`` checks that every name here is a registered task.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lapor.celery import app

logger = logging.getLogger(__name__)

ROUTE_MESSAGE = "complaints.tasks.route_message_task"
SEND_MESSAGE = "complaints.tasks.send_message_task"

NAMES = frozenset({ROUTE_MESSAGE, SEND_MESSAGE})

# After the broker failed, this process does not try it again for this long: a request never
# waits on a broker that is known to be down (the outbox row waits for beat's relay instead).
BROKER_PAUSE_SECONDS = 5.0
_paused_until = 0.0


def publish(name: str, **kwargs: Any) -> bool:
    """Publish the task ``name`` with ``kwargs`` now (its queue from ``lapor.celery``'s routes);
    False, at once, when the broker cannot take it (down, hung past the socket timeout, or
    failed in this process in the last ``BROKER_PAUSE_SECONDS``). The caller keeps the work in
    the outbox, so nothing is lost. Run in the caller's thread when Celery is eager (the
    browser tests' live server)."""
    global _paused_until
    if app.conf.task_always_eager:
        app.loader.import_default_modules()
        app.tasks[name].apply(kwargs=kwargs)
        return True
    if time.monotonic() < _paused_until:
        return False
    try:
        app.send_task(name, kwargs=kwargs, retry=False)
    except Exception as exc:  # kombu's, redis's and socket errors alike: the broker is unusable
        _paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("broker unavailable, left to the relay: %s", exc)
        return False
    return True
