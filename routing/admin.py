from django.contrib import admin

from routing.models import Category, Region


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
