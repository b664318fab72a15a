"""E-mail intake benchmark: how many messages a second the e-mail door files as reports.

Builds a throwaway PostgreSQL database with the regions and the demo hierarchy, starts the
listener (``manage.py run_mail_listener``, DEBUG off, the production shape's settings) on a free
port of 127.0.0.1, and sends it citizens' messages over ``--connections`` SMTP connections at
once, as a mail server relays them: text only (half name their category and place, half do not
and wait for them), then with a phone photo attached (cleaned in a child process, as every
attachment). Each round is repeated, the median quoted; every message must have become a
report. Prints the messages per second, the latency per message and the listener's CPU per
message. Traffic goes to 127.0.0.1 only and stops by itself. See README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: common.py

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    bench_env,
    cpu_seconds,
    flush_redis,
    free_port,
    git_head,
    manage,
    recreate_database,
    stop_process,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lapor_bench_mail"
REDIS_URL = "redis://127.0.0.1:6379/14"
ADDRESS = "lapor@bench.test"
PLACES = ("Kota Samarinda", "Kota Balikpapan", "Kabupaten Kutai Kartanegara", "Kota Bontang")
CATEGORIES = ("Kesehatan", "Pendidikan", "Infrastruktur", "Perhubungan")


def photo() -> bytes:
    """A 1600 by 1200 phone-sized JPEG with noise, as a phone's camera app writes it."""
    from PIL import Image

    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((1600, 1200)),
            Image.effect_noise((1600, 1200), 40),
            Image.radial_gradient("L").resize((1600, 1200)),
        ),
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def message(number: int, *, attachment: bytes | None) -> EmailMessage:
    named = number % 2 == 0
    place = PLACES[number % len(PLACES)]
    body = (
        f"Selamat pagi,\n\nLaporan nomor {number}: jalan dan saluran air di dekat pasar "
        f"{'di ' + place if named else ''} rusak sejak bulan lalu dan membahayakan warga.\n"
        + (f"Kategori: {CATEGORIES[number % len(CATEGORIES)]}\n" if named else "")
        + "\nTerima kasih,\nWarga\n\n> pesan sebelumnya\n"
    )
    mail = EmailMessage()
    mail["From"] = f"Warga {number} <warga{number % 500}@example.id>"
    mail["To"] = ADDRESS
    mail["Subject"] = f"Jalan rusak dekat pasar ({number})"
    mail["Message-ID"] = make_msgid(domain="example.id")
    mail["Date"] = "Mon, 07 Dec 2026 08:00:00 +0700"
    mail.set_content(body, cte="quoted-printable")
    if attachment is not None:
        mail.add_attachment(attachment, maintype="image", subtype="jpeg", filename="foto.jpg")
    return mail


def send_all(
    port: int, messages: list[EmailMessage], connections: int
) -> tuple[float, list[float]]:
    """Send ``messages`` over ``connections`` SMTP sessions at once; (seconds, latencies ms)."""
    import smtplib

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    shares = [messages[i::connections] for i in range(connections)]

    def sender(share: list[EmailMessage]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                for mail in share:
                    started = time.perf_counter()
                    client.send_message(mail, from_addr="warga@example.id", to_addrs=[ADDRESS])
                    with lock:
                        latencies.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # the bench reports it and fails
            with lock:
                failures.append(repr(exc))

    threads = [threading.Thread(target=sender, args=(share,)) for share in shares if share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise BenchError(f"{len(failures)} sessions failed, first: {failures[0]}")
    return elapsed, latencies


def filed(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM inbound_inboundmail WHERE outcome IN ('REPORT', 'INCOMPLETE')"
        ).fetchone()
    return int(row[0]) if row else 0


def wait_for_listener(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import smtplib

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the listener exited with {process.returncode}")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
                client.noop()
                return
        except OSError:
            time.sleep(0.25)
    raise BenchError("the listener did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--messages", type=int, default=400, help="text-only messages per round")
    parser.add_argument("--photos", type=int, default=40, help="messages with a photo per round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    env = {
        **bench_env(args.database_url, REDIS_URL),
        "LAPOR_INBOUND_ADDRESS": ADDRESS,
        "LAPOR_INBOUND_SENDER_RATE": "100000000/h",
    }
    print("Preparing the database", flush=True)
    recreate_database(args.database_url)
    flush_redis(REDIS_URL)
    manage(env, "migrate", "--noinput")
    manage(env, "load_regions")
    manage(env, "seed_demo")
    port = free_port()
    log = (RESULTS_DIR / "email-listener.log").open("wb") if RESULTS_DIR.exists() else None
    listener = subprocess.Popen(
        [str(PYTHON), "manage.py", "run_mail_listener", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    results: dict[str, Any] = {"commit": git_head(), "connections": args.connections, "rounds": {}}
    try:
        wait_for_listener(port, listener)
        picture = photo()
        number = 0
        for name, count, attachment in (
            ("text", args.messages, None),
            ("photo", args.photos, picture),
        ):
            rates, p50s, p95s, cpus = [], [], [], []
            for _repeat in range(args.repeats):
                batch = [message(number + i, attachment=attachment) for i in range(count)]
                number += count
                before_filed = filed(args.database_url)
                before_cpu = cpu_seconds(listener.pid)
                elapsed, latencies = send_all(port, batch, args.connections)
                cpu = cpu_seconds(listener.pid) - before_cpu
                made = filed(args.database_url) - before_filed
                if made != count:
                    raise BenchError(f"{count} messages sent, {made} filed")
                latencies.sort()
                rates.append(count / elapsed)
                p50s.append(statistics.median(latencies))
                p95s.append(latencies[int(0.95 * (len(latencies) - 1))])
                cpus.append(cpu / count * 1000)
            results["rounds"][name] = {
                "messages": count,
                "per_second": round(statistics.median(rates), 1),
                "p50_ms": round(statistics.median(p50s), 1),
                "p95_ms": round(statistics.median(p95s), 1),
                "listener_cpu_ms_per_message": round(statistics.median(cpus), 1),
                "all_rates": [round(r, 1) for r in rates],
            }
            print(f"{name}: {json.dumps(results['rounds'][name])}", flush=True)
    finally:
        stop_process(listener)
        if log is not None:
            log.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
