"""The Celery app of web, worker and beat (one image, three commands)."""
import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("gardel")
# Every CELERY_* Django setting configures Celery: broker, eager mode in
# tests, beat's schedule.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs):
    # Worker and beat log like the web, with Django's LOGGING (JSON lines
    # on stdout), instead of Celery's own handlers; Celery then also leaves
    # sys.stdout alone.
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
