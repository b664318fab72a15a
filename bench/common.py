"""What the benches share: the throwaway database, gunicorn, and memory and CPU read from /proc.

The benches run as scripts (``python bench/<name>/run.py``) and put this folder on ``sys.path``.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS_DIR = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    pass


# --- Database and server ---------------------------------------------------------------------


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise BenchError(f"refusing to drop the database {name!r}")
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(redis_url: str) -> None:
    """Empty the bench's own Redis database (rate-limit keys, tasks no worker took)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def manage(env: dict[str, str], *args: str) -> None:
    print(f"  manage.py {' '.join(args)[:80]}", flush=True)
    subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    env: dict[str, str], port: int, workers: int, log: Path, probe_path: str = "/lapor/"
) -> Iterator[int]:
    """Run gunicorn for the block and yield the master's PID; always stopped by that PID."""
    command = [
        str(GUNICORN),
        "lapor.wsgi:application",
        f"--workers={workers}",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        f"--error-logfile={log}",
    ]  # no --access-logfile: gunicorn writes no access log
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_until_up(f"http://127.0.0.1:{port}{probe_path}", process)
        yield process.pid
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (graceful: a master stops its own children), SIGKILL after ``timeout``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise BenchError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def git_head() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + ("+dirty" if dirty else "")


def git_dirty_files() -> list[str]:
    """Tracked files changed in the working tree: what "+dirty" in ``git_head`` stands for."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return [line[3:] for line in status.splitlines()]


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


# --- /proc -----------------------------------------------------------------------------------


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


@contextmanager
def cpu_split(roots: dict[str, int]) -> Iterator[dict[str, float]]:
    """CPU seconds over the block of each named process tree (a root and its children), of this
    process (``load_generator``) and of everything else (``other``: PostgreSQL, Redis, the
    kernel, anyone else on the machine); also ``wall``. The dict is filled when the block ends."""

    def trees() -> dict[str, float]:
        return {
            name: sum(cpu_seconds(pid) for pid in [root, *children(root)])
            for name, root in roots.items()
        }

    def this_process() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    out: dict[str, float] = {}
    start = (trees(), this_process(), machine_busy_seconds(), time.monotonic())
    yield out
    used = {name: seconds - start[0][name] for name, seconds in trees().items()}
    used["load_generator"] = this_process() - start[1]
    busy = machine_busy_seconds() - start[2]
    used["other"] = max(0.0, busy - sum(used.values()))
    used["wall"] = time.monotonic() - start[3]
    out.update(used)
