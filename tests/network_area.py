"""Shared fixtures for the street network tests (not a test module).

Small street networks drawn in metres around a point in Beijing (UTM 50N) and
handed over as the EPSG:4326 frames of the network contract, plus an
independent networkx reference built straight from the edges frame.
"""

from __future__ import annotations

import math
from itertools import pairwise

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geogrid.network import StreetNetwork

METRIC = "EPSG:32650"  # UTM 50N (Beijing)
X0, Y0 = 440_000.0, 4_425_000.0


def make_frames(
    node_xy: dict[int, tuple[float, float]],
    edges: list[dict],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Network frames (EPSG:4326) from metric offsets (m) around (X0, Y0).

    Each edge dict needs u, v; optional length_m (default: straight length),
    walk/bike/drive (default True), oneway (sets both oneway flags).
    """
    ids = list(node_xy)
    nodes = gpd.GeoDataFrame(
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in node_xy.values()],
        index=ids,
        crs=METRIC,
    )
    nodes.index.name = "node_id"
    rows = []
    for k, e in enumerate(edges):
        (ux, uy), (vx, vy) = node_xy[e["u"]], node_xy[e["v"]]
        line = shapely.LineString([(X0 + ux, Y0 + uy), (X0 + vx, Y0 + vy)])
        oneway = e.get("oneway", False)
        rows.append(
            {
                "u": e["u"],
                "v": e["v"],
                "way_id": 100 + k,
                "highway": "residential",
                "name": None,
                "length_m": e.get("length_m", line.length),
                "walk": e.get("walk", True),
                "bike": e.get("bike", True),
                "drive": e.get("drive", True),
                "oneway_bike": oneway,
                "oneway_drive": oneway,
                "geometry": line,
            }
        )
    edge_frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    return nodes.to_crs("EPSG:4326"), edge_frame.to_crs("EPSG:4326")


def pts(*xy: tuple[float, float], index: list | None = None) -> gpd.GeoSeries:
    """Points given as metric offsets around (X0, Y0), as a GeoSeries in the metric CRS."""
    return gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=METRIC, index=index)


def grid_3x3() -> StreetNetwork:
    """A 3x3 grid with 100 m blocks; node id = 10*row + col + 1."""
    node_xy = {10 * r + c + 1: (100.0 * c, 100.0 * r) for r in range(3) for c in range(3)}
    edges = []
    for r in range(3):
        for c in range(3):
            here = 10 * r + c + 1
            if c < 2:
                edges.append({"u": here, "v": here + 1})
            if r < 2:
                edges.append({"u": here, "v": here + 10})
    return StreetNetwork.from_frames(*make_frames(node_xy, edges), METRIC)


def random_grid(side: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, StreetNetwork]:
    """A ``side x side`` grid with random lengths, some oneways and some parallel edges."""
    rng = np.random.default_rng(seed)
    node_xy = {
        1000 + i: (100.0 * (i % side) + rng.uniform(-10, 10), 100.0 * (i // side))
        for i in range(side * side)
    }
    edges = []
    for i in range(side * side):
        r, c = divmod(i, side)
        for j in ([i + 1] if c < side - 1 else []) + ([i + side] if r < side - 1 else []):
            u, v = (1000 + i, 1000 + j) if rng.random() < 0.5 else (1000 + j, 1000 + i)
            edges.append(
                {"u": u, "v": v, "length_m": rng.uniform(80, 160), "oneway": rng.random() < 0.15}
            )
            if rng.random() < 0.03:  # a parallel segment, sometimes shorter
                edges.append({"u": v, "v": u, "length_m": rng.uniform(60, 200)})
    nodes, edge_frame = make_frames(node_xy, edges)
    return nodes, edge_frame, StreetNetwork.from_frames(nodes, edge_frame, METRIC)


def reference_digraph(edges: gpd.GeoDataFrame, mode: str) -> nx.DiGraph:
    """A networkx DiGraph built straight from the frame (min over parallels), independent
    of the CSR compilation."""
    graph = nx.DiGraph()
    oneway_col = {"walk": None, "bike": "oneway_bike", "drive": "oneway_drive"}[mode]
    for row in edges.itertuples():
        if not getattr(row, mode):
            continue
        arcs = [(row.u, row.v)]
        if oneway_col is None or not getattr(row, oneway_col):
            arcs.append((row.v, row.u))
        for a, b in arcs:
            old = graph.get_edge_data(a, b, {"w": math.inf})["w"]
            graph.add_edge(a, b, w=min(old, row.length_m))
    return graph


def island_network() -> StreetNetwork:
    """A 200 m main street, and a 50 m island street 300 m north of it."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (200, 0), 8: (0, 300), 9: (50, 300)},
        [{"u": 1, "v": 2}, {"u": 2, "v": 3}, {"u": 8, "v": 9}],
    )
    return StreetNetwork.from_frames(nodes, edges, METRIC)


def oneway_network() -> StreetNetwork:
    """A square 1-2-3-4 (100 m sides) where 1 -> 2 is one-way for bike and drive."""
    nodes, edges = make_frames(
        {1: (0, 0), 2: (100, 0), 3: (100, 100), 4: (0, 100)},
        [{"u": 1, "v": 2, "oneway": True}, {"u": 2, "v": 3}, {"u": 3, "v": 4}, {"u": 4, "v": 1}],
    )
    return StreetNetwork.from_frames(nodes, edges, METRIC)


def long_chains() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A square of junctions 1..4 (400 m sides) whose sides are drawn with a node every
    50 m, as OSM draws streets; the south side is a oneway drawn east, the east side a
    oneway drawn south (so its chain runs against the drawing order of the way's nodes),
    the west side has a shorter parallel segment in its middle, and a 6-node loop hangs
    off junction 3."""
    node_xy = {1: (0, 0), 2: (400, 0), 3: (400, 400), 4: (0, 400)}
    edges: list[dict] = []
    next_id = 100

    def street(a: int, b: int, oneway: bool = False) -> None:
        nonlocal next_id
        (ax, ay), (bx, by) = node_xy[a], node_xy[b]
        chain = [a]
        for s in range(1, 8):
            node_xy[next_id] = (ax + (bx - ax) * s / 8, ay + (by - ay) * s / 8)
            chain.append(next_id)
            next_id += 1
        chain.append(b)
        for u, v in pairwise(chain):
            edges.append({"u": u, "v": v, "oneway": oneway})

    street(1, 2, oneway=True)
    street(3, 2, oneway=True)
    street(3, 4)
    street(4, 1)
    edges.append({"u": 121, "v": 122, "length_m": 30.0})  # parallel, shorter than 50 m
    loop = [3, *range(200, 206), 3]
    for k, node in enumerate(loop[1:-1]):
        node_xy[node] = (400 + 60 * math.cos(k), 460 + 60 * math.sin(k))
    for u, v in pairwise(loop):
        edges.append({"u": u, "v": v})
    return make_frames(node_xy, edges)
