"""Query-string filters of the staff inbox, shared by the dashboard page and the staff API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import workflow
from complaints.models import Complaint, ComplaintQuerySet
from complaints.selectors import search_complaints
from lapor.lib.bounds import validate_query_day
from routing.models import Category


def in_region(queryset: QuerySet[Complaint], value: str) -> QuerySet[Complaint]:
    """Reports in a Kemendagri region (64, 64.72, 64.72.01) or anywhere inside it."""
    code = value.strip().rstrip(".")
    if not code:
        return queryset
    return queryset.filter(Q(region_id=code) | Q(region__code__startswith=f"{code}."))


class StaffComplaintFilter(django_filters.FilterSet):
    """Without ``status``, only open reports are listed (what someone still has to act on)."""

    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Complaint.Status.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Without a status: every open report."),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Complaint.Kind.choices)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=Category.objects.order_by("position", "code"),
        to_field_name="code",
    )
    region = django_filters.CharFilter(
        label=_("Region code"),
        method="filter_region",
        max_length=13,
        help_text=_("A Kemendagri code (64, 64.72, 64.72.01): that region and everything in it."),
    )
    # Bounded (``lapor.lib.bounds``): a day's start in UTC, and the next day's, must exist.
    submitted_from = django_filters.DateFilter(
        label=_("Received from"), method="filter_submitted_from", validators=[validate_query_day]
    )
    submitted_to = django_filters.DateFilter(
        label=_("Received until"), method="filter_submitted_to", validators=[validate_query_day]
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    q = django_filters.CharFilter(
        label=_("Search in title and text"), method="filter_search", max_length=200
    )

    class Meta:
        model = Complaint
        fields: list[str] = []

    def __init__(self, *args: Any, now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def filter_queryset(self, queryset: ComplaintQuerySet) -> QuerySet[Complaint]:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.open()
        return super().filter_queryset(queryset)

    def filter_region(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        return in_region(queryset, value)

    def _day_start(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def filter_submitted_from(
        self, queryset: QuerySet[Complaint], name: str, value: dt.date
    ) -> QuerySet[Complaint]:
        return queryset.filter(submitted_at__gte=self._day_start(value))

    def filter_submitted_to(
        self, queryset: QuerySet[Complaint], name: str, value: dt.date
    ) -> QuerySet[Complaint]:
        return queryset.filter(submitted_at__lt=self._day_start(value + dt.timedelta(days=1)))

    def filter_overdue(
        self, queryset: ComplaintQuerySet, name: str, value: bool
    ) -> QuerySet[Complaint]:
        if not value:
            return queryset
        return queryset.overdue(self.now)

    def filter_search(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        return search_complaints(queryset, value)


PUBLIC_STATUSES = [
    (value, label) for value, label in Complaint.Status.choices if value not in workflow.NOT_PUBLIC
]


class PublicComplaintFilter(django_filters.FilterSet):
    """The public list's search and filters (confidential and archived reports are never in
    the queryset this filters)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("position", "code"),
        to_field_name="code",
    )
    region = django_filters.CharFilter(
        label=_("Region code"),
        method="filter_region",
        max_length=13,
        help_text=_("A Kemendagri code (64, 64.72): that region and everything in it."),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Complaint.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PUBLIC_STATUSES)

    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_region(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        return in_region(queryset, value)

    def filter_search(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        return search_complaints(queryset, value)
