"""Plan files: GeoJSON, GPX that phone apps (gpxpy) read, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geogrid.io.plans import plan_geojson, plan_gpx, write_bytes_atomic, write_plan


def frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    visits = gpd.GeoDataFrame(
        {
            "team": ["t1", "t1"],
            "seq": [1, 2],
            "name": ["学院路小学", "菜市场 <东门>"],
            "kind": ["school", "hotspot"],
            "start": ["19:05", "19:30"],
            "leave": ["19:15", "19:42"],
            "dwell_min": [10.0, 12.0],
            "notes": ["", "注意 & 安全"],
        },
        geometry=[shapely.Point(116.35, 40.0), shapely.Point(116.36, 40.01)],
        crs="EPSG:4326",
    )
    routes = gpd.GeoDataFrame(
        {"team": ["t1"], "team_name": ["平安志愿者第1队"]},
        geometry=[
            shapely.LineString([(116.34, 40.0), (116.35, 40.0), (116.36, 40.01), (116.34, 40.0)])
        ],
        crs="EPSG:4326",
    )
    return visits, routes


def test_gpx_parses_with_track_and_waypoints() -> None:
    """Gpxpy reads the waypoints (numbered, Chinese names, escaped) and the track."""
    gpxpy = pytest.importorskip("gpxpy")
    visits, routes = frames()
    gpx = gpxpy.parse(plan_gpx(visits, routes, "t1"))
    assert [w.name for w in gpx.waypoints] == ["1. 学院路小学", "2. 菜市场 <东门>"]
    assert "注意 & 安全" in gpx.waypoints[1].description
    assert gpx.tracks[0].name == "平安志愿者第1队"
    assert len(gpx.tracks[0].segments[0].points) == 4


def test_geojson_has_routes_then_stops() -> None:
    """One FeatureCollection with route lines and stop points, Chinese kept."""
    data = plan_geojson(*frames())
    kinds = [f["properties"]["feature"] for f in data["features"]]
    assert kinds == ["route", "stop", "stop"]
    assert data["features"][1]["properties"]["name"] == "学院路小学"
    json.dumps(data)


def test_write_plan_writes_every_file(tmp_path: Path) -> None:
    """write_plan writes GeoJSON, one GPX per team, the PDF and the summary, no temp files left."""
    paths = write_plan(tmp_path / "out", *frames(), pdf=b"%PDF-1.4", summary={"prize": 3})
    assert sorted(p.name for p in paths) == [
        "plan.geojson",
        "plan.json",
        "route_sheets.pdf",
        "t1.gpx",
    ]
    assert not list((tmp_path / "out").glob(".*tmp"))


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    """A failed write leaves the previous file untouched."""
    path = tmp_path / "a.txt"
    write_bytes_atomic(path, b"old")
    with pytest.raises(TypeError):
        write_bytes_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


def test_kml_and_gcj02_variants_round_trip(tmp_path: Path) -> None:
    """KML and GPX, WGS-84 and GCJ-02: named so, said so in the metadata, and read back by the
    track importer to the same WGS-84 places (GCJ-02 converted back within a metre)."""
    import xml.etree.ElementTree as ET

    from geogrid.io.plans import phone_file_name, plan_kml

    visits, routes = frames()
    assert [phone_file_name("t1", f, d) for f in ("gpx", "kml") for d in ("wgs84", "gcj02")] == [
        "t1.gpx",
        "t1.gcj02.gpx",
        "t1.kml",
        "t1.gcj02.kml",
    ]
    kml = ET.fromstring(plan_kml(visits, routes, "t1"))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert [p.findtext("k:name", namespaces=ns) for p in kml.iterfind(".//k:Placemark", ns)][
        :2
    ] == ["1. 学院路小学", "2. 菜市场 <东门>"]
    assert kml.find(".//k:Data[@name='datum']/k:value", ns).text == "WGS-84"
    gcj_kml = ET.fromstring(plan_kml(visits, routes, "t1", "gcj02"))
    assert gcj_kml.find(".//k:Data[@name='datum']/k:value", ns).text == "GCJ-02"
    first = gcj_kml.find(".//k:Point/k:coordinates", ns).text.split(",")
    assert abs(float(first[0]) - 116.35) > 1e-3  # moved into GCJ-02

    gpxpy = pytest.importorskip("gpxpy")
    gcj = plan_gpx(visits, routes, "t1", "gcj02")
    parsed = gpxpy.parse(gcj)
    assert "GCJ-02" in parsed.description and parsed.keywords == "GCJ-02"
    # a track recorded on it (times added) converts back on import, the file saying GCJ-02
    from geogrid.io.tracks import read_track

    timed = gcj.replace('"/>', '"><time>2026-11-03T11:00:00Z</time></trkpt>').replace(
        "<trkpt", "<trkpt"
    )
    path = tmp_path / "t1.gcj02.gpx"
    path.write_text(timed, encoding="utf-8")
    back = read_track(path)
    assert back.datum == "gcj02"
    assert abs(back.lon[0] - 116.34) < 1e-5 and abs(back.lat[0] - 40.0) < 1e-5
