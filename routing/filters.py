from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from routing.models import Region


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(
        field_name="parent_id",
        help_text="Kemendagri code of the parent region (64, 64.72). Without it: the provinces.",
    )

    class Meta:
        model = Region
        fields = ["parent"]

    @property
    def qs(self) -> QuerySet[Region]:
        queryset = super().qs
        if not self.form.cleaned_data.get("parent"):
            queryset = queryset.filter(parent__isnull=True)
        return queryset
