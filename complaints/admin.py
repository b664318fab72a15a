from django.contrib import admin

from complaints.models import AnswerTemplate, Complaint, ComplaintEvent


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "type", "from_status", "to_status", "actor", "is_public"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only: state changes go through the services, and the reporter is not shown here."""

    list_display = ["tracking_number", "kind", "status", "category", "region", "submitted_at"]
    list_filter = ["status", "kind", "category", "is_anonymous", "is_confidential"]
    search_fields = ["tracking_number"]
    ordering = ["-submitted_at"]
    inlines = [ComplaintEventInline]
    exclude = ["access_key_hash"]
    readonly_fields = [
        "tracking_number",
        "kind",
        "title",
        "description",
        "category",
        "region",
        "incident_date",
        "is_anonymous",
        "is_confidential",
        "status",
        "language",
        "submitted_at",
        "due_at",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Holder, step and version change only through the services (dashboard, routing).
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin):
    """Ready answers officers can start from, per category or for all."""

    list_display = ["title", "category", "position", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["title", "text"]
    ordering = ["category", "position", "title"]
