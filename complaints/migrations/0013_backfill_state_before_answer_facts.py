"""Events keep the state before them; answers keep the facts of the moment they were given.

Both are what the monthly recaps add up. For rows written before the columns existed they are
filled from each report's history: an event's state before is the previous event's state after
(in the order the events were written); an answer is first when no answer came before it, was
handed over at the last hand-over to its agency (or the submission), and its deadline before is
the state before the event of the answer.
"""

from django.db import migrations

CHUNK = 500  # reports at a time


def backfill(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    ComplaintEvent = apps.get_model("complaints", "ComplaintEvent")
    Response = apps.get_model("complaints", "Response")
    Disposition = apps.get_model("routing", "Disposition")
    ids = list(Complaint.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        submitted = dict(Complaint.objects.filter(pk__in=chunk).values_list("pk", "submitted_at"))
        answered_before: dict[int, object] = {}  # response id → deadline before its event
        events = list(ComplaintEvent.objects.filter(complaint_id__in=chunk).order_by("pk"))
        state: dict[int, tuple] = {}
        for event in events:
            before = state.get(event.complaint_id, ("", None, None))
            event.from_status, event.from_holder_id, event.from_due_at = before
            state[event.complaint_id] = (event.to_status, event.holder_id, event.due_at)
            if event.type == "RESPONDED" and event.data.get("response_id"):
                answered_before[event.data["response_id"]] = event.from_due_at
        ComplaintEvent.objects.bulk_update(
            events, ["from_status", "from_holder", "from_due_at"], batch_size=1000
        )
        handovers: dict[tuple[int, int], list] = {}
        for complaint_id, agency_id, at in (
            Disposition.objects.filter(complaint_id__in=chunk)
            .order_by("created_at", "sequence")
            .values_list("complaint_id", "to_agency_id", "created_at")
        ):
            handovers.setdefault((complaint_id, agency_id), []).append(at)
        responses = list(
            Response.objects.filter(complaint_id__in=chunk).order_by("created_at", "pk")
        )
        seen: set[int] = set()
        for response in responses:
            response.is_first = response.complaint_id not in seen
            seen.add(response.complaint_id)
            times = handovers.get((response.complaint_id, response.agency_id), [])
            earlier = [at for at in times if at <= response.created_at]
            response.handed_at = earlier[-1] if earlier else submitted[response.complaint_id]
            response.due_at_before = answered_before.get(response.pk)
        Response.objects.bulk_update(
            responses, ["is_first", "handed_at", "due_at_before"], batch_size=1000
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0012_event_state_before_answer_facts")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
