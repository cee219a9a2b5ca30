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
moves that keeps the rules. :func:`apply_moves` applies the moves of a
result to the plan later (a preview accepted), when they still fit.

The search is split along its steps: :mod:`~geogrid.grids.rebalance_state`
(grids as unit sets with running totals, and the rules),
:mod:`~geogrid.grids.rebalance_search` (shortest augmenting chains) and
:mod:`~geogrid.grids.rebalance_moves` (chains applied, grids split,
dissolved, re-cut, improved); this module is the entry and the result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.errors import InputError
from geogrid.grids.codes import assemble_grids, free_codes
from geogrid.grids.diff import WORKER_COLUMNS, worker_changes, workers_of
from geogrid.grids.graph import UnitGraph, unit_graph
from geogrid.grids.model import Band, GridPlan
from geogrid.grids.partition import feasible_counts
from geogrid.grids.rebalance_moves import dissolve, fix_grids, improve, split_off, undo_unneeded
from geogrid.grids.rebalance_search import ChainSearch
from geogrid.grids.rebalance_state import GridState, Rules, band_violation
from geogrid.grids.units import (
    PERSONS_PER_HOUSEHOLD,
    buildings_per_unit,
    order_rows,
    split_units_by_building,
)

#: Default fall of the median and of the worst Polsby-Popper a rebalance may cause.
COMPACTNESS_TOLERANCE = 0.05


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
    per_worker
        Per grid worker, the units with households that leave or join each
        of their grids (:func:`geogrid.grids.diff.worker_changes`, kind unit).
    split
        Units over their max cut by building (given ``buildings``), each
        with its pieces (``<unit_id>.<n>``) as they are in ``plan.units``;
        a unit whose pieces all stayed in its grid is whole again and not
        listed.
    split_notes
        One sentence per unit in ``split``: households, buildings, pieces.
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
    per_worker: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WORKER_COLUMNS))
    split: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    split_notes: tuple[str, ...] = ()

    @property
    def in_band(self) -> bool:
        """True when every grid that is not retired ends inside its band(s)."""
        alive = self.per_grid[self.per_grid["status"] != "retired"]
        return bool(alive["in_band_after"].all())

    def summary(self) -> list[str]:
        """Lines for a person: totals, created and retired codes, split units, reasons.

        Before counts the grids of the version the rebalance started from
        (retired ones included, created ones not); after, the result's grids.
        """
        before = self.per_grid[self.per_grid["status"] != "created"]
        after = self.per_grid[self.per_grid["status"] != "retired"]
        lines = [
            f"{int(before['in_band_before'].sum())} of {len(before)} grids inside their band "
            f"before, {int(after['in_band_after'].sum())} of {len(after)} after; "
            f"{self.households_moved} households in {self.units_moved} units moved"
        ]
        if self.created:
            lines.append(f"created: {', '.join(self.created)}")
        if self.retired:
            lines.append(f"retired: {', '.join(self.retired)}")
        lines += [f"split: {n}" for n in self.split_notes]
        lines += [f"reason: {r}" for r in self.reasons]
        return lines


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
    buildings: gpd.GeoDataFrame | None = None,
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
    buildings
        The buildings (or register points) with ``households``: a unit over
        its max with two or more of them inside, not locked, is first cut
        into one piece per building (:func:`split_units_by_building`; the
        graph is then rebuilt); pieces that all stay in the unit's grid are
        joined again at the end. Without them such a unit is only reported.

    Returns
    -------
    :class:`RebalanceResult`.
    """
    started = time.monotonic()
    units = _units_of(plan, units)
    if also is not None and also[0] not in units.columns:
        raise InputError(
            f"--also {also[0]}: units have no column {also[0]!r}; columns: "
            f"{', '.join(map(str, units.columns))}"
        )
    band = band or plan.default_band
    bands = dict(plan.bands if parent_band is None else parent_band)
    locked_codes = {str(c) for c in locked_grids}
    if "locked" in plan.grids.columns and "code" in plan.grids.columns:
        locked_codes |= set(
            plan.grids.loc[plan.grids["locked"].fillna(False).astype(bool), "code"].astype(str)
        )
    unknown = sorted(
        locked_codes
        - set(units["grid"])
        - set(plan.grids.get("code", pd.Series(dtype=str)).astype(str))
    )
    if unknown:
        raise InputError(f"locked grids not found: {', '.join(unknown[:10])}")
    locked_ids = {str(u) for u in locked_units}
    bad = sorted(locked_ids - set(units.index))
    if bad:
        raise InputError(f"locked units not found: {', '.join(bad[:10])}")
    whole = units
    n_buildings: dict[str, int] = {}
    pieces: dict[str, list[str]] = {}
    if buildings is not None and len(buildings):
        units, pieces, n_buildings = _split_over_max(
            units, buildings, plan.metric_crs, band, bands, locked_codes, locked_ids
        )
        if pieces:
            graph = None  # the given graph is of the whole units
            if also is not None and also[0] not in ("households", "population"):
                _share_out(units, whole, pieces, also[0])
    graph = graph if graph is not None else unit_graph(units, plan.metric_crs)
    if graph.adjacency.shape[0] != len(units):
        raise InputError(
            f"the unit graph has {graph.adjacency.shape[0]} units, the units {len(units)}; "
            "build the graph from these units"
        )
    # grid labels and rules
    codes = sorted(set(units["grid"]))
    label_of = {c: i for i, c in enumerate(codes)}
    labels = units["grid"].map(label_of).to_numpy(dtype=np.int64)
    pop = units["households"].fillna(0).to_numpy(dtype=float)
    extra = units[also[0]].fillna(0).to_numpy(dtype=float) if also is not None else None
    ids = units.index.to_numpy()
    parent_of_label = [
        str(units["parent_code"].iloc[int(np.flatnonzero(labels == i)[0])])
        for i in range(len(codes))
    ]
    frozen = units.index.isin(list(locked_ids)) | units["grid"].isin(list(locked_codes)).to_numpy()
    if "locked" in units.columns:
        frozen |= units["locked"].fillna(False).astype(bool).to_numpy()
    closed = {label_of[c] for c in locked_codes if c in label_of}
    locked_labels = set(closed)
    reasons: list[str] = []
    band_of = [bands.get(p, band) for p in parent_of_label]
    # a unit over the max (not cut by building): its grid is left alone
    heavy: dict[int, str] = {}
    for i in np.flatnonzero(pop > np.array([band_of[g].max_households for g in labels])):
        g = int(labels[i])
        reasons.append(
            _over_max(
                str(ids[i]),
                int(pop[i]),
                n_buildings.get(str(ids[i])) if buildings is not None else None,
                codes[g],
                parent_of_label[g],
                band_of[g],
                bool(frozen[i]),
            )
        )
        if g not in closed:
            heavy.setdefault(g, str(ids[i]))
        closed.add(g)
    state = GridState(graph, labels.copy(), pop, extra, frozen, len(codes))
    pp0 = [state.pp(g) for g in range(len(codes))]
    open_pp = [pp0[g] for g in range(len(codes)) if g not in closed] or [0.0]
    median0 = float(np.median(open_pp))
    worst0 = float(np.min(open_pp))
    rules = Rules(
        band=band_of,
        also=also[1] if also is not None else None,
        pp_floor=[worst0 - compactness_tolerance] * len(codes),
        parent=list(parent_of_label),
        closed=closed,
        median_floor=median0 - compactness_tolerance,
    )
    h_before = state.h.copy()
    e_before = state.e.copy()
    rng = np.random.default_rng(seed)

    def _outside(parent: str) -> str:
        """Which of the parent's grids its total leaves out, if any."""
        out = []
        if any(parent_of_label[g] == parent for g in locked_labels):
            out.append("locked grids")
        if any(parent_of_label[g] == parent for g in heavy):
            out.append("grids holding a unit over the max")
        return f" (outside {' and '.join(out)})" if out else ""

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
            locked_here = sorted(
                codes[g]
                for g in closed
                if parent_of_label[g] == parent and codes[g] in locked_codes
            )
            infeasible.add(parent)
            reasons.append(
                f"parent {parent}: its {total:.0f} households{_outside(parent)} cannot be "
                f"divided into grids of {pband}: {high} grid(s) hold at most "
                f"{high * pband.max_households}, {low} need at least {low * pband.min_households}; "
                "widen the band for this parent (--parent-band) or move the parent's outline"
                + (
                    f"; the locked grids {', '.join(locked_here)} hold the rest of it: unlock one"
                    if locked_here
                    else ""
                )
            )
            continue
        k = len(mine)
        while k < low:
            g = max(mine, key=lambda g: (state.h[g], -g))
            new = split_off(state, rules, g, rng)
            if new is None:
                reasons.append(
                    f"parent {parent}: needs {low} grids but grid {codes[g]} cannot be split "
                    "(locked units or a single unit); split a grid by hand"
                )
                break
            rules.band.append(pband)
            rules.parent.append(parent)
            rules.pp_floor.append(worst0 - compactness_tolerance)
            mine.append(new)
            k += 1
        while k > high:
            alive = [g for g in mine if state.members[g]]
            for g in sorted(alive, key=lambda g: (state.h[g], g)):
                if dissolve(state, rules, g):
                    k -= 1
                    break
            else:
                reasons.append(
                    f"parent {parent}: must have at most {high} grids but none of its grids "
                    "can be dissolved into its neighbours (locked units or neighbours); "
                    "merge two grids by hand"
                )
                break
    # pushes and pulls, then a search for fewer moves
    search = ChainSearch(state, rules, rng)
    deadline = started + time_limit_s
    open_grids = [g for g in range(len(state.members)) if g not in closed]
    left = fix_grids(state, rules, search, open_grids, deadline, labels)
    # a grid no chain can fix: split it (dissolve it) when its parent may have one grid more (less)
    mark, violation_before = len(state.log), _total_violation(state, rules)
    tries: dict[int, int] = {}
    while (todo := {g for g in left if tries.get(g, 0) < 3}) and time.monotonic() < deadline:
        g = min(todo, key=lambda g: (-band_violation(state, rules, g), g))
        tries[g] = tries.get(g, 0) + 1
        parent, pband = rules.parent[g], rules.band[g]
        if parent in infeasible or not state.members[g] or band_violation(state, rules, g) <= 0:
            continue
        mine = [
            h
            for h in range(len(state.members))
            if state.members[h] and h not in closed and rules.parent[h] == parent
        ]
        low, high = feasible_counts(float(sum(state.h[h] for h in mine)), pband)
        if state.h[g] > pband.max_households and len(mine) < high:
            new = split_off(state, rules, g, rng)
            if new is not None:
                rules.band.append(pband)
                rules.parent.append(parent)
                rules.pp_floor.append(worst0 - compactness_tolerance)
                left = fix_grids(state, rules, search, {g, new}, deadline, labels)
        elif state.h[g] < pband.min_households and len(mine) > low and dissolve(state, rules, g):
            left = fix_grids(state, rules, search, open_grids, deadline, labels)
    if _total_violation(state, rules) > violation_before + 1e-9:
        state.rollback(mark)  # the splits and dissolves left the grids further out of band
    undo_unneeded(state, rules, labels)
    improve(state, rules, search, labels, deadline)
    timed_out = time.monotonic() > deadline
    if timed_out:
        reasons.append(
            f"stopped after the time limit of {time_limit_s:.0f} s; run again with a longer one"
        )
    # results
    used = set(codes) | set(plan.grids.get("code", pd.Series(dtype=str)).astype(str))
    created: list[str] = []
    new_codes: list[str] = list(codes) + [""] * (len(state.members) - len(codes))

    def place(g: int) -> tuple[str, float, float]:
        rows = sorted(state.members[g])
        return rules.parent[g], -float(np.mean(graph.y[rows])), float(np.mean(graph.x[rows]))

    # new codes: the next free ones in the parent, north to south, west to east
    for g in sorted(
        (g for g in range(len(codes), len(state.members)) if state.members[g]), key=place
    ):
        code = next(free_codes(rules.parent[g], used))
        used.add(code)
        new_codes[g] = code
        created.append(code)
    retired = [codes[g] for g in range(len(codes)) if not state.members[g]]
    for g in range(len(state.members)):
        if state.members[g] and g not in closed and band_violation(state, rules, g) > 0:
            reasons.append(
                _why(
                    state,
                    rules,
                    g,
                    new_codes,
                    infeasible,
                    compactness_tolerance,
                    also,
                    locked_labels,
                    heavy,
                    [str(i) for i in ids],
                )
            )
    final = np.asarray([new_codes[int(lab)] for lab in state.labels], dtype=object)
    moved_mask = state.labels != labels
    moves = pd.DataFrame(
        {
            "unit_id": ids[moved_mask],
            "from_code": units["grid"].to_numpy()[moved_mask],
            "to_code": final[moved_mask],
            "households": pop[moved_mask].astype(np.int64),
        }
    )
    changed = set(moves["from_code"]) | set(moves["to_code"])
    units["grid"] = final
    units["locked"] = frozen
    kept_split: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    if pieces:
        units, kept_split = _join_unmoved(units, whole, pieces)
        for u in sorted(set(pieces) - set(kept_split)):
            b = band_of[label_of[str(whole.at[u, "grid"])]]
            reasons.append(
                f"unit {u} (grid {whole.at[u, 'grid']}, {int(whole.at[u, 'households'])} "
                f"households, {n_buildings[u]} buildings) is above the band's max "
                f"{b.max_households}: it was cut by building, but no piece could move to a "
                "neighbouring grid within the rules (contiguity, bands, compactness), so it "
                "stays whole; raise --compactness-tolerance or the max for this parent"
            )
        for u, parts in kept_split.items():
            b = band_of[label_of[str(whole.at[u, "grid"])]]
            notes.append(
                f"unit {u} ({int(whole.at[u, 'households'])} households, {n_buildings[u]} "
                f"buildings) was above the band's max {b.max_households}: cut by building "
                f"into {len(parts)} pieces ({parts[0]} .. {parts[-1]}), "
                f"{len(set(units.loc[list(parts), 'grid']))} grid(s) hold them"
            )
    new_plan = GridPlan(
        units=units,
        grids=_grids(plan, units, changed),
        metric_crs=plan.metric_crs,
        default_band=band,
        bands=bands,
        problems=list(dict.fromkeys(reasons)),
    )
    per_grid = _per_grid(state, rules, labels, new_codes, h_before, e_before, pp0, closed, also)
    return RebalanceResult(
        plan=new_plan,
        grid_of=units["grid"].rename("grid"),
        moves=moves,
        households_moved=int(moves["households"].sum()),
        units_moved=len(moves),
        per_grid=per_grid,
        created=tuple(created),
        retired=tuple(retired),
        reasons=tuple(dict.fromkeys(reasons)),
        per_worker=worker_changes(
            moves[moves["households"] > 0].rename(columns={"unit_id": "id"}),
            workers_of(plan.grids),
            workers_of(new_plan.grids),
            "unit",
        ),
        split=kept_split,
        split_notes=tuple(notes),
    )


def _split_over_max(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    band: Band,
    bands: Mapping[str, Band],
    locked_codes: set[str],
    locked_ids: set[str],
) -> tuple[gpd.GeoDataFrame, dict[str, list[str]], dict[str, int]]:
    """Units over their parent's max cut by building (unless locked); building counts of all.

    Returns the units (pieces in place of the cut ones), the pieces per
    unit cut and the number of buildings with households per unit over the
    max (cut or not).
    """
    maxima = np.array(
        [bands.get(str(p), band).max_households for p in units["parent_code"]], dtype=float
    )
    over = units["households"].fillna(0).to_numpy(dtype=float) > maxima
    if not over.any():
        return units, {}, {}
    count = buildings_per_unit(units, buildings, metric_crs)
    n_buildings = {str(u): int(c) for u, c in zip(units.index[over], count[over], strict=True)}
    locked = units.index.isin(list(locked_ids)) | units["grid"].isin(list(locked_codes)).to_numpy()
    if "locked" in units.columns:
        locked |= units["locked"].fillna(False).astype(bool).to_numpy()
    todo = [str(u) for u in units.index[over & ~locked & (count >= 2)]]
    cut, pieces = split_units_by_building(
        units, buildings, metric_crs, todo, keep_whole=[str(u) for u in units.index[locked]]
    )
    return cut, pieces, n_buildings


def _share_out(
    units: gpd.GeoDataFrame,
    whole: gpd.GeoDataFrame,
    pieces: Mapping[str, list[str]],
    column: str,
) -> None:
    """Give the pieces of each cut unit its ``column`` in proportion to their households."""
    for u, parts in pieces.items():
        hh = units.loc[parts, "households"].fillna(0).to_numpy(dtype=float)
        share = hh / hh.sum() if hh.sum() > 0 else np.full(len(parts), 1.0 / len(parts))
        units.loc[parts, column] = float(whole.at[u, column] or 0) * share


def _join_unmoved(
    units: gpd.GeoDataFrame, whole: gpd.GeoDataFrame, pieces: Mapping[str, list[str]]
) -> tuple[gpd.GeoDataFrame, dict[str, tuple[str, ...]]]:
    """Units with each cut unit whole again when all its pieces ended in its own grid."""
    rejoin = [
        u
        for u, parts in pieces.items()
        if set(units.loc[parts, "grid"].astype(str)) == {str(whole.at[u, "grid"])}
    ]
    kept = {u: tuple(parts) for u, parts in pieces.items() if u not in rejoin}
    if not rejoin:
        return units, kept
    drop = [p for u in rejoin for p in pieces[u]]
    back = whole.loc[rejoin].copy()
    back["locked"] = False  # a locked unit is never cut
    base = pd.Series(units.index.str.rsplit(".", n=1).str[0], index=units.index)
    position = {u: i for i, u in enumerate(whole.index)}
    out = pd.concat([units.drop(index=drop), back[[c for c in units.columns if c in back]]])
    key = [position.get(u, position.get(base.get(u, u), len(position))) for u in out.index]
    out = out.iloc[np.argsort(np.asarray(key), kind="stable")]
    out.index.name = units.index.name
    # neighbours given the cut points as vertices get their own outline back unless a piece
    # that stays cut touches them
    others = [u for u in out.index if u in whole.index and u not in pieces]
    kept_geoms = units.loc[[p for parts in kept.values() for p in parts]].geometry.to_numpy()
    near: set[str] = set()
    if len(kept_geoms) and others:
        hits = shapely.STRtree(kept_geoms).query(
            out.loc[others].geometry.to_numpy(), predicate="dwithin", distance=1e-6
        )[0]
        near = {others[i] for i in hits}
    restore = [u for u in others if u not in near]
    out.loc[restore, "geometry"] = whole.loc[restore].geometry.to_numpy()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs), kept


def _over_max(
    unit: str,
    households: int,
    buildings: int | None,
    code: str,
    parent: str,
    band: Band,
    locked: bool,
) -> str:
    """Why a unit over the max stays whole, and what to do, in one sentence."""
    where = f"unit {unit} (grid {code}, parent {parent}"
    if buildings is None:
        return (
            f"{where}, {households} households) is above the band's max {band.max_households}: "
            "no grid holding it can be in band; split it by building with `geogrid grids "
            "rebalance` on the area (it cuts such a unit by the buildings or register points "
            "inside) or raise the max for this parent (--parent-band)"
        )
    head = (
        f"{where}, {households} households, {buildings} building"
        f"{'' if buildings == 1 else 's'}) is above the band's max {band.max_households}"
    )
    if locked and buildings >= 2:
        return (
            f"{head}: it is locked, so it is not split by building; unlock its grid "
            f"(`geogrid grids lock AREA {code} --unlock`) and rebalance again, or raise the "
            "max for this parent (--parent-band)"
        )
    if buildings >= 2:
        return (
            f"{head}: its buildings stand at one spot and cannot be cut apart; raise the max "
            f"for this parent (--parent-band {parent}=MIN-MAX)"
        )
    return (
        f"{head}: {'its one building holds' if buildings else 'no building lies in it to hold'}"
        " them, so it cannot be split by building; raise the max for this parent "
        f"(--parent-band {parent}=MIN-MAX) or give the register by entrance"
    )


def _total_violation(state: GridState, rules: Rules) -> float:
    """Households (and second quantity) outside the bands, summed over the open grids."""
    return sum(
        band_violation(state, rules, g)
        for g in range(len(state.members))
        if state.members[g] and g not in rules.closed
    )


def _units_of(plan: GridPlan, units: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """A copy of ``units`` (default the plan's) with str ids, each unit's grid and parent."""
    units = (plan.units if units is None else units).copy()
    units.index = units.index.astype(str).rename("unit_id")
    if "grid" not in units.columns or units["grid"].isna().all():
        missing_ids = units.index.difference(plan.units.index.astype(str))
        if len(missing_ids):
            raise InputError(
                f"units {', '.join(missing_ids[:10])} are in no grid of the plan; give them a "
                "grid (geogrid grids reassign) or build grids again"
            )
        units["grid"] = (
            plan.units["grid"].set_axis(plan.units.index.astype(str)).reindex(units.index)
        )
    no_grid = units.index[units["grid"].isna()]
    if len(no_grid):
        raise InputError(f"units {', '.join(no_grid[:10])} have no grid; give them one first")
    units["grid"] = units["grid"].astype(str)
    units["parent_code"] = units["parent_code"].astype(str)
    return units


def apply_moves(
    plan: GridPlan,
    moves: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    problems: Iterable[str] = (),
    buildings: gpd.GeoDataFrame | None = None,
) -> GridPlan:
    """The plan after the unit moves of a rebalance (``RebalanceResult.moves``), e.g. a preview
    accepted later.

    Each move (unit_id, from_code, to_code) must still start where the unit
    is (else the grids changed since the rebalance: InputError); locked
    units and grids refuse to move. The grids layer is rebuilt as
    :func:`rebalance` does: grids no unit left or joined keep their rows.
    ``units`` carries today's households (default the plan's). A move of a
    piece ``<unit_id>.<n>`` of a unit the rebalance cut by building cuts
    that unit again from ``buildings`` (the same buildings give the same
    pieces).
    """
    units = _units_of(plan, units)
    locked_codes: set[str] = set()
    if "locked" in plan.grids.columns and "code" in plan.grids.columns:
        locked_codes = set(
            plan.grids.loc[plan.grids["locked"].fillna(False).astype(bool), "code"].astype(str)
        )
    if buildings is not None and len(buildings):
        named = set(moves["unit_id"].astype(str))
        cut = sorted(
            {
                u.rsplit(".", 1)[0]
                for u in named - set(units.index)
                if "." in u and u.rsplit(".", 1)[0] in units.index
            }
        )
        if cut:
            locked = units["grid"].isin(list(locked_codes)).to_numpy(copy=True)
            if "locked" in units.columns:
                locked |= units["locked"].fillna(False).astype(bool).to_numpy()
            units, _ = split_units_by_building(
                units, buildings, plan.metric_crs, cut, keep_whole=list(units.index[locked])
            )
    frozen = units["grid"].isin(list(locked_codes)).to_numpy(copy=True)
    if "locked" in units.columns:
        frozen = frozen | units["locked"].fillna(False).astype(bool).to_numpy()
    problems_found = []
    ids = moves["unit_id"].astype(str).tolist()
    for uid, frm, to in zip(
        ids, moves["from_code"].astype(str), moves["to_code"].astype(str), strict=True
    ):
        if uid not in units.index:
            problems_found.append(f"unit {uid} is no unit of the grids")
        elif units.at[uid, "grid"] != frm:
            problems_found.append(f"unit {uid} is in grid {units.at[uid, 'grid']}, not {frm}")
        elif frozen[units.index.get_loc(uid)] or to in locked_codes:
            problems_found.append(f"unit {uid} ({frm} -> {to}) is locked")
    if problems_found:
        raise InputError(
            "the moves no longer fit the grids: "
            + "; ".join(problems_found[:10])
            + "; rebalance again"
        )
    units.loc[ids, "grid"] = moves["to_code"].astype(str).to_numpy()
    units["locked"] = frozen
    changed = set(moves["from_code"].astype(str)) | set(moves["to_code"].astype(str))
    return GridPlan(
        units=units,
        grids=_grids(plan, units, changed),
        metric_crs=plan.metric_crs,
        default_band=plan.default_band,
        bands=dict(plan.bands),
        problems=list(dict.fromkeys(problems)),
    )


def _why(
    state: GridState,
    rules: Rules,
    g: int,
    codes: list[str],
    infeasible: set[str],
    tolerance: float,
    also: tuple[str, Band] | None,
    locked: Collection[int] = (),
    heavy: Mapping[int, str] | None = None,
    ids: Sequence[str] | None = None,
) -> str:
    """Why grid ``g`` is still outside its band, in one sentence.

    ``locked`` are the labels of locked grids, ``heavy`` the labels of grids
    left alone because they hold a unit over the max (with that unit): only
    the former are called locked; ``ids`` name the units (row numbers
    without them).
    """
    heavy = heavy or {}
    parent = rules.parent[g]
    h = state.h[g]
    b = rules.band[g]
    where = f"grid {codes[g]} ({h:.0f} households, band {b}"
    where += f"; {also[0]} {state.e[g]:.0f}, band {also[1]})" if also is not None else ")"
    if parent in infeasible:
        return f"{where}: parent {parent} cannot be divided into the band (see above)"
    nbr_grids: set[int] = set()
    other_parent: set[int] = set()
    own_border: set[int] = set()
    for u in state.members[g]:
        for w in state.graph.neighbours(u).tolist():
            other = int(state.labels[w])
            if other == g:
                continue
            if rules.parent[other] == parent:
                nbr_grids.add(other)
                own_border.add(u)
            else:
                other_parent.add(other)
    if not nbr_grids:
        if other_parent:
            names = ", ".join(sorted(codes[o] for o in other_parent)[:5])
            return (
                f"{where}: its only neighbours ({names}) are in another parent and households do "
                f"not cross parents; widen the band for parent {parent} (--parent-band) or move "
                "the parent's outline"
            )
        return (
            f"{where}: no other grid touches it; widen the band for parent {parent} (--parent-band)"
        )
    lock = sorted(codes[o] for o in nbr_grids if o in locked)
    held = sorted(
        f"{codes[o]} (unit {heavy[o]} over the max)"
        for o in nbr_grids
        if o not in locked and o in heavy
    )
    open_nbrs = sorted(o for o in nbr_grids if o not in rules.closed)
    over = h > b.max_households
    under = h < b.min_households

    def smallest(frm: int, to: int) -> float:
        """Households of the smallest movable unit of ``frm`` on its border with ``to``."""
        sizes = [
            state.pop[u]
            for u in state.members[frm]
            if not state.frozen[u]
            and state.pop[u] > 0
            and any(int(state.labels[w]) == to for w in state.graph.neighbours(u).tolist())
        ]
        return min(sizes) if sizes else math.inf

    if over:
        stuck = [o for o in open_nbrs if state.h[o] + smallest(g, o) > rules.band[o].max_households]
        verb, room = "take", "no room under its max"
    elif under:
        stuck = [o for o in open_nbrs if state.h[o] - smallest(o, g) < rules.band[o].min_households]
        verb, room = "give", "nothing to spare over its min"
    else:  # the second quantity is what is out of band
        stuck, verb, room = [], "give or take", ""
    closed_parts = []
    if lock:
        closed_parts.append(f"{', '.join(lock)} {'is' if len(lock) == 1 else 'are'} locked")
    if held:
        closed_parts.append(
            f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} left alone (see above)"
        )
    if not open_nbrs:
        if held and not lock:
            return (
                f"{where}: its only neighbour(s) of parent {parent}, {'; '.join(closed_parts)}, "
                "cannot take part; split that unit by building or raise the max"
            )
        return (
            f"{where}: every neighbouring grid of parent {parent} is closed: "
            f"{'; '.join(closed_parts)}; unlock one so households can move"
        )
    frozen_border = own_border and all(bool(state.frozen[u]) for u in own_border)
    if frozen_border:
        units = ", ".join(str(ids[u] if ids is not None else u) for u in sorted(own_border)[:5])
        return (
            f"{where}: every unit on its border with grids of parent {parent} ({units}) is "
            "locked; unlock one so households can move"
        )
    lead = f"{where}: " + (f"{'; '.join(closed_parts)}; " if closed_parts else "")
    if stuck and len(stuck) == len(open_nbrs):
        names = ", ".join(f"{codes[o]} ({state.h[o]:.0f})" for o in stuck)
        return (
            lead + f"no neighbour can {verb} households without leaving its own band "
            f"({names}: {room}) and no chain of moves through them keeps every grid in band; "
            f"widen the band for parent {parent} (--parent-band) or split/merge by hand"
        )
    return (
        lead + "no chain of border moves keeps every grid contiguous, inside its band and "
        f"within the compactness tolerance ({tolerance:.2f}); raise --compactness-tolerance or "
        "split/merge by hand"
    )


def _grids(plan: GridPlan, units: gpd.GeoDataFrame, changed: set[str]) -> gpd.GeoDataFrame:
    """The grids layer: rows of untouched grids kept (households recounted), the rest dissolved."""
    old = plan.grids
    if not len(old) or "code" not in old.columns or "geometry" not in old.columns:
        return assemble_grids(units, plan.metric_crs, old if len(old) else None)
    alive = set(units["grid"])
    keep_codes = (alive - changed) & set(old["code"].astype(str))
    kept = old[old["code"].astype(str).isin(keep_codes)].copy()
    totals = units.groupby("grid")[["households"]].sum()
    pops = (
        units["population"]
        if "population" in units.columns
        else units["households"] * PERSONS_PER_HOUSEHOLD
    )
    pop_totals = pops.groupby(units["grid"]).sum()
    kept["households"] = kept["code"].astype(str).map(totals["households"]).astype(int).to_numpy()
    kept["population"] = kept["code"].astype(str).map(pop_totals).astype(float).round(1).to_numpy()
    fresh = assemble_grids(units[units["grid"].isin(alive - keep_codes)], plan.metric_crs, old)
    if not len(kept):
        return fresh
    grids = (
        pd.concat([kept[fresh.columns], fresh], ignore_index=True)
        if len(fresh)
        else kept[fresh.columns]
    )
    grids = gpd.GeoDataFrame(grids, geometry="geometry", crs=fresh.crs)
    return order_rows(grids, plan.metric_crs).reset_index(drop=True)


def _per_grid(
    state: GridState,
    rules: Rules,
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
            "code": new_codes[g],
            "parent_code": rules.parent[g],
            "status": status,
            "households_before": int(round(hb)),
            "households_after": int(round(ha)),
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
