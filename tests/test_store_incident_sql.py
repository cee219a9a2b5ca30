"""geogrid.store.incident_sql: the grid of every incident in PostGIS, set-based.

The rule is the store's: the first current grid in layer order that covers the
incident (``ST_Covers``), none when no grid covers it. Checked on points at shared
grid corners (covered by two or more grids, so the layer order decides), points
outside every grid and seeded SYNTHETIC random points, against
:func:`geogrid.store.folder.covering_grid` (GEOS) and the in-memory
:func:`geogrid.incidents.assign_cells`. Needs PostgreSQL + PostGIS
(GEOGRID_TEST_DB, started by scripts/test.sh); skips with the reason otherwise.
"""

from __future__ import annotations

import uuid
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text
from store_db import area_copy, make_template

from geogrid.errors import InputError
from geogrid.incidents import assign_cells
from geogrid.store import incident_sql
from geogrid.store.folder import covering_grid
from geogrid.store.postgis import PostgisStore


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return make_template(tmp_path_factory.mktemp("incident_sql") / "template")


@pytest.fixture
def db(template, tmp_path) -> tuple[PostgisStore, str]:
    store, name = area_copy(template, "postgis", tmp_path)
    assert isinstance(store, PostgisStore)
    return store, name


def shared_corners(grids: gpd.GeoDataFrame) -> np.ndarray:
    """Vertices that belong to two or more grids (exactly on both edges), as x, y rows."""
    counts: Counter[tuple[float, float]] = Counter()
    for geom in grids.geometry:
        counts.update({tuple(xy) for xy in shapely.get_coordinates(geom).tolist()})
    return np.array([xy for xy, n in counts.items() if n >= 2])


def synthetic_incidents(xy: np.ndarray, prefix: str = "P") -> gpd.GeoDataFrame:
    """SYNTHETIC incidents at the given points, one hour apart from 2024-03-01 (Shanghai)."""
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i:05d}" for i in range(n)],
            "time": [
                pd.Timestamp("2024-03-01", tz="Asia/Shanghai") + pd.Timedelta(hours=i)
                for i in range(n)
            ],
            "category": ["theft", "fraud"] * (n // 2) + ["theft"] * (n % 2),
            "synthetic": True,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:4326",
    )


def random_points(grids: gpd.GeoDataFrame, n: int, seed: int) -> np.ndarray:
    """Seeded SYNTHETIC points over the grids' box, a margin outside it included."""
    west, south, east, north = grids.total_bounds
    pad_x, pad_y = 0.05 * (east - west), 0.05 * (north - south)
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.uniform(west - pad_x, east + pad_x, n),
            rng.uniform(south - pad_y, north + pad_y, n),
        ]
    )


def test_shared_corners_go_to_the_first_grid_in_layer_order(db) -> None:
    """Points at corners shared by several grids get the first covering grid in layer order;
    with the layer reversed (all of the area re-assigned) they get the other one; points
    outside every grid get none, interior points keep theirs."""
    store, name = db
    grids = store.read_layer(name, "grids")
    assert grids is not None and len(grids) >= 4
    corners = shared_corners(grids)
    assert len(corners) >= 4
    west, south, east, north = grids.total_bounds
    outside = np.array([[west - 0.01, south - 0.01], [east + 0.01, north + 0.01]])
    inside = shapely.get_coordinates(grids.geometry.representative_point().to_numpy())
    points = synthetic_incidents(np.vstack([corners, outside, inside]))
    store.add_incidents(name, points, author="t")
    read = store.read_incidents(name)
    assert read["grid"].tolist() == covering_grid(read, grids)
    assert read["grid"].iloc[len(corners) : len(corners) + 2].isna().all()

    backwards = grids.iloc[::-1].reset_index(drop=True)
    store.write_layer(name, "grids", backwards, author="t", message="reversed")
    again = store.read_incidents(name)
    assert again["grid"].tolist() == covering_grid(again, backwards)
    moved = (again["grid"] != read["grid"]) & read["grid"].notna()
    assert moved.iloc[: len(corners)].all(), "every shared corner changes hands"
    assert not moved.iloc[len(corners) :].any()


def test_random_points_match_the_in_memory_assignment_and_counts(db) -> None:
    """Seeded SYNTHETIC random points get, cell for cell, the grid of the in-memory path
    (assign_cells); a second re-assignment changes no row; monthly counts per grid and
    category equal pandas' count of the same rows."""
    store, name = db
    grids = store.read_layer(name, "grids")
    assert grids is not None
    xy = random_points(grids, 3000, seed=5)
    store.add_incidents(name, synthetic_incidents(xy, "R"), author="t")
    read = store.read_incidents(name)
    idx = assign_cells(xy[:, 0], xy[:, 1], grids.geometry.to_numpy())
    codes = grids["code"].to_numpy()
    expected = [codes[i] if i >= 0 else None for i in idx]
    got = [g if isinstance(g, str) else None for g in read["grid"]]
    assert got == expected
    assert 0 < sum(g is None for g in got) < len(got)
    with store.engine.begin() as conn:
        area_id = conn.scalar(text("SELECT id FROM areas WHERE name = :n"), {"n": name})
        assert incident_sql.assign_grids(conn, area_id) == 0
        counts = incident_sql.monthly_counts(conn, area_id, "Asia/Shanghai")
    month = pd.to_datetime(read["time"], format="ISO8601", utc=True).dt.tz_convert("Asia/Shanghai")
    frame = pd.DataFrame(
        {"grid": read["grid"], "month": month.dt.strftime("%Y-%m"), "cat": read["category"]}
    ).dropna()
    pandas_counts = frame.groupby(["grid", "month", "cat"]).size().to_dict()
    assert {(g, m.strftime("%Y-%m"), c): n for g, m, c, n in counts} == pandas_counts


def test_staged_rows_are_assigned_in_bulk_and_inserted(db) -> None:
    """A staging table (with its GiST index) assigned by CREATE TABLE AS and moved into
    incidents gives the same grids as the store's own rule, shared corners included."""
    store, name = db
    grids = store.read_layer(name, "grids")
    assert grids is not None
    xy = np.vstack([shared_corners(grids), random_points(grids, 500, seed=9)])
    staged = synthetic_incidents(xy, "B")
    store.add_incidents(name, staged.iloc[:1], author="t")  # the layer and its month exist
    tag = uuid.uuid4().hex[:8]
    staging, codes = f"t_stage_{tag}", f"t_codes_{tag}"
    with store.engine.begin() as conn:
        area_id = conn.scalar(text("SELECT id FROM areas WHERE name = :n"), {"n": name})
        conn.execute(
            text(
                f"CREATE TABLE {staging} (id text, time timestamptz, ord bigint, "
                "category text, feature json, geom geometry(Point, 4326))"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {staging} SELECT CAST(:id AS text), :time, :ord, "
                "CAST(:cat AS text), json_build_object('type', 'Feature', 'properties', "
                "json_build_object('id', CAST(:id AS text), 'time', CAST(:iso AS text), "
                "'category', CAST(:cat AS text), 'synthetic', true)), "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
            ),
            [
                {
                    "id": r.id,
                    "time": r.time.to_pydatetime(),
                    "iso": r.time.isoformat(),
                    "ord": k,
                    "cat": r.category,
                    "x": r.geometry.x,
                    "y": r.geometry.y,
                }
                for k, r in enumerate(staged.iloc[1:].itertuples(), start=1)
            ],
        )
        conn.execute(text(f"CREATE INDEX ON {staging} USING gist (geom)"))
        incident_sql.assign_staged(conn, area_id, staging, codes)
        staged_counts = incident_sql.monthly_counts(conn, area_id, "Asia/Shanghai", codes=codes)
        assert incident_sql.insert_staged(conn, area_id, staging, codes) == len(staged) - 1
        conn.execute(text(f"DROP TABLE {staging}, {codes}"))
    read = store.read_incidents(name)
    assert read["id"].tolist() == staged["id"].tolist()
    assert read["grid"].tolist() == covering_grid(read, grids)
    rest = read.iloc[1:].dropna(subset=["grid"])
    month = pd.to_datetime(rest["time"], format="ISO8601", utc=True).dt.tz_convert("Asia/Shanghai")
    expected = Counter(zip(rest["grid"], month.dt.strftime("%Y-%m"), rest["category"], strict=True))
    assert {(g, m.strftime("%Y-%m"), c): n for g, m, c, n in staged_counts} == expected


def test_table_names_are_checked(db) -> None:
    """A staging table name that is not a plain identifier is refused, naming it."""
    store, _ = db
    with pytest.raises(InputError, match="'x; DROP'"), store.engine.begin() as conn:
        incident_sql.assign_staged(conn, 1, "x; DROP", "t_out")
