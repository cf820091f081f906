"""Settings: what the environment may say, and prod refusing to start
without its secrets."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.logging import JSONFormatter
from config.settings import env

BACKEND = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "fn, value, default, want",
    [
        pytest.param(env.boolean, "", True, True, id="boolean default"),
        pytest.param(env.boolean, "Yes", False, True, id="boolean yes"),
        pytest.param(env.boolean, "0", True, False, id="boolean 0"),
        pytest.param(env.integer, "", 5, 5, id="integer default"),
        pytest.param(env.integer, "42", 5, 42, id="integer"),
        pytest.param(
            env.listing,
            "a.example.com, b.example.com,",
            (),
            ["a.example.com", "b.example.com"],
            id="list",
        ),
        pytest.param(env.listing, "", ("x",), ["x"], id="list default"),
        pytest.param(env.text, "v", "d", "v", id="text"),
    ],
)
def test_env(monkeypatch, fn, value, default, want):
    monkeypatch.setenv("GARDEL_TEST_VAR", value)
    assert fn("GARDEL_TEST_VAR", default) == want


@pytest.mark.parametrize(
    "fn, value",
    [
        pytest.param(env.boolean, "maybe", id="boolean"),
        pytest.param(env.integer, "ten", id="integer"),
    ],
)
def test_env_bad_values(monkeypatch, fn, value):
    monkeypatch.setenv("GARDEL_TEST_VAR", value)
    with pytest.raises(ImproperlyConfigured, match="GARDEL_TEST_VAR"):
        fn("GARDEL_TEST_VAR", None)


def test_env_required(monkeypatch):
    monkeypatch.delenv("GARDEL_TEST_VAR", raising=False)
    with pytest.raises(ImproperlyConfigured, match="GARDEL_TEST_VAR is not set"):
        env.required("GARDEL_TEST_VAR")


PROD_ENV = {
    "DJANGO_SECRET_KEY": "x" * 20 + "-dummy-secret-for-the-settings-test-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "gardel.example.com",
    "POSTGRES_PASSWORD": "pw",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
}


def load_prod(**overrides):
    environ = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    environ.update(PROD_ENV)
    environ.update(overrides)
    environ = {k: v for k, v in environ.items() if v is not None}
    code = (
        "import config.settings.prod as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BACKEND, env=environ, capture_output=True, text=True
    )


def test_prod_settings():
    out = load_prod()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False ['gardel.example.com'] True"


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "POSTGRES_PASSWORD"])
def test_prod_settings_need_secrets(name):
    out = load_prod(**{name: None})
    assert out.returncode != 0
    assert f"{name} is not set" in out.stderr


def test_json_log_lines():
    record = logging.LogRecord("gardel", logging.INFO, __file__, 1, "import %s", ("done",), None)
    record.created_count = 3
    line = json.loads(JSONFormatter().format(record))
    assert (line["level"], line["logger"], line["message"], line["created_count"]) == (
        "INFO",
        "gardel",
        "import done",
        3,
    )
