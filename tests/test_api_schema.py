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
    assert {"get", "post"} <= set(paths["/api/v1/complaints/"])
    assert "post" in paths["/api/v1/complaints/{tracking_number}/support/"]
    assert "get" in paths["/api/v1/agencies/{code}/"]
    assert "get" in paths["/api/v1/reports/evaluation/"]
    assert {"knoxApiToken", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_public_endpoints_are_documented_with_their_answers() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    public_list = paths["/api/v1/complaints/"]["get"]
    assert {"200", "400"} <= set(public_list["responses"])
    names = {p["name"] for p in public_list["parameters"]}
    # The web list's filters (PublicComplaintFilter), its order and the cursor.
    assert {"q", "category", "region", "kind", "status", "order", "after"} <= names
    assert (
        "ARCHIVED"
        not in next(p for p in public_list["parameters"] if p["name"] == "status")["schema"]["enum"]
    )
    assert {"201", "400", "429"} <= set(paths["/api/v1/complaints/"]["post"]["responses"])
    support = paths["/api/v1/complaints/{tracking_number}/support/"]["post"]
    assert {"200", "201", "400", "404", "429"} <= set(support["responses"])
    assert "Retry-After" in support["responses"]["429"]["headers"]
    agency = paths["/api/v1/agencies/{code}/"]["get"]
    assert {"200", "404"} <= set(agency["responses"])
    # No credentials for the public endpoints; a token or a session for the evaluation.
    for operation in (public_list, support, agency):
        assert operation["security"] == [{}]
    evaluation = paths["/api/v1/reports/evaluation/"]["get"]
    assert {"200", "400", "401", "403", "404"} <= set(evaluation["responses"])
    assert {"quarter", "region"} <= {p["name"] for p in evaluation["parameters"]}
    assert evaluation["security"] == [{"knoxApiToken": []}, {"cookieAuth": []}]


def test_the_citizen_account_endpoints_are_documented_with_their_answers() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    mine = paths["/api/v1/me/complaints/"]["get"]
    assert {"200", "401", "429"} <= set(mine["responses"])
    claim = paths["/api/v1/complaints/{tracking_number}/claim/"]["post"]
    assert {"200", "401", "403", "404", "409", "429"} <= set(claim["responses"])
    assert {"X-Access-Key", "tracking_number"} <= {p["name"] for p in claim["parameters"]}
    # A token or the web session; never without credentials.
    for operation in (mine, claim):
        assert operation["security"] == [{"knoxApiToken": []}, {"cookieAuth": []}]
