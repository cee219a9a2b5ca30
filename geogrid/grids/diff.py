"""Compare two grid versions and report per grid.

:func:`compare_grids` says which households moved from which grid to which
(buildings are placed by their representative point) and how each grid's
households and area changed (:class:`GridDiff`), and, per grid worker,
which buildings leave or join each of their grids (:func:`worker_changes`,
also used for the units a rebalance moves); :func:`grid_report` is the
per-grid table with neighbours and compactness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import to_metric
from geogrid.grids.checks import TOLERANCE_M2
from geogrid.grids.codes import polsby_popper
from geogrid.grids.graph import MIN_SHARED_M
from geogrid.grids.units import PERSONS_PER_HOUSEHOLD, _metric_geoms

#: columns of a per-worker table (:func:`worker_changes`)
WORKER_COLUMNS = ["worker", "code", "direction", "kind", "count", "households", "ids"]
#: the worker column of a grid that has none
NO_WORKER = "(no worker)"


def workers_of(grids: gpd.GeoDataFrame) -> dict[str, str]:
    """Grid code -> worker name, for the grids that have a worker."""
    if not len(grids) or "worker" not in grids.columns or "code" not in grids.columns:
        return {}
    return {
        str(c): w.strip()
        for c, w in zip(grids["code"], grids["worker"], strict=True)
        if isinstance(w, str) and w.strip()
    }


def worker_changes(
    moves: pd.DataFrame,
    workers_before: Mapping[str, str],
    workers_after: Mapping[str, str],
    kind: str = "building",
) -> pd.DataFrame:
    """Per grid worker, the items (buildings or units) that leave or join each of their grids.

    Parameters
    ----------
    moves
        One row per item that changed grid: ``id``, ``from_code``, ``to_code``
        (None: no grid), ``households``.
    workers_before, workers_after
        Grid code -> worker before and after (:func:`workers_of`): the worker
        of the grid an item leaves is the one before, of the grid it joins
        the one after.
    kind
        What an item is: ``building`` or ``unit``.

    Returns
    -------
    One row per (worker, grid, direction): worker (:data:`NO_WORKER` when the
    grid has none), code, direction (``out`` or ``in``), kind, count,
    households, ids (``;``-separated, sorted).
    """
    rows = []
    for direction, column, workers in (
        ("out", "from_code", workers_before),
        ("in", "to_code", workers_after),
    ):
        if not len(moves):
            break
        for code, group in moves.groupby(column, dropna=True, sort=True):
            rows.append(
                {
                    "worker": workers.get(str(code)) or NO_WORKER,
                    "code": str(code),
                    "direction": direction,
                    "kind": kind,
                    "count": len(group),
                    "households": int(group["households"].sum()),
                    "ids": ";".join(sorted(str(i) for i in group["id"])),
                }
            )
    table = pd.DataFrame(rows, columns=WORKER_COLUMNS)
    return table.sort_values(["worker", "code", "direction"], kind="stable").reset_index(drop=True)


def worker_lines(table: pd.DataFrame, max_ids: int = 8) -> list[str]:
    """One line per worker of a :func:`worker_changes` table, for a person."""
    lines = []
    for worker, rows in table.groupby("worker", sort=True):
        parts = []
        for row in rows.itertuples(index=False):
            ids = str(row.ids).split(";") if row.ids else []
            shown = ", ".join(ids[:max_ids]) + (
                f" and {len(ids) - max_ids} more" if len(ids) > max_ids else ""
            )
            sign = "in" if row.direction == "in" else "out"
            parts.append(
                f"{row.code} {sign} {row.count} {row.kind}(s), {row.households} households "
                f"({shown})"
            )
        lines.append(f"worker {worker}: " + "; ".join(parts))
    return lines


def _no_workers() -> pd.DataFrame:
    return pd.DataFrame(columns=WORKER_COLUMNS)


@dataclass(frozen=True)
class GridDiff:
    """What changed between two grid versions.

    ``moves``: one row per (from_code, to_code) pair with households that
    changed grid: buildings, households, building_ids. ``per_grid``: one row
    per code in either version: status (new, removed, changed, unchanged),
    households and area in a and b, deltas, households gained and lost.
    ``per_worker``: per grid worker, the buildings with households that
    leave or join each of their grids (:func:`worker_changes`).
    """

    moves: pd.DataFrame
    per_grid: pd.DataFrame
    per_worker: pd.DataFrame = field(default_factory=_no_workers)

    def summary(self) -> list[str]:
        lines = []
        for move in self.moves.to_dict("records"):
            lines.append(
                f"{move['households']} households in {move['buildings']} buildings moved "
                f"from {move['from_code'] or '(no grid)'} to {move['to_code'] or '(no grid)'}"
            )
        for row in self.per_grid.itertuples(index=False):
            if row.status != "unchanged":
                lines.append(
                    f"grid {row.code}: {row.status}, households {row.households_a} -> "
                    f"{row.households_b} ({row.households_delta:+d}), area "
                    f"{row.area_m2_a:.0f} -> {row.area_m2_b:.0f} m²"
                )
        return lines + worker_lines(self.per_worker)


def compare_grids(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, metric_crs: str
) -> GridDiff:
    """Which households moved from which grid to which, and per-grid area and household deltas."""

    def grid_of(grids: gpd.GeoDataFrame) -> np.ndarray:
        if not len(grids) or not len(buildings):
            return np.array([None] * len(buildings), dtype=object)
        gm = to_metric(grids, metric_crs, "grids").geometry.to_numpy()
        points = shapely.point_on_surface(_metric_geoms(buildings, metric_crs, "buildings"))
        tree = shapely.STRtree(gm)
        hit, idx = tree.query_nearest(points, max_distance=1.0, all_matches=False)
        out = np.array([None] * len(buildings), dtype=object)
        out[hit] = grids["code"].astype(str).to_numpy()[idx]
        return out

    ga, gb = grid_of(a), grid_of(b)
    hh = (
        buildings["households"].fillna(0).astype("int64").to_numpy()
        if len(buildings)
        else np.zeros(0, dtype=np.int64)
    )
    ids = (
        buildings["id"].astype(str).to_numpy()
        if "id" in buildings.columns
        else buildings.index.astype(str).to_numpy()
    )
    moved = [(x, y) != (x, x) for x, y in zip(ga, gb, strict=True)]
    frame = pd.DataFrame({"from_code": ga, "to_code": gb, "households": hh, "id": ids})[moved]
    frame = frame[frame["households"] > 0]
    moves = (
        frame.groupby(["from_code", "to_code"], dropna=False, sort=True)
        .agg(buildings=("id", "size"), households=("households", "sum"), building_ids=("id", list))
        .reset_index()
        if len(frame)
        else pd.DataFrame(
            columns=["from_code", "to_code", "buildings", "households", "building_ids"]
        )
    )

    def stats(grids: gpd.GeoDataFrame, where: np.ndarray) -> pd.DataFrame:
        if not len(grids):
            return pd.DataFrame(columns=["households", "area_m2"])
        area = to_metric(grids, metric_crs, "grids").geometry.area.to_numpy()
        counts = pd.Series(hh).groupby(pd.Series(where)).sum()
        codes = grids["code"].astype(str)
        return pd.DataFrame(
            {"households": codes.map(counts).fillna(0).astype(int).to_numpy(), "area_m2": area},
            index=codes.to_numpy(),
        )

    sa, sb = stats(a, ga), stats(b, gb)
    codes = sorted(set(sa.index) | set(sb.index))
    rows = []
    geo_a = (
        dict(zip(a["code"].astype(str), to_metric(a, metric_crs, "grids").geometry, strict=True))
        if len(a)
        else {}
    )
    geo_b = (
        dict(zip(b["code"].astype(str), to_metric(b, metric_crs, "grids").geometry, strict=True))
        if len(b)
        else {}
    )
    for code in codes:
        ha = int(sa["households"].get(code, 0))
        hb = int(sb["households"].get(code, 0))
        aa = float(sa["area_m2"].get(code, 0.0))
        ab = float(sb["area_m2"].get(code, 0.0))
        gained = int(frame.loc[frame["to_code"] == code, "households"].sum())
        lost = int(frame.loc[frame["from_code"] == code, "households"].sum())
        if code not in sa.index:
            status = "new"
        elif code not in sb.index:
            status = "removed"
        elif (
            gained
            or lost
            or shapely.symmetric_difference(geo_a[code], geo_b[code]).area > TOLERANCE_M2
        ):
            status = "changed"
        else:
            status = "unchanged"
        rows.append(
            {
                "code": code,
                "status": status,
                "households_a": ha,
                "households_b": hb,
                "households_delta": hb - ha,
                "area_m2_a": round(aa, 1),
                "area_m2_b": round(ab, 1),
                "area_delta_m2": round(ab - aa, 1),
                "gained": gained,
                "lost": lost,
            }
        )
    per_worker = worker_changes(frame, workers_of(a), workers_of(b), "building")
    return GridDiff(moves=moves, per_grid=pd.DataFrame(rows), per_worker=per_worker)


def grid_report(
    grids: gpd.GeoDataFrame, metric_crs: str, persons_per_household: float = PERSONS_PER_HOUSEHOLD
) -> pd.DataFrame:
    """Per-grid table: code, name, parent_code, households, population, area_m2, polsby_popper,
    neighbours, worker."""
    if not len(grids):
        return pd.DataFrame(
            columns=[
                "code",
                "name",
                "parent_code",
                "households",
                "population",
                "area_m2",
                "polsby_popper",
                "neighbours",
                "worker",
            ]
        )
    metric = to_metric(grids, metric_crs, "grids").reset_index(drop=True)
    geoms = metric.geometry.to_numpy()
    codes = metric["code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    neighbours: dict[int, list[str]] = {i: [] for i in range(len(geoms))}
    for i, j in zip(left, right, strict=True):
        if (
            i != j
            and shapely.length(shapely.intersection(geoms[i].boundary, geoms[j].boundary))
            >= MIN_SHARED_M
        ):
            neighbours[int(i)].append(str(codes[j]))
    hh = metric["households"] if "households" in metric.columns else pd.Series([0] * len(metric))
    pop = metric["population"] if "population" in metric.columns else hh * persons_per_household

    def col(name: str) -> list[object]:
        if name not in metric.columns:
            return [None] * len(metric)
        return [None if pd.isna(v) else v for v in metric[name]]

    return pd.DataFrame(
        {
            "code": codes,
            "name": col("name"),
            "parent_code": col("parent_code"),
            "households": hh.astype("Int64").to_numpy(),
            "population": pd.Series(pop).astype(float).round(1).to_numpy(),
            "area_m2": metric.geometry.area.round(1).to_numpy(),
            "polsby_popper": polsby_popper(metric.geometry).round(4).to_numpy(),
            "neighbours": [";".join(sorted(neighbours[i])) for i in range(len(geoms))],
            "worker": col("worker"),
        }
    )
