"""Reports filed through Open311 before the channel was kept say so (the others stay web:
the API's were not told apart)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def mark_open311(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Complaint = apps.get_model("complaints", "Complaint")
    Open311Request = apps.get_model("open311", "Open311Request")
    Complaint.objects.filter(
        pk__in=Open311Request.objects.values("complaint_id"), entered_by__isnull=True
    ).update(channel="OPEN311")


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0001_initial"),
        ("complaints", "0011_report_channel_and_recording_officer"),
    ]

    operations = [migrations.RunPython(mark_open311, migrations.RunPython.noop)]
