from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A Kemendagri region: province (``64``), regency/city (``64.72``), district (``64.72.01``)
    or village, kelurahan/desa (``64.72.01.1001``)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency/city")
        DISTRICT = 3, _("district")
        VILLAGE = 4, _("village")

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


class AgencyQuerySet(models.QuerySet["Agency"]):
    def coordinators(self) -> AgencyQuerySet:
        return self.exclude(level=Agency.Level.OPD)


class Agency(models.Model):
    """A node of the hierarchy: the national coordinator, a Diskominfo coordinator of a province
    or a regency/city, or an OPD (the agency that answers) under a coordinator."""

    class Level(models.TextChoices):
        NATIONAL = "NATIONAL", _("national coordinator")
        PROVINCE = "PROVINCE", _("province coordinator")
        REGENCY = "REGENCY", _("regency/city coordinator")
        OPD = "OPD", _("agency (OPD)")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="agencies"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    # How the public reaches it, on its page; each shown only when filled.
    address = models.CharField(_("address"), max_length=300, blank=True, default="", db_default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="", db_default="")
    website = models.URLField(_("website"), blank=True, default="", db_default="")
    is_active = models.BooleanField(_("active"), default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level="NATIONAL", parent__isnull=True, region__isnull=True)
                    | (~models.Q(level="NATIONAL") & models.Q(parent__isnull=False))
                ),
                name="agency_parent_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=["NATIONAL", "PROVINCE", "REGENCY", "OPD"]),
                name="agency_level_valid",
            ),
            # One coordinator per province or regency/city, and one national coordinator.
            models.UniqueConstraint(
                fields=["level", "region"],
                condition=models.Q(level__in=["PROVINCE", "REGENCY"]),
                name="agency_one_coordinator_per_region",
            ),
            models.UniqueConstraint(
                fields=["level"],
                condition=models.Q(level="NATIONAL"),
                name="agency_one_national",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coordinator(self) -> bool:
        return self.level != self.Level.OPD


class Officer(models.Model):
    """A staff account's place in the hierarchy: every officer belongs to one agency."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="officer", primary_key=True
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"


class RoutingRule(models.Model):
    """Who holds the authority for a category, decided at a level of the hierarchy.

    At a province coordinator a rule sends the report to a provincial OPD or on down to the
    coordinator of the report's regency/city; at a regency/city coordinator it sends it to one
    of its OPDs. A rule with a region applies there only and wins over one without.
    """

    class Level(models.TextChoices):
        PROVINCE = "PROVINCE", _("at the province coordinator")
        REGENCY = "REGENCY", _("at the regency/city coordinator")

    class Target(models.TextChoices):
        AGENCY = "AGENCY", _("to the agency named")
        REGENCY_COORDINATOR = (
            "REGENCY_COORDINATOR",
            _("on down to the coordinator of the report's regency/city"),
        )

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    level = models.CharField(_("decided at"), max_length=10, choices=Level.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        help_text=_("The province or regency/city where the rule applies; empty: everywhere."),
    )
    target = models.CharField(
        _("send"), max_length=20, choices=Target.choices, default=Target.AGENCY
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(target="AGENCY", agency__isnull=False)
                    | models.Q(target="REGENCY_COORDINATOR", agency__isnull=True, level="PROVINCE")
                ),
                name="rule_target_complete",
            ),
            models.UniqueConstraint(
                fields=["category", "level", "region"], name="rule_unique_with_region"
            ),
            models.UniqueConstraint(
                fields=["category", "level"],
                condition=models.Q(region__isnull=True),
                name="rule_unique_everywhere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} @ {self.level} {self.region_id or '*'}"

    def clean(self) -> None:
        # A province-level rule is looked up by province, a regency-level one by regency/city:
        # a rule with a region of the other level would never apply.
        wanted = (
            Region.Level.PROVINCE if self.level == self.Level.PROVINCE else Region.Level.REGENCY
        )
        if self.region is not None and self.region.level != wanted:
            raise ValidationError(
                {
                    "region": _("At this level the region must be a %(level)s.")
                    % {"level": Region.Level(wanted).label}
                }
            )
        if self.target == self.Target.AGENCY and self.agency is None:
            raise ValidationError({"agency": _("Name the agency that receives the report.")})
        if self.target == self.Target.REGENCY_COORDINATOR and self.level != self.Level.PROVINCE:
            raise ValidationError(
                {"target": _("Only a province-level rule can send a report on down.")}
            )


class CalendarException(models.Model):
    """An administrator's correction to the working-day calendar: an extra day off (a cuti
    bersama decreed late) or an extra working day."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked: an extra working day. Empty: an extra day off.")
    )
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.date} {self.description}"


class CalendarYear(models.Model):
    """An administrator's word that a year's days off are complete: the decree (SKB cuti
    bersama, the dates of Idul Fitri and Idul Adha after the sidang isbat) has been entered as
    calendar exceptions wherever the ``holidays`` package lacks it or only estimates it.

    A year is covered when the package's data for it is complete or a row here confirms it;
    deadlines that end past the covered years are shown as provisional."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    note = models.CharField(
        _("decree"),
        max_length=300,
        help_text=_(
            "The decree the days off were checked against, e.g. the SKB of three ministers on "
            "national holidays and cuti bersama, with its number and date."
        ),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2100), name="calendar_year_in_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.year)


class DeadlineSetting(models.Model):
    """A deadline in working days, editable without a deploy, with the rule it comes from."""

    class Step(models.TextChoices):
        VERIFICATION = "VERIFICATION", _("verification and first disposition")
        FIRST_RESPONSE = "FIRST_RESPONSE", _("first follow-up by the agency")
        COMPLETION = "COMPLETION", _("completion")
        COMPLETION_INSPECTION = (
            "COMPLETION_INSPECTION",
            _("completion of a complaint that needs an inspection"),
        )
        EXTENSION = "EXTENSION", _("extension")
        CITIZEN_REPLY = "CITIZEN_REPLY", _("citizen's reply window, then auto-complete")

    step = models.CharField(_("step"), max_length=24, choices=Step.choices)
    # Empty: every kind of report.
    kind = models.CharField(_("kind"), max_length=24, blank=True)
    working_days = models.PositiveSmallIntegerField(_("working days"))
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["step", "kind"], name="deadline_unique_step_kind")
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.kind or '*'}: {self.working_days}"
