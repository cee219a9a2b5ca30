"""Tests for geogrid.places: OSM tags -> key-location kind -> layer."""

from __future__ import annotations

import pytest

from geogrid.places import LAYER_OF_KIND, PLACE_KINDS, PLACE_RULES, classify_place, layer_of


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"amenity": "school", "name": "海淀实验小学"}, "school"),
        ({"amenity": "kindergarten"}, "kindergarten"),
        ({"amenity": "childcare"}, "kindergarten"),
        ({"amenity": "university"}, "university"),
        ({"amenity": "college"}, "university"),
        ({"amenity": "hospital"}, "hospital"),
        ({"healthcare": "hospital"}, "hospital"),
        ({"amenity": "clinic"}, "clinic"),
        ({"amenity": "doctors"}, "clinic"),
        ({"amenity": "pharmacy"}, "pharmacy"),
        ({"amenity": "police", "name": "清华园派出所"}, "police"),
        ({"amenity": "fire_station"}, "fire_station"),
        ({"amenity": "marketplace", "name": "农贸市场"}, "marketplace"),
        ({"shop": "supermarket"}, "supermarket"),
        ({"shop": "mall"}, "mall"),
        ({"shop": "department_store"}, "mall"),
        ({"amenity": "bus_station"}, "bus_station"),
        ({"public_transport": "station", "bus": "yes"}, "bus_station"),
        ({"railway": "station"}, "railway_station"),
        ({"railway": "station", "station": "subway", "name": "六道口"}, "subway_station"),
        ({"public_transport": "station", "subway": "yes"}, "subway_station"),
        ({"railway": "subway_entrance"}, "subway_entrance"),
        ({"amenity": "bank"}, "bank"),
        ({"amenity": "atm"}, "atm"),
        ({"amenity": "post_office"}, "post_office"),
        ({"amenity": "community_centre"}, "community_centre"),
        ({"amenity": "townhall", "name": "学院路街道办事处"}, "community_centre"),
        ({"amenity": "social_facility"}, "community_centre"),
        ({"office": "government", "name": "矿业大学社区居委会"}, "community_centre"),
        ({"office": "association", "name": "石油大院村委会"}, "community_centre"),
        ({"amenity": "bar"}, "nightlife"),
        ({"amenity": "karaoke_box", "name": "KTV"}, "nightlife"),
        ({"amenity": "internet_cafe", "name": "网吧"}, "internet_cafe"),
        ({"tourism": "hotel"}, "hotel"),
        ({"amenity": "place_of_worship"}, "place_of_worship"),
        ({"leisure": "park"}, "park"),
        # a school building is the school, not a generic building
        ({"building": "school", "amenity": "school"}, "school"),
    ],
)
def test_classification_table(tags: dict[str, str], kind: str) -> None:
    """Each tag set maps to the documented key-location kind."""
    assert classify_place(tags) == kind


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"amenity": "restaurant"},
        {"amenity": "parking"},
        {"highway": "bus_stop"},
        {"building": "school"},
        {"shop": "convenience"},
        {"office": "government", "name": "海淀区人民政府"},
        {"amenity": "school", "disused": "yes"},
    ],
)
def test_not_key_locations(tags: dict[str, str]) -> None:
    """Ordinary features, office buildings of other kinds and disused places give None."""
    assert classify_place(tags) is None


@pytest.mark.parametrize(
    ("kind", "layer"),
    [
        ("school", "schools"),
        ("kindergarten", "schools"),
        ("university", "schools"),
        ("hospital", "health"),
        ("clinic", "health"),
        ("pharmacy", "health"),
        ("police", "police"),
        ("fire_station", "police"),
        ("marketplace", "markets"),
        ("supermarket", "markets"),
        ("mall", "markets"),
        ("bus_station", "stations"),
        ("railway_station", "stations"),
        ("subway_station", "stations"),
        ("subway_entrance", "stations"),
        ("bank", "banks"),
        ("atm", "banks"),
        ("community_centre", "other"),
        ("internet_cafe", "other"),
        ("no_such_kind", "other"),
    ],
)
def test_layer_table(kind: str, layer: str) -> None:
    """Kinds are drawn on the documented layers; an unknown kind falls back to "other"."""
    assert layer_of(kind) == layer


def test_every_rule_kind_has_a_layer() -> None:
    """The rule table only produces kinds that LAYER_OF_KIND knows (PLACE_KINDS lists them)."""
    assert {kind for _, kind in PLACE_RULES} | {"community_centre"} <= set(LAYER_OF_KIND)
    assert set(PLACE_KINDS) == set(LAYER_OF_KIND)
