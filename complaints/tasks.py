from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from complaints import services
from complaints.emails import send_answer_email, send_receipt_email
from complaints.models import Complaint, Response


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_receipt_email_task(*, complaint_id: int, access_key: str) -> None:
    """E-mail the citizen their tracking number and private link.

    The access key travels in this task's message because only its hash is stored; the message
    lives in the broker until a worker takes it.
    """
    complaint = Complaint.objects.select_related("reporter").filter(pk=complaint_id).first()
    if complaint is None:
        return
    send_receipt_email(complaint=complaint, access_key=access_key)


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_answer_email_task(*, response_id: int) -> None:
    """E-mail the citizen that their report was answered."""
    response = (
        Response.objects.select_related("complaint", "complaint__reporter", "agency")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        return
    send_answer_email(response=response)


@shared_task
def complete_unanswered_reports_task() -> int:
    """Complete the answered reports whose citizen reply window has passed (beat)."""
    return services.complete_unanswered_reports(now=timezone.now())
