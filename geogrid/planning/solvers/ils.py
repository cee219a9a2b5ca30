"""Iterated local search for team orienteering, compiled with numba.

Numbers only, no OR-Tools: :func:`geogrid.planning.solvers.search.improve_prize_routes` drives
it in short chunks (so it can watch the clock and combine routes by set
packing between chunks). A plan is held in fixed-size arrays:

* ``routes[v, :count[v]]`` - vehicle v's path, start node first, end node last;
* ``lens[v]`` - its length (the sum of ``cost`` along the path);
* ``used[i]`` - stop i is visited by some route.

``cost[a, b]`` is the time from a to b including the service at a, so a
route fits when its length is at most ``limit[v]``. The search repeats: ruin
(the visits nearest a random stop, random visits, the visits with the lowest
prize per second of detour, or a string of one route), recreate (greedy
insertion, most valuable first, with noise), then descend to a local
optimum (2-opt and or-opt of strings of 1-3 inside routes, relocate and
exchange between routes, swap a visit for a more valuable skipped stop,
insert whatever fits). Recreate and insertion take the most valuable stop
that fits first (:data:`RATIO_POWER`); half of the recreates may overfill the
routes by up to 10 % and then repair them (shorten, then drop the visits of
least prize per second of detour until each route fits). Acceptance is
simulated annealing on prize; ties go
to the shorter plan. Every random draw comes from the generator handed to
the kernels (:func:`geogrid.planning.solvers.streams.generator`, or the
stream of :func:`seed`), so a seed and a fixed number of iterations give the
same plan.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from geogrid.planning.solvers.streams import Stream, below, generator

BIG = 1 << 60
RUIN_MAX = 50
"""At most this many visits are removed by one ruin."""
RECREATE_NOISE = 0.3
"""Noise of the recreate step: each stop's key is multiplied by 1 +- this."""
RATIO_POWER = 0.0
"""Insertion key: prize / (1 + extra seconds) ** this. 0 inserts the most valuable stop
that fits first (as PyVRP's prize-dominated cost does); 1 (prize per extra second, the
key before 2026-12-06) kept the search in one basin on many Chao instances, e.g.
p4.2.f 678 on every seed and temperature against the best known 687."""
OVERFILL_SHARE = 0.5
"""Share of the iterations that recreate beyond the limits and then repair (:func:`_repair`)."""
OVERFILL = 0.1
"""Such a recreate may fill a route up to 1 + (this x a uniform draw) times its limit."""


_stream = Stream()


def seed(value: int) -> None:
    """Restart the stream the kernels draw from when no ``rng`` is given."""
    _stream.seed(value)


@njit(cache=True)
def route_length(cost: np.ndarray, r: np.ndarray, n: int) -> int:
    """Length of the path ``r[:n]``."""
    total = 0
    for i in range(n - 1):
        total += cost[r[i], r[i + 1]]
    return total


@njit(cache=True)
def two_opt(cost: np.ndarray, r: np.ndarray, n: int) -> int:
    """Best-improvement 2-opt on ``r[:n]`` (ends fixed); returns the change in length."""
    total = 0
    while True:
        best, bi, bj = 0, -1, -1
        for i in range(1, n - 2):
            a, b = r[i - 1], r[i]
            inner_f = 0
            inner_b = 0
            for j in range(i + 1, n - 1):
                inner_f += cost[r[j - 1], r[j]]
                inner_b += cost[r[j], r[j - 1]]
                c, d = r[j], r[j + 1]
                delta = cost[a, c] + inner_b + cost[b, d] - cost[a, b] - inner_f - cost[c, d]
                if delta < best:
                    best, bi, bj = delta, i, j
        if bi < 0:
            return total
        lo, hi = bi, bj
        while lo < hi:
            r[lo], r[hi] = r[hi], r[lo]
            lo += 1
            hi -= 1
        total += best


@njit(cache=True)
def or_opt(cost: np.ndarray, r: np.ndarray, n: int, buf: np.ndarray) -> int:
    """Best move of a string of 1-3 visits elsewhere in the route, either way round.

    Returns the change in length (0 when no move shortens the route)."""
    best, bi, bs, bk, brev = 0, -1, 0, 0, False
    for s in range(1, 4):
        for i in range(1, n - s):  # string r[i .. i+s-1]; r[n-1] is the end node
            first, last = r[i], r[i + s - 1]
            inner_f = 0
            inner_b = 0
            for t in range(s - 1):
                inner_f += cost[r[i + t], r[i + t + 1]]
                inner_b += cost[r[i + t + 1], r[i + t]]
            gain = cost[r[i - 1], first] + cost[last, r[i + s]] - cost[r[i - 1], r[i + s]]
            for k in range(n - 1):  # between r[k] and r[k+1]
                if i - 1 <= k <= i + s - 1:
                    continue
                base = cost[r[k], r[k + 1]]
                d = cost[r[k], first] + cost[last, r[k + 1]] - base - gain
                if d < best:
                    best, bi, bs, bk, brev = d, i, s, k, False
                d = cost[r[k], last] + cost[first, r[k + 1]] - base + inner_b - inner_f - gain
                if d < best:
                    best, bi, bs, bk, brev = d, i, s, k, True
    if bi < 0:
        return 0
    # rebuild: rest of the route with the string put after r[bk]
    m = 0
    for t in range(n):
        if bi <= t < bi + bs:
            continue
        buf[m] = r[t]
        m += 1
        if t == bk:
            for q in range(bs):
                buf[m] = r[bi + bs - 1 - q] if brev else r[bi + q]
                m += 1
    for t in range(n):
        r[t] = buf[t]
    return best


@njit(cache=True)
def _insert_at(r: np.ndarray, n: int, pos: int, node: int) -> None:
    for t in range(n, pos, -1):
        r[t] = r[t - 1]
    r[pos] = node


@njit(cache=True)
def _remove_at(r: np.ndarray, n: int, pos: int) -> None:
    for t in range(pos, n - 1):
        r[t] = r[t + 1]


@njit(cache=True)
def relocate(cost, routes, count, lens, limit) -> bool:
    """Move the one visit to another route that shortens the plan most."""
    best, bv, bi, bu, bk = 0, -1, 0, 0, 0
    n_routes = routes.shape[0]
    for v in range(n_routes):
        rv = routes[v]
        for i in range(1, count[v] - 1):
            w = rv[i]
            gain = cost[rv[i - 1], w] + cost[w, rv[i + 1]] - cost[rv[i - 1], rv[i + 1]]
            for u in range(n_routes):
                if u == v:
                    continue
                ru = routes[u]
                room = limit[u] - lens[u]
                for k in range(count[u] - 1):
                    d = cost[ru[k], w] + cost[w, ru[k + 1]] - cost[ru[k], ru[k + 1]]
                    if d <= room and d - gain < best:
                        best, bv, bi, bu, bk = d - gain, v, i, u, k
    if bv < 0:
        return False
    node = routes[bv, bi]
    _remove_at(routes[bv], count[bv], bi)
    count[bv] -= 1
    _insert_at(routes[bu], count[bu], bk + 1, node)
    count[bu] += 1
    lens[bv] = route_length(cost, routes[bv], count[bv])
    lens[bu] = route_length(cost, routes[bu], count[bu])
    return True


@njit(cache=True)
def exchange(cost, routes, count, lens, limit) -> bool:
    """Swap two visits of different routes when that shortens the plan."""
    best, bv, bi, bu, bj = 0, -1, 0, 0, 0
    n_routes = routes.shape[0]
    for v in range(n_routes):
        rv = routes[v]
        for u in range(v + 1, n_routes):
            ru = routes[u]
            for i in range(1, count[v] - 1):
                a, w, b = rv[i - 1], rv[i], rv[i + 1]
                out_v = cost[a, w] + cost[w, b]
                for j in range(1, count[u] - 1):
                    c, x, d = ru[j - 1], ru[j], ru[j + 1]
                    dv = cost[a, x] + cost[x, b] - out_v
                    du = cost[c, w] + cost[w, d] - cost[c, x] - cost[x, d]
                    if dv + du < best and lens[v] + dv <= limit[v] and lens[u] + du <= limit[u]:
                        best, bv, bi, bu, bj = dv + du, v, i, u, j
    if bv < 0:
        return False
    routes[bv, bi], routes[bu, bj] = routes[bu, bj], routes[bv, bi]
    lens[bv] = route_length(cost, routes[bv], count[bv])
    lens[bu] = route_length(cost, routes[bu], count[bu])
    return True


@njit(cache=True)
def swap_in(cost, prize, cand, routes, count, lens, limit, used) -> bool:
    """Replace a visit by a skipped stop worth more (or as much and shorter)."""
    best_gain, best_d, bv, bi, bf = 0, 0, -1, 0, 0
    for v in range(routes.shape[0]):
        r = routes[v]
        for i in range(1, count[v] - 1):
            a, w, b = r[i - 1], r[i], r[i + 1]
            out = cost[a, w] + cost[w, b]
            for f in cand:
                if used[f]:
                    continue
                gain = prize[f] - prize[w]
                if gain < 0:
                    continue
                d = cost[a, f] + cost[f, b] - out
                if lens[v] + d > limit[v] or (gain == 0 and d >= 0):
                    continue
                if gain > best_gain or (gain == best_gain and d < best_d):
                    best_gain, best_d, bv, bi, bf = gain, d, v, i, f
    if bv < 0:
        return False
    used[routes[bv, bi]] = False
    routes[bv, bi] = bf
    used[bf] = True
    lens[bv] += best_d
    return True


@njit(cache=True)
def _insert_all(rng, cost, prize, cand, routes, count, lens, limit, used, noise) -> None:
    """Insert skipped stops while any fits, by the key of :data:`RATIO_POWER` (with noise)."""
    while True:
        best_ratio, bf, bv, bk, bd = -1.0, -1, 0, 0, 0
        for f in cand:
            if used[f]:
                continue
            fd, fv, fk = BIG, -1, 0
            for v in range(routes.shape[0]):
                r = routes[v]
                room = limit[v] - lens[v]
                for k in range(count[v] - 1):
                    d = cost[r[k], f] + cost[f, r[k + 1]] - cost[r[k], r[k + 1]]
                    if d <= room and d < fd:
                        fd, fv, fk = d, v, k
            if fv < 0:
                continue
            ratio = prize[f] / (max(fd, 0) + 1.0) ** RATIO_POWER
            if noise > 0:
                ratio *= 1.0 - noise + 2.0 * noise * rng.random()
            if ratio > best_ratio:
                best_ratio, bf, bv, bk, bd = ratio, f, fv, fk, fd
        if bf < 0:
            return
        _insert_at(routes[bv], count[bv], bk + 1, bf)
        count[bv] += 1
        lens[bv] += bd
        used[bf] = True


@njit(cache=True)
def local_search(rng, cost, prize, cand, routes, count, lens, limit, used, buf) -> None:
    """Descend to a local optimum of every move above."""
    while True:
        for v in range(routes.shape[0]):
            while or_opt(cost, routes[v], count[v], buf) < 0:
                pass
            two_opt(cost, routes[v], count[v])
            lens[v] = route_length(cost, routes[v], count[v])
        _insert_all(rng, cost, prize, cand, routes, count, lens, limit, used, 0.0)
        if swap_in(cost, prize, cand, routes, count, lens, limit, used):
            continue
        if relocate(cost, routes, count, lens, limit):
            continue
        if exchange(cost, routes, count, lens, limit):
            continue
        return


@njit(cache=True)
def _ruin(rng, cost, prize, cand, routes, count, used) -> None:
    """Remove between 2 and half of the visits (at most 50), one of four ways."""
    n_routes = routes.shape[0]
    n_vis = 0
    for v in range(n_routes):
        n_vis += count[v] - 2
    if n_vis == 0:
        return
    hi = max(3, min(RUIN_MAX, n_vis // 2 + 2))
    k = min(n_vis, 2 + below(rng, hi - 2))
    vis = np.empty(n_vis, dtype=np.int64)
    key = np.empty(n_vis, dtype=np.float64)
    m = 0
    for v in range(n_routes):
        for i in range(1, count[v] - 1):
            vis[m] = routes[v, i]
            m += 1
    kind = below(rng, 4)
    drop = np.zeros(cost.shape[0], dtype=np.bool_)
    if kind == 3:  # a string of one route
        v = below(rng, n_routes)
        while count[v] <= 2:
            v = below(rng, n_routes)
        inner = count[v] - 2
        s_len = min(k, inner)
        s0 = 1 + below(rng, inner - s_len + 1)
        for i in range(s0, s0 + s_len):
            drop[routes[v, i]] = True
    else:
        if kind == 0:  # the visits nearest a random stop
            centre = cand[below(rng, len(cand))]
            for t in range(n_vis):
                key[t] = cost[centre, vis[t]] + cost[vis[t], centre]
        elif kind == 1:  # random visits
            for t in range(n_vis):
                key[t] = rng.random()
        else:  # lowest prize per second of detour, with noise
            m = 0
            for v in range(n_routes):
                r = routes[v]
                for i in range(1, count[v] - 1):
                    det = cost[r[i - 1], r[i]] + cost[r[i], r[i + 1]] - cost[r[i - 1], r[i + 1]]
                    key[m] = prize[r[i]] / (max(det, 0) + 1.0) * (0.5 + rng.random())
                    m += 1
        order = np.argsort(key)
        for t in range(k):
            drop[vis[order[t]]] = True
    for v in range(n_routes):
        m = 1
        for i in range(1, count[v] - 1):
            node = routes[v, i]
            if drop[node]:
                used[node] = False
            else:
                routes[v, m] = node
                m += 1
        routes[v, m] = routes[v, count[v] - 1]
        count[v] = m + 1


@njit(cache=True)
def _repair(cost, prize, routes, count, lens, limit, used, buf) -> None:
    """Shorten each route (or-opt, 2-opt), then drop its visits of least prize per
    second of detour until it fits its limit."""
    for v in range(routes.shape[0]):
        r = routes[v]
        while or_opt(cost, r, count[v], buf) < 0:
            pass
        two_opt(cost, r, count[v])
        ln = route_length(cost, r, count[v])
        while ln > limit[v] and count[v] > 2:
            worst, wi = 1e300, -1
            for i in range(1, count[v] - 1):
                det = cost[r[i - 1], r[i]] + cost[r[i], r[i + 1]] - cost[r[i - 1], r[i + 1]]
                key = prize[r[i]] / (max(det, 0) + 1.0)
                if key < worst:
                    worst, wi = key, i
            used[r[wi]] = False
            ln -= cost[r[wi - 1], r[wi]] + cost[r[wi], r[wi + 1]] - cost[r[wi - 1], r[wi + 1]]
            _remove_at(r, count[v], wi)
            count[v] -= 1
        lens[v] = route_length(cost, r, count[v])


@njit(cache=True)
def _better(p1: int, l1: int, p2: int, l2: int) -> bool:
    return p1 > p2 or (p1 == p2 and l1 < l2)


@njit(cache=True)
def plan_prize(prize, routes, count) -> int:
    total = 0
    for v in range(routes.shape[0]):
        for i in range(1, count[v] - 1):
            total += prize[routes[v, i]]
    return total


@njit(cache=True)
def _run_chunk(
    rng,
    cost,
    prize,
    cand,
    limit,
    cur_r,
    cur_c,
    cur_l,
    cur_u,
    best_r,
    best_c,
    best_l,
    state,
    n_iter,
    frac0,
    frac1,
    t0,
    restart_after,
    pool_r,
    pool_c,
    pool_v,
    pool_margin,
):
    """Run ``n_iter`` iterations; the plan arrays are updated in place.

    ``state`` = [current prize, current length, best prize, best length,
    iterations since the best improved, routes written to the pool]. The
    temperature falls linearly from ``t0 * (1 - frac0)`` to ``t0 * (1 - frac1)``.
    Routes of every plan within ``pool_margin`` prize of the best are appended
    to ``pool_r`` / ``pool_c`` / ``pool_v`` (vehicle) while there is room.
    """
    n_routes = cur_r.shape[0]
    buf = np.empty(cur_r.shape[1], dtype=np.int64)
    for it in range(n_iter):
        ps = cur_r.copy()
        pc = cur_c.copy()
        pl = cur_l.copy()
        pu = cur_u.copy()
        _ruin(rng, cost, prize, cand, ps, pc, pu)
        for v in range(n_routes):
            pl[v] = route_length(cost, ps[v], pc[v])
        if rng.random() < OVERFILL_SHARE:  # recreate beyond the limits, then repair
            over = limit + (limit * (OVERFILL * rng.random())).astype(np.int64)
            _insert_all(rng, cost, prize, cand, ps, pc, pl, over, pu, RECREATE_NOISE)
            _repair(cost, prize, ps, pc, pl, limit, pu, buf)
        else:
            _insert_all(rng, cost, prize, cand, ps, pc, pl, limit, pu, RECREATE_NOISE)
        local_search(rng, cost, prize, cand, ps, pc, pl, limit, pu, buf)
        p = plan_prize(prize, ps, pc)
        ln = pl.sum()
        state[4] += 1
        if _better(p, ln, state[2], state[3]):
            best_r[:] = ps
            best_c[:] = pc
            best_l[:] = pl
            state[2], state[3], state[4] = p, ln, 0
        if p >= state[2] - pool_margin:
            for v in range(n_routes):
                if pc[v] > 2 and state[5] < pool_r.shape[0]:
                    pool_r[state[5], : pc[v]] = ps[v, : pc[v]]
                    pool_c[state[5]] = pc[v]
                    pool_v[state[5]] = v
                    state[5] += 1
        frac = frac0 + (frac1 - frac0) * (it + 1) / n_iter
        temperature = t0 * max(0.0, 1.0 - frac)
        # a plan with as much prize is always taken (a random walk among equals)
        accept = p >= state[0]
        if not accept and temperature > 0:
            accept = rng.random() < np.exp((p - state[0]) / temperature)
        if accept:
            cur_r[:] = ps
            cur_c[:] = pc
            cur_l[:] = pl
            cur_u[:] = pu
            state[0], state[1] = p, ln
        if state[4] > restart_after:  # back to the best plan
            cur_r[:] = best_r
            cur_c[:] = best_c
            cur_l[:] = best_l
            cur_u[:] = False
            for v in range(n_routes):
                for i in range(1, best_c[v] - 1):
                    cur_u[best_r[v, i]] = True
            state[0], state[1], state[4] = state[2], state[3], 0


@njit(cache=True)
def _descend(rng, cost, prize, cand, limit, routes, count, lens, used) -> None:
    """Local search only (used on the starting plan and after set packing)."""
    buf = np.empty(routes.shape[1], dtype=np.int64)
    for v in range(routes.shape[0]):
        lens[v] = route_length(cost, routes[v], count[v])
    local_search(rng, cost, prize, cand, routes, count, lens, limit, used, buf)


def insert_all(
    cost: np.ndarray,
    prize: np.ndarray,
    cand: np.ndarray,
    routes: np.ndarray,
    count: np.ndarray,
    lens: np.ndarray,
    limit: np.ndarray,
    used: np.ndarray,
    noise: float,
    rng: np.random.Generator | None = None,
) -> None:
    """Insert skipped stops while one fits, by the key of :data:`RATIO_POWER` (with noise)."""
    _insert_all(_stream.pick(rng), cost, prize, cand, routes, count, lens, limit, used, noise)


def ruin(
    cost: np.ndarray,
    prize: np.ndarray,
    cand: np.ndarray,
    routes: np.ndarray,
    count: np.ndarray,
    used: np.ndarray,
    rng: np.random.Generator | None = None,
) -> None:
    """Remove between 2 and half of the visits (at most 50), one of four ways."""
    _ruin(_stream.pick(rng), cost, prize, cand, routes, count, used)


def repair(
    cost: np.ndarray,
    prize: np.ndarray,
    routes: np.ndarray,
    count: np.ndarray,
    lens: np.ndarray,
    limit: np.ndarray,
    used: np.ndarray,
) -> None:
    """Shorten each route, then drop its visits of least prize per second of detour until
    it fits its limit (after a recreate beyond the limits)."""
    _repair(cost, prize, routes, count, lens, limit, used, np.empty(routes.shape[1], np.int64))


def descend(
    cost: np.ndarray,
    prize: np.ndarray,
    cand: np.ndarray,
    limit: np.ndarray,
    routes: np.ndarray,
    count: np.ndarray,
    lens: np.ndarray,
    used: np.ndarray,
    rng: np.random.Generator | None = None,
) -> None:
    """Local search only (used on the starting plan and after set packing)."""
    _descend(_stream.pick(rng), cost, prize, cand, limit, routes, count, lens, used)


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
    """Compile (or load from the disk cache) every kernel on a tiny plan."""
    if _warm:
        return
    rng = generator(0)
    cost = np.array([[0, 1, 1, 2], [1, 0, 1, 1], [1, 1, 0, 1], [2, 1, 1, 0]], dtype=np.int64)
    prize = np.array([0, 1, 1, 0], dtype=np.int64)
    cand = np.array([1, 2], dtype=np.int64)
    limit = np.array([3, 3], dtype=np.int64)
    routes = np.zeros((2, 4), dtype=np.int64)
    routes[:, :2] = (0, 3)
    count = np.array([2, 2], dtype=np.int64)
    lens = np.zeros(2, dtype=np.int64)
    used = np.zeros(4, dtype=np.bool_)
    descend(cost, prize, cand, limit, routes, count, lens, used, rng)
    state = np.array([2, 4, 2, 4, 0, 0], dtype=np.int64)
    pool_r = np.zeros((8, 4), dtype=np.int64)
    pool_c = np.zeros(8, dtype=np.int64)
    run_chunk(
        cost,
        prize,
        cand,
        limit,
        routes,
        count,
        lens,
        used,
        routes.copy(),
        count.copy(),
        lens.copy(),
        state,
        2,
        0.0,
        1.0,
        1.0,
        10,
        pool_r,
        pool_c,
        pool_c.copy(),
        1,
        rng=rng,
    )
    _warm.on = True
