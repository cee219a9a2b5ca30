"""Incidents, cells: which grid polygon or H3 hexagon each incident falls in.

:func:`assign_cells` (fast point-in-polygon), :func:`h3_cells`,
:func:`hex_cells`, :func:`grid_cells`, :func:`cell_neighbours` and
:func:`tag_cells`, which the counts and hot spots build on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84


def assign_cells(
    lon: np.ndarray, lat: np.ndarray, polygons: Sequence[shapely.Geometry] | np.ndarray
) -> np.ndarray:
    """Index of the polygon containing each point, -1 when none (fast point-in-polygon).

    A uniform bucket raster is laid over the polygons: buckets lying wholly
    inside one polygon answer their points by lookup; only points in the
    few buckets a polygon edge crosses are tested exactly against the
    polygons that bucket touches (prepared ``contains_xy``). Points on a
    shared edge go to the polygon whose bucket they fall in. Polygons are
    assumed not to overlap (grids never do); with overlaps the lowest index wins.

    Parameters
    ----------
    lon, lat
        Point coordinates (same CRS as the polygons).
    polygons
        Polygon or MultiPolygon geometries.

    Returns
    -------
    int64 array, one entry per point.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    polys = np.asarray(polygons, dtype=object)
    result = np.full(len(x), -1, dtype=np.int64)
    if len(polys) == 0 or len(x) == 0:
        return result
    west, south, east, north = shapely.total_bounds(polys)
    width, height = max(east - west, 1e-12), max(north - south, 1e-12)
    # about 32 buckets per polygon, but no more than one per 8 points: the raster is a fixed
    # cost that only pays off when many points use it
    target = int(min(32 * len(polys), max(64, len(x) // 8)))
    nx = max(1, int(round(math.sqrt(target * width / height))))
    ny = max(1, int(round(target / nx)))
    dx, dy = width / nx, height / ny
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="xy")
    x0 = west + gx.ravel() * dx
    y0 = south + gy.ravel() * dy
    x1, y1 = x0 + dx, y0 + dy
    rings = np.stack(
        [np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))], axis=1
    )
    boxes = shapely.polygons(rings)
    tree = shapely.STRtree(polys)
    box_idx, poly_idx = tree.query(boxes, predicate="intersects")
    order = np.lexsort((poly_idx, box_idx))
    box_idx, poly_idx = box_idx[order], poly_idx[order]
    n_boxes = nx * ny
    counts = np.bincount(box_idx, minlength=n_boxes)
    owner = np.full(n_boxes, -1, dtype=np.int64)
    single = counts[box_idx] == 1
    shapely.prepare(polys)
    whole = np.zeros(len(box_idx), dtype=bool)
    if single.any():
        whole[single] = shapely.contains(polys[poly_idx[single]], boxes[box_idx[single]])
    owner[box_idx[whole]] = poly_idx[whole]
    ambiguous = (counts > 0) & (owner < 0)
    starts = np.concatenate([[0], np.cumsum(counts)])

    inb = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    pts = np.flatnonzero(inb)
    bx = np.minimum(((x[pts] - west) / dx).astype(np.int64), nx - 1)
    by = np.minimum(((y[pts] - south) / dy).astype(np.int64), ny - 1)
    bucket = by * nx + bx
    result[pts] = owner[bucket]
    amb = ambiguous[bucket]
    if amb.any():
        p = pts[amb]
        b = bucket[amb]
        ncand = counts[b]
        rep = np.repeat(np.arange(len(p)), ncand)
        offs = np.arange(len(rep)) - np.repeat(np.cumsum(ncand) - ncand, ncand)
        cand = poly_idx[starts[b][rep] + offs]
        hit = shapely.contains_xy(polys[cand], x[p][rep], y[p][rep])
        found = np.full(len(p), -1, dtype=np.int64)
        # reversed so that the first (lowest index) hit wins
        hp, hc = rep[hit][::-1], cand[hit][::-1]
        found[hp] = hc
        result[p] = found
    return result


def h3_cells(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell id (hex string) of each lon/lat point at ``resolution``."""
    import h3

    to_cell = h3.api.basic_int.latlng_to_cell
    lons = np.asarray(lon, dtype=float).tolist()
    lats = np.asarray(lat, dtype=float).tolist()
    ints = np.fromiter(
        (to_cell(b, a, resolution) for a, b in zip(lons, lats, strict=True)),
        dtype=np.uint64,
        count=len(lons),
    )
    if len(ints) == 0:
        return np.array([], dtype=object)
    unique, inverse = np.unique(ints, return_inverse=True)
    labels = np.array([format(int(u), "x") for u in unique], dtype=object)
    return labels[inverse]


def hex_cells(cell_ids: Iterable[str], *, ring: int = 0) -> gpd.GeoDataFrame:
    """H3 hexagons as polygons (EPSG:4326), index = cell id (name ``cell``).

    ``ring`` adds the neighbours up to that many steps away (empty cells,
    so that hot-spot statistics see the zeros around the incidents).
    """
    import h3

    ids = set(cell_ids)
    if ring:
        ids = {n for c in ids for n in h3.grid_disk(c, ring)}
    ordered = sorted(ids)
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ordered]
    cells = gpd.GeoDataFrame({"cell": ordered}, geometry=polys, crs=WGS84).set_index("cell")
    return cells


def grid_cells(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grids layer as cells: index = grid ``code`` (name ``cell``), keeps households,
    parent_code."""
    keep = [c for c in ("name", "parent_code", "households") if c in grids.columns]
    cells = grids[[*keep, "geometry"]].copy()
    cells.index = pd.Index(
        grids["code"].astype(str) if "code" in grids.columns else grids.index.astype(str),
        name="cell",
    )
    return gpd.GeoDataFrame(cells, geometry="geometry", crs=grids.crs)


def cell_neighbours(cells: gpd.GeoDataFrame) -> list[list[int]]:
    """Contiguity neighbours (shared edge or corner, 'queen') of each cell, by position."""
    geoms = cells.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left != right
    out: list[list[int]] = [[] for _ in range(len(geoms))]
    for a, b in zip(left[keep].tolist(), right[keep].tolist(), strict=True):
        out[a].append(b)
    return out


def tag_cells(
    incidents: gpd.GeoDataFrame, cells: gpd.GeoDataFrame | None = None, *, resolution: int = 9
) -> gpd.GeoDataFrame:
    """Return ``incidents`` with a ``cell`` column: the containing cell id, or the H3 id.

    With ``cells`` (polygons, index = id) incidents outside every cell get
    ``None``; without, the H3 cell at ``resolution``.
    """
    tagged = incidents.copy()
    lon = incidents.geometry.x.to_numpy()
    lat = incidents.geometry.y.to_numpy()
    if cells is None:
        tagged["cell"] = h3_cells(lon, lat, resolution)
    else:
        idx = assign_cells(lon, lat, cells.geometry.to_numpy())
        ids = np.asarray(cells.index.astype(str), dtype=object)
        tagged["cell"] = np.where(idx >= 0, ids[np.maximum(idx, 0)], None)
    return tagged
