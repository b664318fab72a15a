"""The per-report reply address of the e-mails a reporter gets: "<local>+r.<token>@<domain>"
of ``LAPOR_INBOUND_ADDRESS``, where the token is the report's tracking number, a dash and a
keyed digest of it and of its private link's hash. A reply to it is added to the report
(``inbound``): the address is the secret, never the sender's From header, which anyone can
write. A new private link (the old one leaked) makes the old reply addresses stop working
too."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

from complaints.models import Complaint
from lapor.lib.tracking import normalize_tracking_number

PREFIX = "r."
_DIGEST_CHARS = 20


def _digest(complaint_id: int, tracking_number: str, access_key_hash: str) -> str:
    value = f"{complaint_id}:{tracking_number}:{access_key_hash}"
    return salted_hmac("lapor.reply-address", value, algorithm="sha256").hexdigest()[:_DIGEST_CHARS]


def reply_token(complaint: Complaint) -> str:
    return (
        f"{complaint.tracking_number.lower()}-"
        f"{_digest(complaint.pk, complaint.tracking_number, complaint.access_key_hash)}"
    )


def reply_address(complaint: Complaint) -> str:
    """The report's reply address; "" when the portal takes no e-mail."""
    inbound = settings.LAPOR_INBOUND_ADDRESS
    if not inbound or "@" not in inbound:
        return ""
    local, _, domain = inbound.rpartition("@")
    return f"{local}+{PREFIX}{reply_token(complaint)}@{domain}"


def complaint_for_token(token: str) -> Complaint | None:
    """The report a reply address's token opens, or None (unknown, forged, or from before the
    private link was renewed)."""
    tracking, _, given = token.strip().lower().rpartition("-")
    # The tracking number in its one stored form (a lookup by the unique index: an address
    # anyone can make up costs no scan of the reports), or no report for what cannot be one.
    number = normalize_tracking_number(tracking)
    if number is None or len(given) != _DIGEST_CHARS:
        return None
    complaint = (
        Complaint.objects.filter(tracking_number=number)
        .only("pk", "tracking_number", "access_key_hash", "status", "language")
        .first()
    )
    if complaint is None:
        return None
    expected = _digest(complaint.pk, complaint.tracking_number, complaint.access_key_hash)
    return complaint if hmac.compare_digest(expected, given) else None
