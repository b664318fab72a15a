"""The recap e-mails become rows of the one outbox (``complaints.Message``); sent ones stay
sent."""

from django.db import migrations


def carry_over(apps, schema_editor):
    Message = apps.get_model("complaints", "Message")
    RecapEmail = apps.get_model("reports", "RecapEmail")
    Message.objects.bulk_create(
        [
            Message(
                kind="recap",
                key=f"recap:{e.month:%Y-%m}:{e.agency_id}",
                agency_id=e.agency_id,
                data={"month": e.month.isoformat()},
                created_at=e.created_at,
                next_attempt_at=e.created_at,
                sent_at=e.sent_at,
                outcome="sent" if e.sent_at else "",
            )
            for e in RecapEmail.objects.iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
        ('complaints', '0005_outbox'),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='RecapEmail',
        ),
    ]
