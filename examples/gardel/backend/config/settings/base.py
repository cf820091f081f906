"""Settings shared by every environment.

Nothing secret lives here: the secret key, the database password and the
broker's address come from the environment (see .env.prod.example).
test.py and prod.py start from these and change what differs.
"""
from pathlib import Path

from config.settings import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
ALLOWED_HOSTS = env.listing("DJANGO_ALLOWED_HOSTS")

# The commit the image was built from, shown by /healthz so that a deploy
# can check that the new release is the one answering.
APP_VERSION = env.text("APP_VERSION", "dev")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# The same POSTGRES_* names the postgres image reads, so that one env file
# serves the database container and the app, and CI's service variables
# reach both.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": env.text("POSTGRES_HOST", "localhost"),
        "PORT": env.integer("POSTGRES_PORT", 5432),
        "NAME": env.text("POSTGRES_DB", "gardel"),
        "USER": env.text("POSTGRES_USER", "gardel"),
        "PASSWORD": env.text("POSTGRES_PASSWORD"),
        "CONN_MAX_AGE": env.integer("POSTGRES_CONN_MAX_AGE", 0),
        "OPTIONS": {"connect_timeout": env.integer("POSTGRES_CONNECT_TIMEOUT", 5)},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.text("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # A public, read-only API: no sessions, no users.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
}

# Celery: the broker from the environment, JSON only, and beat's schedule
# of the ETL import.
CELERY_BROKER_URL = env.text("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "import-recordings": {
        "task": "catalog.tasks.import_recordings",
        "schedule": float(env.integer("GARDEL_IMPORT_EVERY", 3600)),
    }
}

# Where the scheduled import reads from: a CSV file path or an http(s) URL.
GARDEL_IMPORT_SOURCE = env.text("GARDEL_IMPORT_SOURCE", str(BASE_DIR / "data" / "recordings.csv"))

# Logs go to stdout, one JSON object a line; the host or the platform
# collects them (guide 13).
LOG_LEVEL = env.text("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JSONFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
    },
}
