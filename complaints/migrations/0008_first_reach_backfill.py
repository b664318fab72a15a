"""The facts the recaps now read, filled in for the history written before them:

- each event that first brought a report to its holder to act on is marked ``reached``;
- an answer is first per report *and agency* (it was first per report), with when the report
  first reached that agency (``reached_at``); ``due_first`` keeps the deadline that was in
  force just before the answer (what the old field held: the completion deadline from the
  first reach cannot be recomputed with the calendar of the time);
- a missed deadline is ``unanswered`` when the agency had given the report no answer before
  it, counted once per report and agency.

Reports are walked one at a time, in the order their rows were written.
"""

from django.db import migrations

UNDER_DEADLINE = {"AWAITING_VERIFICATION", "DISPOSED", "IN_PROGRESS"}


def backfill(apps, schema_editor):
    ComplaintEvent = apps.get_model("complaints", "ComplaintEvent")
    Response = apps.get_model("complaints", "Response")
    DeadlineBreach = apps.get_model("complaints", "DeadlineBreach")

    reached_at: dict[tuple[int, int], object] = {}
    marked = []
    for event in (
        ComplaintEvent.objects.order_by("complaint_id", "created_at", "pk")
        .only("pk", "complaint_id", "holder_id", "from_holder_id", "to_status", "from_status",
              "created_at")
        .iterator(chunk_size=5000)
    ):
        key = (event.complaint_id, event.holder_id)
        if (
            event.holder_id is not None
            and event.to_status in UNDER_DEADLINE
            and (event.from_holder_id != event.holder_id or event.from_status not in UNDER_DEADLINE)
            and key not in reached_at
        ):
            reached_at[key] = event.created_at
            marked.append(event.pk)
    for start in range(0, len(marked), 5000):
        ComplaintEvent.objects.filter(pk__in=marked[start : start + 5000]).update(reached=True)

    Response.objects.filter(is_first=True).update(is_first=False)
    seen: set[tuple[int, int]] = set()
    for response in Response.objects.order_by("created_at", "pk").iterator(chunk_size=5000):
        key = (response.complaint_id, response.agency_id)
        if key in seen:
            continue
        seen.add(key)
        response.is_first = True
        response.reached_at = reached_at.get(key) or response.reached_at
        if response.due_first is None:  # none was in force: the answer was on time
            response.due_first = response.created_at
        response.save(update_fields=["is_first", "reached_at", "due_first"])

    flagged: set[tuple[int, int]] = set()
    for breach in DeadlineBreach.objects.order_by("created_at", "pk").iterator(chunk_size=5000):
        key = (breach.complaint_id, breach.agency_id)
        if key in flagged:
            continue
        answered = Response.objects.filter(
            complaint_id=breach.complaint_id,
            agency_id=breach.agency_id,
            created_at__lt=breach.created_at,
        ).exists()
        if not answered:
            flagged.add(key)
            DeadlineBreach.objects.filter(pk=breach.pk).update(unanswered=True)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0007_interim_replies_and_first_reach")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
