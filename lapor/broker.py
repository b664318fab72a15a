"""Celery's Redis transport (kombu's), with one mend: an acknowledgement that Redis does not
answer (frozen, past its socket timeout) is still forgotten by the worker.

kombu's QoS counts a message as delivered until its acknowledgement reaches Redis; when that
fails, the message stays counted for good, and with a prefetch of one per process, two such
failures leave a worker alive, connected and taking nothing more (seen in the fault tests with
Redis frozen for 8 s). Here the local count is released whatever Redis answered; the message
itself stays in Redis's unacknowledged set and comes back after the visibility timeout, which
costs nothing: every task is an outbox row that a second delivery finds sent.

``install()`` (called by ``lapor.celery``) makes this the transport of every ``redis://`` URL.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport import redis as kombu_redis


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag: Any) -> None:
        try:
            self._remove_from_indices(delivery_tag).execute()
        finally:
            virtual.QoS.ack(self, delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            if requeue:
                self.restore_by_tag(delivery_tag, leftmost=True)
            else:
                self._remove_from_indices(delivery_tag).execute()
        finally:
            virtual.QoS.ack(self, delivery_tag)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    TRANSPORT_ALIASES["redis"] = "lapor.broker:Transport"
