"""``geogrid patrol log``, ``geogrid patrol export`` and ``geogrid report`` from the shell:
what they print, the files they write, and a bad track as a message with exit code 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from tracks_area import DAY, TRACKS, make_planned_area

from geogrid.cli import main


def test_log_export_and_report(tmp_path: Path) -> None:
    """Log the walk, export the GCJ-02 KML, write the month's report."""
    area = make_planned_area(tmp_path / "area")
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "patrol",
            "log",
            str(area),
            "--date",
            DAY,
            "--team",
            "team-a",
            "--track",
            str(TRACKS / "walk.kml"),
            "--members",
            "3",
        ],
    )
    assert out.exit_code == 0, out.output
    assert (
        f"{DAY} team-a: 1/3 stops, 0.6" in out.output
    )  # 600 m, a few more of GPS jitter at the stays
    assert "km, 0.23 h, 3 members, 0.7 volunteer-hours" in out.output
    assert "✗ 热点2 · 学院路: never within 50 m" in out.output
    out = runner.invoke(
        main,
        [
            "patrol",
            "export",
            str(area),
            "--date",
            DAY,
            "--team",
            "team-a",
            "--format",
            "kml",
            "--datum",
            "gcj02",
            "--out",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 0 and (tmp_path / "team-a.gcj02.kml").exists()
    out = runner.invoke(main, ["report", str(area), "--month", "2026-11"])
    assert out.exit_code == 0, out.output
    assert "2026-11: 1 patrols, 0.7 volunteer-hours, 1/3 stops" in out.output
    assert (area / "reports" / "2026-11" / "report.xlsx").exists()


def test_bad_track_is_a_message(tmp_path: Path) -> None:
    """A track with the wrong clock: the message names the file and the offset; exit code 1."""
    area = make_planned_area(tmp_path / "area")
    out = CliRunner().invoke(
        main,
        [
            "patrol",
            "log",
            str(area),
            "--date",
            DAY,
            "--team",
            "team-a",
            "--track",
            str(TRACKS / "walk_local_as_utc.gpx"),
            "--members",
            "2",
        ],
    )
    assert out.exit_code == 1
    assert "walk_local_as_utc.gpx" in out.output and "--time-offset -8" in out.output
    assert "Traceback" not in out.output


def test_log_export_and_report_with_geogrid_store(tmp_path: Path) -> None:
    """With GEOGRID_STORE naming the database, the three commands on a path with no folder work
    on the database's area of that name, as they do on its folder: the same match and figures
    printed, the same KML; the log row, the track and the visits, and the month's report are
    kept in the database; nothing is written where the path points."""
    import shutil

    from store_db import db_url, unique_name

    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url, name = db_url(), unique_name("patrol")
    folder = make_planned_area(tmp_path / "areas" / name)
    store = PostgisStore(url)
    copy_area(FolderStore(folder.parent), name, store, name)
    pristine = tmp_path / "pristine"
    shutil.copytree(folder, pristine / name, ignore=shutil.ignore_patterns(".lock"))
    nowhere = tmp_path / "no-folder" / name
    env = {"GEOGRID_STORE": url}
    runner = CliRunner()

    def both(command: tuple[str, ...], *args: str) -> tuple[str, str]:
        here = runner.invoke(main, [*command, str(folder), *args])
        there = runner.invoke(main, [*command, str(nowhere), *args], env=env)
        assert here.exit_code == 0, here.output
        assert there.exit_code == 0, there.output
        return here.output, there.output

    def said(output: str) -> list[str]:
        return [line for line in output.splitlines() if not line.startswith(("wrote", "saved"))]

    log = ("--date", DAY, "--team", "team-a", "--track",
           str(TRACKS / "walk.kml"), "--members", "3")  # fmt: skip
    here, there = both(("patrol", "log"), *log)
    assert said(there) == said(here) and f"{DAY} team-a: 1/3 stops" in there
    assert f"saved team-a.track.geojson in area {name} (database)" in there
    assert store.patrol_logs(name) == FolderStore(folder.parent).patrol_logs(name)
    assert store.read_plan_file(name, DAY, "team-a.track.geojson") is not None
    assert store.read_plan_file(name, DAY, "team-a.visits.json") is not None
    export = ("patrol", "export", "--date", DAY, "--team", "team-a", "--format", "kml",
              "--datum", "gcj02", "--out")  # fmt: skip
    here_out, there_out = tmp_path / "kml-folder", tmp_path / "kml-db"
    runner.invoke(main, [*export[:2], str(folder), *export[2:], str(here_out)])
    result = runner.invoke(main, [*export[:2], str(nowhere), *export[2:], str(there_out)], env=env)
    assert result.exit_code == 0, result.output
    kml = (there_out / "team-a.gcj02.kml").read_bytes()
    assert kml == (here_out / "team-a.gcj02.kml").read_bytes()
    here, there = both(("report",), "--month", "2026-11")
    assert said(there) == said(here)
    assert "2026-11: 1 patrols, 0.7 volunteer-hours, 1/3 stops" in there
    csv = store.read_area_file(name, "reports/2026-11/report.csv")
    assert csv == (folder / "reports" / "2026-11" / "report.csv").read_bytes()
    xlsx = store.read_area_file(name, "reports/2026-11/report.xlsx")
    pdf = store.read_area_file(name, "reports/2026-11/report.pdf")
    assert xlsx is not None and xlsx.startswith(b"PK") and pdf is not None
    assert not nowhere.parent.exists()
    # the month of a database whose log is empty is not the folder's
    copy_area(FolderStore(pristine), name, store, name)
    result = runner.invoke(main, ["report", str(nowhere), "--month", "2026-11"], env=env)
    assert result.exit_code == 0 and "2026-11: 0 patrols" in result.output, result.output


def test_patrol_commands_on_an_area_missing_from_the_database(tmp_path: Path) -> None:
    """log, export and report on an area the database lacks: one line naming it and the
    database, suggesting geogrid store push; exit code 1."""
    from store_db import db_url, unique_name

    url, name = db_url(), unique_name("missing")
    area = str(tmp_path / name)
    for args in (
        ["patrol", "log", area, "--date", DAY, "--team", "t", "--track", str(TRACKS / "walk.kml")],
        ["patrol", "export", area, "--date", DAY, "--team", "t"],
        ["report", area, "--month", "2026-11"],
    ):
        result = CliRunner().invoke(main, args, env={"GEOGRID_STORE": url})
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert f"{name}: no such area in the database" in result.output
        assert "geogrid store push" in result.output
