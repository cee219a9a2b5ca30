"""Micro-grids (微网格): each grid cut into contiguous groups of buildings.

Inside every grid each building gets its Voronoi cell (clipped to the grid);
buildings at the same spot share one. Cells sharing a boundary are
neighbours, so a micro-grid is a group of buildings next to each other.
The cells of all grids are partitioned at once by
:func:`~geogrid.grids.partition.build_grids` with the grid code as parent and
the micro band (10-15 households by default): pieces are contiguous by
construction and never cross a grid. A building holding more households than
the band max is a micro-grid of its own; when the register lists its
entrances (单元) it is cut into runs of entrances inside the band (the cell
sliced across the building's long axis, entrance 1 at its west/south end),
else it is reported: split by entrance or floor by hand.

Codes are the grid code + 3 digits (north to south, west to east); a
micro-grid whose outline did not change keeps its code and its ``leader``
(the responsible person). :func:`check_micro_grids` is the independent
check: codes unique and prefixed by their grid's, one piece each, inside
their grid, no gaps or overlaps, households in the band, every household in
exactly one micro-grid.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84, to_metric, to_wgs84
from geogrid.errors import InputError
from geogrid.grids.checks import GridProblem, validate_grids
from geogrid.grids.codes import assign_codes
from geogrid.grids.model import Band
from geogrid.grids.partition import build_grids
from geogrid.grids.units import _building_units, snap

#: Default household band of a micro-grid (city guidance: 10-15 households, 一个楼门/楼栋).
DEFAULT_MICRO_BAND = Band(10, 15)
#: Columns of the micro-grids layer, in order (before geometry).
COLUMNS = (
    "code",
    "grid_code",
    "name",
    "households",
    "buildings",
    "entrances",
    "leader",
    "split_by_hand",
)
#: Buildings whose representative points are closer than this share one cell (metres).
SAME_SPOT_M = 0.5
#: Problem kind of a micro-grid that is one address (building, or one entrance of it) holding
#: more households than the band: no reassignment can fix it, the register must split it.
ADDRESS_OVER_BAND = "address over band"
#: What to do about each kind of micro-grid problem, for summaries (kind -> advice).
ADVICE: dict[str, str] = {
    ADDRESS_OVER_BAND: "one address alone holds more households than the band: moving "
    "buildings cannot fix it; split it by entrance/unit (单元) in the register (geogrid grids "
    "micro --entrances FILE) or keep it as a micro-grid of its own with more than one "
    "responsible person",
    "households out of band": "several addresses together: move buildings to or from a "
    "neighbouring micro-grid (by hand, or again with another --seed)",
    "non-contiguous": "join the pieces or give the small ones to a neighbouring micro-grid",
}


@dataclass
class MicroPlan:
    """Micro-grids of an area and what could not be met.

    ``micro_grids``: one row per micro-grid (:data:`COLUMNS`, EPSG:4326);
    ``buildings`` are the building ids it holds (``;``-joined), ``entrances``
    ``<building>:<entrance>`` pairs when a building is split by entrance.
    ``problems``: buildings to split by hand, grids outside the band.
    """

    micro_grids: gpd.GeoDataFrame
    problems: list[str] = field(default_factory=list)

    def counts(self) -> pd.Series:
        """Micro-grids per grid code."""
        sizes: pd.Series = self.micro_grids.groupby("grid_code").size()
        return sizes


@dataclass(frozen=True)
class _Piece:
    grid: str
    geometry: shapely.Geometry  # metric
    households: int
    buildings: tuple[str, ...]
    entrances: tuple[str, ...] = ()
    by_hand: bool = False


def _natural(text: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(text)) if p)


def entrance_table(table: pd.DataFrame, where: str = "entrances") -> pd.DataFrame:
    """Check an entrance register (``building_id``, ``entrance``, ``households``), all problems
    at once.

    Chinese headers are accepted: 楼栋编号/楼栋, 单元/楼门, 户数. The table's index is the
    row number named in messages (:func:`geogrid.io.sheets.read_sheet` numbers rows as the
    file shows them).
    """
    names = {
        "楼栋编号": "building_id",
        "楼栋": "building_id",
        "building": "building_id",
        "单元": "entrance",
        "楼门": "entrance",
        "户数": "households",
    }
    table = table.rename(
        columns={c: names.get(str(c).strip(), str(c).strip()) for c in table.columns}
    )
    missing = [c for c in ("building_id", "entrance", "households") if c not in table.columns]
    if missing:
        raise InputError(
            f"{where}: needs columns building_id, entrance, households (or 楼栋编号, 单元, 户数); "
            f"missing {', '.join(missing)}"
        )
    problems = []
    hh = pd.to_numeric(table["households"], errors="coerce")
    for row, b, e, h, raw in zip(
        table.index, table["building_id"], table["entrance"], hh, table["households"], strict=True
    ):
        if pd.isna(b) or str(b).strip() == "" or pd.isna(e) or str(e).strip() == "":
            problems.append(f"{where} row {row}: building_id and entrance are required")
        elif pd.isna(h) or h < 0 or h != int(h):
            problems.append(f"{where} row {row}: households {raw!r} must be a whole number >= 0")
    out = pd.DataFrame(
        {
            "building_id": table["building_id"].astype(str).str.strip(),
            "entrance": table["entrance"].astype(str).str.strip(),
            "households": hh,
        },
        index=table.index,
    )
    dup = out.duplicated(["building_id", "entrance"], keep="first")
    problems += [
        f"{where} row {r}: building {b} entrance {e} is listed twice"
        for r, b, e in zip(
            out.index[dup], out["building_id"][dup], out["entrance"][dup], strict=True
        )
    ]
    if problems:
        raise InputError(f"{where}: {len(problems)} bad rows; fix them and try again", problems)
    out["households"] = out["households"].astype("int64")
    return out


def build_micro_grids(
    grids: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    band: Band = DEFAULT_MICRO_BAND,
    entrances: pd.DataFrame | None = None,
    previous: gpd.GeoDataFrame | None = None,
    seed: int = 0,
    restarts: int = 2,
) -> MicroPlan:
    """Cut every grid into contiguous micro-grids of buildings holding ``band`` households.

    Parameters
    ----------
    grids
        The grids layer (``code``, geometry), any CRS.
    buildings
        Buildings with ``id`` and ``households``, any CRS; each counts in the
        grid holding its representative point.
    metric_crs
        The area's metric CRS.
    band
        Households per micro-grid (10-15 by default).
    entrances
        Optional register by entrance (:func:`entrance_table`): buildings over
        the max are cut into runs of their entrances.
    previous
        Earlier micro-grids: an unchanged outline keeps its code and leader.
    seed
        Same input and seed give the same micro-grids.
    """
    if not len(grids):
        raise InputError("the area has no grids yet; draw them first (geogrid grids build)")
    if "code" not in grids.columns:
        raise InputError("grids need a 'code' to number their micro-grids")
    if len(buildings) and "id" not in buildings.columns:
        raise InputError("buildings need an 'id' column to be grouped into micro-grids")
    grid_metric = to_metric(grids, metric_crs, "grids").reset_index(drop=True)
    codes = grid_metric["code"].astype(str).to_numpy()
    by_entrance = _entrances_by_building(entrances)
    names = _building_names(buildings)
    problems: list[str] = []
    pieces: list[_Piece] = []
    cells: list[_Piece] = []
    if len(buildings):
        which = _building_units(grid_metric, buildings, metric_crs)
        points = shapely.point_on_surface(
            to_metric(buildings, metric_crs, "buildings").geometry.to_numpy()
        )
        ids = buildings["id"].astype(str).to_numpy()
        hh = (
            buildings["households"].fillna(0).astype("int64").to_numpy()
            if "households" in buildings
            else np.zeros(len(buildings), dtype=np.int64)
        )
    for g, code in enumerate(codes):
        outline = grid_metric.geometry.iloc[g]
        if not len(buildings) or not (which == g).any():
            cells.append(_Piece(code, outline, 0, ()))
            continue
        inside = np.flatnonzero(which == g)
        for cell in _cells(outline, points[inside], ids[inside], hh[inside], code):
            if cell.households > band.max_households:
                split, notes = _split_big(cell, by_entrance=by_entrance, band=band, names=names)
                pieces += split
                problems += notes
            else:
                cells.append(cell)
    pieces += _partition(cells, band, metric_crs, seed, restarts, problems)
    frame = _frame(pieces, metric_crs, previous)
    return MicroPlan(frame, problems)


def _building_names(buildings: gpd.GeoDataFrame) -> dict[str, str]:
    """Building id -> its address (``name`` or ``address`` column) where it has one."""
    for column in ("name", "address"):
        if len(buildings) and column in buildings.columns and "id" in buildings.columns:
            named = buildings[buildings[column].notna()]
            return dict(zip(named["id"].astype(str), named[column].astype(str), strict=True))
    return {}


def _address(building: str, names: Mapping[str, str]) -> str:
    """``address 上海市…9号 (building B1)``, or ``building B1`` when it has no name."""
    name = names.get(building, "").strip()
    return f"address {name} (building {building})" if name else f"building {building}"


def _entrances_by_building(entrances: pd.DataFrame | None) -> dict[str, list[tuple[str, int]]]:
    if entrances is None or not len(entrances):
        return {}
    out: dict[str, list[tuple[str, int]]] = {}
    for b, e, h in zip(
        entrances["building_id"].astype(str),
        entrances["entrance"].astype(str),
        entrances["households"].astype(int),
        strict=True,
    ):
        out.setdefault(b, []).append((e, int(h)))
    return {b: sorted(rows, key=lambda r: _natural(r[0])) for b, rows in out.items()}


def _cells(
    outline: shapely.Geometry, points: np.ndarray, ids: np.ndarray, hh: np.ndarray, code: str
) -> list[_Piece]:
    """One cell per spot of buildings inside ``outline`` (Voronoi, clipped)."""
    xy = shapely.get_coordinates(points)
    key = np.round(xy / SAME_SPOT_M).astype(np.int64)
    _, spot = np.unique(key, axis=0, return_inverse=True)
    spot = spot.ravel()
    first = [int(np.flatnonzero(spot == s)[0]) for s in range(int(spot.max()) + 1)]
    seeds = points[first]
    if len(seeds) == 1:
        geoms = [outline]
    else:
        raw = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline)
        )
        tree = shapely.STRtree(raw)
        left, right = tree.query(seeds, predicate="intersects")
        cell_of: dict[int, int] = {}
        for i, j in zip(left, right, strict=True):
            cell_of.setdefault(int(i), int(j))
        geoms = [shapely.intersection(raw[cell_of[s]], outline) for s in range(len(seeds))]
    out = []
    for s, geom in enumerate(geoms):
        members = np.flatnonzero(spot == s)
        out.append(_Piece(code, geom, int(hh[members].sum()), tuple(str(i) for i in ids[members])))
    return out


def _runs(rows: Sequence[tuple[str, int]], band: Band) -> list[list[tuple[str, int]]]:
    """Consecutive entrances grouped so that each run stays under the max where it can."""
    runs: list[list[tuple[str, int]]] = []
    for row in rows:
        if runs and sum(h for _, h in runs[-1]) + row[1] <= band.max_households:
            runs[-1].append(row)
        else:
            runs.append([row])
    if len(runs) > 1 and sum(h for _, h in runs[-1]) < band.min_households:
        joined = runs[-2] + runs[-1]
        if sum(h for _, h in joined) <= band.max_households:
            runs[-2:] = [joined]
    return runs


def _split_big(
    cell: _Piece,
    *,
    by_entrance: Mapping[str, list[tuple[str, int]]],
    band: Band,
    names: Mapping[str, str] | None = None,
) -> tuple[list[_Piece], list[str]]:
    """A cell over the max: by entrance when the register has them, else for the planner."""
    names = names or {}
    if len(cell.buildings) != 1 or cell.buildings[0] not in by_entrance:
        what = "; ".join(_address(b, names) for b in cell.buildings)
        alone = "alone " if len(cell.buildings) == 1 else "(at one spot) "
        return [replace(cell, by_hand=True)], [
            f"grid {cell.grid}: {what} {alone}holds {cell.households} households, over the "
            f"micro-grid band {band}; it is a micro-grid of its own: split by entrance/floor by "
            "hand: give its entrances/units (单元) in the register (--entrances FILE) or keep "
            "it as a micro-grid with more than one responsible person"
        ]
    building = cell.buildings[0]
    rows = by_entrance[building]
    notes = []
    total = sum(h for _, h in rows)
    if total != cell.households:
        notes.append(
            f"grid {cell.grid}: building {building}: its entrances hold {total} households, the "
            f"building {cell.households}; the entrances' figures are used"
        )
    runs = _runs(rows, band)
    slices = _slices(cell.geometry, [sum(h for _, h in run) for run in runs])
    out = []
    for run, geom in zip(runs, slices, strict=True):
        households = sum(h for _, h in run)
        by_hand = households > band.max_households
        if by_hand:
            notes.append(
                f"grid {cell.grid}: building {building} entrance {run[0][0]} holds {households} "
                f"households, over the max {band.max_households}; split it by floor by hand"
            )
        out.append(
            _Piece(
                cell.grid,
                geom,
                households,
                (building,),
                tuple(f"{building}:{e}" for e, _ in run),
                by_hand,
            )
        )
    return out, notes


def _slices(geom: shapely.Geometry, weights: Sequence[int]) -> list[shapely.Geometry]:
    """``geom`` cut across its long axis into strips whose widths follow ``weights``."""
    if len(weights) == 1:
        return [geom]
    rect = shapely.minimum_rotated_rectangle(geom)
    corners = shapely.get_coordinates(rect)[:4]
    edges = [corners[1] - corners[0], corners[2] - corners[1]]
    axis = max(edges, key=lambda v: float(np.hypot(*v)))
    u = axis / max(float(np.hypot(*axis)), 1e-9)
    if u[0] < 0 or (abs(u[0]) < 1e-9 and u[1] < 0):  # entrance 1 at the west (or south) end
        u = -u
    v = np.array([-u[1], u[0]])
    centre = np.asarray(shapely.get_coordinates(shapely.centroid(geom))[0])
    xy = shapely.get_coordinates(geom) - centre
    along = xy @ u
    lo, hi = float(along.min()), float(along.max())
    big = (hi - lo) + float(np.abs(xy @ v).max()) * 4 + 10.0
    total = float(sum(weights)) or float(len(weights))
    share = np.cumsum([w if sum(weights) else 1 for w in weights]) / total
    cuts = [lo - big, *(lo + (hi - lo) * s for s in share[:-1]), hi + big]
    out = []
    for a, b in itertools.pairwise(cuts):
        strip = shapely.Polygon(
            [
                centre + a * u - big * v,
                centre + b * u - big * v,
                centre + b * u + big * v,
                centre + a * u + big * v,
            ]
        )
        out.append(shapely.intersection(geom, strip))
    return out


def _partition(
    cells: list[_Piece], band: Band, metric_crs: str, seed: int, restarts: int, problems: list[str]
) -> list[_Piece]:
    """Group the cells of every grid into contiguous micro-grids inside the band."""
    if not cells:
        return []
    units = gpd.GeoDataFrame(
        {"parent_code": [c.grid for c in cells], "households": [c.households for c in cells]},
        geometry=[c.geometry for c in cells],
        index=pd.Index([f"c{i:06d}" for i in range(len(cells))], name="unit_id"),
        crs=metric_crs,
    )
    plan = build_grids(units, metric_crs, band=band, seed=seed, restarts=restarts)
    problems += [p.replace("units c", "building cells c") for p in plan.problems]
    out = []
    position = {u: i for i, u in enumerate(units.index)}
    for _, group in plan.units.groupby("grid", sort=True):
        members = [cells[position[u]] for u in group.index]
        geom = shapely.union_all([m.geometry for m in members])
        out.append(
            _Piece(
                members[0].grid,
                geom,
                int(sum(m.households for m in members)),
                tuple(b for m in members for b in m.buildings),
            )
        )
    return out


def _frame(
    pieces: list[_Piece], metric_crs: str, previous: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Pieces -> the micro-grids layer with final codes (stable against ``previous``)."""
    draft = gpd.GeoDataFrame(
        {
            "key": [f"k{i}" for i in range(len(pieces))],
            "parent_code": [p.grid for p in pieces],
        },
        geometry=[p.geometry for p in pieces],
        crs=metric_crs,
    )
    prev = None
    if previous is not None and len(previous) and "code" in previous.columns:
        prev = (
            previous.assign(parent_code=previous["grid_code"].astype(str))
            if "grid_code" in previous
            else None
        )
    codes = assign_codes(draft, previous=prev, metric_crs=metric_crs)
    leaders: dict[str, object] = {}
    names: dict[str, object] = {}
    if prev is not None:
        for col, into in (("leader", leaders), ("name", names)):
            if col in prev.columns:
                into.update(
                    {
                        str(c): v
                        for c, v in zip(prev["code"], prev[col], strict=True)
                        if v is not None and not pd.isna(v)
                    }
                )
    rows = []
    for key, piece in zip(draft["key"], pieces, strict=True):
        code = codes[str(key)]
        rows.append(
            {
                "code": code,
                "grid_code": piece.grid,
                "name": names.get(code),
                "households": piece.households,
                "buildings": ";".join(piece.buildings) or None,
                "entrances": ";".join(piece.entrances) or None,
                "leader": leaders.get(code),
                "split_by_hand": piece.by_hand,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry=[p.geometry for p in pieces], crs=metric_crs)
    frame = snap(to_wgs84(frame, "micro-grids"))
    return frame.sort_values("code", kind="stable").reset_index(drop=True)[[*COLUMNS, "geometry"]]


def empty_micro_grids() -> gpd.GeoDataFrame:
    """A micro-grids layer with no rows."""
    return gpd.GeoDataFrame({c: [] for c in COLUMNS}, geometry=gpd.GeoSeries([], crs=WGS84))


# --------------------------------------------------------------------------- checks


def check_micro_grids(
    micro_grids: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    band: Band = DEFAULT_MICRO_BAND,
    require_leader: bool = False,
) -> list[GridProblem]:
    """Every problem of a micro-grids layer, checked from scratch against grids and buildings.

    Checks: code missing, repeated or not its grid's code + 3 digits; grid
    code unknown; pieces, overlaps, gaps in a grid, area outside its grid
    (as :func:`~geogrid.grids.checks.validate_grids` with the grids as
    parents); households outside the band (``split_by_hand`` ones included:
    they still need the planner); every building with households in exactly
    one micro-grid, in the micro-grid of its own grid, with the listed
    households adding up (entrance splits: each entrance once); missing
    leader when ``require_leader``.
    """
    if not len(micro_grids):
        return validate_grids(micro_grids, metric_crs, boundary=grids, require_worker=False)
    micro = to_wgs84(micro_grids, "micro-grids").reset_index(drop=True)
    frame = micro.assign(parent_code=micro["grid_code"].astype(str))
    parents = to_wgs84(grids, "grids")[["code", "geometry"]]
    problems = validate_grids(
        frame,
        metric_crs,
        boundary=grids,
        parents=parents,
        band=band,
        require_worker=False,
    )
    centre = shapely.point_on_surface(micro.geometry.to_numpy())
    alone = _single_addresses_over_band(micro, band, _building_names(buildings))
    problems = [
        GridProblem(ADDRESS_OVER_BAND, p.code, alone[str(p.code)], p.lon, p.lat)
        if p.kind == "households out of band" and str(p.code) in alone
        else p
        for p in problems
    ]

    def add(kind: str, code: str | None, message: str, i: int) -> None:
        problems.append(GridProblem(kind, code, message, float(centre[i].x), float(centre[i].y)))

    grid_codes = set(grids["code"].astype(str))
    for i, (code, gcode) in enumerate(
        zip(micro["code"].astype(str), micro["grid_code"].astype(str), strict=True)
    ):
        if gcode not in grid_codes:
            add("unknown grid", code, f"grid code {gcode} is no grid of the area", i)
        tail = code[len(gcode) :]
        if not code.startswith(gcode) or len(tail) != 3 or not tail.isdigit():
            add("bad code", code, f"a micro-grid code is its grid's code {gcode} + 3 digits", i)
        if require_leader:
            leader = micro["leader"].iloc[i] if "leader" in micro.columns else None
            if leader is None or pd.isna(leader) or not str(leader).strip():
                add("missing leader", code, "no responsible person (leader); assign one", i)
    if not len(buildings):
        return problems
    hh = dict(
        zip(
            buildings["id"].astype(str),
            buildings["households"].fillna(0).astype("int64"),
            strict=True,
        )
    )
    where = _building_units(to_wgs84(grids, "grids").reset_index(drop=True), buildings, metric_crs)
    grid_of = dict(
        zip(buildings["id"].astype(str), grids["code"].astype(str).to_numpy()[where], strict=True)
    )
    holders: dict[str, list[int]] = {}
    entrance_holders: dict[str, list[tuple[int, str]]] = {}
    for i, row in enumerate(micro.itertuples(index=False)):
        listed = _split(getattr(row, "buildings", None))
        ents = _split(getattr(row, "entrances", None))
        split_buildings = {e.split(":", 1)[0] for e in ents}
        total = 0
        for b in listed:
            if b not in hh:
                add(
                    "unknown building",
                    str(row.code),
                    f"building {b} is not in the buildings layer",
                    i,
                )
                continue
            if b in split_buildings:
                continue
            holders.setdefault(b, []).append(i)
            total += int(hh[b])
            if grid_of.get(b) != str(row.grid_code):
                add(
                    "building in another grid",
                    str(row.code),
                    f"building {b} lies in grid {grid_of.get(b)}, not {row.grid_code}",
                    i,
                )
        for e in ents:
            entrance_holders.setdefault(e, []).append((i, str(row.code)))
            holders.setdefault(e.split(":", 1)[0], [])
        if not ents and total != int(row.households):
            add(
                "households mismatch",
                str(row.code),
                f"households {row.households} but its buildings hold {total}; recount",
                i,
            )
    for b, n in hh.items():
        if n <= 0:
            continue
        held = holders.get(b)
        is_split = any(e.split(":", 1)[0] == b for e in entrance_holders)
        if held is None:
            problems.append(
                GridProblem(
                    "household unplaced",
                    None,
                    f"building {b} ({n} households) is in no micro-grid",
                    *_lonlat(buildings, b),
                )
            )
        elif len(held) > 1 and not is_split:
            codes = ", ".join(str(micro["code"].iloc[i]) for i in held)
            problems.append(
                GridProblem(
                    "household repeated",
                    None,
                    f"building {b} ({n} households) is in micro-grids {codes}",
                    *_lonlat(buildings, b),
                )
            )
    for e, held2 in entrance_holders.items():
        if len(held2) > 1:
            codes = ", ".join(c for _, c in held2)
            add(
                "household repeated",
                held2[0][1],
                f"entrance {e} is in micro-grids {codes}",
                held2[0][0],
            )
    return problems


def _single_addresses_over_band(
    micro: gpd.GeoDataFrame, band: Band, names: Mapping[str, str]
) -> dict[str, str]:
    """Micro-grid code -> the problem's message, for micro-grids over the band that are one
    building (or one entrance of one) alone: only the register can split those."""
    out: dict[str, str] = {}
    if "buildings" not in micro.columns or "households" not in micro.columns:
        return out
    ents_of = micro["entrances"] if "entrances" in micro.columns else [None] * len(micro)
    for code, listed_value, ents_value, households in zip(
        micro["code"].astype(str), micro["buildings"], ents_of, micro["households"], strict=True
    ):
        listed, ents = _split(listed_value), _split(ents_value)
        if len(listed) != 1 or len(ents) > 1 or pd.isna(households):
            continue
        n = int(households)
        if n <= band.max_households:
            continue
        where = _address(listed[0], names)
        if ents:
            where = f"entrance/unit {ents[0].split(':', 1)[-1]} of {where}"
        out[code] = f"{where} alone holds {n} households, over the micro-grid band {band}: " + (
            "split it by floor in the register or keep it as a micro-grid of its own with more "
            "than one responsible person"
            if ents
            else "split it by entrance/unit (单元) in the register (geogrid grids micro "
            "--entrances FILE) or keep it as a micro-grid of its own with more than one "
            "responsible person"
        )
    return out


def summarize_problems(problems: Sequence[GridProblem], *, examples: int = 3) -> list[str]:
    """Problems counted by kind, largest kind first, each with its advice (:data:`ADVICE`) and
    up to ``examples`` of them (addresses over the band: the largest first)."""
    by_kind: dict[str, list[GridProblem]] = {}
    for p in problems:
        by_kind.setdefault(p.kind, []).append(p)
    out: list[str] = []
    for kind, found in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        advice = ADVICE.get(kind)
        out.append(f"{kind}: {len(found)}" + (f" ({advice})" if advice else ""))
        if kind == ADDRESS_OVER_BAND:
            found = sorted(found, key=lambda p: -_households_in(p.message))
        out += [f"  {p}" for p in found[:examples]]
        if len(found) > examples:
            out.append(f"  ... and {len(found) - examples} more")
    return out


def _households_in(message: str) -> int:
    found = re.search(r"holds (\d+) households", message)
    return int(found.group(1)) if found else 0


def _split(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip():
        return []
    return [p for p in str(value).split(";") if p]


def _lonlat(buildings: gpd.GeoDataFrame, building_id: str) -> tuple[float, float]:
    rows = buildings[buildings["id"].astype(str) == building_id]
    point = shapely.point_on_surface(to_wgs84(rows, "buildings").geometry.iloc[0])
    return float(point.x), float(point.y)


def micro_counts(grids: gpd.GeoDataFrame, micro_grids: gpd.GeoDataFrame | None) -> list[int]:
    """Micro-grids per grid, in the order of ``grids`` (0 where none)."""
    if micro_grids is None or not len(micro_grids):
        return [0] * len(grids)
    counts = micro_grids.groupby(micro_grids["grid_code"].astype(str)).size()
    return [int(counts.get(str(c), 0)) for c in grids["code"]]


__all__ = [
    "COLUMNS",
    "DEFAULT_MICRO_BAND",
    "MicroPlan",
    "build_micro_grids",
    "check_micro_grids",
    "empty_micro_grids",
    "entrance_table",
    "micro_counts",
]
