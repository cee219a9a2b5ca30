"""Edits of a plan by hand: reassign units, split, merge, rename, lock, set the worker.

Every edit takes a :class:`~geogrid.grids.model.GridPlan` and returns a new
one (the given plan is not changed) with the grids layer rebuilt; locked
units and grids refuse to change. :func:`plan_from_layers` rebuilds the
plan the edits start from out of a saved grids layer and its units.

A code an edit brings into being (a move to a new grid, a split's or a
rename's new code) must match :data:`NEW_CODE_RE`: letters, digits, ``_``
and ``-``, at most 32 characters, so a code is never markup on a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import geopandas as gpd
import numpy as np

from geogrid.errors import InputError
from geogrid.grids.codes import assemble_grids, free_codes
from geogrid.grids.graph import unit_graph
from geogrid.grids.model import Band, GridPlan
from geogrid.grids.partition import _Partitioner
from geogrid.grids.units import PERSONS_PER_HOUSEHOLD

#: codes an edit may create (existing codes of imported grids are kept as they are)
NEW_CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def check_new_code(code: str) -> str:
    """``code`` when a new grid may have it; InputError saying what a code may hold otherwise."""
    if not isinstance(code, str) or not NEW_CODE_RE.fullmatch(code):
        raise InputError(
            f"grid code {code!r}: use 1-32 letters, digits, _ or - (e.g. 110108001001)"
        )
    return code


def _with_units(plan: GridPlan, units: gpd.GeoDataFrame, problems: Sequence[str] = ()) -> GridPlan:
    grids = assemble_grids(units, plan.metric_crs, plan.grids)
    return replace(plan, units=units, grids=grids, problems=list(problems))


def _require_codes(plan: GridPlan, codes: Iterable[str]) -> None:
    known = set(plan.units["grid"])
    missing = [c for c in codes if c not in known]
    if missing:
        raise InputError(
            f"no grid {', '.join(missing)} in this plan; grids are: "
            f"{', '.join(sorted(known)[:20])}{' ...' if len(known) > 20 else ''}"
        )


def reassign_units(plan: GridPlan, unit_ids: Iterable[str], to_code: str) -> GridPlan:
    """Move units to grid ``to_code`` (an existing or a new code); locked units refuse."""
    unit_ids = [str(u) for u in unit_ids]
    units = plan.units.copy()
    missing = [u for u in unit_ids if u not in units.index]
    if missing:
        raise InputError(f"no unit {', '.join(missing)}; unit ids look like {units.index[0]}")
    locked = [u for u in unit_ids if bool(units.at[u, "locked"])]
    if locked:
        raise InputError(f"units {', '.join(locked)} are locked; unlock their grid first")
    if to_code not in set(units["grid"]):
        check_new_code(to_code)
    locked_grids = set(plan.grids.loc[plan.grids["locked"], "code"])
    hit = (set(units.loc[unit_ids, "grid"]) | {to_code}) & locked_grids
    if hit:
        raise InputError(f"grid {', '.join(sorted(hit))} is locked; unlock it first")
    units.loc[unit_ids, "grid"] = to_code
    return _with_units(plan, units)


def split_grid(plan: GridPlan, code: str, seed: int = 0, new_code: str | None = None) -> GridPlan:
    """Split grid ``code`` in two contiguous, compact halves; the northern/western one keeps
    the code."""
    _require_codes(plan, [code])
    if new_code is not None:
        check_new_code(new_code)
    grids = plan.grids.set_index("code")
    if bool(grids.at[code, "locked"]):
        raise InputError(f"grid {code} is locked; unlock it first")
    units = plan.units.copy()
    rows = np.flatnonzero(units["grid"].to_numpy() == code)
    if len(rows) < 2:
        raise InputError(f"grid {code} has a single unit and cannot be split")
    members = units.iloc[rows]
    graph = unit_graph(members, plan.metric_crs)
    band = plan.band_of(str(members["parent_code"].iloc[0]))
    part = _Partitioner(
        graph.adjacency,
        members["households"].to_numpy(dtype=float),
        graph.area_m2,
        graph.x,
        graph.y,
        np.zeros(len(rows)),
        band,
        np.random.default_rng(seed),
    )
    pieces = part.split(np.arange(len(rows)), 2)
    if len(pieces) < 2:
        raise InputError(f"grid {code} cannot be split into two contiguous parts")
    a, b = pieces
    ya, yb = graph.y[a].mean(), graph.y[b].mean()
    second = b if (ya, -graph.x[a].mean()) >= (yb, -graph.x[b].mean()) else a
    parent = str(members["parent_code"].iloc[0])
    if new_code is None:
        new_code = next(free_codes(parent, set(units["grid"])))
    col = units.columns.get_loc("grid")
    units.iloc[rows[second], col] = new_code
    return _with_units(plan, units)


def merge_grids(plan: GridPlan, codes: Sequence[str]) -> GridPlan:
    """Merge grids into the first code; refuses locked grids and different parents."""
    _require_codes(plan, codes)
    grids = plan.grids.set_index("code")
    if len(set(grids.loc[list(codes), "parent_code"])) > 1:
        raise InputError(f"grids {', '.join(codes)} belong to different parents; grids nest in one")
    locked = [c for c in codes if bool(grids.at[c, "locked"])]
    if locked:
        raise InputError(f"grid {', '.join(locked)} is locked; unlock it first")
    units = plan.units.copy()
    units.loc[units["grid"].isin(list(codes)), "grid"] = codes[0]
    return _with_units(plan, units)


def rename_grid(
    plan: GridPlan, code: str, new_code: str | None = None, name: str | None = None
) -> GridPlan:
    """Change a grid's code and/or its name."""
    _require_codes(plan, [code])
    units = plan.units.copy()
    grids = plan.grids.copy()
    if new_code is not None and new_code != code:
        check_new_code(new_code)
        if new_code in set(units["grid"]):
            raise InputError(f"grid code {new_code} is taken; choose another")
        units.loc[units["grid"] == code, "grid"] = new_code
        grids.loc[grids["code"] == code, "code"] = new_code
        code = new_code
    if name is not None:
        grids.loc[grids["code"] == code, "name"] = name
    plan = replace(plan, grids=grids)
    return _with_units(plan, units)


def set_grid(
    plan: GridPlan, code: str, *, locked: bool | None = None, worker: str | None = None
) -> GridPlan:
    """Lock or unlock a grid (its units never move while locked) and/or set its worker."""
    _require_codes(plan, [code])
    units = plan.units.copy()
    grids = plan.grids.copy()
    if locked is not None:
        units.loc[units["grid"] == code, "locked"] = locked
        grids.loc[grids["code"] == code, "locked"] = locked
    if worker is not None:
        grids.loc[grids["code"] == code, "worker"] = worker
    plan = replace(plan, grids=grids)
    return _with_units(plan, units)


def plan_from_layers(
    grids: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    metric_crs: str,
    band: Band | None = None,
    bands: Mapping[str, Band] | None = None,
) -> GridPlan:
    """Rebuild a plan from a saved grids layer and its units (with a ``grid`` column)."""
    units = units.copy()
    if "locked" not in units.columns:
        units["locked"] = False
    units["locked"] = units["locked"].fillna(False).astype(bool)
    if "population" not in units.columns:
        units["population"] = units["households"] * PERSONS_PER_HOUSEHOLD
    if len(grids) and "locked" in grids.columns:
        locked = set(grids.loc[grids["locked"].fillna(False).astype(bool), "code"].astype(str))
        units.loc[units["grid"].isin(locked), "locked"] = True
    plan = GridPlan(
        units=units,
        grids=grids,
        metric_crs=metric_crs,
        default_band=band or Band(),
        bands=dict(bands or {}),
    )
    return _with_units(plan, units)
