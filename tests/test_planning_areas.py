"""Team areas (责任区): stops located in communities and grids, the strict/prefer/off rule
kept by the problem, the solver and check_plan, roaming teams, and why a team stays home."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.planning.areas import idle_reasons, locate_stops, with_team_areas
from geogrid.planning.plan import PatrolPlan, TeamRoute, Visit, check_plan
from geogrid.planning.problem import PatrolProblem, Stop, Team, parse_area_codes, teams_from_frame
from geogrid.planning.solve import solve_patrol
from tests import district_area as da
from tests.patrol_area import H19


def _problem(team_areas: str, teams: list[Team] | None = None) -> PatrolProblem:
    """Two teams (areas A and B), stops in A, in B and in no team's area, 60 s apart."""
    teams = teams or [
        Team("ta", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"A"})),
        Team("tb", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"B"})),
    ]
    stops = [
        Stop("in-a", prize=10, dwell_s=60, areas=frozenset({"A", "A-01"})),
        Stop("in-b", prize=10, dwell_s=60, areas=frozenset({"B"})),
        Stop("nowhere", prize=10, dwell_s=60, areas=frozenset({"C"})),
    ]
    n = len(stops) + len(teams)
    travel = np.full((n, n), 60.0)
    np.fill_diagonal(travel, 0)
    return PatrolProblem.from_matrix(teams, stops, travel, team_areas=team_areas)


@pytest.mark.parametrize(
    ("team_areas", "expected"),
    [
        ("strict", {"in-a": [0], "in-b": [1], "nowhere": []}),
        ("prefer", {"in-a": [0], "in-b": [1], "nowhere": [0, 1]}),
        ("off", {"in-a": [0, 1], "in-b": [0, 1], "nowhere": [0, 1]}),
    ],
)
def test_area_rule_strict_prefer_off(team_areas: str, expected: dict[str, list[int]]) -> None:
    """strict: a team serves only stops in its area; prefer: also stops in no team's area;
    off: any stop. The solver keeps the rule and check_plan accepts its plan."""
    problem = _problem(team_areas)
    assert {s.id: problem.allowed_teams(s) for s in problem.stops} == expected
    plan = solve_patrol(problem, time_limit_s=1, seed=1)
    assert check_plan(problem, plan) == []
    for route in plan.routes:
        assert all(route.team in expected[problem.stops[v.stop].id] for v in route.visits)
    served = {problem.stops[i].id for i in plan.visited()}
    assert served == {sid for sid, teams in expected.items() if teams}


def _one_visit(problem: PatrolProblem, team: int, stop: int) -> PatrolPlan:
    """A plan where ``team`` serves ``stop`` alone (the other team stays home)."""
    k = problem.matrix_of_team[team]
    go = int(problem.travel_s[k, problem.start_loc[team], stop])
    dwell = problem.stops[stop].dwell_s
    visit = Visit(stop, H19 + go, H19 + go, H19 + go + dwell, go, 0.0)
    back = H19 + go + dwell + int(problem.travel_s[k, stop, problem.end_loc[team]])
    routes = tuple(
        TeamRoute(t, H19, (visit,) if t == team else (), back if t == team else H19, 0.0)
        for t in range(len(problem.teams))
    )
    skipped = tuple(i for i in range(problem.n_stops) if i != stop)
    return PatrolPlan(routes, skipped, problem.stops[stop].prize, 0, 0.0)


def test_check_plan_names_a_stop_served_outside_the_area() -> None:
    """Strict: team A serving a stop of area B is a violation that names the area;
    the same plan is fine with team_areas off."""
    strict = _problem("strict")
    problems = check_plan(strict, _one_visit(strict, 0, 1))
    assert any(
        "tb" not in p and "ta may not serve in-b: it lies outside the team's area (A" in p
        for p in problems
    )
    off = _problem("off")
    assert not any("may not serve" in p for p in check_plan(off, _one_visit(off, 0, 1)))


def test_roaming_team_may_leave_its_area() -> None:
    """Roam = true: a team with an area may still serve any stop under strict areas."""
    teams = with_team_areas(
        [
            Team("ta", shift_start_s=H19, shift_end_s=H19 + 3600),
            Team("tb", shift_start_s=H19, shift_end_s=H19 + 3600),
        ],
        {"ta": ["A"], "tb": ["B"]},
        roam=["tb"],
    )
    assert teams[0].areas == frozenset({"A"}) and not teams[0].roam and teams[1].roam
    problem = _problem("strict", teams)
    assert [problem.allowed_teams(s) for s in problem.stops] == [[0, 1], [1], [1]]


def test_team_without_area_serves_anywhere() -> None:
    """A team with no area (no area_codes, no config) is not bound by strict areas."""
    teams = [Team("free", shift_start_s=H19, shift_end_s=H19 + 3600), Team("tb", shift_start_s=H19,
             shift_end_s=H19 + 3600, areas=frozenset({"B"}))]  # fmt: skip
    problem = _problem("strict", teams)
    assert [problem.allowed_teams(s) for s in problem.stops] == [[0], [0, 1], [0]]


def test_locate_stops_by_community_and_grid() -> None:
    """A stop gets the codes of the community and grid it lies in, and a grid's parent_code;
    a stop outside every polygon keeps no area."""
    comms = da.communities()
    grids = gpd.GeoDataFrame(
        {"code": ["110108001001-01"], "parent_code": ["110108001001"]},
        geometry=[shapely.box(*comms.geometry.iloc[0].bounds)],
        crs="EPSG:4326",
    )
    stops = [
        Stop("west", point=da.grid_lonlat(1, 1)),
        Stop("east", point=da.grid_lonlat(10, 3)),
        Stop("away", point=da.grid_lonlat(40, 40)),
    ]
    located = locate_stops(stops, comms, grids)
    assert located[0].areas == frozenset({da.CODES[0], "110108001001-01"})
    assert located[1].areas == frozenset({da.CODES[2]})
    assert located[2].areas == frozenset()
    only_grids = locate_stops(stops, None, grids.drop(columns="parent_code"))
    assert only_grids[0].areas == frozenset({"110108001001-01"})


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("110108001002", ["110108001002"]),
        ("110108001002, 110108001003", ["110108001002", "110108001003"]),
        ("110108001002，110108001003、g-01", ["110108001002", "110108001003", "g-01"]),
        ("", []),
        (None, []),
        (float("nan"), []),
    ],
)
def test_parse_area_codes(text: object, codes: list[str]) -> None:
    """area_codes: commas (also Chinese ，、), semicolons or spaces between codes; empty is none."""
    assert parse_area_codes(text) == codes


def test_teams_layer_area_codes() -> None:
    """The teams layer's area_codes become the team's area; absent means no area."""
    frame = gpd.GeoDataFrame(
        {
            "id": ["t1", "t2"],
            "mode": ["walk", "walk"],
            "area_codes": ["110108001001,110108001002", None],
        },
        geometry=[shapely.Point(da.grid_lonlat(1, 1)), shapely.Point(da.grid_lonlat(2, 2))],
        crs="EPSG:4326",
    )
    teams = teams_from_frame(frame)
    assert teams[0].areas == frozenset({"110108001001", "110108001002"}) and teams[1].areas is None
    # the config's codes win over the layer's
    assert with_team_areas(teams, {"t1": ["x"]})[0].areas == frozenset({"x"})


def test_team_with_no_stop_in_its_area_stays_home_with_the_reason() -> None:
    """A team whose area holds no stop gets an empty route, and idle_reasons says so."""
    teams = [
        Team("ta", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"A"})),
        Team("tz", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"Z"})),
    ]
    problem = _problem("strict", teams)
    plan = solve_patrol(problem, time_limit_s=1, seed=1)
    assert check_plan(problem, plan) == [] and plan.routes[1].visits == ()
    why = idle_reasons(problem, plan)
    assert set(why) == {1} and why[1] == "no stop lies in its area (Z)"


def test_idle_reason_when_others_serve_everything() -> None:
    """Two teams of one area, one stop: the idle team is told the other serves it."""
    teams = [
        Team("a1", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"A"})),
        Team("a2", shift_start_s=H19, shift_end_s=H19 + 3600, areas=frozenset({"A"})),
    ]
    problem = _problem("strict", teams)
    problem = PatrolProblem.from_matrix(
        teams,
        [problem.stops[0]],
        problem.travel_s[0][np.ix_([0, 3, 4], [0, 3, 4])],
        team_areas="strict",
    )
    plan = solve_patrol(problem, time_limit_s=1, seed=1)
    idle = [r.team for r in plan.routes if not r.visits]
    assert len(idle) == 1
    assert idle_reasons(problem, plan) == {idle[0]: "other teams serve every stop it may serve"}


def test_bad_team_areas_value_is_refused() -> None:
    """team_areas must be strict, prefer or off."""
    with pytest.raises(ValueError, match="team_areas 'loose'"):
        replace(_problem("strict"), team_areas="loose")
