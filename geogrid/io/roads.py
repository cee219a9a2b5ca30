"""Read an office's road layer (lines, any vector format and CRS) into street network frames.

Offices keep their own road centre lines (道路中心线) as Shapefile, GeoPackage,
KML or GeoJSON, often in CGCS2000 Gauss-Kruger metres. :func:`read_roads`
reads them through :func:`geogrid.io.vectors.read_vectors` and returns the
``nodes`` / ``edges`` frames of the network contract (``docs/ARCHITECTURE.md``),
so plans, coverage and travel-time matrices run on the office's streets.

Columns (named in the mapping TOML, else found by their usual names):

* ``name`` - street name (名称, 路名, NAME ...), kept as written;
* ``class`` - road class, turned into an OSM ``highway`` value: any OSM
  value as is (``primary``, ``residential`` ...), the usual Chinese classes
  (高速公路, 快速路, 主干路, 次干路, 支路, 街巷, 步行街, 人行道 ...,
  :data:`ROAD_CLASSES`), or the mapping's ``[classes]`` table; an empty
  class is ``[defaults] class`` (``residential``); a value none of these
  know is refused, listed with how to map it;
* ``oneway`` - ``1``/``yes``/``是``/``正向``/``FT`` = one-way in drawing
  direction, ``-1``/``反向``/``TF`` = against it, anything else two-way.

The mode rules are those of OSM streets (:func:`geogrid.io.osm.street_modes`):
a ``footway`` is walk only, a ``motorway`` drive only, and so on.

Noding
------
Road layers from offices are often not split where streets cross: two lines
cross without a shared vertex. By default every crossing becomes a junction
(``shapely.node`` over all lines, the crossing points inserted into each
line). With ``noding=False`` (``--no-noding``, for layers whose bridges and
tunnels cross other streets without meeting them) lines meet only at
shared vertices and at line ends. In both cases a line end within
``join_m`` (0.5 m) of another line is joined to it (the usual "undershoot"
of digitised T-junctions). Every vertex becomes a node, so every edge is a
straight segment, as for OSM ways. Node ids are 1, 2, ... in the order the
lines are read; ``way_id`` is the feature number in the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geogrid.crs import WGS84, metric_crs_for
from geogrid.errors import InputError
from geogrid.io.mappings import read_mapping_toml
from geogrid.io.osm import ROUTABLE_HIGHWAYS, street_frames
from geogrid.io.vectors import read_vectors

#: Road classes as offices write them -> OSM ``highway`` values.
ROAD_CLASSES: Mapping[str, str] = {
    "高速公路": "motorway", "高速": "motorway", "城市快速路": "trunk", "快速路": "trunk",
    "国道": "trunk", "省道": "primary", "县道": "secondary", "乡道": "tertiary",
    "村道": "unclassified", "主干路": "primary", "主干道": "primary", "次干路": "secondary",
    "次干道": "secondary", "支路": "tertiary", "街巷": "residential", "巷道": "residential",
    "小区道路": "service", "小区路": "service", "内部道路": "service", "内部路": "service",
    "匝道": "primary_link", "步行街": "pedestrian", "步行道": "footway", "人行道": "footway",
    "绿道": "path", "非机动车道": "cycleway", "自行车道": "cycleway", "机耕路": "track",
}  # fmt: skip
FORWARD_VALUES = ("1", "yes", "true", "y", "是", "单行", "单向", "正向", "ft", "f")
BACKWARD_VALUES = ("-1", "reverse", "反向", "逆向", "tf", "t")
#: Usual column names (case-insensitive) when the mapping names none.
COLUMN_GUESSES: Mapping[str, tuple[str, ...]] = {
    "name": ("name", "名称", "路名", "道路名称", "road_name", "roadname", "街路名", "mc"),
    "class": ("highway", "class", "fclass", "道路等级", "等级", "道路类型", "类型", "dldj", "kind"),
    "oneway": ("oneway", "one_way", "单行", "单向", "单行线", "direction", "dir"),
}
JOIN_M = 0.5
_NODE_GRID_M = 0.001  # vertices closer than this are one node


@dataclass(frozen=True)
class RoadMapping:
    """How to read an office's road layer (the ``--roads-mapping`` TOML)."""

    name: str | None = None
    road_class: str | None = None
    oneway: str | None = None
    classes: Mapping[str, str] = field(default_factory=dict)
    default_class: str = "residential"
    forward: tuple[str, ...] = FORWARD_VALUES
    backward: tuple[str, ...] = BACKWARD_VALUES
    coordinates: str | None = None
    encoding: str | None = None
    layer: str | None = None


@dataclass(frozen=True)
class RoadLayer:
    """The street network frames made from a road layer, and what was done to make them."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    name: str
    crs: str
    notes: tuple[str, ...] = ()


def read_road_mapping(path: Path | str) -> RoadMapping:
    """Read the road mapping TOML::

    [source]            # all optional
    coordinates = "EPSG:4549"   # when the file states none (or gcj02 / bd09)
    encoding = "GBK"
    layer = "roads"
    [columns]           # all optional; found by their usual names otherwise
    name = "路名"
    class = "DLDJ"
    oneway = "ONEWAY"
    [classes]           # class values -> OSM highway values
    "城市主干道" = "primary"
    [defaults]
    class = "residential"     # for features without a class
    [oneway]
    forward = ["1", "正向"]
    backward = ["2"]
    """
    path = Path(path)
    data = read_mapping_toml(path, "road mapping file not found; check the path")
    known = {"source", "columns", "classes", "defaults", "oneway"}
    problems = [
        f"unknown table [{k}] (use {', '.join(sorted(known))})" for k in data if k not in known
    ]
    source, columns = data.get("source", {}), data.get("columns", {})
    classes = {str(k): str(v) for k, v in data.get("classes", {}).items()}
    default = str(data.get("defaults", {}).get("class", "residential"))
    for value, highway in [*classes.items(), ("[defaults] class", default)]:
        if highway not in ROUTABLE_HIGHWAYS:
            problems.append(
                f"{value!r} maps to {highway!r}, not a street class; use one of "
                f"{', '.join(sorted(ROUTABLE_HIGHWAYS))}"
            )
    oneway = data.get("oneway", {})
    if problems:
        raise InputError(f"{path.name}: the road mapping has problems", problems)
    return RoadMapping(
        name=columns.get("name"),
        road_class=columns.get("class"),
        oneway=columns.get("oneway"),
        classes=classes,
        default_class=default,
        forward=tuple(str(v).casefold() for v in oneway.get("forward", FORWARD_VALUES)),
        backward=tuple(str(v).casefold() for v in oneway.get("backward", BACKWARD_VALUES)),
        coordinates=source.get("coordinates"),
        encoding=source.get("encoding"),
        layer=source.get("layer"),
    )


def _column(frame: pd.DataFrame, role: str, named: str | None, file: str) -> str | None:
    if named is not None:
        if named not in frame.columns:
            raise InputError(
                f"{file}: no column {named!r} for the road {role}; the file has "
                f"{', '.join(str(c) for c in frame.columns if c != 'geometry') or 'no columns'}"
            )
        return named
    lower = {str(c).casefold(): str(c) for c in frame.columns if c != "geometry"}
    return next((lower[g] for g in COLUMN_GUESSES[role] if g in lower), None)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]  # numbers read from a .dbf as floats
    return text or None


def _highway(value: str | None, mapping: RoadMapping) -> str | None:
    if value is None:
        return mapping.default_class
    if value in mapping.classes:
        return mapping.classes[value]
    if value.casefold() in ROUTABLE_HIGHWAYS:
        return value.casefold()
    return ROAD_CLASSES.get(value)


def _road_tags(frame: gpd.GeoDataFrame, mapping: RoadMapping, file: str) -> list[dict[str, str]]:
    name_col = _column(frame, "name", mapping.name, file)
    class_col = _column(frame, "class", mapping.road_class, file)
    oneway_col = _column(frame, "oneway", mapping.oneway, file)
    unknown: dict[str, list[int]] = {}
    tags_of: list[dict[str, str]] = []
    for number, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        record = row._asdict()
        value = _text(record.get(class_col)) if class_col else None
        highway = _highway(value, mapping)
        if highway is None:
            unknown.setdefault(str(value), []).append(int(number))
            highway = mapping.default_class
        tags = {"highway": highway}
        name = _text(record.get(name_col)) if name_col else None
        if name:
            tags["name"] = name
        direction = (_text(record.get(oneway_col)) or "").casefold() if oneway_col else ""
        if direction in mapping.forward:
            tags["oneway"] = "yes"
        elif direction in mapping.backward:
            tags["oneway"] = "-1"
        tags_of.append(tags)
    if unknown:
        raise InputError(
            f"{file}: {len(unknown)} road class value(s) in column {class_col!r} are unknown; "
            'map each to an OSM highway value in the roads mapping, e.g. [classes] "城市道路" = '
            '"residential" (--roads-mapping)',
            [
                f"{value!r}: features {', '.join(map(str, numbers[:5]))}"
                + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
                for value, numbers in unknown.items()
            ],
        )
    return tags_of


def _lines(frame: gpd.GeoDataFrame, file: str) -> tuple[list[shapely.LineString], list[int], int]:
    """Every line part (metric) with its feature number; and how many empty features."""
    geoms = frame.geometry.to_numpy()
    bad = [
        f"feature {n}: {g.geom_type}"
        for n, g in zip(frame.index, geoms, strict=True)
        if g is not None and not g.is_empty and g.geom_type not in ("LineString", "MultiLineString")
    ]
    if bad:
        raise InputError(
            f"{file}: a road layer holds lines; {len(bad)} feature(s) are not", bad[:20]
        )
    parts: list[shapely.LineString] = []
    owners: list[int] = []
    empty = 0
    for number, geom in zip(frame.index, geoms, strict=True):
        if geom is None or geom.is_empty:
            empty += 1
            continue
        for part in getattr(geom, "geoms", [geom]):
            if len(part.coords) > 1 and part.length > 0:
                parts.append(part)
                owners.append(int(number))
    return parts, owners, empty


def _join_ends(parts: list[shapely.LineString], cuts: list[list[shapely.Point]]) -> int:
    """Join line ends within JOIN_M of another line to it; return how many were moved."""
    tree = shapely.STRtree(parts)
    moved = 0
    for i in range(len(parts)):
        coords = list(parts[i].coords)
        changed = False
        for at in (0, -1):
            end = shapely.Point(coords[at])
            near = [j for j in tree.query(end, predicate="dwithin", distance=JOIN_M) if j != i]
            if not near:
                continue
            j = min(near, key=lambda k: (parts[k].distance(end), k))
            target = parts[j].interpolate(parts[j].project(end))
            cuts[j].append(target)
            if end.distance(target) > 0:
                coords.insert(0 if at == 0 else len(coords), target.coords[0])
                changed = True
        if changed:
            parts[i] = shapely.LineString(coords)
            moved += 1
    return moved


def _crossings(parts: list[shapely.LineString], cuts: list[list[shapely.Point]]) -> int:
    """Add every point where lines cross or touch to the cut points of each line there."""
    noded = shapely.node(shapely.MultiLineString(parts))
    ends = shapely.get_coordinates(shapely.boundary(np.asarray(list(noded.geoms), dtype=object)))
    points = shapely.points(np.unique(ends, axis=0))
    tree = shapely.STRtree(points)
    pairs = tree.query(parts, predicate="dwithin", distance=_NODE_GRID_M)
    for i, k in zip(*pairs, strict=True):
        cuts[int(i)].append(points[int(k)])
    return len(points)


def _with_cuts(line: shapely.LineString, cuts: list[shapely.Point]) -> list[tuple[float, float]]:
    """The line's vertices with the cut points inserted where they lie along it."""
    coords = shapely.get_coordinates(line)
    steps = np.hypot(*np.diff(coords, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if cuts:
        cut_xy = shapely.get_coordinates(np.asarray(cuts, dtype=object))
        cut_at = shapely.line_locate_point(line, np.asarray(cuts, dtype=object))
        coords = np.vstack([coords, cut_xy])
        along = np.concatenate([along, cut_at])
    order = np.argsort(along, kind="stable")
    out: list[tuple[float, float]] = []
    for x, y in coords[order]:
        if not out or math.hypot(x - out[-1][0], y - out[-1][1]) > _NODE_GRID_M:
            out.append((float(x), float(y)))
    return out


def read_roads(
    path: Path | str, mapping: RoadMapping | None = None, *, noding: bool = True
) -> RoadLayer:
    """Read an office's road layer into the street network frames (see the module docstring).

    Parameters
    ----------
    path
        Any file :func:`geogrid.io.vectors.read_vectors` reads (Shapefile,
        zip, GeoPackage, KML/KMZ, GeoJSON), lines in any CRS.
    mapping
        Columns, classes, one-way values, coordinates (:func:`read_road_mapping`).
    noding
        Split lines at every crossing (default); False: only at shared
        vertices and line ends (layers with bridges drawn across streets).

    Raises
    ------
    InputError
        Not lines, unknown road classes, a column the mapping names is not
        there, or no line any mode may use.
    CRSError
        The file states no CRS and the mapping none.
    """
    mapping = mapping or RoadMapping()
    vectors = read_vectors(
        path, coordinates=mapping.coordinates, encoding=mapping.encoding, layer=mapping.layer
    )
    file, frame = vectors.name, vectors.frame
    tags_of = dict(zip(frame.index, _road_tags(frame, mapping, file), strict=True))
    parts, owners, empty = _lines(frame, file)
    if not parts:
        raise InputError(f"{file}: no road lines in the file; check that it is the road layer")
    metric_crs = metric_crs_for(tuple(float(v) for v in frame.total_bounds))  # type: ignore[arg-type]
    parts = list(gpd.GeoSeries(parts, crs=WGS84).to_crs(metric_crs).to_numpy())
    cuts: list[list[shapely.Point]] = [[] for _ in parts]
    joined = _join_ends(parts, cuts)
    if noding:
        _crossings(parts, cuts)
    to_lonlat = Transformer.from_crs(metric_crs, WGS84, always_xy=True)
    node_of: dict[tuple[int, int], int] = {}
    node_lonlat: list[tuple[float, float]] = []
    ways = []
    for line, owner, line_cuts in zip(parts, owners, cuts, strict=True):
        run = []
        for x, y in _with_cuts(line, line_cuts):
            key = (round(x / _NODE_GRID_M), round(y / _NODE_GRID_M))
            if key not in node_of:
                node_of[key] = len(node_of) + 1
                node_lonlat.append(tuple(to_lonlat.transform(x, y)))
            nid = node_of[key]
            run.append((nid, *node_lonlat[nid - 1]))
        ways.append((owner, tags_of[owner], run))
    nodes, edges = street_frames(ways)
    if edges.empty:
        raise InputError(
            f"{file}: no road any mode may use (every class maps to a non-street value); "
            "check the [classes] of the roads mapping"
        )
    notes = [f"{file}: {len(set(owners))} road features read from {vectors.crs}", *vectors.notes]
    notes.append(
        f"{file}: split at every crossing (noding)"
        if noding
        else f"{file}: joined only at shared vertices and line ends (--no-noding)"
    )
    if joined:
        notes.append(f"{file}: {joined} line ends within {JOIN_M:g} m of another line joined to it")
    if empty:
        notes.append(f"{file}: {empty} features without geometry skipped")
    unused = sorted(set(owners) - set(edges["way_id"].tolist()))
    if unused:
        notes.append(
            f"{file}: {len(unused)} features are not streets any mode may use (left out): "
            + ", ".join(map(str, unused[:10]))
        )
    return RoadLayer(nodes=nodes, edges=edges, name=file, crs=vectors.crs, notes=tuple(notes))
