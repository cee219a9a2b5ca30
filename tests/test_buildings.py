"""Tests for geogrid.buildings: the household rule for building footprints."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geogrid.buildings import YES_SHARE, estimate_households, parse_number
from geogrid.errors import CRSError, InputError

UTM50 = "EPSG:32650"  # Beijing


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
        ({"building": "yes"}, round(60 * YES_SHARE), "estimate", 6.0),
        ({"building": None}, round(60 * YES_SHARE), "estimate", 6.0),
        ({"building": "apartments", "levels": 500.0}, 60, "estimate", 6.0),
        ({"building": "apartments", "building:levels": "many"}, 60, "estimate", 6.0),
        ({"building": "apartments", "flats": 48.0}, 48, "tag", 6.0),
        ({"building": "apartments", "addr:flats": "36"}, 36, "tag", 6.0),
        ({"building": "commercial", "building:flats": "5"}, 5, "tag", math.nan),
        ({"building": "school"}, 0, "non-residential", math.nan),
        ({"building": "commercial", "levels": 10.0}, 0, "non-residential", 10.0),
        ({"building": "industrial"}, 0, "non-residential", math.nan),
        ({"building": "retail"}, 0, "non-residential", math.nan),
        ({"building": "church"}, 0, "non-residential", math.nan),
        ({"building": "office"}, 0, "non-residential", math.nan),
        ({"building": "garage"}, 0, "non-residential", math.nan),
    ],
)
def test_household_rule_table(
    row: dict[str, object], households: int, source: str, levels: float
) -> None:
    """Tag wins, non-residential types get 0, residential ones footprint x levels / 90 m²."""
    result = estimate_households(footprints([row]), UTM50).iloc[0]
    assert result["households"] == households
    assert result["households_source"] == source
    assert result["footprint_m2"] == pytest.approx(900.0)
    assert result["levels"] == pytest.approx(levels, nan_ok=True)


def test_small_residential_buildings_get_at_least_one_household() -> None:
    """A 9 m² house rounds to 0 dwellings but counts 1; a 9 m² building=yes stays 0 (a shed)."""
    result = estimate_households(
        footprints([{"building": "house"}, {"building": "yes"}], side_m=3.0), UTM50
    )
    assert result["households"].tolist() == [1, 0]


def test_result_types_and_input_untouched() -> None:
    """households is int64, the input frame is not modified, and the CRS is kept."""
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
