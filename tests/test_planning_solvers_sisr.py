"""The compiled ruin-and-recreate search for routes that must serve every stop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geogrid.planning.solvers import sisr

BIG = 2**40


def _instance(seed: int, n_stops: int = 14, n_routes: int = 3):
    """Random VRPTW: stops 0..n-1 with windows, service and demand; depot n (start and end)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n_stops + 1, 2))
    travel = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    service = np.array([*rng.integers(5, 15, n_stops), 0], dtype=np.int64)
    opens = rng.integers(0, 300, n_stops)
    w_open = np.array([*opens, 0], dtype=np.int64)
    w_close = np.array([*(opens + rng.integers(60, 200, n_stops)), BIG], dtype=np.int64)
    demand = np.array([*rng.integers(1, 5, n_stops), 0], dtype=np.int64)
    return travel, service, w_open, w_close, demand


def _earliest(travel, service, w_open, w_close, path, lo, hi):
    """Independent earliest-start schedule; None when a window or the shift breaks."""
    t, starts = lo, [lo]
    for a, b in itertools.pairwise(path):
        t = t + service[a] + travel[a, b]
        if b == path[-1] and len(starts) == len(path) - 1:
            if t > hi:
                return None
            starts.append(t)
            break
        t = max(t, w_open[b])
        if t > w_close[b]:
            return None
        starts.append(t)
    return starts


@pytest.mark.parametrize("seed", range(8))
def test_schedule_matches_an_independent_earliest_start(seed: int) -> None:
    travel, service, w_open, w_close, _ = _instance(seed)
    rng = np.random.default_rng(seed)
    path = [14, *rng.permutation(14)[:5].tolist(), 14]
    est = np.zeros(len(path), dtype=np.int64)
    lst = np.zeros(len(path), dtype=np.int64)
    ok = sisr.schedule(
        travel, service, w_open, w_close, np.array(path), len(path), 0, 1000, est, lst
    )
    ref = _earliest(travel, service, w_open, w_close, path, 0, 1000)
    assert ok == (ref is not None)
    if ok:
        assert list(est) == ref
        # the latest starts keep the rest feasible: starting any stop at its latest still works
        for k in range(1, len(path) - 1):
            assert est[k] <= lst[k]
            t = lst[k]
            for a, b in itertools.pairwise(path[k:]):
                t = t + service[a] + travel[a, b]
                if b != path[-1]:
                    t = max(t, w_open[b])
                    assert t <= w_close[b]
            assert t <= 1000


def _feasible_start(seed: int):
    """A feasible plan: each stop alone on a route where possible, else skipped from the
    instance."""
    travel, service, w_open, w_close, demand = _instance(seed)
    routes = np.zeros((14, 16), dtype=np.int64)
    count = np.full(14, 2, dtype=np.int64)
    routes[:, 0] = routes[:, 1] = 14
    stops = []
    v = 0
    for i in range(14):
        if _earliest(travel, service, w_open, w_close, [14, i, 14], 0, 2000) is not None:
            routes[v, :3] = (14, i, 14)
            count[v] = 3
            stops.append(i)
            v += 1
    return travel, service, w_open, w_close, demand, routes, count, np.array(stops, dtype=np.int64)


@pytest.mark.parametrize("seed", range(4))
def test_run_chunk_keeps_every_stop_on_a_feasible_route_and_never_gets_longer(seed: int) -> None:
    travel, service, w_open, w_close, demand, routes, count, stops = _feasible_start(seed)
    n_routes = routes.shape[0]
    lo = np.zeros(n_routes, dtype=np.int64)
    hi = np.full(n_routes, 2000, dtype=np.int64)
    cap = np.full(n_routes, 12, dtype=np.int64)
    near = travel[np.ix_(stops, stops)]
    adj = np.zeros((15, len(stops)), dtype=np.int64)
    adj[stops] = stops[np.argsort(near, axis=1, kind="stable")]
    far = travel[14].astype(np.float64)
    start_total = sum(int(sisr.route_cost(travel, routes[v], count[v])) for v in range(n_routes))
    best_r, best_c = routes.copy(), count.copy()
    state = np.array([start_total, start_total], dtype=np.int64)
    sisr.seed(seed)
    sisr.run_chunk(
        travel,
        service,
        w_open,
        w_close,
        demand,
        lo,
        hi,
        cap,
        adj,
        stops,
        far,
        routes,
        count,
        best_r,
        best_c,
        state,
        300,
        0.0,
        1.0,
        20.0,
        0.5,
    )
    assert state[1] <= start_total
    served = sorted(int(i) for v in range(n_routes) for i in best_r[v, 1 : best_c[v] - 1])
    assert served == sorted(stops.tolist())
    total = 0
    for v in range(n_routes):
        path = list(best_r[v, : best_c[v]])
        assert path[0] == 14 and path[-1] == 14
        assert _earliest(travel, service, w_open, w_close, path, 0, 2000) is not None
        assert sum(demand[i] for i in path) <= 12
        total += int(sisr.route_cost(travel, best_r[v], best_c[v]))
    assert total == state[1]
    if seed == 0:  # the search does something: 14 single-stop routes can be joined
        assert state[1] < start_total


def test_run_chunk_is_seeded() -> None:
    results = []
    for _ in range(2):
        travel, service, w_open, w_close, demand, routes, count, stops = _feasible_start(1)
        n_routes = routes.shape[0]
        near = travel[np.ix_(stops, stops)]
        adj = np.zeros((15, len(stops)), dtype=np.int64)
        adj[stops] = stops[np.argsort(near, axis=1, kind="stable")]
        state = np.array([10**9, 10**9], dtype=np.int64)
        best_r, best_c = routes.copy(), count.copy()
        sisr.seed(5)
        sisr.run_chunk(
            travel,
            service,
            w_open,
            w_close,
            demand,
            np.zeros(n_routes, dtype=np.int64),
            np.full(n_routes, 2000, dtype=np.int64),
            np.full(n_routes, 12, dtype=np.int64),
            adj,
            stops,
            travel[14].astype(np.float64),
            routes,
            count,
            best_r,
            best_c,
            state,
            200,
            0.0,
            1.0,
            20.0,
            0.5,
        )
        results.append((best_r.copy(), best_c.copy(), int(state[1])))
    assert (results[0][0] == results[1][0]).all() and results[0][2] == results[1][2]


def _long_route_start(seed: int, n_stops: int = 30):
    """A feasible plan of two long routes on wide windows (every window [0, 5000], shift 6000):
    the stops in index order split in two halves."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n_stops + 1, 2))
    travel = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    service = np.array([*rng.integers(5, 15, n_stops), 0], dtype=np.int64)
    w_open = np.zeros(n_stops + 1, dtype=np.int64)
    w_close = np.array([*[5000] * n_stops, BIG], dtype=np.int64)
    demand = np.array([*rng.integers(1, 5, n_stops), 0], dtype=np.int64)
    half = n_stops // 2
    routes = np.zeros((3, n_stops + 2), dtype=np.int64)
    count = np.array([half + 2, n_stops - half + 2, 2], dtype=np.int64)
    routes[0, : half + 2] = [n_stops, *range(half), n_stops]
    routes[1, : n_stops - half + 2] = [n_stops, *range(half, n_stops), n_stops]
    routes[2, :2] = n_stops
    return travel, service, w_open, w_close, demand, routes, count


@pytest.mark.parametrize("seed", range(4))
def test_ruin_and_recreate_put_every_stop_back_within_windows_shift_and_capacity(
    seed: int,
) -> None:
    travel, service, w_open, w_close, demand, routes, count, stops = _feasible_start(seed)
    n_routes, width = routes.shape
    lo = np.zeros(n_routes, dtype=np.int64)
    hi = np.full(n_routes, 2000, dtype=np.int64)
    cap = np.full(n_routes, 12, dtype=np.int64)
    near = travel[np.ix_(stops, stops)]
    adj = np.zeros((15, len(stops)), dtype=np.int64)
    adj[stops] = stops[np.argsort(near, axis=1, kind="stable")]
    rng = np.random.default_rng(seed)
    for _ in range(20):
        where = np.full(15, -1, dtype=np.int64)
        for v in range(n_routes):
            where[routes[v, 1 : count[v] - 1]] = v
        removed = np.empty(15, dtype=np.int64)
        n_removed = sisr.ruin(rng, adj, stops, routes, count, where, removed)
        assert 1 <= n_removed <= len(stops)
        est = np.zeros((n_routes, width), dtype=np.int64)
        lst = np.zeros((n_routes, width), dtype=np.int64)
        load = np.zeros(n_routes, dtype=np.int64)
        for v in range(n_routes):
            load[v] = demand[routes[v, 1 : count[v] - 1]].sum()
            assert sisr.schedule(
                travel, service, w_open, w_close, routes[v], count[v], 0, 2000, est[v], lst[v]
            )
        ok = sisr.recreate(
            rng,
            travel,
            service,
            w_open,
            w_close,
            demand,
            lo,
            hi,
            cap,
            routes,
            count,
            load,
            est,
            lst,
            where,
            removed,
            n_removed,
            travel[14].astype(np.float64),
        )
        assert ok  # each stop has a route of its own to go back to at worst
        served = sorted(int(i) for v in range(n_routes) for i in routes[v, 1 : count[v] - 1])
        assert served == sorted(stops.tolist())
        for v in range(n_routes):
            path = [int(i) for i in routes[v, : count[v]]]
            assert _earliest(travel, service, w_open, w_close, path, 0, 2000) is not None, path
            assert sum(demand[i] for i in path[1:-1]) <= 12
            assert all(where[i] == v for i in path[1:-1])


@pytest.mark.parametrize("seed", range(3))
def test_run_chunk_on_long_routes_runs_hotter_and_stays_feasible(seed: int) -> None:
    travel, service, w_open, w_close, demand, routes, count = _long_route_start(seed)
    n = travel.shape[0] - 1
    stops = np.arange(n, dtype=np.int64)
    adj = np.zeros((n + 1, n), dtype=np.int64)
    adj[stops] = stops[np.argsort(travel[np.ix_(stops, stops)], axis=1, kind="stable")]
    start_total = sum(int(sisr.route_cost(travel, routes[v], count[v])) for v in range(3))
    best_r, best_c = routes.copy(), count.copy()
    state = np.array([start_total, start_total], dtype=np.int64)
    sisr.run_chunk(
        travel,
        service,
        w_open,
        w_close,
        demand,
        np.zeros(3, dtype=np.int64),
        np.full(3, 6000, dtype=np.int64),
        np.full(3, 60, dtype=np.int64),
        adj,
        stops,
        travel[n].astype(np.float64),
        routes,
        count,
        best_r,
        best_c,
        state,
        500,
        0.0,
        1.0,
        20.0,
        0.5,
        rng=np.random.default_rng(seed),
    )
    assert state[1] < start_total  # stops in index order are far from the shortest routes
    served = sorted(int(i) for v in range(3) for i in best_r[v, 1 : best_c[v] - 1])
    assert served == list(range(n))
    for v in range(3):
        path = [int(i) for i in best_r[v, : best_c[v]]]
        assert _earliest(travel, service, w_open, w_close, path, 0, 6000) is not None
        assert sum(demand[i] for i in path[1:-1]) <= 60


def test_heat_is_one_for_short_routes_and_grows_to_max_heat_for_long_ones() -> None:
    assert sisr.heat(np.array([5, 12, 2])) == 1.0  # 13 visits on 2 routes
    assert sisr.heat(np.array([22, 2, 22])) == pytest.approx(2.0)  # 40 visits on 2 routes
    assert sisr.heat(np.array([60, 2])) == sisr.MAX_HEAT
    assert sisr.heat(np.array([2, 2])) == 1.0  # no busy route
