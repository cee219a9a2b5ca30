"""The working state of a rebalance: grids as unit sets with running totals, and their rules.

:class:`GridState` keeps, per grid label, its units, households, second
quantity, area and perimeter on the unit graph (so Polsby-Popper after a
move costs a few neighbour look-ups), and a log of moves to roll back.
:class:`Rules` holds every label's band, compactness floor, parent and
whether it is closed (locked or holding a unit over the max). Numbers only:
no frames, no codes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from geogrid.grids.graph import UnitGraph
from geogrid.grids.model import Band


class GridState:
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
            if extra is not None
            else np.zeros(n_grids)
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
class Rules:
    """Bands, floors and closures of every grid label."""

    band: list[Band]
    also: Band | None
    pp_floor: list[float]
    parent: list[str]
    closed: set[int]
    median_floor: float


def median_ok(state: GridState, rules: Rules, before: float) -> bool:
    """The median Polsby-Popper of open grids stays over its floor (or does not fall)."""
    median = median_pp(state, rules)
    return median >= rules.median_floor - 1e-9 or median >= before - 1e-9


def median_pp(state: GridState, rules: Rules) -> float:
    alive = [g for g in range(len(state.members)) if state.members[g] and g not in rules.closed]
    if not alive:
        return 0.0
    area, per = state.area[alive], state.per[alive]
    pp = np.where(per > 0, 4 * np.pi * area / np.maximum(per, 1e-9) ** 2, 0.0)
    return float(np.median(pp))


def band_violation(
    state: GridState, rules: Rules, g: int, dh: float = 0.0, de: float = 0.0
) -> float:
    v = rules.band[g].violation(state.h[g] + dh)
    if rules.also is not None:
        v += rules.also.violation(state.e[g] + de)
    return v


def moved_so_far(state: GridState, original: np.ndarray) -> tuple[float, int]:
    """(Households, units) moved so far."""
    mask = state.labels != original
    return float(state.pop[mask].sum()), int(mask.sum())
