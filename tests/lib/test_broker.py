"""The Redis transport's mend (lapor/broker.py): an acknowledgement Redis does not answer is
still forgotten by the worker, so that its prefetch window never fills up with ghosts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import redis
from kombu.transport import virtual

from lapor import broker


class _FailingPipe:
    def execute(self) -> None:
        raise redis.TimeoutError("Timeout reading from socket")


def _qos(monkeypatch: pytest.MonkeyPatch) -> broker.QoS:
    qos = broker.QoS.__new__(broker.QoS)
    virtual.QoS.__init__(qos, channel=SimpleNamespace(do_restore=False), prefetch_count=1)
    monkeypatch.setattr(qos, "_remove_from_indices", lambda tag: _FailingPipe())
    monkeypatch.setattr(qos, "restore_by_tag", _raise)
    return qos


def _raise(*args: Any, **kwargs: Any) -> None:
    raise redis.TimeoutError("Timeout reading from socket")


@pytest.mark.parametrize(
    "settle",
    [
        lambda qos: qos.ack("tag-1"),
        lambda qos: qos.reject("tag-1"),
        lambda qos: qos.reject("tag-1", requeue=True),
    ],
    ids=["ack", "reject", "requeue"],
)
def test_a_failed_acknowledgement_frees_the_window(
    monkeypatch: pytest.MonkeyPatch, settle: Any
) -> None:
    qos = _qos(monkeypatch)
    virtual.QoS.append(qos, "message", "tag-1")
    assert not qos.can_consume()
    with pytest.raises(redis.TimeoutError):  # still reported, so Celery logs it
        settle(qos)
    assert qos.can_consume()


def test_every_redis_url_uses_it() -> None:
    from kombu.transport import resolve_transport

    import lapor.celery  # noqa: F401  (installs it)

    assert resolve_transport("redis") is broker.Transport
