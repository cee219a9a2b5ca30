"""Incidents, the import step: a source table becomes an incidents frame.

:class:`IncidentMapping` says which source column is what and which
coordinate system and time zone the source uses (stated, never guessed);
:func:`clean_incidents` applies it to a raw table and splits good rows from
rejects (row number, reason, detail); :func:`merge_incidents` adds new records
by id, so importing the same file twice changes nothing;
:func:`incidents_from_layer` / :func:`incidents_to_layer` turn the stored
``incidents`` layer into a frame and back. No file is read here (see
:mod:`geogrid.io.incidents`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid import crs
from geogrid.crs import WGS84, lonlat_from_system
from geogrid.errors import InputError

#: Reasons a source row is rejected, in the order they are checked (one reason per row).
REJECT_REASONS: dict[str, str] = {
    "missing_id": "the id column is empty",
    "missing_coordinates": "no coordinates (empty, not a number, or 0,0)",
    "out_of_range": "coordinates outside longitude -180..180 / latitude -90..90",
    "swapped_coordinates": "latitude and longitude look swapped",
    "outside_area": "the point lies outside the area",
    "bad_time": "the time is empty or cannot be read",
    "missing_category": "the category is empty",
    "missing_case": "the case number column is empty",
    "duplicate_id": "another row of the file has the same id (an exact copy, for cases)",
    "duplicate_offence": "another row of the file has the same case number and category",
}

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
        ``description``, ``zone`` and ``case_id``: the case number (案件编号)
        of exports that list one row per offence, so one case can have
        several rows of different categories. With ``case_id``, one record
        is kept per (case, category) and its id is ``<case>/<category>``
        unless ``id`` is mapped too; totals count distinct cases
        (:mod:`geogrid.incidents.cases`).
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
    synthetic
        ``[source] synthetic = true``: the records are made up (a test or demo
        export); every imported record says so (``synthetic``) and the public
        map labels them.
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
    synthetic: bool = False

    @property
    def source_columns(self) -> list[str]:
        """Every source column the mapping reads."""
        return list(dict.fromkeys([*self.columns.values(), *self.time_parts.values()]))


def mapping_from_dict(data: Mapping[str, Any], where: str = "mapping") -> IncidentMapping:
    """Build and check an :class:`IncidentMapping` from a parsed mapping file.

    The file has a top-level ``name``, a ``[source]`` table (``coordinates``
    required; ``timezone``, ``time_format``, ``time_precision``, ``format``,
    ``encoding``, ``delimiter``, ``bbox``, ``synthetic``), a ``[columns]`` table and
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
    known = {
        "id",
        "time",
        "category",
        "x",
        "y",
        "wkt",
        "category_zh",
        "description",
        "zone",
        "case_id",
    }
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
    synthetic = source.get("synthetic", False)
    if not isinstance(synthetic, bool):
        problems.append(f"[source] synthetic {synthetic!r}: write true or false (no quotes)")
    timezone = str(source.get("timezone") or DEFAULT_TIMEZONE)
    try:
        pd.Timestamp("2020-01-01").tz_localize(timezone)
    except (KeyError, ValueError, OSError):  # zoneinfo: not found, malformed, a folder or too long
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
        synthetic=synthetic is True,
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
    localized: pd.Series = naive.dt.tz_localize(
        timezone, ambiguous=ambiguous, nonexistent="NaT"
    ).astype(f"datetime64[us, {timezone}]")
    return localized


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
            parts[part] = pd.Series(1 if part == "day" else 0, index=table.index)
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
    keys = texts[0].str.cat(cast("Any", texts[1:]), sep="\x1f") if len(texts) > 1 else texts[0]
    occurrence = keys.groupby(keys).cumcount()
    ids = [
        f"{mapping.name}-{hashlib.sha1(k.encode(), usedforsecurity=False).hexdigest()[:12]}-{n}"
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


#: Fewer good rows than this are too few to tell a whole file's coordinate system.
MIN_ROWS_FOR_SYSTEM = 20


def _refuse_other_system(
    x: np.ndarray, y: np.ndarray, stated: str, area: shapely.Geometry, where: str
) -> None:
    """Refuse a file that lies in the area only read in another Chinese system.

    GCJ-02 given as WGS-84 sits ~500 m off: part of the rows fall outside the
    area and the rest are shifted. Refused when at least 10% of the rows lie
    outside the area as stated and at most a quarter as many read in another
    of WGS-84 / GCJ-02 / BD-09 (outside China the systems are one).
    """
    key = crs.named_lonlat(stated)
    if key is None or len(x) < MIN_ROWS_FOR_SYSTEM:
        return
    shapely.prepare(area)

    def outside(system: str) -> float:
        lon, lat = lonlat_from_system(x, y, system)
        return float(np.mean(~shapely.contains_xy(area, lon, lat)))

    stated_out = outside(key)
    if stated_out < 0.1:
        return
    for other in crs.LONLAT_SYSTEMS:
        if other == key:
            continue
        other_out = outside(other)
        if other_out * 4 <= stated_out:
            raise InputError(
                f"{where}: nothing imported: the whole file seems to be in another "
                "coordinate system",
                [
                    f"{where}: {stated_out:.0%} of the rows lie outside the area read as "
                    f"{key} (as the mapping says), {other_out:.0%} read as {other}; set "
                    f'[source] coordinates = "{other}" in the mapping if the file is {other}'
                ],
            )


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
    fields, ``case_id`` among them) and ``rejects`` (columns row, id, reason,
    detail; reasons in :data:`REJECT_REASONS`, one per row, the first that
    applies). With a ``case_id`` column, a second row of the same case and
    category is rejected: ``duplicate_id`` when it repeats the kept row
    exactly, ``duplicate_offence`` when it differs (one record per offence
    of a case; the first row is kept).

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
    cases = _field(table, mapping, "case_id")
    if cases is not None:
        flag(
            cases.isna().to_numpy(),
            "missing_case",
            f"column {mapping.columns.get('case_id', 'case_id')!r} (the case number) is empty",
        )

    # coordinates
    x, y = _coordinates(table, mapping)

    def raw(i: int) -> str:
        return f"x={x[i]!r}, y={y[i]!r}"

    lonlat = crs.is_lonlat_system(mapping.coordinates)
    nan = ~np.isfinite(x) | ~np.isfinite(y)
    zero = (x == 0) & (y == 0)
    flag(nan | zero, "missing_coordinates", "no usable coordinates (empty, not a number, or 0,0)")
    if lonlat:
        swapped, out = crs.lonlat_mixups(x, y)
        flag(
            swapped,
            "swapped_coordinates",
            lambda i: (
                f"{raw(i)}: latitude {y[i]} > 90 but longitude {x[i]} fits a latitude; "
                "swap them in this row (or x and y in the mapping if every row is like this)"
            ),
        )
        flag(out, "out_of_range", lambda i: f"{raw(i)} is not lon/lat; check the coordinates")
    ok = reason == ""
    lon, lat = crs.lonlat_where(x, y, ok, mapping.coordinates)
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

    if lonlat and area is not None:
        _refuse_other_system(x[reason == ""], y[reason == ""], mapping.coordinates, area, where)
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

    rows = table.index.to_numpy()
    if cases is not None:
        if "id" not in mapping.columns:
            ids = (cases.fillna("") + "/" + category.fillna("")).astype("string")
        _flag_repeated_offences(table, mapping, cases, category, rows, reason, detail)

    # duplicate ids (among otherwise good rows; the first one is kept)
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
    for name in ("category_zh", "description", "zone", "case_id"):
        values = _field(table, mapping, name)
        if values is not None:
            data[name] = values[good].astype(object).where(values[good].notna(), None).to_numpy()
    data["source"] = mapping.name
    data["time_precision"] = mapping.time_precision
    data["synthetic"] = mapping.synthetic
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


def _flag_repeated_offences(
    table: pd.DataFrame,
    mapping: IncidentMapping,
    cases: pd.Series,
    category: pd.Series,
    rows: np.ndarray,
    reason: np.ndarray,
    detail: np.ndarray,
) -> None:
    """Among otherwise good rows, reject a second row of the same (case, category): an
    exact copy of the kept row is ``duplicate_id``, a differing one ``duplicate_offence``.
    Rows of one case with other categories are its other offences and stay."""
    good = np.flatnonzero(reason == "")
    if len(good) == 0:
        return
    key = pd.DataFrame({"case": cases.to_numpy()[good], "category": category.to_numpy()[good]})
    repeated = key.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    columns = mapping.source_columns
    texts = table[columns].astype("string").fillna("").to_numpy(dtype=object)
    first: dict[tuple[str, str], int] = {}
    for pos, (case, cat) in zip(good.tolist(), key.itertuples(index=False, name=None), strict=True):
        first.setdefault((str(case), str(cat)), pos)
    for pos in good[repeated].tolist():
        case, cat = str(cases.iloc[pos]), str(category.iloc[pos])
        kept = first[(case, cat)]
        if (texts[pos] == texts[kept]).all():
            reason[pos] = "duplicate_id"
            detail[pos] = (
                f"the same row as row {rows[kept]} (case {case!r}, {cat!r}); kept that row"
            )
        else:
            reason[pos] = "duplicate_offence"
            detail[pos] = (
                f"case {case!r} already has category {cat!r} on row {rows[kept]}; kept that "
                "row (one record per offence of a case)"
            )


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
