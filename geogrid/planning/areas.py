"""Team areas (责任区): which communities and grids a team looks after, where stops lie.

A team's area is a set of community and grid codes (:attr:`Team.areas`: the
teams layer's ``area_codes``, or ``[teams.<id>] communities``/``grids`` of the
patrol config through :func:`with_team_areas`); a stop's ``areas`` are the codes
of the communities and grids its point lies in (:func:`locate_stops`, point in
polygon; a grid's ``parent_code`` counts as its community). How strictly the
area binds is the problem's ``team_areas`` (:data:`~geogrid.planning.problem.TEAM_AREAS`):
the rule itself sits in :meth:`PatrolProblem.allowed_teams
<geogrid.planning.problem.PatrolProblem.allowed_teams>`, so the solvers, the
workload searches and :func:`~geogrid.planning.plan.check_plan` all keep it.
:func:`idle_reasons` says why a team got an empty route. Solver-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.planning.plan import PatrolPlan, reach_alone
from geogrid.planning.problem import PatrolProblem, Stop, Team, allowed_team_indices


def _codes(frame: gpd.GeoDataFrame | None) -> tuple[list[shapely.Geometry], list[frozenset[str]]]:
    """Polygons of a community or grid layer and the codes each stands for (its own code,
    a grid's ``parent_code`` too)."""
    if frame is None or not len(frame) or "code" not in frame:
        return [], []
    frame = frame.to_crs("EPSG:4326")
    parents = (
        frame["parent_code"]
        if "parent_code" in frame
        else pd.Series([None] * len(frame), index=frame.index)
    )
    geoms, codes = [], []
    for geom, code, parent in zip(frame.geometry, frame["code"], parents, strict=True):
        if geom is None or geom.is_empty:
            continue
        own = {str(code)}
        if parent is not None and not pd.isna(parent) and str(parent).strip():
            own.add(str(parent).strip())
        geoms.append(geom)
        codes.append(frozenset(own))
    return geoms, codes


def locate_stops(
    stops: Sequence[Stop],
    communities: gpd.GeoDataFrame | None = None,
    grids: gpd.GeoDataFrame | None = None,
) -> list[Stop]:
    """The ``stops`` with their ``areas``: codes of every community and grid (and a grid's
    ``parent_code``) whose polygon holds the stop's point (on the edge counts for both sides).
    A stop without a point, or in no polygon, keeps no area."""
    geoms, codes = [], []
    for frame in (communities, grids):
        g, c = _codes(frame)
        geoms += g
        codes += c
    if not geoms:
        return list(stops)
    tree = shapely.STRtree(geoms)
    placed = [i for i, s in enumerate(stops) if s.point is not None]
    points = shapely.points(
        np.asarray([stops[i].point for i in placed], dtype=float).reshape(-1, 2)
    )
    found: dict[int, set[str]] = {}
    if placed:
        where, poly = tree.query(points, predicate="intersects")
        for p, g in zip(where, poly, strict=True):
            found.setdefault(placed[int(p)], set()).update(codes[int(g)])
    return [replace(s, areas=frozenset(found[i])) if i in found else s for i, s in enumerate(stops)]


def with_team_areas(
    teams: Sequence[Team],
    codes: Mapping[str, Iterable[str]] | None = None,
    roam: Iterable[str] = (),
) -> list[Team]:
    """The ``teams`` with the areas ``codes`` gives them (team id -> community or grid
    codes; in place of the teams layer's ``area_codes``) and ``roam`` set for the team ids
    in ``roam`` (they may serve stops outside their area)."""
    codes = codes or {}
    roaming = set(roam)
    out = []
    for team in teams:
        areas = frozenset(str(c) for c in codes[team.id]) if team.id in codes else team.areas
        out.append(replace(team, areas=areas or None, roam=team.roam or team.id in roaming))
    return out


def area_of(team: Team) -> str:
    """The team's area as text (``"110108001002, 110108001003"``; ``"no area"``)."""
    return ", ".join(sorted(team.areas)) if team.areas else "no area"


def idle_reasons(problem: PatrolProblem, plan: PatrolPlan) -> dict[int, str]:
    """Team index -> why its route is empty, for every team that stays at its base.

    In order: no stop lies in its area; no stop it may serve (its area, skill or the
    stops' team lists); none it may serve fits its shift on its own
    (:func:`~geogrid.planning.plan.reach_alone`); or other teams serve them all.
    """
    out: dict[int, str] = {}
    served = set(plan.visited())
    for route in plan.routes:
        if route.visits:
            continue
        t = route.team
        team = problem.teams[t]
        mine = [i for i, s in enumerate(problem.stops) if t in problem.allowed_teams(s)]
        valuable = [i for i in mine if not problem.stops[i].is_fill]
        if (
            team.areas is not None
            and not team.roam
            and problem.team_areas != "off"
            and not any(team.owns(s) for s in problem.stops)
        ):
            out[t] = f"no stop lies in its area ({area_of(team)})"
        elif not valuable:
            anywhere = any(
                t in allowed_team_indices(problem.teams, s, "off") for s in problem.stops
            )
            out[t] = (
                f"every stop it may serve lies outside its area ({area_of(team)})"
                if anywhere and team.areas is not None
                else "no stop it may serve (skill or the stops' team lists)"
            )
        elif all(reach_alone(problem, t, i) is not None for i in valuable):
            out[t] = f"none of the {len(valuable)} stops it may serve fits its shift"
        elif all(i in served for i in valuable if reach_alone(problem, t, i) is None):
            out[t] = "other teams serve every stop it may serve"
        else:
            out[t] = "its stops did not fit with the others' (see the skipped stops)"
    return out
