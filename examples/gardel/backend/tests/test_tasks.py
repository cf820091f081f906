"""The Celery task, run in eager mode (CELERY_TASK_ALWAYS_EAGER in the test
settings), and beat's schedule."""
import urllib.error

import pytest

from catalog import tasks
from catalog.models import ImportRun, Recording
from catalog.services import etl
from config import celery_app


@pytest.mark.django_db
def test_import_task(csv_file):
    path = csv_file("r1,Volver,Carlos Gardel,AR,tango,1935,3:00\n")
    result = tasks.import_recordings.delay(path)
    assert result.get(timeout=10) == {
        "run": ImportRun.objects.get().pk,
        "status": "succeeded",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert Recording.objects.get().title == "Volver"


@pytest.mark.django_db
def test_import_task_default_source(settings, csv_file):
    settings.GARDEL_IMPORT_SOURCE = csv_file(
        "r1,Volver,Carlos Gardel\nr2,Mano a mano,Carlos Gardel\n"
    )
    assert tasks.import_recordings.delay().get(timeout=10)["created"] == 2


@pytest.mark.django_db
def test_import_task_retries_a_source_that_is_down(monkeypatch, csv_file):
    path = csv_file("r1,Volver,Carlos Gardel\n")
    real = etl.extract
    calls = []

    def flaky(source):
        calls.append(source)
        if len(calls) < 3:
            raise urllib.error.URLError("connection refused")
        return real(source)

    monkeypatch.setattr(etl, "extract", flaky)
    # Eager mode runs the retries at once (a worker waits for the backoff),
    # unless the first failure propagates to the caller.
    # (Celery reads its settings under the CELERY_ namespace.)
    celery_app.conf.update(CELERY_TASK_EAGER_PROPAGATES=False)
    try:
        assert tasks.import_recordings.delay(path).get(timeout=10)["created"] == 1
    finally:
        celery_app.conf.update(CELERY_TASK_EAGER_PROPAGATES=True)
    assert len(calls) == 3
    assert list(ImportRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "failed",
        "succeeded",
    ]


@pytest.mark.django_db
def test_import_task_does_not_retry_a_bad_file(csv_file):
    path = csv_file("1,Volver\n", header="id,name\n")
    with pytest.raises(etl.SourceError):
        tasks.import_recordings.delay(path)
    assert ImportRun.objects.count() == 1


def test_beat_schedules_the_import():
    entry = celery_app.conf.beat_schedule["import-recordings"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] > 0
