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


def test_per_worker_names_the_buildings_in_and_out(plan: G.GridPlan) -> None:
    """Each grid worker sees which buildings (ids, households) leave and join their grids."""
    a, b = plan.grids["code"].iloc[:2]
    grids = plan.grids.copy()
    grids["worker"] = grids["code"].map({a: "张伟", b: "李娜"})
    staffed = G.GridPlan(units=plan.units, grids=grids, metric_crs=plan.metric_crs)
    unit = plan.units.index[(plan.units["grid"] == a) & (plan.units["households"] > 0)][0]
    moved = G.reassign_units(staffed, [unit], b)
    diff = G.compare_grids(grids, moved.grids, buildings(), UTM_50N)
    table = diff.per_worker.set_index(["worker", "direction"])
    out, into = table.loc[("张伟", "out")], table.loc[("李娜", "in")]
    assert (out["code"], into["code"]) == (a, b) and out["kind"] == "building"
    assert out["households"] == into["households"] == plan.units.loc[unit, "households"]
    assert out["ids"] == into["ids"] and out["count"] == len(out["ids"].split(";")) >= 1
    assert any(line.startswith("worker 张伟: ") for line in diff.summary())


def test_worker_changes_of_grids_without_a_worker() -> None:
    """A grid without a worker is listed under '(no worker)'; moves into no grid are left out."""
    import pandas as pd

    moves = pd.DataFrame(
        {
            "id": ["u1", "u2", "u3"],
            "from_code": ["A", "A", "B"],
            "to_code": ["B", "B", None],
            "households": [10, 20, 5],
        }
    )
    table = G.worker_changes(moves, {"A": "王芳"}, {}, "unit")
    assert table[["worker", "code", "direction", "count", "households", "ids"]].values.tolist() == [
        ["(no worker)", "B", "in", 2, 30, "u1;u2"],
        ["(no worker)", "B", "out", 1, 5, "u3"],
        ["王芳", "A", "out", 2, 30, "u1;u2"],
    ]
