"""Patrol tracks from phones: GPX, KML, or a check-in table -> :class:`TrackPoints`.

* GPX (gpxpy): track points, else route points, else waypoints, with their times
  (a time without zone is UTC, as GPX says);
* KML (stdlib XML): ``gx:Track`` (``when`` + ``gx:coord``), or placemark points
  with a ``TimeStamp``; a line without times cannot say how long a stop lasted;
* CSV / Excel (:func:`geogrid.io.sheets.read_sheet`): columns time, lon, lat and
  optionally stop (the stop id of a check-in); a time without zone is the area's
  local time.

Coordinates are WGS-84 unless declared GCJ-02 (``datum="gcj02"``), or the file
says so itself (GPX metadata or KML ``ExtendedData`` ``datum`` of geogrid's
GCJ-02 exports, see :mod:`geogrid.io.plans`); GCJ-02 points are converted back
to WGS-84 here, on import. Every problem names the file and row.

A logged patrol leaves its stops in the area's visits table
(:func:`replace_visits`, CSV through ``geogrid.io.tables``: formula-safe) and its
track with the stop matches as GeoJSON beside the day's plan (:func:`write_track`).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely

from geogrid.crs import gcj02_to_wgs84
from geogrid.errors import InputError
from geogrid.io.atomic import write_bytes_atomic, write_text_atomic
from geogrid.io.sheets import read_sheet
from geogrid.io.tables import frame_csv
from geogrid.planning.report import VISIT_COLUMNS
from geogrid.planning.tracks import StopMatch, TrackMatch, TrackPoints, track_line

DATUMS = ("auto", "wgs84", "gcj02")
TRACK_SUFFIXES = (".gpx", ".kml", ".csv", ".xlsx", ".xls")
#: column names of a check-in table (lower case; Chinese as offices write them)
TIME_NAMES = ("time", "timestamp", "datetime", "时间", "签到时间", "打卡时间")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
STOP_NAMES = ("stop", "stop_id", "站点", "站点编号", "点位")
_KML = "{http://www.opengis.net/kml/2.2}"
_GX = "{http://www.google.com/kml/ext/2.2}"


def read_track(
    path: Path | str,
    *,
    datum: str = "auto",
    tz: str = "Asia/Shanghai",
    name: str | None = None,
) -> TrackPoints:
    """Read a phone track or check-in table; ``name`` names it in messages (default the file's).

    ``datum``: ``auto`` (WGS-84 unless the file says GCJ-02), ``wgs84`` or ``gcj02``.
    """
    path = Path(path)
    label = name or path.name
    if datum not in DATUMS:
        raise InputError(f"datum {datum!r}: give one of {', '.join(DATUMS)}")
    if not path.exists():
        raise InputError(f"{label}: file not found; check the path")
    suffix = Path(label).suffix.lower() or path.suffix.lower()
    if suffix == ".gpx":
        lon, lat, t, stated = _gpx(path, label)
        points = TrackPoints(lon, lat, t, label, "track")
    elif suffix == ".kml":
        lon, lat, t, stated = _kml(path, label)
        points = TrackPoints(lon, lat, t, label, "track")
    elif suffix in (".csv", ".xlsx", ".xls"):
        points = _checkins(path, label, tz)
        stated = None
    else:
        raise InputError(
            f"{label}: cannot read {suffix or 'a file without suffix'} as a track; "
            f"give {', '.join(TRACK_SUFFIXES)}"
        )
    gcj = datum == "gcj02" or (datum == "auto" and stated == "gcj02")
    if gcj and len(points):
        wlon, wlat = gcj02_to_wgs84(points.lon, points.lat)
        return TrackPoints(
            np.asarray(wlon),
            np.asarray(wlat),
            points.time_s,
            points.source,
            points.kind,
            points.stop_ids,
            "gcj02",
        )
    return points


def _arrays(rows: list[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not rows:
        return np.array([]), np.array([]), np.array([])
    arr = np.asarray(rows, dtype=float)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _posix(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _gpx(path: Path, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(path.read_text(encoding="utf-8-sig"))
    except (gpxpy.gpx.GPXException, ValueError, UnicodeDecodeError) as err:
        raise InputError(
            f"{label}: not a readable GPX file ({err}); export the track again as GPX"
        ) from err
    stated = _gpx_datum(gpx)
    groups: list[list[Any]] = [
        [p for trk in gpx.tracks for seg in trk.segments for p in seg.points],
        [p for rte in gpx.routes for p in rte.points],
        list(gpx.waypoints),
    ]
    chosen = next((g for g in groups if g), [])
    untimed = [n for n, p in enumerate(chosen, 1) if p.time is None]
    if chosen and len(untimed) == len(chosen):
        raise InputError(
            f"{label}: the points have no times (a planned route, not a recorded "
            "track); upload the track the phone recorded during the patrol"
        )
    rows = [
        (float(p.longitude), float(p.latitude), _posix(p.time))
        for p in chosen
        if p.time is not None
    ]
    return (*_arrays(rows), stated)


def _gpx_datum(gpx: Any) -> str | None:
    text = " ".join(str(v or "") for v in (gpx.description, gpx.keywords, gpx.name, gpx.creator))
    return "gcj02" if "GCJ-02" in text.upper() or "GCJ02" in text.upper() else None


def _kml(path: Path, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    try:
        root = ET.parse(path).getroot()  # noqa: S314  (stdlib parser: no external entities)
    except ET.ParseError as err:
        raise InputError(
            f"{label}: not a readable KML file ({err}); export the track again as KML"
        ) from err
    stated = None
    for data in root.iter(f"{_KML}Data"):
        value = data.find(f"{_KML}value")
        if (
            data.get("name") == "datum"
            and value is not None
            and "GCJ" in (value.text or "").upper()
        ):
            stated = "gcj02"
    rows: list[tuple[float, float, float]] = []
    problems: list[str] = []
    for track in root.iter(f"{_GX}Track"):
        whens = [w.text or "" for w in track.findall(f"{_KML}when")]
        coords = [c.text or "" for c in track.findall(f"{_GX}coord")]
        if len(whens) != len(coords):
            problems.append(f"{label}: a gx:Track has {len(whens)} times for {len(coords)} points")
            continue
        for n, (when, coord) in enumerate(zip(whens, coords, strict=True), 1):
            try:
                lon, lat = (float(v) for v in coord.split()[:2])
                rows.append((lon, lat, _posix(datetime.fromisoformat(when.strip()))))
            except ValueError:
                problems.append(f"{label}: gx:Track point {n}: cannot read {coord!r} at {when!r}")
    if not rows:
        for mark in root.iter(f"{_KML}Placemark"):
            point = mark.find(f".//{_KML}Point/{_KML}coordinates")
            stamp = mark.find(f".//{_KML}TimeStamp/{_KML}when")
            if point is None or stamp is None:
                continue
            try:
                lon, lat = (float(v) for v in (point.text or "").strip().split(",")[:2])
                rows.append((lon, lat, _posix(datetime.fromisoformat((stamp.text or "").strip()))))
            except ValueError:
                problems.append(
                    f"{label}: placemark {mark.findtext(f'{_KML}name') or '?'}: "
                    "cannot read its point or time"
                )
    if problems:
        raise InputError(f"{label}: the KML has unreadable points; export it again", problems[:20])
    if not rows and any(True for _ in root.iter(f"{_KML}LineString")):
        raise InputError(
            f"{label}: the KML has a line but no times; export the recorded track "
            "with times (gx:Track), not a drawn path"
        )
    return (*_arrays(rows), stated)


def _column(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    for col in table.columns:
        key = str(col).strip().lower()
        if key in names or key.split("/")[-1] in names:
            return str(col)
    return None


def _checkins(path: Path, label: str, tz: str) -> TrackPoints:
    sheet = read_sheet(path)
    table = sheet.table
    cols = {
        what: _column(table, names)
        for what, names in (
            ("time", TIME_NAMES),
            ("lon", LON_NAMES),
            ("lat", LAT_NAMES),
            ("stop", STOP_NAMES),
        )
    }
    missing = [w for w in ("time", "lon", "lat") if cols[w] is None]
    if missing:
        raise InputError(
            f"{label}: no {', '.join(missing)} column; a check-in table has columns "
            f"time, lon, lat and optionally stop (found {', '.join(map(str, table.columns))})"
        )
    tcol, xcol, ycol = str(cols["time"]), str(cols["lon"]), str(cols["lat"])
    scol = cols["stop"]
    zone = ZoneInfo(tz)
    rows: list[tuple[float, float, float]] = []
    stops: list[str | None] = []
    problems = []
    for row, rec in table.iterrows():
        try:
            lon, lat = float(rec[xcol]), float(rec[ycol])
        except (TypeError, ValueError):
            problems.append(
                f"{label} row {row}: lon/lat {rec[xcol]!r}, {rec[ycol]!r} are not numbers"
            )
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"{label} row {row}: lon {lon}, lat {lat} out of range (lon first?)")
            continue
        try:
            when = pd.Timestamp(str(rec[tcol])).to_pydatetime()
        except ValueError:
            when = None
        if when is None or pd.isna(when):
            problems.append(
                f"{label} row {row}: time {rec[tcol]!r}: write it as YYYY-MM-DD HH:MM[:SS]"
            )
            continue
        when = when.replace(tzinfo=zone) if when.tzinfo is None else when
        rows.append((lon, lat, when.timestamp()))
        stop = str(rec[scol]).strip() if scol is not None else ""
        stops.append(stop or None)
    if problems:
        raise InputError(
            f"{label}: rows that cannot be read; fix them and upload again", problems[:20]
        )
    lon_a, lat_a, t_a = _arrays(rows)
    return TrackPoints(lon_a, lat_a, t_a, label, "checkins", tuple(stops) if scol else ())


# ------------------------------------------------------------- what a patrol left


def _stop_fields(stop: StopMatch) -> dict[str, Any]:
    """What a logged patrol keeps of one planned stop (the visits table's row, less date and
    team; the track GeoJSON leaves out :data:`_WHERE`, its point says it)."""
    return {
        "stop_id": stop.stop_id,
        "name": stop.name,
        "kind": stop.kind,
        "extra": stop.extra,
        "visited": stop.visited,
        "lon": round(stop.lon, 7),
        "lat": round(stop.lat, 7),
        "dwell_min": stop.dwell_min,
        "nearest_m": stop.nearest_m,
        "how": stop.how,
        "reason": stop.reason,
    }


_WHERE = ("lon", "lat", "nearest_m")


def visit_rows(day: str, team: str, match: TrackMatch) -> list[dict[str, Any]]:
    """One row per planned stop of a logged patrol (:data:`VISIT_COLUMNS` and more)."""
    return [{"date": day, "team": team, **_stop_fields(s)} for s in match.stops]


def read_visits(path: Path | str) -> pd.DataFrame:
    """The patrol visits table (empty frame with the columns when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=[*VISIT_COLUMNS, "dwell_min", "nearest_m", "how", "reason"])
    table = pd.read_csv(
        path,
        dtype={
            "date": str,
            "team": str,
            "stop_id": str,
            "name": str,
            "kind": str,
            "how": str,
            "reason": str,
        },
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    for col in ("team", "stop_id", "name", "reason"):
        table[col] = table[col].map(
            lambda v: v[1:] if v.startswith("'") and v[1:2] in "=+-@" else v
        )
    for col in ("extra", "visited"):
        table[col] = table[col].map(lambda v: str(v).strip().lower() in ("true", "1"))
    return table


def replace_visits(path: Path | str, day: str, team: str, rows: list[dict[str, Any]]) -> None:
    """Put ``rows`` in place of the visits of ``team`` on ``day`` (caller holds the area's lock)."""
    old = read_visits(path)
    keep = old[~((old["date"] == day) & (old["team"] == team))]
    table = pd.concat([keep, pd.DataFrame(rows, columns=list(old.columns))], ignore_index=True)
    write_text_atomic(
        Path(path), frame_csv(table.sort_values(["date", "team"], kind="stable"), bom=False)
    )


def track_geojson(points: TrackPoints, match: TrackMatch, team: str) -> dict[str, Any]:
    """The actual patrol for the map: the track line (``feature=track``), the street spans
    walked (``walked``) and every planned stop with ``visited`` (``feature=stop``)."""
    features: list[dict[str, Any]] = []
    line = track_line(points)
    if line is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(line),
                "properties": {
                    "feature": "track",
                    "team": team,
                    "points": match.points,
                    "km": round(match.track_km, 2),
                    "hours": round(match.hours, 2),
                },
            }
        )
    for span in match.walked:
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(span),
                "properties": {"feature": "walked", "team": team},
            }
        )
    for s in match.stops:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "feature": "stop",
                    "team": team,
                    **{k: v for k, v in _stop_fields(s).items() if k not in _WHERE},
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "summary": {
            "planned": match.planned,
            "done": match.done,
            "km": round(match.km, 2),
            "street_km": round(match.street_km, 2),
            "track_km": round(match.track_km, 2),
            "hours": round(match.hours, 2),
            "source": points.source,
            "datum": points.datum,
        },
    }


def write_track(path: Path | str, points: TrackPoints, match: TrackMatch, team: str) -> Path:
    """Write :func:`track_geojson` atomically."""
    data = track_geojson(points, match, team)
    return write_bytes_atomic(Path(path), json.dumps(data, ensure_ascii=False).encode("utf-8"))


def read_track_geojson(path: Path | str) -> dict[str, Any] | None:
    """What :func:`write_track` wrote; None when the patrol is not logged."""
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
