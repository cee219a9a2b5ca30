"""Vehicle routing on OR-Tools (numbers only): team orienteering, VRPTW.

It sees numbers only (STYLE: geometry -> matrix -> model). :func:`solve_routing`
takes one frozen :class:`RoutingArrays` - travel matrices, service (dwell)
times, per-vehicle shifts, time windows, optional nodes with prizes
(disjunction penalties: prize-collecting / team orienteering), allowed
vehicles per node, capacities and "visit b at least ``gap`` after a" - and
returns a :class:`RoutingResult`. The compiled searches of
:mod:`geogrid.planning.solvers.search` then improve its routes.

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
from ortools.util import optional_boolean_pb2

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


def _frozen(values: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.array(values, dtype=np.int64)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class RoutingArrays:
    """One routing instance as numbers, built once and read by every search.

    Nodes are ``0 .. L-1``; vehicle v runs from ``starts[v]`` to ``ends[v]``
    (depots, never visited as stops). Arrays are read-only.

    Attributes
    ----------
    travel : (m, L, L) int64 array
        Travel seconds between all nodes, one matrix per travel mode/speed.
    vehicle_matrix : per vehicle, which of the m matrices it uses.
    starts, ends : per vehicle, its start and end node.
    shifts : per vehicle, (earliest start, latest end) in seconds.
    service : (L,) int64 array
        Service (dwell) seconds per node.
    windows : per node, (earliest, latest) service start or None.
    penalties : per node, the penalty for skipping it, or None if required
        (depot nodes are ignored).
    prizes : (L,) int64 array
        Prize per node (0 at depots), for the orienteering search.
    allowed : per node, vehicle indices that may serve it (None: all); or None.
    demand : (L,) int64 array or None
        Load per node.
    capacity : per vehicle, or None (no load limit).
    min_gaps : (a, b, gap): if b is served, a is served and b starts at
        least ``gap`` seconds after a starts.
    arc_cost : (m, L, L) int64 array or None
        Cost per arc (default: travel).
    """

    travel: np.ndarray
    vehicle_matrix: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    shifts: tuple[tuple[int, int], ...]
    service: np.ndarray
    windows: tuple[tuple[int, int] | None, ...]
    penalties: tuple[int | None, ...]
    prizes: np.ndarray
    allowed: tuple[tuple[int, ...] | None, ...] | None = None
    demand: np.ndarray | None = None
    capacity: tuple[int, ...] | None = None
    min_gaps: tuple[tuple[int, int, int], ...] = ()
    arc_cost: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return int(self.travel.shape[1])

    @property
    def n_vehicles(self) -> int:
        return len(self.starts)

    @classmethod
    def from_lists(
        cls,
        travel: np.ndarray,
        vehicle_matrix: Sequence[int],
        starts: Sequence[int],
        ends: Sequence[int],
        shifts: Sequence[tuple[int, int]],
        service: Sequence[int],
        windows: Sequence[tuple[int, int] | None],
        penalties: Sequence[int | None],
        *,
        prizes: Sequence[int] | None = None,
        allowed: Sequence[Sequence[int] | None] | None = None,
        demand: Sequence[int] | None = None,
        capacity: Sequence[int] | None = None,
        min_gaps: Sequence[tuple[int, int, int]] = (),
        arc_cost: np.ndarray | None = None,
    ) -> RoutingArrays:
        """Freeze plain sequences (one entry per node or per vehicle) into arrays and tuples."""
        travel_a = _frozen(travel)
        n_nodes = travel_a.shape[1]
        return cls(
            travel=travel_a,
            vehicle_matrix=tuple(int(k) for k in vehicle_matrix),
            starts=tuple(int(s) for s in starts),
            ends=tuple(int(e) for e in ends),
            shifts=tuple((int(lo), int(hi)) for lo, hi in shifts),
            service=_frozen(service),
            windows=tuple(None if w is None else (int(w[0]), int(w[1])) for w in windows),
            penalties=tuple(None if p is None else int(p) for p in penalties),
            prizes=_frozen(prizes if prizes is not None else [0] * n_nodes),
            allowed=None
            if allowed is None
            else tuple(None if a is None else tuple(int(v) for v in a) for a in allowed),
            demand=None if demand is None else _frozen(demand),
            capacity=None if capacity is None else tuple(int(c) for c in capacity),
            min_gaps=tuple((int(a), int(b), int(g)) for a, b, g in min_gaps),
            arc_cost=None if arc_cost is None else _frozen(arc_cost),
        )


def solve_routing(
    arrays: RoutingArrays,
    *,
    time_limit_s: float = 10.0,
    solution_limit: int | None = None,
    seed: int = 0,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    prize_collecting: bool = True,
) -> RoutingResult:
    """Solve a rich VRP on integer travel times (see :class:`RoutingArrays`).

    Parameters
    ----------
    arrays : the instance.
    time_limit_s, solution_limit, seed, metaheuristic
        Search control.
    prize_collecting : bool
        Also use the operators in :data:`PRIZE_OPERATORS` (when some nodes are optional).
    """
    travel = arrays.travel
    vehicle_matrix, starts, ends, shift = (
        arrays.vehicle_matrix,
        arrays.starts,
        arrays.ends,
        arrays.shifts,
    )
    windows, penalties, allowed = arrays.windows, arrays.penalties, arrays.allowed
    demand, capacity, min_gaps, arc_cost = (
        arrays.demand,
        arrays.capacity,
        arrays.min_gaps,
        arrays.arc_cost,
    )
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
    service_arr = arrays.service
    # transit per matrix: service at the origin + travel; matrices and vectors
    # handed to OR-Tools are indexed by the model's node numbers (perm maps them to ours)
    transit_tables = [
        (travel[k] + service_arr[:, None])[perm][:, perm].tolist() for k in range(travel.shape[0])
    ]
    costs = travel if arc_cost is None else arc_cost
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
        dem_cb = routing.RegisterUnaryTransitVector(demand[perm].tolist())
        routing.AddDimensionWithVehicleCapacity(dem_cb, 0, [int(c) for c in capacity], True, "load")
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
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
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
        tuple(routes),
        tuple(starts_out),
        tuple(depart),
        True,
        int(solution.ObjectiveValue()),
        solve_s,
    )
