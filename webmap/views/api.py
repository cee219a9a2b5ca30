"""JSON API: area summary, public aggregates and GeoJSON layers (never raw incidents).

Every incident figure is a sum of the cells of the area's one released table
(:class:`geogrid.release.ReleasedTable`: place x category x month, k = 5 with
secondary suppression, sensitive categories dropped), with ``at_least: true``
when a hidden cell is inside; ``/api/released.json`` is that table itself.
GeoJSON answers carry an ``ETag`` and
answer ``304 Not Modified`` to a matching ``If-None-Match``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from flask import Blueprint, Response, abort, request, url_for

from geogrid.crs import WGS84
from geogrid.release import (
    MIN_COUNT,
    RULES,
    Bound,
    ReleasedTable,
    category_counts,
    monthly_counts,
    place_counts,
    public_total,
    year_over_year,
)
from webmap.area import (
    current_area,
    current_entry,
    current_released,
    incidents_are_synthetic,
    selection_from_args,
    source_attributions,
)
from webmap.openapi import PUBLIC_COLUMNS, openapi_document
from webmap.search import (
    SearchEntry,
    build_search_index,
    grid_notices,
    parse_search_args,
    search_index,
)
from webmap.texts import LANGS, texts_for

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON_MIMETYPE = "application/geo+json"
PLACE_COLUMNS = list(PUBLIC_COLUMNS["places"])
STREET_COLUMNS = list(PUBLIC_COLUMNS["edges"])
#: GeoJSON bodies kept per app (route + query), least recently used dropped.
BODY_CACHE_SIZE = 64
CACHE_CONTROL = "public, max-age=300"
_CACHE = "webmap.api_bodies"


def _geojson_body(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    keep = [c for c in columns if c in frame.columns]
    subset = frame[[*keep, "geometry"]]
    if subset.crs is not None and subset.crs != WGS84:
        subset = subset.to_crs(WGS84)
    subset = subset.set_geometry(shapely.set_precision(subset.geometry.values, 1e-7))
    return subset.to_json(na="null", drop_id=True, ensure_ascii=False)


def _cached_json(build: Callable[[], dict[str, Any]]) -> Response:
    """A JSON answer for this URL, built once per app, with ETag / If-None-Match -> 304."""
    return _cached_geojson(
        lambda: json.dumps(build(), ensure_ascii=False, sort_keys=True),
        mimetype="application/json",
    )


def _cached_geojson(build: Callable[[], str], mimetype: str = GEOJSON_MIMETYPE) -> Response:
    """The GeoJSON body for this URL (built once per area version), with ETag /
    If-None-Match -> 304."""
    key = (request.path, tuple(sorted(request.args.items(multi=True))))
    body = current_entry().cached(_CACHE, key, build, BODY_CACHE_SIZE)
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.add_etag()
    return response.make_conditional(request)


def _selection_json(selection: Any) -> dict[str, Any]:
    return {"from": selection.start, "to": selection.end, "categories": list(selection.categories)}


def _rows(table: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    out = []
    for row in table[columns].itertuples(index=False):
        item = dict(zip(columns, row, strict=True))
        item["count"] = int(item["count"])
        item["at_least"] = bool(item["at_least"])
        out.append(item)
    return out


def _overlap_note(table: ReleasedTable) -> dict[str, str] | None:
    """The note the public sees when cases have several offences (categories can add up
    to more than the total), in Chinese and English; None otherwise."""
    if not table.categories_overlap:
        return None
    return {lang: texts_for(lang)["categories_overlap_note"] for lang in LANGS}


def _bound(bound: Bound) -> dict[str, Any]:
    return {"count": bound.value, "at_least": bound.at_least}


@bp.get("/openapi.json")
def openapi():
    return openapi_document(url_for("api.openapi", _external=False).rsplit("/", 1)[0])


@bp.get("/area")
def area_summary():
    def build() -> dict[str, Any]:
        area = current_area()
        table = current_released()
        households = (
            int(area.buildings["households"].fillna(0).sum())
            if "households" in area.buildings.columns
            else 0
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
                # sum of released cells (sensitive categories are in no total)
                "incidents": public_total(table).value,
                "incidents_at_least": public_total(table).at_least,
            },
            "synthetic_incidents": incidents_are_synthetic(area),
            "statistics": {
                "place_kind": table.kind,
                "cell_m": table.cell_m if table.kind == "cell" else None,
                "months": list(table.months),
                "categories": [{"category": k, "label_zh": v} for k, v in table.categories.items()],
                "categories_overlap": table.categories_overlap,
                "note": _overlap_note(table),
                "release_rules": {
                    "min_count": MIN_COUNT,
                    "finest_period": RULES.finest_period,
                    "sensitive_words": list(RULES.sensitive_words),
                },
            },
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
                "places": url_for("api.places_geojson"),
                "released": url_for("api.released"),
                "aggregates": {
                    "places": url_for("api.aggregate_places"),
                    "months": url_for("api.aggregate_months"),
                    "categories": url_for("api.aggregate_categories"),
                    "year_over_year": url_for("api.aggregate_yoy"),
                },
                "openapi": url_for("api.openapi"),
            },
        }

    return _cached_json(build)


@bp.get("/released.json")
def released():
    """The area's released table: released cells, null where hidden (the page filters it)."""
    table = current_released()
    return _cached_json(table.to_json)


@bp.get("/places.geojson")
def places_geojson():
    table = current_released()
    selection = selection_from_args(request.args, table)

    def build() -> str:
        counts = place_counts(table, selection)
        frame = gpd.GeoDataFrame(
            {
                "place": counts.index.astype(str),
                "kind": table.kind,
                "name": counts["place_name"].to_numpy(),
                "households": counts["households"].to_numpy(),
                "count": counts["count"].to_numpy(),
                "at_least": counts["at_least"].to_numpy(),
                "rate_per_1000_households": counts["rate_per_1000_households"].to_numpy(),
            },
            geometry=counts.geometry.to_numpy(),
            crs=WGS84,
        )
        if table.kind == "cell":
            frame = frame.drop(columns=["households", "rate_per_1000_households"])
        return _geojson_body(frame, [c for c in frame.columns if c != "geometry"])

    return _cached_geojson(build)


@bp.get("/aggregates/places")
def aggregate_places():
    table = current_released()
    selection = selection_from_args(request.args, table)

    def build() -> dict[str, Any]:
        counts = place_counts(table, selection)
        rows = []
        for place, row in counts.iterrows():
            rate = row["rate_per_1000_households"]
            rows.append(
                {
                    "place": str(place),
                    "name": str(row["place_name"]),
                    "households": int(row["households"]) if table.kind == "grid" else None,
                    "count": int(row["count"]),
                    "at_least": bool(row["at_least"]),
                    "rate_per_1000_households": None if pd.isna(rate) else float(rate),
                }
            )
        return {"kind": table.kind, "selection": _selection_json(selection), "places": rows}

    return _cached_json(build)


@bp.get("/aggregates/months")
def aggregate_months():
    table = current_released()
    selection = selection_from_args(request.args, table)

    def build() -> dict[str, Any]:
        by = request.args.get("by") or None
        if by not in (None, "place", "category"):
            abort(400, description="by must be place or category (or absent for the whole area)")
        place = request.args.get("place")
        monthly = monthly_counts(table, selection, by="place" if place else by)
        if place:
            if place not in set(monthly["place"]):
                abort(404, description=f"no public place {place!r} in this area")
            monthly = monthly[monthly["place"] == place]
            by = "place"
        columns = ["period", "count", "at_least"] + ([by] if by else [])
        rows = _rows(monthly, columns)
        for row in rows:
            row["month"] = row.pop("period")
        return {"selection": _selection_json(selection), "by": by, "rows": rows}

    return _cached_json(build)


@bp.get("/aggregates/categories")
def aggregate_categories():
    table = current_released()
    selection = selection_from_args(request.args, table)

    def build() -> dict[str, Any]:
        per_category = category_counts(table, selection)
        return {
            "selection": _selection_json(selection),
            "rows": _rows(per_category, ["category", "label_zh", "count", "at_least"]),
            "note": _overlap_note(table),
        }

    return _cached_json(build)


@bp.get("/aggregates/yoy")
def aggregate_yoy():
    table = current_released()
    selection = selection_from_args(request.args, table)

    def build() -> dict[str, Any]:
        yoy = year_over_year(table, selection)
        if yoy is None:
            return {"selection": _selection_json(selection), "year_over_year": None}
        previous = (
            _bound(yoy.previous_count) if yoy.comparable else {"count": None, "at_least": False}
        )
        return {
            "selection": _selection_json(selection),
            "year_over_year": {
                "from": yoy.start,
                "to": yoy.end,
                "count": yoy.count.value,
                "at_least": yoy.count.at_least,
                "previous_from": yoy.previous_start,
                "previous_to": yoy.previous_end,
                "previous_count": previous["count"],
                "previous_at_least": previous["at_least"],
                "comparable": yoy.comparable,
                "change_pct": yoy.change_pct,
            },
        }

    return _cached_json(build)


def _search_entries() -> list[SearchEntry]:
    entry = current_entry()
    return entry.cached(
        "webmap.search", "index", lambda: build_search_index(entry.area, current_released()), 1
    )


@bp.get("/search")
def search():
    """Names of the area's key places, streets and grids containing ``q``, each with the
    released place (grid or cell) it lies in."""
    args = parse_search_args(request.args)
    found, more = search_index(_search_entries(), args.q, args.limit)
    response = Response(
        json.dumps(
            {"query": args.q, "results": [e.to_json() for e in found], "more": more},
            ensure_ascii=False,
        ),
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/notices.json")
def notices():
    """Each grid's public notice: code and name; the worker's name and phone only where the
    planner published them (``publish_contact``)."""

    def build() -> dict[str, Any]:
        table = current_released()
        return {"kind": table.kind, "grids": grid_notices(current_area(), table)}

    return _cached_json(build)


@bp.get("/layers/<name>.geojson")
def layer(name: str):
    area = current_area()
    if name not in area.layers:
        known = ", ".join(sorted(area.layers)) or "none"
        abort(404, description=f"no key-location layer {name!r}; this area has: {known}")
    return _cached_geojson(lambda: _geojson_body(area.layers[name], PLACE_COLUMNS))


@bp.get("/boundary.geojson")
def boundary():
    return _cached_geojson(
        lambda: _geojson_body(current_area().boundary, list(PUBLIC_COLUMNS["boundary"]))
    )


@bp.get("/streets.geojson")
def streets():
    edges = current_area().edges
    if edges is None:
        edges = gpd.GeoDataFrame({"highway": [], "name": []}, geometry=[], crs=WGS84)
    return _cached_geojson(lambda: _geojson_body(edges, STREET_COLUMNS))
