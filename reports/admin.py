from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import MonthlyRecap


@admin.register(MonthlyRecap)
class MonthlyRecapAdmin(admin.ModelAdmin):
    """View only: rows are built by ``manage.py build_recap`` and beat, never edited by hand."""

    list_display = ("month", "level", "name", "received", "first_answers", "open", "overdue")
    list_filter = ("month", "level")
    search_fields = ("name",)
    ordering = ("-month", "level", "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
