"""Ruin and recreate for routing where every stop must be served, compiled with numba.

Slack induction by string removals (SISR, Christiaens & Vanden Berghe 2020):
each iteration removes a few strings of consecutive visits from routes near
a random stop, puts every removed stop back at its cheapest feasible place
(skipping each place with a small "blink" probability), and accepts the
result by simulated annealing on total travel time. Numbers only, no
OR-Tools: :func:`geogrid.planning.solvers.search.improve_required_routes` drives it in short
chunks, starting from OR-Tools' plan.

A plan is held in fixed-size arrays: ``routes[v, :count[v]]`` is vehicle v's
path, start node first and end node last. Constraints: node time windows
``[open, close]`` on the service start, service times, the vehicle's shift
``[shift_lo, shift_hi]`` (leave the start no earlier, reach the end no
later) and capacity. ``est[v, k]`` / ``lst[v, k]`` hold the earliest and
latest feasible service start of position k, so an insertion is checked in
constant time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from geogrid.planning.solvers.streams import Stream, below, generator

BLINK = 0.01
MAX_STRING = 10
MEAN_REMOVED = 10
LONG_ROUTE = 10.0
"""Visits per route above which the annealing runs hotter (see :func:`_run_chunk`)."""
MAX_HEAT = 3.0
"""Most the start temperature is multiplied by for long routes."""

_stream = Stream()


def seed(value: int) -> None:
    """Restart the stream the kernels draw from when no ``rng`` is given."""
    _stream.seed(value)


@njit(cache=True)
def schedule(travel, service, w_open, w_close, r, n, lo, hi, est, lst) -> bool:
    """Fill est/lst for the path ``r[:n]``; False when it breaks a window or the shift."""
    est[0] = lo
    for k in range(1, n):
        arrive = est[k - 1] + service[r[k - 1]] + travel[r[k - 1], r[k]]
        if k == n - 1:
            est[k] = arrive
            if arrive > hi:
                return False
        else:
            est[k] = max(arrive, w_open[r[k]])
            if est[k] > w_close[r[k]]:
                return False
    lst[n - 1] = hi
    for k in range(n - 2, -1, -1):
        latest = lst[k + 1] - travel[r[k], r[k + 1]] - service[r[k]]
        cap = hi if k == 0 else w_close[r[k]]
        lst[k] = min(cap, latest)
    return True


@njit(cache=True)
def route_cost(travel, r, n) -> int:
    total = 0
    for k in range(n - 1):
        total += travel[r[k], r[k + 1]]
    return total


@njit(cache=True)
def _remove_string(routes, count, v, first, length, removed, n_removed: int, where) -> int:
    r = routes[v]
    for t in range(first, first + length):
        removed[n_removed] = r[t]
        where[r[t]] = -1
        n_removed += 1
    for t in range(first + length, count[v]):
        r[t - length] = r[t]
    count[v] -= length
    return n_removed


@njit(cache=True)
def ruin(rng, adj, cand, routes, count, where, removed) -> int:
    """Remove strings from routes near a random stop; returns how many stops were removed."""
    n_routes = routes.shape[0]
    busy = 0
    visits = 0
    for v in range(n_routes):
        if count[v] > 2:
            busy += 1
            visits += count[v] - 2
    if busy == 0:
        return 0
    ls_max = min(MAX_STRING, max(1, visits // busy))
    ks_max = 4.0 * MEAN_REMOVED / (1.0 + ls_max) - 1.0
    n_strings = int(rng.random() * ks_max) + 1
    centre = cand[below(rng, len(cand))]
    ruined = np.zeros(n_routes, dtype=np.bool_)
    n_removed = 0
    n_done = 0
    for t in range(adj.shape[1]):
        if n_done >= n_strings:
            break
        c = adj[centre, t]
        v = where[c]
        if v < 0 or ruined[v]:
            continue
        inner = count[v] - 2
        lt_max = min(inner, ls_max)
        length = int(rng.random() * lt_max) + 1
        pos = 1
        while routes[v, pos] != c:
            pos += 1
        # a string of `length` visits containing c at a random offset
        lo = max(1, pos - length + 1)
        hi = min(pos, inner - length + 1)
        first = lo + below(rng, hi - lo + 1)
        n_removed = _remove_string(routes, count, v, first, length, removed, n_removed, where)
        ruined[v] = True
        n_done += 1
    return n_removed


@njit(cache=True)
def recreate(
    rng,
    travel,
    service,
    w_open,
    w_close,
    demand,
    shift_lo,
    shift_hi,
    capacity,
    routes,
    count,
    load,
    est,
    lst,
    where,
    removed,
    n_removed,
    far,
) -> bool:
    """Put every removed stop back at its cheapest feasible place (with blinks); False if one
    fits nowhere."""
    order = removed[:n_removed].copy()
    kind = rng.random()
    if kind < 4.0 / 11.0:
        rng.shuffle(order)
    elif kind < 8.0 / 11.0:  # largest demand first
        order = order[np.argsort(-demand[order], kind="mergesort")]
    elif kind < 10.0 / 11.0:  # farthest first
        order = order[np.argsort(-far[order], kind="mergesort")]
    else:  # closest first
        order = order[np.argsort(far[order], kind="mergesort")]
    n_routes = routes.shape[0]
    # each place is skipped with probability BLINK: count down the places to the next skip
    # (geometric) instead of drawing a number for every place
    log_keep = np.log(1.0 - BLINK)
    to_blink = int(np.log(1.0 - rng.random()) / log_keep)
    for u in order:
        best, bv, bk = np.int64(1) << 60, -1, 0
        tried_empty = False
        for v in range(n_routes):
            n = count[v]
            if load[v] + demand[u] > capacity[v]:
                continue
            if n == 2 and tried_empty:  # one feasible empty vehicle is enough to try
                continue
            r = routes[v]
            feasible_here = False
            for k in range(n - 1):
                if to_blink == 0:
                    to_blink = int(np.log(1.0 - rng.random()) / log_keep)
                    continue
                to_blink -= 1
                a, b = r[k], r[k + 1]
                arrive = est[v, k] + service[a] + travel[a, u]
                start = max(arrive, w_open[u])
                if start > w_close[u]:
                    continue
                if start + service[u] + travel[u, b] > lst[v, k + 1]:
                    continue
                feasible_here = True
                d = travel[a, u] + travel[u, b] - travel[a, b]
                if d < best:
                    best, bv, bk = d, v, k
            if n == 2 and feasible_here:
                tried_empty = True
        if bv < 0:
            return False
        r = routes[bv]
        for t in range(count[bv], bk + 1, -1):
            r[t] = r[t - 1]
        r[bk + 1] = u
        count[bv] += 1
        load[bv] += demand[u]
        where[u] = bv
        schedule(
            travel,
            service,
            w_open,
            w_close,
            r,
            count[bv],
            shift_lo[bv],
            shift_hi[bv],
            est[bv],
            lst[bv],
        )
    return True


@njit(cache=True)
def heat(count) -> float:
    """Visits per busy route (``count`` holds path lengths, start and end included) over
    :data:`LONG_ROUTE`, within [1, :data:`MAX_HEAT`]: 1 when no route is busy."""
    visits, busy = 0, 0
    for v in range(count.shape[0]):
        if count[v] > 2:
            busy += 1
            visits += count[v] - 2
    return min(max(visits / max(busy, 1) / LONG_ROUTE, 1.0), MAX_HEAT)


@njit(cache=True)
def _run_chunk(
    rng,
    travel,
    service,
    w_open,
    w_close,
    demand,
    shift_lo,
    shift_hi,
    capacity,
    adj,
    cand,
    far,
    cur_r,
    cur_c,
    best_r,
    best_c,
    state,
    n_iter,
    frac0,
    frac1,
    t_start,
    t_end,
):
    """Run ``n_iter`` iterations, updating the plan arrays in place.

    ``state`` = [current cost, best cost]. The temperature falls
    exponentially from ``t_start`` to ``t_end`` as the budget share goes from 0 to 1,
    both multiplied by :func:`heat` of the current plan (``t_end`` by its square): plans
    of a few long routes on wide windows (Solomon C2, R2, RC2) need a hotter search than
    plans of many short routes (C1, R1, RC1).
    """
    n_routes, width = cur_r.shape
    hot = heat(cur_c)
    t_start = t_start * hot
    t_end = t_end * hot * hot
    n_nodes = travel.shape[0]
    removed = np.empty(n_nodes, dtype=np.int64)
    est = np.zeros((n_routes, width), dtype=np.int64)
    lst = np.zeros((n_routes, width), dtype=np.int64)
    where = np.full(n_nodes, -1, dtype=np.int64)
    load = np.zeros(n_routes, dtype=np.int64)
    for it in range(n_iter):
        ps = cur_r.copy()
        pc = cur_c.copy()
        where[:] = -1
        for v in range(n_routes):
            load[v] = 0
            for k in range(1, pc[v] - 1):
                where[ps[v, k]] = v
                load[v] += demand[ps[v, k]]
        n_removed = ruin(rng, adj, cand, ps, pc, where, removed)
        for v in range(n_routes):
            load[v] = 0
            for k in range(1, pc[v] - 1):
                load[v] += demand[ps[v, k]]
            schedule(
                travel,
                service,
                w_open,
                w_close,
                ps[v],
                pc[v],
                shift_lo[v],
                shift_hi[v],
                est[v],
                lst[v],
            )
        ok = recreate(
            rng,
            travel,
            service,
            w_open,
            w_close,
            demand,
            shift_lo,
            shift_hi,
            capacity,
            ps,
            pc,
            load,
            est,
            lst,
            where,
            removed,
            n_removed,
            far,
        )
        if not ok:
            continue
        total = 0
        for v in range(n_routes):
            total += route_cost(travel, ps[v], pc[v])
        frac = frac0 + (frac1 - frac0) * (it + 1) / n_iter
        temperature = t_start * (t_end / t_start) ** frac
        if total < state[0] - temperature * np.log(1.0 - rng.random()):
            cur_r[:] = ps
            cur_c[:] = pc
            state[0] = total
            if total < state[1]:
                best_r[:] = ps
                best_c[:] = pc
                state[1] = total


def run_chunk(*arrays: object, rng: np.random.Generator | None = None) -> None:
    """:func:`_run_chunk` on ``arrays`` (its arguments after ``rng``), drawing from ``rng``
    (default: the stream of :func:`seed`)."""
    _run_chunk(_stream.pick(rng), *arrays)


class _Flag:
    """A module-level switch (set without ``global``); true once set."""

    def __init__(self) -> None:
        self.on = False

    def __bool__(self) -> bool:
        return self.on


_warm = _Flag()


def warm_up() -> None:
    """Compile (or load from the disk cache) the kernels on a tiny plan."""
    if _warm:
        return
    travel = np.array([[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]], dtype=np.int64)
    zeros = np.zeros(4, dtype=np.int64)
    close = np.full(4, 100, dtype=np.int64)
    routes = np.array([[0, 1, 2, 3]], dtype=np.int64)
    count = np.array([4], dtype=np.int64)
    adj = np.array([[1, 2], [2, 1], [1, 2], [1, 2]], dtype=np.int64)
    state = np.array([3, 3], dtype=np.int64)
    run_chunk(
        travel,
        zeros,
        zeros,
        close,
        zeros,
        np.array([0]),
        np.array([100]),
        np.array([10]),
        adj,
        np.array([1, 2], dtype=np.int64),
        np.ones(4),
        routes,
        count,
        routes.copy(),
        count.copy(),
        state,
        2,
        0.0,
        1.0,
        1.0,
        0.1,
        rng=generator(0),
    )
    _warm.on = True
