from django.contrib import admin
from django.http import HttpRequest

from inbound.models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """What became of each message the e-mail door received, counted by outcome (the list's
    filter shows how many of each). Read only: the door writes these rows."""

    list_display = ["received_at", "outcome", "size", "complaint"]
    list_filter = ["outcome", "received_at"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    show_facets = admin.ShowFacets.ALWAYS
    raw_id_fields = ["complaint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
