"""Coordinate reference systems.

geogrid stores and exchanges WGS-84 lon/lat (EPSG:4326, RFC 7946). It
measures in one metric CRS per area, chosen once (UTM zone of the area's
centre) and passed explicitly to every computation that needs metres.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from geogrid.errors import CRSError

WGS84 = "EPSG:4326"


def metric_crs_for(bounds: tuple[float, float, float, float]) -> str:
    """Return the UTM CRS (as ``"EPSG:xxxxx"``) for a WGS-84 bbox ``(west, south, east, north)``."""
    west, south, east, north = bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise CRSError(
            f"bounding box {bounds} is not WGS-84 lon/lat (west, south, east, north); "
            "check that longitude comes first and the data is not projected"
        )
    lon = (west + east) / 2
    lat = (south + north) / 2
    zone = int((lon + 180) // 6) + 1
    zone = min(max(zone, 1), 60)
    epsg = (32600 if lat >= 0 else 32700) + zone
    return f"EPSG:{epsg}"


def require_crs(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Refuse a frame with no CRS; ``what`` names it in the message."""
    if frame.crs is None:
        raise CRSError(
            f"{what} has no coordinate reference system; set one (e.g. EPSG:4326 for "
            "lon/lat) before loading it into geogrid"
        )
    return frame


def to_wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326, refusing frames with no CRS."""
    require_crs(frame, what)
    if CRS(frame.crs).equals(CRS(WGS84)):
        return frame
    return frame.to_crs(WGS84)


def to_metric(frame: gpd.GeoDataFrame, metric_crs: str, what: str) -> gpd.GeoDataFrame:
    """Return ``frame`` in the area's metric CRS."""
    require_crs(frame, what)
    return frame.to_crs(metric_crs)
