"""Layer checks: parsed GeoJSON features and frames against a layer spec.

The rules come from :data:`geogrid.layers.SPECS` (file, geometry types) and
the property models of :mod:`geogrid.layers.schemas` (types, ranges, choices).

:func:`validate_features` checks parsed GeoJSON features (plain dicts, as
``json.load`` returns them) against a spec and returns every
:class:`Problem` it finds; it never raises for bad data and never reads
files. :func:`validate_layer` does the same for a GeoDataFrame.

Problems found
--------------
Errors (the feature cannot be used as is):

- the feature is not a GeoJSON Feature object, or its properties are not an object;
- null geometry, empty geometry, geometry that cannot be parsed;
- geometry type not allowed for the layer (e.g. a LineString in ``grids``);
- invalid polygon (self-intersection, ...), with the location from
  :func:`shapely.validation.explain_validity`;
- coordinates outside the WGS-84 range: either latitude/longitude swapped
  (``|x| <= 90`` and ``|y| > 90``) or projected data (metres);
- coordinates outside the expected area bbox that would fall inside it with
  x and y swapped (only when an ``expected_bbox`` is given);
- missing or null required property; wrong type; value out of range or not
  one of the allowed values; duplicate id.

When the same coordinate problem hits every feature of a layer (a projected
or swapped file) it is reported once for the whole layer.

Notes (fixed on load, nothing to do):

- clockwise (left-hand) polygon exterior rings or counter-clockwise holes;
  RFC 7946 section 3.1.6 asks for the right-hand rule, and
  :func:`geogrid.io.geojson.read_layer` reorients them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geogrid.layers.schemas import HHMM_PATTERN
from geogrid.layers.specs import POLYGONS, LayerSpec, PropertySpec, format_number

_HHMM = re.compile(HHMM_PATTERN)
_LOCATION = re.compile(r"^(?P<reason>[^\[]*)\[(?P<x>\S+) (?P<y>\S+)\]$")

Severity = Literal["error", "note"]

#: What :func:`shapely.geometry.shape` raises for a GeoJSON geometry it cannot read: missing or
#: wrong members (KeyError, AttributeError, TypeError), bad coordinates (ValueError, IndexError,
#: OverflowError for huge numbers) and GEOS's own errors (ShapelyError).
UNREADABLE_GEOMETRY: tuple[type[Exception], ...] = (
    ArithmeticError,
    AttributeError,
    LookupError,
    TypeError,
    ValueError,
    shapely.errors.ShapelyError,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with (or fixed in) a layer, phrased for a person.

    Parameters
    ----------
    source
        File the layer came from, e.g. ``"grids.geojson"``.
    feature_index
        0-based position in the ``features`` array (as ``features[3]``), or
        None for a problem of the whole layer.
    feature_id
        Value of the layer's id property (or the Feature ``id``), if any.
    property
        Property concerned, or None for geometry and feature-level problems.
    message
        What is wrong, e.g. ``"-5 is below 0"``.
    fix
        How to fix it, e.g. ``"households must be a whole number >= 0"``.
    severity
        ``"error"`` (the feature cannot be used) or ``"note"`` (fixed on load).
    """

    source: str
    feature_index: int | None
    feature_id: str | int | None
    property: str | None
    message: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.source
        if self.feature_index is not None:
            where += f" feature {self.feature_index}"
            if self.feature_id is not None:
                where += f" (id {self.feature_id!r})"
        if self.property is not None:
            where += f", property {self.property!r}"
        if self.severity == "note":
            return f"{where}: note: {self.message}; {self.fix}"
        return f"{where}: {self.message}; {self.fix}"


def _what(value: object) -> str:
    """Name the JSON type of ``value`` for a message."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: object) -> str:
    """Show a property value as it would appear in the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(value: object, prop: PropertySpec) -> str | None:
    """Return what is wrong with a non-null ``value`` of ``prop``, or None when it is fine."""
    kind = prop.type
    if kind == "str":
        if not isinstance(value, str):
            return f"{_show(value)} is {_what(value)}, not text"
        if prop.required and not value.strip():
            return "is empty"
    elif kind == "id":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"{_show(value)} is {_what(value)}, not an id"
        if isinstance(value, str) and not value.strip():
            return "is empty"
    elif kind in ("int", "float"):
        if isinstance(value, str):
            return f"{_show(value)} is text, not a number (write it without quotes)"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{_show(value)} is {_what(value)}, not a number"
        if not math.isfinite(value):
            return f"{value} is not a finite number"
        if kind == "int" and value != int(value):
            return f"{_show(value)} is not a whole number"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"{_show(value)} is {_what(value)}, not true/false"
    elif kind == "datetime":
        if not isinstance(value, str):
            return f"{_show(value)} is {_what(value)}, not an ISO-8601 date-time"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return f"{_show(value)} is not an ISO-8601 date-time"
        if moment.tzinfo is None or moment.utcoffset() is None:
            return f"{_show(value)} has no time zone"
    elif kind == "time" and not (isinstance(value, str) and _HHMM.fullmatch(value)):
        return f"{_show(value)} is not a 24-hour time HH:MM"
    if prop.choices is not None and value not in prop.choices:
        return f"{_show(value)} is not an allowed value"
    if not isinstance(value, int | float):
        return None
    if prop.minimum is not None and (
        value < prop.minimum or (prop.minimum_exclusive and value == prop.minimum)
    ):
        limit = "is not above" if prop.minimum_exclusive else "is below"
        return f"{_show(value)} {limit} {format_number(prop.minimum)}"
    if prop.maximum is not None and value > prop.maximum:
        return f"{_show(value)} is above {format_number(prop.maximum)}"
    return None


def _feature_id(feature: Mapping[str, Any], spec: LayerSpec) -> str | int | None:
    props = feature.get("properties")
    candidates = []
    if spec.id_property is not None and isinstance(props, Mapping):
        candidates.append(props.get(spec.id_property))
    candidates.append(feature.get("id"))
    for value in candidates:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _is_ccw_ok(geom: BaseGeometry) -> bool:
    """True when every exterior ring is counter-clockwise and every hole clockwise."""
    polygons = getattr(geom, "geoms", [geom])
    for polygon in polygons:
        if polygon.is_empty:
            continue
        if not polygon.exterior.is_ccw:
            return False
        if any(ring.is_ccw for ring in polygon.interiors):
            return False
    return True


@dataclass(frozen=True)
class _CoordIssue:
    kind: Literal["swapped", "projected", "bbox_swapped"]
    x: float
    y: float


def check_coordinates(
    geom: BaseGeometry,
    expected_bbox: tuple[float, float, float, float] | None = None,
) -> _CoordIssue | None:
    """Return a coordinate-range issue of ``geom`` (lon/lat expected), or None.

    Parameters
    ----------
    geom
        A non-empty geometry whose x, y should be longitude, latitude.
    expected_bbox
        ``(west, south, east, north)`` of the area, or None. When given, a
        geometry wholly outside it that would lie wholly inside it with x and
        y swapped is reported as ``"bbox_swapped"``.

    Returns
    -------
    An issue of kind ``"swapped"`` (|x| <= 90 and some |y| > 90: lat/lon
    order), ``"projected"`` (outside the WGS-84 range otherwise) or
    ``"bbox_swapped"``, with the first offending x, y; None when fine.
    """
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        return None
    x, y = coords[:, 0], coords[:, 1]
    out = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if out.any():
        first = int(np.argmax(out))
        swapped = bool(np.all((np.abs(x) <= 90) & (np.abs(y) <= 180)))
        kind: Literal["swapped", "projected"] = "swapped" if swapped else "projected"
        return _CoordIssue(kind, float(x[first]), float(y[first]))
    if expected_bbox is not None:
        west, south, east, north = expected_bbox
        inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
        inside_swapped = (y >= west) & (y <= east) & (x >= south) & (x <= north)
        if not inside.any() and inside_swapped.all():
            return _CoordIssue("bbox_swapped", float(x[0]), float(y[0]))
    return None


_SWAP_FIX = (
    "GeoJSON wants longitude first (x = lon, y = lat); swap the two numbers of every "
    "position, e.g. geopandas: frame.geometry.map(lambda g: shapely.ops.transform("
    "lambda x, y: (y, x), g))"
)
_PROJECTED_FIX = (
    "the data looks projected (metres); reproject it to EPSG:4326 lon/lat first, e.g. "
    "`ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson` or frame.to_crs(4326)"
)


def _coord_message(issue: _CoordIssue, bbox: tuple[float, float, float, float] | None) -> str:
    where = f"x={format_number(issue.x)}, y={format_number(issue.y)}"
    if issue.kind == "swapped":
        return f"coordinates look like latitude, longitude ({where}: y is beyond ±90)"
    if issue.kind == "projected":
        return f"coordinates {where} are outside the WGS-84 range (lon ±180, lat ±90)"
    shown = tuple(format_number(v) for v in bbox or ())
    return (
        f"coordinates ({where}) lie outside the area bbox {shown} "
        "but inside it with x and y swapped: latitude and longitude look swapped"
    )


def validate_features(
    features: Sequence[object],
    spec: LayerSpec,
    source: str,
    expected_bbox: tuple[float, float, float, float] | None = None,
) -> list[Problem]:
    """Check parsed GeoJSON features against a layer spec.

    Parameters
    ----------
    features
        The ``features`` array of a FeatureCollection, as plain dicts
        (``json.load`` output); geometries are GeoJSON geometry dicts.
    spec
        The layer's spec (see :data:`SPECS`).
    source
        File name used in messages, e.g. ``"grids.geojson"``.
    expected_bbox
        ``(west, south, east, north)`` of the area in lon/lat, or None; used
        to spot latitude/longitude swaps that stay within the WGS-84 range.

    Returns
    -------
    Every problem found, in feature order: errors and notes (see the module
    docstring for the list). An empty list means the layer is fine.
    """
    problems: list[Problem] = []
    coord_issues: list[tuple[int, str | int | None, _CoordIssue]] = []
    with_geometry = 0
    seen: dict[str, dict[str, int]] = {p.name: {} for p in spec.properties if p.unique}
    allowed = ", ".join(spec.geometry_types)

    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            problems.append(
                Problem(
                    source,
                    index,
                    None,
                    None,
                    f"is {_what(feature)}, not a GeoJSON Feature object",
                    'each entry of "features" must be {"type": "Feature", "geometry": ..., '
                    '"properties": {...}}',
                )
            )
            continue
        fid = _feature_id(feature, spec)

        def add(prop: str | None, message: str, fix: str, severity: Severity = "error") -> None:
            problems.append(Problem(source, index, fid, prop, message, fix, severity))  # noqa: B023

        # ---- geometry
        geometry = feature.get("geometry")
        if geometry is None:
            add(None, "has no geometry (null)", f"draw a {allowed} for it or delete the feature")
        elif not isinstance(geometry, Mapping) or "type" not in geometry:
            add(None, "geometry is not a GeoJSON geometry object", f"give it a {allowed}")
        elif geometry["type"] not in spec.geometry_types:
            add(
                None,
                f"geometry is a {geometry['type']}, but {spec.name} holds {allowed}",
                f"redraw it as a {allowed} or move it to the right layer",
            )
        else:
            try:
                geom = shape(geometry)
            except UNREADABLE_GEOMETRY as err:
                geom = None
                add(
                    None,
                    f"geometry cannot be read ({err})",
                    "check the coordinates array (polygon rings need >= 4 positions, first = last)",
                )
            if geom is not None and geom.is_empty:
                add(None, "geometry is empty", f"draw a {allowed} for it or delete the feature")
            elif geom is not None:
                with_geometry += 1
                issue = check_coordinates(geom, expected_bbox)
                if issue is not None:
                    coord_issues.append((index, fid, issue))
                elif geom.geom_type in POLYGONS:
                    if not geom.is_valid:
                        add(None, _invalid_message(geom), _INVALID_FIX)
                    if not _is_ccw_ok(geom):
                        add(
                            None,
                            "polygon rings are clockwise (left-hand rule)",
                            "nothing to do: reoriented to the right-hand rule (RFC 7946 "
                            "3.1.6) on load; saving the layer stores it that way",
                            "note",
                        )

        # ---- properties
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, Mapping):
            add(None, f"properties is {_what(props)}, not an object", 'write "properties": {...}')
            continue
        for prop in spec.properties:
            value = props.get(prop.name)
            if value is None:
                if prop.required:
                    fix = f"add it to every {spec.name} feature: {prop.rule()}"
                    add(prop.name, "is missing", fix)
                continue
            wrong = check_value(value, prop)
            if wrong is not None:
                add(prop.name, wrong, prop.rule())
                continue
            if prop.unique:
                key = str(value)
                first = seen[prop.name].setdefault(key, index)
                if first != index:
                    add(
                        prop.name,
                        f"{_show(value)} is also used by feature {first}",
                        f"give each feature its own {prop.name} ({prop.name} must be unique)",
                    )

    problems.extend(_coordinate_problems(coord_issues, with_geometry, source, expected_bbox))
    problems.sort(key=lambda p: -1 if p.feature_index is None else p.feature_index)
    return problems


_INVALID_FIX = (
    "redraw the outline so its edges do not cross or touch, or repair it "
    "(shapely.make_valid, QGIS 'Fix geometries')"
)


def _invalid_message(geom: BaseGeometry) -> str:
    reason = explain_validity(geom)
    match = _LOCATION.match(reason)
    if match is None:
        return f"polygon is invalid: {reason}"
    x, y = float(match["x"]), float(match["y"])
    return (
        f"polygon is invalid: {match['reason']} at lon {format_number(x)}, lat {format_number(y)}"
    )


def _coordinate_problems(
    issues: list[tuple[int, str | int | None, _CoordIssue]],
    with_geometry: int,
    source: str,
    bbox: tuple[float, float, float, float] | None,
) -> list[Problem]:
    """Per-feature coordinate problems, or one per kind when a kind hits every feature."""
    out: list[Problem] = []
    for kind in ("swapped", "projected", "bbox_swapped"):
        hits = [(i, fid, issue) for i, fid, issue in issues if issue.kind == kind]
        if not hits:
            continue
        fix = _PROJECTED_FIX if kind == "projected" else _SWAP_FIX
        if len(hits) == with_geometry and with_geometry > 1:
            i, _, issue = hits[0]
            message = (
                f"all {with_geometry} features: " + _coord_message(issue, bbox) + f" (feature {i})"
            )
            out.append(Problem(source, None, None, None, message, fix))
        else:
            out.extend(
                Problem(source, i, fid, None, _coord_message(issue, bbox), fix)
                for i, fid, issue in hits
            )
    return out


# --------------------------------------------------------------------------- frames


def plain_value(value: object) -> object:
    """Return ``value`` as a JSON-ready Python value (numpy -> Python, NaN/NA -> None)."""
    if value is None:
        return None
    if pd.api.types.is_scalar(value) and pd.isna(cast("Any", value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def features_from_frame(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Turn a GeoDataFrame into GeoJSON feature dicts (geometry as is, values JSON-ready).

    A named index that is not also a column (``node_id`` of network nodes)
    becomes a property.
    """
    if frame.index.name is not None and frame.index.name not in frame.columns:
        frame = frame.reset_index()
    geometry_name = frame.geometry.name
    columns = [c for c in frame.columns if c != geometry_name]
    features = []
    for row, geom in zip(
        frame[columns].itertuples(index=False, name=None), frame.geometry, strict=True
    ):
        props = {str(c): plain_value(v) for c, v in zip(columns, row, strict=True)}
        geometry = None if geom is None else mapping(geom)
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return features


def validate_layer(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    source: str,
    expected_bbox: tuple[float, float, float, float] | None = None,
) -> list[Problem]:
    """Check a GeoDataFrame (lon/lat) against a layer spec; see :func:`validate_features`."""
    return validate_features(features_from_frame(frame), spec, source, expected_bbox)


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems that are errors (not notes)."""
    return [p for p in problems if p.severity == "error"]
