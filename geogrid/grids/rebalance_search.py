"""Shortest augmenting chains of unit moves over the grid adjacency (:class:`ChainSearch`).

A grid over its max pushes households, a grid under its min pulls them,
along the cheapest chain of neighbouring grids of the same parent: a
Dijkstra over (grid, bundle of units) whose cost is the households moved.
Every step keeps the grid it leaves contiguous and every grid on the chain
above its compactness floor.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from geogrid.grids.rebalance_state import GridState, Rules

#: States a single augmenting-path search may expand before it gives up.
MAX_EXPANSIONS = 4000
#: Chains tried, cheapest first, before a grid counts as stuck.
CANDIDATES = 6


Bundle = tuple[int, ...]
Step = tuple[Bundle, int]  # units that move together, and the grid they join


class ChainSearch:
    """Shortest augmenting paths of unit moves over the grid adjacency.

    A step moves one unit with households, or that unit with one
    neighbouring unit of no households (a park, a school) that opens the way
    or would be cut off without it, together with the units of no households
    that only it holds to its grid (:meth:`ChainSearch.with_empties`).
    """

    def __init__(self, state: GridState, rules: Rules, rng: np.random.Generator) -> None:
        self.s = state
        self.r = rules
        self.rng = rng
        self._border: dict[int, tuple[int, list[tuple[Bundle, int]]]] = {}
        self._empties: dict[tuple[int, Bundle], tuple[int, Bundle | None]] = {}
        #: False while a series of chains is searched whose compactness is checked at its end
        self.compact = True

    def _compact_ok(self, g: int, pp: float) -> bool:
        return not self.compact or pp >= self.r.pp_floor[g] - 1e-9

    def _open(self, g: int, other: int) -> bool:
        return (
            other != g and other not in self.r.closed and self.r.parent[other] == self.r.parent[g]
        )

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
            if s.pop[u] > 0:
                bundle = self.with_empties(g, (u,))
                if bundle is not None:
                    found.update((bundle, b) for b in self._touch(g, bundle))
            for z in nbrs:
                if (
                    s.labels[z] != g
                    or s.frozen[z]
                    or (s.pop[u] > 0) == (s.pop[z] > 0)
                    or s.pop[u] + s.pop[z] <= 0
                ):
                    continue
                bundle = self.with_empties(g, (min(u, z), max(u, z)))
                if bundle is not None:
                    found.update((bundle, b) for b in self._touch(g, bundle))
        out = sorted(found)
        self._border[g] = (int(s.version[g]), out)
        return out

    def _touch(self, g: int, bundle: Bundle) -> set[int]:
        """Open grids of g's parent that touch ``bundle``."""
        s = self.s
        return {
            int(s.labels[w])
            for u in bundle
            for w in s.graph.neighbours(u).tolist()
            if self._open(g, int(s.labels[w]))
        }

    def with_empties(self, g: int, base: Bundle) -> Bundle | None:
        """``base`` (units of grid ``g``) with the units of no households it alone holds to ``g``.

        When ``base`` leaves, the rest of ``g`` may fall apart; pieces of no
        households (a park, a road verge, a school) that hang on ``base`` go
        with it, so that the grid stays contiguous. None when a piece cut
        off holds households or a locked unit (the move would cut the grid).
        """
        s = self.s
        key = (g, base)
        cached = self._empties.get(key)
        if cached is not None and cached[0] == s.version[g]:
            return cached[1]
        rest = s.members[g] - set(base)
        pieces = _components(s, rest)
        out: Bundle | None = base
        if len(pieces) > 1:
            full = [p for p in pieces if any(s.pop[u] > 0 for u in p)]
            if len(full) != 1:
                out = None
            else:
                hang = [u for p in pieces if p is not full[0] for u in p]
                out = None if any(s.frozen[u] for u in hang) else tuple(sorted((*base, *hang)))
        self._empties[key] = (int(s.version[g]), out)
        return out

    def touching(self, g: int, members: set[int]) -> list[tuple[Bundle, int]]:
        """(bundle, its grid): movable bundles of other open grids of g's parent touching
        ``members``."""
        s = self.s
        found: set[tuple[Bundle, int]] = set()
        for u in members:
            for t in s.graph.neighbours(u).tolist():
                other = int(s.labels[t])
                if not self._open(g, other) or s.frozen[t] or t in members:
                    continue
                bases: list[Bundle] = [(t,)] if s.pop[t] > 0 else []
                for z in s.graph.neighbours(t).tolist():
                    if s.labels[z] != other or s.frozen[z] or (s.pop[t] > 0) == (s.pop[z] > 0):
                        continue
                    bases.append((min(t, z), max(t, z)))
                for base in bases:
                    bundle = self.with_empties(other, base)
                    if bundle is not None and not (set(bundle) & members):
                        found.add((bundle, other))
        return sorted(found)

    def extra_of(self, bundle: Bundle) -> float:
        return float(sum(self.s.extra[u] for u in bundle)) if self.s.extra is not None else 0.0

    def households_of(self, bundle: Bundle) -> float:
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
        return self.find(src, forward=True, whole=True) or self.find(src, forward=True, whole=False)

    def pull(self, dst: int) -> list[list[tuple[int, int]]]:
        """Cheapest chains of moves that bring households into ``dst`` (under its min)."""
        return self.find(dst, forward=False, whole=True) or self.find(
            dst, forward=False, whole=False
        )

    def find(self, start: int, forward: bool, whole: bool) -> list[list[tuple[int, int]]]:
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
                max_credit = max(
                    max_credit,
                    (b.min_households - s.h[g]) if forward else (s.h[g] - b.max_households),
                )
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
            p = self.households_of(bundle)
            if g == start:  # the chain came back: a swap or a cycle of moves
                first = path[0][0]
                p_first = self.households_of(first)
                final = s.h[start] - p_first + p if forward else s.h[start] + p_first - p
                out_units, in_units = (first, bundle) if forward else (bundle, first)
                after = (s.members[start] - set(out_units)) | set(in_units)
                if (
                    band0.violation(final) == 0
                    and s.connected(after)
                    and self._compact_ok(start, s.pp_after(start, out_units, in_units))
                ):
                    found.append((cost, counter, path))
                    best = _kth_cost(found)
                continue
            band = r.band[g]
            if forward:
                ok = s.h[g] + p <= band.max_households and self._also_ok(g, self.extra_of(bundle))
                credit = min(p, max(0.0, band.min_households - s.h[g]))
                pp = s.pp_after(g, into=bundle)
                rest = s.h[g] + p - band.max_households
            else:
                ok = s.h[g] - p >= band.min_households and self._also_ok(g, -self.extra_of(bundle))
                credit = min(p, max(0.0, s.h[g] - band.max_households))
                pp = s.pp_after(g, out=bundle)
                rest = band.min_households - (s.h[g] - p)
            if ok and self._compact_ok(g, pp):
                found.append((cost - credit, counter, path))
                best = _kth_cost(found)
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
            base = s.h[g] + self.households_of(incoming)
            for bundle, other in self.border(g):
                p = self.households_of(bundle)
                if p <= 0 or (not first and p < need) or base - p < band.min_households:
                    continue
                if not s.connected(members - set(bundle)):
                    continue
                if not self._compact_ok(g, s.pp_after(g, out=bundle, into=incoming)):
                    continue
                out.append((bundle, other, p))
        else:
            members = s.members[g] - set(incoming)
            base = s.h[g] - self.households_of(incoming)
            for bundle, other in self.touching(g, members):
                p = self.households_of(bundle)
                if p <= 0 or (not first and p < need) or base + p > band.max_households:
                    continue
                if not s.connected(s.members[other] - set(bundle)):
                    continue
                if not s.connected(members | set(bundle)):
                    continue
                if not self._compact_ok(g, s.pp_after(g, out=incoming, into=bundle)):
                    continue
                out.append((bundle, other, p))
        out.sort(key=lambda t: (t[2], t[0]))
        return out


def _kth_cost(found: list[tuple[float, int, tuple[Step, ...]]]) -> float:
    """The cost a chain must beat to be among the :data:`CANDIDATES` cheapest found (the cheapest
    alone may fail a rule checked only when applied, e.g. the median compactness)."""
    if len(found) < CANDIDATES:
        return math.inf
    return sorted(c for c, _, _ in found)[CANDIDATES - 1]


def _components(state: GridState, members: set[int]) -> list[set[int]]:
    """The connected pieces of ``members`` on the unit graph."""
    left = set(members)
    pieces = []
    while left:
        start = left.pop()
        piece = {start}
        stack = [start]
        while stack:
            u = stack.pop()
            for w in state.graph.neighbours(u).tolist():
                if w in left:
                    left.discard(w)
                    piece.add(w)
                    stack.append(w)
        pieces.append(piece)
    return pieces
