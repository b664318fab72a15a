"""The months built before reports kept their channel get ``received_by_channel`` counted from
the same facts as their ``received`` (the reports filed in the month about a region; the events
that first brought a report to an agency), with the channels the reports have now: web for
those filed before channels were kept, Open311 for Open311's. Nothing else in a row changes."""

import datetime as dt
from collections import Counter, defaultdict

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Count
from django.utils import timezone

# ``Complaint.Channel``, in its order, as it stands in this migration.
CHANNELS = (
    "WEB",
    "API",
    "OPEN311",
    "EMAIL",
    "SMS",
    "WHATSAPP",
    "WALK_IN",
    "PHONE",
    "LETTER",
    "SOCIAL_MEDIA",
    "OTHER",
)


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (
        dt.datetime.combine(month, dt.time(0), tzinfo=tz),
        dt.datetime.combine(following, dt.time(0), tzinfo=tz),
    )


def _ordered(counts: Counter) -> dict[str, int]:
    return {channel: counts[channel] for channel in CHANNELS if counts[channel]}


def count(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    MonthlyRecap = apps.get_model("reports", "MonthlyRecap")
    Complaint = apps.get_model("complaints", "Complaint")
    ComplaintEvent = apps.get_model("complaints", "ComplaintEvent")
    months = MonthlyRecap.objects.values_list("month", flat=True).distinct().order_by("month")
    for month in list(months):
        start, cut = _bounds(month)
        regions: defaultdict[str, Counter] = defaultdict(Counter)
        for code, channel, n in (
            Complaint.objects.filter(submitted_at__gte=start, submitted_at__lt=cut)
            .values("region_id", "channel")
            .annotate(n=Count("*"))
            .order_by()
            .values_list("region_id", "channel", "n")
        ):
            parts = code.split(".") if code else [""]
            for key in {"", parts[0], ".".join(parts[:2])}:
                regions[key][channel] += n
        agencies: defaultdict[int, Counter] = defaultdict(Counter)
        for holder_id, channel, n in (
            ComplaintEvent.objects.filter(created_at__gte=start, created_at__lt=cut, reached=True)
            .values("holder_id", "complaint__channel")
            .annotate(n=Count("*"))
            .order_by()
            .values_list("holder_id", "complaint__channel", "n")
        ):
            agencies[holder_id][channel] += n
        rows = list(MonthlyRecap.objects.filter(month=month))
        for row in rows:
            if row.level == "AGENCY":
                counts = agencies.get(row.agency_id, Counter())
            else:
                counts = regions.get(row.region_id or "", Counter())
            row.received_by_channel = _ordered(counts)
        MonthlyRecap.objects.bulk_update(rows, ["received_by_channel"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_received_by_channel"),
        ("complaints", "0011_report_channel_and_recording_officer"),
        # Open311's reports marked as such before they are counted.
        ("open311", "0002_open311_reports_channel"),
    ]

    operations = [migrations.RunPython(count, migrations.RunPython.noop)]
