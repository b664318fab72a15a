"""Memory and CPU of the gunicorn processes, read from /proc."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:")), None)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores together spent not idle."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


class RssSampler(threading.Thread):
    """Samples the RSS of the gunicorn master and its workers; keeps the peaks per phase."""

    def __init__(self, master: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.interval = interval
        self.phase = "idle"
        self.peaks: dict[str, dict[str, int]] = {}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
        self.sample()

    def sample(self) -> None:
        pids = {"master": self.master} | {f"worker-{p}": p for p in children(self.master)}
        sizes = {name: kib for name, pid in pids.items() if (kib := rss_kib(pid)) is not None}
        sizes["total"] = sum(sizes.values())
        with self._lock:
            peaks = self.peaks.setdefault(self.phase, {})
            for name, kib in sizes.items():
                peaks[name] = max(peaks.get(name, 0), kib)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class CpuUse:
    """CPU seconds used during one run by the server, the load generator, and all the rest
    (PostgreSQL, Redis, the kernel, anyone else on the machine)."""

    server: float
    load_generator: float
    other: float
    wall: float


@contextmanager
def cpu_meter(master: int, load_in_this_process: bool) -> Iterator[list[CpuUse]]:
    """Measure CPU over the block. The load generator is this process, or else its children
    that ended in the block (wrk)."""

    def server() -> float:
        return sum(cpu_seconds(pid) for pid in [master, *children(master)])

    def load() -> float:
        who = resource.RUSAGE_SELF if load_in_this_process else resource.RUSAGE_CHILDREN
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    out: list[CpuUse] = []
    start = (server(), load(), machine_busy_seconds(), time.monotonic())
    yield out
    used_server, used_load = server() - start[0], load() - start[1]
    busy = machine_busy_seconds() - start[2]
    out.append(
        CpuUse(
            server=used_server,
            load_generator=used_load,
            other=max(0.0, busy - used_server - used_load),
            wall=time.monotonic() - start[3],
        )
    )
