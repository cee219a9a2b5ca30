"""Tests for geogrid.crs: one metric CRS per area, refuse data without a CRS."""

from __future__ import annotations

import geopandas as gpd
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
    with pytest.raises(CRSError, match="incidents.csv has no coordinate reference system"):
        to_wgs84(bare, "incidents.csv")
    wgs = bare.set_crs("EPSG:4326")
    assert to_wgs84(wgs, "x") is wgs
    metric = to_metric(wgs, "EPSG:32650", "x")
    assert metric.crs.to_epsg() == 32650
    back = to_wgs84(metric, "x")
    assert back.geometry.iloc[0].distance(shapely.Point(116.3, 39.9)) < 1e-9
