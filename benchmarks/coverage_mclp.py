"""Benchmark: maximal covering location on the SJC instances vs the proven optima.

Usage::

    python benchmarks/coverage_mclp.py [--time 10] [--quick]

Each instance (Lorena & Pereira, Sao Jose dos Campos; I = J, weights = the
demand column, coverage = Euclidean distance <= S) becomes a
:class:`geogrid.planning.coverage.CoveringModel` via ``from_cost_matrix`` and is
solved by :func:`geogrid.planning.coverage.solve_mclp` with the given time budget.
The reference is ``sjc_mclp_computed_optima.csv`` (proven optima computed
with SCIP during data scouting, not a published table). Also shown: a
greedy heuristic (largest marginal coverage first) as a simple peer. Reads
``../shared/data/benchmarks/mclp_sjc``; skips when absent.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np

from geogrid.planning.coverage import CoveringModel, solve_mclp

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "mclp_sjc"


def read_sjc(name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [ln.split() for ln in (DATA / f"{name}.txt").read_text().split("\n")[1:] if ln.strip()]
    arr = np.array([[float(v) for v in r[:3]] for r in rows])
    return arr[:, :2], arr[:, 2]


def greedy(cover: np.ndarray, w: np.ndarray, p: int) -> float:
    covered = np.zeros(cover.shape[1], dtype=bool)
    for _ in range(p):
        gain = (cover & ~covered) @ w
        covered |= cover[int(np.argmax(gain))]
    return float(w[covered].sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="only SJC324 and SJC818")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the shared benchmark data is not mounted)")
        return 0
    with (DATA / "sjc_mclp_computed_optima.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if args.quick:
        rows = [r for r in rows if r["instance"].startswith(("SJC324", "SJC818"))]
    print(
        f"# MCLP SJC, {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%MZ}, {args.time:g} s per instance,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print("| instance | n | S | p | optimum | ours | proven | ours s | greedy | greedy gap % |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    hits = 0
    for r in rows:
        name = r["instance"].split("_")[0]
        if name not in cache:
            xy, w = read_sjc(name)
            d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
            cache = {name: (xy, w, d)}
        _, w, d = cache[name]
        s, p, best = float(r["radius_S"]), int(r["p"]), float(r["best_known"])
        model = CoveringModel.from_cost_matrix(d, w, s, p)
        sol = solve_mclp(model, time_limit_s=args.time)
        g = greedy(np.asarray(model.cover), w, p)
        hits += abs(sol.covered - best) < 1e-6
        print(
            f"| {r['instance']} | {len(w)} | {s:g} | {p} | {best:g} | {sol.covered:g} | "
            f"{'yes' if sol.optimal else 'no'} | {sol.solve_s:.2f} | {g:g}"
            f" | {100 * (1 - g / best):.2f} |"
        )
        sys.stdout.flush()
    print(f"\nreached the proven optimum on {hits} of {len(rows)} instances")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
