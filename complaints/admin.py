"""The admin shows reports for inspection, never their reporter.

No admin page shows a reporter, the account that owns a report, or the account behind a
citizen's own events (reply, acceptance, dispute, rating); no lookup in the admin's query string
may filter reports by them either. A reporter's identity is opened only through the logged
reveal (``complaints.services.reveal_reporter``).
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    AnswerTemplate,
    Complaint,
    ComplaintEvent,
    DeadlineBreach,
    Disposition,
    Message,
    TransferRequest,
)

EVENT_FIELDS = ("created_at", "type", "from_status", "to_status", "staff_actor", "is_public")
# Fields of a report and its rows that lead to its reporter: never shown, never filtered on.
IDENTITY_FIELDS = frozenset({"owner", "reporter", "access_key_hash", "actor", "events"})


class NoIdentityLookups:
    """Refuses query-string lookups through the fields that lead to a reporter
    (``?owner=5`` would list one account's reports)."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if IDENTITY_FIELDS.intersection(lookup.split("__")):
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]  # a mixin for ModelAdmin


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS

    @admin.display(description=_("actor"))
    def staff_actor(self, event: ComplaintEvent) -> str:
        """The officer who acted, or a dash: a citizen's account is never named."""
        actor = event.actor
        if actor is None or not (actor.is_staff or hasattr(actor, "officer")):
            return "—"
        return actor.get_username()

    def has_add_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(NoIdentityLookups, admin.ModelAdmin):
    """Read-only: state changes go through the workflow; neither the reporter nor the owning
    account is shown (``fields`` lists what is)."""

    list_display = ["tracking_number", "kind", "status", "category", "region", "submitted_at"]
    list_filter = ["status", "kind", "category", "is_anonymous", "is_confidential"]
    search_fields = ["tracking_number"]
    ordering = ["-submitted_at"]
    inlines = [ComplaintEventInline]
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
    fields = tuple(readonly_fields)  # no owner, reporter or access key

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        # Status, holder, step and version change only through the workflow.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin):
    """Ready answers officers can start from, per category or for all."""

    list_display = ["title", "category", "position", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["title", "text"]
    ordering = ["category", "position", "title"]


class ReadOnlyAdmin(NoIdentityLookups, admin.ModelAdmin):
    """Written only by the workflow; shown for inspection."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Disposition)
class DispositionAdmin(ReadOnlyAdmin):
    list_display = [
        "complaint",
        "sequence",
        "kind",
        "from_agency",
        "to_agency",
        "created_at",
        "due_at",
    ]
    list_filter = ["kind"]
    search_fields = ["complaint__tracking_number"]
    ordering = ["-created_at"]


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    list_display = ["complaint", "from_agency", "suggested_agency", "created_at", "decided_at"]
    search_fields = ["complaint__tracking_number", "from_agency__name"]
    ordering = ["-created_at"]


@admin.register(DeadlineBreach)
class DeadlineBreachAdmin(ReadOnlyAdmin):
    list_display = ["agency", "complaint", "due_at", "created_at"]
    search_fields = ["agency__name", "complaint__tracking_number"]
    ordering = ["-created_at"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The outbox, for inspection: what is pending, sent and given up on, with the last error.
    The sealed secret is never shown."""

    list_display = ["key", "kind", "attempts", "created_at", "sent_at", "outcome", "failed_at"]
    list_filter = ["kind", "outcome", ("failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["key"]
    fields = [
        "kind",
        "key",
        "complaint",
        "agency",
        "data",
        "created_at",
        "published_at",
        "next_attempt_at",
        "claimed_until",
        "attempts",
        "sent_at",
        "outcome",
        "failed_at",
        "error",
    ]
    ordering = ["-created_at"]
