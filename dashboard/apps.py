from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff dashboard: pages and API over the complaints and routing services."""

    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"
