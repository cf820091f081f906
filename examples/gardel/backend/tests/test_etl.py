"""The ETL service, tested directly (the task only calls it)."""
import http.server
import logging
import threading
from datetime import date

import pytest

from catalog.models import Artist, ImportRun, Recording
from catalog.services import etl


def row(**values):
    base = {"id": "r1", "title": "Volver", "artist": "Carlos Gardel"}
    base.update(values)
    return base


@pytest.mark.parametrize(
    "values, want",
    [
        pytest.param({}, etl.Record("r1", "Volver", "Carlos Gardel"), id="required only"),
        pytest.param(
            {
                "title": "  Por una   cabeza ",
                "country": "ar",
                "genres": "Tango; film;;tango",
                "recorded_on": "1935-03-19",
                "duration": "3:12",
            },
            etl.Record(
                "r1",
                "Por una cabeza",
                "Carlos Gardel",
                "AR",
                ("film", "tango"),
                date(1935, 3, 19),
                192,
            ),
            id="cleaned",
        ),
        pytest.param(
            {"recorded_on": "1917", "duration": "185"},
            etl.Record(
                "r1", "Volver", "Carlos Gardel", recorded_on=date(1917, 1, 1), duration_seconds=185
            ),
            id="year only and seconds",
        ),
    ],
)
def test_transform_row(values, want):
    assert etl.transform_row(row(**values)) == want


@pytest.mark.parametrize(
    "values, reason",
    [
        pytest.param({"title": " "}, "empty title", id="empty title"),
        pytest.param({"id": "", "artist": ""}, "empty id, artist", id="empty id and artist"),
        pytest.param({"country": "ARG"}, "two-letter", id="bad country"),
        pytest.param({"recorded_on": "19/03/1935"}, "recorded_on", id="bad date"),
        pytest.param({"duration": "3:75"}, "duration", id="seconds past 59"),
        pytest.param({"duration": "three"}, "duration", id="not a duration"),
    ],
)
def test_transform_row_rejects(values, reason):
    with pytest.raises(ValueError, match=reason):
        etl.transform_row(row(**values))


def test_transform_keeps_good_rows_and_explains_bad_ones():
    rows = [
        (2, row()),
        (3, row(title="")),
        (4, row(title="Volver again")),
        (5, row(id="r2")),
    ]
    got = etl.transform(rows)
    assert [r.source_id for r in got.records] == ["r1", "r2"]
    assert got.rejections == [
        etl.Rejection(3, "empty title"),
        etl.Rejection(4, "id r1 already on line 2"),
    ]


def test_extract_file(csv_file):
    path = csv_file(
        "r1,Volver,Carlos Gardel,AR,tango,1935,3:00\n\nr2,Yira yira,Carlos Gardel,,,,\n"
    )
    got = etl.extract(path)
    assert [(line, r["id"], r["title"]) for line, r in got] == [
        (2, "r1", "Volver"),
        (4, "r2", "Yira yira"),
    ]


def test_extract_reads_bom_and_header_case(csv_file):
    path = csv_file("r1,Volver,Carlos Gardel\n", header="\ufeffID,Title,Artist\n")
    assert etl.extract(path) == [(2, {"id": "r1", "title": "Volver", "artist": "Carlos Gardel"})]


def test_extract_missing_columns(csv_file):
    path = csv_file("1,Volver\n", header="id,name\n")
    with pytest.raises(etl.SourceError, match="missing column.*title, artist"):
        etl.extract(path)


def test_extract_http(csv_file):
    body = b"id,title,artist\nr1,Volver,Carlos Gardel\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        got = etl.extract(f"http://127.0.0.1:{server.server_port}/recordings.csv")
    finally:
        server.shutdown()
        server.server_close()
    assert got == [(2, {"id": "r1", "title": "Volver", "artist": "Carlos Gardel"})]


def records(*specs):
    return [etl.Record(*spec) for spec in specs]


@pytest.mark.django_db
def test_load_creates_then_updates_then_leaves_alone():
    first = records(
        ("r1", "Volver", "Carlos Gardel", "AR", ("film", "tango"), date(1935, 3, 19), 180),
        ("r2", "La cumparsita", "Francisco Canaro", "UY", ("tango",), None, None),
    )
    assert etl.load(first) == etl.LoadResult(created=2)
    assert Artist.objects.get(name="Francisco Canaro").country == "UY"
    volver = Recording.objects.get(source_id="r1")
    assert sorted(g.name for g in volver.genres.all()) == ["film", "tango"]

    assert etl.load(first) == etl.LoadResult(unchanged=2)

    second = records(
        ("r1", "Volver", "Carlos Gardel", "FR", ("tango",), date(1935, 3, 19), 181),
        ("r2", "La cumparsita", "Francisco Canaro", "UY", ("tango",), None, None),
        ("r3", "Mano a mano", "Carlos Gardel", "", (), date(1923, 1, 1), None),
    )
    assert etl.load(second) == etl.LoadResult(created=1, updated=1, unchanged=1)
    volver.refresh_from_db()
    assert volver.duration_seconds == 181
    assert [g.name for g in volver.genres.all()] == ["tango"]
    # An empty country in the source does not erase a known one.
    assert Artist.objects.get(name="Carlos Gardel").country == "FR"
    assert Recording.objects.count() == 3


@pytest.mark.django_db
def test_load_queries_do_not_grow_with_rows(django_assert_max_num_queries):
    many = records(
        *[
            (f"r{i}", f"Song {i}", f"Artist {i % 7}", "AR", ("tango", f"g{i % 3}"), None, i)
            for i in range(60)
        ]
    )
    with django_assert_max_num_queries(12):
        etl.load(many)
    changed = [etl.Record(r.source_id, r.title + "!", r.artist, r.country, r.genres) for r in many]
    with django_assert_max_num_queries(14):
        assert etl.load(changed).updated == 60


@pytest.mark.django_db
def test_run_import_records_the_run(csv_file, caplog):
    # At INFO, so that the log calls and their extra fields run too.
    caplog.set_level(logging.INFO, logger="catalog.services.etl")
    path = csv_file("r1,Volver,Carlos Gardel,AR,tango,1935,3:00\nr2,,Nobody,,,,\n")
    run = etl.run_import(path)
    assert (run.status, run.created, run.updated, run.rejected) == ("succeeded", 1, 0, 1)
    assert run.finished_at is not None
    done = [r for r in caplog.records if r.getMessage() == "import done"]
    assert done[0].counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    rejected = [r for r in caplog.records if r.getMessage() == "row rejected"]
    assert [(r.line, r.reason) for r in rejected] == [(3, "empty title")]


@pytest.mark.django_db
def test_run_import_records_a_failure(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="catalog.services.etl")
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):
        etl.run_import(missing)
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "nope.csv" in run.error


@pytest.mark.django_db
def test_sample_data_imports_cleanly(settings):
    run = etl.run_import(settings.GARDEL_IMPORT_SOURCE)
    assert (run.status, run.rejected) == ("succeeded", 0)
    assert run.created == Recording.objects.count() > 0
