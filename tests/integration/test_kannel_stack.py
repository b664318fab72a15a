"""The SMS channel as it runs in production: Kannel's bearerbox and smsbox, configured from
deploy/kannel/kannel.conf (only its SMPP link replaced by Kannel's fake SMSC, and its secrets,
ports and paths filled in), in front of the stack (gunicorn, the workers and beat on
PostgreSQL and Redis). A phone (Kannel's ``fakesmsc``, which prints every message it gets)
sends a long report in concatenated parts; the report is filed and routed, the receipt with
its tracking number comes back, ``CEK <nomor>`` answers the status, an officer's answer given
through the staff API reaches the phone, and the citizen's reply in UCS-2 joins the report.
While the portal is down, smsbox keeps the message and delivers it once the portal is back.

Needs Kannel (``apt-get install kannel kannel-extras``): skipped without it, a failure with
``LAPOR_REQUIRE_ALL=1``. Every process runs on ports of its own (never Debian's kannel
service), and is ended by its process group.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote_to_bytes

import pytest

from tests.helpers import free_port, wait_for_port
from tests.integration.stack import ROOT, Cluster, Database, Stack, stack_on

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
MISSING = [str(p) for p in (BEARERBOX, SMSBOX, FAKESMSC) if not os.access(p, os.X_OK)]
REQUIRE_ALL = os.environ.get("LAPOR_REQUIRE_ALL") == "1"
DEPLOYED = ROOT / "deploy" / "kannel" / "kannel.conf"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.skipif(
        bool(MISSING) and not REQUIRE_ALL,
        reason=f"needs Kannel ({', '.join(MISSING)}): apt-get install kannel kannel-extras",
    ),
]

PHONE = "+6281234567890"
SHORT_CODE = "1708"
STORY = (
    "Puskesmas Palaran di Kota Samarinda tutup sejak pukul 10 pagi, padahal jadwalnya sampai "
    "pukul 14.00. Sudah tiga hari berturut-turut pasien lansia dan ibu hamil menunggu di luar "
    "pagar tanpa kepastian, sebagian datang dari Bantuas dan Simpang Pasir dengan ojek. Petugas "
    "jaga hanya bilang dokternya sedang rapat di kota. Kami mohon jam layanan dikembalikan "
    "seperti semula, karena antrean obat untuk penyakit kronis juga tertunda dan warga harus "
    "datang lagi keesokan harinya. Terima kasih atas perhatiannya, semoga cepat ditangani."
)
ANSWER = (
    "Terima kasih atas laporannya. Petugas kami sudah memeriksa Puskesmas Palaran: jam layanan "
    "kembali “08.00–14.00” mulai Senin… Dokter jaga ditambah satu orang."
)
REPLY = "Terima kasih 🙏 sudah buka."


# --- the Kannel configuration -----------------------------------------------------------------


Group = list[tuple[str, str]]


def read_groups(text: str) -> list[Group]:
    """The groups of a Kannel configuration, each its ``key = value`` lines in order."""
    groups: list[Group] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "group":
            groups.append([])
        groups[-1].append((key, value))
    return groups


def write_groups(groups: list[Group]) -> str:
    return "\n\n".join("\n".join(f"{k} = {v}" for k, v in group) for group in groups) + "\n"


@dataclass(frozen=True)
class Kannel:
    """The ports, secrets and folder of one Kannel."""

    folder: Path
    web_port: int = 0
    admin_port: int = 0
    box_port: int = 0
    smsc_port: int = 0
    sendsms_port: int = 0
    secret: str = ""
    sendsms_password: str = ""
    status_password: str = ""

    @classmethod
    def new(cls, folder: Path) -> Kannel:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(
            folder=folder,
            admin_port=free_port(),
            box_port=free_port(),
            smsc_port=free_port(),
            sendsms_port=free_port(),
            secret="kanal-sms_" + secrets.token_urlsafe(16),
            sendsms_password=secrets.token_urlsafe(12),
            status_password=secrets.token_urlsafe(12),
        )

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def configuration(self) -> str:
        """deploy/kannel/kannel.conf with the fake SMSC for the operator's link, and this
        Kannel's ports, secrets and paths; the portal over HTTP on 127.0.0.1."""
        quoted = {"log-file", "access-log", "store-location", "admin-password"}
        changes: dict[str, dict[str, str]] = {
            "core": {
                "admin-port": str(self.admin_port),
                "admin-password": secrets.token_urlsafe(12),
                "status-password": self.status_password,
                "smsbox-port": str(self.box_port),
                "log-file": str(self.folder / "bearerbox.log"),
                "access-log": str(self.folder / "access.log"),
                "store-location": str(self.folder / "store"),
            },
            "smsbox": {
                "bearerbox-port": str(self.box_port),
                "sendsms-port": str(self.sendsms_port),
                "log-file": str(self.folder / "smsbox.log"),
                "http-queue-delay": "2",
            },
            "sendsms-user": {"password": self.sendsms_password, "default-sender": SHORT_CODE},
        }
        groups = []
        for group in read_groups(DEPLOYED.read_text()):
            name = group[0][1]
            if name == "smsc":
                group = [("group", "smsc"), ("smsc", "fake"), ("smsc-id", "fake"),
                         ("port", str(self.smsc_port)), ("connect-allow-ip", '"127.0.0.1"')]  # fmt: skip
            changed: Group = []
            for key, value in group:
                new = changes.get(name, {}).get(key, value)
                if key in quoted and new != value:
                    new = f'"{new}"'
                if key == "post-url":
                    new = (
                        new.replace("https://", "http://")
                        .replace("<SMS_SECRET>", self.secret)
                        .replace("<PORTAL_HOST>", f"127.0.0.1:{self.web_port}")
                    )
                if key == "ssl-trusted-ca-file" and not Path(new.strip('"')).exists():
                    continue
                changed.append((key, new))
            groups.append(changed)
        text = write_groups(groups)
        assert "<" not in text, f"a placeholder of {DEPLOYED} is not filled in:\n{text}"
        return text

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.status_password}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode(errors="replace")
        except (OSError, urllib.error.URLError):
            return ""


def wait_for(what: str, check: Callable[[], Any], logs: Callable[[], str], timeout: float = 90) -> Any:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"no {what} within {timeout:.0f} s\n{logs()}")


def start_kannel(stack: Stack, kannel: Kannel) -> None:
    """bearerbox, then smsbox, as processes of the stack (their console output in the stack's
    logs); until bearerbox's status shows smsbox connected."""
    path = kannel.folder / "kannel.conf"
    path.write_text(kannel.configuration())
    (kannel.folder / "store").mkdir(exist_ok=True)
    stack.start("bearerbox", [str(BEARERBOX), str(path)])
    wait_for_port(kannel.admin_port)
    wait_for_port(kannel.box_port)
    stack.start("smsbox", [str(SMSBOX), str(path)])
    wait_for_port(kannel.sendsms_port)
    wait_for("smsbox connected", lambda: "smsbox:" in kannel.status(), stack.logs, timeout=30)


# --- the phone ------------------------------------------------------------------------------

_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")


@dataclass(frozen=True)
class Received:
    sender: str
    text: str
    ucs2: bool


def _bytes(encoded: str) -> bytes:
    return unquote_to_bytes(encoded.replace("+", " "))


class Phone:
    """A phone on Kannel's fake SMSC: ``fakesmsc`` in its interactive mode, reading the messages
    to send from its input and printing those it gets, which ``received`` reads (the parts of a
    concatenated one joined)."""

    def __init__(self, kannel: Kannel, number: str = PHONE) -> None:
        self.number = number
        self.sent = 0
        self.log = kannel.folder / "fakesmsc.out"
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(
            [str(FAKESMSC), "-H", "127.0.0.1", "-r", str(kannel.smsc_port), "-i", "0.1"],
            stdin=subprocess.PIPE,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            "fakesmsc connected",
            lambda: "fakesmsc starting" in self.output() and "online" in kannel.status(),
            self.output,
            timeout=30,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _send(self, line: str) -> None:
        """One line to fakesmsc, once it has sent the one before: it waits for its input with
        select() and then reads one line with fgets(), so that lines written together would wait
        in stdio's buffer."""
        assert self.process.stdin is not None
        # fgets() into 256 bytes: a longer line would be sent cut, the rest left waiting.
        assert len(line.encode()) < 255, f"too long for fakesmsc: {line!r}"
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        self.sent += 1
        wait_for(
            f"fakesmsc to send message {self.sent}",
            lambda: f"fakesmsc: sent message {self.sent}\n" in self.output(),
            self.output,
            timeout=15,
        )

    def send(self, text: str) -> None:
        """A GSM 7-bit message."""
        self._send(f"{self.number} {SHORT_CODE} text {text}")

    def send_ucs2(self, text: str) -> None:
        """A UCS-2 message (short: fakesmsc's line holds 255 bytes, about 50 characters)."""
        self._send(f"{self.number} {SHORT_CODE} ucs2 {quote_plus(text.encode('utf-16-be'))}")

    def send_long(self, text: str, reference: int = 42) -> list[str]:
        """``text`` as a phone sends a long message: concatenated parts of at most 153
        characters, each with its UDH (reference, count, number). A part neither starts nor
        ends with a space, which the fake SMSC's line format would lose."""
        parts, rest = [], text
        while rest:
            cut = min(len(rest), 150)
            while cut < len(rest) and (rest[cut] == " " or rest[cut - 1] == " "):
                cut -= 1
            parts.append(rest[:cut])
            rest = rest[cut:]
        for number, part in enumerate(parts, start=1):
            udh = quote(bytes([5, 0, 3, reference, len(parts), number]))
            self._send(f"{self.number} {SHORT_CODE} udh-text {udh} {part}")
        return parts

    def received(self) -> list[Received]:
        messages: list[Received] = []
        pending: dict[int, dict[int, bytes]] = {}
        for line in self.output().splitlines():
            found = _GOT.search(line)
            if found is None:
                continue
            sender, to, kind, rest = found.groups()
            if to != self.number:
                continue
            if kind == "text":
                messages.append(Received(sender, rest, ucs2=False))
            elif kind == "ucs-2":
                messages.append(Received(sender, _bytes(rest).decode("utf-16-be"), ucs2=True))
            elif kind == "udh":
                udh_text, _data, data_text = rest.split(" ", 2)
                udh = _bytes(udh_text)
                reference, count, number = udh[3], udh[4], udh[5]
                parts = pending.setdefault(reference, {})
                parts[number] = _bytes(data_text)
                if len(parts) == count:
                    data = b"".join(parts[n] for n in sorted(parts))
                    del pending[reference]
                    ucs2 = b"\x00" in data
                    text = data.decode("utf-16-be" if ucs2 else "utf-8")
                    messages.append(Received(sender, text, ucs2=ucs2))
        return messages

    def wait_for(
        self, what: str, match: Callable[[str], bool], logs: Callable[[], str]
    ) -> Received:
        def found() -> Received | None:
            return next((m for m in self.received() if match(m.text)), None)

        return wait_for(what, found, lambda: f"{logs()}\n--- fakesmsc\n{self.output()[-4000:]}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        self._file.close()


# --- the stack --------------------------------------------------------------------------------


@pytest.fixture
def sms(
    cluster: Cluster, template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Stack, Database, Kannel, Phone]]:
    """The stack with the SMS channel on, Kannel in front of it and a phone on its fake SMSC."""
    if MISSING:
        pytest.fail(f"LAPOR_REQUIRE_ALL=1 but Kannel is missing: {', '.join(MISSING)}")
    # Kannel's ports are chosen first: the portal's settings name sendsms. The portal's port,
    # which smsbox calls, is the stack's.
    kannel = Kannel.new(tmp_path / "kannel")
    for name, value in {
        "LAPOR_KANNEL_SENDSMS_URL": kannel.sendsms_url,
        "LAPOR_KANNEL_USERNAME": "lapor",
        "LAPOR_KANNEL_PASSWORD": kannel.sendsms_password,
        "LAPOR_SMS_FROM": "",
        "LAPOR_SMS_SECRET": kannel.secret,
        "LAPOR_SMS_ALLOWED_IPS": "127.0.0.1",
        "LAPOR_TRUSTED_PROXY_COUNT": "0",
    }.items():
        monkeypatch.setenv(name, value)
    with stack_on(cluster, template, tmp_path) as (stack, database):
        kannel = dataclasses.replace(kannel, web_port=stack.web_port)
        start_kannel(stack, kannel)
        phone = Phone(kannel)
        try:
            yield stack, database, kannel, phone
        finally:
            phone.stop()


def query(database: Database, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with database.cluster.connect(database.name) as connection:
        return connection.execute(sql, params).fetchall()


class Dashboard:
    """An officer at the dashboard's own pages, through the stack's gunicorn: signed in with
    the login form, acting with the report page's forms (their CSRF token and version)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.page = ""
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.stack.base_url}{path}", timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str]) -> str:
        page = self.get(path if path.endswith("/login/") else self.page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        request = urllib.request.Request(
            f"{self.stack.base_url}{path}",
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode(),
            headers={"Referer": f"{self.stack.base_url}{path}"},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return str(response.read().decode())
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{path}: {exc.code} {exc.read()[:500]!r}\n{self.stack.logs()}")

    def sign_in(self, username: str, password: str) -> None:
        inbox = self.post("/dashboard/login/", {"username": username, "password": password})
        assert 'action="/dashboard/logout/"' in inbox, inbox[:500]  # signed in: the inbox

    def act(self, number: str, action: str, fields: dict[str, str]) -> str:
        """Submit the report page's form for ``action`` (as an officer's browser would)."""
        self.page = f"/dashboard/complaints/{number}/"
        html = self.get(self.page)
        version = re.search(r'name="version" value="(\d+)"', html)
        assert version, html[:500]
        return self.post(
            f"/dashboard/complaints/{number}/{action}/", {"version": version[1], **fields}
        )


class TestTheSmsChannel:
    def test_a_report_by_sms_is_filed_answered_and_followed_from_the_phone(
        self, sms: tuple[Stack, Database, Kannel, Phone]
    ) -> None:
        stack, database, kannel, phone = sms
        message = f"LAPOR Kesehatan Kota Samarinda {STORY}"
        assert len(phone.send_long(message)) == 4
        question = phone.wait_for("consent question", lambda t: "Balas YA" in t, stack.logs)
        assert question.sender == SHORT_CODE  # the sendsms-user's default-sender
        assert "pengaduan, Kesehatan, Kota Samarinda" in question.text

        phone.send("YA")
        receipt = phone.wait_for("receipt", lambda t: "diterima dengan nomor" in t, stack.logs)
        number_found = re.search(r"nomor ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\.", receipt.text)
        assert number_found, receipt.text
        number = number_found[1]
        assert not receipt.ucs2
        assert f"CEK {number}" in receipt.text
        assert f"{stack.base_url}/lacak/{number}/" in receipt.text  # the private link, whole
        (report,) = wait_for(
            "routed report",
            lambda: query(
                database,
                "SELECT c.channel, c.description, c.status, a.code FROM complaints_complaint c "
                "JOIN routing_agency a ON a.id = c.current_agency_id WHERE c.tracking_number = %s "
                "AND c.status = 'DISPOSED'",
                number,
            ),
            stack.logs,
        )
        assert report == ("SMS", STORY, "DISPOSED", "dinkes-smd")

        phone.send(f"CEK {number}")
        status = phone.wait_for("status", lambda t: t.startswith(f"Laporan {number}:"), stack.logs)
        assert status.text.endswith(f"{stack.base_url}/lacak/{number}/")  # the public page

        # The officer answers in the dashboard.
        dashboard = Dashboard(stack)
        dashboard.sign_in("petugas-dinkes", "sandi-uji-2026")
        dashboard.act(number, "acknowledge", {})
        dashboard.act(number, "answer", {"text": ANSWER, "kind": "final"})
        answer = phone.wait_for("the answer", lambda t: "menjawab" in t, stack.logs)
        assert answer.text.startswith(f"LAPOR {number}: Dinkes Samarinda menjawab: ")
        # Written in GSM's plain punctuation, so that it goes as 7-bit text.
        assert 'jam layanan kembali "08.00-14.00" mulai Senin...' in answer.text
        assert not answer.ucs2

        phone.send_ucs2(f"{number} {REPLY}")
        phone.wait_for("the reply's confirmation", lambda t: "Balasan Anda" in t, stack.logs)
        replies = query(
            database,
            "SELECT e.data->>'text' FROM complaints_complaintevent e JOIN complaints_complaint c "
            "ON c.id = e.complaint_id WHERE c.tracking_number = %s AND e.type = 'CITIZEN_REPLIED'",
            number,
        )
        assert replies == [(REPLY,)]

        # Nothing Kannel logs in the production configuration holds the number or the text,
        # nor anything the portal's processes log.
        for path in [kannel.folder / "bearerbox.log", kannel.folder / "smsbox.log",
                     kannel.folder / "access.log", stack.tmp / "web.log", stack.tmp / "mail.log",
                     stack.tmp / "routing.log"]:  # fmt: skip
            logged = path.read_text(errors="replace") if path.exists() else ""
            assert PHONE[3:] not in logged, path
            assert "Puskesmas" not in logged, path
        assert "Receive SMS" in (kannel.folder / "access.log").read_text()

    def test_while_the_portal_is_down_smsbox_keeps_the_message_and_it_is_taken_once(
        self, sms: tuple[Stack, Database, Kannel, Phone]
    ) -> None:
        stack, database, _kannel, phone = sms
        stack.kill("web")
        phone.send("BANTUAN")
        stack.wait_for_log("smsbox", "HTTP: Retrying request", timeout=30)  # refused, kept
        stack.start_web()
        phone.wait_for("help", lambda t: t.startswith("LAPOR: kirim LAPOR"), stack.logs)
        taken = query(
            database, "SELECT outcome FROM messaging_inboundmessage WHERE channel = 'SMS'"
        )
        assert taken == [("help",)]
        assert len([m for m in phone.received() if m.text.startswith("LAPOR: kirim")]) == 1
