"""Household-balanced grids (网格): base units, partitioning, codes, checks, edits, diffs.

Pure domain code: frames in, frames and dataclasses out; nothing here reads
or writes files (see :mod:`geogrid.io.versions` and
:mod:`geogrid.services.grids`). One module per step of the pipeline:

:mod:`~geogrid.grids.units`
    base units (street blocks, building cells) and their households
:mod:`~geogrid.grids.graph`
    which units are neighbours
:mod:`~geogrid.grids.partition`
    :func:`build_grids`: recursive spanning-tree bisection with a household
    band, then local search
:mod:`~geogrid.grids.codes`
    stable 15-digit codes and the grids layer
:mod:`~geogrid.grids.edits`
    reassign, split, merge, rename, lock by hand
:mod:`~geogrid.grids.checks`
    :func:`validate_grids`: every problem of a grids layer
:mod:`~geogrid.grids.diff`
    what changed between two versions, per grid and per grid worker; the
    per-grid report
:mod:`~geogrid.grids.rebalance`
    :func:`rebalance`: back into the band with the fewest households moved
    (its search in ``rebalance_state``, ``rebalance_search``,
    ``rebalance_moves``); :func:`apply_moves` applies a preview later

:mod:`~geogrid.grids.model` holds what they share: :class:`Band` and
:class:`GridPlan`. This package exports what the rest of geogrid, the web
map, the benchmarks and the tests use.
"""

from __future__ import annotations

from geogrid.grids.checks import TOLERANCE_M2, GridProblem, validate_grids
from geogrid.grids.codes import assemble_grids
from geogrid.grids.diff import (
    GridDiff,
    compare_grids,
    grid_report,
    worker_changes,
    worker_lines,
    workers_of,
)
from geogrid.grids.edits import (
    merge_grids,
    plan_from_layers,
    reassign_units,
    rename_grid,
    set_grid,
    split_grid,
)
from geogrid.grids.graph import unit_graph
from geogrid.grids.model import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_MIN_HOUSEHOLDS, Band, GridPlan
from geogrid.grids.partition import build_grids
from geogrid.grids.rebalance import COMPACTNESS_TOLERANCE, RebalanceResult, apply_moves, rebalance
from geogrid.grids.units import (
    PERSONS_PER_HOUSEHOLD,
    apply_household_table,
    count_households,
    estate_buildings,
    order_rows,
    refine_units,
    units_from_buildings,
    units_from_streets,
)

__all__ = [
    "COMPACTNESS_TOLERANCE",
    "DEFAULT_MAX_HOUSEHOLDS",
    "DEFAULT_MIN_HOUSEHOLDS",
    "PERSONS_PER_HOUSEHOLD",
    "TOLERANCE_M2",
    "Band",
    "GridDiff",
    "GridPlan",
    "GridProblem",
    "RebalanceResult",
    "apply_household_table",
    "apply_moves",
    "assemble_grids",
    "build_grids",
    "compare_grids",
    "count_households",
    "estate_buildings",
    "grid_report",
    "merge_grids",
    "order_rows",
    "plan_from_layers",
    "reassign_units",
    "rebalance",
    "refine_units",
    "rename_grid",
    "set_grid",
    "split_grid",
    "unit_graph",
    "units_from_buildings",
    "units_from_streets",
    "validate_grids",
    "worker_changes",
    "worker_lines",
    "workers_of",
]
