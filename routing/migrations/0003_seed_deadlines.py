from django.db import migrations

# step, kind ("" = every kind), working days, source. Permenpan RB 62/2018 has been replaced by
# Permen PANRB 5/2025 on SP4N; until its figures are confirmed these defaults stand.
DEADLINES = [
    ("VERIFICATION", "", 3, "Praktik SP4N-LAPOR!"),
    ("FIRST_RESPONSE", "", 5, "Praktik SP4N-LAPOR!"),
    ("COMPLETION", "ASPIRATION", 5, "Permenpan RB 62/2018"),
    ("COMPLETION", "INFORMATION_REQUEST", 10, "UU 14/2008 (KIP)"),
    ("EXTENSION", "INFORMATION_REQUEST", 7, "UU 14/2008 (KIP)"),
    ("COMPLETION", "COMPLAINT", 14, "Permenpan RB 62/2018"),
    ("COMPLETION_INSPECTION", "COMPLAINT", 60, "Permenpan RB 62/2018, Perpres 76/2013"),
    ("CITIZEN_REPLY", "", 10, "Praktik SP4N-LAPOR!"),
]


def seed_deadlines(apps, schema_editor):
    DeadlineSetting = apps.get_model("routing", "DeadlineSetting")
    for step, kind, days, source in DEADLINES:
        DeadlineSetting.objects.get_or_create(
            step=step, kind=kind, defaults={"working_days": days, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_seed_categories")]

    operations = [migrations.RunPython(seed_deadlines, migrations.RunPython.noop)]
