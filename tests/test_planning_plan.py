"""Plans without a solver in sight: the independent checker and plan frames."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from geogrid.network import StreetNetwork
from geogrid.planning.plan import check_plan, plan_frames, plan_summary
from geogrid.planning.problem import Stop, Team, build_problem
from geogrid.planning.solve import solve_patrol
from tests.patrol_area import H19, grid_lonlat, random_problem, street_grid


def test_check_plan_catches_tampering() -> None:
    """Moving a visit before its window or dropping a required stop is reported."""
    problem = random_problem(0)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=100, polish=False)
    route = next(r for r in plan.routes if r.visits)
    bad_visit = dataclasses.replace(route.visits[0], arrival_s=0, start_s=0, leave_s=1)
    bad_route = dataclasses.replace(route, visits=(bad_visit, *route.visits[1:]))
    tampered = dataclasses.replace(
        plan, routes=tuple(bad_route if r is route else r for r in plan.routes)
    )
    assert check_plan(problem, tampered)
    emptied = dataclasses.replace(
        plan, routes=tuple(dataclasses.replace(r, visits=()) for r in plan.routes)
    )
    problems = check_plan(problem, emptied)
    assert any("required stop s1" in p for p in problems)


def test_build_problem_on_streets_and_route_geometry() -> None:
    """On a street grid, travel follows the streets and route lines start and end at the base."""
    nodes, edges, crs = street_grid(6)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    teams = [Team("t", mode="walk", speed_kmh=3.6, shift_start_s=H19, shift_end_s=H19 + 3600, base=grid_lonlat(0, 0), name="一队")]
    stops = [Stop("a", name="甲", point=grid_lonlat(2, 0), dwell_s=60), Stop("b", name="乙", point=grid_lonlat(2, 2), dwell_s=60)]
    problem = build_problem(network, teams, stops)
    assert problem.travel_s[0, 2, 0] == pytest.approx(200, abs=2)  # 200 m at 1 m/s
    assert problem.travel_s[0, 2, 1] == pytest.approx(400, abs=2)  # along the grid, not diagonal
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=20, polish=False)
    assert check_plan(problem, plan) == [] and len(plan.visited()) == 2
    visits, routes = plan_frames(problem, plan, network)
    assert list(visits["seq"]) == [1, 2] and visits.crs.to_epsg() == 4326
    line = routes.geometry.iloc[0]
    assert shapely.Point(line.coords[0]).distance(shapely.Point(teams[0].base)) < 1e-6
    assert shapely.Point(line.coords[-1]).distance(shapely.Point(teams[0].base)) < 1e-6


def test_plan_summary_names_every_team() -> None:
    """The summary has the prize line and one line per team with its shift times."""
    problem = random_problem(2)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=50, polish=False)
    lines = plan_summary(problem, plan).splitlines()
    assert lines[0].startswith(f"prize {plan.prize}") and len(lines) == 1 + len(problem.teams)
    assert lines[1].startswith("t0 ") and lines[2].startswith("t1 ")
