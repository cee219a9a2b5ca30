"""Travel-time matrices: multi-source Dijkstra on the contracted core.

:func:`travel_time_matrix` is exact along the street: each snapped point
becomes a virtual node that splits its segment, and the straight access leg
from the point to the street is walked (or ridden) at the same speed. Each
point is linked to the ends of its chain by exact along-chain metres, and
:func:`scipy.sparse.csgraph.dijkstra` runs on the core only, from the
distinct chain ends the origins leave by.

scipy holds the GIL while it runs, so big jobs may be split over worker
processes, but only when the caller asks for more than one (``workers``);
the library default is one process, because callers run in web job threads
where forking is unsafe. Workers are started by a forkserver (spawn where
there is none), never by plain fork.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geogrid.errors import InputError, NetworkError
from geogrid.network.compile import StreetNetwork
from geogrid.network.frames import _listed
from geogrid.network.snap import DEFAULT_MAX_SNAP_M, Snaps, _local_graph, snap_points

DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {"walk": 4.5, "bike": 15.0, "drive": 30.0}
)
"""Default travel speeds in km/h; "bike" is an e-bike. Override per call."""

# Below this many (sources x nodes) one process is faster than starting a pool.
_PARALLEL_MIN_WORK = 4_000_000
# Sources per dijkstra call: bounds the (sources x nodes) float64 block in memory.
_CHUNK_SOURCES = 64


# ------------------------------------------------------------------------ data


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


# -------------------------------------------------------------------- dijkstra


@dataclass
class _WorkerState:
    """What a pool process got from :func:`_init_worker` (the graph and the targets)."""

    graph: csr_matrix | None = None
    targets: np.ndarray | None = None


_WORKER = _WorkerState()


def _init_worker(matrix: csr_matrix, targets: np.ndarray) -> None:
    _WORKER.graph = matrix
    _WORKER.targets = targets


def _dijkstra_block(sources: np.ndarray) -> np.ndarray:
    assert _WORKER.graph is not None and _WORKER.targets is not None
    return _distances(_WORKER.graph, sources, _WORKER.targets)


def _distances(matrix: csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    out = np.empty((len(sources), len(targets)))
    for start in range(0, len(sources), _CHUNK_SOURCES):
        block = sources[start : start + _CHUNK_SOURCES]
        full = dijkstra(matrix, directed=True, indices=block)
        out[start : start + len(block)] = full[:, targets]
    return out


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask in containers), at least 1.

    A good ``workers`` for :func:`travel_time_matrix` in a command-line run;
    the library itself defaults to one process.
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _pool_context() -> multiprocessing.context.BaseContext:
    """Start method for worker processes that is safe from threaded callers.

    Never plain fork: a caller may run in a thread (a web job under gunicorn's
    threaded workers), and a forked child can inherit a lock another thread
    held and hang. A forkserver is a fresh single-threaded process that forks
    the workers; it preloads this module once, so workers start without
    importing geopandas and scipy again. Spawn where there is no forkserver.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # no effect once the server runs
        return context
    return multiprocessing.get_context("spawn")


def _distance_block(
    matrix: csr_matrix, sources: np.ndarray, targets: np.ndarray, workers: int
) -> np.ndarray:
    """Shortest distances sources x targets, split over up to ``workers`` processes
    when the job is big enough to pay for starting them (one process otherwise)."""
    workers = max(1, min(int(workers), len(sources)))
    if workers == 1 or len(sources) * matrix.shape[0] < _PARALLEL_MIN_WORK:
        return _distances(matrix, sources, targets)
    parts = np.array_split(sources, workers)
    # Each worker receives matrix/targets once, pickled through initargs.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(),
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
    workers: int,
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
    workers: int = 1,
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
    workers : int
        Most processes for the shortest-path searches; more than one are
        started only when the job is big enough to pay for them, from a
        forkserver (never by forking the caller, which may be a web job
        thread). Default 1: no process pool at all. Command-line runs pass
        :func:`available_cpus`.
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
