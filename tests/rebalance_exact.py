"""The proven minimum of households moved by a rebalance with a fixed grid count (CP-SAT).

A test helper (not a test module) and the exact model of
``benchmarks/rebalance_exact.py``: the independent judge of
:func:`geogrid.grids.rebalance.rebalance` on small instances.

Model: ``x[u, g]`` = unit u is in grid g (only grids of u's parent; locked
units and the units of locked grids stay, nothing joins a locked grid);
every unit in one grid; every open grid inside its band. Contiguity by a
single-commodity flow per grid: one root per grid supplies flow, every
other member consumes one unit, and flow runs only on unit-graph arcs whose
two ends are both in the grid. Objective: households moved x (units + 1)
+ units moved, so households first, then units. Compactness is not
modelled (the rebalance is run with its tolerance off for a fair bound).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse


@dataclass(frozen=True)
class ExactResult:
    """``status`` is OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN; labels None unless a solution."""

    status: str
    households_moved: int | None
    units_moved: int | None
    bound_households: float
    labels: np.ndarray | None
    seconds: float


def exact_rebalance(
    adjacency: sparse.csr_matrix,
    households: np.ndarray,
    labels: np.ndarray,
    bands: Sequence[tuple[int, int]],
    *,
    parents: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
    closed: Sequence[int] = (),
    time_limit_s: float = 30.0,
    workers: int = 1,
    hint: np.ndarray | None = None,
) -> ExactResult:
    """Least households (then units) moved so that every open grid is contiguous and in band.

    ``labels`` are the current grids 0..K-1 of the units; ``bands[g]`` is
    grid g's (min, max); ``parents`` a parent id per unit (grids nest);
    ``frozen`` units never move; grids in ``closed`` neither give nor take.
    """
    n = len(labels)
    k = int(labels.max()) + 1
    pop = np.asarray(households, dtype=np.int64)
    parents = np.zeros(n, dtype=np.int64) if parents is None else np.asarray(parents)
    frozen = np.zeros(n, dtype=bool) if frozen is None else np.asarray(frozen, dtype=bool)
    closed_set = {int(c) for c in closed}
    grid_parent = {int(g): parents[np.flatnonzero(labels == g)[0]] for g in range(k)}
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for u in range(n):
        cur = int(labels[u])
        if frozen[u] or cur in closed_set:
            options = [cur]
        else:
            options = [g for g in range(k) if grid_parent[g] == parents[u] and g not in closed_set]
        for g in options:
            x[u, g] = model.new_bool_var(f"x{u}_{g}")
        model.add_exactly_one(x[u, g] for g in options)
    coo = sparse.triu(adjacency, k=1).tocoo()
    arcs = [(int(a), int(b)) for a, b in zip(coo.row, coo.col, strict=True)]
    arcs += [(b, a) for a, b in arcs]
    for g in range(k):
        members = [u for u in range(n) if (u, g) in x]
        lo, hi = bands[g]
        total = sum(int(pop[u]) * x[u, g] for u in members)
        if g not in closed_set:
            model.add(total >= lo)
            model.add(total <= hi)
        # contiguity: flow from one root to every other member
        m = len(members)
        root = {u: model.new_bool_var(f"r{u}_{g}") for u in members}
        model.add_exactly_one(root.values())
        for u in members:
            model.add_implication(root[u], x[u, g])
        flow = {}
        for a, b in arcs:
            if (a, g) in x and (b, g) in x:
                f = model.new_int_var(0, m, f"f{a}_{b}_{g}")
                model.add(f <= m * x[a, g])
                model.add(f <= m * x[b, g])
                flow[a, b] = f
        for v in members:
            supply = model.new_int_var(0, m, f"s{v}_{g}")
            model.add(supply <= m * root[v])
            inflow = sum(f for (a, b), f in flow.items() if b == v)
            outflow = sum(f for (a, b), f in flow.items() if a == v)
            model.add(inflow - outflow == x[v, g] - supply)
    moved_h = sum(int(pop[u]) * (1 - x[u, int(labels[u])]) for u in range(n))
    moved_n = sum(1 - x[u, int(labels[u])] for u in range(n))
    model.minimize(moved_h * (n + 1) + moved_n)
    if hint is not None:
        for (u, g), var in x.items():
            model.add_hint(var, int(hint[u] == g))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out = np.array(
            [next(g for g in range(k) if (u, g) in x and solver.value(x[u, g])) for u in range(n)]
        )
        moved = out != labels
        return ExactResult(
            name,
            int(pop[moved].sum()),
            int(moved.sum()),
            solver.best_objective_bound / (n + 1),
            out,
            solver.wall_time,
        )
    return ExactResult(
        name, None, None, solver.best_objective_bound / (n + 1), None, solver.wall_time
    )
