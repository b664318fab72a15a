from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for ``make run`` and the benchmarks: the demo hierarchy, a few reports, and
    synthetic history, all written through the workflow's table. No models of its own."""

    name = "demo"
    verbose_name = _("Demo data")
