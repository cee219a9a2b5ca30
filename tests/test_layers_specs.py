"""Tests for geogrid.layers.specs: every workspace layer's spec, read off its property model."""

from __future__ import annotations

import pytest

from geogrid.errors import InputError
from geogrid.layers import SPECS, GridProperties, LayerSpec, get_spec, spec_for_file


def test_every_workspace_layer_has_a_spec() -> None:
    """SPECS documents every layer of the area workspace in docs/ARCHITECTURE.md."""
    assert set(SPECS) == {
        "boundary",
        "communities",
        "micro_grids",
        "grids",
        "buildings",
        "residential_land",
        "places",
        "incidents",
        "teams",
        "nodes",
        "edges",
    }
    for name, spec in SPECS.items():
        assert spec.name == name
        assert spec.description and spec.geometry_types
        assert all(p.description for p in spec.properties), f"{name}: describe every property"
        names = [p.name for p in spec.properties]
        assert len(names) == len(set(names)), f"{name}: property listed twice"
        if spec.id_property is not None:
            assert spec.property(spec.id_property).unique


def test_units_match_the_suffixes() -> None:
    """A property named *_m, *_m2 or *_kmh carries the unit its suffix names."""
    suffix_units = {"_m": "m", "_m2": "m²", "_kmh": "km/h"}
    for spec in SPECS.values():
        for prop in spec.properties:
            for suffix, unit in suffix_units.items():
                if prop.name.endswith(suffix):
                    assert prop.unit == unit, f"{spec.name}.{prop.name}"


def test_edges_spec_follows_the_network_contract() -> None:
    """The edges spec requires exactly the columns of 'Street network frames'."""
    edges = SPECS["edges"]
    assert {p.name for p in edges.required} == {
        "u",
        "v",
        "way_id",
        "highway",
        "length_m",
        "walk",
        "bike",
        "drive",
        "oneway_bike",
        "oneway_drive",
    }
    assert [p.name for p in edges.optional] == ["name"]
    assert edges.geometry_types == ("LineString",)


def test_spec_lookup() -> None:
    """get_spec names the known layers on a typo; spec_for_file maps workspace paths."""
    with pytest.raises(InputError, match=r"unknown layer 'grid'.*grids"):
        get_spec("grid")
    assert spec_for_file("layers/schools.geojson").name == "places"
    assert spec_for_file("network/edges.geojson").name == "edges"
    assert spec_for_file("grids.geojson").name == "grids"
    with pytest.raises(InputError, match="not a workspace layer file"):
        spec_for_file("notes.txt")


def test_rule_reads_as_a_sentence() -> None:
    """PropertySpec.rule() says type, allowed values, range and unit."""
    assert SPECS["teams"].property("speed_kmh").rule() == (
        "speed_kmh must be a number > 0 and <= 120 (km/h)"
    )
    assert SPECS["teams"].property("mode").rule() == (
        "mode must be text, one of 'walk', 'bike', 'drive'"
    )
    assert SPECS["grids"].property("code").rule() == "code must be text, unique in the layer"


def test_property_specs_are_read_off_the_model() -> None:
    """Required = no default, range from ge/gt/le, unit from json_schema_extra, unique = id."""
    grids, teams, buildings = SPECS["grids"], SPECS["teams"], SPECS["buildings"]
    assert grids.model is GridProperties
    assert grids.columns == tuple(GridProperties.model_fields)
    assert [p.name for p in grids.required] == ["code"]
    households = grids.property("households")
    assert (households.type, households.minimum, households.unit) == ("int", 0, "households")
    assert grids.property("code").unique and not households.unique
    levels = buildings.property("levels")
    assert (levels.minimum, levels.minimum_exclusive, levels.maximum) == (0, True, 200)
    assert teams.property("mode").choices == ("walk", "bike", "drive")
    assert teams.property("shift_start").type == "time"
    assert SPECS["incidents"].property("time").type == "datetime"
    assert SPECS["incidents"].property("id").type == "id"
    assert grids.description == GridProperties.__doc__


def test_layer_spec_refuses_an_id_that_is_not_a_property() -> None:
    """A LayerSpec whose id property is not a field of its model is a programming error."""
    with pytest.raises(ValueError, match="'gid' is not a property"):
        LayerSpec("g", "g.geojson", ("Polygon",), GridProperties, id_property="gid")
