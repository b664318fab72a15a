from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Recaps")

    def ready(self) -> None:
        from complaints import outbox
        from complaints.models import Message
        from reports.services import send_recap_email

        outbox.register(Message.Kind.RECAP, send_recap_email)
