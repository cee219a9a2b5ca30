"""Plans without a solver in sight: the independent checker and plan frames."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest
import shapely

from geogrid.network import StreetNetwork
from geogrid.planning.plan import (
    PatrolPlan,
    check_plan,
    imbalance,
    plan_frames,
    plan_summary,
    schedule_route,
    skip_reasons,
    skipped_table,
    team_shares,
)
from geogrid.planning.problem import PatrolProblem, Stop, Team, build_problem
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
    teams = [
        Team(
            "t",
            mode="walk",
            speed_kmh=3.6,
            shift_start_s=H19,
            shift_end_s=H19 + 3600,
            base=grid_lonlat(0, 0),
            name="一队",
        )
    ]
    stops = [
        Stop("a", name="甲", point=grid_lonlat(2, 0), dwell_s=60),
        Stop("b", name="乙", point=grid_lonlat(2, 2), dwell_s=60),
    ]
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
    """The summary has the prize line, one line per team with its times and shares, then the skipped
    stops."""
    problem = random_problem(2)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=50, polish=False)
    lines = plan_summary(problem, plan).splitlines()
    assert lines[0].startswith(f"prize {plan.prize}")
    assert lines[1].startswith("t0: ") and lines[2].startswith("t1: ")
    assert all(
        "on patrol" in line and "work" in line and "volunteers 50%" in line for line in lines[1:3]
    )
    assert lines[3].startswith("off the fair shares")
    skipped = skip_reasons(problem, plan)
    assert len(lines) == 4 + (1 + len(skipped) if skipped else 0)


H20 = H19 + 3600


def _plan(
    problem: PatrolProblem, orders: Sequence[Sequence[int]], depart: Sequence[int] | None = None
) -> PatrolPlan:
    """A plan of the given visit orders, each started as early as it can (or at ``depart``)."""
    routes = []
    for t, order in enumerate(orders):
        team = problem.teams[t]
        route = schedule_route(problem, t, order, depart[t] if depart else team.shift_start_s)
        if not order:
            route = dataclasses.replace(route, return_s=route.depart_s, metres=0.0)
        routes.append(route)
    seen = {i for o in orders for i in o}
    return PatrolPlan(
        routes=tuple(routes),
        skipped=tuple(i for i in range(problem.n_stops) if i not in seen),
        prize=sum(problem.stops[i].prize for i in seen),
        seed=0,
        solve_s=0.0,
    )


def _line_problem(
    stops: Sequence[Stop], minutes: Sequence[float], shift_h: float = 2.0, **team: object
) -> PatrolProblem:
    """One team at a base; stop i is ``minutes[i]`` from the base, and stops with the same
    minutes are at the same place (travel between stops = difference of their minutes)."""
    pos = np.array([*minutes, 0.0]) * 60
    travel = np.abs(pos[:, None] - pos[None, :])
    teams = [Team("t0", shift_start_s=H19, shift_end_s=int(H19 + shift_h * 3600), **team)]  # type: ignore[arg-type]
    return PatrolProblem.from_matrix(teams, stops, travel)


def test_a_team_without_stops_stays_at_its_base() -> None:
    """An empty route needs no trip from start to end, even when they lie further apart than the
    shift."""
    problem = PatrolProblem.from_matrix(
        [Team("v0", shift_start_s=0, shift_end_s=100)],
        [Stop("c1", dwell_s=0)],
        np.array([[0, 80, 80], [80, 0, 150], [80, 150, 0]]),
        start_loc=[1],
        end_loc=[2],
    )
    plan = _plan(problem, [[]])
    assert check_plan(problem, plan) == []
    assert [sk.reason for sk in skip_reasons(problem, plan)] == ["shift"]


def test_passes_at_one_place_keep_their_gap() -> None:
    """Passes at one place are checked in the order they are made, each at least its gap after the
    one before."""
    stops = [
        Stop("h", prize=10, dwell_s=300),
        Stop("h-pass2", prize=0, fill_value=10, dwell_s=300, revisit_of="h", min_gap_s=1800),
        Stop("h-pass3", prize=0, fill_value=5, dwell_s=300, revisit_of="h-pass2", min_gap_s=1800),
    ]
    problem = _line_problem(stops, [5, 5, 5], shift_h=1.0)
    too_soon = _plan(problem, [[0, 1]])
    assert any("passes at one place" in p and "h-pass2" in p for p in check_plan(problem, too_soon))
    starts = [H19 + 300, H19 + 300 + 1800]
    route = schedule_route(problem, 0, [0, 1], H19, starts)
    ok = dataclasses.replace(_plan(problem, [[0, 1]]), routes=(route,))
    assert check_plan(problem, ok) == []
    swapped = dataclasses.replace(
        ok, routes=(schedule_route(problem, 0, [0, 2], H19, starts),), skipped=(1,)
    )
    problems = check_plan(problem, swapped)
    assert any("h-pass3 revisits h-pass2, which is not visited" in p for p in problems)


def test_a_team_back_early_while_an_extra_pass_fits_breaks_the_shift_rule() -> None:
    """Spare time goes to extra passes: coming back early (or leaving late) while one fits is a
    violation."""
    stops = [
        Stop("market", prize=20, dwell_s=600, window_s=(H19 + 3000, H19 + 3600)),
        Stop("grid-pass", prize=0, fill_value=10, dwell_s=300),
    ]
    problem = _line_problem(stops, [10, 5])
    early = _plan(problem, [[0]])
    assert any("still fits after its last stop" in p for p in check_plan(problem, early))
    assert check_plan(problem, _plan(problem, [[0, 1]])) == []
    # the market as late as the shift allows: a team that waits at its base for it leaves late
    closing = dataclasses.replace(stops[0], window_s=(H19 + 6000, H19 + 6000))
    problem = _line_problem([closing, stops[1]], [10, 5])
    late = _plan(problem, [[0]], depart=[H19 + 5400])
    problems = check_plan(problem, late)
    assert (
        len(problems) == 1
        and "leaves at 20:30" in problems[0]
        and "fits before its first stop" in problems[0]
    )
    assert check_plan(problem, _plan(problem, [[1, 0]])) == []
    # an extra pass only another team may make does not count
    other = dataclasses.replace(stops[1], teams=frozenset({"t9"}))
    assert check_plan(_line_problem([stops[0], other], [10, 5]), early) == []


def test_skip_reasons_come_from_the_problem_alone() -> None:
    """Window closed before any team arrives, shift too short, no team, first pass missing, lower
    value."""
    stops = [
        Stop("big", prize=50, dwell_s=5400),
        Stop("school", prize=50, dwell_s=600, window_s=(H19, H19 + 300)),
        Stop("far", prize=10, dwell_s=600),
        Stop("aed", prize=10, skill="first_aid"),
        Stop("cheap", prize=5, dwell_s=600),
        Stop("cheap-again", prize=5, dwell_s=600, revisit_of="cheap", min_gap_s=600),
        Stop("pass", prize=0, fill_value=1, dwell_s=60),
    ]
    problem = _line_problem(stops, [1, 10, 60, 1, 2, 2, 1])
    plan = _plan(problem, [[0]])
    why = {problem.stops[sk.stop].id: sk for sk in skip_reasons(problem, plan)}
    assert set(why) == {
        "school",
        "far",
        "aed",
        "cheap",
        "cheap-again",
    }  # extra passes are no skipped stops
    assert (
        why["school"].reason == "window"
        and "19:10" in why["school"].text
        and "19:05" in why["school"].text
    )
    assert why["far"].reason == "shift" and "60 min" in why["far"].text
    assert why["aed"].reason == "no_team" and "first_aid" in why["aed"].text
    assert why["cheap"].reason == "value" and "t0" in why["cheap"].text
    assert why["cheap-again"].reason == "first_pass"
    rows = {r["id"]: r for r in skipped_table(problem, plan)}
    assert rows["far"]["why"].startswith("shift too short")
    summary = plan_summary(problem, plan)
    assert "school: window unreachable from the base in time - t0 arrives 19:10" in summary


def test_team_shares_add_up() -> None:
    """Work shares sum to 1; volunteer shares follow team sizes; the imbalance is half the L1
    distance."""
    problem = random_problem(3)
    problem = dataclasses.replace(
        problem, teams=(dataclasses.replace(problem.teams[0], size=3), problem.teams[1])
    )
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=50, polish=False)
    shares = team_shares(problem, plan)
    assert sum(sh.work_share for sh in shares) == pytest.approx(1.0)
    assert [sh.volunteer_share for sh in shares] == [0.75, 0.25]
    assert sum(sh.work for sh in shares) == plan.prize
    assert all(0 < sh.patrol_s <= sh.shift_s for sh in shares)
    assert imbalance([30, 10], [0.5, 0.5]) == 10 and imbalance([10, 30], [0.25, 0.75]) == 0
