"""What the bench submits: one realistic report, as the HTML form and as the JSON API."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import urllib.request
from dataclasses import dataclass
from zoneinfo import ZoneInfo


def submission_fields() -> dict[str, str]:
    """A report from Samarinda; the incident was yesterday in Asia/Jakarta."""
    yesterday = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date() - dt.timedelta(days=1)
    return {
        "kind": "COMPLAINT",
        "title": "Antrean obat di Puskesmas Palaran lebih dari tiga jam",
        "description": (
            "Sejak awal bulan antrean pengambilan obat di Puskesmas Palaran selalu lebih dari "
            "tiga jam. Hanya satu loket yang buka, padahal pasien lansia dan ibu hamil ikut "
            "mengantre berdiri. Mohon ditambah petugas atau dibuka loket kedua pada jam sibuk, "
            "pukul 08.00 sampai 11.00 WITA."
        ),
        "category": "kesehatan",
        "incident_date": yesterday.isoformat(),
        "reporter_name": "Budi Santoso",
        # With an address the receipt e-mail task is enqueued, as for most real reports.
        "reporter_email": "budi.santoso@example.com",
        "reporter_phone": "0812 3456 7890",
    }


@dataclass(frozen=True)
class Target:
    """A prepared POST: its headers (no Host or Content-Length) and body, and what success is."""

    name: str
    path: str
    headers: dict[str, str]
    body: bytes
    expected_status: int
    location_prefix: str | None = None

    def raw(self, host: str) -> bytes:
        """The whole HTTP/1.1 request on a connection of its own."""
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        lines += [f"Content-Length: {len(self.body)}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode() + self.body

    def is_success(self, status: int, location: str) -> bool:
        if status != self.expected_status:
            return False
        return self.location_prefix is None or location.startswith(self.location_prefix)


def multipart(fields: list[tuple[str, str]], empty_files: list[str]) -> tuple[str, bytes]:
    """A multipart/form-data body, as a browser sends the report form (it has a file input)."""
    boundary = "----lapor-bench-" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
        for name in empty_files
    ]
    parts.append(f"--{boundary}--\r\n")
    return f"multipart/form-data; boundary={boundary}", "".join(parts).encode()


def form_target(csrf_cookie: str, csrf_token: str) -> Target:
    """POST /lapor/; success is the redirect to the receipt page."""
    fields = submission_fields()
    location = {"province": "64", "regency": "64.72", "district": "64.72.01"}
    ordered = [("csrfmiddlewaretoken", csrf_token), *fields.items(), *location.items()]
    content_type, body = multipart(ordered, empty_files=["attachments"])
    return Target(
        name="form",
        path="/lapor/",
        headers={"Content-Type": content_type, "Cookie": f"csrftoken={csrf_cookie}"},
        body=body,
        expected_status=302,
        location_prefix="/lapor/terkirim/",
    )


def api_target() -> Target:
    """POST /api/v1/complaints/; success is 201."""
    payload = {**submission_fields(), "region": "64.72.01"}
    return Target(
        name="api",
        path="/api/v1/complaints/",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        body=json.dumps(payload).encode(),
        expected_status=201,
    )


def fetch_csrf(base_url: str) -> tuple[str, str]:
    """The csrftoken cookie and the form's hidden token; one pair serves every POST."""
    with urllib.request.urlopen(f"{base_url}/lapor/", timeout=10) as response:
        html = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    cookie = next(
        (c.split(";", 1)[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")), None
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if cookie is None or token is None:
        raise RuntimeError("GET /lapor/ gave no csrftoken cookie or no csrfmiddlewaretoken")
    return cookie, token.group(1)
