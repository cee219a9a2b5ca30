"""The street network frames: the contract between ``geogrid.io.osm`` and the network.

``nodes`` and ``edges`` are described in ``docs/ARCHITECTURE.md`` ("Street
network frames"); their columns, types and ranges are declared once, as
:class:`geogrid.layers.NodeProperties` and :class:`geogrid.layers.EdgeProperties`
(the ``nodes`` and ``edges`` layer specs). This module checks a pair of
frames against that contract once, listing every problem at once, before
:mod:`geogrid.network.compile` turns them into arrays; it also holds the small
helpers every later step shares (read-only arrays, "... and N more" lists).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geogrid.errors import CRSError, InputError
from geogrid.layers import SPECS, PropertySpec

MODES: tuple[str, ...] = SPECS["teams"].property("mode").choices or ()
"""Travel modes (the choices of ``TeamProperties.mode``), each a boolean column of the edges
frame."""

_NODES = SPECS["nodes"]
_EDGES = SPECS["edges"]

REQUIRED_EDGE_COLUMNS: tuple[str, ...] = (*(p.name for p in _EDGES.required), "geometry")
"""Columns every edges frame carries: the required properties of
:class:`geogrid.layers.EdgeProperties`, then ``geometry``."""

# Edge columns holding ids of the nodes frame: where the segment starts and ends.
_ENDPOINTS = ("u", "v")
# Unit symbols as a message spells them out.
_UNIT_WORDS = {"m": "metres"}
_CHECKED_KINDS = ("int", "float", "bool", "str")
if (
    not MODES
    or any(_EDGES.property(c).type != "int" for c in _ENDPOINTS)
    or any(c not in REQUIRED_EDGE_COLUMNS or _EDGES.property(c).type != "bool" for c in MODES)
    or any(p.type not in _CHECKED_KINDS for p in _EDGES.required)
):
    raise TypeError(
        "EdgeProperties must require u and v as whole numbers and every team mode as true/false, "
        "and hold only whole numbers, numbers, flags or text"
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
    bad_nodes = _wrong_geometry(node_geom, _NODES.geometry_types)
    if bad_nodes.any():
        problems.append(
            f"network nodes: not a {' or '.join(_NODES.geometry_types)} geometry for node ids "
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

    geom = edges.geometry.values
    bad_geom = _wrong_geometry(geom, _EDGES.geometry_types)
    if bad_geom.any():
        problems.append(
            f"network edges rows {rows(bad_geom)}: geometry is not a "
            f"{' or '.join(_EDGES.geometry_types)} from u to v"
        )

    for prop in _EDGES.required:
        if prop.name in _ENDPOINTS:
            continue
        bad = _bad_values(edges[prop.name], prop)
        if bad.any():
            problems.append(f"network edges rows {rows(bad)}: {_complaint(prop)}")

    length_m = pd.to_numeric(edges["length_m"], errors="coerce").to_numpy(dtype=float)
    if problems:
        raise InputError("the street network frames are invalid", problems)
    return node_index, u_pos.astype(np.int64), v_pos.astype(np.int64), length_m


def _wrong_geometry(geometry: np.ndarray, allowed: Sequence[str]) -> np.ndarray:
    """True where a geometry is empty or of a type the layer spec does not allow."""
    type_ids = [int(shapely.GeometryType[name.upper()]) for name in allowed]
    wrong: np.ndarray = ~np.isin(shapely.get_type_id(geometry), type_ids) | shapely.is_empty(
        geometry
    )
    return wrong


def _numbers(values: pd.Series) -> np.ndarray:
    """The column as floats; NaN where a value is missing or not a number."""
    if pd.api.types.is_bool_dtype(values):
        return np.full(len(values), np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bad_values(values: pd.Series, prop: PropertySpec) -> np.ndarray:
    """True where a required column's value breaks its declaration (kind, range)."""
    if prop.type == "bool":
        if not values.isna().any() and (
            pd.api.types.is_bool_dtype(values) or values.isin([0, 1]).all()
        ):
            return np.zeros(len(values), dtype=bool)
        return values.isna().to_numpy() | ~values.isin([True, False, 0, 1]).to_numpy()
    if prop.type == "str":
        try:
            stripped = values.str.strip()  # NaN where a value is not text
        except AttributeError:  # no text at all (a numeric or boolean column)
            return np.ones(len(values), dtype=bool)
        return (stripped.isna() | stripped.eq("")).to_numpy(dtype=bool)
    numbers = _numbers(values)
    with np.errstate(invalid="ignore"):
        bad: np.ndarray = ~np.isfinite(numbers)
        if prop.type == "int":
            bad |= numbers != np.round(numbers)
        if prop.minimum is not None:
            bad |= (numbers <= prop.minimum) if prop.minimum_exclusive else (numbers < prop.minimum)
        if prop.maximum is not None:
            bad |= numbers > prop.maximum
    return bad


def _complaint(prop: PropertySpec) -> str:
    """What is wrong with the rows of :func:`_bad_values`, and the fix, from the declaration."""
    what = prop.description.rstrip(".")
    if what[1:2].islower():
        what = what[0].lower() + what[1:]
    if prop.type == "bool":
        return f"column {prop.name} must be true/false"
    if prop.type == "str":
        return f"column {prop.name} must hold text ({what})"
    if prop.type == "int":
        return f"column {prop.name} must hold whole numbers ({what})"
    if prop.minimum == 0 and not prop.minimum_exclusive and prop.maximum is None:
        wrong = "is negative"
    else:
        wrong = f"is out of range ({prop.allowed()})"
    unit = _UNIT_WORDS.get(prop.unit, prop.unit)
    in_unit = f" in {unit}" if unit else ""
    return f"{prop.name} {wrong}, missing or not a number; recompute it as the {what}{in_unit}"


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
