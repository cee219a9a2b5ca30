"""Whole districts: one patrol problem per team area, solved side by side, merged into one plan.

A district (街道) has a hundred teams and well over a thousand candidate stops;
one routing model over all of them is slow and mostly pointless, since a team
patrols its own community. :func:`group_district` puts teams that share a
community (a grid code counts for its parent community) into one group and
gives every stop to one group whose teams may serve it - the group of the
teams whose area holds it, else the group with the nearest base of a team
that may serve it; revisits and extra passes follow the pass they repeat.
:func:`compile_groups` measures travel only among each group's stops and
bases (one small matrix per group and travel mode, never one district
matrix), :func:`solve_groups` hands each group's
:class:`~geogrid.planning.problem.PatrolProblem` (plain picklable data:
teams, stops, numpy matrices) with its share of the time budget (by its
number of stops) to :func:`~geogrid.planning.solve.solve_patrol`, in this
process (``workers=1``, the default) or in a pool of worker processes
started by a forkserver (spawn where there is none; never plain fork, since
the caller may run in a thread), and :func:`merge_plans` joins the plans into
one :class:`~geogrid.planning.plan.PatrolPlan` of the whole district.

The district's own problem (:func:`merge_plans`) holds every team and stop
in the caller's order; each stop may be served only by the teams of its
group (its ``teams`` narrowed to them; a stop no group may serve gets no
team) and its matrices hold the travel within each group, :data:`APART_S`
between groups (never used: no team may serve there). So
:func:`~geogrid.planning.plan.check_plan` judges the merged plan on the
decomposed district exactly - every leg, window, shift, area, each stop
once. With strict team areas and every team in an area, the groups are
independent and the decomposed district is the district itself.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.context
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from geogrid.errors import InfeasibleError, InternalError
from geogrid.network import StreetNetwork
from geogrid.planning.areas import idle_reasons
from geogrid.planning.plan import PatrolPlan, TeamRoute, check_plan
from geogrid.planning.problem import (
    PatrolProblem,
    Stop,
    Team,
    allowed_team_indices,
    build_problem,
    fair_shares,
)
from geogrid.planning.solve import solve_patrol

APART_S = 10**7
"""Travel seconds between locations of different groups in the district's problem: out of
reach (no team may serve a stop of another group, so no plan uses them)."""
APART_M = 1e9
"""Metres between locations of different groups (see :data:`APART_S`)."""
MIN_GROUP_S = 0.5
"""Search time a group with stops gets at least, seconds."""
DECOMPOSE_MIN_STOPS = 300
"""With team areas ``prefer`` or ``off`` a district is cut into groups only from this many
stops on (strict areas: whenever there are two groups or more)."""


@dataclass(frozen=True)
class Group:
    """Teams and stops planned together: indices into the district's teams and stops.

    ``key`` names the communities (or other area codes) of its teams, ``+`` between them.
    """

    key: str
    teams: tuple[int, ...]
    stops: tuple[int, ...]


@dataclass(frozen=True)
class DistrictRun:
    """A district planned by groups: the district's problem and merged plan, the groups,
    each group's time budget and seconds searched, the workers used, the wall time and
    why teams stay at their base (team index -> reason,
    :func:`~geogrid.planning.areas.idle_reasons`)."""

    problem: PatrolProblem
    plan: PatrolPlan
    groups: tuple[Group, ...]
    budgets_s: tuple[float, ...]
    group_solve_s: tuple[float, ...]
    workers: int
    wall_s: float
    idle: Mapping[int, str]


# ---------------------------------------------------------------------- groups


def _xy(lonlat: tuple[float, float] | None, coslat: float) -> tuple[float, float] | None:
    """Rough metres (equirectangular, ``coslat`` the cosine of one latitude of the district)
    for choosing the nearest base; None stays None."""
    if lonlat is None:
        return None
    lon, lat = lonlat
    return lon * 111_320.0 * coslat, lat * 110_540.0


def _distance(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float:
    return math.inf if a is None or b is None else math.hypot(a[0] - b[0], a[1] - b[1])


def group_district(
    teams: Sequence[Team],
    stops: Sequence[Stop],
    *,
    team_areas: str = "strict",
    parents: Mapping[str, str] | None = None,
) -> tuple[Group, ...]:
    """Cut a district into groups of teams (by community) and their stops.

    Teams whose areas share a community are one group (``parents`` maps a grid code
    to its community code; other codes stand for themselves); a team without an area
    joins the group with the nearest team base. Each stop goes to one group holding a
    team that may serve it (``team_areas`` rule,
    :func:`~geogrid.planning.problem.allowed_team_indices`): the group of the teams
    whose area holds it, else the group with the nearest such base; a revisit goes to
    the group of the pass it repeats. A stop no team may serve is in no group.
    Groups come in the order of their first team; deterministic.
    """
    parents = parents or {}
    link = list(range(len(teams)))

    def find(t: int) -> int:
        while link[t] != t:
            link[t] = link[link[t]]
            t = link[t]
        return t

    first: dict[str, int] = {}
    keyed = [t for t, team in enumerate(teams) if team.areas]
    for t in keyed:
        for code in sorted({parents.get(c, c) for c in teams[t].areas or ()}):
            if code in first:
                a, b = find(t), find(first[code])
                link[max(a, b)] = min(a, b)
            else:
                first[code] = t
    members: dict[int, list[int]] = {}
    for t in keyed:
        members.setdefault(find(t), []).append(t)
    team_groups = [members[r] for r in sorted(members)]
    lats = [t.base[1] for t in teams if t.base is not None]
    coslat = math.cos(math.radians(sum(lats) / len(lats))) if lats else 1.0
    bases = [_xy(t.base, coslat) for t in teams]
    loose = [t for t, team in enumerate(teams) if not team.areas]
    if loose and not team_groups:
        team_groups = [loose]
    elif loose:
        for t in loose:
            near = min(
                range(len(team_groups)),
                key=lambda g: (min(_distance(bases[t], bases[u]) for u in team_groups[g]), g),
            )
            team_groups[near].append(t)
    group_of = {t: g for g, ts in enumerate(team_groups) for t in ts}
    index = {s.id: i for i, s in enumerate(stops)}

    def depth(i: int) -> int:
        d, seen = 0, set()
        while stops[i].revisit_of is not None and stops[i].revisit_of in index and i not in seen:
            seen.add(i)
            i, d = index[str(stops[i].revisit_of)], d + 1
        return d

    chosen: dict[int, int] = {}
    for i in sorted(range(len(stops)), key=lambda i: (depth(i), i)):
        stop = stops[i]
        able = allowed_team_indices(teams, stop, team_areas)
        cands = sorted({group_of[t] for t in able})
        if not cands:
            continue
        if stop.revisit_of is not None and stop.revisit_of in index:
            before = chosen.get(index[stop.revisit_of])
            if before in cands:
                chosen[i] = before
            continue
        owners = sorted({group_of[t] for t in able if teams[t].owns(stop)})
        here = _xy(stop.point, coslat)
        chosen[i] = min(
            owners or cands,
            key=lambda g: (min(_distance(here, bases[t]) for t in able if group_of[t] == g), g),
        )
    out = []
    for g, ts in enumerate(team_groups):
        codes = sorted({parents.get(c, c) for t in ts for c in teams[t].areas or ()})
        out.append(
            Group(
                key="+".join(codes) or "no area",
                teams=tuple(sorted(ts)),
                stops=tuple(i for i in range(len(stops)) if chosen.get(i) == g),
            )
        )
    return tuple(out)


def should_decompose(groups: Sequence[Group], n_stops: int, team_areas: str = "strict") -> bool:
    """True when cutting the district pays: two groups with stops or more, and strict team
    areas (the groups are then independent) or at least :data:`DECOMPOSE_MIN_STOPS` stops."""
    busy = sum(1 for g in groups if g.stops)
    return busy >= 2 and (team_areas == "strict" or n_stops >= DECOMPOSE_MIN_STOPS)


def split_time(time_limit_s: float, groups: Sequence[Group]) -> tuple[float, ...]:
    """Each group's search time: ``time_limit_s`` shared by number of stops, at least
    :data:`MIN_GROUP_S` for a group with stops, 0 for one without."""
    total = sum(len(g.stops) for g in groups)
    return tuple(
        max(MIN_GROUP_S, time_limit_s * len(g.stops) / total) if g.stops else 0.0 for g in groups
    )


# ---------------------------------------------------------------------- compile, solve, merge


def compile_groups(
    network: StreetNetwork,
    teams: Sequence[Team],
    stops: Sequence[Stop],
    groups: Sequence[Group],
    *,
    team_areas: str = "strict",
    max_snap_m: float = 500.0,
) -> list[PatrolProblem | None]:
    """One problem per group with stops (None for a group without): travel measured along
    the streets among the group's stops and team bases only."""
    return [
        build_problem(
            network, [teams[t] for t in g.teams], [stops[i] for i in g.stops],
            max_snap_m=max_snap_m, team_areas=team_areas,
        )
        if g.stops
        else None
        for g in groups
    ]  # fmt: skip


def pool_context() -> multiprocessing.context.BaseContext:
    """Start method of the worker processes: a forkserver (a fresh single-threaded process
    that forks the workers, this module preloaded), spawn where there is none. Never plain
    fork: the caller may run in a thread (a web job), and a forked child can inherit a lock
    another thread held."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # no effect once the server runs
        return context
    return multiprocessing.get_context("spawn")


def _solve_one(
    problem: PatrolProblem, time_limit_s: float, options: dict[str, Any]
) -> tuple[PatrolPlan | None, list[str]]:
    """Solve one group (in a worker or here): its plan, or None and the reasons it has none."""
    try:
        return solve_patrol(problem, time_limit_s=time_limit_s, **options), []
    except InfeasibleError as err:
        return None, err.reasons or [str(err)]


def solve_groups(
    problems: Sequence[PatrolProblem | None],
    budgets_s: Sequence[float],
    *,
    workers: int = 1,
    keys: Sequence[str] | None = None,
    **options: Any,
) -> list[PatrolPlan | None]:
    """Solve each group's problem with its budget (``options`` go to
    :func:`~geogrid.planning.solve.solve_patrol`): here with ``workers=1``, else in up
    to ``workers`` processes (:func:`pool_context`), the largest groups first. The plans
    come back in the groups' order whatever finishes first, so the result does not
    depend on ``workers``. Raises :class:`~geogrid.errors.InfeasibleError` naming every
    group (``keys``) whose required stops cannot all be served."""
    names = list(keys) if keys is not None else [str(g) for g in range(len(problems))]
    jobs = sorted(
        ((g, p) for g, p in enumerate(problems) if p is not None),
        key=lambda job: -job[1].n_stops * len(job[1].teams),
    )
    results: dict[int, tuple[PatrolPlan | None, list[str]]] = {}
    workers = max(1, min(int(workers), len(jobs)))
    if workers == 1:
        for g, problem in jobs:
            results[g] = _solve_one(problem, budgets_s[g], options)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
            futures = {
                pool.submit(_solve_one, problem, budgets_s[g], options): g for g, problem in jobs
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
    reasons = [f"{names[g]}: {r}" for g in sorted(results) for r in results[g][1]]
    if reasons:
        raise InfeasibleError("no plan can serve every required stop of these areas", reasons)
    return [results[g][0] if g in results else None for g in range(len(problems))]


def _matrix_keys(teams: Sequence[Team]) -> list[tuple[str, float]]:
    keys: list[tuple[str, float]] = []
    for t in teams:
        if (t.mode, t.speed_kmh) not in keys:
            keys.append((t.mode, t.speed_kmh))
    return keys


def district_problem(
    teams: Sequence[Team],
    stops: Sequence[Stop],
    groups: Sequence[Group],
    problems: Sequence[PatrolProblem | None],
    *,
    team_areas: str = "strict",
    metric_crs: str | None = None,
) -> PatrolProblem:
    """The whole district as one problem (see the module notes): every team and stop in the
    given order, each stop narrowed to the teams of its group, travel within groups from
    the groups' ``problems``, :data:`APART_S` between groups."""
    n, n_teams = len(stops), len(teams)
    keys = _matrix_keys(teams)
    size = n + n_teams
    travel = np.full((len(keys), size, size), APART_S, dtype=np.int64)
    metres = np.full((len(keys), size, size), APART_M, dtype=float)
    for k in range(len(keys)):
        np.fill_diagonal(travel[k], 0)
        np.fill_diagonal(metres[k], 0.0)
    narrowed: list[Stop] = [replace(s, teams=frozenset()) for s in stops]
    for g, problem in zip(groups, problems, strict=True):
        ids = frozenset(teams[t].id for t in g.teams)
        for i in g.stops:
            own = stops[i].teams
            narrowed[i] = replace(stops[i], teams=ids if own is None else own & ids)
        if problem is None:
            continue
        locs = np.array([*g.stops, *(n + t for t in g.teams)], dtype=np.int64)
        cells = np.ix_(locs, locs)
        pairs = {
            (problem.matrix_of_team[j], keys.index((teams[t].mode, teams[t].speed_kmh)))
            for j, t in enumerate(g.teams)
        }
        for k_sub, k in sorted(pairs):
            travel[k][cells] = problem.travel_s[k_sub]
            metres[k][cells] = problem.metres[k_sub]
    return PatrolProblem.from_matrix(
        teams, narrowed, travel, metres=metres,
        matrix_of_team=[keys.index((t.mode, t.speed_kmh)) for t in teams],
        metric_crs=metric_crs, team_areas=team_areas,
    )  # fmt: skip


def merge_plans(
    problem: PatrolProblem,
    groups: Sequence[Group],
    plans: Sequence[PatrolPlan | None],
    *,
    seed: int = 0,
    solve_s: float = 0.0,
    mode_weights: Mapping[str, float] | None = None,
) -> PatrolPlan:
    """The groups' plans as one plan of the district's ``problem`` (:func:`district_problem`):
    routes and visits renumbered to the district's teams and stops, a team of a group
    without a plan staying at its base. Raises :class:`~geogrid.errors.InternalError`
    when the merged plan fails :func:`~geogrid.planning.plan.check_plan` (a bug)."""
    routes: dict[int, TeamRoute] = {}
    for g, plan in zip(groups, plans, strict=True):
        if plan is None:
            continue
        for route in plan.routes:
            t = g.teams[route.team]
            visits = tuple(replace(v, stop=g.stops[v.stop]) for v in route.visits)
            routes[t] = TeamRoute(t, route.depart_s, visits, route.return_s, route.metres)
    ordered = tuple(
        routes.get(t, TeamRoute(t, team.shift_start_s, (), team.shift_start_s, 0.0))
        for t, team in enumerate(problem.teams)
    )
    visited = {v.stop for r in ordered for v in r.visits}
    merged = PatrolPlan(
        routes=ordered,
        skipped=tuple(i for i in range(problem.n_stops) if i not in visited),
        prize=sum(problem.stops[i].prize for i in visited),
        seed=seed,
        solve_s=solve_s,
        fair_share=fair_shares(problem.teams, mode_weights),
    )
    violations = check_plan(problem, merged)
    if violations:
        raise InternalError(
            "the merged district plan fails check_plan; this is a bug in geogrid - please report "
            "it with the district's teams, stops and config:\n"
            + "\n".join(f"  - {v}" for v in violations)
        )
    return merged


def solve_district(
    network: StreetNetwork,
    teams: Sequence[Team],
    stops: Sequence[Stop],
    *,
    team_areas: str = "strict",
    parents: Mapping[str, str] | None = None,
    groups: Sequence[Group] | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    max_snap_m: float = 500.0,
    mode_weights: Mapping[str, float] | None = None,
    **options: Any,
) -> DistrictRun:
    """Plan a whole district by groups (:func:`group_district`, or ``groups``).

    ``time_limit_s`` is the district's search time, shared by the groups
    (:func:`split_time`); with ``workers`` processes the wall time is about
    ``time_limit_s / workers`` plus measuring travel. ``options`` (``solution_limit``,
    ``polish``, ``balance``, ``balance_weight``, ...) go to
    :func:`~geogrid.planning.solve.solve_patrol` for every group; the plan does not
    depend on ``workers``.
    """
    began = time.perf_counter()
    if groups is None:
        groups = group_district(teams, stops, team_areas=team_areas, parents=parents)
    groups = tuple(groups)
    problems = compile_groups(
        network, teams, stops, groups, team_areas=team_areas, max_snap_m=max_snap_m
    )
    budgets = split_time(time_limit_s, groups)
    plans = solve_groups(
        problems, budgets, workers=workers, keys=[g.key for g in groups],
        seed=seed, mode_weights=mode_weights, **options,
    )  # fmt: skip
    problem = district_problem(
        teams, stops, groups, problems, team_areas=team_areas, metric_crs=network.metric_crs
    )
    plan = merge_plans(
        problem,
        groups,
        plans,
        seed=seed,
        solve_s=time.perf_counter() - began,
        mode_weights=mode_weights,
    )
    return DistrictRun(
        problem=problem,
        plan=plan,
        groups=groups,
        budgets_s=budgets,
        group_solve_s=tuple(p.solve_s if p is not None else 0.0 for p in plans),
        workers=max(1, min(int(workers), sum(1 for p in problems if p is not None))),
        wall_s=time.perf_counter() - began,
        idle=idle_reasons(problem, plan),
    )
