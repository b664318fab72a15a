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

app.autodiscover_tasks()

app.conf.beat_schedule = {}
