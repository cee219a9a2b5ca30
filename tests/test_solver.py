"""The OR-Tools adapter on plain numbers: routing with windows and prizes, MCLP."""

from __future__ import annotations

import itertools

import numpy as np

from geogrid.solver import improve_prize_routes, solve_covering, solve_routing


def line_matrix(n: int) -> np.ndarray:
    pos = np.arange(n) * 100
    return np.abs(pos[:, None] - pos[None, :])[None]


def test_routing_respects_windows_and_service() -> None:
    """Service starts fall inside the windows and include travel + dwell before them."""
    travel = line_matrix(4)  # nodes 0..2 stops, 3 depot
    res = solve_routing(
        travel, [0], [3], [3], [(0, 10_000)], [50, 50, 50, 0],
        [(1000, 1200), None, (0, 500), None], [None, None, None, None],
        time_limit_s=1, solution_limit=50,
    )
    assert res.found and sorted(res.routes[0]) == [0, 1, 2]
    starts = dict(zip(res.routes[0], res.service_start[0], strict=True))
    assert 1000 <= starts[0] <= 1200 and starts[2] <= 500


def test_routing_skips_optional_when_time_is_short() -> None:
    """With a short shift only the most valuable optional node is served."""
    travel = line_matrix(3)  # stops 0, 1; depot 2
    res = solve_routing(
        travel, [0], [2], [2], [(0, 250)], [0, 0, 0], [None, None, None], [1, 1000, None],
        time_limit_s=1, solution_limit=50,
    )
    assert res.found and res.routes[0] == (1,)


def test_routing_reports_impossible_required_node() -> None:
    """A required node outside every shift gives found=False, not an exception."""
    travel = line_matrix(2)
    res = solve_routing(
        travel, [0], [1], [1], [(0, 50)], [0, 0], [None, None], [None, None], time_limit_s=1
    )
    assert not res.found


def test_min_gap_between_visits() -> None:
    """A (a, b, gap) pair puts b at least gap after a."""
    travel = np.zeros((1, 3, 3), dtype=int)
    res = solve_routing(
        travel, [0], [2], [2], [(0, 5000)], [10, 10, 0], [None, None, None], [5, 5, None],
        min_gaps=[(0, 1, 1000)], time_limit_s=1, solution_limit=50,
    )
    starts = dict(zip(res.routes[0], res.service_start[0], strict=True))
    assert starts[1] - starts[0] >= 1000


def test_covering_matches_brute_force() -> None:
    """The MCLP MIP finds the best pair of sites on a random instance, with one fixed site."""
    rng = np.random.default_rng(3)
    cover = rng.random((7, 20)) < 0.25
    w = rng.integers(1, 10, 20).astype(float)
    best = max(
        w[cover[[0, *pair]].any(axis=0)].sum() for pair in itertools.combinations(range(1, 7), 2)
    )
    res = solve_covering(cover, w, 2, fixed=[0], time_limit_s=5)
    assert res.optimal and 0 in res.open and len(res.open) == 3
    assert res.covered_weight == best


def test_prize_routes_search_keeps_limits_and_never_loses_prize() -> None:
    """The orienteering local search returns routes within their limits and at least the start prize."""
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
        assert sum(cost[a, b] for a, b in zip(path[:-1], path[1:], strict=True)) <= 150
    assert len({i for r in routes for i in r}) == sum(len(r) for r in routes)
    assert sum(prizes[i] for r in routes for i in r) >= prizes[0] + prizes[1] + prizes[2]
