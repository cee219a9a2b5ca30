"""Public incident statistics for the map and the API (no folium, no flask here).

Counting and the public release rules are geogrid's (:mod:`geogrid.incidents`):
:func:`build_public_stats` drops sensitive categories with
``ReleaseRules.is_sensitive``, tags each incident with its place using
``summarize`` (grid polygons, or square cells of at least ``MIN_CELL_M``
metres when the area has no grids) and keeps only the internal table of counts
by (place, category, month). Every table this module hands out has passed
``geogrid.incidents.release``: counts from 1 to k-1 suppressed, no columns
outside ``PUBLIC_COLUMNS``, months at finest. What is left here is the
selection of months and categories, sums over it, and the one display rule
of the cell surface: a cell whose count is suppressed or zero is not drawn
(its mere presence would say "1 to 4 incidents here").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84
from geogrid.incidents import (
    DEFAULT_TIMEZONE,
    ReleaseRules,
    incidents_from_layer,
    release,
    summarize,
    tag_cells,
)
from geogrid.io.workspace import Area

#: The public release rules (geogrid's defaults: k = 5, months at finest).
RULES = ReleaseRules()
#: Counts from 1 to MIN_COUNT - 1 are never published (grids say "fewer than 5", cells vanish).
MIN_COUNT = RULES.k
#: Smallest square cell of the fallback count surface, in metres.
MIN_CELL_M = 150.0
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
COUNT_COLUMNS = ["place", "category", "period", "count"]


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


def _incidents(area: Area) -> gpd.GeoDataFrame:
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


def build_public_stats(area: Area, cell_m: float = 200.0) -> PublicStats:
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


# --------------------------------------------------------------------------- secondary suppression


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


def class_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` equal classes from 0 with a round step.

    The step is 1, 2, 2.5 or 5 times a power of ten, so a legend reads
    "0 – 50, 50 – 100, ..." and does not shift with every new incident.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v) and v >= 0]
    if not finite:
        return []
    top = max(finite)
    if top == 0:
        return [0.0]
    raw = top / classes
    power = 10 ** math.floor(math.log10(raw))
    step = next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= raw - 1e-12)
    count = max(1, math.ceil(top / step - 1e-9))
    return [round(step * (k + 1), 6) for k in range(count)]
