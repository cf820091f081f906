from rest_framework import serializers

from catalog.models import Artist, Recording


class RecordingSerializer(serializers.ModelSerializer):
    artist = serializers.CharField(source="artist.name")
    genres = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Recording
        fields = ["id", "source_id", "title", "artist", "genres", "recorded_on", "duration_seconds"]


class ArtistSerializer(serializers.ModelSerializer):
    recording_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Artist
        fields = ["id", "name", "country", "recording_count"]
