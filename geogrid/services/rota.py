"""The weekly rota of an area: workspace + patrol config -> rota -> each night's routes -> files.

:func:`plan_week` reads the area and the config's ``[rota]`` section (nights
per hot-spot priority, school posts on school days, the calendar with
holidays and make-up days, shift times per weekday), takes each team's roster
nights from the teams layer (``nights``, e.g. ``"Mon,Tue,Fri"``; every night
when absent), measures travel once for the whole week, assigns stops to
team-nights (:func:`geogrid.planning.rota.solve_rota`) and plans every night's
routes with :func:`geogrid.planning.solve.solve_patrol` on the stops of that
night only. A night whose stops do not fit in one route goes back to the
rota as a set that team cannot cover that night, and the week is assigned
again (at most :data:`ROUNDS` times).

Files: ``<area>/plans/rota/<week>/`` (rota.json, rota.csv, rota.pdf for the
district, <team>.pdf per team) and, per night, ``<area>/plans/web/<date>/``
(the files of a shift's plan: plan.json, plan.geojson, <team>.gpx,
route_sheets.pdf, <team>.pdf), where the patrol web page opens them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geogrid.errors import InfeasibleError, InputError
from geogrid.io.atomic import write_bytes_atomic
from geogrid.io.geojson import read_vector
from geogrid.io.plans import plan_geojson, write_plan
from geogrid.io.rota import ROTA_CSV, ROTA_JSON, read_rota, rota_csv_rows, write_rota
from geogrid.io.tables import csv_text
from geogrid.io.workspace import Area, Workspace, read_area
from geogrid.network import StreetNetwork
from geogrid.planning.config import PatrolConfig
from geogrid.planning.plan import PatrolPlan, plan_frames
from geogrid.planning.problem import (
    PatrolProblem,
    Stop,
    build_problem,
    stops_from_hotspots,
    stops_from_places,
    teams_from_frame,
)
from geogrid.planning.rota import (
    Rota,
    RotaProblem,
    SchoolCalendar,
    ShiftRule,
    duties_for,
    night_problem,
    parse_week,
    parse_weekdays,
    rota_document,
    shifts_by_day,
    solve_rota,
)
from geogrid.planning.solve import solve_patrol
from geogrid.printing.rota import render_district_rota, render_team_rota
from geogrid.printing.sheets import render_route_sheets
from geogrid.services.patrol import (
    area_config,
    area_folder,
    area_hotspots,
    database_area,
)
from geogrid.store.base import AreaRef, PlanDocument, StoredArea

ROUNDS = 4
"""Assign the week at most this often (a night that does not route is cut each time)."""


@dataclass(frozen=True)
class NightPlan:
    """One night's routes of the rota."""

    day: int
    problem: PatrolProblem
    plan: PatrolPlan


@dataclass(frozen=True)
class WeekRun:
    """What :func:`plan_week` produced."""

    problem: RotaProblem
    rota: Rota
    nights: tuple[NightPlan, ...]
    document: dict[str, Any]
    paths: tuple[Path, ...]
    rounds: int


def rota_stops(
    area: Area, config: PatrolConfig, hotspots: gpd.GeoDataFrame | None = None
) -> tuple[list[Stop], dict[str, int], set[str], dict[str, int]]:
    """The week's stops: hot spots, school posts and places with nights.

    Returns the stops, hot-spot priorities (stop id -> 1-5), the ids of the
    school posts and the nights of other places (stop id -> nights a week).
    """
    rota = config.rota
    stops: list[Stop] = []
    schools: set[str] = set()
    place_nights: dict[str, int] = {}
    problems = []
    for n, place in enumerate(config.places, 1):
        is_school = place.layer == rota.school_layer
        if not is_school and place.layer not in rota.place_nights:
            continue
        layer = area.layers.get(place.layer)
        if layer is None:
            problems.append(
                f"[[places]] #{n}: area has no layer {place.layer!r} "
                f"(it has {', '.join(sorted(area.layers)) or 'none'})"
            )
            continue
        if place.kinds is not None:
            layer = layer[layer["kind"].isin(place.kinds)]
        if place.max_stops is not None:
            layer = layer.iloc[: place.max_stops]
        made = stops_from_places(
            layer,
            prize=place.prize,
            dwell_min=place.dwell_min,
            window=place.window,
            skill=place.skill,
            teams=place.teams,
            notes=place.notes,
        )
        made = [s for s in made if s.id not in {t.id for t in stops}]
        stops += made
        if is_school:
            schools.update(s.id for s in made)
        else:
            place_nights.update({s.id: rota.place_nights[place.layer] for s in made})
    unknown = sorted(set(rota.place_nights) - {p.layer for p in config.places})
    problems += [
        f"rota.place_nights: {name!r} is no [[places]] layer of the config" for name in unknown
    ]
    if problems:
        raise InputError("the rota config names layers it cannot use", problems)
    spots = config.hotspots
    if hotspots is None and spots.file:
        hotspots = read_vector(area.path / spots.file, "hot-spot file")
    if (
        hotspots is None
        and spots.from_incidents
        and area.incidents is not None
        and len(area.incidents)
    ):
        hotspots = area_hotspots(area, top=spots.top)
    priorities: dict[str, int] = {}
    if hotspots is not None and len(hotspots):
        made = stops_from_hotspots(
            hotspots, prize_per_priority=spots.prize_per_priority, teams=spots.teams
        )
        stops += made
        priorities = {s.id: int(p) for s, p in zip(made, hotspots["priority"], strict=True)}
    return stops, priorities, schools, place_nights


def team_nights(teams: gpd.GeoDataFrame) -> dict[str, frozenset[int]]:
    """Team id -> its roster nights (the teams layer's ``nights``; every night when absent)."""
    out = {}
    problems = []
    for _, row in teams.iterrows():
        tid = str(row["id"])
        value = row.get("nights") if "nights" in teams.columns else None
        text = (
            None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        )
        try:
            out[tid] = parse_weekdays(text, f"team {tid} nights")
        except InputError as err:
            problems.append(str(err))
    if problems:
        raise InputError("teams.geojson: roster nights have problems", problems)
    return out


def rota_problem(
    area: Area,
    config: PatrolConfig,
    week: str,
    hotspots: gpd.GeoDataFrame | None = None,
    *,
    where: str = "patrol config",
) -> tuple[RotaProblem, StreetNetwork]:
    """Compile the area's teams, the week's stops and what the week asks into a RotaProblem."""
    area.require_streets("a weekly rota")
    label, dates = parse_week(week)
    if area.teams is None or not len(area.teams):
        raise InputError(
            f"area {area.path} has no {Workspace(area.path).teams_path.name}; "
            "add the patrol teams first"
        )
    rota = config.rota
    teams = teams_from_frame(area.teams, config.skills())
    roster = team_nights(area.teams)
    cal = rota.calendar
    calendar = SchoolCalendar.from_strings(
        cal.school_weekdays, cal.holidays, cal.makeup_days, f"{where}: rota.calendar"
    )
    ids = {t.id for t in teams}
    rules, problems = [], []
    for n, entry in enumerate(rota.shifts, 1):
        what = f"{where}: rota.shifts[{n}]"
        try:
            rules.append(
                ShiftRule.from_strings(entry.days, entry.start, entry.end, entry.teams, what)
            )
        except InputError as err:
            problems.append(str(err))
        problems += [
            f"{what}: no team {t!r} in the area" for t in (entry.teams or ()) if t not in ids
        ]
    bad_pri = [p for p in rota.nights_by_priority if not 1 <= p <= 5]
    problems += [f"{where}: rota.nights_by_priority: priority {p} is not 1-5" for p in bad_pri]
    problems += [
        f"{where}: rota.nights_by_priority: {n} nights for priority {p} is not 0-7"
        for p, n in rota.nights_by_priority.items()
        if not 0 <= n <= 7
    ]
    if problems:
        raise InputError("the rota config has problems", problems)
    stops, priorities, schools, place_nights = rota_stops(area, config, hotspots)
    if not stops:
        raise InputError(
            "no stops for the week: give hot spots ([hotspots]) or school posts "
            f"([[places]] layer {rota.school_layer!r})"
        )
    duties = duties_for(
        stops,
        priorities=priorities,
        nights_by_priority=rota.nights_by_priority,
        school_stops=schools,
        place_nights=place_nights,
        school_days=[d for d in range(7) if calendar.is_school_day(dates[d])],
    )
    network = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    base = build_problem(network, teams, stops)
    problem = RotaProblem(
        week=label,
        dates=dates,
        base=base,
        duties=duties,
        available=tuple(tuple(d in roster[t.id] for t in teams) for d in range(7)),
        shifts=shifts_by_day(teams, rules),
        calendar=calendar,
        max_nights_per_team=rota.max_nights_per_team,
        load_share=rota.load_share,
    )
    return problem, network


def route_nights(
    problem: RotaProblem,
    *,
    time_limit_s: float,
    seed: int,
    night_time_limit_s: float,
    rounds: int = ROUNDS,
) -> tuple[RotaProblem, Rota, list[NightPlan], int]:
    """Assign the week, then route every night; a team-night whose stops do not fit in one
    route is cut from the rota and the week assigned again. Returns the final problem (with
    its cuts), the rota, the nights' plans and the rounds it took."""
    for n in range(1, rounds + 1):
        rota = solve_rota(problem, time_limit_s=time_limit_s, seed=seed)
        nights: list[NightPlan] = []
        cuts: list[tuple[int, int, frozenset[int]]] = []
        for d in range(7):
            night = night_problem(problem, rota, d)
            if night is None:
                continue
            try:
                nights.append(
                    NightPlan(
                        d, night, solve_patrol(night, time_limit_s=night_time_limit_s, seed=seed)
                    )
                )
            except InfeasibleError:
                cuts += _failing_teams(problem, rota, d, night_time_limit_s, seed)
        if not cuts:
            return problem, rota, nights, n
        problem = dataclasses.replace(problem, nogoods=problem.nogoods + tuple(cuts))
    raise InfeasibleError(
        f"week {problem.week}: after {rounds} rounds some nights still do not fit in one route",
        [
            f"{problem.base.teams[t].id} on {problem.day_name(d)}: "
            f"{len(s)} stops do not fit in its shift"
            for d, t, s in cuts
        ]
        + ["lower rota.load_share, the nights asked per priority, or add teams"],
    )


def _failing_teams(
    problem: RotaProblem, rota: Rota, d: int, limit_s: float, seed: int
) -> list[tuple[int, int, frozenset[int]]]:
    """The team-nights of day ``d`` that do not route alone (all of them if each does)."""
    out = []
    for night in rota.of_day(d):
        alone = night_problem(problem, rota, d, teams=[night.team])
        assert alone is not None
        try:
            solve_patrol(alone, time_limit_s=limit_s, seed=seed)
        except InfeasibleError:
            out.append((d, night.team, frozenset(night.stops)))
    return out or [(d, n.team, frozenset(n.stops)) for n in rota.of_day(d)]


def plan_week(
    folder: AreaRef,
    week: str,
    config_path: Path | str | None = None,
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    time_limit_s: float | None = None,
    night_time_limit_s: float | None = None,
    seed: int | None = None,
) -> WeekRun:
    """Plan ``week`` (ISO, e.g. ``2026-W50``) for the area and write the rota and each night's
    files.

    For an area in a database (:func:`~geogrid.services.patrol.database_area`) each night's
    plan goes to ``Store.save_plan`` with its route sheets as plan files, and the week's
    ``rota.json`` and PDFs are documents of the area under the folder's names
    (``plans/rota/<week>/...``, ``Store.update_area_file``); ``rota.csv`` is made from
    ``rota.json`` when asked for (:func:`week_download`)."""
    config = area_config(folder, config_path)
    stored = database_area(folder)
    ws = None if stored is not None else Workspace(area_folder(folder))
    area = read_area(ws.path) if ws is not None else _read_stored(stored)
    problem, network = rota_problem(
        area, config, week, hotspots, where=str(config_path) if config_path else "patrol config"
    )
    seed = int(seed if seed is not None else config.solver.seed)
    problem, rota, nights, rounds = route_nights(
        problem,
        time_limit_s=float(time_limit_s if time_limit_s is not None else config.rota.time_limit_s),
        night_time_limit_s=float(
            night_time_limit_s if night_time_limit_s is not None else config.rota.night_time_limit_s
        ),
        seed=seed,
    )
    document = rota_document(problem, rota, area.name)
    paths: list[Path] = []
    summaries = {}
    for night in nights:
        day = problem.dates[night.day].isoformat()
        visits, routes = plan_frames(night.problem, night.plan, network)
        pdf = render_route_sheets(
            night.problem, night.plan, routes, area.edges, area.metric_crs, date=day
        )
        summary = {
            "area": area.name,
            "prize": night.plan.prize,
            "seed": night.plan.seed,
            "solve_s": round(night.plan.solve_s, 2),
            "stops": night.problem.n_stops,
            "visited": len(night.plan.visited()),
            "skipped": [night.problem.stops[i].id for i in night.plan.skipped],
            "teams": routes.drop(columns="geometry").to_dict(orient="records"),
            "rota_week": problem.week,
        }
        sheets = {}
        for route in night.plan.routes:
            team = night.problem.teams[route.team]
            one = dataclasses.replace(night.plan, routes=(route,))
            sheets[f"{team.id}.pdf"] = render_route_sheets(
                night.problem, one, routes, area.edges, area.metric_crs, date=day
            )
        if ws is None:
            assert stored is not None
            plans = stored.store
            plans.save_plan_file(stored.name, day, "route_sheets.pdf", pdf)
            for name, sheet in sheets.items():
                plans.save_plan_file(stored.name, day, name, sheet)
            geojson = plan_geojson(visits, routes)
            plain = json.loads(json.dumps(summary, ensure_ascii=False, default=str))
            plans.save_plan(stored.name, PlanDocument(day, plain, geojson))
            paths += [Path(day) / n for n in ("plan.json", "route_sheets.pdf", *sheets)]
        else:
            out = ws.plans_dir(day)
            paths += write_plan(out, visits, routes, pdf, summary)
            for name, sheet in sheets.items():
                paths.append(write_bytes_atomic(out / name, sheet))
        summaries[day] = {"visited": summary["visited"], "stops": summary["stops"]}
    for day in document["days"]:
        day["planned"] = day["date"] in summaries
    document["rounds"] = rounds
    pdfs = {"rota.pdf": render_district_rota(document)}
    for team in problem.base.teams:
        pdfs[f"{team.id}.pdf"] = render_team_rota(document, team.id)
    if ws is None:
        assert stored is not None
        folder_name = f"plans/rota/{problem.week}"
        text = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        for name, data in [(ROTA_JSON, text), *pdfs.items()]:
            _put_document(stored, f"{folder_name}/{name}", data)
            paths.append(Path(folder_name) / name)
    else:
        paths += write_rota(ws.rota_dir(problem.week), document, pdfs)
    return WeekRun(problem, rota, tuple(nights), document, tuple(paths), rounds)


# ----------------------------------------------------------------- reading (web app)


def planned_weeks(folder: Path | str) -> list[str]:
    """Weeks with a rota, newest first."""
    root = Workspace(folder).rota_weeks_dir
    if not root.exists():
        return []
    return sorted((p.name for p in root.iterdir() if (p / "rota.json").exists()), reverse=True)


def _put_document(stored: StoredArea, name: str, data: bytes) -> None:
    """Keep ``data`` as the area's document ``name`` (replacing it)."""

    def replace(_old: bytes | None) -> bytes:
        return data

    stored.store.update_area_file(stored.name, name, replace)


def _read_stored(stored: StoredArea | None) -> Area:
    assert stored is not None
    return stored.store.read_area(stored.name)


def read_week(folder: AreaRef, week: str) -> dict[str, Any] | None:
    """The rota document of ``week``; None when it has no rota yet."""
    label, _ = parse_week(week)
    stored = database_area(folder)
    if stored is None:
        return read_rota(Workspace(area_folder(folder)).rota_dir(label))
    data = stored.store.read_area_file(stored.name, f"plans/rota/{label}/{ROTA_JSON}")
    return None if data is None else dict(json.loads(data.decode("utf-8")))


def week_download(folder: AreaRef, week: str, name: str) -> bytes | None:
    """A file of a week's rota as bytes (``rota.pdf``, ``rota.csv``, ``<team>.pdf``); None if
    absent: the folder's file, or for an area in a database the stored PDF or the CSV made
    from the stored ``rota.json``."""
    if Path(name).name != name:
        raise InputError(f"{name!r}: give a file name of the rota, not a path")
    stored = database_area(folder)
    if stored is None:
        path = week_file(area_folder(folder), week, name)
        return None if path is None else path.read_bytes()
    label, _ = parse_week(week)
    if name == ROTA_CSV:
        document = read_week(folder, week)
        if document is None:
            return None
        return csv_text(rota_csv_rows(document), bom=True).encode("utf-8")
    return stored.store.read_area_file(stored.name, f"plans/rota/{label}/{name}")


def week_file(folder: Path | str, week: str, name: str) -> Path | None:
    """A file of a week's rota (``rota.pdf``, ``rota.csv``, ``<team>.pdf``); None if absent."""
    if Path(name).name != name:
        raise InputError(f"{name!r}: give a file name of the rota, not a path")
    label, _ = parse_week(week)
    path = Workspace(folder).rota_dir(label) / name
    return path if path.exists() else None


def week_of(day: str) -> str:
    """The ISO week (``2026-W50``) of a date ``YYYY-MM-DD``."""
    try:
        year, week, _ = date.fromisoformat(day).isocalendar()
    except ValueError as err:
        raise InputError(f"{day!r} is not a date YYYY-MM-DD") from err
    return f"{year}-W{week:02d}"


def team_week(document: dict[str, Any], teams: set[str] | None) -> dict[str, Any]:
    """The rota document cut to ``teams`` (None: all): what a team leader may see."""
    if teams is None:
        return document
    days = [
        {**day, "teams": [d for d in day["teams"] if d["team"] in teams]}
        for day in document["days"]
    ]
    return {**document, "days": days, "teams": [t for t in document["teams"] if t["team"] in teams]}
