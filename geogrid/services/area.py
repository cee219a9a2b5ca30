"""Build and load area workspaces.

``build_area`` turns a local OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``)
plus a boundary (polygon GeoJSON, admin relation in the file, or bbox) into an
area folder: manifest, boundary, buildings with households, key-location
layers and the street network. With ``roads`` (an office's road layer,
:mod:`geogrid.io.roads`) the street network comes from that layer instead,
with or without an OSM file. ``build_area_from_place`` does the same from a
place name through osmnx when the network is reachable.

:func:`build_into` runs any of them for an area of a database
(``GEOGRID_STORE=postgresql://...``): on a working copy of the area in a
temporary folder (pulled first when the database holds it, so a rebuild keeps
the planner's grids, versions, incidents and teams), then the whole area is
stored in one transaction (``Store.import_area``, or ``Store.write_layers`` for a
rebuild, its layer history kept): a failing build leaves the
database as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geogrid import __version__
from geogrid.buildings import HouseholdCoverage, estimate_households, household_coverage
from geogrid.crs import (
    CHINA_SYSTEMS,
    WGS84,
    lonlat_from_system,
    metric_crs_for,
    out_of_china,
    system_key,
)
from geogrid.errors import InputError
from geogrid.io import geojson, osm
from geogrid.io.workspace import MANIFEST_SCHEMA, Area, Workspace
from geogrid.network import StreetNetwork
from geogrid.store.access import shown_store
from geogrid.store.base import AreaRef, StoredArea, area_store

OSM_LICENCE = "ODbL 1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
MAX_WARNINGS_SHOWN = 5
BUILD_AUTHOR = "geogrid area build"
#: Columns of a DataV (geo.datav.aliyun.com) outline: those files are GCJ-02.
DATAV_COLUMNS = frozenset({"adcode", "acroutes", "childrenNum", "centroid", "parent"})
SYSTEM_LABELS = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}


@dataclass(frozen=True)
class BoundaryChoice:
    """Where the area outline comes from: exactly one of the three."""

    geojson_path: Path | None = None
    admin: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    #: The polygon file's coordinate system when stated (``--boundary-coordinates``):
    #: wgs84, gcj02, bd09 or an EPSG code; None = WGS-84, checked against the streets.
    coordinates: str | None = None

    def describe(self) -> str:
        if self.geojson_path is not None:
            key = system_key(self.coordinates or "wgs84")
            if key in ("wgs84", "epsg:4326", "4326"):
                return f"polygon file {self.geojson_path.name}"
            label = SYSTEM_LABELS.get(key, self.coordinates)
            return f"polygon file {self.geojson_path.name} ({label}, converted to WGS-84)"
        if self.admin is not None:
            return f"OSM admin boundary {self.admin!r}"
        if self.bbox is not None:
            return "bbox " + ",".join(f"{v:.6f}" for v in self.bbox)
        return "extent of the street network in the file"


@dataclass(frozen=True)
class RoadsChoice:
    """An office's road layer as the street network (``--roads``), see :mod:`geogrid.io.roads`."""

    path: Path
    mapping_path: Path | None = None
    noding: bool = True


def with_roads(
    extract: osm.OsmExtract, roads: RoadsChoice
) -> tuple[osm.OsmExtract, dict[str, Any], list[str]]:
    """The extract with its streets replaced by the road layer's; the source entry and notes."""
    from geogrid.io.roads import read_road_mapping, read_roads

    mapping = read_road_mapping(roads.mapping_path) if roads.mapping_path is not None else None
    layer = read_roads(roads.path, mapping, noding=roads.noding)
    source: dict[str, Any] = {
        "role": "roads",
        "file": Path(roads.path).name,
        "sha256": sha256_of(Path(roads.path)),
        "crs": layer.crs,
        "noding": roads.noding,
    }
    if roads.mapping_path is not None:
        source["mapping"] = Path(roads.mapping_path).name
    replaced = dataclasses.replace(extract, nodes=layer.nodes, edges=layer.edges)
    return replaced, source, list(layer.notes)


@dataclass
class BuildReport:
    """What a build produced, for the CLI and the closing notes."""

    path: Path
    metric_crs: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    coverage: HouseholdCoverage | None = None
    timezone: str = ""
    #: the database area it was stored as (``GEOGRID_STORE``); None for a folder
    stored_in: str | None = None

    def lines(self) -> list[str]:
        out = [f"area written to {self.stored_in or self.path}"]
        if self.timezone:
            out.append(f"  time zone: {self.timezone}")
        out += [f"  {k}: {v}" for k, v in self.counts.items()]
        if self.coverage is not None:
            out += [f"  {line}" for line in self.coverage.lines()]
            out += [f"  WARNING: {w}" for w in self.coverage.warnings]
        out += [f"  warning: {w}" for w in self.warnings[:MAX_WARNINGS_SHOWN]]
        if len(self.warnings) > MAX_WARNINGS_SHOWN:
            hidden = len(self.warnings) - MAX_WARNINGS_SHOWN
            listed = (
                f"area.json of {self.stored_in}"
                if self.stored_in
                else Workspace(self.path).manifest_path
            )
            out.append(f"  ... and {hidden} more warnings, all listed in {listed}")
        return out


def build_into(out: AreaRef, build: Callable[[Path], BuildReport]) -> BuildReport:
    """``build(folder)`` for the area ``out`` names: its folder, or for an area of a database
    a working copy in a temporary folder, stored once the build succeeded: a new area whole
    (``Store.import_area``); an area the database holds is pulled into the copy first and the
    layers the build changed written back with the manifest in one transaction
    (``Store.write_layers``: the replaced layers kept in its history; grid versions,
    incidents, teams, plans left as they are)."""
    from geogrid.store.folder import FolderStore

    store, name = area_store(out)
    if isinstance(store, FolderStore):
        return build(store.workspace(name).path if isinstance(out, StoredArea) else Path(out))
    with tempfile.TemporaryDirectory(prefix="geogrid-build-") as tmp:
        work = FolderStore(Path(tmp))
        if name not in store.list_areas():
            report = build(work.workspace(name).path)
            store.import_area(name, work.export_area(name))
        else:
            work.import_area(name, store.export_area(name))
            before = work.export_area(name).layers
            report = build(work.workspace(name).path)
            after = work.export_area(name)
            changed = [n for n, features in after.layers.items() if before.get(n) != features]
            frames = {n: frame for n in changed if (frame := work.read_layer(name, n)) is not None}
            store.write_layers(
                name, frames, author=BUILD_AUTHOR, message="area built again",
                manifest=after.manifest,
            )  # fmt: skip
    report.stored_in = f"area {name} in {shown_store(store)}"
    return report


def read_area_of(area_dir: AreaRef) -> tuple[str, Area]:
    """The whole area (every layer validated) and where it is, in messages: the folder, or
    with ``GEOGRID_STORE=postgresql://...`` the database's area of the folder's name."""
    from geogrid.store.access import AreaAccess
    from geogrid.store.base import command_area

    ws = AreaAccess.of(command_area(area_dir) if isinstance(area_dir, (Path, str)) else area_dir)
    if ws.folder is not None:
        from geogrid.io.workspace import read_area

        return str(area_dir), read_area(ws.folder.path)
    streets = ws.read_manifest().get("streets", True) is not False
    return ws.where(), ws.read(with_network=streets)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def area_timezone(boundary: BaseGeometry, given: str | None = None) -> tuple[str, str]:
    """The area's IANA time zone and where it comes from.

    ``given`` (``--timezone``) when set, checked against the tz database; else
    looked up offline with ``timezonefinder`` at the boundary's centroid.
    """
    if given:
        try:
            ZoneInfo(given)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise InputError(
                f"time zone {given!r} unknown; give an IANA name such as Asia/Shanghai, "
                "Asia/Urumqi or America/Chicago"
            ) from err
        return given, "--timezone"
    from timezonefinder import TimezoneFinder

    centre = boundary.centroid
    zone = TimezoneFinder().timezone_at(lng=centre.x, lat=centre.y)
    if not zone:
        raise InputError(
            f"no time zone found at the boundary's centre ({centre.x:.4f}, {centre.y:.4f}); "
            "give one with --timezone, e.g. --timezone Asia/Shanghai"
        )
    return zone, "looked up at the boundary's centroid (timezonefinder)"


def resolve_boundary(
    choice: BoundaryChoice, extract: osm.OsmExtract | None
) -> tuple[BaseGeometry, list[str]]:
    """Return the area polygon (EPSG:4326) for a boundary choice, and warnings."""
    given = [choice.geojson_path, choice.admin, choice.bbox]
    if sum(v is not None for v in given) > 1:
        raise InputError("give only one boundary: a polygon file, an admin name/id, or a bbox")
    if choice.geojson_path is not None:
        frame = geojson.read_layer(choice.geojson_path, "boundary")
        if frame.empty:
            raise InputError(f"{choice.geojson_path}: no polygon in the boundary file")
        outline = shapely.make_valid(frame.geometry.union_all())
        notes: list[str] = []
        if choice.coordinates is not None:
            outline = convert_outline(outline, choice.coordinates)
        elif DATAV_COLUMNS & set(frame.columns):
            notes.append(
                f"{choice.geojson_path.name} has DataV columns ("
                + ", ".join(sorted(DATAV_COLUMNS & set(frame.columns)))
                + "): DataV/Amap outlines are GCJ-02; if this one was not converted, build "
                "again with --boundary-coordinates gcj02 (read as WGS-84 it lies ~300-700 m off)"
            )
        return outline, notes
    if choice.bbox is not None:
        west, south, east, north = choice.bbox
        if not (west < east and south < north):
            raise InputError(
                f"bbox {choice.bbox} is empty or reversed; give west,south,east,north in lon/lat"
            )
        metric_crs_for(choice.bbox)  # refuses projected numbers with a clear message
        return shapely.box(west, south, east, north), []
    if extract is None:
        raise InputError("give a boundary polygon file: there is no OSM file to take it from")
    if choice.admin is not None:
        return osm.find_admin_boundary(extract, choice.admin), []
    hull = extract.nodes.geometry.union_all().convex_hull
    return hull, ["no boundary given: using the convex hull of the street network"]


def convert_outline(outline: BaseGeometry, system: str) -> BaseGeometry:
    """The outline stated in ``system`` (wgs84, gcj02, bd09, any EPSG) in WGS-84 lon/lat."""

    def to_wgs84(xy: Any) -> Any:
        lon, lat = lonlat_from_system(xy[:, 0], xy[:, 1], system)
        return np.column_stack([lon, lat])

    return shapely.make_valid(shapely.transform(outline, to_wgs84))


@dataclass(frozen=True)
class OutlineOffset:
    """The outline fits the streets far better read in ``system``: the evidence, in words."""

    system: str
    evidence: str
    shift_m: float

    def message(self, path: Path) -> str:
        label = SYSTEM_LABELS[self.system]
        return (
            f"{path}: the boundary looks like {label} ({CHINA_SYSTEMS[self.system]}), not "
            f"WGS-84: {self.evidence}. Read as WGS-84 the area would lie {self.shift_m:.0f} m off "
            f"its streets. Build again with --boundary-coordinates {self.system} to convert it "
            "(DataV/Amap outlines are GCJ-02, Baidu's BD-09), or --boundary-coordinates wgs84 "
            "if it really is WGS-84"
        )


def detect_outline_offset(
    outline: BaseGeometry,
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    cell_m: float = 200.0,
    step_m: float = 20.0,
) -> OutlineOffset | None:
    """Does a WGS-84 outline fit the street network far better read as GCJ-02 or BD-09?

    Two tests, each against the same outline converted from the other system:

    - **coverage**: the outline is cut into ``cell_m`` cells; at least 10% of them hold no
      street node as stated, and at most a quarter as many (and at most 5%) converted (an
      extract clipped to the true outline leaves a shifted one partly empty);
    - **edges**: points every ``step_m`` along the outline lie a median of at least 15 m
      from the nearest street as stated and at most 10 m and a third of that converted
      (district outlines follow streets and rivers).

    Returns None when WGS-84 fits, the outline is outside China, or there are no streets.
    """
    if nodes.empty or edges.empty:
        return None
    node_xy = nodes.to_crs(metric_crs).geometry
    xs, ys = node_xy.x.to_numpy(), node_xy.y.to_numpy()
    tree = shapely.STRtree(edges.to_crs(metric_crs).geometry.to_numpy())

    def metric(shape: BaseGeometry) -> BaseGeometry:
        return gpd.GeoSeries([shape], crs=WGS84).to_crs(metric_crs).iloc[0]

    def empty_share(shape: BaseGeometry) -> float:
        west, south, east, north = shape.bounds
        grid_x, grid_y = np.meshgrid(
            np.arange(west + cell_m / 2, east, cell_m), np.arange(south + cell_m / 2, north, cell_m)
        )
        cx, cy = grid_x.ravel(), grid_y.ravel()
        inside = shapely.contains_xy(shape, cx, cy)
        cx, cy = cx[inside], cy[inside]
        if len(cx) < 10:
            return 0.0
        ix = np.floor((xs - west) / cell_m).astype(int)
        iy = np.floor((ys - south) / cell_m).astype(int)
        held = set(zip(ix.tolist(), iy.tolist(), strict=True))
        cells = zip(
            np.floor((cx - west) / cell_m).astype(int).tolist(),
            np.floor((cy - south) / cell_m).astype(int).tolist(),
            strict=True,
        )
        return float(np.mean([cell not in held for cell in cells]))

    def edge_distance(shape: BaseGeometry) -> float:
        ring = shapely.boundary(shape)
        steps = np.arange(0.0, ring.length, step_m)
        points = shapely.line_interpolate_point(ring, steps)
        _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
        return float(np.median(dist))

    centre = outline.centroid
    if out_of_china(centre.x, centre.y).all():
        return None
    stated = metric(outline)
    stated_empty, stated_edge = empty_share(stated), edge_distance(stated)
    for system in ("gcj02", "bd09"):
        other = metric(convert_outline(outline, system))
        shift_m = float(stated.centroid.distance(other.centroid))
        other_empty = empty_share(other)
        if stated_empty >= 0.1 and other_empty <= min(0.05, stated_empty / 4):
            return OutlineOffset(
                system,
                f"{stated_empty:.0%} of the outline has no street as stated, "
                f"{other_empty:.0%} read as {SYSTEM_LABELS[system]}",
                shift_m,
            )
        other_edge = edge_distance(other)
        if stated_edge >= 15.0 and other_edge <= min(10.0, stated_edge / 3):
            return OutlineOffset(
                system,
                f"the outline runs a median {stated_edge:.0f} m from the streets as stated, "
                f"{other_edge:.0f} m read as {SYSTEM_LABELS[system]}",
                shift_m,
            )
    return None


def build_area(
    osm_path: Path | str | None,
    out_dir: Path | str,
    *,
    name: str,
    boundary: BoundaryChoice | None = None,
    admin_code: str = "",
    description: str = "",
    timezone: str | None = None,
    roads: RoadsChoice | None = None,
) -> BuildReport:
    """Build an area workspace from a local OSM file; returns what was written.

    ``timezone`` (IANA name) is the area's; without it, the zone at the
    boundary's centroid. ``roads``: the street network comes from the
    office's road layer (``osm_path`` may then be None: an area with streets
    and no buildings or key locations).

    Re-running replaces the derived layers (the old versions go to
    ``history/``) but never overwrites the planner's ``grids.geojson``,
    ``incidents.geojson`` or ``teams.geojson``.
    """
    if osm_path is None and roads is None:
        raise InputError("give an OSM file or a road layer (--roads) for the streets")
    out_dir = Path(out_dir)
    boundary = boundary or BoundaryChoice()
    sources: list[dict[str, Any]] = []
    notes: list[str] = []
    if osm_path is not None:
        osm_path = Path(osm_path)
        whole = osm.read_osm(osm_path)  # read once; the boundary may come from the file itself
        sources.append({
            "role": "osm",
            "file": osm_path.name,
            "sha256": sha256_of(osm_path),
            "licence": OSM_LICENCE,
            "attribution": OSM_ATTRIBUTION,
            "url": "https://www.openstreetmap.org/copyright",
        })  # fmt: skip
    else:
        whole = osm.empty_extract(source=str(roads.path) if roads is not None else "")
    if roads is not None:
        whole, roads_source, notes = with_roads(whole, roads)
        sources.append(roads_source)
    polygon, warnings = resolve_boundary(boundary, whole)
    if boundary.geojson_path is not None and boundary.coordinates is None:
        offset = detect_outline_offset(
            polygon, whole.nodes, whole.edges, metric_crs_for(tuple(polygon.bounds))
        )
        if offset is not None:
            raise InputError(offset.message(boundary.geojson_path))
    extract = osm.clip_extract(whole, polygon)
    warnings += notes + list(extract.warnings)
    return write_area(
        out_dir,
        name=name,
        admin_code=admin_code,
        description=description,
        boundary=polygon,
        boundary_source=boundary.describe(),
        extract=extract,
        sources=sources,
        warnings=warnings,
        timezone=timezone,
    )


def build_area_without_streets(
    boundary_path: Path | str,
    out_dir: Path | str,
    *,
    name: str,
    admin_code: str = "",
    description: str = "",
    timezone: str | None = None,
    coordinates: str | None = None,
) -> BuildReport:
    """Build an incidents-only area from a boundary polygon file alone (no OSM file).

    The area holds the boundary and empty buildings, grids, incidents and teams
    layers, and no street network; ``area.json`` says ``"streets": false``.
    Incident import, hot spots, publishing and the public map work on it;
    commands that need streets (plan, coverage, network matrix, grids from
    streets) say what is missing and how to add it. Building it again from an
    OSM file adds the streets and keeps incidents, grids and teams. ``coordinates``: the
    file's system when not WGS-84 (gcj02, bd09, an EPSG code); the outline is converted.
    """
    boundary_path = Path(boundary_path)
    choice = BoundaryChoice(geojson_path=boundary_path, coordinates=coordinates)
    polygon, warnings = resolve_boundary(choice, None)
    metric_crs = metric_crs_for(tuple(polygon.bounds))
    zone, zone_source = area_timezone(polygon, timezone)
    note = (
        "incidents-only area: no street network (built from a boundary alone); patrol plans, "
        "coverage, travel-time matrices and grids from streets need an OSM file: "
        "geogrid area build OSM_FILE --boundary ... --out ..."
    )
    source = {
        "role": "boundary",
        "file": boundary_path.name,
        "sha256": sha256_of(boundary_path),
    }
    ws = Workspace(out_dir)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))
    with ws.lock():
        author, message = "geogrid area build", f"built from {boundary_path.name} (no streets)"
        boundary_frame = gpd.GeoDataFrame(
            {"name": [name], "admin_code": [admin_code or None],
             "source": [choice.describe()]},
            geometry=[polygon],
            crs=WGS84,
        )  # fmt: skip
        ws.write_layer("boundary", boundary_frame, author=author, message=message)
        for layer in ("buildings", "grids", "incidents", "teams"):
            if not ws.layer_file(layer).exists():
                ws.write_layer(layer, empty, author=author, message=message)
        outline = gpd.GeoSeries([polygon], crs=WGS84).to_crs(metric_crs)
        counts = {"area m²": round(float(outline.area.iloc[0]))}
        manifest: dict[str, Any] = {
            "schema": MANIFEST_SCHEMA,
            "name": name,
            "admin_code": admin_code,
            "description": description,
            "metric_crs": metric_crs,
            "bbox": [round(v, 7) for v in polygon.bounds],
            "boundary_source": choice.describe(),
            "streets": False,
            "timezone": zone,
            "timezone_source": zone_source,
            "layers": [],
            "sources": [source],
            "synthetic": {"incidents": False, "teams": False},
            "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "geogrid_version": __version__,
            "counts": counts,
            "warnings": [note, *warnings],
        }
        ws.write_manifest(manifest)
    return BuildReport(
        path=ws.path,
        metric_crs=metric_crs,
        counts=counts,
        warnings=[note, *warnings],
        timezone=zone,
    )


def write_area(
    out_dir: Path,
    *,
    name: str,
    admin_code: str,
    description: str,
    boundary: BaseGeometry,
    boundary_source: str,
    extract: osm.OsmExtract,
    sources: list[dict[str, Any]],
    warnings: list[str],
    extra_manifest: dict[str, Any] | None = None,
    timezone: str | None = None,
) -> BuildReport:
    """Write an extract as an area workspace (atomic files, history kept)."""
    if extract.edges.empty:
        raise InputError(
            f"no streets inside the boundary ({boundary_source}); check that the boundary "
            "overlaps the OSM file"
        )
    metric_crs = metric_crs_for(tuple(boundary.bounds))
    zone, zone_source = area_timezone(boundary, timezone)
    extra_manifest = {"timezone": zone, "timezone_source": zone_source, **(extra_manifest or {})}
    # the network must be routable: building it validates the frames
    network = StreetNetwork.from_frames(extract.nodes, extract.edges, metric_crs)
    buildings = estimate_households(
        extract.buildings,
        metric_crs,
        residential_land=extract.landuse,
        non_residential=extract.features,
    )
    ws = Workspace(out_dir)
    with ws.lock():
        return _write_area(
            ws,
            name=name,
            admin_code=admin_code,
            description=description,
            boundary=boundary,
            boundary_source=boundary_source,
            extract=extract,
            sources=sources,
            warnings=warnings,
            extra_manifest=extra_manifest,
            metric_crs=metric_crs,
            network=network,
            buildings=buildings,
        )


def _write_area(
    ws: Workspace,
    *,
    name: str,
    admin_code: str,
    description: str,
    boundary: BaseGeometry,
    boundary_source: str,
    extract: osm.OsmExtract,
    sources: list[dict[str, Any]],
    warnings: list[str],
    extra_manifest: dict[str, Any] | None,
    metric_crs: str,
    network: StreetNetwork,
    buildings: gpd.GeoDataFrame,
) -> BuildReport:
    author = "geogrid area build"
    message = f"built from {', '.join(s['file'] for s in sources)}"

    def put(layer: str, frame: gpd.GeoDataFrame) -> None:
        ws.write_layer(layer, frame, author=author, message=message)

    boundary_frame = gpd.GeoDataFrame(
        {"name": [name], "admin_code": [admin_code or None], "source": [boundary_source]},
        geometry=[boundary],
        crs=WGS84,
    )
    put("boundary", boundary_frame)
    put("buildings", buildings)
    residential_land = extract.landuse
    if len(residential_land) or ws.residential_land_path.exists():
        put("residential_land", residential_land)
    coverage = household_coverage(buildings, residential_land, boundary, metric_crs)
    layer_names: list[str] = []
    for layer, frame in extract.places.groupby("layer", sort=True):
        put(str(layer), frame.reset_index(drop=True))
        layer_names.append(str(layer))
    put("nodes", extract.nodes)
    put("edges", extract.edges)
    for layer in ("grids", "incidents", "teams"):  # the planner's own layers are never replaced
        if not ws.layer_file(layer).exists():
            put(layer, gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84)))

    counts = {
        "street nodes": len(extract.nodes),
        "street segments": len(extract.edges),
        **{
            f"{mode} segments": int(extract.edges[mode].sum()) for mode in ("walk", "bike", "drive")
        },
        **{
            f"{mode} largest connected share %": round(100 * network.largest_component_share(mode))
            for mode in ("walk", "bike", "drive")
        },
        "buildings": len(buildings),
        "households (estimated or tagged)": int(buildings["households"].sum())
        if len(buildings)
        else 0,
        **{
            f"places: {layer}": int((extract.places["layer"] == layer).sum())
            for layer in layer_names
        },
    }
    manifest: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA,
        "name": name,
        "admin_code": admin_code,
        "description": description,
        "metric_crs": metric_crs,
        "bbox": [round(v, 7) for v in boundary.bounds],
        "boundary_source": boundary_source,
        "layers": sorted(layer_names),
        "sources": sources,
        "synthetic": {"incidents": False, "teams": False},
        "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "geogrid_version": __version__,
        "counts": counts,
        "households": coverage.summary(),
        "warnings": warnings,
    }
    if extra_manifest:
        manifest.update(extra_manifest)
    ws.write_manifest(manifest)
    return BuildReport(
        path=ws.path,
        metric_crs=metric_crs,
        counts=counts,
        warnings=warnings,
        coverage=coverage,
        timezone=str(manifest.get("timezone", "")),
    )


def area_household_coverage(area: Area) -> HouseholdCoverage:
    """How complete the households of a loaded area are (see :func:`household_coverage`)."""
    boundary = area.boundary.geometry.union_all()
    return household_coverage(area.buildings, area.residential_land, boundary, area.metric_crs)


def concat_frames(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def build_area_from_place(
    place: str,
    out_dir: Path | str,
    *,
    name: str,
    admin_code: str = "",
    description: str = "",
    timezone: str | None = None,
) -> BuildReport:
    """Build an area by place name through osmnx (needs internet access)."""
    from geogrid.io import osm_online

    outline, graph, features = osm_online.download_place(place)
    extract = osm_online.extract_from_osmnx(graph, features, outline)
    source = {
        "role": "osm",
        "file": f"osmnx download of {place!r}",
        "downloaded": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "licence": OSM_LICENCE,
        "attribution": OSM_ATTRIBUTION,
        "url": "https://www.openstreetmap.org/copyright",
    }
    return write_area(
        Path(out_dir),
        name=name,
        admin_code=admin_code,
        description=description,
        boundary=outline,
        boundary_source=f"Nominatim outline of {place!r}",
        extract=extract,
        sources=[source],
        warnings=list(extract.warnings),
        timezone=timezone,
    )
