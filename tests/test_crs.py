"""Tests for geogrid.crs: one metric CRS per area, refuse data without a CRS."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.crs import metric_crs_for, to_metric, to_wgs84
from geogrid.errors import CRSError


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ((116.344, 39.997, 116.360, 40.009), "EPSG:32650"),  # Beijing Haidian
        ((121.46, 31.21, 121.49, 31.24), "EPSG:32651"),  # Shanghai Jing'an
        ((24.935, 60.164, 24.953, 60.179), "EPSG:32635"),  # Helsinki demo
        ((-122.30, 37.80, -122.29, 37.81), "EPSG:32610"),  # Oakland
        ((151.2, -33.9, 151.3, -33.8), "EPSG:32756"),  # Sydney, southern hemisphere
    ],
)
def test_metric_crs_is_the_utm_zone(bounds, expected):
    """The metric CRS is the UTM zone of the bbox centre, north or south."""
    assert metric_crs_for(bounds) == expected


def test_projected_bounds_are_refused_with_a_hint():
    """Numbers that are not lon/lat (projected metres, swapped axes) get a clear error."""
    with pytest.raises(CRSError, match="not WGS-84"):
        metric_crs_for((440000.0, 4420000.0, 441000.0, 4421000.0))
    with pytest.raises(CRSError, match="longitude comes first"):
        metric_crs_for((39.9, 116.3, 40.0, 116.4))


def test_frames_without_crs_are_refused():
    """A frame with no CRS is refused by name; a WGS-84 frame passes through unchanged."""
    bare = gpd.GeoDataFrame(geometry=[shapely.Point(116.3, 39.9)])
    with pytest.raises(
        CRSError, match=re.escape("incidents.csv has no coordinate reference system")
    ):
        to_wgs84(bare, "incidents.csv")
    wgs = bare.set_crs("EPSG:4326")
    assert to_wgs84(wgs, "x") is wgs
    metric = to_metric(wgs, "EPSG:32650", "x")
    assert metric.crs.to_epsg() == 32650
    back = to_wgs84(metric, "x")
    assert back.geometry.iloc[0].distance(shapely.Point(116.3, 39.9)) < 1e-9


# --------------------------------------------------------------------------- GCJ-02 / BD-09

from geogrid.crs import (  # noqa: E402
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    is_lonlat_system,
    lonlat_from_system,
    named_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


def _metres(lon1, lat1, lon2, lat2):
    """Equirectangular distance in metres (plenty for sub-metre checks)."""
    import math

    k = 111_320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians(lat1)), (lat1 - lat2) * k)


# Published pairs (lon, lat): eviltransform's test vectors (googollee/eviltransform,
# go/transform_test.go) and wandergis/coordtransform's README / test/app.js.
WGS_GCJ_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Tiananmen (coordtransform)
]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    """WGS-84 -> GCJ-02 reproduces the published pairs to 1e-9 degrees (0.1 mm)."""
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-9) and lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_gcj02_to_wgs84_recovers_the_original_within_a_centimetre(wgs, gcj):
    """GCJ-02 -> WGS-84 (iterated inverse) lands within 1 cm of the published WGS point."""
    lon, lat = gcj02_to_wgs84(*gcj)
    assert _metres(float(lon), float(lat), *wgs) < 0.01


def test_bd09_matches_the_coordtransform_pair():
    """GCJ-02 -> BD-09 of (116.404, 39.915) is coordtransform's published value; BD-09 -> GCJ-02
    agrees with its closed-form inverse (116.39762729, 39.90865674) within 0.5 m."""
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)
    back = bd09_to_gcj02(116.404, 39.915)
    assert _metres(float(back[0]), float(back[1]), 116.39762729119315, 39.90865673957631) < 0.5


def test_round_trips_are_exact_on_many_points():
    """Wgs -> gcj -> wgs and wgs -> bd -> wgs return within 1 mm across China, vectorised."""
    rng = np.random.default_rng(1)
    lon = rng.uniform(75, 134, 500)
    lat = rng.uniform(18, 53, 500)
    for fwd, inv in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)):
        x, y = inv(*fwd(lon, lat))
        err = np.hypot((x - lon) * 111_320 * np.cos(np.radians(lat)), (y - lat) * 111_320)
        assert err.max() < 0.001


def test_no_offset_outside_china():
    """Outside mainland China GCJ-02 equals WGS-84 (Helsinki stays put)."""
    lon, lat = wgs84_to_gcj02(24.94, 60.17)
    assert (float(lon), float(lat)) == (24.94, 60.17)


def test_lonlat_from_system_handles_named_systems_and_epsg():
    """lonlat_from_system converts gcj02/bd09 and any EPSG code; unknown names get a hint."""
    lon, lat = lonlat_from_system([116.41024449916938], [39.91640428150164], "GCJ-02")
    assert _metres(lon[0], lat[0], 116.404, 39.915) < 0.01
    lon, lat = lonlat_from_system([490320.299], [5458606.9208], "EPSG:26910")  # Vancouver UTM
    assert -123.2 < lon[0] < -123.0 and 49.2 < lat[0] < 49.4
    with pytest.raises(CRSError, match="gcj02"):
        lonlat_from_system([1.0], [2.0], "mars")


def test_system_key_folds_the_ways_a_system_is_written():
    """Written "GCJ-02", " gcj_02 " or "gcj02" it is one system; an EPSG code keeps its digits."""
    from geogrid.crs import LONLAT_SYSTEMS, system_key

    assert {system_key(s) for s in ("GCJ-02", " gcj_02 ", "gcj02")} == {"gcj02"}
    assert system_key("EPSG:4326") == "epsg:4326"
    assert LONLAT_SYSTEMS == ("wgs84", "gcj02", "bd09")


def test_lonlat_mixups_tell_swapped_from_out_of_range():
    """Latitude 116 with longitude 39: swapped (and out of range); 200, 10: out of range only;
    a good point and a NaN are neither."""
    from geogrid.crs import lonlat_mixups

    x = np.array([39.9, 200.0, 116.4, np.nan])
    y = np.array([116.4, 10.0, 39.9, 39.9])
    swapped, out = lonlat_mixups(x, y)
    assert swapped.tolist() == [True, False, False, False]
    assert out.tolist() == [True, True, False, False]


def test_lonlat_where_converts_only_the_rows_asked():
    """GCJ-02 rows in the mask come back as WGS-84; the others are NaN, never converted."""
    from geogrid.crs import lonlat_where

    x = np.array([116.41024449916938, 999.0])
    y = np.array([39.91640428150164, 999.0])
    lon, lat = lonlat_where(x, y, np.array([True, False]), "gcj02")
    assert _metres(lon[0], lat[0], 116.404, 39.915) < 0.01
    assert np.isnan(lon[1]) and np.isnan(lat[1])


@pytest.mark.parametrize(
    ("system", "lonlat"),
    [
        ("wgs84", True),
        ("GCJ-02", True),
        ("bd09", True),
        ("EPSG:4326", True),
        ("epsg:4490", True),
        ("4490", True),
        ("EPSG:4547", False),  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
        ("EPSG:32650", False),
        ("no such system", False),
    ],
)
def test_is_lonlat_system_knows_geographic_systems(system, lonlat):
    """Named lon/lat systems and geographic EPSG codes (CGCS2000 included) are lon/lat;
    projected ones and unknown names are not."""
    assert is_lonlat_system(system) is lonlat


@pytest.mark.parametrize(
    ("system", "named"),
    [
        ("GCJ-02", "gcj02"),
        ("bd09", "bd09"),
        ("EPSG:4490", "wgs84"),
        ("4326", "wgs84"),
        ("EPSG:4549", None),
        ("no such system", None),
    ],
)
def test_named_lonlat_reads_geographic_codes_as_wgs84(system, named):
    """What a stated system is compared as when a file may be in another Chinese system."""
    assert named_lonlat(system) == named
