"""An office's own registers and rosters, the import step: mapped rows become layers.

One mapping style for every file an office keeps (see ``data/mappings/``):
:class:`ImportMapping` says which column is what, which coordinate system the
coordinates are in (stated, never guessed) and how the file is read.
:func:`points_from_table` turns rows into WGS-84 points and splits off the
rows that cannot be used (:data:`REJECT_REASONS`, one per row with its row
number); :func:`detect_offset` notices a whole file in the wrong Chinese
system (GCJ-02 read as WGS-84 sits a few hundred metres off the area's
streets and buildings). Then one function per kind of file:

* :func:`households_to_buildings`: register rows (标准地址, 户数) summed
  into the buildings they lie in or name (``households_source="register"``);
  :func:`point_units` for rows that match no building;
* :func:`places_from_rows`: key places (schools, police posts, cameras ...);
* :func:`teams_from_rows`: teams and their members, the base by coordinates
  or by the name of a key place;
* :func:`communities_from_rows`: parents of the grids (社区, or 街道 with
  their 9-digit code padded to 12).

Frames in, frames out; no file is read here (see :mod:`geogrid.io.sheets`,
:mod:`geogrid.io.vectors` and :mod:`geogrid.services.imports`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid import crs
from geogrid.crs import WGS84, lonlat_from_system, to_metric
from geogrid.errors import CRSError, InputError

#: The kinds of file one mapping can describe, and the fields each maps.
FIELDS: dict[str, tuple[str, ...]] = {
    "households": ("id", "building_id", "x", "y", "households", "address", "name"),
    "grids": ("code", "name", "worker", "parent_code", "households"),
    "places": ("id", "name", "kind", "x", "y", "address", "phone", "opening_hours"),
    "teams": (
        "id",
        "name",
        "member",
        "role",
        "leader",
        "mode",
        "size",
        "phone",
        "shift_start",
        "shift_end",
        "speed_kmh",
        "x",
        "y",
        "base",
    ),
    "communities": ("code", "name"),
    "staff": ("id", "name", "role", "phone", "x", "y", "community", "capacity", "current_grid"),
}

#: Reasons a row is rejected, in the order they are checked (one reason per row).
REJECT_REASONS: dict[str, str] = {
    "missing_id": "the id column is empty",
    "missing_coordinates": "no coordinates (empty, not a number, or 0,0)",
    "out_of_range": "coordinates outside longitude -180..180 / latitude -90..90",
    "swapped_coordinates": "latitude and longitude look swapped",
    "outside_area": "the point lies outside the area",
    "duplicate_id": "another row of the file has the same id",
    "bad_value": "a value cannot be read (number, time, mode)",
    "no_building": "no building at the point or with the id",
    "unknown_base": "the team's base names no key place",
    "no_geometry": "the feature has no usable geometry",
}

_SYSTEM_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02 (Amap/Tencent)", "bd09": "BD-09 (Baidu)"}
_MODES = {
    "walk": "walk",
    "步行": "walk",
    "bike": "bike",
    "骑行": "bike",
    "电动车": "bike",
    "自行车": "bike",
    "drive": "drive",
    "车巡": "drive",
    "驾车": "drive",
    "汽车": "drive",
}
_LEADER = re.compile(r"队长|组长|负责人|leader", re.IGNORECASE)
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3])[:：]([0-5][0-9])")


@dataclass(frozen=True)
class ImportMapping:
    """How to read one of an office's files (usually a TOML mapping file).

    Attributes
    ----------
    name
        Short source name; prefix of generated ids and the ``source`` value.
    kind
        What the file holds: a key of :data:`FIELDS`.
    columns
        Field -> source column (see :data:`FIELDS`).
    coordinates
        ``wgs84``, ``gcj02``, ``bd09`` or an EPSG code (``EPSG:4490``,
        Gauss-Kruger ``EPSG:4549``); required for x/y columns, and for
        vector files that state no CRS.
    constants
        Field -> fixed value (``kind = "school"``, ``mode = "walk"``).
    sheet, encoding, header_rows, skip_rows, delimiter, layer
        How the IO layer reads the file (:class:`geogrid.io.sheets.SheetOptions`;
        ``layer`` for GeoPackages and zips).
    match_m
        Households: a point this close to a building (metres) counts in it.
    offset_check
        Check that lon/lat points fit the area's streets and buildings
        (:func:`detect_offset`); turn off only for files known to be right.
    """

    name: str
    kind: str
    columns: Mapping[str, str]
    coordinates: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)
    sheet: str | int | None = None
    encoding: str = "auto"
    header_rows: int | str = "auto"
    skip_rows: int | str = "auto"
    delimiter: str | None = None
    layer: str | None = None
    match_m: float = 10.0
    offset_check: bool = True

    @property
    def has_xy(self) -> bool:
        return "x" in self.columns and "y" in self.columns


def mapping_from_dict(data: Mapping[str, Any], kind: str, where: str = "mapping") -> ImportMapping:
    """Build and check an :class:`ImportMapping` of ``kind`` from a parsed mapping file.

    The file has a top-level ``name`` (and optionally ``kind``, which must
    match), a ``[source]`` table, a ``[columns]`` table and optionally
    ``[constants]``. Every problem is collected and raised once.
    """
    if kind not in FIELDS:
        raise InputError(f"{where}: unknown kind {kind!r}; use one of {', '.join(FIELDS)}")
    problems: list[str] = []
    source = dict(data.get("source") or {})
    columns = {str(k): str(v) for k, v in dict(data.get("columns") or {}).items()}
    constants = {str(k): str(v) for k, v in dict(data.get("constants") or {}).items()}
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append('add a top-level name = "..." (the id prefix and source label)')
    stated_kind = data.get("kind")
    if stated_kind is not None and str(stated_kind) != kind:
        problems.append(
            f'kind = "{stated_kind}": this mapping is for {stated_kind} files, not {kind}; '
            "use the mapping written for this file"
        )
    known = FIELDS[kind]
    for key in [*columns, *constants]:
        if key not in known:
            problems.append(f"[columns] {key}: not a {kind} field; use {', '.join(known)}")
    if ("x" in columns) != ("y" in columns):
        problems.append("[columns] x and y go together (longitude/easting, latitude/northing)")
    coords = str(source.get("coordinates") or "").strip() or None
    if "x" in columns and coords is None:
        problems.append(
            "[source] coordinates is required with x/y columns: say which system they are in "
            '("wgs84", "gcj02" for Amap/Tencent, "bd09" for Baidu, "EPSG:4490" for CGCS2000 '
            'lon/lat, or a Gauss-Kruger zone such as "EPSG:4549"); geogrid never guesses it'
        )
    if kind == "households" and "building_id" not in columns and "x" not in columns:
        problems.append("[columns] needs building_id, or x and y, to find each row's building")
    if kind == "grids" and "code" not in columns:
        problems.append("[columns] code is required: the column holding each grid's code")
    if kind == "communities" and "code" not in columns:
        problems.append("[columns] code is required: the column holding the 12-digit code")
    if kind == "staff":
        problems += [
            f"[columns] {key} is required: the column holding each person's {key}"
            for key in ("name", "role")
            if key not in columns and key not in constants
        ]
        if "x" not in columns and "community" not in columns:
            problems.append("[columns] needs x and y (home), or community, to place each person")
    if kind == "teams":
        if "id" not in columns:
            problems.append("[columns] id is required: the column naming each row's team")
        if "mode" not in columns and "mode" not in constants:
            problems.append('[columns] mode (or [constants] mode = "walk") is required')
        if "base" not in columns and "x" not in columns:
            problems.append("[columns] needs x and y, or base (the name of a key place)")
    header_rows = source.get("header_rows", "auto")
    skip_rows = source.get("skip_rows", "auto")
    for key, value in (("header_rows", header_rows), ("skip_rows", skip_rows)):
        if value != "auto" and not (isinstance(value, int) and value >= 0):
            problems.append(f'[source] {key} = {value!r}: give a whole number or "auto"')
    match_m = source.get("match_m", 10.0)
    if not isinstance(match_m, int | float) or match_m < 0:
        problems.append(f"[source] match_m = {match_m!r}: give metres >= 0")
        match_m = 10.0
    if coords is not None:
        try:
            lonlat_from_system([0.0], [0.0], coords)
        except CRSError as err:
            problems.append(f"[source] coordinates: {err}")
    if problems:
        raise InputError(f"{where}: the {kind} mapping has problems", problems)
    return ImportMapping(
        name=name,
        kind=kind,
        columns=columns,
        coordinates=coords,
        constants=constants,
        sheet=source.get("sheet"),
        encoding=str(source.get("encoding") or "auto"),
        header_rows=header_rows,
        skip_rows=skip_rows,
        delimiter=source.get("delimiter"),
        layer=source.get("layer"),
        match_m=float(match_m),
        offset_check=bool(source.get("offset_check", True)),
    )


# --------------------------------------------------------------------------- rows


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def mapped_fields(table: pd.DataFrame, mapping: ImportMapping, where: str) -> pd.DataFrame:
    """The mapped fields of ``table`` as text columns named by field (constants filled in).

    Raises
    ------
    InputError
        A mapped column is not in the table; lists the columns found (and
        says when their names look like text in the wrong encoding).
    """
    missing = [c for c in mapping.columns.values() if c not in table.columns]
    if missing:
        found = ", ".join(map(repr, table.columns))
        garbled = any(
            re.search(r"[ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß¤¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿]", str(c))
            for c in table.columns
        )
        hint = (
            " The names look like Chinese text read in the wrong encoding: set [source] "
            'encoding = "gbk" (or "auto").'
            if garbled
            else ""
        )
        raise InputError(
            f"{where}: columns named in the mapping are not in the file",
            [f"{where}: no column {c!r}; the file has {found}.{hint}" for c in missing],
        )
    out = pd.DataFrame(index=table.index)
    for key, column in mapping.columns.items():
        out[key] = _text(table[column])
    for key, value in mapping.constants.items():
        if key not in out.columns:
            out[key] = pd.Series(value, index=table.index, dtype="string")
        else:
            out[key] = out[key].fillna(value)
    return out


@dataclass(frozen=True)
class Rejects:
    """Rows set aside with their reason; ``table`` has columns row, id, reason, detail."""

    table: pd.DataFrame

    @classmethod
    def empty(cls) -> Rejects:
        return cls(pd.DataFrame({"row": [], "id": [], "reason": [], "detail": []}))

    def __len__(self) -> int:
        return len(self.table)

    def plus(self, other: Rejects | pd.DataFrame) -> Rejects:
        table = other.table if isinstance(other, Rejects) else other
        if not len(table):
            return self
        if not len(self.table):
            return Rejects(table.reset_index(drop=True))
        joined = pd.concat([self.table, table], ignore_index=True)
        return Rejects(joined.sort_values("row", kind="stable").reset_index(drop=True))

    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.table["reason"].value_counts().items()}


def reject_rows(
    rows: pd.Index | Sequence[Any],
    reason: str,
    details: Sequence[str],
    ids: Sequence[Any] | None = None,
) -> Rejects:
    """Rejects for ``rows`` with one ``reason`` and a detail per row."""
    rows = list(rows)
    return Rejects(
        pd.DataFrame(
            {
                "row": rows,
                "id": list(ids) if ids is not None else [None] * len(rows),
                "reason": [reason] * len(rows),
                "detail": list(details),
            }
        )
    )


@dataclass(frozen=True)
class Points:
    """Rows with a point each (EPSG:4326, index = row number) and the rows set aside."""

    rows: gpd.GeoDataFrame
    rejects: Rejects
    raw_xy: pd.DataFrame  # x, y as in the file, for the rows kept


def points_from_table(
    fields: pd.DataFrame,
    mapping: ImportMapping,
    *,
    area: shapely.Geometry | None = None,
    where: str = "source",
) -> Points:
    """Points from the ``x``/``y`` fields in ``mapping.coordinates``; bad rows set aside.

    Rejected, in this order: missing_coordinates, out_of_range,
    swapped_coordinates (the point is outside but its swap inside the area,
    or longitude > 90 in the y column), outside_area (``area`` in WGS-84).

    Raises
    ------
    InputError
        Every row has x and y swapped: the mapping, not the rows, is wrong.
    """
    assert mapping.coordinates is not None
    x = pd.to_numeric(fields["x"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(fields["y"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ids = (
        fields["id"]
        if "id" in fields.columns
        else pd.Series([None] * len(fields), index=fields.index)
    )
    is_lonlat = crs.is_lonlat_system(mapping.coordinates)
    reason = np.full(len(fields), "", dtype=object)
    detail = np.full(len(fields), "", dtype=object)

    def mark(mask: np.ndarray, code: str, text: str) -> None:
        new = mask & (reason == "")
        reason[new] = code
        for i in np.flatnonzero(new):
            detail[i] = text.format(x=fields["x"].iloc[i], y=fields["y"].iloc[i])

    mark(
        np.isnan(x) | np.isnan(y) | ((x == 0) & (y == 0)),
        "missing_coordinates",
        "x {x!r}, y {y!r}: give both as numbers",
    )
    if is_lonlat:
        swapped, out_of_range = crs.lonlat_mixups(x, y)
        mark(
            swapped,
            "swapped_coordinates",
            "y {y} is no latitude but x {x} is: the longitude is in the y column; swap them",
        )
        mark(
            out_of_range,
            "out_of_range",
            "x {x}, y {y} are not longitude/latitude; check the columns and [source] coordinates",
        )
    ok = reason == ""
    lon, lat = crs.lonlat_where(x, y, ok, mapping.coordinates)
    if area is not None and ok.any():
        inside = np.zeros(len(fields), dtype=bool)
        inside[ok] = shapely.contains_xy(area, lon[ok], lat[ok]) | shapely.intersects(
            area, shapely.points(lon[ok], lat[ok])
        )
        if is_lonlat:
            valid = ok & (np.abs(x) <= 90) & (np.abs(y) <= 180)
            slon, slat = crs.lonlat_where(y, x, valid, mapping.coordinates)
            swap_in = (
                valid
                & ~inside
                & shapely.contains_xy(area, np.nan_to_num(slon), np.nan_to_num(slat))
            )
            mark(
                ok & swap_in,
                "swapped_coordinates",
                "x {x}, y {y}: outside the area, inside it with x and y swapped; swap them",
            )
        mark(
            ok & ~inside & (reason == ""),
            "outside_area",
            "x {x}, y {y}: the point lies outside the area; check the row or the area",
        )
    bad = reason != ""
    n_swapped = int((reason == "swapped_coordinates").sum())
    if n_swapped and n_swapped == len(fields):
        raise InputError(
            f"{where}: every row has longitude and latitude swapped",
            [
                f"{where}: the mapping reads x from {mapping.columns['x']!r} and y from "
                f"{mapping.columns['y']!r}; swap them in [columns] (x = longitude, y = latitude)"
            ],
        )
    rejects = reject_rows(fields.index[bad], "", list(detail[bad]), list(ids[bad]))
    rejects.table["reason"] = list(reason[bad])
    keep = ~bad
    rows = gpd.GeoDataFrame(
        fields[keep].copy(), geometry=shapely.points(lon[keep], lat[keep]), crs=WGS84
    )
    raw_xy = pd.DataFrame({"x": x[keep], "y": y[keep]}, index=fields.index[keep])
    return Points(rows, rejects, raw_xy)


def duplicate_ids(fields: pd.DataFrame, column: str = "id") -> Rejects:
    """Rows whose ``column`` repeats an earlier row's (the first is kept)."""
    if column not in fields.columns:
        return Rejects.empty()
    values = fields[column]
    dup = values.notna() & values.duplicated(keep="first")
    first = {v: r for r, v in zip(fields.index[::-1], values[::-1], strict=True) if pd.notna(v)}
    details = [
        f"{column} {v!r} is already used by row {first[v]}; make ids unique" for v in values[dup]
    ]
    return reject_rows(fields.index[dup], "duplicate_id", details, list(values[dup]))


# --------------------------------------------------------------------------- offsets


@dataclass(frozen=True)
class Offset:
    """A whole file that fits the area far better read in another Chinese system."""

    stated: str
    likely: str
    shift_m: float
    direction: str
    fit_stated: float
    fit_likely: float
    unit: str = "m"

    def message(self, where: str) -> str:
        if self.unit == "m":
            against = "the area's streets and buildings"
            fit = (
                f"median distance {self.fit_stated:.0f} m; "
                f"read as {self.likely}: {self.fit_likely:.0f} m"
            )
        else:
            against = "the area"
            fit = (
                f"{self.fit_stated:.0f}% of them outside the area; read as {self.likely}: "
                f"{self.fit_likely:.0f}%"
            )
        return (
            f"{where}: the coordinates look like {_SYSTEM_NAMES[self.likely]}, not "
            f"{_SYSTEM_NAMES[self.stated]} as the mapping says: read as {self.stated} they sit "
            f"about {self.shift_m:.0f} m {self.direction} of {against} ({fit}). Set [source] "
            f'coordinates = "{self.likely}" (or offset_check = false if you are sure)'
        )


def compass(dx: float, dy: float) -> str:
    """A 16-point compass direction (``east-northeast``) of a vector east ``dx``, north ``dy``."""
    names = [
        "north",
        "north-northeast",
        "northeast",
        "east-northeast",
        "east",
        "east-southeast",
        "southeast",
        "south-southeast",
        "south",
        "south-southwest",
        "southwest",
        "west-southwest",
        "west",
        "west-northwest",
        "northwest",
        "north-northwest",
    ]
    angle = math.degrees(math.atan2(dx, dy)) % 360
    return names[int((angle + 11.25) // 22.5) % 16]


def detect_offset(
    x: np.ndarray,
    y: np.ndarray,
    stated: str,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    metric_crs: str,
    *,
    outline: shapely.Geometry | None = None,
    min_points: int = 3,
    min_distance_m: float = 30.0,
    min_outline_points: int = 20,
) -> Offset | None:
    """Does the file fit the area better read in another of WGS-84 / GCJ-02 / BD-09?

    ``x``, ``y`` are lon/lat as written in the file; ``reference`` the
    area's streets and buildings. The fit is the median distance from the
    points to the nearest reference geometry; another system is reported
    when the stated one is at least ``min_distance_m`` off and the other
    fits at least three times better; or, with ``outline`` (the area,
    WGS-84), when at least 30% of the points lie outside the area as stated
    and at most 5% (and fewer than half as many) in the other system, or
    (files of at least ``min_outline_points`` points) at least 10% as stated
    and none in the other system.
    Returns None when the stated system fits, the file is not lon/lat, or
    there are too few points to tell.
    """
    key = crs.named_lonlat(stated)
    good = np.isfinite(x) & np.isfinite(y)
    if key is None or good.sum() < min_points or not len(reference):
        return None
    x, y = x[good], y[good]
    geoms = to_metric(
        gpd.GeoDataFrame(geometry=gpd.GeoSeries(reference.geometry)), metric_crs, "reference"
    ).geometry.to_numpy()
    tree = shapely.STRtree(geoms)

    def fit(system: str) -> tuple[float, np.ndarray]:
        lon, lat = lonlat_from_system(x, y, system)
        pts = gpd.GeoSeries(shapely.points(lon, lat), crs=WGS84).to_crs(metric_crs).to_numpy()
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return float(np.median(dist)), np.column_stack([lon, lat])

    def outside(pts: np.ndarray) -> float:
        if outline is None:
            return 0.0
        return float(np.mean(~shapely.contains_xy(outline, pts[:, 0], pts[:, 1])))

    stated_fit, stated_pts = fit(key)
    stated_out = outside(stated_pts)
    best: tuple[float, str, np.ndarray] | None = None
    unit = "m"
    for other in crs.LONLAT_SYSTEMS:
        if other == key:
            continue
        other_fit, other_pts = fit(other)
        better = stated_fit >= min_distance_m and other_fit * 3 <= stated_fit
        if better and (best is None or other_fit < best[0]):
            best = (other_fit, other, other_pts)
    # Streets every 50-100 m (a city centre without buildings) fit any point: then the
    # outline tells. 30% outside as stated; or 10% when another system has every
    # point of a file of at least min_outline_points inside.
    many = len(x) >= min_outline_points
    if best is None and (stated_out >= 0.3 or (many and stated_out >= 0.1)):
        for other in crs.LONLAT_SYSTEMS:
            if other == key:
                continue
            other_fit, other_pts = fit(other)
            other_out = outside(other_pts)
            fits = other_out <= 0.05 and other_out * 2 < stated_out
            if stated_out < 0.3:
                fits = other_out == 0
            if fits and other_fit <= stated_fit:
                best, unit = (other_fit, other, other_pts), "%"
                stated_fit, best = stated_out * 100, (other_out * 100, other, other_pts)
                break
    if best is None:
        return None
    a = gpd.GeoSeries(shapely.points(best[2]), crs=WGS84).to_crs(metric_crs)
    b = gpd.GeoSeries(shapely.points(stated_pts), crs=WGS84).to_crs(metric_crs)
    dx = float(np.median(b.x.to_numpy() - a.x.to_numpy()))
    dy = float(np.median(b.y.to_numpy() - a.y.to_numpy()))
    return Offset(key, best[1], math.hypot(dx, dy), compass(dx, dy), stated_fit, best[0], unit)


def detect_area_offset(
    geoms: Sequence[shapely.Geometry] | np.ndarray,
    outline: shapely.Geometry,
    metric_crs: str,
    *,
    max_share: float = 0.7,
    min_share: float = 0.9,
) -> Offset | None:
    """Do polygons read as WGS-84 cover the area far better read as GCJ-02 or BD-09?

    ``geoms`` are lon/lat as written in a file that says WGS-84 (or
    CGCS2000); ``outline`` the area (WGS-84). Reported when less than
    ``max_share`` of the polygons' area lies inside the area as stated and
    at least ``min_share`` does in another system.
    """
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return None

    def share(system: str) -> tuple[float, shapely.Geometry]:
        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = lonlat_from_system(xy[:, 0], xy[:, 1], system)
            return np.column_stack([lon, lat])

        moved = shapely.union_all(shapely.transform(geoms, shift))
        frame = gpd.GeoSeries([moved, outline], crs=WGS84).to_crs(metric_crs)
        whole = frame.iloc[0].area
        return (frame.iloc[0].intersection(frame.iloc[1]).area / whole if whole else 1.0), moved

    stated, stated_geom = share("wgs84")
    if stated >= max_share:
        return None
    for other in ("gcj02", "bd09"):
        fit, geom = share(other)
        if fit >= min_share:
            pts = gpd.GeoSeries(
                [shapely.centroid(stated_geom), shapely.centroid(geom)], crs=WGS84
            ).to_crs(metric_crs)
            dx = float(pts.iloc[0].x - pts.iloc[1].x)
            dy = float(pts.iloc[0].y - pts.iloc[1].y)
            return Offset(
                "wgs84",
                other,
                math.hypot(dx, dy),
                compass(dx, dy),
                (1 - stated) * 100,
                (1 - fit) * 100,
                unit="%",
            )
    return None


# --------------------------------------------------------------------------- households


def parse_households(fields: pd.DataFrame) -> tuple[pd.Series, Rejects]:
    """Households per row: the ``households`` field (a whole number >= 0), else 1 per row."""
    if "households" not in fields.columns:
        return pd.Series(1, index=fields.index, dtype="int64"), Rejects.empty()
    values = pd.to_numeric(
        fields["households"].str.replace(r"户$", "", regex=True), errors="coerce"
    )
    bad = values.isna() | (values < 0) | (values != values.round())
    details = [f"households {v!r}: give a whole number >= 0" for v in fields.loc[bad, "households"]]
    ids = fields.loc[bad, "id"] if "id" in fields.columns else None
    rejects = reject_rows(
        fields.index[bad], "bad_value", details, None if ids is None else list(ids)
    )
    return values[~bad].astype("int64"), rejects


@dataclass(frozen=True)
class Matched:
    """Which building each register row belongs to (``building`` = its id, or NA)."""

    building: pd.Series
    distance_m: pd.Series


def match_buildings(
    rows: pd.DataFrame | gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    match_m: float = 10.0,
) -> Matched:
    """The building of each row: by ``building_id`` when given, else the building the
    point lies in or the nearest within ``match_m`` metres (NA when none)."""
    ids = buildings["id"].astype(str).to_numpy()
    building = pd.Series(pd.NA, index=rows.index, dtype="string")
    distance = pd.Series(np.nan, index=rows.index, dtype=float)
    by_id = (
        rows["building_id"] if "building_id" in rows.columns else pd.Series(pd.NA, index=rows.index)
    )
    known = set(ids)
    named = by_id.notna()
    building[named] = [v if v in known else pd.NA for v in by_id[named].astype(str)]
    distance[named & building.notna()] = 0.0
    located = ~named
    if isinstance(rows, gpd.GeoDataFrame) and located.any() and len(buildings):
        pts = to_metric(rows[located], metric_crs, "rows").geometry.to_numpy()
        geoms = to_metric(buildings, metric_crs, "buildings").geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        which, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        order = np.argsort(which[0])
        pos, dist = which[1][order], dist[order]
        near = dist <= match_m
        values = np.where(near, ids[pos], None)
        building[located] = [None if v is None else str(v) for v in values]
        distance[located] = np.where(near, dist, np.nan)
    return Matched(building, distance)


def households_to_buildings(
    buildings: gpd.GeoDataFrame, households: pd.Series, matched: Matched
) -> tuple[gpd.GeoDataFrame, int]:
    """Buildings with ``households`` = the sum of their register rows, source ``register``.

    Buildings no row names keep their value. Returns the buildings and how
    many of them the register set.
    """
    hit = matched.building.notna()
    counted = households.reindex(matched.building.index[hit])
    sums = counted.groupby(matched.building[hit]).sum()
    out = buildings.copy()
    key = out["id"].astype(str)
    set_ = key.isin(sums.index)
    out["households"] = out["households"].astype("Int64")
    out.loc[set_, "households"] = key[set_].map(sums).astype("int64").to_numpy()
    if "households_source" not in out.columns:
        out["households_source"] = None
    out["households_source"] = out["households_source"].astype(object)
    out.loc[set_, "households_source"] = "register"
    return out, int(set_.sum())


#: Side of the square footprint drawn for a register row that matches no building.
POINT_UNIT_SIDE_M = 4.0
#: The ``building`` value of those squares.
POINT_UNIT_KIND = "register_point"


def point_units(
    rows: gpd.GeoDataFrame, households: pd.Series, mapping: ImportMapping, metric_crs: str
) -> gpd.GeoDataFrame:
    """Register rows that match no building as tiny footprints (buildings layer rows).

    One square of :data:`POINT_UNIT_SIDE_M` per address (the ``id`` field,
    else ``address``, else the rounded point), its households the sum of its
    rows; ``building = "register_point"``, ``households_source = "register"``.
    The id is stable, so importing again replaces rather than adds.
    """
    if not len(rows):
        return gpd.GeoDataFrame(
            {"id": [], "households": [], "households_source": [], "building": []},
            geometry=gpd.GeoSeries([], crs=WGS84),
        )
    lon = rows.geometry.x.round(6).astype(str)
    lat = rows.geometry.y.round(6).astype(str)
    key = (lon + "," + lat).astype("string")
    for column in ("address", "id"):
        if column in rows.columns:
            key = rows[column].astype("string").fillna(key)
    frame = gpd.GeoDataFrame(
        {
            "key": key,
            "households": households.reindex(rows.index).fillna(0).astype("int64"),
            "name": rows["address"] if "address" in rows.columns else None,
        },
        geometry=rows.geometry,
        crs=WGS84,
    )
    grouped = frame.groupby("key", sort=True)
    first = grouped.first()
    metric = gpd.GeoSeries(first["geometry"].to_numpy(), crs=WGS84).to_crs(metric_crs)
    half = POINT_UNIT_SIDE_M / 2
    squares = shapely.box(metric.x - half, metric.y - half, metric.x + half, metric.y + half)
    out = gpd.GeoDataFrame(
        {
            "id": [f"{mapping.name}/{_digest(k)}" for k in first.index],
            "name": first["name"].to_numpy(),
            "building": POINT_UNIT_KIND,
            "households": grouped["households"].sum().to_numpy(),
            "households_source": "register",
        },
        geometry=gpd.GeoSeries(squares, crs=metric_crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return out


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def row_ids(fields: pd.DataFrame, mapping: ImportMapping) -> pd.Series:
    """The ``id`` field, else a stable id from the row's mapped values."""
    if "id" in fields.columns and fields["id"].notna().all():
        return fields["id"].astype(str)
    texts = fields.astype("string").fillna("").agg("\x1f".join, axis=1)
    occurrence = texts.groupby(texts).cumcount()
    generated = [f"{mapping.name}/{_digest(t)}-{n}" for t, n in zip(texts, occurrence, strict=True)]
    out = pd.Series(generated, index=fields.index, dtype=object)
    if "id" in fields.columns:
        out = fields["id"].astype(object).where(fields["id"].notna(), out)
    return out.astype(str)


# --------------------------------------------------------------------------- places


def places_from_rows(
    rows: gpd.GeoDataFrame, mapping: ImportMapping, layer: str
) -> gpd.GeoDataFrame:
    """Key places of ``layer``: id, kind (the field, else the layer name), name, layer, source."""
    kind = rows["kind"] if "kind" in rows.columns else pd.Series(pd.NA, index=rows.index)
    out = gpd.GeoDataFrame(
        {
            "id": row_ids(rows.drop(columns="geometry"), mapping).to_numpy(),
            "kind": kind.fillna(layer).astype(str).to_numpy(),
            "name": _optional(rows, "name"),
            "layer": layer,
            "address": _optional(rows, "address"),
            "phone": _optional(rows, "phone"),
            "opening_hours": _optional(rows, "opening_hours"),
            "source": mapping.name,
        },
        geometry=rows.geometry.to_numpy(),
        crs=WGS84,
    )
    return out


def _optional(rows: pd.DataFrame, column: str) -> list[Any]:
    if column not in rows.columns:
        return [None] * len(rows)
    return [None if pd.isna(v) else str(v) for v in rows[column]]


def merge_by_id(existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``existing`` with the features of ``new`` replacing those of the same id, added otherwise."""
    if existing is None or not len(existing):
        return new.reset_index(drop=True)
    kept = existing[~existing["id"].astype(str).isin(set(new["id"].astype(str)))]
    merged = pd.concat([kept, new], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)


# --------------------------------------------------------------------------- teams


def _clock(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    match = _HHMM.match(str(value).strip())
    if not match:
        raise ValueError(str(value))
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def teams_from_rows(
    fields: pd.DataFrame,
    points: gpd.GeoSeries | None,
    places: gpd.GeoDataFrame | None,
    mapping: ImportMapping,
) -> tuple[gpd.GeoDataFrame, Rejects]:
    """Teams from roster rows (one row per member or per team), grouped by the ``id`` field.

    The base is the row's point (``points``, index = row) or the key place
    named by ``base`` (exact name); ``mode`` is walk/bike/drive (or 步行,
    骑行, 车巡 ...); the leader is the ``leader`` field or the member whose
    ``role`` says 队长/组长/leader; ``size`` is the field or the number of
    member rows; ``members`` lists the member names.
    """
    rejects = Rejects.empty()
    problems: list[tuple[Any, str, str, Any]] = []
    base_points: dict[Any, shapely.Geometry] = {}
    names = {}
    if places is not None and len(places) and "name" in places.columns:
        names = {
            str(n): g for n, g in zip(places["name"], places.geometry, strict=True) if pd.notna(n)
        }
    for row, values in fields.iterrows():
        team = values.get("id")
        if pd.isna(team):
            problems.append((row, "missing_id", "the team column is empty; say which team", None))
            continue
        mode = values.get("mode")
        if pd.isna(mode) or str(mode).strip().lower() not in _MODES:
            problems.append(
                (
                    row,
                    "bad_value",
                    f"mode {mode!r}: use walk, bike or drive (步行, 骑行, 车巡)",
                    team,
                )
            )
            continue
        try:
            _clock(values.get("shift_start"))
            _clock(values.get("shift_end"))
        except ValueError as err:
            problems.append((row, "bad_value", f"shift time {err}: write HH:MM, e.g. 18:30", team))
            continue
        if points is not None and row in points.index:
            base_points[row] = points.loc[row]
        elif pd.notna(values.get("base")):
            place = names.get(str(values["base"]))
            if place is None:
                close = [n for n in names if str(values["base"]) in n or n in str(values["base"])]
                hint = f" (close: {', '.join(close[:3])})" if close else ""
                problems.append(
                    (
                        row,
                        "unknown_base",
                        f"base {values['base']!r} is no key place{hint}; import the "
                        "place first or give coordinates",
                        team,
                    )
                )
                continue
            base_points[row] = shapely.point_on_surface(place)
    if problems:
        rows_, reasons, details, ids = zip(*problems, strict=True)
        table = pd.DataFrame({"row": rows_, "id": ids, "reason": reasons, "detail": details})
        rejects = rejects.plus(table)
    good = fields.loc[[r for r in fields.index if r not in set(rejects.table["row"])]]
    teams = []
    for team, group in good.groupby("id", sort=True):
        base_rows = [r for r in group.index if r in base_points]
        if not base_rows:
            for r in group.index:
                problems.append(
                    (
                        r,
                        "unknown_base",
                        "no base for the team: give coordinates or "
                        "a base place on at least one row",
                        team,
                    )
                )
            continue
        first = group.iloc[0]
        leader = first.get("leader")
        if (
            (pd.isna(leader) or leader is None)
            and "role" in group.columns
            and "member" in group.columns
        ):
            leaders = group[group["role"].fillna("").str.contains(_LEADER)]
            leader = leaders["member"].iloc[0] if len(leaders) else None
        members = [str(m) for m in group["member"].dropna()] if "member" in group.columns else []
        size = _number(first.get("size"))
        speed = _number(first.get("speed_kmh"))
        teams.append(
            {
                "id": str(team),
                "mode": _MODES[str(first["mode"]).strip().lower()],
                "name": None if pd.isna(first.get("name")) else str(first.get("name")),
                "leader": None if leader is None or pd.isna(leader) else str(leader),
                "size": int(size) if pd.notna(size) else (len(members) or None),
                "speed_kmh": float(speed) if pd.notna(speed) else None,
                "shift_start": _clock(first.get("shift_start")),
                "shift_end": _clock(first.get("shift_end")),
                "phone": None if pd.isna(first.get("phone")) else str(first.get("phone")),
                "members": "、".join(members) if members else None,
                "source": mapping.name,
                "geometry": base_points[base_rows[0]],
            }
        )
    if problems:
        late = [p for p in problems if p[0] not in set(rejects.table["row"])]
        if late:
            rows_, reasons, details, ids = zip(*late, strict=True)
            rejects = rejects.plus(
                pd.DataFrame({"row": rows_, "id": ids, "reason": reasons, "detail": details})
            )
    frame = (
        gpd.GeoDataFrame(teams, geometry="geometry", crs=WGS84)
        if teams
        else gpd.GeoDataFrame({"id": [], "mode": []}, geometry=gpd.GeoSeries([], crs=WGS84))
    )
    return frame, rejects


# --------------------------------------------------------------------------- communities


def community_code(value: Any) -> str | None:
    """A 12-digit community code: digits only; a 9-digit 街道 code gets ``000``; else None."""
    if value is None or pd.isna(value):
        return None
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) in (6, 9):
        digits = digits + "0" * (12 - len(digits))
    return digits if len(digits) == 12 else None


def communities_from_rows(
    features: gpd.GeoDataFrame, area: shapely.Geometry | None, mapping: ImportMapping
) -> tuple[gpd.GeoDataFrame, Rejects]:
    """Parents of the grids (社区, or 街道) from polygons with a ``code`` field.

    Codes become 12 digits (:func:`community_code`); features without a
    polygon, with a bad or repeated code, or outside ``area`` are set aside.
    """
    problems: list[tuple[Any, str, str, Any]] = []
    keep = []
    seen: dict[str, Any] = {}
    codes = []
    for row, feature in features.iterrows():
        geom = feature.geometry
        code = community_code(feature.get("code"))
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                (row, "no_geometry", "not a polygon; communities are areas", feature.get("code"))
            )
        elif code is None:
            problems.append(
                (
                    row,
                    "bad_value",
                    f"code {feature.get('code')!r}: give the 12-digit "
                    "community code (or the 9-digit street code)",
                    feature.get("code"),
                )
            )
        elif code in seen:
            problems.append(
                (row, "duplicate_id", f"code {code} is already used by feature {seen[code]}", code)
            )
        elif area is not None and not shapely.intersects(area, geom):
            problems.append((row, "outside_area", "the polygon lies outside the area", code))
        else:
            seen[code] = row
            keep.append(row)
            codes.append(code)
    kept = features.loc[keep]
    out = gpd.GeoDataFrame(
        {"code": codes, "name": _optional(kept, "name"), "source": mapping.name},
        geometry=[shapely.make_valid(g) if not g.is_valid else g for g in kept.geometry],
        crs=WGS84,
    )
    rejects = Rejects.empty()
    if problems:
        rows_, reasons, details, ids = zip(*problems, strict=True)
        rejects = rejects.plus(
            pd.DataFrame({"row": rows_, "id": ids, "reason": reasons, "detail": details})
        )
    return out, rejects
