"""Production (and staging) settings: everything secret or host-specific
comes from the environment, and `manage.py check --deploy` passes."""
from config.settings import env
from config.settings.base import *  # noqa: F401,F403
from config.settings.base import DATABASES

SECRET_KEY = env.required("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env.listing("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    env.required("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.listing("DJANGO_CSRF_TRUSTED_ORIGINS")

DATABASES["default"]["PASSWORD"] = env.required("POSTGRES_PASSWORD")
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("POSTGRES_CONN_MAX_AGE", 60)
CELERY_BROKER_URL = env.required("CELERY_BROKER_URL")

# TLS ends at the reverse proxy in front of gunicorn, which says so with
# X-Forwarded-Proto. The health checks are exempt from the redirect: the
# deployer asks them over plain HTTP on the host's loopback.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.boolean("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readiness$"]
SECURE_HSTS_SECONDS = env.integer("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.boolean("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
