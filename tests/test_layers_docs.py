"""Tests for geogrid.layers.docs: docs/LAYERS.md and JSON Schema from the layer declarations."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from geogrid.layers import SPECS, json_schemas, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_layers_md_is_up_to_date() -> None:
    """docs/LAYERS.md equals render_markdown(SPECS); regenerate it when this fails."""
    text = (ROOT / "docs" / "LAYERS.md").read_text(encoding="utf-8")
    assert text == render_markdown(SPECS), (
        'docs/LAYERS.md is stale: run python -c "from geogrid.layers import render_markdown; '
        "open('docs/LAYERS.md', 'w', encoding='utf-8').write(render_markdown())\""
    )


def _validator(name: str) -> Draft202012Validator:
    """A validator for schema ``name`` of json_schemas(), with its $refs resolvable."""
    schemas = json_schemas(ref_prefix="urn:geogrid:layers#/$defs/")
    bundle = Resource.from_contents(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": schemas}
    )
    registry: Registry = Registry().with_resource("urn:geogrid:layers", bundle)
    return Draft202012Validator(schemas[name], registry=registry)


def test_json_schemas_cover_every_layer() -> None:
    """Each layer gets its properties model and a <Layer>Feature schema referring to it."""
    schemas = json_schemas()
    for spec in SPECS.values():
        model = spec.model.__name__
        feature = schemas[model.removesuffix("Properties") + "Feature"]
        assert feature["properties"]["properties"] == {"$ref": f"#/components/schemas/{model}"}
        assert feature["properties"]["geometry"]["properties"]["type"]["enum"] == list(
            spec.geometry_types
        )
        assert set(schemas[model].get("required", [])) == {p.name for p in spec.required}
    length = schemas["EdgeProperties"]["properties"]["length_m"]
    assert (length["minimum"], length["unit"], length["type"]) == (0, "m", "number")


@pytest.mark.parametrize(
    ("props", "valid"),
    [
        ({"id": "i-1", "time": "2024-05-01T21:30:00+08:00", "category": "theft"}, True),
        ({"id": 7, "time": "2024-05-01T21:30:00+08:00", "category": "theft", "x": 1}, True),
        ({"id": "i-1", "category": "theft"}, False),
        ({"id": True, "time": "2024-05-01T21:30:00+08:00", "category": "theft"}, False),
        (
            {"id": 1, "time": "2024-05-01T21:30:00+08:00", "category": "t", "time_precision": "s"},
            False,
        ),
    ],
)
def test_feature_schema_validates_features(props: dict[str, object], valid: bool) -> None:
    """The JSON Schema of a feature accepts good incidents and rejects bad ones."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [116.35, 39.99]},
        "properties": props,
    }
    assert _validator("IncidentFeature").is_valid(feature) is valid
    line = feature | {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    assert not _validator("IncidentFeature").is_valid(line)
