"""Forms of the staff dashboard: each parses one action's input for its service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.forms import MultipleFileField
from complaints.models import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from complaints.selectors import NearbyAgencies, agency_place
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


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


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
