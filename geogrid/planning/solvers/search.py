"""The compiled searches' drivers: they improve OR-Tools' routes (numbers only).

* :func:`improve_prize_routes` - team orienteering: the iterated local search
  of :mod:`geogrid.planning.solvers.ils` in short chunks, with CP-SAT set
  packing of pooled routes (:func:`pack_routes`);
* :func:`improve_required_routes` - every stop required: ruin and recreate
  (SISR) of :mod:`geogrid.planning.solvers.sisr`.

Both are deterministic for a seed when ``max_iterations`` stops them before
the time limit. The first call after installing compiles the search (numba,
several seconds, cached on disk); :func:`warm_up_searches` does it ahead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
from ortools.sat.python import cp_model

from geogrid.planning.solvers import ils, prize_tw, sisr, streams

UNLIMITED = 2**40
PACK_AT = (0.5, 0.75, 0.9)
"""Shares of its time budget at which :func:`improve_prize_routes` combines
the routes it has seen by set packing."""
POOL_BUFFER = 4096
POOL_MARGIN = 3.0
"""Routes of plans within this many average prizes of the best go to the pool."""
RESTART_AFTER = 3000
"""Iterations without a new best before the search goes back to the best plan."""
CHUNK_S = 0.02
"""Seconds per compiled chunk between clock checks."""
SISR_TEMPERATURE = (1.0, 0.01)
"""Start and end temperature of :func:`improve_required_routes`, in mean arc lengths of
the starting plan (falling exponentially over the budget)."""
TEMPERATURE = 1.0
"""Starting temperature of the annealing, in average prizes (falls linearly to 0)."""
FRESH_SHARE = 0.25
"""Share of :func:`improve_prize_routes`' budget for a walk of its own from the greedy
construction before the walk from the given plan (0: none)."""
FRESH_TEMPERATURE = 1.0
"""Starting temperature of that walk, in average prizes."""
FRESH_CONTINUE = False
"""True: when that walk ends better than the given plan, the main walk goes on from its
best; False: the main walk starts from the given plan (the better plan is kept as best)."""


def pack_routes(
    columns: Sequence[tuple[int, frozenset[int], int, int]],
    slots: dict[int, int],
    *,
    time_limit_s: float = 1.0,
    deterministic: bool = False,
    hint: Sequence[int] = (),
) -> list[int] | None:
    """Choose routes from a pool: most prize, no stop twice.

    ``columns`` holds (route class, stops, prize, length); ``slots[c]`` is how
    many routes of class c may be chosen (vehicles with that start, end and
    limit). A set-packing model for CP-SAT on one worker; returns the chosen
    column indices, or None when CP-SAT found nothing in time.
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"r{k}") for k in range(len(columns))]
    by_stop: dict[int, list[int]] = {}
    by_class: dict[int, list[int]] = {}
    for k, (cls, stops, _, _) in enumerate(columns):
        by_class.setdefault(cls, []).append(k)
        for i in stops:
            by_stop.setdefault(i, []).append(k)
    for ks in by_stop.values():
        if len(ks) > 1:
            model.add_at_most_one(x[k] for k in ks)
    for cls, ks in by_class.items():
        model.add(sum(x[k] for k in ks) <= slots[cls])
    model.maximize(sum(x[k] * c[2] for k, c in enumerate(columns)))
    chosen = set(hint)
    for k in range(len(columns)):
        model.add_hint(x[k], k in chosen)
    solver = cp_model.CpSolver()
    if deterministic:  # the same answer on any machine: a work limit, not a clock
        solver.parameters.max_deterministic_time = max(0.01, time_limit_s)
    else:
        solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = 1
    solver.parameters.cp_model_presolve = False  # presolve costs more than it saves on packing
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [k for k in range(len(columns)) if solver.value(x[k])]


def warm_up_searches() -> None:
    """Compile (or load from numba's disk cache) the three compiled searches now, e.g. in a
    background thread when a server starts, so the first plan does not wait for it."""
    ils.warm_up()
    sisr.warm_up()
    prize_tw.ensure_compiled()


def _path_arrays(
    starts: Sequence[int], routes: Sequence[Sequence[int]], ends: Sequence[int], width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Routes as the compiled searches hold them: one row per vehicle, start node
    first and end node last, and the number of nodes in each row."""
    paths = np.zeros((len(starts), width), dtype=np.int64)
    count = np.zeros(len(starts), dtype=np.int64)
    for v, (s, r, e) in enumerate(zip(starts, routes, ends, strict=True)):
        path = [int(s), *map(int, r), int(e)]
        paths[v, : len(path)] = path
        count[v] = len(path)
    return paths, count


def _chunks(
    t_start: float, time_limit_s: float, max_iterations: int | None, chunk: int
) -> Iterator[tuple[int, float, float]]:
    """Split a budget into chunks for a compiled search: yields (iterations, share of
    the budget at the chunk's start, at its end) until the time or the iteration limit
    is spent. With a time limit each chunk is sized to take about CHUNK_S seconds."""
    if max_iterations is not None:
        for done in range(0, max_iterations, chunk):
            n = min(chunk, max_iterations - done)
            yield n, done / max_iterations, (done + n) / max_iterations
        return
    while (now := time.perf_counter()) < t_start + time_limit_s:
        share = (now - t_start) / time_limit_s
        yield chunk, share, min(share + CHUNK_S / time_limit_s, 1.0)
        spent = max(time.perf_counter() - now, 1e-6)
        chunk = max(1, min(4 * chunk, int(chunk * CHUNK_S / spent)))


def improve_prize_routes(
    cost: np.ndarray,
    starts: Sequence[int],
    ends: Sequence[int],
    limits: Sequence[int],
    prizes: Sequence[int] | np.ndarray,
    routes: Sequence[Sequence[int]],
    *,
    time_limit_s: float = 5.0,
    seed: int = 0,
    max_iterations: int | None = None,
) -> tuple[tuple[int, ...], ...]:
    """Iterated local search for team orienteering without time windows.

    ``cost[a, b]`` is the time from a to b including the service at a;
    route v runs ``starts[v] -> ... -> ends[v]`` within ``limits[v]``.
    Starting from ``routes`` (e.g. OR-Tools' answer) it runs the compiled
    search of :mod:`geogrid.planning.solvers.ils` in short chunks, keeps the routes of
    every good plan it meets, and at the shares :data:`PACK_AT` of the budget
    combines them by set packing (:func:`pack_routes`, CP-SAT); a better
    combination becomes the current plan. It keeps the best (prize, then
    shorter total) plan.

    Deterministic for a seed when ``max_iterations`` stops it before the
    time limit. The first call after installing compiles the search (numba,
    several seconds, cached on disk); that happens before the clock starts.
    """
    ils.warm_up()
    t_start = time.perf_counter()
    cost = np.ascontiguousarray(cost, dtype=np.int64)
    prize = np.ascontiguousarray(prizes, dtype=np.int64)
    limit = np.ascontiguousarray(limits, dtype=np.int64)
    n_routes = len(starts)
    depots = set(map(int, starts)) | set(map(int, ends))
    cand = np.asarray(
        [i for i in range(len(prize)) if i not in depots and prize[i] > 0], dtype=np.int64
    )
    if not len(cand):
        return tuple(tuple(int(i) for i in r) for r in routes)
    in_cand = set(cand.tolist())
    width = len(cand) + len([i for r in routes for i in r if int(i) not in in_cand]) + 2
    cur_r, cur_c = _path_arrays(starts, routes, ends, width)
    cur_l = np.zeros(n_routes, dtype=np.int64)
    cur_u = np.zeros(len(prize), dtype=np.bool_)
    for v in range(n_routes):
        cur_u[cur_r[v, 1 : cur_c[v] - 1]] = True
    rng = streams.generator(int(seed))
    ils.descend(cost, prize, cand, limit, cur_r, cur_c, cur_l, cur_u, rng)
    best_r, best_c, best_l = cur_r.copy(), cur_c.copy(), cur_l.copy()
    p0 = int(ils.plan_prize(prize, cur_r, cur_c))
    state = np.array([p0, cur_l.sum(), p0, cur_l.sum(), 0, 0], dtype=np.int64)

    # route pool: routes of vehicles with the same start, end and limit are
    # interchangeable (one class); one entry per class and set of stops
    class_key = [(int(s), int(e), int(lim)) for s, e, lim in zip(starts, ends, limit, strict=True)]
    class_ids = {k: c for c, k in enumerate(dict.fromkeys(class_key))}
    cls_of = [class_ids[k] for k in class_key]
    slots = {c: cls_of.count(c) for c in set(cls_of)}
    pool: dict[tuple[int, frozenset[int]], tuple[int, np.ndarray]] = {}
    pool_r = np.zeros((POOL_BUFFER, width), dtype=np.int64)
    pool_c = np.zeros(POOL_BUFFER, dtype=np.int64)
    pool_v = np.zeros(POOL_BUFFER, dtype=np.int64)
    mean_prize = float(prize[cand].mean())

    def drain(st: np.ndarray) -> None:
        for k in range(int(st[5])):
            path = pool_r[k, : pool_c[k]]
            key = (cls_of[int(pool_v[k])], frozenset(path[1:-1].tolist()))
            ln = int(cost[path[:-1], path[1:]].sum())
            old = pool.get(key)
            if old is None or ln < old[0]:
                pool[key] = (ln, path.copy())
        st[5] = 0

    def pack() -> None:
        hint_keys = []
        for v in range(n_routes):  # the best plan is always a candidate
            if best_c[v] > 2:
                path = best_r[v, : best_c[v]].copy()
                key = (cls_of[v], frozenset(path[1:-1].tolist()))
                if key not in pool or pool[key][0] > best_l[v]:
                    pool[key] = (int(best_l[v]), path)
                hint_keys.append(key)
        keys = list(pool)
        index = {k: i for i, k in enumerate(keys)}
        columns = [
            (c, nodes, int(prize[list(nodes)].sum()), pool[(c, nodes)][0]) for c, nodes in keys
        ]
        budget = min(1.0, 0.05 * time_limit_s)
        chosen = pack_routes(
            columns,
            slots,
            time_limit_s=budget,
            deterministic=max_iterations is not None,
            hint=[index[k] for k in hint_keys],
        )
        if chosen is None:
            return
        ps = np.zeros_like(cur_r)
        pc = np.zeros_like(cur_c)
        free = {c: [v for v in range(n_routes) if cls_of[v] == c] for c in slots}
        for v in range(n_routes):
            ps[v, :2] = (starts[v], ends[v])
            pc[v] = 2
        for k in chosen:
            v = free[keys[k][0]].pop(0)
            path = pool[keys[k]][1]
            ps[v, : len(path)] = path
            pc[v] = len(path)
        pl = np.zeros_like(cur_l)
        pu = np.zeros_like(cur_u)
        for v in range(n_routes):
            pu[ps[v, 1 : pc[v] - 1]] = True
        ils.descend(cost, prize, cand, limit, ps, pc, pl, pu, rng)
        p, ln = int(ils.plan_prize(prize, ps, pc)), int(pl.sum())
        if (p, -ln) > (int(state[2]), -int(state[3])):
            best_r[:], best_c[:], best_l[:] = ps, pc, pl
            cur_r[:], cur_c[:], cur_l[:], cur_u[:] = ps, pc, pl, pu
            state[:5] = (p, ln, p, ln, 0)

    def walk(
        plan: tuple[np.ndarray, ...],
        best: tuple[np.ndarray, ...],
        st: np.ndarray,
        t0: float,
        span_s: float,
        iterations: int | None,
        pack_at: list[float],
        temperature: float,
    ) -> None:
        """Anneal ``plan`` (routes, counts, lengths, used) over its own span of the
        budget, keeping ``best`` (routes, counts, lengths) and the pool up to date."""
        for n, share0, share1 in _chunks(t0, span_s, iterations, 8 if iterations is None else 64):
            ils.run_chunk(
                cost,
                prize,
                cand,
                limit,
                *plan,
                *best,
                st,
                n,
                share0,
                share1,
                mean_prize * temperature,
                RESTART_AFTER,
                pool_r,
                pool_c,
                pool_v,
                int(POOL_MARGIN * mean_prize),
                rng=rng,
            )
            if st[5] > POOL_BUFFER // 2:
                drain(st)
            if pack_at and share1 >= pack_at[0]:
                pack_at.pop(0)
                drain(st)
                pack()

    fresh_its = None if max_iterations is None else int(max_iterations * FRESH_SHARE)
    if FRESH_SHARE > 0 and (fresh_its is None or fresh_its > 0):
        # a walk of its own from the greedy construction (most valuable stop that fits
        # first): a poor basin of the given plan (e.g. OR-Tools' on p4.2.a) is not the end
        fr_r, fr_c = _path_arrays(starts, [() for _ in starts], ends, width)
        fr_l = np.zeros(n_routes, dtype=np.int64)
        fr_u = np.zeros(len(prize), dtype=np.bool_)
        ils.descend(cost, prize, cand, limit, fr_r, fr_c, fr_l, fr_u, rng)
        fb = (fr_r.copy(), fr_c.copy(), fr_l.copy())
        pf = int(ils.plan_prize(prize, fr_r, fr_c))
        fst = np.array([pf, fr_l.sum(), pf, fr_l.sum(), 0, 0], dtype=np.int64)
        walk(
            (fr_r, fr_c, fr_l, fr_u),
            fb,
            fst,
            time.perf_counter(),
            time_limit_s * FRESH_SHARE,
            fresh_its,
            [],
            FRESH_TEMPERATURE,
        )
        drain(fst)
        if (int(fst[2]), -int(fst[3])) > (int(state[2]), -int(state[3])):
            best_r[:], best_c[:], best_l[:] = fb
            state[2], state[3], state[4] = fst[2], fst[3], 0
            if FRESH_CONTINUE:
                cur_r[:], cur_c[:], cur_l[:] = fb
                cur_u[:] = False
                for v in range(n_routes):
                    cur_u[best_r[v, 1 : best_c[v] - 1]] = True
                state[0], state[1] = fst[2], fst[3]
    walk(
        (cur_r, cur_c, cur_l, cur_u),
        (best_r, best_c, best_l),
        state,
        time.perf_counter(),
        t_start + time_limit_s - time.perf_counter(),
        None if max_iterations is None else max_iterations - (fresh_its or 0),
        list(PACK_AT),
        TEMPERATURE,
    )
    return tuple(tuple(int(i) for i in best_r[v, 1 : best_c[v] - 1]) for v in range(n_routes))


def improve_required_routes(
    travel: np.ndarray,
    service: Sequence[int] | np.ndarray,
    windows: Sequence[tuple[int, int] | None],
    demand: Sequence[int] | np.ndarray,
    capacity: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    shift: Sequence[tuple[int, int]],
    routes: Sequence[Sequence[int]],
    *,
    time_limit_s: float = 5.0,
    seed: int = 0,
    max_iterations: int | None = None,
) -> tuple[tuple[int, ...], ...]:
    """Shorten a plan that must serve every stop: ruin and recreate (SISR).

    ``travel[a, b]`` is one travel-time matrix for every vehicle; a stop's
    service starts inside its window (None: any time) and lasts ``service``;
    vehicle v leaves ``starts[v]`` no earlier than ``shift[v][0]``, reaches
    ``ends[v]`` no later than ``shift[v][1]`` and carries at most
    ``capacity[v]``. Starting from ``routes`` (OR-Tools' feasible answer) it
    runs :mod:`geogrid.planning.solvers.sisr` in short chunks and returns the shortest
    plan seen (every stop still served). Deterministic for a seed when
    ``max_iterations`` stops it before the time limit; the first call after
    installing compiles the search (numba), before the clock starts.
    """
    sisr.warm_up()
    t_start = time.perf_counter()
    travel = np.ascontiguousarray(travel, dtype=np.int64)
    n_nodes = travel.shape[0]
    n_routes = len(starts)
    service_a = np.ascontiguousarray(service, dtype=np.int64)
    w_open = np.asarray([w[0] if w is not None else 0 for w in windows], dtype=np.int64)
    w_close = np.asarray([w[1] if w is not None else UNLIMITED for w in windows], dtype=np.int64)
    demand_a = np.ascontiguousarray(demand, dtype=np.int64)
    cap = np.ascontiguousarray(capacity, dtype=np.int64)
    lo = np.asarray([s[0] for s in shift], dtype=np.int64)
    hi = np.asarray([s[1] for s in shift], dtype=np.int64)
    served = sorted(int(i) for r in routes for i in r)
    if not served:
        return tuple(tuple(int(i) for i in r) for r in routes)
    cand = np.asarray(served, dtype=np.int64)
    # neighbours of each stop among the stops, nearest first (both directions)
    near = travel[np.ix_(cand, cand)] + travel[np.ix_(cand, cand)].T
    adj = np.zeros((n_nodes, len(cand)), dtype=np.int64)
    adj[cand] = cand[np.argsort(near, axis=1, kind="stable")]
    far = np.zeros(n_nodes, dtype=np.float64)
    far[cand] = travel[int(starts[0]), cand]
    width = len(cand) + 2
    cur_r, cur_c = _path_arrays(starts, routes, ends, width)
    total = sum(int(sisr.route_cost(travel, cur_r[v], cur_c[v])) for v in range(n_routes))
    best_r, best_c = cur_r.copy(), cur_c.copy()
    state = np.array([total, total], dtype=np.int64)
    arcs = len(cand) + int((cur_c > 2).sum())
    mean_arc = max(total / max(arcs, 1), 1.0)
    rng = streams.generator(int(seed))
    for n, share0, share1 in _chunks(
        t_start, time_limit_s, max_iterations, 16 if max_iterations is None else 256
    ):
        sisr.run_chunk(
            travel,
            service_a,
            w_open,
            w_close,
            demand_a,
            lo,
            hi,
            cap,
            adj,
            cand,
            far,
            cur_r,
            cur_c,
            best_r,
            best_c,
            state,
            n,
            share0,
            share1,
            SISR_TEMPERATURE[0] * mean_arc,
            SISR_TEMPERATURE[1] * mean_arc,
            rng=rng,
        )
    return tuple(tuple(int(i) for i in best_r[v, 1 : best_c[v] - 1]) for v in range(n_routes))
