"""Workspace layers: property schemas, specs, checks and docs, declared once.

- :mod:`geogrid.layers.schemas`: one pydantic model per layer's properties
  (``GridProperties``, ``IncidentProperties``, ...), the single declaration
  of types, ranges, choices, units and descriptions;
- :mod:`geogrid.layers.specs`: :data:`SPECS`, each layer's file, geometry
  types, id and model, with :class:`PropertySpec` s read off the model;
- :mod:`geogrid.layers.checks`: :func:`validate_features` /
  :func:`validate_layer`, every :class:`Problem` of a layer, phrased for a person;
- :mod:`geogrid.layers.docs`: ``docs/LAYERS.md`` (:func:`render_markdown`) and
  JSON Schema (:func:`json_schemas`).
"""

from geogrid.layers.checks import (
    UNREADABLE_GEOMETRY,
    Problem,
    Severity,
    check_coordinates,
    check_value,
    errors_in,
    features_from_frame,
    plain_value,
    validate_features,
    validate_layer,
)
from geogrid.layers.docs import json_schemas, render_markdown
from geogrid.layers.schemas import (
    BoundaryProperties,
    BuildingProperties,
    ClockTime,
    CommunityProperties,
    EdgeProperties,
    FeatureId,
    Flag,
    GridProperties,
    IncidentProperties,
    LayerProperties,
    NodeProperties,
    Number,
    PlaceProperties,
    RequiredText,
    TeamProperties,
    Text,
    WholeNumber,
    ZonedDatetime,
)
from geogrid.layers.specs import (
    SPECS,
    TYPE_NAMES,
    TYPE_PHRASES,
    LayerSpec,
    PropertySpec,
    get_spec,
    spec_for_file,
)

__all__ = [
    "SPECS",
    "TYPE_NAMES",
    "TYPE_PHRASES",
    "UNREADABLE_GEOMETRY",
    "BoundaryProperties",
    "BuildingProperties",
    "ClockTime",
    "CommunityProperties",
    "EdgeProperties",
    "FeatureId",
    "Flag",
    "GridProperties",
    "IncidentProperties",
    "LayerProperties",
    "LayerSpec",
    "NodeProperties",
    "Number",
    "PlaceProperties",
    "Problem",
    "PropertySpec",
    "RequiredText",
    "Severity",
    "TeamProperties",
    "Text",
    "WholeNumber",
    "ZonedDatetime",
    "check_coordinates",
    "check_value",
    "errors_in",
    "features_from_frame",
    "get_spec",
    "json_schemas",
    "plain_value",
    "render_markdown",
    "spec_for_file",
    "validate_features",
    "validate_layer",
]
