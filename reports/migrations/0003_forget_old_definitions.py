"""The recap's definitions change (flows of the month apart from the stock at its end, received
by the region a report is about, answers timed from the first time a report reached the agency):
a month built under the old ones would be read under the new ones. They are removed; rebuild
them with ``manage.py build_recap --month YYYY-MM`` (the event log keeps everything needed)."""

from django.db import migrations


def forget(apps, schema_editor):
    apps.get_model("reports", "MonthlyRecap").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_outbox")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
