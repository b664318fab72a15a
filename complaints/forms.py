from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lokal import parse_phone

from complaints.models import (
    ADDRESS_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MIN_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TITLE_MIN_LENGTH,
    Complaint,
    Message,
)
from complaints.selectors import citizen_login_username, staff_login_username
from complaints.services import queue_account_email
from lapor.lib.text import has_forbidden_characters
from lapor.lib.uploads import ALLOWED_EXTENSIONS
from routing.models import Category, Region
from routing.selectors import is_region_code


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their number, size and content."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.name


class ComplaintForm(forms.Form):
    """The citizen's report form. Location is four selects (province, regency/city, district,
    village) that fill in from the server when JavaScript is off and from the regions API when
    it is on, an address or landmark, and a pin on the map (two hidden fields) where JavaScript
    runs.

    It checks what ``services.submit_complaint`` checks of each field (lengths, characters, the
    date, the phone number), so that one round shows every error; the service stays the
    authority. The files are checked by the service's own code in the same round
    (``complaints.held_uploads``); ``held`` is how many files earlier rounds hold already."""

    kind = forms.ChoiceField(
        label=_("Kind of report"), choices=Complaint.Kind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("Title"), min_length=TITLE_MIN_LENGTH, max_length=TITLE_MAX_LENGTH
    )
    description = forms.CharField(
        label=_("What happened?"),
        min_length=DESCRIPTION_MIN_LENGTH,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Say what, where and when, as precisely as you can."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("position", "code"),
        to_field_name="code",
        empty_label=_("— choose —"),
    )
    province = RegionChoiceField(
        label=_("Province"),
        queryset=Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"),
        empty_label=_("— choose —"),
    )
    regency = RegionChoiceField(
        label=_("Regency/city"),
        queryset=Region.objects.filter(level=Region.Level.REGENCY).order_by("code"),
        empty_label=_("— choose —"),
    )
    district = RegionChoiceField(
        label=_("District (kecamatan)"),
        queryset=Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        required=False,
        empty_label=_("— optional —"),
    )
    village = RegionChoiceField(
        label=_("Village (kelurahan/desa)"),
        queryset=Region.objects.filter(level=Region.Level.VILLAGE).order_by("code"),
        required=False,
        empty_label=_("— optional —"),
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=ADDRESS_MAX_LENGTH,
        required=False,
        help_text=_("Optional: a street, a building or something nearby, to find the place."),
    )
    # The pin on the map (static/js/report-map.js); without JavaScript, nothing.
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    incident_date = forms.DateField(
        label=_("Date of the event"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        # An empty file is refused by the service's checks, with its name in the message.
        allow_empty_file=True,
        help_text=_(
            "Up to %(count)s files: JPG, PNG, WebP or HEIC photos, or PDF. Names and other data "
            "hidden inside the files are removed; a PDF is kept as pictures of its pages."
        ),
        widget=MultipleFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}
        ),
    )
    is_anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        help_text=_("No agency will ever see your name or contact details."),
    )
    is_confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_(
            "Your report will not be published; only you and the agencies handling it can read it."
        ),
    )
    reporter_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    reporter_email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    reporter_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, max_attachments: int, held: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attachments = self.fields["attachments"]
        room = max_attachments - held
        if room <= 0:
            attachments.help_text = _(
                "As many files as a report can carry are attached; remove one to attach another."
            )
        else:
            attachments.help_text = attachments.help_text % {"count": room}
        if held:
            attachments.label = _("Add more files")
        # What report-form.js checks before the files are sent (the server checks again).
        limit_mb = settings.LAPOR_MAX_ATTACHMENT_BYTES // (1024 * 1024)
        attachments.widget.attrs.update(
            {
                "data-max-files": str(max_attachments),
                "data-max-bytes": str(settings.LAPOR_MAX_ATTACHMENT_BYTES),
                "data-too-many": _("At most %(max)d files can be attached.")
                % {"max": max_attachments},
                "data-too-large": _("“%(name)s” is larger than %(limit)d MB.")
                % {"name": "{name}", "limit": limit_mb},
            }
        )
        self.fields["incident_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        # Offer only the regencies of the chosen province and the districts of the chosen
        # regency; the querysets used for validation stay whole, so a mismatch gets its own
        # message instead of "not one of the choices".
        source = self.data if self.is_bound else self.initial
        self.regency_choices = Region.objects.none()
        self.district_choices = Region.objects.none()
        self.village_choices = Region.objects.none()
        # Codes as typed, used only if they can be codes (a NUL would make PostgreSQL fail).
        province, regency = source.get("province"), source.get("regency")
        district = source.get("district")
        province = province if is_region_code(province) else None
        regency = regency if is_region_code(regency) else None
        district = district if is_region_code(district) else None
        if province:
            self.regency_choices = Region.objects.filter(
                parent_id=province, level=Region.Level.REGENCY
            ).order_by("code")
        if regency and (not province or str(regency).startswith(f"{province}.")):
            self.district_choices = Region.objects.filter(
                parent_id=regency, level=Region.Level.DISTRICT
            ).order_by("code")
        if district and regency and str(district).startswith(f"{regency}."):
            self.village_choices = Region.objects.filter(
                parent_id=district, level=Region.Level.VILLAGE
            ).order_by("code")
        # Callables, so the options are read only when the form is shown again, not on every
        # successful submission.
        regencies, districts = self.regency_choices, self.district_choices
        villages = self.village_choices
        self.fields["regency"].widget.choices = lambda: (
            [("", _("— choose —"))] + [(r.code, r.name) for r in regencies]
        )
        self.fields["district"].widget.choices = lambda: (
            [("", _("— optional —"))] + [(r.code, r.name) for r in districts]
        )
        self.fields["village"].widget.choices = lambda: (
            [("", _("— optional —"))] + [(r.code, r.name) for r in villages]
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        province: Region | None = data.get("province")
        regency: Region | None = data.get("regency")
        district: Region | None = data.get("district")
        if province and regency and regency.parent_id != province.code:
            self.add_error("regency", _("This regency/city is not in the chosen province."))
        if regency and district and district.parent_id != regency.code:
            self.add_error("district", _("This district is not in the chosen regency/city."))
        village: Region | None = data.get("village")
        if village and not district:
            self.add_error("village", _("Choose the district of this village first."))
        elif village and district and village.parent_id != district.code:
            self.add_error("village", _("This village is not in the chosen district."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error(None, _("The point on the map is incomplete: place the pin again."))
        for name in (
            "title",
            "description",
            "address",
            "reporter_name",
            "reporter_email",
            "reporter_phone",
        ):
            value = data.get(name)
            if isinstance(value, str) and has_forbidden_characters(value):
                self.add_error(
                    name,
                    _(
                        "This text contains characters that are not allowed (control "
                        "characters or bytes that are not UTF-8)."
                    )
                    if name in ("title", "description", "address")
                    else _("This value is not valid."),
                )
        return data

    def clean_incident_date(self) -> Any:
        date = self.cleaned_data["incident_date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("The date of the event cannot be in the future."))
        return date

    def clean_reporter_phone(self) -> str:
        phone = str(self.cleaned_data.get("reporter_phone") or "")
        if phone and not has_forbidden_characters(phone):
            parsed = parse_phone(phone)
            if not (parsed.valid and parsed.e164):
                raise forms.ValidationError(
                    _("Enter an Indonesian phone number, for example 0812 3456 7890.")
                )
        return phone

    @property
    def region(self) -> Region:
        data = self.cleaned_data
        return data.get("village") or data.get("district") or data["regency"]

    @property
    def point(self) -> tuple[float, float] | None:
        latitude, longitude = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        if latitude is None or longitude is None:
            return None
        return latitude, longitude

    def report_fields(self) -> dict[str, Any]:
        """What the one door (``services.submit_complaint``) takes of the valid form."""
        data = self.cleaned_data
        return {name: data[name] for name in _REPORT_FIELDS} | {
            "region": self.region,
            "point": self.point,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """The one door's messages, each on its field (the place's on the regency select)."""
        for field, messages in error.message_dict.items():
            target = "regency" if field == "region" else field
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


_REPORT_FIELDS = (
    "kind",
    "title",
    "description",
    "category",
    "incident_date",
    "is_anonymous",
    "is_confidential",
    "address",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
)


class TrackForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=20)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply to the agency"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A question or missing facts: the report goes back to the agency."),
    )


class AcceptForm(forms.Form):
    pass


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does the answer not settle your report?"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The report goes to the coordinator above the agency that answered."),
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was your report handled?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 is very good, 1 is very bad."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label=_("Add to your report"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facts you forgot or that came later: the agency handling it reads them."),
    )


class DetailsForm(forms.Form):
    """The category and place of a report by e-mail whose message did not say them: one
    select of the regencies and cities, by province, that works without JavaScript."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("position", "code"),
        to_field_name="code",
        empty_label=_("— choose —"),
    )
    regency = RegionChoiceField(
        label=_("Regency/city where it happened"),
        queryset=Region.objects.filter(level=Region.Level.REGENCY).order_by("code"),
        empty_label=_("— choose —"),
    )


# What the citizen can do through the private link: the URL word and its form.
CITIZEN_FORMS: dict[str, type[forms.Form]] = {
    "lengkapi": DetailsForm,
    "tambah": AddInformationForm,
    "balas": ReplyForm,
    "terima": AcceptForm,
    "sanggah": DisputeForm,
    "nilai": RateForm,
}


USERNAME_MAX_LENGTH: int = User._meta.get_field("username").max_length or 150


class RegisterForm(forms.Form):
    """A citizen account: an e-mail address. The password is chosen through the link sent to
    the address, by whoever can read it."""

    # The address becomes the account's username (``services.request_registration``): no
    # longer than a username may be, so that a long address is an error here, not in the
    # database.
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=USERNAME_MAX_LENGTH,
        help_text=_("We send a link to this address; you choose your password when you open it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class PasswordResetRequestForm(PasswordResetForm):
    """Django's form, with the e-mail an outbox row sent by the mail worker: the page answers
    the same, as fast, whether or not the address has an account."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        now = timezone.now()
        with transaction.atomic():
            for user in self.get_users(self.cleaned_data["email"]):
                queue_account_email(Message.Kind.PASSWORD_RESET, user, now=now)


class CitizenLoginForm(AuthenticationForm):
    """A citizen logs in with the e-mail address the account was made for (its username) and
    the password chosen through the confirmation link. The address counts whatever its case
    and the spaces around it."""

    username = forms.EmailField(
        label=_("E-mail"),
        max_length=USERNAME_MAX_LENGTH,
        # "username": what password managers pair with the password of a log-in form.
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        # The same for a wrong address, a wrong password and an account not yet confirmed
        # (which Django's backend refuses like a wrong password): nobody learns which addresses
        # have accounts.
        "invalid_login": _(
            "The e-mail address or the password is not right. Capital letters in the password "
            "count. A new account works only after you open the link we sent to your e-mail."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Our own word for it ("kata sandi"), not Django's catalogue's ("sandi").
        self.fields["password"].label = _("Password")

    def clean_username(self) -> str:
        return citizen_login_username(str(self.cleaned_data["username"]))


class StaffLoginForm(AuthenticationForm):
    """Staff log in with their username or, where exactly one account has it, their e-mail
    address (``selectors.staff_login_username``)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own names the field in the message, which its Indonesian says twice.
        "invalid_login": _(
            "Please enter a correct username and password. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username or e-mail")
        self.fields["password"].label = _("Password")

    def clean_username(self) -> str:
        return staff_login_username(str(self.cleaned_data["username"]))
