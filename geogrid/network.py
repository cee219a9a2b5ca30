"""Street network: compressed graphs per travel mode, snapping and travel times.

The OSM reader (``geogrid.io.osm``) hands over two frames, ``nodes`` and
``edges`` (see ``docs/ARCHITECTURE.md``, "Street network frames").
:meth:`StreetNetwork.from_frames` validates them once and compiles them into
immutable arrays: for each mode ("walk", "bike", "drive") a
``scipy.sparse`` CSR matrix of edge lengths in metres over node positions.
Everything after that is plain numpy / scipy:

* :func:`snap_points` puts arbitrary points on the nearest street segment the
  mode may use, restricted to the mode's largest strongly connected component
  so that every snapped point can reach every other one;
* :func:`travel_time_matrix` is exact along the street: each snapped point
  becomes a virtual node that splits its segment, and the straight access leg
  from the point to the street is walked (or ridden) at the same speed;
* :func:`shortest_path` and :func:`route_geometry` draw one route.

Real OSM streets have a node at every bend, so most nodes join exactly two
neighbours. Each mode's graph is therefore also compiled into a *core*
(:class:`CoreGraph`): chains of degree-2 nodes become single arcs. Matrices
link each point to the ends of its chain by exact along-chain metres and run
:func:`scipy.sparse.csgraph.dijkstra` on the core only, from the distinct
chain ends the origins leave by. scipy holds the GIL while it runs, so big
jobs are split over forked worker processes (see ``workers`` in
:func:`travel_time_matrix`). Single routes run on the full graph, so they
list every node they pass.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from geogrid.crs import WGS84
from geogrid.errors import CRSError, InputError, NetworkError

MODES: tuple[str, ...] = ("walk", "bike", "drive")
"""Travel modes, each a boolean column of the edges frame."""

DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {"walk": 4.5, "bike": 15.0, "drive": 30.0}
)
"""Default travel speeds in km/h; "bike" is an e-bike. Override per call."""

DEFAULT_MAX_SNAP_M = 500.0
"""Points farther than this from a usable street are refused."""

REQUIRED_EDGE_COLUMNS: tuple[str, ...] = (
    "u",
    "v",
    "length_m",
    "walk",
    "bike",
    "drive",
    "oneway_bike",
    "oneway_drive",
    "geometry",
)

_ONEWAY_COLUMN = {"walk": None, "bike": "oneway_bike", "drive": "oneway_drive"}

# Below this many (sources x nodes) a single process is faster than forking.
_PARALLEL_MIN_WORK = 4_000_000
# Sources per dijkstra call: bounds the (sources x nodes) float64 block in memory.
_CHUNK_SOURCES = 64
# A snapped point this close to a street node is put on the node itself.
_AT_NODE_M = 0.01
# Edge geometry ends must lie this close to their u and v nodes.
_ENDPOINT_TOLERANCE_M = 1.0
# How many offending rows / points an error message lists before "... and N more".
_MAX_LISTED = 20


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class CoreGraph:
    """One mode's graph with chains of degree-2 nodes contracted into single arcs.

    Real OSM data has a node at every bend of a street, so most nodes join
    exactly two neighbours. A *chain* is a maximal path ``n0 -> n1 ... -> nk``
    whose interior nodes have exactly two distinct neighbours, no self loop,
    and the same usable directions on every link (all two-way, or all oneway
    the same way round); ``n0`` and ``nk`` are junctions or dead ends (equal
    for a chain that closes into a loop; a cycle with no junction at all gets
    one of its nodes as ``n0``). Oneway chains are stored in their direction
    of travel. The core keeps every other node and replaces each chain by the
    arc ``n0 -> nk`` (and ``nk -> n0`` when two-way) of the chain's length;
    shortest distances between core nodes are unchanged.

    Attributes
    ----------
    lengths : scipy.sparse.csr_matrix
        ``(n_core, n_core)`` arc lengths over core positions (minimum over
        parallel arcs and chains).
    core_nodes : numpy.ndarray
        Node position of each core position.
    node_core : numpy.ndarray
        Core position per node position, -1 for chain interiors and nodes
        the mode never uses.
    node_chain, node_chain_pos : numpy.ndarray
        Per node position: the chain it is interior to (-1 if none) and its
        index ``i`` in that chain.
    chain_ptr : numpy.ndarray
        Chain ``c`` holds ``chain_nodes[chain_ptr[c]:chain_ptr[c + 1]]``.
    chain_nodes : numpy.ndarray
        Node positions ``n0 .. nk`` of every chain, concatenated.
    chain_fwd_m : numpy.ndarray
        Aligned with ``chain_nodes``: metres from ``n0`` to ``ni`` along the chain.
    chain_bwd_m : numpy.ndarray
        Aligned with ``chain_nodes``: metres from ``ni`` back to ``n0`` (two-way chains).
    chain_twoway : numpy.ndarray
        Bool per chain: it may be travelled ``nk -> n0`` as well.
    """

    lengths: csr_matrix
    core_nodes: np.ndarray
    node_core: np.ndarray
    node_chain: np.ndarray
    node_chain_pos: np.ndarray
    chain_ptr: np.ndarray
    chain_nodes: np.ndarray
    chain_fwd_m: np.ndarray
    chain_bwd_m: np.ndarray
    chain_twoway: np.ndarray

    @property
    def n_core(self) -> int:
        """Number of core nodes."""
        return len(self.core_nodes)

    @property
    def n_chains(self) -> int:
        """Number of contracted chains."""
        return len(self.chain_ptr) - 1


@dataclass(frozen=True, eq=False)
class ModeGraph:
    """The compiled graph of one travel mode.

    Attributes
    ----------
    mode : str
        "walk", "bike" or "drive".
    lengths : scipy.sparse.csr_matrix
        ``(n_nodes, n_nodes)`` arc lengths in metres; entry ``[a, b]`` is the
        shortest segment the mode may travel from node position ``a`` to ``b``.
        Zero-length segments are stored as explicit zeros.
    arc_edge : numpy.ndarray
        For each stored entry of ``lengths`` (aligned with ``lengths.data``),
        the edge position that realises it (the shortest of parallel edges).
    edge_usable : numpy.ndarray
        Bool per edge position: the mode may use the edge at all.
    edge_twoway : numpy.ndarray
        Bool per edge position: the mode may travel the edge v -> u as well.
    in_main_component : numpy.ndarray
        Bool per node position: the node is in the largest strongly connected
        component of this mode's graph.
    snap_edges : numpy.ndarray
        Edge positions points may snap to: usable and with both ends in the
        largest strongly connected component.
    snap_tree : shapely.STRtree
        Spatial index over the metric geometries of ``snap_edges``.
    core : CoreGraph
        The same graph with chains of degree-2 nodes contracted; travel-time
        matrices run on it.
    """

    mode: str
    lengths: csr_matrix
    arc_edge: np.ndarray
    edge_usable: np.ndarray
    edge_twoway: np.ndarray
    in_main_component: np.ndarray
    snap_edges: np.ndarray
    snap_tree: shapely.STRtree
    core: CoreGraph


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """A validated street network, compiled once per area; immutable.

    Build it with :meth:`from_frames`. Node and edge *positions* (0..n-1)
    index every array; ``node_ids`` maps positions back to OSM node ids and
    ``edge_labels`` to the row labels of the edges frame.

    Attributes
    ----------
    metric_crs : str
        The area's metric CRS; all coordinates below are in it.
    node_ids : numpy.ndarray
        OSM node id per node position (int64).
    node_xy : numpy.ndarray
        ``(n_nodes, 2)`` node coordinates in ``metric_crs``.
    edge_u, edge_v : numpy.ndarray
        Node positions of each edge's start and end (drawing direction).
    edge_length_m : numpy.ndarray
        Edge lengths in metres, as given by the edges frame.
    edge_geometry : numpy.ndarray
        Shapely LineStrings (u -> v) in ``metric_crs``.
    edge_labels : numpy.ndarray
        Row label of each edge in the edges frame the network was built from.
    graphs : Mapping[str, ModeGraph]
        One compiled graph per mode in :data:`MODES`.
    """

    metric_crs: str
    node_ids: np.ndarray
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_geometry: np.ndarray
    edge_labels: np.ndarray
    graphs: Mapping[str, ModeGraph]

    @property
    def n_nodes(self) -> int:
        """Number of street nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of edge rows (parallel edges counted separately)."""
        return len(self.edge_u)

    def graph(self, mode: str) -> ModeGraph:
        """Return the compiled graph of ``mode``, or raise InputError naming the modes."""
        try:
            return self.graphs[mode]
        except KeyError:
            raise InputError(
                f"unknown travel mode {mode!r}; use one of {', '.join(MODES)}"
            ) from None

    def largest_component_share(self, mode: str) -> float:
        """Share (0..1) of the nodes ``mode`` uses that lie in its largest strongly
        connected component, i.e. where points can be snapped; 0.0 when the mode
        has no street at all."""
        graph = self.graph(mode)
        usable = graph.edge_usable
        touched = np.zeros(self.n_nodes, dtype=bool)
        touched[self.edge_u[usable]] = True
        touched[self.edge_v[usable]] = True
        n_touched = int(touched.sum())
        if n_touched == 0:
            return 0.0
        return float(graph.in_main_component.sum()) / n_touched

    @classmethod
    def from_frames(
        cls, nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, metric_crs: str
    ) -> StreetNetwork:
        """Validate the network frames and compile them.

        Parameters
        ----------
        nodes : geopandas.GeoDataFrame
            Indexed by OSM node id, Point geometry, any CRS (EPSG:4326 by contract).
        edges : geopandas.GeoDataFrame
            One row per segment with the columns of :data:`REQUIRED_EDGE_COLUMNS`.
        metric_crs : str
            The area's metric CRS (see :func:`geogrid.crs.metric_crs_for`).

        Returns
        -------
        StreetNetwork

        Raises
        ------
        InputError
            Listing every problem at once: missing columns, edges whose
            endpoints are not nodes, negative or missing lengths, missing
            geometries, duplicate node ids.
        CRSError
            A frame has no CRS, or ``metric_crs`` is not a projected CRS.
        """
        metric = _check_metric_crs(metric_crs)
        node_index, u_pos, v_pos, length_m = _validate_frames(nodes, edges)

        node_xy_frame = nodes.geometry.to_crs(metric)
        node_xy = shapely.get_coordinates(node_xy_frame.values)
        edge_geometry = np.asarray(edges.geometry.to_crs(metric).values, dtype=object)
        _check_edge_direction(edges.index.to_numpy(), edge_geometry, node_xy, u_pos, v_pos)

        flags = {col: edges[col].to_numpy(dtype=bool) for col in MODES}
        oneway = {
            "walk": np.zeros(len(edges), dtype=bool),
            "bike": edges["oneway_bike"].to_numpy(dtype=bool),
            "drive": edges["oneway_drive"].to_numpy(dtype=bool),
        }
        n_nodes = len(node_index)
        graphs = {
            mode: _compile_mode(
                mode, n_nodes, u_pos, v_pos, length_m, flags[mode], ~oneway[mode], edge_geometry
            )
            for mode in MODES
        }
        return cls(
            metric_crs=metric,
            node_ids=_frozen(node_index.to_numpy(dtype=np.int64)),
            node_xy=_frozen(node_xy),
            edge_u=_frozen(u_pos),
            edge_v=_frozen(v_pos),
            edge_length_m=_frozen(length_m),
            edge_geometry=_frozen(edge_geometry),
            edge_labels=_frozen(edges.index.to_numpy()),
            graphs=MappingProxyType(graphs),
        )


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


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Travel times and distances between snapped origins and destinations.

    Attributes
    ----------
    seconds : numpy.ndarray
        ``(n_origins, n_destinations)`` travel time in seconds (``inf`` where
        unreachable and ``unreachable="inf"``).
    metres : numpy.ndarray
        Same shape, distance in metres: access leg + street + access leg.
    origins, destinations : Snaps
        Where each point was put on the network.
    mode : str
        Travel mode.
    speed_kmh : float
        The speed the seconds were computed with.
    """

    seconds: np.ndarray
    metres: np.ndarray
    origins: Snaps
    destinations: Snaps
    mode: str
    speed_kmh: float


# ------------------------------------------------------------------- validation


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.flags.writeable = False
    return array


def _check_metric_crs(metric_crs: str) -> str:
    try:
        crs = CRS(metric_crs)
    except Exception as err:  # pyproj raises its own CRSError subclasses
        raise CRSError(
            f"metric CRS {metric_crs!r} is not understood; pass e.g. the result of "
            "geogrid.crs.metric_crs_for(bounds)"
        ) from err
    if not crs.is_projected:
        raise CRSError(
            f"metric CRS {metric_crs!r} is not projected (not in metres); pass e.g. the "
            "result of geogrid.crs.metric_crs_for(bounds)"
        )
    return str(metric_crs)


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown += f" ... and {len(items) - _MAX_LISTED} more"
    return shown


def _validate_frames(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Check the frames against the contract; return node index, u/v positions, lengths."""
    for frame, what in ((nodes, "network nodes"), (edges, "network edges")):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
        if frame.crs is None:
            raise CRSError(
                f"{what} have no coordinate reference system; set one (EPSG:4326 for "
                "lon/lat) before building the street network"
            )

    missing = [c for c in REQUIRED_EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise InputError(
            "network edges lack required columns: "
            + ", ".join(missing)
            + "; see docs/ARCHITECTURE.md, 'Street network frames'"
        )

    problems: list[str] = []
    node_index = nodes.index
    if not node_index.is_unique:
        dup = node_index[node_index.duplicated()].unique()
        problems.append("network nodes: duplicate node ids " + _listed([str(d) for d in dup]))
    node_geom = nodes.geometry.values
    bad_nodes = ~(shapely.get_type_id(node_geom) == 0) | shapely.is_empty(node_geom)
    if bad_nodes.any():
        problems.append(
            "network nodes: not a Point geometry for node ids "
            + _listed([str(i) for i in node_index[bad_nodes]])
        )

    labels = edges.index.to_numpy()

    def rows(mask: np.ndarray) -> str:
        return _listed([str(label) for label in labels[mask]])

    try:
        u_ids = pd.to_numeric(edges["u"]).to_numpy()
        v_ids = pd.to_numeric(edges["v"]).to_numpy()
    except (TypeError, ValueError) as err:
        raise InputError("network edges: columns u and v must hold integer node ids") from err
    lookup = node_index.drop_duplicates() if not node_index.is_unique else node_index
    u_pos = lookup.get_indexer(u_ids)
    v_pos = lookup.get_indexer(v_ids)
    for name, pos, ids in (("u", u_pos, u_ids), ("v", v_pos, v_ids)):
        absent = pos < 0
        if absent.any():
            examples = ", ".join(str(i) for i in pd.unique(ids[absent])[:5])
            problems.append(
                f"network edges rows {rows(absent)}: endpoint {name} is not a node "
                f"(e.g. node id {examples}); add the nodes or drop these edges"
            )

    length_m = pd.to_numeric(edges["length_m"], errors="coerce").to_numpy(dtype=float)
    bad_length = ~np.isfinite(length_m) | (length_m < 0)
    if bad_length.any():
        problems.append(
            f"network edges rows {rows(bad_length)}: length_m is negative, missing or not a "
            "number; recompute it as the geodesic length of the segment in metres"
        )

    geom = edges.geometry.values
    bad_geom = (shapely.get_type_id(geom) != 1) | shapely.is_empty(geom)
    if bad_geom.any():
        problems.append(
            f"network edges rows {rows(bad_geom)}: geometry is not a LineString from u to v"
        )

    for col in (*MODES, "oneway_bike", "oneway_drive"):
        values = edges[col]
        if values.isna().any() or not (
            pd.api.types.is_bool_dtype(values) or values.isin([0, 1]).all()
        ):
            bad = values.isna().to_numpy() | ~values.isin([True, False, 0, 1]).to_numpy()
            problems.append(f"network edges rows {rows(bad)}: column {col} must be true/false")

    if problems:
        raise InputError("the street network frames are invalid", problems)
    return node_index, u_pos.astype(np.int64), v_pos.astype(np.int64), length_m


def _check_edge_direction(
    labels: np.ndarray,
    edge_geometry: np.ndarray,
    node_xy: np.ndarray,
    u_pos: np.ndarray,
    v_pos: np.ndarray,
) -> None:
    """Refuse geometries that do not run from node u to node v (fractions would flip)."""
    start = shapely.get_coordinates(shapely.get_point(edge_geometry, 0))
    end = shapely.get_coordinates(shapely.get_point(edge_geometry, -1))
    off = np.maximum(np.hypot(*(start - node_xy[u_pos]).T), np.hypot(*(end - node_xy[v_pos]).T))
    bad = off > _ENDPOINT_TOLERANCE_M
    if bad.any():
        raise InputError(
            "the street network frames are invalid",
            [
                f"network edges rows {_listed([str(x) for x in labels[bad]])}: geometry does "
                f"not run from node u to node v (ends up to {off[bad].max():.0f} m away); "
                "draw each segment from u to v"
            ],
        )


# -------------------------------------------------------------------- compiling


def _build_csr(
    n_nodes: int, tails: np.ndarray, heads: np.ndarray, lengths: np.ndarray, edge: np.ndarray
) -> tuple[csr_matrix, np.ndarray]:
    """CSR of arc lengths keeping the MINIMUM of parallel arcs (never their sum).

    Returns the matrix and, aligned with its ``data``, the edge position of
    each kept arc. Zero lengths stay as explicit zeros (dijkstra treats them
    as edges).
    """
    order = np.lexsort((lengths, heads, tails))
    tails, heads, lengths, edge = tails[order], heads[order], lengths[order], edge[order]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, lengths, edge = tails[first], heads[first], lengths[first], edge[first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n_nodes), out=indptr[1:])
    matrix = csr_matrix(
        (lengths.astype(np.float64), heads.astype(np.int32), indptr.astype(np.int32)),
        shape=(n_nodes, n_nodes),
    )
    return matrix, edge


def _arcs(
    u_pos: np.ndarray,
    v_pos: np.ndarray,
    length_m: np.ndarray,
    usable: np.ndarray,
    twoway: np.ndarray,
    edge_pos: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Directed arcs (tail, head, length, edge position) of usable edges."""
    if edge_pos is None:
        edge_pos = np.arange(len(u_pos))
    fwd = usable
    back = usable & twoway
    tails = np.concatenate([u_pos[fwd], v_pos[back]])
    heads = np.concatenate([v_pos[fwd], u_pos[back]])
    lengths = np.concatenate([length_m[fwd], length_m[back]])
    edges = np.concatenate([edge_pos[fwd], edge_pos[back]])
    return tails, heads, lengths, edges


def _compile_mode(
    mode: str,
    n_nodes: int,
    u_pos: np.ndarray,
    v_pos: np.ndarray,
    length_m: np.ndarray,
    usable: np.ndarray,
    twoway: np.ndarray,
    edge_geometry: np.ndarray,
) -> ModeGraph:
    tails, heads, lengths, edge = _arcs(u_pos, v_pos, length_m, usable, twoway)
    matrix, arc_edge = _build_csr(n_nodes, tails, heads, lengths, edge)

    # Largest strongly connected component among nodes the mode touches.
    touched = np.zeros(n_nodes, dtype=bool)
    touched[tails] = True
    touched[heads] = True
    in_main = np.zeros(n_nodes, dtype=bool)
    if touched.any():
        _, labels = connected_components(matrix, directed=True, connection="strong")
        counts = np.bincount(labels[touched])
        in_main = labels == int(np.argmax(counts))
        in_main &= touched
        if counts.max() < 2:  # only oneway dead ends: no part with a way back
            in_main[:] = False
    snap_edges = np.flatnonzero(usable & in_main[u_pos] & in_main[v_pos])
    tree = shapely.STRtree(edge_geometry[snap_edges])
    return ModeGraph(
        mode=mode,
        lengths=matrix,
        arc_edge=_frozen(arc_edge),
        edge_usable=_frozen(usable.copy()),
        edge_twoway=_frozen(twoway.copy()),
        in_main_component=_frozen(in_main),
        snap_edges=_frozen(snap_edges),
        snap_tree=tree,
        core=_contract(matrix, n_nodes),
    )


# ------------------------------------------------------------- contraction


def _arc_lookup(matrix: csr_matrix, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Index into ``matrix.data`` of each arc (tail, head), -1 where there is none."""
    n = matrix.shape[0]
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    keys = row * n + matrix.indices  # sorted: CSR rows in order, heads sorted in rows
    wanted = np.asarray(tails, dtype=np.int64) * n + np.asarray(heads, dtype=np.int64)
    at = np.searchsorted(keys, wanted)
    at_c = np.minimum(at, max(len(keys) - 1, 0))
    found = (at < len(keys)) & (keys[at_c] == wanted) if len(keys) else np.zeros(len(wanted), bool)
    return np.where(found, at_c, -1)


def _walk_chains(
    interior: np.ndarray, nb0: np.ndarray, nb1: np.ndarray
) -> tuple[list[list[int]], np.ndarray]:
    """Node sequences ``n0 .. nk`` of all chains; cycles without a junction get one.

    Returns the chains and the (possibly reduced) interior mask.
    """
    interior = interior.copy()
    inside = interior.tolist()
    first = nb0.tolist()
    second = nb1.tolist()
    seen = [False] * len(inside)
    chains: list[list[int]] = []
    for x in np.flatnonzero(interior).tolist():
        if seen[x]:
            continue
        prev, cur = x, first[x]
        while inside[cur] and cur != x:  # find one end
            prev, cur = cur, (first[cur] if first[cur] != prev else second[cur])
        if cur == x:  # a cycle of degree-2 nodes: x becomes its junction
            inside[x] = False
            interior[x] = False
            prev = first[x]
        end, nxt = cur, prev
        seq = [end]
        p, c = end, nxt
        while inside[c]:
            seq.append(c)
            seen[c] = True
            p, c = c, (first[c] if first[c] != p else second[c])
        seq.append(c)
        chains.append(seq)
    return chains, interior


def _contract(matrix: csr_matrix, n_nodes: int) -> CoreGraph:
    """Contract chains of degree-2 nodes of one mode's arc matrix (see CoreGraph)."""
    tails = np.repeat(np.arange(n_nodes), np.diff(matrix.indptr))
    heads = matrix.indices.astype(np.int64)
    loop = np.zeros(n_nodes, dtype=bool)
    loop[tails[tails == heads]] = True
    proper = tails != heads
    ones = np.ones(int(proper.sum()))
    pattern = csr_matrix((ones, (tails[proper], heads[proper])), shape=(n_nodes, n_nodes))
    pattern = (pattern + pattern.T).tocsr()
    pattern.sum_duplicates()
    pattern.sort_indices()
    degree = np.diff(pattern.indptr)
    candidate = (degree == 2) & ~loop
    start = pattern.indptr[:-1]
    padded = np.append(pattern.indices, [-1, -1])  # safe reads past the last row
    nb0 = np.where(candidate, padded[start], -1)
    nb1 = np.where(candidate, padded[start + 1], -1)
    cand = np.flatnonzero(candidate)
    p, q = nb0[cand], nb1[cand]
    out_p = _arc_lookup(matrix, cand, p) >= 0
    in_p = _arc_lookup(matrix, p, cand) >= 0
    out_q = _arc_lookup(matrix, cand, q) >= 0
    in_q = _arc_lookup(matrix, q, cand) >= 0
    twoway = out_p & in_p & out_q & in_q
    through = (in_p & out_q & ~out_p & ~in_q) | (in_q & out_p & ~out_q & ~in_p)
    interior = np.zeros(n_nodes, dtype=bool)
    interior[cand[twoway | through]] = True

    chains, interior = _walk_chains(interior, nb0, nb1)
    # Orient oneway chains in their direction of travel.
    for k, seq in enumerate(chains):
        if _arc_lookup(matrix, np.asarray(seq[:1]), np.asarray(seq[1:2]))[0] < 0:
            chains[k] = seq[::-1]
    sizes = np.array([len(s) for s in chains], dtype=np.int64)
    chain_ptr = np.zeros(len(chains) + 1, dtype=np.int64)
    np.cumsum(sizes, out=chain_ptr[1:])
    chain_nodes = (
        np.concatenate([np.asarray(s, dtype=np.int64) for s in chains])
        if chains
        else np.zeros(0, dtype=np.int64)
    )
    chain_id = np.repeat(np.arange(len(chains)), sizes)
    link = np.ones(len(chain_nodes), dtype=bool)  # link i -> i + 1 within a chain
    link[chain_ptr[1:] - 1] = False
    a, b = chain_nodes[link], chain_nodes[np.flatnonzero(link) + 1]
    fwd_at = _arc_lookup(matrix, a, b)
    bwd_at = _arc_lookup(matrix, b, a)
    assert (fwd_at >= 0).all()
    chain_twoway = np.ones(len(chains), dtype=bool)
    np.logical_and.at(chain_twoway, chain_id[link], bwd_at >= 0)
    fwd_step = np.zeros(len(chain_nodes))
    bwd_step = np.zeros(len(chain_nodes))
    fwd_step[np.flatnonzero(link) + 1] = matrix.data[fwd_at]
    bwd_step[np.flatnonzero(link) + 1] = np.where(bwd_at >= 0, matrix.data[bwd_at], 0.0)
    chain_fwd_m = _segmented_cumsum(fwd_step, chain_ptr)
    chain_bwd_m = _segmented_cumsum(bwd_step, chain_ptr)

    node_chain = np.full(n_nodes, -1, dtype=np.int64)
    node_chain_pos = np.full(n_nodes, -1, dtype=np.int64)
    inner = np.ones(len(chain_nodes), dtype=bool)
    inner[chain_ptr[:-1]] = False
    inner[chain_ptr[1:] - 1] = False
    node_chain[chain_nodes[inner]] = chain_id[inner]
    node_chain_pos[chain_nodes[inner]] = (np.arange(len(chain_nodes)) - chain_ptr[chain_id])[inner]

    touched = np.zeros(n_nodes, dtype=bool)
    touched[tails] = True
    touched[heads] = True
    core_nodes = np.flatnonzero(touched & ~interior)
    node_core = np.full(n_nodes, -1, dtype=np.int64)
    node_core[core_nodes] = np.arange(len(core_nodes))

    plain = ~interior[tails] & ~interior[heads]
    n0 = chain_nodes[chain_ptr[:-1]]
    nk = chain_nodes[chain_ptr[1:] - 1]
    total_fwd = chain_fwd_m[chain_ptr[1:] - 1]
    total_bwd = chain_bwd_m[chain_ptr[1:] - 1]
    open_ = n0 != nk
    back = open_ & chain_twoway
    core_tails = np.concatenate([tails[plain], n0[open_], nk[back]])
    core_heads = np.concatenate([heads[plain], nk[open_], n0[back]])
    core_lens = np.concatenate([matrix.data[plain], total_fwd[open_], total_bwd[back]])
    keep = core_tails != core_heads
    core, _ = _build_csr(
        len(core_nodes),
        node_core[core_tails[keep]],
        node_core[core_heads[keep]],
        core_lens[keep],
        np.zeros(int(keep.sum()), dtype=np.int64),
    )
    return CoreGraph(
        lengths=core,
        core_nodes=_frozen(core_nodes),
        node_core=_frozen(node_core),
        node_chain=_frozen(node_chain),
        node_chain_pos=_frozen(node_chain_pos),
        chain_ptr=_frozen(chain_ptr),
        chain_nodes=_frozen(chain_nodes),
        chain_fwd_m=_frozen(chain_fwd_m),
        chain_bwd_m=_frozen(chain_bwd_m),
        chain_twoway=_frozen(chain_twoway),
    )


def _segmented_cumsum(steps: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Cumulative sums of ``steps`` restarting at every segment start of ``ptr``."""
    if len(steps) == 0:
        return steps.copy()
    total = np.cumsum(steps)
    base = np.repeat(total[ptr[:-1]] - steps[ptr[:-1]], np.diff(ptr))
    return total - base


# --------------------------------------------------------------------- snapping


def _points_metric(points: Any, metric_crs: str, what: str) -> tuple[tuple, np.ndarray]:
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
    ids: tuple,
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
        f"{mode}: " + _listed(notes) + "; move the points, check the mode, or raise max_snap_m",
        [ids[i] for i in far_idx],
    )


# ------------------------------------------------------------ virtual nodes


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


# ------------------------------------------------------------------ dijkstra

_WORKER_GRAPH: csr_matrix | None = None
_WORKER_TARGETS: np.ndarray | None = None


def _init_worker(matrix: csr_matrix, targets: np.ndarray) -> None:
    global _WORKER_GRAPH, _WORKER_TARGETS
    _WORKER_GRAPH = matrix
    _WORKER_TARGETS = targets


def _dijkstra_block(sources: np.ndarray) -> np.ndarray:
    assert _WORKER_GRAPH is not None and _WORKER_TARGETS is not None
    return _distances(_WORKER_GRAPH, sources, _WORKER_TARGETS)


def _distances(matrix: csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    out = np.empty((len(sources), len(targets)))
    for start in range(0, len(sources), _CHUNK_SOURCES):
        block = sources[start : start + _CHUNK_SOURCES]
        full = dijkstra(matrix, directed=True, indices=block)
        out[start : start + len(block)] = full[:, targets]
    return out


def _cpu_count() -> int:
    """CPUs this process may run on (the affinity mask in containers), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _distance_block(
    matrix: csr_matrix, sources: np.ndarray, targets: np.ndarray, workers: int | None
) -> np.ndarray:
    """Shortest distances sources x targets, split over forked processes when it pays."""
    if workers is None:
        work = len(sources) * matrix.shape[0]
        workers = _cpu_count() if work >= _PARALLEL_MIN_WORK else 1
    workers = max(1, min(int(workers), len(sources)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _distances(matrix, sources, targets)
    parts = np.array_split(sources, workers)
    context = multiprocessing.get_context("fork")
    # fork: the children inherit matrix/targets through initargs without pickling.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(matrix, targets),
    ) as pool:
        blocks = list(pool.map(_dijkstra_block, parts))
    return np.vstack(blocks)


def _ends(
    local: csr_matrix, nodes: np.ndarray, n_core: int, columns: slice
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Core nodes each of ``nodes`` reaches in ``local``, padded with cost inf.

    Returns (core node, cost) arrays of shape ``(len(nodes), m)`` and the
    local distance rows of the nodes that are not core nodes themselves.
    """
    is_core = nodes < n_core
    rows = dijkstra(local, directed=True, indices=nodes[~is_core])
    block = rows[:, columns]
    finite = np.isfinite(block)
    m = max(1, int(finite.sum(axis=1).max(initial=0)))
    order = np.argsort(~finite, axis=1, kind="stable")[:, :m]
    end = np.zeros((len(nodes), m), dtype=np.int64)
    cost = np.full((len(nodes), m), np.inf)
    end[~is_core] = order
    cost[~is_core] = np.take_along_axis(block, order, axis=1)
    end[is_core, 0] = nodes[is_core]
    cost[is_core, 0] = 0.0
    return end, cost, rows


def _street_metres(
    core: csr_matrix,
    local: csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    workers: int | None,
) -> np.ndarray:
    """Shortest metres from each source to each target node of ``local`` (see
    :func:`_local_graph`), searching the contracted core only once per core node.

    Every path either stays local (source and target on one chain or segment)
    or leaves the source's chain at one of its ends ``e``, crosses the core
    to ``f`` and enters the target's chain: ``local(s, e) + core(e, f) +
    local(f, t)``. The shortest-path searches run from the distinct ends
    ``e`` on the core graph, which is far smaller than the street graph.
    """
    n_core = core.shape[0]
    n_total = local.shape[0] - n_core
    exit_node, exit_cost, out_rows = _ends(local, sources, n_core, slice(n_total, None))
    entry_node, entry_cost, _ = _ends(local.T.tocsr(), targets, n_core, slice(0, n_core))
    # Local paths: from sources off the core straight to targets off the core.
    street = np.full((len(sources), len(targets)), np.inf)
    off_s, off_t = sources >= n_core, targets >= n_core
    street[np.ix_(off_s, off_t)] = out_rows[:, targets[off_t]]

    exits = np.unique(exit_node[np.isfinite(exit_cost)])
    entries = np.unique(entry_node[np.isfinite(entry_cost)])
    if len(exits) == 0 or len(entries) == 0:
        return street
    across = _distance_block(core, exits, entries, workers)
    exit_at = np.minimum(np.searchsorted(exits, exit_node), len(exits) - 1)
    entry_at = np.minimum(np.searchsorted(entries, entry_node), len(entries) - 1)
    to_entry = np.full((len(sources), len(entries)), np.inf)  # source -> core entry
    for a in range(exit_node.shape[1]):
        np.minimum(to_entry, across[exit_at[:, a]] + exit_cost[:, a, None], out=to_entry)
    for b in range(entry_node.shape[1]):
        np.minimum(street, to_entry[:, entry_at[:, b]] + entry_cost[None, :, b], out=street)
    return street


def _speed(mode: str, speed_kmh: float | None) -> float:
    if speed_kmh is None:
        return DEFAULT_SPEEDS_KMH[mode]
    speed = float(speed_kmh)
    if not np.isfinite(speed) or speed <= 0:
        raise InputError(f"speed_kmh must be a positive number, got {speed_kmh!r}")
    return speed


def travel_time_matrix(
    network: StreetNetwork,
    origins: Any,
    destinations: Any = None,
    mode: str = "walk",
    speed_kmh: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    unreachable: Literal["raise", "inf"] = "raise",
    workers: int | None = None,
    component: Literal["largest", "any"] = "largest",
) -> TravelTimeMatrix:
    """Travel times along the streets between every origin and destination.

    Exact along the street: each point is snapped (see :func:`snap_points`)
    and its segment split there; the straight access leg from the point to
    the street counts at the same speed at both ends. A point to itself is 0.

    Parameters
    ----------
    network : StreetNetwork
    origins : GeoSeries, GeoDataFrame, shapely Point or sequence of Points
        See :func:`snap_points`.
    destinations : same as origins, optional
        Defaults to the origins (a square matrix).
    mode : str
        "walk", "bike" or "drive". Oneway streets bind bike and drive.
    speed_kmh : float, optional
        Defaults to ``DEFAULT_SPEEDS_KMH[mode]``.
    max_snap_m : float
        Refuse points farther than this from a usable street.
    unreachable : {"raise", "inf"}
        What to do with pairs that cannot reach each other (possible only
        with ``component="any"``): raise NetworkError naming them, or
        return ``inf``.
    workers : int, optional
        Processes for the shortest-path searches. Default: all CPUs when the
        job is big enough to pay for forking, else 1. ``1`` never forks.
    component : {"largest", "any"}
        See :func:`snap_points`.

    Returns
    -------
    TravelTimeMatrix

    Raises
    ------
    NetworkError
        A point is too far from the network, or (``unreachable="raise"``)
        some origins cannot reach some destinations.
    """
    if unreachable not in ("raise", "inf"):
        raise InputError(f"unreachable must be 'raise' or 'inf', got {unreachable!r}")
    graph = network.graph(mode)
    speed = _speed(mode, speed_kmh)
    origin_snaps = snap_points(network, origins, mode, max_snap_m, component)
    if destinations is None:
        dest_snaps = origin_snaps
    else:
        dest_snaps = snap_points(network, destinations, mode, max_snap_m, component)
    n_o, n_d = len(origin_snaps), len(dest_snaps)
    if n_o == 0 or n_d == 0:
        empty = np.zeros((n_o, n_d))
        return TravelTimeMatrix(empty, empty.copy(), origin_snaps, dest_snaps, mode, speed)

    edge = np.concatenate([origin_snaps.edge, dest_snaps.edge])
    fraction = np.concatenate([origin_snaps.fraction, dest_snaps.fraction])
    local, point_node = _local_graph(network, graph, edge, fraction)
    o_node, d_node = point_node[:n_o], point_node[n_o:]

    sources, source_row = np.unique(o_node, return_inverse=True)
    targets, target_col = np.unique(d_node, return_inverse=True)
    street = _street_metres(graph.core.lengths, local, sources, targets, workers)
    metres = street[source_row.ravel()][:, target_col.ravel()]
    metres += origin_snaps.distance_m[:, None] + dest_snaps.distance_m[None, :]

    # A point to itself (same coordinates) is 0, not a round trip to the street.
    o_xy = shapely.get_coordinates(origin_snaps.source)
    d_xy = shapely.get_coordinates(dest_snaps.source)
    same = (o_xy[:, None, 0] == d_xy[None, :, 0]) & (o_xy[:, None, 1] == d_xy[None, :, 1])
    metres[same] = 0.0

    bad = ~np.isfinite(metres)
    if bad.any() and unreachable == "raise":
        rows, cols = np.nonzero(bad)
        pairs = [(origin_snaps.ids[r], dest_snaps.ids[c]) for r, c in zip(rows, cols, strict=True)]
        raise NetworkError(
            f"{len(pairs)} origin-destination pair(s) cannot reach each other by {mode}: "
            + _listed([f"{o!r} -> {d!r}" for o, d in pairs])
            + "; the points sit on parts of the network that are not connected "
            "(check oneways and missing links), or pass unreachable='inf'",
            pairs,
        )
    seconds = metres / (speed / 3.6)
    return TravelTimeMatrix(
        seconds=seconds,
        metres=metres,
        origins=origin_snaps,
        destinations=dest_snaps,
        mode=mode,
        speed_kmh=speed,
    )


# -------------------------------------------------------------------- routes


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


# ------------------------------------------------------------------- networkx


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
    pos = index.get_indexer(wanted)
    if (pos < 0).any():
        missing = [str(i) for i in wanted[pos < 0]]
        raise InputError(f"node ids not in the street network: {_listed(missing)}")
    return pos
