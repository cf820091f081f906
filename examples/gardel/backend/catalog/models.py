"""Recordings of tango, their artists and genres, and the imports that
loaded them."""
from django.db import models


class Artist(models.Model):
    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Genre(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Recording(models.Model):
    # The source's own id: imports update a recording instead of adding it
    # twice.
    source_id = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="recordings")
    genres = models.ManyToManyField(Genre, related_name="recordings", blank=True)
    recorded_on = models.DateField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_on", "title"]

    def __str__(self):
        return f"{self.title} ({self.artist})"


class ImportRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    source = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"import {self.pk} from {self.source}: {self.status}"
