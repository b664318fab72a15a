from django.contrib import admin

from complaints.admin import ReadOnlyAdmin
from messaging.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
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
