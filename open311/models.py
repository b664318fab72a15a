"""API keys of the organisations that file reports through Open311, and the reports they filed."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lapor.lib.tracking import hash_access_key, new_access_key


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def revoke(self, now: dt.datetime) -> int:
        """Revoke the keys not revoked yet; returns how many were."""
        return self.usable().update(revoked_at=now)


class ApiKey(models.Model):
    """A key an organisation (a city's app, an NGO) posts reports with. Only the key's SHA-256 is
    kept: the key itself is shown once, when it is issued in the admin."""

    organisation = models.CharField(_("organisation"), max_length=200)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hourly_limit = models.PositiveIntegerField(
        _("reports per hour"),
        default=100,
        validators=[MinValueValidator(1)],
        help_text=_("How many reports this key may post per clock hour."),
    )
    created_at = models.DateTimeField(_("created at"), editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hourly_limit__gte=1), name="open311_key_limit_positive"
            )
        ]

    def __str__(self) -> str:
        return self.organisation

    def set_new_key(self) -> str:
        """Give the row a fresh key and return it: the only moment it exists in clear."""
        key = new_access_key()
        self.key_hash = hash_access_key(key)
        return key


class Open311Request(models.Model):
    """Which key filed a report, and the token Open311 clients may look the report up with."""

    complaint = models.OneToOneField(
        "complaints.Complaint",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="open311_request",
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="requests", verbose_name=_("API key")
    )
    token = models.CharField(_("token"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return self.token
