"""Proven minimum of households moved by a rebalance (fixed grid count), CP-SAT, on 100-300 units.

Usage::

    python benchmarks/rebalance_exact.py [--sizes 100,200,300] [--time 120]

Each instance is a SYNTHETIC city (``geogrid.synthetic.synthetic_units``,
seeded) partitioned by ``build_grids`` (band 300-500), then +30 % households
in the 25 units around one seeded place. The model (``tests/rebalance_exact.py``:
assignment, band per grid, single-commodity flow contiguity per grid,
households then units moved) is hinted with our rebalance's answer; the
answer is a proven minimum only when CP-SAT says OPTIMAL (else the bound is
printed, and ours / minimum <= ours / floor(bound) is the ratio shown). Our
rebalance runs with its compactness tolerance off, the exact model having none.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geogrid import grids as G  # noqa: E402
from geogrid.synthetic import synthetic_units  # noqa: E402
from tests.rebalance_exact import exact_rebalance  # noqa: E402

CRS = "EPSG:32650"


def instance(n: int, seed: int) -> tuple[G.GridPlan, Any, Any]:
    """A seeded city of about ``n`` units in grids, and its units after growth in one place."""
    plan = G.build_grids(synthetic_units(n, seed=seed), CRS, seed=0, restarts=2)
    graph = G.unit_graph(plan.units, CRS)
    rng = np.random.default_rng(seed)
    grown = plan.units.copy()
    hh = grown["households"].to_numpy().copy()
    c = int(rng.integers(len(hh)))
    near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:25]
    hh[near] = np.round(hh[near] * 1.3).astype(np.int64)
    grown["households"] = hh
    return plan, grown, graph


def compare(n: int, seed: int, time_s: float) -> dict[str, Any]:
    plan, grown, graph = instance(n, seed)
    start = time.perf_counter()
    ours = G.rebalance(plan, grown, graph, compactness_tolerance=1.0)
    ours_s = time.perf_counter() - start
    codes = sorted(set(plan.units["grid"]))
    index = {c: i for i, c in enumerate(codes)}
    labels = plan.units["grid"].map(index).to_numpy()
    hint = ours.grid_of.map(index).to_numpy() if not ours.created and not ours.retired else None
    band = plan.default_band
    exact = exact_rebalance(
        graph.adjacency,
        grown["households"].to_numpy(),
        labels,
        [(band.min_households, band.max_households)] * len(codes),
        time_limit_s=time_s,
        workers=2,
        hint=hint,
    )
    return {
        "units": len(grown),
        "grids": len(codes),
        "seed": seed,
        "out_of_band": int(
            sum(band.violation(h) > 0 for h in grown.groupby("grid")["households"].sum())
        ),
        "ours": ours.households_moved,
        "ours_in_band": ours.in_band,
        "ours_s": ours_s,
        "exact": exact.households_moved,
        "status": exact.status,
        "bound": exact.bound_households,
        "exact_s": exact.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,300")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--time", type=float, default=120.0, help="CP-SAT seconds per instance")
    args = parser.parse_args()
    print(
        "| units | grids | seed | out of band | ours moved | in band | exact moved"
        " | status (bound) | ratio | ours s | exact s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(v) for v in args.sizes.split(",")):
        for seed in (int(v) for v in args.seeds.split(",")):
            r = compare(n, seed, args.time)
            # without a proof, the bound: the minimum is at least floor(bound),
            # so ours / minimum <= ours / bound
            best = r["exact"] if r["status"] == "OPTIMAL" else math.floor(r["bound"])
            ratio = r["ours"] / best if best else (1.0 if r["ours"] == 0 else float("inf"))
            print(
                f"| {r['units']} | {r['grids']} | {seed} | {r['out_of_band']} | {r['ours']}"
                f" | {r['ours_in_band']} | {r['exact']} | {r['status']} ({r['bound']:.0f})"
                f" | {'' if r['status'] == 'OPTIMAL' else '<= '}{ratio:.2f}"
                f" | {r['ours_s']:.2f} | {r['exact_s']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
