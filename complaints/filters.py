"""Query-string filters of the public list and of the staff inbox, each shared by its page and
its API, and what a page says about them: the count in words, and what to try when nothing
matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import extend_schema_field

from complaints import workflow
from complaints.models import Complaint, ComplaintQuerySet
from complaints.selectors import search_complaints
from lapor.lib.bounds import FIRST_DAY, LAST_DAY, validate_query_day
from lapor.lib.region_names import looks_like_code
from routing import selectors as routing_selectors
from routing.models import Category
from routing.selectors import RegionChoice, RegionEntry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A Kemendagri code is at most "64.72.01.1001"; a name with the regions it lies in, which the
# suggestions offer ("Batu Ampar, Kabupaten Kutai Timur"), fits in this.
REGION_CODE_MAX_LENGTH = 13
REGION_TEXT_MAX_LENGTH = 200

# What the API's description says of ``region`` (the page's help speaks of names only).
REGION_API_DESCRIPTION = (
    "A region and everything in it: a Kemendagri code (64, 64.72, 64.72.01) or a name "
    '("Kota Balikpapan", "balikpapan", "Kalimantan Timur"; case, accents and the words '
    "Kota/Kabupaten/Kab./Provinsi/Kecamatan aside). A name several regions have means all of "
    'them; "Batu Ampar, Kota Batam" names one. A name no region has is a 400.'
)


def in_regions(queryset: QuerySet[Complaint], codes: Iterable[str]) -> QuerySet[Complaint]:
    """Reports in any of the regions of ``codes`` (64, 64.72, 64.72.01) or anywhere inside."""
    condition = Q()
    for code in codes:
        condition |= Q(region_id=code) | Q(region__code__startswith=f"{code}.")
    return queryset.filter(condition) if condition else queryset


class RegionField(forms.CharField):
    """Text that names regions: a Kemendagri code, as before, or a name (``resolve_region``).
    Cleans to a ``RegionChoice``; after a name no region has, ``hints`` holds names like it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", REGION_TEXT_MAX_LENGTH)
        super().__init__(**kwargs)
        self.hints: list[RegionEntry] = []

    def clean(self, value: Any) -> RegionChoice | None:
        text = super().clean(value)
        if not text:
            return None
        if looks_like_code(text) and len(text) > REGION_CODE_MAX_LENGTH:
            raise ValidationError(
                _("A region code has at most %(max)s characters, like 64.72.01."),
                code="max_length",
                params={"max": REGION_CODE_MAX_LENGTH},
            )
        try:
            return routing_selectors.resolve_region(text)
        except routing_selectors.UnknownRegion as unknown:
            self.hints = unknown.hints
            raise ValidationError(
                _unknown_region_message(text, unknown.hints), code="unknown"
            ) from None


def _unknown_region_message(text: str, hints: list[RegionEntry]) -> str:
    if hints:
        return _("No region is called “%(text)s”. Did you mean %(names)s?") % {
            "text": text,
            "names": either([entry.label for entry in hints]),
        }
    return _(
        "No region is called “%(text)s”. Type the name of a province, regency/city or "
        "district, such as Kota Balikpapan or Kalimantan Timur."
    ) % {"text": text}


class RegionNameFilter(django_filters.CharFilter):
    field_class = RegionField


def region_filter() -> RegionNameFilter:
    """The region filter both lists have: a text box, with suggestions as one types when
    JavaScript runs (``static/js/region-search.js`` asks the regions API)."""
    return RegionNameFilter(
        label=gettext_lazy("Region (province, regency/city or district)"),
        method="filter_region",
        help_text=gettext_lazy(
            "Type its name, such as Kota Balikpapan or Kalimantan Timur: "
            "reports there and anywhere inside it."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "data-region-search": reverse_lazy("api:region-list"),
            }
        ),
    )


def date_filter(label: StrOrPromise, method: str) -> django_filters.DateFilter:
    """A day, with the browser's date picker; bounded (``lapor.lib.bounds``): a day's start in
    UTC, and the next day's, must exist."""
    return django_filters.DateFilter(
        label=label,
        method=method,
        validators=[validate_query_day],
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={"type": "date", "min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()},
        ),
    )


class _ListFilter(django_filters.FilterSet):
    """What both lists share: search and region."""

    class Meta:
        model = Complaint
        fields: list[str] = []

    def implied(self) -> str:
        """Words for what the list holds before any filter (none: everything)."""
        return ""

    def widen(self, params: QueryDict) -> list[tuple[str, str]]:
        """Links, beyond removing a filter, to a list that holds more: (words, url)."""
        return []

    @extend_schema_field({"type": "string", "description": REGION_API_DESCRIPTION})
    def filter_region(
        self, queryset: QuerySet[Complaint], name: str, value: RegionChoice
    ) -> QuerySet[Complaint]:
        return in_regions(queryset, value.codes)

    def filter_search(
        self, queryset: QuerySet[Complaint], name: str, value: str
    ) -> QuerySet[Complaint]:
        return search_complaints(queryset, value)


class StaffComplaintFilter(_ListFilter):
    """Without ``status``, only open reports are listed (what someone still has to act on).
    The fields come in the order the page shows them: the two text boxes, the statuses, then
    the rest on one row of a desktop's screen."""

    q = django_filters.CharFilter(
        label=gettext_lazy("Search in title and text"), method="filter_search", max_length=200
    )
    region = region_filter()
    status = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("Status"),
        choices=Complaint.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Without a status: every open report."),
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Kind"),
        choices=Complaint.Kind.choices,
        empty_label=gettext_lazy("All kinds"),
    )
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Category"),
        queryset=Category.objects.order_by("position", "code"),
        to_field_name="code",
        empty_label=gettext_lazy("All categories"),
    )
    submitted_from = date_filter(gettext_lazy("Received from"), "filter_submitted_from")
    submitted_to = date_filter(gettext_lazy("Received until"), "filter_submitted_to")
    overdue = django_filters.BooleanFilter(
        label=gettext_lazy("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    disputed = django_filters.BooleanFilter(
        label=gettext_lazy("Disputed by the reporter only"),
        method="filter_disputed",
        widget=forms.CheckboxInput,
        help_text=gettext_lazy(
            "The reporter did not accept the answer, and the report is with the coordinator "
            "it was disputed to."
        ),
    )
    channel = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("Channel"),
        choices=Complaint.Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "How the report came in: the portal's own doors, or recorded by an officer. "
            "Without one: every channel."
        ),
    )

    def __init__(self, *args: Any, now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def implied(self) -> str:
        return "" if self.form.cleaned_data.get("status") else _("still open")

    def widen(self, params: QueryDict) -> list[tuple[str, str]]:
        if self.form.cleaned_data.get("status"):
            return []
        every = params.copy()
        every.setlist("status", list(Complaint.Status.values))
        return [(_("Closed reports too"), _url(every))]

    def filter_queryset(self, queryset: ComplaintQuerySet) -> QuerySet[Complaint]:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.open()
        return super().filter_queryset(queryset)

    def _day_start(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def filter_submitted_from(
        self, queryset: QuerySet[Complaint], name: str, value: dt.date
    ) -> QuerySet[Complaint]:
        return queryset.filter(submitted_at__gte=self._day_start(value))

    def filter_submitted_to(
        self, queryset: QuerySet[Complaint], name: str, value: dt.date
    ) -> QuerySet[Complaint]:
        return queryset.filter(submitted_at__lt=self._day_start(value + dt.timedelta(days=1)))

    def filter_overdue(
        self, queryset: ComplaintQuerySet, name: str, value: bool
    ) -> QuerySet[Complaint]:
        if not value:
            return queryset
        return queryset.overdue(self.now)

    def filter_disputed(
        self, queryset: ComplaintQuerySet, name: str, value: bool
    ) -> QuerySet[Complaint]:
        return queryset.disputed() if value else queryset


PUBLIC_STATUSES = [
    (value, label) for value, label in Complaint.Status.choices if value not in workflow.NOT_PUBLIC
]


class PublicComplaintFilter(_ListFilter):
    """The public list's search and filters (confidential and archived reports are never in
    the queryset this filters)."""

    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="filter_search",
        max_length=200,
        help_text=gettext_lazy("Words in the title or the text of the report."),
    )
    region = region_filter()
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("position", "code"),
        to_field_name="code",
        empty_label=gettext_lazy("All categories"),
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Kind"),
        choices=Complaint.Kind.choices,
        empty_label=gettext_lazy("All kinds"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=PUBLIC_STATUSES,
        empty_label=gettext_lazy("All statuses"),
    )


# --- what a page says about its filters ---------------------------------------------------------


def either(items: list[str]) -> str:
    """Items joined as a sentence says them: "A", "A or B", "A, B or C"."""
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s or %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


@dataclass(frozen=True)
class ActiveFilter:
    """One filter in use: in words, and the link to the same list without it."""

    name: str
    words: str
    remove_text: str
    remove_url: str


@dataclass(frozen=True)
class RegionLink:
    """A region to choose: an ambiguous name's namesakes, or names like one no region has."""

    label: str
    where: str
    url: str


@dataclass(frozen=True)
class FilterSummary:
    """The count and the filters in words, for the line above a list and its empty state.
    ``count`` is None while the filters have errors; ``more_than``: the count is a floor."""

    count: int | None
    more_than: bool
    active: list[ActiveFilter]
    clear_url: str
    region_text: str = ""
    region_ambiguous: bool = False
    region_links: list[RegionLink] = field(default_factory=list)
    implied: str = ""
    # Further links for an empty list ("Closed reports too"): (words, url).
    widen: list[tuple[str, str]] = field(default_factory=list)

    @property
    def filters_in_words(self) -> str:
        """The filters used, in words: "in Kota Balikpapan, in the category Roads"."""
        return ", ".join(f.words for f in self.active)

    @property
    def searched(self) -> str:
        """The filters in words, after what the list holds without any ("still open")."""
        return ", ".join(w for w in [self.implied, self.filters_in_words] if w)

    @property
    def headline(self) -> str:
        """The count and the filters in words: "123 reports in Kota Balikpapan, in the
        category Roads", "more than 10,000 reports"."""
        if self.count is None:
            return ""
        number = number_format(self.count, force_grouping=True)
        if self.more_than:
            counted = ngettext(
                "more than %(count)s report", "more than %(count)s reports", self.count
            )
        else:
            counted = ngettext("%(count)s report", "%(count)s reports", self.count)
        counted %= {"count": number}
        return f"{counted} {self.searched}" if self.searched else counted

    @property
    def nothing_searched(self) -> bool:
        return not self.active


def _words(name: str, value: Any, form: forms.Form) -> str:
    if name == "q":
        return _("matching “%(text)s”") % {"text": value}
    if name == "region":
        labels = [r.label for r in value.regions] or list(value.codes)
        # "in Kabupaten Bogor or Kota Bogor", but not a list of labels with commas in them.
        if len(labels) > 3 or (len(labels) > 1 and any("," in label for label in labels)):
            return ngettext(
                "in %(count)s region called “%(text)s”",
                "in %(count)s regions called “%(text)s”",
                len(labels),
            ) % {"count": len(labels), "text": value.text}
        return _("in %(regions)s") % {"regions": either(labels)}
    if name == "category":
        return _("in the category %(name)s") % {"name": value.name}
    if name in ("kind", "status", "channel"):
        choices = dict(getattr(form.fields[name], "choices", ()))
        values = value if isinstance(value, list) else [value]
        names = either([str(choices.get(v, v)) for v in values])
        if name == "kind":
            return _("of the kind %(names)s") % {"names": names}
        if name == "channel":
            return _("that came by %(names)s") % {"names": names}
        return _("with the status %(names)s") % {"names": names}
    if name == "submitted_from":
        return _("received from %(day)s") % {"day": date_format(value, "j F Y")}
    if name == "submitted_to":
        return _("received until %(day)s") % {"day": date_format(value, "j F Y")}
    if name == "overdue":
        return _("past their deadline")
    if name == "disputed":
        return _("disputed by the reporter")
    return str(value)


def _remove_text(name: str, value: Any, words: str) -> str:
    if name == "q":
        return _("Without the words “%(text)s”") % {"text": value}
    if name == "region":
        return _("Search all regions")
    if name == "category":
        return _("All categories")
    if name == "kind":
        return _("All kinds")
    if name == "status":
        return _("Any status")
    if name == "channel":
        return _("Any channel")
    if name == "overdue":
        return _("Overdue or not")
    if name == "disputed":
        return _("Disputed or not")
    return _("Without “%(filter)s”") % {"filter": words}


def _url(params: QueryDict, *, without: Collection[str] = (), **changes: str) -> str:
    """The list's query with ``changes``, without the filters named in ``without``, without
    empty values and without a cursor (a new filter starts at the first page)."""
    pairs = [
        (key, value)
        for key, values in params.lists()
        if key not in without and key not in changes and key not in ("after", "before")
        for value in values
        if value != ""
    ]
    pairs += list(changes.items())
    return "?" + urlencode(pairs)


def summarize(
    filters: _ListFilter, params: QueryDict, *, count_limit: int | None = None
) -> FilterSummary:
    """Count what ``filters`` let through (one COUNT; at most ``count_limit`` + 1 rows read
    when a limit is given) and put the filters in words, each with a link that removes it.
    Parameters that are not filters (the order, the scope) stay in every link."""
    form = filters.form
    clear_url = _url(params, without=list(form.fields))
    region_field = form.fields.get("region")
    if not filters.is_valid():
        hints = region_field.hints if isinstance(region_field, RegionField) else []
        return FilterSummary(
            count=None,
            more_than=False,
            active=[],
            clear_url=clear_url,
            region_text=params.get("region", ""),
            region_links=[_region_link(entry, params) for entry in hints],
        )
    queryset = filters.qs.order_by()
    if count_limit is None:
        count, more_than = queryset.count(), False
    else:
        counted = queryset[: count_limit + 1].count()
        count, more_than = min(counted, count_limit), counted > count_limit
    active = []
    for name, value in form.cleaned_data.items():
        if value in (None, "", [], False):
            continue
        words = _words(name, value, form)
        active.append(
            ActiveFilter(
                name=name,
                words=words,
                remove_text=_remove_text(name, value, words),
                remove_url=_url(params, without=[name]),
            )
        )
    region = form.cleaned_data.get("region")
    return FilterSummary(
        count=count,
        more_than=more_than,
        active=active,
        clear_url=clear_url,
        region_text=region.text if region else "",
        region_ambiguous=bool(region and region.is_ambiguous),
        region_links=[_region_link(entry, params) for entry in region.regions]
        if region and region.is_ambiguous
        else [],
        implied=filters.implied(),
        widen=filters.widen(params),
    )


def _region_link(entry: RegionEntry, params: QueryDict) -> RegionLink:
    # "Batu Ampar, Kota Batam": "district in Kepulauan Riau", its label names the rest.
    place = ", ".join(
        above.name
        for above in routing_selectors.region_ancestors(entry)
        if above.name not in entry.label
    )
    where = (
        _("%(level)s in %(place)s") % {"level": entry.level_display, "place": place}
        if place
        else entry.level_display
    )
    return RegionLink(label=entry.label, where=where, url=_url(params, region=entry.label))
