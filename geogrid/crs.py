"""Coordinate reference systems.

geogrid stores and exchanges WGS-84 lon/lat (EPSG:4326, RFC 7946). It
measures in one metric CRS per area, chosen once (UTM zone of the area's
centre) and passed explicitly to every computation that needs metres.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

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


# --------------------------------------------------------------------------- China offsets
#
# GCJ-02 ("Mars coordinates", used by Amap/高德 and Tencent/腾讯) is WGS-84 shifted by a
# published obfuscation formula; BD-09 (Baidu/百度) is GCJ-02 shifted once more. They are not
# CRSs pyproj knows, so they are converted here, on import only, when the user says the
# data comes from such a system (geogrid never guesses). The forward formulas are the
# public ones (as in eviltransform); the inverses iterate the forward formula to below
# 1e-9 degrees (about 0.1 mm). Outside mainland China (rough box) no offset is applied.

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where (lon, lat) lies outside the rough mainland-China box that GCJ-02 shifts."""
    x, y = _as_arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * math.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS-84 lon/lat to GCJ-02 (Amap, Tencent); arrays or scalars in, arrays out."""
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 lon/lat to WGS-84 by iterating the forward shift (error < 1e-9 deg)."""
    gx, gy = _as_arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(30):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = fx - gx, fy - gy
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey), [0.0]]))) < 1e-10:
            break
    return x, y


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Shift GCJ-02 lon/lat to BD-09 (Baidu)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 (Baidu) lon/lat to GCJ-02 by iterating the forward shift."""
    bx, by = _as_arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    for _ in range(30):
        fx, fy = gcj02_to_bd09(x, y)
        ex, ey = fx - bx, fy - by
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey), [0.0]]))) < 1e-10:
            break
    return x, y


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS-84 lon/lat to BD-09 (Baidu), through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 (Baidu) lon/lat to WGS-84, through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


#: Coordinate systems a user may name for imported lon/lat, besides any EPSG code.
CHINA_SYSTEMS: dict[str, str] = {
    "wgs84": "WGS-84 lon/lat (GPS, OpenStreetMap, most open data)",
    "gcj02": "GCJ-02 lon/lat (Amap/高德, Tencent/腾讯 maps)",
    "bd09": "BD-09 lon/lat (Baidu/百度 maps)",
}


LONLAT_SYSTEMS = tuple(CHINA_SYSTEMS)
"""The named lon/lat systems (keys of :data:`CHINA_SYSTEMS`): wgs84, gcj02, bd09."""


def system_key(system: str) -> str:
    """A stated coordinate system as it is compared: stripped, lower case, without ``-`` and
    ``_`` (``"GCJ-02"`` and ``"gcj_02"`` are ``"gcj02"``, ``"EPSG:4326"`` is ``"epsg:4326"``)."""
    return system.strip().lower().replace("-", "").replace("_", "")


def is_lonlat_system(system: str) -> bool:
    """True when coordinates stated in ``system`` are longitude/latitude in degrees: the
    named systems (wgs84, gcj02, bd09) and any geographic CRS pyproj knows (``EPSG:4326``,
    ``EPSG:4490`` CGCS2000, ``4326``); False for projected ones (Gauss-Kruger, UTM) and for
    names pyproj does not know (the conversion then says what is wrong)."""
    key = system_key(system)
    if key in LONLAT_SYSTEMS:
        return True
    try:
        known = CRS.from_epsg(int(key)) if key.isdigit() else CRS.from_user_input(system.strip())
    except Exception:  # noqa: BLE001 - pyproj's errors vary; unknown means "not lon/lat"
        return False
    return bool(known.is_geographic)


def named_lonlat(system: str) -> str | None:
    """The named system (wgs84, gcj02, bd09) that coordinates stated in ``system`` read as,
    for telling whether a file was really written in another: the named ones themselves,
    any other geographic CRS ``"wgs84"`` (EPSG:4326; CGCS2000, EPSG:4490, differs from
    WGS-84 by centimetres); None for projected systems and unknown names."""
    key = system_key(system)
    if key in LONLAT_SYSTEMS:
        return key
    return "wgs84" if is_lonlat_system(system) else None


def lonlat_mixups(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of x, y stated to be lon/lat that cannot be: ``swapped`` (the latitude is beyond
    ±90 while the longitude would fit a latitude: the longitude is in the y column) and
    ``out_of_range`` (longitude beyond ±180 or latitude beyond ±90; swapped rows too).
    NaN is neither."""
    swapped = (np.abs(y) > 90) & (np.abs(x) <= 90)
    out_of_range = (np.abs(x) > 180) | (np.abs(y) > 90)
    return swapped, out_of_range


def lonlat_where(
    x: np.ndarray, y: np.ndarray, rows: np.ndarray, system: str
) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon, lat of the ``rows`` (a boolean mask) of x, y in ``system``
    (:func:`lonlat_from_system`); NaN in the other rows."""
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    if rows.any():
        lon[rows], lat[rows] = lonlat_from_system(x[rows], y[rows], system)
    return lon, lat


def lonlat_from_system(x: ArrayLike, y: ArrayLike, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates stated to be in ``system`` to WGS-84 lon/lat.

    Parameters
    ----------
    x, y
        Longitude/easting and latitude/northing.
    system
        ``"wgs84"``, ``"gcj02"``, ``"bd09"`` or any CRS pyproj knows
        (``"EPSG:26910"``); the user states it, geogrid never guesses.

    Raises
    ------
    CRSError
        ``system`` is none of these.
    """
    key = system_key(system)
    xs, ys = _as_arrays(x, y)
    if key in ("wgs84", "epsg:4326", "4326"):
        return xs, ys
    if key == "gcj02":
        return gcj02_to_wgs84(xs, ys)
    if key == "bd09":
        return bd09_to_wgs84(xs, ys)
    try:
        crs = CRS.from_user_input(system)
    except Exception as err:
        raise CRSError(
            f"unknown coordinate system {system!r}; use one of "
            + ", ".join(f"{k} ({v})" for k, v in CHINA_SYSTEMS.items())
            + " or an EPSG code such as EPSG:26910"
        ) from err
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = transformer.transform(xs, ys)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
