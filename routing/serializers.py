from __future__ import annotations

from rest_framework import serializers

from routing.models import Region


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent"]
