"""Benchmark: rebalance after housing growth - households moved, band compliance, time.

Inputs: SYNTHETIC districts of about 2,000 and 10,000 units
(``geogrid.synthetic.synthetic_units``, seed 1) and the demo area
(``data/geo/helsinki-demo`` when built), partitioned by ``build_grids``
(band 300-500), then +15 % households in the 40 units around each of three
seeded places. Compared on the same grown units:

- ours: ``geogrid.grids.rebalance`` (default compactness tolerance 0.05);
- redraw: ``build_grids`` from scratch (``previous`` given so unchanged
  grids keep codes); households moved = households whose grid code changed;
- GerryChain short bursts (``SingleMetricOptimizer.short_bursts``, single
  unit flips, contiguity kept) started from the same plan, minimising
  (band violation x 10^6 + households moved from the start), with our
  time as its budget (bursts of 10 until the time is spent).

Run: ``python benchmarks/rebalance.py [--only 2k,10k,demo]``; the 100-300
unit comparison with the proven minimum is ``benchmarks/rebalance_exact.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geogrid import grids as G  # noqa: E402
from geogrid.synthetic import synthetic_units  # noqa: E402

CRS = "EPSG:32650"


def grow(units: Any, graph: Any, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    out = units.copy()
    hh = out["households"].to_numpy().copy()
    for c in rng.choice(len(out), 3, replace=False):
        near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:40]
        hh[near] = np.round(hh[near] * 1.15).astype(np.int64)
    out["households"] = hh
    return out


def in_band_share(households: Any, band: G.Band) -> float:
    return float(np.mean([band.violation(h) == 0 for h in households]))


def gerrychain_bursts(
    grown: Any, graph: Any, band: G.Band, budget_s: float, seed: int
) -> tuple[np.ndarray, int]:
    """Short bursts of single-unit flips from the current plan; labels and steps done."""
    import networkx as nx
    from gerrychain import Graph, Partition
    from gerrychain.constraints import contiguous
    from gerrychain.optimization import SingleMetricOptimizer
    from gerrychain.proposals import propose_random_flip
    from gerrychain.updaters import Tally

    hh = grown["households"].to_numpy(dtype=float)
    start = grown["grid"].to_numpy()
    nxg = nx.Graph()
    for i in range(len(hh)):
        nxg.add_node(i, households=float(hh[i]))
    coo = graph.adjacency.tocoo()
    nxg.add_edges_from((int(a), int(b)) for a, b in zip(coo.row, coo.col, strict=True) if a < b)
    initial = Partition(
        Graph.from_networkx(nxg),
        {i: start[i] for i in range(len(hh))},
        updaters={"households": Tally("households", alias="households")},
    )

    def score(part: Any) -> float:
        viol = sum(band.violation(h) for h in part["households"].values())
        moved = sum(hh[i] for i, g in part.assignment.items() if g != start[i])
        return viol * 1e6 + moved

    opt = SingleMetricOptimizer(
        propose_random_flip, [contiguous], initial, score, maximize=False, rng=seed
    )
    deadline = time.perf_counter() + budget_s
    steps = 0
    for _ in opt.short_bursts(10, 10**9):
        steps += 1
        if time.perf_counter() > deadline:
            break
    best = opt.best_part
    return np.array([best.assignment[i] for i in range(len(hh))], dtype=object), steps


def run(name: str, units: Any, metric_crs: str, gerry_cap_s: float) -> dict[str, Any]:
    band = G.Band(300, 500)
    t = time.perf_counter()
    plan = G.build_grids(units, metric_crs, band=band, seed=0, restarts=1)
    build_s = time.perf_counter() - t
    graph = G.unit_graph(plan.units, metric_crs)
    grown = grow(plan.units, graph, seed=1)
    before = in_band_share(grown.groupby("grid")["households"].sum(), band)
    t = time.perf_counter()
    ours = G.rebalance(plan, grown, graph, band)
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    redraw = G.build_grids(
        grown.drop(columns=["grid"]), metric_crs, band=band, seed=0, restarts=1, previous=plan.grids
    )
    redraw_s = time.perf_counter() - t
    redraw_moved = int(
        grown["households"][redraw.units["grid"].reindex(grown.index) != grown["grid"]].sum()
    )
    t = time.perf_counter()
    labels, steps = gerrychain_bursts(
        grown,
        graph,
        band,
        max(ours_s, 1.0) if gerry_cap_s <= 0 else min(max(ours_s, 1.0), gerry_cap_s),
        seed=0,
    )
    gerry_s = time.perf_counter() - t
    gerry_moved = int(grown["households"].to_numpy()[labels != grown["grid"].to_numpy()].sum())
    gerry_in = in_band_share(grown["households"].groupby(labels).sum(), band)
    return {
        "name": name,
        "units": len(units),
        "grids": len(plan.grids),
        "build_s": build_s,
        "before": before,
        "ours_in": float(ours.per_grid.query("status != 'retired'")["in_band_after"].mean()),
        "ours_moved": ours.households_moved,
        "ours_units": ours.units_moved,
        "ours_s": ours_s,
        "created": len(ours.created),
        "retired": len(ours.retired),
        "redraw_in": in_band_share(redraw.grids["households"], band),
        "redraw_moved": redraw_moved,
        "redraw_s": redraw_s,
        "gerry_in": gerry_in,
        "gerry_moved": gerry_moved,
        "gerry_s": gerry_s,
        "gerry_steps": steps,
        "reasons": ours.reasons,
    }


def demo_units() -> tuple[Any, str] | None:
    path = ROOT / "data" / "geo" / "helsinki-demo"
    if not (path / "area.json").exists():
        return None
    from geogrid.io.workspace import read_area
    from geogrid.services.grids import make_units

    area = read_area(path)
    return make_units(area, None, max_households=500), area.metric_crs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="2k,10k,demo")
    args = parser.parse_args()
    only = set(args.only.split(","))
    cases: list[tuple[str, Any, str]] = []
    if "2k" in only:
        cases.append(("synthetic 2k (seed 1)", synthetic_units(2000, seed=1), CRS))
    if "10k" in only:
        cases.append(("synthetic 10k (seed 1)", synthetic_units(10_000, seed=1), CRS))
    if "demo" in only:
        demo = demo_units()
        if demo is not None:
            cases.append(("helsinki-demo", demo[0], demo[1]))
        else:
            print("demo area not built (geogrid demo build); skipped")
    print(
        "| input | units | grids | in band before | ours: in band / households (units) moved / s | "
        "redraw: in band / moved / s | GerryChain short bursts: in band / moved / s (steps) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, units, crs in cases:
        r = run(name, units, crs, gerry_cap_s=0)
        print(
            f"| {r['name']} | {r['units']} | {r['grids']} | {r['before']:.1%} | "
            f"{r['ours_in']:.1%} / {r['ours_moved']} ({r['ours_units']}) / {r['ours_s']:.1f} | "
            f"{r['redraw_in']:.1%} / {r['redraw_moved']} / {r['redraw_s']:.1f} | "
            f"{r['gerry_in']:.1%} / {r['gerry_moved']} / {r['gerry_s']:.1f} ({r['gerry_steps']}) |",
            flush=True,
        )
        for reason in r["reasons"]:
            print(f"  reason: {reason}")


if __name__ == "__main__":
    main()
