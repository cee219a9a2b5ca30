"""The route-pool matheuristic: set partitioning, the whole pipeline, determinism."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from geogrid.patrol import PatrolPlan, PatrolProblem, Stop, Team, check_plan, schedule_route
from geogrid.solver import solve_routing
from geogrid.solver_vrptw import MULTI_START, SINGLE_START, set_partition, solve_vrptw


def brute_force_cover(columns, costs, stops, class_size):  # type: ignore[no-untyped-def]
    best = None
    for k in range(len(columns) + 1):
        for pick in itertools.combinations(range(len(columns)), k):
            covered = sorted(i for j in pick for i in columns[j][1])
            if covered != sorted(stops):
                continue
            if any(sum(columns[j][0] == c for j in pick) > n for c, n in enumerate(class_size)):
                continue
            cost = sum(costs[j] for j in pick)
            if best is None or cost < best[0]:
                best = (cost, set(pick))
    return best


def test_set_partition_picks_the_cheapest_exact_cover() -> None:
    """Exact cover (no stop twice), cheapest, within the vehicles of each class."""
    columns = [
        (0, (1, 2)), (0, (3, 4)), (0, (1, 2, 3, 4)), (0, (1, 3)), (0, (2, 4)),
        (0, (2, 3)), (0, (1,)), (0, (4,)), (0, (1, 2, 3)),
    ]
    costs = [10, 10, 23, 8, 8, 3, 4, 4, 13]
    stops = [1, 2, 3, 4]
    # cheapest overall: (2,3) + (1,) + (4,) = 11 with three routes; (1,3)+(2,4) = 16 with two
    assert sorted(set_partition(columns, costs, stops, [3]) or []) == [5, 6, 7]
    assert sorted(set_partition(columns, costs, stops, [2]) or []) == [3, 4]
    assert set_partition(columns, costs, stops, [1]) == [2]
    for size in (1, 2, 3):
        expect = brute_force_cover(columns, costs, stops, [size])
        got = set_partition(columns, costs, stops, [size])
        assert expect is not None and got is not None
        assert sum(costs[j] for j in got) == expect[0]


def test_set_partition_counts_routes_per_vehicle_class() -> None:
    """Class 1 has one vehicle: two class-1 routes are never both chosen."""
    columns = [(1, (1,)), (1, (2,)), (0, (1, 2)), (1, (1, 2))]
    costs = [1, 1, 10, 5]
    assert set_partition(columns, costs, [1, 2], [1, 1]) == [3]
    assert sorted(set_partition(columns, costs, [1, 2], [0, 2]) or []) == [0, 1]


def test_set_partition_without_cover_returns_none() -> None:
    assert set_partition([(0, (1,))], [1], [1, 2], [5]) is None


def synthetic_vrptw(seed: int, n: int = 30, vehicles: int = 5):  # type: ignore[no-untyped-def]
    """Random customers (node 0..n-1) around a depot (node n), windows, demand, capacity."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n + 1, 2))
    xy[n] = (500, 500)
    travel = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    horizon = 6000
    service = [int(v) for v in rng.integers(20, 80, n)] + [0]
    windows: list[tuple[int, int] | None] = []
    for i in range(n):
        earliest = int(travel[n, i])
        lo = int(rng.integers(earliest, horizon - 1500))
        windows.append((lo, lo + int(rng.integers(300, 1200))))
    windows.append(None)
    demand = [int(v) for v in rng.integers(1, 10, n)] + [0]
    return travel[None], service, windows, demand, [40] * vehicles, vehicles, horizon


def check_routes(travel, service, windows, demand, capacity, shift, depot, res):  # type: ignore[no-untyped-def]
    """Every customer once, windows, capacity and shifts hold with the returned times."""
    seen = sorted(i for r in res.routes for i in r)
    assert seen == list(range(depot))
    for v, (route, times) in enumerate(zip(res.routes, res.service_start, strict=True)):
        loc, clock = depot, res.start_time[v]
        assert clock >= shift[v][0]
        for node, start in zip(route, times, strict=True):
            assert start >= clock + service[loc] + travel[0, loc, node]
            assert windows[node][0] <= start <= windows[node][1]
            loc, clock = node, start
        assert clock + service[loc] + travel[0, loc, depot] <= shift[v][1]
        assert sum(demand[i] for i in route) <= capacity[v]


def route_cost(travel, depot, routes):  # type: ignore[no-untyped-def]
    return sum(
        int(travel[0][np.asarray([depot, *r]), np.asarray([*r, depot])].sum()) for r in routes if r
    )


@pytest.mark.parametrize(
    ("seed", "plan", "rounds"),
    [(0, MULTI_START, 1), (3, MULTI_START, 2), (3, SINGLE_START, 0), (5, None, None)],
)
def test_pipeline_is_feasible_and_no_worse_than_plain_routing(seed, plan, rounds) -> None:  # type: ignore[no-untyped-def]
    """Same solution limit and seed: the first search is plain solve_routing, the MIP and
    the search after it only improve on it."""
    travel, service, windows, demand, capacity, vehicles, horizon = synthetic_vrptw(seed)
    depot = travel.shape[1] - 1
    shift = [(0, horizon)] * vehicles
    common = dict(demand=demand, capacity=capacity, time_limit_s=30, solution_limit=40, seed=seed)
    plain = solve_routing(
        travel, [0] * vehicles, [depot] * vehicles, [depot] * vehicles, shift, service, windows,
        [None] * (depot + 1), **common,  # type: ignore[arg-type]
    )
    # all vehicles (no fleet reduction): search 0 is then exactly solve_routing's search
    ours = solve_vrptw(
        travel, [0] * vehicles, [depot] * vehicles, [depot] * vehicles, shift, service, windows,
        fleet_margin=None, plan=plan, rounds=rounds, **common,  # type: ignore[arg-type]
    )
    assert plain.found and ours.found
    check_routes(travel, service, windows, demand, capacity, shift, depot, ours)
    assert route_cost(travel, depot, ours.routes) == ours.objective
    assert ours.objective <= route_cost(travel, depot, plain.routes)


def test_pipeline_is_deterministic_with_a_solution_limit() -> None:
    travel, service, windows, demand, capacity, vehicles, horizon = synthetic_vrptw(7)
    depot = travel.shape[1] - 1
    args = (travel, [0] * vehicles, [depot] * vehicles, [depot] * vehicles,
            [(0, horizon)] * vehicles, service, windows)
    runs = [
        solve_vrptw(*args, demand=demand, capacity=capacity, time_limit_s=30, solution_limit=30,
                    seed=5, plan=MULTI_START, rounds=1)
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes
    check_routes(travel, service, windows, demand, capacity, args[4], depot, runs[0])


def test_heterogeneous_vehicles_keep_their_shifts_capacities_and_areas() -> None:
    """Three vehicle classes (capacity, shift, and one team allowed at some stops):
    routes are recombined only within a class, and the plan passes check_plan."""
    travel, service, windows, demand, _, _, horizon = synthetic_vrptw(11, n=24, vehicles=4)
    n = travel.shape[1] - 1
    teams = [
        Team("a", shift_start_s=0, shift_end_s=horizon, capacity=60),
        Team("b", shift_start_s=0, shift_end_s=horizon, capacity=60),
        Team("c", shift_start_s=0, shift_end_s=horizon - 500, capacity=30),
        Team("d", shift_start_s=0, shift_end_s=horizon - 500, capacity=30),
    ]
    stops = [
        Stop(
            f"s{i}", required=True, demand=demand[i], window_s=windows[i], dwell_s=service[i],
            teams=frozenset({"a"}) if i < 3 else None,
        )
        for i in range(n)
    ]
    problem = PatrolProblem.from_matrix(teams, stops, travel[0], start_loc=[n] * 4, end_loc=[n] * 4)
    allowed = [problem.allowed_teams(s) for s in problem.stops] + [None]
    for plan in (MULTI_START, SINGLE_START):
        res = solve_vrptw(
            problem.travel_s, problem.matrix_of_team, problem.start_loc, problem.end_loc,
            [(t.shift_start_s, t.shift_end_s) for t in teams], service, windows, allowed=allowed,
            demand=demand, capacity=[t.capacity for t in teams], time_limit_s=30, solution_limit=30,
            seed=2, plan=plan, rounds=1,
        )
        assert res.found
        routes = tuple(
            schedule_route(problem, t, order, res.start_time[t], res.service_start[t])
            for t, order in enumerate(res.routes)
        )
        visited = {v.stop for r in routes for v in r.visits}
        patrol_plan = PatrolPlan(routes, (), sum(problem.stops[i].prize for i in visited), 2, res.solve_s)
        assert check_plan(problem, patrol_plan) == []
        assert all(i in res.routes[0] for i in range(3))


def test_time_limit_bounds_the_whole_call() -> None:
    """With a wall-clock budget the pipeline (first plan, searches and MIPs) stays within it."""
    travel, service, windows, demand, capacity, vehicles, horizon = synthetic_vrptw(4, n=40, vehicles=6)
    depot = travel.shape[1] - 1
    shift = [(0, horizon)] * vehicles
    t0 = time.perf_counter()
    res = solve_vrptw(
        travel, [0] * vehicles, [depot] * vehicles, [depot] * vehicles, shift, service, windows,
        demand=demand, capacity=capacity, time_limit_s=2.0, seed=1, plan=MULTI_START, rounds=1,
    )
    assert time.perf_counter() - t0 <= 2.3
    check_routes(travel, service, windows, demand, capacity, shift, depot, res)
