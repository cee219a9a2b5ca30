"""Benchmark: household-banded grids, geogrid vs spopt (MaxP, SKATER, AZP) and GerryChain.

Same units for every method; each method's grids are scored by the same code:
share of grids with households inside the band, worst deviation (households
below the min or above the max, worst grid), median Polsby-Popper, runtime.

Inputs: the demo area (``data/geo/helsinki-demo``, built if missing), the
Beijing Haidian extract (``../shared/data/osm_china/beijing_haidian_cau/map.osm``
when present, built into ``benchmarks/output/beijing-haidian``) and a SYNTHETIC
city of about 10,000 blocks (``geogrid.synthetic.synthetic_units``, seed 1).

Peers get the grid count ours found (SKATER, AZP, GerryChain) or the floor
(MaxP: ``threshold = min``; SKATER's ``floor`` counts units, not households,
so it gets no household constraint at all); GerryChain's ``recursive_tree_part`` gets the
mean households per grid and epsilon = half the band width / mid-band. Each
peer run is a child process with a time limit (``--timeout``, default 600 s).

Run: ``python benchmarks/grids.py [--only demo,haidian,synthetic]
[--peers maxp,skater,azp,gerrychain]`` (peers need ``pip install geogrid[bench]``).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geogrid import grids as G  # noqa: E402
from geogrid.synthetic import synthetic_units  # noqa: E402

HAIDIAN = ROOT.parent / "shared" / "data" / "osm_china" / "beijing_haidian_cau" / "map.osm"
HAIDIAN_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)
BAND = G.Band(300, 500)


def demo_units() -> tuple[Any, str]:
    from geogrid.io.workspace import read_area
    from geogrid.services.demo import ensure_demo
    from geogrid.services.grids import make_units

    area = read_area(ensure_demo(ROOT / "data" / "geo" / "helsinki-demo"))
    return make_units(area, None, max_households=BAND.max_households), area.metric_crs


def haidian_units() -> tuple[Any, str] | None:
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


def score(units: Any, labels: np.ndarray, metric_crs: str, band: G.Band) -> dict[str, float]:
    """Share in band, worst deviation, median Polsby-Popper of a labelling of ``units``."""
    frame = units.copy()
    frame["grid"] = [str(x) for x in labels]
    frame["locked"] = False
    grids = G.assemble_grids(frame, metric_crs)
    hh = grids["households"].to_numpy(dtype=float)
    dev = np.array([band.violation(h) for h in hh])
    return {
        "grids": len(grids),
        "in_band": float((dev == 0).mean()),
        "worst_dev": float(dev.max()),
        "median_pp": float(np.median(grids["polsby_popper"])),
    }


def _peer(name: str, units: Any, metric_crs: str, k: int, band: G.Band) -> np.ndarray:
    """Labels from one peer (runs in a child process)."""
    warnings.filterwarnings("ignore")
    metric = units.to_crs(metric_crs).copy()
    centre = metric.geometry.representative_point()
    metric["cx"], metric["cy"] = centre.x, centre.y
    metric["households"] = metric["households"].astype(float)
    attrs = ["cx", "cy"]
    graph = G.unit_graph(units, metric_crs)
    if name in ("maxp", "skater", "azp"):
        from libpysal.weights import W

        adj = graph.adjacency
        neighbours = {
            i: [int(j) for j in adj.indices[adj.indptr[i] : adj.indptr[i + 1]]]
            for i in range(adj.shape[0])
        }
        w = W(neighbours, silence_warnings=True)
        metric = metric.reset_index(drop=True)
        if name == "maxp":
            from spopt.region import MaxPHeuristic

            model = MaxPHeuristic(metric, w, attrs, "households", band.min_households, top_n=2)
        elif name == "skater":
            from spopt.region import Skater

            # Skater's floor counts units, not households: it gets the grid count only
            model = Skater(metric, w, attrs, n_clusters=k)
        else:
            from spopt.region import AZP

            model = AZP(metric, w, attrs, n_clusters=k)
        model.solve()
        return np.asarray(model.labels_)
    if name == "gerrychain":
        import networkx as nx
        from gerrychain import Graph
        from gerrychain.tree import recursive_tree_part

        adj = graph.adjacency.tocoo()
        nxg = nx.Graph()
        nxg.add_nodes_from((i, {"households": float(h)}) for i, h in enumerate(units["households"]))
        nxg.add_edges_from((int(i), int(j)) for i, j in zip(adj.row, adj.col, strict=True) if i < j)
        total = float(units["households"].sum())
        eps = (band.max_households - band.min_households) / 2 / band.mid
        assignment = recursive_tree_part(
            Graph.from_networkx(nxg), range(k), total / k, "households", eps
        )
        return np.array([assignment[i] for i in range(len(units))])
    raise ValueError(name)


def _child(queue: Any, name: str, units: Any, metric_crs: str, k: int, band: G.Band) -> None:
    try:
        start = time.perf_counter()
        labels = _peer(name, units, metric_crs, k, band)
        queue.put(("ok", labels, time.perf_counter() - start))
    except BaseException as err:  # reported in the table
        queue.put(("error", f"{type(err).__name__}: {str(err)[:80]}", 0.0))


def run_peer(
    name: str, units: Any, metric_crs: str, k: int, band: G.Band, timeout: float
) -> tuple[str, Any, float]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, name, units, metric_crs, k, band))
    start = time.perf_counter()
    proc.start()
    try:
        status, payload, seconds = queue.get(timeout=timeout)
    except Exception:
        proc.kill()
        proc.join()
        return "timeout", None, time.perf_counter() - start
    proc.join()
    return status, payload, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="demo,haidian,synthetic")
    parser.add_argument("--peers", default="maxp,skater,azp,gerrychain")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--synthetic-blocks", type=int, default=10_000)
    args = parser.parse_args()
    inputs = []
    wanted = args.only.split(",")
    if "demo" in wanted:
        inputs.append(("Helsinki demo", *demo_units()))
    if "haidian" in wanted:
        got = haidian_units()
        if got is None:
            print(f"skipping Haidian: {HAIDIAN} not found")
        else:
            inputs.append(("Beijing Haidian", *got))
    if "synthetic" in wanted:
        n = args.synthetic_blocks
        inputs.append((f"synthetic city {n:,} blocks", synthetic_units(n, seed=1), "EPSG:32650"))
    load = os.getloadavg()[0]
    print(
        f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}, {os.cpu_count()} CPUs, load average {load:.1f}, "
        f"Python {platform.python_version()}, band {BAND}"
    )
    print()
    print(
        "| input | units | households | method | grids | in band"
        " | worst dev | median PP | runtime s |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for label, units, metric_crs in inputs:
        head = f"| {label} | {len(units):,} | {int(units['households'].sum()):,} "
        start = time.perf_counter()
        plan = G.build_grids(units, metric_crs, band=BAND, seed=0)
        ours_s = time.perf_counter() - start
        labels = plan.units.loc[units.index, "grid"].to_numpy()
        s = score(units, labels, metric_crs, BAND)
        print(
            head + f"| **geogrid build_grids** | {s['grids']} | {s['in_band']:.0%}"
            f" | {s['worst_dev']:.0f} | {s['median_pp']:.3f} | {ours_s:.2f} |",
            flush=True,
        )
        k = s["grids"]
        for peer in args.peers.split(","):
            if not peer:
                continue
            status, payload, seconds = run_peer(peer, units, metric_crs, k, BAND, args.timeout)
            names = {
                "maxp": "spopt MaxPHeuristic (floor)",
                "skater": "spopt Skater (k)",
                "azp": "spopt AZP (k)",
                "gerrychain": "GerryChain recursive_tree_part (k, ±eps)",
            }
            if status == "ok":
                p = score(units, payload, metric_crs, BAND)
                print(
                    head
                    + f"| {names[peer]} | {p['grids']} | {p['in_band']:.0%} | {p['worst_dev']:.0f} "
                    f"| {p['median_pp']:.3f} | {seconds:.2f} |",
                    flush=True,
                )
            else:
                what = f"> {args.timeout:.0f} s (stopped)" if status == "timeout" else payload
                print(head + f"| {names[peer]} | - | - | - | - | {what} |", flush=True)


if __name__ == "__main__":
    main()
