"""Patrol plans: routes, their schedule, the independent checker, frames and summaries.

Solver-free: a :class:`PatrolPlan` is judged by :func:`check_plan` against
the :class:`~geogrid.planning.problem.PatrolProblem` alone (every leg
recomputed from its matrices), never by how it was found.
:func:`explain_infeasible` says why required stops cannot be served before
any solver runs. Times are seconds after midnight of the shift day (``*_s``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import shapely

from geogrid.network import StreetNetwork, route_geometry
from geogrid.planning.problem import PatrolProblem, format_hhmm


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
