"""Prize-collecting routing with time windows and every patrol constraint, compiled with numba.

The search for the problems leaders actually have: optional stops with prizes
(and required ones), time windows with waiting, dwell (service) times, one
travel matrix and one shift per team, allowed teams per stop, capacities and
revisits ("b at least ``gap`` s after a"). Each iteration ruins the current
plan (strings of consecutive visits around a stop, random visits, or a stop and
its nearest visited neighbours) and recreates it (greedy by prize / added
time with noise, or by prize with the cheapest place and a small "blink"
probability of skipping a place); the result is accepted by simulated
annealing on the prize (travel time breaks ties), and the search goes back to
the best plan when it stalls. Numbers only, no OR-Tools:
:func:`improve_prize_tw_routes` drives it in short chunks from OR-Tools' plan.
Two such searches (:data:`PORTFOLIO`) take turns on the clock, a warm one and a
cool one, and the better plan wins: on the hard instances with windows some
basins are only reached warm (R104 with four teams) and others only cool (RC106
with four teams: a route through a cluster of small prizes).

A plan is held in fixed-size arrays: ``routes[v, :count[v]]`` is vehicle v's
path, start node first and end node last; ``loc[i] = (v, position)`` or
``(-1, -1)`` when i is not visited. ``est[v, k]`` / ``lst[v, k]`` hold the
earliest and latest service start of position k (the earliest schedule is the
one :func:`geogrid.planning.workload.schedule_orders` checks: leave at the
shift start, wait for a window or a revisit gap), so an insertion is tested in
constant time. A revisit whose first pass is on another route reads that
pass's start; when any revisit exists, every change is re-scheduled over all
routes to the fixed point and refused when it breaks anything.

Required stops carry a prize above all optional prizes together, so no
accepted plan drops one.

Speed is iterations, so the recreate avoids work that cannot pay: the cheapest
place of a stop in a route is found by bisection on the latest starts (both
earliest and latest starts rise along a route) and stops at the first place
that starts after the stop closes; the greedy recreate drops a stop once it
fits nowhere (on a metric matrix an insertion never makes room elsewhere in its
route, and the other routes are unchanged); the local search after a recreate
tries only pairs on routes that changed since the plan was last searched.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numba import njit

from geogrid.planning.solvers.routing import RoutingArrays
from geogrid.planning.solvers.streams import below, generator

SVC, OPEN, CLOSE, PRIZE, DEMAND, BEFORE, GAP = range(7)
"""Columns of the per-node table the kernels read."""
MATRIX, LO, HI, CAP = range(4)
"""Columns of the per-vehicle table."""
BIG = 2**50
MAX_STRING = 10
"""Longest string of consecutive visits one ruin removes from a route."""
MAX_REMOVED = 30
"""Most visits one ruin removes."""
BLINK = 0.01
"""Probability of skipping a place in the cheapest-place recreate."""
NOISE = 0.3
"""Relative noise on the prize / added time ratio in the greedy recreate."""
TEMPERATURE = 0.5
"""Starting temperature of the annealing, in mean optional prizes (falls linearly to 0)."""
RESTART_AFTER = 2000
"""Iterations without a new best before the search goes back to the best plan."""
NEAR = 20
"""Nearest stops kept per stop for related removals."""
LS_NEAR = 10
"""Nearest stops each visit is tried next to by the local search."""
LS_MODE = 1
"""When the local search runs: 0 never, 1 after every recreate, 2 when the candidate is
within the temperature of the current plan, 3 when it beats the best."""
KICK = True
"""Every second stall, restart from the best plan with most of its visits removed."""
KICK_SHARE = (0.4, 1.0)
"""Share of the visits a kick removes (uniform in this range)."""
LS_PASSES = 20
"""Most passes of the local search over every visit."""
CHUNK_S = 0.02
"""Seconds per compiled chunk between clock checks."""
PORTFOLIO = ((1.0, 0.5), (0.2, 0.5))
"""(temperature factor, share of the time) of independent searches from the same first plan
that take turns; the best of their plans is returned. The factor multiplies
:data:`TEMPERATURE`: a warm search and a cool one, since hard instances with windows need
one or the other."""
LAST_STATS: list[int] = [0]
"""Iterations of the last :func:`improve_prize_tw_routes` (for benchmarks)."""


# ------------------------------------------------------------------ schedule


@njit(cache=True)
def _schedule(v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst) -> bool:
    """Earliest and latest starts of route v (other routes' starts read as they are);
    its load and travel in ``vst[v]``. False when it breaks a window, shift, gap or load."""
    r = routes[v]
    n = count[v]
    M = T[veh[v, MATRIX]]
    est[v, 0] = veh[v, LO]
    load = 0
    travel = 0
    for k in range(1, n):
        p = r[k - 1]
        c = r[k]
        travel += M[p, c]
        t = est[v, k - 1] + node[p, SVC] + M[p, c]
        if k == n - 1:
            est[v, k] = t
            if t > veh[v, HI]:
                return False
        else:
            load += node[c, DEMAND]
            t = max(t, node[c, OPEN])
            a = node[c, BEFORE]
            if a >= 0:
                va = loc[a, 0]
                if va < 0:
                    return False
                if va == v and loc[a, 1] >= k:
                    return False
                t = max(t, est[va, loc[a, 1]] + node[c, GAP])
            est[v, k] = t
            if t > node[c, CLOSE]:
                return False
    vst[v, 0] = load
    vst[v, 1] = travel
    if load > veh[v, CAP]:
        return False
    lst[v, n - 1] = veh[v, HI]
    for k in range(n - 2, -1, -1):
        c = r[k]
        t = lst[v, k + 1] - M[c, r[k + 1]] - node[c, SVC]
        if k > 0:
            t = min(t, node[c, CLOSE])
            for f in range(nfollow[c]):
                b = follow[c, f]
                vb = loc[b, 0]
                if vb >= 0:
                    t = min(t, lst[vb, loc[b, 1]] - node[b, GAP])
        lst[v, k] = t
    return True


@njit(cache=True)
def _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst) -> bool:
    """Every route to the fixed point of the revisit gaps across routes (earliest
    starts rise from 0, latest starts fall from BIG); False when anything breaks."""
    V = routes.shape[0]
    for v in range(V):
        est[v, : count[v]] = 0
        lst[v, : count[v]] = BIG
    n_nodes = node.shape[0]
    for _ in range(n_nodes + 2):
        before = 0
        after = 0
        for v in range(V):
            for k in range(count[v]):
                before += est[v, k]
            if not _schedule(v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst):
                return False
            for k in range(count[v]):
                after += est[v, k]
        if after == before:
            break
    for _ in range(n_nodes + 2):
        before = 0
        after = 0
        for v in range(V):
            for k in range(count[v]):
                before += lst[v, k]
            _schedule(v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
            for k in range(count[v]):
                after += lst[v, k]
        if after == before:
            break
    for v in range(V):
        for k in range(1, count[v] - 1):
            if est[v, k] > lst[v, k]:
                return False
    return True


@njit(cache=True)
def _put(u, v, k, routes, count, loc) -> None:
    """Place u after position k of route v (no schedule)."""
    n = count[v]
    for t in range(n, k + 1, -1):
        routes[v, t] = routes[v, t - 1]
        loc[routes[v, t], 1] = t
    routes[v, k + 1] = u
    loc[u, 0] = v
    loc[u, 1] = k + 1
    count[v] = n + 1


@njit(cache=True)
def _take(u, routes, count, loc, follow, nfollow, touched):
    """Remove u and (recursively) its revisits; marks the routes touched; returns how
    many visits were removed."""
    v = loc[u, 0]
    if v < 0:
        return 0
    k = loc[u, 1]
    n = count[v]
    for t in range(k, n - 1):
        routes[v, t] = routes[v, t + 1]
        loc[routes[v, t], 1] = t
    count[v] = n - 1
    loc[u, 0] = -1
    loc[u, 1] = -1
    touched[v] = True
    removed = 1
    for f in range(nfollow[u]):
        removed += _take(follow[u, f], routes, count, loc, follow, nfollow, touched)
    return removed


@njit(cache=True)
def _plan_value(node, routes, count, vst, scale):
    """Prize of the plan minus its travel / ``scale`` (travel only breaks ties)."""
    prize = 0
    travel = 0
    for v in range(routes.shape[0]):
        travel += vst[v, 1]
        for k in range(1, count[v] - 1):
            prize += node[routes[v, k], PRIZE]
    return prize - travel / scale


# ------------------------------------------------------------------ ruin


@njit(cache=True)
def _ruin(rng, cand, near, routes, count, loc, follow, nfollow, touched) -> None:
    """Remove a few visits: strings around a random stop and its neighbours, random
    visits, or a stop and its nearest visited neighbours."""
    visited = 0
    for v in range(routes.shape[0]):
        visited += count[v] - 2
    if visited == 0:
        return
    cap = min(MAX_REMOVED, max(1, visited // 3 + 1))
    goal = 1 + below(rng, cap)
    # a random visited seed
    seed = -1
    while seed < 0:
        c = cand[below(rng, cand.shape[0])]
        if loc[c, 0] >= 0:
            seed = c
    how = below(rng, 3)
    removed = 0
    if how == 0:  # strings through the seed and its near neighbours, one per route
        done = np.zeros(routes.shape[0], dtype=np.bool_)
        j = -1
        while removed < goal and j < near.shape[1]:
            c = seed if j < 0 else near[seed, j]
            j += 1
            v = loc[c, 0]
            if v < 0 or done[v]:
                continue
            done[v] = True
            n_in = count[v] - 2
            length = 1 + below(rng, min(MAX_STRING, n_in, goal - removed))
            k = loc[c, 1]
            first = k - below(rng, length)
            first = max(1, min(first, count[v] - 1 - length))
            nodes = routes[v, first : first + length].copy()
            for u in nodes:
                removed += _take(u, routes, count, loc, follow, nfollow, touched)
    elif how == 1:  # random visits
        tries = 0
        while removed < goal and tries < 20 * goal:
            tries += 1
            c = cand[below(rng, cand.shape[0])]
            if loc[c, 0] >= 0:
                removed += _take(c, routes, count, loc, follow, nfollow, touched)
    else:  # related: the seed and its nearest visited neighbours
        removed += _take(seed, routes, count, loc, follow, nfollow, touched)
        for j in range(near.shape[1]):
            if removed >= goal:
                break
            c = near[seed, j]
            if c >= 0 and loc[c, 0] >= 0:
                removed += _take(c, routes, count, loc, follow, nfollow, touched)


# ------------------------------------------------------------------ recreate


@njit(cache=True)
def _best_place(u, v, T, node, veh, allowed, routes, count, loc, est, lst, vst, rng, blink):
    """Cheapest feasible place of u in route v: (added time, position) or (-1, -1). The
    added time is what u takes from the route (travel, waiting and dwell); a place must
    keep u's window, the route's later latest starts, the load, the team restriction and a
    revisit's gap after its first pass (O(1) a place)."""
    best = -1
    where = -1
    if not allowed[u, v] or vst[v, 0] + node[u, DEMAND] > veh[v, CAP]:
        return best, where
    M = T[veh[v, MATRIX]]
    r = routes[v]
    n = count[v]
    opens = node[u, OPEN]
    closes = node[u, CLOSE]
    svc = node[u, SVC]
    ready = opens  # the earliest u may start: its window, and a revisit's gap
    a = node[u, BEFORE]
    first_k = 0
    if a >= 0:
        va = loc[a, 0]
        if va < 0:
            return best, where
        ready = max(ready, est[va, loc[a, 1]] + node[u, GAP])
        if va == v:
            first_k = loc[a, 1]  # after its first pass on the same route
    # earliest and latest starts never fall along a route: skip (by bisection) the places
    # whose successor must start before u may, stop at the first place that starts after
    # u closes (exact: only places that cannot fit are skipped)
    lo_k = first_k
    hi_k = n - 1
    while lo_k < hi_k:
        mid = (lo_k + hi_k) // 2
        if lst[v, mid + 1] < ready:
            lo_k = mid + 1
        else:
            hi_k = mid
    for k in range(lo_k, n - 1):
        ek = est[v, k]
        if ek > closes:
            break
        p = r[k]
        q = r[k + 1]
        leave = ek + node[p, SVC]
        t = max(leave + M[p, u], ready)
        if t > closes:
            continue
        arrive = t + svc + M[u, q]
        if arrive > lst[v, k + 1]:
            continue
        d = max(arrive - leave - M[p, q], 0)
        if best < 0 or d < best:
            if blink > 0.0 and rng.random() < blink:
                continue
            best = d
            where = k
    return best, where


@njit(cache=True)
def _insert(u, v, k, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst, linked):
    """Serve u after position k of route v and re-schedule; False (u taken out again)
    when the revisit gaps across routes break."""
    _put(u, v, k, routes, count, loc)
    if linked:
        if _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst):
            return True
        touched = np.zeros(routes.shape[0], dtype=np.bool_)
        _take(u, routes, count, loc, follow, nfollow, touched)
        _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
        return False
    _schedule(v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
    return True


@njit(cache=True)
def _open_nodes(cand, node, nfollow, loc):
    """Unvisited stops worth serving (a prize, or a revisit that has one)."""
    out = np.empty(cand.shape[0], dtype=np.int64)
    n = 0
    for c in cand:
        if loc[c, 0] < 0 and (node[c, PRIZE] > 0 or nfollow[c] > 0):
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True)
def _recreate_greedy(
    rng, cand, T, node, veh, allowed, follow, nfollow, routes, count, loc, est, lst, vst, linked
) -> None:
    """Insert unvisited stops one by one, best noisy prize^2 / added time first;
    the best place per stop and route is cached and refreshed for the route changed."""
    todo = _open_nodes(cand, node, nfollow, loc)
    m = todo.shape[0]
    V = routes.shape[0]
    if m == 0:
        return
    bd = np.full((m, V), -1, dtype=np.int64)
    bk = np.full((m, V), -1, dtype=np.int64)
    noise = np.empty(m)
    for i in range(m):
        noise[i] = 1.0 + NOISE * (rng.random() - 0.5)
        for v in range(V):
            d, k = _best_place(
                todo[i], v, T, node, veh, allowed, routes, count, loc, est, lst, vst, rng, 0.0
            )
            bd[i, v] = d
            bk[i, v] = k
    alive = np.ones(m, dtype=np.bool_)
    if not linked:
        # a visit added to a route only delays what follows it and hurries what comes before
        # (travel obeys the triangle inequality), so a stop that fits nowhere now never will
        for i in range(m):
            alive[i] = False
            for v in range(V):
                if bd[i, v] >= 0:
                    alive[i] = True
    while True:
        pick = -1
        pick_v = -1
        score = -1.0
        for i in range(m):
            if not alive[i]:
                continue
            u = todo[i]
            gain = max(node[u, PRIZE], 1) * noise[i]
            gain = gain * gain
            for v in range(V):
                if bd[i, v] >= 0:
                    s = gain / (bd[i, v] + 1.0)
                    if s > score:
                        score = s
                        pick = i
                        pick_v = v
        if pick < 0:
            return
        u = todo[pick]
        alive[pick] = False
        _insert(  # refused (u out again) only with revisits, where every place is redone
            u,
            pick_v,
            bk[pick, pick_v],
            T,
            node,
            veh,
            follow,
            nfollow,
            routes,
            count,
            loc,
            est,
            lst,
            vst,
            linked,
        )
        for i in range(m):
            if not alive[i]:
                continue
            w = todo[i]
            for v in range(V):
                # with revisits any route may have moved (schedules read each other);
                # else only the route changed, where a stop with no place still has none
                if linked or (v == pick_v and bd[i, v] >= 0):
                    d, k = _best_place(
                        w, v, T, node, veh, allowed, routes, count, loc, est, lst, vst, rng, 0.0
                    )
                    bd[i, v] = d
                    bk[i, v] = k


@njit(cache=True)
def _recreate_blink(
    rng, cand, T, node, veh, allowed, follow, nfollow, routes, count, loc, est, lst, vst, linked
) -> None:
    """Insert unvisited stops by noisy prize, each at its cheapest place over all routes,
    skipping each place with probability BLINK (SISR's recreate)."""
    todo = _open_nodes(cand, node, nfollow, loc)
    m = todo.shape[0]
    if m == 0:
        return
    key = np.empty(m)
    for i in range(m):
        key[i] = -(max(node[todo[i], PRIZE], 1) * (0.5 + rng.random()))
    order = np.argsort(key)
    for _pass in range(2):  # a second pass for revisits whose first pass came late
        for i in order:
            u = todo[i]
            if loc[u, 0] >= 0:
                continue
            best = -1
            bv = -1
            bkk = -1
            for v in range(routes.shape[0]):
                d, k = _best_place(
                    u, v, T, node, veh, allowed, routes, count, loc, est, lst, vst, rng, BLINK
                )
                if d >= 0 and (best < 0 or d < best):
                    best = d
                    bv = v
                    bkk = k
            if bv >= 0:
                _insert(
                    u,
                    bv,
                    bkk,
                    T,
                    node,
                    veh,
                    follow,
                    nfollow,
                    routes,
                    count,
                    loc,
                    est,
                    lst,
                    vst,
                    linked,
                )


# ------------------------------------------------------------------ local search


@njit(cache=True)
def _splice_delta(v, p, mid, nmid, s, T, node, veh, allowed, routes, est, lst, vst, other):
    """Travel change of route v becoming ``routes[v, :p] + mid[:nmid] + routes[v, s:]``,
    or BIG when that breaks a window, the shift, the load or (``other``: the middle comes
    from another route) the team restriction. O(nmid + s - p): the prefix keeps its
    earliest starts and the suffix its latest ones, so only the middle is scheduled.
    Revisit gaps are not read (linked plans are re-scheduled whole after the move)."""
    r = routes[v]
    M = T[veh[v, MATRIX]]
    prev = r[p - 1]
    t = est[v, p - 1]
    new = 0
    load = 0
    for i in range(nmid):
        c = mid[i]
        if other and not allowed[c, v]:
            return BIG
        new += M[prev, c]
        t = max(t + node[prev, SVC] + M[prev, c], node[c, OPEN])
        if t > node[c, CLOSE]:
            return BIG
        load += node[c, DEMAND]
        prev = c
    q = r[s]
    new += M[prev, q]
    if t + node[prev, SVC] + M[prev, q] > lst[v, s]:
        return BIG
    old = 0
    for k in range(p, s + 1):
        old += M[r[k - 1], r[k]]
        if k < s:
            load -= node[r[k], DEMAND]
    if other and vst[v, 0] + load > veh[v, CAP]:
        return BIG
    return new - old


@njit(cache=True)
def _splice(v, p, mid, nmid, s, routes, count, loc) -> None:
    """Route v becomes ``routes[v, :p] + mid[:nmid] + routes[v, s:]`` (no schedule)."""
    n = count[v]
    tail = routes[v, s:n].copy()
    k = p
    for i in range(nmid):
        routes[v, k] = mid[i]
        loc[mid[i], 0] = v
        loc[mid[i], 1] = k
        k += 1
    for i in range(tail.shape[0]):
        routes[v, k] = tail[i]
        if i < tail.shape[0] - 1:
            loc[tail[i], 0] = v
            loc[tail[i], 1] = k
        k += 1
    count[v] = k


@njit(cache=True)
def _commit(
    va, pa, ma, na, sa, vb, pb, mb, nb, sb, T, node, veh, follow, nfollow, plan, bak, linked
):
    """Apply one splice (vb < 0) or two and re-schedule; False (plan restored) when the
    schedule breaks, e.g. a revisit gap across routes."""
    routes, count, loc, est, lst, vst = plan
    _restore(routes, count, loc, est, lst, vst, bak[0], bak[1], bak[2], bak[3], bak[4], bak[5])
    _splice(va, pa, ma, na, sa, routes, count, loc)
    if vb >= 0:
        _splice(vb, pb, mb, nb, sb, routes, count, loc)
    if linked:
        ok = _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
    else:
        ok = _schedule(va, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
        if ok and vb >= 0:
            ok = _schedule(vb, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
    if not ok:
        _restore(bak[0], bak[1], bak[2], bak[3], bak[4], bak[5], routes, count, loc, est, lst, vst)
    return ok


@njit(cache=True)
def _copy_range(src, a, b, out, at, rev):
    """out[at:] = src[a:b] (reversed when ``rev``); returns the new end."""
    for i in range(b - a):
        out[at + i] = src[b - 1 - i] if rev else src[a + i]
    return at + b - a


@njit(cache=True)
def _improve_pair(u, w, T, node, veh, allowed, follow, nfollow, plan, bak, ma, mb, linked):
    """First improving travel-reducing move that brings u next to w: within a route
    2-opt (reverse the stretch between them) and or-opt (u's string of 1-3 visits moved
    next to w); between routes relocate u next to w, swap u and w, and 2-opt* (u's head
    joined to w's tail). Every move keeps windows, shift, load, team masks and gaps."""
    routes, count, loc, est, lst, vst = plan
    va, ka = loc[u, 0], loc[u, 1]
    vb, kb = loc[w, 0], loc[w, 1]
    if va < 0 or vb < 0:
        return False
    if va == vb:
        r = routes[va]
        n = count[va]
        # 2-opt: u and w become neighbours
        if ka + 1 < kb:
            p, s = ka + 1, kb + 1
        elif kb < ka - 1:
            p, s = kb, ka
        else:
            p, s = 0, 0
        if s > p:
            nm = _copy_range(r, p, s, ma, 0, True)
            d = _splice_delta(va, p, ma, nm, s, T, node, veh, allowed, routes, est, lst, vst, False)
            if d < 0 and _commit(
                va, p, ma, nm, s, -1, 0, mb, 0, 0, T, node, veh, follow, nfollow, plan, bak, linked
            ):
                return True
        # or-opt: u's string after w or before w
        for length in range(1, 4):
            if ka + length > n - 1:
                break
            for after in (kb, kb - 1):
                if after < 0 or (ka - 1 <= after < ka + length):
                    continue
                if after < ka:
                    p, s = after + 1, ka + length
                    nm = _copy_range(r, ka, ka + length, ma, 0, False)
                    nm = _copy_range(r, after + 1, ka, ma, nm, False)
                else:
                    p, s = ka, after + 1
                    nm = _copy_range(r, ka + length, after + 1, ma, 0, False)
                    nm = _copy_range(r, ka, ka + length, ma, nm, False)
                d = _splice_delta(
                    va, p, ma, nm, s, T, node, veh, allowed, routes, est, lst, vst, False
                )
                if d < 0 and _commit(
                    va, p, ma, nm, s, -1, 0, mb, 0, 0, T, node, veh, follow, nfollow, plan, bak,
                    linked,
                ):  # fmt: skip
                    return True
        return False
    na_ = count[va]
    nb_ = count[vb]
    ra = routes[va]
    rb = routes[vb]
    # relocate u after w or before w
    ma[0] = u
    da = _splice_delta(va, ka, ma, 0, ka + 1, T, node, veh, allowed, routes, est, lst, vst, False)
    if da < BIG:
        for pb in (kb + 1, kb):
            db = _splice_delta(
                vb, pb, ma, 1, pb, T, node, veh, allowed, routes, est, lst, vst, True
            )
            if db < BIG and da + db < 0 and _commit(
                va, ka, mb, 0, ka + 1, vb, pb, ma, 1, pb, T, node, veh, follow, nfollow, plan,
                bak, linked,
            ):  # fmt: skip
                return True
    # swap u and w
    ma[0] = w
    mb[0] = u
    da = _splice_delta(va, ka, ma, 1, ka + 1, T, node, veh, allowed, routes, est, lst, vst, True)
    if da < BIG:
        db = _splice_delta(
            vb, kb, mb, 1, kb + 1, T, node, veh, allowed, routes, est, lst, vst, True
        )
        if db < BIG and da + db < 0 and _commit(
            va, ka, ma, 1, ka + 1, vb, kb, mb, 1, kb + 1, T, node, veh, follow, nfollow, plan,
            bak, linked,
        ):  # fmt: skip
            return True
    # 2-opt*: u's head then w's tail, w's head then u's tail
    nm_a = _copy_range(rb, kb, nb_ - 1, ma, 0, False)
    nm_b = _copy_range(ra, ka + 1, na_ - 1, mb, 0, False)
    da = _splice_delta(
        va, ka + 1, ma, nm_a, na_ - 1, T, node, veh, allowed, routes, est, lst, vst, True
    )
    if da < BIG:
        db = _splice_delta(
            vb, kb, mb, nm_b, nb_ - 1, T, node, veh, allowed, routes, est, lst, vst, True
        )
        if db < BIG and da + db < 0 and _commit(
            va, ka + 1, ma, nm_a, na_ - 1, vb, kb, mb, nm_b, nb_ - 1, T, node, veh, follow,
            nfollow, plan, bak, linked,
        ):  # fmt: skip
            return True
    return False


@njit(cache=True)
def local_search(
    T, node, veh, allowed, follow, nfollow, cand, near, linked, plan, bak, dirty
) -> int:
    """Travel-reducing moves (:func:`_improve_pair` for each visit and its ``LS_NEAR``
    nearest visited stops) until none improves or ``LS_PASSES`` passes; returns how many
    moves were applied. Prizes are unchanged: the time freed is for the next recreate.

    Only pairs with a route in ``dirty`` (changed since the plan was last searched; every
    route for a plan with revisits, whose schedules read each other) are tried; each
    pass's changed routes are the next pass's dirty ones. ``dirty`` is overwritten."""
    routes = plan[0]
    loc = plan[2]
    V = routes.shape[0]
    ma = np.empty(routes.shape[1], dtype=np.int64)
    mb = np.empty(routes.shape[1], dtype=np.int64)
    changed = np.zeros(V, dtype=np.bool_)
    g = min(LS_NEAR, near.shape[1])
    moves = 0
    for _ in range(LS_PASSES):
        changed[:] = False
        for u in cand:
            for j in range(g):
                va = loc[u, 0]
                w = near[u, j]
                if va < 0 or w < 0:
                    break
                vb = loc[w, 0]
                if vb < 0 or not (linked or dirty[va] or dirty[vb]):
                    continue
                if _improve_pair(
                    u, w, T, node, veh, allowed, follow, nfollow, plan, bak, ma, mb, linked
                ):
                    moves += 1
                    changed[va] = True
                    changed[vb] = True
        dirty[:] = changed
        if not changed.any():
            break
    return moves


# ------------------------------------------------------------------ search


@njit(cache=True)
def _restore(src_r, src_c, src_l, src_e, src_s, src_v, routes, count, loc, est, lst, vst) -> None:
    routes[:] = src_r
    count[:] = src_c
    loc[:] = src_l
    est[:] = src_e
    lst[:] = src_s
    vst[:] = src_v


@njit(cache=True)
def _kick(rng, T, node, veh, allowed, follow, nfollow, cand, near, linked, scale, plan, bak):
    """Remove a random KICK_SHARE of the visits of ``plan`` and recreate it greedily,
    then shorten it and fill the time freed: a far jump out of the best plan's basin.
    Returns the new plan's value (it may be below the best; the best is kept apart), or
    -inf when the plan left does not fit (then the caller restores the best)."""
    routes, count, loc, est, lst, vst = plan
    V = routes.shape[0]
    touched = np.zeros(V, dtype=np.bool_)
    share = KICK_SHARE[0] + (KICK_SHARE[1] - KICK_SHARE[0]) * rng.random()
    for c in cand:
        if loc[c, 0] >= 0 and rng.random() < share:
            _take(c, routes, count, loc, follow, nfollow, touched)
    ok = True
    if linked:
        ok = _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
    else:
        for v in range(V):
            if touched[v] and not _schedule(
                v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst
            ):
                ok = False
    if not ok:
        return -np.inf
    _recreate_greedy(
        rng, cand, T, node, veh, allowed, follow, nfollow, routes, count, loc, est, lst, vst, linked
    )
    dirty = np.ones(V, dtype=np.bool_)
    if local_search(T, node, veh, allowed, follow, nfollow, cand, near, linked, plan, bak, dirty):
        _recreate_blink(
            rng, cand, T, node, veh, allowed, follow, nfollow, routes, count, loc, est, lst, vst,
            linked,
        )  # fmt: skip
    return _plan_value(node, routes, count, vst, scale)


@njit(cache=True)
def run_chunk(
    rng,
    T,
    node,
    veh,
    allowed,
    follow,
    nfollow,
    cand,
    near,
    linked,
    scale,
    temp0,
    share0,
    share1,
    iterations,
    cur,
    best,
    work,
    state,
    ls_mode,
    kick,
) -> None:
    """``iterations`` of ruin, recreate and annealing acceptance.

    ``cur``, ``best`` and ``work`` are tuples (routes, count, loc, est, lst, vst);
    ``state`` holds [iterations since the best, total iterations, stalls]. The temperature falls
    linearly from ``temp0`` x (1 - share0) to ``temp0`` x (1 - share1) over the chunk.
    """
    cr, cc, cl, ce, cs, cv = cur
    br, bc, bl, be, bs, bv = best
    wr, wc, wl, we, ws, wv = work
    V = cr.shape[0]
    cur_val = _plan_value(node, cr, cc, cv, scale)
    best_val = _plan_value(node, br, bc, bv, scale)
    touched = np.zeros(V, dtype=np.bool_)
    dirty = np.ones(V, dtype=np.bool_)
    bak = (wr.copy(), wc.copy(), wl.copy(), we.copy(), ws.copy(), wv.copy())
    for it in range(iterations):
        share = share0 + (share1 - share0) * it / max(1, iterations)
        temp = temp0 * (1.0 - share)
        _restore(cr, cc, cl, ce, cs, cv, wr, wc, wl, we, ws, wv)
        touched[:] = False
        _ruin(rng, cand, near, wr, wc, wl, follow, nfollow, touched)
        state[1] += 1
        ok = True
        if linked:
            ok = _schedule_all(T, node, veh, follow, nfollow, wr, wc, wl, we, ws, wv)
        else:
            for v in range(V):
                if touched[v] and not _schedule(
                    v, T, node, veh, follow, nfollow, wr, wc, wl, we, ws, wv
                ):
                    ok = False
        if not ok:
            continue
        greedy = rng.random() < 0.5
        for again in range(2):
            if greedy:
                _recreate_greedy(
                    rng, cand, T, node, veh, allowed, follow, nfollow, wr, wc, wl, we, ws, wv,
                    linked,
                )  # fmt: skip
            else:
                _recreate_blink(
                    rng, cand, T, node, veh, allowed, follow, nfollow, wr, wc, wl, we, ws, wv,
                    linked,
                )  # fmt: skip
            if again or ls_mode == 0:
                break
            if ls_mode >= 2:  # only a candidate near the current (2) or above the best (3)
                val = _plan_value(node, wr, wc, wv, scale)
                if val < (cur_val - temp if ls_mode == 2 else best_val):
                    break
            # shorten the routes, then fill the time freed (once)
            for v in range(V):  # the routes ruin and recreate changed
                dirty[v] = wc[v] != cc[v]
                for k in range(1, wc[v] - 1):
                    if dirty[v] or wr[v, k] != cr[v, k]:
                        dirty[v] = True
                        break
            moves = local_search(
                T, node, veh, allowed, follow, nfollow, cand, near, linked, work, bak, dirty
            )
            if moves == 0:
                break
        val = _plan_value(node, wr, wc, wv, scale)
        accept = val >= cur_val
        if not accept and temp > 0.0:
            accept = rng.random() < np.exp((val - cur_val) / temp)
        if accept:
            _restore(wr, wc, wl, we, ws, wv, cr, cc, cl, ce, cs, cv)
            cur_val = val
        if val > best_val + 1e-9:
            _restore(wr, wc, wl, we, ws, wv, br, bc, bl, be, bs, bv)
            best_val = val
            state[0] = 0
        else:
            state[0] += 1
            if state[0] >= RESTART_AFTER:
                _restore(br, bc, bl, be, bs, bv, cr, cc, cl, ce, cs, cv)
                cur_val = best_val
                state[0] = 0
                state[2] += 1
                if kick and state[2] % 2 == 0:  # every second stall: a kick from the best
                    cur_val = _kick(
                        rng, T, node, veh, allowed, follow, nfollow, cand, near, linked, scale,
                        cur, bak,
                    )  # fmt: skip
                    if cur_val == -np.inf:
                        _restore(br, bc, bl, be, bs, bv, cr, cc, cl, ce, cs, cv)
                        cur_val = best_val


@njit(cache=True)
def start_plan(T, node, veh, follow, nfollow, linked, plan) -> bool:
    """Schedule a plan read from routes; False when it is not feasible."""
    routes, count, loc, est, lst, vst = plan
    if linked:
        return _schedule_all(T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst)
    for v in range(routes.shape[0]):
        if not _schedule(v, T, node, veh, follow, nfollow, routes, count, loc, est, lst, vst):
            return False
    return True


# ------------------------------------------------------------------ driver


class PrizeTWProblem:
    """The kernels' tables for one :class:`RoutingArrays` (built once per search)."""

    def __init__(self, arrays: RoutingArrays) -> None:
        L, V = arrays.n_nodes, arrays.n_vehicles
        depots = set(arrays.starts) | set(arrays.ends)
        optional = [
            int(arrays.prizes[i])
            for i in range(L)
            if i not in depots and arrays.penalties[i] is not None
        ]
        required_prize = sum(max(p, 0) for p in optional) + 1
        node = np.zeros((L, 7), dtype=np.int64)
        node[:, SVC] = arrays.service
        node[:, CLOSE] = BIG
        node[:, BEFORE] = -1
        for i in range(L):
            w = arrays.windows[i]
            if w is not None and i not in depots:
                node[i, OPEN], node[i, CLOSE] = w
            if i not in depots:
                pen = arrays.penalties[i]
                node[i, PRIZE] = required_prize if pen is None else max(int(arrays.prizes[i]), 0)
        if arrays.demand is not None:
            node[:, DEMAND] = arrays.demand
        follows: dict[int, list[int]] = {}
        for a, b, gap in arrays.min_gaps:
            node[b, BEFORE] = a
            node[b, GAP] = gap
            follows.setdefault(a, []).append(b)
        width = max((len(f) for f in follows.values()), default=0)
        self.follow = np.full((L, max(1, width)), -1, dtype=np.int64)
        self.nfollow = np.zeros(L, dtype=np.int64)
        for a, bs in follows.items():
            self.follow[a, : len(bs)] = bs
            self.nfollow[a] = len(bs)
        self.linked = bool(arrays.min_gaps)
        veh = np.zeros((V, 4), dtype=np.int64)
        veh[:, MATRIX] = arrays.vehicle_matrix
        veh[:, LO] = [lo for lo, _ in arrays.shifts]
        veh[:, HI] = [hi for _, hi in arrays.shifts]
        veh[:, CAP] = arrays.capacity if arrays.capacity is not None else BIG
        self.allowed = np.ones((L, V), dtype=np.bool_)
        if arrays.allowed is not None:
            for i, ok in enumerate(arrays.allowed):
                if ok is not None:
                    self.allowed[i, :] = False
                    self.allowed[i, list(ok)] = True
        self.cand = np.array([i for i in range(L) if i not in depots], dtype=np.int64)
        k = min(NEAR, max(1, len(self.cand) - 1))
        near = np.full((L, k), -1, dtype=np.int64)
        if len(self.cand) > 1:
            dist = arrays.travel[0][np.ix_(self.cand, self.cand)].astype(np.float64)
            dist = dist + dist.T
            np.fill_diagonal(dist, np.inf)
            order = np.argsort(dist, axis=1, kind="stable")[:, :k]
            near[self.cand] = self.cand[order]
        self.near = near
        # writable and C-ordered: the one compiled signature (a sliced matrix is often in
        # Fortran order, which would compile a second one inside the first timed search)
        self.T = np.array(arrays.travel, dtype=np.int64, order="C")
        self.node = node
        self.veh = veh
        self.starts = arrays.starts
        self.ends = arrays.ends
        self.scale = float(sum(hi - lo for lo, hi in arrays.shifts) + self.T.max() * (L + 2) + 1)
        self.temp0 = TEMPERATURE * (float(np.mean(optional)) if optional else 1.0)
        self.ls_mode = LS_MODE
        self.kick = KICK

    def plan(self, routes: Sequence[Sequence[int]]) -> tuple[np.ndarray, ...]:
        """A plan in the kernels' arrays (not yet scheduled)."""
        L, V = self.node.shape[0], len(self.starts)
        paths = np.zeros((V, L + 2), dtype=np.int64)
        count = np.zeros(V, dtype=np.int64)
        loc = np.full((L, 2), -1, dtype=np.int64)
        for v, r in enumerate(routes):
            path = [self.starts[v], *map(int, r), self.ends[v]]
            paths[v, : len(path)] = path
            count[v] = len(path)
            for k, u in enumerate(r, start=1):
                loc[u] = (v, k)
        est = np.zeros((V, L + 2), dtype=np.int64)
        lst = np.zeros((V, L + 2), dtype=np.int64)
        vst = np.zeros((V, 2), dtype=np.int64)
        return paths, count, loc, est, lst, vst

    def schedule(self, plan: tuple[np.ndarray, ...]) -> bool:
        """Schedule ``plan`` in place; False when it breaks a constraint."""
        return bool(
            start_plan(self.T, self.node, self.veh, self.follow, self.nfollow, self.linked, plan)
        )

    def local_search(self, plan: tuple[np.ndarray, ...]) -> int:
        """Shorten the routes of a scheduled ``plan`` in place (:func:`local_search`);
        returns how many moves were applied."""
        bak = tuple(a.copy() for a in plan)
        return int(
            local_search(
                self.T,
                self.node,
                self.veh,
                self.allowed,
                self.follow,
                self.nfollow,
                self.cand,
                self.near,
                self.linked,
                plan,
                bak,
                np.ones(len(self.starts), dtype=np.bool_),
            )
        )

    def routes_of(self, plan: tuple[np.ndarray, ...]) -> tuple[tuple[int, ...], ...]:
        """The visits of each route of ``plan`` (without depots)."""
        paths, count = plan[0], plan[1]
        return tuple(
            tuple(int(u) for u in paths[v, 1 : count[v] - 1]) for v in range(len(self.starts))
        )

    def run(
        self,
        rng: np.random.Generator,
        plans: tuple[tuple[np.ndarray, ...], ...],
        state: np.ndarray,
        share: tuple[float, float],
        iterations: int,
        temp_factor: float = 1.0,
    ) -> None:
        """``iterations`` of the search on (current, best, work) ``plans``, at ``temp_factor``
        times the temperature."""
        cur, best, work = plans
        run_chunk(
            rng,
            self.T,
            self.node,
            self.veh,
            self.allowed,
            self.follow,
            self.nfollow,
            self.cand,
            self.near,
            self.linked,
            self.scale,
            self.temp0 * temp_factor,
            share[0],
            share[1],
            iterations,
            cur,
            best,
            work,
            state,
            self.ls_mode,
            self.kick,
        )


_WARM: list[bool] = []
"""Set once the kernels are compiled in this process."""


def improve_prize_tw_routes(
    arrays: RoutingArrays,
    routes: Sequence[Sequence[int]],
    *,
    time_limit_s: float,
    seed: int = 0,
    max_iterations: int | None = None,
) -> tuple[tuple[int, ...], ...]:
    """Improve feasible routes of a prize-collecting problem with windows (see the module).

    ``routes`` are per vehicle the nodes of ``arrays`` in order (without depots), e.g.
    OR-Tools' plan. Returns the best plan found: never less prize, and never more travel
    at the same prize, than ``routes``; ``routes`` themselves when they are not feasible
    in the search's own schedule. The searches of :data:`PORTFOLIO` share the time (or
    ``max_iterations``) by their shares. Stops at ``max_iterations`` when given (then the same
    seed gives the same plan on any machine), else at ``time_limit_s``. The first call in a
    process compiles the kernels (or loads them from numba's disk cache) before the clock
    starts, as :func:`geogrid.planning.solvers.search.improve_prize_routes` does.
    """
    ensure_compiled()
    t_start = time.perf_counter()
    problem = PrizeTWProblem(arrays)
    first = problem.plan(routes)
    if len(problem.cand) == 0 or not problem.schedule(first):
        return tuple(tuple(int(u) for u in r) for r in routes)
    # per search: its temperature factor, share, (current, best, work) plans and state
    members = [
        (
            factor,
            share,
            tuple(tuple(a.copy() for a in first) for _ in range(3)),
            np.zeros(3, np.int64),
        )
        for factor, share in PORTFOLIO
    ]
    rng = generator(int(seed))
    if max_iterations is not None:
        chunk = 50
        for factor, part, plans, state in members:
            total = max(1, round(max_iterations * part))
            for done in range(0, total, chunk):
                n = min(chunk, total - done)
                problem.run(rng, plans, state, (done / total, (done + n) / total), n, factor)
    else:
        batch = [5] * len(members)
        used_s = [0.0] * len(members)
        while (now := time.perf_counter()) < t_start + time_limit_s:
            j = min(range(len(members)), key=lambda i: used_s[i] / members[i][1])
            factor, _, plans, state = members[j]
            share = (now - t_start) / time_limit_s
            t0 = time.perf_counter()
            problem.run(rng, plans, state, (share, min(1.0, share + 0.001)), batch[j], factor)
            took = time.perf_counter() - t0
            used_s[j] += took
            left = t_start + time_limit_s - time.perf_counter()
            rate = batch[j] / max(took, 1e-6)
            batch[j] = int(max(1, min(rate * CHUNK_S, rate * max(left, 0.0))))
    LAST_STATS[:] = [int(sum(state[1] for *_, state in members))]
    bests = [plans[1] for _, _, plans, _ in members]
    values = [_plan_value(problem.node, b[0], b[1], b[5], problem.scale) for b in bests]
    return problem.routes_of(bests[int(np.argmax(values))])


def ensure_compiled() -> None:
    """Compile the kernels once per process (:func:`warm_up` the first time, then nothing)."""
    if not _WARM:
        _WARM.append(True)  # before warming: warm_up calls improve_prize_tw_routes
        warm_up()


def warm_up() -> None:
    """Compile (or load from the disk cache) the kernels on a tiny problem."""
    travel = np.array([[[0, 2, 3, 1], [2, 0, 2, 2], [3, 2, 0, 3], [1, 2, 3, 0]]], dtype=np.int64)
    arrays = RoutingArrays.from_lists(
        travel,
        [0, 0],
        [3, 3],
        [3, 3],
        [(0, 20), (0, 20)],
        [1, 1, 1, 0],
        [(0, 10), None, (5, 15), None],
        [5, 5, 5, None],
        prizes=[1, 2, 3, 0],
        allowed=[(0,), None, None, None],
        min_gaps=[(1, 2, 2)],
    )
    improve_prize_tw_routes(arrays, [(), ()], time_limit_s=0.0, max_iterations=20)
    unlinked = RoutingArrays.from_lists(
        travel,
        [0, 0],
        [3, 3],
        [3, 3],
        [(0, 20), (0, 20)],
        [1, 1, 1, 0],
        [(0, 10), None, (5, 15), None],
        [5, 5, None, None],
        prizes=[1, 2, 3, 0],
    )
    improve_prize_tw_routes(unlinked, [(2,), ()], time_limit_s=0.0, max_iterations=20)
