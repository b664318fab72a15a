"""What the SMS and WhatsApp doors keep: a conversation per phone number and channel (what a
guided report has gathered so far, forgotten when it expires; the number's consent and stop),
and a row per message received (its outcome, counted; the gateway's id, so a delivery repeated
is taken once). Never the text of a message once it is filed or forgotten."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, Complaint

PHONE_CHANNELS = [
    (Channel.SMS.value, Channel.SMS.label),
    (Channel.WHATSAPP.value, Channel.WHATSAPP.label),
]


class Conversation(models.Model):
    """One phone number on one channel.

    ``step`` is the question the number was last asked ("" when none is open); ``data`` what
    the guided report has so far (kind, category, region, description, choices, WhatsApp media
    ids and a point), erased with ``step`` when it is filed, cancelled or expires
    (``expires_at``). ``consented_at``: when the number agreed to the privacy terms (asked once).
    ``stopped_at``: the number sent BERHENTI; nothing is sent to it until it writes again.
    ``last_inbound_at`` opens WhatsApp's 24-hour window; ``last_sent_at`` is the phone's time of
    the newest message taken, so an older one delivered late is not taken as an answer.
    """

    channel = models.CharField(_("channel"), max_length=16, choices=PHONE_CHANNELS)
    sender = models.CharField(_("phone number"), max_length=20)
    step = models.CharField(_("question asked"), max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(_("agreed to the privacy terms"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender"], name="one_conversation_per_number"
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="conversation_expiry")]

    def __str__(self) -> str:
        return f"{self.channel} conversation {self.pk}"


class InboundMessage(models.Model):
    """One message a phone sent, and what became of it (no number, no text)."""

    class Outcome(models.TextChoices):
        FILED = "filed", _("report filed")
        ASKED = "asked", _("a question asked")
        STATUS = "status", _("status sent")
        REPLY = "reply", _("added to a report")
        STOPPED = "stopped", _("stopped")
        STARTED = "started", _("started again")
        CANCELLED = "cancelled", _("cancelled")
        HELP = "help", _("help sent")
        REFUSED = "refused", _("refused")
        LATE = "late", _("delivered late, not taken")
        RATE_LIMITED = "rate_limited", _("over the limit")

    channel = models.CharField(_("channel"), max_length=16, choices=PHONE_CHANNELS)
    # The gateway's id of the message ("" when it gives none).
    message_id = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(_("received at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    complaint = models.ForeignKey(
        Complaint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message received")
        verbose_name_plural = _("messages received")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "message_id"],
                condition=~models.Q(message_id=""),
                name="phone_message_once",
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="phone_message_received")]

    def __str__(self) -> str:
        return f"{self.channel} message {self.pk}: {self.outcome}"
