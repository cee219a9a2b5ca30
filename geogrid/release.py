"""The public release gate, and the released statistics of an area built on it.

Pure domain code: frames in, frames out; nothing is read or written here.

The gate
    :class:`ReleaseRules` and :func:`release`, the one gate every public
    output passes (:func:`public_counts`, the IO ``publish_dataset`` and the
    web map's tables go through it): no points, no addresses or personal
    fields, counts under k suppressed (with secondary suppression so no
    hidden count follows from a line total), sensitive categories dropped,
    month granularity at finest.
Public statistics of an area
    :func:`build_public_stats` drops sensitive categories with
    ``ReleaseRules.is_sensitive``, tags each incident with its place using
    :func:`geogrid.incidents.summarize` (grid polygons, or square cells of at
    least ``MIN_CELL_M`` metres when the area has no grids) and keeps only the
    internal table of counts by (place, category, month). Every table handed
    out from it (:func:`place_counts`, :func:`monthly_counts`,
    :func:`category_counts`, :func:`public_total`, :func:`year_over_year`) has
    passed :func:`release`: counts from 1 to k-1 suppressed, no columns outside
    ``PUBLIC_COLUMNS``, months at finest. What is left to do there is the
    selection of months and categories, sums over it, and the one rule of
    the cell surface: a cell whose count is suppressed or zero is not listed
    (its mere presence would say "1 to 4 incidents here").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.incidents import (
    DEFAULT_TIMEZONE,
    hex_cells,
    incidents_from_layer,
    summarize,
    tag_cells,
)

# =========================================================================== the gate

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


# =========================================================================== public statistics of an area

#: The public release rules (geogrid's defaults: k = 5, months at finest).
RULES = ReleaseRules()
#: Counts from 1 to MIN_COUNT - 1 are never published (grids say "fewer than 5", cells vanish).
MIN_COUNT = RULES.k
#: Smallest square cell of the fallback count surface, in metres.
MIN_CELL_M = 150.0
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
COUNT_COLUMNS = ["place", "category", "period", "count"]


class AreaFrames(Protocol):
    """What :func:`build_public_stats` reads of an area (a ``geogrid.io.workspace.Area``)."""

    @property
    def manifest(self) -> Mapping[str, Any]: ...

    @property
    def boundary(self) -> gpd.GeoDataFrame: ...

    @property
    def grids(self) -> gpd.GeoDataFrame: ...

    @property
    def buildings(self) -> gpd.GeoDataFrame | None: ...

    @property
    def incidents(self) -> gpd.GeoDataFrame | None: ...

    @property
    def metric_crs(self) -> str: ...


# --------------------------------------------------------------------------- places


def _grid_ids(grids: gpd.GeoDataFrame) -> pd.Series:
    for column in ("grid_id", "code", "id"):
        if column in grids.columns:
            return grids[column].astype(str)
    return pd.Series([str(i + 1) for i in range(len(grids))], index=grids.index)


def _grid_names(grids: gpd.GeoDataFrame, ids: pd.Series) -> pd.Series:
    for column in ("name_zh", "name"):
        if column in grids.columns:
            return grids[column].where(grids[column].notna(), ids).astype(str)
    return ids


def _grid_households(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None) -> np.ndarray:
    """The grid's own ``households``, else the sum over buildings whose interior point is in it."""
    if "households" in grids.columns:
        return grids["households"].fillna(0).to_numpy(dtype=float)
    totals = np.zeros(len(grids), dtype=float)
    if buildings is None or len(buildings) == 0 or "households" not in buildings.columns:
        return totals
    spots = gpd.GeoDataFrame(
        {"households": buildings["households"].fillna(0).to_numpy(dtype=float)},
        geometry=shapely.point_on_surface(buildings.to_crs(WGS84).geometry.values), crs=WGS84,
    )
    tagged = tag_cells(spots, grids.set_axis(pd.RangeIndex(len(grids))))
    inside = tagged["cell"].notna().to_numpy()
    np.add.at(totals, tagged["cell"][inside].astype(int).to_numpy(),
              tagged["households"][inside].to_numpy())
    return totals


@dataclass(frozen=True)
class PublicStats:
    """The area's incidents reduced to counts that may be released after selection.

    ``kind`` is ``"grid"`` or ``"cell"``; ``places`` (EPSG:4326, index =
    place id) has ``place_name`` and ``households`` (0 for cells) and the
    polygon; ``counts`` is geogrid's ``summarize`` table by place, category
    and month (``place``, ``category``, ``period``, ``count``) of the
    non-sensitive incidents: internal, never served as is; ``categories``
    maps each public category to its Chinese label; ``months`` lists every
    month from the first to the last count.
    """

    kind: str
    places: gpd.GeoDataFrame
    counts: pd.DataFrame
    categories: dict[str, str]
    months: list[str]
    cell_m: float


def _month_span(months: pd.Series) -> list[str]:
    valid = sorted(m for m in set(months) if isinstance(m, str) and MONTH_RE.fullmatch(m))
    if not valid:
        return []
    return [str(p) for p in pd.period_range(valid[0], valid[-1], freq="M")]


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the areal part of a clipped cell (release() takes polygons only)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
    return shapely.multipolygons(parts) if parts else shapely.Polygon()


def _cells(boundary: gpd.GeoDataFrame, points: gpd.GeoSeries, metric_crs: str,
           cell_m: float) -> gpd.GeoDataFrame:
    """Square cells aligned to multiples of ``cell_m`` in ``metric_crs`` (so they do not move
    with the data) that hold at least one point inside the boundary, clipped to it."""
    outline = shapely.union_all(boundary.to_crs(metric_crs).geometry.values)
    metric = points.to_crs(metric_crs).geometry.values
    inside = shapely.intersects(outline, metric) if len(metric) else np.zeros(0, dtype=bool)
    col = np.floor(shapely.get_x(metric[inside]) / cell_m).astype(np.int64)
    row = np.floor(shapely.get_y(metric[inside]) / cell_m).astype(np.int64)
    keys = sorted(set(zip(col.tolist(), row.tolist(), strict=True)))
    cols = np.array([k[0] for k in keys], dtype=float)
    rows = np.array([k[1] for k in keys], dtype=float)
    ids = [f"{c}_{r}" for c, r in keys]
    boxes = shapely.box(cols * cell_m, rows * cell_m, (cols + 1) * cell_m, (rows + 1) * cell_m)
    cells = gpd.GeoDataFrame(
        {"place_name": ids, "households": 0}, geometry=boxes, crs=metric_crs,
        index=pd.Index(ids, name="place"),
    ).to_crs(WGS84)
    # clip in lon/lat so cells never poke out of the boundary as drawn
    clipped = shapely.intersection(
        cells.geometry.values, shapely.union_all(boundary.to_crs(WGS84).geometry.values)
    )
    cells["geometry"] = [_polygonal(g) for g in clipped]
    return cells[~cells.geometry.is_empty]


def _incidents(area: AreaFrames) -> gpd.GeoDataFrame:
    """The area's incidents with tz-aware times in the area's zone, sensitive ones dropped."""
    layer = area.incidents
    if layer is None or len(layer) == 0:
        return gpd.GeoDataFrame({"id": [], "time": [], "category": []}, geometry=[], crs=WGS84)
    layer = layer.to_crs(WGS84) if layer.crs not in (None, WGS84) else layer
    timezone = str(area.manifest.get("timezone") or DEFAULT_TIMEZONE)
    if pd.api.types.is_datetime64_any_dtype(layer["time"]):
        incidents = layer.assign(time=layer["time"].dt.tz_convert(timezone))
    else:
        incidents = incidents_from_layer(layer, timezone)
    sensitive = RULES.is_sensitive(incidents["category"])
    if "category_zh" in incidents.columns:
        sensitive |= RULES.is_sensitive(incidents["category_zh"])
    return incidents[~sensitive.to_numpy(dtype=bool) & incidents["time"].notna().to_numpy()]


def build_public_stats(area: AreaFrames, cell_m: float = 200.0) -> PublicStats:
    """Count ``area``'s non-sensitive incidents by grid (or cell when no grids), category
    and month with geogrid's ``summarize``."""
    if cell_m < MIN_CELL_M:
        raise ValueError(
            f"cell_m={cell_m}: cells smaller than {MIN_CELL_M:.0f} m are not published"
        )
    incidents = _incidents(area)
    if len(area.grids):
        grids = area.grids.to_crs(WGS84)
        ids = _grid_ids(grids)
        places = gpd.GeoDataFrame(
            {"place_name": _grid_names(grids, ids).to_numpy(),
             "households": np.round(_grid_households(grids, area.buildings)).astype(np.int64)},
            geometry=grids.geometry.to_numpy(), crs=WGS84,
            index=pd.Index(ids.to_numpy(), name="place"),
        )
        kind = "grid"
    else:
        places = _cells(area.boundary, incidents.geometry, area.metric_crs, cell_m)
        kind = "cell"
    if len(incidents) and len(places):
        counts = summarize(incidents, places[["geometry"]], freq="month", by_category=True)
        counts = counts[COUNT_COLUMNS]
    else:
        counts = pd.DataFrame({c: pd.Series(dtype=object if c != "count" else int)
                               for c in COUNT_COLUMNS})
    labels: dict[str, str] = {}
    if "category_zh" in incidents.columns:
        pairs = incidents[["category", "category_zh"]].dropna().drop_duplicates("category")
        labels = dict(zip(pairs["category"].astype(str), pairs["category_zh"].astype(str),
                          strict=True))
    categories = sorted(set(counts["category"].astype(str)))
    return PublicStats(
        kind=kind,
        places=places,
        counts=counts.reset_index(drop=True),
        categories={c: labels.get(c) or c for c in categories},
        months=_month_span(counts["period"]),
        cell_m=float(cell_m),
    )


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Selection:
    """A month range (inclusive ``YYYY-MM`` labels, None = open) and a set of categories
    (empty = all)."""

    start: str | None = None
    end: str | None = None
    categories: tuple[str, ...] = ()

    def months(self, stats: PublicStats) -> list[str]:
        return [m for m in stats.months
                if (self.start is None or m >= self.start) and (self.end is None or m <= self.end)]

    def apply(self, counts: pd.DataFrame) -> pd.DataFrame:
        """The rows of a (place, category, period, count) table inside the selection."""
        keep = np.ones(len(counts), dtype=bool)
        if self.start is not None:
            keep &= (counts["period"] >= self.start).to_numpy()
        if self.end is not None:
            keep &= (counts["period"] <= self.end).to_numpy()
        if self.categories:
            keep &= counts["category"].isin(self.categories).to_numpy()
        return counts[keep]

    def total(self, stats: PublicStats) -> int:
        """Raw total of the selection (internal: release it before showing it)."""
        return int(self.apply(stats.counts)["count"].sum())


def place_counts(stats: PublicStats, selection: Selection | None = None) -> gpd.GeoDataFrame:
    """Released count per place for ``selection``, with rates per 1,000 households.

    One row per place (index = place id) with ``place_name``, ``households``,
    ``count`` (Int64, NA when suppressed), ``rate_per_1000_households`` (NaN
    when suppressed or no households), ``suppressed`` and the polygon. Grids are
    all listed; cells only when their count is published and not zero.
    """
    selection = selection or Selection()
    raw = selection.apply(stats.counts).groupby("place")["count"].sum()
    raw = raw.reindex(stats.places.index, fill_value=0).astype(np.int64)
    households = stats.places["households"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(households > 0, np.round(1000.0 * raw.to_numpy() / households, 1),
                        np.nan)
    table = gpd.GeoDataFrame(
        {"place": stats.places.index.to_numpy(),
         "place_name": stats.places["place_name"].to_numpy(),
         "households": stats.places["households"].to_numpy(),
         "count": raw.to_numpy(), "rate_per_1000_households": rate},
        geometry=stats.places.geometry.to_numpy(), crs=WGS84,
    )
    out = release(table, RULES)
    if stats.kind == "cell":
        # undrawn cells are not listed at all, so no line of cells has a known total
        return out[out["count"].fillna(0).to_numpy() > 0].set_index("place")
    return out.set_index("place")


def monthly_counts(stats: PublicStats, selection: Selection | None = None,
                   by: str | None = None) -> pd.DataFrame:
    """Released counts per month over the selected months.

    ``by=None``: one row per month for the whole area; ``by="place"`` or
    ``"category"``: one row per (key, month). Columns [``place`` /
    ``category``], ``period`` (``YYYY-MM``), ``count`` (Int64, NA when
    suppressed), ``suppressed``. Months with no incident appear with 0. The
    counts pass ``release`` with secondary suppression along both keys (the line totals are public).
    """
    selection = selection or Selection()
    months = selection.months(stats)
    counts = selection.apply(stats.counts)
    if by is None:
        table = counts.groupby("period")["count"].sum().reindex(months, fill_value=0)
        raw = pd.DataFrame({"period": months, "count": table.to_numpy()})
        return release(raw, RULES)
    # cells that are not drawn are not public at all, so they get no monthly rows either
    keys = (list(place_counts(stats, selection).index) if by == "place"
            else sorted(set(selection.categories or stats.categories)))
    full = pd.MultiIndex.from_product([keys, months], names=[by, "period"])
    table = counts.groupby([by, "period"])["count"].sum().reindex(full, fill_value=0)
    return release(table.rename("count").reset_index(), RULES)


def category_counts(stats: PublicStats, selection: Selection | None = None) -> pd.DataFrame:
    """Released counts per public category for the selection: ``category``, ``count``
    (suppressed), ``suppressed``, ``label_zh``."""
    selection = selection or Selection()
    keys = sorted(set(selection.categories or stats.categories))
    table = selection.apply(stats.counts).groupby("category")["count"].sum()
    raw = pd.DataFrame({"category": keys, "count": table.reindex(keys, fill_value=0).to_numpy()})
    out = release(raw, RULES)
    out["label_zh"] = [stats.categories.get(k, k) for k in out["category"]]
    return out


def public_total(stats: PublicStats, selection: Selection | None = None) -> int | None:
    """The released total of the selection (None when suppressed)."""
    total = (selection or Selection()).total(stats)
    released = release(pd.DataFrame({"count": [total]}), RULES)["count"].iloc[0]
    return None if pd.isna(released) else int(released)


@dataclass(frozen=True)
class YearOverYear:
    """The selected months against the same months a year earlier (同比); released counts."""

    start: str
    end: str
    count: int | None
    previous_start: str
    previous_end: str
    previous_count: int | None
    #: data covers the earlier months, so the comparison means something
    comparable: bool

    @property
    def change_pct(self) -> float | None:
        if not self.comparable or self.count is None or not self.previous_count:
            return None
        return round((self.count - self.previous_count) / self.previous_count * 100.0, 1)


def _shift_year(month: str, years: int) -> str:
    return f"{int(month[:4]) + years:04d}{month[4:]}"


def year_over_year(stats: PublicStats, selection: Selection | None = None) -> YearOverYear | None:
    """Count in the selected months against the same months one year earlier.

    A selection longer than a year is cut to its last 12 months. Without months
    in the data returns None. Both counts pass ``release``; ``comparable`` is
    False when the data does not reach back to the earlier months.
    """
    selection = selection or Selection()
    months = selection.months(stats)[-12:]
    if not months:
        return None
    start, end = months[0], months[-1]
    now = Selection(start, end, selection.categories)
    before = Selection(_shift_year(start, -1), _shift_year(end, -1), selection.categories)
    released = release(pd.DataFrame({"count": [now.total(stats), before.total(stats)]}), RULES)
    counts = [None if pd.isna(c) else int(c) for c in released["count"]]
    return YearOverYear(
        start=start, end=end, count=counts[0],
        previous_start=before.start or "", previous_end=before.end or "",
        previous_count=counts[1],
        comparable=stats.months[0] <= (before.start or ""),
    )
