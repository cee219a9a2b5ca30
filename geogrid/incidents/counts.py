"""Incidents, counts: by place, period and category, with rates and change.

:func:`period_labels`; :func:`summarize` counts by cell or parent
(community, street), category and period with rates per 1,000 households;
:func:`hour_by_weekday`; :func:`period_change` for period-over-period and
year-over-year change ("同比下降13.24%").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geogrid.errors import InputError
from geogrid.incidents.cases import case_records, offence_records
from geogrid.incidents.cells import tag_cells

FREQS = ("day", "week", "month", "quarter", "year")


def period_labels(times: pd.Series, freq: str) -> pd.Series:
    """Label each timestamp with its period: ``2025-06-30`` (day), ``2025-W27`` (ISO week),
    ``2025-06`` (month), ``2025-Q2`` (quarter), ``2025`` (year), in the times' own zone."""
    if freq not in FREQS:
        raise InputError(f"unknown time window {freq!r}; use one of {', '.join(FREQS)}")
    t = pd.Series(times)
    labels: pd.Series
    if freq == "day":
        labels = t.dt.strftime("%Y-%m-%d")
    elif freq == "week":
        iso = t.dt.isocalendar()
        labels = iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    elif freq == "month":
        labels = t.dt.strftime("%Y-%m")
    elif freq == "quarter":
        labels = t.dt.year.astype(str) + "-Q" + t.dt.quarter.astype(str)
    else:
        labels = t.dt.year.astype(str)
    return labels


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
    """Count cases by place, period and category, with rates per 1,000 households.

    A count is of DISTINCT cases (:mod:`geogrid.incidents.cases`): without
    ``by_category`` each case once, at the place and period of its first
    record; with it, the cases that include the category, so the categories of
    a place can add up to more than its cases. Sources without ``case_id``
    count one case per record, as before.

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
    tagged = offence_records(tagged) if by_category else case_records(tagged)
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
    ordered: pd.DataFrame = counts.sort_values(keys).reset_index(drop=True)
    return ordered


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_by_weekday(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    """Counts by weekday (rows Mon..Sun) and hour of day (columns 0..23), local time.

    Each case counts once, at the time of its first record. Records whose
    ``time_precision`` is day or month carry no hour and are left out.
    """
    times = _hourly_times(case_records(incidents))
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

    @property
    def yearly(self) -> bool:
        """True for a year: the previous period is the year before, so only one comparison."""
        return self.previous_period == self.last_year_period

    def phrase_zh(self, label: str = "警情") -> str:
        """The sentence the reports use, e.g. ``刑事警情同比下降13.24%，环比上升5.00%``
        (a year: ``同比`` only)."""
        if self.yearly:
            return f"{label}同比{_phrase(self.yoy_pct)}"
        return f"{label}同比{_phrase(self.yoy_pct)}，环比{_phrase(self.pop_pct)}"

    def text(self) -> str:
        """``2025-06: 59 (2025-05: 50, 2024-06: 68)``; a year names the year before once."""
        if self.yearly:
            return f"{self.period}: {self.count} ({self.previous_period}: {self.previous_count})"
        return (
            f"{self.period}: {self.count} ({self.previous_period}: {self.previous_count}, "
            f"{self.last_year_period}: {self.last_year_count})"
        )


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
    ``category`` restricts to one or more categories. Counts are of distinct
    cases (a case that includes a chosen category, at its first such record).
    """
    start = _period_start(period)
    freq = _period_freq(period)
    frame = incidents
    if category is not None:
        cats = {category} if isinstance(category, str) else set(category)
        frame = frame[frame["category"].isin(cats)]
    frame = case_records(frame)
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


def _has_hours(incidents: pd.DataFrame) -> np.ndarray:
    """True for records whose time has an hour (time_precision not day or month)."""
    if "time_precision" not in incidents.columns:
        return np.ones(len(incidents), dtype=bool)
    coarse = incidents["time_precision"].astype("string").isin(["day", "month"]).fillna(False)
    return ~coarse.to_numpy(dtype=bool)
