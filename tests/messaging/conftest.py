"""Fixtures of the messaging tests (SMS and WhatsApp)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# --- WhatsApp: the fake Cloud API (tests/messaging/fake_cloud_api.py) ------------------------


@pytest.fixture
def cloud_api(settings: Any) -> Iterator[Any]:
    """A fake WhatsApp Cloud API on 127.0.0.1, and the settings that point the WhatsApp door
    and ``messaging.whatsapp.CloudApiBackend`` at it (channel on, signed deliveries)."""
    from tests.messaging.fake_cloud_api import (
        APP_SECRET,
        PHONE_NUMBER_ID,
        TOKEN,
        VERIFY_TOKEN,
        RunningFake,
    )

    fake = RunningFake()
    settings.LAPOR_WHATSAPP_GRAPH_URL = fake.api.graph_url
    settings.LAPOR_WHATSAPP_TOKEN = TOKEN
    settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.LAPOR_WHATSAPP_APP_SECRET = APP_SECRET
    settings.LAPOR_WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.LAPOR_WHATSAPP_BACKEND = "messaging.whatsapp.CloudApiBackend"
    settings.LAPOR_WHATSAPP_TEMPLATE = "lapor_kabar"
    settings.LAPOR_WHATSAPP_TEMPLATE_LANGUAGE = "id"
    try:
        yield fake.api
    finally:
        fake.stop()


# --- end of the WhatsApp block ----------------------------------------------------------------
