"""Tests for geogrid.release: the public release gate, the one released table of an area
behind the map and the API, and the differencing attacks it must withstand."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from webmap_area import (
    HOUSEHOLDS_PER_GRID,
    INCIDENTS_PER_GRID,
    METRIC_CRS,
    SENSITIVE_CATEGORY,
    SENSITIVE_COUNT,
    build_busy_area,
    build_tiny_area,
    incident_fingerprints,
)

import geogrid.release
from geogrid.errors import InputError
from geogrid.incidents import hex_cells, summarize
from geogrid.release import (
    ALL,
    MIN_COUNT,
    PUBLIC_FUNCTIONS,
    Bound,
    ReleasedTable,
    ReleaseRules,
    Selection,
    YearOverYear,
    category_counts,
    linked_table,
    monthly_counts,
    place_counts,
    public_counts,
    public_total,
    release,
    release_area,
    release_cube,
    year_over_year,
)
from tests.incidents_data import clustered_incidents, incidents_at, voronoi_cells

# --------------------------------------------------------------------------- the gate

FORBIDDEN = {
    "id",
    "time",
    "address",
    "description",
    "name",
    "phone",
    "reporter",
    "x",
    "y",
    "lon",
    "lat",
}


def _assert_public(table: pd.DataFrame, k: int = 5) -> None:
    assert table.attrs.get("released") is True
    assert not (FORBIDDEN & set(table.columns))
    if isinstance(table, gpd.GeoDataFrame):
        assert set(table.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}
    counts = table["count"].dropna()
    assert ((counts == 0) | (counts >= k)).all()
    if "category" in table.columns:
        assert not table["category"].str.contains("性侵|家暴|sex|domestic", regex=True).any()
    if "period" in table.columns:
        assert table["period"].str.fullmatch(r"\d{4}-\d{2}|\d{4}-Q\d|\d{4}").all()


def _adversarial_incidents() -> gpd.GeoDataFrame:
    frame = clustered_incidents(n_background=300, n_cluster=80)
    frame["category"] = np.where(np.arange(len(frame)) % 10 == 0, "性侵", "theft")
    frame.loc[frame.index[:5], "category"] = "domestic violence"
    frame["address"] = "学院路1号"
    frame["description"] = "张三 13800000000"
    frame["reporter"] = "李四"
    return frame


def test_release_refuses_raw_points_and_fine_periods():
    """Raw records (no count), point geometries and day-level periods are refused with a reason."""
    raw = _adversarial_incidents()
    with pytest.raises(InputError, match="no count column"):
        release(raw)
    raw["count"] = 1
    with pytest.raises(InputError, match="never points"):
        release(raw)
    daily = pd.DataFrame({"place": ["a"], "period": ["2025-03-01"], "count": [9]})
    with pytest.raises(InputError, match="finer than month"):
        release(daily)
    with pytest.raises(InputError, match="finer than quarter"):
        release(
            pd.DataFrame({"period": ["2025-03"], "count": [9]}),
            ReleaseRules(finest_period="quarter"),
        )


def test_release_suppresses_small_counts_drops_sensitive_and_personal_fields():
    """Counts 1..k-1 vanish (zeros stay), sensitive categories and unknown columns are dropped."""
    table = pd.DataFrame(
        {
            "place": ["a", "b", "c", "d"],
            "category": ["theft", "theft", "家暴", "theft"],
            "period": ["2025-01"] * 4,
            "count": [0, 3, 40, 7],
            "address": ["x"] * 4,
            "rate_per_1000_households": [0.0, 1.0, 9.0, 2.0],
        }
    )
    out = release(table, ReleaseRules(secondary=False))
    assert list(out["place"]) == ["a", "b", "d"]
    assert out["count"].iloc[0] == 0 and pd.isna(out["count"].iloc[1]) and out["count"].iloc[2] == 7
    assert pd.isna(out["rate_per_1000_households"].iloc[1])
    assert out["suppressed"].tolist() == [False, True, False]
    assert "address" not in out.columns and out.attrs["dropped_columns"] == ["address"]
    assert release(table, ReleaseRules(k=2))["count"].iloc[1] == 3
    with pytest.raises(InputError, match="at least 1"):
        ReleaseRules(k=0)


def test_secondary_suppression_leaves_no_line_with_one_hidden_count():
    """A lone hidden count in a line (places of a month, months of a place) would follow from
    the line's total, so the smallest shown non-zero count of that line is hidden too."""
    table = pd.DataFrame(
        {
            "place": ["a", "b", "c", "a", "b", "c"],
            "period": ["2025-01"] * 3 + ["2025-02"] * 3,
            "count": [3, 9, 20, 12, 8, 30],
        }
    )
    out = release(table)
    hidden = out["suppressed"].to_numpy()
    assert hidden.tolist() == [True, True, False, True, True, False]
    for key in ("place", "period"):
        per_line = out.groupby(key)["suppressed"].sum()
        assert (per_line != 1).all(), (key, per_line)
    assert out.attrs["release_rules"]["secondary"] is True
    none = release(table.assign(count=[5, 9, 20, 12, 0, 30]))
    assert not none["suppressed"].any()
    zeros = release(table.assign(count=[3, 9, 20, 12, 0, 30]))  # b: hidden 9 and a shown 0
    assert (zeros.groupby("place")["suppressed"].sum() != 1).all()


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_no_raw_data_gets_out_through_any_public_function(name):
    """Every public function, fed raw records with personal fields and sensitive categories,
    either refuses or returns only released, polygon, month-level, k-suppressed counts."""
    raw = _adversarial_incidents()
    func = getattr(geogrid.release, name)
    cells = voronoi_cells(30)
    attempts = {
        "release": [
            lambda: func(raw),
            lambda: func(raw.assign(count=1)),
            lambda: func(pd.DataFrame(raw.drop(columns="geometry")).assign(count=9)),
        ],
        "public_counts": [
            lambda: func(raw),
            lambda: func(raw, cells),
            lambda: func(raw, freq="year", by_category=False),
            lambda: func(raw, cells, rules=ReleaseRules(k=3)),
        ],
    }[name]
    for attempt in attempts:
        try:
            out = attempt()
        except InputError:
            continue
        _assert_public(out, k=out.attrs["release_rules"]["k"])
    with pytest.raises(InputError):
        public_counts(raw, freq="day")


def test_release_suppresses_counts_on_polygons_small_enough_to_pin_incidents_down():
    """Counts on tiny polygons (H3 resolution 13, about 44 m²) are suppressed like small
    counts; resolution-9 hexagons keep theirs; the minimum is configurable."""
    same_spot = incidents_at([(116.3551, 39.9951)] * 10, ["2025-03-01 20:00"] * 10)
    frame = gpd.GeoDataFrame(pd.concat([clustered_incidents(), same_spot], ignore_index=True))
    fine = summarize(frame, freq=None, resolution=13)
    cells = hex_cells(fine["place"].unique())
    table = gpd.GeoDataFrame(
        fine, geometry=fine["place"].map(cells.geometry).to_numpy(), crs="EPSG:4326"
    )
    assert fine["count"].max() >= 5
    assert release(table)["count"].isna().all()
    loose = release(table, ReleaseRules(min_area_m2=10))
    assert loose["count"].max() == fine["count"].max()
    coarse = public_counts(frame, resolution=9, freq="year", by_category=False)
    assert coarse["count"].max() >= 5
    assert public_counts(frame, resolution=12)["count"].isna().all()


def test_secondary_suppression_treats_place_name_as_a_label():
    """A table of places with their names still gets secondary suppression: with one grid
    hidden and the total public, the next smallest grid is hidden too."""
    table = pd.DataFrame(
        {"place": ["g1", "g2", "g3"], "place_name": ["甲", "乙", "丙"], "count": [3, 37, 60]}
    )
    out = release(table)
    assert list(out["suppressed"]) == [True, True, False]


# --------------------------------------------------------------------- public statistics of an area


@pytest.fixture(scope="module")
def area():
    return build_tiny_area()


@pytest.fixture(scope="module")
def table(area):
    return release_area(area)


@pytest.fixture(scope="module")
def busy():
    return build_busy_area()


@pytest.fixture(scope="module")
def busy_table(busy):
    return release_area(busy)


def _raw_cube(area, table: ReleasedTable) -> np.ndarray:
    """The raw counts behind ``table`` (what an insider knows; never published)."""
    incidents = area.incidents[area.incidents["category"] != SENSITIVE_CATEGORY]
    raw = summarize(incidents, table.places[["geometry"]], freq="month", by_category=True)
    cube = np.zeros(table.cells.shape, dtype=np.int64)
    for row in raw.itertuples(index=False):
        cube[
            table.place_ids.index(row.place),
            list(table.categories).index(row.category),
            table.months.index(row.period),
        ] += row.count
    return cube


def test_released_table_holds_released_cells_only(area, table):
    """One place x category x month table: released cells are 0 or >= k, hidden cells hold
    0 (the raw count is not kept), the arrays are read-only, sensitive categories are not
    an axis; released cells equal the raw counts where shown."""
    assert table.cells.shape == (4, 4, len(table.months)) == table.hidden.shape
    assert table.months[0] == "2025-03" and len(table.months) >= 14
    assert "domestic_violence" not in table.categories
    shown = table.cells[~table.hidden]
    assert ((shown == 0) | (shown >= MIN_COUNT)).all()
    assert (table.cells[table.hidden] == 0).all()
    with pytest.raises(ValueError):
        table.cells[0, 0, 0] = 99
    raw = _raw_cube(area, table)
    assert (table.cells[~table.hidden] == raw[~table.hidden]).all()
    assert raw.sum() == sum(INCIDENTS_PER_GRID.values())
    assert table.places.crs == "EPSG:4326"
    linked, shown = linked_table(raw), ~table.suppressed
    assert table.released.shape == (5, 5, len(table.months) + 1)
    assert (table.released[shown] == linked[shown]).all()
    assert (table.released[table.suppressed] == 0).all()
    assert (linked[table.suppressed] > 0).all()  # zeros are never hidden
    values, hidden = table.margin("place", "month")
    assert values.shape == (4, len(table.months))
    assert (hidden == table.suppressed[:-1, ALL, :-1]).all()


def _lines_ok(hidden: np.ndarray) -> bool:
    """Every line of the linked table (along any axis, its total cell included) holds 0 or
    >= 2 hidden cells."""
    return all(not (hidden.sum(axis=axis) == 1).any() for axis in range(hidden.ndim))


def _boxed(hidden: np.ndarray) -> bool:
    """Every hidden cell of the linked table is a corner of a 2 x 2 x 2 box of hidden
    cells (so +1/-1 around the box keeps every line total)."""
    for p, c, m in np.argwhere(hidden).tolist():
        ps = [i for i in np.flatnonzero(hidden[:, c, m]) if i != p]
        cs = [i for i in np.flatnonzero(hidden[p, :, m]) if i != c]
        ms = [i for i in np.flatnonzero(hidden[p, c, :]) if i != m]
        if not any(
            hidden[p2, c2, m] and hidden[p2, c, m2] and hidden[p, c2, m2] and hidden[p2, c2, m2]
            for p2 in ps
            for c2 in cs
            for m2 in ms
        ):
            return False
    return True


def test_linked_suppression_covers_cube_and_margins(busy_table):
    """On the busy area, over the cube and all its margin tables at once: no line (a
    place x month margin row with its place total, a month's places with the month's
    area total, ...) holds exactly one hidden cell, every hidden cell sits in a box of
    hidden cells, zeros are never hidden, and margins are released (not just the cube)."""
    t = busy_table
    assert t.hidden.any() and (~t.hidden).any()
    assert _lines_ok(t.suppressed)
    assert _boxed(t.suppressed)
    margins = np.ones(t.suppressed.shape, dtype=bool)
    margins[:-1, :-1, :-1] = False
    assert (~t.suppressed & margins).sum() > (~t.suppressed[:-1, :-1, :-1]).sum() // 4
    assert not t.suppressed[ALL, ALL, ALL]


def _expected(t: ReleasedTable, places, categories, months) -> Bound:
    """The spec of ReleasedTable.total, written out independently: each axis is summed
    over its margin when everything on it is chosen (for places: and none unlisted), else
    over the chosen keys; a released cell counts as itself, a hidden one as 'at least' the
    largest sum of the finer cells along one of its 'all' axes."""
    labels = (t.place_ids, list(t.categories), list(t.months))
    chosen = []
    for axis, keys in enumerate((places, categories, months)):
        if keys is None or (
            set(keys) == set(labels[axis])
            and len(keys) == len(labels[axis])
            and not (axis == 0 and t.unlisted_places)
        ):
            chosen.append([len(labels[axis])])
        else:
            chosen.append([labels[axis].index(k) for k in keys])
    memo: dict[tuple[int, int, int], Bound] = {}

    def best(cell: tuple[int, int, int]) -> Bound:
        if cell not in memo:
            if not t.suppressed[cell]:
                memo[cell] = Bound(int(t.released[cell]), True)
            else:
                value = 0
                for axis in range(3):
                    if cell[axis] == len(labels[axis]):
                        finer = [
                            tuple(i if a == axis else cell[a] for a in range(3))
                            for i in range(len(labels[axis]))
                        ]
                        value = max(value, sum(best(f).value for f in finer))
                memo[cell] = Bound(value, False)
        return memo[cell]

    out = Bound(0, True)
    for p in chosen[0]:
        for c in chosen[1]:
            for m in chosen[2]:
                out = out + best((p, c, m))
    return out


def test_every_public_figure_is_a_sum_of_released_cells(busy, busy_table):
    """place_counts, monthly_counts (every breakdown), category_counts, public_total and
    year_over_year are sums of released cells of the tightest table (all categories ->
    place x month margin, all places -> category x month, ...), 'at least' exactly when a
    hidden cell is inside; never above the raw sums, equal to them when exact; and below
    them somewhere, so summing raw counts again fails this test."""
    t = busy_table
    raw = _raw_cube(busy, t)
    below_raw = exact_margins = 0
    for selection in (
        Selection(),
        Selection("2025-01", "2025-06"),
        Selection("2026-03", "2026-03", ("theft",)),
        Selection(None, "2025-02", ("fraud", "vandalism")),
    ):
        cats = None if not selection.categories else list(selection.categories)
        months = selection.months(t)
        c_idx = [list(t.categories).index(c) for c in selection.category_keys(t)]
        m_idx = [t.months.index(m) for m in months]
        per_place = place_counts(t, selection)
        for p, place in enumerate(t.place_ids):
            bound = _expected(t, [place], cats, months)
            assert (per_place.loc[place, "count"], per_place.loc[place, "at_least"]) == (
                bound.value,
                bound.at_least,
            )
            true = int(raw[p][np.ix_(c_idx, m_idx)].sum())
            assert bound.value <= true and (bound.at_least or bound.value == true)
            below_raw += int(true > bound.value)
            exact_margins += int(bound.exact and t.hidden[p][np.ix_(c_idx, m_idx)].any())
        area_months = monthly_counts(t, selection)
        assert [(r.count, r.at_least) for r in area_months.itertuples()] == [
            (b.value, b.at_least) for b in (_expected(t, None, cats, [m]) for m in months)
        ]
        by_place = monthly_counts(t, selection, by="place")
        assert [(r.count, r.at_least) for r in by_place.itertuples()] == [
            (b.value, b.at_least)
            for b in (_expected(t, [p], cats, [m]) for p in t.place_ids for m in months)
        ]
        by_cat = monthly_counts(t, selection, by="category")
        assert [(r.count, r.at_least) for r in by_cat.itertuples()] == [
            (b.value, b.at_least)
            for b in (
                _expected(t, None, [c], [m]) for c in selection.category_keys(t) for m in months
            )
        ]
        per_cat = category_counts(t, selection)
        assert [(r.count, r.at_least) for r in per_cat.itertuples()] == [
            (b.value, b.at_least)
            for b in (_expected(t, None, [c], months) for c in selection.category_keys(t))
        ]
        total = public_total(t, selection)
        assert total == _expected(t, None, cats, months)
        true = int(raw[:, c_idx][:, :, m_idx].sum())
        assert total.value <= true and (total.at_least or total.value == true)
    yoy = year_over_year(t, Selection("2026-03", "2026-04"))
    assert yoy.count == t.total(months=["2026-03", "2026-04"])
    assert yoy.previous_count == t.total(months=["2025-03", "2025-04"])
    assert below_raw > 0
    assert exact_margins > 0  # exact figures with hidden cube cells inside: the margins


def _ranges(months: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(a, b) for a in range(len(months)) for b in range(a, len(months))]


def _differencing_attack(answer, months, place_ids, category_sets):
    """The finding's attack: ask every month range, subtract answers that differ by one
    month at either end. ``answer(categories, months) -> (values, exact)`` per place.
    Returns {(place, categories, month): value} for every difference of two exact answers."""
    learned = {}
    for cats in category_sets:
        answers = {(a, b): answer(cats, list(months[a : b + 1])) for a, b in _ranges(months)}
        for (a, b), (values, exact) in answers.items():
            for a2, b2, m in ((a + 1, b, a), (a, b - 1, b)):
                if (a2, b2) in answers:
                    v2, e2 = answers[a2, b2]
                    for p, place in enumerate(place_ids):
                        if exact[p] and e2[p]:
                            learned[place, tuple(cats or ()), months[m]] = int(values[p] - v2[p])
    return learned


def _category_sets(codes):
    return (
        [None]
        + [[c] for c in codes]
        + [[a, b] for i, a in enumerate(codes) for b in codes[i + 1 :]]
    )


def test_differencing_attack_recovers_no_hidden_cell(busy, busy_table):
    """The attack of the finding, run with every month range and every set of one, two or
    all categories: on the released table every exact difference is a sum of released
    cells, so no hidden cell is ever learned (the attacker's best is the lower bound).
    With the margins released, the all-categories answers are exact far more often, and
    what they give is a released place x month margin cell, never a hidden one.
    The same attack on raw range sums released one answer at a time (the old way)
    recovers hidden cells: summing raw counts again fails this test."""
    t = busy_table
    raw = _raw_cube(busy, t)
    codes = list(t.categories)
    sets = _category_sets(codes)

    def released(cats, months):
        return t.totals("place", None, cats, months)

    learned = _differencing_attack(released, t.months, t.place_ids, sets)
    assert len(learned) > 100  # released figures do come out
    for (place, cats, month), value in learned.items():
        p, m = t.place_ids.index(place), t.months.index(month)
        c_idx = [ALL] if not cats else [codes.index(c) for c in cats]
        assert not t.suppressed[p, c_idx, m].any(), (place, cats, month)
        assert value == t.released[p, c_idx, m].sum() == linked_table(raw)[p, c_idx, m].sum()

    def per_answer(cats, months):  # what the finding exploited
        c_idx = [codes.index(c) for c in (cats or codes)]
        m_idx = [t.months.index(m) for m in months]
        sums = raw[:, c_idx][:, :, m_idx].sum(axis=(1, 2))
        return sums, sums >= MIN_COUNT

    old = _differencing_attack(per_answer, t.months, t.place_ids, [[c] for c in codes])
    hidden_learned = [
        key
        for key in old
        if t.hidden[t.place_ids.index(key[0]), codes.index(key[1][0]), t.months.index(key[2])]
    ]
    assert len(hidden_learned) > 20


def test_total_accepts_known_keys_only(table):
    """Unknown places, categories or months are an InputError naming them."""
    with pytest.raises(InputError, match="unknown category nope"):
        table.total(categories=["nope"])
    with pytest.raises(InputError, match="unknown month"):
        table.total(months=["1999-01"])
    assert table.total(months=[]) == Bound(0, True)


def test_to_json_has_released_cells_and_nulls_only(table, area):
    """The browser's copy: released cells, null where hidden; no raw count, no point."""
    body = table.to_json()
    assert body["months"] == list(table.months)
    assert [c["category"] for c in body["categories"]] == list(table.categories)
    g1 = body["counts"]["G1"]
    assert len(g1) == len(table.categories) and len(g1[0]) == len(table.months)
    flat = [v for place in body["counts"].values() for row in place for v in row]
    assert None in flat
    assert all(v is None or v == 0 or v >= MIN_COUNT for v in flat)
    assert sum(v for v in flat if v) == int(table.cells.sum())
    margins = body["margins"]
    assert set(margins) == {
        "place_month",
        "place_category",
        "place",
        "category_month",
        "category",
        "month",
        "total",
    }
    assert len(margins["place_month"]["G1"]) == len(table.months)
    assert len(margins["category_month"]) == len(table.categories)
    for name, value in (
        ("total", table.released[ALL, ALL, ALL]),
        ("place", table.released[:-1, ALL, ALL]),
    ):
        hidden = table.suppressed[ALL, ALL, ALL] if name == "total" else None
        if name == "total":
            assert margins["total"] == (None if hidden else int(value))
        else:
            assert list(margins["place"].values()) == [
                None if h else int(v)
                for v, h in zip(value, table.suppressed[:-1, ALL, ALL], strict=True)
            ]
    text = json.dumps(body, ensure_ascii=False)
    assert not any(f in text for f in incident_fingerprints(area))


def test_place_counts_per_1000_households(table):
    """Rates per grid come from the sum of released cells; 'at least' where hidden cells
    are inside; households from the fixture."""
    density = place_counts(table)
    for grid_id in INCIDENTS_PER_GRID:
        row = density.loc[grid_id]
        assert row["households"] == HOUSEHOLDS_PER_GRID[grid_id]
        assert row["count"] <= INCIDENTS_PER_GRID[grid_id]
        rate = round(1000 * row["count"] / HOUSEHOLDS_PER_GRID[grid_id], 1)
        assert row["rate_per_1000_households"] == rate
        if not row["at_least"]:
            assert row["count"] == INCIDENTS_PER_GRID[grid_id]  # a released grid total
    assert density.loc["G4", "at_least"]  # 3 incidents: hidden
    assert SENSITIVE_COUNT > 0


def test_release_leaves_no_line_with_one_hidden_count():
    """Secondary suppression (in geogrid.release.release, which the released table goes
    through): no row or column keeps exactly one hidden count, so no hidden count equals a
    published total minus published counts; zeros stay; a place's name is a label, not a
    dimension of its own."""
    one_line = release(
        pd.DataFrame({"place": list("abcd"), "place_name": list("ABCD"), "count": [3, 37, 60, 0]})
    )
    assert list(one_line["suppressed"]) == [True, True, False, False]
    assert one_line["count"].iloc[3] == 0
    grid = _table([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    hidden = grid.pivot_table(index="place", columns="period", values="suppressed", aggfunc="first")
    assert hidden.to_numpy().sum() >= 4
    assert (hidden.sum(axis=0) != 1).all() and (hidden.sum(axis=1) != 1).all()
    untouched = _table([[20, 30], [40, 50]])
    assert not untouched["suppressed"].any()


def _table(counts: list[list[int]]) -> pd.DataFrame:
    rows = [
        {"place": f"P{i}", "period": f"2025-{j + 1:02d}", "count": c}
        for i, line in enumerate(counts)
        for j, c in enumerate(line)
    ]
    return release(pd.DataFrame(rows))


_CUBE_COUNTS = st.integers(0, 12).map(lambda v: v if v < 9 else v * 3)  # many small, some big


@st.composite
def _cubes(draw) -> np.ndarray:
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 6)))
    flat = draw(st.lists(_CUBE_COUNTS, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(flat, dtype=np.int64).reshape(shape)


def _cube_places(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"place_name": [f"P{i}" for i in range(n)], "households": 100},
        geometry=[
            shapely.box(116.3 + 0.01 * i, 39.9, 116.309 + 0.01 * i, 39.909) for i in range(n)
        ],
        crs="EPSG:4326",
        index=pd.Index([f"P{i}" for i in range(n)], name="place"),
    )


def _line_equations(shape: tuple[int, int, int]) -> np.ndarray:
    """One row per line of a linked table of ``shape``: the inner cells minus the total."""
    rows = []
    for axis in range(3):
        others = [a for a in range(3) if a != axis]
        for i in range(shape[others[0]]):
            for j in range(shape[others[1]]):
                row = np.zeros(shape)
                index: list = [0, 0, 0]
                index[others[0]], index[others[1]] = i, j
                for k in range(shape[axis]):
                    index[axis] = k
                    row[tuple(index)] = 1.0 if k < shape[axis] - 1 else -1.0
                rows.append(row.reshape(-1))
    return np.array(rows)


def _recoverable(hidden: np.ndarray) -> list[int]:
    """The hidden cells that all the line equations, with every released cell known, pin
    down exactly (x_h is determined iff dropping its column lowers the rank)."""
    equations = _line_equations(hidden.shape)[:, hidden.reshape(-1)]
    rank = np.linalg.matrix_rank(equations)
    return [
        h
        for h in range(equations.shape[1])
        if np.linalg.matrix_rank(np.delete(equations, h, axis=1)) < rank
    ]


@settings(max_examples=120, deadline=None)
@given(cube=_cubes(), data=st.data())
def test_released_cube_property(cube, data):
    """On random tables, across the cube and all its margin tables together: released
    cells are the raw ones or hidden; every cell 1..k-1 (cube or margin) is hidden and no
    zero is; every line (its total cell included) holds 0 or >= 2 hidden cells; every
    hidden cell lies in a box of hidden cells, so no hidden cell follows exactly from all
    released cells together (checked by linear algebra over every line equation); every
    total of the released table is a sum of released cells of one table, never above the
    raw sum and equal to it when exact."""
    n_places, n_categories, n_months = cube.shape
    categories = [f"c{i}" for i in range(n_categories)]
    months = [f"2025-{m + 1:02d}" for m in range(n_months)]
    places = _cube_places(n_places)
    released, hidden = release_cube(places, categories, months, cube)
    linked = linked_table(cube)
    assert released.shape == hidden.shape == linked.shape
    assert (((linked > 0) & (linked < MIN_COUNT)) <= hidden).all()
    assert not (hidden & (linked == 0)).any()
    assert (released[~hidden] == linked[~hidden]).all() and (released[hidden] == 0).all()
    assert _lines_ok(hidden)
    assert _boxed(hidden)
    if hidden.sum() <= 120:
        assert _recoverable(hidden) == []
    t = ReleasedTable("grid", places, {c: c for c in categories}, tuple(months), released, hidden)
    pick_places = data.draw(st.none() | st.lists(st.sampled_from(t.place_ids), unique=True))
    pick_cats = data.draw(st.none() | st.lists(st.sampled_from(categories), unique=True))
    a = data.draw(st.integers(0, n_months - 1))
    b = data.draw(st.integers(a, n_months - 1))
    bound = t.total(pick_places, pick_cats, months[a : b + 1])
    assert bound == _expected(t, pick_places, pick_cats, months[a : b + 1])
    p_idx = (
        [t.place_ids.index(p) for p in pick_places]
        if pick_places is not None
        else list(range(n_places))
    )
    c_idx = (
        [categories.index(c) for c in pick_cats]
        if pick_cats is not None
        else list(range(n_categories))
    )
    true = int(cube[np.ix_(p_idx, c_idx, list(range(a, b + 1)))].sum())
    assert bound.value <= true
    if bound.exact:
        assert bound.value == true


def test_line_condition_alone_can_leak_and_boxes_do_not():
    """Why the box condition on top of the line condition: in a table of 3 places x 1
    category x 3 months with margins, two squares of hidden cells joined by one more
    hidden cell pass the line condition, yet the joining cell follows exactly from the
    line equations. A box pattern leaves nothing to solve for."""
    square_pairs = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3))
    hidden = np.zeros((4, 2, 4), dtype=bool)  # index 3 / 1 / 3: the "all" margin
    for p, m in (*square_pairs, (1, 2)):
        hidden[p, :, m] = True  # the one category and its margin are the same counts
    assert _lines_ok(hidden) and not _boxed(hidden)
    joining = int(
        np.flatnonzero(hidden.reshape(-1))
        .tolist()
        .index(np.ravel_multi_index((1, 0, 2), hidden.shape))
    )
    assert joining in _recoverable(hidden)
    box = np.zeros((4, 2, 4), dtype=bool)
    box[np.ix_([0, 3], [0, 1], [1, 3])] = True
    assert _lines_ok(box) and _boxed(box) and _recoverable(box) == []


def _share_exact_place_months(
    table: ReleasedTable, raw: np.ndarray, hidden: np.ndarray | None = None
) -> float:
    """Share of incidents inside exact figures for 'all categories, each month, each
    place': from the table's own answers, or (``hidden`` given) from cube cells only."""
    if hidden is None:
        values, exact = table.totals(("place", "month"))
        return float(values[exact].sum()) / raw.sum()
    exact = ~hidden.any(axis=1)
    return float(raw.sum(axis=1)[exact].sum()) / raw.sum()


def _fine_only_hidden(table: ReleasedTable, raw: np.ndarray) -> np.ndarray:
    """The hidden cube cells when only the cube is released (the previous way: the cube
    through release() with its own line suppression, no margin cells)."""
    n_p, n_c, n_m = raw.shape
    long = gpd.GeoDataFrame(
        {
            "place": np.repeat(table.place_ids, n_c * n_m),
            "category": np.tile(np.repeat(list(table.categories), n_m), n_p),
            "period": np.tile(list(table.months), n_p * n_c),
            "count": raw.reshape(-1),
        },
        geometry=np.repeat(table.places.geometry.to_numpy(), n_c * n_m),
        crs="EPSG:4326",
    )
    return release(long)["suppressed"].to_numpy(dtype=bool).reshape(raw.shape)


@pytest.mark.parametrize("which", ["tiny", "busy"])
def test_margins_show_far_more(which, busy, busy_table, area, table):
    """Released margins show the public much more of its area: the share of incidents
    inside exact 'all categories, each month, each grid' figures is higher than with the
    cube alone (and the area's monthly totals are exact at least as often)."""
    source, t = (area, table) if which == "tiny" else (busy, busy_table)
    raw = _raw_cube(source, t)
    fine_hidden = _fine_only_hidden(t, raw)
    before = _share_exact_place_months(t, raw, fine_hidden)
    after = _share_exact_place_months(t, raw)
    assert after > before
    if which == "busy":
        assert after >= 1.5 * before
    _, exact_months = t.totals("month")
    assert exact_months.sum() >= (~fine_hidden.any(axis=(0, 1))).sum()


def test_place_counts_without_households(area):
    """A grid with no households has a count but no rate."""
    empty = area.buildings.iloc[0:0]
    density = place_counts(release_area(dataclasses.replace(area, buildings=empty)))
    assert density["rate_per_1000_households"].isna().all()


def test_selection_by_month_and_category(table):
    """The month range is inclusive; categories restrict; all numbers add up."""
    whole = monthly_counts(table)
    assert list(whole["period"]) == list(table.months)
    spring = Selection("2025-03", "2025-05")
    assert spring.months(table) == ["2025-03", "2025-04", "2025-05"]
    per_cat = category_counts(table, spring)
    assert set(per_cat["category"]) == {"dispute", "fraud", "theft", "vandalism"}
    total = spring.total(table)
    if per_cat["at_least"].any():  # the all-categories margin can be tighter than its parts
        assert per_cat["count"].sum() <= total.value
    else:
        assert per_cat["count"].sum() == total.value
    theft = Selection("2025-03", "2025-05", ("theft",))
    assert theft.total(table) == table.total(categories=["theft"], months=spring.months(table))


def test_cells_when_no_grids(busy):
    """Without grids: >= 150 m cells clipped to the boundary; a cell with no released count
    above zero is not in the table at all (its presence would say '1 to 4 here')."""
    area = dataclasses.replace(busy, grids=busy.grids.iloc[0:0])
    released = release_area(area, cell_m=150)
    assert released.kind == "cell"
    cells = place_counts(released)
    assert 0 < len(cells) == len(released.place_ids)
    assert (cells["count"] >= MIN_COUNT).all()
    assert cells["count"].sum() < len(busy.incidents)
    assert len(place_counts(release_area(build_tiny_area(with_grids=False), cell_m=150))) < 4
    outline = area.boundary.geometry.iloc[0].buffer(1e-7)
    assert all(outline.contains(g) for g in cells.geometry)
    assert cells.to_crs(METRIC_CRS).geometry.area.max() <= 150 * 150 + 1
    assert set(monthly_counts(released, by="place")["place"]) == set(cells.index)
    with pytest.raises(ValueError, match="150"):
        release_area(area, cell_m=100)


def test_cells_all_suppressed(area):
    """Four incidents make no cell at all; no incidents make an empty surface."""
    few = dataclasses.replace(area, grids=area.grids.iloc[0:0], incidents=area.incidents.iloc[:4])
    assert len(place_counts(release_area(few))) == 0
    none = dataclasses.replace(few, incidents=None)
    assert len(place_counts(release_area(none))) == 0
    assert year_over_year(release_area(none)) is None


def test_year_over_year(busy_table):
    """Selected months against the same months a year earlier, both sums of released
    cells; the change only when both are exact; comparable only when the data reaches
    back that far."""
    t = busy_table
    yoy = year_over_year(t, Selection("2026-03", "2026-04"))
    assert (yoy.previous_start, yoy.previous_end) == ("2025-03", "2025-04")
    assert yoy.comparable
    assert yoy.count == Selection("2026-03", "2026-04").total(t)
    exact = YearOverYear(
        "2026-03", "2026-04", Bound(120, True), "2025-03", "2025-04", Bound(100, True), True
    )
    assert exact.change_pct == 20.0
    assert dataclasses.replace(exact, count=Bound(120, False)).change_pct is None
    early = year_over_year(t, Selection(t.months[0], t.months[1]))
    assert early is not None and not early.comparable and early.change_pct is None
    assert year_over_year(t).end == t.months[-1]  # default: the last 12 months


# ------------------------------------------------------------------------ several offences per case


def test_case_with_two_offences_is_one_case_and_one_per_category():
    """Case 7 with theft and assault in one place and month (k = 1 so nothing is hidden):
    the all-categories cells count 1 case, theft 1 and assault 1, so the categories add
    up to more than the total and the table says so."""
    places = _cube_places(1)
    cube = np.array([[[1], [1]]], dtype=np.int64)
    cases = np.array([[1]], dtype=np.int64)
    rules = ReleaseRules(k=1)
    released, hidden = release_cube(places, ["assault", "theft"], ["2025-03"], cube, rules, cases)
    assert not hidden.any()
    t = ReleasedTable(
        "grid",
        places,
        {"assault": "殴打他人", "theft": "盗窃"},
        ("2025-03",),
        released,
        hidden,
        rules=rules,
        categories_overlap=True,
    )
    assert public_total(t) == Bound(1, True)
    counts = category_counts(t).set_index("category")["count"].to_dict()
    assert counts == {"assault": 1, "theft": 1}
    body = t.to_json()
    assert body["categories_overlap"] is True and body["margins"]["total"] == 1


@st.composite
def _overlapping(draw) -> tuple[np.ndarray, np.ndarray]:
    cube = draw(_cubes())
    low, high = cube.max(axis=1), cube.sum(axis=1)
    cases = np.array(
        [
            [draw(st.integers(int(a), int(b))) for a, b in zip(lo, hi, strict=True)]
            for lo, hi in zip(low, high, strict=True)
        ],
        dtype=np.int64,
    )
    return cube, cases


@settings(max_examples=80, deadline=None)
@given(pair=_overlapping())
def test_released_cube_with_distinct_cases_property(pair):
    """With cases of several offences (all-categories cells between the largest category
    and the sum): every cell 1..k-1 of the cube or a margin is hidden, no zero is, every
    line holds 0 or >= 2 hidden cells, every hidden cell is in a box, the place and month
    sums of the all-categories slice pin no hidden cell, and no public figure is above the
    true count (an 'at least' all-categories cell is the largest category, not the sum)."""
    cube, cases = pair
    n_places, n_categories, n_months = cube.shape
    categories = [f"c{i}" for i in range(n_categories)]
    months = [f"2025-{m + 1:02d}" for m in range(n_months)]
    places = _cube_places(n_places)
    released, hidden = release_cube(places, categories, months, cube, cases=cases)
    linked = linked_table(cube, cases)
    assert (linked[:, -1, -1] == np.append(cases.sum(axis=1), cases.sum())).all()
    assert (((linked > 0) & (linked < MIN_COUNT)) <= hidden).all()
    assert not (hidden & (linked == 0)).any()
    assert _lines_ok(hidden) and _boxed(hidden)
    slice_hidden = hidden[:, -1, :]  # the all-categories slice adds up along places, months
    if slice_hidden.sum() <= 60:
        eq = _line_equations((slice_hidden.shape[0], 1, slice_hidden.shape[1]))
        eq = eq[np.r_[0 : slice_hidden.shape[1], eq.shape[0] - slice_hidden.shape[0] : eq.shape[0]]]
        sub = eq[:, slice_hidden.reshape(-1)]
        if sub.size:
            rank = np.linalg.matrix_rank(sub)
            assert all(
                np.linalg.matrix_rank(np.delete(sub, h, axis=1)) == rank
                for h in range(sub.shape[1])
            )
    t = ReleasedTable(
        "grid",
        places,
        {c: c for c in categories},
        tuple(months),
        released,
        hidden,
        categories_overlap=True,
    )
    for p in [None, *t.place_ids]:
        for m in months:
            bound = t.total(None if p is None else [p], None, [m])
            i = n_places if p is None else t.place_ids.index(p)
            true = int(linked[i, -1, months.index(m)])
            assert bound.value <= true and (not bound.exact or bound.value == true)


def test_release_area_counts_distinct_cases(busy):
    """The busy area with a second offence (assault) added to every third case: the
    public total is unchanged (distinct cases), assault is a category of its own, the
    categories add up to more than the total, and the table says categories_overlap."""
    before = release_area(busy)
    incidents = busy.incidents.assign(case_id=busy.incidents["id"].astype(str))
    extra = incidents.iloc[::3].assign(
        id=lambda f: f["id"].astype(str) + "/assault", category="assault"
    )
    both = gpd.GeoDataFrame(
        pd.concat([incidents, extra], ignore_index=True), geometry="geometry", crs=incidents.crs
    )
    after = release_area(dataclasses.replace(busy, incidents=both))
    assert after.categories_overlap and not before.categories_overlap
    assert "assault" in after.categories
    raw_total = int(before.released[-1, -1, -1]) if not before.suppressed[-1, -1, -1] else None
    if raw_total is not None and not after.suppressed[-1, -1, -1]:
        assert int(after.released[-1, -1, -1]) == raw_total
    per_category = category_counts(after)
    assert int(per_category["count"].sum()) > public_total(after).value
    assert after.to_json()["categories_overlap"] is True
