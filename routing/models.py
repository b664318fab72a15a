from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A Kemendagri region: province (``64``), regency/city (``64.72``) or district (``64.72.01``)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency/city")
        DISTRICT = 3, _("district")

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(level=1) & models.Q(parent__isnull=True))
                | (models.Q(level__gt=1) & models.Q(parent__isnull=False)),
                name="region_parent_matches_level",
            )
        ]
        indexes = [models.Index(fields=["parent", "name"], name="region_parent_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def regency_code(self) -> str | None:
        """The code of the regency/city this region is or lies in."""
        if self.level == self.Level.PROVINCE:
            return None
        return ".".join(self.code.split(".")[:2])

    @property
    def province_code(self) -> str:
        return self.code.split(".")[0]


class Category(models.Model):
    """What a report is about; routing rules (issue: routing) key on it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "id").startswith("en") else self.name_id
