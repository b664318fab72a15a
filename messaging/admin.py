from django.contrib import admin
from django.http import HttpRequest

from messaging.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """What became of each message the SMS and WhatsApp doors received, counted by channel and
    outcome (the list's filters show how many of each). Read only, and without the numbers:
    conversations, which hold them, are not listed here."""

    list_display = ["received_at", "channel", "outcome", "complaint"]
    list_filter = ["channel", "outcome", "received_at"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    show_facets = admin.ShowFacets.ALWAYS
    raw_id_fields = ["complaint"]
    exclude = ["message_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
