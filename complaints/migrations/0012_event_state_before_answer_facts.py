"""Events keep the state before them; answers keep the facts of the moment they were given
(what the monthly recaps add up). Filled for earlier rows by 0013; indexed by 0014."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_response_time_index"),
        ("routing", "0009_breach_time_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="complaint", name="complaint_submitted"),
        migrations.RemoveIndex(model_name="complaintevent", name="event_time"),
        migrations.RemoveIndex(model_name="response", name="response_time"),
        migrations.AddField(
            model_name="complaintevent",
            name="from_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="complaintevent",
            name="from_holder",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="routing.agency",
            ),
        ),
        migrations.AddField(
            model_name="response",
            name="due_at_before",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="response",
            name="handed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="response",
            name="is_first",
            field=models.BooleanField(default=False),
        ),
    ]
