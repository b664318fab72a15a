from celery import shared_task
from django.utils import timezone


@shared_task
def forget_expired_conversations_task() -> int:
    """Forget what unfinished SMS and WhatsApp conversations hold once they expire (beat)."""
    from messaging.services import forget_expired

    return forget_expired(now=timezone.now())
