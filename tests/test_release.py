"""Tests for geogrid.release: the public release gate, and the released statistics of an
area behind the map and the API."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from webmap_area import (
    HOUSEHOLDS_PER_GRID,
    INCIDENTS_PER_GRID,
    METRIC_CRS,
    SENSITIVE_COUNT,
    build_tiny_area,
)

import geogrid.release
from geogrid.errors import InputError
from geogrid.incidents import hex_cells, summarize
from geogrid.release import (
    MIN_COUNT,
    PUBLIC_FUNCTIONS,
    ReleaseRules,
    Selection,
    build_public_stats,
    category_counts,
    monthly_counts,
    place_counts,
    public_counts,
    release,
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
    table = pd.DataFrame({"place": ["g1", "g2", "g3"], "place_name": ["甲", "乙", "丙"],
                          "count": [3, 37, 60]})
    out = release(table)
    assert list(out["suppressed"]) == [True, True, False]


# --------------------------------------------------------------------------- public statistics of an area


@pytest.fixture(scope="module")
def area():
    return build_tiny_area()


@pytest.fixture(scope="module")
def stats(area):
    return build_public_stats(area)


def test_counts_hold_no_position_time_or_id(stats):
    """The internal table is geogrid's summarize by place, category and month, with the
    sensitive records dropped before counting."""
    assert list(stats.counts.columns) == ["place", "category", "period", "count"]
    assert stats.counts["count"].sum() == sum(INCIDENTS_PER_GRID.values())
    assert "domestic_violence" not in set(stats.counts["category"])
    assert stats.months[0] == "2025-03" and len(stats.months) >= 14
    assert stats.places.crs == "EPSG:4326"


def test_place_counts_per_1000_households(stats):
    """Counts and rates per grid match the fixture (sensitive records not counted); the
    grid with < 5 is suppressed and the smallest other one withheld with it."""
    density = place_counts(stats)
    withheld = min(c for c in INCIDENTS_PER_GRID.values() if c >= MIN_COUNT)
    for grid_id, count in INCIDENTS_PER_GRID.items():
        row = density.loc[grid_id]
        assert row["households"] == HOUSEHOLDS_PER_GRID[grid_id]
        if count < MIN_COUNT or count == withheld:
            assert row["suppressed"]
            assert pd.isna(row["count"]) and pd.isna(row["rate_per_1000_households"])
        else:
            assert not row["suppressed"]
            assert row["count"] == count
            rate = round(1000 * count / HOUSEHOLDS_PER_GRID[grid_id], 1)
            assert row["rate_per_1000_households"] == rate
    assert SENSITIVE_COUNT > 0 and density.loc["G1", "count"] == 100


def _table(counts: list[list[int]]) -> pd.DataFrame:
    rows = [{"place": f"P{i}", "period": f"2025-{j + 1:02d}", "count": c}
            for i, line in enumerate(counts) for j, c in enumerate(line)]
    return release(pd.DataFrame(rows))


def test_release_leaves_no_line_with_one_hidden_count():
    """Secondary suppression (in geogrid.release.release, which every density table goes
    through): no row or column keeps exactly one hidden count, so no hidden count equals a
    published total minus published counts; zeros stay; a place's name is a label, not a
    dimension of its own."""
    one_line = release(pd.DataFrame({"place": list("abcd"), "place_name": list("ABCD"),
                                     "count": [3, 37, 60, 0]}))
    assert list(one_line["suppressed"]) == [True, True, False, False]
    assert one_line["count"].iloc[3] == 0
    grid = _table([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    hidden = grid.pivot(index="place", columns="period", values="suppressed")
    assert hidden.to_numpy().sum() >= 4
    assert (hidden.sum(axis=0) != 1).all() and (hidden.sum(axis=1) != 1).all()
    untouched = _table([[20, 30], [40, 50]])
    assert not untouched["suppressed"].any()


@pytest.mark.parametrize("by", [None, "place", "category"])
def test_breakdowns_never_reveal_a_hidden_count(stats, by):
    """In every published breakdown each line with a hidden count has at least two."""
    table = monthly_counts(stats, by=by)
    for key in ([by, "period"] if by else ["period"]):
        if by is None:
            assert table["suppressed"].sum() != 1
            break
        per_line = table.groupby(key)["suppressed"].sum()
        assert (per_line != 1).all(), (by, key)
    cats = category_counts(stats, Selection("2025-03", "2025-04"))
    assert cats["suppressed"].sum() != 1


def test_place_counts_without_households(area):
    """A grid with no households has a count but no rate."""
    empty = area.buildings.iloc[0:0]
    density = place_counts(build_public_stats(dataclasses.replace(area, buildings=empty)))
    assert density["rate_per_1000_households"].isna().all()
    assert int(density.loc["G1", "count"]) == 100


def test_selection_by_month_and_category(stats):
    """The month range is inclusive; categories restrict; all numbers add up."""
    whole = monthly_counts(stats)
    assert list(whole["period"]) == stats.months
    spring = Selection("2025-03", "2025-05")
    raw = spring.apply(stats.counts)
    assert set(raw["period"]) == {"2025-03", "2025-04", "2025-05"}
    theft = Selection("2025-03", "2025-05", ("theft",))
    assert theft.total(stats) == raw.loc[raw["category"] == "theft", "count"].sum()
    per_cat = category_counts(stats, spring)
    shown = per_cat.dropna(subset=["count"])
    assert (shown["count"] >= MIN_COUNT).all()
    assert set(per_cat["category"]) == {"dispute", "fraud", "theft", "vandalism"}
    assert per_cat["count"].fillna(0).sum() <= spring.total(stats)


def test_monthly_counts_suppress_small_counts(stats):
    """Every published monthly count is 0 or at least 5; suppressed rows say so."""
    table = monthly_counts(stats, by="place")
    assert set(table["place"]) == {"G1", "G2", "G3", "G4"}
    published = table["count"].dropna()
    assert ((published == 0) | (published >= MIN_COUNT)).all()
    assert (table["suppressed"] == table["count"].isna()).all()
    assert table["suppressed"].any()


def test_cells_when_no_grids():
    """Without grids: >= 150 m cells clipped to the boundary; cells under 5 never appear,
    not even in the monthly table."""
    area = build_tiny_area(with_grids=False)
    stats = build_public_stats(area, cell_m=150)
    assert stats.kind == "cell"
    cells = place_counts(stats)
    assert len(cells) > 0 and (cells["count"] >= MIN_COUNT).all()
    assert cells["count"].sum() < sum(INCIDENTS_PER_GRID.values())
    assert not cells["suppressed"].any()
    outline = area.boundary.geometry.iloc[0].buffer(1e-7)
    assert all(outline.contains(g) for g in cells.geometry)
    assert cells.to_crs(METRIC_CRS).geometry.area.max() <= 150 * 150 + 1
    assert set(monthly_counts(stats, by="place")["place"]) == set(cells.index)
    with pytest.raises(ValueError, match="150"):
        build_public_stats(area, cell_m=100)


def test_cells_all_suppressed(area):
    """Four incidents make no cell at all; no incidents make an empty surface."""
    few = dataclasses.replace(area, grids=area.grids.iloc[0:0], incidents=area.incidents.iloc[:4])
    assert len(place_counts(build_public_stats(few))) == 0
    none = dataclasses.replace(few, incidents=None)
    assert len(place_counts(build_public_stats(none))) == 0
    assert year_over_year(build_public_stats(none)) is None


def test_year_over_year(stats):
    """Selected months against the same months a year earlier; comparable only when
    the data reaches back that far."""
    yoy = year_over_year(stats, Selection("2026-03", "2026-04"))
    assert (yoy.previous_start, yoy.previous_end) == ("2025-03", "2025-04")
    now = Selection("2026-03", "2026-04").total(stats)
    before = Selection("2025-03", "2025-04").total(stats)
    assert (yoy.count, yoy.previous_count, yoy.comparable) == (now, before, True)
    assert yoy.change_pct == round((now - before) / before * 100, 1)
    early = year_over_year(stats, Selection("2025-03", "2025-04"))
    assert early is not None and not early.comparable and early.change_pct is None
    assert year_over_year(stats).end == stats.months[-1]  # default: the last 12 months
