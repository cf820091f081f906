"""Celery tasks: thin wrappers over the services, which hold the logic."""
import socket
import urllib.error

from celery import shared_task
from django.conf import settings

from catalog.services import etl


# A source that is down is retried with backoff; a bad file is not.
@shared_task(
    autoretry_for=(urllib.error.URLError, socket.timeout, ConnectionError),
    retry_backoff=True,
    max_retries=3,
)
def import_recordings(source=None):
    run = etl.run_import(source or settings.GARDEL_IMPORT_SOURCE)
    return {
        "run": run.pk,
        "status": run.status,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
    }
