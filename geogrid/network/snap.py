"""Points on the street network: snapping, then splitting segments at the snapped points.

:func:`snap_points` puts arbitrary points on the nearest street segment the
mode may use, restricted to the mode's largest strongly connected component
so that every snapped point can reach every other one. The snapped points
then become *virtual nodes* that split their segments: on the full graph for
single routes (:func:`_augment`), or as a small local graph hanging off the
contracted core for matrices (:func:`_local_graph`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from geogrid.crs import WGS84
from geogrid.errors import CRSError, InputError, NetworkError
from geogrid.network.compile import ModeGraph, StreetNetwork, _build_csr
from geogrid.network.frames import _frozen, _listed

DEFAULT_MAX_SNAP_M = 500.0
"""Points farther than this from a usable street are refused."""

# A snapped point this close to a street node is put on the node itself.
_AT_NODE_M = 0.01


# ------------------------------------------------------------------------ data


@dataclass(frozen=True, eq=False)
class Snaps:
    """Points placed on the street network of one mode.

    Attributes
    ----------
    mode : str
        The mode whose usable streets the points were snapped to.
    ids : tuple
        The caller's label per point (frame index, or position in a list).
    edge : numpy.ndarray
        Edge position each point sits on.
    fraction : numpy.ndarray
        Position along that edge from u (0.0) to v (1.0), by geometry length.
    point : numpy.ndarray
        Snapped shapely Points on the street, in the network's metric CRS.
    source : numpy.ndarray
        The original points, in the network's metric CRS.
    distance_m : numpy.ndarray
        Straight-line distance from each original point to the street.
    """

    mode: str
    ids: tuple[Hashable, ...]
    edge: np.ndarray
    fraction: np.ndarray
    point: np.ndarray
    source: np.ndarray
    distance_m: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


# -------------------------------------------------------------------- snapping


def _points_metric(points: Any, metric_crs: str, what: str) -> tuple[tuple[Any, ...], np.ndarray]:
    """Return (ids, metric shapely points) for GeoSeries/GeoDataFrame or lon/lat Points."""
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if isinstance(points, gpd.GeoSeries):
        if points.crs is None:
            raise CRSError(
                f"{what} have no coordinate reference system; set one (EPSG:4326 for lon/lat)"
            )
        ids = tuple(points.index)
        series = points
    else:
        if isinstance(points, shapely.Geometry):
            points = [points]
        geoms = list(points)
        ids = tuple(range(len(geoms)))
        series = gpd.GeoSeries(geoms, crs=WGS84)
    geoms = series.values
    bad = (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)
    if bad.any():
        names = [str(ids[i]) for i in np.flatnonzero(bad)]
        raise InputError(f"{what} must be non-empty Points; not so for {_listed(names)}")
    metric = np.asarray(series.to_crs(metric_crs).values, dtype=object)
    return ids, metric


def snap_points(
    network: StreetNetwork,
    points: Any,
    mode: str = "walk",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    component: Literal["largest", "any"] = "largest",
) -> Snaps:
    """Put each point on the nearest street segment the mode may use.

    Parameters
    ----------
    network : StreetNetwork
    points : GeoSeries, GeoDataFrame, shapely Point or sequence of Points
        GeoSeries / GeoDataFrame in any CRS (it must be set); bare shapely
        Points are read as lon/lat (EPSG:4326). Frame index labels name the
        points in errors; for bare Points their position does.
    mode : str
        "walk", "bike" or "drive".
    max_snap_m : float
        Refuse points farther than this from a usable street.
    component : {"largest", "any"}
        "largest" (default) snaps only onto the largest strongly connected
        component of the mode's graph, so all snapped points reach each
        other. "any" uses the nearest usable segment anywhere; travel times
        may then be unreachable.

    Returns
    -------
    Snaps

    Raises
    ------
    NetworkError
        Points farther than ``max_snap_m`` from a usable street; the message
        names each point and its distance (and says when a closer street
        exists that is cut off from the rest of the network).
    """
    graph = network.graph(mode)
    ids, source = _points_metric(points, network.metric_crs, "points to snap")
    if component == "largest":
        candidates, tree = graph.snap_edges, graph.snap_tree
    elif component == "any":
        candidates = np.flatnonzero(graph.edge_usable)
        tree = shapely.STRtree(network.edge_geometry[candidates])
    else:
        raise InputError(f"component must be 'largest' or 'any', got {component!r}")
    if len(candidates) == 0:
        if component == "largest" and graph.edge_usable.any():
            raise NetworkError(
                f"the {mode} network has no connected part with a way back: every street "
                "usable by it is a oneway dead end; check the oneway tags, or pass "
                "component='any'",
                ids,
            )
        raise NetworkError(f"the street network has no segment usable by {mode}", ids)

    n = len(source)
    if n == 0:
        empty = np.zeros(0)
        return Snaps(mode, ids, empty.astype(np.int64), empty, np.zeros(0, object), source, empty)
    pairs, dist = tree.query_nearest(source, return_distance=True, all_matches=True)
    # Ties: keep the lowest edge position per point, deterministically.
    hit_edge = candidates[pairs[1]]
    order = np.lexsort((hit_edge, pairs[0]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pairs[0][order][1:] != pairs[0][order][:-1]
    chosen = order[first]
    edge = hit_edge[chosen]
    distance_m = dist[chosen]

    far = distance_m > max_snap_m
    if far.any():
        _raise_far(network, graph, ids, source, far, distance_m, mode, max_snap_m, component)

    lines = network.edge_geometry[edge]
    fraction = shapely.line_locate_point(lines, source, normalized=True)
    fraction = np.clip(np.nan_to_num(fraction, nan=0.0), 0.0, 1.0)  # nan: zero-length line
    # Within a centimetre of a street node the point *is* that node (see _augment);
    # this absorbs the rounding of CRS round trips.
    along_m = fraction * shapely.length(lines)
    fraction[along_m <= _AT_NODE_M] = 0.0
    fraction[shapely.length(lines) - along_m <= _AT_NODE_M] = 1.0
    snapped = shapely.line_interpolate_point(lines, fraction, normalized=True)
    return Snaps(
        mode=mode,
        ids=ids,
        edge=_frozen(edge.astype(np.int64)),
        fraction=_frozen(fraction),
        point=_frozen(np.asarray(snapped, dtype=object)),
        source=_frozen(source),
        distance_m=_frozen(distance_m),
    )


def _raise_far(
    network: StreetNetwork,
    graph: ModeGraph,
    ids: tuple[Any, ...],
    source: np.ndarray,
    far: np.ndarray,
    distance_m: np.ndarray,
    mode: str,
    max_snap_m: float,
    component: str,
) -> None:
    far_idx = np.flatnonzero(far)
    notes = []
    if component == "largest":
        usable = np.flatnonzero(graph.edge_usable)
        any_tree = shapely.STRtree(network.edge_geometry[usable])
        _, any_dist = any_tree.query_nearest(
            source[far_idx], return_distance=True, all_matches=False
        )
    else:
        any_dist = distance_m[far_idx]
    for k, i in enumerate(far_idx):
        note = f"point {ids[i]!r}: {distance_m[i]:.0f} m from the nearest {mode} street"
        if any_dist[k] + 1e-9 < distance_m[i]:
            note += (
                f" of the main network (a street {any_dist[k]:.0f} m away is cut off "
                "from the rest of the network)"
            )
        notes.append(note)
    raise NetworkError(
        f"{len(far_idx)} point(s) are more than {max_snap_m:g} m from any street usable by "
        f"{mode}: " + _listed(notes) + "; move the points, check the mode, or raise max_snap_m "
        "(--max-snap-m on the command line)",
        [ids[i] for i in far_idx],
    )


def check_near_streets(
    network: StreetNetwork,
    points: gpd.GeoDataFrame,
    layer: str,
    mode: str = "walk",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> None:
    """Refuse a layer whose points lie farther than ``max_snap_m`` from any street of the mode.

    Each point is named by its ``id`` column (else its index label), its
    ``name`` and its ``layer`` column when it has them; the error names
    ``layer`` first, e.g. ``layer 'schools': 3 point(s) are more than 500 m
    from any street usable by walk: point 'node/7 (实验小学)': 812 m ...``.
    Polygons count by their representative point.

    Raises
    ------
    NetworkError
        Points too far from the mode's streets (anywhere in the network).
    """
    if not len(points):
        return
    ids = points["id"] if "id" in points.columns else pd.Series(points.index, index=points.index)
    labels = []
    for row_id, (_, row) in zip(ids, points.iterrows(), strict=True):
        extra = [str(row[c]) for c in ("name", "layer") if c in points.columns and _filled(row[c])]
        labels.append(f"{row_id} ({', '.join(extra)})" if extra else str(row_id))
    located = gpd.GeoSeries(
        points.geometry.representative_point().to_numpy(), index=labels, crs=points.crs
    )
    try:
        snap_points(network, located, mode, max_snap_m, component="any")
    except NetworkError as err:
        raise NetworkError(f"layer {layer!r}: {err}", err.points) from err


def _filled(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and np.isnan(value))
        and str(value) != ""
    )


# --------------------------------------------------------------- virtual nodes


def _augment(
    network: StreetNetwork, graph: ModeGraph, edge: np.ndarray, fraction: np.ndarray
) -> tuple[csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Split snapped edges at the snapped points by adding virtual nodes.

    Points on one edge are chained in order of fraction (u -> ... -> v), and
    the chain is added in the reverse direction too when the mode may travel
    the edge v -> u. The original arc stays: the chain has the same total
    length, so shortest distances are unchanged.

    Returns
    -------
    matrix : csr_matrix
        ``(n_nodes + k, n_nodes + k)`` lengths with ``k`` virtual nodes.
    point_node : numpy.ndarray
        Augmented node position of each input point.
    virtual_edge, virtual_fraction : numpy.ndarray
        Edge position and fraction of each virtual node.
    """
    n_nodes = network.n_nodes
    # A point exactly at an edge end is that street node, not a virtual one:
    # otherwise it could not be reached from its own node along a oneway.
    point_node = np.where(fraction <= 0.0, network.edge_u[edge], network.edge_v[edge])
    interior = (fraction > 0.0) & (fraction < 1.0)
    keys = np.stack([edge[interior], fraction[interior]])
    uniq, point_virtual = np.unique(keys, axis=1, return_inverse=True)
    point_node[interior] = n_nodes + point_virtual.ravel()
    v_edge = uniq[0].astype(np.int64)
    v_frac = uniq[1]
    k = len(v_edge)  # sorted by (edge, fraction)
    v_node = n_nodes + np.arange(k)
    length = network.edge_length_m[v_edge]

    first = np.ones(k, dtype=bool)
    first[1:] = v_edge[1:] != v_edge[:-1]
    last = np.ones(k, dtype=bool)
    last[:-1] = v_edge[1:] != v_edge[:-1]

    prev_node = np.where(first, network.edge_u[v_edge], np.roll(v_node, 1))
    prev_frac = np.where(first, 0.0, np.roll(v_frac, 1))
    # segment (prev -> virtual) for every virtual node, plus (last virtual -> v)
    seg_tail = np.concatenate([prev_node, v_node[last]])
    seg_head = np.concatenate([v_node, network.edge_v[v_edge[last]]])
    seg_len = np.concatenate([length * (v_frac - prev_frac), length[last] * (1.0 - v_frac[last])])
    seg_edge = np.concatenate([v_edge, v_edge[last]])
    seg_len = np.maximum(seg_len, 0.0)
    twoway = graph.edge_twoway[seg_edge]

    base = graph.lengths
    base_tails = np.repeat(np.arange(n_nodes), np.diff(base.indptr))
    tails = np.concatenate([base_tails, seg_tail, seg_head[twoway]])
    heads = np.concatenate([base.indices, seg_head, seg_tail[twoway]])
    lens = np.concatenate([base.data, seg_len, seg_len[twoway]])
    edges = np.concatenate([graph.arc_edge, seg_edge, seg_edge[twoway]])
    matrix, _ = _build_csr(n_nodes + k, tails, heads, lens, edges)
    return matrix, point_node, v_edge, v_frac


def _local_graph(
    network: StreetNetwork, graph: ModeGraph, edge: np.ndarray, fraction: np.ndarray
) -> tuple[csr_matrix, np.ndarray]:
    """The points' local graph: how they reach the core graph of ``graph`` and each other.

    A point at a core node is that core node. Street nodes a point needs (its
    own node, or the two ends of the segment it splits) that are interior to
    a chain become *anchors*, linked to their neighbouring anchors or chain
    ends by the exact along-chain metres in each direction the chain allows.
    The split segments hang between core nodes and anchors as in
    :func:`_augment`, so points on one chain reach each other along it. The
    core's own arcs are left out; arcs *into* core node ``c`` end at its
    in-copy ``n_total + c`` (see :func:`_street_metres`).

    Returns
    -------
    matrix : csr_matrix
        Over ``n_total + n_core`` nodes: core positions, anchors, ``k``
        virtual nodes (``n_total = n_core + n_anchors + k``), in-copies.
    point_node : numpy.ndarray
        Node of each input point in ``matrix`` (below ``n_total``).
    """
    core = graph.core
    n_core = core.n_core
    at_node = np.where(fraction <= 0.0, network.edge_u[edge], network.edge_v[edge])
    interior = (fraction > 0.0) & (fraction < 1.0)
    keys = np.stack([edge[interior], fraction[interior]])
    uniq, point_virtual = np.unique(keys, axis=1, return_inverse=True)
    v_edge = uniq[0].astype(np.int64)
    v_frac = uniq[1]
    k = len(v_edge)  # sorted by (edge, fraction)

    needed = np.unique(
        np.concatenate([at_node[~interior], network.edge_u[v_edge], network.edge_v[v_edge]])
    )
    anchors = needed[core.node_core[needed] < 0]
    n_anchor = len(anchors)
    n_total = n_core + n_anchor + k

    def aug(nodes: np.ndarray) -> np.ndarray:
        """Node of the augmented graph for street node positions (core or anchor)."""
        pos = core.node_core[nodes]
        return np.where(pos >= 0, pos, n_core + np.searchsorted(anchors, nodes))

    # Stations along each chain with anchors: its two ends and the anchors, in order.
    ptr = core.chain_ptr
    a_chain = core.node_chain[anchors]
    chains = np.unique(a_chain)
    last_pos = ptr[chains + 1] - 1 - ptr[chains]
    st_chain = np.concatenate([a_chain, chains, chains])
    st_pos = np.concatenate([core.node_chain_pos[anchors], np.zeros_like(chains), last_pos])
    st_node = np.concatenate(
        [
            n_core + np.arange(n_anchor),
            core.node_core[core.chain_nodes[ptr[chains]]],
            core.node_core[core.chain_nodes[ptr[chains + 1] - 1]],
        ]
    )
    order = np.lexsort((st_pos, st_chain))
    st_chain, st_pos, st_node = st_chain[order], st_pos[order], st_node[order]
    pair = st_chain[1:] == st_chain[:-1]
    pair_chain = st_chain[1:][pair]
    flat_a = ptr[pair_chain] + st_pos[:-1][pair]
    flat_b = ptr[pair_chain] + st_pos[1:][pair]
    st_a, st_b = st_node[:-1][pair], st_node[1:][pair]
    st_fwd = core.chain_fwd_m[flat_b] - core.chain_fwd_m[flat_a]
    st_bwd = core.chain_bwd_m[flat_b] - core.chain_bwd_m[flat_a]
    st_two = core.chain_twoway[pair_chain]

    # Split segments, as in _augment.
    v_node = n_core + n_anchor + np.arange(k)
    length = network.edge_length_m[v_edge]
    first = np.ones(k, dtype=bool)
    first[1:] = v_edge[1:] != v_edge[:-1]
    last = np.ones(k, dtype=bool)
    last[:-1] = v_edge[1:] != v_edge[:-1]
    prev_node = np.where(first, aug(network.edge_u[v_edge]), np.roll(v_node, 1))
    prev_frac = np.where(first, 0.0, np.roll(v_frac, 1))
    seg_tail = np.concatenate([prev_node, v_node[last]])
    seg_head = np.concatenate([v_node, aug(network.edge_v[v_edge[last]])])
    seg_len = np.concatenate([length * (v_frac - prev_frac), length[last] * (1.0 - v_frac[last])])
    seg_len = np.maximum(seg_len, 0.0)
    twoway = graph.edge_twoway[np.concatenate([v_edge, v_edge[last]])]

    tails = np.concatenate([st_a, st_b[st_two], seg_tail, seg_head[twoway]])
    heads = np.concatenate([st_b, st_a[st_two], seg_head, seg_tail[twoway]])
    lens = np.concatenate([st_fwd, st_bwd[st_two], seg_len, seg_len[twoway]])
    # Arcs into a core node go to its in-copy n_total + c, so that no local path
    # runs through a core node: local paths end where the core graph takes over.
    heads = np.where(heads < n_core, heads + n_total, heads)
    size = n_total + n_core
    matrix, _ = _build_csr(size, tails, heads, lens, np.zeros(len(tails), dtype=np.int64))

    point_node = aug(at_node)
    point_node[interior] = n_core + n_anchor + point_virtual.ravel()
    return matrix, point_node
