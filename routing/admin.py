from django.contrib import admin

from routing.models import (
    Agency,
    CalendarException,
    Category,
    DeadlineSetting,
    Officer,
    Region,
    RoutingRule,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    ordering = ["code"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_id", "name_en", "position", "is_active"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "code"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "region", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code", "region__code"]
    raw_id_fields = ["region", "parent"]
    ordering = ["level", "name"]


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["user", "agency"]
    search_fields = ["user__username", "agency__name"]
    raw_id_fields = ["user", "agency"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "level", "region", "target", "agency"]
    list_filter = ["level", "target", "category"]
    search_fields = ["region__code", "region__name", "agency__name"]
    raw_id_fields = ["region", "agency"]
    ordering = ["category__position", "level", "region"]


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "description"]
    ordering = ["-date"]


@admin.register(DeadlineSetting)
class DeadlineSettingAdmin(admin.ModelAdmin):
    """Deadlines in working days, each with the regulation or practice it comes from."""

    list_display = ["step", "kind", "working_days", "source"]
    list_editable = ["working_days", "source"]
    ordering = ["step", "kind"]
