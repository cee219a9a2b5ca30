"""Compiling the validated frames: one CSR graph per travel mode, and its contracted core.

:meth:`StreetNetwork.from_frames` validates the frames (see
:mod:`geogrid.network.frames`) and compiles them into immutable arrays: for
each mode ("walk", "bike", "drive") a ``scipy.sparse`` CSR matrix of edge
lengths in metres over node positions (:class:`ModeGraph`), and the same
graph with its chains of degree-2 nodes contracted into single arcs
(:class:`CoreGraph`), on which travel-time matrices run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geogrid.errors import InputError
from geogrid.network.frames import (
    MODES,
    _check_edge_direction,
    _check_metric_crs,
    _frozen,
    _validate_frames,
)

# ------------------------------------------------------------------------ data


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


# ------------------------------------------------------------------- compiling


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


# ----------------------------------------------------------------- contraction


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
    restarted: np.ndarray = total - base
    return restarted
