"""Layer specs: every workspace layer, its geometry and its properties, in one place.

An area workspace (see ``docs/ARCHITECTURE.md``) holds one GeoJSON file per
layer. :data:`SPECS` says, for each layer, which file it lives in, which
geometry types it may hold and which properties it carries, each with a
type, a unit, a description and the values it may take.
``docs/LAYERS.md`` is generated from :data:`SPECS` by :func:`render_markdown`
(a test keeps it in step).

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

import fnmatch
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

from geogrid.errors import InputError

#: Property value types and how they read in messages and in docs/LAYERS.md.
TYPE_PHRASES: Mapping[str, str] = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false (JSON boolean, no quotes)",
    "id": "text or a whole number",
    "datetime": "an ISO-8601 date-time with a time zone, e.g. 2024-05-01T21:30:00+08:00",
    "time": "a 24-hour time HH:MM, e.g. 18:30",
}

#: Short type names used in the docs table.
TYPE_NAMES: Mapping[str, str] = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "id": "string or integer",
    "datetime": "ISO-8601 date-time with zone",
    "time": "HH:MM",
}

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCATION = re.compile(r"^(?P<reason>[^\[]*)\[(?P<x>\S+) (?P<y>\S+)\]$")

Severity = Literal["error", "note"]


@dataclass(frozen=True)
class PropertySpec:
    """One property of a layer.

    Parameters
    ----------
    name
        Property key in the GeoJSON ``properties`` object (and column name).
    type
        One of the keys of :data:`TYPE_PHRASES`.
    required
        Every feature must carry a non-null value.
    unit
        Unit of the value (``""`` when it has none).
    description
        What the value means, for a person reading docs/LAYERS.md.
    choices
        Allowed values, or None for any value of the type.
    minimum, maximum
        Allowed range (inclusive unless ``minimum_exclusive``), or None.
    minimum_exclusive
        The value must be strictly greater than ``minimum``.
    unique
        No two features of the layer may share the value (ids).
    """

    name: str
    type: str
    required: bool = False
    unit: str = ""
    description: str = ""
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    unique: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPE_PHRASES:
            raise ValueError(f"property {self.name!r}: unknown type {self.type!r}")

    def allowed(self) -> str:
        """Return the allowed values or range in a few words ("" when any value goes)."""
        parts = []
        if self.choices is not None:
            parts.append(", ".join(self.choices))
        if self.minimum is not None:
            parts.append(f"{'>' if self.minimum_exclusive else '>='} {_num(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"<= {_num(self.maximum)}")
        if self.unique:
            parts.append("unique")
        return ", ".join(parts)

    def rule(self) -> str:
        """Return the rule a value must follow, as a sentence fragment for messages."""
        text = f"{self.name} must be {TYPE_PHRASES[self.type]}"
        if self.choices is not None:
            text += ", one of " + ", ".join(repr(c) for c in self.choices)
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.minimum_exclusive else '>='} {_num(self.minimum)}")
        if self.maximum is not None:
            bounds.append(f"<= {_num(self.maximum)}")
        if bounds:
            text += " " + " and ".join(bounds)
        if self.unit and self.type == "float":
            text += f" ({self.unit})"
        if self.unique:
            text += ", unique in the layer"
        return text


@dataclass(frozen=True)
class LayerSpec:
    """One workspace layer: its file, geometry types and properties.

    Parameters
    ----------
    name
        Key in :data:`SPECS`.
    file_pattern
        Path inside the area folder; ``<name>`` stands for any layer name.
    geometry_types
        GeoJSON geometry types the layer may hold.
    description
        What the layer is for.
    properties
        Property specs, required ones first.
    id_property
        Property that identifies a feature in messages (unique), or None.
    index
        Property read into the frame's index (``node_id`` for network nodes), or None.
    """

    name: str
    file_pattern: str
    geometry_types: tuple[str, ...]
    description: str
    properties: tuple[PropertySpec, ...]
    id_property: str | None = None
    index: str | None = None

    @property
    def required(self) -> tuple[PropertySpec, ...]:
        """Properties every feature must carry."""
        return tuple(p for p in self.properties if p.required)

    @property
    def optional(self) -> tuple[PropertySpec, ...]:
        """Properties a feature may carry."""
        return tuple(p for p in self.properties if not p.required)

    @property
    def columns(self) -> tuple[str, ...]:
        """Property names in spec order (the frame's columns before ``geometry``)."""
        return tuple(p.name for p in self.properties)

    def property(self, name: str) -> PropertySpec:
        """Return the spec of property ``name`` (KeyError when the layer has none)."""
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"layer {self.name!r} has no property {name!r}")


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


def _p(name: str, type_: str, description: str, **kwargs: Any) -> PropertySpec:
    return PropertySpec(name=name, type=type_, description=description, **kwargs)


_POLYGONS = ("Polygon", "MultiPolygon")

#: Every workspace layer, by name.
SPECS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            name="boundary",
            file_pattern="boundary.geojson",
            geometry_types=_POLYGONS,
            description="The area outline (街道 / 社区 boundary); usually one feature.",
            properties=(
                _p("name", "str", "Name of the area, e.g. 海淀区学院路街道."),
                _p(
                    "admin_code",
                    "str",
                    "Administrative division code (GB/T 2260 / 统计用区划代码), if known.",
                ),
                _p("source", "str", "Where the outline comes from (OSM relation, survey, ...)."),
            ),
        ),
        LayerSpec(
            name="grids",
            file_pattern="grids.geojson",
            geometry_types=_POLYGONS,
            description="Grid cells (网格) of the area, each looked after by one grid worker.",
            properties=(
                _p("code", "str", "Grid code, e.g. 110108001-01.", required=True, unique=True),
                _p("name", "str", "Grid name as residents know it (Chinese kept as is)."),
                _p("parent_code", "str", "Code of the community (社区) the grid belongs to."),
                _p(
                    "households",
                    "int",
                    "Households in the grid (sum over its buildings).",
                    unit="households",
                    minimum=0,
                ),
                _p("worker", "str", "Grid worker (网格员) in charge."),
                _p(
                    "locked",
                    "bool",
                    "Drawn by hand: automatic re-gridding keeps this grid as it is.",
                ),
                _p(
                    "population",
                    "float",
                    "Population estimate (households x persons per household, or counted).",
                    unit="persons",
                    minimum=0,
                ),
                _p("area_m2", "float", "Area in the area's metric CRS.", unit="m²", minimum=0),
                _p(
                    "polsby_popper",
                    "float",
                    "Compactness 4πA/P² (1 for a circle).",
                    minimum=0,
                    maximum=1,
                ),
                _p("units", "int", "Base units (street blocks) in the grid.", minimum=0),
            ),
            id_property="code",
        ),
        LayerSpec(
            name="communities",
            file_pattern="communities.geojson",
            geometry_types=_POLYGONS,
            description=(
                "Parent units (社区 communities) that grids nest in; optional. "
                "Without it the whole area is one parent."
            ),
            properties=(
                _p(
                    "code",
                    "str",
                    "12-digit code: admin code (6) + street (3) + community (3), e.g. "
                    "110108001002.",
                    required=True,
                    unique=True,
                ),
                _p("name", "str", "Community name (Chinese kept as is)."),
                _p("admin_level", "int", "OSM admin_level of the source boundary."),
                _p("source", "str", "Where the outline comes from (OSM relation, survey, ...)."),
            ),
            id_property="code",
        ),
        LayerSpec(
            name="buildings",
            file_pattern="buildings.geojson",
            geometry_types=_POLYGONS,
            description="Building footprints with their households (rule: geogrid.buildings).",
            properties=(
                _p("id", "id", "Building id, e.g. OSM way/123.", required=True, unique=True),
                _p("osm_id", "int", "OSM id of the way or relation."),
                _p("name", "str", "Building or compound name."),
                _p("building", "str", "OSM building tag (apartments, yes, school, ...)."),
                _p(
                    "households",
                    "int",
                    "Households living in the building (tagged or estimated).",
                    unit="households",
                    minimum=0,
                ),
                _p(
                    "households_source",
                    "str",
                    "Where households comes from: tag (OSM building:flats), non-residential "
                    "(0), estimate (footprint rule), survey (counted or edited by hand).",
                    choices=("tag", "non-residential", "estimate", "survey"),
                ),
                _p(
                    "levels",
                    "float",
                    "Storeys above ground (building:levels or the type default).",
                    unit="storeys",
                    minimum=0,
                    maximum=200,
                    minimum_exclusive=True,
                ),
                _p(
                    "footprint_m2",
                    "float",
                    "Footprint area measured in the area's metric CRS.",
                    unit="m²",
                    minimum=0,
                ),
            ),
            id_property="id",
        ),
        LayerSpec(
            name="places",
            file_pattern="layers/<name>.geojson",
            geometry_types=("Point", "Polygon", "MultiPolygon"),
            description=(
                "Key locations (places), one file per layer (schools, police, markets, health, "
                "stations, banks, other); kinds are listed in geogrid.places.PLACE_KINDS."
            ),
            properties=(
                _p("id", "id", "Location id, e.g. OSM node/123.", required=True, unique=True),
                _p(
                    "kind",
                    "str",
                    "Kind of place (school, police, marketplace, ...).",
                    required=True,
                ),
                _p("name", "str", "Name as signposted (Chinese kept as is)."),
                _p("layer", "str", "Layer (file name) the kind is drawn on, e.g. schools."),
                _p("osm_id", "int", "OSM id of the node, way or relation."),
                _p("address", "str", "Street address."),
                _p("phone", "str", "Contact phone number."),
                _p("opening_hours", "str", "OSM opening_hours value, e.g. Mo-Fr 08:00-17:00."),
                _p("source", "str", "Where the location comes from (OSM, survey, ...)."),
            ),
            id_property="id",
        ),
        LayerSpec(
            name="incidents",
            file_pattern="incidents.geojson",
            geometry_types=("Point",),
            description="Incident points; synthetic ones carry synthetic=true.",
            properties=(
                _p("id", "id", "Incident id.", required=True, unique=True),
                _p(
                    "time",
                    "datetime",
                    "When it happened, with the time zone (e.g. +08:00).",
                    required=True,
                ),
                _p("category", "str", "Incident category, e.g. theft, dispute.", required=True),
                _p("category_zh", "str", "Category in Chinese, e.g. 盗窃."),
                _p("synthetic", "bool", "Made up by geogrid.synthetic, not a real incident."),
                _p("source", "str", "Where the record comes from (generator and seed, system)."),
                _p("description", "str", "Free text."),
                _p(
                    "zone",
                    "str",
                    "Beat, neighbourhood or other source zone the record names (import).",
                ),
                _p(
                    "time_precision",
                    "str",
                    "How precise `time` is in the source; minute when absent.",
                    choices=("minute", "hour", "day", "month"),
                ),
            ),
            id_property="id",
        ),
        LayerSpec(
            name="teams",
            file_pattern="teams.geojson",
            geometry_types=("Point",),
            description="Volunteer patrol teams; the point is the team's base.",
            properties=(
                _p("id", "id", "Team id.", required=True, unique=True),
                _p(
                    "mode",
                    "str",
                    "How the team moves.",
                    required=True,
                    choices=("walk", "bike", "drive"),
                ),
                _p("name", "str", "Team name, e.g. 平安志愿者第1队."),
                _p("leader", "str", "Team leader."),
                _p("size", "int", "Members in the team.", unit="persons", minimum=1),
                _p(
                    "speed_kmh",
                    "float",
                    "Patrol speed; the mode's default when absent.",
                    unit="km/h",
                    minimum=0,
                    maximum=120,
                    minimum_exclusive=True,
                ),
                _p("shift_start", "time", "Start of the shift, local time.", unit="HH:MM"),
                _p(
                    "shift_end",
                    "time",
                    "End of the shift, local time (earlier than start: ends next day).",
                    unit="HH:MM",
                ),
                _p("phone", "str", "Contact phone number."),
                _p("synthetic", "bool", "Made up by geogrid.synthetic."),
            ),
            id_property="id",
        ),
        LayerSpec(
            name="nodes",
            file_pattern="network/nodes.geojson",
            geometry_types=("Point",),
            description="Street network nodes (read into a frame indexed by node_id).",
            properties=(_p("node_id", "int", "OSM node id.", required=True, unique=True),),
            id_property="node_id",
            index="node_id",
        ),
        LayerSpec(
            name="edges",
            file_pattern="network/edges.geojson",
            geometry_types=("LineString",),
            description=(
                "Street network edges, one per consecutive node pair of an OSM way, "
                "drawn u -> v (see 'Street network frames' in docs/ARCHITECTURE.md)."
            ),
            properties=(
                _p("u", "int", "OSM node id where the segment starts.", required=True),
                _p("v", "int", "OSM node id where the segment ends.", required=True),
                _p("way_id", "int", "OSM way id.", required=True),
                _p("highway", "str", "OSM highway tag.", required=True),
                _p(
                    "length_m",
                    "float",
                    "Geodesic length of the segment.",
                    required=True,
                    unit="m",
                    minimum=0,
                ),
                _p("walk", "bool", "Walking may use the segment.", required=True),
                _p("bike", "bool", "Bikes (e-bikes) may use the segment.", required=True),
                _p("drive", "bool", "Cars may use the segment.", required=True),
                _p("oneway_bike", "bool", "Bikes may only go u -> v.", required=True),
                _p("oneway_drive", "bool", "Cars may only go u -> v.", required=True),
                _p("name", "str", "Street name as tagged (Chinese kept as is)."),
            ),
        ),
    )
}


def get_spec(name: str) -> LayerSpec:
    """Return the spec of layer ``name``; InputError naming the known layers otherwise."""
    try:
        return SPECS[name]
    except KeyError:
        raise InputError(f"unknown layer {name!r}; choose one of: {', '.join(SPECS)}") from None


def spec_for_file(relative_path: str) -> LayerSpec:
    """Return the spec of the layer stored at ``relative_path`` inside an area folder.

    ``"layers/schools.geojson"`` gives the key-location spec.
    """
    wanted = relative_path.replace("\\", "/")
    for spec in SPECS.values():
        if fnmatch.fnmatchcase(wanted, spec.file_pattern.replace("<name>", "*")):
            return spec
    patterns = ", ".join(spec.file_pattern for spec in SPECS.values())
    raise InputError(f"{relative_path}: not a workspace layer file; expected one of {patterns}")


# --------------------------------------------------------------------------- validation


def _num(value: float) -> str:
    """Format a number for a message: whole numbers without ``.0``, others to 7 decimals."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(round(value, 7))


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
        return _num(value)
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
    elif kind == "time" and not (isinstance(value, str) and _HHMM.match(value)):
        return f"{_show(value)} is not a 24-hour time HH:MM"
    if prop.choices is not None and value not in prop.choices:
        return f"{_show(value)} is not an allowed value"
    if not isinstance(value, int | float):
        return None
    if prop.minimum is not None and (
        value < prop.minimum or (prop.minimum_exclusive and value == prop.minimum)
    ):
        limit = "is not above" if prop.minimum_exclusive else "is below"
        return f"{_show(value)} {limit} {_num(prop.minimum)}"
    if prop.maximum is not None and value > prop.maximum:
        return f"{_show(value)} is above {_num(prop.maximum)}"
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
    where = f"x={_num(issue.x)}, y={_num(issue.y)}"
    if issue.kind == "swapped":
        return f"coordinates look like latitude, longitude ({where}: y is beyond ±90)"
    if issue.kind == "projected":
        return f"coordinates {where} are outside the WGS-84 range (lon ±180, lat ±90)"
    return (
        f"coordinates ({where}) lie outside the area bbox {tuple(_num(v) for v in bbox or ())} "
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
            except Exception as err:  # shapely/GEOS raise several types for bad coordinates
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
                elif geom.geom_type in _POLYGONS:
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
    return f"polygon is invalid: {match['reason']} at lon {_num(x)}, lat {_num(y)}"


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
    if pd.api.types.is_scalar(value) and pd.isna(cast(Any, value)):
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


# --------------------------------------------------------------------------- docs


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(specs: Mapping[str, LayerSpec] | None = None) -> str:
    """Render docs/LAYERS.md: one section and property table per layer.

    Parameters
    ----------
    specs
        Layer specs to document; :data:`SPECS` when None.

    Returns
    -------
    The Markdown text, ending with a newline.
    """
    specs = SPECS if specs is None else specs
    lines = [
        "# Workspace layers",
        "",
        "<!-- Generated from geogrid/layers.py by geogrid.layers.render_markdown(); "
        "do not edit by hand. -->",
        "",
        "Every layer is an RFC 7946 GeoJSON FeatureCollection in WGS-84 lon/lat "
        "(EPSG:4326, no `crs` member), polygons by the right-hand rule, UTF-8 with "
        "Chinese kept as is. Properties not listed here are kept as they are. "
        "A missing optional property is the same as `null`.",
        "",
    ]
    for spec in specs.values():
        lines += [
            f"## {spec.name}",
            "",
            spec.description,
            "",
            f"- file: `{spec.file_pattern}`",
            f"- geometry: {', '.join(spec.geometry_types)}",
        ]
        if spec.id_property is not None:
            lines.append(f"- id property: `{spec.id_property}`")
        if spec.index is not None:
            lines.append(f"- frame index: `{spec.index}`")
        lines += [
            "",
            "| property | required | type | unit | allowed | description |",
            "|---|---|---|---|---|---|",
        ]
        for prop in spec.properties:
            cells = [
                f"`{prop.name}`",
                "yes" if prop.required else "no",
                TYPE_NAMES[prop.type],
                prop.unit,
                prop.allowed(),
                prop.description,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    """Return the problems that are errors (not notes)."""
    return [p for p in problems if p.severity == "error"]
