"""Workload: balancing moves work towards fair shares, filling spends spare time on extra passes;
both keep every rule check_plan knows."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.planning.config import PatrolConfig
from geogrid.planning.plan import PatrolPlan, check_plan, imbalance, schedule_route
from geogrid.planning.problem import PatrolProblem, Stop, Team
from geogrid.planning.workload import balance_routes, extra_passes, fill_routes, schedule_orders
from tests.patrol_area import H19, grid_lonlat


def _problem(stops: Sequence[Stop], n_teams: int = 2, hours: float = 2.0) -> PatrolProblem:
    """Teams at one base; every stop 5 min from the base and from each other (0 at one place)."""
    n = len(stops)
    travel = np.full((n + 1, n + 1), 300) * (1 - np.eye(n + 1, dtype=int))
    teams = [
        Team(f"t{k}", shift_start_s=H19, shift_end_s=int(H19 + hours * 3600))
        for k in range(n_teams)
    ]
    return PatrolProblem.from_matrix(
        teams, stops, travel, start_loc=[n] * n_teams, end_loc=[n] * n_teams
    )


def _plan(problem: PatrolProblem, orders: Sequence[Sequence[int]]) -> PatrolPlan:
    starts = schedule_orders(problem, orders)
    assert starts is not None
    routes = []
    for t, order in enumerate(orders):
        route = schedule_route(
            problem, t, order, problem.teams[t].shift_start_s, [starts[i] for i in order]
        )
        routes.append(
            route if order else dataclasses.replace(route, return_s=route.depart_s, metres=0.0)
        )
    seen = {i for o in orders for i in o}
    return PatrolPlan(
        tuple(routes),
        tuple(i for i in range(problem.n_stops) if i not in seen),
        sum(problem.stops[i].prize for i in seen),
        0,
        0.0,
    )


def test_lexicographic_balance_moves_stops_and_keeps_the_prize() -> None:
    """All six stops on one team, fair shares 50/50: afterwards each team holds half, prize
    unchanged."""
    problem = _problem([Stop(f"s{i}", prize=10, dwell_s=600) for i in range(6)])
    orders = balance_routes(problem, [list(range(6)), []], (0.5, 0.5))
    works = [sum(problem.stops[i].prize for i in o) for o in orders]
    assert sorted(i for o in orders for i in o) == list(range(6))
    assert works == [30, 30] and imbalance(works, (0.5, 0.5)) == 0
    assert check_plan(problem, _plan(problem, orders)) == []


def test_balance_inserts_skipped_stops_first() -> None:
    """Prize first: a skipped stop that fits is put on a route even if it makes the shares less
    even."""
    problem = _problem(
        [Stop("a", prize=10, dwell_s=600), Stop("b", prize=50, dwell_s=600)], n_teams=1
    )
    assert sorted(balance_routes(problem, [[0]], (1.0,))[0]) == [0, 1]


def test_weighted_balance_gives_up_prize_only_when_the_weight_says_so() -> None:
    """Stops only team t0 may serve cannot move: a heavy weight drops them, a light one keeps
    them."""
    stops = [Stop(f"s{i}", prize=10, dwell_s=600, teams=frozenset({"t0"})) for i in range(4)]
    problem = _problem(stops)
    light = balance_routes(problem, [[0, 1, 2, 3], []], (0.5, 0.5), how="weighted", weight=0.5)
    heavy = balance_routes(problem, [[0, 1, 2, 3], []], (0.5, 0.5), how="weighted", weight=5.0)
    assert len(light[0]) == 4 and heavy == ((), ())
    required = [Stop("r", prize=10, dwell_s=600, required=True, teams=frozenset({"t0"}))]
    assert balance_routes(
        _problem(required), [[0], []], (0.5, 0.5), how="weighted", weight=5.0
    ) == ((0,), ())
    with pytest.raises(ValueError, match="lexicographic or weighted"):
        balance_routes(problem, [[0], []], (0.5, 0.5), how="even")


def test_fill_spends_spare_time_on_passes_gap_apart() -> None:
    """After one valuable stop, a chain of passes at a hot spot fills the shift, each >= 30 min
    after the last; afterwards check_plan finds no pass that still fits."""
    stops = [
        Stop("h", prize=50, dwell_s=600),
        *[
            Stop(
                f"h-pass{k}",
                prize=0,
                fill_value=10,
                dwell_s=600,
                revisit_of="h" if k == 2 else f"h-pass{k - 1}",
                min_gap_s=1800,
            )
            for k in range(2, 6)
        ],
        Stop("g", prize=0, fill_value=3, dwell_s=300),
    ]
    problem = _problem(stops, n_teams=1)
    before = _plan(problem, [[0]])
    assert any("still fits" in p for p in check_plan(problem, before))
    (order,) = fill_routes(problem, [[0]])
    plan = _plan(problem, [order])
    assert check_plan(problem, plan) == []
    starts = {problem.stops[v.stop].id: v.start_s for v in plan.routes[0].visits}
    chain = [starts[k] for k in ["h", "h-pass2", "h-pass3", "h-pass4"] if k in starts]
    assert len(chain) >= 3 and all(b - a >= 1800 for a, b in pairwise(chain))
    assert "g" in starts  # a cheap pass still fits in a gap


def test_extra_passes_follow_the_config() -> None:
    """[fill] makes passes at the hottest spots and through each team's own grids; switched off,
    none."""
    spots = [Stop(f"hotspot-{i}", prize=10 * (5 - i), kind="hotspot") for i in range(3)]
    teams = [Team("t1", base=grid_lonlat(0, 0), shift_start_s=H19, shift_end_s=H19 + 7200)]
    grids = gpd.GeoDataFrame(
        {"code": ["g1"]},
        geometry=[shapely.box(*grid_lonlat(0, 0), *grid_lonlat(2, 2))],
        crs="EPSG:4326",
    )
    config = PatrolConfig.from_dict({"fill": {"hotspot_passes": 1, "gap_min": 60}})
    passes = extra_passes(spots, teams, grids, config, "EPSG:32650")
    # two passes 60 min apart fit in two hours: the hottest spot gets its second, the grid two
    assert {p.id for p in passes} == {"hotspot-0-pass2", "gridpass-g1-t1", "gridpass-g1-t1-pass2"}
    off = PatrolConfig.from_dict({"fill": {"hotspot_passes": 0, "grid_passes": False}})
    assert extra_passes(spots, teams, grids, off, "EPSG:32650") == []
    told = PatrolConfig.from_dict({"fill": {"hotspot_passes": 0}, "teams": {"t1": {"grids": []}}})
    assert extra_passes(spots, teams, grids, told, "EPSG:32650") == []


def test_schedule_settles_gaps_across_routes() -> None:
    """A revisit on another team's route waits for the gap after the first pass; a revisit before
    its first pass on the same route is infeasible."""
    stops = [
        Stop("a", prize=10, dwell_s=600),
        Stop("a-again", prize=5, dwell_s=300, revisit_of="a", min_gap_s=3000),
    ]
    problem = _problem(stops)
    starts = schedule_orders(problem, [[0], [1]])
    assert starts is not None and starts[1] - starts[0] == 3000
    assert schedule_orders(problem, [[1, 0], []]) is None
    assert schedule_orders(problem, [[1], []]) is None  # the first pass is not made


def test_fill_looks_past_an_insertion_that_would_push_a_later_pass_too_far() -> None:
    """Regression (mini Haidian, InternalError "extra pass ... still fits after its last stop"): the
    cheapest place for a's third pass, right after its second, delays b, and b's second pass must
    wait its gap after b - past the shift end. The filler must see that (the gap of a pass on the
    same route bounds how late the pass before it may start) and put the third pass where it fits,
    so that check_plan finds none left."""

    def chain(place: str, n: int) -> list[Stop]:
        return [
            Stop(
                place if k == 1 else f"{place}-pass{k}",
                prize=0,
                fill_value=10,
                dwell_s=300,
                revisit_of=None if k == 1 else (place if k == 2 else f"{place}-pass{k - 1}"),
                min_gap_s=3600 * (k > 1),
            )
            for k in range(1, n + 1)
        ]

    problem = _problem([*chain("a", 3), *chain("b", 2)], n_teams=1, hours=2.6)
    a, a2, a3, b, b2 = range(5)
    assert any(
        "a-pass3 still fits after its last stop" in p
        for p in check_plan(problem, _plan(problem, [[a, a2, b, b2]]))
    )
    (order,) = fill_routes(problem, [[a, a2, b, b2]])
    assert order == (
        a,
        a2,
        b,
        a3,
        b2,
    )  # a3 after b: b2 still starts on time and everyone is back in the shift
    assert check_plan(problem, _plan(problem, [order])) == []
