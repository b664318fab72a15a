"""What the benches share: the throwaway database and its demo reports, gunicorn, a staff
member's browser, and memory and CPU read from /proc.

The benches run as scripts (``python bench/<name>/run.py``) and put this folder on ``sys.path``.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import http.client
import http.cookies
import os
import re
import resource
import secrets
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS_DIR = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT_S = 30.0


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


def demo_password() -> str:
    """``demo.hierarchy.DEMO_PASSWORD``, read from the source: importing it needs Django."""
    source = (ROOT / "demo" / "hierarchy.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DEMO_PASSWORD" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise BenchError("DEMO_PASSWORD not found in demo/hierarchy.py")


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the app's processes: production settings (DEBUG off, a random
    ``SECRET_KEY``) on the bench's database and Redis database, e-mail sent nowhere."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lapor.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        # The load comes from one address and a few accounts: the API's limits per address and
        # per user (429 beyond them) would stop it, not measure it.
        "LAPOR_API_ADDRESS_RATE": "100000000/h",
        "LAPOR_API_USER_RATE": "100000000/h",
    }


def report_count(database_url: str) -> int | None:
    """Reports in the bench database, or None when it does not exist or has no schema."""
    import psycopg

    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM complaints_complaint").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None


def fill(
    env: dict[str, str],
    database_url: str,
    *,
    count: int,
    seed: int,
    reuse: bool,
    reuse_maintenance: str = "ANALYZE",
) -> dict[str, Any]:
    """A database with the demo hierarchy and ``count`` reports: the one there when ``reuse``
    finds it filled (migrations applied, then ``reuse_maintenance``: ``ANALYZE`` or ``VACUUM
    ANALYZE``), else a new one (``generate_complaints``, then ``VACUUM ANALYZE``)."""
    if reuse_maintenance not in {"ANALYZE", "VACUUM ANALYZE"}:
        raise BenchError(f"unknown maintenance {reuse_maintenance!r}")
    existing = report_count(database_url) if reuse else None
    if existing is not None and existing >= count:
        print(f"  reusing the database: {existing} reports already there", flush=True)
        manage(env, "migrate", "--noinput")
        seconds = timed_sql(database_url, reuse_maintenance)
        if reuse_maintenance != "ANALYZE":
            print(f"  {reuse_maintenance} in {seconds:.0f} s", flush=True)
        key = reuse_maintenance.lower().replace(" ", "_") + "_s"
        return {"reused": True, "reports": existing, key: seconds}
    if existing is not None:
        print(f"  {existing} reports in the database, fewer than {count}: filling anew")
    recreate_database(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_regions")
    manage(env, "seed_demo")
    print(f"  manage.py generate_complaints --count {count} --seed {seed}", flush=True)
    started = time.monotonic()
    indexes = drop_secondary_indexes(database_url)
    generated = subprocess.run(
        [
            str(PYTHON),
            "manage.py",
            "generate_complaints",
            f"--count={count}",
            f"--seed={seed}",
            "--no-progress",
        ],
        cwd=ROOT,
        # A bulk load: the generator's session skips the foreign-key triggers (its rows are
        # checked by tests/complaints/test_generate_complaints.py), and the secondary indexes
        # are built once at the end instead of row by row.
        env={**env, "PGOPTIONS": "-c session_replication_role=replica"},
        capture_output=True,
        text=True,
        timeout=max(1800.0, count / 100),
    )
    if generated.returncode:
        raise BenchError(f"generate_complaints failed:\n{generated.stderr[-3000:]}")
    generating = time.monotonic() - started
    print(f"  generated in {generating:.0f} s: {generated.stdout.strip()}", flush=True)
    indexing = create_indexes(database_url, indexes)
    print(f"  {len(indexes)} indexes built in {indexing:.0f} s", flush=True)
    seconds = time.monotonic() - started
    vacuum = timed_sql(database_url, "VACUUM ANALYZE")
    print(f"  VACUUM ANALYZE in {vacuum:.0f} s", flush=True)
    return {
        "reused": False,
        "reports": report_count(database_url),
        "generate_s": seconds,
        "generate_rows_s": generating,
        "indexes_s": indexing,
        "generate_output": generated.stdout.strip(),
        "vacuum_analyze_s": vacuum,
    }


# The tables generate_complaints fills; their secondary indexes are dropped while it runs.
FILLED_TABLES = (
    "complaints_complaint",
    "complaints_complaintevent",
    "complaints_reporter",
    "complaints_response",
    "complaints_dispute",
    "complaints_rating",
    "complaints_disposition",
    "complaints_transferrequest",
    "complaints_deadlinebreach",
)


def drop_secondary_indexes(database_url: str) -> list[str]:
    """Drop the indexes of the filled tables that back no constraint and are not unique, and
    return the statements that create them again."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s)
              AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [list(FILLED_TABLES)],
        ).fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')  # type: ignore[arg-type]  # names from pg_index
    return [definition for _, definition in rows]


def create_indexes(database_url: str, definitions: list[str]) -> float:
    """Create the indexes ``drop_secondary_indexes`` dropped; returns the seconds it took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '2GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for definition in definitions:
            conn.execute(definition)  # type: ignore[arg-type]  # from pg_get_indexdef
    return time.monotonic() - started


def timed_sql(database_url: str, statement: str) -> float:
    """Seconds one statement (a constant of a bench, such as ``ANALYZE``) took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]  # a constant of the caller
    return time.monotonic() - started


def database_facts(database_url: str) -> dict[str, Any]:
    """Sizes of the database and its largest tables and indexes, and row counts."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        size = conn.execute(
            "SELECT pg_database_size(current_database()), "
            "pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
        tables = conn.execute(
            """SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid),
                      pg_size_pretty(pg_total_relation_size(c.oid)),
                      pg_size_pretty(pg_indexes_size(c.oid))
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'
               ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8"""
        ).fetchall()
    assert size is not None
    return {
        "bytes": int(size[0]),
        "pretty": size[1],
        "tables": [
            {"table": t[0], "rows": int(t[1]), "bytes": int(t[2]), "total": t[3], "indexes": t[4]}
            for t in tables
        ],
    }


def plan_summary(plan: dict[str, Any]) -> dict[str, Any]:
    """Execution time, the indexes used, the tables read sequentially and the top node."""
    indexes: list[str] = []
    seq_scans: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            indexes.append(f"{node['Node Type']} {node['Index Name']}")
        if node["Node Type"] == "Seq Scan":
            seq_scans.append(f"{node['Relation Name']} (rows {node.get('Actual Rows')})")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {
        "execution_ms": plan["Execution Time"],
        "top": plan["Plan"]["Node Type"],
        "indexes": indexes,
        "seq_scans": seq_scans,
    }


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


# --- A staff member's browser ----------------------------------------------------------------


class Browser:
    """One staff member's browser: cookies, the login form, one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)

    def request(
        self, method: str, path: str, body: str | None = None
    ) -> tuple[int, str, dict[str, str], float]:
        """(status, body, headers, milliseconds from sending to the last byte)."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # gunicorn's sync workers close the connection after each answer; http.client opens
        # a new one for the next request, and that connect is part of what a browser waits for.
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, data.decode("utf-8", "replace"), dict(response.headers), ms

    def get(self, path: str) -> tuple[int, str, float]:
        status, body, _headers, ms = self.request("GET", path)
        return status, body, ms

    def login(self, username: str, password: str) -> None:
        """Through the real form: GET for the CSRF cookie and token, POST, expect a redirect."""
        status, page, _ms = self.get("/dashboard/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchError(f"GET /dashboard/login/ answered {status} without a CSRF token")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token[1]}
        status, body, headers, _ms = self.request(
            "POST", "/dashboard/login/", urllib.parse.urlencode(form)
        )
        if status != 302:
            raise BenchError(f"login of {username} answered {status}, not a redirect: {body[:300]}")
        location = headers.get("Location", "/dashboard/")
        status, page, page_headers, _ms = self.request("GET", location)
        if status == 302 and "/dashboard/dua-langkah/" in page_headers.get("Location", ""):
            self._second_step(username, page_headers["Location"])
            status, _page, _ms = self.get(location)
        if status != 200:
            raise BenchError(f"after the login of {username}, the inbox answered {status}")

    def _second_step(self, username: str, url: str) -> None:
        """Set up two-step sign-in as a coordinator does the first time: read the key from the
        page and enter the code an authenticator app would show (``forget_second_steps`` made
        every login of the bench a first one)."""
        status, page, _ms = self.get(url)
        key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or key is None or token is None:
            raise BenchError(f"{username}: the two-step setup answered {status} without a key")
        form = {"code": totp_now(key[1]), "next": "/dashboard/", "csrfmiddlewaretoken": token[1]}
        status, body, _headers, _ms = self.request("POST", url, urllib.parse.urlencode(form))
        if status != 200 or "recovery-codes" not in body:
            raise BenchError(f"{username}: the two-step code was refused ({status})")


def totp_now(key: str) -> str:
    """The six-digit code of an authenticator app for the base32 ``key`` (RFC 6238)."""
    secret = base64.b32decode(key.replace(" ", ""))
    counter = struct.pack(">Q", int(time.time()) // 30)
    mac = hmac.new(secret, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{number:06d}"


def forget_second_steps(database_url: str) -> None:
    """Remove every authenticator of the bench database, so that each staff login of a run sets
    up two-step sign-in anew (a bench database is never a deployment's)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in ("otp_static_statictoken", "otp_static_staticdevice", "otp_totp_totpdevice"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608  (our own table names)


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
