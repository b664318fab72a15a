from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
class TestRequestSizeLimit:
    def test_oversized_body_is_refused_before_it_is_read(self, client: Client, settings) -> None:
        settings.LAPOR_MAX_REQUEST_BYTES = 1000
        response = client.post("/lapor/", data=b"x" * 2000, content_type="application/octet-stream")
        assert response.status_code == 413
        assert "terlalu besar" in response.content.decode()
        api = client.post("/api/v1/complaints/", data=b"x" * 2000, content_type="application/json")
        assert api.status_code == 413
        assert "detail" in api.json()
