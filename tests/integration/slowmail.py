"""The e-mail backend of the fault tests (tests/integration/test_message_faults.py): Django's
file backend, one message per file, slowed down on demand so that a test can kill the mail
worker in the middle of a send.

Each message is written whole to a file of its own (``<EMAIL_FILE_PATH>/<time>-<pid>-<n>.eml``,
renamed into place, so that a process killed halfway leaves no half-message behind) with its
envelope recipients in ``X-Test-Envelope-To`` (Bcc is not in a message's headers). While a
message is being sent, a marker file in ``LAPOR_TEST_MAIL_INFLIGHT`` names its Message-ID and
its phase: ``before`` (nothing written yet: a kill loses the send) or ``after`` (written: a kill
leaves a message sent and not marked sent). How long each phase lasts is read, at every send,
from the JSON file ``LAPOR_TEST_MAIL_CONTROL`` (``{"before": 0.5, "after": 1.0}``; none: no
delay), so that a test can slow the running worker down and speed it up again.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

ENVELOPE_HEADER = "X-Test-Envelope-To"
_counter = itertools.count()


def _delays() -> tuple[float, float]:
    path = os.environ.get("LAPOR_TEST_MAIL_CONTROL")
    if not path:
        return 0.0, 0.0
    try:
        control = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return 0.0, 0.0
    return float(control.get("before", 0)), float(control.get("after", 0))


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.rename(path)


class EmailBackend(FileEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(self.file_path)
        inflight = Path(
            os.environ.get("LAPOR_TEST_MAIL_INFLIGHT", str(folder.parent / "mail-inflight"))
        )
        inflight.mkdir(parents=True, exist_ok=True)
        sent = 0
        for email_message in email_messages:
            before, after = _delays()
            message = email_message.message()  # its Message-ID: made here unless the sender set one
            message[ENVELOPE_HEADER] = ", ".join(email_message.recipients())
            name = f"{time.time_ns()}-{os.getpid()}-{next(_counter)}"
            marker = inflight / f"{name}.json"
            state = {"message_id": str(message["Message-ID"]), "pid": os.getpid()}
            _write_atomically(marker, json.dumps({**state, "phase": "before"}).encode())
            time.sleep(before)
            _write_atomically(folder / f"{name}.eml", message.as_bytes())
            _write_atomically(marker, json.dumps({**state, "phase": "after"}).encode())
            time.sleep(after)
            marker.unlink(missing_ok=True)
            sent += 1
        return sent
