"""Settings for tests, CI and a developer's machine.

The database and the broker default to the service aliases of the CI job
(postgres, redis); set POSTGRES_HOST and CELERY_BROKER_URL to run against
others.
"""
from config.settings import env
from config.settings.base import *  # noqa: F401,F403
from config.settings.base import DATABASES

# Not a secret: only tests use it, and prod refuses to start without its own.
SECRET_KEY = env.text("DJANGO_SECRET_KEY", "test-only-key-never-used-outside-tests")
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES["default"]["HOST"] = env.text("POSTGRES_HOST", "postgres")
CELERY_BROKER_URL = env.text("CELERY_BROKER_URL", "redis://redis:6379/0")

# Tasks run in the test's process and their exceptions reach the test.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_LEVEL = env.text("LOG_LEVEL", "WARNING").upper()
LOGGING["root"]["level"] = LOG_LEVEL  # noqa: F405
for _logger in LOGGING["loggers"].values():  # noqa: F405
    _logger["level"] = LOG_LEVEL
