"""The OpenAPI description is generated without a warning: every endpoint, field and enum is
described the way drf-spectacular can check."""

from __future__ import annotations

from io import StringIO

import yaml
from django.core.management import call_command


def test_schema_validates_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    paths = schema["paths"]
    assert "/api/v1/staff/complaints/" in paths
    assert "/api/v1/staff/complaints/{tracking_number}/answer/" in paths
    assert "/api/v1/reports/monthly/" in paths
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
