"""geogrid.grids.codes: codes north to south, west to east; unchanged grids keep theirs."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geogrid import grids as G
from geogrid.grids.codes import free_codes
from tests.grids_area import UTM_50N, buildings, communities, outline, street_frames, units_frame

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


def test_codes_run_north_to_south_then_west_to_east() -> None:
    """Two grids side by side: the western one is 001; a northern row comes before a southern
    one."""
    units = units_frame([(0, 0, 400), (1, 0, 400)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    west = plan.units.loc["u0", "grid"]
    assert west.endswith("001") and plan.units.loc["u1", "grid"].endswith("002")
    units = units_frame([(0, 0, 400), (0, 1, 400)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    assert plan.units.loc["u1", "grid"].endswith("001")  # row 1 is north of row 0


def test_unchanged_grids_keep_their_codes(plan: G.GridPlan, blocks: gpd.GeoDataFrame) -> None:
    """Rebuilding with the previous grids as reference keeps the code of every unchanged grid."""
    renamed = plan.grids.copy()
    renamed["code"] = [f"{p}9{i:02d}" for i, p in enumerate(renamed["parent_code"])]
    again = G.build_grids(blocks, UTM_50N, seed=0, previous=renamed)
    assert sorted(again.grids["code"]) == sorted(renamed["code"])


def test_free_codes_skip_used_codes_lowest_first() -> None:
    """Free codes count up from 001 past the codes in use, and skip codes taken meanwhile."""
    used = {"P001", "P003"}
    free = free_codes("P", used)
    assert next(free) == "P002"
    used.add("P004")
    assert next(free) == "P005"
