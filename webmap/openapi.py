"""The OpenAPI 3.1 document of the JSON API (served at ``/api/openapi.json``).

Paths and API schemas are written here; the workspace layer schemas come from
the layer models (:func:`geogrid.layers.json_schemas`).
"""

from __future__ import annotations

from typing import Any

from geogrid.layers import SPECS, json_schemas

#: the properties each public layer endpoint serves (``/api/boundary.geojson``,
#: ``/api/places.geojson`` and ``/api/layers/<name>.geojson``, ``/api/streets.geojson``);
#: internal layers (incidents, teams, buildings, ...) are never described here, and the
#: public layers' schemas are trimmed to these, so the document names no other field
PUBLIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "boundary": ("name",),
    "places": ("id", "kind", "layer", "name"),
    "edges": ("highway", "name"),
}


def public_layer_schemas(ref_prefix: str = "#/components/schemas/") -> dict[str, Any]:
    """JSON Schemas of the public layers' features, from the layer models, trimmed to
    the properties the public endpoints serve."""
    schemas = json_schemas({name: SPECS[name] for name in PUBLIC_COLUMNS}, ref_prefix=ref_prefix)
    for name, columns in PUBLIC_COLUMNS.items():
        model = schemas[SPECS[name].model.__name__]
        model["properties"] = {k: v for k, v in model["properties"].items() if k in columns}
        model["required"] = [k for k in model.get("required", []) if k in columns]
    return schemas

_FILTERS: list[dict[str, Any]] = [
    {"name": "from", "in": "query", "required": False,
     "description": "first month, inclusive (YYYY-MM)",
     "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}},
    {"name": "to", "in": "query", "required": False,
     "description": "last month, inclusive (YYYY-MM)",
     "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}},
    {"name": "category", "in": "query", "required": False, "style": "form", "explode": True,
     "description": "public category code; repeat or comma-separate for several (default: all)",
     "schema": {"type": "array", "items": {"type": "string"}}},
]
_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "413": {"$ref": "#/components/responses/Error"},
    "414": {"$ref": "#/components/responses/Error"},
    "503": {"$ref": "#/components/responses/Error"},
}
_COUNT = {"type": "integer", "minimum": 0,
          "description": "sum of released cells; the true count is this or more when "
                         "at_least is true"}
_AT_LEAST = {"type": "boolean",
             "description": "a hidden cell (1 to 4 incidents, or withheld so that none can be "
                            "worked out) is inside: read the count as 'at least'"}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def _geojson(description: str, with_filters: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": description,
        "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}]
        + (list(_FILTERS) if with_filters else []),
        "responses": {
            "200": {
                "description": "RFC 7946 FeatureCollection in WGS-84 lon/lat",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"},
                            "Cache-Control": {"schema": {"type": "string"}}},
                "content": {"application/geo+json": {
                    "schema": {"$ref": "#/components/schemas/FeatureCollection"}}},
            },
            "304": {"description": "not modified (If-None-Match matched the ETag)"},
            **_ERRORS,
        },
    }
    return {"get": op}


def _aggregate(summary: str, schema_ref: str, extra: list[dict[str, Any]] | None = None,
               not_found: bool = False) -> dict[str, Any]:
    ok = _json(schema_ref, summary)
    ok["headers"] = {"ETag": {"$ref": "#/components/headers/ETag"}}
    responses: dict[str, Any] = {
        "200": ok, "304": {"description": "not modified (If-None-Match matched the ETag)"},
        **_ERRORS,
    }
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/Error"}
    return {"get": {"summary": summary, "parameters": list(_FILTERS) + (extra or []),
                    "responses": responses}}


def openapi_document(server_url: str = "/api") -> dict[str, Any]:
    """The OpenAPI 3.1 document; paths are relative to ``server_url``."""
    selection = {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]},
        "categories": {"type": "array", "items": {"type": "string"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "geogrid public safety API",
            "version": "1.0.0",
            "description": (
                "Public incident statistics by grid (or square cell when an area has no "
                "grids), month and category, all from ONE released table per area "
                "(place x category x month; /released.json): counts from 1 to 4 are hidden, "
                "with secondary suppression so that no hidden count follows from a line or "
                "margin total. Every count served is a sum of released cells; where a "
                "hidden cell is inside, at_least is true and the count is a lower bound. "
                "No incident points, ids, times, addresses or personal fields; sensitive "
                "categories are excluded; months are the finest period."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/openapi.json": {"get": {"summary": "this document", "responses": {
                "200": {"description": "OpenAPI 3.1 document",
                        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/area": {"get": {"summary": "the area: name, bbox, counts, months, categories, links",
                              "responses": {"200": _json("#/components/schemas/Area", "area"),
                                            "503": {"$ref": "#/components/responses/Error"}}}},
            "/released.json": {"get": {
                "summary": "the area's released table: place x category x month cells, "
                           "null where hidden (what the public map filters in the browser)",
                "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                "responses": {
                    "200": {**_json("#/components/schemas/ReleasedTable", "released table"),
                            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
                    "304": {"description": "not modified (If-None-Match matched the ETag)"},
                    "503": {"$ref": "#/components/responses/Error"}}}},
            "/places.geojson": _geojson(
                "public count (and rate per 1,000 households for grids) per place", True),
            "/aggregates/places": _aggregate("count per place", "#/components/schemas/Places"),
            "/aggregates/months": _aggregate(
                "count per month, for the area or by place / category",
                "#/components/schemas/Rows",
                [{"name": "by", "in": "query", "required": False,
                  "schema": {"type": "string", "enum": ["place", "category"]}},
                 {"name": "place", "in": "query", "required": False,
                  "description": "one place id (grid id or cell id): its monthly trend",
                  "schema": {"type": "string"}}],
                not_found=True),
            "/aggregates/categories": _aggregate("count per category",
                                                 "#/components/schemas/Rows"),
            "/aggregates/yoy": _aggregate(
                "the selected months (at most the last 12) against a year earlier",
                "#/components/schemas/YearOverYear"),
            "/layers/{name}.geojson": {
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "description": "key-location layer (police, schools, ...)",
                                "schema": {"type": "string"}}],
                **_geojson("public places of one layer (police, service points, schools ...)"),
            },
            "/boundary.geojson": _geojson("the area outline"),
            "/streets.geojson": _geojson("OSM streets (highway, name)"),
        },
        "components": {
            "parameters": {
                "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                                "schema": {"type": "string"}},
            },
            "headers": {"ETag": {"description": "entity tag of the body",
                                 "schema": {"type": "string"}}},
            "responses": {
                "Error": _json("#/components/schemas/Error", "error"),
            },
            "schemas": {
                # public layer features, from the same pydantic models as the checks
                **public_layer_schemas(),
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {
                        "type": "object", "required": ["code", "message"],
                        "properties": {"code": {"type": "string"},
                                       "message": {"type": "string"}}}},
                },
                "FeatureCollection": {
                    "type": "object", "required": ["type", "features"],
                    "properties": {
                        "type": {"const": "FeatureCollection"},
                        "features": {"type": "array", "items": {
                            "type": "object", "required": ["type", "geometry", "properties"],
                            "properties": {"type": {"const": "Feature"},
                                           "geometry": {"type": ["object", "null"]},
                                           "properties": {"type": ["object", "null"]}}}},
                    },
                },
                "Area": {"type": "object", "required": ["name", "bbox", "counts", "links"],
                         "properties": {"name": {"type": "string"},
                                        "bbox": {"type": "array", "items": {"type": "number"},
                                                 "minItems": 4, "maxItems": 4},
                                        "counts": {"type": "object"},
                                        "statistics": {"type": "object"},
                                        "layers": {"type": "array"},
                                        "links": {"type": "object"}}},
                "Places": {"type": "object", "required": ["kind", "places"], "properties": {
                    "kind": {"type": "string", "enum": ["grid", "cell"]},
                    "selection": selection,
                    "places": {"type": "array", "items": {"type": "object", "properties": {
                        "place": {"type": "string"}, "name": {"type": "string"},
                        "households": {"type": ["integer", "null"]},
                        "count": _COUNT, "at_least": _AT_LEAST,
                        "rate_per_1000_households": {
                            "type": ["number", "null"],
                            "description": "from count (a lower bound when at_least)"}}}}}},
                "Rows": {"type": "object", "required": ["rows"], "properties": {
                    "selection": selection,
                    "by": {"type": ["string", "null"]},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {
                        "month": {"type": "string"}, "category": {"type": "string"},
                        "place": {"type": "string"}, "label_zh": {"type": "string"},
                        "count": _COUNT, "at_least": _AT_LEAST}}}}},
                "YearOverYear": {"type": "object", "properties": {
                    "selection": selection,
                    "year_over_year": {"type": ["object", "null"], "properties": {
                        "from": {"type": "string"}, "to": {"type": "string"},
                        "count": _COUNT, "at_least": _AT_LEAST,
                        "previous_from": {"type": "string"},
                        "previous_to": {"type": "string"},
                        "previous_count": {**_COUNT, "type": ["integer", "null"]},
                        "previous_at_least": _AT_LEAST,
                        "comparable": {"type": "boolean"},
                        "change_pct": {"type": ["number", "null"],
                                       "description": "null unless both counts are exact"}}}}},
                "ReleasedTable": {
                    "type": "object",
                    "required": ["kind", "k", "months", "categories", "places", "counts"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["grid", "cell"]},
                        "cell_m": {"type": ["number", "null"]},
                        "k": {"type": "integer", "description": "counts 1 to k-1 are hidden"},
                        "months": {"type": "array", "items": {"type": "string"}},
                        "categories": {"type": "array", "items": {
                            "type": "object", "properties": {
                                "category": {"type": "string"},
                                "label_zh": {"type": "string"}}}},
                        "places": {"type": "array", "items": {
                            "type": "object", "properties": {
                                "place": {"type": "string"}, "name": {"type": "string"},
                                "households": {"type": "integer"}}}},
                        "counts": {
                            "type": "object",
                            "description": "place id -> [category][month] released count, "
                                           "null where hidden (orders of categories, months)",
                            "additionalProperties": {"type": "array", "items": {
                                "type": "array", "items": {
                                    "type": ["integer", "null"], "minimum": 0}}}},
                    },
                },
            },
        },
    }

