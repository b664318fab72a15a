from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lapor.lib.workdays import holiday_data
from routing import selectors
from routing.models import (
    Agency,
    CalendarException,
    CalendarYear,
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
    # A website typed without a scheme is taken as https (Django 6's default, said now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["code", "name", "level", "region", "parent", "is_active"]}),
        (
            _("How to reach it"),
            {
                "fields": ["email", "address", "phone", "website"],
                "description": _(
                    "Shown on the agency's public page, each only when filled. The e-mail also "
                    "receives the notices of new reports."
                ),
            },
        ),
    ]


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

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Where the coordinators' banner leads: say which years still need the decree.
        if request.method == "GET":
            for gap in selectors.calendar_gap_list(timezone.localdate()):
                self.message_user(
                    request,
                    format_html(
                        gettext(
                            "The calendar of {year} is not confirmed: {problems}. Enter the "
                            "decree's days off here (for an estimated date that is wrong: an "
                            "extra working day on it and an extra day off on the right one), "
                            'then confirm the year under <a href="{url}">{page}</a>.'
                        ),
                        year=gap.year,
                        problems=gap.describe(),
                        url=reverse("admin:routing_calendaryear_changelist"),
                        page=CalendarYear._meta.verbose_name_plural,
                    ),
                    level=messages.WARNING,
                )
        return super().changelist_view(request, extra_context)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """A year is confirmed once its decree is entered as calendar exceptions; who confirmed it
    and when is recorded, not typed."""

    list_display = ["year", "note", "confirmed_by", "confirmed_at"]
    fields = ["year", "note", "package_data", "confirmed_by", "confirmed_at"]
    readonly_fields = ["package_data", "confirmed_by", "confirmed_at"]
    ordering = ["-year"]

    @admin.display(description=_("holiday data of the package"))
    def package_data(self, obj: CalendarYear | None) -> str:
        if obj is None or obj.year is None:
            return "—"
        data = holiday_data(obj.year)
        if data.is_complete:
            return gettext("Complete: cuti bersama present, no estimated date.")
        gap = selectors.CalendarGap(
            year=obj.year,
            estimated=data.estimated,
            missing_cuti_bersama=not data.has_cuti_bersama,
        )
        return gap.describe()

    def save_model(
        self, request: HttpRequest, obj: CalendarYear, form: ModelForm, change: bool
    ) -> None:
        if request.user.is_authenticated:  # always: the admin lets in only its staff
            obj.confirmed_by = request.user
        obj.confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)
        # This process shows the year covered at once; the others within a minute.
        selectors.clear_settings_cache()

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        super().delete_model(request, obj)
        selectors.clear_settings_cache()


@admin.register(DeadlineSetting)
class DeadlineSettingAdmin(admin.ModelAdmin):
    """Deadlines in working days, each with the regulation or practice it comes from."""

    list_display = ["step", "kind", "working_days", "source"]
    list_editable = ["working_days", "source"]
    ordering = ["step", "kind"]
