"""Grids drawn elsewhere: an office's existing grid layer brought into a plan.

:func:`check_features` finds what makes a grid layer unusable, feature by
feature (no polygon, no code, a code used twice, a ring crossing itself,
grids overlapping each other), so the message names the feature and the
fix. :func:`repair_slivers` optionally cleans the small leftovers of
hand-drawing (overlaps and gaps under N m², slivers outside the area) and
reports every move. :func:`units_in_grids` cuts the grids by the street
blocks into base units, so an imported layer can be edited and rebalanced
like a generated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_metric, to_wgs84
from geogrid.grids.checks import TOLERANCE_M2
from geogrid.grids.units import snap

#: Pieces smaller than this (rounding of coordinates) are moved but not reported.
NOISE_M2 = 0.5


@dataclass(frozen=True)
class FeatureProblem:
    """One feature that cannot be used as a grid, and how to fix it."""

    feature: int
    code: str | None
    message: str

    def __str__(self) -> str:
        code = f" (code {self.code})" if self.code else ""
        return f"feature {self.feature}{code}: {self.message}"


@dataclass(frozen=True)
class Move:
    """A piece of area moved by :func:`repair_slivers`."""

    kind: str  # overlap, gap, outside
    area_m2: float
    from_code: str | None
    to_code: str | None
    lon: float
    lat: float

    def __str__(self) -> str:
        src = self.from_code or "no grid"
        dst = self.to_code or "outside the area"
        return (
            f"{self.kind}: {self.area_m2:.1f} m² from {src} to {dst} "
            f"(at {self.lon:.6f}, {self.lat:.6f})"
        )


def check_features(
    grids: gpd.GeoDataFrame, metric_crs: str, *, tolerance_m2: float = TOLERANCE_M2
) -> tuple[gpd.GeoDataFrame, list[FeatureProblem], list[str]]:
    """Usable grid features, the features that are not, and notes of what was fixed.

    ``grids`` is indexed by feature number and has a ``code`` column.
    Polygons whose ring crosses itself are made valid (a note); features
    with no polygon, no code or a code already used are problems; so is
    every pair of grids overlapping by more than ``tolerance_m2``.
    """
    problems: list[FeatureProblem] = []
    notes: list[str] = []
    keep = []
    geoms = []
    seen: dict[str, int] = {}
    for feature, row in grids.iterrows():
        code = (
            None
            if pd.isna(row.get("code")) or str(row.get("code")).strip() == ""
            else str(row["code"]).strip()
        )
        geom = row.geometry
        if geom is not None and not geom.is_empty and not geom.is_valid:
            fixed = shapely.make_valid(geom)
            polys = [p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon"]
            geom = shapely.union_all(polys) if polys else None
            notes.append(
                f"feature {feature} ({code}): a ring crosses itself; repaired (make_valid)"
            )
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "no geometry" if geom is None or geom.is_empty else f"a {geom.geom_type}"
            problems.append(
                FeatureProblem(
                    int(feature), code, f"{kind}, not a polygon; draw the grid as an area"
                )
            )
            continue
        if code is None:
            problems.append(FeatureProblem(int(feature), None, "no code; fill in the code column"))
            continue
        if code in seen:
            problems.append(
                FeatureProblem(
                    int(feature),
                    code,
                    f"code {code} is also used by feature {seen[code]}; give each "
                    "grid its own code (or merge the two polygons)",
                )
            )
            continue
        seen[code] = int(feature)
        keep.append(feature)
        geoms.append(geom)
    good = grids.loc[keep].copy()
    good["code"] = [str(c).strip() for c in good["code"]]
    good = good.set_geometry(gpd.GeoSeries(geoms, index=good.index, crs=grids.crs))
    metric = to_metric(good, metric_crs, "grids").geometry.to_numpy()
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    features = list(good.index)
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        area = shapely.intersection(metric[i], metric[j]).area
        if area > tolerance_m2:
            problems.append(
                FeatureProblem(
                    int(features[i]),
                    str(good["code"].iloc[i]),
                    f"overlaps feature {features[j]} (code {good['code'].iloc[j]}) by "
                    f"{area:.0f} m²; "
                    "each place belongs to one grid: fix the outline in the GIS, or pass "
                    f"--repair-slivers-m2 {int(np.ceil(area)) + 1} to give the overlap to one grid",
                )
            )
    return good, problems, notes


def _lonlat(geom: shapely.Geometry, metric_crs: str) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.point_on_surface(geom)], crs=metric_crs).to_crs(WGS84)
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geom`` (set operations may leave lines or points behind)."""
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _shared_border(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return float(shapely.length(shapely.intersection(shapely.boundary(a), shapely.buffer(b, 0.05))))


def repair_slivers(
    grids: gpd.GeoDataFrame,
    metric_crs: str,
    max_m2: float,
    *,
    boundary: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, list[Move]]:
    """Clean the small leftovers of hand-drawn grids; every piece moved is reported.

    * an overlap of two grids under ``max_m2`` stays with the larger grid;
    * a gap inside the boundary under ``max_m2`` goes to the neighbouring
      grid with the longest shared border;
    * a piece of a grid outside the boundary under ``max_m2`` is cut off.

    Larger pieces are left for a person (:func:`check_features` and
    :func:`geogrid.grids.validate_grids` report them).
    """
    metric = to_metric(grids, metric_crs, "grids").reset_index(drop=True)
    codes = [str(c) for c in metric["code"]]
    geoms = list(metric.geometry.to_numpy())
    moves: list[Move] = []
    order = sorted(range(len(geoms)), key=lambda k: -geoms[k].area)
    for a_pos, i in enumerate(order):
        for j in order[a_pos + 1 :]:
            inter = shapely.intersection(geoms[i], geoms[j])
            if inter.is_empty or inter.area <= 0 or inter.area > max_m2:
                continue
            geoms[j] = shapely.difference(geoms[j], inter)
            if inter.area >= NOISE_M2:
                moves.append(
                    Move("overlap", inter.area, codes[j], codes[i], *_lonlat(inter, metric_crs))
                )
    if boundary is not None and len(boundary):
        outline = shapely.union_all(to_metric(boundary, metric_crs, "boundary").geometry.to_numpy())
        for i, geom in enumerate(geoms):
            outside = shapely.difference(geom, outline)
            for piece in shapely.get_parts(outside):
                if 0 < piece.area <= max_m2:
                    geoms[i] = shapely.difference(geoms[i], piece)
                    if piece.area >= NOISE_M2:
                        moves.append(
                            Move("outside", piece.area, codes[i], None, *_lonlat(piece, metric_crs))
                        )
        gaps = shapely.difference(outline, shapely.union_all(geoms))
        for piece in shapely.get_parts(gaps):
            if not 0 < piece.area <= max_m2:
                continue
            near = [k for k, g in enumerate(geoms) if shapely.distance(g, piece) < 0.1]
            if not near:
                continue
            k = max(near, key=lambda n: _shared_border(piece, geoms[n]))
            geoms[k] = shapely.union(geoms[k], piece)
            if piece.area >= NOISE_M2:
                moves.append(Move("gap", piece.area, None, codes[k], *_lonlat(piece, metric_crs)))
    geoms = [_polygonal(g) for g in geoms]
    out = metric.set_geometry(gpd.GeoSeries(geoms, crs=metric_crs)).to_crs(WGS84)
    out.index = grids.index
    return snap(out), moves


def _join_small(parts: list[shapely.Geometry], min_unit_m2: float) -> list[shapely.Geometry]:
    """The pieces of one grid as units: each piece under ``min_unit_m2`` joins the
    unit it shares the longest border with, so every unit stays one polygon.

    A small piece that shares a border with no other piece (it touches them at
    a corner at most) stays a unit of its own rather than making a unit of two
    separate pieces, whose union may not survive the reprojection to lon/lat.
    """
    units = sorted((p for p in parts if p.area > 0), key=lambda p: -p.area)
    if not units:
        return []
    done = False
    while not done:
        done = True
        for k in range(len(units) - 1, 0, -1):
            piece = units[k]
            if piece.area >= min_unit_m2:
                break
            borders = [_shared_border(piece, other) for other in units[:k]]
            for best in sorted(range(k), key=lambda n: -borders[n]):
                if borders[best] <= 0:
                    break
                joined = _polygonal(shapely.union(units[best], piece))
                if joined.geom_type == "Polygon":
                    units[best] = joined
                    del units[k]
                    units.sort(key=lambda p: -p.area)
                    done = False
                    break
            if not done:
                break
    return units


def units_in_grids(
    grids: gpd.GeoDataFrame,
    metric_crs: str,
    blocks: gpd.GeoDataFrame | None = None,
    *,
    min_unit_m2: float = TOLERANCE_M2,
) -> gpd.GeoDataFrame:
    """Base units of imported grids: each grid cut by the street blocks (or whole).

    Index ``unit_id`` (``i0001``...); columns ``grid`` (code),
    ``parent_code`` (the grid's, else empty), ``locked`` (False);
    EPSG:4326. Pieces under ``min_unit_m2`` join the unit of their grid they
    share the longest border with, so each grid is the union of its units and
    every unit is one polygon.
    """
    gm = to_metric(grids, metric_crs, "grids").reset_index(drop=True)
    pieces: list[tuple[str, str, shapely.Geometry]] = []
    block_geoms: Sequence[shapely.Geometry] = []
    if blocks is not None and len(blocks):
        block_geoms = list(to_metric(blocks, metric_crs, "blocks").geometry.to_numpy())
    tree = shapely.STRtree(block_geoms) if block_geoms else None
    for code, parent, geom in zip(
        gm["code"], gm.get("parent_code", pd.Series([None] * len(gm))), gm.geometry, strict=True
    ):
        parent_code = "" if parent is None or pd.isna(parent) else str(parent)
        parts: list[shapely.Geometry] = []
        if tree is not None:
            for k in tree.query(geom, predicate="intersects"):
                cut = shapely.intersection(geom, block_geoms[k])
                parts.extend(p for p in shapely.get_parts(cut) if p.geom_type == "Polygon")
            rest = shapely.difference(geom, shapely.union_all(parts)) if parts else geom
            parts.extend(p for p in shapely.get_parts(rest) if p.geom_type == "Polygon")
        else:
            parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
        pieces.extend((str(code), parent_code, p) for p in _join_small(parts, min_unit_m2))
    units = gpd.GeoDataFrame(
        {"grid": [p[0] for p in pieces], "parent_code": [p[1] for p in pieces], "locked": False},
        geometry=[p[2] for p in pieces],
        crs=metric_crs,
        index=pd.Index([f"i{n + 1:04d}" for n in range(len(pieces))], name="unit_id"),
    )
    lonlat = to_wgs84(units, "units")
    # A piece cut along a street may cross itself by a hair once in lon/lat, and
    # snapping an invalid polygon can drop it whole (its households would then
    # count in a neighbour): repair each unit first.
    return snap(lonlat.set_geometry(lonlat.geometry.map(_valid_polygonal)))


def _valid_polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if shapely.is_valid(geom):
        return geom
    return _polygonal(shapely.make_valid(geom))
