"""The moves of a rebalance: chains applied, grids fixed, split, dissolved, improved.

:func:`fix_grids` pushes or pulls until the grids are in band (one whole
chain or a series of partial ones, whichever moves fewer households; when
neither brings every grid into band, a series judged on compactness only at
its end, with moves that restore it; a spanning-tree re-cut of two grids as
last resort, :func:`resplits`);
:func:`split_off` and :func:`dissolve` change a parent's grid count;
:func:`undo_unneeded` and :func:`improve` (a large-neighbourhood search)
send units home wherever no rule is broken and fewer households move.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from geogrid.grids.partition import _Partitioner, _subtree
from geogrid.grids.rebalance_search import CANDIDATES, Bundle, ChainSearch
from geogrid.grids.rebalance_state import (
    GridState,
    Rules,
    band_violation,
    median_ok,
    median_pp,
    moved_so_far,
)


def apply_chain(
    state: GridState, rules: Rules, path: list[tuple[int, int]], compact: bool = True
) -> bool:
    """Apply a chain of moves; roll it back and return False when a grid breaks a rule.

    ``compact=False`` leaves compactness to be checked by the caller (after a
    series of chains: :func:`_compact_since`).
    """
    touched = {g for u, b in path for g in (int(state.labels[u]), b)}
    before = sum(band_violation(state, rules, g) for g in touched)
    median = median_pp(state, rules)
    mark = len(state.log)
    for u, b in path:
        state.move(u, b)
    ok = all(state.connected(state.members[g]) for g in touched)
    ok = ok and sum(band_violation(state, rules, g) for g in touched) < before - 1e-9
    if compact:
        ok = ok and all(state.pp(g) >= rules.pp_floor[g] - 1e-9 for g in touched)
        ok = ok and median_ok(state, rules, median)
    if not ok:
        state.rollback(mark)
    return ok


def _compact_since(state: GridState, rules: Rules, mark: int, median: float) -> bool:
    """Every grid moved since ``mark`` over its compactness floor, the median over its own."""
    touched = {int(a) for _, a in state.log[mark:]} | {
        int(state.labels[u]) for u, _ in state.log[mark:]
    }
    return all(
        state.pp(g) >= rules.pp_floor[g] - 1e-9 for g in touched if state.members[g]
    ) and median_ok(state, rules, median)


def _deficit(state: GridState, rules: Rules, mark: int, median: float) -> float:
    """How far the grids moved since ``mark`` (and the median) are under their compactness
    floors."""
    touched = {int(a) for _, a in state.log[mark:]} | {
        int(state.labels[u]) for u, _ in state.log[mark:]
    }
    short = sum(max(0.0, rules.pp_floor[g] - state.pp(g)) for g in touched if state.members[g])
    if not median_ok(state, rules, median):
        short += rules.median_floor - median_pp(state, rules)
    return short


def _repair_compactness(
    state: GridState, rules: Rules, search: ChainSearch, mark: int, median: float, tries: int = 3
) -> bool:
    """After a series of moves judged on compactness at its end: up to ``tries`` single bundle
    moves between the grids it touched and their neighbours that keep both in band and contiguous
    and bring the compactness closest to its floors; True when the floors hold in the end."""
    for _ in range(tries):
        short = _deficit(state, rules, mark, median)
        if short <= 1e-12:
            return True
        touched = {int(a) for _, a in state.log[mark:]} | {
            int(state.labels[u]) for u, _ in state.log[mark:]
        }
        options: list[tuple[Bundle, int]] = []
        for t in sorted(touched):
            if not state.members[t] or t in rules.closed:
                continue
            options += search.border(t)
            options += [(bundle, t) for bundle, _ in search.touching(t, state.members[t])]
        best: tuple[float, float, Bundle, int] | None = None
        for bundle, to in sorted(set(options)):
            frm = int(state.labels[bundle[0]])
            p = search.households_of(bundle)
            if (
                frm == to
                or band_violation(state, rules, frm, -p, -search.extra_of(bundle)) > 0
                or band_violation(state, rules, to, p, search.extra_of(bundle)) > 0
            ):
                continue
            here = len(state.log)
            for u in bundle:
                state.move(u, to)
            if state.members[frm] and state.connected(state.members[frm]):
                after = _deficit(state, rules, mark, median)
                if after < short - 1e-12 and (best is None or (after, p) < best[:2]):
                    best = (after, p, bundle, to)
            state.rollback(here)
        if best is None:
            return False
        for u in best[2]:
            state.move(u, best[3])
    return _deficit(state, rules, mark, median) <= 1e-12


def fix_grids(
    state: GridState,
    rules: Rules,
    search: ChainSearch,
    grids: Iterable[int],
    deadline: float,
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
        bad = [
            g
            for g in todo
            if state.members[g]
            and g not in rules.closed
            and g not in stuck
            and band_violation(state, rules, g) > 0
        ]
        if not bad:
            break
        g = max(bad, key=lambda g: (band_violation(state, rules, g), -g))
        mark = len(state.log)
        if _fix_one(state, rules, search, g, original):
            todo |= {int(a) for _, a in state.log[mark:]} | {
                int(state.labels[u]) for u, _ in state.log[mark:]
            }
            stuck.clear()
        else:
            stuck.add(g)
    return {
        g
        for g in todo
        if state.members[g] and g not in rules.closed and band_violation(state, rules, g) > 0
    }


def _chains(
    search: ChainSearch, state: GridState, rules: Rules, g: int, whole: bool
) -> list[list[tuple[int, int]]]:
    band = rules.band[g]
    if state.h[g] > band.max_households:
        return search.find(g, forward=True, whole=whole)
    if state.h[g] < band.min_households:
        return search.find(g, forward=False, whole=whole)
    return _also_paths(state, rules, search, g) if whole else []


def _fix_one(
    state: GridState, rules: Rules, search: ChainSearch, g: int, original: np.ndarray
) -> bool:
    """Lower grid ``g``'s violation with the cheapest of one whole chain, a series of partial ones,
    or (when neither brings every grid into band) a series whose compactness is checked only at
    its end (two small moves may pass the median floor together but neither alone)."""
    mark = len(state.log)
    median = median_pp(state, rules)

    def done(path: list[tuple[int, int]]) -> bool:
        # a series step: compactness only once g is in band, after repairs
        here = len(state.log)
        if not apply_chain(state, rules, path, compact=False):
            return False
        if band_violation(state, rules, g) > 0:
            return True
        if _repair_compactness(state, rules, search, mark, median):
            return True
        state.rollback(here)
        return False

    def run(mode: str) -> bool:
        applied = False
        search.compact = mode != "series"
        try:
            for _ in range(1 if mode == "whole" else 8):
                if band_violation(state, rules, g) <= 0:
                    break
                paths = _chains(search, state, rules, g, whole=mode == "whole")
                if mode == "series":
                    if not any(done(path) for path in paths):
                        break
                elif not any(apply_chain(state, rules, path) for path in paths):
                    break
                applied = True
        finally:
            search.compact = True
        if mode == "series" and applied and _deficit(state, rules, mark, median) > 1e-12:
            state.rollback(mark)
            return False
        return applied

    outcomes: list[tuple[tuple[float, float, int], str]] = []
    for mode in ("whole", "partial", "series"):
        if mode == "series" and any(key[0] <= 0 for key, _ in outcomes):
            break
        if run(mode):
            total = sum(
                band_violation(state, rules, h)
                for h in range(len(state.members))
                if state.members[h]
            )
            households, units = moved_so_far(state, original)
            outcomes.append(((total, households, units), mode))
        state.rollback(mark)
    if not outcomes:
        return any(
            apply_chain(state, rules, path) for path in resplits(state, rules, g, search.rng)
        )
    _, mode = min(outcomes)
    run(mode)
    if band_violation(state, rules, g) > 0:
        any(apply_chain(state, rules, path) for path in resplits(state, rules, g, search.rng))
    return len(state.log) > mark


def improve(
    state: GridState, rules: Rules, search: ChainSearch, original: np.ndarray, deadline: float
) -> None:
    """Large-neighbourhood search: send moved units home, re-fix, keep it when fewer households
    move.

    Each moved unit with households goes back to its first grid together
    with the moved units of no households next to it; the grids left out of
    band are fixed again by :func:`fix_grids`; the change stays when every grid
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
            group = [u] + [
                z
                for z in state.graph.neighbours(u).tolist()
                if state.pop[z] <= 0 and state.labels[z] == here and original[z] == home
            ]
            cost = moved_so_far(state, original)
            violation = sum(
                band_violation(state, rules, g)
                for g in range(len(state.members))
                if state.members[g]
            )
            median = median_pp(state, rules)
            mark = len(state.log)
            for w in group:
                state.move(w, home)
            ok = state.connected(state.members[here]) if state.members[here] else False
            ok = ok and state.connected(state.members[home])
            if ok:
                fix_grids(state, rules, search, {home, here}, deadline, original)
                after = sum(
                    band_violation(state, rules, g)
                    for g in range(len(state.members))
                    if state.members[g]
                )
                changed = {int(a) for _, a in state.log[mark:]} | {
                    int(state.labels[w]) for w, _ in state.log[mark:]
                }
                ok = (
                    after <= violation + 1e-9
                    and moved_so_far(state, original) < cost
                    and all(state.connected(state.members[g]) for g in changed if state.members[g])
                    and all(
                        state.pp(g) >= rules.pp_floor[g] - 1e-9 for g in changed if state.members[g]
                    )
                    and median_ok(state, rules, median)
                )
            if ok:
                improved = True
            else:
                state.rollback(mark)


def resplits(
    state: GridState, rules: Rules, g: int, rng: np.random.Generator, trees: int = 48
) -> list[list[tuple[int, int]]]:
    """Last resort: cut ``g`` and one neighbour anew along a random spanning tree of their units.

    Among the cuts leaving both grids in band, the one moving the fewest
    households wins, per neighbour; cheapest first.
    """
    found: list[tuple[float, int, list[tuple[int, int]]]] = []
    nbrs = {
        int(state.labels[w]) for u in state.members[g] for w in state.graph.neighbours(u).tolist()
    }
    for b in sorted(nbrs):
        if (
            b == g
            or b in rules.closed
            or rules.parent[b] != rules.parent[g]
            or rules.band[b] != rules.band[g]
        ):
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
            tree = minimum_spanning_tree(
                sparse.coo_matrix((weights, (upper.row, upper.col)), shape=(n, n))
            )
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
            moves = [
                (int(u), int(t)) for u, t in zip(nodes, target, strict=True) if state.labels[u] != t
            ]
            found.append((best[0], b, moves))
    found.sort(key=lambda t: (t[0], t[1]))
    return [moves for _, _, moves in found]


def split_off(state: GridState, rules: Rules, g: int, rng: np.random.Generator) -> int | None:
    """Split grid ``g`` in two; the smaller half (in households) goes to a new label."""
    rows = np.array(sorted(state.members[g]), dtype=np.int64)
    if len(rows) < 2 or state.frozen[rows].any():
        return None
    graph = state.graph
    sub = graph.adjacency[rows][:, rows]
    part = _Partitioner(
        sub,
        state.pop[rows],
        graph.area_m2[rows],
        graph.x[rows],
        graph.y[rows],
        np.zeros(len(rows)),
        rules.band[g],
        rng,
    )
    pieces = part.split(np.arange(len(rows)), 2)
    if len(pieces) != 2:
        return None
    small = min(pieces, key=lambda piece: (state.pop[rows[piece]].sum(), len(piece)))
    new = state.add_grid()
    for u in rows[small]:
        state.move(int(u), new)
    return new


def dissolve(state: GridState, rules: Rules, g: int) -> bool:
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


def _also_paths(
    state: GridState, rules: Rules, search: ChainSearch, g: int
) -> list[list[tuple[int, int]]]:
    """Single bundle moves that lower the second quantity's violation, cheapest first."""
    s = state
    options: list[tuple[float, Bundle, int, int]] = []  # (households, bundle, from, to)
    for bundle, b in search.border(g):
        options.append((search.households_of(bundle), bundle, g, b))
    for bundle, other in search.touching(g, s.members[g]):
        options.append((search.households_of(bundle), bundle, other, g))
    good = []
    for p, bundle, a, b in options:
        q = search.extra_of(bundle)
        before = band_violation(s, rules, a) + band_violation(s, rules, b)
        after = band_violation(s, rules, a, -p, -q) + band_violation(s, rules, b, p, q)
        if (
            after < before - 1e-9
            and rules.band[a].violation(s.h[a] - p) == 0
            and rules.band[b].violation(s.h[b] + p) == 0
        ):
            good.append((p, bundle, b))
    good.sort()
    return [[(u, b) for u in bundle] for _, bundle, b in good[:CANDIDATES]]


def undo_unneeded(state: GridState, rules: Rules, original: np.ndarray) -> None:
    """Move units back to their first grid wherever no rule is broken by it (largest first)."""
    changed = True
    while changed:
        changed = False
        moved = np.flatnonzero(state.labels != original)
        for u in sorted(moved.tolist(), key=lambda u: (-state.pop[u], u)):
            a, b = int(state.labels[u]), int(original[u])
            if not state.members[b] or b in rules.closed:
                continue
            if not (
                state.graph.neighbours(u).size
                and (state.labels[state.graph.neighbours(u)] == b).any()
            ):
                continue
            if len(state.members[a]) < 2 or not state.connected(state.members[a] - {u}):
                continue
            p = float(state.pop[u])
            q = float(state.extra[u]) if state.extra is not None else 0.0
            before = band_violation(state, rules, a) + band_violation(state, rules, b)
            after = band_violation(state, rules, a, -p, -q) + band_violation(state, rules, b, p, q)
            if (
                after > before + 1e-9
                or band_violation(state, rules, a, -p, -q) > band_violation(state, rules, a) + 1e-9
            ):
                continue
            if band_violation(state, rules, b, p, q) > band_violation(state, rules, b) + 1e-9:
                continue
            if (
                state.pp_after(a, out=[u]) < rules.pp_floor[a] - 1e-9
                or state.pp_after(b, into=[u]) < rules.pp_floor[b] - 1e-9
            ):
                continue
            median = median_pp(state, rules)
            state.move(u, b)
            if median_ok(state, rules, median):
                changed = True
            else:
                state.move(u, a)
