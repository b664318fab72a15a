"""Additions to the generated OpenAPI schema that hold for every operation."""

from __future__ import annotations

from typing import Any

THROTTLED = {
    "description": (
        "Too many requests: over LAPOR_API_USER_RATE (signed in) or LAPOR_API_ADDRESS_RATE "
        "(per address). Retry-After says in how many seconds to try again."
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}},
}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


def add_throttled_response(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation may answer 429 (the API's throttle
    applies to all of them), with a ``detail`` message."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Detail", DETAIL)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                operation.setdefault("responses", {}).setdefault("429", THROTTLED)
    return result
