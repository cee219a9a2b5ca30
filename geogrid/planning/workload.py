"""Workload: fair shares between teams and the shift's spare time (no solver).

Once a solver has placed the valuable stops (:mod:`geogrid.planning.solve`),
:func:`balance_routes` moves stops between teams towards each team's fair
share of the work (:func:`~geogrid.planning.problem.fair_shares`: size, mode
and shift hours) and :func:`fill_routes` spends the time left on extra passes
(stops with a ``fill_value``: the hottest spots again, the team's own grids),
so that no team leaves late or comes back early while an extra pass fits.

Both are local searches over visit orders that keep every constraint
:func:`~geogrid.planning.plan.check_plan` knows (windows, shifts, gaps,
teams, capacity); both are deterministic (limited by counts, not a clock).
Work is the prize of the stops a team serves; the imbalance is
:func:`~geogrid.planning.plan.imbalance`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np

from geogrid.planning.config import PatrolConfig
from geogrid.planning.plan import imbalance
from geogrid.planning.problem import (
    PatrolProblem,
    Stop,
    Team,
    own_grids,
    passes_at_hotspots,
    passes_through_grids,
)

Balance = Literal["lexicographic", "weighted"]
BALANCES: tuple[str, ...] = ("lexicographic", "weighted")
"""``lexicographic``: most prize first, then the fairest shares among plans with that
prize; ``weighted``: most prize minus ``weight`` x imbalance (prize points given up
per point of imbalance removed)."""
MAX_MOVES = 400
"""Moves :func:`balance_routes` makes at most (:func:`fill_routes` stops when no pass is left)."""
TRIALS_PER_MOVE = 40
"""Candidate moves checked in full before the search gives up on finding one."""
EPS = 1e-9
LATE = 2**40


class _Routes:
    """Visit orders being changed, with their earliest-start schedule."""

    def __init__(self, problem: PatrolProblem, orders: Sequence[Sequence[int]]) -> None:
        self.p = problem
        n = problem.n_stops
        self.follow: dict[int, list[int]] = {}
        self.before = np.full(n, -1, dtype=np.int64)
        for i, stop in enumerate(problem.stops):
            if stop.revisit_of is not None:
                a = problem.stop_index[stop.revisit_of]
                self.before[i] = a
                self.follow.setdefault(a, []).append(i)
        self.allowed = [problem.allowed_teams(s) for s in problem.stops]
        self.dwell = np.array([s.dwell_s for s in problem.stops], dtype=np.int64)
        self.lo = np.array(
            [s.window_s[0] if s.window_s else 0 for s in problem.stops], dtype=np.int64
        )
        self.hi = np.array(
            [s.window_s[1] if s.window_s else LATE for s in problem.stops], dtype=np.int64
        )
        self.gap = np.array([s.min_gap_s for s in problem.stops], dtype=np.int64)
        self.prize = np.array([s.prize for s in problem.stops], dtype=np.int64)
        self.demand = np.array([s.demand for s in problem.stops], dtype=np.int64)
        self.orders = [list(o) for o in orders]
        starts = self.schedule(self.orders)
        if starts is None:
            raise ValueError("the routes to improve are not feasible")
        self.starts = starts

    # ---------------------------------------------------------------- schedule

    def _route(
        self, t: int, order: Sequence[int], starts: dict[int, int], visited: set[int]
    ) -> list[int] | None:
        """Earliest starts of ``order`` for team ``t``; passes before a revisit that lie on
        other routes are read from ``starts`` (0 while still unknown)."""
        p = self.p
        team, k = p.teams[t], p.matrix_of_team[t]
        travel = p.travel_s[k]
        loc, clock, load = p.start_loc[t], team.shift_start_s, 0
        own: dict[int, int] = {}
        out = []
        for i in order:
            start = max(clock + int(travel[loc, i]), int(self.lo[i]))
            a = int(self.before[i])
            if a >= 0:
                if a not in visited:
                    return None
                if a in own:
                    start = max(start, own[a] + int(self.gap[i]))
                elif a in order:  # the pass before comes later on the same route
                    return None
                else:
                    start = max(start, starts.get(a, 0) + int(self.gap[i]))
            if start > self.hi[i]:
                return None
            own[i] = start
            out.append(start)
            clock, loc = start + int(self.dwell[i]), i
            load += int(self.demand[i])
        if order and clock + int(travel[loc, p.end_loc[t]]) > team.shift_end_s:
            return None
        if team.capacity is not None and load > team.capacity:
            return None
        return out

    def schedule(self, orders: Sequence[Sequence[int]]) -> dict[int, int] | None:
        """Earliest starts of every visit (gaps across routes settled by iteration), or
        None when the orders break a window, shift, gap or capacity."""
        visited = {i for o in orders for i in o}
        if len(visited) != sum(len(o) for o in orders):
            return None
        if any(t not in self.allowed[i] for t, o in enumerate(orders) for i in o):
            return None
        starts: dict[int, int] = {}
        for _ in range(len(visited) + 2):
            new: dict[int, int] = {}
            for t, order in enumerate(orders):
                times = self._route(t, order, starts, visited)
                if times is None:
                    return None
                new.update(zip(order, times, strict=True))
            if new == starts:
                return starts
            starts = new
        return None

    # ---------------------------------------------------------------- insertion

    def slack(
        self, t: int, order: Sequence[int], starts: dict[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """For inserting into ``order``: the departure time from each node of the path
        (base, visits) and the latest arrival at each next node (visits, end) that keeps
        the rest of the route feasible.

        A visit may start no later than its window's end, than the latest arrival at the
        next node allows, and than the latest start of the passes after it at the same
        place minus their gap: a later pass on this route (its own latest, so that a pass
        pushed back by a delayed first pass still fits) or on another route (its start as
        planned, which this insertion does not move).
        """
        team = self.p.teams[t]
        travel = self.p.travel_s[self.p.matrix_of_team[t]]
        dep = np.empty(len(order) + 1, dtype=np.int64)
        dep[0] = team.shift_start_s
        for j, i in enumerate(order, 1):
            dep[j] = starts[i] + self.dwell[i]
        latest = np.empty(len(order) + 1, dtype=np.int64)
        latest[-1] = team.shift_end_s
        nxt = self.p.end_loc[t]
        position = {i: j for j, i in enumerate(order)}
        for j in range(len(order) - 1, -1, -1):
            i = order[j]
            bound = min(
                int(self.hi[i]), int(latest[j + 1]) - int(self.dwell[i]) - int(travel[i, nxt])
            )
            for b in self.follow.get(i, ()):
                if (
                    b in position
                ):  # later on this route (schedule() refuses a pass before its first)
                    bound = min(bound, int(latest[position[b]]) - int(self.gap[b]))
                elif b in starts:
                    bound = min(bound, starts[b] - int(self.gap[b]))
            latest[j] = bound
            nxt = i
        return dep, latest

    def best_insertion(
        self,
        t: int,
        x: int,
        order: Sequence[int],
        starts: dict[int, int],
        arrays: tuple[np.ndarray, np.ndarray],
        load: int,
    ) -> tuple[int, int] | None:
        """(position, added seconds) of the cheapest feasible insertion of ``x`` into
        ``order`` for team ``t`` (windows, shift, gap after the pass before), or None."""
        p = self.p
        team = p.teams[t]
        if t not in self.allowed[x]:
            return None
        if team.capacity is not None and load + int(self.demand[x]) > team.capacity:
            return None
        travel = p.travel_s[p.matrix_of_team[t]]
        path = np.asarray([p.start_loc[t], *order, p.end_loc[t]], dtype=np.int64)
        dep, latest = arrays
        start = np.maximum(dep + travel[path[:-1], x], self.lo[x])
        first_pos = 0
        a = int(self.before[x])
        if a >= 0:
            if a not in starts:
                return None
            start = np.maximum(start, starts[a] + self.gap[x])
            if a in order:
                first_pos = list(order).index(a) + 1
        hi = int(self.hi[x])
        for b in self.follow.get(x, ()):
            if b in starts:
                hi = min(hi, starts[b] - int(self.gap[b]))
        ok = (start <= hi) & (start + self.dwell[x] + travel[x, path[1:]] <= latest)
        ok[:first_pos] = False
        if not ok.any():
            return None
        added = travel[path[:-1], x] + self.dwell[x] + travel[x, path[1:]]
        if order:  # a team that stays at its base has no leg to replace
            added = added - travel[path[:-1], path[1:]]
        added = np.where(ok, added, LATE)
        j = int(np.argmin(added))
        return j, int(added[j])

    def works(self, orders: Sequence[Sequence[int]]) -> list[int]:
        return [int(self.prize[list(o)].sum()) if o else 0 for o in orders]

    def loads(self, orders: Sequence[Sequence[int]]) -> list[int]:
        return [int(self.demand[list(o)].sum()) if o else 0 for o in orders]

    def accept(self, orders: list[list[int]]) -> bool:
        starts = self.schedule(orders)
        if starts is None:
            return False
        self.orders, self.starts = orders, starts
        return True


def extra_passes(
    stops: Sequence[Stop],
    teams: Sequence[Team],
    grids: gpd.GeoDataFrame | None,
    config: PatrolConfig,
    metric_crs: str,
) -> list[Stop]:
    """The extra passes ``[fill]`` asks for: more passes at the hottest of ``stops``
    and through each team's own ``grids`` (``[teams.<id>] grids``, else the grids
    nearest its base), ``gap_min`` apart (default ``[hotspots] revisit_after_min``)."""
    fill = config.fill
    gap = fill.gap_min if fill.gap_min is not None else config.hotspots.revisit_after_min
    out = passes_at_hotspots(
        stops, teams, top=fill.hotspot_passes, gap_min=gap, dwell_min=fill.dwell_min
    )
    if fill.grid_passes and grids is not None and len(grids):
        own = own_grids(grids, teams, metric_crs, config.own_grids())
        out += passes_through_grids(
            grids, teams, own, gap_min=gap, dwell_min=fill.grid_dwell_min, value=fill.grid_value
        )
    return out


Move = tuple[tuple[float, float], int, list[list[int]]]
"""A candidate move: (gain in the score, seconds it adds, the new orders)."""


def balance_routes(
    problem: PatrolProblem,
    orders: Sequence[Sequence[int]],
    fair: Sequence[float],
    *,
    how: str = "lexicographic",
    weight: float = 0.5,
) -> tuple[tuple[int, ...], ...]:
    """Move valuable stops between teams towards their ``fair`` shares of the work.

    ``how="lexicographic"``: first insert any skipped stop that still fits
    (most prize first), then relocate and swap stops between teams while the
    imbalance falls - the prize never drops. ``how="weighted"``: every move
    (insert, drop, relocate, swap) that raises prize - ``weight`` x imbalance.
    Required stops are never dropped; extra passes are left to
    :func:`fill_routes`. Returns the new orders (feasible if ``orders`` were).
    """
    if how not in BALANCES:
        raise ValueError(f"balance {how!r}: choose {' or '.join(BALANCES)}")
    state = _Routes(problem, orders)
    valuable = [i for i, s in enumerate(problem.stops) if not s.is_fill and s.prize > 0]

    def score(works: Sequence[int]) -> tuple[float, float]:
        total, off = float(sum(works)), imbalance(works, fair)
        return (total, -off) if how == "lexicographic" else (total - weight * off, 0.0)

    for _ in range(MAX_MOVES):
        works, loads = state.works(state.orders), state.loads(state.orders)
        now = score(works)
        where = {i: t for t, o in enumerate(state.orders) for i in o}
        arrays = [state.slack(t, o, state.starts) for t, o in enumerate(state.orders)]
        cands: list[Move] = []

        def gain(
            new_works: list[int], now: tuple[float, float] = now
        ) -> tuple[float, float] | None:
            s = score(new_works)
            d = (s[0] - now[0], s[1] - now[1])
            return d if d[0] > EPS or (abs(d[0]) <= EPS and d[1] > EPS) else None

        for x in valuable:
            px = int(state.prize[x])
            if x not in where:  # insert a skipped stop
                for t in state.allowed[x]:
                    w = list(works)
                    w[t] += px
                    g = gain(w)
                    ins = (
                        None
                        if g is None
                        else state.best_insertion(
                            t, x, state.orders[t], state.starts, arrays[t], loads[t]
                        )
                    )
                    if g is not None and ins is not None:
                        new = [list(o) for o in state.orders]
                        new[t].insert(ins[0], x)
                        cands.append((g, ins[1], new))
                continue
            a = where[x]
            if any(b in where for b in state.follow.get(x, ())):
                continue  # a revisit hangs on it
            if how == "weighted" and not problem.stops[x].required:  # drop it
                w = list(works)
                w[a] -= px
                g = gain(w)
                if g is not None:
                    new = [list(o) for o in state.orders]
                    new[a].remove(x)
                    cands.append((g, 0, new))
            for b in state.allowed[x]:
                if b == a:
                    continue
                w = list(works)
                w[a] -= px
                w[b] += px
                g = gain(w)
                ins = (
                    None
                    if g is None
                    else state.best_insertion(
                        b, x, state.orders[b], state.starts, arrays[b], loads[b]
                    )
                )
                if g is not None and ins is not None:
                    new = [list(o) for o in state.orders]
                    new[a].remove(x)
                    new[b].insert(ins[0], x)
                    cands.append((g, ins[1], new))
        if not cands:
            cands = _swaps(state, works, gain, where)
        if not _take_best(state, cands):
            break
    return tuple(tuple(o) for o in state.orders)


def _swaps(
    state: _Routes,
    works: list[int],
    gain: Callable[[list[int]], tuple[float, float] | None],
    where: dict[int, int],
) -> list[Move]:
    """Swaps (x of team a for y of team b) that improve the score, best first; at most
    TRIALS_PER_MOVE feasible ones, found among 4 x as many tried."""
    free = [i for i in where if not state.follow.get(i) and state.before[i] < 0]
    pairs = []
    for x in free:
        a = where[x]
        for y in free:
            b = where[y]
            if b <= a or state.prize[x] == state.prize[y]:
                continue
            if a not in state.allowed[y] or b not in state.allowed[x]:
                continue
            w = list(works)
            d = int(state.prize[x]) - int(state.prize[y])
            w[a] -= d
            w[b] += d
            g = gain(w)
            if g is not None:
                pairs.append((g, x, y, a, b))
    pairs.sort(key=lambda c: (c[0], -c[1], -c[2]), reverse=True)
    out: list[Move] = []
    for g, x, y, a, b in pairs[: TRIALS_PER_MOVE * 4]:
        new = [list(o) for o in state.orders]
        new[a] = [i for i in new[a] if i != x]
        new[b] = [i for i in new[b] if i != y]
        starts = state.schedule(new)
        if starts is None:
            continue
        loads = state.loads(new)
        ins_y = state.best_insertion(a, y, new[a], starts, state.slack(a, new[a], starts), loads[a])
        ins_x = state.best_insertion(b, x, new[b], starts, state.slack(b, new[b], starts), loads[b])
        if ins_y is None or ins_x is None:
            continue
        new[a].insert(ins_y[0], y)
        new[b].insert(ins_x[0], x)
        out.append((g, ins_x[1] + ins_y[1], new))
        if len(out) >= TRIALS_PER_MOVE:
            break
    return out


def _take_best(state: _Routes, cands: list[Move], limit: int | None = TRIALS_PER_MOVE) -> bool:
    """Accept the best of the first ``limit`` candidates (None: all) that is feasible in
    full; False when none is."""
    cands.sort(key=lambda c: (c[0], -c[1]), reverse=True)
    return any(state.accept(new) for _, _, new in cands[:limit])


def fill_routes(
    problem: PatrolProblem, orders: Sequence[Sequence[int]]
) -> tuple[tuple[int, ...], ...]:
    """Spend each team's spare time on extra passes (stops with ``fill_value``).

    Repeatedly inserts the extra pass with the most ``fill_value`` per added
    minute wherever it fits (a pass of a chain only after the one before it),
    until none fits anywhere: then no team could leave earlier or come back
    later with another pass - the rule :func:`~geogrid.planning.plan.check_plan`
    checks on its own. Every move inserts one pass, so there is no cap on the
    moves: the passes themselves are the limit (at most
    :data:`~geogrid.planning.problem.MAX_PASSES` at one place). Returns the new
    orders.
    """
    state = _Routes(problem, orders)
    extra = [i for i, s in enumerate(problem.stops) if s.is_fill]
    for _ in range(len(extra)):
        visited = {i for o in state.orders for i in o}
        loads = state.loads(state.orders)
        arrays = [state.slack(t, o, state.starts) for t, o in enumerate(state.orders)]
        cands: list[Move] = []
        for x in extra:
            a = int(state.before[x])
            if x in visited or (a >= 0 and a not in visited):
                continue
            for t in state.allowed[x]:
                ins = state.best_insertion(t, x, state.orders[t], state.starts, arrays[t], loads[t])
                if ins is not None:
                    new = [list(o) for o in state.orders]
                    new[t].insert(ins[0], x)
                    cands.append(((problem.stops[x].fill_value / max(ins[1], 1), 0.0), ins[1], new))
        if not _take_best(state, cands, limit=None):  # a pass that fits is never left out
            break
    return tuple(tuple(o) for o in state.orders)


def schedule_orders(
    problem: PatrolProblem, orders: Sequence[Sequence[int]]
) -> dict[int, int] | None:
    """Earliest start of every visit of ``orders`` (each team leaving at its shift
    start; gaps across routes settled), or None when the orders are infeasible."""
    try:
        return _Routes(problem, orders).starts
    except ValueError:
        return None
