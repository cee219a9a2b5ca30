"""People to grids under the 1+3+N rules: distances -> problem -> min-cost flow -> staffing.

:func:`straight_distances` (or the street matrix the service computes with
:func:`geogrid.network.travel_time_matrix`) gives metres from every home to
every grid's centre; :func:`build_staffing_problem` compiles the roster, the
grids and the rules into :class:`StaffingProblem` (who may serve where, at
what cost: metres plus :attr:`StaffingRules.change_penalty_m` away from the
person's current grid); :func:`assign_staff` solves it with
:func:`geogrid.planning.solvers.staffing.solve_staffing` and returns
:class:`Staffing`: who serves where, the posts left open and the people over
their capacity. :func:`staffing_table` is the per-grid table,
:func:`staff_changes` who changes grid between two staffings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_metric
from geogrid.errors import InputError
from geogrid.planning.solvers.staffing import StaffingArrays, solve_staffing
from geogrid.staffing.roster import ROLE_ZH, ROLES, Roster
from geogrid.staffing.rules import StaffingRules

#: Columns of an assignment table (what the area keeps).
ASSIGNMENT_COLUMNS = ("person_id", "name", "role", "grid", "distance_m", "changed")


@dataclass(frozen=True)
class Post:
    """Posts of one role left open in one grid."""

    grid: str
    role: str
    missing: int

    def __str__(self) -> str:
        return (
            f"grid {self.grid}: {self.missing} {self.role} ({ROLE_ZH[self.role]}) post(s) unfilled"
        )


@dataclass(frozen=True)
class StaffingProblem:
    """The roster, the grids and the rules compiled once (numbers for the solver)."""

    roster: Roster
    grids: pd.DataFrame  # code, name, parent_code
    rules: StaffingRules
    distance_m: np.ndarray  # (P, G)
    arrays: StaffingArrays
    current: Mapping[str, tuple[str, ...]]


@dataclass
class Staffing:
    """Who serves where (``assignment``), what is left open, who is overloaded."""

    assignment: pd.DataFrame
    unfilled: list[Post]
    overloaded: list[tuple[str, str, int, int]]  # person id, name, grids, capacity
    found: bool = True
    optimal: bool = False
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        grids = self.assignment["grid"].nunique() if len(self.assignment) else 0
        people = self.assignment["person_id"].nunique() if len(self.assignment) else 0
        out = [
            f"{len(self.assignment)} placements of {people} people in {grids} grids"
            + ("" if self.found else " (the solver found no assignment in time)")
        ]
        changed = int(self.assignment["changed"].sum()) if len(self.assignment) else 0
        if len(self.assignment):
            out.append(
                f"{changed} placements differ from the current ones; total distance "
                f"{self.assignment['distance_m'].sum() / 1000:.1f} km"
            )
        out += [str(p) for p in self.unfilled]
        out += [
            f"{name} ({pid}) serves {n} grids, over the capacity {cap}"
            for pid, name, n, cap in self.overloaded
        ]
        out.append(
            f"{sum(p.missing for p in self.unfilled)} unfilled post(s), "
            f"{len(self.overloaded)} overloaded people"
        )
        out += [f"note: {n}" for n in self.notes]
        return out


def _homes(roster: Roster, metric_crs: str, communities: gpd.GeoDataFrame | None) -> np.ndarray:
    """(P, 2) metric home points: the home, else the community's centre, else NaN."""
    centres: dict[str, tuple[float, float]] = {}
    if communities is not None and len(communities):
        metric = to_metric(communities, metric_crs, "communities")
        for code, geom in zip(metric["code"].astype(str), metric.geometry, strict=True):
            point = shapely.point_on_surface(geom)
            centres[code] = (float(point.x), float(point.y))
    out = np.full((len(roster.people), 2), np.nan)
    with_home = [i for i, p in enumerate(roster.people) if p.has_home]
    if with_home:
        pts = gpd.GeoSeries(
            [shapely.Point(roster.people[i].lon, roster.people[i].lat) for i in with_home],
            crs=WGS84,
        ).to_crs(metric_crs)
        out[with_home, 0] = pts.x.to_numpy()
        out[with_home, 1] = pts.y.to_numpy()
    for i, p in enumerate(roster.people):
        if not p.has_home and p.community in centres:
            out[i] = centres[p.community]
    return out


def grid_centres(grids: gpd.GeoDataFrame, metric_crs: str) -> np.ndarray:
    """(G, 2) metric point on each grid's surface."""
    points = shapely.point_on_surface(to_metric(grids, metric_crs, "grids").geometry.to_numpy())
    return (
        np.column_stack([shapely.get_x(points), shapely.get_y(points)])
        if len(grids)
        else np.zeros((0, 2))
    )


def straight_distances(
    roster: Roster,
    grids: gpd.GeoDataFrame,
    metric_crs: str,
    communities: gpd.GeoDataFrame | None = None,
) -> np.ndarray:
    """(P, G) straight-line metres from each home (or community centre) to each grid's centre;
    0 where the person has neither."""
    homes = _homes(roster, metric_crs, communities)
    centres = grid_centres(grids, metric_crs)
    d = np.hypot(homes[:, None, 0] - centres[None, :, 0], homes[:, None, 1] - centres[None, :, 1])
    distances: np.ndarray = np.nan_to_num(d, nan=0.0)
    return distances


def home_points(
    roster: Roster, metric_crs: str, communities: gpd.GeoDataFrame | None = None
) -> tuple[np.ndarray, gpd.GeoSeries]:
    """Rows of the roster with a place, and those places (EPSG:4326), for a street matrix."""
    homes = _homes(roster, metric_crs, communities)
    ok = np.flatnonzero(~np.isnan(homes[:, 0]))
    pts = gpd.GeoSeries(shapely.points(homes[ok]), crs=metric_crs).to_crs(WGS84)
    return ok, pts


def build_staffing_problem(
    roster: Roster,
    grids: gpd.GeoDataFrame | pd.DataFrame,
    rules: StaffingRules,
    distance_m: np.ndarray,
    *,
    current: Mapping[str, tuple[str, ...]] | None = None,
) -> StaffingProblem:
    """Compile who may serve where and at what cost.

    ``current`` maps person ids to the grids they serve now (the last saved
    staffing); without it each person's ``current_grids`` from the roster.
    """
    if not len(grids):
        raise InputError("the area has no grids to staff; draw them first (geogrid grids build)")
    codes = grids["code"].astype(str).to_numpy()
    parents = (
        grids["parent_code"].astype(str).to_numpy()
        if "parent_code" in grids.columns
        else np.array([None] * len(grids))
    )
    people = roster.people
    n_p, n_g = len(people), len(codes)
    distance_m = np.asarray(distance_m, dtype=float).reshape(n_p, n_g)
    if current is None:
        current = {p.id: p.current_grids for p in people}
    col = {c: g for g, c in enumerate(codes)}
    role_index = {r: i for i, r in enumerate(ROLES)}
    eligible = np.ones((n_p, n_g), dtype=bool)
    cost = np.rint(np.minimum(distance_m, 10_000_000)).astype(np.int64)
    for i, person in enumerate(people):
        if rules.same_community(person.role):
            eligible[i] = parents == person.community
        if rules.max_distance_m:
            eligible[i] &= distance_m[i] <= rules.max_distance_m
        mine = [col[c] for c in current.get(person.id, ()) if c in col]
        k = rules.candidate_grids
        if k and n_g > k:
            order = np.argsort(np.where(eligible[i], distance_m[i], np.inf), kind="stable")
            keep = np.zeros(n_g, dtype=bool)
            keep[order[:k]] = True
            keep[mine] = True
            eligible[i] &= keep
        if current.get(person.id):
            away = np.ones(n_g, dtype=bool)
            away[mine] = False
            cost[i, away] += rules.change_penalty_m
    posts = rules.posts()
    need = np.array([[posts[r]] * n_g for r in ROLES], dtype=np.int64)
    extra = np.zeros_like(need)
    cap_vol = rules.max_volunteers - rules.min_volunteers if rules.max_volunteers else n_p
    extra[role_index["volunteer"]] = cap_vol
    arrays = StaffingArrays(
        eligible=eligible,
        cost=cost,
        role=np.array([role_index[p.role] for p in people], dtype=np.int64),
        need=need,
        extra=extra,
        capacity=np.array([p.capacity for p in people], dtype=np.int64),
        overload=np.full(n_p, rules.max_overload, dtype=np.int64),
        reward=np.array(
            [rules.volunteer_reward_m if p.role == "volunteer" else 0 for p in people],
            dtype=np.int64,
        ),
    )
    table = pd.DataFrame(
        {
            "code": codes,
            "name": list(grids["name"]) if "name" in grids.columns else [None] * n_g,
            "parent_code": parents,
        }
    )
    return StaffingProblem(
        roster, table, rules, distance_m, arrays, {k: tuple(v) for k, v in current.items()}
    )


def assign_staff(problem: StaffingProblem, *, seed: int = 0) -> Staffing:
    """Solve ``problem``: placements, unfilled posts, overloaded people (never raises for too
    few people: the missing posts are reported)."""
    solution = solve_staffing(problem.arrays, time_limit_s=problem.rules.time_limit_s, seed=seed)
    people = problem.roster.people
    codes = problem.grids["code"].tolist()
    rows = []
    for p, g in zip(*np.nonzero(solution.assign), strict=True):
        person = people[int(p)]
        rows.append(
            {
                "person_id": person.id,
                "name": person.name,
                "role": person.role,
                "grid": codes[int(g)],
                "distance_m": round(float(problem.distance_m[p, g]), 1),
                "changed": bool(problem.current.get(person.id))
                and codes[int(g)] not in problem.current.get(person.id, ()),
            }
        )
    assignment = pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))
    order = {r: i for i, r in enumerate(ROLES)}
    if len(assignment):
        assignment = assignment.sort_values(
            ["grid", "role", "name"],
            key=lambda s: s.map(order) if s.name == "role" else s,
            kind="stable",
        ).reset_index(drop=True)
    unfilled = [
        Post(codes[g], ROLES[r], int(solution.short[r, g]))
        for g in range(len(codes))
        for r in range(len(ROLES))
        if solution.short[r, g] > 0
    ]
    loads = solution.assign.sum(axis=1)
    overloaded = [
        (people[i].id, people[i].name, int(loads[i]), people[i].capacity)
        for i in range(len(people))
        if loads[i] > people[i].capacity
    ]
    notes = (
        []
        if solution.found
        else [
            f"the solver found no assignment within {problem.rules.time_limit_s:g} s; raise "
            "time_limit_s in the rules"
        ]
    )
    return Staffing(assignment, unfilled, overloaded, solution.found, solution.optimal, notes)


def staffing_table(
    assignment: pd.DataFrame,
    roster: Roster,
    grids: gpd.GeoDataFrame | pd.DataFrame,
    *,
    unfilled: Sequence[Post] = (),
    publish_phones: bool = True,
) -> pd.DataFrame:
    """One row per grid: code, name, community, each role's names (and phones unless
    ``publish_phones`` is False), volunteers, open posts (``unfilled``)."""
    phones = {p.id: p.phone for p in roster.people}
    open_posts: dict[str, list[str]] = {}
    for post in unfilled:
        open_posts.setdefault(post.grid, []).append(f"{ROLE_ZH[post.role]}×{post.missing}")
    rows = []
    for grid in grids.itertuples(index=False):
        code = str(grid.code)
        here = assignment[assignment["grid"] == code] if len(assignment) else assignment
        row: dict[str, object] = {
            "code": code,
            "name": getattr(grid, "name", None),
            "community": getattr(grid, "parent_code", None),
        }
        for role in ROLES:
            members = here[here["role"] == role] if len(here) else here
            names = "、".join(members["name"]) if len(members) else ""
            row[role] = names
            if role != "volunteer" and publish_phones:
                row[f"{role}_phone"] = (
                    "、".join(str(phones.get(pid) or "") for pid in members["person_id"])
                    if len(members)
                    else ""
                )
            if role == "volunteer":
                row["volunteers_n"] = len(members)
        row["unfilled"] = "、".join(open_posts.get(code, []))
        rows.append(row)
    return pd.DataFrame(rows)


def staff_changes(
    before: pd.DataFrame, after: pd.DataFrame, roster: Roster | None = None
) -> pd.DataFrame:
    """Who changes grid between two assignments: person_id, name, role, before, after."""

    def grids_of(frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
        if not len(frame):
            return {}
        return {str(k): tuple(sorted(v.astype(str))) for k, v in frame.groupby("person_id")["grid"]}

    a, b = grids_of(before), grids_of(after)
    info: dict[str, tuple[str, str]] = {}
    for frame in (before, after):
        for row in frame.itertuples(index=False):
            info[str(row.person_id)] = (str(row.name), str(row.role))
    if roster is not None:
        info.update({p.id: (p.name, p.role) for p in roster.people})
    rows = []
    for pid in sorted(set(a) | set(b)):
        if a.get(pid, ()) != b.get(pid, ()):
            name, role = info.get(pid, (pid, ""))
            rows.append(
                {
                    "person_id": pid,
                    "name": name,
                    "role": role,
                    "before": ";".join(a.get(pid, ())),
                    "after": ";".join(b.get(pid, ())),
                }
            )
    return pd.DataFrame(rows, columns=["person_id", "name", "role", "before", "after"])
