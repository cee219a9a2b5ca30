"""Partition units into household-balanced grids (:func:`build_grids`).

Per parent and per connected piece of its unit graph, the number of grids
``k`` is the count nearest ``households / mid-band`` for which the band can
hold (``ceil(H / max) <= k <= floor(H / min)``, :func:`choose_count`). The
piece is split in two by cutting one edge of a seeded random spanning tree,
choosing among the edges whose two sides can each hold their share of grids
inside the band the one with the smallest moment of inertia (compact
halves), over a few trees; then recursively (recursive spanning-tree
bisection, as GerryChain's ``recursive_tree_part`` but with a min **and** a
max and a compactness choice). Tree pieces are contiguous by construction.
A local search (:func:`improve`) then moves boundary units between
neighbouring grids, keeping every grid contiguous, first to bring
households into the band, then to shorten the total grid boundary;
:func:`repair` re-splits grids outside the band with their neighbours and
:func:`polish` re-splits pairs of grids where that shortens their border.
Locked grids are left out; locked units are contracted into their grid's
seed and never move. Where the band cannot hold (a unit over the max, an
island under the min) ``GridPlan.problems`` says which units and why, and
the best plan is still returned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree

from geogrid.errors import InputError, InternalError
from geogrid.grids.codes import relabel
from geogrid.grids.graph import UnitGraph, unit_graph
from geogrid.grids.model import Band, GridPlan
from geogrid.grids.units import PERSONS_PER_HOUSEHOLD


def _bridge_islands(
    graph: UnitGraph,
    parents: np.ndarray,
    pop: np.ndarray,
    band: Band,
    bands: Mapping[str, Band],
    ids: np.ndarray | None = None,
    notes: list[str] | None = None,
) -> UnitGraph:
    """Link each piece of a parent's unit graph under the min to the nearest other piece.

    Islands (across water, a railway cut, a missing street) that cannot be a
    grid of their own join the nearest grid through a bridge edge (shared
    length 1 mm): the grid is then in pieces, which validate_grids reports.
    """
    rows, cols, vals = [], [], []
    for parent in sorted(set(parents)):
        idx = np.flatnonzero(parents == parent)
        if len(idx) < 2:
            continue
        pband = bands.get(str(parent), band)
        sub = graph.adjacency[idx][:, idx]
        count, comp = connected_components(sub, directed=False)
        if count < 2:
            continue
        totals = np.bincount(comp, weights=pop[idx], minlength=count)
        main = int(np.argmax(np.bincount(comp, minlength=count)))
        for c in range(count):
            if c == main or totals[c] >= pband.min_households:
                continue
            inside = idx[comp == c]
            outside = idx[comp == main]
            d = (graph.x[inside, None] - graph.x[None, outside]) ** 2 + (
                graph.y[inside, None] - graph.y[None, outside]
            ) ** 2
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            if notes is not None and ids is not None:
                names = ", ".join(map(str, ids[inside][:12])) + (" ..." if len(inside) > 12 else "")
                notes.append(
                    f"units {names} are an island of {totals[c]:.0f} households (under the min "
                    f"{pband.min_households}, no shared boundary with the rest of parent "
                    f"{parent}): "
                    f"joined to the grid of unit {ids[outside[j]]} across the gap, so that grid "
                    "is in pieces; draw the missing street link or accept it"
                )
            rows += [inside[i], outside[j]]
            cols += [outside[j], inside[i]]
            vals += [1e-3, 1e-3]
    if not rows:
        return graph
    n = graph.adjacency.shape[0]
    bridges = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    adjacency = (graph.adjacency + bridges).tocsr()
    adjacency.sort_indices()
    return replace(graph, adjacency=adjacency)


def feasible_counts(households: float, band: Band) -> tuple[int, int]:
    """Smallest and largest number of grids that can hold ``households`` inside ``band``."""
    low = max(1, math.ceil(households / band.max_households)) if band.max_households else 1
    high = math.floor(households / band.min_households) if band.min_households else 10**9
    return low, high


def choose_count(households: float, band: Band) -> int:
    """Number of grids for ``households``: nearest to households / mid-band, feasible if
    possible."""
    low, high = feasible_counts(households, band)
    want = max(1, round(households / band.mid)) if band.mid else 1
    if low <= high:
        return min(max(want, low), high)
    return max(1, want)


#: In-band cuts tried (per partition) after a cut left a side that could not be cut in band, when
#: no seeded partition of :func:`build_grids` is in band (see ``_Partitioner.split``).
BACKTRACK_CUTS = 8


class _Partitioner:
    """Recursive spanning-tree bisection with a household band, on a (contracted) graph."""

    def __init__(
        self,
        adjacency: sparse.csr_matrix,
        pop: np.ndarray,
        area: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        pinned: np.ndarray,
        band: Band,
        rng: np.random.Generator,
        trees: int = 4,
        backtrack: int = 0,
    ) -> None:
        self.adjacency = adjacency
        self.pop = pop.astype(float)
        w = np.maximum(area, 1.0)
        self.w = w
        self.wx = w * x
        self.wy = w * y
        self.wrr = w * (x * x + y * y)
        self.pinned = pinned.astype(float)
        self.band = band
        self.rng = rng
        self.trees = trees
        self.failed = False
        #: cuts still to try when a side cannot be split inside the band (see ``split``)
        self.retries = backtrack

    def split(self, nodes: np.ndarray, k: int) -> list[np.ndarray]:
        """``nodes`` cut into ``k`` pieces; ``failed`` is set when one is outside the band.

        A cut whose two sides hold their share of households may still leave a
        side that cannot be cut inside the band (six buildings 48, 72, 73, 75,
        89, 83 in a row, three micro-grids of 100-250: 193 | 247 holds 1 + 2
        grids by totals, but 75, 89, 83 make no two). Then the next in-band
        cuts are tried (at most ``backtrack`` per partitioner, none by default);
        the first that splits cleanly wins, else the first cut's pieces are kept.
        """
        if k <= 1 or len(nodes) <= 1:
            return [nodes]
        cuts = self._best_cuts(nodes, k)
        if not cuts:
            return [nodes]
        failed = self.failed
        first: list[np.ndarray] | None = None
        first_failed = False
        for n, (side, k1, viol) in enumerate(cuts):
            if n and self.retries <= 0:
                break
            if n:
                self.retries -= 1
            self.failed = viol > 0
            rest = np.setdiff1d(nodes, side, assume_unique=True)
            pieces = self.split(side, k1) + self.split(rest, k - k1)
            if not self.failed:
                self.failed = failed
                return pieces
            if first is None:
                first, first_failed = pieces, self.failed
        self.failed = failed or first_failed
        assert first is not None
        return first

    def _best_cut(self, nodes: np.ndarray, k: int) -> tuple[np.ndarray, int] | None:
        """The best cut of ``nodes`` into ``k1`` and ``k - k1`` pieces (None: cannot cut)."""
        cuts = self._best_cuts(nodes, k)
        return (cuts[0][0], cuts[0][1]) if cuts else None

    def _best_cuts(self, nodes: np.ndarray, k: int) -> list[tuple[np.ndarray, int, float]]:
        """Cuts ``(side, k1, violation)``: the best first, then other in-band cuts by score."""
        sub = self.adjacency[nodes][:, nodes]
        n = len(nodes)
        lo, hi = self.band.min_households, self.band.max_households
        total = self.pop[nodes].sum()
        pinned_total = self.pinned[nodes].sum()
        best: tuple[float, float, np.ndarray, int] | None = None  # (violation, score, side, k1)
        others: list[tuple[float, np.ndarray, int]] = []  # in-band cuts: (score, side, k1)
        upper = sparse.triu(sub, k=1).tocoo()
        for attempt in range(self.trees):
            weights = self.rng.random(len(upper.data)) + 1e-9
            tree = minimum_spanning_tree(
                sparse.coo_matrix((weights, (upper.row, upper.col)), shape=(n, n))
            )
            tree = (tree + tree.T).tocsr()
            root = int(self.rng.integers(n))
            order, parent = breadth_first_order(tree, root, directed=False)
            if len(order) < n:  # not connected: split along components
                cut = self._component_cut(nodes, sub, k)
                return [(cut[0], cut[1], 0.0)] if cut is not None else []
            stats = np.stack(
                [
                    self.pop[nodes],
                    self.w[nodes],
                    self.wx[nodes],
                    self.wy[nodes],
                    self.wrr[nodes],
                    self.pinned[nodes],
                ]
            )
            acc = stats.copy()
            for v in order[:0:-1]:
                acc[:, parent[v]] += acc[:, v]
            candidates = order[1:]
            s = acc[:, candidates]
            t = acc[:, [root]] - s
            p_sub, p_rest = s[0], t[0]
            k1 = np.clip(
                np.round(k * p_sub / total) if total else np.full(len(p_sub), k // 2), 1, k - 1
            )
            k2 = k - k1
            viol = (
                np.maximum(0, k1 * lo - p_sub)
                + np.maximum(0, p_sub - k1 * hi)
                + np.maximum(0, k2 * lo - p_rest)
                + np.maximum(0, p_rest - k2 * hi)
            )
            if pinned_total:
                viol = viol + 1e7 * (np.maximum(0, s[5] - k1) + np.maximum(0, t[5] - k2))
            inertia = s[4] - (s[2] ** 2 + s[3] ** 2) / s[1] + t[4] - (t[2] ** 2 + t[3] ** 2) / t[1]
            full = acc[4, root] - (acc[2, root] ** 2 + acc[3, root] ** 2) / acc[1, root]
            balance = np.abs(p_sub / k1 - p_rest / k2) / max(self.band.mid, 1.0)
            score = inertia / max(full, 1e-9) + 0.25 * balance
            ranked = np.lexsort((score, viol))
            key = ranked[0]
            if best is None or (viol[key], score[key]) < (best[0], best[1]):
                v = candidates[key]
                side_local = _subtree(tree, v, parent)
                best = (float(viol[key]), float(score[key]), nodes[side_local], int(k1[key]))
            for r in ranked[: min(self.retries, BACKTRACK_CUTS) + 1 if self.retries else 0]:
                if viol[r] > 0:
                    break
                side_local = _subtree(tree, candidates[r], parent)
                others.append((float(score[r]), nodes[side_local], int(k1[r])))
            if best[0] == 0 and attempt >= 1:
                break
        if best is None:
            raise InternalError(
                f"spanning-tree bisection drew no tree (trees={self.trees}, {n} nodes, k={k}); "
                "report this as a geogrid bug with these numbers"
            )
        if best[0] > 0:
            self.failed = True
        cuts = [(best[2], best[3], best[0])]
        seen = {frozenset(best[2].tolist())}
        for _, side, k1 in sorted(others, key=lambda o: o[0]):
            # the same cut, seen from the other side or drawn by another tree, counts once
            mine = frozenset(side.tolist())
            theirs = frozenset(np.setdiff1d(nodes, side).tolist())
            if mine in seen or theirs in seen:
                continue
            seen.add(mine)
            cuts.append((side, k1, 0.0))
        return cuts

    def _component_cut(
        self, nodes: np.ndarray, sub: sparse.csr_matrix, k: int
    ) -> tuple[np.ndarray, int] | None:
        _, labels = connected_components(sub, directed=False)
        side = nodes[labels == 0]
        total = self.pop[nodes].sum()
        k1 = int(np.clip(round(k * self.pop[side].sum() / total) if total else 1, 1, k - 1))
        return side, k1


def _subtree(tree: sparse.csr_matrix, v: int, parent: np.ndarray) -> np.ndarray:
    """Nodes of the subtree under ``v`` (tree rooted where ``parent`` says)."""
    out = [v]
    stack = [v]
    indptr, indices = tree.indptr, tree.indices
    while stack:
        u = stack.pop()
        for w in indices[indptr[u] : indptr[u + 1]]:
            if parent[w] == u:
                out.append(int(w))
                stack.append(int(w))
    return np.asarray(out, dtype=np.int64)


def _connected_without(members: set[int], removed: int, graph: UnitGraph) -> bool:
    """True when ``members - {removed}`` is still connected in ``graph``."""
    rest = members - {removed}
    if not rest:
        return False
    start = next(iter(rest))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for w in graph.neighbours(u):
            w = int(w)
            if w in rest and w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == len(rest)


def improve(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    passes: int = 40,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Local search: move boundary units between neighbouring grids, keeping grids contiguous.

    A move must lower the band violation, or keep it and shorten the total
    grid boundary. Units where ``frozen`` is True never move; labels in
    ``closed`` never take units; a unit only joins a grid of its own
    ``groups`` value (parent). Returns the
    new labels (``labels`` is not changed).
    """
    labels = labels.copy()
    members: dict[int, set[int]] = {}
    for i, lab in enumerate(labels):
        members.setdefault(int(lab), set()).add(i)
    households = {lab: float(pop[list(m)].sum()) for lab, m in members.items()}

    def viol(lab: int, h: float) -> float:
        return band_of_label[lab].violation(h)

    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    label_group = {lab: int(group_of[next(iter(m))]) for lab, m in members.items()}

    movable = np.flatnonzero(~frozen)
    for _ in range(passes):
        moved = 0
        for u in rng.permutation(movable):
            u = int(u)
            a = int(labels[u])
            nbrs = graph.neighbours(u)
            if not len(nbrs):
                continue
            nlabels = labels[nbrs]
            if np.all(nlabels == a) or len(members[a]) == 1:
                continue
            shared = graph.shared(u)
            own = float(shared[nlabels == a].sum())
            p = float(pop[u])
            best: tuple[float, float, int] | None = None
            for b in np.unique(nlabels[nlabels != a]):
                b = int(b)
                if b in closed_set or label_group[b] != group_of[u]:
                    continue
                dv = (
                    viol(a, households[a] - p)
                    + viol(b, households[b] + p)
                    - viol(a, households[a])
                    - viol(b, households[b])
                )
                dc = own - float(shared[nlabels == b].sum())
                if dv < -1e-9 or (abs(dv) <= 1e-9 and dc < -1e-6):
                    key = (dv, dc, b)
                    if best is None or key < best:
                        best = key
            if best is None or not _connected_without(members[a], u, graph):
                continue
            b = best[2]
            members[a].discard(u)
            members[b].add(u)
            households[a] -= p
            households[b] += p
            labels[u] = b
            moved += 1
        if not moved:
            break
    return labels


def repair(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
    rounds: int = 3,
) -> np.ndarray:
    """Recombine each grid outside its band with one or two neighbours and re-split them.

    The union of the grids (pinned units excluded from the choice) is cut
    again by spanning-tree bisection into as many grids; the result is kept
    when it lowers the total band violation (ReCom-style repair). Then
    :func:`improve` polishes compactness. Returns new labels.
    """
    labels = labels.copy()
    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    a_upper = graph.adjacency

    def households(lab: int) -> float:
        return float(pop[labels == lab].sum())

    for _ in range(rounds):
        changed = False
        bad = [
            lab
            for lab, b in sorted(band_of_label.items())
            if lab not in closed_set and (labels == lab).any() and b.violation(households(lab)) > 0
        ]
        for lab in bad:
            band = band_of_label[lab]
            if band.violation(households(lab)) == 0:
                continue
            rows = np.flatnonzero(labels == lab)
            if frozen[rows].any():
                continue
            nbr_rows = np.unique(a_upper[rows].indices)
            nbrs = [
                int(x)
                for x in np.unique(labels[nbr_rows])
                if x != lab
                and int(x) not in closed_set
                and group_of[np.flatnonzero(labels == x)[0]] == group_of[rows[0]]
                and not frozen[labels == x].any()
            ]
            options = [[lab, b] for b in nbrs] + [
                [lab, b, c] for i, b in enumerate(nbrs) for c in nbrs[i + 1 :]
            ]
            for combo in options:
                nodes = np.flatnonzero(np.isin(labels, combo))
                before = sum(band_of_label[x].violation(households(x)) for x in combo)
                part = _Partitioner(
                    graph.adjacency[nodes][:, nodes].tocsr(),
                    pop[nodes],
                    graph.area_m2[nodes],
                    graph.x[nodes],
                    graph.y[nodes],
                    np.zeros(len(nodes)),
                    band,
                    rng,
                    trees=12,
                )
                pieces = part.split(np.arange(len(nodes)), len(combo))
                if len(pieces) != len(combo):
                    continue
                after = sum(band.violation(float(pop[nodes[p]].sum())) for p in pieces)
                if after < before - 1e-9:
                    for x, piece in zip(combo, pieces, strict=True):
                        labels[nodes[piece]] = x
                    changed = True
                    break
        if not changed:
            break
    return improve(labels, graph, pop, frozen, band_of_label, rng, closed=closed_set, groups=groups)


def polish(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
    rounds: int = 2,
    trees: int = 6,
) -> np.ndarray:
    """Compactness pass: re-split pairs of neighbouring grids where that shortens their border.

    For each pair of neighbouring grids of one band (no frozen units), their
    union is cut again into two by spanning-tree bisection; the new pair is
    kept when both halves are at least as close to the band as before and
    the border between them is shorter (less total grid perimeter, higher
    Polsby-Popper). Returns new labels.
    """
    labels = labels.copy()
    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    adj = graph.adjacency.tocoo()
    same = group_of[adj.row] == group_of[adj.col]
    adj = sparse.coo_matrix((adj.data[same], (adj.row[same], adj.col[same])), shape=adj.shape)
    for _ in range(rounds):
        pairs = {
            (int(min(a, b)), int(max(a, b)))
            for a, b in zip(labels[adj.row], labels[adj.col], strict=True)
            if a != b
        }
        frozen_labels = set(labels[frozen].tolist()) | closed_set
        order = sorted(pairs)
        improved = 0
        for k in rng.permutation(len(order)):
            a, b = order[k]
            if a in frozen_labels or b in frozen_labels or band_of_label[a] != band_of_label[b]:
                continue
            nodes = np.flatnonzero((labels == a) | (labels == b))
            if len(nodes) < 3:
                continue
            band = band_of_label[a]
            sub = graph.adjacency[nodes][:, nodes].tocsr()
            side_a = labels[nodes] == a
            old_cut = float(sub[side_a][:, ~side_a].sum())
            if old_cut <= 0:
                continue
            before = [
                band.violation(pop[nodes][side_a].sum()),
                band.violation(pop[nodes][~side_a].sum()),
            ]
            part = _Partitioner(
                sub,
                pop[nodes],
                graph.area_m2[nodes],
                graph.x[nodes],
                graph.y[nodes],
                np.zeros(len(nodes)),
                band,
                rng,
                trees=trees,
            )
            pieces = part.split(np.arange(len(nodes)), 2)
            if len(pieces) != 2:
                continue
            new_a = np.zeros(len(nodes), dtype=bool)
            new_a[pieces[0]] = True
            after = sorted(band.violation(pop[nodes][m].sum()) for m in (new_a, ~new_a))
            if after[1] > max(before) or sum(after) > sum(before):
                continue
            new_cut = float(sub[new_a][:, ~new_a].sum())
            if new_cut < old_cut * 0.98:
                # keep the label whose old units overlap most with each new half
                if (new_a & side_a).sum() + (~new_a & ~side_a).sum() < len(nodes) / 2:
                    new_a = ~new_a
                labels[nodes[new_a]] = a
                labels[nodes[~new_a]] = b
                improved += 1
        if not improved:
            break
    return labels


@dataclass(frozen=True)
class _Attempt:
    """One seeded partition tried by :func:`build_grids`.

    Attributes
    ----------
    labels
        Grid label per unit (row order of the units).
    label_code
        Labels that must keep a code: locked grids, grids holding locked units.
    label_band
        Household band of every label.
    frozen
        Units that never moved (in a locked grid, or locked themselves).
    problems
        What this partition could not meet: which units and why.
    reported
        Labels out of band whose reason is already in ``problems``.
    """

    labels: np.ndarray
    label_code: dict[int, str]
    label_band: dict[int, Band]
    frozen: np.ndarray
    problems: tuple[str, ...]
    reported: frozenset[int]

    def score(self, pop: np.ndarray, upper: sparse.coo_matrix) -> tuple[float, float]:
        """(Total band violation, total grid boundary in m over ``upper``): lower is better."""
        h = np.bincount(self.labels, weights=pop)
        viol = sum(b.violation(h[lab]) for lab, b in self.label_band.items())
        cut = float(upper.data[self.labels[upper.row] != self.labels[upper.col]].sum())
        return viol, cut

    def unexplained(self, pop: np.ndarray) -> float:
        """Band violation of the grids whose reason is not in ``problems`` yet."""
        h = np.bincount(self.labels, weights=pop, minlength=len(self.label_band))
        return float(
            sum(
                b.violation(h[lab])
                for lab, b in self.label_band.items()
                if lab not in self.reported
            )
        )

    def band_problems(self, pop: np.ndarray, ids: np.ndarray) -> list[str]:
        """Grids still outside their band whose reason is not reported yet."""
        problems = []
        for lab, b in sorted(self.label_band.items()):
            rows = np.flatnonzero(self.labels == lab)
            h = pop[rows].sum()
            if b.violation(h) > 0 and lab not in self.reported:
                problems.append(
                    f"units {', '.join(map(str, ids[rows][:12]))}"
                    f"{' ...' if len(rows) > 12 else ''} "
                    f"form a grid of {h:.0f} households, outside {b}: the neighbouring grids "
                    "cannot give or take enough units without breaking their own band"
                )
        return problems


def _out_of_band_reason(total: float, band: Band, parent: str, pieces: int) -> str:
    """Why ``total`` households of ``parent`` cannot make grids inside ``band``.

    ``pieces`` is the number of connected pieces of the parent's free units.
    """
    if total < band.min_households and pieces > 1:
        return (
            f"an island of {total:.0f} households under the min "
            f"{band.min_households} (no unit of parent {parent} touches it)"
        )
    if total < band.min_households:
        return (
            f"parent {parent} holds only {total:.0f} households here, under the "
            f"min {band.min_households} (grids nest in their parent)"
        )
    return f"{total:.0f} households cannot be cut into grids of {band}"


def _partition_once(
    graph: UnitGraph,
    pop: np.ndarray,
    ids: np.ndarray,
    parents: np.ndarray,
    current: np.ndarray,
    *,
    band: Band,
    bands: Mapping[str, Band],
    locked_grids: set[str],
    locked_ids: set[str],
    rng: np.random.Generator,
    backtrack: int = 0,
) -> _Attempt:
    """One seeded partition of all units: bisection per parent and piece, then local search.

    ``current`` is the grid code of each unit (None: none yet); units in
    ``locked_grids`` keep their grid, units in ``locked_ids`` stay in a
    grid with their current code; ``backtrack``: other cuts the bisection
    may try when a side cannot be cut in band (``_Partitioner.split``).
    """
    n = len(ids)
    problems: list[str] = []
    labels = np.full(n, -1, dtype=np.int64)
    label_code: dict[int, str] = {}
    label_band: dict[int, Band] = {}
    frozen = np.zeros(n, dtype=bool)
    next_label = 0
    # locked grids: taken out as they are
    for code in sorted(locked_grids):
        rows = np.flatnonzero(current == code)
        if not len(rows):
            problems.append(f"locked grid {code} has no units; nothing kept")
            continue
        labels[rows] = next_label
        frozen[rows] = True
        label_code[next_label] = code
        label_band[next_label] = bands.get(parents[rows[0]], band)
        next_label += 1
    pinned_code = np.array(
        [current[i] if ids[i] in locked_ids and labels[i] < 0 else None for i in range(n)],
        dtype=object,
    )
    reported: set[int] = set()
    for parent in sorted(set(parents)):
        pband = bands.get(parent, band)
        free = np.flatnonzero((parents == parent) & (labels < 0))
        if not len(free):
            continue
        # units over the max: their own grid
        big = free[pop[free] > pband.max_households]
        for i in big:
            if pinned_code[i] is None:
                problems.append(
                    f"unit {ids[i]} (parent {parent}) holds {int(pop[i])} households, over the "
                    f"max {pband.max_households}: one unit cannot be split, so it is a grid of "
                    "its own; split the unit (e.g. by building) or raise the max"
                )
        free_small = np.array(
            [i for i in free if not (pop[i] > pband.max_households and pinned_code[i] is None)],
            dtype=np.int64,
        )
        for i in free:
            if pop[i] > pband.max_households and pinned_code[i] is None:
                reported.add(next_label)
                labels[i] = next_label
                label_band[next_label] = pband
                next_label += 1
        if not len(free_small):
            continue
        sub = graph.adjacency[free_small][:, free_small]
        count, comp = connected_components(sub, directed=False)
        for c in range(count):
            nodes = free_small[comp == c]
            # contract pinned units per code
            rep = np.arange(len(nodes))
            seen_code: dict[str, int] = {}
            for j, i in enumerate(nodes):
                code = pinned_code[i]
                if code is not None:
                    rep[j] = seen_code.setdefault(code, j)
            uniq, inverse = np.unique(rep, return_inverse=True)
            m = sparse.csr_matrix(
                (np.ones(len(nodes)), (np.arange(len(nodes)), inverse)),
                shape=(len(nodes), len(uniq)),
            )
            adj = (m.T @ graph.adjacency[nodes][:, nodes] @ m).tocsr()
            adj.setdiag(0)
            adj.eliminate_zeros()
            area = m.T @ graph.area_m2[nodes]
            cx = (m.T @ (graph.area_m2[nodes] * graph.x[nodes])) / np.maximum(area, 1e-9)
            cy = (m.T @ (graph.area_m2[nodes] * graph.y[nodes])) / np.maximum(area, 1e-9)
            cpop = m.T @ pop[nodes]
            cpinned = np.zeros(len(uniq))
            for j in seen_code.values():
                cpinned[np.searchsorted(uniq, j)] = 1
            total = float(cpop.sum())
            k = max(choose_count(total, pband), len(seen_code))
            low, high = feasible_counts(total, pband)
            if high < low or (k > high and seen_code):
                member_ids = ", ".join(map(str, ids[nodes][:12])) + (
                    " ..." if len(nodes) > 12 else ""
                )
                why = _out_of_band_reason(total, pband, parent, count)
                problems.append(
                    f"units {member_ids}: {why}; they form {k} grid(s) out of band; "
                    "join them to a neighbour by hand or widen the band for this parent"
                )
            part = _Partitioner(adj, cpop, area, cx, cy, cpinned, pband, rng, backtrack=backtrack)
            pieces = part.split(np.arange(len(uniq)), k)
            if high < low:
                reported.update(range(next_label, next_label + len(pieces)))
            for piece in pieces:
                rows = nodes[np.isin(inverse, piece)]
                labels[rows] = next_label
                label_band[next_label] = pband
                codes_here = {pinned_code[i] for i in rows if pinned_code[i] is not None}
                if len(codes_here) == 1:
                    label_code[next_label] = codes_here.pop()
                elif len(codes_here) > 1:
                    pinned_here = ", ".join(str(ids[i]) for i in rows if pinned_code[i] is not None)
                    problems.append(
                        f"locked units {pinned_here} of grids {', '.join(sorted(codes_here))} "
                        "ended in one grid; unlock some of them or lock their whole grids"
                    )
                next_label += 1
    frozen |= np.array([i in locked_ids for i in ids])
    _, groups = np.unique(parents, return_inverse=True)
    closed = [lab for lab, code in label_code.items() if code in locked_grids]
    labels = improve(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
    labels = repair(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
    labels = polish(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
    labels = improve(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
    return _Attempt(
        labels=labels,
        label_code=label_code,
        label_band=label_band,
        frozen=frozen,
        problems=tuple(problems),
        reported=frozenset(reported),
    )


def build_grids(
    units: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    band: Band | None = None,
    bands: Mapping[str, Band] | None = None,
    seed: int = 0,
    locked_grids: Iterable[str] = (),
    locked_units: Iterable[str] = (),
    previous: gpd.GeoDataFrame | None = None,
    restarts: int = 4,
) -> GridPlan:
    """Partition units into contiguous, compact grids holding a band of households.

    Parameters
    ----------
    units
        Indexed by ``unit_id``; columns ``parent_code``, ``households``,
        optional ``population``, optional ``grid`` (current code, for locks
        and stable codes), geometry (any CRS).
    metric_crs
        The area's metric CRS.
    band
        Default household band (300-500).
    bands
        Band per parent code, overriding ``band``.
    seed
        Same units, bands, locks and seed give the same grids.
    locked_grids
        Codes (of ``units["grid"]``) kept exactly as they are.
    locked_units
        Unit ids that stay in their current grid (``units["grid"]``).
    previous
        Earlier grids (``code``, ``parent_code``, geometry): grids whose units
        did not change keep their code.
    restarts
        Partitions tried (seeded from ``seed``) until one is inside the
        band; otherwise the one with the least band violation, then the
        shortest total grid boundary, wins.

    Returns
    -------
    The plan; ``plan.problems`` lists where the band or a lock could not be met.
    """
    band = band or Band()
    bands = dict(bands or {})
    units = units.copy()
    if units.index.has_duplicates:
        dup = units.index[units.index.duplicated()].unique()[:5]
        raise InputError(f"unit ids must be unique; repeated: {', '.join(map(str, dup))}")
    units.index = units.index.astype(str).rename("unit_id")
    if "grid" not in units.columns:
        units["grid"] = None
    if "population" not in units.columns:
        units["population"] = units["households"] * PERSONS_PER_HOUSEHOLD
    units["parent_code"] = units["parent_code"].astype(str)
    current = units["grid"].astype(object).where(units["grid"].notna(), None).to_numpy()
    locked_grids = {str(c) for c in locked_grids}
    locked_ids = {str(u) for u in locked_units}
    unknown = sorted(locked_ids - set(units.index))
    problems: list[str] = []
    if unknown:
        raise InputError(f"locked units not found: {', '.join(unknown[:10])}")
    no_grid = sorted(u for u in locked_ids if current[units.index.get_loc(u)] is None)
    if no_grid:
        raise InputError(
            f"locked units without a current grid cannot stay in it: {', '.join(no_grid[:10])}; "
            "give them a grid first or unlock them"
        )
    graph = unit_graph(units, metric_crs)
    pop = units["households"].fillna(0).to_numpy(dtype=float)
    ids = units.index.to_numpy()
    parents = units["parent_code"].to_numpy()
    graph = _bridge_islands(graph, parents, pop, band, bands, ids, problems)
    upper = sparse.triu(graph.adjacency, k=1).tocoo()

    best: _Attempt | None = None
    best_key: tuple[float, float] | None = None
    for r in range(max(1, restarts)):
        result = _partition_once(
            graph,
            pop,
            ids,
            parents,
            current,
            band=band,
            bands=bands,
            locked_grids=locked_grids,
            locked_ids=locked_ids,
            rng=np.random.default_rng([seed, r]),
        )
        key = result.score(pop, upper)
        if best_key is None or key < best_key:
            best, best_key = result, key
        if key[0] == 0:
            break
    if best is not None and best.unexplained(pop) > 0:
        # a bisection cut can leave a side that no cut brings into the band (repair only joins
        # direct neighbours): once more, trying the next in-band cuts where that happens
        result = _partition_once(
            graph,
            pop,
            ids,
            parents,
            current,
            band=band,
            bands=bands,
            locked_grids=locked_grids,
            locked_ids=locked_ids,
            rng=np.random.default_rng([seed, 0]),
            backtrack=BACKTRACK_CUTS,
        )
        key = result.score(pop, upper)
        if best_key is None or key < best_key:
            best, best_key = result, key
    if best is None:
        raise InternalError(
            f"build_grids tried no partition (restarts={restarts}); "
            "report this as a geogrid bug with the restarts given"
        )
    problems += best.problems
    units["locked"] = best.frozen
    # problems left after the search
    problems += best.band_problems(pop, ids)
    units["grid"] = [f"#{lab}" for lab in best.labels]
    fixed = {f"#{lab}": code for lab, code in best.label_code.items()}
    plan = GridPlan(
        units=units,
        grids=gpd.GeoDataFrame(),
        metric_crs=metric_crs,
        default_band=band,
        bands=bands,
        problems=problems,
    )
    return relabel(plan, fixed=fixed, previous=previous)
