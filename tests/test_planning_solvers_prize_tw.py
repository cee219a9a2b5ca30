"""The compiled prize-collecting search with windows, dwell, gaps, team masks and modes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geogrid.planning.solvers import prize_tw
from geogrid.planning.solvers.routing import RoutingArrays
from geogrid.planning.solvers.streams import generator

LATE = 2**40


def _arrays(
    seed: int,
    n_stops: int = 6,
    n_teams: int = 2,
    *,
    modes: int = 1,
    allowed: list[tuple[int, ...] | None] | None = None,
    min_gaps: list[tuple[int, int, int]] | None = None,
    required: tuple[int, ...] = (),
    capacity: list[int] | None = None,
    shift: int = 240,
) -> RoutingArrays:
    """A seeded synthetic instance: stops 0..n-1 with prizes, windows and dwell; one
    depot n where every team starts and ends; ``modes`` travel matrices (team t uses
    matrix t % modes, matrix k is (k + 1) x slower)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 60, (n_stops + 1, 2))
    base = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))).astype(np.int64)
    travel = np.stack([base * (k + 1) for k in range(modes)])
    opens = rng.integers(0, 120, n_stops)
    windows: list[tuple[int, int] | None] = [
        (int(o), int(o + w)) for o, w in zip(opens, rng.integers(30, 120, n_stops), strict=True)
    ]
    prizes = [int(p) for p in rng.integers(1, 10, n_stops)]
    return RoutingArrays.from_lists(
        travel,
        [t % modes for t in range(n_teams)],
        [n_stops] * n_teams,
        [n_stops] * n_teams,
        [(0, shift)] * n_teams,
        [*(int(s) for s in rng.integers(5, 20, n_stops)), 0],
        [*windows, None],
        [*(None if i in required else 1000 * prizes[i] for i in range(n_stops)), None],
        prizes=[*prizes, 0],
        allowed=None if allowed is None else [*allowed, None],
        demand=[*(int(d) for d in rng.integers(1, 4, n_stops)), 0],
        capacity=capacity,
        min_gaps=min_gaps or [],
    )


def _starts(
    arrays: RoutingArrays,
    v: int,
    route: tuple[int, ...],
    others: dict[int, int],
    visited: set[int] | None = None,
):
    """Independent earliest starts of ``route`` for vehicle v (gaps to passes on other
    routes read from ``others``, 0 while unknown for a pass in ``visited``); None when a
    window, the shift, a gap or the load breaks."""
    travel = arrays.travel[arrays.vehicle_matrix[v]]
    lo, hi = arrays.shifts[v]
    before = {b: (a, g) for a, b, g in arrays.min_gaps}
    t, here, out = lo, arrays.starts[v], {}
    for i in route:
        ok = None if arrays.allowed is None else arrays.allowed[i]
        if ok is not None and v not in ok:
            return None
        t = t + int(arrays.service[here]) + int(travel[here, i])
        w = arrays.windows[i]
        t = max(t, w[0]) if w is not None else t
        if i in before:
            a, gap = before[i]
            if a in out:
                t = max(t, out[a] + gap)
            elif a in others:
                t = max(t, others[a] + gap)
            elif visited is None or a not in visited or a in route:
                return None
        if w is not None and t > w[1]:
            return None
        out[i] = t
        here = i
    if t + int(arrays.service[here]) + int(travel[here, arrays.ends[v]]) > hi:
        return None
    load = 0 if arrays.demand is None else sum(int(arrays.demand[i]) for i in route)
    if arrays.capacity is not None and load > arrays.capacity[v]:
        return None
    return out


def _feasible(arrays: RoutingArrays, routes: tuple[tuple[int, ...], ...]) -> bool:
    """Every route fits (gaps across routes settled by iterating to the fixed point)."""
    seen = [i for r in routes for i in r]
    if len(seen) != len(set(seen)):
        return False
    others: dict[int, int] = {}
    for _ in range(len(seen) + 2):
        new: dict[int, int] = {}
        for v, r in enumerate(routes):
            out = _starts(arrays, v, r, others, set(seen))
            if out is None:
                return False
            new.update(out)
        if new == others:
            return True
        others = new
    return False


def _prize(arrays: RoutingArrays, routes: tuple[tuple[int, ...], ...]) -> int:
    return sum(int(arrays.prizes[i]) for r in routes for i in r)


def _brute_force(arrays: RoutingArrays) -> int:
    """Best prize over every pair of disjoint feasible routes (tiny instances only)."""
    stops = [i for i in range(arrays.n_nodes) if i not in set(arrays.starts)]
    per_team: list[list[tuple[int, ...]]] = []
    for v in range(arrays.n_vehicles):
        ok = [()]
        for k in range(1, len(stops) + 1):
            for perm in itertools.permutations(stops, k):
                if _starts(arrays, v, perm, {}) is not None:
                    ok.append(perm)
        per_team.append(ok)
    best = 0
    for combo in itertools.product(*per_team):
        flat = [i for r in combo for i in r]
        if len(flat) == len(set(flat)) and _feasible(arrays, combo):
            best = max(best, _prize(arrays, combo))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_reaches_the_brute_force_optimum_on_tiny_instances(seed: int) -> None:
    """On 5 stops and 2 teams with windows and dwell the search finds the best prize that
    exhaustive enumeration finds (starting from an empty plan)."""
    arrays = _arrays(seed, n_stops=5, shift=200)
    routes = prize_tw.improve_prize_tw_routes(
        arrays, [(), ()], time_limit_s=0.0, seed=seed, max_iterations=400
    )
    assert _feasible(arrays, routes)
    assert _prize(arrays, routes) == _brute_force(arrays)


@pytest.mark.parametrize("seed", range(4))
def test_windows_shift_and_capacity_are_respected(seed: int) -> None:
    """Every plan keeps each visit in its window, each team within its shift and load."""
    arrays = _arrays(seed, n_stops=14, n_teams=3, capacity=[6, 8, 10])
    routes = prize_tw.improve_prize_tw_routes(
        arrays, [(), (), ()], time_limit_s=0.0, seed=seed, max_iterations=300
    )
    assert _feasible(arrays, routes)
    assert _prize(arrays, routes) > 0


def test_revisit_keeps_its_gap_and_follows_its_first_pass() -> None:
    """A revisit is served only with its first pass, at least the gap later (same or
    another route), and with a generous window it is served."""
    arrays = _arrays(3, n_stops=8, min_gaps=[(0, 7, 60), (1, 6, 90)])
    windows = list(arrays.windows)
    windows[6] = windows[7] = (0, 240)
    arrays = RoutingArrays.from_lists(
        arrays.travel,
        arrays.vehicle_matrix,
        arrays.starts,
        arrays.ends,
        arrays.shifts,
        arrays.service,
        windows,
        arrays.penalties,
        prizes=[*arrays.prizes[:6], 50, 50, 0],
        min_gaps=arrays.min_gaps,
    )
    routes = prize_tw.improve_prize_tw_routes(
        arrays, [(), ()], time_limit_s=0.0, seed=1, max_iterations=400
    )
    assert _feasible(arrays, routes)
    served = {i for r in routes for i in r}
    for a, b, _ in arrays.min_gaps:
        assert b not in served or a in served


def test_allowed_teams_are_respected() -> None:
    """Stops only team 1 may serve are never on team 0's route, and vice versa."""
    allowed: list[tuple[int, ...] | None] = [(1,), (1,), (0,), None, (0,), (1,), None, None]
    arrays = _arrays(5, n_stops=8, allowed=allowed)
    routes = prize_tw.improve_prize_tw_routes(
        arrays, [(), ()], time_limit_s=0.0, seed=2, max_iterations=300
    )
    assert _feasible(arrays, routes)
    for v, r in enumerate(routes):
        for i in r:
            assert allowed[i] is None or v in allowed[i]


def test_each_team_uses_its_own_travel_matrix() -> None:
    """A team three times slower serves what fits its own times: its route fits its matrix,
    and the fast team collects at least as much."""
    arrays = _arrays(7, n_stops=10, modes=3, n_teams=3)
    routes = prize_tw.improve_prize_tw_routes(
        arrays, [(), (), ()], time_limit_s=0.0, seed=3, max_iterations=300
    )
    assert _feasible(arrays, routes)
    assert _prize(arrays, routes[:1]) >= _prize(arrays, routes[2:])


def test_required_stops_are_never_dropped() -> None:
    """Required stops served by the starting plan stay served in the result."""
    arrays = _arrays(2, n_stops=10, required=(3,))
    start = ((3,), ())
    assert _feasible(arrays, start)
    routes = prize_tw.improve_prize_tw_routes(
        arrays, start, time_limit_s=0.0, seed=4, max_iterations=300
    )
    assert _feasible(arrays, routes)
    assert 3 in {i for r in routes for i in r}


def test_never_worse_than_the_start_and_infeasible_starts_come_back() -> None:
    """The result collects at least the starting plan's prize; routes the search cannot
    schedule are returned as they are."""
    arrays = _arrays(4, n_stops=10)
    start = prize_tw.improve_prize_tw_routes(
        arrays, [(), ()], time_limit_s=0.0, seed=0, max_iterations=5
    )
    better = prize_tw.improve_prize_tw_routes(
        arrays, start, time_limit_s=0.0, seed=1, max_iterations=200
    )
    assert _prize(arrays, better) >= _prize(arrays, start)
    broken = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ())
    assert not _feasible(arrays, broken)
    assert (
        prize_tw.improve_prize_tw_routes(arrays, broken, time_limit_s=0.0, max_iterations=10)
        == broken
    )


def test_same_seed_and_iterations_give_the_same_plan() -> None:
    """With max_iterations the search is deterministic for a seed."""
    arrays = _arrays(9, n_stops=16, n_teams=3, min_gaps=[(0, 15, 30)])
    runs = [
        prize_tw.improve_prize_tw_routes(
            arrays, [(), (), ()], time_limit_s=0.0, seed=11, max_iterations=200
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_time_limit_stops_the_search() -> None:
    """Without max_iterations the clock stops it and the plan is feasible."""
    arrays = _arrays(1, n_stops=12)
    routes = prize_tw.improve_prize_tw_routes(arrays, [(), ()], time_limit_s=0.2, seed=0)
    assert _feasible(arrays, routes)


# ------------------------------------------------------------------ local search


def _travel(arrays: RoutingArrays, routes: tuple[tuple[int, ...], ...]) -> int:
    """Travel of every route, depot to depot, on the team's own matrix."""
    total = 0
    for v, r in enumerate(routes):
        m = arrays.travel[arrays.vehicle_matrix[v]]
        path = [arrays.starts[v], *r, arrays.ends[v]]
        total += sum(int(m[a, b]) for a, b in itertools.pairwise(path))
    return total


def _shortened(
    arrays: RoutingArrays, routes: tuple[tuple[int, ...], ...]
) -> tuple[tuple[int, ...], ...]:
    """The local search applied to ``routes`` (which must fit)."""
    problem = prize_tw.PrizeTWProblem(arrays)
    plan = problem.plan(routes)
    assert problem.schedule(plan)
    problem.local_search(plan)
    return problem.routes_of(plan)


def _points(
    xy: list[tuple[float, float]],
    depots: list[int],
    *,
    windows: dict[int, tuple[int, int]] | None = None,
    allowed: dict[int, tuple[int, ...]] | None = None,
    capacity: list[int] | None = None,
    min_gaps: list[tuple[int, int, int]] | None = None,
    shift: int = 10_000,
) -> RoutingArrays:
    """Hand-made instance: nodes at ``xy`` (metres = seconds), team v starts and ends at
    ``depots[v]``, every other node an optional stop with prize 1, demand 1, no dwell."""
    pts = np.array(xy, dtype=float)
    travel = np.ceil(np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))).astype(np.int64)
    n, teams = len(xy), len(depots)
    stops = [i for i in range(n) if i not in depots]
    return RoutingArrays.from_lists(
        travel[None],
        [0] * teams,
        depots,
        depots,
        [(0, shift)] * teams,
        [0] * n,
        [(windows or {}).get(i, (0, shift)) if i in stops else None for i in range(n)],
        [1000 if i in stops else None for i in range(n)],
        prizes=[1 if i in stops else 0 for i in range(n)],
        allowed=None if allowed is None else [allowed.get(i) for i in range(n)],
        demand=[1 if i in stops else 0 for i in range(n)],
        capacity=capacity,
        min_gaps=min_gaps or [],
    )


SQUARE = [(0, 0), (0, 100), (100, 100), (100, 0), (0, 200), (100, 200)]
"""Depot 0 and five stops round a 100 x 200 m rectangle."""


def test_two_opt_uncrosses_a_route() -> None:
    """A route that crosses itself is uncrossed (2-opt / or-opt within the route)."""
    arrays = _points(SQUARE, [0])
    start = ((1, 5, 4, 2, 3),)  # 1 -> 5 crosses 4 -> 2
    assert _feasible(arrays, start)
    out = _shortened(arrays, start)
    assert _feasible(arrays, out)
    assert sorted(out[0]) == sorted(start[0])
    assert _travel(arrays, out) == 600 < _travel(arrays, start)


def test_a_window_keeps_the_longer_order() -> None:
    """When the short order breaks a window the route keeps an order that fits."""
    arrays = _points(SQUARE, [0], windows={5: (0, 250)})
    start = ((1, 5, 4, 2, 3),)  # 5 must come first: reached at 242 s via 1
    assert _feasible(arrays, start)
    out = _shortened(arrays, start)
    assert _feasible(arrays, out)
    assert sorted(out[0]) == sorted(start[0])
    assert _travel(arrays, out) <= _travel(arrays, start)
    assert out[0].index(5) <= 1


TWO_DEPOTS = [(0, 0), (1000, 0), (0, 100), (50, 100), (1000, 100), (1050, 100)]
"""Team 0's base 0 and stops 2, 3 near it; team 1's base 1 and stops 4, 5 near it."""


def test_stops_move_to_the_team_nearby() -> None:
    """Stops served by the far team are swapped / relocated to the near one."""
    arrays = _points(TWO_DEPOTS, [0, 1])
    start = ((2, 4), (5, 3))
    out = _shortened(arrays, start)
    assert _feasible(arrays, out)
    assert sorted(out[0]) == [2, 3] and sorted(out[1]) == [4, 5]
    assert _travel(arrays, out) < _travel(arrays, start)
    relocated = _shortened(arrays, ((2, 3, 4), (5,)))
    assert sorted(relocated[0]) == [2, 3] and sorted(relocated[1]) == [4, 5]


def test_team_masks_and_capacity_hold_moves_back() -> None:
    """A stop only team 1 may serve stays on team 1, and a full team takes no more."""
    masked = _points(TWO_DEPOTS, [0, 1], allowed={3: (1,)})
    out = _shortened(masked, ((2, 4), (5, 3)))
    assert _feasible(masked, out)
    assert 3 in out[1]
    full = _points(TWO_DEPOTS, [0, 1], capacity=[1, 3])
    out = _shortened(full, ((2,), (4, 5, 3)))
    assert _feasible(full, out)
    assert len(out[0]) <= 1


def test_revisit_gaps_hold_in_the_local_search() -> None:
    """A revisit stays at least its gap after its first pass, whichever route moves."""
    arrays = _points(TWO_DEPOTS, [0, 1], min_gaps=[(2, 3, 500)])
    start = ((2, 4), (5, 3))  # 3 on the far team, 500 s after 2
    assert _feasible(arrays, start)
    out = _shortened(arrays, start)
    assert _feasible(arrays, out)
    assert _travel(arrays, out) <= _travel(arrays, start)


def _random_feasible_plans(
    arrays: RoutingArrays, rng: np.random.Generator, count: int
) -> list[tuple[tuple[int, ...], ...]]:
    """Random plans (random stops, order and team) that fit, for the property tests."""
    stops = [i for i in range(arrays.n_nodes) if i not in set(arrays.starts)]
    out: list[tuple[tuple[int, ...], ...]] = []
    for _ in range(4000):
        if len(out) == count:
            break
        pick = [int(i) for i in rng.permutation(stops)[: rng.integers(2, len(stops) + 1)]]
        team = rng.integers(0, arrays.n_vehicles, len(pick))
        routes = tuple(
            tuple(i for i, t in zip(pick, team, strict=True) if t == v)
            for v in range(arrays.n_vehicles)
        )
        if _feasible(arrays, routes):
            out.append(routes)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_local_search_keeps_every_constraint_on_random_plans(seed: int) -> None:
    """On seeded synthetic instances with windows, dwell, two modes, masks, capacities and
    a revisit gap, every shortened plan still fits (independent check), serves the same
    stops and travels no more."""
    allowed: list[tuple[int, ...] | None] = [(1,), None, None, (0,), None, None, None]
    arrays = _arrays(
        seed,
        n_stops=7,
        modes=2,
        allowed=allowed,
        capacity=[9, 9],
        min_gaps=[(1, 6, 40)] if seed % 2 else None,
        shift=400,
    )
    rng = np.random.default_rng(seed)
    plans = _random_feasible_plans(arrays, rng, 15)
    assert plans
    for start in plans:
        out = _shortened(arrays, start)
        assert _feasible(arrays, out), (start, out)
        assert sorted(i for r in out for i in r) == sorted(i for r in start for i in r)
        assert _travel(arrays, out) <= _travel(arrays, start)


def test_a_fortran_ordered_matrix_needs_no_second_compiled_signature() -> None:
    """Travel sliced out of a bigger matrix (Fortran order) runs the kernels compiled by
    warm_up, not a second specialisation compiled inside the timed search."""
    prize_tw.warm_up()
    arrays = _arrays(3, n_stops=8)
    fortran = RoutingArrays.from_lists(
        np.asfortranarray(arrays.travel),
        arrays.vehicle_matrix,
        arrays.starts,
        arrays.ends,
        arrays.shifts,
        arrays.service,
        arrays.windows,
        arrays.penalties,
        prizes=arrays.prizes,
        demand=arrays.demand,
    )
    before = len(prize_tw.run_chunk.signatures)
    routes = prize_tw.improve_prize_tw_routes(
        fortran, [(), ()], time_limit_s=0.0, seed=1, max_iterations=20
    )
    assert _feasible(fortran, routes)
    assert len(prize_tw.run_chunk.signatures) == before


# ------------------------------------------------------------------ recreate


def _rich_arrays(seed: int) -> RoutingArrays:
    """Windows, dwell, two modes, a team mask and capacities (no revisit gap: a place's
    cost is then a function of its own route alone)."""
    allowed: list[tuple[int, ...] | None] = [(1,), None, None, (0,), None, None, None, None]
    return _arrays(seed, n_stops=8, modes=2, allowed=allowed, capacity=[9, 9], shift=300)


def _added_time(arrays: RoutingArrays, v: int, route: tuple[int, ...], k: int, u: int) -> int:
    """Independent cost of u after position k (0 = the depot) of ``route``: how much later
    than before the next node can start (waiting and dwell included), at least 0."""
    travel = arrays.travel[arrays.vehicle_matrix[v]]
    starts = _starts(arrays, v, route, {})
    assert starts is not None
    path = [arrays.starts[v], *route, arrays.ends[v]]
    p, q = path[k], path[k + 1]
    leave = (arrays.shifts[v][0] if k == 0 else starts[p]) + int(arrays.service[p])
    t = leave + int(travel[p, u])
    w = arrays.windows[u]
    if w is not None:
        t = max(t, w[0])
    return max(t + int(arrays.service[u]) + int(travel[u, q]) - leave - int(travel[p, q]), 0)


def _scheduled_random_plans(seed: int, plan_seed: int):
    """(arrays, problem, routes, scheduled plan) for random plans that fit an instance of
    :func:`_rich_arrays`."""
    arrays = _rich_arrays(seed)
    problem = prize_tw.PrizeTWProblem(arrays)
    plans = _random_feasible_plans(arrays, np.random.default_rng(plan_seed), 12)
    assert plans
    for routes in plans:
        plan = problem.plan(routes)
        assert problem.schedule(plan)
        yield arrays, problem, routes, plan


def _inserted(
    routes: tuple[tuple[int, ...], ...], v: int, k: int, u: int
) -> tuple[tuple[int, ...], ...]:
    """``routes`` with u served after the first k visits of route v."""
    return tuple((*r[:k], u, *r[k:]) if w == v else r for w, r in enumerate(routes))


@pytest.mark.parametrize("seed", range(5))
def test_best_place_is_the_cheapest_place_that_fits(seed: int) -> None:
    """On random plans that fit, the compiled cheapest place of every unvisited stop in
    every route (bisection and early stop on the windows included) has the least added
    time among the places that fit by the independent check, and is None exactly when no
    place fits."""
    stream = generator(seed)
    for arrays, problem, routes, plan in _scheduled_random_plans(seed, seed):
        paths, count, loc, est, lst, vst = plan
        visited = {i for r in routes for i in r}
        for u in (int(i) for i in problem.cand if int(i) not in visited):
            for v, route in enumerate(routes):
                fits = [
                    k
                    for k in range(len(route) + 1)
                    if _feasible(arrays, _inserted(routes, v, k, u))
                ]
                d, k = prize_tw._best_place(
                    u, v, problem.T, problem.node, problem.veh, problem.allowed, paths, count,
                    loc, est, lst, vst, stream, 0.0,
                )  # fmt: skip
                if not fits:
                    assert (d, k) == (-1, -1), (routes, u, v)
                    continue
                costs = {j: _added_time(arrays, v, route, j, u) for j in fits}
                assert k in fits, (routes, u, v, k, fits)
                assert d == costs[k] == min(costs.values()), (routes, u, v, costs)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_recreate_leaves_no_stop_that_still_fits(seed: int) -> None:
    """The greedy recreate drops a stop once it fits nowhere (an insertion never makes
    room on a metric matrix): on random plans, whatever it leaves out fits in no place of
    any route by the independent check, and what it builds fits."""
    stream = generator(seed)
    for arrays, problem, routes, plan in _scheduled_random_plans(seed, 100 + seed):
        prize_tw._recreate_greedy(
            stream, problem.cand, problem.T, problem.node, problem.veh, problem.allowed,
            problem.follow, problem.nfollow, *plan, False,
        )  # fmt: skip
        out = problem.routes_of(plan)
        assert _feasible(arrays, out)
        left = [int(i) for i in problem.cand if all(int(i) not in r for r in out)]
        for u in left:
            for v, route in enumerate(out):
                for k in range(len(route) + 1):
                    assert not _feasible(arrays, _inserted(out, v, k, u)), (routes, out, u, v, k)


@pytest.mark.parametrize("gaps", [None, [(1, 5, 30)]])
def test_last_stats_count_every_iteration_with_or_without_revisits(
    gaps: list[tuple[int, int, int]] | None,
) -> None:
    """The iteration count the benchmarks read is the iterations run, revisits or not."""
    arrays = _arrays(2, n_stops=7, min_gaps=gaps, shift=400)
    prize_tw.improve_prize_tw_routes(arrays, [(), ()], time_limit_s=0.0, seed=1, max_iterations=70)
    assert prize_tw.LAST_STATS == [70]


@pytest.mark.parametrize("seed", range(4))
def test_the_portfolio_returns_its_best_search_and_shares_the_iterations(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each search of the portfolio runs its share of the iterations at its temperature;
    the plan returned is the best of theirs (by prize, checked independently)."""
    portfolio = ((1.0, 0.25), (0.2, 0.75))
    monkeypatch.setattr(prize_tw, "PORTFOLIO", portfolio)
    Plans = tuple[tuple[np.ndarray, ...], ...]
    seen: dict[int, tuple[prize_tw.PrizeTWProblem, Plans]] = {}
    ran: dict[float, int] = {}
    real_run = prize_tw.PrizeTWProblem.run

    def spy(
        self: prize_tw.PrizeTWProblem,
        rng: np.random.Generator,
        plans: Plans,
        state: np.ndarray,
        share: tuple[float, float],
        iterations: int,
        temp_factor: float = 1.0,
    ) -> None:
        seen[id(plans)] = (self, plans)
        ran[temp_factor] = ran.get(temp_factor, 0) + iterations
        return real_run(self, rng, plans, state, share, iterations, temp_factor)

    monkeypatch.setattr(prize_tw.PrizeTWProblem, "run", spy)
    arrays = _arrays(20 + seed, n_stops=14, n_teams=2, shift=300)
    out = prize_tw.improve_prize_tw_routes(
        arrays, [(), ()], time_limit_s=0.0, seed=seed, max_iterations=80
    )
    assert ran == {1.0: 20, 0.2: 60}
    bests = [problem.routes_of(plans[1]) for problem, plans in seen.values()]
    assert len(bests) == 2 and all(_feasible(arrays, b) for b in bests)
    assert _feasible(arrays, out)
    assert _prize(arrays, out) == max(_prize(arrays, b) for b in bests)
