"""Single routes: the shortest street route between two points, and graph exports.

:func:`shortest_path` and :func:`route_geometry` run on the full graph of the
mode (not the contracted core), so they list every node they pass;
:func:`to_networkx` hands the mode's graph to networkx.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.sparse.csgraph import dijkstra

from geogrid.crs import WGS84
from geogrid.errors import InputError, NetworkError
from geogrid.network.compile import StreetNetwork
from geogrid.network.frames import _listed
from geogrid.network.snap import DEFAULT_MAX_SNAP_M, Snaps, _augment, snap_points

# ---------------------------------------------------------------------- routes


@dataclass(frozen=True, eq=False)
class _Route:
    path: np.ndarray  # augmented node positions, origin virtual node first
    n_nodes: int
    v_edge: np.ndarray
    v_frac: np.ndarray
    arc_edge_of: Any  # callable (a, b) -> edge position
    origin: Snaps
    destination: Snaps
    metres: float


def _single_point(point: Any, what: str) -> Any:
    if isinstance(point, gpd.GeoDataFrame | gpd.GeoSeries):
        if len(point) != 1:
            raise InputError(f"{what} must be a single point, got {len(point)} rows")
        return point
    if isinstance(point, shapely.Geometry):
        return [point]
    raise InputError(
        f"{what} must be a shapely Point (lon/lat) or a one-row GeoSeries/GeoDataFrame"
    )


def _route(
    network: StreetNetwork,
    origin: Any,
    destination: Any,
    mode: str,
    max_snap_m: float,
    component: Literal["largest", "any"],
) -> _Route:
    graph = network.graph(mode)
    o = snap_points(network, _single_point(origin, "origin"), mode, max_snap_m, component)
    d = snap_points(network, _single_point(destination, "destination"), mode, max_snap_m, component)
    edge = np.concatenate([o.edge, d.edge])
    fraction = np.concatenate([o.fraction, d.fraction])
    matrix, point_node, v_edge, v_frac = _augment(network, graph, edge, fraction)
    src, dst = int(point_node[0]), int(point_node[1])
    dist, pred = dijkstra(matrix, directed=True, indices=src, return_predecessors=True)
    if not np.isfinite(dist[dst]):
        raise NetworkError(
            f"origin {o.ids[0]!r} cannot reach destination {d.ids[0]!r} by {mode}; the "
            "points sit on parts of the network that are not connected",
            [(o.ids[0], d.ids[0])],
        )
    path = [dst]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
    path.reverse()

    def arc_edge_of(a: int, b: int) -> int:
        lo, hi = graph.lengths.indptr[a], graph.lengths.indptr[a + 1]
        hit = np.flatnonzero(graph.lengths.indices[lo:hi] == b)
        return int(graph.arc_edge[lo + hit[0]])

    metres = float(dist[dst]) + float(o.distance_m[0]) + float(d.distance_m[0])
    same = shapely.equals_exact(o.source[0], d.source[0], tolerance=0.0)
    return _Route(
        path=np.asarray(path),
        n_nodes=network.n_nodes,
        v_edge=v_edge,
        v_frac=v_frac,
        arc_edge_of=arc_edge_of,
        origin=o,
        destination=d,
        metres=0.0 if same else metres,
    )


def shortest_path(
    network: StreetNetwork,
    origin: Any,
    destination: Any,
    mode: str = "walk",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    component: Literal["largest", "any"] = "largest",
) -> list[int]:
    """OSM node ids passed on the shortest street route from origin to destination.

    Parameters
    ----------
    network : StreetNetwork
    origin, destination : shapely Point (lon/lat) or one-row GeoSeries/GeoDataFrame
    mode : str
    max_snap_m : float
    component : {"largest", "any"}

    Returns
    -------
    list of int
        Street node ids in travel order. Empty when both points sit on the
        same segment and the route never reaches a street node.
    """
    route = _route(network, origin, destination, mode, max_snap_m, component)
    real = route.path[route.path < route.n_nodes]
    return [int(i) for i in network.node_ids[real]]


def route_geometry(
    network: StreetNetwork,
    origin: Any,
    destination: Any,
    mode: str = "walk",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    component: Literal["largest", "any"] = "largest",
) -> shapely.LineString:
    """The shortest route drawn along the streets, as a LineString in EPSG:4326.

    It starts at the origin, runs the access leg to the street, the partial
    first segment, whole segments, the partial last segment and the access
    leg to the destination; its length matches
    :func:`travel_time_matrix` metres (up to the map projection's scale).

    Parameters
    ----------
    network : StreetNetwork
    origin, destination : shapely Point (lon/lat) or one-row GeoSeries/GeoDataFrame
    mode : str
    max_snap_m : float
    component : {"largest", "any"}

    Returns
    -------
    shapely.LineString
        Lon/lat. From a point to itself: a zero-length line of two equal vertices.
    """
    route = _route(network, origin, destination, mode, max_snap_m, component)
    n = route.n_nodes

    def position(node: int, edge: int) -> float:
        """Fraction of augmented ``node`` along ``edge``."""
        if node >= n:
            return float(route.v_frac[node - n])
        return 0.0 if network.edge_u[edge] == node else 1.0

    coords: list[np.ndarray] = [shapely.get_coordinates(route.origin.source[0])]
    if route.metres > 0:  # 0: the same point, no access legs either
        coords.append(shapely.get_coordinates(route.origin.point[0]))
    for a, b in zip(route.path[:-1], route.path[1:], strict=True):
        a, b = int(a), int(b)
        if a >= n or b >= n:
            edge = int(route.v_edge[(a if a >= n else b) - n])
        else:
            edge = route.arc_edge_of(a, b)
        geom = network.edge_geometry[edge]
        piece = shapely.ops.substring(geom, position(a, edge), position(b, edge), normalized=True)
        coords.append(shapely.get_coordinates(piece))
    if route.metres > 0:
        coords.append(shapely.get_coordinates(route.destination.point[0]))
    coords.append(shapely.get_coordinates(route.destination.source[0]))
    xy = np.concatenate(coords)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(xy) == 1:
        xy = np.vstack([xy, xy])
    line = gpd.GeoSeries([shapely.LineString(xy)], crs=network.metric_crs).to_crs(WGS84)
    return line.iloc[0]


# -------------------------------------------------------------------- networkx


def to_networkx(network: StreetNetwork, mode: str = "walk") -> nx.DiGraph:
    """The mode's graph as a networkx DiGraph keyed by OSM node id.

    Arcs carry ``length_m`` (the minimum over parallel edges) and ``edge``
    (the edge position realising it); nodes carry ``x``, ``y`` in the
    network's metric CRS. All nodes are included, even ones the mode never
    uses.
    """
    graph = network.graph(mode)
    matrix = graph.lengths
    tails = np.repeat(np.arange(network.n_nodes), np.diff(matrix.indptr))
    ids = network.node_ids
    digraph = nx.DiGraph(crs=network.metric_crs, mode=mode)
    digraph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, (x, y) in zip(ids, network.node_xy, strict=True)
    )
    digraph.add_edges_from(
        (int(a), int(b), {"length_m": float(w), "edge": int(e)})
        for a, b, w, e in zip(
            ids[tails], ids[matrix.indices], matrix.data, graph.arc_edge, strict=True
        )
    )
    return digraph


def node_positions(network: StreetNetwork, node_ids: Iterable[int]) -> np.ndarray:
    """Node positions of OSM ``node_ids``; InputError names ids not in the network."""
    wanted = np.asarray(list(node_ids), dtype=np.int64)
    index = pd.Index(network.node_ids)
    pos: np.ndarray = index.get_indexer(wanted)
    if (pos < 0).any():
        missing = [str(i) for i in wanted[pos < 0]]
        raise InputError(f"node ids not in the street network: {_listed(missing)}")
    return pos
