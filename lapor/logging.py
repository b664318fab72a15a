"""Logging filters: the secret of a private link never reaches a log line."""

from __future__ import annotations

import logging
import re

_PRIVATE_LINK = re.compile(r"(/lacak/[A-Za-z0-9-]{1,20}/)[A-Za-z0-9_-]{20,100}")


def redact(text: str) -> str:
    return _PRIVATE_LINK.sub(r"\1[kunci]", text)


class RedactAccessKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
