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
