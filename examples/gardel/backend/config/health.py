"""Health endpoints for the deployer and the orchestrators.

/healthz answers whether this process can serve: the database answers.
/readiness also checks the broker, without which imports are not run.
Both return JSON with the commit being served, so that a deploy can check
that the new release is the one answering; 503 when a check fails.
"""
import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2  # seconds: a probe must answer before its own deadline


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker():
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT) as conn:
        # No retry: the prober asks again.
        conn.ensure_connection(max_retries=0)


def _report(checks):
    results = {}
    healthy = True
    for name, check in checks:
        try:
            check()
        except Exception as exc:  # any failure makes the check fail, reported
            logger.warning("health check failed", extra={"check": name, "error": str(exc)})
            results[name] = "error"
            healthy = False
        else:
            results[name] = "ok"
    body = {
        "status": "ok" if healthy else "error",
        "version": settings.APP_VERSION,
        "checks": results,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz(request):
    return _report([("database", check_database)])


@never_cache
@require_GET
def readiness(request):
    return _report([("database", check_database), ("broker", check_broker)])
