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
chain ends the origins leave by. scipy holds the GIL while it runs, so a
caller may split big jobs over worker processes (``workers`` in
:func:`travel_time_matrix`; one process by default, never forked from the
caller). Single routes run on the full graph, so they list every node they
pass.

One module per step, each importing only the ones before it:

* ``frames``: the frame contract and its validation;
* ``compile``: CSR per mode, contraction into the core, :class:`StreetNetwork`;
* ``snap``: points onto streets, and segments split at them (virtual nodes);
* ``matrix``: multi-source Dijkstra on the core, :func:`travel_time_matrix`;
* ``routes``: single routes, networkx export, node positions.
"""

from geogrid.network.compile import CoreGraph, ModeGraph, StreetNetwork
from geogrid.network.frames import MODES, REQUIRED_EDGE_COLUMNS
from geogrid.network.matrix import (
    DEFAULT_SPEEDS_KMH,
    TravelTimeMatrix,
    available_cpus,
    travel_time_matrix,
)
from geogrid.network.routes import node_positions, route_geometry, shortest_path, to_networkx
from geogrid.network.snap import DEFAULT_MAX_SNAP_M, Snaps, check_near_streets, snap_points

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SPEEDS_KMH",
    "MODES",
    "REQUIRED_EDGE_COLUMNS",
    "CoreGraph",
    "ModeGraph",
    "Snaps",
    "StreetNetwork",
    "TravelTimeMatrix",
    "available_cpus",
    "check_near_streets",
    "node_positions",
    "route_geometry",
    "shortest_path",
    "snap_points",
    "to_networkx",
    "travel_time_matrix",
]
