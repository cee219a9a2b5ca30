"""``geogrid patrol log|export`` and ``geogrid report``: patrols as they went, phones, the month."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import area_argument, config_option, friendly_errors, main
from geogrid.cli.plan import wrote
from geogrid.io.atomic import write_text_atomic
from geogrid.services import patrol_log as service
from geogrid.services.patrol import command_where


@main.group("patrol")
def patrol() -> None:
    """Patrols as they went: log a track, export a plan for phones."""


@patrol.command("log")
@area_argument()
@click.option("--date", "day", required=True, help="The shift's date, YYYY-MM-DD.")
@click.option("--team", required=True, help="Team id.")
@click.option(
    "--track",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The phone's track (GPX, KML) or a check-in table (CSV/Excel: time, lon, lat[, stop]).",
)
@click.option(
    "--members", help="Members present: a number, or names separated by commas [team size]."
)
@click.option(
    "--datum",
    type=click.Choice(["auto", "wgs84", "gcj02"]),
    default="auto",
    show_default=True,
    help="Coordinates of the track (auto: WGS-84 unless the file says GCJ-02).",
)
@click.option(
    "--time-offset",
    "time_offset_h",
    type=int,
    default=0,
    show_default=True,
    help="Move the track's clock by whole hours (a phone in the wrong time zone).",
)
@config_option("Patrol TOML config [AREA/patrol.toml].")
@friendly_errors
def log(
    area: Path,
    day: str,
    team: str,
    track: Path,
    members: str | None,
    datum: str,
    time_offset_h: int,
    config_path: Path | None,
) -> None:
    """Match TRACK to the team's plan of the night and add a row to the patrol log.

    With GEOGRID_STORE=postgresql://... the plan comes from that database's area and the log
    row, the track and the visits are saved there."""
    where = command_where(area)
    done = service.log_patrol(
        where,
        day,
        team,
        track,
        members=members,
        datum=datum,
        time_offset_h=time_offset_h,
        config_path=config_path,
    )
    g, m = done.log, done.match
    click.echo(
        f"{g.date} {g.team}: {g.done}/{g.planned} stops, {g.km:.2f} km, {g.hours:.2f} h, "
        f"{len(g.members)} members, {len(g.members) * g.hours:.1f} volunteer-hours"
    )
    for s in m.stops:
        mark = "✓" if s.visited else "✗"
        extra = " (extra pass)" if s.extra else ""
        detail = f"{s.dwell_min:g} min ({s.how})" if s.visited else s.reason
        click.echo(f"  {mark} {s.name or s.stop_id}{extra}: {detail}")
    for path in done.paths:
        click.echo(wrote(where, path))


@patrol.command("export")
@area_argument()
@click.option("--date", "day", required=True, help="The shift's date, YYYY-MM-DD.")
@click.option("--team", required=True, help="Team id.")
@click.option(
    "--format", "fmt", type=click.Choice(["gpx", "kml"]), default="gpx", show_default=True
)
@click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02"]),
    default="wgs84",
    show_default=True,
    help="wgs84 for outdoor tracking apps; gcj02 for apps on Chinese maps (file name says so).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Folder to write into.",
)
@friendly_errors
def export(area: Path, day: str, team: str, fmt: str, datum: str, out_dir: Path) -> None:
    """Write the team's plan of the night for a phone: <team>[.gcj02].gpx|kml."""
    name, text = service.phone_file(command_where(area), day, team, fmt, datum)
    path = write_text_atomic(out_dir / name, text)
    click.echo(f"wrote {path}")


@main.command("report")
@area_argument()
@click.option("--month", required=True, help="YYYY-MM, e.g. 2026-11.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [AREA/reports/MONTH].",
)
@config_option("Patrol TOML config (school calendar, radii) [AREA/patrol.toml].")
@friendly_errors
def report(area: Path, month: str, out_dir: Path | None, config_path: Path | None) -> None:
    """The monthly patrol report: PDF with charts, CSV and Excel, from the patrol log.

    With GEOGRID_STORE=postgresql://... the log is that database's and, without --out, the
    report is saved there (reports/MONTH/...)."""
    where = command_where(area)
    figures, paths = service.write_monthly_report(where, month, out_dir, config_path)
    f = figures.figures()
    click.echo(
        f"{month}: {f['patrols']} patrols, {f['volunteer_hours']} volunteer-hours, "
        f"{f['stops_done']}/{f['stops_planned']} stops, hot-spot coverage "
        f"{float(f['hotspot_coverage']):.0%}, 护学岗 {float(f['school_attendance']):.0%}"
    )
    for path in paths:
        click.echo(wrote(where, path, out_dir))
