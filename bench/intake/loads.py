"""The two loads: saturation with wrk, and a steady open-loop rate from asyncio."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from common import BenchError, CpuUse
from payloads import Target

WRK_SCRIPT = Path(__file__).resolve().parent / "submit.lua"
MAX_ERROR_SHARE = 0.01


@dataclass
class RunResult:
    target: str
    mode: str
    requests: int
    ok: int
    errors: dict[str, int]
    seconds: float
    rps: float  # successful submissions per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu: CpuUse | None = None
    first_error: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        """Print any errors; stop the bench when more than 1% of the answers were errors."""
        count = sum(self.errors.values())
        if count:
            print(f"    ! {count} errors {self.errors}: {self.first_error[:300]}")
        if count > MAX_ERROR_SHARE * max(1, self.requests):
            raise BenchError(
                f"{self.target} {self.mode}: {count} of {self.requests} answers were errors "
                f"({self.errors}); first: {self.first_error[:500]}"
            )


def run_wrk(
    target: Target, base_url: str, workdir: Path, seconds: int, threads: int, connections: int
) -> RunResult:
    """Closed-loop saturation: ``connections`` clients send back to back for ``seconds``."""
    request_file = workdir / f"{target.name}.request"
    headers = "".join(f"{name}: {value}\n" for name, value in target.headers.items())
    request_file.write_bytes(headers.encode() + b"\n" + target.body)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        base_url + target.path,
        "--",
        str(request_file),
        str(target.expected_status),
        *([target.location_prefix] if target.location_prefix else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0 or "BENCH requests" not in done.stdout:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout}")
    values = dict(
        line[6:].partition(" ")[::2]
        for line in done.stdout.splitlines()
        if line.startswith("BENCH ")
    )
    errors = {key: int(value) for key, value in values.items() if key.startswith("status_")}
    if int(values["socket_errors"]):
        errors["socket"] = int(values["socket_errors"])
    seconds_run = int(values["duration_us"]) / 1e6
    return RunResult(
        target=target.name,
        mode="saturation",
        requests=int(values["requests"]),
        ok=int(values["ok"]),
        errors=errors,
        seconds=seconds_run,
        rps=int(values["ok"]) / seconds_run,
        p50_ms=int(values["p50_us"]) / 1000,
        p95_ms=int(values["p95_us"]) / 1000,
        p99_ms=int(values["p99_us"]) / 1000,
        max_ms=int(values["max_us"]) / 1000,
        first_error=values.get("first_bad", ""),
    )


async def send(raw: bytes, port: int, timeout: float) -> tuple[int, str, bytes]:
    """One request on a connection of its own (gunicorn's sync workers close it anyway);
    returns the status, the Location header and the body."""

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(raw)
            await writer.drain()
            return await reader.read(-1)
        finally:
            writer.close()

    answer = await asyncio.wait_for(exchange(), timeout)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    location = next(
        (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("location:")),
        "",
    )
    return int(lines[0].split()[1]), location, body


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


async def _steady(target: Target, port: int, rate: float, count: int) -> RunResult:
    raw = target.raw(f"127.0.0.1:{port}")
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    send_lag: list[float] = []
    errors: dict[str, int] = {}
    first_error = ""

    async def one(scheduled: float) -> None:
        nonlocal first_error
        send_lag.append(loop.time() - scheduled)
        try:
            status, location, body = await send(raw, port, timeout=10)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            status, location, body = 0, "", repr(exc).encode()
        # From the scheduled moment, not the actual send: a stall counts against every request
        # that should have gone out during it (no coordinated omission).
        latencies.append(loop.time() - scheduled)
        if not target.is_success(status, location):
            key = f"status_{status}" if status else "socket"
            errors[key] = errors.get(key, 0) + 1
            first_error = first_error or f"{status} {location} {body[:300]!r}"

    start = loop.time() + 0.1
    tasks = []
    for i in range(count):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    ms = sorted(x * 1000 for x in latencies)
    ok = count - sum(errors.values())
    return RunResult(
        target=target.name,
        mode="steady",
        requests=count,
        ok=ok,
        errors=errors,
        seconds=elapsed,
        rps=ok / elapsed,
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=ms[-1],
        first_error=first_error,
        extra={"offered_rps": rate, "max_send_lag_ms": max(send_lag) * 1000},
    )


def run_steady(target: Target, port: int, rate: float, seconds: float) -> RunResult:
    """Open loop: request i is sent at start + i/rate whatever the answers before it do."""
    return asyncio.run(_steady(target, port, rate, count=round(rate * seconds)))


def preflight(target: Target, port: int) -> None:
    """One request before any load, so that a refused submission stops the bench at once."""
    status, location, body = asyncio.run(send(target.raw(f"127.0.0.1:{port}"), port, 10))
    if not target.is_success(status, location):
        raise BenchError(
            f"{target.name}: expected {target.expected_status}, got {status} {location}\n"
            f"{body.decode(errors='replace')[:2000]}"
        )
