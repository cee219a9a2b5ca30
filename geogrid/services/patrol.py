"""Patrol planning for an area workspace: workspace + TOML config -> plan -> files.

The config (see ``data/config/patrol.example.toml``) says which key-location
layers become stops (prize, dwell, time window, which teams), how hot spots
weigh and revisit, and the solver's seed and time limit. Hot spots come as
a frame shaped like ``geogrid.incidents.rank_hotspots`` output (passed in, or
a GeoJSON file named in the config or on the command line).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from geogrid.errors import InputError
from geogrid.incidents import DEFAULT_TIMEZONE, incidents_from_layer, rank_hotspots
from geogrid.io.atomic import write_bytes_atomic
from geogrid.io.geojson import read_vector
from geogrid.io.plans import (
    has_plan,
    plan_geojson,
    plan_gpx,
    plan_phone_file,
    read_plan,
    write_plan,
)
from geogrid.io.workspace import Area, Workspace, read_area
from geogrid.network import DEFAULT_MAX_SNAP_M, StreetNetwork, check_near_streets
from geogrid.planning.areas import idle_reasons, locate_stops, with_team_areas
from geogrid.planning.config import PatrolConfig
from geogrid.planning.coverage import coverage_shares, service_areas
from geogrid.planning.district import group_district, should_decompose, solve_district
from geogrid.planning.plan import PatrolPlan, plan_frames, skipped_table
from geogrid.planning.problem import (
    PatrolProblem,
    Stop,
    Team,
    build_problem,
    stops_from_grids,
    stops_from_hotspots,
    stops_from_places,
    teams_from_frame,
)
from geogrid.planning.solve import solve_patrol
from geogrid.planning.workload import extra_passes
from geogrid.printing.sheets import render_route_sheets
from geogrid.store.access import missing_area
from geogrid.store.base import (
    AreaRef,
    PlanDocument,
    Store,
    StoredArea,
    command_area,
    folder_path,
)


def command_where(area_dir: Path | str) -> AreaRef:
    """The area a command's AREA argument names (:func:`~geogrid.store.base.command_area`):
    with ``GEOGRID_STORE`` set to a PostgreSQL URL the database's area of the folder's name,
    else the folder. An area missing from the database is one :class:`InputError` naming
    the area and the database (no password) and how to put it there."""
    where = command_area(area_dir)
    if isinstance(where, StoredArea) and where.name not in where.store.list_areas():
        raise missing_area(where.store, where.name)
    return where


def read_where(where: AreaRef, *, with_network: bool = True) -> Area:
    """The whole area: from its folder (:func:`~geogrid.io.workspace.read_area`) or, for an
    area in a database, from the store."""
    if not isinstance(where, StoredArea):
        return read_area(where, with_network=with_network)
    stored = database_area(where)
    if stored is None:
        return read_area(area_folder(where), with_network=with_network)
    return stored.store.read_area(stored.name, with_network=with_network)


def put_area_file(stored: StoredArea, name: str, data: bytes | None) -> None:
    """Keep ``data`` as the document ``name`` of an area in a database (None removes it)."""

    def replace(_old: bytes | None) -> bytes | None:
        return data

    stored.store.update_area_file(stored.name, name, replace)


def read_patrol_config(path: Path | str | None) -> PatrolConfig:
    """Read and check a patrol TOML config; None gives the defaults.

    Every problem is one line ``"<file>: <key>: <problem>"`` of the InputError.
    """
    if path is None:
        return PatrolConfig()
    path = Path(path)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"{path}: no such config file") from err
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML: {err}") from err
    return PatrolConfig.from_dict(config, where=str(path))


#: the area's own patrol config, in its folder or as a document of the area in a database
PATROL_TOML = "patrol.toml"


def area_config(where: AreaRef, config_path: Path | str | None) -> PatrolConfig:
    """The patrol config of a plan: ``config_path``; else, for an area in a database, its
    ``patrol.toml`` document (``Store.read_area_file``, pushed with the area) or the defaults.
    For an area folder exactly :func:`read_patrol_config` of ``config_path``."""
    stored = database_area(where)
    if config_path is not None or stored is None:
        return read_patrol_config(config_path)
    data = stored.store.read_area_file(stored.name, PATROL_TOML)
    if data is None:
        return PatrolConfig()
    label = f"area {stored.name} (database): {PATROL_TOML}"
    try:
        config = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"{label}: not valid TOML: {err}") from err
    return PatrolConfig.from_dict(config, where=label)


def area_stops(
    area: Area, config: PatrolConfig, hotspots: gpd.GeoDataFrame | None = None
) -> list[Stop]:
    """All stops the config asks for in ``area``."""
    stops: list[Stop] = []
    problems = []
    for n, place in enumerate(config.places, 1):
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
        stops += stops_from_places(
            layer,
            prize=place.prize,
            dwell_min=place.dwell_min,
            window=place.window,
            required=place.required,
            skill=place.skill,
            teams=place.teams,
            notes=place.notes,
        )
    if problems:
        raise InputError("the patrol config names layers the area lacks", problems)
    spots = config.hotspots
    if hotspots is None and spots.file:
        spot_file = area.path / spots.file
        if not spot_file.exists():
            raise InputError(
                f"{spot_file}: no such hot-spot file (the patrol config's [hotspots] file is read "
                "from the area's folder; an area in a database has none): give the file with "
                "--hotspots FILE, or set from_incidents = true in [hotspots]"
            )
        hotspots = read_vector(spot_file, "hot-spot file")
    if hotspots is None and spots.from_incidents and area.incidents is not None:
        hotspots = area_hotspots(area, top=spots.top)
    if hotspots is not None and len(hotspots):
        stops += stops_from_hotspots(
            hotspots,
            prize_per_priority=spots.prize_per_priority,
            required_min_priority=spots.required_min_priority,
            revisit_min_priority=spots.revisit_min_priority,
            revisit_after_min=spots.revisit_after_min,
            teams=spots.teams,
        )
    if config.grids.pass_every_grid and len(area.grids):
        stops += stops_from_grids(area.grids, teams=config.grids.teams)
    return stops


def area_hotspots(area: Area, top: int | None = None) -> gpd.GeoDataFrame:
    """Rank the area's incident hot spots (Gi* with FDR) as patrol stops, hottest first."""
    timezone = str(area.manifest.get("timezone") or DEFAULT_TIMEZONE)
    if area.incidents is None or len(area.incidents) == 0:
        raise InputError(
            f"{area.path}: no incidents to find hot spots in; import some with "
            "`geogrid incidents import` or drop from_incidents from the config"
        )
    incidents = incidents_from_layer(area.incidents, timezone)
    spots = rank_hotspots(incidents, area.metric_crs, timezone=timezone, top=top)
    return spots.assign(name=hotspot_names(spots, area))


def hotspot_names(spots: gpd.GeoDataFrame, area: Area) -> list[str]:
    """Names a volunteer can find: "热点1 · <nearest named street>" (rank, street)."""
    streets = area.edges
    if streets is None or len(spots) == 0 or "name" not in streets:
        return [f"热点{int(r)}" for r in spots["rank"]]
    named = streets[streets["name"].notna()][["name", "geometry"]].to_crs(area.metric_crs)
    if len(named) == 0:
        return [f"热点{int(r)}" for r in spots["rank"]]
    points = spots[["rank", "geometry"]].to_crs(area.metric_crs)
    nearest = gpd.sjoin_nearest(points, named, how="left").groupby(level=0).first()
    return [f"热点{int(r)} · {n}" for r, n in zip(spots["rank"], nearest["name"], strict=True)]


@dataclass(frozen=True)
class PatrolRun:
    """What :func:`plan_area` produced."""

    problem: PatrolProblem
    plan: PatrolPlan
    visits: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    paths: tuple[Path, ...]
    idle: dict[str, str] = dataclasses.field(default_factory=dict)
    """Team id -> why it stays at its base (:func:`~geogrid.planning.areas.idle_reasons`)."""


def area_problem(
    area: Area, config: PatrolConfig, hotspots: gpd.GeoDataFrame | None = None
) -> tuple[PatrolProblem, StreetNetwork]:
    """Compile the area's teams and configured stops into a PatrolProblem."""
    teams, stops, network = area_patrol(area, config, hotspots)
    return build_problem(network, teams, stops, team_areas=config.team_areas), network


def area_patrol(
    area: Area, config: PatrolConfig, hotspots: gpd.GeoDataFrame | None = None
) -> tuple[list[Team], list[Stop], StreetNetwork]:
    """The area's teams (with their areas: the teams layer's ``area_codes``, or
    ``[teams.<id>] communities``/``grids``, and ``roam``), its configured stops located
    in its communities and grids, and its street network."""
    area.require_streets("a patrol plan")
    if area.teams is None or not len(area.teams):
        raise InputError(
            f"area {area.path} has no {Workspace(area.path).teams_path.name}; "
            "add the patrol teams first"
        )
    teams = teams_from_frame(area.teams, config.skills())
    stops = area_stops(area, config, hotspots)
    if not stops:
        raise InputError("no stops: list key-location layers under [[places]] or give hot spots")
    stops += extra_passes(stops, teams, area.grids, config, area.metric_crs)
    teams = with_team_areas(teams, config.area_codes(), config.roaming())
    stops = locate_stops(stops, area.communities, area.grids)
    network = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    return teams, stops, network


def grid_parents(area: Area) -> dict[str, str]:
    """Grid code -> the code of its community (``parent_code``), for grids that have one."""
    grids = area.grids
    if grids is None or not len(grids) or "parent_code" not in grids:
        return {}
    return {
        str(c): str(p)
        for c, p in zip(grids["code"], grids["parent_code"], strict=True)
        if p is not None and not (isinstance(p, float) and math.isnan(p)) and str(p).strip()
    }


def solve_area(
    area: Area,
    config: PatrolConfig,
    hotspots: gpd.GeoDataFrame | None,
    time_limit_s: float | None,
    seed: int | None,
    date: str,
    workers: int,
) -> tuple[
    PatrolProblem,
    PatrolPlan,
    gpd.GeoDataFrame,
    gpd.GeoDataFrame,
    bytes,
    dict[str, Any],
    dict[str, str],
]:
    """Plan every team of ``area``: (problem, plan, visits, routes, route-sheet PDF, summary,
    idle teams) - what :func:`plan_area` writes, computed without writing anything."""
    teams, stops, network = area_patrol(area, config, hotspots)
    parents = grid_parents(area)
    groups = group_district(teams, stops, team_areas=config.team_areas, parents=parents)
    decompose = config.solver.decompose
    options: dict[str, Any] = {
        "time_limit_s": float(
            time_limit_s if time_limit_s is not None else config.solver.time_limit_s
        ),
        "seed": int(seed if seed is not None else config.solver.seed),
        "balance": config.workload.balance,
        "balance_weight": config.workload.balance_weight,
        "mode_weights": config.workload.mode_weights,
    }
    if decompose == "always" or (
        decompose == "auto" and should_decompose(groups, len(stops), config.team_areas)
    ):
        district = solve_district(
            network,
            teams,
            stops,
            team_areas=config.team_areas,
            groups=groups,
            workers=workers,
            **options,
        )
        problem, plan = district.problem, district.plan
    else:
        problem = build_problem(network, teams, stops, team_areas=config.team_areas)
        plan = solve_patrol(problem, **options)
    idle = {problem.teams[t].id: why for t, why in idle_reasons(problem, plan).items()}
    visits, routes = plan_frames(problem, plan, network)
    pdf = render_route_sheets(problem, plan, routes, area.edges, area.metric_crs, date=date)
    summary = {
        "area": area.name,
        "prize": plan.prize,
        "seed": plan.seed,
        "solve_s": round(plan.solve_s, 2),
        "stops": problem.n_stops,
        "visited": len(plan.visited()),
        "skipped": [problem.stops[i].id for i in plan.skipped if not problem.stops[i].is_fill],
        "skipped_reasons": skipped_table(problem, plan),
        "teams": routes.drop(columns="geometry").to_dict(orient="records"),
    }
    if idle:
        summary["idle_teams"] = idle
    return problem, plan, visits, routes, pdf, summary, idle


def plan_area(
    folder: AreaRef,
    config_path: Path | str | None = None,
    out_dir: Path | str | None = None,
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    time_limit_s: float | None = None,
    seed: int | None = None,
    date: str = "",
    team_sheets: bool = False,
    workers: int = 1,
) -> PatrolRun:
    """Plan tonight's routes for every team of the area and write the files.

    Writes ``plan.geojson``, ``<team>.gpx``, ``route_sheets.pdf`` and
    ``plan.json`` into ``out_dir`` (default ``<area>/plans``), and with
    ``team_sheets`` one ``<team>.pdf`` per team (its own route sheet only).
    A district whose teams' areas make several groups is planned group by group
    (``[solver] decompose``, :mod:`geogrid.planning.district`), in up to ``workers``
    processes; the time limit is then the whole district's.

    For an area in a database (:func:`database_area`) the config is ``config_path``, else
    the area's ``patrol.toml`` document, else the defaults; without ``out_dir`` the plan
    goes to ``Store.save_plan`` (day None: the command line's plan) and the route sheets
    to the area's documents ``plans/route_sheets.pdf`` (and ``plans/<team>.pdf``); the
    returned paths are then those names. With ``out_dir`` the files are written there.
    """
    stored = database_area(folder)
    if stored is None:
        config = read_patrol_config(config_path)
        area = read_area(area_folder(folder) if isinstance(folder, StoredArea) else folder)
    else:
        config = area_config(stored, config_path)
        area = stored.store.read_area(stored.name)
    solved = solve_area(area, config, hotspots, time_limit_s, seed, date, workers)
    problem, plan, visits, routes, pdf, summary, idle = solved
    sheets: dict[str, bytes] = {}
    if team_sheets:
        for route in plan.routes:
            team = problem.teams[route.team]
            one = dataclasses.replace(plan, routes=(route,))
            sheets[f"{team.id}.pdf"] = render_route_sheets(
                problem, one, routes, area.edges, area.metric_crs, date=date
            )
    if stored is not None and out_dir is None:
        stored.store.save_plan(
            stored.name, PlanDocument(None, _plain(summary), plan_geojson(visits, routes))
        )
        names = [f"{CLI_PLANS}/plan.json"]
        for name, data in {"route_sheets.pdf": pdf, **sheets}.items():
            put_area_file(stored, f"{CLI_PLANS}/{name}", data)
            names.append(f"{CLI_PLANS}/{name}")
        return PatrolRun(problem, plan, visits, routes, tuple(map(Path, names)), idle)
    out = Path(out_dir) if out_dir is not None else Workspace(area.path).plans_dir()
    paths = write_plan(out, visits, routes, pdf, summary)
    for name, data in sheets.items():
        paths.append(write_bytes_atomic(out / name, data))
    return PatrolRun(problem, plan, visits, routes, tuple(paths), idle)


#: where an area in a database keeps the command line's plan files (the folder's ``plans/``)
CLI_PLANS = "plans"


# ----------------------------------------------------------------- plans of a shift (web app)


def database_area(where: AreaRef) -> StoredArea | None:
    """``where`` when it is an area of a database (or of a folder store the web serves as
    one, with no folder of its own); None when it is an area folder, whose files stay as
    they are."""
    if isinstance(where, StoredArea) and folder_path(where) is None:
        return where
    return None


def area_folder(where: AreaRef) -> Path:
    """The folder of an area that lives in one (a folder, or an area of a folder store)."""
    if isinstance(where, StoredArea):
        found = folder_path(where)
        if found is None:
            raise InputError(f"area {where.name} lives in a database, not in a folder")
        return found
    return Workspace(where).path


def plan_shift(
    where: AreaRef,
    day: str,
    config_path: Path | str | None,
    *,
    time_limit_s: float,
    teams: Sequence[str] | None = None,
) -> PatrolRun:
    """Plan shift ``day`` (YYYY-MM-DD) for every team into ``<area>/plans/web/<day>/``.

    The files of :func:`plan_area` plus one ``<team>.pdf`` per team. With
    ``teams`` (some of the area's teams), only those are planned
    (:func:`plan_teams`): the other teams' routes in the day's plan stay.
    An area in a database (:func:`database_area`) keeps the plan with
    ``Store.save_plan`` and the route-sheet PDFs with ``Store.save_plan_file``;
    its GPX files are made from the stored plan when asked for (:func:`shift_download`).
    """
    if teams is not None:
        return plan_teams(where, day, config_path, teams, time_limit_s=time_limit_s)
    stored = database_area(where)
    if stored is None:
        ws = Workspace(area_folder(where))
        return plan_area(
            ws.path,
            config_path,
            ws.plans_dir(day),
            time_limit_s=time_limit_s,
            date=day,
            team_sheets=True,
        )
    config = area_config(stored, config_path)
    area = stored.store.read_area(stored.name)
    solved = solve_area(area, config, None, time_limit_s, None, day, 1)
    problem, plan, visits, routes, pdf, summary, idle = solved
    store, name = stored.store, stored.name
    store.save_plan_file(name, day, "route_sheets.pdf", pdf)
    files = ["route_sheets.pdf", *_team_sheets(store, name, day, area, problem, plan, routes)]
    store.save_plan(name, PlanDocument(day, _plain(summary), plan_geojson(visits, routes)))
    return PatrolRun(problem, plan, visits, routes, tuple(Path(f) for f in files), idle)


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (numpy numbers and other values as the folder's
    ``plan.json`` would hold them)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _team_sheets(
    store: Store,
    name: str,
    day: str,
    area: Area,
    problem: PatrolProblem,
    plan: PatrolPlan,
    routes: gpd.GeoDataFrame,
) -> list[str]:
    """Store one ``<team>.pdf`` route sheet per route of ``plan``; their names."""
    names = []
    for route in plan.routes:
        team = problem.teams[route.team]
        one = dataclasses.replace(plan, routes=(route,))
        sheet = render_route_sheets(problem, one, routes, area.edges, area.metric_crs, date=day)
        store.save_plan_file(name, day, f"{team.id}.pdf", sheet)
        names.append(f"{team.id}.pdf")
    return names


def plan_teams(
    where: AreaRef,
    day: str,
    config_path: Path | str | None,
    teams: Sequence[str],
    *,
    time_limit_s: float,
) -> PatrolRun:
    """Plan shift ``day`` for ``teams`` only; the day's files of other teams are kept.

    Writes ``<team>.gpx`` and ``<team>.pdf`` of each planned team and puts its
    routes and stops into the day's ``plan.geojson`` and ``plan.json`` in place of
    its old ones (read-merge-write under the area's lock). The all-teams
    ``route_sheets.pdf`` no longer matches and is removed (plan all teams to get it).
    In a database: the same through the store (``Store.update_plan``; no GPX files).
    """
    stored = database_area(where)
    wanted = sorted(set(map(str, teams)))
    config = area_config(where, config_path)
    if stored is None:
        ws = Workspace(area_folder(where))
        area = read_area(ws.path)
    else:
        area = stored.store.read_area(stored.name)
    known = set() if area.teams is None else set(area.teams["id"].astype(str))
    unknown = [t for t in wanted if t not in known]
    if not wanted or unknown:
        raise InputError(
            f"no team {', '.join(unknown) or '(none given)'} in area {area.name}; "
            f"teams are {', '.join(sorted(known)) or 'none'}"
        )
    assert area.teams is not None
    area = dataclasses.replace(area, teams=area.teams[area.teams["id"].astype(str).isin(wanted)])
    problem, network = area_problem(area, config)
    plan = solve_patrol(
        problem,
        time_limit_s=float(time_limit_s),
        seed=int(config.solver.seed),
        balance=config.workload.balance,
        balance_weight=config.workload.balance_weight,
        mode_weights=dict(config.workload.mode_weights.items()),
    )
    visits, routes = plan_frames(problem, plan, network)
    fresh = plan_geojson(visits, routes)
    rows = routes.drop(columns="geometry").to_dict(orient="records")

    def merged(old: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The day's GeoJSON and summary with ``wanted``'s part replaced."""
        kept = [
            f
            for f in (old["geojson"]["features"] if old else [])
            if str(f["properties"].get("team")) not in wanted
        ]
        kept_rows = [
            r
            for r in (old["summary"].get("teams", []) if old else [])
            if str(r.get("team")) not in wanted
        ]
        features = kept + fresh["features"]
        summary = {
            "area": area.name,
            "prize": plan.prize,
            "seed": plan.seed,
            "solve_s": round(plan.solve_s, 2),
            "stops": problem.n_stops,
            "visited": sum(1 for f in features if f["properties"].get("feature") == "stop"),
            "skipped": [problem.stops[i].id for i in plan.skipped if not problem.stops[i].is_fill],
            "teams": kept_rows + json.loads(json.dumps(rows, default=str)),
            "planned_teams": wanted,
        }
        return {"type": "FeatureCollection", "features": features}, summary

    if stored is not None:
        store, name = stored.store, stored.name
        files = _team_sheets(store, name, day, area, problem, plan, routes)

        def change(old: PlanDocument | None) -> PlanDocument:
            given = None if old is None else {"summary": old.summary, "geojson": old.geojson}
            geojson, summary = merged(given)
            return PlanDocument(day, _plain(summary), _plain(geojson))

        store.update_plan(name, day, change)
        store.save_plan_file(name, day, "route_sheets.pdf", None)
        return PatrolRun(problem, plan, visits, routes, tuple(Path(f) for f in files))
    out = ws.plans_dir(day)
    paths: list[Path] = []
    for route in plan.routes:
        team = problem.teams[route.team]
        one = dataclasses.replace(plan, routes=(route,))
        sheet = render_route_sheets(problem, one, routes, area.edges, area.metric_crs, date=day)
        paths.append(write_bytes_atomic(out / f"{team.id}.pdf", sheet))
    for team in routes["team"]:
        paths.append(
            write_bytes_atomic(
                out / f"{team}.gpx", plan_gpx(visits, routes, str(team)).encode("utf-8")
            )
        )
    with ws.lock():
        geojson, summary = merged(read_plan(out))
        paths.append(
            write_bytes_atomic(
                out / "plan.geojson", json.dumps(geojson, ensure_ascii=False).encode("utf-8")
            )
        )
        paths.append(
            write_bytes_atomic(
                out / "plan.json",
                (json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n").encode(
                    "utf-8"
                ),
            )
        )
        (out / "route_sheets.pdf").unlink(missing_ok=True)
    return PatrolRun(problem, plan, visits, routes, tuple(paths))


def shift_download(where: AreaRef, day: str, name: str) -> bytes | None:
    """A download of a shift's plan: ``route_sheets.pdf``, ``<team>.pdf`` or ``<team>.gpx``;
    None when not computed. From the folder's file; for an area in a database the PDF from
    the store and the GPX made from the stored plan (:func:`geogrid.io.plans.plan_phone_file`).
    """
    if Path(name).name != name:
        raise InputError(f"{name!r}: give a file name of the plan, not a path")
    stored = database_area(where)
    if stored is None:
        path = shift_file(area_folder(where), day, name)
        return None if path is None else path.read_bytes()
    store, area = stored.store, stored.name
    if name.endswith(".gpx"):
        team = name.removesuffix(".gpx")
        found = store.read_plan(area, day)
        if found is None or found.geojson is None:
            return None
        if not any(
            str(f["properties"].get("team")) == team and f["properties"].get("feature") == "route"
            for f in found.geojson.get("features", [])
        ):
            return None
        return plan_phone_file(found.geojson, team).encode("utf-8")
    return store.read_plan_file(area, day, name)


def shift_config(folder: Path | str, fallback: Path | None = None) -> Path | None:
    """The patrol config of an area: its ``patrol.toml``, else ``fallback``, when they exist."""
    for candidate in (Workspace(folder).patrol_config_path, fallback):
        if candidate is not None and candidate.exists():
            return candidate
    return None


def planned_days(folder: Path | str) -> list[str]:
    """Shift dates with a computed plan, newest first."""
    web = Workspace(folder).web_plans_dir
    if not web.exists():
        return []
    return sorted((p.name for p in web.iterdir() if has_plan(p)), reverse=True)


def read_shift_plan(folder: Path | str, day: str) -> dict[str, Any] | None:
    """``plan.json`` (``summary``) and ``plan.geojson`` (``geojson``) of a shift; None if not
    computed."""
    return read_plan(Workspace(folder).plans_dir(day))


def shift_file(folder: Path | str, day: str, name: str) -> Path | None:
    """A file of a shift's plan (``route_sheets.pdf``, ``<team>.pdf``, ``<team>.gpx``); None if
    absent.

    ``name`` is a bare file name (no folders).
    """
    if Path(name).name != name:
        raise InputError(f"{name!r}: give a file name of the plan, not a path")
    path = Workspace(folder).plans_dir(day) / name
    return path if path.exists() else None


def posts_from_area(area: Area, layer: str) -> gpd.GeoDataFrame:
    """The post locations (e.g. police) of a layer, as points."""
    if layer not in area.layers:
        raise InputError(
            f"area {area.path} has no layer {layer!r}; it has {', '.join(sorted(area.layers))}"
        )
    posts = area.layers[layer].copy()
    posts["geometry"] = posts.geometry.representative_point()
    return posts.set_index("id")


def coverage_report(
    folder: AreaRef,
    posts_layer: str,
    minutes: tuple[float, ...] = (1.0, 3.0, 5.0),
    mode: str = "walk",
    speed_kmh: float | None = None,
    out_path: Path | str | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """Service areas of the posts and what they cover (incidents, households, places).

    Every point (posts and demand) must lie within ``max_snap_m`` of a street
    of the mode; the error names the layer and the points that do not.
    """
    area = read_where(folder)
    nodes, edges = area.require_streets("geogrid coverage")
    network = StreetNetwork.from_frames(nodes, edges, area.metric_crs)
    posts = posts_from_area(area, posts_layer)
    demand = _demand_layers(area, exclude=posts_layer)
    check_near_streets(network, posts.reset_index(), posts_layer, mode, max_snap_m)
    for label, frame in demand.items():
        check_near_streets(network, frame, label, mode, max_snap_m)
    areas = service_areas(
        network, posts, minutes, mode=mode, speed_kmh=speed_kmh, max_snap_m=max_snap_m
    )
    shares = coverage_shares(
        network, posts, demand, minutes, mode=mode, speed_kmh=speed_kmh, max_snap_m=max_snap_m
    )
    if out_path is not None:
        write_bytes_atomic(Path(out_path), areas.to_json(ensure_ascii=False).encode("utf-8"))
    return areas, shares


def _demand_layers(area: Area, exclude: str | None = None) -> dict[str, gpd.GeoDataFrame]:
    demand: dict[str, gpd.GeoDataFrame] = {}
    if area.incidents is not None and len(area.incidents):
        demand["incidents"] = area.incidents
    if len(area.buildings) and "households" in area.buildings:
        b = area.buildings[area.buildings["households"].fillna(0) > 0].copy()
        b["geometry"] = b.geometry.representative_point()
        b["weight"] = b["households"].astype(float)
        demand["households"] = b
    places = [f for name, f in area.layers.items() if name != exclude and len(f)]
    if places:
        import pandas as pd

        key = gpd.GeoDataFrame(pd.concat(places, ignore_index=True), crs="EPSG:4326")
        key["geometry"] = key.geometry.representative_point()
        demand["key locations"] = key
    return demand


def site_posts(
    folder: AreaRef,
    k: int,
    minutes: float = 3.0,
    existing_layer: str | None = "police",
    mode: str = "walk",
    speed_kmh: float | None = None,
    demand: str = "incidents",
    time_limit_s: float = 10.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Choose ``k`` new posts maximising the demand reached within ``minutes``."""
    from geogrid.planning.coverage import choose_posts

    area = read_where(folder)
    nodes, edges = area.require_streets("siting posts")
    network = StreetNetwork.from_frames(nodes, edges, area.metric_crs)
    layers = _demand_layers(area)
    if demand not in layers:
        raise InputError(f"no demand layer {demand!r}; choose from {', '.join(layers)}")
    existing = posts_from_area(area, existing_layer) if existing_layer else None
    check_near_streets(network, layers[demand], demand, mode, max_snap_m)
    if existing is not None and existing_layer:
        check_near_streets(network, existing.reset_index(), existing_layer, mode, max_snap_m)
    return choose_posts(
        network,
        layers[demand],
        k,
        minutes=minutes,
        existing=existing,
        mode=mode,
        speed_kmh=speed_kmh,
        time_limit_s=time_limit_s,
        max_snap_m=max_snap_m,
    )
