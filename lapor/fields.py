"""Serializer fields shared by the APIs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from lapor.lib.text import has_forbidden_characters


class CodeRelatedField(serializers.SlugRelatedField):
    """A ``SlugRelatedField`` that answers "invalid" for a value no code can be (not text, too
    long, or holding a NUL or another forbidden character) without asking the database, which
    would refuse a NUL with an error (PostgreSQL)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or len(data) > 200 or has_forbidden_characters(data):
            self.fail("invalid")
        return super().to_internal_value(data)
