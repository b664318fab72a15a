"""The production shape puts nginx in front of gunicorn so that slow clients cannot block the
portal. The same nginx configuration as docker-compose.yml's (deploy/nginx/templates/), run by
Debian's nginx before two sync gunicorn workers: clients that send their headers and then dribble
their body hold gunicorn's workers when they reach it directly (the control), and nobody's when
they reach it through nginx. Everything listens on 127.0.0.1 and is stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for_port

pytestmark = pytest.mark.nginx

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "lapor.conf.template"
NGINX = os.environ.get("LAPOR_NGINX", "/usr/sbin/nginx")
WORKERS = 2
PROBE = b"GET /static/css/lapor.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def answer_within(port: int, seconds: float) -> bytes | None:
    """The status line of a small GET, or None when it takes longer than ``seconds``."""
    with socket.create_connection(("127.0.0.1", port), seconds) as client:
        client.settimeout(seconds)
        client.sendall(PROBE)
        try:
            return client.recv(64).split(b"\r\n", 1)[0]
        except TimeoutError:
            return None


def slow_client(port: int) -> socket.socket:
    """A POST whose headers announce 100 KB of body, of which it sends 3 bytes (to Open311,
    whose view reads the body before anything else: a worker that takes it waits)."""
    client = socket.create_connection(("127.0.0.1", port), 5)
    client.sendall(
        b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\na=1"
    )
    return client


@contextlib.contextmanager
def running(command: list[str], **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,  # type: ignore[call-overload]  # cwd and env
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "lapor.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "60",
    ]
    with running(command, cwd=ROOT, env=env):
        wait_for_port(port)
        yield port


@pytest.fixture
def nginx(gunicorn: int, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    work = tmp_path / "nginx"
    work.mkdir()
    work.chmod(0o777)  # nginx's workers buffer bodies here as an unprivileged user
    site = TEMPLATE.read_text()
    site = site.replace("${LAPOR_UPSTREAM}", f"127.0.0.1:{gunicorn}")
    site = site.replace("${LAPOR_LISTEN}", f"127.0.0.1:{port}")
    (work / "lapor.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root root;" if os.geteuid() == 0 else ""
    (work / "nginx.conf").write_text(
        f"{user} worker_processes 1; daemon off; pid {work / 'nginx.pid'};"
        f" error_log {work / 'error.log'} warn;"
        f" events {{ worker_connections 256; }}"
        f" http {{ access_log off; {temp} include {work / 'lapor.conf'}; }}"
    )
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(work), "-c", str(work / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    with running([NGINX, "-p", str(work), "-c", str(work / "nginx.conf")]):
        wait_for_port(port)
        yield port


def test_slow_clients_block_gunicorn_alone_but_not_behind_nginx(gunicorn: int, nginx: int) -> None:
    assert answer_within(gunicorn, 5) == b"HTTP/1.1 200 OK"
    assert answer_within(nginx, 5) == b"HTTP/1.1 200 OK"

    # The control: as many slow clients as gunicorn has workers, straight to gunicorn.
    direct = [slow_client(gunicorn) for _ in range(WORKERS)]
    time.sleep(0.5)
    try:
        assert answer_within(gunicorn, 3) is None, "gunicorn answered: the control shows nothing"
    finally:
        for client in direct:
            client.close()

    # Through nginx: five times as many, and everybody else is answered at once.
    behind = [slow_client(nginx) for _ in range(WORKERS * 5)]
    time.sleep(0.5)
    try:
        started = time.monotonic()
        assert answer_within(nginx, 5) == b"HTTP/1.1 200 OK"
        assert time.monotonic() - started < 2
    finally:
        for client in behind:
            client.close()
