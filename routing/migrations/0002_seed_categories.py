from django.db import migrations

# code, Indonesian name, English name
CATEGORIES = [
    ("kesehatan", "Kesehatan", "Health"),
    ("pendidikan", "Pendidikan", "Education"),
    ("infrastruktur", "Infrastruktur", "Infrastructure"),
    ("kependudukan", "Administrasi Kependudukan", "Civil registration"),
    ("lingkungan", "Lingkungan Hidup", "Environment"),
    ("perhubungan", "Perhubungan", "Transport"),
    ("perizinan", "Perizinan", "Permits and licences"),
    ("sosial", "Sosial", "Social affairs"),
    ("ketenagakerjaan", "Ketenagakerjaan", "Employment"),
    ("lainnya", "Lainnya", "Other"),
]


def seed_categories(apps, schema_editor):
    Category = apps.get_model("routing", "Category")
    for position, (code, name_id, name_en) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]

    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
