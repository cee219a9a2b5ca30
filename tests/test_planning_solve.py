"""solve_patrol: plans judged by check_plan, same seed -> same plan, errors that explain."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from geogrid.errors import InfeasibleError, InternalError
from geogrid.planning import solve as solve_module
from geogrid.planning.plan import check_plan, imbalance, plan_summary, skip_reasons, team_shares
from geogrid.planning.problem import PatrolProblem, Stop, Team, passes_at_hotspots
from geogrid.planning.solve import routing_arrays, solve_patrol, solver_locations
from tests.patrol_area import H19, random_problem


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_plan_passes_check_plan(seed: int) -> None:
    """Plans for random instances satisfy every constraint check_plan knows."""
    problem = random_problem(seed)
    plan = solve_patrol(problem, time_limit_s=1, seed=seed, solution_limit=200, polish=False)
    assert check_plan(problem, plan) == []
    assert plan.prize > 0
    assert problem.stop_index["s1"] in plan.visited()  # required


def test_same_seed_gives_the_same_plan() -> None:
    """Two runs with the same seed and solution limit return identical plans."""
    problem = random_problem(5)
    a = solve_patrol(problem, time_limit_s=30, seed=7, solution_limit=10, polish=False)
    b = solve_patrol(problem, time_limit_s=30, seed=7, solution_limit=10, polish=False)
    assert a.routes == b.routes and a.prize == b.prize


def test_revisit_comes_after_the_gap() -> None:
    """A revisit that fits easily is made, and starts at least min_gap_s after the first pass."""
    stops = [
        Stop("s0", prize=10, dwell_s=600),
        Stop("s1", prize=10, dwell_s=600),
        Stop("s2", prize=10, dwell_s=600),
        Stop("s2-again", prize=10, dwell_s=300, revisit_of="s2", min_gap_s=1800),
    ]
    # four stops two minutes apart and from the base; three hours for 35 min of dwell
    travel = np.full((5, 5), 120) * (1 - np.eye(5))
    travel[2, 3] = travel[3, 2] = 0  # the revisit is at the same place
    problem = PatrolProblem.from_matrix(
        [Team("t0", shift_start_s=H19, shift_end_s=H19 + 3 * 3600)], stops, travel
    )
    plan = solve_patrol(problem, time_limit_s=1, seed=1, solution_limit=200, polish=False)
    assert check_plan(problem, plan) == []
    starts = {problem.stops[v.stop].id: v.start_s for r in plan.routes for v in r.visits}
    assert "s2-again" in starts and "s2" in starts
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
        [Team("t0", shift_start_s=H19, shift_end_s=H19 + 7200)],
        stops,
        np.full((3, 3), 60) * (1 - np.eye(3)),
    )
    with pytest.raises(InfeasibleError, match="not all together"):
        solve_patrol(problem, time_limit_s=1)


def test_skills_and_areas_restrict_teams() -> None:
    """Stops limited to a team or a skill are served only by that team."""
    teams = [
        Team("a", shift_start_s=0, shift_end_s=7200),
        Team("b", shift_start_s=0, shift_end_s=7200, skills=frozenset({"aed"})),
    ]
    stops = [
        Stop("x", teams=frozenset({"a"}), prize=5),
        Stop("y", skill="aed", prize=5),
        Stop("z", prize=5),
    ]
    problem = PatrolProblem.from_matrix(teams, stops, np.full((5, 5), 120) * (1 - np.eye(5)))
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=50, polish=False)
    assert check_plan(problem, plan) == []
    owner = {problem.stops[v.stop].id: r.team for r in plan.routes for v in r.visits}
    assert owner["x"] == 0 and owner["y"] == 1


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_orienteering_with_separate_start_and_end_passes_check(seed: int) -> None:
    """Team orienteering (start and end apart, tight limit, OR-Tools then local search) stays
    feasible for any seed."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (32, 2))
    d = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(int)
    teams = [Team(f"v{k}", shift_start_s=0, shift_end_s=180) for k in range(3)]
    stops = [Stop(f"c{i}", prize=int(rng.integers(1, 10)), dwell_s=0) for i in range(30)]
    problem = PatrolProblem.from_matrix(teams, stops, d, start_loc=[30] * 3, end_loc=[31] * 3)
    plan = solve_patrol(problem, time_limit_s=1, seed=seed)
    assert check_plan(problem, plan) == []
    assert plan.prize > 0


def test_polish_false_with_solution_limit_repeats_on_any_machine() -> None:
    """Pure orienteering without the polish is an OR-Tools run stopped by solution count:
    the same seed gives the same plan twice, and it passes check_plan."""
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 100, (12, 2))
    d = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(int)
    stops = [Stop(f"c{i}", prize=int(rng.integers(1, 10)), dwell_s=0) for i in range(10)]
    problem = PatrolProblem.from_matrix(
        [Team("v", shift_start_s=0, shift_end_s=150)], stops, d, start_loc=[10], end_loc=[11]
    )
    a, b = (
        solve_patrol(problem, time_limit_s=30, seed=3, solution_limit=20, polish=False)
        for _ in range(2)
    )
    assert a.routes == b.routes and check_plan(problem, a) == []


def test_routing_arrays_are_built_once_read_only() -> None:
    """The problem becomes one frozen arrays object: bases have no service, penalty or prize."""
    problem = random_problem(0)
    arrays = routing_arrays(problem, skip_weight=7)
    n = problem.n_stops
    assert arrays.n_nodes == problem.n_locations and arrays.n_vehicles == 2
    assert arrays.penalties[problem.stop_index["s1"]] is None  # required
    assert arrays.penalties[0] == 7 * problem.stops[0].prize
    assert list(arrays.prizes[n:]) == [0, 0] and list(arrays.service[n:]) == [0, 0]
    assert arrays.min_gaps == ((problem.stop_index["s2"], problem.stop_index["s2-again"], 1800),)
    with pytest.raises(ValueError):
        arrays.travel[0, 0, 0] = 1


def test_solver_checker_disagreement_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that fails check_plan is never handed out: InternalError asks for a bug report."""
    problem = random_problem(1)
    monkeypatch.setattr(solve_module, "check_plan", lambda problem, plan: ["t0: made-up violation"])
    with pytest.raises(InternalError, match="report") as err:
        solve_patrol(problem, time_limit_s=1, solution_limit=20, polish=False)
    assert "made-up violation" in str(err.value)
    assert not isinstance(err.value, InfeasibleError)


def bike_and_walkers(seed: int = 4) -> PatrolProblem:
    """The issue's night: one bike team and five walkers from one base, 19:00-22:00, twelve
    hot spots within 1.2 km (10 min each), extra passes at the four hottest 45 min apart."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1200, (13, 2))  # 12 hot spots, then the base
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    teams = [
        Team("bike", mode="bike", size=1, shift_start_s=H19, shift_end_s=H19 + 3 * 3600),
        Team("walk", mode="walk", size=5, shift_start_s=H19, shift_end_s=H19 + 3 * 3600),
    ]
    spots = [Stop(f"h{i}", prize=10 * (1 + i % 5), dwell_s=600, kind="hotspot") for i in range(12)]
    stops = spots + passes_at_hotspots(spots, teams, top=4, gap_min=45, dwell_min=10)
    place = [int(s.id.split("-")[0][1:]) for s in stops] + [12, 12]
    at = np.ix_(place, place)
    travel = np.stack([metres[at] / 4.2, metres[at] / 1.25])  # bike, walk (m/s)
    return PatrolProblem.from_matrix(
        teams,
        stops,
        travel,
        metres=np.stack([metres[at]] * 2),
        matrix_of_team=[0, 1],
        start_loc=[len(stops)] * 2,
        end_loc=[len(stops) + 1] * 2,
    )


def test_walkers_get_a_fair_share_and_every_team_a_full_night() -> None:
    """Both teams patrol their whole shift (check_plan's shift rule) and the five walkers carry most
    of the work; balancing after the solver loses no prize."""
    problem = bike_and_walkers()
    fair = solve_patrol(problem, time_limit_s=30, seed=1, solution_limit=100, polish=False)
    prize_only = solve_patrol(
        problem,
        time_limit_s=30,
        seed=1,
        solution_limit=100,
        polish=False,
        balance="weighted",
        balance_weight=0,
    )
    for plan in (fair, prize_only):
        assert check_plan(problem, plan) == []
    assert fair.prize == prize_only.prize == sum(s.prize for s in problem.stops)
    shares = team_shares(problem, fair)
    assert shares[1].work_share > shares[0].work_share and shares[1].fair_share > 0.7
    off = [
        imbalance([sh.work for sh in team_shares(problem, p)], fair.fair_share)
        for p in (fair, prize_only)
    ]
    assert off[0] <= off[1]
    assert sum(sh.passes for sh in shares) > 0  # spare time went to extra passes
    assert "work" in plan_summary(problem, fair)


def test_weighted_balance_trades_prize_for_fairness() -> None:
    """With a heavy weight the plan may give up prize, never gets less fair, and stays valid."""
    problem = bike_and_walkers(5)
    lex = solve_patrol(problem, time_limit_s=30, seed=2, solution_limit=100, polish=False)
    heavy = solve_patrol(
        problem,
        time_limit_s=30,
        seed=2,
        solution_limit=100,
        polish=False,
        balance="weighted",
        balance_weight=5,
        mode_weights={"bike": 6.0},
    )
    assert check_plan(problem, heavy) == [] and check_plan(problem, lex) == []
    assert heavy.prize <= lex.prize
    assert heavy.fair_share != lex.fair_share  # the bike weighs six walkers here
    with pytest.raises(ValueError, match="balance"):
        solve_patrol(problem, time_limit_s=1, solution_limit=5, polish=False, balance="even")


def test_no_stop_within_reach_gives_an_empty_plan_with_the_reason() -> None:
    """Orienteering where start and end lie further apart than the time limit (best known 0, like
    Chao's p6.3.b): an empty plan, every stop skipped as 'shift too short', no crash."""
    xy = np.array(
        [[0.0, 1.0], [1.0, 6.0], [-1.0, -6.0], [0.0, -7.0], [0.0, 7.0]]
    )  # 3 stops, start, end
    d = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) * 1000).astype(int)
    teams = [Team(f"v{k}", shift_start_s=0, shift_end_s=6700) for k in range(3)]
    stops = [Stop(f"c{i}", prize=6, dwell_s=0) for i in range(3)]
    problem = PatrolProblem.from_matrix(teams, stops, d, start_loc=[3] * 3, end_loc=[4] * 3)
    plan = solve_patrol(problem, time_limit_s=1, seed=1)
    assert check_plan(problem, plan) == []
    assert plan.prize == 0 and plan.visited() == [] and all(r.metres == 0 for r in plan.routes)
    assert [sk.reason for sk in skip_reasons(problem, plan)] == ["shift"] * 3
    assert "no stop planned: no team can reach any stop within its shift" in plan_summary(
        problem, plan
    )


def test_a_shift_too_short_for_any_stop_stays_at_base() -> None:
    """A real team whose shift holds no stop (10 min out, 15 min dwell, 20-minute shift) gets an
    empty route; the other team's stops are planned."""
    teams = [
        Team("short", shift_start_s=H19, shift_end_s=H19 + 1200),
        Team("long", shift_start_s=H19, shift_end_s=H19 + 7200),
    ]
    stops = [
        Stop("a", prize=10, dwell_s=900, teams=frozenset({"short"})),
        Stop("b", prize=10, dwell_s=900),
    ]
    travel = np.array([[0, 300, 600, 600], [300, 0, 600, 600], [600, 600, 0, 0], [600, 600, 0, 0]])
    problem = PatrolProblem.from_matrix(teams, stops, travel)
    plan = solve_patrol(problem, time_limit_s=1, solution_limit=20, polish=False)
    assert check_plan(problem, plan) == []
    assert plan.routes[0].visits == () and [v.stop for v in plan.routes[1].visits] == [1]
    (why,) = skip_reasons(problem, plan)
    assert why.reason == "shift" and "short cannot stay 15 min" in why.text
    lone = PatrolProblem.from_matrix(teams[:1], stops[:1], travel[np.ix_([0, 2], [0, 2])])
    empty = solve_patrol(lone, time_limit_s=1, solution_limit=20, polish=False)
    assert check_plan(lone, empty) == [] and empty.visited() == []


def test_the_solvers_see_only_stops_some_team_can_reach() -> None:
    """Extra passes and stops out of every team's reach are not handed to the solvers."""
    problem = bike_and_walkers()
    keep = [i for i, s in enumerate(problem.stops) if not s.is_fill]
    arrays = routing_arrays(problem, keep=keep)
    locs = solver_locations(problem, keep)
    assert arrays.n_nodes == len(keep) + 2 and locs[: len(keep)] == keep
    assert arrays.starts == (len(keep), len(keep)) and arrays.min_gaps == ()


def _record_polish(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap the three compiled searches solve_patrol may call; returns the names called."""
    called: list[str] = []
    for name in ("improve_prize_routes", "improve_required_routes", "improve_prize_tw_routes"):
        real = getattr(solve_module, name)

        def wrapper(
            *args: object, _real: Callable[..., object] = real, _name: str = name, **kw: object
        ) -> object:
            called.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(solve_module, name, wrapper)
    return called


@pytest.mark.parametrize("seed", [0, 4])
def test_windows_revisits_and_a_required_stop_go_to_the_prize_search_with_windows(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """A problem with windows, a revisit gap and a required stop among optional ones is
    polished by the compiled prize search with windows; its plan passes check_plan and
    serves the required stop."""
    called = _record_polish(monkeypatch)
    problem = random_problem(seed)
    plan = solve_patrol(problem, time_limit_s=1.0, seed=seed)
    assert called == ["improve_prize_tw_routes"]
    assert check_plan(problem, plan) == []
    assert problem.stop_index["s1"] in plan.visited()


def test_mixed_modes_and_team_restrictions_go_to_the_prize_search_with_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Walk and e-bike teams (one matrix each) with stops only one team may serve: the
    compiled prize search with windows polishes, every stop stays with its team."""
    called = _record_polish(monkeypatch)
    rng = np.random.default_rng(8)
    xy = rng.uniform(0, 2000, (22, 2))
    metres = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    walk, bike = np.ceil(metres / 1.25), np.ceil(metres / 4.0)
    teams = [
        Team("walkers", mode="walk", shift_start_s=H19, shift_end_s=H19 + 5400),
        Team("bikes", mode="bike", shift_start_s=H19, shift_end_s=H19 + 5400),
    ]
    stops = [
        Stop(
            f"s{i}",
            prize=int(rng.integers(1, 6)),
            dwell_s=300,
            teams=frozenset({"walkers"}) if i < 4 else None,
        )
        for i in range(20)
    ]
    problem = PatrolProblem.from_matrix(
        teams, stops, np.stack([walk, bike]), metres=np.stack([metres, metres]),
        matrix_of_team=[0, 1],
    )  # fmt: skip
    plan = solve_patrol(problem, time_limit_s=1.0, seed=2)
    assert called == ["improve_prize_tw_routes"]
    assert check_plan(problem, plan) == []
    walkers = {problem.stops[v.stop].id for v in plan.routes[0].visits}
    assert all(problem.stops[v.stop].id not in {"s0", "s1", "s2", "s3"}
               for v in plan.routes[1].visits)  # fmt: skip
    assert walkers


def test_pure_orienteering_and_no_polish_skip_the_prize_search_with_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Plain team orienteering keeps its own search; polish=False runs OR-Tools alone."""
    called = _record_polish(monkeypatch)
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (12, 2))
    d = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(int)
    stops = [Stop(f"c{i}", prize=int(rng.integers(1, 10)), dwell_s=0) for i in range(10)]
    problem = PatrolProblem.from_matrix(
        [Team("v", shift_start_s=0, shift_end_s=150)], stops, d, start_loc=[10], end_loc=[11]
    )
    solve_patrol(problem, time_limit_s=0.5, seed=1)
    assert called == ["improve_prize_routes"]
    called.clear()
    solve_patrol(random_problem(1), time_limit_s=0.5, seed=1, polish=False)
    assert called == []


def test_without_a_first_plan_in_its_share_or_tools_gets_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When OR-Tools finds no first plan in its share of a polished rich problem, it is
    asked again with the rest of the time (as when it ran alone), not given up."""
    real = solve_module.solve_routing
    limits: list[float] = []

    def first_fails(arrays: object, **kw: object) -> object:
        limits.append(float(kw["time_limit_s"]))  # type: ignore[arg-type]
        result = real(arrays, **kw)  # type: ignore[arg-type]
        if len(limits) == 1:
            return dataclasses.replace(result, found=False, routes=((),) * len(result.routes))
        return result

    monkeypatch.setattr(solve_module, "solve_routing", first_fails)
    problem = random_problem(2)
    plan = solve_patrol(problem, time_limit_s=1.0, seed=2)
    assert limits == pytest.approx([0.3, 0.7])
    assert check_plan(problem, plan) == []
    assert problem.stop_index["s1"] in plan.visited()
