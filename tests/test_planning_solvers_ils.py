"""The compiled team-orienteering search: each move against a brute-force check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geogrid.planning.solvers import ils


def _instance(seed: int, n_stops: int = 12, n_routes: int = 2, limit: int = 200):
    """Random Euclidean instance: stops 0..n-1, start n, end n+1; routes hold a few stops."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n_stops + 2, 2))
    cost = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    prize = np.array([*rng.integers(1, 10, n_stops), 0, 0], dtype=np.int64)
    cand = np.arange(n_stops, dtype=np.int64)
    routes = np.zeros((n_routes, n_stops + 2), dtype=np.int64)
    count = np.zeros(n_routes, dtype=np.int64)
    order = rng.permutation(n_stops)
    per = n_stops // (2 * n_routes)
    for v in range(n_routes):
        path = [n_stops, *order[v * per : (v + 1) * per], n_stops + 1]
        routes[v, : len(path)] = path
        count[v] = len(path)
    used = np.zeros(n_stops + 2, dtype=np.bool_)
    for v in range(n_routes):
        used[routes[v, 1 : count[v] - 1]] = True
    lens = np.array(
        [ils.route_length(cost, routes[v], count[v]) for v in range(n_routes)], dtype=np.int64
    )
    limits = np.full(n_routes, max(limit, int(lens.max())), dtype=np.int64)
    return cost, prize, cand, routes, count, lens, limits, used


def _length(cost: np.ndarray, path: list[int]) -> int:
    return int(sum(cost[a, b] for a, b in itertools.pairwise(path)))


@pytest.mark.parametrize("seed", range(5))
def test_two_opt_reports_its_change_and_leaves_no_improving_reversal(seed: int) -> None:
    cost, _, _, routes, count, _, _, _ = _instance(seed, n_stops=10, n_routes=1)
    r, n = routes[0], int(count[0])
    before = list(r[:n])
    delta = ils.two_opt(cost, r, n)
    after = list(r[:n])
    assert sorted(after) == sorted(before) and after[0] == before[0] and after[-1] == before[-1]
    assert _length(cost, after) - _length(cost, before) == delta <= 0
    for i, j in itertools.combinations(range(1, n - 1), 2):
        flipped = after[:i] + after[i : j + 1][::-1] + after[j + 1 :]
        assert _length(cost, flipped) >= _length(cost, after)


@pytest.mark.parametrize("seed", range(5))
def test_or_opt_makes_the_best_string_move(seed: int) -> None:
    cost, _, _, routes, count, _, _, _ = _instance(seed, n_stops=10, n_routes=1)
    r, n = routes[0], int(count[0])
    before = list(r[:n])
    # brute force: every string of 1-3, every other position, either way round
    best = 0
    for s in (1, 2, 3):
        for i in range(1, n - s):
            seg, rest = before[i : i + s], before[:i] + before[i + s :]
            for pos in range(1, len(rest)):
                if pos == i:  # back in its own place (reversing it there is 2-opt's job)
                    continue
                for piece in (seg, seg[::-1]):
                    cand = rest[:pos] + piece + rest[pos:]
                    best = min(best, _length(cost, cand) - _length(cost, before))
    delta = ils.or_opt(cost, r, n, np.empty(n, dtype=np.int64))
    after = list(r[:n])
    assert delta == best
    assert _length(cost, after) - _length(cost, before) == delta
    assert sorted(after) == sorted(before) and after[0] == before[0] and after[-1] == before[-1]


@pytest.mark.parametrize("move", ["relocate", "exchange"])
@pytest.mark.parametrize("seed", range(4))
def test_moves_between_routes_shorten_the_plan_within_limits(move: str, seed: int) -> None:
    cost, _, _, routes, count, lens, limits, _ = _instance(seed, n_stops=16, n_routes=3, limit=0)
    stops_before = sorted(int(i) for v in range(3) for i in routes[v, 1 : count[v] - 1])
    total_before = int(lens.sum())
    moved = getattr(ils, move)(cost, routes, count, lens, limits)
    stops_after = sorted(int(i) for v in range(3) for i in routes[v, 1 : count[v] - 1])
    assert stops_after == stops_before
    for v in range(3):
        assert lens[v] == _length(cost, list(routes[v, : count[v]])) <= limits[v]
    assert (int(lens.sum()) < total_before) == moved
    if not moved:
        assert int(lens.sum()) == total_before


@pytest.mark.parametrize("seed", range(4))
def test_insert_all_leaves_nothing_that_fits(seed: int) -> None:
    cost, prize, cand, routes, count, lens, limits, used = _instance(
        seed, n_stops=14, n_routes=2, limit=220
    )
    ils.insert_all(cost, prize, cand, routes, count, lens, limits, used, 0.0)
    visited = [int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]]
    assert len(visited) == len(set(visited)) and set(visited) == set(np.flatnonzero(used))
    for v in range(2):
        path = list(routes[v, : count[v]])
        assert lens[v] == _length(cost, path) <= limits[v]
        for f in set(range(14)) - set(visited):
            for k in range(len(path) - 1):
                assert _length(cost, [*path[: k + 1], f, *path[k + 1 :]]) > limits[v]


def test_insert_all_takes_the_most_valuable_stop_that_fits_first() -> None:
    """Room for one of two stops: the one worth more goes in, though it is farther."""
    # start 0 and end 3 at x = 0; stop 1 (prize 2) at x = -1, stop 2 (prize 5) at x = 4
    x = np.array([0, -1, 4, 0])
    cost = np.abs(x[:, None] - x[None]).astype(np.int64)
    prize = np.array([0, 2, 5, 0], dtype=np.int64)
    routes = np.array([[0, 3, 0, 0]], dtype=np.int64)
    count = np.array([2], dtype=np.int64)
    lens = np.array([0], dtype=np.int64)
    used = np.zeros(4, dtype=np.bool_)
    cand = np.array([1, 2], dtype=np.int64)
    ils.insert_all(cost, prize, cand, routes, count, lens, np.array([8]), used, 0.0)
    assert list(routes[0, : count[0]]) == [0, 2, 3] and lens[0] == 8


@pytest.mark.parametrize("seed", range(5))
def test_repair_fits_overfull_routes_and_keeps_the_books(seed: int) -> None:
    cost, prize, cand, routes, count, lens, limits, used = _instance(
        seed, n_stops=20, n_routes=2, limit=150
    )
    ils.insert_all(cost, prize, cand, routes, count, lens, limits * 2, used, 0.0)
    before = {int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]}
    ils.repair(cost, prize, routes, count, lens, limits, used)
    after = [int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]]
    assert set(after) <= before and len(after) == len(set(after))
    assert set(after) == set(np.flatnonzero(used))
    for v in range(2):
        path = list(routes[v, : count[v]])
        assert path[0] == 20 and path[-1] == 21
        assert lens[v] == _length(cost, path) <= limits[v]


@pytest.mark.parametrize("seed", range(4))
def test_swap_in_raises_the_prize_and_keeps_the_books(seed: int) -> None:
    cost, prize, cand, routes, count, lens, limits, used = _instance(
        seed, n_stops=14, n_routes=2, limit=0
    )
    before = ils.plan_prize(prize, routes, count)
    swapped = ils.swap_in(cost, prize, cand, routes, count, lens, limits, used)
    after = ils.plan_prize(prize, routes, count)
    visited = [int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]]
    assert set(visited) == set(np.flatnonzero(used)) and len(visited) == len(set(visited))
    for v in range(2):
        assert lens[v] == _length(cost, list(routes[v, : count[v]])) <= limits[v]
    assert after >= before
    if not swapped:
        assert after == before


@pytest.mark.parametrize("seed", range(6))
def test_ruin_removes_visits_and_keeps_the_books(seed: int) -> None:
    cost, prize, cand, routes, count, _, _, used = _instance(seed, n_stops=20, n_routes=2)
    before = {int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]}
    ils.seed(seed)
    ils.ruin(cost, prize, cand, routes, count, used)
    after = {int(i) for v in range(2) for i in routes[v, 1 : count[v] - 1]}
    assert after < before and len(before - after) >= 2
    assert after == set(np.flatnonzero(used))
    assert all(routes[v, 0] == 20 and routes[v, count[v] - 1] == 21 for v in range(2))


def _run(seed: int, n_iter: int):
    cost, prize, cand, routes, count, lens, limits, used = _instance(
        7, n_stops=30, n_routes=2, limit=180
    )
    ils.seed(seed)
    ils.descend(cost, prize, cand, limits, routes, count, lens, used)
    p0 = ils.plan_prize(prize, routes, count)
    best = routes.copy(), count.copy(), lens.copy()
    state = np.array([p0, lens.sum(), p0, lens.sum(), 0, 0], dtype=np.int64)
    pool_r = np.zeros((4096, routes.shape[1]), dtype=np.int64)
    pool_c = np.zeros(4096, dtype=np.int64)
    pool_v = np.zeros(4096, dtype=np.int64)
    ils.run_chunk(
        cost,
        prize,
        cand,
        limits,
        routes,
        count,
        lens,
        used,
        *best,
        state,
        n_iter,
        0.0,
        1.0,
        5.0,
        50,
        pool_r,
        pool_c,
        pool_v,
        5,
    )
    return cost, prize, limits, best, state, p0, (pool_r, pool_c, pool_v)


def test_run_chunk_keeps_the_best_plan_and_is_seeded() -> None:
    cost, prize, limits, (br, bc, bl), state, p0, (pool_r, pool_c, pool_v) = _run(1, 200)
    assert state[2] == ils.plan_prize(prize, br, bc) >= p0
    for v in range(2):
        assert bl[v] == _length(cost, list(br[v, : bc[v]])) <= limits[v]
    visited = [int(i) for v in range(2) for i in br[v, 1 : bc[v] - 1]]
    assert len(visited) == len(set(visited))
    # every pooled route is a real route of its vehicle within the limit
    assert state[5] > 0
    for k in range(int(state[5])):
        path = list(pool_r[k, : pool_c[k]])
        assert path[0] == 30 and path[-1] == 31 and _length(cost, path) <= limits[pool_v[k]]
    again = _run(1, 200)[3]
    assert all((a == b).all() for a, b in zip((br, bc, bl), again, strict=True))
