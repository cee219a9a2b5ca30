"""Tests for webmap/density.py: the public statistics behind the map and the API."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from webmap_area import (
    HOUSEHOLDS_PER_GRID,
    INCIDENTS_PER_GRID,
    METRIC_CRS,
    SENSITIVE_COUNT,
    build_tiny_area,
)

from geogrid.incidents import release
from webmap.density import (
    MIN_COUNT,
    Selection,
    build_public_stats,
    category_counts,
    class_breaks,
    monthly_counts,
    place_counts,
    year_over_year,
)


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
    """Secondary suppression (in geogrid.incidents.release, which every density table goes
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


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([250.0, 240.0, 123.3], [50, 100, 150, 200, 250]),
        ([7.0], [2, 4, 6, 8]),
        ([0.0], [0.0]),
        ([], []),
    ],
)
def test_class_breaks_are_round(values, expected):
    """Legend classes start at 0 with a round step and cover the largest value."""
    assert class_breaks(values) == pytest.approx(expected)
