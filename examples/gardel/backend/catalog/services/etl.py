"""The recordings import, as the guide's ETL rule has it: extract, transform
and load are plain functions, tested directly; the Celery task only calls
run_import.

The source is a CSV file (a path or an http(s) URL) with the columns
id, title, artist and optionally country, genres (separated by ";"),
recorded_on (YYYY or YYYY-MM-DD) and duration (seconds or m:ss).
"""
import csv
import io
import logging
import re
import urllib.request
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from catalog.models import Artist, Genre, ImportRun, Recording

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "title", "artist")
FETCH_TIMEOUT = 30  # seconds for an http(s) source

_DURATION = re.compile(r"^(?:(\d+):)?(\d+)$")


class SourceError(Exception):
    """The source was read but is not a recordings CSV."""


@dataclass(frozen=True)
class Record:
    """One clean recording, ready to load."""

    source_id: str
    title: str
    artist: str
    country: str = ""
    genres: tuple = ()
    recorded_on: date = None
    duration_seconds: int = None


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Transformed:
    records: list = field(default_factory=list)
    rejections: list = field(default_factory=list)


def extract(source):
    """Read the source and return its rows as (line number, dict)."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT) as resp:
            text = resp.read().decode("utf-8-sig")
    else:
        with open(source, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise SourceError(f"{source}: missing column(s) {', '.join(missing)}")
    reader.fieldnames = columns
    return [(reader.line_num, row) for row in reader]


def _clean(value):
    return " ".join((value or "").split())


def _date(value):
    if not value:
        return None
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1)
    return date.fromisoformat(value)


def _duration(value):
    if not value:
        return None
    m = _DURATION.match(value)
    if not m:
        raise ValueError(value)
    minutes, seconds = int(m.group(1) or 0), int(m.group(2))
    if m.group(1) is not None and seconds >= 60:
        raise ValueError(value)
    return minutes * 60 + seconds


def transform_row(row):
    """Return a Record, or raise ValueError saying what is wrong."""
    source_id, title, artist = (_clean(row.get(c)) for c in REQUIRED_COLUMNS)
    missing = [c for c, v in zip(REQUIRED_COLUMNS, (source_id, title, artist)) if not v]
    if missing:
        raise ValueError(f"empty {', '.join(missing)}")
    country = _clean(row.get("country")).upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError(f"country {country!r} is not a two-letter code")
    genres = sorted({_clean(g).lower() for g in (row.get("genres") or "").split(";") if _clean(g)})
    try:
        recorded_on = _date(_clean(row.get("recorded_on")))
    except ValueError:
        raise ValueError(
            f"recorded_on {row.get('recorded_on')!r} is not YYYY or YYYY-MM-DD"
        ) from None
    try:
        duration = _duration(_clean(row.get("duration")))
    except ValueError:
        raise ValueError(f"duration {row.get('duration')!r} is not seconds or m:ss") from None
    return Record(source_id, title, artist, country, tuple(genres), recorded_on, duration)


def transform(rows):
    """Clean every row; a bad row or a repeated id is rejected, not fatal."""
    out = Transformed()
    seen = {}
    for line, row in rows:
        try:
            record = transform_row(row)
        except ValueError as exc:
            out.rejections.append(Rejection(line, str(exc)))
            continue
        if record.source_id in seen:
            out.rejections.append(
                Rejection(line, f"id {record.source_id} already on line {seen[record.source_id]}")
            )
            continue
        seen[record.source_id] = line
        out.records.append(record)
    return out


def _by_name(model, names):
    """Return {name: instance} for names, creating the missing ones."""
    found = {o.name: o for o in model.objects.filter(name__in=names)}
    missing = [model(name=n) for n in sorted(set(names) - set(found))]
    for o in model.objects.bulk_create(missing):
        found[o.name] = o
    return found


@transaction.atomic
def load(records):
    """Upsert records by source id, in one transaction and a fixed number of
    queries whatever their count."""
    result = LoadResult()
    artists = _by_name(Artist, {r.artist for r in records})
    countries = {r.artist: r.country for r in records if r.country}
    changed_artists = []
    for name, country in countries.items():
        if artists[name].country != country:
            artists[name].country = country
            changed_artists.append(artists[name])
    Artist.objects.bulk_update(changed_artists, ["country"])
    genres = _by_name(Genre, {g for r in records for g in r.genres})

    existing = Recording.objects.filter(source_id__in=[r.source_id for r in records])
    existing = {rec.source_id: rec for rec in existing.prefetch_related("genres")}
    fields = ["title", "artist", "recorded_on", "duration_seconds"]
    new, changed, genre_sets = [], [], {}
    for r in records:
        values = {
            "title": r.title,
            "artist": artists[r.artist],
            "recorded_on": r.recorded_on,
            "duration_seconds": r.duration_seconds,
        }
        rec = existing.get(r.source_id)
        if rec is None:
            rec = Recording(source_id=r.source_id, **values)
            new.append(rec)
            genre_sets[r.source_id] = (rec, r.genres)
            continue
        old_genres = tuple(sorted(g.name for g in rec.genres.all()))
        same = all(getattr(rec, f) == v for f, v in values.items()) and old_genres == r.genres
        if same:
            result.unchanged += 1
            continue
        for f, v in values.items():
            setattr(rec, f, v)
        changed.append(rec)
        genre_sets[r.source_id] = (rec, r.genres)
    Recording.objects.bulk_create(new)
    Recording.objects.bulk_update(changed, fields)

    # Genres of the created and changed recordings, rewritten in two queries.
    through = Recording.genres.through
    through.objects.filter(recording__in=changed).delete()
    through.objects.bulk_create(
        through(recording_id=rec.pk, genre_id=genres[g].pk)
        for rec, names in genre_sets.values()
        for g in names
    )
    result.created, result.updated = len(new), len(changed)
    return result


def run_import(source):
    """Import source and record the run; a failure is recorded and raised."""
    run = ImportRun.objects.create(source=source)
    try:
        transformed = transform(extract(source))
        result = load(transformed.records)
    except Exception as exc:
        run.status = ImportRun.Status.FAILED
        run.error = str(exc) or type(exc).__name__
        run.finished_at = timezone.now()
        run.save()
        logger.error("import failed", extra={"run": run.pk, "source": source, "error": run.error})
        raise
    for rejection in transformed.rejections:
        logger.warning(
            "row rejected",
            extra={"run": run.pk, "line": rejection.line, "reason": rejection.reason},
        )
    run.status = ImportRun.Status.SUCCEEDED
    run.created, run.updated, run.unchanged = result.created, result.updated, result.unchanged
    run.rejected = len(transformed.rejections)
    run.finished_at = timezone.now()
    run.save()
    # The counts go under one key: "created" would clash with LogRecord's.
    logger.info(
        "import done",
        extra={
            "run": run.pk,
            "source": source,
            "counts": {
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "rejected": run.rejected,
            },
        },
    )
    return run
