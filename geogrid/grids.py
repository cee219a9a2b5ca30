"""Household-balanced grids (网格): base units, partitioning, codes, checks, edits, diffs.

Pure domain code: frames in, frames and dataclasses out; nothing here reads
or writes files (see :mod:`geogrid.io.versions` and
:mod:`geogrid.services.grids`).

Base units
    Street blocks: the street network, the area outline and the parent
    (community) outlines are noded and polygonized (:func:`units_from_streets`);
    slivers under ``min_unit_m2`` join their longest-shared neighbour. Or
    units from buildings (:func:`units_from_buildings`: one Voronoi cell per
    building, clipped to the area) or user-supplied polygons. Households per
    unit come from the buildings inside (:func:`count_households`) or a table
    (:func:`apply_household_table`).

Partition (:func:`build_grids`)
    Per parent and per connected piece of its unit graph (units sharing a
    boundary of at least 1 m are neighbours), the number of grids ``k`` is
    the count nearest ``households / mid-band`` for which the band can hold
    (``ceil(H / max) <= k <= floor(H / min)``). The piece is split in two by
    cutting one edge of a seeded random spanning tree, choosing among the
    edges whose two sides can each hold their share of grids inside the band
    the one with the smallest moment of inertia (compact halves), over a few
    trees; then recursively (recursive spanning-tree bisection, as
    GerryChain's ``recursive_tree_part`` but with a min **and** a max and a
    compactness choice). Tree pieces are contiguous by construction. A
    local search then moves boundary units between neighbouring grids,
    keeping every grid contiguous, first to bring households into the band,
    then to shorten the total grid boundary (compactness). Locked grids are
    left out; locked units are contracted into their grid's seed and never
    move. Where the band cannot hold (a unit over the max, an island under
    the min) ``GridPlan.problems`` says which units and why, and the best
    plan is still returned.

Codes
    ``parent_code`` (12 digits: 6-digit admin code + 3-digit street +
    3-digit community, as Beijing's unit-grid codes) + a 3-digit sequence,
    numbered north to south in rows, west to east within a row. A grid
    whose unit set (or, for hand-drawn grids, whose outline) did not change
    keeps its code (:func:`assign_codes`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree

from geogrid.crs import WGS84, to_metric, to_wgs84
from geogrid.errors import InputError

#: Default household band of a grid (city guidance: 300-500 households).
DEFAULT_MIN_HOUSEHOLDS = 300
DEFAULT_MAX_HOUSEHOLDS = 500
#: Persons per household used for the population estimate (China, 2020 census: 2.62).
PERSONS_PER_HOUSEHOLD = 2.62
#: Units sharing less boundary than this are not neighbours (corner contact).
MIN_SHARED_M = 1.0
#: Street blocks smaller than this join a neighbour.
MIN_UNIT_M2 = 100.0
#: Gaps, overlaps and outside parts smaller than this (a 5 m x 5 m patch, far below a
#: building; left by snapping to 1 cm) are ignored by validate_grids.
TOLERANCE_M2 = 25.0
#: Coordinates are snapped to this grid (degrees, about 1 cm) so that written
#: layers (7 decimals) stay valid polygons.
GRID_SIZE_DEG = 1e-7
#: Default 12-digit parent code when an area has no communities layer.
DEFAULT_PARENT_CODE = "000000000000"


@dataclass(frozen=True)
class Band:
    """Households a grid may hold, inclusive: ``min_households <= h <= max_households``."""

    min_households: int = DEFAULT_MIN_HOUSEHOLDS
    max_households: int = DEFAULT_MAX_HOUSEHOLDS

    def __post_init__(self) -> None:
        if not 0 <= self.min_households <= self.max_households:
            raise InputError(
                f"household band {self.min_households}-{self.max_households} is empty; "
                "give 0 <= min <= max, e.g. 300-500"
            )

    @property
    def mid(self) -> float:
        return (self.min_households + self.max_households) / 2

    def violation(self, households: float) -> float:
        """Households below the min or above the max (0 inside the band)."""
        return max(0.0, self.min_households - households) + max(
            0.0, households - self.max_households
        )

    def __str__(self) -> str:
        return f"{self.min_households}-{self.max_households}"


@dataclass
class GridPlan:
    """Units with their grid, and the grids they make.

    Attributes
    ----------
    units
        Index ``unit_id`` (str); columns ``parent_code``, ``households``,
        ``population``, ``grid`` (code), ``locked`` (the unit never moves),
        geometry (EPSG:4326).
    grids
        One row per grid (see :func:`assemble_grids`), EPSG:4326.
    metric_crs
        The area's metric CRS.
    bands
        Household band per parent code; ``default_band`` for the others.
    problems
        Where the band or a lock could not be met: which units and why.
    """

    units: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    metric_crs: str
    default_band: Band = field(default_factory=Band)
    bands: dict[str, Band] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def band_of(self, parent_code: str) -> Band:
        return self.bands.get(parent_code, self.default_band)


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


@dataclass(frozen=True)
class GridDiff:
    """What changed between two grid versions.

    ``moves``: one row per (from_code, to_code) pair with households that
    changed grid: buildings, households, building_ids. ``per_grid``: one row
    per code in either version: status (new, removed, changed, unchanged),
    households and area in a and b, deltas, households gained and lost.
    """

    moves: pd.DataFrame
    per_grid: pd.DataFrame

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
        return lines


# --------------------------------------------------------------------------- units


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
    # outlines are never moved: blocks cover the area and nest in parents exactly; a
    # strip between a parent outline and a street near it becomes a thin unit
    noded = shapely.union_all(np.asarray([*lines, outline.boundary, *cuts], dtype=object))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    inside = shapely.contains_properly(
        shapely.buffer(outline, 0.01), shapely.point_on_surface(faces)
    ) if len(faces) else np.array([], dtype=bool)
    faces = faces[inside]
    faces = faces[shapely.area(faces) > 0]
    codes = _parent_codes(faces, parents, parent_geoms)
    faces, codes = _merge_slivers(faces, codes, min_unit_m2)
    units = gpd.GeoDataFrame({"parent_code": codes}, geometry=list(faces), crs=metric_crs)
    units = order_rows(units, metric_crs)
    units.index = pd.Index([f"b{i + 1:04d}" for i in range(len(units))], name="unit_id")
    return snap(to_wgs84(units, "units"))


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
        shared = [shapely.length(shapely.intersection(faces[i].boundary, faces[j].boundary))
                  for j in candidates]
        best = int(np.argmax(shared))
        if shared[best] <= 0:
            continue
        j = candidates[best]
        faces[j] = shapely.union(faces[j], faces[i])
        alive[i] = False
    return faces[alive], [c for c, a in zip(codes, alive, strict=True) if a]


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
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline))
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
    extra = count_households(snap(to_wgs84(extra, "units")), buildings.iloc[np.isin(which, [units.index.get_loc(u) for u, _ in pieces])], metric_crs, persons_per_household)
    kept = units.drop(index=[u for u, _ in pieces])
    out = pd.concat([kept, extra[[c for c in kept.columns if c in extra.columns]]])
    out.index.name = "unit_id"
    return gpd.GeoDataFrame(out, geometry="geometry", crs=units.crs)


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
        geoms = [shapely.intersection(g, by_code.get(c, g)) for g, c in zip(geoms, codes, strict=True)]
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
        polygons = [p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon"]
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
    for n, (key, value) in enumerate(zip(table["id"].astype(str), table["households"], strict=True)):
        if key not in position:
            problems.append(f"{what} row {n + 2}: id {key!r} is no building or unit here")
        elif pd.isna(value) or float(value) < 0:
            problems.append(f"{what} row {n + 2}: households {value!r} must be a number >= 0")
    if problems:
        raise InputError(f"{what}: {len(problems)} bad rows; fix them and try again", problems)
    out = frame.copy()
    hh = out["households"].fillna(0).astype("int64").to_numpy().copy() if "households" in out else np.zeros(len(out), dtype=np.int64)
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


# --------------------------------------------------------------------------- graph


@dataclass(frozen=True)
class UnitGraph:
    """Rook adjacency of units in metric space (shared boundary >= MIN_SHARED_M)."""

    adjacency: sparse.csr_matrix  # shared boundary length in metres, symmetric
    area_m2: np.ndarray
    perimeter_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def neighbours(self, i: int) -> np.ndarray:
        a = self.adjacency
        return np.asarray(a.indices[a.indptr[i] : a.indptr[i + 1]])

    def shared(self, i: int) -> np.ndarray:
        a = self.adjacency
        return np.asarray(a.data[a.indptr[i] : a.indptr[i + 1]])


def unit_graph(units: gpd.GeoDataFrame, metric_crs: str) -> UnitGraph:
    """Build the neighbour graph of ``units`` (any CRS)."""
    geoms = _metric_geoms(units, metric_crs, "units")
    n = len(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    ok = shared >= MIN_SHARED_M
    left, right, shared = left[ok], right[ok], shared[ok]
    adjacency = sparse.coo_matrix(
        (np.concatenate([shared, shared]), (np.concatenate([left, right]), np.concatenate([right, left]))),
        shape=(n, n),
    ).tocsr()
    adjacency.sort_indices()
    centres = shapely.point_on_surface(geoms) if n else np.array([])
    return UnitGraph(
        adjacency=adjacency,
        area_m2=np.asarray(shapely.area(geoms), dtype=float),
        perimeter_m=np.asarray(shapely.length(geoms), dtype=float),
        x=np.asarray(shapely.get_x(centres), dtype=float) if n else np.zeros(0),
        y=np.asarray(shapely.get_y(centres), dtype=float) if n else np.zeros(0),
    )


# --------------------------------------------------------------------------- partition


def _bridge_islands(
    graph: UnitGraph,
    parents: np.ndarray,
    pop: np.ndarray,
    band: Band,
    bands: Mapping[str, Band],
    ids: np.ndarray | None = None,
    notes: list[str] | None = None,
) -> UnitGraph:
    """Link each piece of a parent's unit graph under the min to the nearest other piece.

    Islands (across water, a railway cut, a missing street) that cannot be a
    grid of their own join the nearest grid through a bridge edge (shared
    length 1 mm): the grid is then in pieces, which validate_grids reports.
    """
    rows, cols, vals = [], [], []
    for parent in sorted(set(parents)):
        idx = np.flatnonzero(parents == parent)
        if len(idx) < 2:
            continue
        pband = bands.get(str(parent), band)
        sub = graph.adjacency[idx][:, idx]
        count, comp = connected_components(sub, directed=False)
        if count < 2:
            continue
        totals = np.bincount(comp, weights=pop[idx], minlength=count)
        main = int(np.argmax(np.bincount(comp, minlength=count)))
        for c in range(count):
            if c == main or totals[c] >= pband.min_households:
                continue
            inside = idx[comp == c]
            outside = idx[comp == main]
            d = (graph.x[inside, None] - graph.x[None, outside]) ** 2 + (
                graph.y[inside, None] - graph.y[None, outside]
            ) ** 2
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            if notes is not None and ids is not None:
                names = ", ".join(map(str, ids[inside][:12])) + (" ..." if len(inside) > 12 else "")
                notes.append(
                    f"units {names} are an island of {totals[c]:.0f} households (under the min "
                    f"{pband.min_households}, no shared boundary with the rest of parent {parent}): "
                    f"joined to the grid of unit {ids[outside[j]]} across the gap, so that grid "
                    "is in pieces; draw the missing street link or accept it"
                )
            rows += [inside[i], outside[j]]
            cols += [outside[j], inside[i]]
            vals += [1e-3, 1e-3]
    if not rows:
        return graph
    n = graph.adjacency.shape[0]
    bridges = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    adjacency = (graph.adjacency + bridges).tocsr()
    adjacency.sort_indices()
    return replace(graph, adjacency=adjacency)


def feasible_counts(households: float, band: Band) -> tuple[int, int]:
    """Smallest and largest number of grids that can hold ``households`` inside ``band``."""
    low = max(1, math.ceil(households / band.max_households)) if band.max_households else 1
    high = math.floor(households / band.min_households) if band.min_households else 10**9
    return low, high


def choose_count(households: float, band: Band) -> int:
    """Number of grids for ``households``: nearest to households / mid-band, feasible if possible."""
    low, high = feasible_counts(households, band)
    want = max(1, round(households / band.mid)) if band.mid else 1
    if low <= high:
        return min(max(want, low), high)
    return max(1, want)


class _Partitioner:
    """Recursive spanning-tree bisection with a household band, on a (contracted) graph."""

    def __init__(
        self,
        adjacency: sparse.csr_matrix,
        pop: np.ndarray,
        area: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        pinned: np.ndarray,
        band: Band,
        rng: np.random.Generator,
        trees: int = 4,
    ) -> None:
        self.adjacency = adjacency
        self.pop = pop.astype(float)
        w = np.maximum(area, 1.0)
        self.w = w
        self.wx = w * x
        self.wy = w * y
        self.wrr = w * (x * x + y * y)
        self.pinned = pinned.astype(float)
        self.band = band
        self.rng = rng
        self.trees = trees
        self.failed = False

    def split(self, nodes: np.ndarray, k: int) -> list[np.ndarray]:
        if k <= 1 or len(nodes) <= 1:
            return [nodes]
        cut = self._best_cut(nodes, k)
        if cut is None:
            return [nodes]
        side, k1 = cut
        rest = np.setdiff1d(nodes, side, assume_unique=True)
        return self.split(side, k1) + self.split(rest, k - k1)

    def _best_cut(self, nodes: np.ndarray, k: int) -> tuple[np.ndarray, int] | None:
        sub = self.adjacency[nodes][:, nodes]
        n = len(nodes)
        lo, hi = self.band.min_households, self.band.max_households
        total = self.pop[nodes].sum()
        pinned_total = self.pinned[nodes].sum()
        best: tuple[float, float, np.ndarray, int] | None = None  # (violation, score, side, k1)
        upper = sparse.triu(sub, k=1).tocoo()
        for attempt in range(self.trees):
            weights = self.rng.random(len(upper.data)) + 1e-9
            tree = minimum_spanning_tree(
                sparse.coo_matrix((weights, (upper.row, upper.col)), shape=(n, n))
            )
            tree = (tree + tree.T).tocsr()
            root = int(self.rng.integers(n))
            order, parent = breadth_first_order(tree, root, directed=False)
            if len(order) < n:  # not connected: split along components
                return self._component_cut(nodes, sub, k)
            stats = np.stack(
                [
                    self.pop[nodes],
                    self.w[nodes],
                    self.wx[nodes],
                    self.wy[nodes],
                    self.wrr[nodes],
                    self.pinned[nodes],
                ]
            )
            acc = stats.copy()
            for v in order[:0:-1]:
                acc[:, parent[v]] += acc[:, v]
            candidates = order[1:]
            s = acc[:, candidates]
            t = acc[:, [root]] - s
            p_sub, p_rest = s[0], t[0]
            k1 = np.clip(np.round(k * p_sub / total) if total else np.full(len(p_sub), k // 2), 1, k - 1)
            k2 = k - k1
            viol = (
                np.maximum(0, k1 * lo - p_sub)
                + np.maximum(0, p_sub - k1 * hi)
                + np.maximum(0, k2 * lo - p_rest)
                + np.maximum(0, p_rest - k2 * hi)
            )
            if pinned_total:
                viol = viol + 1e7 * (np.maximum(0, s[5] - k1) + np.maximum(0, t[5] - k2))
            inertia = (
                s[4] - (s[2] ** 2 + s[3] ** 2) / s[1] + t[4] - (t[2] ** 2 + t[3] ** 2) / t[1]
            )
            full = acc[4, root] - (acc[2, root] ** 2 + acc[3, root] ** 2) / acc[1, root]
            balance = np.abs(p_sub / k1 - p_rest / k2) / max(self.band.mid, 1.0)
            score = inertia / max(full, 1e-9) + 0.25 * balance
            key = np.lexsort((score, viol))[0]
            if best is None or (viol[key], score[key]) < (best[0], best[1]):
                v = candidates[key]
                side_local = _subtree(tree, v, parent)
                best = (float(viol[key]), float(score[key]), nodes[side_local], int(k1[key]))
            if best[0] == 0 and attempt >= 1:
                break
        assert best is not None
        if best[0] > 0:
            self.failed = True
        return best[2], best[3]

    def _component_cut(
        self, nodes: np.ndarray, sub: sparse.csr_matrix, k: int
    ) -> tuple[np.ndarray, int] | None:
        count, labels = connected_components(sub, directed=False)
        side = nodes[labels == 0]
        total = self.pop[nodes].sum()
        k1 = int(np.clip(round(k * self.pop[side].sum() / total) if total else 1, 1, k - 1))
        return side, k1


def _subtree(tree: sparse.csr_matrix, v: int, parent: np.ndarray) -> np.ndarray:
    """Nodes of the subtree under ``v`` (tree rooted where ``parent`` says)."""
    out = [v]
    stack = [v]
    indptr, indices = tree.indptr, tree.indices
    while stack:
        u = stack.pop()
        for w in indices[indptr[u] : indptr[u + 1]]:
            if parent[w] == u:
                out.append(int(w))
                stack.append(int(w))
    return np.asarray(out, dtype=np.int64)


def _connected_without(members: set[int], removed: int, graph: UnitGraph) -> bool:
    """True when ``members - {removed}`` is still connected in ``graph``."""
    rest = members - {removed}
    if not rest:
        return False
    start = next(iter(rest))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for w in graph.neighbours(u):
            w = int(w)
            if w in rest and w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == len(rest)


def improve(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    passes: int = 40,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Local search: move boundary units between neighbouring grids, keeping grids contiguous.

    A move must lower the band violation, or keep it and shorten the total
    grid boundary. Units where ``frozen`` is True never move; labels in
    ``closed`` never take units; a unit only joins a grid of its own
    ``groups`` value (parent). Returns the
    new labels (``labels`` is not changed).
    """
    labels = labels.copy()
    members: dict[int, set[int]] = {}
    for i, lab in enumerate(labels):
        members.setdefault(int(lab), set()).add(i)
    households = {lab: float(pop[list(m)].sum()) for lab, m in members.items()}

    def viol(lab: int, h: float) -> float:
        return band_of_label[lab].violation(h)

    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    label_group = {lab: int(group_of[next(iter(m))]) for lab, m in members.items()}

    movable = np.flatnonzero(~frozen)
    for _ in range(passes):
        moved = 0
        for u in rng.permutation(movable):
            u = int(u)
            a = int(labels[u])
            nbrs = graph.neighbours(u)
            if not len(nbrs):
                continue
            nlabels = labels[nbrs]
            if np.all(nlabels == a) or len(members[a]) == 1:
                continue
            shared = graph.shared(u)
            own = float(shared[nlabels == a].sum())
            p = float(pop[u])
            best: tuple[float, float, int] | None = None
            for b in np.unique(nlabels[nlabels != a]):
                b = int(b)
                if b in closed_set or label_group[b] != group_of[u]:
                    continue
                dv = (
                    viol(a, households[a] - p)
                    + viol(b, households[b] + p)
                    - viol(a, households[a])
                    - viol(b, households[b])
                )
                dc = own - float(shared[nlabels == b].sum())
                if dv < -1e-9 or (abs(dv) <= 1e-9 and dc < -1e-6):
                    key = (dv, dc, b)
                    if best is None or key < best:
                        best = key
            if best is None or not _connected_without(members[a], u, graph):
                continue
            b = best[2]
            members[a].discard(u)
            members[b].add(u)
            households[a] -= p
            households[b] += p
            labels[u] = b
            moved += 1
        if not moved:
            break
    return labels


def repair(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
    rounds: int = 3,
) -> np.ndarray:
    """Recombine each grid outside its band with one or two neighbours and re-split them.

    The union of the grids (pinned units excluded from the choice) is cut
    again by spanning-tree bisection into as many grids; the result is kept
    when it lowers the total band violation (ReCom-style repair). Then
    :func:`improve` polishes compactness. Returns new labels.
    """
    labels = labels.copy()
    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    a_upper = graph.adjacency

    def households(lab: int) -> float:
        return float(pop[labels == lab].sum())

    for _ in range(rounds):
        changed = False
        bad = [
            lab for lab, b in sorted(band_of_label.items())
            if lab not in closed_set and (labels == lab).any() and b.violation(households(lab)) > 0
        ]
        for lab in bad:
            band = band_of_label[lab]
            if band.violation(households(lab)) == 0:
                continue
            rows = np.flatnonzero(labels == lab)
            if frozen[rows].any():
                continue
            nbr_rows = np.unique(a_upper[rows].indices)
            nbrs = [
                int(x) for x in np.unique(labels[nbr_rows])
                if x != lab and int(x) not in closed_set
                and group_of[np.flatnonzero(labels == x)[0]] == group_of[rows[0]]
                and not frozen[labels == x].any()
            ]
            options = [[lab, b] for b in nbrs] + [
                [lab, b, c] for i, b in enumerate(nbrs) for c in nbrs[i + 1 :]
            ]
            for combo in options:
                nodes = np.flatnonzero(np.isin(labels, combo))
                before = sum(band_of_label[x].violation(households(x)) for x in combo)
                part = _Partitioner(
                    graph.adjacency[nodes][:, nodes].tocsr(), pop[nodes], graph.area_m2[nodes],
                    graph.x[nodes], graph.y[nodes], np.zeros(len(nodes)), band, rng, trees=12,
                )
                pieces = part.split(np.arange(len(nodes)), len(combo))
                if len(pieces) != len(combo):
                    continue
                after = sum(band.violation(float(pop[nodes[p]].sum())) for p in pieces)
                if after < before - 1e-9:
                    for x, piece in zip(combo, pieces, strict=True):
                        labels[nodes[piece]] = x
                    changed = True
                    break
        if not changed:
            break
    return improve(labels, graph, pop, frozen, band_of_label, rng, closed=closed_set, groups=groups)


def polish(
    labels: np.ndarray,
    graph: UnitGraph,
    pop: np.ndarray,
    frozen: np.ndarray,
    band_of_label: Mapping[int, Band],
    rng: np.random.Generator,
    closed: Iterable[int] = (),
    groups: np.ndarray | None = None,
    rounds: int = 2,
    trees: int = 6,
) -> np.ndarray:
    """Compactness pass: re-split pairs of neighbouring grids where that shortens their border.

    For each pair of neighbouring grids of one band (no frozen units), their
    union is cut again into two by spanning-tree bisection; the new pair is
    kept when both halves are at least as close to the band as before and
    the border between them is shorter (less total grid perimeter, higher
    Polsby-Popper). Returns new labels.
    """
    labels = labels.copy()
    closed_set = {int(c) for c in closed}
    group_of = np.zeros(len(labels), dtype=np.int64) if groups is None else groups
    adj = graph.adjacency.tocoo()
    same = group_of[adj.row] == group_of[adj.col]
    adj = sparse.coo_matrix((adj.data[same], (adj.row[same], adj.col[same])), shape=adj.shape)
    for _ in range(rounds):
        pairs = {
            (int(min(a, b)), int(max(a, b)))
            for a, b in zip(labels[adj.row], labels[adj.col], strict=True)
            if a != b
        }
        frozen_labels = set(labels[frozen].tolist()) | closed_set
        order = sorted(pairs)
        improved = 0
        for k in rng.permutation(len(order)):
            a, b = order[k]
            if a in frozen_labels or b in frozen_labels or band_of_label[a] != band_of_label[b]:
                continue
            nodes = np.flatnonzero((labels == a) | (labels == b))
            if len(nodes) < 3:
                continue
            band = band_of_label[a]
            sub = graph.adjacency[nodes][:, nodes].tocsr()
            side_a = labels[nodes] == a
            old_cut = float(sub[side_a][:, ~side_a].sum())
            if old_cut <= 0:
                continue
            before = [band.violation(pop[nodes][side_a].sum()), band.violation(pop[nodes][~side_a].sum())]
            part = _Partitioner(
                sub, pop[nodes], graph.area_m2[nodes], graph.x[nodes], graph.y[nodes],
                np.zeros(len(nodes)), band, rng, trees=trees,
            )
            pieces = part.split(np.arange(len(nodes)), 2)
            if len(pieces) != 2:
                continue
            new_a = np.zeros(len(nodes), dtype=bool)
            new_a[pieces[0]] = True
            after = sorted(band.violation(pop[nodes][m].sum()) for m in (new_a, ~new_a))
            if after[1] > max(before) or sum(after) > sum(before):
                continue
            new_cut = float(sub[new_a][:, ~new_a].sum())
            if new_cut < old_cut * 0.98:
                # keep the label whose old units overlap most with each new half
                if (new_a & side_a).sum() + (~new_a & ~side_a).sum() < len(nodes) / 2:
                    new_a = ~new_a
                labels[nodes[new_a]] = a
                labels[nodes[~new_a]] = b
                improved += 1
        if not improved:
            break
    return labels


def build_grids(
    units: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    band: Band | None = None,
    bands: Mapping[str, Band] | None = None,
    seed: int = 0,
    locked_grids: Iterable[str] = (),
    locked_units: Iterable[str] = (),
    previous: gpd.GeoDataFrame | None = None,
    restarts: int = 4,
) -> GridPlan:
    """Partition units into contiguous, compact grids holding a band of households.

    Parameters
    ----------
    units
        Indexed by ``unit_id``; columns ``parent_code``, ``households``,
        optional ``population``, optional ``grid`` (current code, for locks
        and stable codes), geometry (any CRS).
    metric_crs
        The area's metric CRS.
    band
        Default household band (300-500).
    bands
        Band per parent code, overriding ``band``.
    seed
        Same units, bands, locks and seed give the same grids.
    locked_grids
        Codes (of ``units["grid"]``) kept exactly as they are.
    locked_units
        Unit ids that stay in their current grid (``units["grid"]``).
    previous
        Earlier grids (``code``, ``parent_code``, geometry): grids whose units
        did not change keep their code.
    restarts
        Partitions tried (seeded from ``seed``) until one is inside the
        band; otherwise the one with the least band violation, then the
        shortest total grid boundary, wins.

    Returns
    -------
    The plan; ``plan.problems`` lists where the band or a lock could not be met.
    """
    band = band or Band()
    bands = dict(bands or {})
    units = units.copy()
    if units.index.has_duplicates:
        dup = units.index[units.index.duplicated()].unique()[:5]
        raise InputError(f"unit ids must be unique; repeated: {', '.join(map(str, dup))}")
    units.index = units.index.astype(str).rename("unit_id")
    if "grid" not in units.columns:
        units["grid"] = None
    if "population" not in units.columns:
        units["population"] = units["households"] * PERSONS_PER_HOUSEHOLD
    units["parent_code"] = units["parent_code"].astype(str)
    current = units["grid"].astype(object).where(units["grid"].notna(), None).to_numpy()
    locked_grids = {str(c) for c in locked_grids}
    locked_ids = {str(u) for u in locked_units}
    unknown = sorted(locked_ids - set(units.index))
    problems: list[str] = []
    if unknown:
        raise InputError(f"locked units not found: {', '.join(unknown[:10])}")
    no_grid = sorted(u for u in locked_ids if current[units.index.get_loc(u)] is None)
    if no_grid:
        raise InputError(
            f"locked units without a current grid cannot stay in it: {', '.join(no_grid[:10])}; "
            "give them a grid first or unlock them"
        )
    graph = unit_graph(units, metric_crs)
    pop = units["households"].fillna(0).to_numpy(dtype=float)
    n = len(units)
    ids = units.index.to_numpy()
    parents = units["parent_code"].to_numpy()
    graph = _bridge_islands(graph, parents, pop, band, bands, ids, problems)
    upper = sparse.triu(graph.adjacency, k=1).tocoo()

    def attempt(rng: np.random.Generator) -> tuple[Any, ...]:
        problems: list[str] = []
        labels = np.full(n, -1, dtype=np.int64)
        label_code: dict[int, str] = {}
        label_band: dict[int, Band] = {}
        frozen = np.zeros(n, dtype=bool)
        next_label = 0
        # locked grids: taken out as they are
        for code in sorted(locked_grids):
            rows = np.flatnonzero(current == code)
            if not len(rows):
                problems.append(f"locked grid {code} has no units; nothing kept")
                continue
            labels[rows] = next_label
            frozen[rows] = True
            label_code[next_label] = code
            label_band[next_label] = bands.get(units["parent_code"].iloc[rows[0]], band)
            next_label += 1
        pinned_code = np.array(
            [current[i] if ids[i] in locked_ids and labels[i] < 0 else None for i in range(n)],
            dtype=object,
        )
        reported: set[int] = set()
        for parent in sorted(set(parents)):
            pband = bands.get(parent, band)
            free = np.flatnonzero((parents == parent) & (labels < 0))
            if not len(free):
                continue
            # units over the max: their own grid
            big = free[pop[free] > pband.max_households]
            for i in big:
                if pinned_code[i] is None:
                    problems.append(
                        f"unit {ids[i]} (parent {parent}) holds {int(pop[i])} households, over the "
                        f"max {pband.max_households}: one unit cannot be split, so it is a grid of "
                        "its own; split the unit (e.g. by building) or raise the max"
                    )
            free_small = np.array([i for i in free if not (pop[i] > pband.max_households and pinned_code[i] is None)], dtype=np.int64)
            for i in free:
                if pop[i] > pband.max_households and pinned_code[i] is None:
                    reported.add(next_label)
                    labels[i] = next_label
                    label_band[next_label] = pband
                    next_label += 1
            if not len(free_small):
                continue
            sub = graph.adjacency[free_small][:, free_small]
            count, comp = connected_components(sub, directed=False)
            for c in range(count):
                nodes = free_small[comp == c]
                # contract pinned units per code
                rep = np.arange(len(nodes))
                seen_code: dict[str, int] = {}
                for j, i in enumerate(nodes):
                    code = pinned_code[i]
                    if code is not None:
                        rep[j] = seen_code.setdefault(code, j)
                uniq, inverse = np.unique(rep, return_inverse=True)
                m = sparse.csr_matrix(
                    (np.ones(len(nodes)), (np.arange(len(nodes)), inverse)), shape=(len(nodes), len(uniq))
                )
                adj = (m.T @ graph.adjacency[nodes][:, nodes] @ m).tocsr()
                adj.setdiag(0)
                adj.eliminate_zeros()
                area = m.T @ graph.area_m2[nodes]
                cx = (m.T @ (graph.area_m2[nodes] * graph.x[nodes])) / np.maximum(area, 1e-9)
                cy = (m.T @ (graph.area_m2[nodes] * graph.y[nodes])) / np.maximum(area, 1e-9)
                cpop = m.T @ pop[nodes]
                cpinned = np.zeros(len(uniq))
                for code, j in seen_code.items():
                    cpinned[np.searchsorted(uniq, j)] = 1
                    del code
                total = float(cpop.sum())
                k = max(choose_count(total, pband), len(seen_code))
                low, high = feasible_counts(total, pband)
                if high < low or (k > high and len(seen_code)):
                    member_ids = ", ".join(map(str, ids[nodes][:12])) + (" ..." if len(nodes) > 12 else "")
                    if total < pband.min_households and count > 1:
                        why = (
                            f"an island of {total:.0f} households under the min "
                            f"{pband.min_households} (no unit of parent {parent} touches it)"
                        )
                    elif total < pband.min_households:
                        why = (
                            f"parent {parent} holds only {total:.0f} households here, under the "
                            f"min {pband.min_households} (grids nest in their parent)"
                        )
                    else:
                        why = f"{total:.0f} households cannot be cut into grids of {pband}"
                    problems.append(
                        f"units {member_ids}: {why}; they form {k} grid(s) out of band; "
                        "join them to a neighbour by hand or widen the band for this parent"
                    )
                part = _Partitioner(adj, cpop, area, cx, cy, cpinned, pband, rng)
                pieces = part.split(np.arange(len(uniq)), k)
                if high < low:
                    reported.update(range(next_label, next_label + len(pieces)))
                for piece in pieces:
                    rows = nodes[np.isin(inverse, piece)]
                    labels[rows] = next_label
                    label_band[next_label] = pband
                    codes_here = {pinned_code[i] for i in rows if pinned_code[i] is not None}
                    if len(codes_here) == 1:
                        label_code[next_label] = codes_here.pop()
                    elif len(codes_here) > 1:
                        problems.append(
                            f"locked units of grids {', '.join(sorted(codes_here))} ended in one grid"
                        )
                    next_label += 1
        frozen |= np.array([i in locked_ids for i in ids])
        _, groups = np.unique(parents, return_inverse=True)
        closed = [lab for lab, code in label_code.items() if code in locked_grids]
        labels = improve(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
        labels = repair(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
        labels = polish(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
        labels = improve(labels, graph, pop, frozen, label_band, rng, closed=closed, groups=groups)
        return labels, label_code, label_band, frozen, problems, reported

    best: tuple[Any, ...] | None = None
    best_key: tuple[float, float] | None = None
    for r in range(max(1, restarts)):
        result = attempt(np.random.default_rng([seed, r]))
        labels, _, label_band, *_ = result
        h = np.bincount(labels, weights=pop)
        viol = sum(b.violation(h[lab]) for lab, b in label_band.items())
        cut = float(upper.data[labels[upper.row] != labels[upper.col]].sum())
        key = (viol, cut)
        if best_key is None or key < best_key:
            best, best_key = result, key
        if viol == 0:
            break
    assert best is not None
    labels, label_code, label_band, frozen, more, reported = best
    problems = problems + more
    units["locked"] = frozen
    # problems left after the search
    for lab, b in sorted(label_band.items()):
        rows = np.flatnonzero(labels == lab)
        h = pop[rows].sum()
        if b.violation(h) > 0 and lab not in reported:
            problems.append(
                f"units {', '.join(map(str, ids[rows][:12]))}{' ...' if len(rows) > 12 else ''} "
                f"form a grid of {h:.0f} households, outside {b}: the neighbouring grids "
                "cannot give or take enough units without breaking their own band"
            )
    units["grid"] = [f"#{lab}" for lab in labels]
    fixed = {f"#{lab}": code for lab, code in label_code.items()}
    plan = GridPlan(
        units=units, grids=gpd.GeoDataFrame(), metric_crs=metric_crs, default_band=band,
        bands=bands, problems=problems,
    )
    return relabel(plan, fixed=fixed, previous=previous)


# --------------------------------------------------------------------------- codes


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
    over union >= 0.99) keeps that code. Others get free 3-digit sequence
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
            if key in codes or code in used:
                continue
            ga, gb = a.geometry.iloc[i], b.geometry.iloc[j]
            union = shapely.union(ga, gb).area
            if union and shapely.intersection(ga, gb).area / union >= 0.99:
                codes[key] = code
                used.add(code)
    for parent, group in order_rows(grids, metric_crs).groupby("parent_code", sort=False):
        seq = 1
        for key in group["key"].astype(str):
            if key in codes:
                continue
            while f"{parent}{seq:03d}" in used:
                seq += 1
            codes[key] = f"{parent}{seq:03d}"
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
    cols = ["code", "name", "parent_code", "households", "population", "area_m2",
            "polsby_popper", "units", "worker", "locked"]
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
    return (4 * np.pi * geoms.area / (perimeter**2)).where(perimeter > 0, 0.0)


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


# --------------------------------------------------------------------------- edits


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
    locked_grids = set(plan.grids.loc[plan.grids["locked"], "code"])
    hit = (set(units.loc[unit_ids, "grid"]) | {to_code}) & locked_grids
    if hit:
        raise InputError(f"grid {', '.join(sorted(hit))} is locked; unlock it first")
    units.loc[unit_ids, "grid"] = to_code
    return _with_units(plan, units)


def split_grid(plan: GridPlan, code: str, seed: int = 0, new_code: str | None = None) -> GridPlan:
    """Split grid ``code`` in two contiguous, compact halves; the northern/western keeps the code."""
    _require_codes(plan, [code])
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
        graph.adjacency, members["households"].to_numpy(dtype=float), graph.area_m2,
        graph.x, graph.y, np.zeros(len(rows)), band, np.random.default_rng(seed),
    )
    pieces = part.split(np.arange(len(rows)), 2)
    if len(pieces) < 2:
        raise InputError(f"grid {code} cannot be split into two contiguous parts")
    a, b = pieces
    ya, yb = graph.y[a].mean(), graph.y[b].mean()
    second = b if (ya, -graph.x[a].mean()) >= (yb, -graph.x[b].mean()) else a
    parent = str(members["parent_code"].iloc[0])
    if new_code is None:
        used = set(units["grid"])
        seq = 1
        while f"{parent}{seq:03d}" in used:
            seq += 1
        new_code = f"{parent}{seq:03d}"
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


def rename_grid(plan: GridPlan, code: str, new_code: str | None = None, name: str | None = None) -> GridPlan:
    """Change a grid's code and/or its name."""
    _require_codes(plan, [code])
    units = plan.units.copy()
    grids = plan.grids.copy()
    if new_code is not None and new_code != code:
        if new_code in set(units["grid"]):
            raise InputError(f"grid code {new_code} is taken; choose another")
        units.loc[units["grid"] == code, "grid"] = new_code
        grids.loc[grids["code"] == code, "code"] = new_code
        code = new_code
    if name is not None:
        grids.loc[grids["code"] == code, "name"] = name
    plan = replace(plan, grids=grids)
    return _with_units(plan, units)


def set_grid(plan: GridPlan, code: str, *, locked: bool | None = None, worker: str | None = None) -> GridPlan:
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


# --------------------------------------------------------------------------- validation


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

    codes = [None if pd.isna(c) or str(c) == "" else str(c) for c in lonlat.get("code", pd.Series([None] * len(lonlat)))]
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code is None:
            problems.append(GridProblem("missing code", None, f"grid #{i + 1} has no code; give it one", *at(geoms[i])))
        elif code in seen:
            problems.append(GridProblem("duplicate code", code, f"code also used by grid #{seen[code] + 1}; make codes unique", *at(geoms[i])))
        else:
            seen[code] = i
    # non-contiguous
    for i, geom in enumerate(geoms):
        parts = [p for p in shapely.get_parts(geom) if p.area > tolerance_m2]
        if len(parts) > 1:
            sizes = ", ".join(f"{p.area:.0f}" for p in sorted(parts, key=lambda p: -p.area))
            problems.append(GridProblem(
                "non-contiguous", codes[i],
                f"{len(parts)} separate pieces ({sizes} m²); join them or give the small pieces to a neighbour",
                *at(sorted(parts, key=lambda p: p.area)[0]),
            ))
    # overlaps
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        inter = shapely.intersection(geoms[i], geoms[j])
        if inter.area > tolerance_m2:
            problems.append(GridProblem(
                "overlap", codes[i],
                f"overlaps grid {codes[j]} by {inter.area:.0f} m²; the area must belong to one grid",
                *at(inter),
            ))
    # outside parent / boundary, gaps
    outline = None
    if boundary is not None and len(boundary):
        outline = shapely.union_all(to_metric(boundary, metric_crs, "boundary").geometry.to_numpy())
    parent_geom: dict[str, shapely.Geometry] = {}
    if parents is not None and len(parents):
        pm = to_metric(parents, metric_crs, "communities")
        parent_geom = {str(c): g for c, g in zip(pm["code"], pm.geometry, strict=True)}
    pcodes = lonlat["parent_code"] if "parent_code" in lonlat.columns else pd.Series([None] * len(lonlat))
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
            problems.append(GridProblem(
                "outside parent", codes[i],
                f"{outside.area:.0f} m² lie outside {what}; trim the grid to its parent",
                *at(outside),
            ))
    if outline is not None:
        gaps = shapely.difference(outline, shapely.union_all(geoms))
        for piece in shapely.get_parts(gaps):
            if piece.area > tolerance_m2:
                near = tree.query_nearest(piece)
                nearby = ", ".join(str(codes[k]) for k in near[:3])
                problems.append(GridProblem(
                    "gap", None,
                    f"{piece.area:.0f} m² belong to no grid (next to {nearby}); give the gap to a grid",
                    *at(piece),
                ))
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
            problems.append(GridProblem("households missing", codes[i], "no household count; count the buildings or set households", *at(geoms[i])))
        elif b.violation(float(h)) > 0:
            side = "under the min" if h < b.min_households else "over the max"
            problems.append(GridProblem(
                "households out of band", codes[i],
                f"{int(h)} households, {side} of {b}; reassign units with a neighbour or split/merge",
                *at(geoms[i]),
            ))
    if require_worker:
        workers = lonlat["worker"] if "worker" in lonlat.columns else pd.Series([None] * len(lonlat))
        for i, w in enumerate(workers):
            if w is None or pd.isna(w) or str(w).strip() == "":
                problems.append(GridProblem("missing worker", codes[i], "no grid worker; assign one", *at(geoms[i])))
    return problems


# --------------------------------------------------------------------------- compare, report


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
    hh = buildings["households"].fillna(0).astype("int64").to_numpy() if len(buildings) else np.zeros(0, dtype=np.int64)
    ids = buildings["id"].astype(str).to_numpy() if "id" in buildings.columns else buildings.index.astype(str).to_numpy()
    moved = [(x, y) != (x, x) for x, y in zip(ga, gb, strict=True)]
    frame = pd.DataFrame({"from_code": ga, "to_code": gb, "households": hh, "id": ids})[moved]
    frame = frame[frame["households"] > 0]
    moves = (
        frame.groupby(["from_code", "to_code"], dropna=False, sort=True)
        .agg(buildings=("id", "size"), households=("households", "sum"), building_ids=("id", list))
        .reset_index()
        if len(frame)
        else pd.DataFrame(columns=["from_code", "to_code", "buildings", "households", "building_ids"])
    )
    def stats(grids: gpd.GeoDataFrame, where: np.ndarray) -> pd.DataFrame:
        if not len(grids):
            return pd.DataFrame(columns=["households", "area_m2"])
        area = to_metric(grids, metric_crs, "grids").geometry.area.to_numpy()
        counts = pd.Series(hh).groupby(pd.Series(where)).sum()
        codes = grids["code"].astype(str)
        return pd.DataFrame({"households": codes.map(counts).fillna(0).astype(int).to_numpy(), "area_m2": area}, index=codes.to_numpy())

    sa, sb = stats(a, ga), stats(b, gb)
    codes = sorted(set(sa.index) | set(sb.index))
    rows = []
    geo_a = dict(zip(a["code"].astype(str), to_metric(a, metric_crs, "grids").geometry, strict=True)) if len(a) else {}
    geo_b = dict(zip(b["code"].astype(str), to_metric(b, metric_crs, "grids").geometry, strict=True)) if len(b) else {}
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
        elif gained or lost or shapely.symmetric_difference(geo_a[code], geo_b[code]).area > TOLERANCE_M2:
            status = "changed"
        else:
            status = "unchanged"
        rows.append({"code": code, "status": status, "households_a": ha, "households_b": hb,
                     "households_delta": hb - ha, "area_m2_a": round(aa, 1), "area_m2_b": round(ab, 1),
                     "area_delta_m2": round(ab - aa, 1), "gained": gained, "lost": lost})
    return GridDiff(moves=moves, per_grid=pd.DataFrame(rows))


def grid_report(
    grids: gpd.GeoDataFrame, metric_crs: str, persons_per_household: float = PERSONS_PER_HOUSEHOLD
) -> pd.DataFrame:
    """Per-grid table: code, name, parent_code, households, population, area_m2, polsby_popper, neighbours, worker."""
    if not len(grids):
        return pd.DataFrame(columns=["code", "name", "parent_code", "households", "population", "area_m2", "polsby_popper", "neighbours", "worker"])
    metric = to_metric(grids, metric_crs, "grids").reset_index(drop=True)
    geoms = metric.geometry.to_numpy()
    codes = metric["code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    neighbours: dict[int, list[str]] = {i: [] for i in range(len(geoms))}
    for i, j in zip(left, right, strict=True):
        if i != j and shapely.length(shapely.intersection(geoms[i].boundary, geoms[j].boundary)) >= MIN_SHARED_M:
            neighbours[int(i)].append(str(codes[j]))
    hh = metric["households"] if "households" in metric.columns else pd.Series([0] * len(metric))
    pop = metric["population"] if "population" in metric.columns else hh * persons_per_household

    def col(name: str) -> list[object]:
        if name not in metric.columns:
            return [None] * len(metric)
        return [None if pd.isna(v) else v for v in metric[name]]

    return pd.DataFrame({
        "code": codes,
        "name": col("name"),
        "parent_code": col("parent_code"),
        "households": hh.astype("Int64").to_numpy(),
        "population": pd.Series(pop).astype(float).round(1).to_numpy(),
        "area_m2": metric.geometry.area.round(1).to_numpy(),
        "polsby_popper": polsby_popper(metric.geometry).round(4).to_numpy(),
        "neighbours": [";".join(sorted(neighbours[i])) for i in range(len(geoms))],
        "worker": col("worker"),
    })


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
    plan = GridPlan(units=units, grids=grids, metric_crs=metric_crs, default_band=band or Band(), bands=dict(bands or {}))
    return _with_units(plan, units)


def synthetic_units(
    n_blocks: int = 10_000,
    seed: int = 0,
    *,
    block_m: float = 80.0,
    metric_crs: str = "EPSG:32650",
    origin: tuple[float, float] = (440_000.0, 4_428_000.0),
    parents: int = 1,
) -> gpd.GeoDataFrame:
    """A SYNTHETIC city of about ``n_blocks`` street blocks (seeded), for tests and benchmarks.

    Blocks are the Voronoi cells of a jittered square lattice (``block_m``
    apart) clipped to the city square; about a quarter hold no households
    (parks, schools), the rest a skewed count (median about 45). With
    ``parents`` > 1 the city is cut into vertical strips, one per parent
    (codes ``000000001001``, ...). Returns units in EPSG:4326 indexed by
    ``unit_id`` with parent_code, households, population.
    """
    rng = np.random.default_rng(seed)
    side = max(1, round(math.sqrt(n_blocks)))
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = origin[0] + (gx.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * block_m
    y = origin[1] + (gy.ravel() + 0.5 + rng.uniform(-0.35, 0.35, side * side)) * block_m
    square = shapely.box(origin[0], origin[1], origin[0] + side * block_m, origin[1] + side * block_m)
    points = shapely.points(x, y)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=square))
    tree = shapely.STRtree(cells)
    idx = tree.query(points, predicate="within")
    order = np.empty(len(points), dtype=np.int64)
    order[idx[0]] = idx[1]
    geoms = shapely.intersection(cells[order], square)
    households = np.where(
        rng.random(len(points)) < 0.25, 0, np.round(rng.lognormal(np.log(45), 0.6, len(points)))
    ).astype(np.int64)
    households = np.minimum(households, 400)
    strip = np.minimum((gx.ravel() * parents) // side, parents - 1)
    codes = [f"000000001{int(s) + 1:03d}" for s in strip]
    units = gpd.GeoDataFrame(
        {
            "parent_code": codes,
            "households": households,
            "population": np.round(households * PERSONS_PER_HOUSEHOLD, 1),
        },
        geometry=list(geoms),
        index=pd.Index([f"s{i + 1:05d}" for i in range(len(points))], name="unit_id"),
        crs=metric_crs,
    )
    return snap(to_wgs84(units, "synthetic units"))
