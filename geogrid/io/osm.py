"""Read OpenStreetMap files (.osm, .osm.bz2, .osm.pbf) into geogrid frames.

One code path for every format: pyosmium (libosmium) reads the file twice,
first the relations (to learn which ways are members of the areas we
need), then nodes and ways with node locations. Everything returned is a
GeoDataFrame in EPSG:4326, see :class:`OsmExtract`.

Street network
--------------
``nodes`` and ``edges`` follow the contract "Street network frames" of
``docs/ARCHITECTURE.md``: one edge per consecutive node pair of a way,
u -> v in drawing direction, ``oneway=-1``/``reverse`` written reversed so
that ``oneway_bike``/``oneway_drive`` always mean u -> v only. Walking is
never one-way. A way whose mode flags are all false is left out.

Mode rules (in the spirit of osmnx's ``network_type`` filters; the bike
network is an **e-bike** network, the usual patrol vehicle in China):

* Never routable: ``highway`` in proposed, construction, abandoned, disused,
  planned, razed, platform, raceway, rest_area, services, bus_stop,
  bus_guideway, busway, escape, elevator, no (and any unknown value);
  ``area=yes`` (squares, drawn as areas); ``service=private``.
* Access: ``access=no``/``private`` closes a way to every mode unless the
  mode's own tag opens it again. Specific tags win over general ones:
  ``foot`` for walking; ``bicycle`` > ``vehicle`` > ``access`` for e-bikes;
  ``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access`` for cars.
  Opening values: yes, designated, permissive, destination, official,
  customers, delivery; closing values: no, private, use_sidepath.
* **walk**: every routable highway except motorway, motorway_link, trunk,
  trunk_link, cycleway (unless ``foot`` opens it; trunks also when tagged
  ``sidewalk=both|left|right|yes``); ``motorroad=yes`` closes it.
* **bike** (e-bike): roads (trunk to residential, unclassified,
  living_street, service, road, track) and cycleway; not motorway(_link),
  steps, footway, pedestrian, path, bridleway, corridor unless ``bicycle``
  opens them; ``motorroad=yes`` closes it.
* **drive**: roads from motorway to residential, unclassified,
  living_street, road and service (driveways and alleys included) except
  ``service=parking_aisle|parking|emergency_access``; never track, footway,
  path, pedestrian, steps, cycleway, bridleway, corridor.
* One-way: ``oneway=yes|true|1`` (or ``junction=roundabout|circular``
  without an ``oneway`` tag) -> u -> v; ``oneway=-1|reverse`` -> reversed;
  other values (no, reversible, alternating) are two-way. E-bikes follow the
  car rule unless ``oneway:bicycle`` says otherwise or a contraflow lane is
  tagged (``cycleway[:both|:left|:right]=opposite|opposite_lane|opposite_track``
  or ``cycleway:*:oneway=no|-1``). When cars go u -> v but bikes only
  v -> u, the way gives two rows: one for walk/drive, one reversed for bike.

Areas and clipped extracts
--------------------------
Buildings, area key locations and admin boundaries come from closed ways
and from multipolygon / boundary relations, assembled by geogrid (not by
libosmium) so that **clipped extracts load**: a street way that references
nodes missing from the file is split at those nodes (runs of >= 2 present
nodes are kept); a relation is assembled from the member ways present,
keeping the rings that close (outer rings minus inner rings); a relation
with no closed ring is skipped. An admin boundary whose member ways leave
the file (an openstreetmap.org export keeps 1 of a town's 21 ways) is
closed along the file's edge (its ``<bounds>``, else the box of its data):
the part inside the file, ``complete=False``, with the share of member
ways present in the warning; which side is inside comes from its label
node, a place node of the same name, its neighbours of the same level, or
the bend of its boundary (said to be a guess); when nothing tells, it is
listed in :attr:`OsmExtract.skipped_admin` with the reason. Every such
repair is listed, in words, in :attr:`OsmExtract.warnings`.

Admin areas are found by any of their names (:func:`find_admin_boundary`):
``name``, ``name:*``, ``official_name``, ``alt_name``, ``short_name``,
Latin letters in any case, and the short form without the kind of area
(龙岗区 -> 龙岗, "Fenggang Town" -> fenggang) when no full name matches.

Names are kept exactly as tagged (UTF-8, Chinese included).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from pyproj import Geod
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geogrid.buildings import non_residential_use, parse_number
from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.places import classify_place, layer_of

#: File name endings read_osm accepts, with the libosmium format of each.
OSM_FORMATS: Mapping[str, str] = {
    ".osm.pbf": "pbf",
    ".pbf": "pbf",
    ".osm.bz2": "osm.bz2",
    ".osm.gz": "osm.gz",
    ".osm": "osm",
}

OPEN_VALUES = frozenset(
    {"yes", "designated", "permissive", "destination", "official", "customers", "delivery"}
)
CLOSED_VALUES = frozenset({"no", "private", "use_sidepath"})

_ROADS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road",
    }
)  # fmt: skip
_PATHS = frozenset({"track", "pedestrian", "footway", "path", "steps", "cycleway", "bridleway"})
#: highway values that can carry some mode; anything else is not a street.
ROUTABLE_HIGHWAYS = _ROADS | _PATHS | {"corridor"}

WALK_DEFAULT = ROUTABLE_HIGHWAYS - {"motorway", "motorway_link", "trunk", "trunk_link", "cycleway"}
BIKE_DEFAULT = (_ROADS - {"motorway", "motorway_link"}) | {"track", "cycleway"}
DRIVE_DEFAULT = _ROADS
NO_DRIVE_SERVICES = frozenset({"parking_aisle", "parking", "emergency_access"})
_SIDEWALK_VALUES = frozenset({"both", "left", "right", "yes"})
_CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track"})

_LABEL_ROLES = ("label", "admin_centre")
_GEOD = Geod(ellps="WGS84")
_MAX_LISTED_IDS = 10


@dataclass
class OsmExtract:
    """What :func:`read_osm` found in one OSM file, as EPSG:4326 frames.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        Street network nodes: index ``node_id`` (int64 OSM node id), Point.
    edges : geopandas.GeoDataFrame
        Street segments u -> v: ``u``, ``v``, ``way_id``, ``highway``,
        ``name``, ``length_m``, ``walk``, ``bike``, ``drive``,
        ``oneway_bike``, ``oneway_drive``, LineString (see module docstring).
    buildings : geopandas.GeoDataFrame
        ``id`` ("way/45", "relation/7"), ``osm_id``, ``building`` (tag
        value), ``name``, ``levels`` (float from ``building:levels``, NaN if
        untagged), ``flats`` (float from ``building:flats``, ``addr:flats``
        or ``households``, NaN if untagged), ``use`` (a non-residential use
        tagged on the building, e.g. ``"shop=mall"``, see
        :func:`geogrid.buildings.non_residential_use`; None if none),
        Polygon/MultiPolygon.
    places : geopandas.GeoDataFrame
        Key locations: ``id`` ("node/123", "way/45"), ``kind``, ``layer``
        (see :mod:`geogrid.places`), ``name``, ``name_en``, ``osm_id``,
        Point (the node, or the representative point of an area).
    admin : geopandas.GeoDataFrame
        ``boundary=administrative`` areas: ``id``, ``osm_id``, ``name``,
        ``admin_level`` (nullable int), every ``name:*`` tag as its own
        column, Polygon/MultiPolygon. Never clipped.
    warnings : list of str
        Repairs and skips made while reading (clipped ways, incomplete
        relations), one sentence each.
    skipped_admin : list of SkippedAdmin
        Admin relations in the file that gave no area, with the reason.
    source : str
        The file read.
    landuse : geopandas.GeoDataFrame
        ``landuse=residential`` areas (closed ways and multipolygons): ``id``,
        ``osm_id``, ``landuse``, ``name``, Polygon/MultiPolygon.
    features : geopandas.GeoDataFrame
        Non-residential features that are not buildings themselves (shops,
        amenities, leisure, tourism, offices, industrial, public and transport
        features, see :func:`geogrid.buildings.non_residential_use`): ``id``,
        ``osm_id``, ``use`` (``"amenity=library"``), Point (nodes) or
        Polygon/MultiPolygon (areas).
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    admin: gpd.GeoDataFrame
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    landuse: gpd.GeoDataFrame = field(default_factory=lambda: landuse_frame([]))
    features: gpd.GeoDataFrame = field(default_factory=lambda: feature_frame([]))
    skipped_admin: list[SkippedAdmin] = field(default_factory=list)


@dataclass(frozen=True)
class SkippedAdmin:
    """An admin relation in the file that could not be assembled, and why."""

    id: str
    osm_id: int
    name: str | None
    admin_level: int | None
    names: tuple[str, ...]
    reason: str


BUILDING_COLUMNS = ("id", "osm_id", "building", "name", "levels", "flats", "use")
LANDUSE_COLUMNS = ("id", "osm_id", "landuse", "name")
FEATURE_COLUMNS = ("id", "osm_id", "use")


def landuse_frame(records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """``landuse`` areas as a frame (see :attr:`OsmExtract.landuse`)."""
    frame = _frame(records, LANDUSE_COLUMNS)
    frame["osm_id"] = frame["osm_id"].astype("int64")
    return frame


def feature_frame(records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """Non-residential features as a frame (see :attr:`OsmExtract.features`)."""
    frame = _frame(records, FEATURE_COLUMNS)
    frame["osm_id"] = frame["osm_id"].astype("int64")
    return frame


def landuse_record(
    rid: str, osm_id: int, tags: Mapping[str, str], area: BaseGeometry
) -> dict[str, object]:
    return {
        "id": rid,
        "osm_id": osm_id,
        "landuse": tags.get("landuse"),
        "name": _name_or_none(tags),
        "geometry": area,
    }


def feature_record(rid: str, osm_id: int, use: str, geometry: BaseGeometry) -> dict[str, object]:
    return {"id": rid, "osm_id": osm_id, "use": use, "geometry": geometry}


def empty_extract(source: str = "") -> OsmExtract:
    """Return an :class:`OsmExtract` with no rows, every frame with its columns and dtypes.

    Parameters
    ----------
    source : str, optional
        What the extract will be filled from (kept in ``OsmExtract.source``).

    Returns
    -------
    OsmExtract
        Empty EPSG:4326 frames with the columns :func:`read_osm` gives.
    """
    nodes = gpd.GeoDataFrame(
        geometry=gpd.GeoSeries([], crs=WGS84),
        index=pd.Index(np.array([], dtype=np.int64), name="node_id"),
        crs=WGS84,
    )
    text = pd.Series([], dtype=object)
    flag = np.array([], dtype=bool)
    whole = np.array([], dtype=np.int64)
    edges = gpd.GeoDataFrame(
        {
            "u": whole, "v": whole, "way_id": whole, "highway": text, "name": text,
            "length_m": np.array([], dtype=float), "walk": flag, "bike": flag, "drive": flag,
            "oneway_bike": flag, "oneway_drive": flag,
        },
        geometry=gpd.GeoSeries([], crs=WGS84),
        crs=WGS84,
    )  # fmt: skip
    buildings = _frame([], BUILDING_COLUMNS)
    buildings = buildings.astype({"osm_id": "int64", "levels": float, "flats": float})
    places = _frame([], ("id", "kind", "layer", "name", "name_en", "osm_id"))
    places = places.astype({"osm_id": "int64"})
    return OsmExtract(
        nodes=nodes,
        edges=edges,
        buildings=buildings,
        places=places,
        admin=admin_frame([]),
        source=source,
    )


# --------------------------------------------------------------------------- modes


def _opened(value: str | None, default: bool) -> bool:
    if value in OPEN_VALUES:
        return True
    if value in CLOSED_VALUES:
        return False
    return default


def _oneway_of(value: str | None) -> int | None:
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value is None:
        return None
    return 0


def street_modes(tags: Mapping[str, str]) -> tuple[bool, bool, bool, int, int] | None:
    """Return the mode rules of a ``highway`` way (see the module docstring).

    Parameters
    ----------
    tags : Mapping[str, str]
        The way's OSM tags.

    Returns
    -------
    tuple or None
        ``(walk, bike, drive, bike_direction, drive_direction)`` where a
        direction is 1 (drawing direction only), -1 (against it only) or 0
        (both ways); ``None`` when the way is not a street any mode may use.
    """
    highway = tags.get("highway")
    if highway not in ROUTABLE_HIGHWAYS:
        return None
    if tags.get("area") == "yes" or tags.get("service") == "private":
        return None
    access_ok = _opened(tags.get("access"), True)
    motorroad = tags.get("motorroad") == "yes"

    walk_default = highway in WALK_DEFAULT or (
        highway in ("trunk", "trunk_link") and tags.get("sidewalk") in _SIDEWALK_VALUES
    )
    walk_default = walk_default and access_ok and not motorroad
    walk = _opened(tags.get("foot"), walk_default)

    vehicle_ok = _opened(tags.get("vehicle"), access_ok)
    bike_default = highway in BIKE_DEFAULT and vehicle_ok and not motorroad
    bike = _opened(tags.get("bicycle"), bike_default)

    drive_default = (
        highway in DRIVE_DEFAULT and tags.get("service") not in NO_DRIVE_SERVICES and vehicle_ok
    )
    drive = _opened(tags.get("motorcar"), _opened(tags.get("motor_vehicle"), drive_default))

    if not (walk or bike or drive):
        return None

    drive_dir = _oneway_of(tags.get("oneway"))
    if drive_dir is None:
        drive_dir = 1 if tags.get("junction") in ("roundabout", "circular") else 0
    bike_dir = drive_dir
    own = _oneway_of(tags.get("oneway:bicycle"))
    if own is not None:
        bike_dir = own
    elif drive_dir != 0:
        lanes = [tags.get(f"cycleway{side}") for side in ("", ":both", ":left", ":right")]
        lane_oneway = [tags.get(f"cycleway{side}:oneway") for side in (":both", ":left", ":right")]
        if any(v in _CONTRAFLOW for v in lanes) or any(v in ("no", "-1") for v in lane_oneway):
            bike_dir = 0
    return walk, bike, drive, bike_dir, drive_dir


# --------------------------------------------------------------------------- reading

Coord = tuple[float, float]
Run = list[tuple[int, float, float]]


@dataclass
class _Relation:
    osm_id: int
    tags: dict[str, str]
    members: list[tuple[int, str]]  # (way id, role)
    label_nodes: list[int]  # node members with role label / admin_centre
    wants_building: bool
    place_kind: str | None
    is_admin: bool
    wants_land: bool = False
    use: str | None = None


def _check_path(path: str | Path) -> tuple[Path, str]:
    file = Path(path)
    lower = file.name.lower()
    fmt = next((f for end, f in OSM_FORMATS.items() if lower.endswith(end)), None)
    if fmt is None:
        raise InputError(
            f"{file}: unknown OSM file type; give an OpenStreetMap file ending in "
            ".osm, .osm.bz2 or .osm.pbf (rename it if the content is OSM XML or PBF)"
        )
    if not file.is_file():
        raise InputError(
            f"{file}: no such file; check the path, or download an extract "
            "(openstreetmap.org Export gives .osm, Geofabrik gives .osm.pbf)"
        )
    return file, fmt


def _relation_wanted(
    tags: dict[str, str],
) -> tuple[bool, str | None, bool, bool, str | None] | None:
    kind = tags.get("type")
    is_admin = tags.get("boundary") == "administrative" and kind in ("boundary", "multipolygon")
    if kind != "multipolygon" and not is_admin:
        return None
    multipolygon = kind == "multipolygon"
    wants_building = multipolygon and tags.get("building", "no") != "no"
    place_kind = classify_place(tags) if multipolygon else None
    wants_land = multipolygon and tags.get("landuse") == "residential"
    use = non_residential_use(tags) if multipolygon and not wants_building else None
    if not (wants_building or place_kind or is_admin or wants_land or use):
        return None
    return wants_building, place_kind, is_admin, wants_land, use


def _runs(way: osmium.osm.Way) -> tuple[list[Run], int]:
    """Split a way's nodes into runs of present nodes; also count missing nodes."""
    runs: list[Run] = []
    current: Run = []
    missing = 0
    for ref in way.nodes:
        location = ref.location
        if location.valid():
            current.append((ref.ref, location.lon, location.lat))
        else:
            missing += 1
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs, missing


def _label(kind: str, osm_id: int, tags: Mapping[str, str]) -> str:
    name = tags.get("name")
    return f"{kind} {osm_id} ({name})" if name else f"{kind} {osm_id} (no name)"


def _listed(ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:_MAX_LISTED_IDS])
    more = len(ids) - _MAX_LISTED_IDS
    return shown + (f" and {more} more" if more > 0 else "")


def _polygon_of_ring(coords: Sequence[Coord]) -> BaseGeometry | None:
    if len(coords) < 4:
        return None
    polygon = shapely.Polygon(coords)
    if not polygon.is_valid:
        polygon = _polygonal(shapely.make_valid(polygon))
    return None if polygon is None or polygon.is_empty else polygon


def _polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    if geometry.geom_type == "GeometryCollection":
        parts = [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        if parts:
            return shapely.union_all(parts)
    return None


def _faces(lines: list[shapely.LineString]) -> tuple[BaseGeometry | None, bool]:
    """Polygonize lines; return (union of faces, whether all lines were used)."""
    if not lines:
        return None, True
    polygons, cuts, dangles, invalid = shapely.polygonize_full(lines)
    faces = list(polygons.geoms)
    leftover = any(not g.is_empty for g in (cuts, dangles, invalid))
    if not faces:
        return None, False
    return shapely.union_all(faces), not leftover


def _assemble(
    relation: _Relation, member_runs: Mapping[int, tuple[list[Run], int]]
) -> tuple[BaseGeometry | None, str | None, _Cut]:
    """Assemble a relation's polygon from the member ways present.

    Returns the polygon (or None), a warning (or None) and the lines present
    (what closing a cut admin boundary needs).
    """
    outer: list[shapely.LineString] = []
    inner: list[shapely.LineString] = []
    absent = 0
    clipped = 0
    for way_id, role in relation.members:
        if way_id not in member_runs:
            absent += 1
            continue
        runs, missing = member_runs[way_id]
        clipped += missing > 0
        target = inner if role == "inner" else outer
        target.extend(
            shapely.LineString([(x, y) for _, x, y in run]) for run in runs if len(run) > 1
        )
    label = _label("relation", relation.osm_id, relation.tags)
    incomplete = absent or clipped
    lines = _Cut(relation, outer, inner, len(relation.members) - absent, None)
    problem = []
    if absent:
        problem.append(f"{absent} of its {len(relation.members)} member ways are not in the file")
    if clipped:
        problem.append(f"{clipped} member ways lack nodes")
    outer_area, outer_closed = _faces(outer)
    if outer_area is None:
        why = "; ".join(problem) if problem else "its outer ways form no closed ring"
        lines.warning = (
            f"{label} skipped: {why}, so no outer ring closes; use an extract that "
            "contains the whole area"
        )
        return None, lines.warning, lines
    inner_area, _ = _faces(inner)
    area = outer_area if inner_area is None else outer_area.difference(inner_area)
    area = _polygonal(shapely.make_valid(area)) if not area.is_valid else area
    if area is None or area.is_empty:
        lines.outer = []
        return None, f"{label} skipped: its rings give an empty area", lines
    if incomplete or not outer_closed:
        why = "; ".join(problem) if problem else "some outer ways form no closed ring"
        return area, f"{label} incomplete: {why}; kept the rings that close", lines
    return area, None, lines


def _data_extent(scan: _Scan) -> tuple[BaseGeometry, str]:
    """The edge to close cut boundaries along: the file's ``<bounds>``, else the data's box."""
    if scan.extent is not None:
        return box(*scan.extent), "the file's bounds"
    xs: list[float] = []
    ys: list[float] = []
    for _, _, run, _ in scan.edges:
        xs.extend(x for _, x, _ in run)
        ys.extend(y for _, _, y in run)
    for runs, _ in scan.member_runs.values():
        for run in runs:
            xs.extend(x for _, x, _ in run)
            ys.extend(y for _, _, y in run)
    return box(min(xs), min(ys), max(xs), max(ys)), "the edge of the data in the file"


@dataclass
class _Cut:
    """A boundary relation whose present ways do not close: what closing it needs."""

    relation: _Relation
    outer: list[shapely.LineString]
    inner: list[shapely.LineString]
    present: int
    warning: str | None
    faces: list[BaseGeometry] = field(default_factory=list)
    colours: list[int] = field(default_factory=list)
    chains: list[shapely.LineString] = field(default_factory=list)


def _chains(outer: list[shapely.LineString]) -> list[shapely.LineString]:
    merged = shapely.line_merge(shapely.union_all(outer))
    parts = list(getattr(merged, "geoms", [merged]))
    return [p for p in parts if p.geom_type == "LineString" and not p.is_empty]


def _cut_extent(
    extent: BaseGeometry, chains: list[shapely.LineString]
) -> tuple[list[BaseGeometry], list[int]]:
    """Cut the extent along a boundary's chains; return the faces and a two-colouring.

    Parts of the chains outside the extent are dropped and loose ends inside
    it are joined to the nearest point of its edge. Faces either side of a
    boundary line get different colours (crossing the boundary goes from
    inside to outside), so the area is every face of one colour. Empty
    lists when the chains do not cut the extent or the colouring fails.
    """
    edge = extent.exterior
    cutters: list[BaseGeometry] = []
    for chain in chains:
        if chain.is_closed:
            cutters.append(chain)
            continue
        inside = chain.intersection(extent)
        for piece in getattr(inside, "geoms", [inside]):
            if piece.geom_type != "LineString" or piece.is_empty:
                continue
            coords = list(piece.coords)
            for at in (0, -1):
                point = shapely.Point(coords[at])
                if edge.distance(point) > 1e-9:
                    joint = edge.interpolate(edge.project(point)).coords[0]
                    coords.insert(0 if at == 0 else len(coords), joint)
            cutters.append(shapely.LineString(coords))
    if not cutters:
        return [], []
    noded = shapely.union_all([edge, *cutters])
    faces = [f for f in shapely.polygonize([noded]).geoms if f.area > 0]
    if len(faces) < 2:
        return [], []
    colours = [-1] * len(faces)
    colours[0] = 0
    queue = [0]
    while queue:
        i = queue.pop()
        for j, other in enumerate(faces):
            if j == i or faces[i].boundary.intersection(other.boundary).length <= 0:
                continue
            if colours[j] == -1:
                colours[j] = 1 - colours[i]
                queue.append(j)
            elif colours[j] == colours[i]:
                return [], []
    if -1 in colours or len(set(colours)) < 2:
        return [], []
    return faces, colours


def _close_cut_admin(
    cut: list[_Cut],
    assembled: list[dict[str, object]],
    scan: _Scan,
    warnings: list[str],
) -> tuple[list[dict[str, object]], list[SkippedAdmin]]:
    """Close admin boundaries whose member ways leave the file along the file's edge.

    The present ways are merged into chains that cut the file's extent (its
    ``<bounds>``, else the box of its data) into faces; crossing the
    boundary toggles inside/outside, so the area is every face of one side,
    giving the part of the area inside the file (``complete=False``). The
    side is told, in this order, by the relation's ``label``/``admin_centre``
    node, a ``place`` node of the same name, areas of the same
    ``admin_level`` already assembled (a neighbour is outside), and the bend
    of the boundary (a ring's interior lies on its concave side; a guess,
    said so in the warning). Boundaries with no decidable side are skipped
    and returned as :class:`SkippedAdmin`.
    """
    if not cut:
        return [], []
    extent, edge_name = _data_extent(scan)
    for item in cut:
        item.chains = _chains(item.outer)
        item.faces, item.colours = _cut_extent(extent, item.chains)
    records: list[dict[str, object]] = []
    pending = list(cut)
    progress = True
    while pending and progress:
        progress = False
        still: list[_Cut] = []
        for item in pending:
            chosen = _choose_side(item, scan, [*assembled, *records], guess=False)
            if chosen is None:
                still.append(item)
                continue
            progress = True
            records.append(_closed_record(item, *chosen, edge_name, warnings))
        pending = still
    skipped: list[SkippedAdmin] = []
    for item in pending:
        chosen = _choose_side(item, scan, [*assembled, *records], guess=True)
        if chosen is not None:
            records.append(_closed_record(item, *chosen, edge_name, warnings))
            continue
        relation = item.relation
        total = len(relation.members)
        if not item.faces:
            why = "its ways present do not cut the file's extent in two"
        else:
            why = (
                "which side of its boundary is inside cannot be told (no label or admin_centre "
                "node, no place node of the same name, no neighbouring area of the same "
                "admin_level, and its boundary does not bend either way)"
            )
        reason = (
            f"{item.present} of its {total} member ways ({_share(item.present, total)}) are in "
            f"the file and {why}"
        )
        warnings.append(
            f"{_label('relation', relation.osm_id, relation.tags)} skipped: {reason}; use an "
            "extract that contains the whole area, or pass --boundary with its polygon"
        )
        skipped.append(_skipped_admin(relation, reason))
    return records, skipped


def _share(part: int, total: int) -> str:
    return f"{100 * part / total:.0f} %" if total else "0 %"


def _closed_record(
    item: _Cut, area: BaseGeometry, told_by: str, edge_name: str, warnings: list[str]
) -> dict[str, object]:
    relation = item.relation
    inner_area, _ = _faces(item.inner)
    if inner_area is not None:
        area = _polygonal(shapely.make_valid(area.difference(inner_area))) or area
    total = len(relation.members)
    warnings.append(
        f"{_label('relation', relation.osm_id, relation.tags)} is cut by the edge of the "
        f"extract (clipped: {item.present} of its {total} member ways, "
        f"{_share(item.present, total)}, are in the file); closed it along {edge_name}, so it "
        f"covers only the part inside the file (complete=False); inside told by {told_by}"
    )
    return admin_record(
        f"relation/{relation.osm_id}", relation.osm_id, relation.tags, area, complete=False
    )


def _choose_side(
    item: _Cut,
    scan: _Scan,
    assembled: list[dict[str, object]],
    *,
    guess: bool,
) -> tuple[BaseGeometry, str] | None:
    faces, colours = item.faces, item.colours
    if not faces:
        return None
    sides = [
        shapely.union_all([f for f, c in zip(faces, colours, strict=True) if c == k])
        for k in (0, 1)
    ]
    relation = item.relation
    anchors = [
        (scan.label_points[n], "its label/admin_centre node")
        for n in relation.label_nodes
        if n in scan.label_points
    ]
    anchors += [
        (xy, "a place node of the same name")
        for xy in scan.place_names.get(relation.tags.get("name", ""), [])
    ]
    for (x, y), how in anchors:
        inside = [s for s in sides if s.contains(shapely.Point(x, y))]
        if len(inside) == 1:
            return inside[0], how
    level = relation.tags.get("admin_level", "")
    neighbours = [
        r["geometry"] for r in assembled
        if str(r["admin_level"]) == level and r["osm_id"] != relation.osm_id
    ]  # fmt: skip
    if neighbours:
        taken = shapely.union_all(neighbours)
        overlap = [s.intersection(taken).area / s.area for s in sides]
        free = [s for s, share in zip(sides, overlap, strict=True) if share < 0.01]
        if len(free) == 1 and max(overlap) > 0.05:
            return free[0], f"the neighbouring areas of admin_level {level}"
    if not guess:
        return None
    bend = [0.0, 0.0]
    for chain in item.chains:
        if chain.is_closed or len(chain.coords) < 3:
            continue
        pocket = _polygonal(shapely.make_valid(shapely.Polygon(chain.coords)))
        if pocket is None:
            continue
        for k, side in enumerate(sides):
            bend[k] += side.intersection(pocket).area
    low, high = sorted(bend)
    if high > 0 and high >= 3 * low:
        return sides[bend.index(high)], (
            "the bend of its boundary (a guess: check it on a map; a label node or "
            "--boundary makes it sure)"
        )
    return None


def _skipped_admin(relation: _Relation, reason: str) -> SkippedAdmin:
    level = relation.tags.get("admin_level", "")
    return SkippedAdmin(
        id=f"relation/{relation.osm_id}",
        osm_id=relation.osm_id,
        name=_name_or_none(relation.tags),
        admin_level=int(level) if level.isdigit() else None,
        names=admin_names(relation.tags),
        reason=reason,
    )


def _frame(records: list[dict[str, object]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    data = pd.DataFrame.from_records(records, columns=[*columns, "geometry"])
    for column in columns:
        if not (is_numeric_dtype(data[column]) or is_bool_dtype(data[column])):
            # text columns hold str or None (never NaN), whatever pandas infers
            text = data[column].astype(object)
            data[column] = text.where(text.notna(), None)
    return gpd.GeoDataFrame(data, geometry="geometry", crs=WGS84)


def _name_or_none(tags: Mapping[str, str], key: str = "name") -> str | None:
    value = tags.get(key)
    return value or None


def read_osm(
    path: str | Path,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
) -> OsmExtract:
    """Read an OpenStreetMap file into street network, building, place and admin frames.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file (``.osm.gz`` works too).
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in lon/lat to clip to.
    boundary : shapely geometry, optional
        A polygon in EPSG:4326 to clip to (instead of ``bbox``).

    Returns
    -------
    OsmExtract
        Frames in EPSG:4326. With a clip, street segments that intersect it
        are kept whole (so the network stays connected at the edge), and
        buildings and places whose representative point lies inside it or
        on its edge;
        admin boundaries are never clipped.

    Raises
    ------
    InputError
        Missing file, unknown file type, unreadable or malformed content,
        a bad bbox, or no street (``highway``) the network can use in the
        file or inside the clip.
    """
    file, fmt = _check_path(path)
    clip = _clip_geometry(file, bbox, boundary)

    try:
        relations = _read_relations(file, fmt)
        member_ways = {way_id for rel in relations for way_id, _ in rel.members}
        label_nodes = {node for rel in relations for node in rel.label_nodes}
        scan = _scan_ways(file, fmt, member_ways, label_nodes)
    except RuntimeError as err:
        raise InputError(
            f"{file}: cannot read OSM data ({err}); check that the file is complete "
            "OSM XML (.osm, .osm.bz2) or PBF (.osm.pbf), e.g. export it again from "
            "openstreetmap.org or download it again"
        ) from err

    warnings = list(scan.warnings)
    if not scan.edges:
        raise InputError(
            f"{file}: no streets found (no way tagged highway=* that people, e-bikes or "
            "cars may use); choose an extract that covers the streets of the area"
        )

    nodes, edges = _network_frames(scan)
    buildings = _frame(scan.buildings, BUILDING_COLUMNS)
    places = _frame(scan.places, ("id", "kind", "layer", "name", "name_en", "osm_id"))
    admin_records = list(scan.admin)

    building_records: list[dict[str, object]] = []
    place_records: list[dict[str, object]] = []
    land_records = list(scan.landuse)
    feature_records = list(scan.features)
    cut_admin: list[_Cut] = []
    skipped_admin: list[SkippedAdmin] = []
    for relation in relations:
        area, warning, lines = _assemble(relation, scan.member_runs)
        if area is None and relation.is_admin and lines.outer:
            cut_admin.append(lines)
            continue
        if warning:
            warnings.append(warning)
        if area is None:
            if relation.is_admin:
                skipped_admin.append(_skipped_admin(relation, warning or "no area"))
            continue
        rid = f"relation/{relation.osm_id}"
        if relation.wants_building:
            building_records.append(building_record(rid, relation.osm_id, relation.tags, area))
        if relation.place_kind:
            place_records.append(
                place_record(rid, relation.osm_id, relation.place_kind, relation.tags,
                              area.representative_point())
            )  # fmt: skip
        if relation.is_admin:
            admin_records.append(
                admin_record(rid, relation.osm_id, relation.tags, area, warning is None)
            )
        if relation.wants_land:
            land_records.append(landuse_record(rid, relation.osm_id, relation.tags, area))
        if relation.use:
            feature_records.append(feature_record(rid, relation.osm_id, relation.use, area))
    closed, skipped = _close_cut_admin(cut_admin, admin_records, scan, warnings)
    admin_records.extend(closed)
    skipped_admin.extend(skipped)
    buildings = concat_records(buildings, building_records)
    places = concat_records(places, place_records)
    admin = admin_frame(admin_records)

    extract = OsmExtract(
        nodes=nodes,
        edges=edges,
        buildings=buildings,
        places=places,
        admin=admin,
        warnings=warnings,
        source=str(file),
        landuse=landuse_frame(land_records),
        features=feature_frame(feature_records),
        skipped_admin=skipped_admin,
    )
    return extract if clip is None else clip_extract(extract, clip)


def clip_extract(extract: OsmExtract, clip: BaseGeometry) -> OsmExtract:
    """Keep what lies in ``clip`` (a lon/lat polygon): street segments that meet it
    (whole, so the network stays connected at the edge) with their nodes, and
    buildings and places whose representative point it covers. Admin areas are
    kept whole.

    Raises
    ------
    InputError
        When no street segment meets the clip.
    """
    shapely.prepare(clip)
    edges = extract.edges
    edges = edges[shapely.intersects(clip, edges.geometry.to_numpy())].reset_index(drop=True)
    if edges.empty:
        raise InputError(
            f"{extract.source}: no streets inside the requested clip (no street segment meets "
            f"{clip.bounds}); check the bbox/boundary is lon/lat and overlaps the file"
        )
    used = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    buildings, places = extract.buildings, extract.places
    inside = shapely.covers(clip, buildings.geometry.representative_point().to_numpy())
    landuse, features = extract.landuse, extract.features
    return OsmExtract(
        nodes=extract.nodes.loc[used],
        edges=edges,
        buildings=buildings[inside].reset_index(drop=True),
        places=places[shapely.covers(clip, places.geometry.to_numpy())].reset_index(drop=True),
        admin=extract.admin,
        warnings=list(extract.warnings),
        source=extract.source,
        skipped_admin=list(extract.skipped_admin),
        landuse=landuse[shapely.intersects(clip, landuse.geometry.to_numpy())].reset_index(
            drop=True
        ),
        features=features[shapely.intersects(clip, features.geometry.to_numpy())].reset_index(
            drop=True
        ),
    )


def _clip_geometry(
    file: Path,
    bbox: tuple[float, float, float, float] | None,
    boundary: BaseGeometry | None,
) -> BaseGeometry | None:
    if bbox is not None and boundary is not None:
        raise InputError(f"{file}: give either bbox or boundary to clip to, not both")
    if bbox is not None:
        try:
            west, south, east, north = (float(v) for v in bbox)
        except (TypeError, ValueError) as err:
            raise InputError(
                f"{file}: bbox {bbox!r} must be four numbers (west, south, east, north)"
            ) from err
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InputError(
                f"{file}: bbox {bbox!r} is not (west, south, east, north) in lon/lat; "
                "check the order (longitude first) and that west < east, south < north"
            )
        return box(west, south, east, north)
    if boundary is not None:
        if boundary.is_empty or boundary.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                f"{file}: the clip boundary must be a non-empty Polygon or MultiPolygon "
                f"in lon/lat, got {boundary.geom_type}"
            )
        return boundary
    return None


def _read_relations(file: Path, fmt: str) -> list[_Relation]:
    relations: list[_Relation] = []
    for relation in osmium.FileProcessor(osmium.io.File(str(file), fmt), osmium.osm.RELATION):
        if not isinstance(relation, osmium.osm.Relation):
            continue
        tags = dict(relation.tags)
        wanted = _relation_wanted(tags)
        if wanted is None:
            continue
        members = [(m.ref, m.role) for m in relation.members if m.type == "w"]
        labels = [m.ref for m in relation.members if m.type == "n" and m.role in _LABEL_ROLES]
        relations.append(_Relation(relation.id, tags, members, labels, *wanted))
    return relations


@dataclass
class _Scan:
    edges: list[tuple[int, dict[str, str], Run, tuple[bool, bool, bool, int, int]]] = field(
        default_factory=list
    )
    buildings: list[dict[str, object]] = field(default_factory=list)
    places: list[dict[str, object]] = field(default_factory=list)
    admin: list[dict[str, object]] = field(default_factory=list)
    landuse: list[dict[str, object]] = field(default_factory=list)
    features: list[dict[str, object]] = field(default_factory=list)
    member_runs: dict[int, tuple[list[Run], int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    label_points: dict[int, Coord] = field(default_factory=dict)
    place_names: dict[str, list[Coord]] = field(default_factory=dict)
    extent: tuple[float, float, float, float] | None = None


def _scan_ways(file: Path, fmt: str, member_ways: set[int], label_nodes: set[int]) -> _Scan:
    scan = _Scan()
    split_streets: list[int] = []
    open_areas: list[int] = []
    entities = osmium.osm.NODE | osmium.osm.WAY
    processor = osmium.FileProcessor(osmium.io.File(str(file), fmt), entities).with_locations()
    header_box = processor.header.box()
    if header_box.valid():
        scan.extent = (
            header_box.bottom_left.lon, header_box.bottom_left.lat,
            header_box.top_right.lon, header_box.top_right.lat,
        )  # fmt: skip
    for obj in processor:
        if isinstance(obj, osmium.osm.Node):
            if obj.id in label_nodes and obj.location.valid():
                scan.label_points[obj.id] = (obj.location.lon, obj.location.lat)
            if not obj.tags:
                continue
            tags = dict(obj.tags)
            if "place" in tags and "name" in tags and obj.location.valid():
                scan.place_names.setdefault(tags["name"], []).append(
                    (obj.location.lon, obj.location.lat)
                )
            kind = classify_place(tags)
            use = non_residential_use(tags)
            if (kind or use) and obj.location.valid():
                point = shapely.Point(obj.location.lon, obj.location.lat)
                if kind:
                    scan.places.append(place_record(f"node/{obj.id}", obj.id, kind, tags, point))
                if use:
                    scan.features.append(feature_record(f"node/{obj.id}", obj.id, use, point))
            continue
        if not isinstance(obj, osmium.osm.Way):
            continue
        way_id = obj.id
        tags = dict(obj.tags)
        modes = street_modes(tags) if "highway" in tags else None
        building = tags.get("building", "no") != "no"
        place_kind = classify_place(tags) if tags else None
        admin = (
            tags.get("boundary") == "administrative"
            and "name" in tags
            and way_id not in member_ways
        )
        land = tags.get("landuse") == "residential"
        use = None if building or not tags else non_residential_use(tags)
        if not (modes or building or place_kind or admin or land or use or way_id in member_ways):
            continue
        runs, missing = _runs(obj)
        if way_id in member_ways:
            scan.member_runs[way_id] = (runs, missing)
        if modes:
            if missing:
                split_streets.append(way_id)
            for run in runs:
                if len(run) > 1:
                    scan.edges.append((way_id, tags, run, modes))
        if not (building or place_kind or admin or land or use):
            continue
        closed = len(obj.nodes) >= 4 and obj.nodes[0].ref == obj.nodes[len(obj.nodes) - 1].ref
        if not closed:
            continue
        if missing:
            open_areas.append(way_id)
            continue
        area = _polygon_of_ring([(x, y) for _, x, y in runs[0]])
        if area is None:
            continue
        wid = f"way/{way_id}"
        if building:
            scan.buildings.append(building_record(wid, way_id, tags, area))
        if place_kind:
            scan.places.append(
                place_record(wid, way_id, place_kind, tags, area.representative_point())
            )
        if admin:
            scan.admin.append(admin_record(wid, way_id, tags, area))
        if land:
            scan.landuse.append(landuse_record(wid, way_id, tags, area))
        if use:
            scan.features.append(feature_record(wid, way_id, use, area))
    if split_streets:
        scan.warnings.append(
            f"{len(split_streets)} street ways reference nodes missing from the file "
            f"(clipped extract) and were split at them: ways {_listed(split_streets)}"
        )
    if open_areas:
        scan.warnings.append(
            f"{len(open_areas)} closed ways (buildings/areas) reference nodes missing from "
            f"the file and were skipped: ways {_listed(open_areas)}"
        )
    return scan


def building_record(
    rid: str, osm_id: int, tags: Mapping[str, str], area: BaseGeometry
) -> dict[str, object]:
    flats = next(
        (
            parse_number(tags[key])
            for key in ("building:flats", "addr:flats", "households")
            if key in tags and parse_number(tags[key]) is not None
        ),
        None,
    )
    levels = parse_number(tags.get("building:levels"))
    return {
        "id": rid,
        "osm_id": osm_id,
        "building": tags.get("building", "yes"),
        "name": _name_or_none(tags),
        "levels": math.nan if levels is None else levels,
        "flats": math.nan if flats is None else flats,
        "use": non_residential_use(tags),
        "geometry": area,
    }


def place_record(
    rid: str, osm_id: int, kind: str, tags: Mapping[str, str], point: BaseGeometry
) -> dict[str, object]:
    return {
        "id": rid,
        "kind": kind,
        "layer": layer_of(kind),
        "name": _name_or_none(tags),
        "name_en": _name_or_none(tags, "name:en"),
        "osm_id": osm_id,
        "geometry": point,
    }


def admin_record(
    rid: str, osm_id: int, tags: Mapping[str, str], area: BaseGeometry, complete: bool = True
) -> dict[str, object]:
    level = tags.get("admin_level", "")
    record: dict[str, object] = {
        "id": rid,
        "osm_id": osm_id,
        "name": _name_or_none(tags),
        "admin_level": int(level) if level.isdigit() else None,
        "complete": complete,
    }
    record.update({k: v for k, v in tags.items() if _is_name_key(k) and k != "name"})
    record["geometry"] = area
    return record


#: Tags besides ``name`` / ``name:*`` that name an admin area (each may be ``a;b``).
OTHER_NAME_KEYS = ("official_name", "alt_name", "short_name")
#: Endings dropped for the short form of a name (longest first; Latin ones case-insensitive).
NAME_SUFFIXES = (
    "居民委员会", "村民委员会", "街道办事处", "居委会", "村委会", "街道", "社区",
    "区", "县", "镇", "乡", "村",
)  # fmt: skip
LATIN_NAME_SUFFIXES = (
    "subdistrict",
    "district",
    "township",
    "town",
    "community",
    "village",
    "county",
)


def _is_name_key(key: str) -> bool:
    return key == "name" or key.startswith("name:") or key.split(":", 1)[0] in OTHER_NAME_KEYS


def admin_names(tags: Mapping[str, object]) -> tuple[str, ...]:
    """Every name of an admin area: ``name``, ``name:*``, ``official_name``, ``alt_name``,
    ``short_name`` (and their ``:xx`` forms), ``;``-lists split, in tag order, no repeats."""
    names: list[str] = []
    for key, value in tags.items():
        if not _is_name_key(str(key)) or not isinstance(value, str):
            continue
        for part in value.split(";"):
            if part.strip() and part.strip() not in names:
                names.append(part.strip())
    return tuple(names)


def name_key(text: str) -> str:
    """A name compared loosely: case-folded (Latin), spaces collapsed."""
    return " ".join(text.casefold().split())


def short_name_key(text: str) -> str:
    """:func:`name_key` without the ending that says the kind of area: 龙岗区 -> 龙岗,
    矿业大学社区居委会 -> 矿业大学, "Longgang District" -> longgang, "Fenggang Town" -> fenggang."""
    key = name_key(text)
    changed = True
    while changed:
        changed = False
        for suffix in NAME_SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 2:
                key, changed = key[: -len(suffix)].strip(), True
                break
        words = key.split()
        if len(words) > 1 and words[-1] in LATIN_NAME_SUFFIXES:
            key, changed = " ".join(words[:-1]), True
    return key


def match_admin_names(names: Sequence[Sequence[str]], key: str) -> list[int]:
    """Positions of the areas (each given by its names) that ``key`` names: exact matches
    (case-insensitive) if any, else matches of the short forms (:func:`short_name_key`)."""
    wanted = name_key(key)
    exact = [i for i, own in enumerate(names) if any(name_key(n) == wanted for n in own)]
    if exact:
        return exact
    short = short_name_key(key)
    return [i for i, own in enumerate(names) if any(short_name_key(n) == short for n in own)]


def admin_frame(records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    name_columns = sorted({k for r in records for k in r if _is_name_key(k) and k != "name"})
    admin = _frame(records, ("id", "osm_id", "name", "admin_level", "complete", *name_columns))
    admin["osm_id"] = admin["osm_id"].astype("int64")
    admin["complete"] = admin["complete"].astype(bool)
    admin["admin_level"] = admin["admin_level"].astype("Int64")
    return admin


def concat_records(frame: gpd.GeoDataFrame, records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    if records:
        extra = _frame(records, [c for c in frame.columns if c != "geometry"])
        frame = pd.concat([frame, extra], ignore_index=True) if len(frame) else extra
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
    frame["osm_id"] = frame["osm_id"].astype("int64")
    return frame


def street_frames(
    ways: Iterable[tuple[int, Mapping[str, str], Run]],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Nodes and edges frames (the network contract) from street ways given as runs.

    Each way is ``(way_id, tags, run)`` with ``run`` its ``(node_id, lon,
    lat)`` in drawing order; the mode rules and one-way handling are those of
    OSM ways (:func:`street_modes`), so any street source (e.g. an office's
    road layer, :mod:`geogrid.io.roads`) gives frames like :func:`read_osm`.
    Ways no mode may use are left out.
    """
    scan = _Scan()
    for way_id, tags, run in ways:
        modes = street_modes(tags)
        if modes is not None and len(run) > 1:
            scan.edges.append((way_id, dict(tags), run, modes))
    if not scan.edges:
        return empty_extract().nodes, empty_extract().edges
    return _network_frames(scan)


def _network_frames(scan: _Scan) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    columns: dict[str, list[object]] = {
        k: [] for k in ("u", "v", "way_id", "highway", "name", "walk", "bike", "drive",
                        "oneway_bike", "oneway_drive")
    }  # fmt: skip
    coords: list[tuple[float, float, float, float]] = []
    node_xy: dict[int, Coord] = {}

    def add(run: Run, way_id: int, tags: Mapping[str, str], flags: tuple[bool, ...]) -> None:
        for (u, ux, uy), (v, vx, vy) in itertools.pairwise(run):
            if u == v:
                continue
            for key, value in zip(
                ("u", "v", "way_id", "highway", "name", "walk", "bike", "drive",
                 "oneway_bike", "oneway_drive"),
                (u, v, way_id, tags["highway"], _name_or_none(tags), *flags),
                strict=True,
            ):  # fmt: skip
                columns[key].append(value)
            coords.append((ux, uy, vx, vy))

    for way_id, tags, run, (walk, bike, drive, bike_dir, drive_dir) in scan.edges:
        for ref, x, y in run:
            node_xy[ref] = (x, y)
        if drive_dir == -1 or (drive_dir == 0 and bike_dir == -1):
            run = run[::-1]
            bike_dir, drive_dir = -bike_dir, -drive_dir
        oneway_drive = drive and drive_dir == 1
        if bike_dir == -1 and bike:
            # cars u -> v only, bikes v -> u only: one row each way
            if walk or drive:
                add(run, way_id, tags, (walk, False, drive, False, oneway_drive))
            add(run[::-1], way_id, tags, (False, True, False, True, False))
            continue
        add(run, way_id, tags, (walk, bike, drive, bike and bike_dir == 1, oneway_drive))

    xy = np.asarray(coords, dtype=float).reshape(-1, 4)
    _, _, length_m = _GEOD.inv(xy[:, 0], xy[:, 1], xy[:, 2], xy[:, 3])
    geometry = shapely.linestrings(xy.reshape(-1, 2, 2))
    edges = gpd.GeoDataFrame(
        {
            "u": np.asarray(columns["u"], dtype=np.int64),
            "v": np.asarray(columns["v"], dtype=np.int64),
            "way_id": np.asarray(columns["way_id"], dtype=np.int64),
            "highway": pd.Series(columns["highway"], dtype=object),
            "name": pd.Series(columns["name"], dtype=object),
            "length_m": np.asarray(length_m, dtype=float),
            **{
                key: np.asarray(columns[key], dtype=bool)
                for key in ("walk", "bike", "drive", "oneway_bike", "oneway_drive")
            },
        },
        geometry=geometry,
        crs=WGS84,
    )
    ids = np.fromiter(node_xy.keys(), dtype=np.int64, count=len(node_xy))
    points = np.asarray(list(node_xy.values()), dtype=float).reshape(-1, 2)
    nodes = gpd.GeoDataFrame(
        geometry=shapely.points(points),
        index=pd.Index(ids, name="node_id"),
        crs=WGS84,
    )
    return nodes, edges


# --------------------------------------------------------------------------- admin lookup


def find_admin_boundary(extract: OsmExtract, name_or_id: str | int) -> BaseGeometry:
    """Return the polygon of an administrative boundary by name or OSM id.

    Parameters
    ----------
    extract : OsmExtract
        What :func:`read_osm` returned.
    name_or_id : str or int
        A name in any name tag (``name``, ``name:zh``, ``name:en``,
        ``official_name``, ``alt_name``, ...; Latin letters in any case), or
        its short form without 区/县/镇/乡/街道/社区/村/居委会 or
        "District"/"Town"/"Subdistrict"/"Community"/"Village" (used when
        no full name matches), a numeric OSM id (``15972224`` or ``"15972224"``) or a typed id
        (``"relation/15972224"``).

    Returns
    -------
    shapely Polygon or MultiPolygon
        The boundary in EPSG:4326.

    Raises
    ------
    InputError
        When nothing matches (listing the admin areas available) or when a
        name matches several areas (listing their ids to choose from).
    """
    admin = extract.admin
    key = str(name_or_id).strip()
    if "/" in key and key.split("/", 1)[1].isdigit():
        matches = admin[admin["id"] == key]
    elif key.isdigit():
        matches = admin[admin["osm_id"] == int(key)]
        relations = matches[matches["id"].str.startswith("relation/")]
        matches = relations if len(relations) else matches
    else:
        matches = admin.iloc[match_admin_names(_frame_names(admin), key)]
    if len(matches) == 1:
        return matches.geometry.iloc[0]
    if len(matches) > 1:
        raise InputError(
            f"{extract.source}: {len(matches)} admin areas are named {key!r}; "
            "pass one of their OSM ids instead",
            problems=_describe_admin(matches),
        )
    skips = extract.skipped_admin
    hits = [skips[i] for i in match_admin_names([s.names for s in skips], key)]
    hits += [s for s in skips if key in (str(s.osm_id), s.id) and s not in hits]
    if hits:
        raise InputError(
            f"{extract.source}: admin boundary {key!r} is in the file but cannot be "
            "assembled; pass --boundary with a polygon GeoJSON or --bbox instead",
            problems=[
                f"relation {s.osm_id} ({s.name}), admin_level {s.admin_level}: {s.reason}"
                for s in hits
            ],
        )
    if len(admin):
        why = "use one of these names or ids"
    elif skips:
        why = (
            f"the file has {len(skips)} admin relations but none could be assembled; pass "
            "--boundary with a polygon GeoJSON or --bbox instead"
        )
    else:
        why = "the file has none; draw the boundary by hand or use an extract that contains it"
    raise InputError(
        f"{extract.source}: no admin boundary named or numbered {key!r}; {why}",
        problems=[*_describe_admin(admin), *(
            f"{s.name} ({s.id}, admin_level {s.admin_level}, skipped: {s.reason})" for s in skips
        )],
    )  # fmt: skip


def _frame_names(admin: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    columns = [c for c in admin.columns if _is_name_key(str(c))]
    records = admin[columns].to_dict(orient="records")
    return [admin_names({k: v for k, v in r.items() if isinstance(v, str)}) for r in records]


def describe_admin_levels(extract: OsmExtract, within: BaseGeometry | None = None) -> str:
    """The admin levels in an extract with their names: "6 (龙岗区), 8 (凤岗镇, 塘厦镇)".

    Areas cut by the file's edge are marked "clipped", relations that could
    not be assembled "not assembled"; with ``within``, areas that do not meet
    it are marked "outside".
    """
    by_level: dict[str, list[str]] = {}
    for row in extract.admin.itertuples():
        level = "?" if pd.isna(row.admin_level) else str(row.admin_level)
        marks = [] if row.complete else ["clipped"]
        if within is not None and not row.geometry.intersects(within):
            marks.append("outside")
        text = f"{row.name or row.id}" + (f" [{', '.join(marks)}]" if marks else "")
        by_level.setdefault(level, []).append(text)
    for skip in extract.skipped_admin:
        level = "?" if skip.admin_level is None else str(skip.admin_level)
        by_level.setdefault(level, []).append(f"{skip.name or skip.id} [not assembled]")
    order = sorted(by_level, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0))
    return ", ".join(f"{level} ({', '.join(by_level[level])})" for level in order)


def _describe_admin(admin: gpd.GeoDataFrame) -> Iterable[str]:
    for row in admin.itertuples():
        level = "?" if pd.isna(row.admin_level) else row.admin_level
        yield f"{row.name} ({row.id}, admin_level {level})"
