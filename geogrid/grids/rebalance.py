"""Bring out-of-band grids back into their band, moving as few households as possible.

A district does not redraw its grids every year: when housing changes, the
grids that left their household band are rebalanced (:func:`rebalance`)
while every other grid stays as it is and keeps its code.

Per parent, the grid count is kept when the parent's households still fit
it (``ceil(H / max) <= k <= floor(H / min)``); otherwise the most over-full
grid is split (a new code, the next free one in the parent) or the
emptiest grid is dissolved into its neighbours (its code retired). Then
each grid over its max pushes households, and each grid under its min pulls
them, along the cheapest chain of neighbouring grids (a shortest augmenting
path over the grid adjacency, its cost the households moved): every step
moves one border unit whose grid stays contiguous without it, into a
neighbouring grid of the same parent, so that every grid on the chain ends
inside its band. A final local search moves units back to their first grid
wherever no band is broken by it (it undoes moves a later chain made
unnecessary). Locked grids and locked units never move; no grid's
Polsby-Popper (measured on the unit graph) falls below the smaller of its
own and the median before, minus ``compactness_tolerance``, so neither the
median nor the worst falls by more than that. Where a band cannot be met,
``RebalanceResult.reasons`` says why: a unit over the max, a parent whose
households no number of grids can hold, a locked neighbour, or no chain of
moves that keeps the rules.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from geogrid.errors import InputError
from geogrid.grids.codes import assemble_grids, free_codes
from geogrid.grids.graph import UnitGraph, unit_graph
from geogrid.grids.model import Band, GridPlan
from geogrid.grids.partition import _Partitioner, _subtree, feasible_counts
from geogrid.grids.units import PERSONS_PER_HOUSEHOLD, order_rows

#: Default fall of the median and of the worst Polsby-Popper a rebalance may cause.
COMPACTNESS_TOLERANCE = 0.05
#: States a single augmenting-path search may expand before it gives up.
MAX_EXPANSIONS = 4000
#: Chains tried, cheapest first, before a grid counts as stuck.
CANDIDATES = 6


@dataclass(frozen=True)
class RebalanceResult:
    """What a rebalance did.

    Attributes
    ----------
    plan
        The new plan: units with their (new) grid, the grids layer rebuilt
        (grids no unit left or joined keep their rows).
    grid_of
        The new grid code of every unit (index ``unit_id``).
    moves
        One row per unit that changed grid: unit_id, from_code, to_code,
        households.
    households_moved, units_moved
        Totals over ``moves``.
    per_grid
        One row per code before or after: code, parent_code, status (kept,
        changed, created, retired, locked), households_before,
        households_after, in_band_before, in_band_after, polsby_popper_before,
        polsby_popper_after (on the unit graph), and ``<also>_before`` /
        ``<also>_after`` when a second quantity is balanced.
    created, retired
        Codes of grids made and dissolved.
    reasons
        Why a band could not be met, one sentence each, naming the unit,
        parent or grid and what to do.
    """

    plan: GridPlan
    grid_of: pd.Series
    moves: pd.DataFrame
    households_moved: int
    units_moved: int
    per_grid: pd.DataFrame
    created: tuple[str, ...]
    retired: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def in_band(self) -> bool:
        """True when every grid that is not retired ends inside its band(s)."""
        alive = self.per_grid[self.per_grid["status"] != "retired"]
        return bool(alive["in_band_after"].all())

    def summary(self) -> list[str]:
        """Lines for a person: totals, created and retired codes, reasons."""
        alive = self.per_grid[self.per_grid["status"] != "retired"]
        lines = [
            f"{int(alive['in_band_before'].sum())} of {len(alive)} grids inside their band before, "
            f"{int(alive['in_band_after'].sum())} after; {self.households_moved} households in "
            f"{self.units_moved} units moved"
        ]
        if self.created:
            lines.append(f"created: {', '.join(self.created)}")
        if self.retired:
            lines.append(f"retired: {', '.join(self.retired)}")
        lines += [f"reason: {r}" for r in self.reasons]
        return lines


class _State:
    """Grids as unit sets with running totals, on the unit graph (numbers only)."""

    def __init__(
        self,
        graph: UnitGraph,
        labels: np.ndarray,
        pop: np.ndarray,
        extra: np.ndarray | None,
        frozen: np.ndarray,
        n_grids: int,
    ) -> None:
        self.graph = graph
        self.labels = labels
        self.pop = pop
        self.extra = extra
        self.frozen = frozen
        self.members: list[set[int]] = [set() for _ in range(n_grids)]
        for i, lab in enumerate(labels):
            self.members[int(lab)].add(i)
        self.h = np.bincount(labels, weights=pop, minlength=n_grids).astype(float)
        self.e = (
            np.bincount(labels, weights=extra, minlength=n_grids).astype(float)
            if extra is not None else np.zeros(n_grids)
        )
        self.area = np.bincount(labels, weights=graph.area_m2, minlength=n_grids).astype(float)
        per = np.bincount(labels, weights=graph.perimeter_m, minlength=n_grids).astype(float)
        adj = graph.adjacency.tocoo()
        inside = labels[adj.row] == labels[adj.col]
        per -= np.bincount(labels[adj.row[inside]], weights=adj.data[inside], minlength=n_grids)
        self.per = per
        self.version = np.zeros(n_grids, dtype=np.int64)
        self.log: list[tuple[int, int]] = []  # (unit, grid it left), to roll back

    def rollback(self, mark: int) -> None:
        """Undo the moves made since ``len(self.log)`` was ``mark``."""
        while len(self.log) > mark:
            u, a = self.log.pop()
            self.move(u, a)
            self.log.pop()

    def add_grid(self) -> int:
        self.members.append(set())
        self.h = np.append(self.h, 0.0)
        self.e = np.append(self.e, 0.0)
        self.area = np.append(self.area, 0.0)
        self.per = np.append(self.per, 0.0)
        self.version = np.append(self.version, 0)
        return len(self.members) - 1

    def pp(self, g: int) -> float:
        return float(4 * math.pi * self.area[g] / self.per[g] ** 2) if self.per[g] > 0 else 0.0

    def shared_with(self, u: int, g: int, skip: int = -1) -> float:
        nb, sh = self.graph.neighbours(u), self.graph.shared(u)
        mask = (self.labels[nb] == g) & (nb != skip)
        return float(sh[mask].sum())

    def pp_after(self, g: int, out: Iterable[int] = (), into: Iterable[int] = ()) -> float:
        """Polsby-Popper of grid ``g`` after units ``out`` leave it and ``into`` join it."""
        area, per = float(self.area[g]), float(self.per[g])
        members = set(self.members[g])
        for u in out:
            members.discard(u)
            area -= self.graph.area_m2[u]
            per -= self.graph.perimeter_m[u] - 2 * self._shared_set(u, members)
        for u in into:
            area += self.graph.area_m2[u]
            per += self.graph.perimeter_m[u] - 2 * self._shared_set(u, members)
            members.add(u)
        return float(4 * math.pi * area / per**2) if per > 0 else 0.0

    def _shared_set(self, u: int, members: set[int]) -> float:
        nb, sh = self.graph.neighbours(u), self.graph.shared(u)
        return float(sum(s for v, s in zip(nb.tolist(), sh.tolist(), strict=True) if v in members))

    def connected(self, members: set[int]) -> bool:
        if not members:
            return False
        start = next(iter(members))
        seen = {start}
        stack = [start]
        while stack:
            u = stack.pop()
            for w in self.graph.neighbours(u).tolist():
                if w in members and w not in seen:
                    seen.add(w)
                    stack.append(w)
        return len(seen) == len(members)

    def move(self, u: int, b: int) -> None:
        a = int(self.labels[u])
        s_a = self.shared_with(u, a, skip=u)
        s_b = self.shared_with(u, b)
        self.members[a].discard(u)
        self.members[b].add(u)
        self.labels[u] = b
        p = self.pop[u]
        self.h[a] -= p
        self.h[b] += p
        if self.extra is not None:
            self.e[a] -= self.extra[u]
            self.e[b] += self.extra[u]
        area, per = self.graph.area_m2[u], self.graph.perimeter_m[u]
        self.area[a] -= area
        self.area[b] += area
        self.per[a] -= per - 2 * s_a
        self.per[b] += per - 2 * s_b
        self.version[a] += 1
        self.version[b] += 1
        self.log.append((u, a))


@dataclass(frozen=True)
class _Rules:
    """Bands, floors and closures of every grid label."""

    band: list[Band]
    also: Band | None
    pp_floor: list[float]
    parent: list[str]
    closed: set[int]
    median_floor: float


def _median_ok(state: _State, rules: _Rules, before: float) -> bool:
    """The median Polsby-Popper of open grids stays over its floor (or does not fall)."""
    median = _median_pp(state, rules)
    return median >= rules.median_floor - 1e-9 or median >= before - 1e-9


def _median_pp(state: _State, rules: _Rules) -> float:
    alive = [g for g in range(len(state.members)) if state.members[g] and g not in rules.closed]
    if not alive:
        return 0.0
    area, per = state.area[alive], state.per[alive]
    pp = np.where(per > 0, 4 * np.pi * area / np.maximum(per, 1e-9) ** 2, 0.0)
    return float(np.median(pp))


def _violation(state: _State, rules: _Rules, g: int, dh: float = 0.0, de: float = 0.0) -> float:
    v = rules.band[g].violation(state.h[g] + dh)
    if rules.also is not None:
        v += rules.also.violation(state.e[g] + de)
    return v


Bundle = tuple[int, ...]
Step = tuple[Bundle, int]  # units that move together, and the grid they join


class _Search:
    """Shortest augmenting paths of unit moves over the grid adjacency.

    A step moves one unit with households, or that unit with one
    neighbouring unit of no households (a park, a school) that opens the way
    or would be cut off without it.
    """

    def __init__(self, state: _State, rules: _Rules, rng: np.random.Generator) -> None:
        self.s = state
        self.r = rules
        self.rng = rng
        self._border: dict[int, tuple[int, list[tuple[Bundle, int]]]] = {}

    def _open(self, g: int, other: int) -> bool:
        return other != g and other not in self.r.closed and self.r.parent[other] == self.r.parent[g]

    def border(self, g: int) -> list[tuple[Bundle, int]]:
        """(bundle, neighbouring grid): movable bundles of ``g`` touching another open grid."""
        cached = self._border.get(g)
        if cached is not None and cached[0] == self.s.version[g]:
            return cached[1]
        s = self.s
        found: set[tuple[Bundle, int]] = set()
        for u in sorted(s.members[g]):
            if s.frozen[u]:
                continue
            nbrs = s.graph.neighbours(u).tolist()
            touch = {int(s.labels[w]) for w in nbrs if self._open(g, int(s.labels[w]))}
            if s.pop[u] > 0:
                found.update(((u,), b) for b in touch)
            for z in nbrs:
                if s.labels[z] != g or s.frozen[z] or (s.pop[u] > 0) == (s.pop[z] > 0) or s.pop[u] + s.pop[z] <= 0:
                    continue
                ztouch = {int(s.labels[w]) for w in s.graph.neighbours(z).tolist() if self._open(g, int(s.labels[w]))}
                pair = (min(u, z), max(u, z))
                found.update((pair, b) for b in touch | ztouch)
        out = sorted(found)
        self._border[g] = (int(s.version[g]), out)
        return out

    def touching(self, g: int, members: set[int]) -> list[tuple[Bundle, int]]:
        """(bundle, its grid): movable bundles of other open grids of g's parent touching ``members``."""
        s = self.s
        found: set[tuple[Bundle, int]] = set()
        for u in members:
            for t in s.graph.neighbours(u).tolist():
                other = int(s.labels[t])
                if not self._open(g, other) or s.frozen[t] or t in members:
                    continue
                if s.pop[t] > 0:
                    found.add(((t,), other))
                for z in s.graph.neighbours(t).tolist():
                    if s.labels[z] != other or s.frozen[z] or (s.pop[t] > 0) == (s.pop[z] > 0):
                        continue
                    found.add(((min(t, z), max(t, z)), other))
        return sorted(found)

    def _extra(self, bundle: Bundle) -> float:
        return float(sum(self.s.extra[u] for u in bundle)) if self.s.extra is not None else 0.0

    def _households(self, bundle: Bundle) -> float:
        return float(sum(self.s.pop[u] for u in bundle))

    def _also_ok(self, g: int, de: float) -> bool:
        if self.r.also is None:
            return True
        return self.r.also.violation(self.s.e[g] + de) <= self.r.also.violation(self.s.e[g]) + 1e-9

    def push(self, src: int) -> list[list[tuple[int, int]]]:
        """Cheapest chains of moves that take households out of ``src`` (over its max).

        Chains that bring the grid into its band come first; only when there
        is none, chains that take part of the excess.
        """
        return self._search(src, forward=True, whole=True) or self._search(src, forward=True, whole=False)

    def pull(self, dst: int) -> list[list[tuple[int, int]]]:
        """Cheapest chains of moves that bring households into ``dst`` (under its min)."""
        return self._search(dst, forward=False, whole=True) or self._search(dst, forward=False, whole=False)

    def _search(self, start: int, forward: bool, whole: bool) -> list[list[tuple[int, int]]]:
        """The cheapest chains found, cheapest first (at most :data:`CANDIDATES`).

        Dijkstra over (grid, bundle arriving or leaving) with the households
        moved as cost; a first step that fixes only part of the start grid
        costs what it leaves too. A chain ends at a grid that absorbs (or
        gives) the bundle inside its band, or back at the start grid (a swap).
        """
        s, r = self.s, self.r
        band0 = r.band[start]
        need = s.h[start] - band0.max_households if forward else band0.min_households - s.h[start]
        if need <= 0:
            return []
        heap: list[tuple[float, int, int, Bundle, tuple[Step, ...]]] = []
        found: list[tuple[float, int, tuple[Step, ...]]] = []
        best = math.inf
        max_credit = 0.0
        for g in range(len(s.members)):
            if g not in r.closed and s.members[g]:
                b = r.band[g]
                max_credit = max(max_credit, (b.min_households - s.h[g]) if forward else (s.h[g] - b.max_households))
        counter = 0
        for bundle, other, p in self._steps(start, (), need, forward, first=not whole):
            counter += 1
            step = (bundle, other) if forward else (bundle, start)
            heapq.heappush(heap, (p + max(0.0, need - p), counter, other, bundle, (step,)))
        expansions = 0
        seen: set[tuple[int, Bundle, Bundle]] = set()
        while heap and expansions < MAX_EXPANSIONS:
            cost, _, g, bundle, path = heapq.heappop(heap)
            if cost - max_credit >= best:
                break
            key = (g, bundle, path[0][0] if g == start else ())
            if key in seen:
                continue
            seen.add(key)
            expansions += 1
            p = self._households(bundle)
            if g == start:  # the chain came back: a swap or a cycle of moves
                first = path[0][0]
                p_first = self._households(first)
                final = s.h[start] - p_first + p if forward else s.h[start] + p_first - p
                out_units, in_units = (first, bundle) if forward else (bundle, first)
                after = (s.members[start] - set(out_units)) | set(in_units)
                if (
                    band0.violation(final) == 0
                    and s.connected(after)
                    and s.pp_after(start, out_units, in_units) >= r.pp_floor[start] - 1e-9
                ):
                    found.append((cost, counter, path))
                    best = min(best, cost)
                continue
            band = r.band[g]
            if forward:
                ok = s.h[g] + p <= band.max_households and self._also_ok(g, self._extra(bundle))
                credit = min(p, max(0.0, band.min_households - s.h[g]))
                pp = s.pp_after(g, into=bundle)
                rest = s.h[g] + p - band.max_households
            else:
                ok = s.h[g] - p >= band.min_households and self._also_ok(g, -self._extra(bundle))
                credit = min(p, max(0.0, s.h[g] - band.max_households))
                pp = s.pp_after(g, out=bundle)
                rest = band.min_households - (s.h[g] - p)
            if ok and pp >= r.pp_floor[g] - 1e-9:
                found.append((cost - credit, counter, path))
                best = min(best, cost - credit)
                continue
            if rest <= 0:
                continue  # in band, but compactness or the second quantity refuse
            visited = {start} | {step[1] if forward else int(s.labels[step[0][0]]) for step in path}
            for nxt, other, q in self._steps(g, bundle, rest, forward, first=False):
                if other in visited and other != start:
                    continue
                counter += 1
                step = (nxt, other) if forward else (nxt, g)
                heapq.heappush(heap, (cost + q, counter, other, nxt, (*path, step)))
        found.sort(key=lambda t: (t[0], t[1]))
        return [[(u, to) for units, to in path for u in units] for _, _, path in found[:CANDIDATES]]

    def _steps(
        self, g: int, incoming: Bundle, need: float, forward: bool, first: bool
    ) -> list[tuple[Bundle, int, float]]:
        """Bundles that fix ``need`` households at grid ``g``: (bundle, other grid, households).

        Forward: a bundle of ``g`` (which took ``incoming``) leaves to another
        grid, at least ``need`` households unless ``first``. Backward: a
        bundle of a neighbouring grid joins ``g`` (which gave ``incoming``).
        """
        s, r = self.s, self.r
        band = r.band[g]
        out = []
        if forward:
            members = s.members[g] | set(incoming)
            base = s.h[g] + self._households(incoming)
            for bundle, other in self.border(g):
                p = self._households(bundle)
                if p <= 0 or (not first and p < need) or base - p < band.min_households:
                    continue
                if not s.connected(members - set(bundle)):
                    continue
                if s.pp_after(g, out=bundle, into=incoming) < r.pp_floor[g] - 1e-9:
                    continue
                out.append((bundle, other, p))
        else:
            members = s.members[g] - set(incoming)
            base = s.h[g] - self._households(incoming)
            for bundle, other in self.touching(g, members):
                p = self._households(bundle)
                if p <= 0 or (not first and p < need) or base + p > band.max_households:
                    continue
                if not s.connected(s.members[other] - set(bundle)):
                    continue
                if not s.connected(members | set(bundle)):
                    continue
                if s.pp_after(g, out=incoming, into=bundle) < r.pp_floor[g] - 1e-9:
                    continue
                out.append((bundle, other, p))
        out.sort(key=lambda t: (t[2], t[0]))
        return out


def _apply(state: _State, rules: _Rules, path: list[tuple[int, int]]) -> bool:
    """Apply a chain of moves; roll it back and return False when a grid breaks a rule."""
    touched = {g for u, b in path for g in (int(state.labels[u]), b)}
    before = sum(_violation(state, rules, g) for g in touched)
    median = _median_pp(state, rules)
    mark = len(state.log)
    for u, b in path:
        state.move(u, b)
    ok = all(state.connected(state.members[g]) for g in touched)
    ok = ok and all(state.pp(g) >= rules.pp_floor[g] - 1e-9 for g in touched)
    ok = ok and sum(_violation(state, rules, g) for g in touched) < before - 1e-9
    ok = ok and _median_ok(state, rules, median)
    if not ok:
        state.rollback(mark)
    return ok


def _fix(
    state: _State, rules: _Rules, search: _Search, grids: Iterable[int], deadline: float,
    original: np.ndarray,
) -> set[int]:
    """Push or pull until ``grids`` (and the grids the chains reach) are in band; the stuck ones.

    A grid outside its band is fixed by the cheapest chain that brings it
    into the band at once, or by a series of cheaper chains that each take
    part of the excess (or deficit), whichever moves fewer households in
    the end (one step of look-ahead).
    """
    todo = set(grids)
    stuck: set[int] = set()
    while time.monotonic() < deadline:
        bad = [g for g in todo if state.members[g] and g not in rules.closed and g not in stuck
               and _violation(state, rules, g) > 0]
        if not bad:
            break
        g = max(bad, key=lambda g: (_violation(state, rules, g), -g))
        mark = len(state.log)
        if _fix_one(state, rules, search, g, original):
            todo |= {int(a) for _, a in state.log[mark:]} | {int(state.labels[u]) for u, _ in state.log[mark:]}
            stuck.clear()
        else:
            stuck.add(g)
    return {g for g in todo if state.members[g] and g not in rules.closed and _violation(state, rules, g) > 0}


def _chains(search: _Search, state: _State, rules: _Rules, g: int, whole: bool) -> list[list[tuple[int, int]]]:
    band = rules.band[g]
    if state.h[g] > band.max_households:
        return search._search(g, forward=True, whole=whole)
    if state.h[g] < band.min_households:
        return search._search(g, forward=False, whole=whole)
    return _also_paths(state, rules, search, g) if whole else []


def _fix_one(state: _State, rules: _Rules, search: _Search, g: int, original: np.ndarray) -> bool:
    """Lower grid ``g``'s violation with the cheaper of one whole chain or a series of partial ones."""
    mark = len(state.log)
    outcomes: list[tuple[tuple[float, float, int], bool]] = []
    for whole in (True, False):
        applied = False
        for _ in range(1 if whole else 8):
            if _violation(state, rules, g) <= 0:
                break
            paths = _chains(search, state, rules, g, whole=whole)
            if not any(_apply(state, rules, path) for path in paths):
                break
            applied = True
        if applied:
            total = sum(_violation(state, rules, h) for h in range(len(state.members)) if state.members[h])
            households, units = _moved(state, original)
            outcomes.append(((total, households, units), whole))
        state.rollback(mark)
    if not outcomes:
        return any(_apply(state, rules, path) for path in _resplits(state, rules, g, search.rng))
    _, whole = min(outcomes)
    for _ in range(1 if whole else 8):
        if _violation(state, rules, g) <= 0:
            break
        paths = _chains(search, state, rules, g, whole=whole)
        if not any(_apply(state, rules, path) for path in paths):
            break
    if _violation(state, rules, g) > 0:
        any(_apply(state, rules, path) for path in _resplits(state, rules, g, search.rng))
    return len(state.log) > mark


def _improve(state: _State, rules: _Rules, search: _Search, original: np.ndarray, deadline: float) -> None:
    """Large-neighbourhood search: send moved units home, re-fix, keep it when fewer households move.

    Each moved unit with households goes back to its first grid together
    with the moved units of no households next to it; the grids left out of
    band are fixed again by :func:`_fix`; the change stays when every grid
    is as much in band as before and fewer households (or as many, fewer
    units) moved.
    """
    tried: set[tuple[int, int]] = set()
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        moved = np.flatnonzero(state.labels != original)
        for u in sorted(moved.tolist(), key=lambda u: (-state.pop[u], u)):
            if state.labels[u] == original[u] or state.pop[u] <= 0 or time.monotonic() > deadline:
                continue
            home, here = int(original[u]), int(state.labels[u])
            if (u, here) in tried or not state.members[home] or home in rules.closed:
                continue
            tried.add((u, here))
            group = [u] + [z for z in state.graph.neighbours(u).tolist()
                           if state.pop[z] <= 0 and state.labels[z] == here and original[z] == home]
            cost = _moved(state, original)
            violation = sum(_violation(state, rules, g) for g in range(len(state.members)) if state.members[g])
            median = _median_pp(state, rules)
            mark = len(state.log)
            for w in group:
                state.move(w, home)
            ok = state.connected(state.members[here]) if state.members[here] else False
            ok = ok and state.connected(state.members[home])
            if ok:
                _fix(state, rules, search, {home, here}, deadline, original)
                after = sum(_violation(state, rules, g) for g in range(len(state.members)) if state.members[g])
                changed = {int(a) for _, a in state.log[mark:]} | {int(state.labels[w]) for w, _ in state.log[mark:]}
                ok = (
                    after <= violation + 1e-9
                    and _moved(state, original) < cost
                    and all(state.connected(state.members[g]) for g in changed if state.members[g])
                    and all(state.pp(g) >= rules.pp_floor[g] - 1e-9 for g in changed if state.members[g])
                    and _median_ok(state, rules, median)
                )
            if ok:
                improved = True
            else:
                state.rollback(mark)


def _resplits(state: _State, rules: _Rules, g: int, rng: np.random.Generator, trees: int = 48) -> list[list[tuple[int, int]]]:
    """Last resort: cut ``g`` and one neighbour anew along a random spanning tree of their units.

    Among the cuts leaving both grids in band, the one moving the fewest
    households wins, per neighbour; cheapest first.
    """
    found: list[tuple[float, int, list[tuple[int, int]]]] = []
    nbrs = {int(state.labels[w]) for u in state.members[g] for w in state.graph.neighbours(u).tolist()}
    for b in sorted(nbrs):
        if b == g or b in rules.closed or rules.parent[b] != rules.parent[g] or rules.band[b] != rules.band[g]:
            continue
        nodes = np.array(sorted(state.members[g] | state.members[b]), dtype=np.int64)
        if state.frozen[nodes].any():
            continue
        band = rules.band[g]
        sub = state.graph.adjacency[nodes][:, nodes]
        upper = sparse.triu(sub, k=1).tocoo()
        n = len(nodes)
        pop = state.pop[nodes]
        in_g = state.labels[nodes] == g
        best: tuple[float, np.ndarray] | None = None
        for _ in range(trees):
            weights = rng.random(len(upper.data)) + 1e-9
            tree = minimum_spanning_tree(sparse.coo_matrix((weights, (upper.row, upper.col)), shape=(n, n)))
            tree = (tree + tree.T).tocsr()
            order, parent = breadth_first_order(tree, 0, directed=False)
            if len(order) < n:
                break
            acc = np.stack([pop, pop * in_g]).astype(float)
            for v in order[:0:-1]:
                acc[:, parent[v]] += acc[:, v]
            total, total_g = acc[0, 0], acc[1, 0]
            side, side_g = acc[0, order[1:]], acc[1, order[1:]]
            # side -> g: moved = side's households not in g + rest's households in g
            cost_a = (side - side_g) + (total_g - side_g)
            cost_b = side_g + (total - side) - (total_g - side_g)
            ok_a = (side >= band.min_households) & (side <= band.max_households)
            ok_r = (total - side >= band.min_households) & (total - side <= band.max_households)
            for cost, flip in ((cost_a, False), (cost_b, True)):
                cand = np.flatnonzero(ok_a & ok_r)
                if not len(cand):
                    continue
                k = cand[np.argmin(cost[cand])]
                if best is None or cost[k] < best[0]:
                    sub_nodes = _subtree(tree, int(order[1:][k]), parent)
                    mask = np.zeros(n, dtype=bool)
                    mask[sub_nodes] = True
                    best = (float(cost[k]), mask ^ flip)
        if best is not None:
            target = np.where(best[1], g, b)
            moves = [(int(u), int(t)) for u, t in zip(nodes, target, strict=True) if state.labels[u] != t]
            found.append((best[0], b, moves))
    found.sort(key=lambda t: (t[0], t[1]))
    return [moves for _, _, moves in found]


def _moved(state: _State, original: np.ndarray) -> tuple[float, int]:
    """(Households, units) moved so far."""
    mask = state.labels != original
    return float(state.pop[mask].sum()), int(mask.sum())


def _split(state: _State, rules: _Rules, g: int, rng: np.random.Generator) -> int | None:
    """Split grid ``g`` in two; the smaller half (in households) goes to a new label."""
    rows = np.array(sorted(state.members[g]), dtype=np.int64)
    if len(rows) < 2 or state.frozen[rows].any():
        return None
    graph = state.graph
    sub = graph.adjacency[rows][:, rows]
    part = _Partitioner(sub, state.pop[rows], graph.area_m2[rows], graph.x[rows], graph.y[rows],
                        np.zeros(len(rows)), rules.band[g], rng)
    pieces = part.split(np.arange(len(rows)), 2)
    if len(pieces) != 2:
        return None
    small = min(pieces, key=lambda piece: (state.pop[rows[piece]].sum(), len(piece)))
    new = state.add_grid()
    for u in rows[small]:
        state.move(int(u), new)
    return new


def _dissolve(state: _State, rules: _Rules, g: int) -> bool:
    """Give every unit of grid ``g`` to a neighbouring open grid of its parent (peeling)."""
    if any(state.frozen[u] for u in state.members[g]):
        return False
    undo: list[tuple[int, int]] = []
    while state.members[g]:
        best: tuple[float, int, int] | None = None
        for u in sorted(state.members[g]):
            for w in state.graph.neighbours(u).tolist():
                b = int(state.labels[w])
                if b == g or b in rules.closed or rules.parent[b] != rules.parent[g]:
                    continue
                rest = state.members[g] - {u}
                if rest and not state.connected(rest):
                    continue
                key = (state.h[b] + state.pop[u] - rules.band[b].max_households, u, b)
                if best is None or key < best:
                    best = key
        if best is None:
            for u, a in reversed(undo):
                state.move(u, a)
            return False
        _, u, b = best
        undo.append((u, g))
        state.move(u, b)
    return True


def rebalance(
    plan: GridPlan,
    units: gpd.GeoDataFrame | None = None,
    graph: UnitGraph | None = None,
    band: Band | None = None,
    *,
    parent_band: Mapping[str, Band] | None = None,
    also: tuple[str, Band] | None = None,
    compactness_tolerance: float = COMPACTNESS_TOLERANCE,
    locked_grids: Iterable[str] = (),
    locked_units: Iterable[str] = (),
    time_limit_s: float = 60.0,
    seed: int = 0,
) -> RebalanceResult:
    """Bring grids back into their band, moving as few households (then units) as possible.

    Parameters
    ----------
    plan
        The current grids: ``plan.units['grid']`` is each unit's grid.
    units
        The units with today's households (same ids as ``plan.units``; a
        ``grid`` column, when present, overrides the plan's); default
        ``plan.units``.
    graph
        Their :class:`UnitGraph` (row order of ``units``); built when None.
    band
        Default household band (the plan's when None).
    parent_band
        Band per parent code (the plan's ``bands`` when None).
    also
        A second quantity to keep in a band: (column of ``units``, band).
    compactness_tolerance
        How far the median and the worst Polsby-Popper may fall.
    locked_grids, locked_units
        Grid codes and unit ids that never change, on top of the plan's
        ``locked`` columns.
    time_limit_s
        Stop searching after this long (the reasons say so).
    seed
        Same input and seed give the same result (used when a grid is split).

    Returns
    -------
    :class:`RebalanceResult`.
    """
    started = time.monotonic()
    units = (plan.units if units is None else units).copy()
    units.index = units.index.astype(str).rename("unit_id")
    if "grid" not in units.columns or units["grid"].isna().all():
        missing_ids = units.index.difference(plan.units.index.astype(str))
        if len(missing_ids):
            raise InputError(
                f"units {', '.join(missing_ids[:10])} are in no grid of the plan; give them a "
                "grid (geogrid grids reassign) or build grids again"
            )
        units["grid"] = plan.units["grid"].set_axis(plan.units.index.astype(str)).reindex(units.index)
    no_grid = units.index[units["grid"].isna()]
    if len(no_grid):
        raise InputError(f"units {', '.join(no_grid[:10])} have no grid; give them one first")
    units["grid"] = units["grid"].astype(str)
    units["parent_code"] = units["parent_code"].astype(str)
    if also is not None and also[0] not in units.columns:
        raise InputError(f"--also {also[0]}: units have no column {also[0]!r}; columns: "
                         f"{', '.join(map(str, units.columns))}")
    band = band or plan.default_band
    bands = dict(plan.bands if parent_band is None else parent_band)
    graph = graph if graph is not None else unit_graph(units, plan.metric_crs)
    if graph.adjacency.shape[0] != len(units):
        raise InputError(f"the unit graph has {graph.adjacency.shape[0]} units, the units {len(units)}; "
                         "build the graph from these units")
    # grid labels and rules
    codes = sorted(set(units["grid"]))
    label_of = {c: i for i, c in enumerate(codes)}
    labels = units["grid"].map(label_of).to_numpy(dtype=np.int64)
    pop = units["households"].fillna(0).to_numpy(dtype=float)
    extra = units[also[0]].fillna(0).to_numpy(dtype=float) if also is not None else None
    ids = units.index.to_numpy()
    parent_of_label = [str(units["parent_code"].iloc[int(np.flatnonzero(labels == i)[0])]) for i in range(len(codes))]
    locked_codes = {str(c) for c in locked_grids}
    if "locked" in plan.grids.columns and "code" in plan.grids.columns:
        locked_codes |= set(plan.grids.loc[plan.grids["locked"].fillna(False).astype(bool), "code"].astype(str))
    unknown = sorted(locked_codes - set(codes) - set(plan.grids.get("code", pd.Series(dtype=str)).astype(str)))
    if unknown:
        raise InputError(f"locked grids not found: {', '.join(unknown[:10])}")
    locked_ids = {str(u) for u in locked_units}
    bad = sorted(locked_ids - set(ids))
    if bad:
        raise InputError(f"locked units not found: {', '.join(bad[:10])}")
    frozen = units.index.isin(list(locked_ids)) | units["grid"].isin(list(locked_codes)).to_numpy()
    if "locked" in units.columns:
        frozen |= units["locked"].fillna(False).astype(bool).to_numpy()
    closed = {label_of[c] for c in locked_codes if c in label_of}
    reasons: list[str] = []
    band_of = [bands.get(p, band) for p in parent_of_label]
    # a unit over the max: its grid is left alone
    for i in np.flatnonzero(pop > np.array([band_of[g].max_households for g in labels])):
        g = int(labels[i])
        reasons.append(
            f"unit {ids[i]} (grid {codes[g]}, parent {parent_of_label[g]}) holds {int(pop[i])} "
            f"households, over the max {band_of[g].max_households}: no grid holding it can be in "
            "band; split it by building (smaller units) or raise the max for this parent"
        )
        closed.add(g)
    state = _State(graph, labels.copy(), pop, extra, frozen, len(codes))
    pp0 = [state.pp(g) for g in range(len(codes))]
    open_pp = [pp0[g] for g in range(len(codes)) if g not in closed] or [0.0]
    median0 = float(np.median(open_pp))
    worst0 = float(np.min(open_pp))
    rules = _Rules(band=band_of, also=also[1] if also is not None else None,
                   pp_floor=[worst0 - compactness_tolerance] * len(codes),
                   parent=list(parent_of_label), closed=closed,
                   median_floor=median0 - compactness_tolerance)
    h_before = state.h.copy()
    e_before = state.e.copy()
    rng = np.random.default_rng(seed)
    # grid count per parent
    infeasible: set[str] = set()
    for parent in sorted(set(parent_of_label)):
        pband = bands.get(parent, band)
        mine = [g for g in range(len(codes)) if parent_of_label[g] == parent and g not in closed]
        total = float(sum(state.h[g] for g in mine))
        low, high = feasible_counts(total, pband)
        if not mine:
            continue
        if low > high:
            locked_here = sorted(codes[g] for g in closed if parent_of_label[g] == parent and codes[g] in locked_codes)
            infeasible.add(parent)
            reasons.append(
                f"parent {parent}: its {total:.0f} households (outside locked grids and units over the "
                f"max) cannot be divided into grids of {pband}: {high} grid(s) hold at most "
                f"{high * pband.max_households}, {low} need at least {low * pband.min_households}; "
                "widen the band for this parent (--parent-band) or move the parent's outline"
                + (f"; the locked grids {', '.join(locked_here)} hold the rest of it: unlock one"
                   if locked_here else "")
            )
            continue
        k = len(mine)
        while k < low:
            g = max(mine, key=lambda g: (state.h[g], -g))
            new = _split(state, rules, g, rng)
            if new is None:
                reasons.append(f"parent {parent}: needs {low} grids but grid {codes[g]} cannot be split "
                               "(locked units or a single unit); split a grid by hand")
                break
            rules.band.append(pband)
            rules.parent.append(parent)
            rules.pp_floor.append(worst0 - compactness_tolerance)
            mine.append(new)
            k += 1
        while k > high:
            alive = [g for g in mine if state.members[g]]
            for g in sorted(alive, key=lambda g: (state.h[g], g)):
                if _dissolve(state, rules, g):
                    k -= 1
                    break
            else:
                reasons.append(f"parent {parent}: must have at most {high} grids but none of its grids "
                               "can be dissolved into its neighbours (locked units or neighbours); "
                               "merge two grids by hand")
                break
    # pushes and pulls, then a search for fewer moves
    search = _Search(state, rules, rng)
    deadline = started + time_limit_s
    open_grids = [g for g in range(len(state.members)) if g not in closed]
    left = _fix(state, rules, search, open_grids, deadline, labels)
    # a grid no chain can fix: split it (dissolve it) when its parent may have one grid more (less)
    tries: dict[int, int] = {}
    while (todo := {g for g in left if tries.get(g, 0) < 3}) and time.monotonic() < deadline:
        g = min(todo, key=lambda g: (-_violation(state, rules, g), g))
        tries[g] = tries.get(g, 0) + 1
        parent, pband = rules.parent[g], rules.band[g]
        if parent in infeasible or not state.members[g] or _violation(state, rules, g) <= 0:
            continue
        mine = [h for h in range(len(state.members)) if state.members[h] and h not in closed and rules.parent[h] == parent]
        low, high = feasible_counts(float(sum(state.h[h] for h in mine)), pband)
        if state.h[g] > pband.max_households and len(mine) < high:
            new = _split(state, rules, g, rng)
            if new is not None:
                rules.band.append(pband)
                rules.parent.append(parent)
                rules.pp_floor.append(worst0 - compactness_tolerance)
                left = _fix(state, rules, search, {g, new}, deadline, labels)
        elif state.h[g] < pband.min_households and len(mine) > low and _dissolve(state, rules, g):
            left = _fix(state, rules, search, open_grids, deadline, labels)
    _undo_unneeded(state, rules, labels)
    _improve(state, rules, search, labels, deadline)
    timed_out = time.monotonic() > deadline
    if timed_out:
        reasons.append(f"stopped after the time limit of {time_limit_s:.0f} s; run again with a longer one")
    # results
    used = set(codes) | set(plan.grids.get("code", pd.Series(dtype=str)).astype(str))
    created: list[str] = []
    new_codes: list[str] = list(codes) + [""] * (len(state.members) - len(codes))

    def place(g: int) -> tuple[str, float, float]:
        rows = sorted(state.members[g])
        return rules.parent[g], -float(np.mean(graph.y[rows])), float(np.mean(graph.x[rows]))

    # new codes: the next free ones in the parent, north to south, west to east
    for g in sorted((g for g in range(len(codes), len(state.members)) if state.members[g]), key=place):
        code = next(free_codes(rules.parent[g], used))
        used.add(code)
        new_codes[g] = code
        created.append(code)
    retired = [codes[g] for g in range(len(codes)) if not state.members[g]]
    for g in range(len(state.members)):
        if state.members[g] and g not in closed and _violation(state, rules, g) > 0:
            reasons.append(_why(state, rules, g, new_codes, infeasible, compactness_tolerance, also))
    final = np.asarray([new_codes[int(lab)] for lab in state.labels], dtype=object)
    moved_mask = state.labels != labels
    moves = pd.DataFrame({
        "unit_id": ids[moved_mask],
        "from_code": units["grid"].to_numpy()[moved_mask],
        "to_code": final[moved_mask],
        "households": pop[moved_mask].astype(np.int64),
    })
    changed = set(moves["from_code"]) | set(moves["to_code"])
    units["grid"] = final
    units["locked"] = frozen
    new_plan = GridPlan(
        units=units, grids=_grids(plan, units, changed), metric_crs=plan.metric_crs,
        default_band=band, bands=bands, problems=list(dict.fromkeys(reasons)),
    )
    per_grid = _per_grid(state, rules, labels, new_codes, h_before, e_before, pp0, closed, also)
    return RebalanceResult(
        plan=new_plan,
        grid_of=pd.Series(final, index=units.index, name="grid"),
        moves=moves,
        households_moved=int(moves["households"].sum()),
        units_moved=len(moves),
        per_grid=per_grid,
        created=tuple(created),
        retired=tuple(retired),
        reasons=tuple(dict.fromkeys(reasons)),
    )


def _also_paths(state: _State, rules: _Rules, search: _Search, g: int) -> list[list[tuple[int, int]]]:
    """Single bundle moves that lower the second quantity's violation, cheapest first."""
    s = state
    options: list[tuple[float, Bundle, int, int]] = []  # (households, bundle, from, to)
    for bundle, b in search.border(g):
        options.append((search._households(bundle), bundle, g, b))
    for bundle, other in search.touching(g, s.members[g]):
        options.append((search._households(bundle), bundle, other, g))
    good = []
    for p, bundle, a, b in options:
        q = search._extra(bundle)
        before = _violation(s, rules, a) + _violation(s, rules, b)
        after = _violation(s, rules, a, -p, -q) + _violation(s, rules, b, p, q)
        if after < before - 1e-9 and rules.band[a].violation(s.h[a] - p) == 0 and rules.band[b].violation(s.h[b] + p) == 0:
            good.append((p, bundle, b))
    good.sort()
    return [[(u, b) for u in bundle] for _, bundle, b in good[:CANDIDATES]]


def _undo_unneeded(state: _State, rules: _Rules, original: np.ndarray) -> None:
    """Move units back to their first grid wherever no rule is broken by it (largest first)."""
    changed = True
    while changed:
        changed = False
        moved = np.flatnonzero(state.labels != original)
        for u in sorted(moved.tolist(), key=lambda u: (-state.pop[u], u)):
            a, b = int(state.labels[u]), int(original[u])
            if not state.members[b] or b in rules.closed:
                continue
            if not (state.graph.neighbours(u).size and (state.labels[state.graph.neighbours(u)] == b).any()):
                continue
            if len(state.members[a]) < 2 or not state.connected(state.members[a] - {u}):
                continue
            p = float(state.pop[u])
            q = float(state.extra[u]) if state.extra is not None else 0.0
            before = _violation(state, rules, a) + _violation(state, rules, b)
            after = _violation(state, rules, a, -p, -q) + _violation(state, rules, b, p, q)
            if after > before + 1e-9 or _violation(state, rules, a, -p, -q) > _violation(state, rules, a) + 1e-9:
                continue
            if _violation(state, rules, b, p, q) > _violation(state, rules, b) + 1e-9:
                continue
            if state.pp_after(a, out=[u]) < rules.pp_floor[a] - 1e-9 or state.pp_after(b, into=[u]) < rules.pp_floor[b] - 1e-9:
                continue
            median = _median_pp(state, rules)
            state.move(u, b)
            if _median_ok(state, rules, median):
                changed = True
            else:
                state.move(u, a)


def _why(
    state: _State,
    rules: _Rules,
    g: int,
    codes: list[str],
    infeasible: set[str],
    tolerance: float,
    also: tuple[str, Band] | None,
) -> str:
    """Why grid ``g`` is still outside its band, in one sentence."""
    parent = rules.parent[g]
    h = state.h[g]
    b = rules.band[g]
    where = f"grid {codes[g]} ({h:.0f} households, band {b}"
    where += f"; {also[0]} {state.e[g]:.0f}, band {also[1]})" if also is not None else ")"
    if parent in infeasible:
        return f"{where}: parent {parent} cannot be divided into the band (see above)"
    nbr_grids: set[int] = set()
    locked_units: set[int] = set()
    for u in state.members[g]:
        for w in state.graph.neighbours(u).tolist():
            other = int(state.labels[w])
            if other != g and rules.parent[other] == parent:
                nbr_grids.add(other)
                if state.frozen[w]:
                    locked_units.add(w)
    locked = sorted(codes[o] for o in nbr_grids if o in rules.closed)
    if nbr_grids and len(locked) == len(nbr_grids):
        return f"{where}: every neighbouring grid ({', '.join(locked)}) is locked; unlock one so households can move"
    if locked:
        return (f"{where}: its neighbours {', '.join(locked)} are locked and the others cannot give or "
                "take households without leaving their band; unlock a neighbour or widen the band")
    if not nbr_grids:
        return f"{where}: no other grid of parent {parent} touches it; widen the band for this parent"
    return (f"{where}: no chain of border moves keeps every grid contiguous, inside its band and within "
            f"the compactness tolerance ({tolerance:.2f}); raise --compactness-tolerance or split/merge by hand")


def _grids(plan: GridPlan, units: gpd.GeoDataFrame, changed: set[str]) -> gpd.GeoDataFrame:
    """The grids layer: rows of untouched grids kept (households recounted), the rest dissolved."""
    old = plan.grids
    if not len(old) or "code" not in old.columns or "geometry" not in old.columns:
        return assemble_grids(units, plan.metric_crs, old if len(old) else None)
    alive = set(units["grid"])
    keep_codes = (alive - changed) & set(old["code"].astype(str))
    kept = old[old["code"].astype(str).isin(keep_codes)].copy()
    totals = units.groupby("grid")[["households"]].sum()
    pops = units["population"] if "population" in units.columns else units["households"] * PERSONS_PER_HOUSEHOLD
    pop_totals = pops.groupby(units["grid"]).sum()
    kept["households"] = kept["code"].astype(str).map(totals["households"]).astype(int).to_numpy()
    kept["population"] = kept["code"].astype(str).map(pop_totals).astype(float).round(1).to_numpy()
    fresh = assemble_grids(units[units["grid"].isin(alive - keep_codes)], plan.metric_crs, old)
    if not len(kept):
        return fresh
    grids = pd.concat([kept[fresh.columns], fresh], ignore_index=True) if len(fresh) else kept[fresh.columns]
    grids = gpd.GeoDataFrame(grids, geometry="geometry", crs=fresh.crs)
    return order_rows(grids, plan.metric_crs).reset_index(drop=True)


def _per_grid(
    state: _State,
    rules: _Rules,
    original: np.ndarray,
    new_codes: list[str],
    h_before: np.ndarray,
    e_before: np.ndarray,
    pp0: list[float],
    closed: set[int],
    also: tuple[str, Band] | None,
) -> pd.DataFrame:
    rows = []
    n_old = len(h_before)
    for g in range(len(state.members)):
        if not state.members[g] and g >= n_old:
            continue  # a grid made and dissolved again
        existed = g < n_old
        hb = float(h_before[g]) if existed else 0.0
        ha = float(state.h[g])
        eb = float(e_before[g]) if existed else 0.0
        b = rules.band[g]

        def inside(h: float, e: float, b: Band = b) -> bool:
            ok = b.violation(h) == 0
            return ok and (also is None or also[1].violation(e) == 0)

        if not existed:
            status = "created"
        elif not state.members[g]:
            status = "retired"
        elif g in closed:
            status = "locked"
        elif state.members[g] != set(np.flatnonzero(original == g).tolist()):
            status = "changed"
        else:
            status = "kept"
        row = {
            "code": new_codes[g], "parent_code": rules.parent[g], "status": status,
            "households_before": int(round(hb)), "households_after": int(round(ha)),
            "in_band_before": existed and inside(hb, eb),
            "in_band_after": bool(state.members[g]) and inside(ha, float(state.e[g])),
            "polsby_popper_before": round(pp0[g], 4) if existed else None,
            "polsby_popper_after": round(state.pp(g), 4) if state.members[g] else None,
        }
        if also is not None:
            row[f"{also[0]}_before"] = round(eb, 1)
            row[f"{also[0]}_after"] = round(float(state.e[g]), 1)
        rows.append(row)
    return pd.DataFrame(rows)
