"""Patrol problem model, solver results judged by check_plan, errors that explain."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.errors import InfeasibleError, InputError
from geogrid.network import StreetNetwork
from geogrid.patrol import (
    PatrolProblem,
    Stop,
    Team,
    build_problem,
    check_plan,
    format_hhmm,
    parse_hhmm,
    plan_frames,
    solve_patrol,
    stops_from_grids,
    stops_from_hotspots,
    stops_from_places,
    teams_from_frame,
)
from tests.patrol_area import grid_lonlat, street_grid

H19 = 19 * 3600


def random_problem(seed: int, n_stops: int = 14, n_teams: int = 2) -> PatrolProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1500, (n_stops + n_teams, 2))
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    teams = [Team(f"t{k}", shift_start_s=H19, shift_end_s=H19 + 5400) for k in range(n_teams)]
    stops = [
        Stop(
            f"s{i}",
            prize=int(rng.integers(1, 6)) * 10,
            dwell_s=int(rng.integers(10, 16)) * 60,
            window_s=(H19 + 1800, H19 + 3600) if i % 5 == 0 else None,
            required=i == 1,
        )
        for i in range(n_stops)
    ]
    stops.append(Stop("s2-again", prize=10, dwell_s=300, revisit_of="s2", min_gap_s=1800))
    xy = np.vstack([xy[:n_stops], xy[2:3], xy[n_stops:]])
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return PatrolProblem.from_matrix(teams, stops, metres / 1.25, metres=metres)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_plan_passes_check_plan(seed: int) -> None:
    """Plans for random instances satisfy every constraint check_plan knows."""
    problem = random_problem(seed)
    plan = solve_patrol(problem, time_limit_s=1, seed=seed, solution_limit=200)
    assert check_plan(problem, plan) == []
    assert plan.prize > 0
    assert problem.stop_index["s1"] in plan.visited()  # required


def test_same_seed_gives_the_same_plan() -> None:
    """Two runs with the same seed and solution limit return identical plans."""
    problem = random_problem(5)
    a = solve_patrol(problem, time_limit_s=30, seed=7, solution_limit=10)
    b = solve_patrol(problem, time_limit_s=30, seed=7, solution_limit=10)
    assert a.routes == b.routes and a.prize == b.prize


def test_revisit_comes_after_the_gap() -> None:
    """A revisit, when made, starts at least min_gap_s after the first pass."""
    problem = random_problem(3)
    plan = solve_patrol(problem, time_limit_s=1, seed=1, solution_limit=200)
    starts = {problem.stops[v.stop].id: v.start_s for r in plan.routes for v in r.visits}
    if "s2-again" in starts:
        assert starts["s2-again"] - starts["s2"] >= 1800


def test_unreachable_window_is_explained() -> None:
    """A required stop whose window closes before any team can arrive names stop, team and times."""
    d = np.array([[0, 3600], [3600, 0]])
    problem = PatrolProblem.from_matrix(
        [Team("t0", shift_start_s=H19, shift_end_s=H19 + 4 * 3600)],
        [Stop("school", name="学院路小学", required=True, window_s=(H19, H19 + 600))],
        d,
    )
    with pytest.raises(InfeasibleError) as err:
        solve_patrol(problem, time_limit_s=1)
    text = str(err.value)
    assert "school" in text and "学院路小学" in text and "t0" in text and "20:00" in text
    assert err.value.reasons


def test_stop_no_team_may_serve_is_explained() -> None:
    """A required stop needing a skill no team has is reported as such."""
    problem = PatrolProblem.from_matrix(
        [Team("t0")], [Stop("aed", required=True, skill="first_aid")], np.zeros((2, 2))
    )
    with pytest.raises(InfeasibleError, match="first_aid"):
        solve_patrol(problem, time_limit_s=1)


def test_required_stops_that_only_fail_together_raise() -> None:
    """Each required stop fits alone but not all together: the solver's failure is explained."""
    stops = [Stop(f"s{i}", required=True, dwell_s=1800, window_s=(H19, H19 + 60)) for i in range(2)]
    problem = PatrolProblem.from_matrix(
        [Team("t0", shift_start_s=H19, shift_end_s=H19 + 7200)], stops, np.full((3, 3), 60) * (1 - np.eye(3))
    )
    with pytest.raises(InfeasibleError, match="not all together"):
        solve_patrol(problem, time_limit_s=1)


def test_skills_and_areas_restrict_teams() -> None:
    """Stops limited to a team or a skill are served only by that team."""
    teams = [Team("a", shift_start_s=0, shift_end_s=7200), Team("b", shift_start_s=0, shift_end_s=7200, skills=frozenset({"aed"}))]
    stops = [Stop("x", teams=frozenset({"a"}), prize=5), Stop("y", skill="aed", prize=5), Stop("z", prize=5)]
    problem = PatrolProblem.from_matrix(teams, stops, np.full((5, 5), 120) * (1 - np.eye(5)))
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=50)
    assert check_plan(problem, plan) == []
    owner = {problem.stops[v.stop].id: r.team for r in plan.routes for v in r.visits}
    assert owner["x"] == 0 and owner["y"] == 1


def test_check_plan_catches_tampering() -> None:
    """Moving a visit before its window or dropping a required stop is reported."""
    problem = random_problem(0)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=100)
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


def test_malformed_problem_lists_every_problem() -> None:
    """Bad shapes, repeated ids and reversed windows are reported together."""
    with pytest.raises(InputError) as err:
        PatrolProblem.from_matrix(
            [Team("t", shift_start_s=10, shift_end_s=5)],
            [Stop("a", window_s=(9, 1)), Stop("a")],
            np.zeros((3, 3)),
        )
    text = str(err.value)
    assert "repeat" in text and "window ends" in text and "shift ends" in text


def test_time_helpers() -> None:
    """HH:MM parses to seconds and back; junk is refused with an example."""
    assert parse_hhmm("07:30") == 27000 and format_hhmm(27000) == "07:30"
    assert format_hhmm(86400 + 3600) == "01:00"
    with pytest.raises(InputError, match="HH:MM"):
        parse_hhmm("7h30")


def test_teams_from_frame_reads_the_layer() -> None:
    """Teams get speed defaults, shifts over midnight and skills from the config."""
    frame = gpd.GeoDataFrame(
        {"id": ["n1"], "mode": ["bike"], "name": ["夜巡队"], "shift_start": ["22:00"], "shift_end": ["02:00"], "speed_kmh": [None]},
        geometry=[shapely.Point(116.35, 40.0)],
        crs="EPSG:4326",
    )
    (team,) = teams_from_frame(frame, {"n1": ["aed"]})
    assert team.speed_kmh == 15.0 and team.shift_end_s == 26 * 3600 and "aed" in team.skills


def test_stop_builders() -> None:
    """Hot spots (rank_hotspots columns), places and grids become stops with the right fields."""
    spots = gpd.GeoDataFrame(
        {
            "id": [1, 2],
            "rank": [1, 2],
            "score": [9.1, 3.0],
            "p_fdr": [0.01, 0.04],
            "count": [40, 12],
            "priority": [5, 2],
            "peak_hours": ["19-21", "20-22"],
            "window_start": ["19:00", None],
            "window_end": ["21:00", None],
            "dwell_min": [15.0, None],
        },
        geometry=[shapely.Point(116.35, 40.0), shapely.Point(116.351, 40.001)],
        crs="EPSG:4326",
    )
    stops = stops_from_hotspots(spots, revisit_min_priority=5, revisit_after_min=45)
    assert [s.id for s in stops] == ["hotspot-1", "hotspot-1-again", "hotspot-2"]
    assert stops[0].dwell_s == 900 and stops[0].window_s == (68400, 75600) and stops[0].prize == 50
    assert stops[1].revisit_of == "hotspot-1" and stops[1].min_gap_s == 2700
    assert stops[2].dwell_s == 720 and stops[2].window_s is None
    places = gpd.GeoDataFrame(
        {"id": ["node/1"], "kind": ["school"], "name": ["学院路小学"]},
        geometry=[shapely.Point(116.35, 40.0)],
        crs="EPSG:4326",
    )
    (school,) = stops_from_places(places, window=("07:30", "07:40"), dwell_min=25, prize=50)
    assert school.name == "学院路小学" and school.window_s == (27000, 27600) and school.kind == "school"
    grids = gpd.GeoDataFrame({"code": ["G1"]}, geometry=[shapely.box(116.35, 40.0, 116.351, 40.001)], crs="EPSG:4326")
    (grid,) = stops_from_grids(grids, teams=["t1"])
    assert grid.required and grid.teams == frozenset({"t1"})
    with pytest.raises(InputError, match="priority"):
        stops_from_hotspots(spots.drop(columns="priority"))


def test_build_problem_on_streets_and_route_geometry() -> None:
    """On a street grid, travel follows the streets and route lines start and end at the base."""
    nodes, edges, crs = street_grid(6)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    teams = [Team("t", mode="walk", speed_kmh=3.6, shift_start_s=H19, shift_end_s=H19 + 3600, base=grid_lonlat(0, 0), name="一队")]
    stops = [Stop("a", name="甲", point=grid_lonlat(2, 0), dwell_s=60), Stop("b", name="乙", point=grid_lonlat(2, 2), dwell_s=60)]
    problem = build_problem(network, teams, stops)
    assert problem.travel_s[0, 2, 0] == pytest.approx(200, abs=2)  # 200 m at 1 m/s
    assert problem.travel_s[0, 2, 1] == pytest.approx(400, abs=2)  # along the grid, not diagonal
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=20)
    assert check_plan(problem, plan) == [] and len(plan.visited()) == 2
    visits, routes = plan_frames(problem, plan, network)
    assert list(visits["seq"]) == [1, 2] and visits.crs.to_epsg() == 4326
    line = routes.geometry.iloc[0]
    assert shapely.Point(line.coords[0]).distance(shapely.Point(teams[0].base)) < 1e-6
    assert shapely.Point(line.coords[-1]).distance(shapely.Point(teams[0].base)) < 1e-6


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_orienteering_with_separate_start_and_end_passes_check(seed: int) -> None:
    """Team orienteering (start and end apart, tight limit, OR-Tools then local search) stays feasible for any seed."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (32, 2))
    d = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(int)
    teams = [Team(f"v{k}", shift_start_s=0, shift_end_s=180) for k in range(3)]
    stops = [Stop(f"c{i}", prize=int(rng.integers(1, 10)), dwell_s=0) for i in range(30)]
    problem = PatrolProblem.from_matrix(teams, stops, d, start_loc=[30] * 3, end_loc=[31] * 3)
    plan = solve_patrol(problem, time_limit_s=1, seed=seed)
    assert check_plan(problem, plan) == []
    assert plan.prize > 0
