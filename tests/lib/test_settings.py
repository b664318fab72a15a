"""Settings that protect production: the portal refuses to start with DEBUG off and no real
e-mail configuration (the console backend would write private links into the log), and behind
a TLS proxy it redirects to HTTPS and sends HSTS. Each case imports the settings in a process of
its own, with only the environment given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-secret-for-this-test-only-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "lapor.example.go.id",
}
PROBE = (
    "import json, lapor.settings as s; print(json.dumps({k: getattr(s, k) for k in ("
    "'EMAIL_BACKEND', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER')}))"
)


def settings_with(**environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(ROOT), **environment},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "mail",
    [
        {},
        {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"},  # no EMAIL_HOST
    ],
    ids=["unset", "console", "smtp-without-host"],
)
def test_without_a_real_mail_configuration_production_does_not_start(
    mail: dict[str, str],
) -> None:
    started = settings_with(**PRODUCTION, **mail)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and "EMAIL" in started.stderr


def test_with_smtp_it_starts_and_debug_keeps_the_console() -> None:
    smtp = settings_with(
        **PRODUCTION,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="mail.example.go.id",
    )
    assert smtp.returncode == 0, smtp.stderr
    assert json.loads(smtp.stdout)["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    local = settings_with(DEBUG="1")
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout)["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_behind_a_tls_proxy_https_is_enforced() -> None:
    mail = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "m"}
    behind = json.loads(settings_with(**PRODUCTION, **mail, BEHIND_TLS_PROXY="1").stdout)
    assert behind["SECURE_SSL_REDIRECT"] is True
    assert behind["SECURE_HSTS_SECONDS"] == 31_536_000
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    direct = json.loads(settings_with(**PRODUCTION, **mail).stdout)
    assert direct["SECURE_SSL_REDIRECT"] is False and direct["SECURE_HSTS_SECONDS"] == 0
