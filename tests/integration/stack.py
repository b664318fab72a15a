"""The harness of the fault tests: a PostgreSQL cluster of the tests' own, a Redis server,
gunicorn, Celery workers and beat as real processes, clients submitting reports over HTTP, and
what the portal left behind (its database, the e-mails written by ``tests.integration.slowmail``).

Every process is started in a session of its own, so that a fault (SIGKILL, SIGSTOP) reaches it
whole, and is ended by its process group, never by name. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tests.helpers import api_data, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# What every process of the stack runs with: short timeouts and outbox periods, so that
# recovery takes seconds, not minutes; rate limits out of the way of the test's traffic.
ENV = {
    "DEBUG": "1",
    "LAPOR_2FA": "0",
    "LAPOR_SUBMIT_RATE": "100000/h",
    "LAPOR_LOOKUP_RATE": "100000/s",
    "LAPOR_API_ADDRESS_RATE": "100000/s",
    "LAPOR_API_USER_RATE": "100000/s",
    "LAPOR_OUTBOX_GRACE_SECONDS": "1",
    "LAPOR_OUTBOX_REPUBLISH_SECONDS": "10",
    "LAPOR_OUTBOX_LEASE_SECONDS": "8",
    "LAPOR_RELAY_EVERY_SECONDS": "1",
    "CELERY_VISIBILITY_TIMEOUT": "15",
    "REDIS_SOCKET_TIMEOUT": "1",
    "REDIS_CONNECT_TIMEOUT": "0.5",
    "EMAIL_TIMEOUT": "3",
    "EMAIL_BACKEND": "tests.integration.slowmail.EmailBackend",
    "LOG_LEVEL": "INFO",
    "PYTHONUNBUFFERED": "1",
}
WORKER_OPTIONS = [
    "--concurrency=2",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--loglevel=INFO",
]


def run(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run a command to its end; its output.

    :raises AssertionError: when it fails or outlasts ``timeout``, with its output.
    """
    try:
        done = subprocess.run(
            args,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{args} took more than {timeout} s:\n{exc.stdout!r}\n{exc.stderr!r}"
        ) from None
    if done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def group_pids(pgid: int) -> set[int]:
    """The processes of group ``pgid`` that still run (zombies do not count)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _group_alive(pgid: int) -> bool:
    return bool(group_pids(pgid))


# --- PostgreSQL -------------------------------------------------------------------------------


class ClusterUnavailable(Exception):
    """A private PostgreSQL cluster cannot be made on this machine (the reason)."""


@dataclass
class Cluster:
    """A PostgreSQL server the tests make databases on: a cluster of their own under
    ``folder`` (which a test may stop and start), or else the server of DATABASE_URL."""

    host: str
    port: int
    user: str
    password: str = ""
    prefix: str = "lapor_faults_"
    folder: Path | None = None
    bin: Path | None = None
    why_shared: str = ""  # why there is no private cluster

    @property
    def private(self) -> bool:
        return self.folder is not None

    def url(self, dbname: str) -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgres://{self.user}{secret}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )

    @classmethod
    def make_private(cls) -> Cluster:
        """initdb a cluster in a new folder under the system's temporary folder (owned by the
        ``postgres`` user when running as root, which PostgreSQL refuses to run as), trust
        authentication, on a free port of 127.0.0.1, and start it.

        :raises ClusterUnavailable: no PostgreSQL binaries, or no ``postgres`` user for root.
        """
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
            key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        )
        if not found:
            raise ClusterUnavailable("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        folder = Path(tempfile.mkdtemp(prefix="lapor-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(folder)
                raise ClusterUnavailable("running as root and no `postgres` user") from None
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        cluster = cls(
            host="127.0.0.1", port=free_port(), user="postgres", folder=folder, bin=found[-1].parent
        )
        try:
            cluster._pg("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
            cluster.start()
        except AssertionError as exc:
            cluster.destroy()
            raise ClusterUnavailable(f"initdb or pg_ctl failed: {exc}") from exc
        return cluster

    def _pg(self, tool: str, *args: str, timeout: float = 60) -> str:
        assert self.bin is not None
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return run(command, timeout=timeout)

    def start(self) -> None:
        assert self.folder is not None
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c max_connections=300 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._pg("pg_ctl", "start", "-D", str(self.folder / "data"), "-l",
                 str(self.folder / "postgres.log"), "-w", "-t", "60", "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        assert self.folder is not None
        self._pg("pg_ctl", "stop", "-D", str(self.folder / "data"), "-m", mode, "-w", "-t", "60")

    def log(self) -> str:
        if self.folder is None:
            return ""
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.connect() as connection:
            connection.execute(statement)

    def drop_database(self, name: str) -> None:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        with self.connect() as connection:
            connection.execute(statement.format(sql.Identifier(name)))

    def destroy(self) -> None:
        """Stop a private cluster (its postmaster, by its pid file, if pg_ctl cannot) and remove
        its folder."""
        if self.folder is None:
            return
        pid_file = self.folder / "data" / "postmaster.pid"
        if pid_file.exists():
            try:
                self.stop("immediate")
            except AssertionError:
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def fault_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of the tests' own (``Cluster.make_private``); where none can be
    made, the server of the test run's DATABASE_URL, which a test cannot restart
    (``why_shared`` says why)."""
    from django.conf import settings

    try:
        cluster = Cluster.make_private()
    except ClusterUnavailable as exc:
        db = settings.DATABASES["default"]
        cluster = Cluster(
            host=str(db["HOST"] or "127.0.0.1"),
            port=int(db["PORT"] or 5432),
            user=str(db["USER"]),
            password=str(db["PASSWORD"] or ""),
            prefix=f"lapor_faults_{os.getpid()}_",
            why_shared=str(exc),
        )
    try:
        yield cluster
    finally:
        cluster.destroy()


_names = itertools.count(1)


def database_name(cluster: Cluster) -> str:
    """A database name not used before in this test run."""
    return f"{cluster.prefix}{next(_names)}"


@contextlib.contextmanager
def template_database(cluster: Cluster) -> Iterator[str]:
    """A database migrated and holding the routing tree (``build_tree``), for each test to
    copy (``stack_on``)."""
    name = database_name(cluster)
    cluster.create_database(name)
    env = {**os.environ, **ENV, "DATABASE_URL": cluster.url(name), "DATABASE_POOL": "0"}
    env.pop("REDIS_URL", None)
    try:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, timeout=300)
        run(
            [PYTHON, "manage.py", "shell", "-c",
             "from tests.integration.stack import build_tree; build_tree()"],
            env=env,
        )  # fmt: skip
        yield name
    finally:
        if not cluster.private:
            cluster.drop_database(name)


AGENCY_EMAILS = {
    "nasional": "nasional@lapor.example.go.id",
    "kaltim": "diskominfo@kaltimprov.example.go.id",
    "smd": "diskominfo@samarindakota.example.go.id",
    "dinkes-smd": "dinkes@samarindakota.example.go.id",
}
DINKES_OFFICER = "petugas.dinkes@samarindakota.example.go.id"


def build_tree() -> None:
    """The ``tree`` fixture's hierarchy (tests/conftest.py), each agency with an e-mail and
    Dinkes Samarinda with an officer: kesehatan goes national → Kaltim → Samarinda → Dinkes.
    Run inside ``manage.py shell`` (Django set up, on the stack's database)."""
    from django.contrib.auth.models import User

    from routing.models import Agency, Category, Officer, RoutingRule
    from routing.services import load_regions

    load_regions(province_codes=["64"])
    national = Agency.objects.create(
        code="nasional", name="Nasional", level="NATIONAL", email=AGENCY_EMAILS["nasional"]
    )
    kaltim = Agency.objects.create(
        code="kaltim", name="Diskominfo Kaltim", level="PROVINCE", region_id="64",
        parent=national, email=AGENCY_EMAILS["kaltim"],
    )  # fmt: skip
    samarinda = Agency.objects.create(
        code="smd", name="Diskominfo Samarinda", level="REGENCY", region_id="64.72",
        parent=kaltim, email=AGENCY_EMAILS["smd"],
    )  # fmt: skip
    dinkes = Agency.objects.create(
        code="dinkes-smd", name="Dinkes Samarinda", level="OPD", region_id="64.72",
        parent=samarinda, email=AGENCY_EMAILS["dinkes-smd"],
    )  # fmt: skip
    Agency.objects.create(
        code="rsud-smd", name="RSUD Samarinda", level="OPD", region_id="64.72", parent=samarinda
    )
    disdik = Agency.objects.create(
        code="disdik-kaltim", name="Disdik Kaltim", level="OPD", region_id="64", parent=kaltim
    )
    officer = User.objects.create_user("petugas-dinkes", DINKES_OFFICER, "sandi-uji-2026")
    Officer.objects.create(user=officer, agency=dinkes)
    health = Category.objects.get(code="kesehatan")
    education = Category.objects.get(code="pendidikan")
    RoutingRule.objects.create(category=health, level="PROVINCE", target="REGENCY_COORDINATOR")
    RoutingRule.objects.create(
        category=health, level="REGENCY", region_id="64.72", target="AGENCY", agency=dinkes
    )
    RoutingRule.objects.create(
        category=education, level="PROVINCE", region_id="64", target="AGENCY", agency=disdik
    )


# --- the processes ----------------------------------------------------------------------------


@dataclass
class Stack:
    """Redis, gunicorn (2 workers), the routing worker, the mail worker and beat on one
    database, logging to ``tmp/<name>.log``; e-mails in ``tmp/mail``.

    As docker-compose.yml's ``restart: unless-stopped`` does in production, a process that exits
    without the test ending it is started again (and counted in ``crashes``);
    ``LAPOR_FAULT_SUPERVISE=0`` leaves it dead instead.
    """

    tmp: Path
    database_url: str
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    crashes: Counter[str] = field(default_factory=Counter)
    _args: dict[str, list[str]] = field(default_factory=dict)
    _log_start: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def mail_dir(self) -> Path:
        return self.tmp / "mail"

    @property
    def inflight_dir(self) -> Path:
        return self.tmp / "mail-inflight"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **ENV,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "LAPOR_BASE_URL": self.base_url,
            "LAPOR_VAR_DIR": str(self.tmp / "var"),
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "LAPOR_TEST_MAIL_INFLIGHT": str(self.inflight_dir),
            "LAPOR_TEST_MAIL_CONTROL": str(self.tmp / "mail-control.json"),
        }

    def slow_mail(self, before: float = 0.0, after: float = 0.0) -> None:
        """From the next send on, sleep ``before`` seconds before writing each e-mail and
        ``after`` seconds after (``tests.integration.slowmail``)."""
        control = self.tmp / "mail-control.json"
        partial = control.with_suffix(".partial")
        partial.write_text(json.dumps({"before": before, "after": after}))
        partial.rename(control)

    def start(self, name: str, args: list[str]) -> None:
        with self._lock:
            assert not self.alive(name), f"{name} runs already"
            path = self.tmp / f"{name}.log"
            self._log_start[name] = path.stat().st_size if path.exists() else 0
            with path.open("ab") as log:
                log.write(f"\n=== {time.strftime('%H:%M:%S')} start {' '.join(args)}\n".encode())
                self.processes[name] = subprocess.Popen(
                    args,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._args[name] = args

    def supervise(self) -> None:
        """Start again, from now on, whatever exits without the test ending it (at most 10
        times per process, so that one that cannot start does not loop forever)."""
        if os.environ.get("LAPOR_FAULT_SUPERVISE", "1") == "0" or self._supervisor is not None:
            return

        def loop() -> None:
            while not self._stopping.wait(0.25):
                with self._lock:
                    for name, process in list(self.processes.items()):
                        if process.poll() is None or self.crashes[name] >= 10:
                            continue
                        self.crashes[name] += 1
                        with (self.tmp / f"{name}.log").open("ab") as log:
                            log.write(
                                f"\n=== {time.strftime('%H:%M:%S')} exited with "
                                f"{process.returncode}: started again\n".encode()
                            )
                        del self.processes[name]
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(process.pid, signal.SIGKILL)  # what it left behind
                        self.start(name, self._args[name])

        self._supervisor = threading.Thread(target=loop, daemon=True)
        self._supervisor.start()

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def send_signal(self, name: str, sig: int) -> None:
        """Send ``sig`` to the whole process group of ``name`` (SIGSTOP, SIGCONT…)."""
        with self._lock:
            os.killpg(self.processes[name].pid, sig)

    def kill(self, *names: str, sig: int = signal.SIGKILL, timeout: float = 20) -> set[int]:
        """End ``names`` together, each with every process of its group (a signal that is not
        obeyed within ``timeout`` is followed by SIGKILL), and wait until none of them runs.
        Returns the ids of the processes ended."""
        with self._lock:
            ending = {name: self.processes.pop(name) for name in names if name in self.processes}
        pids = set().union(*(group_pids(p.pid) for p in ending.values()))
        for process in ending.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
                if sig != signal.SIGKILL:
                    os.killpg(process.pid, signal.SIGCONT)  # a stopped process cannot obey
        for name, process in ending.items():
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and (
                process.poll() is None or _group_alive(process.pid)
            ):
                time.sleep(0.02)
            if process.poll() is None or _group_alive(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and _group_alive(process.pid):
                    time.sleep(0.05)
            with (self.tmp / f"{name}.log").open("ab") as log:
                log.write(f"\n=== {time.strftime('%H:%M:%S')} ended by signal {sig}\n".encode())
        return pids

    def kill_all(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(10)
        self.kill(*self.processes)

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        """Until ``text`` is in what ``name`` logged since it was last started.

        :raises AssertionError: if it exits first or ``timeout`` passes, with the logs.
        """
        path = self.tmp / f"{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with path.open("rb") as log:
                log.seek(self._log_start.get(name, 0))
                if text.encode() in log.read():
                    return
            if not self.alive(name) and self._supervisor is None:
                raise AssertionError(f"{name} exited before logging {text!r}\n{self.logs()}")
            time.sleep(0.1)
        raise AssertionError(f"{name} did not log {text!r} within {timeout} s\n{self.logs()}")

    # Each part of the stack.

    def start_redis(self) -> None:
        redis_server = shutil.which("redis-server")
        assert redis_server, "redis-server is needed for the fault tests"
        self.start(
            "redis",
            [redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
        )  # fmt: skip
        wait_for_port(self.redis_port)

    def start_web(self) -> None:
        self.start(
            "web",
            [PYTHON, "-m", "gunicorn", "lapor.wsgi:application", "--workers=2",
             f"--bind=127.0.0.1:{self.web_port}", "--timeout=60", "--log-level=info",
             "--no-control-socket"],
        )  # fmt: skip
        wait_for_port(self.web_port)
        self.wait_for_log("web", "Booting worker")

    def start_worker(self, name: str, queue: str) -> None:
        """``routing`` consumes the ``celery`` queue, ``mail`` the ``mail`` queue."""
        self.start(
            name,
            [PYTHON, "-m", "celery", "-A", "lapor", "worker", "-Q", queue, "-n",
             f"{name}@%h", *WORKER_OPTIONS],
        )  # fmt: skip

    def start_beat(self) -> None:
        self.start(
            "beat",
            [PYTHON, "-m", "celery", "-A", "lapor", "beat", "--loglevel=INFO",
             "-s", str(self.tmp / "beat-schedule")],
        )  # fmt: skip

    def start_background(self) -> None:
        """Both workers and beat, ready to work."""
        for name, queue in (("routing", "celery"), ("mail", "mail")):
            if not self.alive(name):
                self.start_worker(name, queue)
        if not self.alive("beat"):
            self.start_beat()
        for name in ("routing", "mail"):
            self.wait_for_log(name, " ready.")
        self.wait_for_log("beat", "beat: Starting")

    def start_all(self) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.inflight_dir.mkdir(parents=True, exist_ok=True)
        self.start_redis()
        self.start_web()
        self.start_background()
        self.supervise()

    def web_worker_pids(self) -> list[int]:
        """gunicorn's workers: the children of its master."""
        with self._lock:
            master = self.processes["web"].pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def states(self) -> dict[str, str]:
        """Each process: running, or how it ended (not by the test: the test forgets those),
        and how often it was started again."""
        with self._lock:
            return {
                name: ("running" if process.poll() is None else f"exited with {process.returncode}")
                + (f", started again {self.crashes[name]} times" if self.crashes[name] else "")
                for name, process in self.processes.items()
            }

    def queues(self) -> dict[str, int | str]:
        """How many tasks wait in each queue, and how many were taken and not acknowledged."""
        import redis

        client = redis.Redis(port=self.redis_port, socket_timeout=1, socket_connect_timeout=1)
        try:
            found: dict[str, int | str] = {q: int(client.llen(q)) for q in ("celery", "mail")}
            found["unacked"] = int(client.hlen("unacked"))
        except redis.RedisError as exc:
            return {"redis": f"{type(exc).__name__}: {exc}"}
        finally:
            client.close()
        return found

    def logs(self, tail: int = 4000) -> str:
        parts = [
            f"processes: {self.states()}; queues in Redis: {self.queues()}; logs in {self.tmp}"
        ]
        for path in sorted(self.tmp.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} (last {tail} characters)\n{text[-tail:]}")
        return "\n".join(parts)


# --- clients ----------------------------------------------------------------------------------


@dataclass
class Submission:
    """One report a client filed (or tried to): its answer and how long it took."""

    phase: str
    started: float  # time.monotonic()
    latency: float
    status: int  # 0: no answer (connection refused or cut, timeout)
    reporter_email: str = ""
    tracking_number: str = ""
    url: str = ""
    error: str = ""
    attempts: int = 1


class Traffic:
    """Citizens filing reports over the API, one at a time per thread, each with an address of
    its own and an Idempotency-Key; ``phase`` labels what happens meanwhile."""

    def __init__(self, base_url: str, *, retries: int = 0, timeout: float = 30) -> None:
        self.base_url = base_url
        self.retries = retries
        self.timeout = timeout
        self.phase = "before"
        self.submissions: list[Submission] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def _post(self, body: bytes, key: str) -> tuple[int, dict[str, Any], str]:
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/complaints/",
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read()), ""
        except urllib.error.HTTPError as exc:
            return exc.code, {}, exc.read()[:300].decode(errors="replace")
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
            # No whole answer: refused, reset, or cut off mid-body by a killed worker
            # (IncompleteRead). A client retries with the same key.
            return 0, {}, f"{type(exc).__name__}: {exc}"

    def submit(self) -> Submission:
        """File one report (and, with ``retries``, again with the same key while nothing
        answers)."""
        reporter = f"pelapor-{uuid.uuid4().hex[:12]}@example.id"
        body = json.dumps(
            api_data(
                kind="COMPLAINT",
                category="kesehatan",
                region="64.72.01",
                title="Puskesmas tutup di jam layanan",
                reporter_name="Siti Aminah",
                reporter_email=reporter,
            )
        ).encode()
        key = str(uuid.uuid4())
        phase, started = self.phase, time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            status, answer, error = self._post(body, key)
            if status != 0 or attempts > self.retries:
                break
        submission = Submission(
            phase=phase,
            started=started,
            latency=time.monotonic() - started,
            status=status,
            reporter_email=reporter,
            tracking_number=str(answer.get("tracking_number", "")),
            url=str(answer.get("url", "")),
            error=error,
            attempts=attempts,
        )
        with self._lock:
            self.submissions.append(submission)
        return submission

    def submit_many(self, count: int) -> list[Submission]:
        return [self.submit() for _ in range(count)]

    def start(self, threads: int = 1, pause: float = 0.05) -> None:
        """File reports in ``threads`` threads until ``stop``."""

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    self.submit()
                    self._stop.wait(pause)
            except BaseException as exc:  # re-raised by stop(), in the test's thread
                self._errors.append(exc)

        self._stop.clear()
        self._threads = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def stop(self, *, check: bool = True) -> None:
        """Stop the threads (after the request each is in); ``check``: raise what failed in
        them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout * (self.retries + 1) + 5)
        self._threads = []
        if check and self._errors:
            raise self._errors[0]

    def accepted(self) -> list[Submission]:
        return [s for s in self.submissions if s.status == 201]

    def in_phase(self, phase: str) -> list[Submission]:
        return [s for s in self.submissions if s.phase == phase]

    def first_started(self) -> float:
        return min(s.started for s in self.submissions)


def get(url: str, timeout: float = 30) -> tuple[int, str]:
    """GET ``url``: its status and body."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


# --- what the portal left behind --------------------------------------------------------------

# The outbox's stable id of an e-mail: <lapor.<message pk>.<kind>@<host>>.
MESSAGE_ID = re.compile(r"<lapor\.(\d+)\.([a-z_]+)@[^>]+>")
ENVELOPE_HEADER = "X-Test-Envelope-To"
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class Mail:
    """One e-mail written by the mail backend."""

    file: str
    pid: int | None  # the process that wrote it (tests.integration.slowmail)
    message_id: str
    pk: int | None  # the outbox row (None: not a Message-ID of the outbox's form)
    kind: str
    subject: str
    recipients: tuple[str, ...]
    text: str


def _mail(file: Path, raw: bytes) -> Mail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = str(message.get("Message-ID", "")).strip()
    match = MESSAGE_ID.fullmatch(message_id)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    envelope = str(message.get(ENVELOPE_HEADER) or message.get("To") or "")
    writer = file.name.split("-")
    return Mail(
        file=file.name,
        pid=int(writer[1]) if file.suffix == ".eml" and len(writer) == 3 else None,
        message_id=message_id,
        pk=int(match[1]) if match else None,
        kind=match[2] if match else "",
        subject=str(message.get("Subject", "")),
        recipients=tuple(sorted(a.strip().lower() for a in envelope.split(",") if a.strip())),
        text=text,
    )


def read_mail(folder: Path) -> list[Mail]:
    """Every e-mail in ``folder``: one per ``.eml`` file (``tests.integration.slowmail``), or
    several per ``.log`` file separated by a line of 79 dashes (Django's file backend)."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        mails.append(_mail(path, path.read_bytes()))
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                mails.append(_mail(path, raw))
    return mails


def sending_now(folder: Path) -> dict[Path, dict[str, Any]]:
    """The e-mails being sent at this moment, by their marker file: the Message-ID, the
    sending process and the phase (``before`` or ``after`` the e-mail was written)."""
    found = {}
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError, ValueError):
            found[path] = json.loads(path.read_text())
    return found


@dataclass(frozen=True)
class Report:
    """A stored report, as the routing left it."""

    id: int
    tracking_number: str
    status: str
    agency: str | None
    sequences: tuple[int, ...]
    disposed_events: int
    routed_events: int


REPORTS_SQL = """
    SELECT c.id, c.tracking_number, c.status, a.code,
        ARRAY(SELECT d.sequence FROM complaints_disposition d
              WHERE d.complaint_id = c.id ORDER BY d.sequence),
        (SELECT count(*) FROM complaints_complaintevent e
         WHERE e.complaint_id = c.id AND e.type = 'DISPOSED'),
        (SELECT count(*) FROM complaints_complaintevent e
         WHERE e.complaint_id = c.id AND e.type = 'ROUTED')
    FROM complaints_complaint c LEFT JOIN routing_agency a ON a.id = c.current_agency_id
"""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    key: str
    complaint_id: int | None
    sent: bool
    outcome: str
    failed: bool
    attempts: int
    error: str

    @property
    def pending(self) -> bool:
        return not self.sent and not self.failed


OUTBOX_SQL = """
    SELECT id, kind, key, complaint_id, sent_at IS NOT NULL, outcome, failed_at IS NOT NULL,
        attempts, error
    FROM complaints_message
"""


@dataclass
class Database:
    """Reads of the stack's database, straight over psycopg (the test process's Django
    database is another one)."""

    cluster: Cluster
    name: str

    def reports(self) -> dict[str, Report]:
        with self.cluster.connect(self.name) as connection:
            rows = connection.execute(REPORTS_SQL).fetchall()
        return {
            row[1]: Report(row[0], row[1], row[2], row[3], tuple(row[4]), *row[5:]) for row in rows
        }

    def outbox(self) -> dict[int, OutboxRow]:
        """The outbox rows by id.

        :raises psycopg.Error: no outbox table of the expected shape (yet).
        """
        with self.cluster.connect(self.name) as connection:
            rows = connection.execute(OUTBOX_SQL).fetchall()
        return {row[0]: OutboxRow(*row) for row in rows}

    def agency_id(self, code: str) -> int:
        with self.cluster.connect(self.name) as connection:
            row = connection.execute("SELECT id FROM routing_agency WHERE code = %s", [code])
            found = row.fetchone()
        assert found is not None, code
        return int(found[0])


@contextlib.contextmanager
def stack_on(cluster: Cluster, template: str, tmp: Path) -> Iterator[tuple[Stack, Database]]:
    """A new database copied from ``template`` and a whole stack on it, ended afterwards."""
    name = database_name(cluster)
    cluster.create_database(name, template=template)
    stack = Stack(tmp=tmp, database_url=cluster.url(name))
    try:
        stack.start_all()
        yield stack, Database(cluster, name)
    finally:
        stack.kill_all()
        if not cluster.private:
            cluster.drop_database(name)
