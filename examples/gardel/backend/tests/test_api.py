"""The API: shape of the answers, filters, and a query count that does not
grow with the page (select_related/prefetch_related)."""
import pytest

from catalog.models import Artist, Genre, Recording


@pytest.fixture
def catalog(db):
    gardel = Artist.objects.create(name="Carlos Gardel", country="AR")
    canaro = Artist.objects.create(name="Francisco Canaro", country="UY")
    tango, film = Genre.objects.create(name="tango"), Genre.objects.create(name="film")
    volver = Recording.objects.create(source_id="r1", title="Volver", artist=gardel)
    volver.genres.set([tango, film])
    cumparsita = Recording.objects.create(source_id="r2", title="La cumparsita", artist=canaro)
    cumparsita.genres.set([tango])
    return gardel, canaro, tango, film


def test_recordings(client, catalog):
    resp = client.get("/api/recordings/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 2
    volver = next(r for r in body["results"] if r["source_id"] == "r1")
    assert volver["artist"] == "Carlos Gardel"
    assert sorted(volver["genres"]) == ["film", "tango"]


@pytest.mark.parametrize(
    "query, want",
    [
        pytest.param("artist=carlos gardel", ["Volver"], id="artist, any case"),
        pytest.param("genre=Tango", ["La cumparsita", "Volver"], id="genre"),
        pytest.param("genre=film", ["Volver"], id="genre of one"),
        pytest.param("artist=nobody", [], id="no match"),
    ],
)
def test_recordings_filters(client, catalog, query, want):
    resp = client.get(f"/api/recordings/?{query}")
    assert sorted(r["title"] for r in resp.json()["results"]) == want


def test_recordings_queries_do_not_grow_with_the_page(client, catalog, django_assert_num_queries):
    gardel, _, tango, film = catalog
    for i in range(30):
        rec = Recording.objects.create(source_id=f"x{i}", title=f"Song {i}", artist=gardel)
        rec.genres.set([tango, film])
    # The count, the page with its artists, the page's genres.
    with django_assert_num_queries(3):
        resp = client.get("/api/recordings/")
    assert len(resp.json()["results"]) == 32


def test_artists_count_recordings(client, catalog):
    resp = client.get("/api/artists/")
    assert resp.status_code == 200
    got = {a["name"]: a["recording_count"] for a in resp.json()["results"]}
    assert got == {"Carlos Gardel": 1, "Francisco Canaro": 1}


def test_api_is_read_only(client, catalog):
    resp = client.post("/api/recordings/", {"title": "x"}, content_type="application/json")
    assert resp.status_code == 405
