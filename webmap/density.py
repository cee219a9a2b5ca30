"""Incident density statistics for the public map (no folium here).

The public never sees an incident: only counts aggregated over grid polygons
(per 1,000 households) or over square cells of at least ``MIN_CELL_M`` metres,
with every count below ``MIN_COUNT`` suppressed. These functions take frames
in EPSG:4326 and return frames in EPSG:4326 holding only the statistic.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84

#: Counts below this are never published (grids show "fewer than 5", cells are dropped).
MIN_COUNT = 5
#: Smallest square cell of the fallback count surface, in metres.
MIN_CELL_M = 150.0


def _grid_ids(grids: gpd.GeoDataFrame) -> pd.Series:
    for column in ("grid_id", "id"):
        if column in grids.columns:
            return grids[column].astype(str)
    return pd.Series([str(i + 1) for i in range(len(grids))], index=grids.index)


def _grid_names(grids: gpd.GeoDataFrame, ids: pd.Series) -> pd.Series:
    for column in ("name_zh", "name"):
        if column in grids.columns:
            return grids[column].where(grids[column].notna(), ids).astype(str)
    return ids


def _count_within(polygons: gpd.GeoDataFrame, points: gpd.GeoDataFrame | None) -> np.ndarray:
    """Number of ``points`` inside each polygon (by position), each point counted once."""
    counts = np.zeros(len(polygons), dtype=np.int64)
    if points is None or len(points) == 0 or len(polygons) == 0:
        return counts
    tree = shapely.STRtree(polygons.geometry.values)
    point_idx, poly_idx = tree.query(points.geometry.values, predicate="intersects")
    # a point on a shared edge belongs to the first polygon only
    _, first = np.unique(point_idx, return_index=True)
    np.add.at(counts, poly_idx[first], 1)
    return counts


def _grid_households(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None) -> np.ndarray:
    if "households" in grids.columns:
        return grids["households"].fillna(0).to_numpy(dtype=float)
    totals = np.zeros(len(grids), dtype=float)
    if buildings is None or len(buildings) == 0 or "households" not in buildings.columns:
        return totals
    tree = shapely.STRtree(grids.geometry.values)
    spots = shapely.point_on_surface(buildings.geometry.values)
    bld_idx, grid_idx = tree.query(spots, predicate="intersects")
    _, first = np.unique(bld_idx, return_index=True)
    households = buildings["households"].fillna(0).to_numpy(dtype=float)
    np.add.at(totals, grid_idx[first], households[bld_idx[first]])
    return totals


def density_by_grid(
    grids: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    incidents: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Incidents per 1,000 households for each grid polygon.

    Returns one row per grid with ``grid_id``, ``name``, ``households`` (int),
    ``count`` (None when suppressed), ``rate_per_1000`` (None when suppressed or
    when the grid has no households), ``suppressed`` (bool) and the geometry.
    Households come from the grid's own ``households`` column when present,
    else from the buildings whose interior point lies in the grid.
    """
    ids = _grid_ids(grids)
    counts = _count_within(grids, incidents)
    households = _grid_households(grids, buildings)
    suppressed = counts < MIN_COUNT
    rates = [
        None if (hidden or hh <= 0) else round(1000.0 * n / hh, 1)
        for n, hh, hidden in zip(counts, households, suppressed, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "grid_id": ids.to_numpy(),
            "name": _grid_names(grids, ids).to_numpy(),
            "households": np.round(households).astype(np.int64),
            "count": pd.array(
                [None if hidden else int(n) for n, hidden in zip(counts, suppressed, strict=True)],
                dtype="Int64",
            ),
            "rate_per_1000": rates,
            "suppressed": suppressed,
        },
        geometry=grids.geometry.to_numpy(),
        crs=WGS84,
    )


def density_by_cell(
    boundary: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame | None,
    metric_crs: str,
    cell_m: float = 200.0,
) -> gpd.GeoDataFrame:
    """Incident counts on square cells of ``cell_m`` metres clipped to the boundary.

    Cells are aligned to multiples of ``cell_m`` in ``metric_crs`` (so they do not
    move with the data). Only cells with at least ``MIN_COUNT`` incidents are
    returned, with ``cell_id``, ``count`` and the geometry (EPSG:4326).
    """
    if cell_m < MIN_CELL_M:
        raise ValueError(
            f"cell_m={cell_m}: cells smaller than {MIN_CELL_M:.0f} m are not published"
        )
    empty = gpd.GeoDataFrame({"cell_id": [], "count": []}, geometry=[], crs=WGS84)
    if incidents is None or len(incidents) == 0 or len(boundary) == 0:
        return empty
    outline = shapely.union_all(boundary.to_crs(metric_crs).geometry.values)
    points = incidents.to_crs(metric_crs).geometry.values
    points = points[shapely.intersects(outline, points)]
    if len(points) == 0:
        return empty
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    col = np.floor(xs / cell_m).astype(np.int64)
    row = np.floor(ys / cell_m).astype(np.int64)
    keys, counts = np.unique(np.stack([col, row], axis=1), axis=0, return_counts=True)
    keep = counts >= MIN_COUNT
    keys, counts = keys[keep], counts[keep]
    if len(keys) == 0:
        return empty
    cells = shapely.box(keys[:, 0] * cell_m, keys[:, 1] * cell_m,
                        (keys[:, 0] + 1) * cell_m, (keys[:, 1] + 1) * cell_m)
    frame = gpd.GeoDataFrame(
        {
            "cell_id": [f"{c}_{r}" for c, r in keys],
            "count": counts.astype(np.int64),
        },
        geometry=cells,
        crs=metric_crs,
    ).to_crs(WGS84)
    # clip in lon/lat so cells never poke out of the boundary as drawn
    frame["geometry"] = shapely.intersection(
        frame.geometry.values, shapely.union_all(boundary.to_crs(WGS84).geometry.values)
    )
    return frame[~frame.geometry.is_empty].reset_index(drop=True)


def class_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` equal classes from 0 with a round step.

    The step is 1, 2, 2.5 or 5 times a power of ten, so a legend reads
    "0 – 50, 50 – 100, ..." and does not shift with every new incident.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v) and v >= 0]
    if not finite:
        return []
    top = max(finite)
    if top == 0:
        return [0.0]
    raw = top / classes
    power = 10 ** math.floor(math.log10(raw))
    step = next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= raw - 1e-12)
    count = max(1, math.ceil(top / step - 1e-9))
    return [round(step * (k + 1), 6) for k in range(count)]
