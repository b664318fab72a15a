"""Every message the e-mail door received, with what became of it: a report, a reply, or a
refusal and its reason (counted per outcome in the admin and the logs). The sender's address
is kept only as a keyed digest, for the per-sender limit and to know a copy delivered twice; so
is the Message-ID (``message_id``), which often names the sender's host, domain or address."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class _Outcome(models.TextChoices):
    REPORT = "REPORT", _("filed as a report")
    INCOMPLETE = "INCOMPLETE", _("filed as a report waiting for its category and place")
    REPLY = "REPLY", _("added to its report as the reporter's reply")
    DUPLICATE = "DUPLICATE", _("a copy of a message received before: nothing done")
    BOUNCE = "BOUNCE", _("a bounce: dropped")
    AUTO_REPLY = "AUTO_REPLY", _("an automatic reply: dropped")
    BULK = "BULK", _("bulk or list mail: dropped")
    LOOP = "LOOP", _("a mail loop: dropped")
    TOO_LARGE = "TOO_LARGE", _("too large: refused")
    RATE_LIMITED = "RATE_LIMITED", _("over the sender's limit: refused")
    UNKNOWN_REPORT = "UNKNOWN_REPORT", _("a reply address that opens no report: refused")
    CLOSED = "CLOSED", _("a reply to a closed report: refused")
    INVALID = "INVALID", _("too short or empty to be a report: refused")


class InboundMail(models.Model):
    Outcome = _Outcome

    # The ones that wrote something: a copy of them delivered again is not acted on twice.
    ACTED = (_Outcome.REPORT, _Outcome.INCOMPLETE, _Outcome.REPLY)

    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender_digest = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report"),
    )
    size = models.PositiveIntegerField(_("size in bytes"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id", "sender_digest"],
                condition=~models.Q(message_id="")
                & models.Q(outcome__in=["REPORT", "INCOMPLETE", "REPLY"]),
                name="inbound_mail_acted_once",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=[o.value for o in _Outcome]),
                name="inbound_mail_outcome_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["sender_digest", "received_at"], name="inbound_sender_time"),
            models.Index(fields=["received_at"], name="inbound_time"),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.outcome}"
