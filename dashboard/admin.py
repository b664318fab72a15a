"""API tokens of staff and citizens (django-rest-knox): issued here, shown once on the page
answering the form, kept only as a SHA-512 digest, and valid until their expiry
(``LAPOR_API_TOKEN_DAYS``) or until deleted here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS

admin.site.unregister(AuthToken)  # knox's own shows the new token in a message (a cookie)


class IssueTokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=365,
        initial=lambda: settings.LAPOR_API_TOKEN_DAYS,
    )

    class Meta:
        model = AuthToken
        fields = ["user"]


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "token_key", "created", "expiry"]
    list_filter = [("expiry", admin.DateFieldListFilter)]
    search_fields = ["user__username", "token_key"]
    ordering = ["-created"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "token_key", "created", "expiry"]
    fields = ["user", "token_key", "created", "expiry"]

    def get_form(  # type: ignore[override]  # django-stubs narrows ``change``; we pass it on
        self, request: HttpRequest, obj: Any = None, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = IssueTokenForm
            kwargs["fields"] = ["user", "days"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["user", "days"] if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AuthToken, form: Any, change: bool) -> None:
        if not change:
            digest, token = get_digest_token()
            obj.digest = digest
            obj.token_key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
            obj.expiry = timezone.now() + dt.timedelta(days=form.cleaned_data["days"])
            # Kept on the request only, for response_add: never in a message, cookie or session.
            request.lapor_api_token = token  # type: ignore[attr-defined]  # our own attribute on HttpRequest
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: AuthToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The page answering the add form shows the new token, once."""
        return TemplateResponse(
            request,
            "admin/knox/authtoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": _("API token issued"),
                "api_token": obj,
                "token": request.lapor_api_token,  # type: ignore[attr-defined]  # set by save_model, our own attribute
                "changelist_url": reverse("admin:knox_authtoken_changelist"),
                "opts": self.opts,
            },
        )
