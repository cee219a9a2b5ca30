"""Route-pool matheuristic for routing problems where every stop is required.

For VRPTW / CVRP style problems (time windows, capacities, dwell, per-vehicle
shifts and matrices, allowed vehicles; no optional stops, no revisit gaps)
:func:`solve_vrptw` runs OR-Tools' guided local search and keeps every
distinct route of every solution the search passes through (an
``AtSolutionCallback``: each accepted move). A set-partitioning MIP over
that pool (:func:`set_partition`: each stop exactly once, at most as many
routes of a vehicle class as it has vehicles, minimum cost) recombines routes
of different solutions; it is never worse than the best solution found,
whose routes are in the pool. With short routes several searches from
different first solutions feed the pool and one more search starts from the
recombined plan; with long routes (few exact matches between solutions) one
search gets the whole budget.

A route is a column only for the vehicles of its *class*: vehicles with the
same matrix, start, end, shift, capacity and the same "allowed" answer for
every restricted stop; such vehicles are interchangeable, so a route
feasible for one is feasible for all.

Service starts are recomputed (earliest start, leaving at the shift start)
and checked against windows and shifts, whichever search or MIP produced
the routes.

Not used by :func:`geogrid.patrol.solve_patrol` (yet): on the 10 s Solomon
benchmark (``benchmarks/patrol_solomon.py``) it was not clearly better than
one OR-Tools search (mean gap 0.90-0.97 % against 0.92-1.04 %, paired runs):
better on R101 and RC201, worse on RC101, the same on R201.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.linear_solver import pywraplp

from geogrid.solver import RoutingResult

MIP_SHARE = 0.15
"""At most this share of the budget for each set-partitioning MIP."""
MIP_RESERVE = 0.04
"""Share of the budget kept free for the last MIP."""
MULTI_START = (("PARALLEL_CHEAPEST_INSERTION", 0.2), ("LOCAL_CHEAPEST_INSERTION", 0.2), ("SAVINGS", 0.2))
"""Short routes: three searches (first-solution strategy, share of the budget),
the MIP over their routes, then one search from the recombined plan."""
SINGLE_START = (("PARALLEL_CHEAPEST_INSERTION", 1.0),)
"""Long routes: one search (as :func:`geogrid.solver.solve_routing`), then the MIP."""
SHORT_ROUTE = 8.0
"""At most this many stops per route in a first plan: :data:`MULTI_START`."""
FLEET_MARGIN: int | None = 4
"""The searches use the vehicles of each class that a first plan used plus this
many (None: all vehicles); fewer idle vehicles make the search faster."""
MIN_ROUND_S = 0.5
"""A search from the recombined plan needs at least this many seconds."""


def _vehicle_classes(
    n_vehicles: int,
    vehicle_matrix: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    shift: Sequence[tuple[int, int]],
    allowed: Sequence[Sequence[int] | None] | None,
    capacity: Sequence[int] | None,
) -> list[int]:
    """Class id per vehicle: vehicles of one class are interchangeable."""
    restricted = []
    if allowed is not None:
        restricted = [set(int(v) for v in ok) for ok in allowed if ok is not None and len(ok) < n_vehicles]
    keys: dict[tuple[object, ...], int] = {}
    out = []
    for v in range(n_vehicles):
        key = (
            int(vehicle_matrix[v]),
            int(starts[v]),
            int(ends[v]),
            (int(shift[v][0]), int(shift[v][1])),
            None if capacity is None else int(capacity[v]),
            tuple(v in ok for ok in restricted),
        )
        out.append(keys.setdefault(key, len(keys)))
    return out


def set_partition(
    columns: Sequence[tuple[int, tuple[int, ...]]],
    costs: Sequence[int],
    stops: Sequence[int],
    class_size: Sequence[int],
    *,
    hint: Sequence[int] = (),
    time_limit_s: float | None = None,
) -> list[int] | None:
    """Cheapest exact cover of ``stops`` by the columns (MIP, SCIP).

    ``columns[j] = (class, stops of the route)``; at most ``class_size[c]``
    columns of class c. ``hint`` lists column indices of a known cover.
    Returns the chosen column indices, or None when no cover was found.
    """
    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    x = [solver.BoolVar(f"x{j}") for j in range(len(columns))]
    by_stop: dict[int, list[int]] = {int(i): [] for i in stops}
    by_class: dict[int, list[int]] = {}
    for j, (c, route) in enumerate(columns):
        for i in route:
            by_stop[int(i)].append(j)
        by_class.setdefault(int(c), []).append(j)
    for js in by_stop.values():
        if not js:
            return None
        solver.Add(sum(x[j] for j in js) == 1)
    for c, js in by_class.items():
        if len(js) > class_size[c]:
            solver.Add(sum(x[j] for j in js) <= int(class_size[c]))
    objective = solver.Objective()
    for j, cost in enumerate(costs):
        objective.SetCoefficient(x[j], float(cost))
    objective.SetMinimization()
    if hint:
        chosen = set(hint)
        solver.SetHint(x, [1.0 if j in chosen else 0.0 for j in range(len(columns))])
    if time_limit_s is not None:
        solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    return [j for j in range(len(columns)) if x[j].solution_value() > 0.5]


class _Model:
    """One OR-Tools routing model of the problem, nodes permuted by ``seed``.

    Every solution the search reports adds its routes (in the caller's node
    numbers) to ``pool`` as (vehicle class, stops).
    """

    def __init__(
        self,
        travel: np.ndarray,
        costs: np.ndarray,
        vehicle_matrix: Sequence[int],
        starts: Sequence[int],
        ends: Sequence[int],
        shift: Sequence[tuple[int, int]],
        service: np.ndarray,
        windows: Sequence[tuple[int, int] | None],
        allowed: Sequence[Sequence[int] | None] | None,
        demand: Sequence[int] | None,
        capacity: Sequence[int] | None,
        klass: Sequence[int],
        pool: set[tuple[int, tuple[int, ...]]],
        seed: int,
    ) -> None:
        n_nodes = travel.shape[1]
        n_vehicles = len(starts)
        depots = set(int(s) for s in starts) | set(int(e) for e in ends)
        perm = np.arange(n_nodes)
        if seed:
            perm = np.random.default_rng(seed).permutation(n_nodes)
        inv = np.empty_like(perm)
        inv[perm] = np.arange(n_nodes)
        self.perm, self.inv, self.n_vehicles = perm, inv, n_vehicles
        manager = pywrapcp.RoutingIndexManager(
            n_nodes, n_vehicles, [int(inv[s]) for s in starts], [int(inv[e]) for e in ends]
        )
        routing = pywrapcp.RoutingModel(manager)
        self.manager, self.routing = manager, routing
        transit_tables = [
            (travel[k] + service[:, None])[perm][:, perm].tolist() for k in range(travel.shape[0])
        ]
        cost_tables = [costs[k][perm][:, perm].tolist() for k in range(costs.shape[0])]
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
            dem_cb = routing.RegisterUnaryTransitVector(np.asarray(demand, dtype=np.int64)[perm].tolist())
            routing.AddDimensionWithVehicleCapacity(dem_cb, 0, [int(c) for c in capacity], True, "load")
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
        first = [routing.Start(v) for v in range(n_vehicles)]
        # routing index -> caller's node (depots never appear inside a route)
        to_node = [int(perm[manager.IndexToNode(i)]) if not routing.IsEnd(i) else -1
                   for i in range(routing.Size())]
        self.to_node = to_node

        def collect() -> None:
            for v in range(n_vehicles):
                index = routing.NextVar(first[v]).Value()
                nodes = []
                while not routing.IsEnd(index):
                    nodes.append(to_node[index])
                    index = routing.NextVar(index).Value()
                if nodes:
                    pool.add((klass[v], tuple(nodes)))

        routing.AddAtSolutionCallback(collect)

    def solve(
        self,
        strategy: str,
        time_limit_s: float,
        solution_limit: int | None,
        start: Sequence[Sequence[int]] | None = None,
    ) -> list[list[int]] | None:
        """Guided local search (from ``start`` routes, in our node numbers, if given)."""
        routing = self.routing
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
        if solution_limit is not None:
            params.solution_limit = int(solution_limit)
        if start is None:
            solution = routing.SolveWithParameters(params)
        else:
            assignment = routing.solver().Assignment()
            for i in range(routing.Size()):
                assignment.Add(routing.NextVar(i))
            model_routes = [[self.manager.NodeToIndex(int(self.inv[n])) for n in r] for r in start]
            # ReadAssignmentFromRoutes fails after a first solve; RoutesToAssignment does not
            if not routing.RoutesToAssignment(model_routes, True, True, assignment):
                return None
            solution = routing.SolveFromAssignmentWithParameters(assignment, params)
        if solution is None:
            return None
        out = []
        for v in range(self.n_vehicles):
            index = solution.Value(routing.NextVar(routing.Start(v)))
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(self.to_node[index])
                index = solution.Value(routing.NextVar(index))
            out.append(nodes)
        return out


def solve_vrptw(
    travel: np.ndarray,
    vehicle_matrix: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    shift: Sequence[tuple[int, int]],
    service: Sequence[int],
    windows: Sequence[tuple[int, int] | None],
    *,
    allowed: Sequence[Sequence[int] | None] | None = None,
    demand: Sequence[int] | None = None,
    capacity: Sequence[int] | None = None,
    arc_cost: np.ndarray | None = None,
    time_limit_s: float = 10.0,
    solution_limit: int | None = None,
    seed: int = 0,
    plan: Sequence[tuple[str, float]] | None = None,
    rounds: int | None = None,
    fleet_margin: int | None = FLEET_MARGIN,
) -> RoutingResult:
    """Guided local search(es) + set partitioning of their routes; every stop required.

    Same arguments and result as :func:`geogrid.solver.solve_routing` without
    penalties and min_gaps (every node but the depots must be served).
    ``time_limit_s`` bounds the whole call (models, searches and MIPs).

    A first plan (one solution) tells how many vehicles of each class are
    needed (the searches then use that many plus ``fleet_margin``) and how
    long routes are. ``plan`` lists the independent searches: first-solution
    strategy and share of the budget; search k permutes the node order by
    ``seed`` and k. The set-partitioning MIP (:func:`set_partition`) over the
    routes of every solution they passed recombines them; then ``rounds``
    searches each start from the best plan so far and end with another MIP.
    By default (``plan=None``) short routes get :data:`MULTI_START` and one
    round, long routes :data:`SINGLE_START` and none. With ``solution_limit``
    every search stops after that many solutions and the MIPs run to
    optimality: the same seed gives the same routes.
    """
    t_begin = time.perf_counter()
    deadline = t_begin + time_limit_s
    travel = np.asarray(travel, dtype=np.int64)
    costs = travel if arc_cost is None else np.asarray(arc_cost, dtype=np.int64)
    service_arr = np.asarray(service, dtype=np.int64)
    n_vehicles = len(starts)
    depots = set(int(s) for s in starts) | set(int(e) for e in ends)
    customers = [node for node in range(travel.shape[1]) if node not in depots]
    cap = None if demand is None or capacity is None else [int(c) for c in capacity]
    klass = _vehicle_classes(n_vehicles, vehicle_matrix, starts, ends, shift, allowed, cap)
    class_size = [klass.count(c) for c in range(max(klass) + 1)]
    pool: set[tuple[int, tuple[int, ...]]] = set()
    cost_cache: dict[tuple[int, tuple[int, ...]], int] = {}

    def route_cost(c: int, route: tuple[int, ...]) -> int:
        if (c, route) not in cost_cache:
            v = klass.index(c)
            path = np.asarray([starts[v], *route, ends[v]])
            cost_cache[(c, route)] = int(costs[vehicle_matrix[v]][path[:-1], path[1:]].sum())
        return cost_cache[(c, route)]

    def total(routes: list[list[int]]) -> int:
        return sum(route_cost(klass[v], tuple(r)) for v, r in enumerate(routes) if r)

    kept = list(range(n_vehicles))  # the vehicles the search models use

    def model(k: int) -> _Model:
        sub = seed if k == 0 else int(np.random.default_rng([seed, k]).integers(1, 2**31))
        vs = list(kept)
        sub_allowed = None
        if allowed is not None:
            sub_allowed = [
                None if ok is None else [i for i, v in enumerate(vs) if v in set(ok)] for ok in allowed
            ]
        return _Model(
            travel, costs, [vehicle_matrix[v] for v in vs], [starts[v] for v in vs],
            [ends[v] for v in vs], [shift[v] for v in vs], service_arr, windows, sub_allowed, demand,
            None if cap is None else [cap[v] for v in vs], [klass[v] for v in vs], pool, sub,
        )

    def widen(routes: list[list[int]] | None) -> list[list[int]] | None:
        """Routes of the kept vehicles -> routes of all vehicles."""
        if routes is None:
            return None
        out: list[list[int]] = [[] for _ in range(n_vehicles)]
        for v, r in zip(kept, routes, strict=True):
            out[v] = r
        return out

    def narrow(routes: list[list[int]]) -> list[list[int]] | None:
        """Routes of all vehicles -> the kept vehicles of the same class (None: too many)."""
        free: dict[int, list[int]] = {}
        for i, v in enumerate(kept):
            free.setdefault(klass[v], []).append(i)
        out: list[list[int]] = [[] for _ in kept]
        for v, r in enumerate(routes):
            if r:
                if not free.get(klass[v]):
                    return None
                out[free[klass[v]].pop(0)] = r
        return out

    def recombine(best: list[list[int]]) -> list[list[int]]:
        """The MIP over the pool; ``best`` when it finds nothing cheaper."""
        pool.update((klass[v], tuple(r)) for v, r in enumerate(best) if r)
        columns = sorted(pool)
        col_cost = [route_cost(*col) for col in columns]
        where = {col: j for j, col in enumerate(columns)}
        hint = [where[(klass[v], tuple(r))] for v, r in enumerate(best) if r]
        limit = None
        if solution_limit is None:
            limit = max(0.05, min(MIP_SHARE * time_limit_s, deadline - time.perf_counter() - 0.05))
        chosen = set_partition(columns, col_cost, customers, class_size, hint=hint, time_limit_s=limit)
        if chosen is None or sum(col_cost[j] for j in chosen) >= total(best):
            return best
        picked = [(columns[j][0], list(columns[j][1])) for j in chosen]
        free: dict[int, list[int]] = {}
        for v in range(n_vehicles):
            free.setdefault(klass[v], []).append(v)
        out: list[list[int]] = [[] for _ in range(n_vehicles)]
        for c, route in picked:
            if route:
                out[free[c].pop(0)] = route
        return out

    reserve = MIP_RESERVE * time_limit_s
    best: list[list[int]] | None = None
    models: list[_Model] = []
    first = None
    if n_vehicles > 1 and (fleet_margin is not None or plan is None):
        # a first plan only (one solution): vehicles needed per class, stops per route
        first = model(0).solve("PARALLEL_CHEAPEST_INSERTION", max(0.05, 0.2 * time_limit_s), 1)
    if first is not None and fleet_margin is not None:
        used = [0] * len(class_size)
        for v, r in enumerate(first):
            used[klass[v]] += bool(r)
        room = [min(size, n + fleet_margin) for size, n in zip(class_size, used, strict=True)]
        kept = []
        for v in range(n_vehicles):
            if room[klass[v]] > 0:
                kept.append(v)
                room[klass[v]] -= 1
        class_size = [sum(klass[v] == c for v in kept) for c in range(len(class_size))]
    if plan is None:
        n_routes = 0 if first is None else sum(bool(r) for r in first)
        short = n_routes > 0 and len(customers) / n_routes <= SHORT_ROUTE
        plan = MULTI_START if short else SINGLE_START
        rounds = (1 if short else 0) if rounds is None else rounds
    rounds = 1 if rounds is None else rounds
    budget = deadline - time.perf_counter() - reserve
    for k, (strategy, share) in enumerate(plan):
        m = model(k)
        models.append(m)
        limit = min(budget * share, deadline - time.perf_counter() - reserve)
        t0 = time.perf_counter()
        found = widen(m.solve(strategy, max(0.05, limit), solution_limit))
        if found is None and best is None and time.perf_counter() - t0 >= 0.9 * limit:
            # out of time before a first plan (a big problem?): all the time left
            found = widen(m.solve(strategy, max(0.05, deadline - time.perf_counter() - reserve), solution_limit))
        if found is not None and (best is None or total(found) < total(best)):
            best = found
    if best is None:
        empty = tuple(() for _ in range(n_vehicles))
        return RoutingResult(empty, empty, tuple(0 for _ in range(n_vehicles)), False, 0,
                             time.perf_counter() - t_begin)
    best = recombine(best)
    for rnd in range(rounds):
        left = (deadline - time.perf_counter() - reserve) / (rounds - rnd)
        if solution_limit is None and left < MIN_ROUND_S:
            break
        start = narrow(best)
        if start is None:
            break
        m = models[rnd % len(models)]
        found = widen(m.solve(plan[rnd % len(plan)][0], max(0.05, left), solution_limit, start=start))
        if found is not None:
            if total(found) < total(best):
                best = found
            best = recombine(best)
    return _result(best, travel, vehicle_matrix, starts, ends, shift, service_arr, windows,
                   total(best), time.perf_counter() - t_begin)


def _result(
    routes: list[list[int]],
    travel: np.ndarray,
    vehicle_matrix: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    shift: Sequence[tuple[int, int]],
    service: np.ndarray,
    windows: Sequence[tuple[int, int] | None],
    objective: int,
    solve_s: float,
) -> RoutingResult:
    """Routes with earliest service starts (leaving at the shift start); checks windows and shifts."""
    out_routes, out_times = [], []
    for v, nodes in enumerate(routes):
        k = vehicle_matrix[v]
        loc, clock, times = int(starts[v]), int(shift[v][0]), []
        for node in nodes:
            clock += int(service[loc]) + int(travel[k, loc, node])
            w = windows[node]
            if w is not None:
                if clock > w[1]:
                    raise RuntimeError(f"route of vehicle {v} misses the window of node {node}")
                clock = max(clock, int(w[0]))
            times.append(clock)
            loc = node
        back = clock + int(service[loc]) + int(travel[k, loc, int(ends[v])])
        if back > shift[v][1]:
            raise RuntimeError(f"route of vehicle {v} ends after its shift")
        out_routes.append(tuple(int(n) for n in nodes))
        out_times.append(tuple(times))
    depart = tuple(int(s[0]) for s in shift)
    return RoutingResult(tuple(out_routes), tuple(out_times), depart, True, objective, solve_s)
