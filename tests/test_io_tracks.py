"""Track files: GPX, KML and check-in tables read to the same points; GCJ-02 converted back
when declared or said by the file; bad files name themselves and the fix; visits table and
track GeoJSON written and read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tracks_area import TRACKS

from geogrid.errors import InputError
from geogrid.io.tracks import read_track, read_visits, replace_visits, track_geojson, write_track
from geogrid.planning.tracks import PlannedStop, match_track


def test_gpx_and_kml_give_the_same_points() -> None:
    """The fixture walk as GPX and as KML (gx:Track): same times, same places."""
    gpx, kml = read_track(TRACKS / "walk.gpx"), read_track(TRACKS / "walk.kml")
    assert len(gpx) == len(kml) == 85
    np.testing.assert_allclose(gpx.time_s, kml.time_s)
    np.testing.assert_allclose(gpx.lon, kml.lon, atol=1e-7)
    assert gpx.time_s[0] == 1793703600.0  # 2026-11-03 11:00 UTC = 19:00 in Beijing


def test_gcj02_metadata_or_declaration_converts_back() -> None:
    """A GPX whose metadata says GCJ-02, or one declared so, comes back within a metre of WGS-84."""
    wgs = read_track(TRACKS / "walk.gpx")
    said = read_track(TRACKS / "walk.gcj02.gpx")
    declared = read_track(TRACKS / "walk_gcj02_as_wgs84.gpx", datum="gcj02")
    plain = read_track(TRACKS / "walk_gcj02_as_wgs84.gpx")
    assert said.datum == declared.datum == "gcj02" and plain.datum == "wgs84"
    for pts in (said, declared):
        assert np.abs(pts.lon - wgs.lon).max() < 1e-5 and np.abs(pts.lat - wgs.lat).max() < 1e-5
    assert np.abs(plain.lon - wgs.lon).max() > 1e-3


def test_checkin_table_local_times_and_stop_ids() -> None:
    """Chinese headers (时间, 经度, 纬度, 站点); local times without zone are the area's."""
    pts = read_track(TRACKS / "checkins.csv", tz="Asia/Shanghai")
    assert pts.kind == "checkins" and pts.stop_ids == (
        "school-A",
        "school-A",
        "hotspot-B",
        "hotspot-C",
    )
    assert pts.time_s[0] == 1793703600.0 + 300


BAD = [
    ("broken.gpx", {}, "broken.gpx: not a readable GPX"),
    ("bad_checkins.csv", {}, "bad_checkins.csv row 2: lon/lat"),
    ("bad_checkins.csv", {}, "row 3: time 'not a time'"),
    ("missing.gpx", {}, "missing.gpx: file not found"),
    ("make_tracks.py", {}, "cannot read .py as a track"),
    ("walk.gpx", {"datum": "bd09"}, "datum 'bd09'"),
]


@pytest.mark.parametrize(("name", "kwargs", "fragment"), BAD)
def test_bad_files(name: str, kwargs: dict, fragment: str) -> None:
    """Each bad file -> InputError naming file (and row) and what to do."""
    with pytest.raises(InputError) as err:
        read_track(TRACKS / name, **kwargs)
    assert fragment in str(err.value) + " ".join(getattr(err.value, "problems", []) or [])


def test_kml_line_without_times(tmp_path: Path) -> None:
    """A drawn KML line has no times: say to export the recorded track."""
    path = tmp_path / "drawn.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><LineString><coordinates>'
        "116.3,40.0 116.31,40.0</coordinates></LineString></Placemark></kml>",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no times"):
        read_track(path)


def test_gpx_route_without_times(tmp_path: Path) -> None:
    """A GPX of the plan (no times) is not a track."""
    path = tmp_path / "plan.gpx"
    path.write_text(
        '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="40" lon="116.3"/></trkseg></trk></gpx>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no times"):
        read_track(path)


def test_visits_replace_and_track_geojson(tmp_path: Path) -> None:
    """Visits of a night are replaced, other nights kept, formula-like text survives; GeoJSON has
    all parts."""
    pts = read_track(TRACKS / "walk.gpx")
    stop = PlannedStop("=cmd", "=HYPERLINK()", "school", float(pts.lon[20]), float(pts.lat[20]))
    match = match_track(pts, [stop], metric_crs="EPSG:32650")
    from geogrid.io.tracks import visit_rows

    path = tmp_path / "patrol_visits.csv"
    replace_visits(path, "2026-11-03", "t1", visit_rows("2026-11-03", "t1", match))
    replace_visits(path, "2026-11-04", "t1", visit_rows("2026-11-04", "t1", match))
    replace_visits(path, "2026-11-03", "t1", visit_rows("2026-11-03", "t1", match))
    table = read_visits(path)
    assert list(table["date"]) == ["2026-11-03", "2026-11-04"]
    assert table["stop_id"].iloc[0] == "=cmd" and table["name"].iloc[0] == "=HYPERLINK()"
    assert bool(table["visited"].iloc[0]) is True
    assert "'=cmd" in path.read_text(encoding="utf-8")
    data = track_geojson(pts, match, "t1")
    assert data["features"][0]["properties"]["feature"] == "track"
    written = write_track(tmp_path / "t.geojson", pts, match, "t1")
    assert written.exists() and data["summary"]["planned"] == 1
