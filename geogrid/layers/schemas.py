"""Layer property schemas: one pydantic model per workspace layer, declared once.

Each model lists the properties a feature of one layer carries: its type (a
``Literal`` for a fixed set of values, or one of the annotated types below),
whether it is required (no default), its range (``ge``/``gt``/``le``), its unit
(``json_schema_extra={"unit": ...}``) and a description. Everything else is
derived from these declarations:

- the property checks of :func:`geogrid.layers.validate_features`
  (:class:`geogrid.layers.PropertySpec` is read off each field);
- ``docs/LAYERS.md`` (:func:`geogrid.layers.render_markdown`);
- JSON Schema and the OpenAPI components (:func:`geogrid.layers.json_schemas`);
- the column list of the street network frames (``NodeProperties``, ``EdgeProperties``).

The models also validate one ``properties`` object on their own
(``GridProperties.model_validate(props)``) with the same rules; properties not
declared are kept (``extra="allow"``), as the layer files keep them.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AllowInfNan,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo

#: Property kinds, as named in messages (``TYPE_PHRASES``) and docs (``TYPE_NAMES``).
KindName = Literal["str", "int", "float", "bool", "id", "datetime", "time"]

#: A 24-hour clock time, e.g. ``18:30`` (``24:00`` is not one).
HHMM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@dataclass(frozen=True)
class Kind:
    """Marks an annotated type with the property kind the checks and docs use."""

    name: KindName


def _iso_datetime(value: object) -> object:
    """Parse ISO-8601 text as :func:`datetime.fromisoformat` does (no numbers, no other formats)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date-time written as text")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO-8601 date-time") from None


_NonBlank = StringConstraints(pattern=r"\S")

#: Text (JSON string); an empty string is a value.
Text = Annotated[str, Strict(), Kind("str")]
#: Text that must not be empty or blank (required text properties).
RequiredText = Annotated[str, Strict(), _NonBlank, Kind("str")]
#: A whole number (JSON number without a fraction; ``5.0`` counts as 5; no booleans).
WholeNumber = Annotated[int, Strict(), Kind("int")]
#: A finite number (no booleans, no NaN or infinity).
Number = Annotated[float, Strict(), AllowInfNan(False), Kind("float")]
#: A JSON boolean (``true``/``false``, no quotes, not 0/1).
Flag = Annotated[bool, Strict(), Kind("bool")]
#: A feature id: non-blank text or a whole number.
FeatureId = Annotated[
    Annotated[str, Strict(), _NonBlank] | Annotated[int, Strict()],
    Kind("id"),
]
#: An ISO-8601 date-time with a time zone, e.g. ``2024-05-01T21:30:00+08:00``.
ZonedDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime), Kind("datetime")]
#: A 24-hour local time ``HH:MM``, e.g. ``18:30``.
ClockTime = Annotated[str, Strict(), StringConstraints(pattern=HHMM_PATTERN), Kind("time")]


def field_metadata(field: FieldInfo) -> list[object]:
    """Every metadata item of a field: its own, then those of nested ``Annotated`` types."""
    found: list[object] = list(field.metadata)

    def walk(annotation: Any) -> None:
        origin = get_origin(annotation)
        if origin is Annotated:
            found.extend(annotation.__metadata__)
            walk(get_args(annotation)[0])
        elif origin in (Union, types.UnionType):
            for arg in get_args(annotation):
                walk(arg)

    walk(field.annotation)
    return found


def field_choices(field: FieldInfo) -> tuple[str, ...] | None:
    """The values of a ``Literal`` field (``None`` allowed aside), or None."""

    def walk(annotation: Any) -> tuple[str, ...] | None:
        origin = get_origin(annotation)
        if origin is Literal:
            return tuple(str(v) for v in get_args(annotation))
        if origin is Annotated:
            return walk(get_args(annotation)[0])
        if origin in (Union, types.UnionType):
            for arg in get_args(annotation):
                found = walk(arg)
                if found is not None:
                    return found
        return None

    return walk(field.annotation)


def field_kind(field: FieldInfo) -> KindName:
    """The property kind of a field: its :class:`Kind` marker, or ``"str"`` for a text Literal."""
    for item in field_metadata(field):
        if isinstance(item, Kind):
            return item.name
    choices = field_choices(field)
    if choices is not None:
        return "str"
    raise TypeError(
        f"field annotation {field.annotation!r} has no property kind; use Text, WholeNumber, "
        "Number, Flag, FeatureId, ZonedDatetime, ClockTime or a Literal of texts"
    )


@cache
def _int_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(n for n, f in model.model_fields.items() if field_kind(f) == "int")


class LayerProperties(BaseModel):
    """Base of the layer property models: extra properties kept, ``5.0`` is a whole number."""

    model_config = ConfigDict(extra="allow")

    @field_validator("*", mode="before")
    @classmethod
    def _whole_float_is_int(cls, value: object, info: ValidationInfo) -> object:
        """A float without a fraction is a whole number, as in JSON Schema's ``integer``."""
        if isinstance(value, float) and value.is_integer() and info.field_name in _int_fields(cls):
            return int(value)
        return value


def _unit(unit: str) -> dict[str, Any]:
    return {"unit": unit}


# --------------------------------------------------------------------------- areas


class BoundaryProperties(LayerProperties):
    """The area outline (街道 / 社区 boundary); usually one feature."""

    name: Text | None = Field(None, description="Name of the area, e.g. 海淀区学院路街道.")
    admin_code: Text | None = Field(
        None, description="Administrative division code (GB/T 2260 / 统计用区划代码), if known."
    )
    source: Text | None = Field(
        None, description="Where the outline comes from (OSM relation, survey, ...)."
    )


class GridProperties(LayerProperties):
    """Grid cells (网格) of the area, each looked after by one grid worker."""

    code: RequiredText = Field(description="Grid code, e.g. 110108001-01.")
    name: Text | None = Field(
        None, description="Grid name as residents know it (Chinese kept as is)."
    )
    parent_code: Text | None = Field(
        None, description="Code of the community (社区) the grid belongs to."
    )
    households: WholeNumber | None = Field(
        None,
        description="Households in the grid (sum over its buildings).",
        ge=0,
        json_schema_extra=_unit("households"),
    )
    worker: Text | None = Field(None, description="Grid worker (网格员) in charge.")
    worker_phone: Text | None = Field(None, description="The grid worker's contact phone number.")
    publish_contact: Flag | None = Field(
        None,
        description="Show the worker's name and phone on the public map "
        "(absent or false: they are never published).",
    )
    locked: Flag | None = Field(
        None, description="Drawn by hand: automatic re-gridding keeps this grid as it is."
    )
    population: Number | None = Field(
        None,
        description="Population estimate (households x persons per household, or counted).",
        ge=0,
        json_schema_extra=_unit("persons"),
    )
    area_m2: Number | None = Field(
        None, description="Area in the area's metric CRS.", ge=0, json_schema_extra=_unit("m²")
    )
    polsby_popper: Number | None = Field(
        None, description="Compactness 4πA/P² (1 for a circle).", ge=0, le=1
    )
    units: WholeNumber | None = Field(
        None, description="Base units (street blocks) in the grid.", ge=0
    )


class CommunityProperties(LayerProperties):
    """Parent units (社区 communities) that grids nest in; optional.

    Without it the whole area is one parent.
    """

    code: RequiredText = Field(
        description="12-digit code: admin code (6) + street (3) + community (3), e.g. 110108001002."
    )
    name: Text | None = Field(None, description="Community name (Chinese kept as is).")
    admin_level: WholeNumber | None = Field(
        None, description="OSM admin_level of the source boundary."
    )
    source: Text | None = Field(
        None, description="Where the outline comes from (OSM relation, survey, ...)."
    )


class MicroGridProperties(LayerProperties):
    """Micro-grids (微网格) of the grids: contiguous groups of buildings (or entrances of one
    building) holding a small band of households, each with a responsible person.
    """

    code: RequiredText = Field(description="Micro-grid code: its grid's code + 3 digits.")
    grid_code: RequiredText = Field(description="Code of the grid the micro-grid lies in.")
    name: Text | None = Field(None, description="Micro-grid name (Chinese kept as is).")
    households: WholeNumber | None = Field(
        None,
        description="Households in the micro-grid.",
        ge=0,
        json_schema_extra=_unit("households"),
    )
    buildings: Text | None = Field(None, description="Ids of its buildings, ';'-separated.")
    entrances: Text | None = Field(
        None,
        description="'<building>:<entrance>' pairs, ';'-separated, when a building is "
        "split by entrance (单元).",
    )
    leader: Text | None = Field(None, description="Responsible person (微网格长).")
    split_by_hand: Flag | None = Field(
        None,
        description="One building (or entrance) over the band max: split it by "
        "entrance or floor by hand.",
    )


# --------------------------------------------------------------------------- buildings, places


class BuildingProperties(LayerProperties):
    """Building footprints with their households (rule: geogrid.buildings)."""

    id: FeatureId = Field(description="Building id, e.g. OSM way/123.")
    osm_id: WholeNumber | None = Field(None, description="OSM id of the way or relation.")
    name: Text | None = Field(None, description="Building or compound name.")
    building: Text | None = Field(
        None, description="OSM building tag (apartments, yes, school, ...)."
    )
    households: WholeNumber | None = Field(
        None,
        description="Households living in the building (tagged or estimated).",
        ge=0,
        json_schema_extra=_unit("households"),
    )
    households_source: (
        Literal["register", "tag", "estimate", "none", "non-residential", "survey"] | None
    ) = Field(
        None,
        description="Where households comes from, in the order the rule tries them: register "
        "(the office's household register), tag (OSM building:flats), estimate (footprint "
        "rule, residential buildings only), none (not a home: 0). Older files: "
        "non-residential (now none), survey (counted or edited by hand).",
    )
    use: Text | None = Field(
        None,
        description="Non-residential use found on the building or at it (an area over it, "
        "a node inside it), e.g. shop=mall, amenity=library.",
    )
    levels: Number | None = Field(
        None,
        description="Storeys above ground (building:levels or the type default).",
        gt=0,
        le=200,
        json_schema_extra=_unit("storeys"),
    )
    footprint_m2: Number | None = Field(
        None,
        description="Footprint area measured in the area's metric CRS.",
        ge=0,
        json_schema_extra=_unit("m²"),
    )


class ResidentialLandProperties(LayerProperties):
    """Residential land (OSM landuse=residential): where untagged buildings count as homes;
    the household coverage report measures it. Optional.
    """

    id: FeatureId = Field(description="Area id, e.g. OSM way/123 or relation/45.")
    osm_id: WholeNumber | None = Field(None, description="OSM id of the way or relation.")
    landuse: Text | None = Field(None, description="OSM landuse tag (residential).")
    name: Text | None = Field(None, description="Name of the compound (小区) or estate.")


class PlaceProperties(LayerProperties):
    """Key locations (places), one file per layer (schools, police, markets, health,
    stations, banks, other); kinds are listed in geogrid.places.PLACE_KINDS.
    """

    id: FeatureId = Field(description="Location id, e.g. OSM node/123.")
    kind: RequiredText = Field(description="Kind of place (school, police, marketplace, ...).")
    name: Text | None = Field(None, description="Name as signposted (Chinese kept as is).")
    layer: Text | None = Field(
        None, description="Layer (file name) the kind is drawn on, e.g. schools."
    )
    osm_id: WholeNumber | None = Field(None, description="OSM id of the node, way or relation.")
    address: Text | None = Field(None, description="Street address.")
    phone: Text | None = Field(None, description="Contact phone number.")
    opening_hours: Text | None = Field(
        None, description="OSM opening_hours value, e.g. Mo-Fr 08:00-17:00."
    )
    source: Text | None = Field(
        None, description="Where the location comes from (OSM, survey, ...)."
    )


# --------------------------------------------------------------------------- incidents, teams


class IncidentProperties(LayerProperties):
    """Incident points; synthetic ones carry synthetic=true."""

    id: FeatureId = Field(description="Incident id.")
    time: ZonedDatetime = Field(description="When it happened, with the time zone (e.g. +08:00).")
    category: RequiredText = Field(description="Incident category, e.g. theft, dispute.")
    category_zh: Text | None = Field(None, description="Category in Chinese, e.g. 盗窃.")
    synthetic: Flag | None = Field(
        None, description="Made up by geogrid.synthetic, not a real incident."
    )
    source: Text | None = Field(
        None, description="Where the record comes from (generator and seed, system)."
    )
    description: Text | None = Field(None, description="Free text.")
    zone: Text | None = Field(
        None, description="Beat, neighbourhood or other source zone the record names (import)."
    )
    case_id: Text | None = Field(
        None,
        description="Case number (案件编号) the record belongs to: one record per offence "
        "of a case; totals count distinct cases, a category the cases that include it. "
        "Absent: the record is a case of its own.",
    )
    time_precision: Literal["minute", "hour", "day", "month"] | None = Field(
        None, description="How precise `time` is in the source; minute when absent."
    )


class TeamProperties(LayerProperties):
    """Volunteer patrol teams; the point is the team's base."""

    id: FeatureId = Field(description="Team id.")
    mode: Literal["walk", "bike", "drive"] = Field(description="How the team moves.")
    name: Text | None = Field(None, description="Team name, e.g. 平安志愿者第1队.")
    leader: Text | None = Field(None, description="Team leader.")
    size: WholeNumber | None = Field(
        None, description="Members in the team.", ge=1, json_schema_extra=_unit("persons")
    )
    speed_kmh: Number | None = Field(
        None,
        description="Patrol speed; the mode's default when absent.",
        gt=0,
        le=120,
        json_schema_extra=_unit("km/h"),
    )
    shift_start: ClockTime | None = Field(
        None, description="Start of the shift, local time.", json_schema_extra=_unit("HH:MM")
    )
    shift_end: ClockTime | None = Field(
        None,
        description="End of the shift, local time (earlier than start: ends next day).",
        json_schema_extra=_unit("HH:MM"),
    )
    phone: Text | None = Field(None, description="Contact phone number.")
    nights: Text | None = Field(
        None,
        description='Roster: the nights the team can patrol, e.g. "Mon,Tue,Fri", "Mon-Fri" or '
        '"周一,周三" (the weekly rota); every night when absent.',
    )
    area_codes: Text | None = Field(
        None,
        description="The team's area (责任区): community and/or grid codes, comma-separated; it "
        "serves only stops inside them (patrol config team_areas); anywhere when absent.",
    )
    synthetic: Flag | None = Field(None, description="Made up by geogrid.synthetic.")


# --------------------------------------------------------------------------- street network


class NodeProperties(LayerProperties):
    """Street network nodes (read into a frame indexed by node_id)."""

    node_id: WholeNumber = Field(description="OSM node id.")


class EdgeProperties(LayerProperties):
    """Street network edges, one per consecutive node pair of an OSM way,
    drawn u -> v (see 'Street network frames' in docs/ARCHITECTURE.md).
    """

    u: WholeNumber = Field(description="OSM node id where the segment starts.")
    v: WholeNumber = Field(description="OSM node id where the segment ends.")
    way_id: WholeNumber = Field(description="OSM way id.")
    highway: RequiredText = Field(description="OSM highway tag.")
    length_m: Number = Field(
        description="Geodesic length of the segment.", ge=0, json_schema_extra=_unit("m")
    )
    walk: Flag = Field(description="Walking may use the segment.")
    bike: Flag = Field(description="Bikes (e-bikes) may use the segment.")
    drive: Flag = Field(description="Cars may use the segment.")
    oneway_bike: Flag = Field(description="Bikes may only go u -> v.")
    oneway_drive: Flag = Field(description="Cars may only go u -> v.")
    name: Text | None = Field(None, description="Street name as tagged (Chinese kept as is).")
