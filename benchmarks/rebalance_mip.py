"""The exact rebalance model reduced by a proof, solved by HiGHS (MIP) or CP-SAT.

Helper of ``benchmarks/rebalance_exact.py`` (not library code). Same model as
``tests/rebalance_exact.py`` (a unit in one grid, every grid in its band and
contiguous by a single-commodity flow, minimise households moved x (units + 1)
+ units moved), made small by two facts that hold for every optimal answer
when a feasible answer moving ``UB`` households is known (ours):

1. A unit may join grid g only if some path from it to an original unit of g
   carries at most UB households over units not originally in g (node-weighted
   shortest path). Proof: if g keeps one of its units, g after the move is
   contiguous, so a path of units in g joins the unit to an original unit of g,
   and every unit on it that was not in g moved (its households count). g
   keeps one of its units whenever its households exceed UB (else all of them
   moved). For grids of UB households or fewer no unit is excluded.
2. A unit with no grid left but its own is fixed there; the fixed units of a
   grid that touch each other are one node of its flow network (contiguity
   among them holds by the edges between them), and the largest such node is
   the grid's root, so no root variables are needed (grids with no fixed unit
   get root variables as in the full model).

The answer is a proven minimum only when the solver says OPTIMAL; it holds
for the full model because of 1.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components


@dataclass
class Linear:
    """A 0-1/integer linear model: columns (lb, ub, cost) and rows (lo <= a x <= hi)."""

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)

    def var(self, lb: float, ub: float, cost: float = 0.0) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(cost)
        return len(self.lb) - 1

    def row(self, terms: dict[int, float], lo: float, hi: float) -> None:
        idx = [i for i, c in terms.items() if c != 0]
        self.rows.append((idx, [terms[i] for i in idx], lo, hi))


@dataclass(frozen=True)
class Reduced:
    """Status OPTIMAL / FEASIBLE / INFEASIBLE / UNKNOWN, households and units moved of the best
    answer, the bound on households moved, and the model size."""

    status: str
    households_moved: int | None
    units_moved: int | None
    bound_households: float
    labels: np.ndarray | None
    seconds: float
    columns: int
    rows: int
    free_units: int


INF = float("inf")


def candidate_grids(
    adjacency: sparse.csr_matrix, households: np.ndarray, labels: np.ndarray, ub: float
) -> list[list[int]]:
    """Per unit, the grids it may belong to in an answer moving at most ``ub`` households (1.)."""
    n = len(labels)
    k = int(labels.max()) + 1
    pop = np.asarray(households, dtype=float)
    total = np.bincount(labels, weights=pop, minlength=k)
    indptr, indices = adjacency.indptr, adjacency.indices
    options: list[list[int]] = [[int(labels[u])] for u in range(n)]
    for g in range(k):
        if total[g] <= ub:
            for u in range(n):
                if labels[u] != g:
                    options[u].append(g)
            continue
        dist = np.full(n, INF)
        heap: list[tuple[float, int]] = []
        for u in np.flatnonzero(labels == g).tolist():
            dist[u] = 0.0
            heap.append((0.0, u))
        heapq.heapify(heap)
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for w in indices[indptr[u] : indptr[u + 1]].tolist():
                nd = d + pop[w]
                if nd <= ub and nd < dist[w]:
                    dist[w] = nd
                    heapq.heappush(heap, (nd, w))
        for u in np.flatnonzero((dist <= ub) & (labels != g)).tolist():
            options[u].append(g)
    return options


def build(
    adjacency: sparse.csr_matrix,
    households: np.ndarray,
    labels: np.ndarray,
    bands: list[tuple[int, int]],
    options: list[list[int]],
) -> tuple[Linear, dict[tuple[int, int], int]]:
    """The reduced model (2.) and its assignment columns x[u, g]."""
    n = len(labels)
    k = int(labels.max()) + 1
    pop = np.asarray(households, dtype=np.int64)
    m = Linear()
    x: dict[tuple[int, int], int] = {}
    for u in range(n):
        if len(options[u]) == 1:
            continue
        for g in options[u]:
            move = g != labels[u]
            x[u, g] = m.var(0, 1, float(pop[u] * (n + 1) + 1) if move else 0.0)
        m.row({x[u, g]: 1.0 for g in options[u]}, 1, 1)
    fixed = np.array([len(o) == 1 for o in options])
    coo = sparse.triu(adjacency, k=1).tocoo()
    edges = list(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    for g in range(k):
        lo, hi = bands[g]
        core = np.flatnonzero(fixed & (labels == g))
        base = float(pop[core].sum())
        free = [u for u in range(n) if (u, g) in x]
        m.row({x[u, g]: float(pop[u]) for u in free}, lo - base, hi - base)
        # flow network: components of fixed units (present) and free units (present = x)
        node_of: dict[int, int] = {}
        if len(core):
            sub = adjacency[core][:, core]
            _, comp = connected_components(sub, directed=False)
            node_of.update(zip(core.tolist(), comp.tolist(), strict=True))
        n_core = int(max(node_of.values()) + 1) if node_of else 0
        for i, u in enumerate(free):
            node_of[u] = n_core + i
        nodes = n_core + len(free)
        if nodes <= 1:
            continue
        present: list[dict[int, float] | float] = [1.0] * n_core + [{x[u, g]: 1.0} for u in free]
        arcs: set[tuple[int, int]] = set()
        for a, b in edges:
            if a in node_of and b in node_of and node_of[a] != node_of[b]:
                arcs.add((node_of[a], node_of[b]))
                arcs.add((node_of[b], node_of[a]))
        big = float(nodes)
        flow: dict[tuple[int, int], int] = {}
        for a, b in sorted(arcs):
            f = m.var(0, big)
            flow[a, b] = f
            for end in (a, b):
                p = present[end]
                if isinstance(p, dict):  # f <= big * present
                    m.row({f: 1.0, **{c: -big * v for c, v in p.items()}}, -INF, 0)
        if n_core:
            sizes = np.bincount([node_of[u] for u in core.tolist()], minlength=n_core)
            root: dict[int, int] = {}
            root_node = int(np.argmax(sizes))
        else:
            root = {v: m.var(0, 1) for v in range(nodes)}
            m.row(dict.fromkeys(root.values(), 1.0), 1, 1)
            for v in range(nodes):
                p = present[v]
                assert isinstance(p, dict)
                m.row({root[v]: 1.0, **{c: -val for c, val in p.items()}}, -INF, 0)
            root_node = -1
        for v in range(nodes):
            terms: dict[int, float] = {}
            for (a, b), f in flow.items():
                if b == v:
                    terms[f] = terms.get(f, 0.0) + 1.0
                if a == v:
                    terms[f] = terms.get(f, 0.0) - 1.0
            if v == root_node:
                continue  # the root supplies what the others take
            p = present[v]
            if root:  # inflow - outflow = present - supply, supply <= big * root
                s = m.var(0, big)
                m.row({s: 1.0, root[v]: -big}, -INF, 0)
                terms[s] = terms.get(s, 0.0) + 1.0
            if isinstance(p, dict):
                for c, val in p.items():
                    terms[c] = terms.get(c, 0.0) - val
                m.row(terms, 0, 0)
            else:
                m.row(terms, p, p)
    return m, x


def solve(
    adjacency: sparse.csr_matrix,
    households: np.ndarray,
    labels: np.ndarray,
    bands: list[tuple[int, int]],
    ub: float,
    *,
    backend: str = "highs",
    time_limit_s: float = 60.0,
    hint: np.ndarray | None = None,
) -> Reduced:
    """The proven minimum (or the bound) with the variables fact 1 leaves; ``ub`` = households a
    known feasible answer moves."""
    start = time.perf_counter()
    options = candidate_grids(adjacency, households, labels, ub)
    model, x = build(adjacency, households, labels, bands, options)
    n = len(labels)
    free_units = sum(len(o) > 1 for o in options)
    if backend == "highs":
        status, values, bound = _highs(model, time_limit_s)
    else:
        status, values, bound = _cpsat(model, time_limit_s, x, hint)
    seconds = time.perf_counter() - start
    size = (len(model.lb), len(model.rows), free_units)
    if values is None:
        return Reduced(status, None, None, bound / (n + 1), None, seconds, *size)
    out = labels.copy()
    for (u, g), col in x.items():
        if values[col] > 0.5:
            out[u] = g
    moved = out != labels
    pop = np.asarray(households)
    return Reduced(
        status,
        int(pop[moved].sum()),
        int(moved.sum()),
        bound / (n + 1),
        out,
        seconds,
        *size,
    )


def _highs(model: Linear, time_limit_s: float) -> tuple[str, list[float] | None, float]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.99)  # objective is integral
    nc = len(model.lb)
    h.addCols(
        nc,
        np.asarray(model.cost, dtype=np.float64),
        np.asarray(model.lb, dtype=np.float64),
        np.asarray(model.ub, dtype=np.float64),
        0,
        np.array([], dtype=np.int32),
        np.array([], dtype=np.int32),
        np.array([], dtype=np.float64),
    )
    starts, idx, vals, lo, hi = [], [], [], [], []
    for cols, coefs, r_lo, r_hi in model.rows:
        starts.append(len(idx))
        idx += cols
        vals += coefs
        lo.append(r_lo)
        hi.append(r_hi)
    h.addRows(
        len(model.rows),
        np.asarray(lo, dtype=np.float64),
        np.asarray(hi, dtype=np.float64),
        len(idx),
        np.asarray(starts, dtype=np.int32),
        np.asarray(idx, dtype=np.int32),
        np.asarray(vals, dtype=np.float64),
    )
    h.changeColsIntegrality(
        nc, np.arange(nc, dtype=np.int32), np.full(nc, highspy.HighsVarType.kInteger)
    )
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    name = {
        highspy.HighsModelStatus.kOptimal: "OPTIMAL",
        highspy.HighsModelStatus.kInfeasible: "INFEASIBLE",
    }.get(status, "UNKNOWN")
    has = info.primal_solution_status == 2  # feasible
    if name == "UNKNOWN" and has:
        name = "FEASIBLE"
    values = list(h.getSolution().col_value) if has else None
    bound = float(info.mip_dual_bound) if name != "INFEASIBLE" else INF
    return name, values, bound


def _cpsat(
    model: Linear, time_limit_s: float, x: dict[tuple[int, int], int], hint: np.ndarray | None
) -> tuple[str, list[float] | None, float]:
    from ortools.sat.python import cp_model

    cp = cp_model.CpModel()
    v = [
        cp.new_int_var(int(lb), int(ub), f"c{i}")
        for i, (lb, ub) in enumerate(zip(model.lb, model.ub, strict=True))
    ]
    for cols, coefs, lo, hi in model.rows:
        expr = sum(int(c) * v[i] for i, c in zip(cols, coefs, strict=True))
        if lo > -INF:
            cp.add(expr >= int(lo))
        if hi < INF:
            cp.add(expr <= int(hi))
    cp.minimize(sum(int(c) * v[i] for i, c in enumerate(model.cost) if c))
    if hint is not None:
        for (u, g), col in x.items():
            cp.add_hint(v[col], int(hint[u] == g))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.solve(cp)
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, [float(solver.value(var)) for var in v], solver.best_objective_bound
    return name, None, solver.best_objective_bound
