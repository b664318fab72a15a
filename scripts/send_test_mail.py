"""Send the e-mail door a citizen's message, as a mail client would, to try it:
``.venv/bin/python scripts/send_test_mail.py [--subject S] [--body B] [--to ADDRESS]``.

The listener (``make run`` starts it) files it as a report; its receipt, with the tracking
number, the private link and the reply address, appears in var/log/worker.log."""

from __future__ import annotations

import argparse
import os
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", default=os.environ.get("LAPOR_INBOUND_ADDRESS", "lapor@localhost"))
    parser.add_argument("--sender", default="Warga Samarinda <warga@example.id>")
    parser.add_argument("--subject", default="Lampu jalan mati di Jalan Pahlawan")
    parser.add_argument(
        "--body",
        default=(
            "Selamat malam,\n\nSudah dua minggu lampu jalan di Jalan Pahlawan, Kota Samarinda, "
            "mati sehingga jalan gelap dan rawan.\nKategori: Infrastruktur\n\nTerima kasih."
        ),
    )
    parser.add_argument("--host", default=os.environ.get("LAPOR_SMTP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LAPOR_SMTP_PORT", "2525")))
    args = parser.parse_args()
    message = EmailMessage()
    message["From"] = args.sender
    message["To"] = args.to
    message["Subject"] = args.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="example.id")
    message.set_content(args.body)
    with smtplib.SMTP(args.host, args.port, timeout=30) as client:
        client.send_message(message)
    print(f"Sent to {args.to} through {args.host}:{args.port}.")


if __name__ == "__main__":
    main()
