"""The index the similar-report suggestions read (``complaints.similar``): the open reports that
are nobody's duplicate, by category, region and submission. A suggestion asks for one category,
the regions of one regency/city (a prefix of their codes: ``region_id LIKE '64.72%'``) and the
last days, so it reads one short range of this index, whatever the size of the table.

On PostgreSQL the region is indexed with ``varchar_pattern_ops``, so that a LIKE by prefix is a
range of the index whatever the database's collation. Created by SQL, outside the models' state
(Django's ``Index`` gives an operator class on PostgreSQL only, and this index differs by
database).

``OPEN_STATUSES`` is ``sorted(complaints.workflow.OPEN)`` as it is now, and the queries spell
the same list (``ComplaintQuerySet.open``): PostgreSQL uses a partial index only when the
query's condition implies the index's. A change to the workflow's open statuses needs a new
migration that creates this index again; tests/complaints/test_similar.py checks they agree.

SQLite (the embedded default, a small database) cannot prove that a condition with bound
parameters (Django's ``IN (?, ?)``) implies one with constants: its index holds every report
that is nobody's duplicate, and it is given the regency's prefix as a range of codes (it
compares them byte by byte) instead of a LIKE.
"""

from django.db import migrations

INDEX = "complaint_similar"
OPEN_STATUSES = ["AWAITING_VERIFICATION", "DISPOSED", "IN_PROGRESS", "RESPONDED", "SUBMITTED"]
_CONDITION = "status IN ({}) AND duplicate_of_id IS NULL".format(
    ", ".join(f"'{status}'" for status in OPEN_STATUSES)
)
_INDEXES = {
    "postgresql": "(category_id, region_id varchar_pattern_ops, submitted_at) WHERE " + _CONDITION,
    "sqlite": "(category_id, region_id, submitted_at) WHERE duplicate_of_id IS NULL",
}


def create(apps, schema_editor):
    index = _INDEXES.get(schema_editor.connection.vendor)
    if index is not None:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON complaints_complaint {index}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in _INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0015_duplicates")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
