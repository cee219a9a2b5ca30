"""Incidents: cleaning on import, counts and rates, density, hot spots, public release.

Pure domain code: frames in, frames out; no file is read here (see
:mod:`geogrid.io.incidents`). An *incidents* frame is a GeoDataFrame in
EPSG:4326 with one Point per record and the columns of the ``incidents``
layer (``docs/LAYERS.md``): ``id`` (str), ``time`` (tz-aware
``Timestamp``), ``category`` (str) and optionally ``category_zh``,
``source``, ``description``, ``zone`` (the beat or neighbourhood the source
names), ``time_precision`` (minute/hour/day/month) and ``synthetic``.

Sections
--------
Import
    :class:`IncidentMapping` says which source column is what and which
    coordinate system and time zone the source uses (stated, never guessed);
    :func:`clean_incidents` applies it to a raw table and splits good rows
    from rejects (row number, reason, detail); :func:`merge_incidents` adds
    new records by id, so importing the same file twice changes nothing.
Cells and counts
    :func:`assign_cells` (fast point-in-polygon), :func:`h3_cells`,
    :func:`hex_cells`, :func:`grid_cells`; :func:`summarize` counts by cell
    or parent (community, street), category and period with rates per 1,000
    households; :func:`hour_by_weekday`; :func:`period_change` for
    period-over-period and year-over-year change ("同比下降13.24%").
Density and hot spots
    :func:`kernel_density` (Gaussian kernel in metres, Silverman's rule of
    thumb unless a bandwidth is given); :func:`gi_star` (Getis-Ord Gi*, esda,
    Benjamini-Hochberg FDR); :func:`rank_hotspots`, the ranked list the patrol
    planner takes as stops.
Public release
    :class:`ReleaseRules` and :func:`release`, the one gate every public
    output passes (:func:`public_counts` and the IO ``publish_dataset`` go
    through it): no points, no addresses or personal fields, counts under k
    suppressed, sensitive categories dropped, month granularity at finest.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage, stats
from scipy.spatial import cKDTree

from geogrid.crs import WGS84, lonlat_from_system
from geogrid.errors import InputError

# =========================================================================== import

#: Reasons a source row is rejected, in the order they are checked (one reason per row).
REJECT_REASONS: dict[str, str] = {
    "missing_id": "the id column is empty",
    "missing_coordinates": "no coordinates (empty, not a number, or 0,0)",
    "out_of_range": "coordinates outside longitude -180..180 / latitude -90..90",
    "swapped_coordinates": "latitude and longitude look swapped",
    "outside_area": "the point lies outside the area",
    "bad_time": "the time is empty or cannot be read",
    "missing_category": "the category is empty",
    "duplicate_id": "another row of the file has the same id",
}

_LONLAT_SYSTEMS = ("wgs84", "gcj02", "bd09")
_PRECISIONS = ("minute", "hour", "day", "month")
_TIME_PARTS = ("year", "month", "day", "hour", "minute")

#: time zone of incident times that carry no offset, unless the area or mapping says otherwise
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class IncidentMapping:
    """How to read one source's table as incidents (usually from a TOML mapping file).

    Attributes
    ----------
    name
        Short source name; the prefix of generated ids and the ``source`` value.
    coordinates
        The coordinate system the source uses, stated by the user:
        ``wgs84``, ``gcj02`` (Amap, Tencent), ``bd09`` (Baidu) or an EPSG code
        (``EPSG:26910`` for UTM 10N). Converted to WGS-84 on import.
    timezone
        Time zone of times without an offset (default Asia/Shanghai).
    columns
        Source column for each field: ``id``, ``time``, ``category``, and
        either ``x`` and ``y`` or ``wkt``; optionally ``category_zh``,
        ``description``, ``zone``.
    time_parts
        Instead of ``columns["time"]``: source columns for ``year``,
        ``month``, ``day``, ``hour``, ``minute`` (missing parts are 1 / 0).
    time_format
        ``strptime`` format of the time column; ISO-8601 when None.
    time_precision
        How precise the source times are (minute, hour, day, month).
    constants
        Fixed values for fields the source lacks, e.g. ``category = "asb"``.
    bbox
        ``(west, south, east, north)``: rows outside are rejected
        (``outside_area``); for sources without an area workspace.
    format, encoding, delimiter
        How the IO layer reads the file (``format`` from the suffix when
        None; ``encoding`` ``auto`` tries UTF-8 (with or without BOM) then GBK).
    """

    name: str
    coordinates: str
    columns: Mapping[str, str]
    timezone: str = DEFAULT_TIMEZONE
    time_parts: Mapping[str, str] = field(default_factory=dict)
    time_format: str | None = None
    time_precision: str = "minute"
    constants: Mapping[str, str] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    format: str | None = None
    encoding: str = "auto"
    delimiter: str | None = None

    @property
    def source_columns(self) -> list[str]:
        """Every source column the mapping reads."""
        return list(dict.fromkeys([*self.columns.values(), *self.time_parts.values()]))


def mapping_from_dict(data: Mapping[str, Any], where: str = "mapping") -> IncidentMapping:
    """Build and check an :class:`IncidentMapping` from a parsed mapping file.

    The file has a top-level ``name``, a ``[source]`` table (``coordinates``
    required; ``timezone``, ``time_format``, ``time_precision``, ``format``,
    ``encoding``, ``delimiter``, ``bbox``), a ``[columns]`` table and
    optionally ``[time_parts]`` and ``[constants]``. Every problem is
    collected and raised once.

    Raises
    ------
    InputError
        Naming ``where`` and each problem with how to fix it.
    """
    problems: list[str] = []
    source = dict(data.get("source") or {})
    columns = {str(k): str(v) for k, v in dict(data.get("columns") or {}).items()}
    parts = {str(k): str(v) for k, v in dict(data.get("time_parts") or {}).items()}
    constants = {str(k): str(v) for k, v in dict(data.get("constants") or {}).items()}
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append('add a top-level name = "..." (used as id prefix and source label)')
    coords = str(source.get("coordinates") or "").strip()
    if not coords:
        problems.append(
            "[source] coordinates is required: say which system the coordinates are in "
            '("wgs84", "gcj02" for Amap/Tencent, "bd09" for Baidu, or an EPSG code such as '
            '"EPSG:26910"); geogrid never guesses it'
        )
    known = {"id", "time", "category", "x", "y", "wkt", "category_zh", "description", "zone"}
    for key in columns:
        if key not in known:
            problems.append(f"[columns] {key}: unknown field; use {', '.join(sorted(known))}")
    for key in parts:
        if key not in _TIME_PARTS:
            problems.append(f"[time_parts] {key}: unknown part; use {', '.join(_TIME_PARTS)}")
    if "time" not in columns and not parts:
        problems.append("[columns] time (or a [time_parts] table) is required")
    if "time" in columns and parts:
        problems.append("give either [columns] time or [time_parts], not both")
    if parts and not {"year", "month"} <= parts.keys():
        problems.append("[time_parts] needs at least year and month")
    if "category" not in columns and "category" not in constants:
        problems.append('[columns] category (or [constants] category = "...") is required')
    has_xy = "x" in columns and "y" in columns
    if not has_xy and "wkt" not in columns:
        problems.append("[columns] needs x and y (longitude/easting, latitude/northing) or wkt")
    if ("x" in columns) != ("y" in columns):
        problems.append("[columns] x and y go together")
    precision = str(source.get("time_precision") or "minute")
    if precision not in _PRECISIONS:
        problems.append(f"[source] time_precision {precision!r}: use one of {_PRECISIONS}")
    bbox = source.get("bbox")
    bbox_t: tuple[float, float, float, float] | None = None
    if bbox is not None:
        try:
            w, s, e, n = (float(v) for v in bbox)
            bbox_t = (w, s, e, n)
            if not (w < e and s < n):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"[source] bbox {bbox!r}: give [west, south, east, north] in lon/lat")
    timezone = str(source.get("timezone") or DEFAULT_TIMEZONE)
    try:
        pd.Timestamp("2020-01-01").tz_localize(timezone)
    except Exception:
        problems.append(f"[source] timezone {timezone!r} unknown; use e.g. Asia/Shanghai")
    if problems:
        raise InputError(f"{where}: the incident mapping has problems", problems)
    return IncidentMapping(
        name=name,
        coordinates=coords,
        columns=columns,
        timezone=timezone,
        time_parts=parts,
        time_format=source.get("time_format"),
        time_precision=precision,
        constants=constants,
        bbox=bbox_t,
        format=source.get("format"),
        encoding=str(source.get("encoding") or "auto"),
        delimiter=source.get("delimiter"),
    )


def _text(values: pd.Series) -> pd.Series:
    """Strings, stripped, with empty as NA."""
    out = values.astype("string").str.strip()
    return out.mask(out == "")


_WKT_POINT = re.compile(r"^\s*POINT\s*Z?\s*\(\s*(\S+)\s+(\S+)(?:\s+\S+)?\s*\)\s*$", re.IGNORECASE)


def _coordinates(table: pd.DataFrame, mapping: IncidentMapping) -> tuple[np.ndarray, np.ndarray]:
    if "wkt" in mapping.columns:
        parts = _text(table[mapping.columns["wkt"]]).str.extract(_WKT_POINT)
        x = pd.to_numeric(parts[0], errors="coerce")
        y = pd.to_numeric(parts[1], errors="coerce")
    else:
        x = pd.to_numeric(_text(table[mapping.columns["x"]]), errors="coerce")
        y = pd.to_numeric(_text(table[mapping.columns["y"]]), errors="coerce")
    return x.to_numpy(dtype=float, na_value=np.nan), y.to_numpy(dtype=float, na_value=np.nan)


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Naive local times -> tz-aware; at a DST fall-back the earlier (summer) reading is
    taken, times skipped at a spring-forward become NaT."""
    ambiguous = np.ones(len(naive), dtype=bool)
    return naive.dt.tz_localize(timezone, ambiguous=ambiguous, nonexistent="NaT").astype(
        f"datetime64[us, {timezone}]"
    )


def parse_times(values: pd.Series, timezone: str, time_format: str | None = None) -> pd.Series:
    """Parse date-times to tz-aware timestamps in ``timezone``; unreadable -> NaT.

    Values with an offset (``Z``, ``+08:00``) are converted to ``timezone``;
    values without one are taken as local time in ``timezone`` (times that do
    not exist or are ambiguous at a DST change become NaT).
    """
    text = _text(values)
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[us, {timezone}]")
    if time_format is not None:
        parsed = pd.to_datetime(text, format=time_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            return parsed.dt.tz_convert(timezone).astype(out.dtype)
        return _localize(parsed, timezone)
    aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False).astype(bool)
    if aware.any():
        part = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        out[aware] = part.dt.tz_convert(timezone).astype(out.dtype)
    naive = ~aware & text.notna()
    if naive.any():
        part = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        out[naive] = _localize(part, timezone)
    return out


def _times(table: pd.DataFrame, mapping: IncidentMapping) -> pd.Series:
    if "time" in mapping.columns:
        return parse_times(table[mapping.columns["time"]], mapping.timezone, mapping.time_format)
    parts = {}
    for part in _TIME_PARTS:
        if part in mapping.time_parts:
            parts[part] = pd.to_numeric(_text(table[mapping.time_parts[part]]), errors="coerce")
        else:
            parts[part] = pd.Series(1 if part in ("day",) else 0, index=table.index)
    frame = pd.DataFrame(parts)
    parsed = pd.to_datetime(frame, errors="coerce")
    return _localize(parsed, mapping.timezone)


def _field(table: pd.DataFrame, mapping: IncidentMapping, name: str) -> pd.Series | None:
    if name in mapping.columns:
        return _text(table[mapping.columns[name]])
    if name in mapping.constants:
        return pd.Series(mapping.constants[name], index=table.index, dtype="string")
    return None


def _generated_ids(table: pd.DataFrame, mapping: IncidentMapping) -> pd.Series:
    """Stable ids for sources without one: hash of the mapped values + occurrence number."""
    cols = mapping.source_columns
    texts = [table[c].astype("string").fillna("") for c in cols]
    keys = texts[0].str.cat(cast(Any, texts[1:]), sep="\x1f") if len(texts) > 1 else texts[0]
    occurrence = keys.groupby(keys).cumcount()
    ids = [
        f"{mapping.name}-{hashlib.sha1(k.encode('utf-8')).hexdigest()[:12]}-{n}"
        for k, n in zip(keys.tolist(), occurrence.tolist(), strict=True)
    ]
    return pd.Series(ids, index=table.index, dtype="string")


@dataclass(frozen=True)
class Cleaned:
    """Result of :func:`clean_incidents`: good rows and rejects."""

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows: int

    def reject_counts(self) -> dict[str, int]:
        """Rejected rows by reason (only reasons that occur)."""
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()}


def clean_incidents(
    table: pd.DataFrame,
    mapping: IncidentMapping,
    *,
    area: shapely.Geometry | None = None,
    where: str = "source",
) -> Cleaned:
    """Apply ``mapping`` to a raw source table; keep good rows, report bad ones.

    Parameters
    ----------
    table
        The source rows as read (strings or numbers); the index holds the
        row numbers used in the rejects report (1 = first data row).
    mapping
        Which column is what, the coordinate system and the time zone.
    area
        Polygon in WGS-84; points outside it are rejected (``outside_area``).
        ``mapping.bbox`` applies too when given.
    where
        File name for messages.

    Returns
    -------
    :class:`Cleaned` with ``incidents`` (EPSG:4326, columns id, time,
    category, source, time_precision, synthetic and the optional mapped
    fields) and ``rejects`` (columns row, id, reason, detail; reasons in
    :data:`REJECT_REASONS`, one per row, the first that applies).

    Raises
    ------
    InputError
        Mapped columns are missing from the table (lists all of them and the
        columns found).
    """
    missing = [c for c in mapping.source_columns if c not in table.columns]
    if missing:
        raise InputError(
            f"{where}: columns named in the mapping are not in the file",
            [
                f"{where}: no column {c!r}; the file has {', '.join(map(repr, table.columns))}; "
                "fix the [columns] table of the mapping"
                for c in missing
            ],
        )
    n = len(table)
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, code: str, text: str | Callable[[int], str]) -> None:
        """Reject rows in ``mask`` not rejected yet; ``text`` is the detail (or makes it)."""
        new = np.flatnonzero(mask & (reason == ""))
        reason[new] = code
        detail[new] = text if isinstance(text, str) else [text(int(i)) for i in new]

    # id
    if "id" in mapping.columns:
        ids = _text(table[mapping.columns["id"]])
        flag(ids.isna().to_numpy(), "missing_id", f"column {mapping.columns['id']!r} is empty")
    else:
        ids = _generated_ids(table, mapping)

    # coordinates
    x, y = _coordinates(table, mapping)

    def raw(i: int) -> str:
        return f"x={x[i]!r}, y={y[i]!r}"

    system = mapping.coordinates.strip().lower().replace("-", "").replace("_", "")
    lonlat = system in _LONLAT_SYSTEMS or system in ("epsg:4326", "4326")
    nan = ~np.isfinite(x) | ~np.isfinite(y)
    zero = (x == 0) & (y == 0)
    flag(nan | zero, "missing_coordinates", "no usable coordinates (empty, not a number, or 0,0)")
    if lonlat:
        swapped = (np.abs(y) > 90) & (np.abs(x) <= 90)
        flag(
            swapped,
            "swapped_coordinates",
            lambda i: (
                f"{raw(i)}: latitude {y[i]} > 90 but longitude {x[i]} fits a latitude; "
                "swap them in this row (or x and y in the mapping if every row is like this)"
            ),
        )
        out = (np.abs(x) > 180) | (np.abs(y) > 90)
        flag(out, "out_of_range", lambda i: f"{raw(i)} is not lon/lat; check the coordinates")
    ok = reason == ""
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if ok.any():
        lon[ok], lat[ok] = lonlat_from_system(x[ok], y[ok], mapping.coordinates)
    bad_conv = ok & (
        ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    )
    flag(
        bad_conv,
        "out_of_range",
        lambda i: f"{raw(i)} is outside {mapping.coordinates}; check the coordinates setting",
    )

    # area
    def inside(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        result = np.ones(n, dtype=bool)
        if mapping.bbox is not None:
            w, s, e, nn = mapping.bbox
            result &= (px >= w) & (px <= e) & (py >= s) & (py <= nn)
        if area is not None:
            shapely.prepare(area)
            good = np.isfinite(px) & np.isfinite(py)
            hit = np.zeros(n, dtype=bool)
            hit[good] = shapely.contains_xy(area, px[good], py[good])
            result &= hit
        return result

    if mapping.bbox is not None or area is not None:
        pending = reason == ""
        inside_now = inside(lon, lat)
        if lonlat:
            sx, sy = lonlat_from_system(
                np.where(pending, y, 0), np.where(pending, x, 0), mapping.coordinates
            )
            inside_swapped = inside(sx, sy)
            flag(
                pending & ~inside_now & inside_swapped,
                "swapped_coordinates",
                lambda i: (
                    f"{raw(i)}: outside the area, inside it with x and y swapped; swap "
                    "them in this row (or x and y in the mapping if every row is like this)"
                ),
            )
        flag(
            pending & ~inside_now,
            "outside_area",
            lambda i: (
                f"lon {lon[i]:.6f}, lat {lat[i]:.6f} is outside the area (a geocoding "
                "error, or the wrong area or coordinate system)"
            ),
        )

    # time
    times = _times(table, mapping)
    if "time" in mapping.columns:
        src = _text(table[mapping.columns["time"]]).fillna("").to_numpy(dtype=object)
        how = f"with format {mapping.time_format!r}" if mapping.time_format else "as ISO-8601"

        def bad_time(i: int) -> str:
            if not src[i]:
                return "time is empty"
            return (
                f"time {src[i]!r} cannot be read {how}, or does not exist in "
                f"{mapping.timezone} (skipped when clocks go forward); fix it in this row"
            )

        flag(times.isna().to_numpy(), "bad_time", bad_time)
    else:
        cols = ", ".join(mapping.time_parts.values())
        flag(
            times.isna().to_numpy(),
            "bad_time",
            f"time parts ({cols}) do not make a valid local time in {mapping.timezone} "
            "(bad date, or a time skipped when clocks go forward)",
        )

    # category
    category = _field(table, mapping, "category")
    assert category is not None
    flag(category.isna().to_numpy(), "missing_category", "category is empty")

    # duplicate ids (among otherwise good rows; the first one is kept)
    rows = table.index.to_numpy()
    good = reason == ""
    ids_arr = ids.fillna("").to_numpy(dtype=object)
    dup = pd.Series(ids_arr[good]).duplicated(keep="first").to_numpy()
    if dup.any():
        first = pd.Series(rows[good], index=ids_arr[good])
        first = first[~first.index.duplicated(keep="first")]
        idx = np.flatnonzero(good)[dup]
        reason[idx] = "duplicate_id"
        detail[idx] = [
            f"id {ids_arr[i]!r} already on row {first[ids_arr[i]]}; kept that row" for i in idx
        ]

    good = reason == ""
    kept = pd.RangeIndex(int(good.sum()))
    data: dict[str, Any] = {
        "id": ids[good].astype(str).to_numpy(),
        "time": times[good].set_axis(kept),
        "category": category[good].astype(str).to_numpy(),
    }
    for name in ("category_zh", "description", "zone"):
        values = _field(table, mapping, name)
        if values is not None:
            data[name] = values[good].astype(object).where(values[good].notna(), None).to_numpy()
    data["source"] = mapping.name
    data["time_precision"] = mapping.time_precision
    data["synthetic"] = False
    incidents = gpd.GeoDataFrame(
        pd.DataFrame(data, index=kept),
        geometry=shapely.points(lon[good], lat[good]),
        crs=WGS84,
    )
    bad = ~good
    rejects = pd.DataFrame(
        {
            "row": rows[bad].astype(int),
            "id": ids.fillna("").to_numpy(dtype=object)[bad],
            "reason": reason[bad],
            "detail": detail[bad],
        }
    )
    return Cleaned(incidents=incidents, rejects=rejects.reset_index(drop=True), rows=n)


def merge_incidents(
    existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, int]:
    """Add the records of ``new`` whose id is not in ``existing`` yet.

    Records already present are left as they are, so importing the same
    file twice changes nothing. Returns the merged frame and how many were added.
    """
    if existing is None or len(existing) == 0:
        return new.reset_index(drop=True), len(new)
    fresh = new[~new["id"].astype(str).isin(set(existing["id"].astype(str)))]
    if len(fresh) == 0:
        return existing, 0
    merged = pd.concat([existing, fresh], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84), len(fresh)


def incidents_from_layer(
    layer: gpd.GeoDataFrame, timezone: str = DEFAULT_TIMEZONE
) -> gpd.GeoDataFrame:
    """Turn the ``incidents`` layer as read (``time`` as ISO text) into an incidents frame.

    Times become tz-aware timestamps converted to ``timezone``; rows keep
    their order.
    """
    incidents = layer.copy()
    incidents["id"] = incidents["id"].astype(str)
    incidents["time"] = pd.to_datetime(
        incidents["time"].astype(str), format="ISO8601", utc=True
    ).dt.tz_convert(timezone)
    return incidents


def incidents_to_layer(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The incidents frame with ``time`` as ISO-8601 text with offset, ready to write."""
    layer = incidents.copy()
    layer["time"] = [t.isoformat(timespec="seconds") for t in incidents["time"]]
    return layer


# =========================================================================== cells


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
    """The grids layer as cells: index = grid ``code`` (name ``cell``), keeps households, parent_code."""
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


# =========================================================================== counts

FREQS = ("day", "week", "month", "quarter", "year")


def period_labels(times: pd.Series, freq: str) -> pd.Series:
    """Label each timestamp with its period: ``2025-06-30`` (day), ``2025-W27`` (ISO week),
    ``2025-06`` (month), ``2025-Q2`` (quarter), ``2025`` (year), in the times' own zone."""
    if freq not in FREQS:
        raise InputError(f"unknown time window {freq!r}; use one of {', '.join(FREQS)}")
    t = pd.Series(times)
    if freq == "day":
        return t.dt.strftime("%Y-%m-%d")
    if freq == "week":
        iso = t.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    if freq == "month":
        return t.dt.strftime("%Y-%m")
    if freq == "quarter":
        return t.dt.year.astype(str) + "-Q" + t.dt.quarter.astype(str)
    return t.dt.year.astype(str)


LEVELS = ("cell", "community", "street", "zone")


def summarize(
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame | None = None,
    *,
    level: str = "cell",
    freq: str | None = "month",
    by_category: bool = False,
    resolution: int = 9,
) -> pd.DataFrame:
    """Count incidents by place, period and category, with rates per 1,000 households.

    Parameters
    ----------
    incidents
        Incidents frame (a ``cell`` column, if present, is used as is).
    cells
        Polygons (grids via :func:`grid_cells`, neighbourhoods, beats),
        index = id; optional ``households`` and ``parent_code``. None: H3.
    level
        ``cell`` (each grid / hexagon), ``community`` (the grid's
        ``parent_code``), ``street`` (first 9 digits of a 12-digit community
        code: the 街道 code), ``zone`` (the ``zone`` column of the incidents,
        e.g. a police beat named by the source).
    freq
        Period: day, week, month, quarter, year; None for all time.
    by_category
        One row per category too.

    Returns
    -------
    Columns ``place``, [``category``], [``period``], ``count`` and, when
    ``cells`` has households, ``households`` and ``rate_per_1000_households``.
    Places with cells but no incidents appear with count 0 (without period).
    """
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    if level == "zone":
        if "zone" not in incidents.columns:
            raise InputError("level 'zone' needs a zone column; map one in the import mapping")
        tagged = incidents.assign(place=incidents["zone"].astype("string"))
    else:
        tagged = (
            incidents
            if "cell" in incidents.columns
            else tag_cells(incidents, cells, resolution=resolution)
        )
        place = tagged["cell"].astype("string")
        if level in ("community", "street"):
            if cells is None or "parent_code" not in cells.columns:
                raise InputError(
                    f"level {level!r} needs cells with parent_code (the grids layer); "
                    "fill parent_code in grids.geojson"
                )
            parent = cells["parent_code"].astype("string")
            parent.index = cells.index.astype(str)
            place = place.map(parent)
            if level == "street":
                place = place.str.slice(0, 9)
        tagged = tagged.assign(place=place)
    tagged = tagged[tagged["place"].notna()]
    keys = ["place"]
    if by_category:
        keys.append("category")
    if freq is not None:
        tagged = tagged.assign(period=period_labels(tagged["time"], freq))
        keys.append("period")
    counts = tagged.groupby(keys, observed=True).size().rename("count").reset_index()
    counts["place"] = counts["place"].astype(str)
    if cells is not None and level != "zone":
        ids = pd.Series(cells.index.astype(str), index=cells.index.astype(str))
        if level == "community":
            ids = cells["parent_code"].astype("string").set_axis(cells.index.astype(str))
        elif level == "street":
            ids = (
                cells["parent_code"]
                .astype("string")
                .str.slice(0, 9)
                .set_axis(cells.index.astype(str))
            )
        present = set(counts["place"])
        empty = sorted(set(ids.dropna()) - present)
        if empty and not by_category and freq is None:
            counts = pd.concat(
                [counts, pd.DataFrame({"place": empty, "count": 0})], ignore_index=True
            )
        if "households" in cells.columns:
            hh = pd.to_numeric(cells["households"], errors="coerce").fillna(0)
            hh.index = ids.to_numpy()
            hh = hh.groupby(level=0).sum()
            counts["households"] = counts["place"].map(hh).astype("Int64")
            rate = counts["count"] / counts["households"].astype(float) * 1000.0
            counts["rate_per_1000_households"] = rate.where(counts["households"].astype(float) > 0)
    counts["count"] = counts["count"].astype(int)
    return counts.sort_values(keys).reset_index(drop=True)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_by_weekday(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    """Counts by weekday (rows Mon..Sun) and hour of day (columns 0..23), local time.

    Records whose ``time_precision`` is day or month carry no hour and are left out.
    """
    times = _hourly_times(incidents)
    table = pd.crosstab(times.dt.day_of_week, times.dt.hour)
    table = table.reindex(index=range(7), columns=range(24), fill_value=0)
    table.index = pd.Index(WEEKDAYS, name="weekday")
    table.columns = pd.Index(range(24), name="hour")
    return table


def _hourly_times(incidents: pd.DataFrame) -> pd.Series:
    return incidents["time"][_has_hours(incidents)]


@dataclass(frozen=True)
class Change:
    """Counts of one period against the previous period and the same period a year earlier."""

    period: str
    count: int
    previous_period: str
    previous_count: int
    last_year_period: str
    last_year_count: int

    @property
    def pop_pct(self) -> float | None:
        """Period-over-period change in percent (环比); None when the previous count is 0."""
        return _pct(self.count, self.previous_count)

    @property
    def yoy_pct(self) -> float | None:
        """Year-over-year change in percent (同比); None when last year's count is 0."""
        return _pct(self.count, self.last_year_count)

    def phrase_zh(self, label: str = "警情") -> str:
        """The sentence the reports use, e.g. ``刑事警情同比下降13.24%，环比上升5.00%``."""
        return f"{label}同比{_phrase(self.yoy_pct)}，环比{_phrase(self.pop_pct)}"


def _pct(now: int, before: int) -> float | None:
    return None if before == 0 else (now - before) / before * 100.0


def _phrase(pct: float | None) -> str:
    if pct is None:
        return "无可比数据"
    if round(pct, 2) == 0:
        return "持平"
    return f"{'上升' if pct > 0 else '下降'}{abs(pct):.2f}%"


def period_change(
    incidents: pd.DataFrame, period: str, *, category: str | Iterable[str] | None = None
) -> Change:
    """Period-over-period and year-over-year change of the count in ``period``.

    ``period`` is a label of :func:`period_labels` (``2025-06``, ``2025-W27``,
    ``2025-06-30``, ``2025-Q2``, ``2025``); its kind sets the window.
    ``category`` restricts to one or more categories.
    """
    start = _period_start(period)
    freq = _period_freq(period)
    frame = incidents
    if category is not None:
        cats = {category} if isinstance(category, str) else set(category)
        frame = frame[frame["category"].isin(cats)]
    tz = frame["time"].dt.tz
    offset = {
        "day": pd.DateOffset(days=1),
        "week": pd.DateOffset(weeks=1),
        "month": pd.DateOffset(months=1),
        "quarter": pd.DateOffset(months=3),
        "year": pd.DateOffset(years=1),
    }[freq]
    prev_start = start - offset
    year_start = start - pd.DateOffset(years=1)
    if freq == "week":  # the same ISO week a year earlier
        year_start = pd.Timestamp.fromisocalendar(
            start.isocalendar()[0] - 1, min(start.isocalendar()[1], 52), 1
        )

    def count(s: pd.Timestamp) -> int:
        a = s.tz_localize(tz) if tz is not None else s
        b = (s + offset).tz_localize(tz) if tz is not None else s + offset
        return int(((frame["time"] >= a) & (frame["time"] < b)).sum())

    def label(s: pd.Timestamp) -> str:
        return str(period_labels(pd.Series([s]), freq).iloc[0])

    return Change(
        period,
        count(start),
        label(prev_start),
        count(prev_start),
        label(year_start),
        count(year_start),
    )


def _period_freq(period: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return "day"
    if re.fullmatch(r"\d{4}-W\d{2}", period):
        return "week"
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return "month"
    if re.fullmatch(r"\d{4}-Q[1-4]", period):
        return "quarter"
    if re.fullmatch(r"\d{4}", period):
        return "year"
    raise InputError(
        f"period {period!r} not understood; write 2025-06-30, 2025-W27, 2025-06, 2025-Q2 or 2025"
    )


def _period_start(period: str) -> pd.Timestamp:
    freq = _period_freq(period)
    if freq == "week":
        year, week = period.split("-W")
        return pd.Timestamp.fromisocalendar(int(year), int(week), 1)
    if freq == "quarter":
        year, q = period.split("-Q")
        return pd.Timestamp(int(year), 3 * (int(q) - 1) + 1, 1)
    if freq == "year":
        return pd.Timestamp(int(period), 1, 1)
    return pd.Timestamp(period)


# =========================================================================== density


def silverman_bandwidth_m(x_m: np.ndarray, y_m: np.ndarray) -> float:
    """Silverman's rule of thumb for a 2-D Gaussian kernel: ``h = sigma * n ** (-1/6)``.

    ``sigma`` is the mean of the two axes' robust spreads
    ``min(std, IQR / 1.349)`` (metres). Falls back to the plain standard
    deviation when the IQR is 0, and to 100 m for fewer than 2 points.
    """
    n = len(x_m)
    if n < 2:
        return 100.0
    spreads = []
    for v in (np.asarray(x_m), np.asarray(y_m)):
        sd = float(np.std(v, ddof=1))
        iqr = float(np.subtract(*np.percentile(v, [75, 25]))) / 1.349
        spreads.append(min(sd, iqr) if iqr > 0 else sd)
    sigma = float(np.mean(spreads))
    return max(sigma * n ** (-1 / 6), 1.0)


@dataclass(frozen=True)
class Density:
    """A kernel density surface on a square raster in the area's metric CRS.

    ``values_per_km2[row, col]``: incidents per km² at the centre of the cell
    whose south-west corner is ``(west_m + col * cell_m, south_m + row * cell_m)``.
    """

    values_per_km2: np.ndarray
    west_m: float
    south_m: float
    cell_m: float
    crs: str
    bandwidth_m: float
    rule: str
    count: int

    def to_frame(self, min_per_km2: float = 0.0) -> gpd.GeoDataFrame:
        """Raster cells above ``min_per_km2`` as squares (EPSG:4326) with ``density_per_km2``."""
        rows, cols = np.nonzero(self.values_per_km2 > min_per_km2)
        x0 = self.west_m + cols * self.cell_m
        y0 = self.south_m + rows * self.cell_m
        squares = shapely.box(x0, y0, x0 + self.cell_m, y0 + self.cell_m)
        frame = gpd.GeoDataFrame(
            {"density_per_km2": self.values_per_km2[rows, cols]}, geometry=squares, crs=self.crs
        )
        return frame.to_crs(WGS84)


def kernel_density(
    incidents: gpd.GeoDataFrame,
    metric_crs: str,
    *,
    cell_m: float = 25.0,
    bandwidth_m: float | None = None,
) -> Density:
    """Gaussian kernel density of incidents, in incidents per km² (a statistic, not a blur).

    Points are projected to ``metric_crs``, binned on a ``cell_m`` raster
    padded by 4 bandwidths, and smoothed with a Gaussian of standard
    deviation ``bandwidth_m`` (Silverman's rule, :func:`silverman_bandwidth_m`,
    when None). The surface integrates to the number of incidents (up to
    the binning). The rule used is recorded in ``Density.rule``.
    """
    if len(incidents) == 0:
        raise InputError("kernel_density: no incidents to smooth")
    pts = incidents.to_crs(metric_crs).geometry
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    rule = "given"
    if bandwidth_m is None:
        bandwidth_m = silverman_bandwidth_m(x, y)
        rule = "silverman: h = min(sd, IQR/1.349) * n^(-1/6), mean of x and y"
    pad = 4 * bandwidth_m
    west, south = (
        np.floor((x.min() - pad) / cell_m) * cell_m,
        np.floor((y.min() - pad) / cell_m) * cell_m,
    )
    nx = int(np.ceil((x.max() + pad - west) / cell_m))
    ny = int(np.ceil((y.max() + pad - south) / cell_m))
    hist, _, _ = np.histogram2d(
        y, x, bins=(ny, nx), range=((south, south + ny * cell_m), (west, west + nx * cell_m))
    )
    smooth = ndimage.gaussian_filter(
        hist, sigma=bandwidth_m / cell_m, mode="constant", truncate=4.0
    )
    per_km2 = smooth / (cell_m * cell_m / 1e6)
    return Density(
        per_km2,
        float(west),
        float(south),
        float(cell_m),
        metric_crs,
        float(bandwidth_m),
        rule,
        len(incidents),
    )


# =========================================================================== hot spots


@dataclass(frozen=True)
class GiStar:
    """Getis-Ord Gi* per cell: ``z`` scores, one-sided ``p`` (hot), BH-adjusted ``p_fdr``."""

    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    fdr_threshold: float


def gi_star(counts: np.ndarray, neighbours: Sequence[Sequence[int]], alpha: float = 0.05) -> GiStar:
    """Getis-Ord Gi* on cell counts with binary contiguity weights (esda).

    The p-values are one-sided for hot spots (``z > 0``) under the normal
    approximation; ``p_fdr`` are Benjamini-Hochberg adjusted p-values, so a
    cell is a hot spot at false discovery rate ``alpha`` when
    ``p_fdr <= alpha`` (the same cells as esda's ``fdr`` threshold).
    """
    import esda
    import libpysal

    y = np.asarray(counts, dtype=float)
    n = len(y)
    if n < 3 or np.all(y == y[0]):
        ones = np.ones(n)
        return GiStar(np.zeros(n), ones, ones, 0.0)
    w = libpysal.weights.W({i: list(nb) for i, nb in enumerate(neighbours)}, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, w, transform="B", permutations=0, star=True)
        z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
        p = stats.norm.sf(z)
        threshold = float(esda.fdr(p, alpha)) if n else 0.0
    p_fdr = stats.false_discovery_control(p, method="bh")
    return GiStar(z, p, p_fdr, threshold)


HOTSPOT_COLUMNS = (
    "id",
    "rank",
    "score",
    "p_fdr",
    "count",
    "priority",
    "peak_hours",
    "window_start",
    "window_end",
    "dwell_min",
    "count_nearby",
    "top_category",
    "cell_kind",
)


def rank_hotspots(
    incidents: gpd.GeoDataFrame,
    metric_crs: str,
    cells: gpd.GeoDataFrame | None = None,
    *,
    resolution: int = 9,
    alpha: float = 0.05,
    window_h: int = 3,
    dwell_min: float = 12.0,
    cluster_radius_m: float = 60.0,
    timezone: str | None = None,
    top: int | None = None,
) -> gpd.GeoDataFrame:
    """Hot spots by Getis-Ord Gi* with FDR control, ranked, as patrol stops.

    Parameters
    ----------
    incidents
        Incidents frame.
    metric_crs
        The area's metric CRS (clusters are found in metres).
    cells
        Polygons to count in (grids, beats), index = id; None: H3 hexagons
        at ``resolution`` around the incidents plus one ring of empty ones.
    alpha
        False discovery rate.
    window_h
        Hours of the patrol window; the busiest such window of the day
        (circular) in the hot spot's incidents is its peak.
    dwell_min
        Suggested time at the stop (Koper curve: 10-15 min).
    cluster_radius_m
        Radius for finding the densest incident cluster in the cell.
    timezone
        Local zone for hours; the incidents' own when None.
    top
        Keep only the ``top`` hottest.

    Returns
    -------
    GeoDataFrame in EPSG:4326, hottest first: ``id`` (cell id), ``rank``
    (1 = hottest), ``score`` (Gi* z), ``p_fdr``, ``count`` (incidents in the
    cell), ``priority`` (5 = top fifth of the list ... 1 = bottom fifth),
    ``peak_hours`` (``"18-21"``), ``window_start`` / ``window_end``
    (``"HH:MM"`` local, the peak window; 00:00-23:59 when the source has no
    hours), ``dwell_min``, ``count_nearby`` (cell plus neighbours: what Gi*
    weighs), ``top_category``, ``cell_kind`` (``h3`` or ``polygon``) and a
    Point: the cell centroid snapped to the nearest incident cluster in the
    cell (see :func:`_cluster_point`). Only
    cells with ``z > 0`` and ``p_fdr <= alpha``.
    """
    import h3

    if cells is None:
        lon = incidents.geometry.x.to_numpy()
        lat = incidents.geometry.y.to_numpy()
        tagged = incidents.assign(cell=h3_cells(lon, lat, resolution))
        cells = hex_cells(tagged["cell"].unique(), ring=1)
        pos = {c: i for i, c in enumerate(cells.index)}
        neighbours = [
            [pos[n] for n in h3.grid_disk(c, 1) if n != c and n in pos] for c in cells.index
        ]
        kind = "h3"
    else:
        tagged = tag_cells(incidents, cells)
        neighbours = cell_neighbours(cells)
        kind = "polygon"
    ids = cells.index.astype(str)
    counts = tagged["cell"].value_counts().reindex(ids, fill_value=0).to_numpy()
    gi = gi_star(counts, neighbours, alpha)
    hot = np.flatnonzero((gi.z > 0) & (gi.p_fdr <= alpha))
    hot = hot[np.lexsort((-counts[hot], -gi.z[hot]))]
    if top is not None:
        hot = hot[:top]
    tz = timezone or str(incidents["time"].dt.tz)
    from pyproj import Transformer

    to_metric = Transformer.from_crs(WGS84, metric_crs, always_xy=True)
    to_wgs84 = Transformer.from_crs(metric_crs, WGS84, always_xy=True)
    lonlat = shapely.get_coordinates(tagged.geometry.to_numpy())
    mx, my = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    metric_xy = np.column_stack([mx, my])
    hourly = _has_hours(tagged)
    hours = tagged["time"].dt.tz_convert(tz).dt.hour.to_numpy()
    categories = tagged["category"].astype(str).to_numpy()
    members = tagged.reset_index(drop=True).groupby("cell").indices
    rows = []
    for rank, i in enumerate(hot, start=1):
        cid = ids[i]
        mine = members.get(cid, np.array([], dtype=np.int64))
        peak, start, end = _peak_window(hours[mine[hourly[mine]]], window_h)
        top_cat = str(pd.Series(categories[mine]).mode().iloc[0]) if len(mine) else ""
        centroid = shapely.centroid(cells.geometry.iloc[i])
        cx, cy = to_metric.transform(centroid.x, centroid.y)
        px, py = _cluster_point(metric_xy[mine], (cx, cy), cluster_radius_m)
        rows.append(
            {
                "id": str(cid),
                "rank": rank,
                "score": float(gi.z[i]),
                "p_fdr": float(gi.p_fdr[i]),
                "count": int(counts[i]),
                "peak_hours": peak,
                "window_start": start,
                "window_end": end,
                "dwell_min": float(dwell_min),
                "count_nearby": int(counts[i] + counts[list(neighbours[i])].sum()),
                "top_category": top_cat,
                "cell_kind": kind,
                "geometry": shapely.Point(*to_wgs84.transform(px, py)),
            }
        )
    n = len(rows)
    for r in rows:
        r["priority"] = int(5 - (5 * (r["rank"] - 1)) // max(n, 1))
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*HOTSPOT_COLUMNS, "geometry"]),
        geometry="geometry",
        crs=WGS84,
    )
    return frame.astype(
        {
            "rank": int,
            "count": int,
            "priority": int,
            "count_nearby": int,
            "score": float,
            "p_fdr": float,
            "dwell_min": float,
        }
    )


def _has_hours(incidents: pd.DataFrame) -> np.ndarray:
    """True for records whose time has an hour (time_precision not day or month)."""
    if "time_precision" not in incidents.columns:
        return np.ones(len(incidents), dtype=bool)
    coarse = incidents["time_precision"].astype("string").isin(["day", "month"]).fillna(False)
    return ~coarse.to_numpy(dtype=bool)


def _peak_window(hours: np.ndarray, window_h: int) -> tuple[str, str, str]:
    """The busiest ``window_h``-hour window of the day (circular): "18-21", "18:00", "21:00"."""
    if len(hours) == 0:
        return "", "00:00", "23:59"
    per_hour = np.bincount(hours, minlength=24)
    sums = np.array([per_hour[(h + np.arange(window_h)) % 24].sum() for h in range(24)])
    h0 = int(np.argmax(sums))
    h1 = (h0 + window_h) % 24
    return f"{h0}-{h1 if h1 else 24}", f"{h0:02d}:00", f"{h1:02d}:00" if h1 else "23:59"


def _cluster_point(
    xy: np.ndarray, centroid: tuple[float, float], radius_m: float
) -> tuple[float, float]:
    """The cell centroid snapped to the nearest incident cluster (metric x, y).

    A cluster core is an incident with at least half as many neighbours within
    ``radius_m`` as the cell's densest incident (and at least 2); the point is
    the mean of the neighbours of the core nearest the centroid. The centroid
    itself when the cell has no incidents.
    """
    if len(xy) == 0:
        return centroid
    tree = cKDTree(xy)
    density = np.asarray(tree.query_ball_point(xy, radius_m, return_length=True))
    dist = np.hypot(xy[:, 0] - centroid[0], xy[:, 1] - centroid[1])
    dense = density >= max(2, 0.5 * density.max())  # cluster cores: at least half the peak
    if not dense.any():
        dense = density == density.max()
    best = int(np.flatnonzero(dense)[np.argmin(dist[dense])])
    members = tree.query_ball_point(xy[best], radius_m)
    cx, cy = xy[members].mean(axis=0)
    return float(cx), float(cy)


# =========================================================================== public release

#: Category words that mark a record as sensitive (matched case-insensitively inside the
#: category and category_zh): sexual offences, domestic violence, self-harm, minors.
SENSITIVE_WORDS: tuple[str, ...] = (
    "sex",
    "rape",
    "domestic",
    "suicide",
    "self-harm",
    "juvenile",
    "minor",
    "child",
    "性侵",
    "强奸",
    "猥亵",
    "家暴",
    "家庭暴力",
    "自杀",
    "自伤",
    "未成年",
    "儿童",
)

#: Columns a public table may carry; everything else is dropped by :func:`release`.
PUBLIC_COLUMNS: frozenset[str] = frozenset(
    {
        "place",
        "place_name",
        "level",
        "category",
        "period",
        "count",
        "households",
        "rate_per_1000_households",
        "suppressed",
        "geometry",
    }
)

#: Equal-area CRS for the polygon size rule (NSIDC EASE-Grid 2.0 global).
_EQUAL_AREA = "EPSG:6933"

_GRANULARITY_PATTERNS = {
    "month": r"\d{4}-\d{2}|\d{4}-Q[1-4]|\d{4}",
    "quarter": r"\d{4}-Q[1-4]|\d{4}",
    "year": r"\d{4}",
}


@dataclass(frozen=True)
class ReleaseRules:
    """What may leave geogrid for the public. Defaults follow the issue: k = 5, months.

    Attributes
    ----------
    k
        Counts from 1 to ``k - 1`` are suppressed (shown as empty, with
        ``suppressed = true``); zeros stay.
    sensitive_words
        Records whose category contains one of these are never published.
    finest_period
        ``month`` (default), ``quarter`` or ``year``: finer periods are refused.
    columns
        Columns allowed out; others (ids, times, addresses, descriptions,
        names of people, coordinates) are dropped.
    secondary
        Secondary suppression: along every line of the table (the places of one
        period and category, the periods of one place, ...) a single hidden count
        could be recovered from the line's total, so the smallest shown non-zero
        count of such a line is hidden too, until no line has exactly one.
    min_area_m2
        Counts on polygons smaller than this (default 1 ha; an H3 resolution-10
        hexagon is about 1.5 ha, a grid 网格 tens of hectares, a clipped edge cell
        can be a sliver) are suppressed like small counts: a tiny polygon would
        pin incidents down like a point.
    """

    k: int = 5
    sensitive_words: tuple[str, ...] = SENSITIVE_WORDS
    finest_period: str = "month"
    columns: frozenset[str] = PUBLIC_COLUMNS
    min_area_m2: float = 10_000.0
    secondary: bool = True

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"release rule k = {self.k}: k must be at least 1 (default 5)")
        if self.finest_period not in _GRANULARITY_PATTERNS:
            raise InputError(
                f"release rule finest_period {self.finest_period!r}: use month, quarter or year"
            )

    def is_sensitive(self, categories: pd.Series) -> pd.Series:
        """True where a category contains one of the sensitive words."""
        text = categories.astype("string").str.lower().fillna("")
        mask = pd.Series(False, index=categories.index)
        for word in self.sensitive_words:
            mask |= text.str.contains(word.lower(), regex=False)
        return mask


_KEY_COLUMNS = ("place", "place_name", "level", "category", "period")


def _secondary_suppression(table: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Extend ``hidden`` so that no line of the table has exactly one hidden count.

    A line is the set of rows that agree on every key column but one. When a
    line has one hidden count, its smallest shown non-zero count (a zero when
    only zeros are left) is hidden as well, so the line's total no longer gives
    the hidden count away; repeated until nothing changes.
    """
    hidden = hidden.copy()
    keys = [c for c in _KEY_COLUMNS if c in table.columns]
    if "place" in keys and "place_name" in keys:
        keys.remove("place_name")  # a label of the place, not a dimension of its own
    if not hidden.any() or not keys:
        return hidden
    values = pd.to_numeric(table["count"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lines: list[np.ndarray] = []
    for dim in keys:
        others = [c for c in keys if c != dim]
        if others:
            groups = table.groupby(others, dropna=False, sort=False).indices
            lines.extend(np.asarray(v) for v in groups.values())
        else:
            lines.append(np.arange(len(table)))
    changed = True
    while changed:
        changed = False
        for idx in lines:
            if len(idx) < 2 or hidden[idx].sum() != 1:
                continue
            shown = idx[~hidden[idx] & (values[idx] > 0)]
            if not len(shown):  # only zeros left: a zero gives the total away as well
                shown = idx[~hidden[idx] & ~np.isnan(values[idx])]
            if len(shown):
                hidden[shown[np.argmin(values[shown])]] = True
                changed = True
    return hidden


def release(table: pd.DataFrame, rules: ReleaseRules | None = None) -> pd.DataFrame:
    """The one gate for public data: return ``table`` fit to publish, or refuse it.

    Pure; applies, in order:

    1. refuse tables without a ``count`` column (raw records are not counts);
    2. refuse any geometry that is not a polygon (no points or lines:
       a point would show where an incident happened);
    3. refuse ``period`` labels finer than ``rules.finest_period``;
    4. drop rows of sensitive categories (``category``/``category_zh``);
    5. drop every column not in ``rules.columns`` (ids, times, addresses,
       descriptions, personal fields) -- the names are in
       ``attrs["dropped_columns"]``;
    6. suppress counts from 1 to k-1, and non-zero counts on polygons smaller
       than ``rules.min_area_m2``: count and rate become empty and
       ``suppressed`` is true; then secondary suppression (see
       :class:`ReleaseRules`) so no hidden count follows from a line total.

    Returns a new frame (GeoDataFrame if the input had polygons) with
    ``attrs["released"] = True`` and the rules in ``attrs["release_rules"]``.

    Raises
    ------
    InputError
        Saying what made the table unpublishable and what to pass instead.
    """
    rules = rules or ReleaseRules()
    problems: list[str] = []
    if "count" not in table.columns:
        problems.append(
            "the table has no count column: only aggregate counts can be published; "
            "aggregate first (public_counts / summarize)"
        )
    geometry = None
    if isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table.columns:
        geometry = table.geometry
        kinds = set(geometry.geom_type.dropna())
        bad = kinds - {"Polygon", "MultiPolygon"}
        if bad:
            problems.append(
                f"geometries of type {', '.join(sorted(bad))} found: public data may only "
                "carry areas (grid, hexagon, neighbourhood polygons), never points or lines"
            )
        elif table.crs is None:
            problems.append("the polygons have no CRS; set one (EPSG:4326) before release")
    elif "geometry" in table.columns:
        problems.append(
            "a geometry column that is not a GeoSeries; pass a GeoDataFrame of polygons"
        )
    if "period" in table.columns:
        pattern = re.compile(_GRANULARITY_PATTERNS[rules.finest_period])
        labels = table["period"].astype("string").fillna("")
        fine = sorted({v for v in labels if not pattern.fullmatch(v)})
        if fine:
            problems.append(
                f"periods finer than {rules.finest_period} found ({', '.join(fine[:3])}"
                f"{', ...' if len(fine) > 3 else ''}); count by {rules.finest_period} or coarser"
            )
    if problems:
        raise InputError("refusing to release this table", problems)
    out = table.copy()
    sensitive = pd.Series(False, index=out.index)
    for col in ("category", "category_zh"):
        if col in out.columns:
            sensitive |= rules.is_sensitive(out[col])
    out = out[~sensitive.to_numpy(dtype=bool)]
    dropped = [c for c in out.columns if c not in rules.columns]
    out = out.drop(columns=dropped)
    counts = pd.to_numeric(out["count"], errors="coerce").astype("Int64")
    small = (counts > 0) & (counts < rules.k)
    tiny = np.zeros(len(out), dtype=bool)
    if geometry is not None and len(out):
        area_m2 = out.geometry.to_crs(_EQUAL_AREA).area.to_numpy()
        tiny = area_m2 < rules.min_area_m2
        small = small | pd.Series(
            tiny & (counts.fillna(0) > 0).to_numpy(dtype=bool), index=out.index
        )
    if rules.secondary:
        small = pd.Series(_secondary_suppression(out, small.to_numpy(dtype=bool)), index=out.index)
    out["count"] = counts.mask(small)
    if "rate_per_1000_households" in out.columns:
        out["rate_per_1000_households"] = (
            out["rate_per_1000_households"].astype(float).mask(small.to_numpy(dtype=bool))
        )
    out["suppressed"] = small.fillna(False).astype(bool)
    if geometry is not None:
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=table.crs)
    out.attrs = {
        "released": True,
        "dropped_columns": dropped,
        "release_rules": {
            "k": rules.k,
            "min_area_m2": rules.min_area_m2,
            "secondary": rules.secondary,
            "finest_period": rules.finest_period,
            "sensitive_words": list(rules.sensitive_words),
        },
        "sensitive_rows_dropped": int(sensitive.sum()),
    }
    return out.reset_index(drop=True)


def public_counts(
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame | None = None,
    *,
    rules: ReleaseRules | None = None,
    freq: str = "month",
    by_category: bool = True,
    resolution: int = 8,
) -> gpd.GeoDataFrame:
    """Public counts by cell (grid or H3), category and period, passed through :func:`release`.

    Sensitive records are removed *before* counting, so they are in no total.
    Geometry is the cell polygon (hexagons at ``resolution`` without ``cells``).
    """
    rules = rules or ReleaseRules()
    keep = ~rules.is_sensitive(incidents["category"])
    if "category_zh" in incidents.columns:
        keep &= ~rules.is_sensitive(incidents["category_zh"])
    safe = incidents[keep.to_numpy(dtype=bool)]
    table = summarize(safe, cells, freq=freq, by_category=by_category, resolution=resolution)
    if cells is None:
        cells = hex_cells(table["place"].unique())
    shapes = cells.geometry.copy()
    shapes.index = cells.index.astype(str)
    frame = gpd.GeoDataFrame(table, geometry=table["place"].map(shapes).to_numpy(), crs=cells.crs)
    frame = frame[frame.geometry.notna()]
    return release(frame.to_crs(WGS84), rules)


#: Every function here whose output may be shown to the public; each goes through release().
PUBLIC_FUNCTIONS: tuple[str, ...] = ("release", "public_counts")
