"""geogrid.grids.rebalance: back into the band with few households moved; rules kept; reasons
named."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from geogrid import grids as G
from geogrid.errors import InputError
from geogrid.grids.graph import UnitGraph
from geogrid.grids.rebalance import rebalance
from geogrid.synthetic import synthetic_units
from tests.grids_area import UTM_50N, units_frame
from tests.rebalance_exact import exact_rebalance


def grow(
    units: gpd.GeoDataFrame,
    graph: UnitGraph,
    places: int,
    seed: int,
    share: float = 0.15,
    size: int = 25,
) -> gpd.GeoDataFrame:
    """``units`` with households +``share`` in the ``size`` units nearest ``places`` seeded
    centres."""
    rng = np.random.default_rng(seed)
    out = units.copy()
    hh = out["households"].to_numpy().copy()
    for c in rng.choice(len(out), places, replace=False):
        near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:size]
        hh[near] = np.round(hh[near] * (1 + share)).astype(np.int64)
    out["households"] = hh
    return out


def contiguous(result: G.RebalanceResult, graph: UnitGraph) -> bool:
    labels = result.grid_of.to_numpy()
    for code in set(labels):
        rows = np.flatnonzero(labels == code)
        if connected_components(graph.adjacency[rows][:, rows], directed=False)[0] != 1:
            return False
    return True


@pytest.fixture(scope="module")
def city() -> tuple[G.GridPlan, gpd.GeoDataFrame, UnitGraph]:
    """A SYNTHETIC city of 900 blocks in grids of 300-500, then +15 % households in three places."""
    plan = G.build_grids(synthetic_units(900, seed=4), UTM_50N, seed=0, restarts=2)
    graph = G.unit_graph(plan.units, UTM_50N)
    return plan, grow(plan.units, graph, 3, seed=1), graph


def test_growth_is_rebalanced_with_far_fewer_moves_than_a_redraw(city) -> None:
    """After growth in three places every grid is in band again, few households moved, far fewer
    than a redraw."""
    plan, grown, graph = city
    before = G.Band().violation
    assert any(before(h) > 0 for h in grown.groupby("grid")["households"].sum())
    result = rebalance(plan, grown, graph)
    assert result.in_band and not result.reasons
    assert result.households_moved == int(result.moves["households"].sum()) > 0
    redraw = G.build_grids(
        grown.drop(columns=["grid"]), UTM_50N, seed=0, restarts=1, previous=plan.grids
    )
    moved_by_redraw = grown["households"][
        redraw.units["grid"].reindex(grown.index) != grown["grid"]
    ].sum()
    assert result.households_moved * 5 <= moved_by_redraw
    assert result.households_moved < 0.02 * grown["households"].sum()
    assert contiguous(result, graph)
    # grids no unit left or joined keep their row; every code survives
    assert set(result.plan.grids["code"]) == set(plan.grids["code"])
    assert result.plan.grids["households"].sum() == grown["households"].sum()
    assert not result.created and not result.retired


def test_compactness_falls_no_more_than_the_tolerance(city) -> None:
    """Median and worst Polsby-Popper (on the unit graph) fall by at most the tolerance."""
    plan, grown, graph = city
    for tolerance in (0.0, 0.05):
        table = rebalance(plan, grown, graph, compactness_tolerance=tolerance).per_grid
        assert (
            table["polsby_popper_after"].median()
            >= table["polsby_popper_before"].median() - tolerance - 1e-9
        )
        assert (
            table["polsby_popper_after"].min()
            >= table["polsby_popper_before"].min() - tolerance - 1e-9
        )


def test_locked_grids_and_units_never_move(city) -> None:
    """A locked grid keeps its units and its row byte for byte; a locked unit stays where it was."""
    plan, grown, graph = city
    first = rebalance(plan, grown, graph)
    code = first.moves["to_code"].iloc[0]
    unit = first.moves["unit_id"].iloc[0]
    again = rebalance(plan, grown, graph, locked_grids=[code])
    members = set(plan.units.index[plan.units["grid"] == code])
    assert set(again.grid_of.index[again.grid_of == code]) == members
    old_row = plan.grids.set_index("code").loc[code]
    new_row = again.plan.grids.set_index("code").loc[code]
    assert new_row.geometry.wkb == old_row.geometry.wkb
    held = rebalance(plan, grown, graph, locked_units=[unit])
    assert held.grid_of[unit] == plan.units.at[unit, "grid"]


def test_same_seed_same_result(city) -> None:
    """The same input and seed give the same moves."""
    plan, grown, graph = city
    a, b = rebalance(plan, grown, graph, seed=3), rebalance(plan, grown, graph, seed=3)
    assert a.moves.equals(b.moves)


@pytest.mark.parametrize("seed", range(16))
def test_moves_at_most_a_fifth_over_the_proven_minimum(seed: int) -> None:
    """On tiny instances the rebalance is in band whenever CP-SAT proves a plan exists, within 1.2x
    its minimum."""
    rng = np.random.default_rng(seed)
    units = synthetic_units(int(rng.integers(10, 31)), seed=seed)
    k = int(rng.integers(2, 5))
    mid = units["households"].sum() / k
    band = G.Band(int(mid * 0.75), int(mid * 1.25))
    plan = G.build_grids(units, UTM_50N, band=band, seed=0, restarts=2)
    graph = G.unit_graph(plan.units, UTM_50N)
    grown = grow(plan.units, graph, 1, seed=seed, share=0.15, size=5)
    ours = rebalance(plan, grown, graph, band, compactness_tolerance=1.0)
    codes = sorted(set(plan.units["grid"]))
    labels = plan.units["grid"].map({c: i for i, c in enumerate(codes)}).to_numpy()
    exact = exact_rebalance(
        graph.adjacency,
        grown["households"].to_numpy(),
        labels,
        [(band.min_households, band.max_households)] * len(codes),
        time_limit_s=30,
    )
    assert exact.status in ("OPTIMAL", "INFEASIBLE")
    if exact.status == "OPTIMAL":
        assert ours.in_band, ours.reasons
        assert exact.households_moved is not None
        assert ours.households_moved <= 1.2 * exact.households_moved


@st.composite
def cities(draw: st.DrawFn) -> tuple[G.GridPlan, gpd.GeoDataFrame, UnitGraph, str]:
    n = draw(st.integers(min_value=80, max_value=200))
    seed = draw(st.integers(min_value=0, max_value=1000))
    plan = G.build_grids(
        synthetic_units(n, seed=seed, parents=draw(st.integers(1, 2))), UTM_50N, seed=0, restarts=1
    )
    graph = G.unit_graph(plan.units, UTM_50N)
    grown = grow(
        plan.units,
        graph,
        draw(st.integers(1, 3)),
        seed=seed,
        share=draw(st.sampled_from([0.15, 0.4, -0.3])),
    )
    locked = draw(st.sampled_from(sorted(plan.grids["code"])))
    return plan, grown, graph, locked


@given(cities())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants(case) -> None:
    """Every unit in exactly one grid, households kept, grids contiguous and nested, locks and codes
    kept."""
    plan, grown, graph, locked = case
    result = rebalance(plan, grown, graph, locked_grids=[locked])
    assert result.grid_of.index.equals(grown.index) and result.grid_of.notna().all()
    assert result.plan.grids["households"].sum() == grown["households"].sum()
    assert sorted(result.plan.grids["code"]) == sorted(set(result.grid_of))
    assert contiguous(result, graph)
    parents = grown["parent_code"].groupby(result.grid_of).nunique()
    assert (parents == 1).all()
    assert set(result.grid_of.index[result.grid_of == locked]) == set(
        grown.index[grown["grid"] == locked]
    )
    old = set(plan.grids["code"])
    assert set(result.grid_of) - set(result.created) <= old
    assert set(result.retired) == old - set(result.grid_of)
    for code in result.created:
        assert (
            code not in old
            and code[:12] == grown.loc[result.grid_of == code, "parent_code"].iloc[0]
        )
    assert result.households_moved == int(
        grown["households"][result.grid_of != grown["grid"]].sum()
    )


def test_a_unit_over_the_max_is_named() -> None:
    """A unit holding more than the max is named with 'split it by building'."""
    units = units_frame([(0, 0, 200), (1, 0, 200), (2, 0, 200), (3, 0, 200)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    grown = plan.units.copy()
    grown.loc["u0", "households"] = 700
    result = rebalance(plan, grown)
    text = "\n".join(result.reasons)
    assert "unit u0" in text and "split it by building" in text


def test_a_parent_that_cannot_be_divided_is_named() -> None:
    """A parent whose households fit no number of grids of the band is named with its total and
    band."""
    units = units_frame([(0, 0, 200), (1, 0, 200), (2, 0, 200)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    grown = plan.units.copy()
    grown["households"] = [180, 180, 180]  # 540: one grid holds at most 500, two need 600
    result = rebalance(plan, grown)
    text = "\n".join(result.reasons)
    assert "540 households" in text and "300-500" in text and "000000000000" in text


def test_a_locked_neighbour_is_named() -> None:
    """A grid out of band whose only neighbours are locked says so and names them."""
    units = units_frame([(0, 0, 200), (1, 0, 200), (2, 0, 150), (3, 0, 150)])
    plan = G.build_grids(units, UTM_50N, band=G.Band(300, 420), seed=0)
    grown = plan.units.copy()
    grown["households"] = [200, 260, 150, 150]
    code = grown.at["u0", "grid"]
    other = [c for c in plan.grids["code"] if c != code]
    result = rebalance(plan, grown, locked_grids=other)
    assert any("locked" in r and other[0] in r for r in result.reasons)
    assert result.households_moved == 0


def test_grids_are_created_and_retired_when_the_count_must_change() -> None:
    """A parent that outgrows k x max gets a new grid (next free code); one that shrinks under k x
    min loses one."""
    units = synthetic_units(49, seed=2)
    plan = G.build_grids(units, UTM_50N, seed=0)
    graph = G.unit_graph(plan.units, UTM_50N)
    k = len(plan.grids)
    grown = plan.units.copy()
    grown["households"] = np.round(
        grown["households"] * (500 * k + 100) / grown["households"].sum()
    ).astype(int)
    bigger = rebalance(plan, grown, graph)
    assert len(bigger.created) >= 1 and bigger.created[0] == f"000000001001{k + 1:03d}"
    assert bigger.in_band and contiguous(bigger, graph)
    shrunk = plan.units.copy()
    shrunk["households"] = np.round(
        shrunk["households"] * (300 * k - 100) / shrunk["households"].sum()
    ).astype(int)
    smaller = rebalance(plan, shrunk, graph)
    assert len(smaller.retired) >= 1 and smaller.in_band and contiguous(smaller, graph)
    assert set(smaller.per_grid.loc[smaller.per_grid["status"] == "retired", "code"]) == set(
        smaller.retired
    )


def test_a_second_quantity_is_balanced_too(city) -> None:
    """--also population=MIN-MAX brings the population band in too, households first."""
    plan, grown, graph = city
    grown = grown.copy()
    grown["population"] = grown["households"] * 2.62
    pop = grown.groupby("grid")["population"].sum()
    also = G.Band(int(pop.quantile(0.1)), int(pop.quantile(0.95)))
    result = rebalance(plan, grown, graph, also=("population", also))
    after = result.per_grid[result.per_grid["status"] != "retired"]
    assert after["in_band_after"].sum() >= after["in_band_before"].sum()
    assert "population_after" in after.columns


def test_bad_input_is_a_message() -> None:
    """An unknown locked grid or --also column is an InputError naming it."""
    units = units_frame([(0, 0, 200), (1, 0, 200)])
    plan = G.build_grids(units, UTM_50N, seed=0)
    with pytest.raises(InputError, match="nope"):
        rebalance(plan, locked_grids=["nope"])
    with pytest.raises(InputError, match="cars"):
        rebalance(plan, also=("cars", G.Band(0, 10)))


def test_apply_moves_gives_the_rebalanced_plan_later(city) -> None:
    """The moves of a result applied to the plan again give the same grids; moves that no longer fit
    are refused."""
    plan, grown, graph = city
    result = rebalance(plan, grown, graph)
    again = G.apply_moves(plan, result.moves, grown)
    assert again.units["grid"].astype(str).equals(result.plan.units["grid"].astype(str))
    key = ["code", "households", "geometry"]
    assert (
        again.grids[key]
        .sort_values("code")
        .reset_index(drop=True)
        .equals(result.plan.grids[key].sort_values("code").reset_index(drop=True))
    )
    with pytest.raises(InputError, match="no longer fit"):
        G.apply_moves(result.plan, result.moves)  # the units are where the moves took them already


def test_a_border_of_empty_units_does_not_block_the_move() -> None:
    """Grid 0 (550) meets grid 1 (250) only through two units of no households (a park); the
    household unit behind them moves with them (a resplit is barred by a locked unit)."""
    units = units_frame(
        [(0, 0, 200), (1, 0, 200), (2, 0, 150), (3, 0, 0), (4, 0, 0), (5, 0, 100), (6, 0, 150)]
    )
    graph = G.unit_graph(units, UTM_50N)
    units["grid"] = ["g0"] * 5 + ["g1"] * 2
    units["population"] = units["households"] * 2.5
    plan = G.GridPlan(
        units=units, grids=gpd.GeoDataFrame(), metric_crs=UTM_50N, default_band=G.Band(300, 500)
    )
    result = rebalance(plan, units, graph, locked_units=["u6"], compactness_tolerance=1.0)
    assert result.in_band, result.reasons
    assert sorted(result.moves["unit_id"]) == ["u2", "u3", "u4"]
    assert result.households_moved == 150


def test_the_sweep_instance_46_comes_into_band_within_the_compactness_tolerance() -> None:
    """Seed 46 of the tiny sweep (SYNTHETIC, 16 units, 4 grids, band 102-170, default tolerance):
    the cheapest chain (34 households) breaks the median compactness when applied, so the next
    cheapest must be tried; before, only the cheapest was kept, the grid was split and dissolved,
    231 households moved and a grid ended further out of band. Moving 39 households is the least
    that keeps the tolerance (checked by enumerating every move of up to four units)."""
    units = synthetic_units(16, seed=46)
    grids = [3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]
    units["households"] = [94, 23, 98, 55, 0, 13, 0, 34, 34, 0, 39, 0, 26, 30, 71, 41]
    units["grid"] = [f"00000000100100{g}" for g in grids]
    band = G.Band(102, 170)
    plan = G.GridPlan(units=units, grids=gpd.GeoDataFrame(), metric_crs=UTM_50N, default_band=band)
    graph = G.unit_graph(units, UTM_50N)
    result = rebalance(plan, units, graph)
    assert result.in_band, result.reasons
    assert not result.created and not result.retired
    assert result.households_moved == 39
    table = result.per_grid
    assert table["polsby_popper_after"].min() >= table["polsby_popper_before"].min() - 0.05 - 1e-9
    assert (
        table["polsby_popper_after"].median()
        >= table["polsby_popper_before"].median() - 0.05 - 1e-9
    )
    labels = np.array(grids) - 1
    exact = exact_rebalance(
        graph.adjacency, units["households"].to_numpy(), labels, [(102, 170)] * 4, time_limit_s=30
    )
    assert exact.status == "OPTIMAL" and exact.households_moved == 13  # without compactness


def test_two_small_moves_that_keep_the_median_compactness_only_together() -> None:
    """Seed 20 of the tiny sweep (SYNTHETIC, 25 units, 2 grids, band 334-556): grid 2 is 20 over;
    units of 10 and 19 households fix it, but the median Polsby-Popper falls under its floor after
    the first move and is back over it after the second. Checked at the end of the series, they
    move (29 households, the least within the tolerance by enumeration of every move of up to two
    units)."""
    units = synthetic_units(25, seed=20)
    grids = [1] * 10 + [2, 2, 1, 1, 1] + [2] * 10
    units["households"] = [
        *(14, 47, 0, 0, 41, 33, 0, 50, 0, 14, 10, 19, 41),
        *(78, 35, 68, 0, 216, 0, 110, 0, 0, 14, 62, 77),
    ]
    units["grid"] = [f"00000000100100{g}" for g in grids]
    band = G.Band(334, 556)
    plan = G.GridPlan(units=units, grids=gpd.GeoDataFrame(), metric_crs=UTM_50N, default_band=band)
    result = rebalance(plan, units, G.unit_graph(units, UTM_50N))
    assert result.in_band, result.reasons
    assert result.households_moved == 29
    table = result.per_grid
    assert table["polsby_popper_after"].min() >= table["polsby_popper_before"].min() - 0.05 - 1e-9
    assert (
        table["polsby_popper_after"].median()
        >= table["polsby_popper_before"].median() - 0.05 - 1e-9
    )


def test_a_move_that_only_restores_compactness_completes_a_series() -> None:
    """Seed 73 of the tiny sweep (SYNTHETIC, 25 units, 3 grids, band 278-464): grid 2 is 10 over;
    every chain that fixes it leaves a grid under its compactness floor, unless one more unit
    follows that lowers no violation but restores the shape (78 households, the least within the
    tolerance by enumeration of every move of up to four units)."""
    units = synthetic_units(25, seed=73)
    grids = [1, 1, 1, 3, 3, 1, 1, 1, 3, 3, 1, 1, 1, 3, 3] + [2] * 10
    units["households"] = [
        *(57, 85, 0, 36, 0, 18, 0, 14, 171, 34, 64, 0, 150),
        *(20, 35, 213, 0, 37, 0, 50, 53, 37, 29, 27, 28),
    ]
    units["grid"] = [f"00000000100100{g}" for g in grids]
    band = G.Band(278, 464)
    plan = G.GridPlan(units=units, grids=gpd.GeoDataFrame(), metric_crs=UTM_50N, default_band=band)
    result = rebalance(plan, units, G.unit_graph(units, UTM_50N))
    assert result.in_band, result.reasons
    assert result.households_moved == 78
    table = result.per_grid
    assert table["polsby_popper_after"].min() >= table["polsby_popper_before"].min() - 0.05 - 1e-9
    assert (
        table["polsby_popper_after"].median()
        >= table["polsby_popper_before"].median() - 0.05 - 1e-9
    )


def _line_of_units(households: list[int]) -> tuple[G.GridPlan, gpd.GeoDataFrame]:
    """A SYNTHETIC row of 100 m blocks of 200 households in grids of 300-500, then
    ``households``."""
    units = units_frame([(i, 0, 200) for i in range(len(households))])
    plan = G.build_grids(units, UTM_50N, seed=0)
    grown = plan.units.copy()
    grown["households"] = households
    return plan, grown


def _buildings_in(cells: list[tuple[float, float, int]]) -> gpd.GeoDataFrame:
    """SYNTHETIC 10 m buildings at (x, y) metres from the blocks' corner with households."""
    import shapely

    from tests.grids_area import X0, Y0

    return gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(len(cells))], "households": [h for _, _, h in cells]},
        geometry=[shapely.box(X0 + x - 5, Y0 + y - 5, X0 + x + 5, Y0 + y + 5) for x, y, _ in cells],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")


def test_a_grid_next_to_a_unit_over_the_max_is_not_called_locked() -> None:
    """Nothing locked: the neighbour holding a unit over the max is named as such, never
    'locked'."""
    plan, grown = _line_of_units([700, 200, 260, 250, 245, 245])
    assert grown.at["u0", "grid"] == grown.at["u1", "grid"] != grown.at["u2", "grid"]
    result = rebalance(plan, grown)
    text = "\n".join(result.reasons)
    assert "locked" not in text, text
    other = grown.at["u2", "grid"]
    why = next(r for r in result.reasons if r.startswith(f"grid {other}"))
    assert "unit u0 over the max" in why and grown.at["u0", "grid"] in why, why


def test_a_neighbour_without_room_is_named() -> None:
    """A grid over the max whose only neighbour cannot take a unit without leaving its band says
    so (not 'locked')."""
    plan, grown = _line_of_units([260, 250, 245, 245])
    result = rebalance(plan, grown)
    over = grown.at["u0", "grid"]
    why = next(r for r in result.reasons if r.startswith(f"grid {over}"))
    assert "no neighbour can take households without leaving its own band" in why, why
    assert "locked" not in why and grown.at["u2", "grid"] in why


def test_a_neighbour_in_another_parent_only_is_named() -> None:
    """A grid whose only neighbour is in another parent says so (households do not cross
    parents)."""
    units = units_frame([(i, 0, 200) for i in range(6)], parent="110108001001")
    units.loc[["u2", "u3"], "parent_code"] = "110108001002"
    plan = G.build_grids(units, UTM_50N, seed=0)
    grown = plan.units.copy()
    grown["households"] = [300, 260, 200, 200, 170, 170]
    result = rebalance(plan, grown)
    why = next(r for r in result.reasons if r.startswith(f"grid {grown.at['u0', 'grid']}"))
    assert "another parent" in why and grown.at["u2", "grid"] in why and "locked" not in why


def test_the_summary_counts_the_grids_before_and_after_apart() -> None:
    """'N of M before' counts the grids the rebalance started from, not the ones it created."""
    units = synthetic_units(49, seed=2)
    plan = G.build_grids(units, UTM_50N, seed=0)
    k = len(plan.grids)
    grown = plan.units.copy()
    grown["households"] = np.round(
        grown["households"] * (500 * k + 100) / grown["households"].sum()
    ).astype(int)
    result = rebalance(plan, grown)
    assert result.created
    line = result.summary()[0]
    assert f" of {k} grids inside their band before" in line, line
    assert f" of {k + len(result.created) - len(result.retired)} after" in line, line


def test_a_unit_over_the_max_is_split_by_building() -> None:
    """A block of 520 households in four buildings is cut into one piece per building; a piece
    moves so both grids come into band; codes kept, grids contiguous; apply_moves cuts it the
    same way."""
    plan, grown = _line_of_units([520, 20, 150, 150])
    buildings = _buildings_in(
        [
            *[(25, 25, 130), (75, 25, 130), (25, 75, 130), (75, 75, 130)],
            *[(150, 50, 20), (250, 50, 150), (350, 50, 150)],
        ]
    )
    whole = rebalance(plan, grown, compactness_tolerance=1.0)
    assert any("unit u0" in r and "split it by building" in r for r in whole.reasons)
    result = rebalance(plan, grown, compactness_tolerance=1.0, buildings=buildings)
    assert result.in_band, result.reasons
    assert list(result.split) == ["u0"] and len(result.split["u0"]) == 4
    assert "u0 (520 households, 4 buildings)" in result.split_notes[0]
    units = result.plan.units
    assert "u0" not in units.index and set(result.split["u0"]) <= set(units.index)
    assert units["households"].sum() == grown["households"].sum()
    assert set(result.plan.grids["code"]) == set(plan.grids["code"])
    for geom in result.plan.grids.to_crs(UTM_50N).geometry:  # each grid one piece
        assert geom.buffer(0.01).geom_type == "Polygon"
    again = G.apply_moves(plan, result.moves, grown, buildings=buildings)
    assert again.units["grid"].to_dict() == units["grid"].to_dict()


def test_a_locked_unit_over_the_max_is_not_split() -> None:
    """A locked block over the max stays whole and the reason says it is locked."""
    plan, grown = _line_of_units([520, 20, 150, 150])
    buildings = _buildings_in([(25, 25, 130), (75, 25, 130), (25, 75, 130), (75, 75, 130)])
    result = rebalance(plan, grown, locked_units=["u0"], buildings=buildings)
    assert not result.split and "u0" in result.plan.units.index
    text = "\n".join(result.reasons)
    assert "unit u0" in text and "4 buildings" in text and "locked" in text


def test_a_unit_with_one_building_over_the_max_says_it_cannot_be_split() -> None:
    """One building of 520 households: cannot be cut; the reason says to raise the max."""
    plan, grown = _line_of_units([520, 20, 150, 150])
    buildings = _buildings_in([(50, 50, 520)])
    result = rebalance(plan, grown, buildings=buildings)
    assert not result.split
    why = next(r for r in result.reasons if r.startswith("unit u0"))
    assert "1 building)" in why and "cannot be split by building" in why and "--parent-band" in why


def test_pieces_that_cannot_move_join_again_and_neighbours_keep_their_outline() -> None:
    """A block over the max next to a locked grid only: cut, no piece can move, so it is whole
    again, named in the reasons, and its neighbour's geometry is byte-identical."""
    plan, grown = _line_of_units([520, 20, 150, 150])
    buildings = _buildings_in([(20, 30, 180), (50, 70, 180), (85, 20, 160)])  # a cut meets u1
    result = rebalance(plan, grown, locked_grids=[grown.at["u2", "grid"]], buildings=buildings)
    assert not result.split and result.households_moved == 0
    units = result.plan.units
    assert list(units.index) == ["u0", "u1", "u2", "u3"]
    for u in units.index:
        assert units.geometry[u].equals_exact(grown.geometry[u], 0.0), u
    why = next(r for r in result.reasons if r.startswith("unit u0"))
    assert "cut by building, but no piece could move" in why
