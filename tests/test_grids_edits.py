"""geogrid.grids.edits: reassign, split, merge, rename, lock; locked grids refuse."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geogrid import grids as G
from geogrid.errors import InputError
from geogrid.grids.codes import free_codes
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


def test_edits_reassign_split_merge_rename_lock(plan: G.GridPlan) -> None:
    """Edits keep every unit in one grid; locked grids refuse to change."""
    a, b = plan.grids["code"].iloc[:2]
    unit = plan.units.index[plan.units["grid"] == a][0]
    moved = G.reassign_units(plan, [unit], b)
    assert moved.units.loc[unit, "grid"] == b
    split = G.split_grid(plan, b, seed=1)
    assert len(split.grids) == len(plan.grids) + 1
    merged = G.merge_grids(
        split, [b, split.grids["code"][~split.grids["code"].isin(plan.grids["code"])].iloc[0]]
    )
    assert len(merged.grids) == len(plan.grids)
    renamed = G.rename_grid(plan, a, new_code="X001", name="学院路一网格")
    assert "X001" in set(renamed.grids["code"]) and "学院路一网格" in set(renamed.grids["name"])
    locked = G.set_grid(plan, a, locked=True, worker="王芳")
    assert bool(locked.grids.set_index("code").at[a, "locked"])
    with pytest.raises(InputError, match="locked"):
        G.reassign_units(locked, [unit], b)
    with pytest.raises(InputError, match="no grid"):
        G.merge_grids(plan, [a, "nope"])


def test_split_gives_the_new_half_the_first_free_code(plan: G.GridPlan) -> None:
    """The half that leaves a split grid takes the lowest code of its parent not in use."""
    code = plan.grids["code"].iloc[1]
    parent = plan.grids["parent_code"].iloc[1]
    split = G.split_grid(plan, code, seed=1)
    new = set(split.grids["code"]) - set(plan.grids["code"])
    assert new == {next(free_codes(parent, set(plan.grids["code"])))}


@pytest.mark.parametrize(
    "bad", ['"><img src=x onerror=alert(1)>', "${alert(1)}", "a b", "", "x" * 33]
)
def test_new_codes_must_be_plain(plan: G.GridPlan, bad: str) -> None:
    """A code an edit creates (move target, split, rename) holds only letters, digits, _ and -."""
    code = str(plan.grids["code"].iloc[0])
    unit = str(plan.units.index[plan.units["grid"] == code][0])
    for edit in (
        lambda: G.reassign_units(plan, [unit], bad),
        lambda: G.split_grid(plan, code, new_code=bad),
        lambda: G.rename_grid(plan, code, new_code=bad),
    ):
        with pytest.raises(InputError, match="1-32 letters, digits, _ or -"):
            edit()
    assert G.rename_grid(plan, code, new_code="N-01_a").grids["code"].str.fullmatch("N-01_a").any()
