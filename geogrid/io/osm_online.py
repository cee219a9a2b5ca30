"""Area input by place name, through osmnx (needs internet; never used by tests
against the network).

``download_place`` asks Nominatim for the place's outline and Overpass for its
streets and features via osmnx. ``extract_from_osmnx`` turns osmnx's graph and
features frame into the same :class:`~geogrid.io.osm.OsmExtract` that
:func:`~geogrid.io.osm.read_osm` makes from a file, with the same mode rules
(:func:`~geogrid.io.osm.street_modes`) and key-location rules
(:mod:`geogrid.places`); it is tested offline on osmnx's own XML reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geogrid.buildings import non_residential_use
from geogrid.crs import WGS84
from geogrid.errors import InputError, NetworkError
from geogrid.io.osm import (
    OsmExtract,
    admin_frame,
    admin_record,
    building_record,
    clip_extract,
    concat_records,
    empty_extract,
    feature_frame,
    feature_record,
    landuse_frame,
    landuse_record,
    place_record,
    street_modes,
)
from geogrid.places import classify_place

#: way tags osmnx must keep so that the mode rules can be applied
MODE_TAGS = (
    "highway", "name", "oneway", "junction", "access", "service", "area", "foot",
    "bicycle", "motor_vehicle", "motorcar", "vehicle", "motorroad", "sidewalk",
    "oneway:bicycle", "cycleway", "cycleway:both", "cycleway:left", "cycleway:right",
    "cycleway:both:oneway", "cycleway:left:oneway", "cycleway:right:oneway",
)  # fmt: skip

#: features osmnx should fetch: buildings, key locations, admin boundaries, residential
#: land and the non-residential features that tell which buildings are homes
FEATURE_TAGS: dict[str, Any] = {
    "building": True,
    "amenity": True,
    "shop": True,
    "landuse": ["residential", "industrial", "commercial", "retail"],
    "barrier": ["toll_booth"],
    "railway": ["station", "halt", "subway_entrance"],
    "public_transport": ["station"],
    "station": ["subway"],
    "healthcare": True,
    "office": ["police", "government", "association"],
    "tourism": True,
    "leisure": True,
    "boundary": ["administrative"],
}


@contextmanager
def mode_tags_kept() -> Iterator[None]:
    """Temporarily make osmnx keep every way tag the mode rules read."""
    import osmnx as ox

    before = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(before) | set(MODE_TAGS))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = before


def download_place(place: str) -> tuple[BaseGeometry, nx.MultiDiGraph, gpd.GeoDataFrame]:
    """Download a place's outline, street graph and features through osmnx (online)."""
    import osmnx as ox

    try:
        outline = ox.geocode_to_gdf(place).to_crs(WGS84).geometry.union_all()
        with mode_tags_kept():
            graph = ox.graph_from_polygon(
                outline, network_type="all", simplify=False, retain_all=True, truncate_by_edge=True
            )
        features = ox.features_from_polygon(outline, tags=FEATURE_TAGS)
    except (OSError, ValueError) as err:  # requests' errors subclass OSError
        raise NetworkError(
            f"could not download {place!r} through osmnx ({err}); this needs internet access "
            "to Nominatim and Overpass: on a closed network export an .osm/.osm.pbf file "
            "and run `geogrid area build FILE` instead"
        ) from err
    return outline, graph, features


def _way_tags(data: Mapping[str, Any]) -> dict[str, str]:
    tags = {k: str(data[k]) for k in MODE_TAGS if k in data and not _missing(data[k])}
    # osmnx has already turned oneway=-1 ways around and reduced oneway to a bool
    tags["oneway"] = "yes" if bool(data.get("oneway", False)) else "no"
    return tags


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def extract_from_osmnx(
    graph: nx.MultiDiGraph, features: gpd.GeoDataFrame | None, boundary: BaseGeometry
) -> OsmExtract:
    """Convert an unsimplified osmnx graph and features frame to an :class:`OsmExtract`."""
    if graph.graph.get("simplified"):
        raise InputError("extract_from_osmnx needs an unsimplified graph (simplify=False)")
    edge_rows: list[dict[str, Any]] = []
    for u, v, data in graph.edges(data=True):
        if data.get("reversed", False):
            continue  # osmnx's added opposite direction; the row below covers both ways
        modes = street_modes(_way_tags(data))
        if modes is None:
            continue
        walk, bike, drive, bike_dir, drive_dir = modes
        a, b = graph.nodes[u], graph.nodes[v]
        osmid = data.get("osmid")
        edge_rows.append({
            "u": int(u), "v": int(v),
            "way_id": int(osmid[0] if isinstance(osmid, list) else osmid),
            "highway": str(data.get("highway")),
            "name": None if _missing(data.get("name")) else str(data.get("name")),
            "length_m": float(data.get("length", 0.0)),
            "walk": walk, "bike": bike, "drive": drive,
            "oneway_bike": bike_dir != 0, "oneway_drive": drive_dir != 0,
            "geometry": shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])]),
        })  # fmt: skip
    extract = empty_extract(source="osmnx download")
    if not edge_rows:
        raise InputError("osmnx returned no street any mode may use inside the boundary")
    edges = gpd.GeoDataFrame(edge_rows, geometry="geometry", crs=WGS84)
    used = sorted(set(edges["u"]) | set(edges["v"]))
    nodes = gpd.GeoDataFrame(
        {"node_id": used},
        geometry=[shapely.Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in used],
        crs=WGS84,
    ).set_index("node_id")
    extract.nodes, extract.edges = nodes, edges
    if features is None or features.empty:
        return clip_extract(extract, boundary)
    buildings, places, admin, land, uses = [], [], [], [], []
    for (element, osm_id), row in features.iterrows():
        tags = {k: str(v) for k, v in row.items() if k != "geometry" and not _missing(v)}
        geom = row.geometry
        fid = f"{element}/{osm_id}"
        polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
        if polygonal and tags.get("building", "no") != "no":
            buildings.append(building_record(fid, int(osm_id), tags, geom))
        elif use := non_residential_use(tags):
            uses.append(feature_record(fid, int(osm_id), use, geom))
        if polygonal and tags.get("landuse") == "residential":
            land.append(landuse_record(fid, int(osm_id), tags, geom))
        kind = classify_place(tags)
        if kind:
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            places.append(place_record(fid, int(osm_id), kind, tags, point))
        if polygonal and tags.get("boundary") == "administrative" and "name" in tags:
            admin.append(admin_record(fid, int(osm_id), tags, geom))
    extract.buildings = concat_records(extract.buildings, buildings)
    extract.places = concat_records(extract.places, places)
    extract.admin = admin_frame(admin)
    extract.landuse = landuse_frame(land)
    extract.features = feature_frame(uses)
    return clip_extract(extract, boundary)
