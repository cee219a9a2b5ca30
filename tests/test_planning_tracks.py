"""Track matching: the hand-made walk of tests/data/tracks/ gives its known answers.

The walk (see tests/data/tracks/make_tracks.py) stays 5 min at school post A
(visited), 1 min at hot spot B (missed: dwell < 2 min), never comes near hot
spot C (missed), and walks 600 m of streets; bad tracks give one clear error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from patrol_area import grid_lonlat, street_grid

from geogrid.errors import InputError
from geogrid.io.tracks import read_track
from geogrid.planning.config import TracksConfig
from geogrid.planning.tracks import PlannedStop, TrackPoints, check_track, match_track, track_line

DATA = Path(__file__).parent / "data" / "tracks"
SHIFT = (
    datetime(2026, 11, 3, 11, 0, tzinfo=UTC).timestamp(),
    datetime(2026, 11, 3, 13, 0, tzinfo=UTC).timestamp(),
)


def stops() -> list[PlannedStop]:
    a, b, c = grid_lonlat(1, 1), grid_lonlat(3, 3), grid_lonlat(4, 1)
    return [
        PlannedStop("school-A", "学院路小学", "school", *a, "19:05"),
        PlannedStop("hotspot-B", "热点1", "hotspot", *b, "19:15"),
        PlannedStop("hotspot-C", "热点2", "hotspot", *c, "19:30"),
    ]


@pytest.fixture(scope="module")
def area():
    nodes, edges, crs = street_grid()
    return nodes, edges, crs, tuple(float(v) for v in nodes.total_bounds)


def check(points: TrackPoints, area) -> None:
    _, edges, crs, bounds = area
    check_track(points, metric_crs=crs, bounds=bounds, shift_s=SHIFT, stops=stops(), streets=edges)


@pytest.mark.parametrize("name", ["walk.gpx", "walk.kml", "walk.gcj02.gpx"])
def test_walk_matches_its_known_answers(name: str, area) -> None:
    """GPX, KML and a GCJ-02 GPX that says so: A visited 5-6.5 min, B too short, C never near, 0.6
    km, 14 min."""
    _, edges, crs, _ = area
    points = read_track(DATA / name)
    check(points, area)
    match = match_track(points, stops(), metric_crs=crs, streets=edges)
    a, b, c = match.stops
    assert (a.visited, b.visited, c.visited) == (True, False, False)
    assert (
        5.0 <= a.dwell_min <= 6.5 and a.how == "track"
    )  # the 5-min stay + walking in and out of 50 m
    assert b.reason.startswith("within 50 m for only 1.") and b.reason.endswith("(< 2 min)")
    assert c.reason.startswith("never within 50 m")
    assert (match.planned, match.done) == (3, 1)
    assert match.street_km == pytest.approx(0.6, abs=0.02)
    assert (
        0.6 <= match.track_km <= 0.75
    )  # the track itself also zigzags with the GPS jitter of the stays
    assert match.hours == pytest.approx((match.end_s - match.start_s) / 3600)
    assert match.hours == pytest.approx(14 / 60)  # 8 min walking + 5 + 1 min stays
    assert track_line(points) is not None


def test_checkins_are_proof_when_near_and_named(area) -> None:
    """A check-in naming a stop within 50 m counts (A: 5 min, B: one check-in); C named 424 m away
    does not."""
    _, edges, crs, _ = area
    points = read_track(DATA / "checkins.csv")
    assert points.kind == "checkins" and points.stop_ids[0] == "school-A"
    check(points, area)
    a, b, c = match_track(points, stops(), metric_crs=crs, streets=edges).stops
    assert a.visited and a.dwell_min == 5.0 and a.how == "check-in"
    assert b.visited and b.how == "check-in"
    assert not c.visited and c.reason.startswith("checked in 424 m away")


def test_shorter_dwell_rule_counts_b(area) -> None:
    """With dwell_min 0.5 the 1-minute stay at B counts: the rule is the config's."""
    _, edges, crs, _ = area
    match = match_track(
        read_track(DATA / "walk.gpx"),
        stops(),
        metric_crs=crs,
        streets=edges,
        config=TracksConfig(dwell_min=0.5),
    )
    assert [s.visited for s in match.stops] == [True, True, False]


def test_revisit_needs_a_second_stay(area) -> None:
    """Two passes at A need two stays; the walk has one, so the second pass is missed."""
    _, _edges, crs, _ = area
    a = stops()[0]
    again = PlannedStop("school-A-again", a.name, a.kind, a.lon, a.lat, "20:00")
    first, second = match_track(read_track(DATA / "walk.gpx"), [a, again], metric_crs=crs).stops
    assert first.visited and not second.visited and "1 stay" in second.reason


BAD = [
    ("empty.gpx", {}, "no track points"),
    ("far.gpx", {}, "farther than 2 km from the area"),
    ("walk_gcj02_as_wgs84.gpx", {}, "GCJ-02"),
    ("walk_local_as_utc.gpx", {}, "moved by -8 h they fit"),
]


@pytest.mark.parametrize(("name", "kwargs", "fragment"), BAD)
def test_bad_tracks_say_what_and_how_to_fix(name: str, kwargs: dict, fragment: str, area) -> None:
    """Each bad track -> InputError naming the file and the fix (offset, datum, area)."""
    with pytest.raises(InputError) as err:
        check(read_track(DATA / name, **kwargs), area)
    assert name in str(err.value) and fragment in str(err.value)


def test_fixes_make_bad_tracks_good(area) -> None:
    """Declared GCJ-02, or the clock moved by the offset the error names, passes the checks."""
    check(read_track(DATA / "walk_gcj02_as_wgs84.gpx", datum="gcj02"), area)
    check(read_track(DATA / "walk_local_as_utc.gpx").shifted(-8), area)


def test_gcj_shift_is_reported_in_metres(area) -> None:
    """The GCJ-02 message names a shift of a few hundred metres."""
    with pytest.raises(InputError, match=r"~[2-7]\d\d m off"):
        check(read_track(DATA / "walk_gcj02_as_wgs84.gpx"), area)


def test_no_streets_no_stops_falls_back_to_track_length() -> None:
    """Without streets, km is the track's own length."""
    t = np.arange(0, 600, 10.0)
    lon = 116.3 + np.arange(len(t)) * 1e-4
    points = TrackPoints(lon, np.full(len(t), 40.0), t, "x.gpx")
    match = match_track(points, [], metric_crs="EPSG:32650")
    assert match.street_km == 0 and match.km == match.track_km > 0.4
