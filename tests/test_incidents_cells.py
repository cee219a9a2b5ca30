"""Tests for geogrid.incidents.cells: fast point-in-polygon against shapely."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid import incidents as inc
from tests.incidents_data import voronoi_cells


def test_assign_cells_agrees_with_shapely_contains():
    """Fast point-in-polygon gives the same polygon as a plain contains test; outside -> -1."""
    cells = voronoi_cells(60)
    rng = np.random.default_rng(5)
    x = rng.uniform(116.32, 116.38, 4000)
    y = rng.uniform(39.97, 40.02, 4000)
    got = inc.assign_cells(x, y, cells.geometry.to_numpy())
    expected = np.full(len(x), -1)
    for i, poly in enumerate(cells.geometry):
        expected[shapely.contains_xy(poly, x, y)] = i
    assert (got == expected).mean() > 0.999  # only exact-edge points may differ
    assert (got[expected == -1] == -1).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_cells=st.integers(1, 40), n_points=st.integers(0, 3000))
def test_assign_cells_matches_contains_for_any_layout(seed, n_cells, n_points):
    """For any Voronoi grid and point cloud, each point gets the polygon that contains it
    (or -1), whatever the number of points (the bucket raster scales with it)."""
    cells = (
        voronoi_cells(n_cells, seed=seed)
        if n_cells > 1
        else gpd.GeoDataFrame(geometry=[shapely.box(116.33, 39.98, 116.37, 40.01)], crs="EPSG:4326")
    )
    rng = np.random.default_rng(seed)
    x = rng.uniform(116.32, 116.38, n_points)
    y = rng.uniform(39.97, 40.02, n_points)
    got = inc.assign_cells(x, y, cells.geometry.to_numpy())
    inside = np.zeros((len(cells), n_points), dtype=bool)
    for i, poly in enumerate(cells.geometry):
        inside[i] = shapely.contains_xy(poly, x, y)
    assert (inside.sum(axis=0) <= 1).all()
    expected = np.where(inside.any(axis=0), inside.argmax(axis=0), -1)
    assert (got == expected).all()
