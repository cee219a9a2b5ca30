"""Layer docs: docs/LAYERS.md and JSON Schema, both from the layer declarations.

:func:`render_markdown` writes one section and property table per layer
(``docs/LAYERS.md``; a test keeps the file in step). :func:`json_schemas`
gives JSON Schema (2020-12, as OpenAPI 3.1 uses it) for every property
model (``Model.model_json_schema()``) and a ``<Layer>Feature`` schema per
layer, ready for an OpenAPI document's ``components.schemas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic.json_schema import models_json_schema

from geogrid.layers.specs import SPECS, TYPE_NAMES, LayerSpec


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
        "<!-- Generated from geogrid/layers/schemas.py by geogrid.layers.render_markdown(); "
        "do not edit by hand. -->",
        "",
        "Every layer is an RFC 7946 GeoJSON FeatureCollection in WGS-84 lon/lat "
        "(EPSG:4326, no `crs` member), polygons by the right-hand rule, UTF-8 with "
        "Chinese kept as is. Properties not listed here are kept as they are. "
        "A missing optional property is the same as `null`. "
        "JSON Schema for every layer: `geogrid.layers.json_schemas()` "
        "(also in the web API's OpenAPI document, `components.schemas`).",
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
            f"- properties: `{spec.model.__name__}` (JSON Schema `{_feature_name(spec)}`)",
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


def _feature_name(spec: LayerSpec) -> str:
    return spec.model.__name__.removesuffix("Properties") + "Feature"


def json_schemas(
    specs: Mapping[str, LayerSpec] | None = None,
    ref_prefix: str = "#/components/schemas/",
) -> dict[str, dict[str, Any]]:
    """JSON Schema of every layer's properties and features, by schema name.

    Parameters
    ----------
    specs
        Layer specs; :data:`SPECS` when None.
    ref_prefix
        Where the schemas will live, for ``$ref`` s between them
        (``"#/components/schemas/"`` in an OpenAPI document, ``"#/$defs/"``
        in a JSON Schema bundle).

    Returns
    -------
    ``{"GridProperties": {...}, "GridFeature": {...}, ...}``: the property
    models' ``model_json_schema()`` and, per layer, a GeoJSON Feature whose
    ``properties`` refer to its model and whose geometry type is one the layer
    may hold.
    """
    specs = SPECS if specs is None else specs
    models = list(dict.fromkeys(spec.model for spec in specs.values()))
    refs, bundle = models_json_schema(
        [(model, "validation") for model in models], ref_template=ref_prefix + "{model}"
    )
    schemas: dict[str, dict[str, Any]] = dict(bundle.get("$defs", {}))
    for spec in specs.values():
        feature: dict[str, Any] = {
            "type": "object",
            "title": _feature_name(spec),
            "description": (
                f"One feature of the {spec.name} layer (`{spec.file_pattern}` in an area "
                "workspace), RFC 7946, WGS-84 lon/lat."
            ),
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"},
                "id": {"type": ["string", "integer"]},
                "geometry": {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"enum": list(spec.geometry_types)},
                        "coordinates": {"type": "array"},
                    },
                },
                "properties": refs[(spec.model, "validation")],
            },
        }
        schemas[_feature_name(spec)] = feature
    return schemas
