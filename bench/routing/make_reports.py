"""Django side of the routing bench, run as a subprocess with the bench's environment.

``make_reports.py N`` files N reports through ``complaints.services.submit_complaint`` with the
publication of their first routing step held back, so that their outbox rows stay (as when the
broker was down at submission), then publishes them all at once with
``complaints.outbox.relay``. Prints one JSON line: the id range and the seconds each part
took.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "intake"))  # payloads.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))  # the project

from payloads import submission_fields


def main() -> None:
    count = int(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
    import django

    django.setup()
    from django.utils import timezone

    from complaints import outbox
    from complaints.models import Message
    from complaints.services import submit_complaint
    from routing.models import Category, Region

    fields = submission_fields()
    category = Category.objects.get(code=fields["category"])
    region = Region.objects.get(code="64.72.01")
    incident_date = dt.date.fromisoformat(fields["incident_date"])

    publish = outbox.publish
    # enqueue's after-commit callback looks the name up when it runs: held back here, as if
    # the broker had refused it.
    outbox.publish = lambda *_args, **_kwargs: False  # type: ignore[assignment]  # patched for the bench
    started = time.monotonic()
    try:
        ids = [
            submit_complaint(
                kind=fields["kind"],
                title=fields["title"],
                description=fields["description"],
                category=category,
                region=region,
                incident_date=incident_date,
                is_anonymous=False,
                is_confidential=False,
                # No e-mail address: no receipt task competes with routing for the workers.
                reporter_name=fields["reporter_name"],
                reporter_phone=fields["reporter_phone"],
                ip_address="127.0.0.1",
                now=timezone.now(),
            ).complaint.pk
            for _ in range(count)
        ]
    finally:
        outbox.publish = publish  # type: ignore[method-assign]  # restored
    created = time.monotonic()
    waiting = Message.objects.filter(
        complaint_id__in=ids, kind=Message.Kind.ROUTE_STEP, published_at__isnull=True
    ).count()
    published = outbox.relay(now=timezone.now() + dt.timedelta(minutes=5), limit=count + 1000)
    relayed = time.monotonic()
    print(
        json.dumps(
            {
                "first_id": min(ids),
                "last_id": max(ids),
                "outbox_rows": waiting,
                "published": published,
                "create_s": created - started,
                "relay_s": relayed - created,
            }
        )
    )


if __name__ == "__main__":
    main()
