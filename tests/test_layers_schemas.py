"""Tests for geogrid.layers.schemas: the pydantic property models of the workspace layers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError
from pydantic.fields import FieldInfo

from geogrid.layers import (
    SPECS,
    GridProperties,
    IncidentProperties,
    LayerSpec,
    TeamProperties,
    check_value,
)
from geogrid.layers.schemas import field_kind

#: A good value of each kind, for the required properties of a minimal feature.
GOOD: dict[str, object] = {
    "str": "x",
    "id": "a-1",
    "int": 1,
    "float": 1.5,
    "bool": True,
    "datetime": "2024-05-01T21:30:00+08:00",
    "time": "18:30",
}

#: Values good and bad for some kind: whole floats, blanks, booleans, numbers as text, ...
SAMPLES: list[object] = [
    0,
    -1,
    1,
    5.0,
    2.5,
    130.5,
    1e9,
    float("nan"),
    float("inf"),
    True,
    False,
    "x",
    "",
    "  ",
    "5",
    "true",
    "walk",
    "car",
    "minute",
    "estimate",
    "2024-05-01T21:30:00+08:00",
    "2024-05-01T13:30:00Z",
    "2024-05-01T21:30",
    "yesterday",
    "18:30",
    "8:00",
    "24:00",
    "23:59",
    [1],
    {"a": 1},
]


def minimal(spec: LayerSpec) -> dict[str, object]:
    """Properties holding only the required ones, each with a good value."""
    return {p.name: (p.choices[0] if p.choices else GOOD[p.type]) for p in spec.required}


def model_accepts(spec: LayerSpec, props: dict[str, object]) -> bool:
    try:
        spec.model.model_validate(props)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("name", list(SPECS))
def test_models_and_checks_agree(name: str) -> None:
    """For every property of every layer, the model accepts a value exactly when check_value
    does."""
    spec = SPECS[name]
    base = minimal(spec)
    assert model_accepts(spec, base)
    for prop in spec.properties:
        for value in SAMPLES:
            by_checks = check_value(value, prop) is None
            by_model = model_accepts(spec, base | {prop.name: value})
            assert by_model == by_checks, f"{name}.{prop.name} = {value!r}"


def test_models_keep_undeclared_properties() -> None:
    """Properties not declared pass through (the layer files keep them)."""
    grid = GridProperties.model_validate({"code": "g-1", "colour": "red", "households": 12.0})
    assert grid.model_extra == {"colour": "red"}
    assert grid.households == 12 and isinstance(grid.households, int)


def test_models_parse_times_and_refuse_bad_ones() -> None:
    """An incident time is parsed with its zone; a team shift is HH:MM text."""
    incident = IncidentProperties.model_validate(
        {"id": 1, "time": "2024-05-01T21:30:00+08:00", "category": "theft"}
    )
    assert incident.time.utcoffset() is not None
    with pytest.raises(ValidationError, match="timezone"):
        IncidentProperties.model_validate({"id": 1, "time": "2024-05-01T21:30", "category": "t"})
    with pytest.raises(ValidationError, match="shift_end"):
        TeamProperties.model_validate({"id": "t", "mode": "walk", "shift_end": "25:00"})


def test_every_field_says_what_it_means() -> None:
    """Every declared field has a description; a field without a property kind is refused."""
    for spec in SPECS.values():
        for name, info in spec.model.model_fields.items():
            assert info.description, f"{spec.name}.{name}: describe it"

    class Loose(BaseModel):
        anything: Any = Field(None, description="no kind")

    loose: FieldInfo = Loose.model_fields["anything"]
    with pytest.raises(TypeError, match="no property kind"):
        field_kind(loose)
