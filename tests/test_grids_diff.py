"""geogrid.grids.diff: who moved where between versions; the per-grid report."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from geogrid import grids as G
from tests.grids_area import UTM_50N, buildings, communities, outline, street_frames

BOUNDARY = gpd.GeoDataFrame(geometry=[outline()], crs=UTM_50N).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def blocks() -> gpd.GeoDataFrame:
    """Street blocks of the synthetic 7 x 5 grid with households, split by two communities."""
    _, edges = street_frames()
    units = G.units_from_streets(BOUNDARY, edges, UTM_50N, communities())
    return G.count_households(units, buildings(), UTM_50N)


@pytest.fixture(scope="module")
def plan(blocks: gpd.GeoDataFrame) -> G.GridPlan:
    """Grids of the synthetic blocks, band 300-500, seed 0."""
    return G.build_grids(blocks, UTM_50N, seed=0)


def test_compare_reports_who_moved_where(plan: G.GridPlan) -> None:
    """Moving a unit shows its buildings' households moving from the old grid to the new one."""
    a, b = plan.grids["code"].iloc[:2]
    unit = plan.units.index[(plan.units["grid"] == a) & (plan.units["households"] > 0)][0]
    moved = G.reassign_units(plan, [unit], b)
    diff = G.compare_grids(plan.grids, moved.grids, buildings(), UTM_50N)
    row = diff.moves.iloc[0]
    assert (row["from_code"], row["to_code"]) == (a, b)
    assert row["households"] == plan.units.loc[unit, "households"]
    per = diff.per_grid.set_index("code")
    assert per.at[a, "households_delta"] == -row["households"]
    assert per.at[b, "gained"] == row["households"]
    assert any("moved from" in line for line in diff.summary())


def test_report_has_one_row_per_grid_with_neighbours(plan: G.GridPlan) -> None:
    """The per-grid report lists households, area, compactness and neighbour codes."""
    report = G.grid_report(plan.grids, UTM_50N)
    assert list(report["code"]) == list(plan.grids["code"])
    assert report["area_m2"].sum() == pytest.approx(outline().area, rel=1e-4)
    assert (report["neighbours"].str.len() > 0).all()
    assert np.isclose(report["polsby_popper"], plan.grids["polsby_popper"], atol=1e-3).all()
