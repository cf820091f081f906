from django.db.models import Count
from rest_framework import viewsets

from catalog.models import Artist, Recording
from catalog.serializers import ArtistSerializer, RecordingSerializer


class RecordingViewSet(viewsets.ReadOnlyModelViewSet):
    """Recordings, filtered by ?artist=<name> and ?genre=<name>."""

    serializer_class = RecordingSerializer

    def get_queryset(self):
        # The artist comes in the same query (a join) and the genres of the
        # whole page in one more: a page costs three queries (with the
        # count) instead of one per recording and two per genre list.
        qs = Recording.objects.select_related("artist").prefetch_related("genres")
        artist = self.request.query_params.get("artist")
        if artist:
            qs = qs.filter(artist__name__iexact=artist)
        genre = self.request.query_params.get("genre")
        if genre:
            qs = qs.filter(genres__name=genre.lower())
        return qs


class ArtistViewSet(viewsets.ReadOnlyModelViewSet):
    """Artists with their number of recordings, counted by the database."""

    serializer_class = ArtistSerializer
    queryset = Artist.objects.annotate(recording_count=Count("recordings")).order_by("name")
