"""Full-text search of the staff inbox on PostgreSQL: a GIN index over title and text with
Indonesian stemming. ``complaints.selectors.SEARCH_VECTOR_SQL`` spells the same expression, so
that the planner uses it. Other databases search by substring and need no index."""

from django.db import migrations

INDEX = "complaint_search"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON complaints_complaint USING gin "
    "(to_tsvector('indonesian'::regconfig, (title || ' ' || description)))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
