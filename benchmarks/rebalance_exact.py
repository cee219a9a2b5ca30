"""Proven minimum of households moved by a rebalance (fixed grid count) on 100-300 units.

Usage::

    python benchmarks/rebalance_exact.py [--sizes 100,200,300] [--seeds 1,2] [--time 120]
        [--full-time 0] [--sweep 0]

Each instance is a SYNTHETIC city (``geogrid.synthetic.synthetic_units``,
seeded) partitioned by ``build_grids`` (band 300-500), then +30 % households
in the 25 units around one seeded place. Our rebalance runs with its
compactness tolerance off (the exact model has none); its households moved
are the upper bound UB that lets ``benchmarks/rebalance_mip.py`` drop every
assignment no answer moving at most UB households can make (a proof, see
there) before HiGHS (MIP, 1 thread) and CP-SAT (1 worker) solve the rest.
An answer is a proven minimum only when the solver says OPTIMAL; else the
bound is shown and ours / minimum <= ours / floor(bound). ``--full-time``
also runs the unreduced CP-SAT model of ``tests/rebalance_exact.py`` for
that many seconds.

``--sweep N``: instead, N seeded tiny instances (10-30 units, 2-4 grids,
band +-25 % of the mean, +15 % households in the 5 units around one place,
as in tests/test_grids_rebalance.py): how many the exact model finds
feasible, how many of them ours brings into band (tolerance off as the exact
model, and at the default 0.05), and the worst ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.rebalance_mip import solve  # noqa: E402
from geogrid import grids as G  # noqa: E402
from geogrid.synthetic import synthetic_units  # noqa: E402
from tests.rebalance_exact import exact_rebalance  # noqa: E402

CRS = "EPSG:32650"


def grow_near(plan: G.GridPlan, graph: Any, seed: int, share: float, size: int) -> Any:
    """SYNTHETIC growth: households +``share`` in the ``size`` units around one seeded place."""
    rng = np.random.default_rng(seed)
    grown = plan.units.copy()
    hh = grown["households"].to_numpy().copy()
    c = int(rng.integers(len(hh)))
    near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:size]
    hh[near] = np.round(hh[near] * (1 + share)).astype(np.int64)
    grown["households"] = hh
    return grown


def instance(n: int, seed: int) -> tuple[G.GridPlan, Any, Any]:
    """A seeded city of about ``n`` units in grids, and its units after growth in one place."""
    plan = G.build_grids(synthetic_units(n, seed=seed), CRS, seed=0, restarts=2)
    graph = G.unit_graph(plan.units, CRS)
    return plan, grow_near(plan, graph, seed, 0.3, 25), graph


def tiny(seed: int) -> tuple[G.GridPlan, Any, Any, G.Band]:
    """The tiny instance ``seed`` of tests/test_grids_rebalance.py's exact-agreement test."""
    rng = np.random.default_rng(seed)
    units = synthetic_units(int(rng.integers(10, 31)), seed=seed)
    k = int(rng.integers(2, 5))
    mid = units["households"].sum() / k
    band = G.Band(int(mid * 0.75), int(mid * 1.25))
    plan = G.build_grids(units, CRS, band=band, seed=0, restarts=2)
    graph = G.unit_graph(plan.units, CRS)
    rng = np.random.default_rng(seed)
    grown = plan.units.copy()
    hh = grown["households"].to_numpy().copy()
    for c in rng.choice(len(grown), 1, replace=False):
        near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:5]
        hh[near] = np.round(hh[near] * 1.15).astype(np.int64)
    grown["households"] = hh
    return plan, grown, graph, band


def compare(
    plan: G.GridPlan, grown: Any, graph: Any, band: G.Band, time_s: float, full_s: float
) -> dict[str, Any]:
    start = time.perf_counter()
    ours = G.rebalance(plan, grown, graph, band, compactness_tolerance=1.0)
    ours_s = time.perf_counter() - start
    codes = sorted(set(plan.units["grid"]))
    index = {c: i for i, c in enumerate(codes)}
    labels = plan.units["grid"].map(index).to_numpy()
    hh = grown["households"].to_numpy()
    bands = [(band.min_households, band.max_households)] * len(codes)
    same_count = not ours.created and not ours.retired
    hint = ours.grid_of.map(index).to_numpy() if same_count and ours.in_band else None
    ub = float(ours.households_moved) if hint is not None else float(hh.sum())
    highs = solve(graph.adjacency, hh, labels, bands, ub, backend="highs", time_limit_s=time_s)
    cpsat = solve(
        graph.adjacency, hh, labels, bands, ub, backend="cpsat", time_limit_s=time_s, hint=hint
    )
    full = (
        exact_rebalance(
            graph.adjacency, hh, labels, bands, time_limit_s=full_s, workers=1, hint=hint
        )
        if full_s > 0
        else None
    )
    return {
        "units": len(grown),
        "grids": len(codes),
        "out_of_band": int(
            sum(band.violation(h) > 0 for h in grown.groupby("grid")["households"].sum())
        ),
        "ours": ours.households_moved,
        "ours_in_band": ours.in_band,
        "ours_same_count": same_count,
        "ours_s": ours_s,
        "highs": highs,
        "cpsat": cpsat,
        "full": full,
    }


def ratio_text(ours: int, status: str, moved: int | None, bound: float) -> str:
    if status == "OPTIMAL" and moved is not None:
        return f"{ours / moved:.2f}" if moved else ("1.00" if ours == 0 else "inf")
    # objective = households x (units + 1) + units moved, units moved < units + 1: the
    # households moved are at least floor(bound)
    low = math.floor(bound + 1e-9)
    if low > 0 and ours == low:
        return "1.00 (ours = bound)"
    return f"<= {ours / low:.2f}" if low > 0 else "-"


def sweep(count: int, time_s: float) -> None:
    feasible = in_band = in_band_default = 0
    worst = (0.0, -1)
    for seed in range(count):
        plan, grown, graph, band = tiny(seed)
        r = compare(plan, grown, graph, band, time_s, 0)
        h = next((s for s in (r["highs"], r["cpsat"]) if s.status == "OPTIMAL"), r["highs"])
        if h.status != "OPTIMAL":
            statuses = f"HiGHS {r['highs'].status}, CP-SAT {r['cpsat'].status}"
            print(f"seed {seed}: exact {statuses}; ours in band {r['ours_in_band']}", flush=True)
            continue
        feasible += 1
        in_band += r["ours_in_band"]
        default = G.rebalance(plan, grown, graph, band)  # compactness tolerance 0.05
        in_band_default += default.in_band
        if not default.in_band:
            print(f"seed {seed}: out of band at the default compactness tolerance", flush=True)
        ratio = r["ours"] / h.households_moved if h.households_moved else float(r["ours"] > 0)
        worst = max(worst, (ratio, seed))
        if not r["ours_in_band"] or ratio > 1.2:
            print(
                f"seed {seed}: {r['units']} units, {r['grids']} grids, minimum "
                f"{h.households_moved}, ours {r['ours']} (in band {r['ours_in_band']})",
                flush=True,
            )
    print(
        f"{count} tiny instances: {feasible} feasible (proven by HiGHS or CP-SAT); ours in band "
        f"on {in_band} (compactness tolerance off, as the exact model) and {in_band_default} "
        f"(default tolerance 0.05); worst ours / minimum {worst[0]:.2f} (seed {worst[1]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,300")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--time", type=float, default=120.0, help="seconds per solver and instance")
    parser.add_argument("--full-time", type=float, default=0.0, help="unreduced CP-SAT seconds")
    parser.add_argument("--sweep", type=int, default=0, help="tiny seeded instances instead")
    args = parser.parse_args()
    print(
        f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    if args.sweep:
        sweep(args.sweep, args.time)
        return
    print(
        "| units | grids | seed | out of band | ours moved (s) | free units / columns | "
        "HiGHS: status, min (bound), s | CP-SAT: status, min (bound), s | ours / min |"
        + (" full CP-SAT: status (bound), s |" if args.full_time else "")
    )
    print("|---|---|---|---|---|---|---|---|---|" + ("---|" if args.full_time else ""))
    for n in (int(v) for v in args.sizes.split(",")):
        for seed in (int(v) for v in args.seeds.split(",")):
            plan, grown, graph = instance(n, seed)
            r = compare(plan, grown, graph, plan.default_band, args.time, args.full_time)
            h, c, f = r["highs"], r["cpsat"], r["full"]
            proven = next((s for s in (h, c) if s.status == "OPTIMAL"), None)
            best = proven or max((h, c), key=lambda s: s.bound_households)
            note = "" if r["ours_in_band"] and r["ours_same_count"] else " (not in band)"
            print(
                f"| {r['units']} | {r['grids']} | {seed} | {r['out_of_band']} | "
                f"{r['ours']}{note} ({r['ours_s']:.2f}) | {h.free_units} / {h.columns} | "
                f"{h.status}, {h.households_moved} ({h.bound_households:.1f}), {h.seconds:.1f} | "
                f"{c.status}, {c.households_moved} ({c.bound_households:.1f}), {c.seconds:.1f} | "
                + ratio_text(r["ours"], best.status, best.households_moved, best.bound_households)
                + " |"
                + (
                    f" {f.status} ({f.bound_households:.1f}), {f.seconds:.1f} |"
                    if f is not None
                    else ""
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
