"""The optimisation adapter: the only module that imports OR-Tools.

It sees numbers only (STYLE: geometry -> matrix -> model). Two models:

* :func:`solve_routing` - vehicle routing with time windows, service (dwell)
  times, per-vehicle shifts and travel matrices, optional nodes with prizes
  (disjunction penalties: prize-collecting / team orienteering), allowed
  vehicles per node, capacities and "visit b at least ``gap`` after a".
* :func:`solve_covering` - maximal covering location (MCLP) as a MIP with
  some facilities fixed open.

Determinism: the ``seed`` permutes the order in which nodes are handed to
the routing model (OR-Tools routing has no seed of its own), so the same
seed with the same ``solution_limit`` gives the same routes. A pure
``time_limit_s`` stop depends on machine speed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.linear_solver import pywraplp
from ortools.util import optional_boolean_pb2

UNLIMITED = 2**40
PRIZE_OPERATORS = (
    "use_extended_swap_active",
    "use_relocate_and_make_active",
    "use_exchange_and_make_active",
    "use_inactive_lns",
    "use_global_cheapest_insertion_close_nodes_lns",
    "use_local_cheapest_insertion_close_nodes_lns",
    "use_global_cheapest_insertion_expensive_chain_lns",
    "use_local_cheapest_insertion_expensive_chain_lns",
)
"""Local-search operators OR-Tools leaves off by default that swap served and
skipped nodes; they matter when prizes decide (team orienteering)."""


@dataclass(frozen=True)
class RoutingResult:
    """Routes found by :func:`solve_routing`.

    Attributes
    ----------
    routes : tuple of tuple of int
        Per vehicle, the visited node indices in order (without start/end).
    service_start : tuple of tuple of int
        Per vehicle, the earliest feasible service start time of each visit.
    start_time : tuple of int
        Per vehicle, the time it leaves its start node.
    found : bool
        False when no solution satisfied the hard constraints.
    objective : int
        OR-Tools objective (arc cost + penalties of skipped nodes).
    solve_s : float
        Wall-clock seconds spent searching.
    """

    routes: tuple[tuple[int, ...], ...]
    service_start: tuple[tuple[int, ...], ...]
    start_time: tuple[int, ...]
    found: bool
    objective: int
    solve_s: float


def solve_routing(
    travel: np.ndarray,
    vehicle_matrix: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    shift: Sequence[tuple[int, int]],
    service: Sequence[int],
    windows: Sequence[tuple[int, int] | None],
    penalties: Sequence[int | None],
    *,
    allowed: Sequence[Sequence[int] | None] | None = None,
    demand: Sequence[int] | None = None,
    capacity: Sequence[int] | None = None,
    min_gaps: Sequence[tuple[int, int, int]] = (),
    arc_cost: np.ndarray | None = None,
    time_limit_s: float = 10.0,
    solution_limit: int | None = None,
    seed: int = 0,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    prize_collecting: bool = True,
) -> RoutingResult:
    """Solve a rich VRP on integer travel times.

    Parameters
    ----------
    travel : (m, L, L) int array
        Travel times between all L nodes, one matrix per travel mode/speed.
    vehicle_matrix : per vehicle, which of the m matrices it uses.
    starts, ends : per vehicle, its start and end node (never visited as stops).
    shift : per vehicle, (earliest start, latest end).
    service : per node, service (dwell) time.
    windows : per node, (earliest, latest) service start or None.
    penalties : per node, the penalty for skipping it, or None if required.
        Depot nodes are ignored.
    allowed : per node, vehicle indices that may serve it (None: all).
    demand, capacity : optional load per node and capacity per vehicle.
    min_gaps : (a, b, gap): if b is served, a is served and b starts at
        least ``gap`` after a starts.
    arc_cost : (m, L, L) int array, optional
        Cost per arc (default: travel).
    time_limit_s, solution_limit, seed, metaheuristic
        Search control.
    prize_collecting : bool
        Also use the operators in :data:`PRIZE_OPERATORS` (when some nodes are optional).
    """
    travel = np.asarray(travel, dtype=np.int64)
    n_nodes = travel.shape[1]
    n_vehicles = len(starts)
    depots = set(starts) | set(ends)
    # seed -> permutation of the model's node order (deterministic)
    rng = np.random.default_rng(seed)
    perm = np.arange(n_nodes)
    if seed:
        perm = rng.permutation(n_nodes)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n_nodes)  # model node -> our node is perm; ours -> model is inv

    manager = pywrapcp.RoutingIndexManager(
        n_nodes, n_vehicles, [int(inv[s]) for s in starts], [int(inv[e]) for e in ends]
    )
    routing = pywrapcp.RoutingModel(manager)
    service_arr = np.asarray(service, dtype=np.int64)
    # transit per matrix: service at the origin + travel; matrices and vectors
    # handed to OR-Tools are indexed by the model's node numbers (perm maps them to ours)
    transit_tables = [
        (travel[k] + service_arr[:, None])[perm][:, perm].tolist() for k in range(travel.shape[0])
    ]
    costs = travel if arc_cost is None else np.asarray(arc_cost, dtype=np.int64)
    cost_tables = [costs[k][perm][:, perm].tolist() for k in range(costs.shape[0])]
    # matrices live on the C++ side: no Python callback in the search loop
    transit_cb = [routing.RegisterTransitMatrix(t) for t in transit_tables]
    cost_cb = [routing.RegisterTransitMatrix(t) for t in cost_tables]
    for v in range(n_vehicles):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[vehicle_matrix[v]], v)
    horizon = int(max(e for _, e in shift)) + 1
    routing.AddDimensionWithVehicleTransits(
        [transit_cb[vehicle_matrix[v]] for v in range(n_vehicles)], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for v in range(n_vehicles):
        lo, hi = shift[v]
        time_dim.CumulVar(routing.Start(v)).SetRange(int(lo), int(hi))
        time_dim.CumulVar(routing.End(v)).SetRange(int(lo), int(hi))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    if demand is not None and capacity is not None:
        demand_arr = np.asarray(demand, dtype=np.int64)
        dem_cb = routing.RegisterUnaryTransitVector(demand_arr[perm].tolist())
        routing.AddDimensionWithVehicleCapacity(
            dem_cb, 0, [int(c) for c in capacity], True, "load"
        )
    solver = routing.solver()
    for node in range(n_nodes):
        if node in depots:
            continue
        index = manager.NodeToIndex(int(inv[node]))
        w = windows[node]
        if w is not None:
            time_dim.CumulVar(index).SetRange(int(w[0]), int(w[1]))
        if allowed is not None:
            ok = allowed[node]
            if ok is not None and len(ok) < n_vehicles:
                routing.VehicleVar(index).SetValues([-1, *(int(v) for v in ok)])
        pen = penalties[node]
        if pen is not None:
            routing.AddDisjunction([index], int(pen))
    for a, b, gap in min_gaps:
        ia = manager.NodeToIndex(int(inv[a]))
        ib = manager.NodeToIndex(int(inv[b]))
        solver.Add(routing.ActiveVar(ib) <= routing.ActiveVar(ia))
        solver.Add(
            time_dim.CumulVar(ib) - time_dim.CumulVar(ia) - int(gap)
            >= -horizon * (1 - routing.ActiveVar(ib))
        )

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    if metaheuristic == "ITERATED_LOCAL_SEARCH":
        # ruin (SISR strings) and recreate, simulated-annealing acceptance
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
        ils.improve_perturbed_solution = True
        ruin = ils.ruin_recreate_parameters.ruin_strategies.add()
        ruin.sisr.max_removed_sequence_size = 10
        ruin.sisr.avg_num_removed_visits = 10
        ruin.sisr.bypass_factor = 0.01
        ils.ruin_recreate_parameters.recreate_strategy.heuristic = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
        sa.automatic_temperatures = True
        ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()
    else:
        params.local_search_metaheuristic = getattr(
            routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
        )
    if prize_collecting and any(p is not None for p in penalties):
        ops = params.local_search_operators
        for name in PRIZE_OPERATORS:
            setattr(ops, name, optional_boolean_pb2.BOOL_TRUE)
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if solution_limit is not None:
        params.solution_limit = int(solution_limit)
    t0 = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    solve_s = time.perf_counter() - t0
    if solution is None:
        empty = tuple(() for _ in range(n_vehicles))
        return RoutingResult(empty, empty, tuple(0 for _ in range(n_vehicles)), False, 0, solve_s)
    routes, starts_out, depart = [], [], []
    for v in range(n_vehicles):
        index = routing.Start(v)
        depart.append(int(solution.Min(time_dim.CumulVar(index))))
        nodes, times = [], []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            nodes.append(int(perm[manager.IndexToNode(index)]))
            times.append(int(solution.Min(time_dim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(nodes))
        starts_out.append(tuple(times))
    return RoutingResult(
        tuple(routes), tuple(starts_out), tuple(depart), True, int(solution.ObjectiveValue()), solve_s
    )


@dataclass(frozen=True)
class CoveringResult:
    """Facilities chosen by :func:`solve_covering`."""

    open: tuple[int, ...]
    covered_weight: float
    bound: float
    optimal: bool
    solve_s: float


def solve_covering(
    cover: np.ndarray,
    weights: Sequence[float],
    n_open: int,
    fixed: Sequence[int] = (),
    *,
    time_limit_s: float = 10.0,
) -> CoveringResult:
    """Maximal covering location: open ``n_open`` more sites besides ``fixed``.

    Parameters
    ----------
    cover : (n_sites, n_demand) bool
        ``cover[j, i]``: site j covers demand i.
    weights : per demand point.
    n_open : new sites to open (in addition to the fixed ones).
    fixed : sites that are open already.
    """
    cover = np.asarray(cover, dtype=bool)
    w = np.asarray(weights, dtype=float)
    n_sites, n_demand = cover.shape
    t0 = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    x = [solver.BoolVar(f"x{j}") for j in range(n_sites)]
    fixed_set = {int(j) for j in fixed}
    for j in fixed_set:
        x[j].SetLb(1)
    solver.Add(sum(x) == len(fixed_set) + int(n_open))
    # demand covered by a fixed site is simply counted; others get a y variable
    pre = cover[sorted(fixed_set)].any(axis=0) if fixed_set else np.zeros(n_demand, dtype=bool)
    objective = solver.Objective()
    for i in np.flatnonzero(~pre & cover.any(axis=0) & (w > 0)):
        y = solver.NumVar(0, 1, f"y{i}")
        solver.Add(y <= sum(x[j] for j in np.flatnonzero(cover[:, i])))
        objective.SetCoefficient(y, float(w[i]))
    objective.SetMaximization()
    solver.SetTimeLimit(int(time_limit_s * 1000))
    status = solver.Solve()
    solve_s = time.perf_counter() - t0
    chosen = tuple(j for j in range(n_sites) if x[j].solution_value() > 0.5)
    covered = float(w[cover[list(chosen)].any(axis=0)].sum()) if chosen else 0.0
    bound = float(objective.BestBound()) + float(w[pre].sum())
    return CoveringResult(chosen, covered, bound, status == pywraplp.Solver.OPTIMAL, solve_s)


def improve_prize_routes(
    cost: np.ndarray,
    starts: Sequence[int],
    ends: Sequence[int],
    limits: Sequence[int],
    prizes: Sequence[int],
    routes: Sequence[Sequence[int]],
    *,
    time_limit_s: float = 5.0,
    seed: int = 0,
    max_iterations: int | None = None,
) -> tuple[tuple[int, ...], ...]:
    """Iterated local search for team orienteering without time windows.

    ``cost[a, b]`` is the time from a to b including the service at a;
    route v runs ``starts[v] -> ... -> ends[v]`` within ``limits[v]``.
    Starting from ``routes`` (e.g. OR-Tools' answer) it repeats: ruin (a
    spatial cluster, random visits, the visits with the lowest prize per
    second of detour, or a string of one route), recreate by prize per extra
    second with noise, then a local search to a local optimum (2-opt and
    or-opt inside routes, relocate between routes, swap a visit for a more
    valuable skipped stop, insert what fits). Acceptance is simulated
    annealing on prize with a temperature falling linearly with the elapsed
    time; it keeps the best (prize, then shorter total) plan. Every move is
    evaluated for all positions at once with numpy.

    Deterministic for a seed when ``max_iterations`` stops it before the
    time limit.
    """
    cost = np.asarray(cost, dtype=np.int64)
    prize = np.asarray(prizes, dtype=np.int64)
    limit = np.asarray(limits, dtype=np.int64)
    rng = np.random.default_rng(seed)
    t_start = time.perf_counter()
    deadline = t_start + time_limit_s
    n_routes = len(starts)
    depots = set(starts) | set(ends)
    cand = np.asarray([i for i in range(len(prize)) if i not in depots and prize[i] > 0], dtype=np.int64)
    round_trip = cost + cost.T
    big = np.iinfo(np.int64).max // 4

    def length(p: list[int]) -> int:
        a = np.asarray(p)
        return int(cost[a[:-1], a[1:]].sum())

    def two_opt(p: list[int]) -> list[int]:
        """Best-improvement 2-opt, all (i, j) pairs of a pass in one array."""
        while len(p) > 3:
            a = np.asarray(p)
            n = len(a)
            fwd = np.concatenate([[0], np.cumsum(cost[a[:-1], a[1:]])])
            bwd = np.concatenate([[0], np.cumsum(cost[a[1:], a[:-1]])])
            i, j = np.triu_indices(n - 1, k=1)
            keep = i >= 1
            i, j = i[keep], j[keep]  # reverse a[i..j], 1 <= i < j <= n - 2
            old = cost[a[i - 1], a[i]] + fwd[j] - fwd[i] + cost[a[j], a[j + 1]]
            new = cost[a[i - 1], a[j]] + bwd[j] - bwd[i] + cost[a[i], a[j + 1]]
            delta = new - old
            k = int(np.argmin(delta))
            if delta[k] >= 0:
                return p
            ii, jj = int(i[k]), int(j[k])
            p = p[:ii] + p[ii : jj + 1][::-1] + p[jj + 1 :]
        return p

    def or_opt(p: list[int]) -> tuple[list[int], bool]:
        """Move the best string of 1-3 visits elsewhere in its route (forward or reversed)."""
        a = np.asarray(p)
        n = len(a)
        best, move = 0, None
        for s in (1, 2, 3):
            if n - 2 < s + 1:
                break
            i = np.arange(1, n - s)  # string a[i..i+s-1]
            first, last = a[i], a[i + s - 1]
            inner = np.zeros(len(i), dtype=np.int64)
            for t in range(s - 1):
                inner += cost[a[i + t], a[i + t + 1]]
            inner_rev = np.zeros(len(i), dtype=np.int64)
            for t in range(s - 1):
                inner_rev += cost[a[i + t + 1], a[i + t]]
            gain = cost[a[i - 1], first] + cost[last, a[i + s]] - cost[a[i - 1], a[i + s]]
            k = np.arange(n - 1)  # insert between a[k] and a[k+1]
            ins = cost[a[k][None, :], first[:, None]] + cost[last[:, None], a[k + 1][None, :]] - cost[a[k], a[k + 1]][None, :]
            ins_rev = cost[a[k][None, :], last[:, None]] + cost[first[:, None], a[k + 1][None, :]] - cost[a[k], a[k + 1]][None, :]
            ins_rev = ins_rev + (inner_rev - inner)[:, None]
            bad = (k[None, :] >= i[:, None] - 1) & (k[None, :] <= i[:, None] + s - 1)
            for rev, d in ((False, ins), (True, ins_rev)):
                delta = np.where(bad, big, d - gain[:, None])
                r, c = np.unravel_index(int(np.argmin(delta)), delta.shape)
                if delta[r, c] < best:
                    best, move = int(delta[r, c]), (int(i[r]), s, int(k[c]), rev)
        if move is None:
            return p, False
        ii, s, kk, rev = move
        seg = p[ii : ii + s]
        if rev:
            seg = seg[::-1]
        rest = p[:ii] + p[ii + s :]
        pos = kk + 1 if kk < ii else kk + 1 - s
        return rest[:pos] + seg + rest[pos:], True

    def insertion_delta(a: np.ndarray, f: np.ndarray) -> np.ndarray:
        """(positions, nodes) extra time of putting node f between a[k] and a[k+1]."""
        return cost[a[:-1, None], f[None, :]] + cost[f[None, :], a[1:, None]] - cost[a[:-1], a[1:]][:, None]

    def relocate(ps: list[list[int]], lens: list[int]) -> bool:
        """Move one visit to another route where it costs less than it saves."""
        best, move = 0, None
        for v, p in enumerate(ps):
            if len(p) <= 2:
                continue
            a = np.asarray(p)
            w = a[1:-1]
            gain = cost[a[:-2], w] + cost[w, a[2:]] - cost[a[:-2], a[2:]]
            for u, q in enumerate(ps):
                if u == v:
                    continue
                d = insertion_delta(np.asarray(q), w)  # (pos, w)
                fits = (lens[u] + d <= limit[u]) & (lens[v] - gain <= limit[v])[None, :]
                d = np.where(fits, d - gain[None, :], big)
                r, c = np.unravel_index(int(np.argmin(d)), d.shape)
                if d[r, c] < best:
                    best, move = int(d[r, c]), (v, int(c) + 1, u, int(r) + 1)
        if move is None:
            return False
        v, i, u, pos = move
        node = ps[v].pop(i)
        ps[u].insert(pos, node)
        lens[v], lens[u] = length(ps[v]), length(ps[u])
        return True

    def swap_in(ps: list[list[int]], lens: list[int], used: np.ndarray) -> bool:
        """Replace a visit by a skipped stop worth more (or equal and shorter), same position."""
        free = cand[~used[cand]]
        if not len(free):
            return False
        best, move = (0, 0), None
        for v, p in enumerate(ps):
            if len(p) <= 2:
                continue
            a = np.asarray(p)
            w = a[1:-1]
            d = cost[a[:-2, None], free[None, :]] + cost[free[None, :], a[2:, None]] - (cost[a[:-2], w] + cost[w, a[2:]])[:, None]
            gain = prize[free][None, :] - prize[w][:, None]
            ok = (lens[v] + d <= limit[v]) & ((gain > 0) | ((gain == 0) & (d < 0)))
            if not ok.any():
                continue
            key = np.where(ok, gain * (1 << 32) - d, -big)  # prize first, then time
            r, c = np.unravel_index(int(np.argmax(key)), key.shape)
            cand_key = (int(gain[r, c]), -int(d[r, c]))
            if cand_key > best:
                best, move = cand_key, (v, int(r) + 1, int(free[c]))
        if move is None:
            return False
        v, i, node = move
        used[ps[v][i]] = False
        ps[v][i] = node
        used[node] = True
        lens[v] = length(ps[v])
        return True

    def insert_all(ps: list[list[int]], lens: list[int], used: np.ndarray, noise: float) -> bool:
        """Greedy insertion by prize per extra second, with multiplicative noise."""
        changed = False
        free = cand[~used[cand]]
        while len(free):
            best_delta = np.full(len(free), big)
            best_route = np.full(len(free), -1)
            best_pos = np.zeros(len(free), dtype=np.int64)
            for v, p in enumerate(ps):
                delta = insertion_delta(np.asarray(p), free)
                k = delta.argmin(axis=0)
                d = delta[k, np.arange(len(free))]
                ok = (lens[v] + d <= limit[v]) & (d < best_delta)
                best_delta[ok], best_route[ok], best_pos[ok] = d[ok], v, k[ok] + 1
            feasible = np.flatnonzero(best_route >= 0)
            if not len(feasible):
                break
            ratio = prize[free[feasible]] / (np.maximum(best_delta[feasible], 0) + 1.0)
            if noise:
                ratio = ratio * rng.uniform(1.0 - noise, 1.0 + noise, len(feasible))
            pick = int(feasible[int(np.argmax(ratio))])
            v, pos, node = int(best_route[pick]), int(best_pos[pick]), int(free[pick])
            ps[v].insert(pos, node)
            lens[v] += int(best_delta[pick])
            used[node] = True
            free = np.delete(free, pick)
            changed = True
        return changed

    def local_search(ps: list[list[int]], used: np.ndarray) -> list[int]:
        ps[:] = [two_opt(p) for p in ps]
        lens = [length(p) for p in ps]
        while True:
            for v in range(n_routes):
                moved = True
                while moved:
                    ps[v], moved = or_opt(ps[v])
                ps[v] = two_opt(ps[v])
            lens = [length(p) for p in ps]
            insert_all(ps, lens, used, 0.0)
            if swap_in(ps, lens, used) or relocate(ps, lens):
                continue
            return lens

    def ruin(ps: list[list[int]], used: np.ndarray) -> None:
        visited = np.asarray([i for p in ps for i in p[1:-1]], dtype=np.int64)
        if not len(visited):
            return
        k = min(len(visited), int(rng.integers(2, max(3, min(50, len(visited) // 2 + 2)))))
        kind = int(rng.integers(4))
        if kind == 0:  # spatial: the visits nearest to a random stop
            centre = int(cand[int(rng.integers(len(cand)))])
            drop = visited[np.argsort(round_trip[centre, visited], kind="stable")[:k]]
        elif kind == 1:  # random visits
            drop = rng.choice(visited, size=k, replace=False)
        elif kind == 2:  # lowest prize per second of detour, with noise
            ratios = []
            for p in ps:
                a = np.asarray(p)
                if len(a) > 2:
                    w = a[1:-1]
                    det = cost[a[:-2], w] + cost[w, a[2:]] - cost[a[:-2], a[2:]]
                    ratios.append(prize[w] / (np.maximum(det, 0) + 1.0))
            ratio = np.concatenate(ratios) * rng.uniform(0.5, 1.5, len(visited))
            drop = visited[np.argsort(ratio, kind="stable")[:k]]
        else:  # a string of one route
            lens_r = [len(p) - 2 for p in ps]
            v = int(rng.choice(np.flatnonzero(np.asarray(lens_r) > 0)))
            m = min(k, lens_r[v])
            s = int(rng.integers(1, lens_r[v] - m + 2))
            drop = np.asarray(ps[v][s : s + m])
        gone = set(int(i) for i in drop)
        used[list(gone)] = False
        for v in range(n_routes):
            ps[v] = [ps[v][0], *(i for i in ps[v][1:-1] if i not in gone), ps[v][-1]]

    def score(ps: list[list[int]], lens: list[int]) -> tuple[int, int]:
        if any(ln > lim for ln, lim in zip(lens, limit, strict=True)):
            return -1, 0
        return int(sum(int(prize[p[1:-1]].sum()) for p in ps if len(p) > 2)), -int(sum(lens))

    paths = [[int(s), *map(int, r), int(e)] for s, r, e in zip(starts, routes, ends, strict=True)]
    used = np.zeros(len(prize), dtype=bool)
    for p in paths:
        used[p[1:-1]] = True
    if not len(cand):
        return tuple(tuple(p[1:-1]) for p in paths)
    lens = local_search(paths, used)
    best_paths, best_score = [list(p) for p in paths], score(paths, lens)
    current, current_used, current_score = [list(p) for p in paths], used.copy(), best_score
    t0 = float(prize[cand].mean())  # worse by one average prize: accepted with p = 1/e at the start
    it = since_best = 0
    while True:
        now = time.perf_counter()
        if now >= deadline or (max_iterations is not None and it >= max_iterations):
            break
        it += 1
        ps, us = [list(p) for p in current], current_used.copy()
        ruin(ps, us)
        insert_all(ps, [length(p) for p in ps], us, 0.3)
        lens = local_search(ps, us)
        sc = score(ps, lens)
        since_best += 1
        if sc > best_score:
            best_score, best_paths, since_best = sc, [list(p) for p in ps], 0
        if max_iterations is not None:
            frac = it / max_iterations
        else:
            frac = (now - t_start) / max(time_limit_s, 1e-9)
        temperature = t0 * max(0.0, 1.0 - frac)
        if sc >= current_score or (
            temperature > 0 and rng.random() < np.exp((sc[0] - current_score[0]) / temperature)
        ):
            current, current_used, current_score = ps, us, sc
        if since_best > 300:  # restart from the best plan
            current, current_score, since_best = [list(p) for p in best_paths], best_score, 0
            current_used = np.zeros(len(prize), dtype=bool)
            for p in current:
                current_used[p[1:-1]] = True
    return tuple(tuple(p[1:-1]) for p in best_paths)
