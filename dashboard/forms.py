"""Forms of the staff dashboard: each parses one action's input for its service."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.forms import ComplaintForm, MultipleFileField
from complaints.forms import DetailsForm as CitizenDetailsForm
from complaints.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    STAFF_CHANNELS,
)
from complaints.selectors import NearbyAgencies, agency_place
from complaints.services import check_received_on
from routing.models import Agency, Region


class VersionForm(forms.Form):
    """Every action form carries the version of the report the officer was looking at."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AcknowledgeForm(VersionForm):
    pass


class InterimForm(VersionForm):
    text = forms.CharField(
        label=_("Answer to the citizen"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The citizen reads this. Say what was done, by whom and when."),
    )
    attachments = MultipleFileField(
        label=_("Files (photos, PDF)"),
        required=False,
        help_text=_("The citizen can open these. Photos lose their location data."),
    )


class AnswerForm(InterimForm):
    FINAL, INTERIM = "final", "interim"

    kind = forms.ChoiceField(
        label=_("This is"),
        choices=[
            (
                FINAL,
                _(
                    "The final answer: the report is answered, and the citizen can accept, "
                    "dispute or rate it"
                ),
            ),
            (
                INTERIM,
                _(
                    "An interim reply (tindak lanjut): the citizen is told how it goes, the "
                    "report stays with you and its deadline keeps running"
                ),
            ),
        ],
        initial=FINAL,
        required=False,  # without a choice: the final answer, as before it existed
        widget=forms.RadioSelect,
    )


def place_name(place: Region) -> str:
    """A region as a label names it: "Kota Balikpapan", "Provinsi Kalimantan Timur",
    "Kecamatan Palaran, Kota Samarinda" (a district's parent loaded)."""
    if place.level == Region.Level.PROVINCE:
        return gettext("%(name)s Province") % {"name": place.name}
    if place.level == Region.Level.DISTRICT and place.parent is not None:
        return gettext("%(district)s district, %(regency)s") % {
            "district": place.name,
            "regency": place.parent.name,
        }
    return place.name


def _without_place(name: str, place: Region) -> str:
    """The agency's name without the place it ends with ("Dinas Pendidikan Kota Balikpapan":
    "Dinas Pendidikan"), since the label names the place after it; the whole name when
    nothing would be left."""
    if place.level == Region.Level.PROVINCE:
        endings = [f"Provinsi {place.name}", place.name]
    elif place.level == Region.Level.DISTRICT:
        # "Puskesmas Palaran" is a name of its own; "UPT … Kecamatan Palaran" names its place.
        endings = [f"Kecamatan {place.name}"]
    else:
        endings = [place.name]
    for ending in endings:
        if name.casefold().endswith(" " + ending.casefold()):
            short = name[: -len(ending)].rstrip(" ,-—")
            if short:
                return short
    return name


def agency_label(agency: Agency) -> str:
    """An agency as an officer recognises it in a list: "Dinas Pendidikan — Kota Balikpapan",
    "Diskominfo — Kota Samarinda (coordinator)". Reads ``selectors.AGENCY_PLACE_FIELDS``."""
    place = agency_place(agency)
    label = (
        agency.name
        if place is None
        else f"{_without_place(agency.name, place)} — {place_name(place)}"
    )
    if agency.is_coordinator:
        label = gettext("%(agency)s (coordinator)") % {"agency": label}
    return label


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return agency_label(obj)


class TransferForm(VersionForm):
    reason = forms.CharField(
        label=_("Why is this not your authority?"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    suggested_agency = AgencyChoiceField(
        label=_("Agency that should handle it"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("— I do not know —"),
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            field = self.fields["suggested_agency"]
            assert isinstance(field, AgencyChoiceField)
            field.queryset = agencies

    def offer_nearby(self, nearby: NearbyAgencies) -> None:
        """List the agencies near the report, nearest first, in groups (``<optgroup>``). The
        field still accepts any agency of its queryset: the API takes any active agency too,
        and the coordinator decides."""
        field = self.fields["suggested_agency"]
        assert isinstance(field, AgencyChoiceField)
        groups: list[tuple[str, list[Agency]]] = []
        if nearby.regency is not None:
            groups.append(
                (gettext("In %(place)s") % {"place": nearby.regency.name}, nearby.in_regency)
            )
        if nearby.province is not None:
            groups.append(
                (gettext("In %(place)s") % {"place": nearby.province.name}, nearby.in_province)
            )
        groups.append((gettext("Elsewhere: the coordinators who pass it on"), nearby.elsewhere))
        field.choices = [
            ("", field.empty_label),
            *(
                (label, [(agency.pk, agency_label(agency)) for agency in agencies])
                for label, agencies in groups
                if agencies
            ),
        ]
        field.help_text = gettext(
            "Agencies near the report come first. Not listed? Choose the coordinator of its "
            "region: it hands the report on."
        )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note (never shown to the citizen)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DisposeForm(VersionForm):
    to_agency = AgencyChoiceField(
        label=_("Hand to"), queryset=Agency.objects.none(), empty_label=_("— choose —")
    )
    allow_returned = forms.BooleanField(
        label=_("Send it even if this agency returned it before"), required=False
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if agencies is not None:
            field = self.fields["to_agency"]
            assert isinstance(field, AgencyChoiceField)
            field.queryset = agencies


class DetailsForm(VersionForm, CitizenDetailsForm):
    """The category and place a report by e-mail did not say, as the coordinator reads them
    from its text: the choice of the citizen's private page, with the report's version."""


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class MergeForm(ReasonForm):
    """Merge into an open report of the same problem, named by its tracking number."""

    original = forms.CharField(
        label=_("Tracking number of the report of the same problem"),
        max_length=20,
        help_text=_(
            "This report will follow that one: its reporter gets that report's answers. You "
            "can take it out again until that report is completed."
        ),
    )
    field_order = ["original", "reason", "version"]


class PrivacyForm(VersionForm):
    make_anonymous = forms.BooleanField(
        label=_("Anonymous: hide the reporter from every agency"), required=False
    )
    make_confidential = forms.BooleanField(
        label=_("Confidential: do not publish the report"), required=False
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must the identity be revealed? (recorded)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- a report brought to an office (``services.enter_complaint``) -------------------------------


# A point as a map app or a shared location gives it: "-0.502106, 117.153709" (or with only
# spaces between); with a semicolon between, each number may have a decimal comma, as written
# in Indonesian ("-0,502106; 117,153709").
_NUMBER = r"[+-]?\d{1,3}(?:\.\d+)?"
_COORDINATES = re.compile(rf"\s*({_NUMBER})\s*(?:,\s*|\s+)({_NUMBER})\s*")
_COMMA_NUMBER = r"[+-]?\d{1,3}(?:[.,]\d+)?"
_COORDINATES_SEMICOLON = re.compile(rf"\s*({_COMMA_NUMBER})\s*;\s*({_COMMA_NUMBER})\s*")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) written as above, on the globe; None for anything else."""
    match = _COORDINATES.fullmatch(text) or _COORDINATES_SEMICOLON.fullmatch(text)
    if match is None:
        return None
    latitude, longitude = (float(part.replace(",", ".")) for part in match.groups())
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


class StaffEntryForm(ComplaintForm):
    """A report an officer records for a citizen who brought it to the office: the citizen's
    form (its fields, checks, region selects down to the village, and the address), with how
    and when it came, the reporter's details and choices as the citizen gave them, and whether
    the officer's own agency keeps it. The service checks everything again
    (``services.enter_complaint``).

    The point is typed rather than pinned (no map on this page): ``coordinates``, one text as
    a citizen reads it out from a map app or a shared location. Typed, it is the point; else a
    pin in the citizen form's two hidden fields, if anything filled them, is.
    """

    channel = forms.ChoiceField(
        label=_("How did the report reach you?"),
        choices=[(c.value, capfirst(c.label)) for c in STAFF_CHANNELS],
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Date received"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the citizen brought or sent the report: its deadlines run from then."),
    )
    keep = forms.BooleanField(
        label=_("Keep it for my agency (it is ours to handle)"), required=False
    )
    coordinates = forms.CharField(
        label=_("Coordinates (latitude, longitude)"),
        max_length=60,
        required=False,
        help_text=_(
            "If the citizen shared a location: the two numbers a map app shows, such as "
            "-0.502106, 117.153709."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    field_order = [
        "channel",
        "received_on",
        "kind",
        "title",
        "description",
        "category",
        "incident_date",
        "province",
        "regency",
        "district",
        "village",
        "address",
        "coordinates",
        "attachments",
        "reporter_name",
        "reporter_email",
        "reporter_phone",
        "is_anonymous",
        "is_confidential",
        "keep",
    ]

    def __init__(self, *args: Any, agency: Agency, now: dt.datetime, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("received_on", timezone.localdate(now))
        super().__init__(*args, max_attachments=settings.LAPOR_MAX_ATTACHMENTS, **kwargs)
        self.now = now
        today = timezone.localdate(now)
        self.fields["received_on"].widget.attrs["max"] = today.isoformat()
        self.fields["incident_date"].widget.attrs["max"] = today.isoformat()
        self.fields["reporter_name"].label = _("Reporter's name")
        self.fields["reporter_email"].label = _("Reporter's e-mail")
        self.fields["reporter_phone"].label = _("Reporter's phone")
        self.fields["reporter_email"].help_text = _(
            "The reporter gets the tracking number and the private link at this address too, "
            "and is told when the report moves on."
        )
        self.fields["is_anonymous"].label = _("The reporter asks to be anonymous")
        self.fields["is_confidential"].label = _("The reporter asks for confidentiality")
        self.fields["attachments"].label = _("Files (photos, PDF)")
        if agency.level == Agency.Level.OPD:
            keep_help = _(
                "Ticked: the report is handed to %(agency)s at once, for you to take it up; its "
                "deadline runs from the day it was received. Not ticked: the routing rules send "
                "it to the agency in charge, as a report filed on the web."
            )
        else:
            keep_help = _(
                "Ticked: the report waits in the verification queue of %(agency)s, for you to "
                "check it and hand it to the agency in charge yourself. Not ticked: the routing "
                "rules send it on, as a report filed on the web."
            )
        self.fields["keep"].help_text = keep_help % {"agency": agency.name}

    def clean_incident_date(self) -> Any:
        date = self.cleaned_data["incident_date"]
        if date > timezone.localdate(self.now):
            raise forms.ValidationError(_("The date of the event cannot be in the future."))
        return date

    def clean_received_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["received_on"]
        problem = check_received_on(day, now=self.now)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_coordinates(self) -> tuple[float, float] | None:
        text: str = self.cleaned_data["coordinates"]
        if not text.strip():
            return None
        point = parse_coordinates(text)
        if point is None:
            raise forms.ValidationError(
                _(
                    "Write the latitude (−90 to 90) and then the longitude (−180 to 180) in "
                    "decimal degrees, separated by a comma: -0.502106, 117.153709."
                )
            )
        return point

    @property
    def point(self) -> tuple[float, float] | None:
        typed: tuple[float, float] | None = self.cleaned_data.get("coordinates")
        return typed if typed is not None else super().point

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        received, incident = data.get("received_on"), data.get("incident_date")
        if received and incident and incident > received:
            self.add_error(
                "incident_date", _("The event cannot come after the day it was reported.")
            )
        return data
