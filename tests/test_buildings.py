"""Tests for geogrid.buildings: the household rule for building footprints."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geogrid.buildings import (
    YES_SHARE,
    estimate_households,
    household_coverage,
    non_residential_use,
    parse_number,
)
from geogrid.errors import CRSError, InputError
from geogrid.io.osm import read_osm

UTM50 = "EPSG:32650"  # Beijing


def everywhere(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One landuse=residential polygon around every footprint."""
    return gpd.GeoDataFrame(geometry=[buildings.geometry.union_all().buffer(10)], crs=UTM50)


def footprints(rows: list[dict[str, object]], side_m: float = 30.0) -> gpd.GeoDataFrame:
    """Square footprints of side_m metres (900 m² by default) in UTM 50N, one per row."""
    geometry = [box(i * 100.0, 0.0, i * 100.0 + side_m, side_m) for i in range(len(rows))]
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=UTM50)


@pytest.mark.parametrize(
    ("row", "households", "source", "levels"),
    [
        # footprint 900 m², dwelling 90 m²: 10 dwellings per level
        ({"building": "apartments"}, 60, "estimate", 6.0),
        ({"building": "apartments", "levels": 12.0}, 120, "estimate", 12.0),
        ({"building": "residential", "building:levels": "3;4"}, 30, "estimate", 3.0),
        ({"building": "dormitory"}, 60, "estimate", 6.0),
        ({"building": "house"}, 10, "estimate", 1.0),
        ({"building": "detached"}, 10, "estimate", 1.0),
        ({"building": "terrace"}, 20, "estimate", 2.0),
        # untagged buildings are homes only inside residential land (see below)
        ({"building": "yes"}, 0, "none", math.nan),
        ({"building": None}, 0, "none", math.nan),
        ({"building": "apartments", "levels": 500.0}, 60, "estimate", 6.0),
        ({"building": "apartments", "building:levels": "many"}, 60, "estimate", 6.0),
        ({"building": "apartments", "flats": 48.0}, 48, "tag", 6.0),
        ({"building": "apartments", "addr:flats": "36"}, 36, "tag", 6.0),
        ({"building": "commercial", "building:flats": "5"}, 5, "tag", math.nan),
        ({"building": "school"}, 0, "none", math.nan),
        ({"building": "commercial", "levels": 10.0}, 0, "none", 10.0),
        ({"building": "apartments", "register_households": 77}, 77, "register", 6.0),
        (
            {"building": "school", "register_households": "12", "flats": 5.0},
            12,
            "register",
            math.nan,
        ),
        ({"building": "yes", "register_households": 0}, 0, "register", math.nan),
        ({"building": "industrial"}, 0, "none", math.nan),
        ({"building": "retail"}, 0, "none", math.nan),
        ({"building": "church"}, 0, "none", math.nan),
        ({"building": "office"}, 0, "none", math.nan),
        ({"building": "garage"}, 0, "none", math.nan),
    ],
)
def test_household_rule_table(
    row: dict[str, object], households: int, source: str, levels: float
) -> None:
    """Register, then tag win; other non-residential buildings get 0 (none), residential
    ones footprint x levels / 90 m²."""
    result = estimate_households(footprints([row]), UTM50).iloc[0]
    assert result["households"] == households
    assert result["households_source"] == source
    assert result["footprint_m2"] == pytest.approx(900.0)
    assert result["levels"] == pytest.approx(levels, nan_ok=True)


def test_small_residential_buildings_get_at_least_one_household() -> None:
    """A 9 m² house rounds to 0 dwellings but counts 1; a 9 m² building=yes stays 0 (a shed)."""
    buildings = footprints([{"building": "house"}, {"building": "yes"}], side_m=3.0)
    result = estimate_households(buildings, UTM50, residential_land=everywhere(buildings))
    assert result["households"].tolist() == [1, 0]


def test_result_types_and_input_untouched() -> None:
    """Households is int64, the input frame is not modified, and the CRS is kept."""
    buildings = footprints([{"building": "apartments"}, {"building": "school"}])
    before = buildings.copy()
    result = estimate_households(buildings, UTM50, dwelling_m2=60.0)
    assert result["households"].dtype == np.int64
    assert result["households"].tolist() == [90, 0]
    assert list(buildings.columns) == list(before.columns)
    assert result.crs == buildings.crs


def test_footprints_are_measured_in_the_metric_crs() -> None:
    """A lon/lat footprint is measured in the metric CRS given, not in square degrees."""
    buildings = footprints([{"building": "apartments"}]).to_crs("EPSG:4326")
    result = estimate_households(buildings, UTM50)
    assert result["footprint_m2"].iloc[0] == pytest.approx(900.0, rel=1e-6)
    assert result["households"].iloc[0] == 60


def test_custom_default_levels() -> None:
    """default_levels sets both the assumed storeys and which types count as housing."""
    buildings = footprints([{"building": "apartments"}, {"building": "hut"}])
    result = estimate_households(buildings, UTM50, default_levels={"apartments": 20.0})
    assert result["households"].tolist() == [200, 0]


@pytest.mark.parametrize("dwelling_m2", [0.0, -90.0, math.nan])
def test_bad_dwelling_size(dwelling_m2: float) -> None:
    """A dwelling size that is not a positive area raises InputError saying so."""
    with pytest.raises(InputError, match="positive number of square metres"):
        estimate_households(footprints([{"building": "apartments"}]), UTM50, dwelling_m2)


def test_frame_without_crs_is_refused() -> None:
    """Footprints without a CRS cannot be measured: CRSError."""
    buildings = footprints([{"building": "apartments"}]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        estimate_households(buildings, UTM50)


@pytest.mark.parametrize(
    ("value", "number"),
    [("6", 6.0), ("5.5", 5.5), ("6;7", 6.0), ("3-5", 3.0), ("abc", None), (None, None),
     (math.nan, None), (12, 12.0), (-1, None)],
)  # fmt: skip
def test_parse_number_table(value: object, number: float | None) -> None:
    """The first number of an OSM value is used; missing or non-numeric values give None."""
    assert parse_number(value) == number


def test_untagged_building_is_a_home_only_inside_residential_land() -> None:
    """building=yes inside landuse=residential gets the estimate with YES_SHARE; outside, none."""
    buildings = footprints([{"building": "yes"}, {"building": "yes"}])
    land = gpd.GeoDataFrame(geometry=[box(-10, -10, 50, 50)], crs=UTM50)  # the first only
    result = estimate_households(buildings, UTM50, residential_land=land)
    assert result["households"].tolist() == [round(60 * YES_SHARE), 0]
    assert result["households_source"].tolist() == ["estimate", "none"]


@pytest.mark.parametrize(
    ("tags", "use"),
    [
        ({"shop": "mall"}, "shop=mall"),
        ({"leisure": "sports_centre"}, "leisure=sports_centre"),
        ({"amenity": "library"}, "amenity=library"),
        ({"amenity": "police"}, "amenity=police"),
        ({"amenity": "fuel"}, "amenity=fuel"),
        ({"tourism": "hotel"}, "tourism=hotel"),
        ({"barrier": "toll_booth"}, "barrier=toll_booth"),
        ({"office": "company"}, "office=company"),
        ({"landuse": "industrial"}, "landuse=industrial"),
        ({"public_transport": "station"}, "public_transport=station"),
        ({"railway": "station"}, "railway=station"),
        ({"amenity": "bicycle_parking"}, None),
        ({"leisure": "playground"}, None),
        ({"shop": "no"}, None),
        ({"landuse": "residential"}, None),
        ({"highway": "residential"}, None),
    ],
)
def test_non_residential_use_table(tags: dict[str, str], use: str | None) -> None:
    """Shops, amenities, leisure, tourism, offices, industrial, public and transport
    features are not homes; parking, playgrounds and benches are found at homes."""
    assert non_residential_use(tags) == use


def test_features_at_an_untagged_building_make_it_no_home() -> None:
    """An untagged building inside residential land is no home when it is tagged with a use,
    lies inside a non-residential area or holds a non-residential node."""
    buildings = footprints(
        [{"building": "yes", "use": "shop=mall"}, {"building": "yes"}, {"building": "yes"},
         {"building": "yes"}, {"building": "apartments"}]
    )  # fmt: skip
    features = gpd.GeoDataFrame(
        {"use": ["amenity=police", "amenity=library", "amenity=library"]},
        geometry=[box(90, -5, 140, 40), Point(215, 15), Point(415, 15)],
        crs=UTM50,
    )
    result = estimate_households(
        buildings, UTM50, residential_land=everywhere(buildings), non_residential=features
    )
    assert result["households_source"].tolist() == ["none", "none", "none", "estimate", "estimate"]
    assert result["use"].tolist() == [
        "shop=mall", "amenity=police", "amenity=library", None, "amenity=library"
    ]  # fmt: skip
    assert result["households"].iloc[4] == 60  # own tags say apartments: still a home


OSM_HOUSEHOLDS = Path(__file__).parent / "data" / "osm" / "households.osm"


def test_households_osm_fixture_every_building_as_named() -> None:
    """On the Shenzhen-shaped fixture every building gets the source its name expects:
    malls, libraries, police, sports centres, toll booths, hotels and fuel stations at
    untagged buildings count no household (the defect: they were estimated as homes)."""
    extract = read_osm(OSM_HOUSEHOLDS)
    result = estimate_households(
        extract.buildings,
        UTM50,
        residential_land=extract.landuse,
        non_residential=extract.features,
    )
    expected = result["name"].str.extract(r"expect:(\w+)")[0]
    assert (result["households_source"] == expected).all(), result[["name", "households_source"]]
    assert (result.loc[expected == "none", "households"] == 0).all()
    assert (result.loc[expected != "none", "households"] > 0).all()


def test_household_coverage_reports_empty_land_and_density() -> None:
    """Coverage counts residential land without buildings (ha, polygons) and households per
    km², and calls a too thin estimate thin, pointing to the register import."""
    extract = read_osm(OSM_HOUSEHOLDS)
    buildings = estimate_households(
        extract.buildings, UTM50, residential_land=extract.landuse,
        non_residential=extract.features,
    )  # fmt: skip
    outline = box(*extract.edges.total_bounds).buffer(0.004)  # about 1.2 km²
    coverage = household_coverage(buildings, extract.landuse, outline, UTM50)
    assert coverage.residential_land_polygons == 3
    assert coverage.empty_land_polygons == 1
    assert coverage.empty_land_ha == pytest.approx(1.64, rel=0.05)  # 82 m x 199 m
    assert coverage.households == int(buildings["households"].sum())
    assert coverage.by_source["tag"] == 30
    assert coverage.households_per_km2 == pytest.approx(coverage.households / coverage.area_km2)
    assert coverage.thin  # 280 households on 1.2 km²: below 1,000 per km²
    assert any("geogrid households import" in w for w in coverage.warnings)
    assert coverage.summary()["empty_land_polygons"] == 1
    assert any("without buildings" in line for line in coverage.lines())


def test_household_coverage_of_a_plausible_area_is_not_thin() -> None:
    """Dense housing on residential land that holds buildings raises no warning."""
    buildings = footprints([{"building": "apartments", "levels": 20.0}] * 5)  # 1,000 households
    land = gpd.GeoDataFrame(geometry=[buildings.geometry.union_all().envelope], crs=UTM50)
    result = estimate_households(buildings, UTM50, residential_land=land)
    outline = gpd.GeoSeries([box(-100, -100, 500, 400)], crs=UTM50).to_crs("EPSG:4326")
    coverage = household_coverage(result, land, outline.iloc[0], UTM50)
    assert coverage.households == 1000
    assert not coverage.thin
    assert coverage.empty_land_polygons == 0
    assert coverage.households_per_residential_km2 is not None
