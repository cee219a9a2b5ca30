"""The patrol model: teams, stops and the compiled problem, free of any solver.

Geometry -> matrix -> model. Stops come from hot spots
(:func:`stops_from_hotspots`, any frame shaped like
``geogrid.incidents.rank_hotspots`` output), key locations
(:func:`stops_from_places`) or grids (:func:`stops_from_grids`); extra
passes that only fill spare time from the hottest spots
(:func:`passes_at_hotspots`) and each team's own grids
(:func:`own_grids`, :func:`passes_through_grids`); teams from the
workspace teams layer (:func:`teams_from_frame`), each with its fair share
of the work (:func:`fair_shares`). :func:`build_problem`
measures travel times along the streets once per travel mode and speed and
compiles an immutable :class:`PatrolProblem` (validated once, solved many
times by :func:`geogrid.planning.solve.solve_patrol`; plans and their
checker live in :mod:`geogrid.planning.plan`). Times are seconds after
midnight of the shift day (``*_s``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.errors import InputError
from geogrid.network import DEFAULT_SPEEDS_KMH, StreetNetwork, travel_time_matrix

DAY_S = 86_400


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
    areas: frozenset[str] | None = None
    roam: bool = False

    def owns(self, stop: Stop) -> bool:
        """True when ``stop`` lies in the team's own area (责任区: one of its community or
        grid codes is among the stop's ``areas``)."""
        return self.areas is not None and not self.areas.isdisjoint(stop.areas)


TEAM_AREAS: tuple[str, ...] = ("strict", "prefer", "off")
"""How a team's area (``Team.areas``) binds it: ``strict`` - a team serves only stops in
its area; ``prefer`` - also stops that lie in no team's area; ``off`` - any stop.
A team without an area (``areas`` None) or with ``roam`` may serve any stop."""


@dataclass(frozen=True)
class Stop:
    """A place a team should pass: its prize, dwell and time window.

    ``window_s`` bounds the *start* of the stay. ``revisit_of`` names the
    stop this one repeats (at least ``min_gap_s`` after it started).
    ``areas`` holds the codes of the communities and grids the stop lies in
    (:func:`geogrid.planning.areas.locate_stops`); see :data:`TEAM_AREAS`.
    A stop with ``fill_value > 0`` is an extra pass (prize 0, never
    required): made only with time to spare once the valuable stops are
    placed, the most ``fill_value`` per added minute first.
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
    fill_value: int = 0
    areas: frozenset[str] = frozenset()

    @property
    def is_fill(self) -> bool:
        """True for an extra pass that only fills spare time (see ``fill_value``)."""
        return self.fill_value > 0


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
    team_areas: str = "strict"

    def __post_init__(self) -> None:
        problems = validate_problem(self)
        if problems:
            raise InputError("the patrol problem is malformed", problems)
        for arr in (self.travel_s, self.metres):
            arr.setflags(write=False)

    @cached_property
    def stop_index(self) -> dict[str, int]:
        """Stop id -> stop index (derived once from ``stops``)."""
        return {s.id: i for i, s in enumerate(self.stops)}

    @property
    def n_stops(self) -> int:
        return len(self.stops)

    @property
    def n_locations(self) -> int:
        return int(self.travel_s.shape[1])

    @cached_property
    def _allowed(self) -> tuple[tuple[int, ...], ...]:
        return tuple(
            tuple(allowed_team_indices(self.teams, s, self.team_areas)) for s in self.stops
        )

    def allowed_teams(self, stop: Stop) -> list[int]:
        """Team indices that may serve ``stop`` (its teams, skill and the teams' areas,
        see :data:`TEAM_AREAS`)."""
        i = self.stop_index.get(stop.id)
        if i is not None and self.stops[i] is stop:
            return list(self._allowed[i])
        return allowed_team_indices(self.teams, stop, self.team_areas)

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
        metric_crs: str | None = None,
        team_areas: str = "strict",
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
        start = (
            tuple(start_loc) if start_loc is not None else tuple(n + t for t in range(len(teams)))
        )
        end = tuple(end_loc) if end_loc is not None else start
        mot = tuple(matrix_of_team) if matrix_of_team is not None else tuple(0 for _ in teams)
        return cls(
            tuple(teams), tuple(stops), travel, dist, mot, start, end, metric_crs, team_areas
        )


def allowed_team_indices(
    teams: Sequence[Team], stop: Stop, team_areas: str = "strict"
) -> list[int]:
    """Indices of the ``teams`` that may serve ``stop``: named by its ``teams``, holding its
    ``skill``, and - unless ``team_areas`` is ``"off"`` - whose area it lies in (a team
    without an area or with ``roam`` anywhere; with ``"prefer"`` any team when the stop
    lies in no team's area), see :data:`TEAM_AREAS`."""
    able = [
        t
        for t, team in enumerate(teams)
        if (stop.teams is None or team.id in stop.teams)
        and (stop.skill is None or stop.skill in team.skills)
    ]
    if team_areas == "off":
        return able
    if team_areas == "prefer" and not any(teams[t].owns(stop) for t in able):
        return able
    return [t for t in able if teams[t].areas is None or teams[t].roam or teams[t].owns(stop)]


def validate_problem(problem: PatrolProblem) -> list[str]:
    """Every structural problem of a compiled problem (empty when fine)."""
    out: list[str] = []
    t, m = problem.travel_s, problem.metres
    if t.ndim != 3 or t.shape[1] != t.shape[2] or m.shape != t.shape:
        return [f"travel matrices must be (m, L, L) and alike; got {t.shape} and {m.shape}"]
    n_loc = t.shape[1]
    if problem.team_areas not in TEAM_AREAS:
        out.append(f"team_areas {problem.team_areas!r}: choose {', '.join(TEAM_AREAS)}")
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
        if stop.fill_value < 0:
            out.append(f"stop {stop.id}: fill_value must be >= 0")
        if stop.is_fill and (stop.required or stop.prize):
            out.append(
                f"stop {stop.id}: an extra pass (fill_value > 0) is never required and has prize 0"
            )
    return out


MODE_WEIGHTS: dict[str, float] = {"walk": 1.0, "bike": 1.5, "drive": 1.5}
"""Default weight of a travel mode in a team's fair share of the work (walking is 1)."""


def fair_shares(
    teams: Sequence[Team], mode_weights: Mapping[str, float] | None = None
) -> tuple[float, ...]:
    """Each team's fair share of the plan's work (sums to 1).

    Proportional to volunteers x mode weight (:data:`MODE_WEIGHTS`, or
    ``mode_weights``) x shift hours: five walkers on a three-hour shift
    should carry more than three, a bike team more than walkers of the same
    size.
    """
    weights = {**MODE_WEIGHTS, **(mode_weights or {})}
    raw = [
        max(t.size, 1) * weights.get(t.mode, 1.0) * (t.shift_end_s - t.shift_start_s) / 3600
        for t in teams
    ]
    total = sum(raw)
    return tuple(r / total if total > 0 else 1 / len(teams) for r in raw)


# ------------------------------------------------------------------ builders


def teams_from_frame(
    teams: gpd.GeoDataFrame, skills: Mapping[str, Iterable[str]] | None = None
) -> list[Team]:
    """Teams from the workspace teams layer (see docs/LAYERS.md)."""
    out = []
    frame = teams.to_crs("EPSG:4326")
    for _, row in frame.iterrows():
        mode = str(row["mode"])
        speed = row.get("speed_kmh")
        speed = (
            float(speed) if speed is not None and not pd.isna(speed) else DEFAULT_SPEEDS_KMH[mode]
        )
        start = parse_hhmm(row.get("shift_start") or "00:00", f"team {row['id']} shift_start")
        end = parse_hhmm(row.get("shift_end") or "24:00", f"team {row['id']} shift_end")
        if end <= start:
            end += DAY_S
        size = row.get("size")
        tid = str(row["id"])
        codes = parse_area_codes(row.get("area_codes"))
        out.append(
            Team(
                id=tid,
                mode=mode,
                speed_kmh=speed,
                shift_start_s=start,
                shift_end_s=end,
                name=_text(row.get("name")) or tid,
                leader=_text(row.get("leader")),
                size=int(size) if size is not None and not pd.isna(size) else 1,
                skills=frozenset((skills or {}).get(tid, ())),
                base=(float(row.geometry.x), float(row.geometry.y)),
                areas=frozenset(codes) if codes else None,
            )
        )
    return out


def _text(value: Any) -> str:
    """A text field of a layer row: None, NaN or NA (a team with no leader) -> ""."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value).strip()


def parse_area_codes(value: Any) -> list[str]:
    """``"110108001002, 110108001-03"`` -> the codes (commas, 、，; or spaces between
    them); empty, None or NaN -> []."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    text = str(value)
    for sep in ("，", "、", ";", "；", " "):
        text = text.replace(sep, ",")
    return [c.strip() for c in text.split(",") if c.strip()]


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
    priorities: list[int] = []
    bad = []
    for n, (hid, value) in enumerate(zip(frame["id"], frame["priority"], strict=True), 1):
        try:
            priorities.append(int(value))
        except (TypeError, ValueError):
            bad.append(
                f"hot spot {hid} (row {n}): priority {value!r} is not a whole number; give 1-5"
            )
    if bad:
        raise InputError(
            "hot-spot priorities must be numbers (the stop's prize comes from them)", bad
        )
    out: list[Stop] = []
    for pri, (_, row) in zip(priorities, frame.iterrows(), strict=True):
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
            window_s=_window(
                row.get("window_start"), row.get("window_end"), f"hot spot {row['id']}"
            ),
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


def grid_stop_name(row: Any) -> str:
    """A grid's stop name: its code and, when it has one, its name (``"110108001-01 学院路"``);
    a missing name (None, NaN, blank) never shows as ``nan``."""
    code = str(row["code"])
    name = row.get("name")
    if name is None or pd.isna(name) or not str(name).strip() or str(name).strip() == code:
        return code
    return f"{code} {str(name).strip()}"


def stops_from_grids(
    grids: gpd.GeoDataFrame, *, teams: Iterable[str] | None = None, dwell_min: float = 0.0
) -> list[Stop]:
    """A required stop inside each grid: "pass through every grid at least once"."""
    allowed = frozenset(teams) if teams is not None else None
    frame = grids.to_crs("EPSG:4326")
    return [
        Stop(
            id=f"grid-{row['code']}",
            prize=1,
            dwell_s=int(dwell_min * 60),
            required=True,
            name=grid_stop_name(row),
            kind="grid",
            teams=allowed,
            point=_point(row.geometry),
        )
        for _, row in frame.iterrows()
    ]


def _passes(
    last: Stop,
    made: int,
    extra: int,
    *,
    gap_s: int,
    dwell_s: int,
    value: int,
    id_prefix: str,
    name: str,
) -> list[Stop]:
    """``extra`` more passes after ``last`` (pass number ``made``), each ``gap_s`` after
    the one before; pass n is worth ``value`` x 2 / n (later passes count less)."""
    out: list[Stop] = []
    before = last
    for nth in range(made + 1, made + 1 + extra):
        stop = Stop(
            id=f"{id_prefix}-pass{nth}",
            prize=0,
            fill_value=max(1, round(value * 2 / nth)),
            dwell_s=dwell_s,
            window_s=last.window_s,
            name=f"{name} (第{nth}巡)",
            kind=last.kind,
            teams=last.teams,
            skill=last.skill,
            revisit_of=before.id,
            min_gap_s=gap_s,
            notes=f"extra pass, >= {gap_s // 60} min after the one before",
            point=last.point,
            areas=last.areas,
        )
        out.append(stop)
        before = stop
    return out


MAX_PASSES = 6
"""Passes at one place at most (a short gap in a long shift would give many more)."""


def _pass_count(shift_s: int, gap_s: int, dwell_s: int) -> int:
    """How many passes at one place fit in a shift, ``gap_s`` apart (at most :data:`MAX_PASSES`)."""
    return min(MAX_PASSES, 1 + max(0, shift_s - dwell_s) // max(gap_s, 1))


def passes_at_hotspots(
    stops: Sequence[Stop], teams: Sequence[Team], *, top: int, gap_min: float, dwell_min: float
) -> list[Stop]:
    """Extra passes at the ``top`` hottest hot spots (highest prize first).

    Each hot spot gets as many passes as the day's shifts hold (from the
    first start to the last end, at most :data:`MAX_PASSES`), ``gap_min``
    apart, chained after its own passes (a valuable revisit included)
    through ``revisit_of``; they fill spare time only.
    """
    firsts = [s for s in stops if s.kind == "hotspot" and s.revisit_of is None and not s.is_fill]
    hottest = sorted(firsts, key=lambda s: -s.prize)[:top]
    then = {s.revisit_of: s for s in stops if s.revisit_of is not None}
    gap_s, dwell_s = int(round(gap_min * 60)), int(round(dwell_min * 60))
    span = max((t.shift_end_s for t in teams), default=0) - min(
        (t.shift_start_s for t in teams), default=0
    )
    out: list[Stop] = []
    for spot in hottest:
        last, made = spot, 1
        while last.id in then:
            last, made = then[last.id], made + 1
        extra = _pass_count(span, gap_s, dwell_s) - made
        out += _passes(
            last,
            made,
            extra,
            gap_s=gap_s,
            dwell_s=dwell_s,
            value=max(spot.prize, 1),
            id_prefix=spot.id,
            name=spot.name,
        )
    return out


def own_grids(
    grids: gpd.GeoDataFrame,
    teams: Sequence[Team],
    metric_crs: str,
    chosen: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """Team id -> codes of the grids it looks after.

    A team named in ``chosen`` (team id -> codes) looks after those grids
    only; every other grid goes to the nearest base (straight line) among
    the teams not named there.
    """
    own: dict[str, list[str]] = {t.id: [] for t in teams}
    named: set[str] = set()
    for tid, codes in (chosen or {}).items():
        if tid in own:
            own[tid] += [str(c) for c in codes]
            named.update(str(c) for c in codes)
    based = [t for t in teams if t.base is not None and t.id not in (chosen or {})]
    rest = grids[~grids["code"].astype(str).isin(named)]
    if len(rest) and based:
        bases = gpd.GeoSeries(shapely.points([t.base for t in based]), crs="EPSG:4326").to_crs(
            metric_crs
        )
        centres = rest.to_crs(metric_crs).geometry.representative_point()
        for code, centre in zip(rest["code"].astype(str), centres, strict=True):
            own[based[int(np.argmin(bases.distance(centre).to_numpy()))].id].append(code)
    return own


def passes_through_grids(
    grids: gpd.GeoDataFrame,
    teams: Sequence[Team],
    own: Mapping[str, Sequence[str]],
    *,
    gap_min: float,
    dwell_min: float,
    value: int,
) -> list[Stop]:
    """Extra passes through each team's own grids (``own``: team id -> codes, see
    :func:`own_grids`), as many as its shift holds, ``gap_min`` apart; they fill
    spare time only."""
    frame = grids.to_crs("EPSG:4326").set_index(grids["code"].astype(str))
    gap_s, dwell_s = int(round(gap_min * 60)), int(round(dwell_min * 60))
    out: list[Stop] = []
    for team in teams:
        count = _pass_count(team.shift_end_s - team.shift_start_s, gap_s, dwell_s)
        for code in own.get(team.id, ()):
            if code not in frame.index:
                continue
            row = frame.loc[code]
            raw = row.get("name")
            name = str(raw) if raw is not None and not pd.isna(raw) and str(raw).strip() else code
            first = Stop(
                id=f"gridpass-{code}-{team.id}",
                prize=0,
                fill_value=max(1, value),
                dwell_s=dwell_s,
                name=f"网格 {name}",
                kind="grid",
                teams=frozenset({team.id}),
                notes="pass through the team's own grid",
                point=_point(row.geometry),
            )
            out += [
                first,
                *_passes(
                    first,
                    1,
                    count - 1,
                    gap_s=gap_s,
                    dwell_s=dwell_s,
                    value=max(1, value),
                    id_prefix=first.id,
                    name=first.name,
                ),
            ]
    return out


def build_problem(
    network: StreetNetwork,
    teams: Sequence[Team],
    stops: Sequence[Stop],
    *,
    max_snap_m: float = 500.0,
    team_areas: str = "strict",
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
    return PatrolProblem.from_matrix(
        teams,
        stops,
        np.stack(travel),
        metres=np.stack(metres),
        matrix_of_team=[keys.index((t.mode, t.speed_kmh)) for t in teams],
        metric_crs=network.metric_crs,
        team_areas=team_areas,
    )
