"""The PostGIS backend: concurrent planners, monthly incident partitions, spatial indexes.

The behaviour both backends share is proven by the conformance suite
(tests/test_store_base.py); these tests need PostgreSQL + PostGIS
(GEOGRID_TEST_DB, started by scripts/test.sh) and skip with the reason otherwise.
"""

from __future__ import annotations

import threading

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text
from store_db import area_copy, make_template
from test_store_base import incidents_in

from geogrid.errors import ConflictError
from geogrid.store.base import HEAD
from geogrid.store.postgis import PostgisStore, sqlalchemy_url


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return make_template(tmp_path_factory.mktemp("postgis") / "template")


@pytest.fixture
def db(template, tmp_path) -> tuple[PostgisStore, str]:
    store, name = area_copy(template, "postgis", tmp_path)
    assert isinstance(store, PostgisStore)
    return store, name


def _race(work) -> list[object]:
    """Run ``work(i)`` in two threads released together; their results or errors."""
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as err:
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_planners_saving_at_once_one_wins_one_conflicts(db) -> None:
    """Two planners who loaded v1 save at the same moment (two threads, two connections):
    exactly one becomes v2, the other gets ConflictError, and nothing is lost."""
    store, name = db
    _, grids, units = store.load_version(name)
    edits = [grids.assign(worker=f"planner{i}") for i in range(2)]

    results = _race(
        lambda i: store.save_version(
            name, edits[i], units, author=f"planner{i}", message=f"edit {i}", parent=1
        )
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    winner = wins[0]
    assert winner.id == 2 and winner.parent == 1
    assert winner.author in str(conflicts[0])
    saved, head = store.list_versions(name)
    assert [v.id for v in saved] == [1, 2] and head == 2
    assert store.read_layer(name, "grids")["worker"].eq(winner.author).all()
    assert store.load_version(name, 1)[1]["code"].tolist() == grids["code"].tolist()


def test_saves_on_top_of_head_at_once_both_land(db) -> None:
    """Two saves that take whatever is current both land, as v2 and v3, never the same id."""
    store, name = db
    _, grids, units = store.load_version(name)
    results = _race(
        lambda i: store.save_version(name, grids, units, author=f"p{i}", message="m", parent=HEAD)
    )
    assert sorted(r.id for r in results) == [2, 3]  # type: ignore[union-attr]
    saved, head = store.list_versions(name)
    assert head == 3 and [v.parent for v in saved] == [None, 1, 2]


def test_incidents_are_partitioned_by_month_made_on_insert(db) -> None:
    """Incidents go to one partition per month, made when the first incident of a month
    arrives; a month twice is fine; the geometry columns have GiST indexes."""
    store, name = db
    _, grids, _ = store.load_version(name)
    store.add_incidents(name, incidents_in(grids, n=12, start="2031-01-05"))
    with store.engine.connect() as conn:
        parts = set(
            conn.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'incidents'::regclass"
                )
            )
        )
        assert {"incidents_p203101", "incidents_p203102", "incidents_p203104"} <= parts
        per_month = {
            r[0]: r[1]
            for r in conn.execute(
                text(
                    "SELECT tableoid::regclass::text, count(*) FROM incidents "
                    "WHERE area_id = (SELECT id FROM areas WHERE name = :n) GROUP BY 1"
                ),
                {"n": name},
            )
        }
        assert sum(per_month.values()) == 12 and len(per_month) >= 4
        gist = set(
            conn.scalars(
                text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")
            )
        )
        assert {"features", "grid_cells", "grid_units", "incidents", "teams"} <= gist
    more = incidents_in(grids, n=3, start="2031-01-06").assign(id=["X1", "X2", "X3"])
    assert store.add_incidents(name, more) == (3, 15)


def test_grid_assignment_uses_st_covers(db) -> None:
    """An incident on the edge between two grids belongs to the first of them (ST_Covers,
    layer order), as in the folder store; one outside every grid has none."""
    store, name = db
    _, grids, _ = store.load_version(name)
    edge = grids.geometry.iloc[0].exterior.coords[0]
    points = incidents_in(grids, n=2)
    points = points.set_geometry([shapely.Point(edge), shapely.Point(0.0, 0.0)], crs="EPSG:4326")
    store.add_incidents(name, points)
    got = store.read_incidents(name)["grid"].tolist()
    covering = [
        c
        for c, g in zip(grids["code"], grids.geometry, strict=True)
        if g.covers(points.geometry.iloc[0])
    ]
    assert got == [covering[0], None]


def test_url_spellings() -> None:
    """postgresql:// and postgres:// URLs get the psycopg 3 driver; others stay."""
    assert sqlalchemy_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_two_layer_writes_from_one_revision_one_wins_one_conflicts(db) -> None:
    """Two imports that read a layer at the same revision write it at the same moment (two
    threads, two connections): one lands, the other gets ConflictError naming the winner
    and its message; the layer is the winner's and the replaced one is in the history."""
    store, name = db
    grids = store.read_layer(name, "grids")
    point = grids.geometry.iloc[0].representative_point()
    schools = [
        gpd.GeoDataFrame(
            {"id": ["s1"], "name": [f"school {i}"], "kind": "school"},
            geometry=[point],
            crs="EPSG:4326",
        )
        for i in range(3)
    ]
    store.write_layer(name, "schools", schools[2], author="setup", message="first")
    revision = store.layer_revision(name, "schools")
    results = _race(
        lambda i: store.write_layer(
            name, "schools", schools[i], author=f"office{i}", message=f"import {i}",
            expected=revision,
        )
    )  # fmt: skip
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(conflicts) == 1 and results.count(None) == 1, results
    winner = results.index(None)
    assert f"office{winner}" in str(conflicts[0]) and f"import {winner}" in str(conflicts[0])
    assert store.read_layer(name, "schools")["name"].tolist() == [f"school {winner}"]
    history = store.layer_history(name, "schools")
    assert [h["author"] for h in history] == [f"office{winner}"]
    assert store.layer_revision(name, "schools") == revision + 1
