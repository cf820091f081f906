from django.urls import include, path

from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readiness", health.readiness, name="readiness"),
    path("api/", include("catalog.urls")),
]
