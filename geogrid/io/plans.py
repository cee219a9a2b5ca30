"""Patrol plans on disk: GeoJSON, GPX (track + waypoints) and route-sheet PDF.

Every file is written to a temp file in the target folder and renamed, so a
reader never sees half a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import shapely

from geogrid.io.atomic import write_bytes_atomic


def _clean(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
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


def plan_gpx(visits: gpd.GeoDataFrame, routes: gpd.GeoDataFrame, team: str) -> str:
    """GPX 1.1 for one team: a waypoint per stop (numbered, with times) and the track."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="geogrid" xmlns="http://www.topografix.com/GPX/1/1">',
    ]
    mine = visits[visits["team"] == team].sort_values("seq") if len(visits) else visits
    for _, row in mine.iterrows():
        lon, lat = row.geometry.x, row.geometry.y
        name = f"{int(row['seq'])}. {row['name']}"
        desc = f"{row['start']}–{row['leave']}, {row['dwell_min']:g} min"
        if row.get("notes"):
            desc += f"; {row['notes']}"
        out.append(
            f'  <wpt lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(name)}</name>'
            f"<desc>{escape(desc)}</desc><type>{escape(str(row['kind']))}</type></wpt>"
        )
    line = routes.set_index("team").geometry.get(team) if len(routes) else None
    team_name = str(routes.set_index("team")["team_name"].get(team, team)) if len(routes) else team
    out.append(f"  <trk><name>{escape(team_name)}</name><trkseg>")
    if line is not None and not line.is_empty:
        for lon, lat in shapely.get_coordinates(line):
            out.append(f'    <trkpt lat="{lat:.7f}" lon="{lon:.7f}"/>')
    out.append("  </trkseg></trk>")
    out.append("</gpx>")
    return "\n".join(out) + "\n"


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
        write_bytes_atomic(path, (json.dumps(summary, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        written.append(path)
    return written


def read_plan(folder: Path | str) -> dict[str, Any] | None:
    """What :func:`write_plan` wrote into ``folder``: ``{"summary": plan.json, "geojson":
    plan.geojson}``, or None when either file is missing (not computed yet)."""
    folder = Path(folder)
    summary, features = folder / "plan.json", folder / "plan.geojson"
    if not summary.exists() or not features.exists():
        return None
    return {"summary": json.loads(summary.read_text(encoding="utf-8")),
            "geojson": json.loads(features.read_text(encoding="utf-8"))}


def has_plan(folder: Path | str) -> bool:
    """True when ``folder`` holds a plan summary written by :func:`write_plan`."""
    return (Path(folder) / "plan.json").exists()
