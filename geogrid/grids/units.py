"""Base units: street blocks or building cells, with their households.

Street blocks: the street network, the area outline and the parent
(community) outlines are noded and polygonized (:func:`units_from_streets`);
slivers under ``min_unit_m2`` join their longest-shared neighbour. Or units
from buildings (:func:`units_from_buildings`: one Voronoi cell per building,
clipped to the area) or user-supplied polygons; a unit over the max can be
cut into building cells (:func:`refine_units`, or
:func:`split_units_by_building` keeping the unit's grid, for a rebalance). Households per unit come
from the buildings inside (:func:`count_households`) or a table
(:func:`apply_household_table`); a new estate becomes building records cut
along the units it covers (:func:`estate_buildings`). Written geometries are snapped to
:data:`GRID_SIZE_DEG` (:func:`snap`); rows run north to south, west to east
(:func:`order_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import to_metric, to_wgs84
from geogrid.errors import InputError

#: Persons per household used for the population estimate (China, 2020 census: 2.62).
PERSONS_PER_HOUSEHOLD = 2.62
#: Street blocks smaller than this join a neighbour.
MIN_UNIT_M2 = 100.0
#: Coordinates are snapped to this grid (degrees, about 1 cm) so that written
#: layers (7 decimals) stay valid polygons.
GRID_SIZE_DEG = 1e-7
#: Street and parent outlines are noded on this grid (metres) before polygonizing.
NODING_GRID_M = 1e-3
#: Pieces of a unit cut by a parent outline smaller than this (m², as
#: ``checks.TOLERANCE_M2``) join a neighbouring piece of the same parent.
MIN_PIECE_M2 = 25.0
#: Default 12-digit parent code when an area has no communities layer.
DEFAULT_PARENT_CODE = "000000000000"


def _metric_geoms(frame: gpd.GeoDataFrame, metric_crs: str, what: str) -> np.ndarray:
    return np.asarray(to_metric(frame, metric_crs, what).geometry.to_numpy())


def units_from_streets(
    boundary: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    metric_crs: str,
    parents: gpd.GeoDataFrame | None = None,
    *,
    min_unit_m2: float = MIN_UNIT_M2,
) -> gpd.GeoDataFrame:
    """Street blocks inside the boundary, split by the parent outlines.

    Parameters
    ----------
    boundary
        The area outline (one or more polygons), any CRS.
    edges
        Street network edges (LineStrings), any CRS.
    metric_crs
        The area's metric CRS.
    parents
        Communities with a ``code`` column; every block gets the code of the
        parent holding it (``parent_code``). None: one parent,
        :data:`DEFAULT_PARENT_CODE`.
    min_unit_m2
        Blocks smaller than this join their longest-shared neighbour.

    Returns
    -------
    Units indexed by ``unit_id`` (``b0001`` ... west to east, north to
    south), columns ``parent_code`` and geometry, EPSG:4326. They cover the
    boundary (and the parents) without overlap.
    """
    outline = shapely.union_all(_metric_geoms(boundary, metric_crs, "boundary"))
    if outline.is_empty:
        raise InputError("the area boundary is empty; rebuild the area")
    street_lines: Any = _metric_geoms(edges, metric_crs, "street edges") if len(edges) else []
    lines = [shapely.intersection(line, outline) for line in street_lines]
    cuts: list[Any] = []
    parent_geoms = None
    if parents is not None and len(parents):
        parent_geoms = _metric_geoms(parents, metric_crs, "communities")
        cuts.extend(shapely.intersection(g, outline).boundary for g in parent_geoms)
    # outlines move by under 1 mm at most: blocks cover the area and nest in parents; a
    # strip between a parent outline and a street near it becomes a thin unit
    # parent outlines (often hand-drawn) end a hair off the streets and the outline: noded
    # exactly they may leave cut edges and drop whole blocks, so they are noded on a 1 mm grid
    faces = _faces(
        np.asarray([*lines, outline.boundary, *cuts], dtype=object),
        outline,
        NODING_GRID_M if cuts else None,
    )
    codes = _parent_codes(faces, parents, parent_geoms)
    faces, codes = _merge_slivers(faces, codes, min_unit_m2)
    units = gpd.GeoDataFrame({"parent_code": codes}, geometry=list(faces), crs=metric_crs)
    units = order_rows(units, metric_crs)
    units.index = pd.Index([f"b{i + 1:04d}" for i in range(len(units))], name="unit_id")
    return snap(to_wgs84(units, "units"))


def _faces(lines: np.ndarray, outline: Any, grid_size: float | None) -> np.ndarray:
    """Faces of the noded ``lines`` inside ``outline`` (noded on ``grid_size`` when given)."""
    noded = shapely.union_all(lines, grid_size=grid_size)
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    if not len(faces):
        return faces
    inside = shapely.contains_properly(
        shapely.buffer(outline, 0.01), shapely.point_on_surface(faces)
    )
    faces = faces[inside]
    return np.asarray(faces[shapely.area(faces) > 0])


def _parent_codes(
    geoms: np.ndarray, parents: gpd.GeoDataFrame | None, parent_geoms: np.ndarray | None
) -> list[str]:
    if parents is None or parent_geoms is None or not len(geoms):
        return [DEFAULT_PARENT_CODE] * len(geoms)
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(parent_geoms)
    codes = [DEFAULT_PARENT_CODE] * len(geoms)
    pairs = tree.query(points, predicate="intersects")
    parent_code = parents["code"].astype(str).to_numpy()
    for i, j in zip(pairs[0], pairs[1], strict=True):
        if codes[i] == DEFAULT_PARENT_CODE:
            codes[i] = str(parent_code[j])
    missing = [i for i, c in enumerate(codes) if c == DEFAULT_PARENT_CODE]
    if missing and len(parent_geoms):
        nearest = tree.query_nearest(points[missing], return_distance=False)[1]
        for i, j in zip(missing, nearest, strict=True):
            codes[i] = str(parent_code[j])
    return codes


def _merge_slivers(
    faces: np.ndarray, codes: list[str], min_m2: float
) -> tuple[np.ndarray, list[str]]:
    """Join faces under ``min_m2`` to the neighbour (same parent) sharing most boundary."""
    faces, alive = _merge_slivers_mask(faces, codes, min_m2)
    return faces[alive], [c for c, a in zip(codes, alive, strict=True) if a]


def _merge_slivers_mask(
    faces: np.ndarray, codes: list[str], min_m2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Faces with slivers joined to a same-parent neighbour, and which faces remain."""
    faces = faces.copy()
    codes = list(codes)
    alive = np.ones(len(faces), dtype=bool)
    order = np.argsort(shapely.area(faces), kind="stable")
    tree = shapely.STRtree(faces)
    for i in order:
        if not alive[i] or shapely.area(faces[i]) >= min_m2:
            continue
        candidates = [
            j
            for j in tree.query(faces[i], predicate="intersects")
            if j != i and alive[j] and codes[j] == codes[i]
        ]
        if not candidates:
            continue
        shared = [
            shapely.length(shapely.intersection(faces[i].boundary, faces[j].boundary))
            for j in candidates
        ]
        best = int(np.argmax(shared))
        if shared[best] <= 0:
            continue
        j = candidates[best]
        faces[j] = shapely.union(faces[j], faces[i])
        alive[i] = False
    return faces, alive


def split_by_parents(
    units: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame | None,
    metric_crs: str,
    *,
    min_piece_m2: float = MIN_PIECE_M2,
) -> gpd.GeoDataFrame:
    """Cut units along the parent outlines; each piece takes the code of the parent holding it.

    Hand-drawn communities need not follow streets: a unit across a parent
    edge becomes one piece per parent (``<unit_id>.<n>``; a unit inside one
    parent keeps its id and gets that parent's code). Parts of a unit in no
    parent stay with the unit's largest piece. Pieces under ``min_piece_m2``
    join the neighbouring piece of the same parent sharing most boundary
    (never a piece of another parent). ``households`` and ``population``,
    when present, are shared among the pieces by area (households by largest
    remainder, so totals are kept); recount them from buildings when known.
    """
    if parents is None or not len(parents) or not len(units):
        return units
    unit_geoms = _metric_geoms(units, metric_crs, "units")
    parent_geoms = _metric_geoms(parents, metric_crs, "communities")
    parent_code = parents["code"].astype(str).to_numpy()
    tree = shapely.STRtree(parent_geoms)
    old_codes = (
        units["parent_code"].astype(str).to_numpy()
        if "parent_code" in units.columns
        else np.full(len(units), DEFAULT_PARENT_CODE, dtype=object)
    )
    faces: list[Any] = []
    codes: list[str] = []
    source: list[int] = []
    for i, geom in enumerate(unit_geoms):
        pieces: list[tuple[Any, str]] = []
        for j in sorted(tree.query(geom, predicate="intersects").tolist()):
            part = shapely.intersection(geom, parent_geoms[j])
            polys = [p for p in shapely.get_parts(part) if p.geom_type == "Polygon" and p.area > 0]
            pieces.extend((p, str(parent_code[j])) for p in polys)
        rest = shapely.difference(geom, shapely.union_all([p for p, _ in pieces]))
        rest_polys = [p for p in shapely.get_parts(rest) if p.geom_type == "Polygon"]
        rest_polys = [p for p in rest_polys if p.area > 0]
        if rest_polys:
            code = max(pieces, key=lambda pc: pc[0].area)[1] if pieces else str(old_codes[i])
            pieces.extend((p, code) for p in rest_polys)
        for p, code in pieces:
            faces.append(p)
            codes.append(code)
            source.append(i)
    merged, alive = _merge_slivers_mask(np.asarray(faces, dtype=object), codes, min_piece_m2)
    # several pieces of one unit and the same parent (e.g. a rest joined back): one piece each
    groups: dict[tuple[int, str], list[Any]] = {}
    for k in np.flatnonzero(alive):
        groups.setdefault((source[k], codes[k]), []).append(merged[k])
    keys = sorted(groups)
    count = pd.Series([s for s, _ in keys]).value_counts()
    seen: dict[int, int] = {}
    ids, geoms, out_codes, rows = [], [], [], []
    unit_ids = units.index.astype(str).to_numpy()
    for s, code in keys:
        seen[s] = seen.get(s, 0) + 1
        ids.append(unit_ids[s] if count[s] == 1 else f"{unit_ids[s]}.{seen[s]}")
        geoms.append(shapely.union_all(groups[(s, code)]))
        out_codes.append(code)
        rows.append(s)
    out = gpd.GeoDataFrame(
        units.drop(columns=units.geometry.name).iloc[rows].reset_index(drop=True),
        geometry=geoms,
        crs=metric_crs,
    )
    out["parent_code"] = out_codes
    out.index = pd.Index(ids, name=units.index.name or "unit_id")
    if "households" in units.columns or "population" in units.columns:
        _share_by_area(out, units, unit_geoms)
    out = snap(to_wgs84(out, "units"))
    # snapping may collapse a hair-thin arm of a piece to a line: keep the polygons only
    polygonal = [_polygons_of(g) for g in out.geometry.to_numpy()]
    out = out.set_geometry(gpd.GeoSeries(polygonal, index=out.index, crs=out.crs))
    return out[~out.geometry.is_empty]


def _polygons_of(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons) if polygons else shapely.Polygon()


def _share_by_area(out: gpd.GeoDataFrame, units: gpd.GeoDataFrame, unit_geoms: np.ndarray) -> None:
    """Share each unit's households and population among ``out``'s pieces by overlap area."""
    pieces = out.geometry.to_numpy()
    tree = shapely.STRtree(unit_geoms)
    left, right = tree.query(pieces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(pieces[left], unit_geoms[right]))
    whole = shapely.area(unit_geoms)[right]
    share = np.where(whole > 0, overlap / np.where(whole > 0, whole, 1.0), 0.0)
    if "households" in units.columns:
        hh = units["households"].fillna(0).astype(float).to_numpy()
        exact = np.zeros(len(out))
        np.add.at(exact, left, hh[right] * share)
        counts = np.floor(exact + 1e-9).astype(np.int64)
        total = int(round(float(hh.sum())))
        for k in np.argsort(-(exact - counts), kind="stable")[: max(total - int(counts.sum()), 0)]:
            counts[k] += 1
        out["households"] = counts
    if "population" in units.columns:
        pop = units["population"].astype(float).fillna(0).to_numpy()
        people = np.zeros(len(out))
        np.add.at(people, left, pop[right] * share)
        out["population"] = np.round(people, 1)


def order_rows(frame: gpd.GeoDataFrame, metric_crs: str | None = None) -> gpd.GeoDataFrame:
    """Sort rows north to south in rows, west to east within a row.

    Rows are as high as the square root of the median area; measured in
    ``metric_crs`` when given (else in the frame's own CRS).
    """
    if not len(frame):
        return frame
    geoms = frame.geometry if metric_crs is None else frame.geometry.to_crs(metric_crs)
    points = shapely.point_on_surface(geoms.to_numpy())
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    areas = shapely.area(geoms.to_numpy())
    row_height = max(float(np.sqrt(np.median(areas))), 1e-12)
    rows = np.floor((ys.max() - ys) / row_height)
    order = np.lexsort((xs, rows))
    return frame.iloc[order]


def refine_units(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    max_households: int,
    persons_per_household: float = PERSONS_PER_HOUSEHOLD,
) -> gpd.GeoDataFrame:
    """Split units holding more than ``max_households`` into one cell per building.

    The unit is cut into the Voronoi cells of its buildings (clipped to the
    unit); cells are ``<unit_id>.<n>``. Households are recounted for the new
    cells. A unit whose buildings cannot be separated stays as it is.
    """
    if "households" not in units.columns:
        units = count_households(units, buildings, metric_crs, persons_per_household)
    big = units.index[units["households"] > max_households]
    if not len(big) or not len(buildings):
        return units
    which = _building_units(units, buildings, metric_crs)
    metric_units = to_metric(units, metric_crs, "units")
    metric_buildings = to_metric(buildings, metric_crs, "buildings")
    pieces = []
    for unit_id in big:
        pos = units.index.get_loc(unit_id)
        inside = metric_buildings.iloc[np.flatnonzero(which == pos)]
        if len(inside) < 2:
            continue
        outline = metric_units.geometry.iloc[pos]
        points = shapely.point_on_surface(inside.geometry.to_numpy())
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline)
        )
        cells = shapely.get_parts(shapely.intersection(cells, outline))  # one unit per piece
        cells = cells[~shapely.is_empty(cells) & (shapely.area(cells) > 0)]
        frame = gpd.GeoDataFrame(
            {"parent_code": units["parent_code"].iloc[pos]},
            geometry=list(cells),
            index=pd.Index([f"{unit_id}.{i + 1}" for i in range(len(cells))], name="unit_id"),
            crs=metric_crs,
        )
        pieces.append((unit_id, frame))
    if not pieces:
        return units
    extra = pd.concat([f for _, f in pieces])
    extra = count_households(
        snap(to_wgs84(extra, "units")),
        buildings.iloc[np.isin(which, [units.index.get_loc(u) for u, _ in pieces])],
        metric_crs,
        persons_per_household,
    )
    kept = units.drop(index=[u for u, _ in pieces])
    out = pd.concat([kept, extra[[c for c in kept.columns if c in extra.columns]]])
    out.index.name = "unit_id"
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs)


def buildings_per_unit(
    units: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, metric_crs: str
) -> np.ndarray:
    """How many buildings (or register points) with households lie in each unit (row order)."""
    if not len(units) or not len(buildings):
        return np.zeros(len(units), dtype=np.int64)
    has = buildings["households"].fillna(0).to_numpy(dtype=float) > 0
    if not has.any():
        return np.zeros(len(units), dtype=np.int64)
    which = _building_units(units, buildings[has], metric_crs)
    return np.bincount(which, minlength=len(units)).astype(np.int64)


def split_units_by_building(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    unit_ids: list[str],
    persons_per_household: float = PERSONS_PER_HOUSEHOLD,
    keep_whole: Iterable[str] = (),
) -> tuple[gpd.GeoDataFrame, dict[str, list[str]]]:
    """Cut the named units into one piece per building with households (its Voronoi cell).

    Each piece keeps every column of its unit (grid, parent, locked, ...)
    but households and population, recounted from its buildings; pieces are
    ``<unit_id>.<n>`` (n from 1, in the order of the cells), in place of the
    unit. A unit with fewer than two such buildings stays whole. The points
    where a cut meets the unit's outline are inserted as vertices into the
    neighbouring units (not those in ``keep_whole``, e.g. locked), so
    pieces and neighbours share their edges exactly. The same units and
    buildings give the same pieces. Returns the units and, per unit cut,
    its piece ids.
    """
    if not unit_ids or not len(buildings) or not len(units):
        return units, {}
    with_households = buildings[buildings["households"].fillna(0).to_numpy(dtype=float) > 0]
    if not len(with_households):
        return units, {}
    which = _building_units(units, with_households, metric_crs)
    metric_units = to_metric(units, metric_crs, "units")
    metric_buildings = to_metric(with_households, metric_crs, "buildings")
    frames: dict[str, gpd.GeoDataFrame] = {}
    for unit_id in unit_ids:
        pos = units.index.get_loc(unit_id)
        inside = metric_buildings.iloc[np.flatnonzero(which == pos)]
        points = shapely.point_on_surface(inside.geometry.to_numpy())
        if len(points) < 2 or len(shapely.get_parts(shapely.union_all(points))) < 2:
            continue  # one building (or all at one spot): nothing to cut by
        cells = shapely.get_parts(
            shapely.voronoi_polygons(
                # a margin: the cells' outer edges, reprojected, must still cover the unit
                shapely.multipoints(points),
                extend_to=shapely.buffer(metric_units.geometry.iloc[pos], 100.0),
            )
        )
        cells = gpd.GeoSeries(cells, crs=metric_crs).to_crs(units.crs).to_numpy()
        cells = _cut_on_outline(units.geometry.iloc[pos], cells)
        if len(cells) < 2:
            continue
        centres = shapely.centroid(cells)
        cells = cells[np.lexsort((shapely.get_x(centres), -shapely.get_y(centres)))]
        row = units.iloc[[pos] * len(cells)].drop(columns=[units.geometry.name])
        row.index = pd.Index([f"{unit_id}.{i + 1}" for i in range(len(cells))], name="unit_id")
        frames[unit_id] = gpd.GeoDataFrame(row, geometry=list(cells), crs=units.crs)
    if not frames:
        return units, {}
    cut = gpd.GeoDataFrame(pd.concat(list(frames.values())), geometry="geometry", crs=units.crs)
    units = _insert_cut_points(units.drop(index=list(frames)), cut, set(keep_whole)).pipe(
        lambda rest: pd.concat([rest, units.loc[list(frames)]]).loc[units.index]
    )
    recount = count_households(
        cut[["geometry"]],
        with_households.iloc[np.isin(which, [units.index.get_loc(u) for u in frames])],
        metric_crs,
        persons_per_household,
    )
    cut["households"] = recount["households"].to_numpy()
    if "population" in units.columns:
        cut["population"] = recount["population"].to_numpy()
    pieces = {u: [i for i in cut.index if i.rsplit(".", 1)[0] == u] for u in frames}
    at = {u: units.index.get_loc(u) for u in frames}
    parts = []
    start = 0
    for u in sorted(frames, key=lambda u: at[u]):
        parts += [units.iloc[start : at[u]], cut.loc[pieces[u]]]
        start = at[u] + 1
    parts.append(units.iloc[start:])
    out = pd.concat(parts)
    out.index.name = units.index.name
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs), pieces


def _cut_on_outline(outline: shapely.Geometry, cells: np.ndarray) -> np.ndarray:
    """``cells`` clipped to ``outline`` (in its CRS: its own vertices kept exactly)."""
    out = []
    for piece in shapely.get_parts(shapely.intersection(cells, outline)):
        if piece.geom_type == "Polygon" and piece.area > 1e-9 * outline.area:
            out.append(piece)
    return np.asarray(out, dtype=object)


def _insert_cut_points(
    units: gpd.GeoDataFrame, cut: gpd.GeoDataFrame, skip: set[str]
) -> gpd.GeoDataFrame:
    """Units touching the pieces get the pieces' new outline points as vertices.

    Where a cut crosses the unit's outline between two of its vertices,
    the crossing point is a rounding error off the neighbour's straight
    edge; inserted into that edge (it moves by far less than a millimetre),
    the piece and the neighbour share the edge exactly (no sliver between
    them, grids built from both stay in one part). Units in ``skip`` (the
    locked ones) are left as they are.
    """
    points = shapely.multipoints(shapely.get_coordinates(cut.geometry.to_numpy()))
    scale = max(1.0, float(np.abs(shapely.get_coordinates(points)).max()))
    tolerance = 1e-9 * scale
    geoms = units.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    near = np.unique(
        tree.query(cut.geometry.to_numpy(), predicate="dwithin", distance=tolerance)[1]
    )
    out = units.copy()
    for pos in near:
        if str(units.index[pos]) in skip:
            continue
        snapped = shapely.snap(geoms[pos], points, tolerance)
        if snapped.is_valid and abs(snapped.area - geoms[pos].area) <= 1e-6 * geoms[pos].area:
            out.iloc[pos, out.columns.get_loc(out.geometry.name)] = snapped
    return out


def units_from_buildings(
    buildings: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    metric_crs: str,
    parents: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One unit per building: its Voronoi cell around the building, clipped to the area.

    ``buildings`` needs an ``id`` column; it becomes ``unit_id``. Cells cover
    the boundary without overlap; a building's households stay in its cell.
    Cells are cut by the parent outlines and take the parent of the building.
    """
    if "id" not in buildings.columns:
        raise InputError("buildings need an 'id' column to become grid units")
    outline = shapely.union_all(_metric_geoms(boundary, metric_crs, "boundary"))
    points = shapely.point_on_surface(_metric_geoms(buildings, metric_crs, "buildings"))
    keep = shapely.contains(outline, points) | shapely.touches(outline, points)
    points = points[keep]
    ids = buildings["id"].astype(str).to_numpy()[keep]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline)
    )
    tree = shapely.STRtree(cells)
    cell_of = dict(zip(*tree.query(points, predicate="within"), strict=False))
    geoms = [shapely.intersection(cells[cell_of[i]], outline) for i in range(len(points))]
    parent_geoms = (
        _metric_geoms(parents, metric_crs, "communities")
        if parents is not None and len(parents)
        else None
    )
    codes = _parent_codes(points, parents, parent_geoms)
    if parent_geoms is not None and parents is not None:
        by_code = dict(zip(parents["code"].astype(str), parent_geoms, strict=True))
        geoms = [
            shapely.intersection(g, by_code.get(c, g)) for g, c in zip(geoms, codes, strict=True)
        ]
    units = gpd.GeoDataFrame(
        {"parent_code": codes},
        geometry=geoms,
        index=pd.Index(ids, name="unit_id"),
        crs=metric_crs,
    )
    return snap(to_wgs84(units, "units"))


def snap(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Snap lon/lat geometries to :data:`GRID_SIZE_DEG`, dropping rows that vanish."""
    geoms = np.array([_snap_one(g) for g in frame.geometry.to_numpy()], dtype=object)
    out = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return out[~out.geometry.is_empty]


def _snap_one(geom: shapely.Geometry) -> shapely.Geometry:
    try:
        return shapely.set_precision(geom, GRID_SIZE_DEG)
    except shapely.errors.GEOSException:  # rare topology failure: round, then repair
        fixed = shapely.make_valid(shapely.set_precision(geom, GRID_SIZE_DEG, mode="pointwise"))
        # make_valid may give a GeometryCollection holding a MultiPolygon: explode twice
        parts = shapely.get_parts(shapely.get_parts(fixed))
        polygons = [p for p in parts if p.geom_type == "Polygon"]
        return shapely.union_all(polygons) if polygons else shapely.Polygon()


def count_households(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    persons_per_household: float = PERSONS_PER_HOUSEHOLD,
) -> gpd.GeoDataFrame:
    """Return ``units`` with ``households`` and ``population`` summed over their buildings.

    A building counts in the unit holding its representative point (the
    nearest unit when the point is on no unit). ``population`` is the
    buildings' ``population`` column when present, else households x
    ``persons_per_household``.
    """
    out = units.copy()
    hh = np.zeros(len(units), dtype=np.int64)
    pop = np.zeros(len(units), dtype=float)
    if len(buildings) and len(units):
        which = _building_units(units, buildings, metric_crs)
        households = buildings["households"].fillna(0).astype("int64").to_numpy()
        people = (
            buildings["population"].astype(float).fillna(np.nan).to_numpy()
            if "population" in buildings.columns
            else np.full(len(buildings), np.nan)
        )
        people = np.where(np.isnan(people), households * persons_per_household, people)
        np.add.at(hh, which, households)
        np.add.at(pop, which, people)
    out["households"] = hh
    out["population"] = np.round(pop, 1)
    return out


def _building_units(
    units: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, metric_crs: str
) -> np.ndarray:
    """Position of the unit holding each building's representative point."""
    unit_geoms = _metric_geoms(units, metric_crs, "units")
    points = shapely.point_on_surface(_metric_geoms(buildings, metric_crs, "buildings"))
    tree = shapely.STRtree(unit_geoms)
    return np.asarray(tree.query_nearest(points, all_matches=False)[1])


def apply_household_table(
    frame: gpd.GeoDataFrame, table: pd.DataFrame, what: str = "table"
) -> gpd.GeoDataFrame:
    """Set ``households`` (and ``population`` if given) from a table keyed by ``id``.

    ``frame`` is keyed by its ``id`` column, else its index. Rows of the table
    naming no feature are an error listing them; features the table does not
    name keep their values.
    """
    if "id" not in table.columns or "households" not in table.columns:
        raise InputError(
            f"{what}: needs columns id,households (and optionally population); "
            f"found {', '.join(map(str, table.columns))}"
        )
    keys = frame["id"].astype(str) if "id" in frame.columns else frame.index.astype(str)
    position = {k: i for i, k in enumerate(keys)}
    problems = []
    for n, (key, value) in enumerate(
        zip(table["id"].astype(str), table["households"], strict=True)
    ):
        if key not in position:
            problems.append(f"{what} row {n + 2}: id {key!r} is no building or unit here")
        elif pd.isna(value) or float(value) < 0:
            problems.append(f"{what} row {n + 2}: households {value!r} must be a number >= 0")
    if problems:
        raise InputError(f"{what}: {len(problems)} bad rows; fix them and try again", problems)
    out = frame.copy()
    hh = (
        out["households"].fillna(0).astype("int64").to_numpy().copy()
        if "households" in out
        else np.zeros(len(out), dtype=np.int64)
    )
    rows = [position[k] for k in table["id"].astype(str)]
    hh[rows] = np.round(table["households"].astype(float).to_numpy()).astype(np.int64)
    out["households"] = hh
    if "population" in table.columns:
        pop = (
            out["population"].astype(float).to_numpy().copy()
            if "population" in out.columns
            else np.full(len(out), np.nan)
        )
        pop[rows] = table["population"].astype(float).to_numpy()
        out["population"] = pop
    return out


def estate_buildings(
    outline: shapely.Geometry,
    households: int,
    units: gpd.GeoDataFrame,
    metric_crs: str,
    estate_id: str,
    name: str | None = None,
) -> gpd.GeoDataFrame:
    """A new estate (小区) as building records: its outline cut along the units it covers.

    ``outline`` is a (Multi)Polygon in WGS-84; its ``households`` are shared
    among the pieces by area (largest remainder), so each unit counts the
    households that will live on it (:func:`count_households` places a piece
    by its representative point, which lies inside its unit). One record per
    piece with households: id ``<estate_id>/<k>`` (``estate_id`` alone for one
    piece), ``name``, ``building`` residential, ``households_source`` register,
    ``footprint_m2``. InputError when the outline covers no unit or the count
    is not positive.
    """
    if households < 1:
        raise InputError(f"estate {estate_id}: households must be at least 1, not {households}")
    if outline is None or outline.is_empty or outline.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(f"estate {estate_id}: give the estate's outline as a polygon")
    metric = gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(metric_crs).iloc[0]
    unit_geoms = _metric_geoms(units, metric_crs, "units")
    tree = shapely.STRtree(unit_geoms)
    pieces = []
    for i in sorted(tree.query(metric, predicate="intersects").tolist()):
        part = shapely.intersection(unit_geoms[i], metric)
        polys = [g for g in shapely.get_parts(part) if g.geom_type == "Polygon" and g.area >= 1.0]
        if polys:
            pieces.append(shapely.union_all(polys))
    if not pieces:
        raise InputError(
            f"estate {estate_id}: its outline covers no unit of the grids; "
            "check its coordinates (--coordinates) and that it lies inside the area"
        )
    area = np.array([p.area for p in pieces])
    share = households * area / area.sum()
    counts = np.floor(share).astype(np.int64)
    for k in np.argsort(-(share - counts), kind="stable")[: households - int(counts.sum())]:
        counts[k] += 1
    keep = np.flatnonzero(counts > 0)
    ids = [estate_id] if len(keep) == 1 else [f"{estate_id}/{n + 1}" for n in range(len(keep))]
    frame = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": name,
            "building": "residential",
            "households": counts[keep],
            "households_source": "register",
            "footprint_m2": np.round(area[keep], 1),
        },
        geometry=[pieces[k] for k in keep],
        crs=metric_crs,
    )
    return to_wgs84(frame, "estate")
