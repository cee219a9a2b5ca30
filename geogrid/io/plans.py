"""Patrol plans on disk: GeoJSON, GPX (track + waypoints), KML and route-sheet PDF.

Phones: GPX in WGS-84 is what outdoor tracking apps import (the default); KML
(:func:`plan_kml`) for apps that take it; and a GCJ-02 variant of either
(``datum="gcj02"``) for apps that expect Chinese map coordinates - its file
name (:func:`phone_file_name`: ``<team>.gcj02.gpx``) and its metadata (GPX
``<desc>``/``<keywords>``, KML ``ExtendedData`` ``datum``) say GCJ-02, so that
``geogrid.io.tracks`` converts a track recorded from it back.

Every file is written to a temp file in the target folder and renamed, so a
reader never sees half a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import shapely

from geogrid.crs import wgs84_to_gcj02
from geogrid.io.atomic import write_bytes_atomic

DATUM_LABEL = {"wgs84": "WGS-84", "gcj02": "GCJ-02"}


def _clean(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plan_geojson(visits: gpd.GeoDataFrame, routes: gpd.GeoDataFrame) -> dict[str, Any]:
    """One RFC 7946 FeatureCollection: route lines (``feature=route``) then stops."""
    features = []
    for frame, kind in ((routes, "route"), (visits, "stop")):
        for _, row in frame.to_crs("EPSG:4326").iterrows():
            props = {k: _clean(v) for k, v in row.items() if k != "geometry"}
            props["feature"] = kind
            geom = row.geometry
            features.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": None if geom is None else shapely.geometry.mapping(geom),
                }
            )
    return {"type": "FeatureCollection", "features": features}


def phone_file_name(team: str, fmt: str = "gpx", datum: str = "wgs84") -> str:
    """``<team>.gpx``, ``<team>.kml``, ``<team>.gcj02.gpx``, ``<team>.gcj02.kml``."""
    if fmt not in ("gpx", "kml") or datum not in DATUM_LABEL:
        raise ValueError(f"format {fmt!r}, datum {datum!r}: give gpx|kml and wgs84|gcj02")
    return f"{team}.{fmt}" if datum == "wgs84" else f"{team}.{datum}.{fmt}"


def _coords(xy: Any, datum: str) -> list[tuple[float, float]]:
    """Lon/lat pairs in ``datum`` (input WGS-84)."""
    pts = shapely.get_coordinates(xy) if not isinstance(xy, list) else xy
    if not len(pts):
        return []
    lon = [float(p[0]) for p in pts]
    lat = [float(p[1]) for p in pts]
    if datum == "gcj02":
        glon, glat = wgs84_to_gcj02(lon, lat)
        lon, lat = [float(v) for v in glon], [float(v) for v in glat]
    return list(zip(lon, lat, strict=True))


def _team_parts(
    visits: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, team: str
) -> tuple[Any, Any, str]:
    mine = visits[visits["team"] == team].sort_values("seq") if len(visits) else visits
    line = routes.set_index("team").geometry.get(team) if len(routes) else None
    named = len(routes) and "team_name" in routes.columns
    team_name = str(routes.set_index("team")["team_name"].get(team, team)) if named else team
    return mine, line, team_name


def _stops(mine: Any, datum: str) -> Iterator[tuple[float, float, str, str, Any]]:
    """Each stop of the team in order: lon, lat in ``datum``, its name ("3. 学院路小学"), its
    description (times, dwell, notes) and its row."""
    for _, row in mine.iterrows():
        ((lon, lat),) = _coords([(row.geometry.x, row.geometry.y)], datum)
        desc = f"{row['start']}–{row['leave']}, {row['dwell_min']:g} min"
        if row.get("notes"):
            desc += f"; {row['notes']}"
        yield lon, lat, f"{int(row['seq'])}. {row['name']}", desc, row


def plan_gpx(
    visits: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, team: str, datum: str = "wgs84"
) -> str:
    """GPX 1.1 for one team: a waypoint per stop (numbered, with times) and the track.

    ``datum="gcj02"``: coordinates in GCJ-02, said in ``<metadata>`` (desc, keywords).
    """
    label = DATUM_LABEL[datum]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="geogrid" xmlns="http://www.topografix.com/GPX/1/1">',
    ]
    if datum != "wgs84":
        out.append(
            f"  <metadata><desc>datum: {label} (Chinese map coordinates, not WGS-84)</desc>"
            f"<keywords>{label}</keywords></metadata>"
        )
    mine, line, team_name = _team_parts(visits, routes, team)
    for lon, lat, name, desc, row in _stops(mine, datum):
        out.append(
            f'  <wpt lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(name)}</name>'
            f"<desc>{escape(desc)}</desc><type>{escape(str(row['kind']))}</type></wpt>"
        )
    out.append(f"  <trk><name>{escape(team_name)}</name><trkseg>")
    if line is not None and not line.is_empty:
        for lon, lat in _coords(line, datum):
            out.append(f'    <trkpt lat="{lat:.7f}" lon="{lon:.7f}"/>')
    out.append("  </trkseg></trk>")
    out.append("</gpx>")
    return "\n".join(out) + "\n"


def plan_kml(
    visits: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, team: str, datum: str = "wgs84"
) -> str:
    """KML 2.2 for one team: a placemark per stop (numbered) and the route as a line.

    The document's ``ExtendedData`` ``datum`` says WGS-84 or GCJ-02.
    """
    label = DATUM_LABEL[datum]
    mine, line, team_name = _team_parts(visits, routes, team)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2">',
        f"<Document><name>{escape(team_name)}</name>",
        f'<ExtendedData><Data name="datum"><value>{label}</value></Data></ExtendedData>',
    ]
    for lon, lat, name, desc, _ in _stops(mine, datum):
        out.append(
            f"<Placemark><name>{escape(name)}</name><description>{escape(desc)}</description>"
            f"<Point><coordinates>{lon:.7f},{lat:.7f}</coordinates></Point></Placemark>"
        )
    if line is not None and not line.is_empty:
        coords = " ".join(f"{lon:.7f},{lat:.7f}" for lon, lat in _coords(line, datum))
        out.append(
            f"<Placemark><name>{escape(team_name)}</name>"
            f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark>"
        )
    out.append("</Document></kml>")
    return "\n".join(out) + "\n"


def plan_phone_file(plan: dict[str, Any], team: str, fmt: str = "gpx", datum: str = "wgs84") -> str:
    """The GPX or KML of ``team`` from a plan's GeoJSON (as :func:`read_plan` gives it)."""
    visits, routes = team_frames(plan, team)
    return (plan_kml if fmt == "kml" else plan_gpx)(visits, routes, team, datum)


def team_frames(geojson: dict[str, Any], team: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The (visits, routes) frames of ``team`` from a plan's GeoJSON FeatureCollection."""
    feats = [f for f in geojson.get("features", []) if str(f["properties"].get("team")) == team]
    stops = [f for f in feats if f["properties"].get("feature") == "stop" and f.get("geometry")]
    lines = [f for f in feats if f["properties"].get("feature") == "route"]
    visits = (
        gpd.GeoDataFrame.from_features(stops, crs="EPSG:4326")
        if stops
        else gpd.GeoDataFrame({"team": [], "seq": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    )
    routes = (
        gpd.GeoDataFrame.from_features(
            [f if f.get("geometry") else {**f, "geometry": None} for f in lines], crs="EPSG:4326"
        )
        if lines
        else gpd.GeoDataFrame(
            {"team": [], "team_name": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    )
    return visits, routes


def write_plan(
    folder: Path | str,
    visits: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    pdf: bytes | None = None,
    summary: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``plan.geojson``, one ``<team>.gpx`` per team, ``route_sheets.pdf``
    and ``plan.json`` (summary) into ``folder``; returns the paths written."""
    folder = Path(folder)
    written = write_plan_documents(folder, plan_geojson(visits, routes))
    for team in routes["team"]:
        path = folder / f"{team}.gpx"
        write_bytes_atomic(path, plan_gpx(visits, routes, str(team)).encode("utf-8"))
        written.append(path)
    if pdf is not None:
        path = folder / "route_sheets.pdf"
        write_bytes_atomic(path, pdf)
        written.append(path)
    if summary is not None:
        written += write_plan_documents(folder, None, summary)
    return written


def write_plan_documents(
    folder: Path | str, geojson: dict[str, Any] | None, summary: dict[str, Any] | None = None
) -> list[Path]:
    """Write ``plan.geojson`` and/or ``plan.json`` (the summary) into ``folder``, atomically."""
    folder = Path(folder)
    written = []
    if geojson is not None:
        path = folder / "plan.geojson"
        write_bytes_atomic(path, json.dumps(geojson, ensure_ascii=False).encode("utf-8"))
        written.append(path)
    if summary is not None:
        path = folder / "plan.json"
        write_bytes_atomic(
            path, (json.dumps(summary, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        )
        written.append(path)
    return written


def read_plan(folder: Path | str) -> dict[str, Any] | None:
    """What :func:`write_plan` wrote into ``folder``: ``{"summary": plan.json, "geojson":
    plan.geojson}``, or None when either file is missing (not computed yet)."""
    folder = Path(folder)
    summary, features = folder / "plan.json", folder / "plan.geojson"
    if not summary.exists() or not features.exists():
        return None
    return {
        "summary": json.loads(summary.read_text(encoding="utf-8")),
        "geojson": json.loads(features.read_text(encoding="utf-8")),
    }


def has_plan(folder: Path | str) -> bool:
    """True when ``folder`` holds a plan summary written by :func:`write_plan`."""
    return (Path(folder) / "plan.json").exists()
