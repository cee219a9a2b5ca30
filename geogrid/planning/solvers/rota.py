"""The weekly rota as a CP-SAT model: stops to team-nights (numbers only).

``x[d, t, i] = 1``: team ``t`` covers stop ``i`` on day ``d``. Each stop gets
exactly its nights (``soft``: at most, the shortfall minimised), one team a
night; a team covers only what it is eligible for, within its shift's budget,
never two stops whose windows clash, never a set that proved not to fit in
one route (``nogoods``), and patrols at most ``max_nights`` nights.

The objective is lexicographic, one CP-SAT search per stage, each stage's
best value fixed before the next: (1) the most weighted nights of any team
(nights x ``weight[t]``, the weight being inverse to its volunteers), (2) the
most weighted stop visits of any team, (3) the most visits of one stop by one
team summed over stops (spread over teams) plus back-to-back nights of a stop
that needs few, (4) the sum of weighted squared nights (no needless nights).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model


@dataclass(frozen=True)
class RotaArrays:
    """The week in numbers.

    eligible : (7, T, S) bool, load : (T, S) seconds, budget : (7, T) seconds,
    nights : (S,) nights each stop needs, weight : (T,) per-night weight,
    max_nights : per team, clashes : (t, i, j) pairs one team cannot serve in one
    night, nogoods : (d, t, stops) sets that do not fit in one route.
    """

    eligible: np.ndarray
    load: np.ndarray
    budget: np.ndarray
    nights: np.ndarray
    weight: np.ndarray
    max_nights: int = 7
    clashes: tuple[tuple[int, int, int], ...] = ()
    nogoods: tuple[tuple[int, int, tuple[int, ...]], ...] = ()
    soft: bool = False


@dataclass(frozen=True)
class AssignmentResult:
    """``assign`` (7, T, S) bool; ``found`` False when no assignment exists or none was
    found in time; ``optimal`` when every stage was proven optimal."""

    assign: np.ndarray
    found: bool
    optimal: bool
    solve_s: float


STAGES = 4


def solve_assignment(
    arrays: RotaArrays, *, time_limit_s: float = 10.0, seed: int = 0
) -> AssignmentResult:
    """Assign stops to team-nights (see the module docstring); one worker, so the same seed
    gives the same rota."""
    t0 = time.perf_counter()
    elig = np.asarray(arrays.eligible, dtype=bool)
    n_d, n_t, n_s = elig.shape
    model = cp_model.CpModel()
    x: dict[tuple[int, int, int], cp_model.IntVar] = {
        (d, t, i): model.new_bool_var(f"x{d}_{t}_{i}")
        for d in range(n_d)
        for t in range(n_t)
        for i in range(n_s)
        if elig[d, t, i]
    }
    on = {(d, t): model.new_bool_var(f"on{d}_{t}") for d in range(n_d) for t in range(n_t)}
    shortfall = []
    for i in range(n_s):
        for d in range(n_d):
            mine = [x[d, t, i] for t in range(n_t) if (d, t, i) in x]
            if len(mine) > 1:
                model.add_at_most_one(mine)
        every = [v for (d, t, j), v in x.items() if j == i]
        need = int(arrays.nights[i])
        if arrays.soft:
            model.add(sum(every) <= need)
            short = model.new_int_var(0, need, f"short{i}")
            model.add(short == need - sum(every))
            shortfall.append(short)
        else:
            model.add(sum(every) == need)
    for d in range(n_d):
        for t in range(n_t):
            served = [i for i in range(n_s) if (d, t, i) in x]
            if not served:
                model.add(on[d, t] == 0)
                continue
            for i in served:
                model.add_implication(x[d, t, i], on[d, t])
            model.add(on[d, t] <= sum(x[d, t, i] for i in served))
            model.add(
                sum(int(arrays.load[t, i]) * x[d, t, i] for i in served) <= int(arrays.budget[d, t])
            )
    for t, i, j in arrays.clashes:
        for d in range(n_d):
            if (d, t, i) in x and (d, t, j) in x:
                model.add(x[d, t, i] + x[d, t, j] <= 1)
    for d, t, stops in arrays.nogoods:
        if all((d, t, i) in x for i in stops):
            model.add(sum(x[d, t, i] for i in stops) <= len(stops) - 1)
    nights = []
    for t in range(n_t):
        n = model.new_int_var(0, min(n_d, arrays.max_nights), f"n{t}")
        model.add(n == sum(on[d, t] for d in range(n_d)))
        nights.append(n)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)

    def run(limit: float) -> Any:
        solver.parameters.max_time_in_seconds = max(0.05, limit)
        return solver.solve(model)

    if arrays.soft:
        model.minimize(sum(shortfall))
        status = run(time_limit_s)
        return _result(solver, status, x, (n_d, n_t, n_s), status == cp_model.OPTIMAL, t0)

    w = [int(v) for v in arrays.weight]
    top = max(w) * n_d
    most = model.new_int_var(0, top, "most")
    for t in range(n_t):
        model.add(most >= w[t] * nights[t])
    squares = []
    for t in range(n_t):
        sq = model.new_int_var(0, n_d * n_d, f"sq{t}")
        model.add_multiplication_equality(sq, [nights[t], nights[t]])
        squares.append(w[t] * sq)
    visits = [sum(v for (d, tt, i), v in x.items() if tt == t) for t in range(n_t)]
    most_visits = model.new_int_var(0, max(w) * max(1, len(x)), "most_visits")
    for t in range(n_t):
        model.add(most_visits >= w[t] * visits[t])
    spread: list[Any] = []
    for i in range(n_s):
        need = int(arrays.nights[i])
        if need < 2:
            continue
        peak = model.new_int_var(0, need, f"peak{i}")
        for t in range(n_t):
            mine = [x[d, t, i] for d in range(n_d) if (d, t, i) in x]
            if mine:
                model.add(peak >= sum(mine))
        spread.append(10 * peak)
        if need <= 3:  # a stop patrolled two or three nights: not on consecutive nights
            nightly = []
            for d in range(n_d):
                s = model.new_bool_var(f"served{i}_{d}")
                model.add(s == sum(x[d, t, i] for t in range(n_t) if (d, t, i) in x))
                nightly.append(s)
            for d in range(n_d - 1):
                both = model.new_bool_var(f"both{i}_{d}")
                model.add(both >= nightly[d] + nightly[d + 1] - 1)
                spread.append(both)
    stages = [most, most_visits, sum(spread), sum(squares)]
    optimal = True
    kept: np.ndarray | None = None
    for k, objective in enumerate(stages):
        model.minimize(objective)  # replaces the stage before's objective
        left = time_limit_s - (time.perf_counter() - t0)
        status = run(left / (STAGES - k))
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if kept is None:  # no assignment at all (infeasible, or none found in time)
                return _result(solver, status, x, (n_d, n_t, n_s), False, t0)
            optimal = False  # out of time in a later stage: keep the last stage's answer
            break
        optimal = optimal and status == cp_model.OPTIMAL
        kept = _assign(solver, x, (n_d, n_t, n_s))
        model.add(objective <= int(round(solver.objective_value)))
        model.proto.clear_solution_hint()  # what the unannotated CpModel.clear_hints does
        for v in x.values():
            model.add_hint(v, solver.boolean_value(v))
    assert kept is not None
    return AssignmentResult(kept, True, optimal, time.perf_counter() - t0)


def _assign(
    solver: cp_model.CpSolver,
    x: dict[tuple[int, int, int], cp_model.IntVar],
    shape: tuple[int, int, int],
) -> np.ndarray:
    assign = np.zeros(shape, dtype=bool)
    for key, v in x.items():
        assign[key] = solver.boolean_value(v)
    return assign


def _result(
    solver: cp_model.CpSolver,
    status: Any,
    x: dict[tuple[int, int, int], cp_model.IntVar],
    shape: tuple[int, int, int],
    optimal: bool,
    t0: float,
) -> AssignmentResult:
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assign = _assign(solver, x, shape) if found else np.zeros(shape, dtype=bool)
    return AssignmentResult(assign, found, optimal and found, time.perf_counter() - t0)
