"""Solve a patrol problem: the one planning module that drives the solvers.

:func:`solve_patrol` first asks :func:`~geogrid.planning.plan.explain_infeasible`
whether required stops can be served at all, compiles the problem once into
:class:`~geogrid.planning.solvers.routing.RoutingArrays` (numbers only), has
OR-Tools find routes (:mod:`geogrid.planning.solvers.routing`), optionally
polishes them with a compiled search (:mod:`geogrid.planning.solvers.search`),
schedules them and hands out only a plan that passes
:func:`~geogrid.planning.plan.check_plan`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np

from geogrid.errors import InfeasibleError, InternalError
from geogrid.planning.plan import (
    PatrolPlan,
    TeamRoute,
    check_plan,
    explain_infeasible,
    schedule_route,
)
from geogrid.planning.problem import PatrolProblem
from geogrid.planning.solvers.routing import RoutingArrays, solve_routing
from geogrid.planning.solvers.search import improve_prize_routes, improve_required_routes

POLISH_SHARE_ORTOOLS = 0.3
"""In pure team orienteering and in routing where every stop is required, OR-Tools
gets this share of the time for a first plan; the compiled searches
(:func:`geogrid.planning.solvers.search.improve_prize_routes`,
:func:`geogrid.planning.solvers.search.improve_required_routes`) get the rest."""
SKIP_WEIGHT = 1_000
"""Penalty per prize point for skipping an optional stop, in seconds of travel.

A prize point is worth 1000 s of travel: the solver never skips a stop it can fit."""
NO_CAPACITY = 2**31
"""Capacity of a team without one when another team has one (OR-Tools needs a number)."""
UNLIMITED_CAPACITY = 2**40
"""Capacity of every team in the required-stops search when no team has one."""


def routing_arrays(problem: PatrolProblem, skip_weight: int = SKIP_WEIGHT) -> RoutingArrays:
    """The problem as the solvers see it: one entry per location or per team.

    Skipping an optional stop costs ``skip_weight`` x its prize; base
    locations have no service, window, penalty or prize.
    """
    n = problem.n_stops
    pad = problem.n_locations - n
    capacity = None
    if any(t.capacity is not None for t in problem.teams):
        capacity = [t.capacity if t.capacity is not None else NO_CAPACITY for t in problem.teams]
    return RoutingArrays.from_lists(
        problem.travel_s,
        problem.matrix_of_team,
        problem.start_loc,
        problem.end_loc,
        [(t.shift_start_s, t.shift_end_s) for t in problem.teams],
        [s.dwell_s for s in problem.stops] + [0] * pad,
        [s.window_s for s in problem.stops] + [None] * pad,
        [None if s.required else skip_weight * s.prize for s in problem.stops] + [None] * pad,
        prizes=[s.prize for s in problem.stops] + [0] * pad,
        allowed=[problem.allowed_teams(s) for s in problem.stops] + [None] * pad,
        demand=[s.demand for s in problem.stops] + [0] * pad,
        capacity=capacity,
        min_gaps=[
            (problem.stop_index[s.revisit_of], i, s.min_gap_s)
            for i, s in enumerate(problem.stops)
            if s.revisit_of is not None
        ],
    )


def solve_patrol(
    problem: PatrolProblem,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    solution_limit: int | None = None,
    polish: bool = True,
    skip_weight: int = SKIP_WEIGHT,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
) -> PatrolPlan:
    """Plan routes for every team; raises InfeasibleError saying why when impossible.

    The objective is travel time (seconds) plus ``skip_weight`` x prize for
    every optional stop left out: with the default a prize point is worth
    1000 s of walking, so stops are skipped only when they do not fit.

    With ``polish``, pure team orienteering (only optional stops with
    prizes, no windows, revisits, capacities or restrictions) is polished by
    an iterated local search after OR-Tools, and routing where every stop is
    required by ruin and recreate; OR-Tools then gets
    :data:`POLISH_SHARE_ORTOOLS` of ``time_limit_s``. The polish stops on the
    clock, so for a run that gives the same plan on any machine pass
    ``polish=False`` with a ``solution_limit``.

    Raises :class:`~geogrid.errors.InternalError` if the plan found fails
    :func:`~geogrid.planning.plan.check_plan` (a bug: the solver and the
    checker disagree).
    """
    reasons = explain_infeasible(problem)
    if reasons:
        raise InfeasibleError("no plan can serve every required stop", reasons)
    arrays = routing_arrays(problem, skip_weight)
    orienteering = polish and _pure_orienteering(problem)
    required = polish and _required_routing(problem)
    polishing = orienteering or required
    result = solve_routing(
        arrays,
        time_limit_s=time_limit_s * (POLISH_SHARE_ORTOOLS if polishing else 1.0),
        solution_limit=solution_limit,
        seed=seed,
        metaheuristic=metaheuristic,
    )
    improved = None
    k = arrays.vehicle_matrix[0]
    if required and result.found:
        improved = improve_required_routes(
            arrays.travel[k],
            arrays.service,
            arrays.windows,
            arrays.demand if arrays.demand is not None else np.zeros(arrays.n_nodes, dtype=np.int64),
            arrays.capacity if arrays.capacity is not None else [UNLIMITED_CAPACITY] * arrays.n_vehicles,
            arrays.starts,
            arrays.ends,
            arrays.shifts,
            result.routes,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            seed=seed,
        )
    elif orienteering and result.found:
        improved = improve_prize_routes(
            arrays.travel[k] + arrays.service[:, None],
            arrays.starts,
            arrays.ends,
            [hi - lo for lo, hi in arrays.shifts],
            arrays.prizes,
            result.routes,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            seed=seed,
        )
    if improved is not None:  # orders only: times are scheduled below from the shift start
        result = dataclasses.replace(
            result,
            routes=improved,
            service_start=tuple(tuple(0 for _ in r) for r in improved),
            start_time=tuple(t.shift_start_s for t in problem.teams),
        )
    if not result.found:
        raise InfeasibleError(
            "the solver found no plan that serves every required stop within the shifts",
            [
                "each required stop fits on its own, but not all together: make some optional, "
                "widen their windows, shorten dwell times or add a team",
                f"searched {result.solve_s:.1f} s; a longer time limit may help",
            ],
        )
    routes = tuple(
        schedule_route(problem, t, order, result.start_time[t], result.service_start[t])
        for t, order in enumerate(result.routes)
    )
    # push departures later when waiting at the first stop is pointless
    routes = tuple(_shift_departure(problem, r) for r in routes)
    visited = {v.stop for r in routes for v in r.visits}
    plan = PatrolPlan(
        routes=routes,
        skipped=tuple(i for i in range(problem.n_stops) if i not in visited),
        prize=sum(problem.stops[i].prize for i in visited),
        seed=seed,
        solve_s=result.solve_s,
    )
    violations = check_plan(problem, plan)
    if violations:  # the solver and the checker disagree: never hand out such a plan
        raise InternalError(
            "the solver returned a plan that fails check_plan; this is a bug in geogrid - "
            "please report it with the area's teams and stops (or the problem's matrices), "
            "the config, the seed and these violations:\n"
            + "\n".join(f"  - {v}" for v in violations)
        )
    return plan


def _required_routing(problem: PatrolProblem) -> bool:
    """True for vehicle routing proper: every stop required, one travel matrix, no
    revisits or team restrictions (windows, dwell and capacities may bind)."""
    return (
        problem.n_stops > 0
        and len(set(problem.matrix_of_team)) == 1
        and all(s.required and s.revisit_of is None and s.teams is None and s.skill is None for s in problem.stops)
    )


def _pure_orienteering(problem: PatrolProblem) -> bool:
    """True for team orienteering proper: optional stops with prizes, nothing else binds
    (no windows, revisits, capacities, restrictions, required stops; one travel matrix)."""
    return (
        len(set(problem.matrix_of_team)) == 1
        and all(t.capacity is None for t in problem.teams)
        and all(
            s.window_s is None and s.revisit_of is None and not s.required and s.teams is None and s.skill is None
            for s in problem.stops
        )
    )


def _shift_departure(problem: PatrolProblem, route: TeamRoute) -> TeamRoute:
    if not route.visits:
        return replace(route, depart_s=route.depart_s, return_s=route.depart_s, metres=0.0)
    first = route.visits[0]
    wait = first.start_s - first.arrival_s
    if wait <= 0:
        return route
    order = [v.stop for v in route.visits]
    starts = [v.start_s for v in route.visits]
    later = schedule_route(problem, route.team, order, route.depart_s + wait, starts)
    ok = all(
        (v.start_s == w.start_s) for v, w in zip(route.visits, later.visits, strict=True)
    )
    return later if ok else route
