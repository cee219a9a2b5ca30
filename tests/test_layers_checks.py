"""Tests for geogrid.layers.checks: feature and frame validation against a layer spec."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, mapping

from geogrid.layers import (
    SPECS,
    Problem,
    PropertySpec,
    check_coordinates,
    check_value,
    errors_in,
    validate_features,
    validate_layer,
)

SQUARE = Polygon([(116.35, 39.99), (116.352, 39.99), (116.352, 39.992), (116.35, 39.992)])


def grid(props: dict[str, Any], geom: Any = SQUARE) -> dict[str, Any]:
    """A grids feature dict."""
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def test_problem_reads_as_one_actionable_line() -> None:
    """A Problem prints as 'file feature i (id ...), property ...: what; how to fix'."""
    problems = validate_features(
        [grid({"code": "g-01"})] * 3 + [grid({"code": "g-12", "households": -5})],
        SPECS["grids"],
        "grids.geojson",
    )
    text = [str(p) for p in problems if p.property == "households"]
    assert text == [
        "grids.geojson feature 3 (id 'g-12'), property 'households': -5 is below 0; "
        "households must be a whole number >= 0"
    ]


def test_valid_features_have_no_problems() -> None:
    """A well-formed grid with every optional property passes cleanly."""
    props = {
        "code": "g-01",
        "name": "学院路一网格",
        "parent_code": "110108001",
        "households": 320,
        "worker": "王芳",
        "locked": False,
    }
    assert validate_features([grid(props)], SPECS["grids"], "grids.geojson") == []


@pytest.mark.parametrize(
    ("prop", "value", "fragment"),
    [
        (PropertySpec("n", "int", minimum=0), -1, "-1 is below 0"),
        (PropertySpec("n", "int"), 2.5, "2.5 is not a whole number"),
        (PropertySpec("n", "int"), "5", "is text, not a number (write it without quotes)"),
        (PropertySpec("n", "int"), True, "is a boolean, not a number"),
        (PropertySpec("n", "float"), float("nan"), "not a finite number"),
        (PropertySpec("s", "float", minimum=0, minimum_exclusive=True), 0, "0 is not above 0"),
        (PropertySpec("s", "float", maximum=120), 130.5, "130.5 is above 120"),
        (PropertySpec("b", "bool"), "true", "'true' is text, not true/false"),
        (PropertySpec("b", "bool"), 1, "1 is a number, not true/false"),
        (PropertySpec("t", "str"), 12, "12 is a number, not text"),
        (PropertySpec("t", "str", required=True), "  ", "is empty"),
        (PropertySpec("i", "id"), 1.5, "is a number, not an id"),
        (PropertySpec("i", "id"), "", "is empty"),
        (PropertySpec("d", "datetime"), "yesterday", "is not an ISO-8601 date-time"),
        (PropertySpec("d", "datetime"), "2024-05-01T21:30", "has no time zone"),
        (PropertySpec("d", "datetime"), 1714570200, "not an ISO-8601 date-time"),
        (PropertySpec("h", "time"), "8:00", "is not a 24-hour time HH:MM"),
        (PropertySpec("h", "time"), "24:00", "is not a 24-hour time HH:MM"),
        (PropertySpec("m", "str", choices=("walk", "bike")), "car", "not an allowed value"),
    ],
)
def test_check_value_explains_bad_values(prop: PropertySpec, value: object, fragment: str) -> None:
    """Each wrong value gets a message that says what is wrong with it."""
    message = check_value(value, prop)
    assert message is not None and fragment in message


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        (PropertySpec("n", "int", minimum=0), 0),
        (PropertySpec("n", "int"), 5.0),
        (PropertySpec("i", "id"), 17),
        (PropertySpec("i", "id"), "way/17"),
        (PropertySpec("d", "datetime"), "2024-05-01T21:30:00+08:00"),
        (PropertySpec("d", "datetime"), "2024-05-01T13:30:00Z"),
        (PropertySpec("h", "time"), "23:59"),
        (PropertySpec("m", "str", choices=("walk", "bike")), "bike"),
    ],
)
def test_check_value_accepts_good_values(prop: PropertySpec, value: object) -> None:
    """Values that follow the rule pass (whole floats count as whole numbers)."""
    assert check_value(value, prop) is None


def test_feature_level_problems() -> None:
    """Non-Feature entries, bad properties objects and unreadable geometry are reported."""
    features: list[Any] = [
        [1, 2],
        {"type": "Feature", "properties": [1], "geometry": mapping(SQUARE)},
        {
            "type": "Feature",
            "properties": {"code": "g-3"},
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        },
        {"type": "Feature", "properties": {"code": "g-4"}, "geometry": {"coordinates": []}},
    ]
    problems = validate_features(features, SPECS["grids"], "grids.geojson")
    messages = [(p.feature_index, p.message) for p in problems]
    assert messages[0] == (0, "is a list, not a GeoJSON Feature object")
    assert messages[1] == (1, "properties is a list, not an object")
    assert messages[2][0] == 2 and messages[2][1].startswith("geometry cannot be read")
    assert messages[3] == (3, "geometry is not a GeoJSON geometry object")


def test_feature_id_falls_back_to_the_feature_id_member() -> None:
    """Without the id property, the RFC 7946 Feature 'id' member names the feature."""
    feature = grid({"households": 1}) | {"id": "f-9"}
    (problem,) = validate_features([feature], SPECS["grids"], "grids.geojson")
    assert problem.feature_id == "f-9"
    assert str(problem).startswith("grids.geojson feature 0 (id 'f-9'), property 'code'")


def test_invalid_polygon_names_the_location() -> None:
    """A bow-tie polygon is reported with the self-intersection point in lon/lat."""
    bowtie = Polygon([(116.0, 39.0), (116.2, 39.2), (116.2, 39.0), (116.0, 39.2)])
    (problem,) = validate_features([grid({"code": "g"}, bowtie)], SPECS["grids"], "g.geojson")
    assert problem.message == "polygon is invalid: Self-intersection at lon 116.1, lat 39.1"


def test_clockwise_ring_is_a_note_not_an_error() -> None:
    """Left-hand rings give a note (severity 'note'), which errors_in leaves out."""
    clockwise = Polygon(list(SQUARE.exterior.coords)[::-1])
    problems = validate_features([grid({"code": "g"}, clockwise)], SPECS["grids"], "g.geojson")
    assert [p.severity for p in problems] == ["note"]
    assert errors_in(problems) == []
    assert "note: polygon rings are clockwise" in str(problems[0])


@pytest.mark.parametrize(
    ("geom", "bbox", "kind"),
    [
        (Point(116.4, 39.9), None, None),
        (Point(39.9, 116.4), None, "swapped"),
        (Point(12958000.0, 4852000.0), None, "projected"),
        (Point(-200.0, 10.0), None, "projected"),
        (Point(60.17, 24.94), (24.8, 60.1, 25.1, 60.3), "bbox_swapped"),
        (Point(24.94, 60.17), (24.8, 60.1, 25.1, 60.3), None),
        (Point(30.0, 30.0), (24.8, 60.1, 25.1, 60.3), None),
    ],
)
def test_check_coordinates(geom: Any, bbox: Any, kind: str | None) -> None:
    """Swapped lat/lon, projected metres and bbox-only swaps are told apart."""
    issue = check_coordinates(geom, bbox)
    assert (issue.kind if issue else None) == kind


def test_layer_wide_coordinate_problem_is_reported_once() -> None:
    """When every feature is projected, one layer-level problem replaces N identical ones."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": i, "time": "2024-05-01T08:00:00+08:00", "category": "theft"},
            "geometry": mapping(Point(12958000.0 + i, 4852000.0)),
        }
        for i in range(50)
    ]
    problems = validate_features(features, SPECS["incidents"], "incidents.geojson")
    assert len(problems) == 1
    assert problems[0].feature_index is None
    assert problems[0].message.startswith("all 50 features: coordinates x=12958000")


def test_some_swapped_features_are_reported_one_by_one() -> None:
    """When only some features are swapped, each is named."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": i, "time": "2024-05-01T08:00:00+08:00", "category": "theft"},
            "geometry": mapping(point),
        }
        for i, point in enumerate([Point(116.4, 39.9), Point(39.9, 116.4), Point(39.8, 116.3)])
    ]
    problems = validate_features(features, SPECS["incidents"], "incidents.geojson")
    assert [(p.feature_index, p.feature_id) for p in problems] == [(1, 1), (2, 2)]


def test_validate_layer_checks_a_frame() -> None:
    """validate_layer works on a GeoDataFrame (numpy values, NaN as missing)."""
    teams = gpd.GeoDataFrame(
        {"id": ["t-1", "t-2"], "mode": ["walk", "fly"], "size": [3, float("nan")]},
        geometry=[Point(116.35, 39.99), Point(116.36, 39.99)],
        crs="EPSG:4326",
    )
    problems = validate_layer(teams, SPECS["teams"], "teams.geojson")
    assert [str(p) for p in problems] == [
        "teams.geojson feature 1 (id 't-2'), property 'mode': 'fly' is not an allowed value; "
        "mode must be text, one of 'walk', 'bike', 'drive'"
    ]


def test_problem_without_feature_names_only_the_file() -> None:
    """A layer-level Problem prints as 'file: what; fix'."""
    problem = Problem("edges.geojson", None, None, None, "all 3 features: x", "reproject")
    assert str(problem) == "edges.geojson: all 3 features: x; reproject"


@given(households=st.integers(min_value=-1000, max_value=10**6))
def test_households_rule_holds_for_any_integer(households: int) -> None:
    """Households are accepted exactly when they are >= 0 (Hypothesis)."""
    problems = validate_features(
        [grid({"code": "g", "households": households})], SPECS["grids"], "grids.geojson"
    )
    assert (problems == []) == (households >= 0)
