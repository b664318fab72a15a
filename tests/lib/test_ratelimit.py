from __future__ import annotations

import contextlib
import socket
from typing import Any

import pytest

from lapor.lib import ratelimit
from lapor.lib.ratelimit import Rate, hit, parse_rate


class TestParseRate:
    def test_forms(self) -> None:
        assert parse_rate("20/h") == Rate(20, 3600)
        assert parse_rate("5/m") == Rate(5, 60)
        assert parse_rate(" 100/d ") == Rate(100, 86400)

    @pytest.mark.parametrize("text", ["", "20", "20/x", "a/h", "-1/h", "20/hour"])
    def test_bad_forms(self, text: str) -> None:
        with pytest.raises(ValueError):
            parse_rate(text)


@pytest.fixture(params=["cache", pytest.param("redis", marks=pytest.mark.redis)])
def redis_url(request: pytest.FixtureRequest, settings) -> str:  # type: ignore[no-untyped-def]  # an untyped fixture argument
    """Count in the Django cache, and (where Redis is up) in Redis directly."""
    if request.param == "cache":
        return ""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    return settings.REDIS_URL


class TestHit:
    def test_allows_the_count_then_refuses_until_the_window_ends(self, redis_url: str) -> None:
        rate = Rate(3, 60)
        now = 60 * 16_667 + 20.0  # 20 s into a minute window
        kw = {"redis_url": redis_url, "now": now}
        assert [hit("t", "1.2.3.4", rate, **kw) for _ in range(3)] == [None, None, None]
        assert hit("t", "1.2.3.4", rate, **kw) == 40
        # another client has its own budget, and the next window starts afresh
        assert hit("t", "5.6.7.8", rate, **kw) is None
        assert hit("t", "1.2.3.4", rate, redis_url=redis_url, now=now + 60) is None


class TestRedisDown:
    def test_fails_open(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(ratelimit, "_paused_until", 0.0)
        # Nothing listens on port 1: connection refused at once.
        down = "redis://127.0.0.1:1/0"
        assert hit("t", "1.2.3.4", Rate(1, 60), redis_url=down) is None
        assert hit("t", "1.2.3.4", Rate(1, 60), redis_url=down) is None
        # Counted once as not counted: the second request did not even try.
        assert caplog.text.count("rate limit not counted") == 1

    def test_a_hung_redis_costs_one_socket_timeout(
        self, monkeypatch: pytest.MonkeyPatch, settings: Any
    ) -> None:
        # A server that accepts the connection and never answers (a frozen Redis).
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.REDIS_SOCKET_TIMEOUT = 0.3
        monkeypatch.setattr(ratelimit, "_paused_until", 0.0)
        ratelimit._redis_client.cache_clear()
        try:
            assert hit("t", "1.2.3.4", Rate(1, 60), redis_url=url) is None
            assert hit("t", "1.2.3.4", Rate(1, 60), redis_url=url) is None
            # One connection came, and waited for its answer; the second hit did not try.
            listener.setblocking(False)
            connections = []
            with contextlib.suppress(BlockingIOError):
                while True:
                    connections.append(listener.accept()[0])
            assert len(connections) == 1
            for connection in connections:
                connection.close()
        finally:
            listener.close()
            ratelimit._redis_client.cache_clear()
