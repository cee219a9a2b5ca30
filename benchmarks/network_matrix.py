"""Benchmark: walking travel-time matrix, geogrid vs networkx (the osmnx way).

Usage::

    python benchmarks/network_matrix.py [--quick] [--n 500]

Inputs:

(a) a seeded synthetic street grid of 200 x 200 = 40,000 nodes (100 x 100 with --quick);
(b) the demo workspace at data/geo/helsinki-demo/network/{nodes,edges}.geojson, if built;
(c) the Beijing Haidian OSM extract at ../shared/data/osm_china/beijing_haidian_cau/map.osm,
    read with ``osmnx.graph_from_xml`` and converted to geogrid's frames here, if present.

For each input, ``n`` points are drawn (seeded) on street nodes of the largest walking
component, so both sides answer the same question: node-to-node walking metres.
"walk core nodes" are the nodes left after contracting chains of degree-2 nodes (see
``geogrid.network.CoreGraph``); the shortest-path searches run on them.
"ours" is ``travel_time_matrix`` including snapping, with ``workers=2`` (two processes
for large jobs, one for small ones; the library default is one process), and "ours 1
worker" the same with ``workers=1`` (the network is compiled once, before timing; its
build time is shown separately). The peer is networkx
``single_source_dijkstra_path_length`` per source on the same DiGraph (``to_networkx``),
which is what osmnx users do. The peer is measured on every source, never extrapolated.
The two matrices must agree (max abs difference, metres).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, synthetic_street_grid  # noqa: E402

from geogrid.crs import metric_crs_for  # noqa: E402
from geogrid.network import StreetNetwork, to_networkx, travel_time_matrix  # noqa: E402

DEMO_DIR = ROOT / "data" / "geo" / "helsinki-demo"
HAIDIAN_OSM = ROOT.parent / "shared" / "data" / "osm_china" / "beijing_haidian_cau" / "map.osm"

NOT_STREETS = {"construction", "proposed", "abandoned", "platform", "raceway", "bus_stop"}
NO_WALK = {"motorway", "motorway_link", "trunk", "trunk_link"}
NO_BIKE = {"motorway", "motorway_link", "steps", "footway", "pedestrian"}
NO_DRIVE = {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "track"}


# ------------------------------------------------------------------ inputs


def load_demo() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str] | str:
    """The built demo workspace's network, or the reason it is skipped."""
    nodes_path = DEMO_DIR / "network" / "nodes.geojson"
    edges_path = DEMO_DIR / "network" / "edges.geojson"
    if not (nodes_path.exists() and edges_path.exists()):
        return f"no built demo workspace at {nodes_path.parent} (run `geogrid demo` first)"
    nodes = gpd.read_file(nodes_path)
    if "node_id" in nodes.columns:
        nodes = nodes.set_index("node_id")
    edges = gpd.read_file(edges_path)
    metric_crs = None
    manifest = DEMO_DIR / "area.json"
    if manifest.exists():
        metric_crs = json.loads(manifest.read_text(encoding="utf-8")).get("metric_crs")
    if not metric_crs:
        metric_crs = metric_crs_for(tuple(nodes.total_bounds))
    return nodes, edges, metric_crs


def _first(value: object) -> str:
    """osmnx keeps a list when simplification merged ways; take the first tag."""
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def load_haidian() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str] | str:
    """The Haidian extract via osmnx, converted to geogrid frames, or why it is skipped."""
    if not HAIDIAN_OSM.exists():
        return f"{HAIDIAN_OSM} is absent (../shared not mounted)"
    import osmnx as ox

    graph = ox.graph_from_xml(HAIDIAN_OSM, bidirectional=False, simplify=False, retain_all=True)
    node_frame, edge_frame = ox.graph_to_gdfs(graph, nodes=True, edges=True)
    edge_frame = edge_frame.reset_index()
    # graph_from_xml keeps every way of the file (building outlines too): keep streets.
    highway = edge_frame["highway"].map(_first)
    streets = (highway != "") & ~highway.isin(NOT_STREETS)
    edge_frame, highway = edge_frame[streets].reset_index(drop=True), highway[streets]
    highway = highway.reset_index(drop=True)
    used = pd.unique(np.concatenate([edge_frame["u"], edge_frame["v"]]))
    node_frame = node_frame.loc[used]
    nodes = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(node_frame["x"], node_frame["y"]),
        index=pd.Index(node_frame.index.astype(np.int64), name="node_id"),
        crs="EPSG:4326",
    )
    # osmnx already turned two-way streets into two arcs and oneways into one, so
    # every arc is its own edge, "oneway" for bike/drive; walking is two-way anyway.
    edges = gpd.GeoDataFrame(
        {
            "u": edge_frame["u"].astype(np.int64),
            "v": edge_frame["v"].astype(np.int64),
            "way_id": edge_frame["osmid"].map(lambda w: int(w[0] if isinstance(w, list) else w)),
            "highway": highway,
            "name": edge_frame["name"].map(_first) if "name" in edge_frame else None,
            "length_m": edge_frame["length"].astype(float),
            "walk": ~highway.isin(NO_WALK),
            "bike": ~highway.isin(NO_BIKE),
            "drive": ~highway.isin(NO_DRIVE),
            "oneway_bike": True,
            "oneway_drive": True,
        },
        geometry=edge_frame.geometry.values,
        crs="EPSG:4326",
    )
    return nodes, edges, metric_crs_for(tuple(nodes.total_bounds))


# ------------------------------------------------------------------ measuring


def networkx_matrix(digraph: nx.DiGraph, node_ids: np.ndarray) -> np.ndarray:
    """Peer: one networkx Dijkstra per unique source, read off at the destinations."""
    out = np.full((len(node_ids), len(node_ids)), np.inf)
    for i, source in enumerate(node_ids):
        lengths = nx.single_source_dijkstra_path_length(digraph, int(source), weight="length_m")
        out[i] = [lengths.get(int(t), np.inf) for t in node_ids]
    return out


def measure(name: str, nodes, edges, metric_crs: str, n_points: int, seed: int) -> dict:
    """Time ours and the peer on one input; return a row of the results table."""
    start = time.perf_counter()
    network = StreetNetwork.from_frames(nodes, edges, metric_crs)
    build_s = time.perf_counter() - start

    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(network.graphs["walk"].in_main_component)
    chosen = rng.choice(candidates, size=min(n_points, len(candidates)), replace=False)
    node_ids = network.node_ids[chosen]
    points = gpd.GeoSeries(
        shapely.points(network.node_xy[chosen]), crs=metric_crs, index=node_ids
    ).to_crs("EPSG:4326")

    ours_s, ours = best_of(3, lambda: travel_time_matrix(network, points, mode="walk", workers=2))
    ours_1_s, _ = best_of(1, lambda: travel_time_matrix(network, points, mode="walk", workers=1))

    digraph = to_networkx(network, "walk")
    peer_s, peer = best_of(1, lambda: networkx_matrix(digraph, node_ids))
    diff = float(np.max(np.abs(ours.metres - peer)))
    return {
        "input": name,
        "nodes": network.n_nodes,
        "core_nodes": network.graphs["walk"].core.n_core,
        "edges": network.n_edges,
        "matrix": f"{len(chosen)} x {len(chosen)}",
        "build_s": build_s,
        "ours_s": ours_s,
        "ours_1w_s": ours_1_s,
        "networkx_s": peer_s,
        "ratio": peer_s / ours_s,
        "max_diff_m": diff,
    }


def markdown(rows: list[dict], skipped: list[tuple[str, str]]) -> str:
    """The results as a markdown table (for benchmarks/RESULTS.md)."""
    lines = [
        "| input | nodes | walk core nodes | edges | matrix | build s | ours s | ours 1 worker s "
        "| networkx s | networkx / ours | max abs diff m |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['input']} | {r['nodes']:,} "
            f"| {r['core_nodes']:,} ({r['core_nodes'] / r['nodes']:.0%}) | {r['edges']:,} "
            f"| {r['matrix']} "
            f"| {r['build_s']:.2f} | {r['ours_s']:.3f} | {r['ours_1w_s']:.3f} "
            f"| {r['networkx_s']:.1f} | {r['ratio']:.0f}x | {r['max_diff_m']:.1e} |"
        )
    for name, reason in skipped:
        lines.append(f"| {name} | skipped: {reason} | | | | | | | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100x100 grid, 200 points")
    parser.add_argument("--n", type=int, default=None, help="points per matrix side")
    args = parser.parse_args()
    side = 100 if args.quick else 200
    n_points = args.n or (200 if args.quick else 500)

    print(f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"machine: {platform.machine()}, os.cpu_count()={os.cpu_count()}, "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"networkx {nx.__version__}, shapely {shapely.__version__}"
    )
    print(
        "mode: walk; points on street nodes of the largest walking component; "
        "ours = snapping + matrix (best of 3); networkx measured once on every source"
    )
    print()

    rows: list[dict] = []
    skipped: list[tuple[str, str]] = []
    nodes, edges, metric_crs = synthetic_street_grid(side, seed=42)
    inputs = [(f"synthetic grid {side}x{side}", (nodes, edges, metric_crs))]
    inputs.append(("Helsinki demo workspace", load_demo()))
    inputs.append(("Beijing Haidian (osmnx)", load_haidian()))
    for name, loaded in inputs:
        if isinstance(loaded, str):
            print(f"{name}: skipped: {loaded}", flush=True)
            skipped.append((name, loaded))
            continue
        print(f"{name}: measuring ...", flush=True)
        row = measure(name, *loaded, n_points=n_points, seed=7)
        rows.append(row)
        print(
            f"  nodes {row['nodes']:,} (walk core {row['core_nodes']:,}),"
            f" build {row['build_s']:.2f} s, ours {row['ours_s']:.2f} s "
            f"(1 worker {row['ours_1w_s']:.2f} s), networkx {row['networkx_s']:.1f} s, "
            f"ratio {row['ratio']:.0f}x, max |diff| {row['max_diff_m']:.1e} m",
            flush=True,
        )
    print()
    print(markdown(rows, skipped))
    bad = [r["input"] for r in rows if not r["max_diff_m"] < 1e-6]
    if bad:
        print(f"\nMISMATCH between ours and networkx on: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
