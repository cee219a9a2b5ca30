"""Exact optimum of a Chao TOP instance with little slack, by route enumeration.

Usage::

    python benchmarks/top_exact.py [--instances p6.4.k] [--max-sets 3000000]

Every feasible route is enumerated by depth-first search from the start
point (a visit is added only while the path so far plus the straight line to
the end fits in ``tmax``; real-valued Euclidean distances, a 1e-9 tolerance
in the route's favour), each distinct set of scoring points is kept once,
and CP-SAT picks at most m disjoint sets with the most score (set packing).
The answer is the proven optimum whenever the solver says OPTIMAL. This is
what shows that a published score is out of reach: Chao et al. (1996) list
546 for p6.4.k, and no four disjoint routes within tmax = 16.2 collect more
than the optimum printed here. Only instances whose routes are short
enough to enumerate are practical (set 6 with four vehicles); the search
stops with a message after ``--max-sets`` distinct sets.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from ortools.sat.python import cp_model
from patrol_top import DATA, chao_scores, read_top


class TooManyRoutesError(Exception):
    pass


def route_sets(xy: np.ndarray, scores: np.ndarray, tmax: float, max_sets: int) -> set[int]:
    """Bit masks of every set of scoring points one route can visit within tmax."""
    n = len(xy)
    start, end = 0, n - 1
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    eps = 1e-9
    points = [i for i in range(1, n - 1) if scores[i] > 0 and d[start, i] + d[i, end] <= tmax + eps]
    dist = d.tolist()
    sets: set[int] = set()
    # (set, last point) -> shortest length found: a longer way to the same state is dominated
    shortest: dict[tuple[int, int], float] = {}

    def dfs(cur: int, length: float, mask: int) -> None:
        sets.add(mask)
        if len(sets) > max_sets:
            raise TooManyRoutesError
        for j in points:
            if mask >> j & 1:
                continue
            nl = length + dist[cur][j]
            if nl + dist[j][end] <= tmax + eps:
                key = (mask | 1 << j, j)
                if shortest.get(key, float("inf")) <= nl:
                    continue
                shortest[key] = nl
                dfs(j, nl, mask | 1 << j)

    dfs(start, 0.0, 0)
    return sets


def best_packing(
    sets: set[int], scores: np.ndarray, m: int, time_s: float
) -> tuple[str, float, float]:
    cols = [s for s in sets if s]
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"r{k}") for k in range(len(cols))]
    members: dict[int, list[int]] = {}
    value = []
    for k, mask in enumerate(cols):
        total, j = 0, 0
        while mask >> j:
            if mask >> j & 1:
                members.setdefault(j, []).append(k)
                total += int(scores[j])
            j += 1
        value.append(total)
    for ks in members.values():
        model.add_at_most_one(x[k] for k in ks)
    model.add(sum(x) <= m)
    model.maximize(sum(v * xi for v, xi in zip(value, x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_s
    solver.parameters.num_workers = 1
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    return solver.status_name(status), solver.objective_value, solver.best_objective_bound


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", default="p6.4.k")
    parser.add_argument("--max-sets", type=int, default=3_000_000)
    parser.add_argument("--time", type=float, default=600.0, help="CP-SAT limit per instance")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    chao = chao_scores()
    print("| instance | m | tmax | route sets | optimum | status | Chao 1996 | s |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for name in args.instances.split(","):
        m, tmax, xy, scores = read_top(name)
        t0 = time.perf_counter()
        try:
            sets = route_sets(xy, scores, tmax, args.max_sets)
        except TooManyRoutesError:
            print(
                f"| {name} | {m} | {tmax:g} | > {args.max_sets} | - | too many routes to enumerate"
                f" | {chao.get(name, 0)} | |"
            )
            continue
        status, value, bound = best_packing(sets, scores, m, args.time)
        shown = f"{value:.0f}" if status == "OPTIMAL" else f"{value:.0f} (bound {bound:.0f})"
        print(
            f"| {name} | {m} | {tmax:g} | {len(sets)} | {shown} | {status} | {chao.get(name, 0)} | "
            f"{time.perf_counter() - t0:.1f} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
