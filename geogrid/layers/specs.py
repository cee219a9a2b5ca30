"""Layer specs: each workspace layer's file, geometry types and property model.

A :class:`LayerSpec` names the file a layer lives in, the geometry types it may
hold, its id property and the pydantic model of its properties
(:mod:`geogrid.layers.schemas`). Its :class:`PropertySpec` s, which the
validation engine and the docs read, are derived from the model's fields:
kind from the annotated type, ``choices`` from a ``Literal``, range from
``ge``/``gt``/``le``, unit from ``json_schema_extra``, required when the field
has no default, unique for the id property.
"""

from __future__ import annotations

import fnmatch
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import annotated_types
from pydantic.fields import FieldInfo

from geogrid.errors import InputError
from geogrid.layers.schemas import (
    BoundaryProperties,
    BuildingProperties,
    CommunityProperties,
    EdgeProperties,
    GridProperties,
    IncidentProperties,
    LayerProperties,
    MicroGridProperties,
    NodeProperties,
    PlaceProperties,
    ResidentialLandProperties,
    TeamProperties,
    field_choices,
    field_kind,
    field_metadata,
)

#: Property value types and how they read in messages and in docs/LAYERS.md.
TYPE_PHRASES: Mapping[str, str] = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false (JSON boolean, no quotes)",
    "id": "text or a whole number",
    "datetime": "an ISO-8601 date-time with a time zone, e.g. 2024-05-01T21:30:00+08:00",
    "time": "a 24-hour time HH:MM, e.g. 18:30",
}

#: Short type names used in the docs table.
TYPE_NAMES: Mapping[str, str] = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "id": "string or integer",
    "datetime": "ISO-8601 date-time with zone",
    "time": "HH:MM",
}


def format_number(value: float) -> str:
    """Format a number for a message: whole numbers without ``.0``, others to 7 decimals."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(round(value, 7))


@dataclass(frozen=True)
class PropertySpec:
    """One property of a layer, as the checks and docs read it.

    Layer properties are declared as pydantic fields and read with
    :meth:`from_field`; a PropertySpec can also be written by hand (tests).

    Parameters
    ----------
    name
        Property key in the GeoJSON ``properties`` object (and column name).
    type
        One of the keys of :data:`TYPE_PHRASES`.
    required
        Every feature must carry a non-null value.
    unit
        Unit of the value (``""`` when it has none).
    description
        What the value means, for a person reading docs/LAYERS.md.
    choices
        Allowed values, or None for any value of the type.
    minimum, maximum
        Allowed range (inclusive unless ``minimum_exclusive``), or None.
    minimum_exclusive
        The value must be strictly greater than ``minimum``.
    unique
        No two features of the layer may share the value (ids).
    """

    name: str
    type: str
    required: bool = False
    unit: str = ""
    description: str = ""
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    unique: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPE_PHRASES:
            raise ValueError(f"property {self.name!r}: unknown type {self.type!r}")

    @classmethod
    def from_field(cls, name: str, info: FieldInfo, unique: bool = False) -> PropertySpec:
        """Read the spec of property ``name`` off its pydantic field declaration."""
        minimum: float | None = None
        maximum: float | None = None
        exclusive = False
        for item in field_metadata(info):
            if isinstance(item, annotated_types.Ge):
                minimum, exclusive = float(item.ge), False  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Gt):
                minimum, exclusive = float(item.gt), True  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Le):
                maximum = float(item.le)  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Lt | annotated_types.Interval):
                raise TypeError(f"property {name!r}: use ge, gt and le for ranges")
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        return cls(
            name=name,
            type=field_kind(info),
            required=info.is_required(),
            unit=str(extra.get("unit", "")),
            description=info.description or "",
            choices=field_choices(info),
            minimum=_whole(minimum),
            maximum=_whole(maximum),
            minimum_exclusive=exclusive,
            unique=unique,
        )

    def allowed(self) -> str:
        """Return the allowed values or range in a few words ("" when any value goes)."""
        parts = []
        if self.choices is not None:
            parts.append(", ".join(self.choices))
        if self.minimum is not None:
            parts.append(f"{'>' if self.minimum_exclusive else '>='} {format_number(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"<= {format_number(self.maximum)}")
        if self.unique:
            parts.append("unique")
        return ", ".join(parts)

    def rule(self) -> str:
        """Return the rule a value must follow, as a sentence fragment for messages."""
        text = f"{self.name} must be {TYPE_PHRASES[self.type]}"
        if self.choices is not None:
            text += ", one of " + ", ".join(repr(c) for c in self.choices)
        bounds = []
        if self.minimum is not None:
            bounds.append(
                f"{'>' if self.minimum_exclusive else '>='} {format_number(self.minimum)}"
            )
        if self.maximum is not None:
            bounds.append(f"<= {format_number(self.maximum)}")
        if bounds:
            text += " " + " and ".join(bounds)
        if self.unit and self.type == "float":
            text += f" ({self.unit})"
        if self.unique:
            text += ", unique in the layer"
        return text


def _whole(value: float | None) -> float | None:
    """Keep whole bounds as int so that they print and compare as declared."""
    if value is not None and value.is_integer():
        return int(value)
    return value


def property_specs(
    model: type[LayerProperties], unique: tuple[str, ...] = ()
) -> tuple[PropertySpec, ...]:
    """The property specs of a layer model, in declaration order."""
    return tuple(
        PropertySpec.from_field(name, info, unique=name in unique)
        for name, info in model.model_fields.items()
    )


@dataclass(frozen=True)
class LayerSpec:
    """One workspace layer: its file, geometry types and property model.

    Parameters
    ----------
    name
        Key in :data:`SPECS`.
    file_pattern
        Path inside the area folder; ``<name>`` stands for any layer name.
    geometry_types
        GeoJSON geometry types the layer may hold.
    model
        The pydantic model of a feature's ``properties``
        (:mod:`geogrid.layers.schemas`); its docstring describes the layer.
    id_property
        Property that identifies a feature in messages (unique), or None.
    index
        Property read into the frame's index (``node_id`` for network nodes), or None.

    Attributes
    ----------
    description
        What the layer is for (the model's docstring on one line).
    properties
        Property specs read off the model, in declaration order.
    """

    name: str
    file_pattern: str
    geometry_types: tuple[str, ...]
    model: type[LayerProperties]
    id_property: str | None = None
    index: str | None = None
    description: str = field(init=False)
    properties: tuple[PropertySpec, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        doc = inspect.cleandoc(self.model.__doc__ or "")
        object.__setattr__(self, "description", " ".join(doc.split()))
        unique = () if self.id_property is None else (self.id_property,)
        object.__setattr__(self, "properties", property_specs(self.model, unique))
        names = self.columns
        for key in (self.id_property, self.index):
            if key is not None and key not in names:
                raise ValueError(f"layer {self.name!r}: {key!r} is not a property of its model")

    @property
    def required(self) -> tuple[PropertySpec, ...]:
        """Properties every feature must carry."""
        return tuple(p for p in self.properties if p.required)

    @property
    def optional(self) -> tuple[PropertySpec, ...]:
        """Properties a feature may carry."""
        return tuple(p for p in self.properties if not p.required)

    @property
    def columns(self) -> tuple[str, ...]:
        """Property names in spec order (the frame's columns before ``geometry``)."""
        return tuple(p.name for p in self.properties)

    def property(self, name: str) -> PropertySpec:
        """Return the spec of property ``name`` (KeyError when the layer has none)."""
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"layer {self.name!r} has no property {name!r}")


POLYGONS = ("Polygon", "MultiPolygon")

#: Every workspace layer, by name.
SPECS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec("boundary", "boundary.geojson", POLYGONS, BoundaryProperties),
        LayerSpec("grids", "grids.geojson", POLYGONS, GridProperties, id_property="code"),
        LayerSpec(
            "communities", "communities.geojson", POLYGONS, CommunityProperties, id_property="code"
        ),
        LayerSpec(
            "micro_grids", "micro_grids.geojson", POLYGONS, MicroGridProperties, id_property="code"
        ),
        LayerSpec("buildings", "buildings.geojson", POLYGONS, BuildingProperties, id_property="id"),
        LayerSpec(
            "residential_land",
            "residential_land.geojson",
            POLYGONS,
            ResidentialLandProperties,
            id_property="id",
        ),
        LayerSpec(
            "places",
            "layers/<name>.geojson",
            ("Point", *POLYGONS),
            PlaceProperties,
            id_property="id",
        ),
        LayerSpec(
            "incidents", "incidents.geojson", ("Point",), IncidentProperties, id_property="id"
        ),
        LayerSpec("teams", "teams.geojson", ("Point",), TeamProperties, id_property="id"),
        LayerSpec(
            "nodes",
            "network/nodes.geojson",
            ("Point",),
            NodeProperties,
            id_property="node_id",
            index="node_id",
        ),
        LayerSpec("edges", "network/edges.geojson", ("LineString",), EdgeProperties),
    )
}


def get_spec(name: str) -> LayerSpec:
    """Return the spec of layer ``name``; InputError naming the known layers otherwise."""
    try:
        return SPECS[name]
    except KeyError:
        raise InputError(f"unknown layer {name!r}; choose one of: {', '.join(SPECS)}") from None


def spec_for_file(relative_path: str) -> LayerSpec:
    """Return the spec of the layer stored at ``relative_path`` inside an area folder.

    ``"layers/schools.geojson"`` gives the key-location spec.
    """
    wanted = relative_path.replace("\\", "/")
    for spec in SPECS.values():
        if fnmatch.fnmatchcase(wanted, spec.file_pattern.replace("<name>", "*")):
            return spec
    patterns = ", ".join(spec.file_pattern for spec in SPECS.values())
    raise InputError(f"{relative_path}: not a workspace layer file; expected one of {patterns}")
