"""Patrol plans: routes, their schedule, the independent checker, frames and summaries.

Solver-free: a :class:`PatrolPlan` is judged by :func:`check_plan` against
the :class:`~geogrid.planning.problem.PatrolProblem` alone (every leg
recomputed from its matrices), never by how it was found.
:func:`explain_infeasible` says why required stops cannot be served before
any solver runs; :func:`skip_reasons` why a plan leaves a stop out, from the
problem alone (:func:`reach_alone`); :func:`team_shares` how the work is
shared between teams. Times are seconds after midnight of the shift day (``*_s``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import shapely

from geogrid.network import StreetNetwork, route_geometry
from geogrid.planning.problem import PatrolProblem, allowed_team_indices, fair_shares, format_hhmm


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
    """A plan: one route per team, the stops left out, and how it was found.

    ``fair_share`` is each team's fair share of the work the plan was
    balanced for (empty: :func:`~geogrid.planning.problem.fair_shares` with
    the default mode weights).
    """

    routes: tuple[TeamRoute, ...]
    skipped: tuple[int, ...]
    prize: int
    seed: int
    solve_s: float
    fair_share: tuple[float, ...] = ()

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
        visits.append(
            Visit(i, arrival, start, start + stop.dwell_s, leg, float(problem.metres[k, loc, i]))
        )
        total_m += float(problem.metres[k, loc, i])
        clock = start + stop.dwell_s
        loc = i
    end = problem.end_loc[team]
    total_m += float(problem.metres[k, loc, end])
    return TeamRoute(
        team, depart_s, tuple(visits), clock + int(problem.travel_s[k, loc, end]), total_m
    )


def check_plan(problem: PatrolProblem, plan: PatrolPlan) -> list[str]:
    """Every violated constraint of ``plan`` (empty list: the plan is valid).

    Independent of the solver: recomputes every leg from the problem's
    matrices and checks shifts, windows, dwell, allowed teams, capacity,
    required stops, revisit gaps, prize and that each stop is visited once.
    Two workload rules too: the passes at one place (a stop and the chain of
    its revisits) are each at least their gap after the one before, and a
    team uses its whole shift - it leaves after its shift starts or is back
    before it ends only when no extra pass it may make fits before its first
    stop or after its last.
    """
    out: list[str] = []
    if len(plan.routes) != len(problem.teams):
        return [f"plan has {len(plan.routes)} routes for {len(problem.teams)} teams"]
    seen: dict[int, tuple[int, int]] = {}
    loads = []
    for t, route in enumerate(plan.routes):
        team = problem.teams[t]
        k = problem.matrix_of_team[t]
        if route.team != t:
            out.append(f"route {t} claims team {route.team}")
        if route.depart_s < team.shift_start_s:
            out.append(
                f"{team.id}: leaves at {format_hhmm(route.depart_s)} before the shift starts"
            )
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
                out.append(
                    f"{team.id} at {stop.id}: arrives {v.arrival_s - clock - leg} s too early "
                    "for the travel time"
                )
            if v.start_s < v.arrival_s:
                out.append(f"{team.id} at {stop.id}: starts before arriving")
            if stop.window_s and not stop.window_s[0] <= v.start_s <= stop.window_s[1]:
                out.append(
                    f"{team.id} at {stop.id}: starts {format_hhmm(v.start_s)} outside "
                    f"{format_hhmm(stop.window_s[0])}-{format_hhmm(stop.window_s[1])}"
                )
            if v.leave_s - v.start_s < stop.dwell_s:
                out.append(
                    f"{team.id} at {stop.id}: stays {v.leave_s - v.start_s} s < dwell "
                    f"{stop.dwell_s} s"
                )
            if t not in problem.allowed_teams(stop):
                if t in allowed_team_indices(problem.teams, stop, "off"):
                    out.append(
                        f"{team.id} may not serve {stop.id}: it lies outside the team's area "
                        f"({', '.join(sorted(team.areas or ())) or 'none'}; "
                        f"team_areas {problem.team_areas})"
                    )
                else:
                    out.append(f"{team.id} may not serve {stop.id} (team list or skill)")
            load += stop.demand
            loc, clock = v.stop, v.leave_s
        loads.append(load)
        if route.visits:  # a team without stops stays at its base
            back = clock + int(problem.travel_s[k, loc, problem.end_loc[t]])
            if route.return_s < back:
                out.append(f"{team.id}: returns at {route.return_s} before it can ({back})")
        elif route.return_s < route.depart_s:
            out.append(f"{team.id}: back at {format_hhmm(route.return_s)} before it leaves")
        if route.return_s > team.shift_end_s:
            out.append(
                f"{team.id}: back at {format_hhmm(route.return_s)} after the shift ends "
                f"{format_hhmm(team.shift_end_s)}"
            )
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
                out.append(
                    f"{stop.id}: only {(seen[i][1] - seen[first][1]) // 60} min after the "
                    "first pass"
                )
    out += _gap_violations(problem, {i: start for i, (_, start) in seen.items()})
    if not out:  # the shift rule judges a plan that is otherwise valid
        out += _spare_time_violations(
            problem, plan, {i: start for i, (_, start) in seen.items()}, loads
        )
    if set(plan.skipped) != set(range(problem.n_stops)) - set(seen):
        out.append("skipped stops do not match the stops not visited")
    prize = sum(problem.stops[i].prize for i in seen)
    if plan.prize != prize:
        out.append(f"plan claims prize {plan.prize}, visits are worth {prize}")
    return out


def _first_pass(problem: PatrolProblem, i: int) -> int:
    """The stop a chain of revisits starts from (the place's first pass)."""
    for _ in range(problem.n_stops):
        before = problem.stops[i].revisit_of
        if before is None:
            return i
        i = problem.stop_index[before]
    return i


def _gap_violations(problem: PatrolProblem, starts: dict[int, int]) -> list[str]:
    """Passes at one place closer together than their gap, in the order they are made."""
    places: dict[int, list[tuple[int, int]]] = {}
    for i, start in starts.items():
        places.setdefault(_first_pass(problem, i), []).append((start, i))
    out = []
    for passes in places.values():
        passes.sort()
        for (s0, a), (s1, b) in itertools.pairwise(passes):
            gap = max(problem.stops[a].min_gap_s, problem.stops[b].min_gap_s)
            if s1 - s0 < gap:
                out.append(
                    f"{problem.stops[b].id}: passes at one place {(s1 - s0) // 60} min apart "
                    f"({problem.stops[a].id} before it), the gap is {gap // 60} min"
                )
    return out


def _pass_start(problem: PatrolProblem, x: int, arrival: int, starts: dict[int, int]) -> int | None:
    """Earliest start of unvisited stop ``x`` for a team arriving at ``arrival``
    (window, gap after the pass before); None when it cannot start at all."""
    stop = problem.stops[x]
    start = arrival
    if stop.revisit_of is not None:
        before = problem.stop_index[stop.revisit_of]
        if before not in starts:
            return None
        start = max(start, starts[before] + stop.min_gap_s)
    if stop.window_s is not None:
        if start > stop.window_s[1]:
            return None
        start = max(start, stop.window_s[0])
    return start


def _spare_time_violations(
    problem: PatrolProblem, plan: PatrolPlan, starts: dict[int, int], loads: Sequence[int]
) -> list[str]:
    """A team that leaves late or comes back early while an extra pass still fits."""
    out = []
    spare = [x for x, stop in enumerate(problem.stops) if stop.is_fill and x not in starts]
    for t, route in enumerate(plan.routes):
        team, k = problem.teams[t], problem.matrix_of_team[t]
        home, end = problem.start_loc[t], problem.end_loc[t]
        last = route.visits[-1] if route.visits else None
        loc = last.stop if last else home
        clock = last.leave_s if last else team.shift_start_s
        first = route.visits[0] if route.visits else None
        after = before = None
        for x in spare:
            stop = problem.stops[x]
            if t not in problem.allowed_teams(stop):
                continue
            if team.capacity is not None and loads[t] + stop.demand > team.capacity:
                continue
            start = _pass_start(problem, x, clock + int(problem.travel_s[k, loc, x]), starts)
            if (
                after is None
                and start is not None
                and (start + stop.dwell_s + int(problem.travel_s[k, x, end]) <= team.shift_end_s)
            ):
                after = stop.id
            if before is not None or first is None or route.depart_s <= team.shift_start_s:
                continue
            start = _pass_start(
                problem, x, team.shift_start_s + int(problem.travel_s[k, home, x]), starts
            )
            if (
                start is not None
                and start + stop.dwell_s + int(problem.travel_s[k, x, first.stop]) <= first.start_s
            ):
                before = stop.id
        if after is not None:
            out.append(
                f"{team.id}: back at {format_hhmm(route.return_s)}, shift ends "
                f"{format_hhmm(team.shift_end_s)}, yet extra pass {after} still fits after its "
                "last stop"
            )
        if before is not None:
            out.append(
                f"{team.id}: leaves at {format_hhmm(route.depart_s)}, shift starts "
                f"{format_hhmm(team.shift_start_s)}, yet extra pass {before} fits before its "
                "first stop"
            )
    return out


def reach_alone(
    problem: PatrolProblem, t: int, i: int, not_before: int | None = None
) -> tuple[str, str] | None:
    """Why team ``t`` cannot serve stop ``i`` even as its only stop, or None when it can.

    Returns ``("window", text)`` when the team reaches the place from its base
    only after the window closes, ``("shift", text)`` when going there,
    staying and coming back does not fit in the shift. ``not_before`` is an
    earliest start (a revisit's gap after the pass before).
    """
    team, k, stop = problem.teams[t], problem.matrix_of_team[t], problem.stops[i]
    go = int(problem.travel_s[k, problem.start_loc[t], i])
    back = int(problem.travel_s[k, i, problem.end_loc[t]])
    arrival = team.shift_start_s + go
    start = max(arrival, not_before or 0)
    if stop.window_s is not None:
        lo, hi = stop.window_s
        if start > hi:
            after = (
                f"{format_hhmm(not_before)} after the pass before"
                if not_before and not_before > arrival
                else (f"{format_hhmm(arrival)} at the earliest ({go // 60} min from base)")
            )
            return "window", f"{team.id} arrives {after}, after the window closes {format_hhmm(hi)}"
        start = max(start, lo)
    if start + stop.dwell_s + back > team.shift_end_s:
        return "shift", (
            f"{team.id} cannot stay {stop.dwell_s // 60} min from {format_hhmm(start)} and be "
            f"back ({back // 60} min) by {format_hhmm(team.shift_end_s)}"
        )
    return None


def reachable_teams(problem: PatrolProblem) -> tuple[tuple[int, ...], ...]:
    """Per stop, the teams that may serve it and can reach it alone (:func:`reach_alone`)."""
    return tuple(
        tuple(t for t in problem.allowed_teams(stop) if reach_alone(problem, t, i) is None)
        for i, stop in enumerate(problem.stops)
    )


def explain_infeasible(problem: PatrolProblem) -> list[str]:
    """Reasons why required stops cannot be served, one per stop (may be empty)."""
    reasons = []
    for i, stop in enumerate(problem.stops):
        if not stop.required:
            continue
        teams = problem.allowed_teams(stop)
        if not teams:
            reasons.append(
                f"required stop {stop.id} ({stop.name}): no team has the area or skill "
                f"{stop.skill!r}"
            )
            continue
        why = [w for t in teams if (w := reach_alone(problem, t, i)) is not None]
        if len(why) == len(teams):
            reasons.append(
                f"required stop {stop.id} ({stop.name}): " + "; ".join(text for _, text in why)
            )
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


SKIP_REASONS: dict[str, str] = {
    "no_team": "no team may serve it",
    "first_pass": "the pass it repeats is not planned",
    "window": "window unreachable from the base in time",
    "shift": "shift too short",
    "value": "lower value than what was chosen",
}
"""Why a stop is left out (:func:`skip_reasons`), code -> plain words."""


@dataclass(frozen=True)
class SkippedStop:
    """A stop a plan leaves out and why (``reason`` is a key of :data:`SKIP_REASONS`)."""

    stop: int
    reason: str
    text: str


def skip_reasons(problem: PatrolProblem, plan: PatrolPlan) -> list[SkippedStop]:
    """Why each skipped stop (extra passes aside) is left out, from the problem alone.

    No team may serve it; or the pass it repeats is not planned; or every
    team that may serve it fails even with it as its only stop - it reaches
    the place after the window closes (``window``) or cannot go, stay and
    come back within its shift (``shift``, also when teams fail for both);
    else the stop fits on its own and the teams' time went to others
    (``value``).
    """
    starts = {v.stop: v.start_s for r in plan.routes for v in r.visits}
    out = []
    for i in sorted(plan.skipped):
        stop = problem.stops[i]
        if stop.is_fill:
            continue
        teams = problem.allowed_teams(stop)
        if not teams:
            detail = f"needs skill {stop.skill!r}" if stop.skill else "no team's area includes it"
            out.append(SkippedStop(i, "no_team", detail))
            continue
        not_before = None
        if stop.revisit_of is not None:
            before = problem.stop_index[stop.revisit_of]
            if before not in starts:
                out.append(SkippedStop(i, "first_pass", f"{stop.revisit_of} is not visited"))
                continue
            not_before = starts[before] + stop.min_gap_s
        why = [reach_alone(problem, t, i, not_before) for t in teams]
        fails = [w for w in why if w is not None]
        if len(fails) == len(teams):
            reason = "window" if all(code == "window" for code, _ in fails) else "shift"
            out.append(SkippedStop(i, reason, "; ".join(text for _, text in fails)))
        else:
            able = [problem.teams[t].id for t, w in zip(teams, why, strict=True) if w is None]
            out.append(
                SkippedStop(
                    i,
                    "value",
                    f"{', '.join(able)} could serve it on its own, but not together "
                    f"with the stops chosen, worth more in all (prize {stop.prize})",
                )
            )
    return out


def skipped_table(problem: PatrolProblem, plan: PatrolPlan) -> list[dict[str, object]]:
    """:func:`skip_reasons` as plain rows (id, name, kind, prize, reason, why) for plan.json."""
    return [
        {
            "id": problem.stops[sk.stop].id,
            "name": problem.stops[sk.stop].name,
            "kind": problem.stops[sk.stop].kind,
            "prize": problem.stops[sk.stop].prize,
            "reason": sk.reason,
            "why": f"{SKIP_REASONS[sk.reason]}: {sk.text}",
        }
        for sk in skip_reasons(problem, plan)
    ]


# ------------------------------------------------------------------ shares


@dataclass(frozen=True)
class TeamShare:
    """One team's part of a plan: its stops, distance, time and share of the work.

    ``work`` is the prize of the stops it serves; ``work_share`` its part of
    the plan's prize, to be read against ``volunteer_share`` (its part of all
    volunteers) and ``fair_share`` (by size, mode and shift hours, what the
    plan was balanced for).
    """

    team: int
    stops: int
    passes: int
    metres: float
    patrol_s: int
    shift_s: int
    work: int
    work_share: float
    volunteer_share: float
    fair_share: float


def team_shares(problem: PatrolProblem, plan: PatrolPlan) -> list[TeamShare]:
    """Each team's stops, extra passes, km, time on patrol and share of the work."""
    fair = plan.fair_share or fair_shares(problem.teams)
    volunteers = sum(max(t.size, 1) for t in problem.teams)
    out = []
    for r in plan.routes:
        team = problem.teams[r.team]
        extra = sum(problem.stops[v.stop].is_fill for v in r.visits)
        work = sum(problem.stops[v.stop].prize for v in r.visits)
        out.append(
            TeamShare(
                team=r.team,
                stops=len(r.visits) - extra,
                passes=extra,
                metres=r.metres,
                patrol_s=r.return_s - r.depart_s if r.visits else 0,
                shift_s=team.shift_end_s - team.shift_start_s,
                work=work,
                work_share=work / plan.prize if plan.prize else 0.0,
                volunteer_share=max(team.size, 1) / volunteers,
                fair_share=fair[r.team],
            )
        )
    return out


def imbalance(works: Sequence[float], fair: Sequence[float]) -> float:
    """Prize points that would have to change team for every team to hold its fair share."""
    total = sum(works)
    return sum(abs(w - f * total) for w, f in zip(works, fair, strict=True)) / 2


# ------------------------------------------------------------------ geometry


def plan_frames(
    problem: PatrolProblem, plan: PatrolPlan, network: StreetNetwork | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Plan as frames: ``visits`` (one Point per stop visit) and ``routes``
    (one LineString per team along the streets; straight legs without a network).
    """
    rows, lines = [], []
    shares = {sh.team: sh for sh in team_shares(problem, plan)}
    for route in plan.routes:
        team = problem.teams[route.team]
        share = shares[route.team]
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
                    "extra": stop.is_fill,
                    "geometry": shapely.Point(stop.point) if stop.point else None,
                }
            )
        geom = None
        if all(p is not None for p in pts) and route.visits:
            legs = []
            for a, b in itertools.pairwise(pts):
                if network is not None:
                    leg = route_geometry(
                        network, shapely.Point(a), shapely.Point(b), mode=team.mode
                    )
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
                "stops": share.stops,
                "passes": share.passes,
                "prize": share.work,
                "depart": format_hhmm(route.depart_s),
                "return": format_hhmm(route.return_s),
                "total_min": round(route.total_s / 60, 1),
                "shift_min": round(share.shift_s / 60, 1),
                "distance_m": round(route.metres, 1),
                "work_share": round(share.work_share, 3),
                "volunteer_share": round(share.volunteer_share, 3),
                "fair_share": round(share.fair_share, 3),
                "geometry": geom,
            }
        )
    visits = (
        gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        if rows
        else gpd.GeoDataFrame(
            {"team": [], "seq": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326"
        )
    )
    routes = gpd.GeoDataFrame(lines, geometry="geometry", crs="EPSG:4326")
    return visits, routes


def plan_summary(problem: PatrolProblem, plan: PatrolPlan) -> str:
    """Plain lines for the CLI and notebooks: the plan, one line per team with its
    share of the work, and every skipped stop with the reason."""
    shares = team_shares(problem, plan)
    valuable = sum(not s.is_fill for s in problem.stops)
    passes = sum(sh.passes for sh in shares)
    lines = [
        f"prize {plan.prize}, {sum(sh.stops for sh in shares)} of {valuable} stops"
        + (f" + {passes} extra passes" if passes else "")
        + f", solved in {plan.solve_s:.1f} s"
    ]
    for sh in shares:
        team = problem.teams[sh.team]
        r = plan.routes[sh.team]
        times = (
            f"{format_hhmm(r.depart_s)}-{format_hhmm(r.return_s)}" if r.visits else "stays at base"
        )
        lines.append(
            f"{team.id}{' ' + team.name if team.name else ''}: {sh.stops} stops"
            + (f" + {sh.passes} passes" if sh.passes else "")
            + f", {times}, {sh.metres / 1000:.1f} km, on patrol {sh.patrol_s // 60} of "
            f"{sh.shift_s // 60} min, work {sh.work_share:.0%} (volunteers "
            f"{sh.volunteer_share:.0%}, fair share {sh.fair_share:.0%})"
        )
    if plan.prize:
        off = imbalance([sh.work for sh in shares], [sh.fair_share for sh in shares])
        lines.append(
            f"off the fair shares: {off:.0f} prize points ({off / plan.prize:.0%} of the prize)"
        )
    skipped = skip_reasons(problem, plan)
    if not plan.visited() and skipped:
        out_of_reach = all(
            sk.reason in ("no_team", "window", "shift", "first_pass") for sk in skipped
        )
        lines.append(
            "no stop planned"
            + (": no team can reach any stop within its shift" if out_of_reach else "")
        )
    if skipped:
        lines.append(f"skipped {len(skipped)} stops:")
        for sk in skipped:
            stop = problem.stops[sk.stop]
            lines.append(
                f"  {stop.id}{' ' + stop.name if stop.name else ''}: "
                f"{SKIP_REASONS[sk.reason]} - {sk.text}"
            )
    return "\n".join(lines)
