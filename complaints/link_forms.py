"""The forms that e-mail a private link: a new one for a citizen who lost theirs (the tracking
page, a report's public page), and the receipt's own link to an address given after filing.
The services they feed are ``complaints.services.resend_private_link`` and
``email_private_link``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from lokal import parse_phone

from lapor.lib.tracking import normalize_tracking_number

# The ids of the forms' fields, apart from the tracking page's own lookup form.
RESEND_AUTO_ID = "id_link_%s"


class ResendLinkForm(forms.Form):
    """A tracking number and the e-mail address or phone number given with the report; after
    ``is_valid``, ``cleaned_data`` holds the tracking number in its canonical form and either
    ``email`` or ``phone`` (in +62 form), the other one empty."""

    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=20,
        help_text=_("As on your receipt, for example ABCD-EFGH-JKMN."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    contact = forms.CharField(
        label=_("The e-mail address or phone number you gave with the report"),
        max_length=254,
        help_text=_("For example nama@contoh.id or 0812 3456 7890."),
        widget=forms.TextInput(attrs={"autocapitalize": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", RESEND_AUTO_ID)
        super().__init__(*args, **kwargs)

    def clean_tracking_number(self) -> str:
        canonical = normalize_tracking_number(self.cleaned_data["tracking_number"])
        if canonical is None:
            raise ValidationError(
                _(
                    "A tracking number has 12 letters and digits, such as ABCD-EFGH-JKMN. "
                    "Check it on your receipt."
                )
            )
        return canonical

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        contact = str(data.get("contact") or "").strip()
        data["email"] = data["phone"] = ""
        if not contact:
            return data
        if "@" in contact:
            try:
                validate_email(contact)
            except ValidationError:
                self.add_error("contact", _("This e-mail address is not complete or not valid."))
            else:
                data["email"] = contact
            return data
        parsed = parse_phone(contact)
        if parsed.valid and parsed.e164:
            data["phone"] = parsed.e164
        else:
            self.add_error(
                "contact",
                _(
                    "Enter an e-mail address (such as nama@contoh.id) or an Indonesian phone "
                    "number (such as 0812 3456 7890)."
                ),
            )
        return data


class ReceiptEmailForm(forms.Form):
    """On the receipt, for a reporter who gave no e-mail address: send the private link to one.
    The report's number and key come back in the form (never in a URL); the view checks them
    before anything else."""

    tracking_number = forms.CharField(widget=forms.HiddenInput, max_length=20)
    access_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    keep = forms.BooleanField(
        label=_("Keep this address with my report"),
        required=False,
        help_text=_(
            "No agency will see it. We will e-mail you when your report moves on, and can send "
            "you a new link if you lose this one. Without it, we send the link once and forget "
            "the address."
        ),
    )
