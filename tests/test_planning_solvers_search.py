"""The compiled searches' drivers: orienteering and required-routes search, set packing of
routes."""

from __future__ import annotations

import itertools
from itertools import pairwise

import numpy as np
import pytest

from geogrid.planning.solvers import search
from geogrid.planning.solvers.routing import RoutingArrays, solve_routing
from geogrid.planning.solvers.search import (
    improve_prize_routes,
    improve_required_routes,
    pack_routes,
)


def test_prize_routes_search_keeps_limits_and_never_loses_prize() -> None:
    """The orienteering local search returns routes within their limits and at least the start
    prize."""
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 100, (22, 2))
    cost = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(int)
    prizes = [*rng.integers(1, 10, 20).tolist(), 0, 0]
    start = ((0, 1), (2,))
    routes = improve_prize_routes(
        cost, [20, 20], [21, 21], [150, 150], prizes, start, time_limit_s=0.5, seed=1
    )
    for r in routes:
        path = [20, *r, 21]
        assert sum(cost[a, b] for a, b in pairwise(path)) <= 150
    assert len({i for r in routes for i in r}) == sum(len(r) for r in routes)
    assert sum(prizes[i] for r in routes for i in r) >= prizes[0] + prizes[1] + prizes[2]


def _orienteering_optimum(
    cost: np.ndarray, start: int, end: int, limit: int, prizes: list[int], nodes: list[int]
) -> int:
    """Best prize of one route by Held-Karp over every subset of ``nodes``."""
    n = len(nodes)
    inf = 10**18
    dp = np.full((1 << n, n), inf, dtype=np.int64)
    for k, node in enumerate(nodes):
        dp[1 << k, k] = cost[start, node]
    best = 0
    for mask in range(1, 1 << n):
        for k in range(n):
            if dp[mask, k] >= inf:
                continue
            if dp[mask, k] + cost[nodes[k], end] <= limit:
                best = max(best, sum(prizes[nodes[j]] for j in range(n) if mask >> j & 1))
            for j in range(n):
                if not mask >> j & 1:
                    d = dp[mask, k] + cost[nodes[k], nodes[j]]
                    dp[mask | 1 << j, j] = min(dp[mask | 1 << j, j], d)
    return best


def test_prize_routes_search_reaches_small_optimum() -> None:
    """On a 9-stop orienteering instance the search from an empty route finds the exact optimum
    (Held-Karp)."""
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 100, (11, 2))
    cost = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    prizes = [*rng.integers(1, 20, 9).tolist(), 0, 0]
    optimum = _orienteering_optimum(cost, 9, 10, 200, prizes, list(range(9)))
    routes = improve_prize_routes(
        cost, [9], [10], [200], prizes, [()], time_limit_s=30, seed=2, max_iterations=300
    )
    path = [9, *routes[0], 10]
    assert sum(cost[a, b] for a, b in pairwise(path)) <= 200
    assert sum(prizes[i] for i in routes[0]) == optimum


def test_prize_routes_search_is_deterministic_with_iteration_limit() -> None:
    """Same seed and max_iterations give the same routes, whatever the clock does."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 100, (32, 2))
    cost = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    prizes = [*rng.integers(1, 10, 30).tolist(), 0, 0]
    runs = [
        improve_prize_routes(
            cost,
            [30, 30],
            [31, 31],
            [180, 180],
            prizes,
            [(), ()],
            time_limit_s=60,
            seed=3,
            max_iterations=60,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


@pytest.mark.parametrize("seed", range(3))
def test_prize_routes_fresh_walk_alone_reaches_small_optimum_from_a_poor_start(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the whole budget given to the walk from the greedy construction
    (FRESH_SHARE 1), a poor given plan (the one farthest reachable stop) does not hold the
    search back: the answer is the exact optimum (Held-Karp) of a 9-stop instance, within
    the limit, and the same on a second run."""
    monkeypatch.setattr(search, "FRESH_SHARE", 1.0)
    rng = np.random.default_rng(20 + seed)
    xy = rng.uniform(0, 100, (11, 2))
    cost = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    prizes = [*rng.integers(1, 20, 9).tolist(), 0, 0]
    optimum = _orienteering_optimum(cost, 9, 10, 180, prizes, list(range(9)))
    reachable = [i for i in range(9) if cost[9, i] + cost[i, 10] <= 180]
    far = max(reachable, key=lambda i: cost[9, i] + cost[i, 10])
    runs = [
        improve_prize_routes(
            cost, [9], [10], [180], prizes, [(far,)], time_limit_s=30, seed=seed, max_iterations=300
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    path = [9, *runs[0][0], 10]
    assert sum(cost[a, b] for a, b in pairwise(path)) <= 180
    assert len(set(runs[0][0])) == len(runs[0][0])
    assert sum(prizes[i] for i in runs[0][0]) == optimum


@pytest.mark.parametrize("seed", range(3))
def test_pack_routes_matches_brute_force(seed: int) -> None:
    """Set packing picks the most prize from a pool: no stop twice, at most the class's vehicles."""
    rng = np.random.default_rng(seed)
    columns = []
    for _ in range(14):
        cls = int(rng.integers(2))
        stops = frozenset(
            int(i) for i in rng.choice(12, size=int(rng.integers(1, 5)), replace=False)
        )
        columns.append((cls, stops, int(rng.integers(1, 30)), int(rng.integers(10, 100))))
    slots = {0: 2, 1: 1}
    best = 0
    for r in range(4):
        for pick in itertools.combinations(range(len(columns)), r):
            stops = [i for k in pick for i in columns[k][1]]
            per_class = [sum(columns[k][0] == c for k in pick) for c in (0, 1)]
            if len(stops) == len(set(stops)) and per_class[0] <= 2 and per_class[1] <= 1:
                best = max(best, sum(columns[k][2] for k in pick))
    chosen = pack_routes(columns, slots, time_limit_s=5, deterministic=True, hint=[0])
    assert chosen is not None
    stops = [i for k in chosen for i in columns[k][1]]
    assert len(stops) == len(set(stops))
    assert (
        sum(columns[k][0] == 0 for k in chosen) <= 2
        and sum(columns[k][0] == 1 for k in chosen) <= 1
    )
    assert sum(columns[k][2] for k in chosen) == best


def _vrptw(seed: int):
    """Random VRPTW: 30 stops with windows, service, demand; depot 30; 8 vehicles of capacity 20."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (31, 2))
    travel = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    opens = rng.integers(0, 400, 30)
    windows = [
        (int(o), int(o) + int(w)) for o, w in zip(opens, rng.integers(80, 250, 30), strict=True)
    ] + [None]
    service = [*rng.integers(5, 15, 30).tolist(), 0]
    demand = [*rng.integers(1, 6, 30).tolist(), 0]
    return travel, windows, service, demand


def _check_routes(travel, windows, service, demand, routes, shift, cap) -> int:
    """Independent check: every stop once, windows, shift and capacity hold; returns total
    travel."""
    assert sorted(i for r in routes for i in r) == list(range(30))
    total = 0
    for r in routes:
        t, loc = shift[0], 30
        assert sum(demand[i] for i in r) <= cap
        for i in r:
            t = max(t + service[loc] + travel[loc, i], windows[i][0])
            assert t <= windows[i][1]
            total += travel[loc, i]
            loc = i
        t += service[loc] + travel[loc, 30]
        total += travel[loc, 30]
        assert t <= shift[1]
    return int(total)


@pytest.mark.parametrize("seed", range(3))
def test_required_routes_search_keeps_every_constraint_and_shortens(seed: int) -> None:
    """From OR-Tools' first plan, the ruin-and-recreate search serves every stop within windows,
    shift and capacity, and its plan is never longer; the same seed gives the same routes."""
    travel, windows, service, demand = _vrptw(seed)
    shift, cap = (0, 900), 20
    start = solve_routing(
        RoutingArrays.from_lists(
            travel[None],
            [0] * 8,
            [30] * 8,
            [30] * 8,
            [shift] * 8,
            service,
            windows,
            [None] * 31,
            demand=demand,
            capacity=[cap] * 8,
        ),
        time_limit_s=5,
        solution_limit=1,
    )
    assert start.found
    before = _check_routes(travel, windows, service, demand, start.routes, shift, cap)
    runs = [
        improve_required_routes(
            travel,
            service,
            windows,
            demand,
            [cap] * 8,
            [30] * 8,
            [30] * 8,
            [shift] * 8,
            start.routes,
            time_limit_s=60,
            seed=4,
            max_iterations=2000,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    after = _check_routes(travel, windows, service, demand, runs[0], shift, cap)
    assert after < before


def test_warm_up_searches_compiles_both_kernels() -> None:
    """After warm_up_searches both compiled searches are ready (no compile in the first plan)."""
    from geogrid.planning.solvers import ils, sisr
    from geogrid.planning.solvers.search import warm_up_searches

    warm_up_searches()
    assert ils._warm and sisr._warm
