from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Regions and routing")

    def ready(self) -> None:
        from routing.checks import check_calendar_coverage

        checks.register(check_calendar_coverage, checks.Tags.database)
