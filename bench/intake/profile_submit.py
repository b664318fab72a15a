"""Where the time of one submission goes: the form and the API, sampled with py-spy.

A child process sends the very requests of ``run.py`` straight into ``lapor.wsgi.application``
(the whole Django stack with its middleware, as gunicorn calls it, minus the socket) against the
bench database and Redis database 14, with the settings of the benchmarked server. It first
counts SQL statements and Redis commands per request, then submits in a loop while py-spy samples
it twice: all samples (wall time, what latency is made of) and on-CPU samples only (what
throughput on a CPU-bound machine is made of). Printed per target and mode: time by call site
(inclusive) and by library (each sample charged to the innermost library on its stack), and the
hottest functions. Raw stacks go to bench/results/profile-<target>-<mode>.txt.

Needs py-spy in .venv (``.venv/bin/pip install py-spy``; a tool, not a requirement) and the bench
database left in place by ``run.py --keep``. ``--analyze FILE`` reads any py-spy raw file instead,
for instance one recorded from a gunicorn worker under wrk load.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: common.py

from common import PYTHON, RESULTS_DIR, ROOT
from payloads import Target, api_target, form_target
from run import DEFAULT_DATABASE_URL, server_env

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
THIS = str(Path(__file__).resolve())

# Call sites worth knowing, as (label, function name, path fragment): inclusive time.
CALL_SITES = [
    ("request.POST parsing (multipart)", "_load_post_and_files", "django/http/"),
    ("CsrfViewMiddleware.process_view", "process_view", "django/middleware/csrf.py"),
    ("DB pool: close_old_connections (start+end)", "close_old_connections", "django/db/"),
    ("rate limit: submission_wait_seconds", "submission_wait_seconds", "lapor/client.py"),
    ("ComplaintForm.__init__", "__init__", "complaints/forms.py"),
    ("ComplaintForm.is_valid", "is_valid", "django/forms/forms.py"),
    ("ComplaintCreateSerializer.is_valid", "is_valid", "rest_framework/serializers.py"),
    ("submit_complaint (all of it)", "submit_complaint", "complaints/services.py"),
    ("  3 INSERTs (QuerySet.create)", "create", "django/db/models/query.py"),
    ("  Complaint INSERT + savepoint", "_create_with_unique_tracking_number", "complaints/"),
    ("  COMMIT", "commit", "django/db/backends/base/base.py"),
    ("  receipt e-mail task .delay()", "delay", "celery/app/task.py"),
    ("  parse_phone", "parse_phone", "lokal/"),
    ("  add_working_days (due date)", "add_working_days", "lapor/lib/workdays.py"),
    ("set_signed_cookie (receipt)", "set_signed_cookie", "django/http/response.py"),
    ("response rendering (DRF)", "finalize_response", "rest_framework/views.py"),
]

# Libraries, as (label, path fragments): a sample goes to the innermost one on its stack.
LIBRARIES: list[tuple[str, tuple[str, ...]]] = [
    ("psycopg + pool (SQL round trips)", ("/psycopg",)),
    ("redis-py (cache and broker I/O)", ("/redis/",)),
    ("celery + kombu (message building)", ("/celery/", "/kombu/")),
    ("Django ORM (query building, models)", ("django/db/",)),
    ("Django forms", ("django/forms/",)),
    ("Django request parsing (multipart)", ("django/http/", "/email/")),
    ("DRF", ("rest_framework/",)),
    ("Django templates", ("django/template",)),
    (
        "Django handler, middleware, urls",
        (
            "django/core/handlers",
            "django/middleware",
            "django/contrib",
            "django/urls",
            "whitenoise/",
        ),
    ),
    ("Django signing, crypto", ("django/core/signing", "django/utils/crypto")),
    ("Django translation, timezone", ("django/utils/translation", "django/utils/timezone")),
    ("holidays", ("/holidays/",)),
    ("lapor app code", ("/complaints/", "/lapor/", "/routing/")),
    ("stdlib copy (form field deepcopy)", ("/copy.py",)),
    ("gunicorn (socket, parsing)", ("/gunicorn/",)),
]


# --- The child: requests straight into the WSGI application ---------------------------------


def call(
    app: WsgiApp, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One request through the WSGI application, as gunicorn would make it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()  # fires request_finished: the connection goes back to the pool
    return answer["status"], answer["headers"], content


def prepared_target(app: WsgiApp, name: str) -> Target:
    if name == "api":
        return api_target()
    status, headers, body = call(app, "GET", "/lapor/", {}, b"")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not cookie or not token:
        raise SystemExit(f"GET /lapor/ answered {status} without a CSRF cookie and token")
    return form_target(cookie.group(1), token.group(1).decode())


def submit(app: WsgiApp, target: Target) -> None:
    status, headers, body = call(app, "POST", target.path, target.headers, target.body)
    if not target.is_success(status, headers.get("Location", "")):
        raise SystemExit(f"{target.name}: answered {status}: {body[:1000]!r}")


@contextmanager
def recording_io(statements: list[str], redis_commands: list[str]) -> Iterator[None]:
    """Record SQL statements (cursor ones: not BEGIN/COMMIT) and Redis commands in the block."""
    from django.db import connection
    from redis.connection import AbstractConnection

    def sql(execute: Callable[..., Any], query: str, *args: Any) -> Any:
        statements.append(query)
        return execute(query, *args)

    original: Callable[..., Any] = AbstractConnection.send_command

    def send_command(self: AbstractConnection, *args: Any, **kwargs: Any) -> Any:
        redis_commands.append(str(args[0]) if args else "?")
        return original(self, *args, **kwargs)

    AbstractConnection.send_command = send_command  # type: ignore[method-assign]  # patched for the measurement
    try:
        with connection.execute_wrapper(sql):
            yield
    finally:
        AbstractConnection.send_command = original  # type: ignore[method-assign]  # patched for the measurement


def child(name: str, count: int, count_io: bool) -> None:
    os.environ.update(server_env(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lapor.settings"
    sys.path.insert(0, str(ROOT))
    from lapor.wsgi import application

    target = prepared_target(application, name)
    for _ in range(30):  # warm: imports, template and URL caches, pool, broker connection
        submit(application, target)
    if count_io:
        statements: list[str] = []
        commands: list[str] = []
        with recording_io(statements, commands):
            submit(application, target)
        print(f"  SQL: {len(statements)} statements per request, plus BEGIN and COMMIT:")
        for statement in statements:
            print(f"    {statement[:100]}")
        print(f"  Redis: {' '.join(commands)}")
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        submit(application, target)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"  under py-spy: {wall / count * 1000:.2f} ms wall, {cpu / count * 1000:.2f} ms CPU "
        "of this process per request",
        flush=True,
    )


# --- The parent: py-spy and the tables -------------------------------------------------------


def read_raw(path: Path, within: str | None) -> list[tuple[list[tuple[str, str]], int]]:
    """Stacks from a py-spy raw (collapsed) file, root first, each frame as (function, file).

    Only the main thread's (the pool's worker threads start in threading), and with ``within``
    only those passing through a function of that name in this file (the timed loop, not
    Django's start-up).
    """
    stacks = []
    for line in path.read_text().splitlines():
        text, _, count = line.rpartition(" ")
        frames = []
        for frame in text.split(";"):
            match = re.match(r"^(.*?) \((.*):\d+\)$", frame)
            frames.append((match.group(1), match.group(2)) if match else (frame, ""))
        if frames[0][0] != "<module>":
            continue
        if within and not any(n == within and f == THIS for n, f in frames):
            continue
        stacks.append((frames, int(count)))
    return stacks


def analyze(path: Path, within: str | None = None, top: int = 12) -> None:
    stacks = read_raw(path, within)
    total = sum(count for _, count in stacks)
    sites: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, count in stacks:
        for label, function, fragment in CALL_SITES:
            if any(
                name.rsplit(".", 1)[-1] == function and fragment in file for name, file in frames
            ):
                sites[label] += count
        owner = next(
            (
                label
                for _, file in reversed(frames)
                for label, fragments in LIBRARIES
                if any(f in file for f in fragments)
            ),
            "other (stdlib, gunicorn loop)",
        )
        libraries[owner] += count
        name, file = frames[-1]
        short = file.split("site-packages/")[-1].replace(f"{ROOT}/", "")
        leaves[f"{name} ({short})"] += count
    print(f"  {total} samples in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    for title, counter, rows in (
        ("by call site (inclusive, they overlap):", sites, len(CALL_SITES)),
        ("by library (innermost on the stack; adds up to 100%):", libraries, len(LIBRARIES)),
        ("hottest functions (self):", leaves, top),
    ):
        print(f"  {title}")
        for label, count in counter.most_common(rows):
            if count / total >= 0.005:
                print(f"    {label[:70]:70} {count / total:6.1%}")


def record(name: str, count: int, mode: str) -> Path:
    out = RESULTS_DIR / f"profile-{name}-{mode}.txt"
    command = [
        str(PY_SPY),
        "record",
        "--format=raw",
        "--rate=200",
        "--full-filenames",
        f"--output={out}",
    ]
    if mode == "wall":
        command.append("--idle")
    command += ["--", str(PYTHON), THIS, "--child", name, f"--count={count}"]
    if mode == "wall":
        command.append("--count-io")
    # 200 samples a second: py-spy pauses the process for each, and more slows it down a lot.
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1500, help="submissions per profile")
    parser.add_argument("--analyze", type=Path, help="only print the tables of a py-spy raw file")
    parser.add_argument("--child", choices=["form", "api"], help=argparse.SUPPRESS)
    parser.add_argument("--count-io", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.count, args.count_io)
        return 0
    if args.analyze:
        analyze(args.analyze)
        return 0
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("form", "api"):
        for mode in ("wall", "cpu"):
            print(f"\n##### {name}, {mode} time ({'all' if mode == 'wall' else 'on-CPU'} samples)")
            analyze(record(name, args.count, mode), within="submit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
