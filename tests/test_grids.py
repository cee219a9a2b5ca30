"""geogrid.grids: base units, banded partition, codes, validation, edits, diff, report."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geogrid import grids as G
from geogrid.errors import InputError
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


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return frame.to_crs(UTM_50N).geometry


def test_street_blocks_cover_the_boundary_without_overlap(blocks: gpd.GeoDataFrame) -> None:
    """35 blocks of 100 m x 100 m, summing to the boundary's area, each in one community."""
    areas = _metric(blocks).area
    assert len(blocks) == 35
    assert areas.sum() == pytest.approx(outline().area, rel=1e-6)
    assert shapely.union_all(_metric(blocks).to_numpy()).area == pytest.approx(outline().area, rel=1e-6)
    assert set(blocks["parent_code"]) == {"110108001001", "110108001002"}
    assert (blocks["parent_code"] == "110108001001").sum() == 20


def test_households_are_counted_once_per_building(blocks: gpd.GeoDataFrame) -> None:
    """Every building's households land in exactly one block; population = households x 2.62."""
    assert blocks["households"].sum() == buildings()["households"].sum()
    assert blocks["population"].sum() == pytest.approx(blocks["households"].sum() * 2.62, abs=1)


def test_build_grids_holds_the_band_nests_and_is_contiguous(plan: G.GridPlan) -> None:
    """All grids hold 300-500 households, are one polygon, stay in one community, codes nest."""
    grids = plan.grids
    assert plan.problems == []
    assert grids["households"].between(300, 500).all()
    assert (grids.geometry.geom_type == "Polygon").all()
    for row in grids.itertuples():
        members = plan.units[plan.units["grid"] == row.code]
        assert set(members["parent_code"]) == {row.parent_code}
        assert row.code.startswith(row.parent_code) and len(row.code) == 15
    assert grids["polsby_popper"].between(0, 1).all()
    assert grids["households"].sum() == plan.units["households"].sum()


def test_codes_run_north_to_south_then_west_to_east() -> None:
    """Two grids side by side: the western one is 001; a northern row comes before a southern one."""
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


def test_unit_over_the_max_and_island_under_the_min_are_named() -> None:
    """A unit over the max is its own grid; an island under the min is reported with its units."""
    units = units_frame([(0, 0, 700), (1, 0, 200), (2, 0, 200), (5, 0, 100)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    text = "\n".join(plan.problems)
    assert "unit u0" in text and "over the max 500" in text
    assert "u3" in text
    assert plan.units["grid"].notna().all()  # still a full plan


def test_locked_grids_are_kept_and_take_no_units(plan: G.GridPlan, blocks: gpd.GeoDataFrame) -> None:
    """A locked grid keeps exactly its units and code when the rest is re-gridded with another seed."""
    code = plan.grids["code"].iloc[0]
    units = blocks.copy()
    units["grid"] = plan.units["grid"]
    again = G.build_grids(units, UTM_50N, seed=5, locked_grids=[code])
    before = set(plan.units.index[plan.units["grid"] == code])
    after = set(again.units.index[again.units["grid"] == code])
    assert before == after


def test_band_must_not_be_empty() -> None:
    """Band(500, 300) is refused with a message saying how to give it."""
    with pytest.raises(InputError, match="min <= max"):
        G.Band(500, 300)


@st.composite
def cities(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, int]:
    n = draw(st.integers(min_value=60, max_value=160))
    seed = draw(st.integers(min_value=0, max_value=10_000))
    parents = draw(st.integers(min_value=1, max_value=2))
    return G.synthetic_units(n, seed=seed, parents=parents), seed


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cities(), st.integers(min_value=0, max_value=3))
def test_grids_partition_the_units(city: tuple[gpd.GeoDataFrame, int], seed: int) -> None:
    """Property: grids cover the city, never overlap, every household is in exactly one grid,
    every grid nests in one parent, and the same seed gives the same grids."""
    units, _ = city
    plan = G.build_grids(units, "EPSG:32650", seed=seed, restarts=1)
    assert plan.units["grid"].notna().all()
    assert plan.grids["households"].sum() == units["households"].sum()
    metric = plan.grids.to_crs("EPSG:32650").geometry
    total = units.to_crs("EPSG:32650").area.sum()
    assert metric.area.sum() == pytest.approx(total, rel=1e-4)
    assert shapely.union_all(metric.to_numpy()).area == pytest.approx(total, rel=1e-4)
    for code, group in plan.units.groupby("grid"):
        assert group["parent_code"].nunique() == 1, code
    again = G.build_grids(units, "EPSG:32650", seed=seed, restarts=1)
    pd.testing.assert_series_equal(plan.units["grid"], again.units["grid"])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cities(), st.integers(min_value=0, max_value=3), st.data())
def test_locked_units_never_move(city: tuple[gpd.GeoDataFrame, int], seed: int, data: st.DataObject) -> None:
    """Property: units locked to their grid are still in a grid with that code after re-gridding."""
    units, _ = city
    first = G.build_grids(units, "EPSG:32650", seed=seed, restarts=1)
    picks = data.draw(st.lists(st.sampled_from(list(units.index)), min_size=1, max_size=4, unique=True))
    with_grid = units.copy()
    with_grid["grid"] = first.units["grid"]
    second = G.build_grids(with_grid, "EPSG:32650", seed=seed + 1, locked_units=picks, restarts=1)
    for unit in picks:
        if not any("ended in one grid" in p for p in second.problems):
            assert second.units.loc[unit, "grid"] == first.units.loc[unit, "grid"]
        assert bool(second.units.loc[unit, "locked"])


def test_synthetic_city_of_600_blocks_is_fully_in_band() -> None:
    """On 600 synthetic blocks every grid holds 300-500 households."""
    units = G.synthetic_units(600, seed=3)
    plan = G.build_grids(units, "EPSG:32650", seed=0)
    assert plan.grids["households"].between(300, 500).all()
    assert plan.problems == []


def test_refine_units_splits_blocks_over_the_max() -> None:
    """A block over the max becomes one cell per building; households are kept."""
    units = units_frame([(0, 0, 0)])
    units["parent_code"] = "000000000000"
    houses = buildings()
    houses = houses[houses.to_crs(UTM_50N).geometry.centroid.x < 440_100]
    houses = houses[houses.to_crs(UTM_50N).geometry.centroid.y < 4_425_100]
    counted = G.count_households(units, houses, UTM_50N)
    refined = G.refine_units(counted, houses, UTM_50N, max_households=10)
    assert len(refined) == 2
    assert refined["households"].sum() == counted["households"].sum()


def test_units_from_buildings_cover_the_boundary() -> None:
    """Voronoi cells of buildings cover the boundary and keep each building's id."""
    units = G.units_from_buildings(buildings(), BOUNDARY, UTM_50N)
    assert len(units) == len(buildings())
    assert _metric(units).area.sum() == pytest.approx(outline().area, rel=1e-6)


def test_household_table_sets_counts_and_lists_bad_rows() -> None:
    """A table sets households by id; unknown ids and negative counts are listed by row."""
    frame = buildings().head(3)
    table = pd.DataFrame({"id": [frame["id"].iloc[0]], "households": [7], "population": [20.0]})
    out = G.apply_household_table(frame, table)
    assert out["households"].iloc[0] == 7 and out["population"].iloc[0] == 20.0
    bad = pd.DataFrame({"id": ["nope", frame["id"].iloc[1]], "households": [1, -3]})
    with pytest.raises(InputError) as err:
        G.apply_household_table(frame, bad, what="hh.csv")
    assert "hh.csv row 2" in str(err.value) and "row 3" in str(err.value)


def _square(c: float, r: float, w: float = 1, h: float = 1) -> shapely.Polygon:
    x, y = 440_000 + c * 100, 4_425_000 + r * 100
    return shapely.box(x, y, x + w * 100, y + h * 100)


def test_validate_grids_lists_every_problem_with_code_and_place() -> None:
    """Gap, overlap, pieces, outside parent, out of band, missing worker and code are all reported."""
    geoms = [
        _square(0, 0, 2, 1),                                        # A, fine
        _square(1.5, 0, 1.5, 1),                                    # B overlaps A
        shapely.union(_square(0, 1), _square(2, 1)),                # C in two pieces
        _square(3, 0, 1.5, 2),                                      # D sticks out of parent/boundary
    ]
    grids = gpd.GeoDataFrame(
        {
            "code": ["A", "B", "C", None],
            "parent_code": ["P", "P", "P", "P"],
            "households": [400, 400, 100, 400],
            "worker": ["王", "李", "张", None],
        },
        geometry=geoms,
        crs=UTM_50N,
    )
    parent = gpd.GeoDataFrame({"code": ["P"]}, geometry=[_square(0, 0, 4, 2)], crs=UTM_50N)
    problems = G.validate_grids(grids, UTM_50N, boundary=parent, parents=parent)
    kinds = {(p.kind, p.code) for p in problems}
    assert ("overlap", "A") in kinds
    assert ("non-contiguous", "C") in kinds
    assert ("outside parent", None) in kinds
    assert ("households out of band", "C") in kinds
    assert ("missing worker", None) in kinds
    assert ("missing code", None) in kinds
    assert any(p.kind == "gap" for p in problems)
    assert all(116 < p.lon < 117 and 39 < p.lat < 41 for p in problems)


def test_edits_reassign_split_merge_rename_lock(plan: G.GridPlan) -> None:
    """Edits keep every unit in one grid; locked grids refuse to change."""
    a, b = plan.grids["code"].iloc[:2]
    unit = plan.units.index[plan.units["grid"] == a][0]
    moved = G.reassign_units(plan, [unit], b)
    assert moved.units.loc[unit, "grid"] == b
    split = G.split_grid(plan, b, seed=1)
    assert len(split.grids) == len(plan.grids) + 1
    merged = G.merge_grids(split, [b, split.grids["code"][~split.grids["code"].isin(plan.grids["code"])].iloc[0]])
    assert len(merged.grids) == len(plan.grids)
    renamed = G.rename_grid(plan, a, new_code="X001", name="学院路一网格")
    assert "X001" in set(renamed.grids["code"]) and "学院路一网格" in set(renamed.grids["name"])
    locked = G.set_grid(plan, a, locked=True, worker="王芳")
    assert bool(locked.grids.set_index("code").at[a, "locked"])
    with pytest.raises(InputError, match="locked"):
        G.reassign_units(locked, [unit], b)
    with pytest.raises(InputError, match="no grid"):
        G.merge_grids(plan, [a, "nope"])


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


def test_band_per_parent_overrides_the_default(blocks: gpd.GeoDataFrame) -> None:
    """A parent with its own band gets grids inside that band; the other keeps the default."""
    west = "110108001001"
    plan = G.build_grids(blocks, UTM_50N, seed=0, bands={west: G.Band(250, 450)})
    mine = plan.grids[plan.grids["parent_code"] == west]
    other = plan.grids[plan.grids["parent_code"] != west]
    assert mine["households"].between(250, 450).all()
    assert other["households"].between(300, 500).all()
