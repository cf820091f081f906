"""The Celery app of web, worker and beat (one image, three commands)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("gardel")
# Every CELERY_* Django setting configures Celery: broker, eager mode in
# tests, beat's schedule.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
