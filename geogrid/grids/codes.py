"""Grid codes and the grids layer.

A code is ``parent_code`` (12 digits: 6-digit admin code + 3-digit street +
3-digit community, as Beijing's unit-grid codes) + a 3-digit sequence,
numbered north to south in rows, west to east within a row
(:func:`free_codes`). A grid whose unit set (or, for hand-drawn grids, whose
outline) did not change keeps its code (:func:`assign_codes`). Units are
dissolved by grid into the grids layer (:func:`assemble_grids`);
:func:`relabel` gives a plan's draft grids their final codes.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_metric, to_wgs84
from geogrid.grids.model import GridPlan
from geogrid.grids.units import GRID_SIZE_DEG, order_rows


def free_codes(parent: str, used: Container[str]) -> Iterator[str]:
    """Codes ``parent`` + 001, 002, ... that are not in ``used``, lowest first.

    ``used`` is read as the codes are drawn, so codes added to it meanwhile
    are skipped too.
    """
    seq = 1
    while True:
        code = f"{parent}{seq:03d}"
        if code not in used:
            yield code
        seq += 1


def _follows(code: str, parent: object) -> bool:
    """Whether ``code`` is ``parent`` + a 3-digit sequence (the code scheme)."""
    prefix = str(parent)
    rest = code[len(prefix) :]
    return code.startswith(prefix) and len(rest) == 3 and rest.isdigit()


def assign_codes(
    grids: gpd.GeoDataFrame,
    *,
    fixed: Mapping[str, str] | None = None,
    previous: gpd.GeoDataFrame | None = None,
    metric_crs: str | None = None,
) -> dict[str, str]:
    """Codes for grids keyed by a temporary ``key`` column.

    ``fixed`` maps keys to codes they must keep (locked grids). A grid
    matching a ``previous`` grid of the same parent (same outline: overlap
    over union >= 0.99) keeps that code when it is that parent's code + a
    3-digit sequence (a grid whose parent changed gets a new code). Others get free 3-digit sequence
    numbers after their ``parent_code``, north to south, west to east.
    """
    fixed = dict(fixed or {})
    codes: dict[str, str] = dict(fixed)
    used = set(codes.values())
    if previous is not None and len(previous) and len(grids):
        crs = metric_crs or grids.crs
        a = to_metric(grids, crs, "grids")
        b = to_metric(previous, crs, "previous grids")
        tree = shapely.STRtree(b.geometry.to_numpy())
        left, right = tree.query(a.geometry.to_numpy(), predicate="intersects")
        for i, j in zip(left, right, strict=True):
            key = str(grids["key"].iloc[i])
            code = str(previous["code"].iloc[j])
            if key in codes or code in used or not _follows(code, grids["parent_code"].iloc[i]):
                continue
            ga, gb = a.geometry.iloc[i], b.geometry.iloc[j]
            union = shapely.union(ga, gb).area
            if union and shapely.intersection(ga, gb).area / union >= 0.99:
                codes[key] = code
                used.add(code)
    for parent, group in order_rows(grids, metric_crs).groupby("parent_code", sort=False):
        free = free_codes(str(parent), used)
        for key in group["key"].astype(str):
            if key in codes:
                continue
            codes[key] = next(free)
            used.add(codes[key])
    return codes


def assemble_grids(
    units: gpd.GeoDataFrame,
    metric_crs: str,
    attributes: gpd.GeoDataFrame | pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Dissolve units by ``grid`` into the grids layer.

    Columns: code, name, parent_code, households, population, area_m2,
    polsby_popper, units, worker, locked, geometry (EPSG:4326). ``name``,
    ``worker`` and ``locked`` come from ``attributes`` (indexed by code)
    when given.
    """
    cols = [
        "code",
        "name",
        "parent_code",
        "households",
        "population",
        "area_m2",
        "polsby_popper",
        "units",
        "worker",
        "locked",
    ]
    if not len(units):
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=WGS84))
    units = to_wgs84(units, "units")
    rows = []
    geoms = []
    for code, group in units.groupby("grid", sort=True):
        geom = shapely.union_all(group.geometry.to_numpy(), grid_size=GRID_SIZE_DEG)
        geoms.append(geom)
        rows.append(
            {
                "code": str(code),
                "parent_code": str(group["parent_code"].iloc[0]),
                "households": int(group["households"].sum()),
                "population": round(float(group["population"].fillna(0).sum()), 1),
                "units": len(group),
                "locked": bool(group["locked"].any()) if "locked" in group else False,
            }
        )
    grids = gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)
    metric = grids.to_crs(metric_crs).geometry
    grids["area_m2"] = metric.area.round(1)
    grids["polsby_popper"] = polsby_popper(metric).round(4)
    grids["name"] = None
    grids["worker"] = None
    if attributes is not None and len(attributes):
        attrs = attributes.set_index("code") if "code" in attributes.columns else attributes
        for col in ("name", "worker"):
            if col in attrs.columns:
                grids[col] = grids["code"].map(attrs[col]).astype(object)
                grids[col] = grids[col].where(grids[col].notna(), None)
        if "locked" in attrs.columns:
            extra = grids["code"].map(attrs["locked"]).fillna(False).astype(bool)
            grids["locked"] = grids["locked"] | extra
    grids = order_rows(grids, metric_crs)
    return grids[[*cols, "geometry"]].reset_index(drop=True)


def polsby_popper(geoms: gpd.GeoSeries) -> pd.Series:
    """4 pi area / perimeter² per geometry (1 for a circle), in a metric CRS."""
    perimeter = geoms.length
    scores: pd.Series = (4 * np.pi * geoms.area / (perimeter**2)).where(perimeter > 0, 0.0)
    return scores


def relabel(
    plan: GridPlan,
    *,
    fixed: Mapping[str, str] | None = None,
    previous: gpd.GeoDataFrame | None = None,
) -> GridPlan:
    """Give every grid of ``plan.units['grid']`` a final code and rebuild ``plan.grids``.

    Keys in ``fixed`` keep the code given; the rest keep a previous code when
    unchanged or get new ones (:func:`assign_codes`).
    """
    units = plan.units.copy()
    draft = assemble_grids(units, plan.metric_crs)
    draft["key"] = draft["code"]
    codes = assign_codes(draft, fixed=fixed, previous=previous, metric_crs=plan.metric_crs)
    units["grid"] = units["grid"].map(codes)
    attrs = plan.grids if len(plan.grids) and "code" in plan.grids.columns else None
    if previous is not None and "code" in previous.columns:
        attrs = previous if attrs is None else pd.concat([previous, attrs])
        attrs = attrs.drop_duplicates("code", keep="last")
    grids = assemble_grids(units, plan.metric_crs, attrs)
    return replace(plan, units=units, grids=grids)
