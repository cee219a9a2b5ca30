"""Tests for geogrid.synthetic: seeded, labelled, plausible synthetic data."""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pytest
import shapely

from geogrid.grids.units import PERSONS_PER_HOUSEHOLD, snap
from geogrid.synthetic import CATEGORY_SHARES, generate_incidents, generate_teams, synthetic_units

METRIC = "EPSG:32635"


@pytest.fixture
def streets() -> gpd.GeoDataFrame:
    lines = [
        shapely.LineString([(24.940, 60.170), (24.950, 60.170)]),
        shapely.LineString([(24.940, 60.170), (24.940, 60.176)]),
        shapely.LineString([(24.950, 60.170), (24.950, 60.176)]),
    ]
    return gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326")


@pytest.fixture
def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kind": ["marketplace", "police", "school"], "name": ["市场", "派出所", "小学"]},
        geometry=[
            shapely.Point(24.945, 60.172),
            shapely.Point(24.941, 60.171),
            shapely.Point(24.949, 60.175),
        ],
        crs="EPSG:4326",
    )


def test_same_seed_same_incidents(streets, places):
    """The generator is deterministic for a seed and differs across seeds."""
    a = generate_incidents(streets, places, METRIC, count=300, seed=7)
    b = generate_incidents(streets, places, METRIC, count=300, seed=7)
    c = generate_incidents(streets, places, METRIC, count=300, seed=8)
    assert a.equals(b)
    assert not a.geometry.geom_equals(c.geometry).all()


def test_incidents_are_labelled_synthetic_and_well_formed(streets, places):
    """Every incident says it is synthetic, has a unique id, a zoned time and a known category."""
    inc = generate_incidents(streets, places, METRIC, count=500, seed=1, tz="Asia/Shanghai")
    assert len(inc) == 500
    assert inc["synthetic"].all()
    assert inc["source"].str.contains("seed=1").all()
    assert inc["id"].is_unique
    assert str(inc.crs) == "EPSG:4326"
    times = [datetime.fromisoformat(t) for t in inc["time"]]
    assert all(
        t.utcoffset() is not None and t.utcoffset().total_seconds() == 8 * 3600 for t in times
    )
    assert times == sorted(times)
    assert set(inc["category"]) <= {c[0] for c in CATEGORY_SHARES}


def test_incidents_lie_near_streets_or_attractors(streets, places):
    """Street incidents stay within the jitter of a street; hot-spot ones cluster at the market."""
    inc = generate_incidents(streets, places, METRIC, count=1000, seed=3, hotspot_share=0.0)
    dist_m = inc.to_crs(METRIC).geometry.distance(streets.to_crs(METRIC).union_all())
    assert dist_m.max() <= 25.0 + 1e-6
    hot = generate_incidents(streets, places, METRIC, count=1000, seed=3, hotspot_share=1.0)
    market = places.to_crs(METRIC).geometry.iloc[0]
    near_market = hot.to_crs(METRIC).geometry.distance(market) < 300
    # police is not an attractor; market (weight 5) outweighs school (weight 1)
    assert near_market.mean() > 0.7


def test_time_span_and_zero_count(streets, places):
    """Times stay inside the requested months; zero incidents give an empty frame."""
    inc = generate_incidents(
        streets, places, METRIC, count=400, seed=2, start="2025-03-01", months=2
    )
    times = [datetime.fromisoformat(t) for t in inc["time"]]
    assert min(times).date().isoformat() >= "2025-03-01"
    assert max(times).date().isoformat() < "2025-05-01"
    assert len(generate_incidents(streets, places, METRIC, count=0)) == 0
    with pytest.raises(ValueError, match="count"):
        generate_incidents(streets, places, METRIC, count=-1)


def test_teams(places):
    """Teams get ids, Chinese names, modes with speeds and a base point; no bases is an error."""
    teams = generate_teams(places, count=3, seed=1)
    assert list(teams["id"]) == ["team-1", "team-2", "team-3"]
    assert teams["name"].str.contains("平安志愿者").all()
    assert set(teams["mode"]) <= {"walk", "bike"}
    assert teams["synthetic"].all()
    with pytest.raises(ValueError, match="no base"):
        generate_teams(places.iloc[0:0])


def test_synthetic_units_are_seeded_snapped_and_counted_like_grid_units() -> None:
    """Same seed, same city of lon/lat blocks in parent strips; geometries already snapped as
    grid units are; population is households x the grids' persons per household."""
    units = synthetic_units(100, seed=4, parents=2)
    again = synthetic_units(100, seed=4, parents=2)
    assert len(units) == 100 and units.index[0] == "s00001" and units.crs.to_epsg() == 4326
    assert units.geometry.geom_equals_exact(again.geometry, tolerance=0).all()
    assert units["households"].equals(again["households"])
    assert set(units["parent_code"]) == {"000000001001", "000000001002"}
    assert snap(units).geometry.geom_equals_exact(units.geometry, tolerance=0).all()
    assert units["population"].tolist() == pytest.approx(
        (units["households"] * PERSONS_PER_HOUSEHOLD).round(1).tolist()
    )


def test_generated_roster_is_seeded_labelled_and_covers_every_grid() -> None:
    """Same seed, same roster; every row synthetic; one worker per grid plus a spare, homes
    inside."""
    import pandas as pd

    from geogrid.synthetic import generate_roster
    from tests.staffing_area import grids

    a, b = generate_roster(grids(), seed=3), generate_roster(grids(), seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a["synthetic"].all()
    assert (a["role"] == "专职网格员").sum() == len(grids()) + 1
    assert set(a["current_grid"].dropna()) == set(grids()["code"])
