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
    {
        "name": "from",
        "in": "query",
        "required": False,
        "description": "first month, inclusive (YYYY-MM)",
        "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "last month, inclusive (YYYY-MM)",
        "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
    },
    {
        "name": "category",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": "public category code; repeat or comma-separate for several (default: all)",
        "schema": {"type": "array", "items": {"type": "string"}},
    },
]
_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "413": {"$ref": "#/components/responses/Error"},
    "414": {"$ref": "#/components/responses/Error"},
    "503": {"$ref": "#/components/responses/Error"},
}
_COUNT = {
    "type": "integer",
    "minimum": 0,
    "description": "sum of released cells; the true count is this or more when at_least is true",
}
_AT_LEAST = {
    "type": "boolean",
    "description": "a hidden cell (1 to 4 incidents, or withheld so that none can be "
    "worked out) is inside: read the count as 'at least'",
}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
    }


def _geojson(description: str, with_filters: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": description,
        "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}]
        + (list(_FILTERS) if with_filters else []),
        "responses": {
            "200": {
                "description": "RFC 7946 FeatureCollection in WGS-84 lon/lat",
                "headers": {
                    "ETag": {"$ref": "#/components/headers/ETag"},
                    "Cache-Control": {"schema": {"type": "string"}},
                },
                "content": {
                    "application/geo+json": {
                        "schema": {"$ref": "#/components/schemas/FeatureCollection"}
                    }
                },
            },
            "304": {"description": "not modified (If-None-Match matched the ETag)"},
            **_ERRORS,
        },
    }
    return {"get": op}


def _aggregate(
    summary: str,
    schema_ref: str,
    extra: list[dict[str, Any]] | None = None,
    not_found: bool = False,
) -> dict[str, Any]:
    ok = _json(schema_ref, summary)
    ok["headers"] = {"ETag": {"$ref": "#/components/headers/ETag"}}
    responses: dict[str, Any] = {
        "200": ok,
        "304": {"description": "not modified (If-None-Match matched the ETag)"},
        **_ERRORS,
    }
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/Error"}
    return {
        "get": {
            "summary": summary,
            "parameters": list(_FILTERS) + (extra or []),
            "responses": responses,
        }
    }


def _search_parameters() -> list[dict[str, Any]]:
    """Query parameters of /search, from the model the view parses them with."""
    from webmap.schemas import query_parameters
    from webmap.search import SearchArgs

    params = query_parameters(SearchArgs)
    for param in params:
        param["description"] = SearchArgs.model_fields[param["name"]].description
    return params


def openapi_document(server_url: str = "/api") -> dict[str, Any]:
    """The OpenAPI 3.1 document; paths are relative to ``server_url``."""
    selection = {
        "type": "object",
        "properties": {
            "from": {"type": ["string", "null"]},
            "to": {"type": ["string", "null"]},
            "categories": {"type": "array", "items": {"type": "string"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "geogrid public safety API",
            "version": "1.0.0",
            "description": (
                "Public incident statistics by grid (or square cell when an area has no "
                "grids), month and category, all from ONE released table per area "
                "(place x category x month with its margin tables, released in one pass; "
                "/released.json): counts from 1 to 4 are hidden, with secondary "
                "suppression across the cube and its margins so that no hidden count "
                "follows from the released ones. Every count served is a sum of released "
                "cells of the table that answers it most tightly; where a hidden cell is "
                "inside, at_least is true and the count is a lower bound. "
                "No incident points, ids, times, addresses or personal fields; sensitive "
                "categories are excluded; months are the finest period."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "this document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/area": {
                "get": {
                    "summary": "the area: name, bbox, counts, months, categories, links",
                    "responses": {
                        "200": _json("#/components/schemas/Area", "area"),
                        "503": {"$ref": "#/components/responses/Error"},
                    },
                }
            },
            "/released.json": {
                "get": {
                    "summary": "the area's released table: place x category x month cells, "
                    "null where hidden (what the public map filters in the browser)",
                    "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                    "responses": {
                        "200": {
                            **_json("#/components/schemas/ReleasedTable", "released table"),
                            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                        },
                        "304": {"description": "not modified (If-None-Match matched the ETag)"},
                        "503": {"$ref": "#/components/responses/Error"},
                    },
                }
            },
            "/places.geojson": _geojson(
                "public count (and rate per 1,000 households for grids) per place", True
            ),
            "/aggregates/places": _aggregate("count per place", "#/components/schemas/Places"),
            "/aggregates/months": _aggregate(
                "count per month, for the area or by place / category",
                "#/components/schemas/Rows",
                [
                    {
                        "name": "by",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["place", "category"]},
                    },
                    {
                        "name": "place",
                        "in": "query",
                        "required": False,
                        "description": "one place id (grid id or cell id): its monthly trend",
                        "schema": {"type": "string"},
                    },
                ],
                not_found=True,
            ),
            "/aggregates/categories": _aggregate("count per category", "#/components/schemas/Rows"),
            "/aggregates/yoy": _aggregate(
                "the selected months (at most the last 12) against a year earlier",
                "#/components/schemas/YearOverYear",
            ),
            "/layers/{name}.geojson": {
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "description": "key-location layer (police, schools, ...)",
                        "schema": {"type": "string"},
                    }
                ],
                **_geojson("public places of one layer (police, service points, schools ...)"),
            },
            "/boundary.geojson": _geojson("the area outline"),
            "/streets.geojson": _geojson("OSM streets (highway, name)"),
            "/search": {
                "get": {
                    "summary": "names of the area's key places, streets and grids containing q "
                    "(any case, full-width as ASCII), best first, each with the "
                    "released place (grid or cell) it lies in",
                    "parameters": _search_parameters(),
                    "responses": {
                        "200": _json("#/components/schemas/SearchResults", "matches"),
                        **_ERRORS,
                    },
                }
            },
            "/notices.json": {
                "get": {
                    "summary": "each grid's public notice: code and name; the grid worker's name "
                    "and phone only where the planner set publish_contact",
                    "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                    "responses": {
                        "200": {
                            **_json("#/components/schemas/Notices", "notices"),
                            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                        },
                        "304": {"description": "not modified (If-None-Match matched the ETag)"},
                        "503": {"$ref": "#/components/responses/Error"},
                    },
                }
            },
        },
        "components": {
            "parameters": {
                "IfNoneMatch": {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "ETag": {"description": "entity tag of the body", "schema": {"type": "string"}}
            },
            "responses": {
                "Error": _json("#/components/schemas/Error", "error"),
            },
            "schemas": {
                # public layer features, from the same pydantic models as the checks
                **public_layer_schemas(),
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "FeatureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"const": "FeatureCollection"},
                        "features": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["type", "geometry", "properties"],
                                "properties": {
                                    "type": {"const": "Feature"},
                                    "geometry": {"type": ["object", "null"]},
                                    "properties": {"type": ["object", "null"]},
                                },
                            },
                        },
                    },
                },
                "Area": {
                    "type": "object",
                    "required": ["name", "bbox", "counts", "links"],
                    "properties": {
                        "name": {"type": "string"},
                        "bbox": {
                            "type": "array",
                            "items": {"type": "number"},
                            "minItems": 4,
                            "maxItems": 4,
                        },
                        "counts": {"type": "object"},
                        "statistics": {"type": "object"},
                        "layers": {"type": "array"},
                        "links": {"type": "object"},
                    },
                },
                "Places": {
                    "type": "object",
                    "required": ["kind", "places"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["grid", "cell"]},
                        "selection": selection,
                        "places": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "place": {"type": "string"},
                                    "name": {"type": "string"},
                                    "households": {"type": ["integer", "null"]},
                                    "count": _COUNT,
                                    "at_least": _AT_LEAST,
                                    "rate_per_1000_households": {
                                        "type": ["number", "null"],
                                        "description": "from count (a lower bound when at_least)",
                                    },
                                },
                            },
                        },
                    },
                },
                "Rows": {
                    "type": "object",
                    "required": ["rows"],
                    "properties": {
                        "selection": selection,
                        "by": {"type": ["string", "null"]},
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "month": {"type": "string"},
                                    "category": {"type": "string"},
                                    "place": {"type": "string"},
                                    "label_zh": {"type": "string"},
                                    "count": _COUNT,
                                    "at_least": _AT_LEAST,
                                },
                            },
                        },
                    },
                },
                "YearOverYear": {
                    "type": "object",
                    "properties": {
                        "selection": selection,
                        "year_over_year": {
                            "type": ["object", "null"],
                            "properties": {
                                "from": {"type": "string"},
                                "to": {"type": "string"},
                                "count": _COUNT,
                                "at_least": _AT_LEAST,
                                "previous_from": {"type": "string"},
                                "previous_to": {"type": "string"},
                                "previous_count": {**_COUNT, "type": ["integer", "null"]},
                                "previous_at_least": _AT_LEAST,
                                "comparable": {"type": "boolean"},
                                "change_pct": {
                                    "type": ["number", "null"],
                                    "description": "null unless both counts are exact",
                                },
                            },
                        },
                    },
                },
                "SearchResults": {
                    "type": "object",
                    "required": ["query", "results", "more"],
                    "properties": {
                        "query": {"type": "string"},
                        "more": {"type": "boolean", "description": "more matched than limit"},
                        "results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "kind": {"type": "string", "enum": ["grid", "place", "street"]},
                                    "layer": {
                                        "type": ["string", "null"],
                                        "description": "key-location layer of a place",
                                    },
                                    "lon": {"type": "number"},
                                    "lat": {"type": "number"},
                                    "place": {
                                        "type": ["string", "null"],
                                        "description": "the released place (grid or cell id) it "
                                        "lies in; null when in none",
                                    },
                                },
                            },
                        },
                    },
                },
                "Notices": {
                    "type": "object",
                    "required": ["kind", "grids"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["grid", "cell"]},
                        "grids": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["place", "code", "name"],
                                "properties": {
                                    "place": {"type": "string"},
                                    "code": {"type": "string"},
                                    "name": {"type": "string"},
                                    "worker": {
                                        "type": "string",
                                        "description": (
                                            "only where the grid has publish_contact true"
                                        ),
                                    },
                                    "worker_phone": {
                                        "type": "string",
                                        "description": (
                                            "only where the grid has publish_contact true"
                                        ),
                                    },
                                },
                            },
                        },
                    },
                },
                "ReleasedTable": {
                    "type": "object",
                    "required": [
                        "kind",
                        "k",
                        "months",
                        "categories",
                        "places",
                        "counts",
                        "margins",
                    ],
                    "properties": {
                        "kind": {"type": "string", "enum": ["grid", "cell"]},
                        "cell_m": {"type": ["number", "null"]},
                        "k": {"type": "integer", "description": "counts 1 to k-1 are hidden"},
                        "months": {"type": "array", "items": {"type": "string"}},
                        "categories": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "category": {"type": "string"},
                                    "label_zh": {"type": "string"},
                                },
                            },
                        },
                        "places": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "place": {"type": "string"},
                                    "name": {"type": "string"},
                                    "households": {"type": "integer"},
                                },
                            },
                        },
                        "counts": {
                            "type": "object",
                            "description": "place id -> [category][month] released count, "
                            "null where hidden (orders of categories, months)",
                            "additionalProperties": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "items": {"type": ["integer", "null"], "minimum": 0},
                                },
                            },
                        },
                        "margins": {
                            "type": "object",
                            "description": "the margin tables, released in the same pass "
                            "(null where hidden): place_month (place id -> "
                            "[month], all categories), place_category (place "
                            "id -> [category], all months), place (place id "
                            "-> count), category_month ([category][month], "
                            "all places), category ([category]), month "
                            "([month]), total (the area)",
                            "properties": {
                                "place_month": {"type": "object"},
                                "place_category": {"type": "object"},
                                "place": {"type": "object"},
                                "category_month": {"type": "array"},
                                "category": {"type": "array"},
                                "month": {"type": "array"},
                                "total": {"type": ["integer", "null"]},
                            },
                        },
                    },
                },
            },
        },
    }


def _body(
    model: type[Any], summary: str, ok: str, status: str = "200", if_match: bool = False
) -> dict[str, Any]:
    from webmap.schemas import request_schema

    op: dict[str, Any] = {
        "summary": summary,
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": request_schema(model)}},
        },
        "responses": {
            status: {
                "description": ok,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_STAFF_ERRORS,
        },
    }
    if if_match:
        op["parameters"] = [{"$ref": "#/components/parameters/IfMatch"}]
        op["responses"].update(
            {
                "409": {"$ref": "#/components/responses/Error"},
                "428": {"$ref": "#/components/responses/Error"},
            }
        )
    return {"post": op}


def _track_upload() -> dict[str, Any]:
    """POST a patrol's track: multipart form, the file in ``track``, the fields of TrackUpload."""
    from webmap.schemas import TrackUpload, request_schema

    schema = request_schema(TrackUpload)
    schema = {
        **schema,
        "properties": {
            **schema.get("properties", {}),
            "track": {
                "type": "string",
                "format": "binary",
                "description": "GPX, KML, or a check-in CSV/Excel",
            },
        },
        "required": sorted({*schema.get("required", []), "track"}),
    }
    params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in ("day", "team")
    ]
    return {
        "post": {
            "summary": "log a team's night from its track (matched to the plan)",
            "parameters": params,
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": schema}},
            },
            "responses": {
                "200": {
                    "description": "the log row and the missed stops",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_STAFF_ERRORS,
                "404": {"$ref": "#/components/responses/Error"},
                "413": {"$ref": "#/components/responses/Error"},
            },
        }
    }


def _staff_get(
    summary: str,
    args: type[Any] | None = None,
    media: str = "application/json",
    path_params: tuple[str, ...] = (),
) -> dict[str, Any]:
    from webmap.schemas import Args, query_parameters

    params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in path_params
    ]
    return {
        "get": {
            "summary": summary,
            "parameters": params + query_parameters(args or Args),
            "responses": {
                "200": {"description": summary, "content": {media: {"schema": {"type": "object"}}}},
                **_STAFF_ERRORS,
                "404": {"$ref": "#/components/responses/Error"},
            },
        }
    }


_STAFF_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "401": {"$ref": "#/components/responses/Error"},
    "403": {"$ref": "#/components/responses/Error"},
    "422": {"$ref": "#/components/responses/Error"},
    "429": {"$ref": "#/components/responses/Error"},
    "503": {"$ref": "#/components/responses/Error"},
    "507": {"$ref": "#/components/responses/Error"},
}


def staff_openapi_document(server_url: str = "/api") -> dict[str, Any]:
    """The public document plus the staff JSON routes (planner, patrol, jobs), for signed-in staff.

    Request bodies and query parameters are the JSON Schemas of the same pydantic models
    the views parse them with (:mod:`webmap.schemas`).
    """
    from webmap.schemas import (
        DiffArgs,
        Empty,
        GridEdit,
        PatrolStart,
        PhoneArgs,
        RebalanceAccept,
        RebalancePreview,
        Regenerate,
    )

    doc = openapi_document(server_url)
    doc["info"] = {
        **doc["info"],
        "title": "geogrid staff API",
        "description": "The public API plus the planner, patrol and job routes "
        "(signed-in staff; CSRF token in X-CSRF-Token).",
    }
    doc["paths"].update(
        {
            "/planner/openapi.json": _staff_get("this document"),
            "/planner/state": _staff_get(
                "the editor's state: grids, units, problems, versions, ETag"
            ),
            "/planner/edits": _body(
                GridEdit, "apply one edit and save a new version", "the new state", if_match=True
            ),
            "/planner/undo": _body(
                Empty, "make the previous version current", "the new state", if_match=True
            ),
            "/planner/regenerate": _body(
                Regenerate,
                "generate the grids again (background job)",
                "the job id and its status URL",
                "202",
                if_match=True,
            ),
            "/planner/rebalance": _body(
                RebalancePreview,
                "preview a rebalance of the current grids (background job; "
                "nothing saved): units that would move, per-grid before/after, "
                "created and retired grids, reasons",
                "the job id and its status URL",
                "202",
                if_match=True,
            ),
            "/planner/rebalance/accept": _body(
                RebalanceAccept,
                "save a finished rebalance preview as a new version "
                "(409 when the grids or the area changed since)",
                "the new state",
                if_match=True,
            ),
            "/planner/diff": _staff_get("compare two versions", DiffArgs),
            "/planner/export.geojson": _staff_get(
                "the current grids", media="application/geo+json"
            ),
            "/patrol/plans": _body(
                PatrolStart,
                "compute a shift's plan (background job)",
                "the job id and its status URL",
                "202",
            ),
            "/patrol/plans/{day}/{team}.geojson": _staff_get(
                "one team's routes and stops of a shift",
                media="application/geo+json",
                path_params=("day", "team"),
            ),
            "/jobs/{job_id}": _staff_get("progress of a background job", path_params=("job_id",)),
            "/patrol/plans/{day}/{team}/track": _track_upload(),
            "/patrol/plans/{day}/{team}/track.geojson": _staff_get(
                "the logged track of a team's night: track, streets walked,"
                " planned stops with visited",
                media="application/geo+json",
                path_params=("day", "team"),
            ),
            "/patrol/plans/{day}/{team}/plan.{fmt}": _staff_get(
                "a team's plan for a phone: fmt gpx or kml, datum wgs84 (tracking apps) or gcj02 "
                "(apps on Chinese maps)",
                PhoneArgs,
                media="application/octet-stream",
                path_params=("day", "team", "fmt"),
            ),
        }
    )
    doc["components"]["parameters"]["IfMatch"] = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": 'the ETag of the grids you loaded, e.g. "v0004.5"',
        "schema": {"type": "string", "pattern": r'^(W/)?"?v[0-9]{4,9}\.[0-9]{1,9}"?$'},
    }
    doc["paths"].update(_staffing_paths())
    doc["components"]["parameters"]["StaffingIfMatch"] = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": 'the ETag of the staffing you loaded, e.g. "s0003"',
        "schema": {"type": "string", "pattern": r'^(W/)?"?s[0-9]{4,9}"?$'},
    }
    return doc


def _staffing_paths() -> dict[str, Any]:
    """The planner's 1+3+N staffing routes (webmap.views.planner_staffing)."""
    from webmap.schemas import StaffingAssign, StaffingEdit

    edit = _body(
        StaffingEdit,
        "assign a person to a grid's post or take him off it, judged by the solver's rules "
        "(422 naming each broken rule, nothing saved); saved as the next staffing version",
        "the new staffing state",
        if_match=True,
    )
    rerun = _body(
        StaffingAssign,
        "assign the roster to the grids again (background job), saved as the next version",
        "the job id and its status URL",
        "202",
        if_match=True,
    )
    for path in (edit, rerun):
        path["post"]["parameters"] = [{"$ref": "#/components/parameters/StaffingIfMatch"}]
    return {
        "/planner/staffing": _staff_get(
            "the staffing: every grid's posts and who fills them, open posts, overloaded "
            "people, broken rules, versions, ETag"
        ),
        "/planner/staffing/edits": edit,
        "/planner/staffing/assign": rerun,
    }
