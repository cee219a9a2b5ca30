"""Checks of a grids layer, generated or hand-drawn (:func:`validate_grids`).

Every problem is a :class:`GridProblem` with the grid code and a place to
look (lon, lat): missing or repeated codes, gaps, overlaps, area outside
the parent, grids in pieces, households outside the band, missing workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_metric, to_wgs84
from geogrid.grids.model import Band
from geogrid.grids.units import _building_units

#: Gaps, overlaps and outside parts smaller than this (a 5 m x 5 m patch, far below a
#: building; left by snapping to 1 cm) are ignored by validate_grids.
TOLERANCE_M2 = 25.0


@dataclass(frozen=True)
class GridProblem:
    """One problem of a grids layer, with the grid code and where to look (lon, lat)."""

    kind: str
    code: str | None
    message: str
    lon: float
    lat: float

    def __str__(self) -> str:
        who = f"grid {self.code}" if self.code else "area"
        return f"{who}: {self.kind}: {self.message} (at {self.lon:.6f}, {self.lat:.6f})"


def validate_grids(
    grids: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    parents: gpd.GeoDataFrame | None = None,
    band: Band | None = None,
    bands: Mapping[str, Band] | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    require_worker: bool = True,
    tolerance_m2: float = TOLERANCE_M2,
) -> list[GridProblem]:
    """Every problem of a grids layer, generated or hand-drawn, with code and location.

    Checks: missing or repeated code; gaps (parts of the boundary in no
    grid); overlaps between grids; area outside the grid's parent (or the
    boundary); grids in several pieces; households outside the band
    (recounted from ``buildings`` when given, else the ``households``
    property); missing worker (when ``require_worker``).
    """
    band = band or Band()
    bands = dict(bands or {})
    problems: list[GridProblem] = []
    if not len(grids):
        if boundary is not None and len(boundary):
            point = shapely.point_on_surface(
                shapely.union_all(to_wgs84(boundary, "boundary").geometry.to_numpy())
            )
            lon, lat = float(point.x), float(point.y)
            problems.append(GridProblem("gap", None, "the area has no grids yet", lon, lat))
        return problems
    lonlat = to_wgs84(grids, "grids").reset_index(drop=True)
    metric = lonlat.to_crs(metric_crs)
    geoms = metric.geometry.to_numpy()

    def at(geom: shapely.Geometry) -> tuple[float, float]:
        point = gpd.GeoSeries([shapely.point_on_surface(geom)], crs=metric_crs).to_crs(WGS84)
        return float(point.x.iloc[0]), float(point.y.iloc[0])

    codes = [
        None if pd.isna(c) or str(c) == "" else str(c)
        for c in lonlat.get("code", pd.Series([None] * len(lonlat)))
    ]
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code is None:
            problems.append(
                GridProblem(
                    "missing code", None, f"grid #{i + 1} has no code; give it one", *at(geoms[i])
                )
            )
        elif code in seen:
            problems.append(
                GridProblem(
                    "duplicate code",
                    code,
                    f"code also used by grid #{seen[code] + 1}; make codes unique",
                    *at(geoms[i]),
                )
            )
        else:
            seen[code] = i
    # non-contiguous
    for i, geom in enumerate(geoms):
        parts = [p for p in shapely.get_parts(geom) if p.area > tolerance_m2]
        if len(parts) > 1:
            sizes = ", ".join(f"{p.area:.0f}" for p in sorted(parts, key=lambda p: -p.area))
            problems.append(
                GridProblem(
                    "non-contiguous",
                    codes[i],
                    f"{len(parts)} separate pieces ({sizes} m²); join them or give the small "
                    "pieces to a neighbour",
                    *at(min(parts, key=lambda p: p.area)),
                )
            )
    # overlaps
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        inter = shapely.intersection(geoms[i], geoms[j])
        if inter.area > tolerance_m2:
            problems.append(
                GridProblem(
                    "overlap",
                    codes[i],
                    f"overlaps grid {codes[j]} by {inter.area:.0f} m²; the area must belong to "
                    "one grid",
                    *at(inter),
                )
            )
    # outside parent / boundary, gaps
    outline = None
    if boundary is not None and len(boundary):
        outline = shapely.union_all(to_metric(boundary, metric_crs, "boundary").geometry.to_numpy())
    parent_geom: dict[str, shapely.Geometry] = {}
    if parents is not None and len(parents):
        pm = to_metric(parents, metric_crs, "communities")
        parent_geom = {str(c): g for c, g in zip(pm["code"], pm.geometry, strict=True)}
    pcodes = (
        lonlat["parent_code"]
        if "parent_code" in lonlat.columns
        else pd.Series([None] * len(lonlat))
    )
    for i, geom in enumerate(geoms):
        pc = pcodes.iloc[i]
        container = parent_geom.get(str(pc)) if pc is not None and not pd.isna(pc) else None
        what = f"parent {pc}" if container is not None else "the area boundary"
        if container is None:
            container = outline
        if container is None:
            continue
        outside = shapely.difference(geom, container)
        if outside.area > tolerance_m2:
            problems.append(
                GridProblem(
                    "outside parent",
                    codes[i],
                    f"{outside.area:.0f} m² lie outside {what}; trim the grid to its parent",
                    *at(outside),
                )
            )
    if outline is not None:
        gaps = shapely.difference(outline, shapely.union_all(geoms))
        for piece in shapely.get_parts(gaps):
            if piece.area > tolerance_m2:
                near = tree.query_nearest(piece)
                nearby = ", ".join(str(codes[k]) for k in near[:3])
                problems.append(
                    GridProblem(
                        "gap",
                        None,
                        f"{piece.area:.0f} m² belong to no grid (next to {nearby}); give the gap "
                        "to a grid",
                        *at(piece),
                    )
                )
    # households
    if buildings is not None and len(buildings):
        which = _building_units(lonlat, buildings, metric_crs)
        hh = np.zeros(len(lonlat), dtype=np.int64)
        np.add.at(hh, which, buildings["households"].fillna(0).astype("int64").to_numpy())
        households = pd.Series(hh)
    elif "households" in lonlat.columns:
        households = lonlat["households"]
    else:
        households = pd.Series([None] * len(lonlat))
    for i, h in enumerate(households):
        pc = pcodes.iloc[i]
        b = bands.get(str(pc), band)
        if h is None or pd.isna(h):
            problems.append(
                GridProblem(
                    "households missing",
                    codes[i],
                    "no household count; count the buildings or set households",
                    *at(geoms[i]),
                )
            )
        elif b.violation(float(h)) > 0:
            side = "under the min" if h < b.min_households else "over the max"
            problems.append(
                GridProblem(
                    "households out of band",
                    codes[i],
                    f"{int(h)} households, {side} of {b}; reassign units with a neighbour or "
                    "split/merge",
                    *at(geoms[i]),
                )
            )
    if require_worker:
        workers = (
            lonlat["worker"] if "worker" in lonlat.columns else pd.Series([None] * len(lonlat))
        )
        for i, w in enumerate(workers):
            if w is None or pd.isna(w) or str(w).strip() == "":
                problems.append(
                    GridProblem(
                        "missing worker", codes[i], "no grid worker; assign one", *at(geoms[i])
                    )
                )
    return problems
