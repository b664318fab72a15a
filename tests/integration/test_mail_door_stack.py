"""The e-mail door as it runs in production: ``manage.py run_mail_listener`` as a process of
its own beside gunicorn, the workers and beat on PostgreSQL and Redis. A citizen's message is
filed, routed by the routing worker and answered with a receipt by the mail worker, whose
Reply-To brings the citizen's reply back to the report; the listener survives being killed
mid-conversation (the sending server tries again) and files the retried message once."""

from __future__ import annotations

import email
import email.policy
import signal
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_for_port
from tests.integration.stack import PYTHON, Cluster, Database, Stack, stack_on

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

CITIZEN = "warga.samarinda@example.id"


@pytest.fixture
def door(cluster: Cluster, template: str, tmp_path: Path) -> Iterator[tuple[Stack, Database, int]]:
    port = free_port()
    with stack_on(cluster, template, tmp_path) as (stack, database):
        stack.start("maildoor", listener_args(port))
        wait_for_port(port)
        yield stack, database, port


def listener_args(port: int) -> list[str]:
    return [PYTHON, "manage.py", "run_mail_listener", "--port", str(port)]


def citizen_mail(
    to: str = "lapor@localhost", subject: str = "Puskesmas tutup siang hari"
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Warga Samarinda <{CITIZEN}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.id")
    message.set_content(
        "Puskesmas Palaran di Kota Samarinda tutup pukul 11 siang padahal jadwalnya sampai "
        "14.00.\nKategori: Kesehatan\n"
    )
    return message


def query(database: Database, sql: str, *params: object) -> list[tuple[object, ...]]:
    with database.cluster.connect(database.name) as connection:
        return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]  # plain SQL text


def wait_for(what: str, check, stack: Stack, timeout: float = 60):  # type: ignore[no-untyped-def]  # any predicate
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"no {what} within {timeout:.0f} s\n{stack.logs()}")


def receipt_to_citizen(stack: Stack) -> EmailMessage | None:
    for path in sorted(stack.mail_dir.glob("*")):
        for raw in path.read_bytes().split(b"-" * 79):
            if CITIZEN.encode() in raw and b"Reply-To" in raw:
                message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                return message
    return None


class TestTheMailDoorProcess:
    def test_a_message_is_filed_routed_and_its_receipts_reply_joins_it(
        self, door: tuple[Stack, Database, int]
    ) -> None:
        stack, database, port = door
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(citizen_mail())
        row = wait_for(
            "routed report",
            lambda: query(
                database,
                "SELECT c.id, c.status, a.code FROM complaints_complaint c "
                "JOIN routing_agency a ON a.id = c.current_agency_id WHERE c.channel = 'EMAIL'",
            ),
            stack,
        )
        assert row[0][1:] == ("DISPOSED", "dinkes-smd")
        receipt = wait_for("receipt", lambda: receipt_to_citizen(stack), stack)
        reply_to = str(receipt["Reply-To"])
        assert reply_to.startswith("lapor+r.") and reply_to.endswith("@localhost")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(citizen_mail(to=reply_to, subject="Re: " + str(receipt["Subject"])))
        added = query(
            database,
            "SELECT count(*) FROM complaints_complaintevent WHERE complaint_id = %s "
            "AND type = 'CITIZEN_ADDED'",
            row[0][0],
        )
        assert added == [(1,)]

    def test_killed_mid_conversation_the_retried_message_is_filed_once(
        self, door: tuple[Stack, Database, int]
    ) -> None:
        stack, database, port = door
        message = citizen_mail()
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        client.ehlo()
        client.mail(CITIZEN)
        client.rcpt("lapor@localhost")
        stack.kill("maildoor", sig=signal.SIGKILL)
        with pytest.raises((smtplib.SMTPException, OSError)):
            client.data(message.as_bytes())
        client.close()
        assert query(database, "SELECT count(*) FROM complaints_complaint") == [(0,)]
        # The sending server tries again once the door is back (docker-compose restarts it),
        # and once more as if it had not heard the first answer.
        stack.start("maildoor", listener_args(port))
        wait_for_port(port, timeout=60)
        for _attempt in range(2):
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as retry:
                retry.send_message(message)
        assert query(database, "SELECT count(*) FROM complaints_complaint") == [(1,)]
        assert query(database, "SELECT outcome FROM inbound_inboundmail ORDER BY id") == [
            ("REPORT",),
            ("DUPLICATE",),
        ]
