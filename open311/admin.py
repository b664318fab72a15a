from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from open311.models import ApiKey, ApiKeyQuerySet, Open311Request

REQUEST_FIELDS = ("complaint", "api_key", "token", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Issue keys (the key is shown once, on the page answering the add form) and revoke them."""

    list_display = ["organisation", "hourly_limit", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["organisation"]
    ordering = ["-created_at"]
    fields = ["organisation", "hourly_limit", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: object, change: bool) -> None:
        if not change:
            # Kept on the request only, for response_add: never in a message, cookie or session.
            request.open311_key = obj.set_new_key()  # type: ignore[attr-defined]  # our own attribute on HttpRequest
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The page answering the add form shows the new key, once; the key is not stored."""
        return TemplateResponse(
            request,
            "admin/open311/apikey/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": _("API key issued"),
                "api_key": obj,
                "key": request.open311_key,  # type: ignore[attr-defined]  # set by save_model, our own attribute
                "changelist_url": reverse("admin:open311_apikey_changelist"),
                "opts": self.opts,
            },
        )  # the admin's own views are never cached

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Keep the key of every report it filed; revoke instead.
        return False

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: ApiKeyQuerySet) -> None:
        count = queryset.revoke(timezone.now())
        self.message_user(request, _("Keys revoked: %(count)d.") % {"count": count})


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """Read-only: which key filed which report."""

    list_display = ["complaint", "api_key", "created_at"]
    list_filter = ["api_key"]
    search_fields = ["complaint__tracking_number"]
    ordering = ["-created_at"]
    fields = REQUEST_FIELDS
    readonly_fields = REQUEST_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Open311Request | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Open311Request | None = None
    ) -> bool:
        return False
