"""The street network frames: the contract between ``geogrid.io.osm`` and the network.

``nodes`` and ``edges`` are described in ``docs/ARCHITECTURE.md`` ("Street
network frames"). This module checks a pair of frames against that contract
once, listing every problem at once, before :mod:`geogrid.network.compile`
turns them into arrays; it also holds the small helpers every later step
shares (read-only arrays, "... and N more" lists).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geogrid.errors import CRSError, InputError

MODES: tuple[str, ...] = ("walk", "bike", "drive")
"""Travel modes, each a boolean column of the edges frame."""

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

# Edge geometry ends must lie this close to their u and v nodes.
_ENDPOINT_TOLERANCE_M = 1.0
# How many offending rows / points an error message lists before "... and N more".
_MAX_LISTED = 20


# ------------------------------------------------------------------ validation


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
