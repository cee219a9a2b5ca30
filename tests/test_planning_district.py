"""Whole districts by team area: groups by community, per-group matrices, groups solved here
or in worker processes (forkserver/spawn, never fork), one merged plan judged by check_plan."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from typing import Any

import pytest

from geogrid.errors import InfeasibleError
from geogrid.planning import district as district_module
from geogrid.planning.district import (
    APART_S,
    MIN_GROUP_S,
    Group,
    group_district,
    pool_context,
    should_decompose,
    solve_district,
    split_time,
)
from geogrid.planning.plan import check_plan
from geogrid.planning.problem import Team, build_problem
from geogrid.planning.solve import solve_patrol
from tests import district_area as da
from tests.patrol_area import H19

FIXED = {"polish": False, "solution_limit": 60}  # a plan that does not depend on the clock


@pytest.fixture(scope="module")
def network():  # type: ignore[no-untyped-def]
    return da.network()


def test_groups_follow_communities() -> None:
    """Teams of one community form a group with the stops of its area; under strict areas
    the stops of the community without teams are in no group, under prefer they go to the
    group with the nearest base."""
    teams, stops = da.teams(), da.stops()
    strict = group_district(teams, stops)
    assert [(g.key, g.teams) for g in strict] == [(da.CODES[0], (0, 1)), (da.CODES[1], (2, 3))]
    for g, code in zip(strict, da.CODES, strict=False):
        assert g.stops and all(code in stops[i].areas for i in g.stops)
    assert not any(da.CODES[2] in stops[i].areas for g in strict for i in g.stops)
    prefer = group_district(teams, stops, team_areas="prefer")
    east = [i for i, s in enumerate(stops) if da.CODES[2] in s.areas]
    assert set(east) <= set(prefer[1].stops)  # C2's bases are nearer than C1's
    assert sorted(i for g in prefer for i in g.stops) == list(range(len(stops)))


def test_grid_codes_group_by_their_community() -> None:
    """Teams with grid codes of one community (parents) are one group; a team without an
    area joins the group with the nearest base."""
    teams = [
        Team("g1", base=da.grid_lonlat(0, 0), areas=frozenset({"c1-01"})),
        Team("g2", base=da.grid_lonlat(1, 0), areas=frozenset({"c1-02"})),
        Team("h1", base=da.grid_lonlat(9, 0), areas=frozenset({"c2-01"})),
        Team("free", base=da.grid_lonlat(10, 1)),
    ]
    groups = group_district(teams, [], parents={"c1-01": "c1", "c1-02": "c1", "c2-01": "c2"})
    assert [(g.key, g.teams) for g in groups] == [("c1", (0, 1)), ("c2", (2, 3))]


def test_time_is_shared_by_size() -> None:
    """The district's time is shared by number of stops; a group without stops gets none."""
    groups = [
        Group("a", (0,), tuple(range(30))),
        Group("b", (1,), tuple(range(10))),
        Group("c", (2,), ()),
    ]
    assert split_time(8.0, groups) == (6.0, 2.0, 0.0)
    assert split_time(0.1, groups)[1] == MIN_GROUP_S
    assert should_decompose(groups, 40, "strict") and not should_decompose(groups, 40, "prefer")
    assert not should_decompose(groups[:1], 40, "strict")


def test_decomposed_plan_matches_the_whole_problem(network) -> None:  # type: ignore[no-untyped-def]
    """Strict areas, every stop in reach: the merged plan passes check_plan on the district's
    problem and on the undecomposed problem (full matrix); decomposed and undecomposed both
    serve every stop a team may serve, so their prizes are equal."""
    teams, stops = da.teams(), da.stops()
    run = solve_district(network, teams, stops, time_limit_s=2, seed=1, **FIXED)
    whole = build_problem(network, teams, stops)
    plan = solve_patrol(whole, time_limit_s=2, seed=1)
    assert check_plan(run.problem, run.plan) == []
    assert check_plan(whole, run.plan) == [] and check_plan(whole, plan) == []
    reachable = sum(stops[i].prize for g in run.groups for i in g.stops)
    assert run.plan.prize == plan.prize == reachable
    assert run.idle == {}
    # between groups the district's problem says "out of reach"; no stop crosses groups
    east = run.groups[1].stops[0]
    assert run.problem.travel_s[0, run.problem.start_loc[0], east] == APART_S
    assert run.problem.allowed_teams(run.problem.stops[east]) == [2, 3]


def test_prefer_decomposed_is_valid_on_the_whole_problem(network) -> None:  # type: ignore[no-untyped-def]
    """prefer: stops in no team's area go to the nearest group; the merged plan passes
    check_plan on the district's problem, and every leg it uses on the full one."""
    teams, stops = da.teams(shift_min=180), da.stops()
    run = solve_district(
        network, teams, stops, team_areas="prefer", time_limit_s=2, seed=1, **FIXED
    )
    assert check_plan(run.problem, run.plan) == []
    whole = build_problem(network, teams, stops, team_areas="prefer")
    assert check_plan(whole, run.plan) == []
    assert any(da.CODES[2] in run.problem.stops[i].areas for i in run.plan.visited())


def test_two_workers_give_the_same_plan_as_one(network, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """workers=2 runs the groups in a process pool started by forkserver or spawn (never
    fork) and gives exactly the plan of workers=1 (fixed solution limit, no clock)."""
    contexts: list[str] = []
    real = district_module.ProcessPoolExecutor

    def spy(*args: Any, **kwargs: Any) -> Any:
        contexts.append(kwargs["mp_context"].get_start_method())
        return real(*args, **kwargs)

    monkeypatch.setattr(district_module, "ProcessPoolExecutor", spy)
    teams, stops = da.teams(), da.stops()
    one = solve_district(network, teams, stops, time_limit_s=2, seed=3, workers=1, **FIXED)
    assert contexts == []
    two = solve_district(network, teams, stops, time_limit_s=2, seed=3, workers=2, **FIXED)
    assert contexts in (["forkserver"], ["spawn"])
    assert two.workers == 2 and one.workers == 1
    assert check_plan(two.problem, two.plan) == []
    assert two.plan.routes == one.plan.routes and two.plan.prize == one.plan.prize


def test_pool_context_never_forks() -> None:
    """The pool's start method is forkserver where the platform has it, else spawn."""
    method = pool_context().get_start_method()
    assert method != "fork"
    assert method == (
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )


def test_team_with_no_stop_in_its_area_gets_an_empty_route(network) -> None:  # type: ignore[no-untyped-def]
    """A team whose community holds no stop is its own group: empty route, the reason said."""
    t9 = Team("t9", shift_start_s=H19, shift_end_s=H19 + 7200, base=da.grid_lonlat(11, 11),
              areas=frozenset({"110108001009"}))  # fmt: skip
    teams = [*da.teams(), t9]
    run = solve_district(network, teams, da.stops(), time_limit_s=2, seed=1, **FIXED)
    assert run.groups[-1].key == "110108001009" and run.groups[-1].stops == ()
    assert run.plan.routes[4].visits == () and check_plan(run.problem, run.plan) == []
    assert run.idle == {4: "no stop lies in its area (110108001009)"}


def test_infeasible_group_is_named(network) -> None:  # type: ignore[no-untyped-def]
    """A required stop its group cannot reach makes an InfeasibleError naming the group."""
    stops = da.stops()
    stops[0] = replace(stops[0], required=True, window_s=(0, 60))
    with pytest.raises(InfeasibleError) as err:
        solve_district(network, da.teams(), stops, time_limit_s=1, seed=1, **FIXED)
    assert any(
        r.startswith(f"{da.CODES[0]}: required stop {stops[0].id}") for r in err.value.reasons
    )
