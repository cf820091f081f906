from rest_framework.routers import DefaultRouter

from catalog.views import ArtistViewSet, RecordingViewSet

router = DefaultRouter()
router.register("recordings", RecordingViewSet, basename="recording")
router.register("artists", ArtistViewSet, basename="artist")

urlpatterns = router.urls
