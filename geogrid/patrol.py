"""Patrol planning: teams, stops, the compiled problem, plans and their checker.

Geometry -> matrix -> model. Stops come from hot spots
(:func:`stops_from_hotspots`, any frame shaped like
``geogrid.incidents.rank_hotspots`` output), key locations
(:func:`stops_from_places`) or grids (:func:`stops_from_grids`); teams from
the workspace teams layer (:func:`teams_from_frame`). :func:`build_problem`
measures travel times along the streets once per travel mode and speed and
compiles an immutable :class:`PatrolProblem` (validated once, solved many
times). :func:`solve_patrol` hands numbers to :mod:`geogrid.solver`;
:func:`check_plan` verifies a plan against the problem independently of the
solver. Times are seconds after midnight of the shift day (``*_s``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.errors import InfeasibleError, InputError
from geogrid.network import DEFAULT_SPEEDS_KMH, StreetNetwork, route_geometry, travel_time_matrix
from geogrid.solver import improve_prize_routes, improve_required_routes, solve_routing

DAY_S = 86_400
POLISH_SHARE_ORTOOLS = 0.3
"""In pure team orienteering and in routing where every stop is required, OR-Tools
gets this share of the time for a first plan; the compiled searches
(:func:`geogrid.solver.improve_prize_routes`, :func:`geogrid.solver.improve_required_routes`)
get the rest."""
SKIP_WEIGHT = 1_000
"""Penalty per prize point for skipping an optional stop, in seconds of travel.

A prize point is worth 1000 s of travel: the solver never skips a stop it can fit."""


def parse_hhmm(text: str, what: str = "time") -> int:
    """``"07:30"`` -> 27000 seconds after midnight."""
    try:
        hh, mm = str(text).strip().split(":")
        h, m = int(hh), int(mm)
        if not (0 <= h <= 24 and 0 <= m < 60):
            raise ValueError
    except ValueError as err:
        raise InputError(f"{what}: {text!r} is not a time; write HH:MM, e.g. 07:30") from err
    return h * 3600 + m * 60


def format_hhmm(seconds: float) -> str:
    """Seconds after midnight -> ``"HH:MM"`` (rounded down; next day wraps)."""
    minutes = int(seconds // 60)
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Team:
    """A volunteer patrol team (shift in seconds after midnight; end > start)."""

    id: str
    mode: str = "walk"
    speed_kmh: float = 4.5
    shift_start_s: int = 0
    shift_end_s: int = DAY_S
    name: str = ""
    leader: str = ""
    size: int = 1
    skills: frozenset[str] = frozenset()
    capacity: int | None = None
    base: tuple[float, float] | None = None  # lon, lat


@dataclass(frozen=True)
class Stop:
    """A place a team should pass: its prize, dwell and time window.

    ``window_s`` bounds the *start* of the stay. ``revisit_of`` names the
    stop this one repeats (at least ``min_gap_s`` after it started).
    """

    id: str
    prize: int = 1
    dwell_s: int = 600
    window_s: tuple[int, int] | None = None
    required: bool = False
    name: str = ""
    kind: str = "hotspot"
    teams: frozenset[str] | None = None
    skill: str | None = None
    demand: int = 0
    revisit_of: str | None = None
    min_gap_s: int = 0
    notes: str = ""
    point: tuple[float, float] | None = None  # lon, lat


@dataclass(frozen=True, eq=False)
class PatrolProblem:
    """Teams, stops and travel matrices compiled into plain arrays.

    Location ``i < n_stops`` is stop ``i``; ``start_loc[t]`` and
    ``end_loc[t]`` are team ``t``'s base locations. ``travel_s[k]`` and
    ``metres[k]`` are matrices over all locations; team ``t`` uses
    ``matrix_of_team[t]``.
    """

    teams: tuple[Team, ...]
    stops: tuple[Stop, ...]
    travel_s: np.ndarray
    metres: np.ndarray
    matrix_of_team: tuple[int, ...]
    start_loc: tuple[int, ...]
    end_loc: tuple[int, ...]
    metric_crs: str | None = None
    stop_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stop_index", {s.id: i for i, s in enumerate(self.stops)})
        problems = validate_problem(self)
        if problems:
            raise InputError("the patrol problem is malformed", problems)
        for arr in (self.travel_s, self.metres):
            arr.setflags(write=False)

    @property
    def n_stops(self) -> int:
        return len(self.stops)

    @property
    def n_locations(self) -> int:
        return int(self.travel_s.shape[1])

    def allowed_teams(self, stop: Stop) -> list[int]:
        """Team indices that may serve ``stop`` (area and skill)."""
        return [
            t
            for t, team in enumerate(self.teams)
            if (stop.teams is None or team.id in stop.teams)
            and (stop.skill is None or stop.skill in team.skills)
        ]

    @classmethod
    def from_matrix(
        cls,
        teams: Sequence[Team],
        stops: Sequence[Stop],
        travel_s: np.ndarray,
        *,
        metres: np.ndarray | None = None,
        matrix_of_team: Sequence[int] | None = None,
        start_loc: Sequence[int] | None = None,
        end_loc: Sequence[int] | None = None,
    ) -> PatrolProblem:
        """Compile from a ready travel matrix (``(L, L)`` or ``(m, L, L)``).

        Without ``start_loc``/``end_loc`` the locations after the stops are
        the teams' bases in team order.
        """
        travel = np.asarray(travel_s)
        if travel.ndim == 2:
            travel = travel[None]
        travel = np.ceil(travel).astype(np.int64)
        dist = travel.astype(float) if metres is None else np.asarray(metres, dtype=float)
        if dist.ndim == 2:
            dist = dist[None]
        n = len(stops)
        start = tuple(start_loc) if start_loc is not None else tuple(n + t for t in range(len(teams)))
        end = tuple(end_loc) if end_loc is not None else start
        mot = tuple(matrix_of_team) if matrix_of_team is not None else tuple(0 for _ in teams)
        return cls(tuple(teams), tuple(stops), travel, dist, mot, start, end)


def validate_problem(problem: PatrolProblem) -> list[str]:
    """Every structural problem of a compiled problem (empty when fine)."""
    out: list[str] = []
    t, m = problem.travel_s, problem.metres
    if t.ndim != 3 or t.shape[1] != t.shape[2] or m.shape != t.shape:
        return [f"travel matrices must be (m, L, L) and alike; got {t.shape} and {m.shape}"]
    n_loc = t.shape[1]
    if len(problem.teams) == 0:
        out.append("no teams: add at least one team (teams.geojson or the config)")
    if len({tm.id for tm in problem.teams}) != len(problem.teams):
        out.append("team ids repeat; give each team its own id")
    if len(problem.stop_index) != len(problem.stops):
        out.append("stop ids repeat; give each stop its own id")
    for name in ("matrix_of_team", "start_loc", "end_loc"):
        if len(getattr(problem, name)) != len(problem.teams):
            out.append(f"{name} needs one entry per team")
    if any(not 0 <= k < t.shape[0] for k in problem.matrix_of_team):
        out.append("matrix_of_team points at a matrix that does not exist")
    for loc in (*problem.start_loc, *problem.end_loc):
        if not problem.n_stops <= loc < n_loc:
            out.append(f"base location {loc} must come after the {problem.n_stops} stops")
    if (t < 0).any() or not np.isfinite(m).all():
        out.append("travel times must be finite and >= 0")
    for team in problem.teams:
        if team.shift_end_s <= team.shift_start_s:
            out.append(f"team {team.id}: shift ends before it starts")
    for stop in problem.stops:
        if stop.dwell_s < 0 or stop.prize < 0:
            out.append(f"stop {stop.id}: dwell and prize must be >= 0")
        if stop.window_s is not None and stop.window_s[1] < stop.window_s[0]:
            out.append(f"stop {stop.id}: window ends before it starts")
        if stop.revisit_of is not None and stop.revisit_of not in problem.stop_index:
            out.append(f"stop {stop.id}: revisit_of {stop.revisit_of!r} is no stop")
    return out


# ------------------------------------------------------------------ builders


def teams_from_frame(teams: gpd.GeoDataFrame, skills: dict[str, Iterable[str]] | None = None) -> list[Team]:
    """Teams from the workspace teams layer (see docs/LAYERS.md)."""
    out = []
    frame = teams.to_crs("EPSG:4326")
    for _, row in frame.iterrows():
        mode = str(row["mode"])
        speed = row.get("speed_kmh")
        speed = float(speed) if speed is not None and not pd.isna(speed) else DEFAULT_SPEEDS_KMH[mode]
        start = parse_hhmm(row.get("shift_start") or "00:00", f"team {row['id']} shift_start")
        end = parse_hhmm(row.get("shift_end") or "24:00", f"team {row['id']} shift_end")
        if end <= start:
            end += DAY_S
        size = row.get("size")
        tid = str(row["id"])
        out.append(
            Team(
                id=tid,
                mode=mode,
                speed_kmh=speed,
                shift_start_s=start,
                shift_end_s=end,
                name=str(row.get("name") or tid),
                leader=str(row.get("leader") or ""),
                size=int(size) if size is not None and not pd.isna(size) else 1,
                skills=frozenset((skills or {}).get(tid, ())),
                base=(float(row.geometry.x), float(row.geometry.y)),
            )
        )
    return out


def _window(start: Any, end: Any, what: str) -> tuple[int, int] | None:
    if start is None or end is None or pd.isna(start) or pd.isna(end) or start == "" or end == "":
        return None
    a, b = parse_hhmm(start, what), parse_hhmm(end, what)
    if b < a:
        b += DAY_S
    return a, b


def _point(geom: Any) -> tuple[float, float]:
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(p.x), float(p.y)


def stops_from_hotspots(
    hotspots: gpd.GeoDataFrame,
    *,
    prize_per_priority: int = 10,
    default_dwell_min: float = 12.0,
    required_min_priority: int | None = None,
    revisit_min_priority: int | None = None,
    revisit_after_min: float = 60.0,
    teams: Iterable[str] | None = None,
) -> list[Stop]:
    """Stops from a ranked hot-spot frame (``rank_hotspots`` columns).

    Uses ``id``, ``priority`` (1-5), optional ``dwell_min`` (Koper curve:
    10-15 minutes), ``window_start``/``window_end`` ("HH:MM"), ``score`` and
    ``count`` for notes. Hot spots of priority >= ``revisit_min_priority``
    get a second visit at least ``revisit_after_min`` later.
    """
    missing = [c for c in ("id", "priority") if c not in hotspots.columns]
    if missing:
        raise InputError(f"hot spots lack column(s) {', '.join(missing)}")
    allowed = frozenset(teams) if teams is not None else None
    frame = hotspots.to_crs("EPSG:4326")
    out: list[Stop] = []
    for _, row in frame.iterrows():
        pri = int(row["priority"])
        dwell = row.get("dwell_min")
        dwell_min = float(dwell) if dwell is not None and not pd.isna(dwell) else default_dwell_min
        hid = f"hotspot-{row['id']}"
        notes = []
        if "count" in row and not pd.isna(row["count"]):
            notes.append(f"{int(row['count'])} incidents")
        if "peak_hours" in row and row["peak_hours"] is not None and not pd.isna(row["peak_hours"]):
            notes.append(f"peak {row['peak_hours']}")
        stop = Stop(
            id=hid,
            prize=pri * prize_per_priority,
            dwell_s=int(round(dwell_min * 60)),
            window_s=_window(row.get("window_start"), row.get("window_end"), f"hot spot {row['id']}"),
            required=required_min_priority is not None and pri >= required_min_priority,
            name=str(row.get("name") or f"热点 {row['id']}"),
            kind="hotspot",
            teams=allowed,
            notes="; ".join(notes),
            point=_point(row.geometry),
        )
        out.append(stop)
        if revisit_min_priority is not None and pri >= revisit_min_priority:
            out.append(
                replace(
                    stop,
                    id=hid + "-again",
                    name=stop.name + " (复巡)",
                    required=False,
                    revisit_of=hid,
                    min_gap_s=int(revisit_after_min * 60),
                    notes=f"revisit >= {revisit_after_min:g} min after first pass",
                )
            )
    return out


def _place_name(row: Any, kind: str | None) -> str:
    name = row.get("name")
    if name is not None and not pd.isna(name) and str(name).strip():
        return str(name)
    return f"{kind or row.get('kind') or 'place'} {row['id']}"


def stops_from_places(
    places: gpd.GeoDataFrame,
    *,
    prize: int = 10,
    dwell_min: float = 10.0,
    window: tuple[str, str] | None = None,
    required: bool = False,
    kind: str | None = None,
    skill: str | None = None,
    teams: Iterable[str] | None = None,
    notes: str = "",
) -> list[Stop]:
    """Stops at key locations (schools, markets, stations, ...), one per feature."""
    allowed = frozenset(teams) if teams is not None else None
    win = _window(window[0], window[1], "place window") if window else None
    frame = places.to_crs("EPSG:4326")
    return [
        Stop(
            id=f"{kind or row.get('kind', 'place')}-{row['id']}",
            prize=int(prize),
            dwell_s=int(round(dwell_min * 60)),
            window_s=win,
            required=required,
            name=_place_name(row, kind),
            kind=str(kind or row.get("kind") or "place"),
            teams=allowed,
            skill=skill,
            notes=notes,
            point=_point(row.geometry),
        )
        for _, row in frame.iterrows()
    ]


def stops_from_grids(
    grids: gpd.GeoDataFrame, *, teams: Iterable[str] | None = None, dwell_min: float = 0.0
) -> list[Stop]:
    """"Pass through every grid at least once": a required stop inside each grid."""
    allowed = frozenset(teams) if teams is not None else None
    frame = grids.to_crs("EPSG:4326")
    return [
        Stop(
            id=f"grid-{row['code']}",
            prize=1,
            dwell_s=int(dwell_min * 60),
            required=True,
            name=str(row.get("name") or row["code"]),
            kind="grid",
            teams=allowed,
            point=_point(row.geometry),
        )
        for _, row in frame.iterrows()
    ]


def build_problem(
    network: StreetNetwork, teams: Sequence[Team], stops: Sequence[Stop], *, max_snap_m: float = 500.0
) -> PatrolProblem:
    """Measure travel along the streets once per (mode, speed) and compile."""
    problems = [f"stop {s.id}: no point" for s in stops if s.point is None]
    problems += [f"team {t.id}: no base point" for t in teams if t.base is None]
    if problems:
        raise InputError("cannot place stops and teams on the streets", problems)
    points = [s.point for s in stops] + [t.base for t in teams]
    series = gpd.GeoSeries(
        shapely.points(np.asarray(points, dtype=float)),
        index=[s.id for s in stops] + [f"base of {t.id}" for t in teams],
        crs="EPSG:4326",
    )
    keys: list[tuple[str, float]] = []
    for t in teams:
        if (t.mode, t.speed_kmh) not in keys:
            keys.append((t.mode, t.speed_kmh))
    travel, metres = [], []
    for mode, speed in keys:
        ttm = travel_time_matrix(network, series, mode=mode, speed_kmh=speed, max_snap_m=max_snap_m)
        travel.append(ttm.seconds)
        metres.append(ttm.metres)
    problem = PatrolProblem.from_matrix(
        teams,
        stops,
        np.stack(travel),
        metres=np.stack(metres),
        matrix_of_team=[keys.index((t.mode, t.speed_kmh)) for t in teams],
    )
    object.__setattr__(problem, "metric_crs", network.metric_crs)
    return problem


# ------------------------------------------------------------------- plans


@dataclass(frozen=True)
class Visit:
    """One stop on a team's route (times in seconds after midnight)."""

    stop: int
    arrival_s: int
    start_s: int
    leave_s: int
    travel_s: int
    metres: float


@dataclass(frozen=True)
class TeamRoute:
    """A team's ordered visits, from its base back to its base."""

    team: int
    depart_s: int
    visits: tuple[Visit, ...]
    return_s: int
    metres: float

    @property
    def total_s(self) -> int:
        return self.return_s - self.depart_s


@dataclass(frozen=True)
class PatrolPlan:
    """A plan: one route per team, the stops left out, and how it was found."""

    routes: tuple[TeamRoute, ...]
    skipped: tuple[int, ...]
    prize: int
    seed: int
    solve_s: float

    def visited(self) -> list[int]:
        return [v.stop for r in self.routes for v in r.visits]


def schedule_route(
    problem: PatrolProblem,
    team: int,
    order: Sequence[int],
    depart_s: int,
    not_before: Sequence[int] | None = None,
) -> TeamRoute:
    """Earliest-start schedule of ``order`` for ``team`` leaving at ``depart_s``.

    ``not_before`` optionally holds a lower bound per visit on its start.
    """
    k = problem.matrix_of_team[team]
    loc = problem.start_loc[team]
    clock = depart_s
    visits = []
    total_m = 0.0
    for n, i in enumerate(order):
        stop = problem.stops[i]
        leg = int(problem.travel_s[k, loc, i])
        arrival = clock + leg
        start = max(arrival, stop.window_s[0]) if stop.window_s else arrival
        if not_before is not None:
            start = max(start, int(not_before[n]))
        visits.append(Visit(i, arrival, start, start + stop.dwell_s, leg, float(problem.metres[k, loc, i])))
        total_m += float(problem.metres[k, loc, i])
        clock = start + stop.dwell_s
        loc = i
    end = problem.end_loc[team]
    total_m += float(problem.metres[k, loc, end])
    return TeamRoute(team, depart_s, tuple(visits), clock + int(problem.travel_s[k, loc, end]), total_m)


def check_plan(problem: PatrolProblem, plan: PatrolPlan) -> list[str]:
    """Every violated constraint of ``plan`` (empty list: the plan is valid).

    Independent of the solver: recomputes every leg from the problem's
    matrices and checks shifts, windows, dwell, allowed teams, capacity,
    required stops, revisit gaps, prize and that each stop is visited once.
    """
    out: list[str] = []
    if len(plan.routes) != len(problem.teams):
        return [f"plan has {len(plan.routes)} routes for {len(problem.teams)} teams"]
    seen: dict[int, tuple[int, int]] = {}
    for t, route in enumerate(plan.routes):
        team = problem.teams[t]
        k = problem.matrix_of_team[t]
        if route.team != t:
            out.append(f"route {t} claims team {route.team}")
        if route.depart_s < team.shift_start_s:
            out.append(f"{team.id}: leaves at {format_hhmm(route.depart_s)} before the shift starts")
        loc, clock, load = problem.start_loc[t], route.depart_s, 0
        for n, v in enumerate(route.visits, 1):
            if not 0 <= v.stop < problem.n_stops:
                out.append(f"{team.id}: visit {n} is no stop")
                continue
            stop = problem.stops[v.stop]
            if v.stop in seen:
                out.append(f"stop {stop.id} visited twice")
            seen[v.stop] = (t, v.start_s)
            leg = int(problem.travel_s[k, loc, v.stop])
            if v.arrival_s < clock + leg:
                out.append(f"{team.id} at {stop.id}: arrives {v.arrival_s - clock - leg} s too early for the travel time")
            if v.start_s < v.arrival_s:
                out.append(f"{team.id} at {stop.id}: starts before arriving")
            if stop.window_s and not stop.window_s[0] <= v.start_s <= stop.window_s[1]:
                out.append(
                    f"{team.id} at {stop.id}: starts {format_hhmm(v.start_s)} outside "
                    f"{format_hhmm(stop.window_s[0])}-{format_hhmm(stop.window_s[1])}"
                )
            if v.leave_s - v.start_s < stop.dwell_s:
                out.append(f"{team.id} at {stop.id}: stays {v.leave_s - v.start_s} s < dwell {stop.dwell_s} s")
            if t not in problem.allowed_teams(stop):
                out.append(f"{team.id} may not serve {stop.id} (area or skill)")
            load += stop.demand
            loc, clock = v.stop, v.leave_s
        back = clock + int(problem.travel_s[k, loc, problem.end_loc[t]])
        if route.return_s < back:
            out.append(f"{team.id}: returns at {route.return_s} before it can ({back})")
        if route.return_s > team.shift_end_s:
            out.append(f"{team.id}: back at {format_hhmm(route.return_s)} after the shift ends {format_hhmm(team.shift_end_s)}")
        if team.capacity is not None and load > team.capacity:
            out.append(f"{team.id}: load {load} > capacity {team.capacity}")
    for i, stop in enumerate(problem.stops):
        if stop.required and i not in seen:
            out.append(f"required stop {stop.id} is not visited")
        if stop.revisit_of is not None and i in seen:
            first = problem.stop_index[stop.revisit_of]
            if first not in seen:
                out.append(f"{stop.id} revisits {stop.revisit_of}, which is not visited")
            elif seen[i][1] - seen[first][1] < stop.min_gap_s:
                out.append(f"{stop.id}: only {(seen[i][1] - seen[first][1]) // 60} min after the first pass")
    if set(plan.skipped) != set(range(problem.n_stops)) - set(seen):
        out.append("skipped stops do not match the stops not visited")
    prize = sum(problem.stops[i].prize for i in seen)
    if plan.prize != prize:
        out.append(f"plan claims prize {plan.prize}, visits are worth {prize}")
    return out


def explain_infeasible(problem: PatrolProblem) -> list[str]:
    """Reasons why required stops cannot be served, one per stop (may be empty)."""
    reasons = []
    for i, stop in enumerate(problem.stops):
        if not stop.required:
            continue
        teams = problem.allowed_teams(stop)
        if not teams:
            reasons.append(f"required stop {stop.id} ({stop.name}): no team has the area or skill {stop.skill!r}")
            continue
        why = []
        for t in teams:
            team, k = problem.teams[t], problem.matrix_of_team[t]
            go = int(problem.travel_s[k, problem.start_loc[t], i])
            back = int(problem.travel_s[k, i, problem.end_loc[t]])
            earliest = team.shift_start_s + go
            lo, hi = stop.window_s if stop.window_s else (earliest, team.shift_end_s)
            start = max(earliest, lo)
            if start > hi:
                why.append(
                    f"{team.id} arrives {format_hhmm(earliest)} at the earliest "
                    f"({go // 60} min from base), after the window closes {format_hhmm(hi)}"
                )
            elif start + stop.dwell_s + back > team.shift_end_s:
                why.append(
                    f"{team.id} cannot stay {stop.dwell_s // 60} min from {format_hhmm(start)} and be "
                    f"back ({back // 60} min) by {format_hhmm(team.shift_end_s)}"
                )
        if len(why) == len(teams):
            reasons.append(f"required stop {stop.id} ({stop.name}): " + "; ".join(why))
    if not reasons:
        for t, team in enumerate(problem.teams):
            need = sum(
                s.dwell_s for s in problem.stops if s.required and problem.allowed_teams(s) == [t]
            )
            if need > team.shift_end_s - team.shift_start_s:
                reasons.append(
                    f"{team.id}: its required stops need {need // 60} min of dwell, "
                    f"the shift is {(team.shift_end_s - team.shift_start_s) // 60} min"
                )
    return reasons


def solve_patrol(
    problem: PatrolProblem,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    solution_limit: int | None = None,
    skip_weight: int = SKIP_WEIGHT,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
) -> PatrolPlan:
    """Plan routes for every team; raises InfeasibleError saying why when impossible.

    The objective is travel time (seconds) plus ``skip_weight`` x prize for
    every optional stop left out: with the default a prize point is worth
    1000 s of walking, so stops are skipped only when they do not fit.

    Pure team orienteering (only optional stops with prizes, no windows,
    revisits, capacities or restrictions) is polished by an iterated local
    search after OR-Tools, unless ``solution_limit`` asks for a
    deterministic OR-Tools-only run.
    """
    reasons = explain_infeasible(problem)
    if reasons:
        raise InfeasibleError("no plan can serve every required stop", reasons)
    n = problem.n_stops
    n_loc = problem.n_locations
    service = [s.dwell_s for s in problem.stops] + [0] * (n_loc - n)
    windows = [s.window_s for s in problem.stops] + [None] * (n_loc - n)
    penalties: list[int | None] = [None if s.required else skip_weight * s.prize for s in problem.stops]
    penalties += [None] * (n_loc - n)
    allowed: list[Sequence[int] | None] = [problem.allowed_teams(s) for s in problem.stops]
    allowed += [None] * (n_loc - n)
    capacity = None
    if any(t.capacity is not None for t in problem.teams):
        capacity = [t.capacity if t.capacity is not None else 2**31 for t in problem.teams]
    gaps = [
        (problem.stop_index[s.revisit_of], i, s.min_gap_s)
        for i, s in enumerate(problem.stops)
        if s.revisit_of is not None
    ]
    orienteering = solution_limit is None and _pure_orienteering(problem)
    required = solution_limit is None and _required_routing(problem)
    polish = orienteering or required
    result = solve_routing(
        problem.travel_s,
        problem.matrix_of_team,
        problem.start_loc,
        problem.end_loc,
        [(t.shift_start_s, t.shift_end_s) for t in problem.teams],
        service,
        windows,
        penalties,
        allowed=allowed,
        demand=[s.demand for s in problem.stops] + [0] * (n_loc - n),
        capacity=capacity,
        min_gaps=gaps,
        time_limit_s=time_limit_s * (POLISH_SHARE_ORTOOLS if polish else 1.0),
        solution_limit=solution_limit,
        seed=seed,
        metaheuristic=metaheuristic,
    )
    improved = None
    if required and result.found:
        improved = improve_required_routes(
            problem.travel_s[problem.matrix_of_team[0]],
            service,
            windows,
            [s.demand for s in problem.stops] + [0] * (n_loc - n),
            capacity if capacity is not None else [2**40] * len(problem.teams),
            problem.start_loc,
            problem.end_loc,
            [(t.shift_start_s, t.shift_end_s) for t in problem.teams],
            result.routes,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            seed=seed,
        )
    elif orienteering and result.found:
        k = problem.matrix_of_team[0]
        improved = improve_prize_routes(
            problem.travel_s[k] + np.asarray(service, dtype=np.int64)[:, None],
            problem.start_loc,
            problem.end_loc,
            [t.shift_end_s - t.shift_start_s for t in problem.teams],
            [s.prize for s in problem.stops] + [0] * (n_loc - n),
            result.routes,
            time_limit_s=time_limit_s * (1.0 - POLISH_SHARE_ORTOOLS),
            seed=seed,
        )
    if improved is not None:  # orders only: times are scheduled below from the shift start
        result = dataclasses.replace(
            result,
            routes=improved,
            service_start=tuple(tuple(0 for _ in r) for r in improved),
            start_time=tuple(t.shift_start_s for t in problem.teams),
        )
    if not result.found:
        raise InfeasibleError(
            "the solver found no plan that serves every required stop within the shifts",
            [
                "each required stop fits on its own, but not all together: make some optional, "
                "widen their windows, shorten dwell times or add a team",
                f"searched {result.solve_s:.1f} s; a longer time limit may help",
            ],
        )
    routes = tuple(
        schedule_route(problem, t, order, result.start_time[t], result.service_start[t])
        for t, order in enumerate(result.routes)
    )
    # push departures later when waiting at the first stop is pointless
    routes = tuple(_shift_departure(problem, r) for r in routes)
    visited = {v.stop for r in routes for v in r.visits}
    plan = PatrolPlan(
        routes=routes,
        skipped=tuple(i for i in range(n) if i not in visited),
        prize=sum(problem.stops[i].prize for i in visited),
        seed=seed,
        solve_s=result.solve_s,
    )
    violations = check_plan(problem, plan)
    if violations:  # the solver and the checker disagree: never hand out such a plan
        raise InfeasibleError("the solver returned a plan that fails check_plan", violations)
    return plan


def _required_routing(problem: PatrolProblem) -> bool:
    """True for vehicle routing proper: every stop required, one travel matrix, no
    revisits or team restrictions (windows, dwell and capacities may bind)."""
    return (
        problem.n_stops > 0
        and len(set(problem.matrix_of_team)) == 1
        and all(s.required and s.revisit_of is None and s.teams is None and s.skill is None for s in problem.stops)
    )


def _pure_orienteering(problem: PatrolProblem) -> bool:
    """True for team orienteering proper: optional stops with prizes, nothing else binds
    (no windows, revisits, capacities, restrictions, required stops; one travel matrix)."""
    return (
        len(set(problem.matrix_of_team)) == 1
        and all(t.capacity is None for t in problem.teams)
        and all(
            s.window_s is None and s.revisit_of is None and not s.required and s.teams is None and s.skill is None
            for s in problem.stops
        )
    )


def _shift_departure(problem: PatrolProblem, route: TeamRoute) -> TeamRoute:
    if not route.visits:
        return replace(route, depart_s=route.depart_s, return_s=route.depart_s, metres=0.0)
    first = route.visits[0]
    wait = first.start_s - first.arrival_s
    if wait <= 0:
        return route
    order = [v.stop for v in route.visits]
    starts = [v.start_s for v in route.visits]
    later = schedule_route(problem, route.team, order, route.depart_s + wait, starts)
    ok = all(
        (v.start_s == w.start_s) for v, w in zip(route.visits, later.visits, strict=True)
    )
    return later if ok else route


# ------------------------------------------------------------------ geometry


def plan_frames(
    problem: PatrolProblem, plan: PatrolPlan, network: StreetNetwork | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Plan as frames: ``visits`` (one Point per stop visit) and ``routes``
    (one LineString per team along the streets; straight legs without a network).
    """
    rows, lines = [], []
    for route in plan.routes:
        team = problem.teams[route.team]
        pts = [team.base] + [problem.stops[v.stop].point for v in route.visits] + [team.base]
        for seq, v in enumerate(route.visits, 1):
            stop = problem.stops[v.stop]
            rows.append(
                {
                    "team": team.id,
                    "team_name": team.name,
                    "seq": seq,
                    "stop_id": stop.id,
                    "name": stop.name,
                    "kind": stop.kind,
                    "prize": stop.prize,
                    "arrival": format_hhmm(v.arrival_s),
                    "start": format_hhmm(v.start_s),
                    "leave": format_hhmm(v.leave_s),
                    "dwell_min": round(stop.dwell_s / 60, 1),
                    "travel_min": round(v.travel_s / 60, 1),
                    "distance_m": round(v.metres, 1),
                    "notes": stop.notes,
                    "geometry": shapely.Point(stop.point) if stop.point else None,
                }
            )
        geom = None
        if all(p is not None for p in pts) and route.visits:
            legs = []
            for a, b in zip(pts[:-1], pts[1:], strict=True):
                if network is not None:
                    leg = route_geometry(network, shapely.Point(a), shapely.Point(b), mode=team.mode)
                    legs.extend(shapely.get_coordinates(leg).tolist())
                else:
                    legs.extend([list(a or ()), list(b or ())])
            geom = shapely.LineString(legs)
        lines.append(
            {
                "team": team.id,
                "team_name": team.name,
                "leader": team.leader,
                "mode": team.mode,
                "stops": len(route.visits),
                "prize": sum(problem.stops[v.stop].prize for v in route.visits),
                "depart": format_hhmm(route.depart_s),
                "return": format_hhmm(route.return_s),
                "total_min": round(route.total_s / 60, 1),
                "distance_m": round(route.metres, 1),
                "geometry": geom,
            }
        )
    visits = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        {"team": [], "seq": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326"
    )
    routes = gpd.GeoDataFrame(lines, geometry="geometry", crs="EPSG:4326")
    return visits, routes


def plan_summary(problem: PatrolProblem, plan: PatrolPlan) -> str:
    """A few plain lines per team (for the CLI and notebooks)."""
    lines = [f"prize {plan.prize}, {len(plan.visited())} of {problem.n_stops} stops, solved in {plan.solve_s:.1f} s"]
    for r in plan.routes:
        team = problem.teams[r.team]
        lines.append(
            f"{team.id} {team.name}: {len(r.visits)} stops, {format_hhmm(r.depart_s)}-{format_hhmm(r.return_s)}, "
            f"{r.metres / 1000:.1f} km"
        )
    return "\n".join(lines)

