"""Run the e-mail door: ``manage.py run_mail_listener [--host H] [--port P] [--lmtp]``."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inbound.smtp import listener


class Command(BaseCommand):
    help = "Listen for e-mail to the portal's address (SMTP, or LMTP) and file it as reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.LAPOR_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.LAPOR_SMTP_PORT)
        parser.add_argument(
            "--lmtp",
            action="store_true",
            default=settings.LAPOR_SMTP_PROTOCOL.lower() == "lmtp",
            help="speak LMTP (a mail server's lmtp transport) instead of SMTP",
        )

    def handle(self, *args: Any, host: str, port: int, lmtp: bool, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        server = listener(host=host, port=port, lmtp=lmtp)
        server.start()
        self.stdout.write(
            f"Taking mail for {settings.LAPOR_INBOUND_ADDRESS} on {host}:{port} "
            f"({'LMTP' if lmtp else 'SMTP'})"
        )
        try:
            stop.wait()
        finally:
            server.stop()
