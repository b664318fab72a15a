"""The Celery app and its beat schedule, in code.

The schedule is empty until the routing issue adds the deadline sweeps; the worker already runs
the intake side effects (the receipt e-mail).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

app = Celery("lapor")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _ensure_filesystem_broker_folders() -> None:
    # The filesystem broker of the embedded default fails on a folder that does not exist yet.
    from django.conf import settings

    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
        if folder:
            os.makedirs(str(folder), exist_ok=True)


app.on_after_configure.connect(lambda sender, **kwargs: _ensure_filesystem_broker_folders())
app.autodiscover_tasks()

app.conf.beat_schedule = {}
