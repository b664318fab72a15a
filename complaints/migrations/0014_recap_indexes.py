"""The indexes the monthly recaps read from alone, and a first answer always has its hand-over
time (after 0013, so they are built and checked once)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("complaints", "0013_backfill_state_before_answer_facts")]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["-submitted_at"], include=("id",), name="complaint_submitted"
            ),
        ),
        migrations.AddIndex(
            model_name="complaintevent",
            index=models.Index(
                fields=["created_at"],
                include=(
                    "complaint",
                    "from_status",
                    "from_holder",
                    "from_due_at",
                    "to_status",
                    "holder",
                    "due_at",
                ),
                name="event_time",
            ),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("is_first", True)),
                fields=["created_at"],
                include=("agency", "handed_at", "due_at_before"),
                name="response_first_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_first", False), ("handed_at__isnull", False), _connector="OR"
                ),
                name="response_first_handed",
            ),
        ),
    ]
