"""Benchmark: rebalance after housing growth - households moved, band compliance, time.

Inputs, each partitioned by ``build_grids`` (band 300-500, seed 0), then grown:

- SYNTHETIC districts of about 2,000 and 10,000 units
  (``geogrid.synthetic.synthetic_units``, seed 1): +15 % households in the 40
  units around each of three seeded places;
- the Beijing Haidian extract (``../shared/data/osm_china/beijing_haidian_cau/map.osm``
  when present, built into ``benchmarks/output/beijing-haidian`` as
  ``benchmarks/grids.py`` does): +15 % in three places;
- the demo area (``data/geo/helsinki-demo``, built if missing): +50 % in the 80
  units around each of three places (a SYNTHETIC growth, seeded), enough to push
  three of its nine grids out of their band.

Compared on the same grown units:

- ours: ``geogrid.grids.rebalance`` (default compactness tolerance 0.05);
- redraw: ``build_grids`` from scratch (``previous`` given so unchanged
  grids keep codes); households moved = households whose grid code changed;
- GerryChain (``SingleMetricOptimizer``, single unit flips, contiguity kept)
  started from the same plan, score = band violation x 10^6 + households
  moved from the start (minimised): short bursts of 10 with our time as its
  budget (at least 1 s), then short bursts and a tilted run (p = 0.1) with a
  budget of max(10 x ours, 60 s) (``--long``), reporting the moves at the
  first state with every grid in band, or that none was within the budget.

Run: ``python benchmarks/rebalance.py [--only 2k,10k,haidian,demo] [--long 60]``;
the 100-300 unit comparison with the proven minimum is ``benchmarks/rebalance_exact.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geogrid import grids as G  # noqa: E402
from geogrid.synthetic import synthetic_units  # noqa: E402

CRS = "EPSG:32650"
BAND = G.Band(300, 500)
HAIDIAN = ROOT.parent / "shared" / "data" / "osm_china" / "beijing_haidian_cau" / "map.osm"
HAIDIAN_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)


def grow(units: Any, graph: Any, seed: int, share: float = 0.15, size: int = 40) -> Any:
    """SYNTHETIC growth: households +``share`` in the ``size`` units around each of three seeded
    places."""
    rng = np.random.default_rng(seed)
    out = units.copy()
    hh = out["households"].to_numpy().copy()
    for c in rng.choice(len(out), 3, replace=False):
        near = np.argsort((graph.x - graph.x[c]) ** 2 + (graph.y - graph.y[c]) ** 2)[:size]
        hh[near] = np.round(hh[near] * (1 + share)).astype(np.int64)
    out["households"] = hh
    return out


def in_band_share(households: Any, band: G.Band) -> float:
    return float(np.mean([band.violation(h) == 0 for h in households]))


@dataclass
class PeerRun:
    """A GerryChain run: its best state, steps, and the first state with every grid in band."""

    in_band: float
    moved: int
    seconds: float
    steps: int
    first_in_band: tuple[int, float, int] | None  # (households moved, s, steps) or None


def gerrychain_run(
    grown: Any, graph: Any, band: G.Band, budget_s: float, seed: int, kind: str
) -> PeerRun:
    """GerryChain's optimizer from the current plan (``kind`` bursts or tilted) for
    ``budget_s``."""
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

    def violation(part: Any) -> float:
        return float(sum(band.violation(h) for h in part["households"].values()))

    def moved(part: Any) -> float:
        return float(sum(hh[i] for i, g in part.assignment.items() if g != start[i]))

    def score(part: Any) -> float:
        return violation(part) * 1e6 + moved(part)

    opt = SingleMetricOptimizer(
        propose_random_flip, [contiguous], initial, score, maximize=False, rng=seed
    )
    chain: Callable[[], Iterator[Any]] = (
        (lambda: opt.short_bursts(10, 10**9))
        if kind == "bursts"
        else (lambda: opt.tilted_run(10**9, p=0.1))
    )
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    steps = 0
    first: tuple[int, float, int] | None = None
    for part in chain():
        steps += 1
        if first is None and violation(part) == 0:
            first = (int(moved(part)), time.perf_counter() - t0, steps)
        if time.perf_counter() > deadline:
            break
    seconds = time.perf_counter() - t0
    best = opt.best_part
    labels = np.array([best.assignment[i] for i in range(len(hh))], dtype=object)
    return PeerRun(
        in_band=in_band_share(grown["households"].groupby(labels).sum(), band),
        moved=int(hh[labels != start].sum()),
        seconds=seconds,
        steps=steps,
        first_in_band=first,
    )


def run(
    name: str, units: Any, metric_crs: str, share: float, size: int, long_s: float
) -> dict[str, Any]:
    band = BAND
    plan = G.build_grids(units, metric_crs, band=band, seed=0, restarts=1)
    graph = G.unit_graph(plan.units, metric_crs)
    grown = grow(plan.units, graph, seed=1, share=share, size=size)
    sums = grown.groupby("grid")["households"].sum()
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
    equal = gerrychain_run(grown, graph, band, max(ours_s, 1.0), seed=0, kind="bursts")
    budget = max(10 * ours_s, long_s)
    longer = {
        kind: gerrychain_run(grown, graph, band, budget, seed=0, kind=kind)
        for kind in (("bursts", "tilted") if long_s > 0 else ())
    }
    return {
        "name": name,
        "units": len(units),
        "grids": len(plan.grids),
        "households": int(grown["households"].sum()),
        "out_before": int(sum(band.violation(h) > 0 for h in sums)),
        "before": in_band_share(sums, band),
        "ours_in": float(ours.per_grid.query("status != 'retired'")["in_band_after"].mean()),
        "ours_moved": ours.households_moved,
        "ours_units": ours.units_moved,
        "ours_s": ours_s,
        "created": ours.created,
        "retired": ours.retired,
        "redraw_in": in_band_share(redraw.grids["households"], band),
        "redraw_moved": redraw_moved,
        "redraw_s": redraw_s,
        "equal": equal,
        "budget": budget,
        "longer": longer,
        "reasons": ours.reasons,
    }


def demo_units() -> tuple[Any, str]:
    from geogrid.io.workspace import read_area
    from geogrid.services.demo import ensure_demo
    from geogrid.services.grids import make_units

    area = read_area(ensure_demo(ROOT / "data" / "geo" / "helsinki-demo"))
    return make_units(area, None, max_households=BAND.max_households), area.metric_crs


def haidian_units() -> tuple[Any, str] | None:
    """The Haidian extract's units (built as ``benchmarks/grids.py`` does); None when absent."""
    if not HAIDIAN.exists():
        return None
    from geogrid.io.workspace import read_area
    from geogrid.services.area import BoundaryChoice, build_area
    from geogrid.services.grids import make_units

    out = ROOT / "benchmarks" / "output" / "beijing-haidian"
    if not (out / "area.json").exists():
        build_area(HAIDIAN, out, name="beijing-haidian", boundary=BoundaryChoice(bbox=HAIDIAN_BBOX))
    area = read_area(out)
    return make_units(area, None, max_households=BAND.max_households), area.metric_crs


def first_text(r: PeerRun) -> str:
    if r.first_in_band is None:
        return f"never in {r.seconds:.0f} s ({r.steps} steps)"
    moved, s, steps = r.first_in_band
    return f"{moved} at {s:.1f} s ({steps} steps)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="2k,10k,haidian,demo")
    parser.add_argument(
        "--long", type=float, default=60.0, help="GerryChain's longer budget: max(10 x ours, this)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    cases: list[tuple[str, Any, str, float, int]] = []
    if "2k" in only:
        cases.append(("synthetic 2k (seed 1), +15 %", synthetic_units(2000, seed=1), CRS, 0.15, 40))
    if "10k" in only:
        cases.append(
            ("synthetic 10k (seed 1), +15 %", synthetic_units(10_000, seed=1), CRS, 0.15, 40)
        )
    if "haidian" in only:
        got = haidian_units()
        if got is None:
            print(f"Haidian skipped: {HAIDIAN} is absent")
        else:
            cases.append(("Beijing Haidian (OSM), +15 %", got[0], got[1], 0.15, 40))
    if "demo" in only:
        units, crs = demo_units()
        cases.append(("helsinki-demo, +50 % in 3 x 80 units (synthetic)", units, crs, 0.50, 80))
    print(
        f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, band {BAND}"
    )
    rows = [
        run(name, units, crs, share, size, args.long) for name, units, crs, share, size in cases
    ]
    print()
    print(
        "| input | units | grids | out of band before | ours: in band / households (units) "
        "moved / s | redraw: in band / moved / s | GerryChain bursts, our time: in band / "
        "moved / s (steps) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        e = r["equal"]
        print(
            f"| {r['name']} | {r['units']} | {r['grids']} | {r['out_before']} "
            f"({1 - r['before']:.1%}) | "
            f"{r['ours_in']:.1%} / {r['ours_moved']} ({r['ours_units']}) / {r['ours_s']:.1f} | "
            f"{r['redraw_in']:.1%} / {r['redraw_moved']} / {r['redraw_s']:.1f} | "
            f"{e.in_band:.1%} / {e.moved} / {e.seconds:.1f} ({e.steps}) |"
        )
    if args.long > 0:
        print()
        print(
            "| input | ours moved | budget s | bursts: first 100 % in band (moved at s) | "
            "bursts at budget: in band / moved | tilted p=0.1: first 100 % in band | "
            "tilted at budget: in band / moved |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            b, t = r["longer"]["bursts"], r["longer"]["tilted"]
            print(
                f"| {r['name']} | {r['ours_moved']} | {r['budget']:.0f} | {first_text(b)} | "
                f"{b.in_band:.1%} / {b.moved} | {first_text(t)} | {t.in_band:.1%} / {t.moved} |"
            )
    for r in rows:
        for reason in r["reasons"]:
            print(f"  {r['name']} reason: {reason}")
        if r["created"] or r["retired"]:
            print(f"  {r['name']}: created {r['created']}, retired {r['retired']}")


if __name__ == "__main__":
    main()
