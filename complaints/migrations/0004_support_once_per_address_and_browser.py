from django.db import migrations, models


class Migration(migrations.Migration):
    """Supports counted once per address as well as once per browser."""

    dependencies = [
        ("complaints", "0003_tracking_number_twelve_characters"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="support", name="support_once_per_browser"),
        migrations.RenameField(model_name="support", old_name="supporter", new_name="address"),
        migrations.AddField(
            model_name="support",
            name="browser",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="support",
            constraint=models.UniqueConstraint(
                fields=("complaint", "address"), name="support_once_per_address"
            ),
        ),
        migrations.AddConstraint(
            model_name="support",
            constraint=models.UniqueConstraint(
                condition=models.Q(("browser", ""), _negated=True),
                fields=("complaint", "browser"),
                name="support_once_per_browser",
            ),
        ),
    ]
