"""The public release gate, and the one released table of an area built on it.

Pure domain code: frames in, frames out; nothing is read or written here.

The gate
    :class:`ReleaseRules` and :func:`release`, the one gate every public
    output passes (:func:`public_counts`, the IO ``publish_dataset`` and the
    web map's table go through it): no points, no addresses or personal
    fields, counts under k suppressed (with secondary suppression so that no
    line of the table, and so no margin, holds exactly one hidden count),
    sensitive categories dropped, month granularity at finest.
The released table of an area
    :func:`release_area` counts an area's non-sensitive incidents ONCE by
    place (grid, or square cell of at least ``MIN_CELL_M`` metres when the
    area has no grids), category and month, and releases that cube together
    with all its margin tables (place x month, place x category, category x
    month, per place, per category, per month, the area total) in one pass
    with one suppression pattern (:func:`release_cube`: the cube through
    :func:`release`, then :func:`protect_linked`: no line of the linked table
    has exactly one hidden cell and every hidden cell sits in a box of hidden
    cells). The result, a frozen :class:`ReleasedTable`, keeps the released
    cells of every table and their hidden masks, not the raw counts. Every
    public figure (:func:`place_counts`, :func:`monthly_counts`,
    :func:`category_counts`, :func:`public_total`, :func:`year_over_year`, the
    browser's copy from :meth:`ReleasedTable.to_json`) is a sum of released
    cells of the one table that answers it most tightly, a :class:`Bound` that
    says "at least" when a hidden cell is inside. So any number of queries,
    subtracted in any way, gives released cells and lower bounds only.
    docs/PRIVACY.md states the guarantee and its limits.
Several offences in one case
    Counts are of distinct cases (:mod:`geogrid.incidents.cases`): a cube cell
    counts the cases of the place and month that include the category, the
    "all categories" margins count each case once (at its first record), so
    they are released as cells of their own and are no longer the sum of the
    categories when a case has several offences (``categories_overlap``). The
    line and box conditions are kept as they are (docs/PRIVACY.md); an "at
    least" figure of a hidden "all categories" cell is the largest of its
    categories, never their sum.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.incidents import (
    DEFAULT_TIMEZONE,
    has_cases,
    hex_cells,
    incidents_from_layer,
    offence_records,
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


def _lines(table: pd.DataFrame) -> list[np.ndarray]:
    """The lines of ``table``: rows that agree on every key column but one (length >= 2)."""
    keys = [c for c in _KEY_COLUMNS if c in table.columns]
    if "place" in keys and "place_name" in keys:
        keys.remove("place_name")  # a label of the place, not a dimension of its own
    lines: list[np.ndarray] = []
    for dim in keys:
        others = [c for c in keys if c != dim]
        if others:
            groups = table.groupby(others, dropna=False, sort=False).indices
            lines.extend(np.asarray(v) for v in groups.values() if len(v) >= 2)
        elif len(table) >= 2:
            lines.append(np.arange(len(table)))
    return lines


def _secondary_suppression(table: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Extend ``hidden`` so that no line of the table holds exactly one hidden count.

    A line is the set of rows that agree on every key column but one: in a
    place x category x month table the places of one (category, month), the
    categories of one (place, month) and the months of one (place, category).
    Every margin of the table (place x month over all categories, category x
    month over all places, a place's total, ...) is a sum over such lines, so
    when no line holds exactly one hidden count, no margin cell holds exactly
    one either and no hidden count equals a line or margin total minus shown
    counts.

    While a line holds one hidden count, one more of its shown counts is
    hidden: the one whose hiding leaves the fewest new lone hidden counts in
    its other lines (a cell that also completes a second line is best), then a
    non-zero count before a zero (a zero hidden next to a count of 1 would
    let the pair's total tell the 1), then the smallest. Lines of one cell
    are the cell itself and need nothing.
    """
    hidden = hidden.copy()
    if not hidden.any():
        return hidden
    lines = _lines(table)
    if not lines:
        return hidden
    values = pd.to_numeric(table["count"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    member: list[list[int]] = [[] for _ in range(len(table))]
    for number, idx in enumerate(lines):
        for row in idx.tolist():
            member[row].append(number)
    in_line = np.array([int(hidden[idx].sum()) for idx in lines])
    queue = [n for n in range(len(lines)) if in_line[n] == 1]
    while queue:
        number = queue.pop()
        if in_line[number] != 1:
            continue
        idx = lines[number]
        shown = [int(r) for r in idx if not hidden[r] and not np.isnan(values[r])]
        if not shown:
            continue

        def cost(row: int, line: int = number) -> tuple[int, bool, float]:
            others = [in_line[n] for n in member[row] if n != line]
            return (
                sum(h == 0 for h in others) - sum(h == 1 for h in others),
                bool(values[row] == 0),
                float(values[row]),
            )

        pick = min(shown, key=cost)
        hidden[pick] = True
        for n in member[pick]:
            in_line[n] += 1
            if in_line[n] == 1:
                queue.append(n)
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


# ============================================================= public statistics of an area

#: The public release rules (geogrid's defaults: k = 5, months at finest).
RULES = ReleaseRules()
#: Counts from 1 to MIN_COUNT - 1 are never published.
MIN_COUNT = RULES.k
#: Smallest square cell of the fallback count surface, in metres.
MIN_CELL_M = 150.0
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
COUNT_COLUMNS = ["place", "category", "period", "count"]


class AreaFrames(Protocol):
    """What :func:`release_area` reads of an area (a ``geogrid.io.workspace.Area``)."""

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


# --------------------------------------------------------------------------- the released table


@dataclass(frozen=True)
class Bound:
    """A public figure: the sum of the released cells it covers.

    ``exact`` is False when a hidden cell is inside; the true figure is then
    ``value`` or more ("at least N").
    """

    value: int
    exact: bool

    @property
    def at_least(self) -> bool:
        return not self.exact

    def __add__(self, other: Bound) -> Bound:
        return Bound(self.value + other.value, self.exact and other.exact)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class ReleasedTable:
    """An area's public statistics: ONE linked table, released once.

    The table is the place x category x month cube together with all its margin
    tables (place x month over all categories, place x category over all months,
    category x month over all places, per place, per category, per month and the
    area total), held as one array with one more index on each axis: the last
    index of an axis (:data:`ALL`) is "all" of it. So ``released[p, c, m]`` is a
    cube cell, ``released[p, ALL, m]`` the place x month margin, ``released[ALL,
    ALL, ALL]`` the area total. ``released`` holds the released counts (0 where
    hidden) and ``suppressed`` marks the cells :func:`release_cube` withheld
    (counts 1 to k-1, counts on polygons under ``rules.min_area_m2``, and the
    linked secondary suppression, see :func:`protect_linked`). The raw counts are
    not kept: every figure derived from this table (:meth:`total`,
    :meth:`totals`, the map, the API) is a sum of released cells of ONE of these
    tables (the one that answers the question most tightly, see :meth:`bound`),
    flagged ``exact=False`` ("at least") when a hidden cell is inside.

    ``kind`` is ``"grid"`` or ``"cell"``; ``places`` (EPSG:4326, index = place id,
    in the order of axis 0) has ``place_name`` and ``households`` (0 for cells) and
    the polygon; ``categories`` maps each public category (axis 1) to its Chinese
    label; ``months`` (axis 2) runs from the first to the last month with an
    incident. ``unlisted_places`` counts square cells left out of axis 0 (no
    released count above zero); the "all places" margins still count them.

    ``categories_overlap`` is True when some case has several offences: the
    "all categories" cells then count distinct cases and the categories of a
    place and month can add up to more (the public pages say so); a hidden
    "all categories" cell is then shown as at least the largest of its
    categories, not their sum.
    """

    kind: str
    places: gpd.GeoDataFrame
    categories: dict[str, str]
    months: tuple[str, ...]
    released: np.ndarray
    suppressed: np.ndarray
    cell_m: float = 200.0
    rules: ReleaseRules = RULES
    unlisted_places: int = 0
    categories_overlap: bool = False
    _best_value: np.ndarray = field(init=False, repr=False)
    _best_exact: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shape = (len(self.places) + 1, len(self.categories) + 1, len(self.months) + 1)
        if self.released.shape != shape or self.suppressed.shape != shape:
            raise ValueError(
                f"released {self.released.shape} / suppressed {self.suppressed.shape}: "
                f"expected {shape} (places, categories, months, each with its margin last)"
            )
        released = np.where(self.suppressed, 0, self.released).astype(np.int64)
        object.__setattr__(self, "released", _frozen(released))
        object.__setattr__(self, "suppressed", _frozen(self.suppressed.astype(bool)))
        object.__setattr__(self, "months", tuple(self.months))
        value, exact = _best_bounds(self.released, self.suppressed, self.categories_overlap)
        object.__setattr__(self, "_best_value", _frozen(value))
        object.__setattr__(self, "_best_exact", _frozen(exact))

    @property
    def cells(self) -> np.ndarray:
        """The released place x category x month cells (0 where hidden)."""
        return self.released[:-1, :-1, :-1]

    @property
    def hidden(self) -> np.ndarray:
        """The hidden mask of the place x category x month cells."""
        return self.suppressed[:-1, :-1, :-1]

    def margin(self, *axes: str) -> tuple[np.ndarray, np.ndarray]:
        """The released cells and hidden mask of the margin table kept along ``axes``
        (e.g. ``"place", "month"``: all categories), in axis order."""
        keep = {_AXES[a] for a in axes}
        index = tuple(slice(None, -1) if a in keep else ALL for a in range(3))
        return self.released[index], self.suppressed[index]

    @property
    def place_ids(self) -> list[str]:
        return [str(p) for p in self.places.index]

    def _labels(self, axis: int) -> list[str]:
        return (self.place_ids, list(self.categories), list(self.months))[axis]

    def _pick(self, axis: int, keys: Sequence[str] | None) -> np.ndarray:
        labels = self._labels(axis)
        if keys is None:
            return np.arange(len(labels))
        where = {k: i for i, k in enumerate(labels)}
        unknown = [k for k in keys if k not in where]
        if unknown:
            noun = ("place", "category", "month")[axis]
            raise InputError(f"unknown {noun} {', '.join(map(str, unknown[:5]))}")
        return np.array([where[k] for k in keys], dtype=np.int64)

    def _summed(self, axis: int, keys: Sequence[str] | None) -> np.ndarray:
        """Indices to sum over on ``axis``: the margin (ALL) when ``keys`` is None or
        names every label once (and, for places, no place is unlisted), else the keys."""
        labels = self._labels(axis)
        every = keys is not None and len(keys) == len(labels) and set(keys) == set(labels)
        if keys is None or (every and not (axis == 0 and self.unlisted_places)):
            return np.array([len(labels)], dtype=np.int64)
        return self._pick(axis, keys)

    def total(
        self,
        places: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        months: Sequence[str] | None = None,
    ) -> Bound:
        """Sum of released cells for the given places, categories and months (None = all),
        from the table that answers it most tightly: all categories -> the place x month
        margin, all places -> category x month, all of both -> per month, and so on."""
        index = np.ix_(
            self._summed(0, places), self._summed(1, categories), self._summed(2, months)
        )
        return Bound(int(self._best_value[index].sum()), bool(self._best_exact[index].all()))

    def totals(
        self,
        by: str | tuple[str, ...],
        places: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
        months: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sums of released cells kept apart along ``by`` (``"place"``, ``"category"``,
        ``"month"`` or a tuple of them, in axis order): ``(values, exact)`` arrays. Each
        entry is :meth:`total` of its key."""
        keep = {_AXES[b] for b in ((by,) if isinstance(by, str) else by)}
        keys = (places, categories, months)
        index = np.ix_(
            *(self._pick(a, keys[a]) if a in keep else self._summed(a, keys[a]) for a in range(3))
        )
        summed = tuple(a for a in range(3) if a not in keep)
        return (
            np.asarray(self._best_value[index].sum(axis=summed)),
            np.asarray(self._best_exact[index].all(axis=summed)),
        )

    def to_json(self) -> dict[str, Any]:
        """The released table as plain JSON: released cells, ``null`` where hidden.

        ``counts[place][c][m]`` is the cube in the order of ``categories`` and
        ``months``; ``margins`` holds the margin tables the same way
        (``place_month[place][m]``, ``place_category[place][c]``, ``place[place]``,
        ``category_month[c][m]``, ``category[c]``, ``month[m]``, ``total``). This is
        everything the public map's filters compute from. ``categories_overlap``
        true: the "all categories" cells count distinct cases, less than the sum of
        the categories when a case has several offences.
        """

        def out(values: np.ndarray, hidden: np.ndarray) -> Any:
            if values.ndim == 0:
                return None if bool(hidden) else int(values)
            return [out(v, h) for v, h in zip(values, hidden, strict=True)]

        ids = self.place_ids
        margin = {name: out(*self.margin(*axes)) for name, axes in _MARGINS.items()}
        for name in ("place_month", "place_category", "place"):
            margin[name] = dict(zip(ids, margin[name], strict=True))
        return {
            "kind": self.kind,
            "cell_m": self.cell_m if self.kind == "cell" else None,
            "k": self.rules.k,
            "categories_overlap": self.categories_overlap,
            "months": list(self.months),
            "categories": [{"category": k, "label_zh": v} for k, v in self.categories.items()],
            "places": [
                {"place": place, "name": str(name), "households": int(households)}
                for place, name, households in zip(
                    ids, self.places["place_name"], self.places["households"], strict=True
                )
            ],
            "counts": dict(zip(ids, out(self.cells, self.hidden), strict=True)),
            "margins": margin,
        }


#: The last index of each axis of :attr:`ReleasedTable.released`: "all" of that axis.
ALL = -1
_AXES = {"place": 0, "category": 1, "month": 2}
#: The margin tables of the released table, by name (as in ``to_json``), with the axes kept.
_MARGINS: dict[str, tuple[str, ...]] = {
    "place_month": ("place", "month"),
    "place_category": ("place", "category"),
    "place": ("place",),
    "category_month": ("category", "month"),
    "category": ("category",),
    "month": ("month",),
    "total": (),
}


def _best_bounds(
    released: np.ndarray, hidden: np.ndarray, overlap: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the linked table, the figure the public is shown for it: the released
    count (exact), or for a hidden cell the largest sum of released cells one level
    finer along one of its "all" axes ("at least"; 0 for a hidden cube cell). With
    ``overlap`` (cases with several offences) the "all categories" cells count
    distinct cases, so along the category axis the bound is the largest finer cell,
    not the sum.

    Every value is a function of the released cells and the hidden mask only.
    static/js/public_map.js computes the same (``best``).
    """
    value = np.where(hidden, 0, released).astype(np.int64)
    exact = ~hidden
    margin = [np.zeros(released.shape, dtype=bool) for _ in range(3)]
    for axis in range(3):
        index: list[Any] = [slice(None)] * 3
        index[axis] = -1
        margin[axis][tuple(index)] = True
    level = margin[0].astype(int) + margin[1] + margin[2]
    for depth in (1, 2, 3):
        at = (level == depth) & hidden
        if not at.any():
            continue
        best = np.zeros(released.shape, dtype=np.int64)
        for axis in range(3):
            finer = np.take(value, range(released.shape[axis] - 1), axis=axis)
            if overlap and axis == 1:
                inner = finer.max(axis=axis, initial=0)
            else:
                inner = finer.sum(axis=axis)
            candidate = np.zeros(released.shape, dtype=np.int64)
            index = [slice(None)] * 3
            index[axis] = -1
            candidate[tuple(index)] = inner
            best = np.where(margin[axis], np.maximum(best, candidate), best)
        value = np.where(at, best, value)
    return value, exact


# --------------------------------------------------------------------------- places


def _grid_ids(grids: gpd.GeoDataFrame) -> pd.Series:
    for column in ("grid_id", "code", "id"):
        if column in grids.columns:
            ids: pd.Series = grids[column].astype(str)
            return ids
    return pd.Series([str(i + 1) for i in range(len(grids))], index=grids.index)


def _grid_names(grids: gpd.GeoDataFrame, ids: pd.Series) -> pd.Series:
    for column in ("name_zh", "name"):
        if column in grids.columns:
            names: pd.Series = grids[column].where(grids[column].notna(), ids).astype(str)
            return names
    return ids


def _grid_households(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None) -> np.ndarray:
    """The grid's own ``households``, else the sum over buildings whose interior point is in it."""
    if "households" in grids.columns:
        own: np.ndarray = grids["households"].fillna(0).to_numpy(dtype=float)
        return own
    totals = np.zeros(len(grids), dtype=float)
    if buildings is None or len(buildings) == 0 or "households" not in buildings.columns:
        return totals
    spots = gpd.GeoDataFrame(
        {"households": buildings["households"].fillna(0).to_numpy(dtype=float)},
        geometry=shapely.point_on_surface(buildings.to_crs(WGS84).geometry.values),
        crs=WGS84,
    )
    tagged = tag_cells(spots, grids.set_axis(pd.RangeIndex(len(grids))))
    inside = tagged["cell"].notna().to_numpy()
    np.add.at(
        totals,
        tagged["cell"][inside].astype(int).to_numpy(),
        tagged["households"][inside].to_numpy(),
    )
    return totals


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


def _cells(
    boundary: gpd.GeoDataFrame, points: gpd.GeoSeries, metric_crs: str, cell_m: float
) -> gpd.GeoDataFrame:
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
        {"place_name": ids, "households": 0},
        geometry=boxes,
        crs=metric_crs,
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


def linked_table(cube: np.ndarray, cases: np.ndarray | None = None) -> np.ndarray:
    """The cube with all its margins: one more index on each axis holding the sum over it
    (so ``out[-1, -1, -1]`` is the grand total).

    ``cases`` (place x month), when given, is the "all categories" slice: distinct
    cases, which is less than the sum of the categories when a case has several
    offences; the place and month margins of that slice are its sums (a case is
    placed and dated once)."""
    n_p, n_c, n_m = cube.shape
    out = np.zeros((n_p + 1, n_c + 1, n_m + 1), dtype=np.int64)
    out[:n_p, :n_c, :n_m] = cube
    out[:n_p, :n_c, n_m] = cube.sum(axis=2)
    if cases is None:
        out[:n_p, n_c, :] = out[:n_p, :n_c, :].sum(axis=1)
    else:
        out[:n_p, n_c, :n_m] = cases
        out[:n_p, n_c, n_m] = np.asarray(cases).sum(axis=1)
    out[n_p, :, :] = out[:n_p, :, :].sum(axis=0)
    return out


def _lone_lines(hidden: np.ndarray) -> list[tuple[int, tuple[int, int]]]:
    """The lines of the linked table holding exactly one hidden cell, as (axis, the
    indices on the other two axes). A line is every cell along one axis with the other
    two indices fixed, its total (the "all" index) included as a member."""
    out: list[tuple[int, tuple[int, int]]] = []
    for axis in range(3):
        lone = np.argwhere(hidden.sum(axis=axis) == 1)
        out.extend((axis, (int(i), int(j))) for i, j in lone)
    return out


def _line_cells(axis: int, fixed: tuple[int, int], length: int) -> list[tuple[int, int, int]]:
    cells = []
    for k in range(length):
        index = list(fixed)
        index.insert(axis, k)
        cells.append((index[0], index[1], index[2]))
    return cells


def _complete_lines(counts: np.ndarray, hidden: np.ndarray) -> bool:
    """Hide, in every line with exactly one hidden cell, its smallest non-zero released
    cell (preferring one that also completes another line), until no line has exactly
    one. Such a line always holds a non-zero released cell (its hidden cell is not 0, so
    neither is its total). Returns whether anything was hidden."""
    changed = False
    while True:
        lone = _lone_lines(hidden)
        if not lone:
            return changed
        counts_by_axis = [hidden.sum(axis=a) for a in range(3)]
        for axis, fixed in lone:
            line = _line_cells(axis, fixed, counts.shape[axis])
            if sum(bool(hidden[c]) for c in line) != 1:
                continue  # fixed by an earlier pick of this round

            def cost(
                cell: tuple[int, int, int],
                along: int = axis,
                per_line: list[np.ndarray] = counts_by_axis,
            ) -> tuple[int, int]:
                others = [
                    per_line[a][tuple(cell[b] for b in range(3) if b != a)]
                    for a in range(3)
                    if a != along
                ]
                return int(counts[cell]), -sum(int(h == 1) for h in others)

            shown = [c for c in line if not hidden[c] and counts[c] > 0]
            pick = min(shown, key=cost)
            hidden[pick] = True
            changed = True
            for a in range(3):
                counts_by_axis[a][tuple(pick[b] for b in range(3) if b != a)] += 1


def _protect_in_boxes(counts: np.ndarray, hidden: np.ndarray) -> bool:
    """Make every hidden cell a corner of a 2 x 2 x 2 box of hidden non-zero cells
    (indices ``{p, p2} x {c, c2} x {m, m2}``, "all" indices allowed): adding +1, -1
    alternately on such a box changes no line total, so no hidden cell follows exactly
    from the released cells, even with counts known to be >= 0. For a cell not yet in
    one, the box whose new hidden cells hold the fewest incidents is hidden (one always
    exists: the box with the "all" index on each axis). Returns whether anything was
    hidden."""
    changed = False
    # cost of hiding each cell: its count (+ a little per cell), 0 if hidden, inf if 0
    price = np.where(counts > 0, counts.astype(float) + 0.01, np.inf)
    price[hidden] = 0.0
    order = np.argwhere(hidden)
    order = order[np.argsort(counts[hidden], kind="stable")]
    for p, c, m in order.tolist():
        ps = np.flatnonzero(np.isfinite(price[:, c, m]))
        cs = np.flatnonzero(np.isfinite(price[p, :, m]))
        ms = np.flatnonzero(np.isfinite(price[p, c, :]))
        ps, cs, ms = ps[ps != p], cs[cs != c], ms[ms != m]
        if not (len(ps) and len(cs) and len(ms)):
            continue  # cannot happen for a non-zero cell: "all" is always a candidate
        total = (
            price[ps, c, m][:, None, None]
            + price[p, cs, m][None, :, None]
            + price[p, c, ms][None, None, :]
            + price[np.ix_(ps, cs)][:, :, m][:, :, None]
            + price[ps, c, :][:, ms][:, None, :]
            + price[p][np.ix_(cs, ms)][None, :, :]
            + price[np.ix_(ps, cs, ms)]
        )
        best = np.unravel_index(int(np.argmin(total)), total.shape)
        if total[best] == 0.0 or not np.isfinite(total[best]):
            continue
        p2, c2, m2 = int(ps[best[0]]), int(cs[best[1]]), int(ms[best[2]])
        for cell in ((a, b, d) for a in (p, p2) for b in (c, c2) for d in (m, m2)):
            if not hidden[cell]:
                hidden[cell] = True
                price[cell] = 0.0
                changed = True
    return changed


def protect_linked(counts: np.ndarray, primary: np.ndarray) -> np.ndarray:
    """Secondary suppression of a linked table (:func:`linked_table`) from its primary
    hidden mask, in one pass with one pattern for the cube and all its margins.

    Two conditions, iterated until both hold:

    * the line condition: every line (the cells along one axis with the other two
      indices fixed, the line's total cell included) holds 0 or at least 2 hidden
      cells, so no hidden cell equals a total minus released cells;
    * the box condition: every hidden cell is a corner of a 2 x 2 x 2 box of hidden
      non-zero cells, so no combination of released totals pins it down exactly
      (the line condition alone does not ensure that: a hidden cell joining two
      otherwise separate groups of hidden cells can be solved for).

    Zeros are never hidden (a released 0 is fine; k applies to counts 1 to k-1).

    When cases have several offences the "all categories" cells count distinct
    cases and are not the sum of their category line; both conditions are applied
    unchanged (the line's "all" cell still counts as a member), which is stricter
    than such a line needs: the public learns only largest category <= all <= sum
    of the categories along it (docs/PRIVACY.md).
    """
    hidden = primary.copy() & (counts > 0)
    while True:
        boxed = _protect_in_boxes(counts, hidden)
        lined = _complete_lines(counts, hidden)
        if not (boxed or lined):
            return hidden


def release_cube(
    places: gpd.GeoDataFrame,
    categories: Sequence[str],
    months: Sequence[str],
    counts: np.ndarray,
    rules: ReleaseRules = RULES,
    cases: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Release a dense place x category x month count cube and all its margins once.

    ``cases`` (place x month distinct cases) is the "all categories" slice when
    cases can have several offences (see :func:`linked_table`); the suppression
    is the same: primary rule on every cell, then :func:`protect_linked`.

    The cube passes :func:`release` (its refusals and primary suppression: counts 1
    to k-1, non-zero counts on polygons under ``rules.min_area_m2``); the margin
    cells (:func:`linked_table`) get the same primary rule (a place's margins follow
    its polygon, the "all places" margins the area's), then :func:`protect_linked`
    hides further cells of the cube and margins together. ``places`` gives the
    polygons in the order of axis 0.

    Returns ``(released, hidden)`` shaped ``counts.shape + 1`` on each axis, the last
    index of an axis being "all" of it: the released counts (0 where hidden) and the
    hidden mask.
    """
    linked = linked_table(
        np.asarray(counts, dtype=np.int64),
        None if cases is None else np.asarray(cases, dtype=np.int64),
    )
    n_places, n_categories, n_months = counts.shape
    if counts.size == 0:
        return np.zeros(linked.shape, dtype=np.int64), np.zeros(linked.shape, dtype=bool)
    ids = np.asarray([str(p) for p in places.index], dtype=object)
    long = gpd.GeoDataFrame(
        {
            "place": np.repeat(ids, n_categories * n_months),
            "category": np.tile(
                np.repeat(np.asarray(categories, dtype=object), n_months), n_places
            ),
            "period": np.tile(np.asarray(months, dtype=object), n_places * n_categories),
            "count": counts.reshape(-1).astype(np.int64),
        },
        geometry=np.repeat(places.geometry.to_numpy(), n_categories * n_months),
        crs=places.crs,
    )
    out = release(long, dataclasses.replace(rules, secondary=False))
    if len(out) != len(long):  # a sensitive category slipped past the caller: never publish it
        raise InputError("release dropped rows of the cube: remove sensitive categories first")
    primary = np.zeros(linked.shape, dtype=bool)
    primary[:-1, :-1, :-1] = out["suppressed"].to_numpy(dtype=bool).reshape(counts.shape)
    primary |= (linked > 0) & (linked < rules.k)
    area_m2 = places.geometry.to_crs(_EQUAL_AREA).area.to_numpy() if len(places) else np.zeros(0)
    tiny = np.append(area_m2 < rules.min_area_m2, area_m2.sum() < rules.min_area_m2)
    primary |= tiny[:, None, None] & (linked > 0)
    hidden = protect_linked(linked, primary) if rules.secondary else primary
    return np.where(hidden, 0, linked), hidden


def release_area(area: AreaFrames, cell_m: float = 200.0) -> ReleasedTable:
    """The one released table of ``area``: its non-sensitive incidents counted by grid (or
    by square cell of ``cell_m`` metres when it has no grids), category and month with
    geogrid's ``summarize``, passed once through :func:`release`. A cube cell counts the
    cases that include its category; the "all categories" cells count distinct cases.

    Cells (kind ``"cell"``) with no released count above zero are left out altogether:
    they exist only where incidents are, so listing them would say "1 to k-1 here".
    """
    if cell_m < MIN_CELL_M:
        raise ValueError(
            f"cell_m={cell_m}: cells smaller than {MIN_CELL_M:.0f} m are not published"
        )
    incidents = _incidents(area)
    if len(area.grids):
        grids = area.grids.to_crs(WGS84)
        ids = _grid_ids(grids)
        places = gpd.GeoDataFrame(
            {
                "place_name": _grid_names(grids, ids).to_numpy(),
                "households": np.round(_grid_households(grids, area.buildings)).astype(np.int64),
            },
            geometry=grids.geometry.to_numpy(),
            crs=WGS84,
            index=pd.Index(ids.to_numpy(), name="place"),
        )
        kind = "grid"
    else:
        places = _cells(area.boundary, incidents.geometry, area.metric_crs, cell_m)
        kind = "cell"
    if len(incidents) and len(places):
        counts = summarize(incidents, places[["geometry"]], freq="month", by_category=True)
        counts = counts[COUNT_COLUMNS]
        per_case = summarize(incidents, places[["geometry"]], freq="month")
    else:
        counts = pd.DataFrame(
            {c: pd.Series(dtype=object if c != "count" else int) for c in COUNT_COLUMNS}
        )
        per_case = counts.drop(columns="category")
    labels: dict[str, str] = {}
    if "category_zh" in incidents.columns:
        pairs = incidents[["category", "category_zh"]].dropna().drop_duplicates("category")
        labels = dict(
            zip(pairs["category"].astype(str), pairs["category_zh"].astype(str), strict=True)
        )
    categories = sorted(set(counts["category"].astype(str)))
    months = _month_span(counts["period"])
    cube = np.zeros((len(places), len(categories), len(months)), dtype=np.int64)
    if len(counts) and months:
        p = places.index.get_indexer(pd.Index(counts["place"].astype(str)))
        c = pd.Index(categories).get_indexer(pd.Index(counts["category"].astype(str)))
        m = pd.Index(months).get_indexer(pd.Index(counts["period"].astype(str)))
        ok = (p >= 0) & (c >= 0) & (m >= 0)
        np.add.at(cube, (p[ok], c[ok], m[ok]), counts["count"].to_numpy(dtype=np.int64)[ok])
    overlap = has_cases(offence_records(incidents))
    cases = cube.sum(axis=1)
    if overlap and len(per_case) and months:
        cases = np.zeros((len(places), len(months)), dtype=np.int64)
        p = places.index.get_indexer(pd.Index(per_case["place"].astype(str)))
        m = pd.Index(months).get_indexer(pd.Index(per_case["period"].astype(str)))
        ok = (p >= 0) & (m >= 0)
        np.add.at(cases, (p[ok], m[ok]), per_case["count"].to_numpy(dtype=np.int64)[ok])
    released, hidden = release_cube(places, categories, months, cube, RULES, cases)
    unlisted = 0
    if kind == "cell":
        drawn = np.append(released[:-1].sum(axis=(1, 2)) > 0, True)  # keep the "all" row
        unlisted = int((~drawn).sum())
        places, released, hidden = places[drawn[:-1]], released[drawn], hidden[drawn]
    return ReleasedTable(
        kind=kind,
        places=places,
        categories={c: labels.get(c) or c for c in categories},
        months=tuple(months),
        released=released,
        suppressed=hidden,
        cell_m=float(cell_m),
        rules=RULES,
        unlisted_places=unlisted,
        categories_overlap=overlap,
    )


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Selection:
    """A month range (inclusive ``YYYY-MM`` labels, None = open) and a set of categories
    (empty = all)."""

    start: str | None = None
    end: str | None = None
    categories: tuple[str, ...] = ()

    def months(self, table: ReleasedTable) -> list[str]:
        return [
            m
            for m in table.months
            if (self.start is None or m >= self.start) and (self.end is None or m <= self.end)
        ]

    def category_keys(self, table: ReleasedTable) -> list[str]:
        return list(self.categories) if self.categories else list(table.categories)

    def total(self, table: ReleasedTable) -> Bound:
        """The sum of released cells inside the selection."""
        return table.total(None, self.category_keys(table), self.months(table))


def _rates(counts: np.ndarray, households: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(households > 0, np.round(1000.0 * counts / households, 1), np.nan)


def place_counts(table: ReleasedTable, selection: Selection | None = None) -> gpd.GeoDataFrame:
    """Per place, the sum of its released cells in ``selection``, with a rate per 1,000
    households.

    One row per place (index = place id) with ``place_name``, ``households``,
    ``count`` (sum of released cells), ``at_least`` (a hidden cell is inside:
    the true count is ``count`` or more), ``rate_per_1000_households`` (from
    ``count``; NaN without households) and the polygon. Grids are all listed;
    cells only when ``count`` is above zero.
    """
    selection = selection or Selection()
    values, exact = table.totals(
        "place", None, selection.category_keys(table), selection.months(table)
    )
    households = table.places["households"].to_numpy(dtype=float)
    out = gpd.GeoDataFrame(
        {
            "place_name": table.places["place_name"].to_numpy(),
            "households": table.places["households"].to_numpy(),
            "count": values.astype(np.int64),
            "at_least": ~exact,
            "rate_per_1000_households": _rates(values, households),
        },
        geometry=table.places.geometry.to_numpy(),
        crs=WGS84,
        index=pd.Index(table.place_ids, name="place"),
    )
    if table.kind == "cell":
        return out[out["count"].to_numpy() > 0]
    return out


def monthly_counts(
    table: ReleasedTable, selection: Selection | None = None, by: str | None = None
) -> pd.DataFrame:
    """Sums of released cells per month over the selected months.

    ``by=None``: one row per month for the whole area; ``by="place"`` or
    ``"category"``: one row per (key, month). Columns [``place`` /
    ``category``], ``period`` (``YYYY-MM``), ``count`` (sum of released
    cells), ``at_least``. Cells not drawn (see :func:`place_counts`) get no rows.
    """
    selection = selection or Selection()
    months = selection.months(table)
    categories = selection.category_keys(table)
    if by is None:
        values, exact = table.totals("month", None, categories, months)
        return pd.DataFrame(
            {"period": months, "count": values.astype(np.int64), "at_least": ~exact}
        )
    if by == "place":
        keys = list(place_counts(table, selection).index)
        values, exact = table.totals(("place", "month"), keys, categories, months)
    elif by == "category":
        keys = categories
        values, exact = table.totals(("category", "month"), None, categories, months)
    else:
        raise InputError(f"by={by!r}: use place or category (or None for the whole area)")
    return pd.DataFrame(
        {
            by: np.repeat(np.asarray(keys, dtype=object), len(months)),
            "period": np.tile(np.asarray(months, dtype=object), len(keys)),
            "count": values.reshape(-1).astype(np.int64),
            "at_least": ~exact.reshape(-1),
        }
    )


def category_counts(table: ReleasedTable, selection: Selection | None = None) -> pd.DataFrame:
    """Sums of released cells per public category for the selection: ``category``,
    ``label_zh``, ``count``, ``at_least``."""
    selection = selection or Selection()
    keys = selection.category_keys(table)
    values, exact = table.totals("category", None, keys, selection.months(table))
    return pd.DataFrame(
        {
            "category": keys,
            "label_zh": [table.categories.get(k, k) for k in keys],
            "count": values.astype(np.int64),
            "at_least": ~exact,
        }
    )


def public_total(table: ReleasedTable, selection: Selection | None = None) -> Bound:
    """The sum of released cells of the selection (``exact`` False: at least that many)."""
    return (selection or Selection()).total(table)


@dataclass(frozen=True)
class YearOverYear:
    """The selected months against the same months a year earlier (同比), as sums of
    released cells."""

    start: str
    end: str
    count: Bound
    previous_start: str
    previous_end: str
    previous_count: Bound
    #: data covers the earlier months, so the comparison means something
    comparable: bool

    @property
    def change_pct(self) -> float | None:
        """The change in percent; None unless both sums are exact and the earlier one is not 0."""
        if (
            not self.comparable
            or not self.count.exact
            or not self.previous_count.exact
            or not self.previous_count.value
        ):
            return None
        return round(
            (self.count.value - self.previous_count.value) / self.previous_count.value * 100.0, 1
        )


def _shift_year(month: str, years: int) -> str:
    return f"{int(month[:4]) + years:04d}{month[4:]}"


def year_over_year(table: ReleasedTable, selection: Selection | None = None) -> YearOverYear | None:
    """Sum of released cells in the selected months against the same months a year earlier.

    A selection longer than a year is cut to its last 12 months. Without months
    in the data returns None. ``comparable`` is False when the data does not reach
    back to the earlier months.
    """
    selection = selection or Selection()
    months = selection.months(table)[-12:]
    if not months:
        return None
    start, end = months[0], months[-1]
    now = Selection(start, end, selection.categories)
    before = Selection(_shift_year(start, -1), _shift_year(end, -1), selection.categories)
    return YearOverYear(
        start=start,
        end=end,
        count=now.total(table),
        previous_start=before.start or "",
        previous_end=before.end or "",
        previous_count=before.total(table),
        comparable=table.months[0] <= (before.start or ""),
    )
