"""Solve a patrol problem: the one planning module that drives the solvers.

:func:`solve_patrol` first asks :func:`~geogrid.planning.plan.explain_infeasible`
whether required stops can be served at all, compiles the valuable stops some
team can reach (:func:`~geogrid.planning.plan.reachable_teams`) once into
:class:`~geogrid.planning.solvers.routing.RoutingArrays` (numbers only), has
OR-Tools find routes (:mod:`geogrid.planning.solvers.routing`), optionally
polishes them with a compiled search (:mod:`geogrid.planning.solvers.search`),
shares the work fairly and fills the spare time
(:mod:`geogrid.planning.workload`), schedules the routes and hands out only a
plan that passes :func:`~geogrid.planning.plan.check_plan`. When no stop can
be reached at all, the plan is empty (every team stays at its base) and
:func:`~geogrid.planning.plan.skip_reasons` says why.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from geogrid.errors import InfeasibleError, InternalError
from geogrid.planning.plan import (
    PatrolPlan,
    TeamRoute,
    check_plan,
    explain_infeasible,
    reachable_teams,
    schedule_route,
)
from geogrid.planning.problem import PatrolProblem, fair_shares
from geogrid.planning.solvers.prize_tw import improve_prize_tw_routes
from geogrid.planning.solvers.routing import RoutingArrays, solve_routing
from geogrid.planning.solvers.search import improve_prize_routes, improve_required_routes
from geogrid.planning.workload import balance_routes, fill_routes, schedule_orders

POLISH_SHARE_ORTOOLS = 0.3
"""When a compiled search polishes, OR-Tools gets this share of the time for a first
plan; the compiled search (:func:`geogrid.planning.solvers.search.improve_prize_routes`,
:func:`geogrid.planning.solvers.search.improve_required_routes` or
:func:`geogrid.planning.solvers.prize_tw.improve_prize_tw_routes`) gets the rest."""
ORIENTEERING_SHARE_ORTOOLS = 0.15
"""OR-Tools' share on pure team orienteering (no windows, dwell or restrictions), where
:func:`geogrid.planning.solvers.search.improve_prize_routes` also runs a walk of its own
from its greedy construction: with 0.3 Chao p4.4.m ended at 916 on 3 seeds, with 0.15 at
918 (10 s, 2026-12-06)."""
REQUIRED_SHARE_ORTOOLS = 0.15
"""OR-Tools' share when every stop is required: the SISR polish recovers from a poorer first
plan (Solomon VRPTW, 10 s, 18 instances, 2026-12-06: mean gap 0.25 % at 0.3, 0.12 % at 0.15)."""
SKIP_WEIGHT = 1_000
"""Penalty per prize point for skipping an optional stop, in seconds of travel.

A prize point is worth 1000 s of travel: the solver never skips a stop it can fit."""
NO_CAPACITY = 2**31
"""Capacity of a team without one when another team has one (OR-Tools needs a number)."""
UNLIMITED_CAPACITY = 2**40
"""Capacity of every team in the required-stops search when no team has one."""


def solver_locations(problem: PatrolProblem, keep: Sequence[int] | None = None) -> list[int]:
    """The problem's locations the solvers see, in their node order: the stops in
    ``keep`` (default all), then every base location."""
    stops = range(problem.n_stops) if keep is None else keep
    return [*stops, *range(problem.n_stops, problem.n_locations)]


def routing_arrays(
    problem: PatrolProblem,
    skip_weight: int = SKIP_WEIGHT,
    *,
    keep: Sequence[int] | None = None,
    allowed: Sequence[Sequence[int]] | None = None,
) -> RoutingArrays:
    """The problem as the solvers see it: one entry per location or per team.

    Skipping an optional stop costs ``skip_weight`` x its prize; base
    locations have no service, window, penalty or prize. Only the stops in
    ``keep`` are handed over (node j is location ``solver_locations(problem,
    keep)[j]``); ``allowed`` (per stop of the problem) narrows the teams that
    may serve each. A team whose shift is too short even to go from its
    start to its end serves nothing and may overrun (it stays put).
    """
    locs = solver_locations(problem, keep)
    index = {loc: j for j, loc in enumerate(locs)}
    stops = [problem.stops[i] for i in locs if i < problem.n_stops]
    kept = locs[: len(stops)]
    pad = len(locs) - len(stops)
    travel = problem.travel_s[:, locs][:, :, locs]
    idle = _idle_teams(problem)
    shifts = [
        (team.shift_start_s, max(team.shift_end_s, team.shift_start_s + _crossing_s(problem, t)))
        for t, team in enumerate(problem.teams)
    ]
    who = [
        allowed[i] if allowed is not None else problem.allowed_teams(problem.stops[i]) for i in kept
    ]
    capacity = None
    if any(t.capacity is not None for t in problem.teams):
        capacity = [t.capacity if t.capacity is not None else NO_CAPACITY for t in problem.teams]
    return RoutingArrays.from_lists(
        travel,
        problem.matrix_of_team,
        [index[s] for s in problem.start_loc],
        [index[e] for e in problem.end_loc],
        shifts,
        [s.dwell_s for s in stops] + [0] * pad,
        [s.window_s for s in stops] + [None] * pad,
        [None if s.required else skip_weight * s.prize for s in stops] + [None] * pad,
        prizes=[s.prize for s in stops] + [0] * pad,
        allowed=[[t for t in w if t not in idle] for w in who] + [None] * pad,
        demand=[s.demand for s in stops] + [0] * pad,
        capacity=capacity,
        min_gaps=[
            (index[problem.stop_index[s.revisit_of]], index[i], s.min_gap_s)
            for i, s in zip(kept, stops, strict=True)
            if s.revisit_of is not None and problem.stop_index[s.revisit_of] in index
        ],
    )


def _crossing_s(problem: PatrolProblem, t: int) -> int:
    """Seconds team ``t`` needs from its start to its end location without stops."""
    return int(
        problem.travel_s[problem.matrix_of_team[t], problem.start_loc[t], problem.end_loc[t]]
    )


def _idle_teams(problem: PatrolProblem) -> set[int]:
    """Teams whose shift is too short even to go from their start to their end."""
    return {
        t
        for t, team in enumerate(problem.teams)
        if team.shift_start_s + _crossing_s(problem, t) > team.shift_end_s
    }


def solve_patrol(
    problem: PatrolProblem,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    solution_limit: int | None = None,
    polish: bool = True,
    skip_weight: int = SKIP_WEIGHT,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    balance: str = "lexicographic",
    balance_weight: float = 0.5,
    mode_weights: Mapping[str, float] | None = None,
) -> PatrolPlan:
    """Plan routes for every team; raises InfeasibleError saying why when impossible.

    The objective is travel time (seconds) plus ``skip_weight`` x prize for
    every optional stop left out: with the default a prize point is worth
    1000 s of walking, so stops are skipped only when they do not fit.
    Extra passes (stops with a ``fill_value``) are not the solvers' business.

    With ``polish``, pure team orienteering (only optional stops with
    prizes, no windows, revisits, capacities or restrictions) is polished by
    an iterated local search after OR-Tools, routing where every stop is
    required by ruin and recreate, and every other problem (windows, dwell,
    revisit gaps, team restrictions, several modes, capacities, required
    stops among optional ones) by the prize search with windows of
    :mod:`geogrid.planning.solvers.prize_tw`; OR-Tools then gets
    :data:`POLISH_SHARE_ORTOOLS` of ``time_limit_s``. The polish stops on the
    clock, so for a run that gives the same plan on any machine pass
    ``polish=False`` with a ``solution_limit``.

    Then the work is shared (:func:`~geogrid.planning.workload.balance_routes`:
    ``balance`` is ``"lexicographic"`` - prize first, then each team's fair
    share by size, mode (``mode_weights``) and shift hours - or
    ``"weighted"``: prize - ``balance_weight`` x imbalance) and the spare
    time filled with extra passes (:func:`~geogrid.planning.workload.fill_routes`).

    Raises :class:`~geogrid.errors.InternalError` if the plan found fails
    :func:`~geogrid.planning.plan.check_plan` (a bug: the solver and the
    checker disagree).
    """
    reasons = explain_infeasible(problem)
    if reasons:
        raise InfeasibleError("no plan can serve every required stop", reasons)
    fair = fair_shares(problem.teams, mode_weights)
    reach = reachable_teams(problem)
    keep: list[int] = []
    for i, stop in enumerate(problem.stops):  # revisits come after the pass they repeat
        before = problem.stop_index[stop.revisit_of] if stop.revisit_of is not None else None
        if not stop.is_fill and reach[i] and (before is None or before in keep):
            keep.append(i)
    orders, solve_s = _solver_orders(
        problem,
        keep,
        time_limit_s=time_limit_s,
        seed=seed,
        solution_limit=solution_limit,
        polish=polish,
        skip_weight=skip_weight,
        metaheuristic=metaheuristic,
    )
    if schedule_orders(problem, orders) is None:
        raise InternalError(
            _bug_report(["the solver's routes break a window, shift, gap or capacity"])
        )
    orders = balance_routes(problem, orders, fair, how=balance, weight=balance_weight)
    orders = fill_routes(problem, orders)
    starts = schedule_orders(problem, orders)
    if starts is None:
        raise InternalError(_bug_report(["balancing or filling the routes broke them"]))
    routes = tuple(
        schedule_route(
            problem, t, order, problem.teams[t].shift_start_s, [starts[i] for i in order]
        )
        for t, order in enumerate(orders)
    )
    # push departures later when waiting at the first stop is pointless
    routes = tuple(_shift_departure(problem, r) for r in routes)
    visited = {v.stop for r in routes for v in r.visits}
    plan = PatrolPlan(
        routes=routes,
        skipped=tuple(i for i in range(problem.n_stops) if i not in visited),
        prize=sum(problem.stops[i].prize for i in visited),
        seed=seed,
        solve_s=solve_s,
        fair_share=fair,
    )
    violations = check_plan(problem, plan)
    if violations:  # the solver and the checker disagree: never hand out such a plan
        raise InternalError(_bug_report(violations))
    return plan


def _bug_report(violations: Sequence[str]) -> str:
    return (
        "the solver returned a plan that fails check_plan; this is a bug in geogrid - "
        "please report it with the area's teams and stops (or the problem's matrices), "
        "the config, the seed and these violations:\n" + "\n".join(f"  - {v}" for v in violations)
    )


def _solver_orders(
    problem: PatrolProblem,
    keep: Sequence[int],
    *,
    time_limit_s: float,
    seed: int,
    solution_limit: int | None,
    polish: bool,
    skip_weight: int,
    metaheuristic: str,
) -> tuple[tuple[tuple[int, ...], ...], float]:
    """The solvers' visit orders over the ``keep`` stops (stop indices of the problem)
    and the seconds they searched; no stop to keep: every team stays at its base."""
    empty = tuple(() for _ in problem.teams)
    if not keep:
        return empty, 0.0
    # the solvers see the stops' own team restrictions; narrowing them further to the teams
    # that can reach each stop (reach) makes OR-Tools' search worse, not better
    arrays = routing_arrays(problem, skip_weight, keep=keep)
    locs = solver_locations(problem, keep)
    fit = not _idle_teams(problem)
    orienteering = polish and fit and _pure_orienteering(problem, keep)
    required = polish and fit and _required_routing(problem, keep)
    # everything else (windows, dwell, revisits, restrictions, several modes, capacities,
    # required stops among optional ones): the compiled prize search with windows
    rich = polish and not orienteering and not required
    polishing = orienteering or required or rich
    share = ORIENTEERING_SHARE_ORTOOLS if orienteering else POLISH_SHARE_ORTOOLS
    if required:
        share = REQUIRED_SHARE_ORTOOLS
    result = solve_routing(
        arrays,
        time_limit_s=time_limit_s * (share if polishing else 1.0),
        solution_limit=solution_limit,
        seed=seed,
        metaheuristic=metaheuristic,
    )
    if rich and not result.found:  # no first plan in OR-Tools' share: it gets the rest too
        rest = solve_routing(
            arrays,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            solution_limit=solution_limit,
            seed=seed,
            metaheuristic=metaheuristic,
        )
        result = dataclasses.replace(rest, solve_s=result.solve_s + rest.solve_s)
    improved = None
    polish_start = time.perf_counter()
    k = arrays.vehicle_matrix[0]
    if required and result.found:
        improved = improve_required_routes(
            arrays.travel[k],
            arrays.service,
            arrays.windows,
            arrays.demand
            if arrays.demand is not None
            else np.zeros(arrays.n_nodes, dtype=np.int64),
            arrays.capacity
            if arrays.capacity is not None
            else [UNLIMITED_CAPACITY] * arrays.n_vehicles,
            arrays.starts,
            arrays.ends,
            arrays.shifts,
            result.routes,
            time_limit_s=time_limit_s * (1.0 - REQUIRED_SHARE_ORTOOLS),
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
            time_limit_s=time_limit_s * (1.0 - ORIENTEERING_SHARE_ORTOOLS),
            seed=seed,
        )
    elif rich and result.found:
        improved = improve_prize_tw_routes(
            arrays,
            result.routes,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            seed=seed,
        )
    if improved is not None:  # solve_s: OR-Tools' search and the polish
        result = dataclasses.replace(
            result,
            routes=improved,
            solve_s=result.solve_s + time.perf_counter() - polish_start,
        )
    if not result.found:
        if any(problem.stops[i].required for i in keep):
            raise InfeasibleError(
                "the solver found no plan that serves every required stop within the shifts",
                [
                    "each required stop fits on its own, but not all together: make some optional, "
                    "widen their windows, shorten dwell times or add a team",
                    f"searched {result.solve_s:.1f} s; a longer time limit may help",
                ],
            )
        return empty, result.solve_s  # nothing required: staying at the base is a plan to build on
    return tuple(tuple(locs[j] for j in r) for r in result.routes), result.solve_s


def _required_routing(problem: PatrolProblem, keep: Sequence[int]) -> bool:
    """True for vehicle routing proper: every stop in ``keep`` required, one travel
    matrix, no revisits or team restrictions (windows, dwell and capacities may bind)."""
    stops = [problem.stops[i] for i in keep]
    return (
        len(stops) > 0
        and len(set(problem.matrix_of_team)) == 1
        and all(s.required and s.revisit_of is None for s in stops)
        and _unrestricted(problem, keep)
    )


def _unrestricted(problem: PatrolProblem, keep: Sequence[int]) -> bool:
    """True when every team may serve every stop in ``keep`` (no team list, skill or
    team area narrows any of them)."""
    everyone = len(problem.teams)
    return all(len(problem.allowed_teams(problem.stops[i])) == everyone for i in keep)


def _pure_orienteering(problem: PatrolProblem, keep: Sequence[int]) -> bool:
    """True for team orienteering proper over the stops in ``keep``: optional stops with
    prizes, nothing else binds (no windows, revisits, capacities, restrictions,
    required stops; one travel matrix)."""
    return (
        len(set(problem.matrix_of_team)) == 1
        and all(t.capacity is None for t in problem.teams)
        and all(
            s.window_s is None and s.revisit_of is None and not s.required
            for s in (problem.stops[i] for i in keep)
        )
        and _unrestricted(problem, keep)
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
    ok = all((v.start_s == w.start_s) for v, w in zip(route.visits, later.visits, strict=True))
    return later if ok else route
