from __future__ import annotations

import logging

import pytest
from django.test import Client

from lapor.logging import RedactAccessKeys, redact

KEY = "JM_TUl1xgxx64IMheEThLEZf0J2hbHpQ7UnC2oj0FB8"


class TestRedactAccessKeys:
    def test_private_link_secret_is_cut(self) -> None:
        assert redact(f'"GET /lacak/ABCD-2345-EFGH/{KEY}/ HTTP/1.1" 200') == (
            '"GET /lacak/ABCD-2345-EFGH/[kunci]/ HTTP/1.1" 200'
        )
        assert (
            redact(f"/lacak/ABCD-2345-EFGH/{KEY}/lampiran/1/")
            == "/lacak/ABCD-2345-EFGH/[kunci]/lampiran/1/"
        )
        assert redact("/lacak/ABCD-2345-EFGH/") == "/lacak/ABCD-2345-EFGH/"

    def test_filter_rewrites_formatted_records(self) -> None:
        record = logging.LogRecord(
            "django.request",
            logging.WARNING,
            __file__,
            1,
            "Not Found: %s",
            (f"/lacak/X/{KEY}/",),
            None,
        )
        assert RedactAccessKeys().filter(record)
        assert KEY not in record.getMessage()

    @pytest.mark.django_db
    def test_every_handler_redacts(self, client: Client, capfd: pytest.CaptureFixture[str]) -> None:
        handlers = [*logging.getLogger().handlers, *logging.getLogger("django.server").handlers]
        ours = [h for h in handlers if any(isinstance(f, RedactAccessKeys) for f in h.filters)]
        assert len(ours) == 2
        client.get(f"/lacak/ABCD-2345-EFGH/{KEY}/")  # a 404, logged by django.request
        captured = capfd.readouterr()
        assert KEY not in captured.err + captured.out
