"""JSON API: area summary and the public GeoJSON layers (never raw incidents)."""

from __future__ import annotations

import geopandas as gpd
import shapely
from flask import Blueprint, Response, abort, url_for

from geogrid.crs import WGS84
from webmap.area import current_area, incidents_are_synthetic, source_attributions

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON_MIMETYPE = "application/geo+json"
PLACE_COLUMNS = ["id", "kind", "layer", "name"]
STREET_COLUMNS = ["highway", "name"]


def _geojson(frame: gpd.GeoDataFrame, columns: list[str]) -> Response:
    keep = [c for c in columns if c in frame.columns]
    subset = frame[keep + ["geometry"]]
    if subset.crs is not None and subset.crs != WGS84:
        subset = subset.to_crs(WGS84)
    subset = subset.set_geometry(shapely.set_precision(subset.geometry.values, 1e-7))
    body = subset.to_json(na="null", drop_id=True, ensure_ascii=False)
    return Response(body, mimetype=GEOJSON_MIMETYPE)


@bp.get("/area")
def area_summary():
    area = current_area()
    incidents = area.incidents
    households = (
        int(area.buildings["households"].fillna(0).sum())
        if "households" in area.buildings.columns else 0
    )
    return {
        "name": area.name,
        "admin_code": area.manifest.get("admin_code", ""),
        "description": area.manifest.get("description", ""),
        "metric_crs": area.metric_crs,
        "bbox": [round(float(v), 7) for v in area.boundary.total_bounds],
        "counts": {
            "grids": len(area.grids),
            "buildings": len(area.buildings),
            "households": households,
            "streets": 0 if area.edges is None else len(area.edges),
            "incidents": 0 if incidents is None else len(incidents),
        },
        "synthetic_incidents": incidents_are_synthetic(area),
        "layers": [
            {
                "name": name,
                "count": len(frame),
                "url": url_for("api.layer", name=name),
            }
            for name, frame in sorted(area.layers.items())
        ],
        "sources": source_attributions(area),
        "links": {
            "boundary": url_for("api.boundary"),
            "streets": url_for("api.streets"),
        },
    }


@bp.get("/layers/<name>.geojson")
def layer(name: str):
    area = current_area()
    if name not in area.layers:
        known = ", ".join(sorted(area.layers)) or "none"
        abort(404, description=f"no key-location layer {name!r}; this area has: {known}")
    return _geojson(area.layers[name], PLACE_COLUMNS)


@bp.get("/boundary.geojson")
def boundary():
    return _geojson(current_area().boundary, ["name"])


@bp.get("/streets.geojson")
def streets():
    edges = current_area().edges
    if edges is None:
        edges = gpd.GeoDataFrame({"highway": [], "name": []}, geometry=[], crs=WGS84)
    return _geojson(edges, STREET_COLUMNS)
