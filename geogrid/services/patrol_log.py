"""Patrols as they went: a leader's track -> the patrol log; a month of it -> the report.

:func:`log_patrol` reads the track (``geogrid.io.tracks``), checks it against the
night's plan and the area (``geogrid.planning.tracks.check_track``), matches it,
and under the area's lock appends the patrol-log row (the store's
``add_patrol_log``: ``patrol_log.csv`` in a folder), replaces the patrol's rows
in the visits table and writes its track beside the day's plan. Logging the
same date and team again is a correction: the later row counts
(:func:`geogrid.planning.report.latest_rows`); the earlier one stays as history.

:func:`write_monthly_report` sums a month of the log into the PDF, CSV and Excel
report under ``<area>/reports/<YYYY-MM>/``. :func:`phone_file` gives a team's
plan as GPX or KML, WGS-84 or GCJ-02.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from geogrid.errors import InputError
from geogrid.incidents import incidents_from_layer
from geogrid.io.plans import phone_file_name, plan_phone_file, read_plan
from geogrid.io.reports import report_csv, report_xlsx, write_report
from geogrid.io.tracks import (
    read_track,
    read_track_geojson,
    read_visits,
    replace_visits,
    track_geojson,
    visit_rows,
    write_track,
)
from geogrid.io.workspace import Area, Workspace, read_area
from geogrid.planning.problem import parse_hhmm
from geogrid.planning.report import VISIT_COLUMNS, MonthlyReport, month_range, monthly_report
from geogrid.planning.rota import SchoolCalendar
from geogrid.planning.tracks import PlannedStop, TrackMatch, TrackPoints, check_track, match_track
from geogrid.printing.report import render_monthly_report
from geogrid.services.patrol import (
    area_config,
    area_folder,
    area_hotspots,
    database_area,
    put_area_file,
    read_patrol_config,
    shift_config,
)
from geogrid.store import PatrolLog
from geogrid.store.base import AreaRef, StoredArea, area_store

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class LoggedPatrol:
    """What :func:`log_patrol` did."""

    log: PatrolLog
    match: TrackMatch
    points: TrackPoints
    paths: tuple[Path, ...]


def _day(day: str) -> date:
    try:
        if not DATE_RE.fullmatch(day):
            raise ValueError(day)
        return date.fromisoformat(day)
    except ValueError as err:
        raise InputError(f"date {day!r}: write it as YYYY-MM-DD") from err


def parse_members(text: str | int | None, team_size: int | None = None) -> tuple[str, ...]:
    """Members present: names (``"王,李"``) or a count (``3``: recorded as 队员1..队员3);
    None: the team's ``size``. InputError when neither says how many."""
    if text is None or str(text).strip() == "":
        if team_size:
            return tuple(f"队员{i}" for i in range(1, int(team_size) + 1))
        raise InputError(
            "say how many members were present (--members N, or their names "
            "separated by commas); the team has no size to assume"
        )
    value = str(text).strip()
    if value.isdigit():
        count = int(value)
        if not 1 <= count <= 200:
            raise InputError(f"members {count}: give 1 to 200 people")
        return tuple(f"队员{i}" for i in range(1, count + 1))
    names = tuple(n.strip() for n in re.split(r"[,，;、\s]+", value) if n.strip())
    if not names:
        raise InputError(f"members {value!r}: give a number or names separated by commas")
    return names


def planned_stops(plan: dict[str, Any], team: str) -> list[PlannedStop]:
    """The team's stops in a day's plan (as :func:`geogrid.io.plans.read_plan` gives it)."""
    out = []
    for f in plan["geojson"]["features"]:
        p = f["properties"]
        if p.get("feature") != "stop" or str(p.get("team")) != team or not f.get("geometry"):
            continue
        lon, lat = f["geometry"]["coordinates"][:2]
        out.append(
            PlannedStop(
                str(p.get("stop_id") or p.get("name")),
                str(p.get("name") or ""),
                str(p.get("kind") or ""),
                float(lon),
                float(lat),
                str(p.get("start") or ""),
                bool(p.get("extra", False)),
            )
        )
    return out


def shift_window(area: Area, plan: dict[str, Any], day: str, team: str) -> tuple[float, float]:
    """The team's shift on ``day`` in POSIX seconds: its route's depart/return in the plan,
    else the team's shift times, else the whole day."""
    zone = ZoneInfo(area.timezone)
    route: dict[str, Any] = next(
        (
            f["properties"]
            for f in plan["geojson"]["features"]
            if f["properties"].get("feature") == "route"
            and str(f["properties"].get("team")) == team
        ),
        {},
    )
    row: dict[str, Any] = {}
    if area.teams is not None and len(area.teams):
        match = area.teams[area.teams["id"].astype(str) == team]
        row = match.iloc[0].to_dict() if len(match) else {}
    start = route.get("depart") or row.get("shift_start") or "00:00"
    end = route.get("return") or row.get("shift_end") or "24:00"
    midnight = datetime.combine(_day(day), datetime.min.time(), zone)
    s, e = parse_hhmm(str(start)), parse_hhmm(str(end))
    if e <= s:
        e += 24 * 3600
    return (midnight + timedelta(seconds=s)).timestamp(), (
        midnight + timedelta(seconds=e)
    ).timestamp()


def log_patrol(
    folder: AreaRef,
    day: str,
    team: str,
    track: Path | str,
    *,
    members: str | int | None = None,
    datum: str = "auto",
    time_offset_h: int = 0,
    config_path: Path | str | None = None,
    file_name: str | None = None,
) -> LoggedPatrol:
    """Match ``track`` (GPX, KML or check-in CSV) to ``team``'s plan of ``day`` and log it.

    For an area in a database (:func:`~geogrid.services.patrol.database_area`) the plan comes
    from the store, the log row goes to ``Store.add_patrol_log`` and the track and the
    patrol's visits are kept as files of the day's plan (``<team>.track.geojson``,
    ``<team>.visits.json``: ``Store.save_plan_file``); the config is ``config_path``, else the
    area's ``patrol.toml`` document, else the defaults."""
    _day(day)
    stored = database_area(folder)
    ws = None if stored is not None else Workspace(area_folder(folder))
    if ws is None:
        assert stored is not None
        area = stored.store.read_area(stored.name)
        config = area_config(stored, config_path)
    else:
        area = read_area(ws.path)
        config = read_patrol_config(
            config_path if config_path is not None else shift_config(ws.path)
        )
    known = [] if area.teams is None else sorted(area.teams["id"].astype(str))
    if team not in known:
        raise InputError(
            f"no team {team!r} in area {area.name}; teams are {', '.join(known) or 'none'}"
        )
    plan = _shift_plan(folder, day)
    if plan is None:
        where = f"area {folder}" if ws is None else str(ws.plans_dir(day))
        raise InputError(
            f"no plan for {day} in {where}; plan the night first (the patrol "
            "page or geogrid rota), then log its track"
        )
    stops = planned_stops(plan, team)
    size = (
        area.teams[area.teams["id"].astype(str) == team].iloc[0].get("size")
        if area.teams is not None
        else None
    )
    people = parse_members(members, int(size) if size is not None and pd.notna(size) else None)
    points = read_track(track, datum=datum, tz=area.timezone, name=file_name)
    if time_offset_h:
        points = points.shifted(time_offset_h)
    bounds = tuple(float(v) for v in area.boundary.total_bounds)
    check_track(
        points,
        metric_crs=area.metric_crs,
        bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
        shift_s=shift_window(area, plan, day, team),
        stops=stops,
        streets=area.edges,
        config=config.tracks,
        tz=area.timezone,
    )
    match = match_track(
        points, stops, metric_crs=area.metric_crs, streets=area.edges, config=config.tracks
    )
    log = PatrolLog(
        day, team, people, match.planned, match.done, round(match.km, 3), round(match.hours, 3)
    )
    if ws is None:
        assert stored is not None
        store, name = stored.store, stored.name
        rows = visit_rows(day, team, match)
        track_name, visits_name = f"{team}.track.geojson", f"{team}.visits.json"
        data = track_geojson(points, match, team)
        store.save_plan_file(name, day, track_name, _json_bytes(data))
        store.save_plan_file(name, day, visits_name, _json_bytes(rows, default=str))
        store.add_patrol_log(name, log)
        return LoggedPatrol(log, match, points, (Path(track_name), Path(visits_name)))
    store, name = area_store(ws.path)
    with ws.lock():
        store.add_patrol_log(name, log)
        replace_visits(ws.patrol_visits_path, day, team, visit_rows(day, team, match))
        written = write_track(ws.track_path(day, team), points, match, team)
    return LoggedPatrol(log, match, points, (ws.patrol_log_path, ws.patrol_visits_path, written))


def _json_bytes(value: Any, default: Any = None) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=default).encode("utf-8")


def _shift_plan(where: AreaRef, day: str) -> dict[str, Any] | None:
    """The day's plan (``summary``, ``geojson``) from the area's folder or its store."""
    stored = database_area(where)
    if stored is None:
        return read_plan(Workspace(area_folder(where)).plans_dir(day))
    found = stored.store.read_plan(stored.name, day)
    if found is None:
        return None
    return {"summary": found.summary, "geojson": found.geojson}


def read_patrol_track(folder: AreaRef, day: str, team: str) -> dict[str, Any] | None:
    """The logged track of ``team`` on ``day`` (GeoJSON with ``summary``); None if not logged."""
    _day(day)
    stored = database_area(folder)
    if stored is None:
        return read_track_geojson(Workspace(area_folder(folder)).track_path(day, team))
    data = stored.store.read_plan_file(stored.name, day, f"{team}.track.geojson")
    return None if data is None else dict(json.loads(data.decode("utf-8")))


def phone_file(
    folder: AreaRef, day: str, team: str, fmt: str = "gpx", datum: str = "wgs84"
) -> tuple[str, str]:
    """``(file name, text)`` of ``team``'s plan of ``day`` as GPX or KML in WGS-84 or GCJ-02."""
    plan = _shift_plan(folder, _day(day).isoformat())
    if plan is None:
        raise InputError(f"no plan for {day}; plan the night first")
    name = phone_file_name(team, fmt, datum)
    return name, plan_phone_file(plan["geojson"], team, fmt, datum)


# --------------------------------------------------------------------- the report


def logs_frame(logs: list[PatrolLog]) -> pd.DataFrame:
    """Patrol-log rows as the frame :func:`geogrid.planning.report.monthly_report` takes."""
    return pd.DataFrame(
        [
            {
                "date": g.date,
                "team": g.team,
                "members": len(g.members),
                "planned": g.planned,
                "done": g.done,
                "km": g.km,
                "hours": g.hours,
            }
            for g in logs
        ],
        columns=["date", "team", "members", "planned", "done", "km", "hours"],
    )


def build_monthly_report(
    folder: AreaRef, month: str, config_path: Path | str | None = None
) -> MonthlyReport:
    """The figures of ``month`` (YYYY-MM) from the area's patrol log, visits and incidents.

    For an area in a database the log is ``Store.patrol_logs``, the visits are the
    ``<team>.visits.json`` files kept with each logged day's plan (:func:`log_patrol`) and the
    config is ``config_path``, else the area's ``patrol.toml`` document, else the defaults."""
    first, last = month_range(month)
    stored = database_area(folder)
    if stored is None:
        ws = Workspace(area_folder(folder) if isinstance(folder, StoredArea) else folder)
        area = read_area(ws.path, with_network=False)
        config = read_patrol_config(
            config_path if config_path is not None else shift_config(ws.path)
        )
        store, name = area_store(ws.path)
    else:
        area = stored.store.read_area(stored.name, with_network=False)
        config = area_config(stored, config_path)
        store, name = stored.store, stored.name
    cal = config.rota.calendar
    calendar = SchoolCalendar.from_strings(cal.school_weekdays, cal.holidays, cal.makeup_days)
    rows = store.patrol_logs(name, start=first.isoformat(), end=last.isoformat())
    logs = logs_frame(rows)
    incidents = hotspots = None
    if area.incidents is not None and len(area.incidents):
        frame = incidents_from_layer(area.incidents, area.timezone)
        incidents = pd.DataFrame(
            {
                "lon": frame.geometry.x,
                "lat": frame.geometry.y,
                "date": [t.date().isoformat() for t in frame["time"]],
            }
        )
        try:
            spots = area_hotspots(area)
            hotspots = pd.DataFrame({"lon": spots.geometry.x, "lat": spots.geometry.y})
        except InputError:
            hotspots = None
    visits = read_visits(ws.patrol_visits_path) if stored is None else stored_visits(stored, rows)
    return monthly_report(
        logs,
        visits,
        month,
        calendar=calendar,
        incidents=incidents,
        hotspots=hotspots,
        metric_crs=area.metric_crs,
        radius_m=config.tracks.incident_radius_m,
    )


def stored_visits(stored: StoredArea, logs: list[PatrolLog]) -> pd.DataFrame:
    """The visits table (as :func:`geogrid.io.tracks.read_visits` gives the folder's) of the
    logged patrols ``logs`` of an area in a database: each patrol's ``<team>.visits.json``."""
    columns = [*VISIT_COLUMNS, "dwell_min", "nearest_m", "how", "reason"]
    rows: list[dict[str, Any]] = []
    for day, team in sorted(dict.fromkeys((g.date, g.team) for g in logs)):
        data = stored.store.read_plan_file(stored.name, day, f"{team}.visits.json")
        if data is not None:
            rows += json.loads(data.decode("utf-8"))
    return pd.DataFrame(rows, columns=columns)


#: where an area in a database keeps a month's report (the folder's ``reports/<month>/``)
REPORTS = "reports"


def write_monthly_report(
    folder: AreaRef,
    month: str,
    out_dir: Path | str | None = None,
    config_path: Path | str | None = None,
) -> tuple[MonthlyReport, list[Path]]:
    """Write report.pdf, report.csv and report.xlsx of ``month`` (default
    ``<area>/reports/<month>/``). For an area in a database without ``out_dir`` they are
    saved as the area's documents ``reports/<month>/report.*`` (the returned names)."""
    stored = database_area(folder)
    if stored is None:
        ws = Workspace(area_folder(folder) if isinstance(folder, StoredArea) else folder)
        report = build_monthly_report(ws.path, month, config_path)
        area_name = str(read_area(ws.path, with_network=False).name)
        pdf = render_monthly_report(report, area_name)
        out = Path(out_dir) if out_dir is not None else ws.report_dir(month)
        return report, write_report(out, report, pdf)
    report = build_monthly_report(stored, month, config_path)
    area_name = str(stored.store.read_area(stored.name, with_network=False).name)
    pdf = render_monthly_report(report, area_name)
    if out_dir is not None:
        return report, write_report(Path(out_dir), report, pdf)
    files = {
        "report.pdf": pdf,
        "report.csv": report_csv(report).encode("utf-8"),
        "report.xlsx": report_xlsx(report),
    }
    names = []
    for file_name, data in files.items():
        names.append(f"{REPORTS}/{month}/{file_name}")
        put_area_file(stored, names[-1], data)
    return report, [Path(n) for n in names]
