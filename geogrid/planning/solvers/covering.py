"""Maximal covering location (MCLP) as a MIP on OR-Tools' linear solver (numbers only)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp


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
