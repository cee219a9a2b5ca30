"""The patrol-log service: a track logged against the night's plan, corrected, reported.

Logging writes one patrol_log.csv row (store format), the visits and the track
beside the plan; bad input names the file; the month's report sums the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tracks_area import DAY, TRACKS, make_planned_area

from geogrid.errors import InputError
from geogrid.io.tracks import read_visits
from geogrid.io.workspace import Workspace
from geogrid.services import patrol_log as service
from geogrid.store.folder import FolderStore


@pytest.fixture
def area(tmp_path: Path) -> Path:
    return make_planned_area(tmp_path / "area")


def test_log_patrol_writes_log_visits_and_track(area: Path) -> None:
    """The walk: 1 of 3 stops, 0.6 km, 14 min, 3 members; the row is in the store's patrol log."""
    done = service.log_patrol(area, DAY, "team-a", TRACKS / "walk.gpx", members="3")
    g = done.log
    assert (g.date, g.team, g.planned, g.done, len(g.members)) == (DAY, "team-a", 3, 1, 3)
    assert g.km == pytest.approx(0.6, abs=0.02) and g.hours == pytest.approx(14 / 60, abs=1e-3)
    assert FolderStore(area.parent).patrol_logs(area.name) == [g]
    track = service.read_patrol_track(area, DAY, "team-a")
    assert track is not None and track["summary"]["done"] == 1
    kinds = {f["properties"]["feature"] for f in track["features"]}
    assert kinds == {"track", "walked", "stop"}
    assert Workspace(area).patrol_visits_path.exists()


def test_members_by_name_or_team_size(area: Path) -> None:
    """Names are kept as given; a number N records N members."""
    assert service.parse_members("王,李、张") == ("王", "李", "张")
    assert len(service.parse_members("4")) == 4
    assert len(service.parse_members(None, team_size=5)) == 5
    with pytest.raises(InputError, match="how many members"):
        service.parse_members(None)


def test_logging_again_is_a_correction(area: Path) -> None:
    """The second upload of a night replaces its visits; the month counts the later log row."""
    service.log_patrol(area, DAY, "team-a", TRACKS / "walk.gpx", members="3")
    service.log_patrol(area, DAY, "team-a", TRACKS / "checkins.csv", members="2")
    report = service.build_monthly_report(area, "2026-11")
    assert report.patrols == 1 and report.done == 2
    assert report.volunteer_hours == pytest.approx(2 * 25 / 60, abs=1e-3)
    assert len(FolderStore(area.parent).patrol_logs(area.name)) == 2  # history kept


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"track": TRACKS / "walk_local_as_utc.gpx"}, "--time-offset -8"),
        ({"track": TRACKS / "walk_gcj02_as_wgs84.gpx"}, "--datum gcj02"),
        ({"track": TRACKS / "broken.gpx"}, "not a readable GPX"),
        ({"track": TRACKS / "walk.gpx", "team": "team-x"}, "no team 'team-x'"),
        ({"track": TRACKS / "walk.gpx", "day": "2026-11-04"}, "no plan for 2026-11-04"),
    ],
)
def test_bad_uploads_name_the_fix(area: Path, kwargs: dict, fragment: str) -> None:
    """Wrong clock, datum, file, team or night -> an InputError with the fix; nothing logged."""
    args = {"day": DAY, "team": "team-a", "members": "3", **kwargs}
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        service.log_patrol(area, args.pop("day"), args.pop("team"), args.pop("track"), **args)
    assert not Workspace(area).patrol_log_path.exists()


def test_the_fixes_work(area: Path) -> None:
    """The offset and datum the errors name make the same files log."""
    a = service.log_patrol(
        area, DAY, "team-a", TRACKS / "walk_local_as_utc.gpx", members="3", time_offset_h=-8
    )
    b = service.log_patrol(
        area, DAY, "team-a", TRACKS / "walk_gcj02_as_wgs84.gpx", members="3", datum="gcj02"
    )
    assert a.log.done == b.log.done == 1


def test_monthly_report_files(area: Path) -> None:
    """report.pdf, .csv and .xlsx under reports/<month>/ with the log's figures."""
    service.log_patrol(area, DAY, "team-a", TRACKS / "walk.gpx", members="3")
    report, paths = service.write_monthly_report(area, "2026-11")
    assert [p.name for p in paths] == ["report.pdf", "report.csv", "report.xlsx"]
    assert paths[0].read_bytes().startswith(b"%PDF")
    assert report.figures()["school_days_attended"] == 1 and report.hotspot_visits == 0


def test_phone_files(area: Path) -> None:
    """The plan for phones: GPX/KML, WGS-84 or GCJ-02 named so."""
    assert service.phone_file(area, DAY, "team-a", "kml", "wgs84")[0] == "team-a.kml"
    name, text = service.phone_file(area, DAY, "team-a", "gpx", "gcj02")
    assert name == "team-a.gcj02.gpx" and "GCJ-02" in text


def test_the_month_of_an_area_in_the_database_is_the_folders(area: Path, tmp_path: Path) -> None:
    """The same two uploads of a night (the second a correction) on the folder and on the area
    pushed to PostGIS give the same month: the database's report reads Store.patrol_logs and
    each logged patrol's visits kept with the day's plan; with out_dir its files are written
    there, without it they are the area's reports/<month>/ documents."""
    from store_db import db_url, unique_name

    from geogrid.store.base import StoredArea
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    name = unique_name("month")
    stored = StoredArea(PostgisStore(db_url()), name)
    copy_area(FolderStore(area.parent), area.name, stored.store, name)
    for where in (area, stored):
        service.log_patrol(where, DAY, "team-a", TRACKS / "walk.gpx", members="3")
        service.log_patrol(where, DAY, "team-a", TRACKS / "checkins.csv", members="2")
    here = service.build_monthly_report(area, "2026-11")
    there = service.build_monthly_report(stored, "2026-11")
    assert there.figures() == here.figures() and there.done == 2
    visits = service.stored_visits(stored, stored.store.patrol_logs(name))
    on_folder = read_visits(Workspace(area).patrol_visits_path)
    assert list(visits["stop_id"]) == list(on_folder["stop_id"])
    _, paths = service.write_monthly_report(stored, "2026-11", tmp_path / "out")
    assert paths[1] == tmp_path / "out" / "report.csv" and paths[1].exists()
    _, names = service.write_monthly_report(stored, "2026-11")
    files = ("report.pdf", "report.csv", "report.xlsx")
    assert names == [Path("reports/2026-11") / n for n in files]
    assert stored.store.read_area_file(name, "reports/2026-11/report.csv") == paths[1].read_bytes()
