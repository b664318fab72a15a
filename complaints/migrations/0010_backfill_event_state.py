"""Fill the state-after columns of events written before they existed.

The holder after an event is the agency of the last hand-over at or before it (or the agency a
verification wait names); the deadline is that hand-over's. Acknowledgements and answers moved
deadlines without a hand-over, so for them this is an approximation, except for each report's
last event, which takes the report's present state exactly.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    ComplaintEvent = apps.get_model("complaints", "ComplaintEvent")
    Disposition = apps.get_model("routing", "Disposition")
    complaints = Complaint.objects.filter(events__holder__isnull=True).distinct()
    for complaint in complaints.only("id", "current_agency_id", "due_at").iterator(chunk_size=500):
        handovers = list(
            Disposition.objects.filter(complaint_id=complaint.id)
            .order_by("created_at", "sequence")
            .values_list("created_at", "to_agency_id", "due_at")
        )
        events = list(
            ComplaintEvent.objects.filter(complaint_id=complaint.id).order_by("created_at", "id")
        )
        holder, due_at, index = None, None, 0
        for position, event in enumerate(events):
            while index < len(handovers) and handovers[index][0] <= event.created_at:
                _, holder, due_at = handovers[index]
                index += 1
            if event.type == "AWAITING_VERIFICATION" and event.data.get("agency_id"):
                holder = event.data["agency_id"]
            if position == len(events) - 1:
                holder, due_at = complaint.current_agency_id, complaint.due_at
            event.holder_id, event.due_at = holder, due_at
        ComplaintEvent.objects.bulk_update(events, ["holder", "due_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_event_state_after"),
        ("routing", "0008_agency_notice_once"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
