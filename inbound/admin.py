from django.contrib import admin

from complaints.admin import ReadOnlyAdmin
from inbound.models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    """What became of each message the e-mail door received, counted by outcome (the list's
    filter shows how many of each). Read only: the door writes these rows."""

    list_display = ["received_at", "outcome", "size", "complaint"]
    list_filter = ["outcome", "received_at"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    show_facets = admin.ShowFacets.ALWAYS
    raw_id_fields = ["complaint"]
