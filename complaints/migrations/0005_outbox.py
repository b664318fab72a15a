"""One outbox for every message (issue 15): the routing outbox, the reporter's notifications,
the agency notices, the overdue digests and the routing dead-letter list become rows of
``Message``. What they held is carried over: unsent rows stay pending (a receipt without its
private link, which was never stored), sent ones stay sent, so nothing is sent twice."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_over(apps, schema_editor):
    Message = apps.get_model("complaints", "Message")
    Notification = apps.get_model("complaints", "Notification")
    AgencyNotice = apps.get_model("complaints", "AgencyNotice")
    OverdueDigest = apps.get_model("complaints", "OverdueDigest")
    RoutingOutbox = apps.get_model("complaints", "RoutingOutbox")
    RoutingFailure = apps.get_model("complaints", "RoutingFailure")
    rows = []
    for n in Notification.objects.select_related("event").iterator():
        receipt = n.event.type == "SUBMITTED"
        rows.append(
            Message(
                kind="receipt" if receipt else "reporter_update",
                key=f"receipt:{n.event.complaint_id}" if receipt else f"event:{n.event_id}",
                complaint_id=n.event.complaint_id,
                event_id=n.event_id,
                created_at=n.created_at,
                next_attempt_at=n.created_at,
                sent_at=n.sent_at,
                outcome="sent" if n.sent_at else "",
            )
        )
    for a in AgencyNotice.objects.iterator():
        rows.append(
            Message(
                kind="agency_notice",
                key=f"notice:{a.complaint_id}:{a.agency_id}:{a.version}",
                complaint_id=a.complaint_id,
                agency_id=a.agency_id,
                data={"version": a.version},
                created_at=a.created_at,
                next_attempt_at=a.created_at,
                sent_at=a.sent_at,
                outcome="sent" if a.sent_at else "",
            )
        )
    for d in OverdueDigest.objects.iterator():
        rows.append(
            Message(
                kind="overdue_digest",
                key=f"digest:{d.agency_id}:{d.day.isoformat()}",
                agency_id=d.agency_id,
                data={"day": d.day.isoformat(), "reports": d.reports},
                created_at=d.created_at,
                next_attempt_at=d.created_at,
                sent_at=d.sent_at,
                outcome="sent" if d.sent_at else "",
            )
        )
    failed = {
        (f.complaint_id, f.step): f
        for f in RoutingFailure.objects.filter(resolved_at__isnull=True).iterator()
    }
    steps = {(o.complaint_id, o.step): o.created_at for o in RoutingOutbox.objects.iterator()}
    for (complaint_id, step), failure in failed.items():
        steps.setdefault((complaint_id, step), failure.created_at)
    # Reports being routed whose step was only a broker message (under a task name that no
    # longer exists): their step becomes a row too.
    Complaint = apps.get_model("complaints", "Complaint")
    for c in Complaint.objects.filter(status="SUBMITTED").values(
        "pk", "routing_step", "moved_at", "submitted_at"
    ):
        steps.setdefault((c["pk"], c["routing_step"]), c["moved_at"] or c["submitted_at"])
    for (complaint_id, step), created_at in steps.items():
        failure = failed.get((complaint_id, step))
        rows.append(
            Message(
                kind="route_step",
                key=f"route:{complaint_id}:{step}",
                complaint_id=complaint_id,
                data={"step": step},
                created_at=created_at,
                next_attempt_at=created_at,
                attempts=failure.attempts if failure else 0,
                failed_at=failure.created_at if failure else None,
                error=failure.error if failure else "",
            )
        )
    Message.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0004_support_once_per_address_and_browser'),
        ('routing', '0003_seed_deadlines'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('route_step', 'routing step'), ('receipt', 'receipt to the reporter'), ('reporter_update', 'update to the reporter'), ('agency_notice', 'notice to an agency'), ('overdue_digest', 'overdue digest'), ('recap', 'recap e-mail'), ('activation', 'account activation'), ('account_exists', 'account already exists'), ('password_reset', 'password reset')], max_length=20, verbose_name='kind')),
                ('key', models.CharField(max_length=120, unique=True)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('secret', models.TextField(blank=True, editable=False)),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('published_at', models.DateTimeField(blank=True, null=True)),
                ('next_attempt_at', models.DateTimeField()),
                ('claimed_until', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('outcome', models.CharField(blank=True, choices=[('sent', 'sent'), ('skipped', 'nothing to send')], max_length=8)),
                ('failed_at', models.DateTimeField(blank=True, null=True, verbose_name='given up at')),
                ('error', models.TextField(blank=True, verbose_name='last error')),
                ('agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='routing.agency')),
                ('complaint', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='complaints.complaint')),
                ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='complaints.complaintevent')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'message',
                'verbose_name_plural': 'messages',
            },
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('failed_at__isnull', True), ('sent_at__isnull', True)), fields=['next_attempt_at'], name='message_pending'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('failed_at__isnull', False), ('sent_at__isnull', True)), fields=['failed_at'], name='message_dead'),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='AgencyNotice',
        ),
        migrations.DeleteModel(
            name='Notification',
        ),
        migrations.DeleteModel(
            name='OverdueDigest',
        ),
        migrations.DeleteModel(
            name='RoutingFailure',
        ),
        migrations.DeleteModel(
            name='RoutingOutbox',
        ),
    ]
