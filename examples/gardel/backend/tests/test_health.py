"""/healthz and /readiness against the real database and broker of the CI
job's services, and with each of them unreachable."""
import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readiness"])
def test_healthy(client, settings, path):
    settings.APP_VERSION = "abc123"
    resp = client.get(path)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "ok"
    assert body["version"] == "abc123"
    assert set(body["checks"].values()) == {"ok"}
    assert "no-cache" in resp["Cache-Control"]


@pytest.mark.django_db
def test_readiness_without_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    resp = client.get("/readiness")
    assert resp.status_code == 503
    assert resp.json()["checks"] == {"database": "ok", "broker": "error"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readiness"])
def test_database_down(client, monkeypatch, path):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    resp = client.get(path)
    assert resp.status_code == 503
    assert resp.json()["checks"]["database"] == "error"


def test_health_is_get_only(client):
    assert client.post("/healthz").status_code == 405
