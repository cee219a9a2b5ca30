"""Tests for geogrid.incidents.counts: summaries, rates, period labels and change."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geogrid import incidents as inc
from geogrid.errors import InputError
from tests.incidents_data import TZ, incidents_at, random_incidents, voronoi_cells


def test_summarize_counts_rates_and_parents():
    """Counts per grid with rates per 1,000 households, rolled up to community and street."""
    cells = voronoi_cells(4)
    cells["households"] = [100, 200, 0, 400]
    cells["parent_code"] = ["110108001001", "110108001001", "110108002001", "110108002001"]
    pts = [shapely.centroid(g) for g in cells.geometry]
    frame = incidents_at(
        [(p.x, p.y) for p in pts for _ in range(2)], ["2025-01-05 10:00", "2025-02-05 10:00"] * 4
    )
    table = inc.summarize(frame, cells, freq=None)
    assert table["count"].tolist() == [2, 2, 2, 2]
    assert table.set_index("place").loc["g000", "rate_per_1000_households"] == pytest.approx(20.0)
    assert pd.isna(table.set_index("place").loc["g002", "rate_per_1000_households"])
    community = inc.summarize(frame, cells, level="community", freq="month")
    assert set(community["period"]) == {"2025-01", "2025-02"}
    assert community.query("place == '110108001001'")["households"].iloc[0] == 300
    street = inc.summarize(frame, cells, level="street", freq=None)
    assert street.set_index("place")["count"].to_dict() == {"110108001": 4, "110108002": 4}


def test_summarize_on_h3_and_by_category():
    """Without cells incidents are counted per H3 hexagon; by_category splits the rows."""
    frame = random_incidents(200)
    frame.loc[:99, "category"] = "fraud"
    table = inc.summarize(frame, freq=None, by_category=True, resolution=7)
    assert table["count"].sum() == 200
    assert set(table["category"]) == {"fraud", "theft"}
    assert table["place"].str.len().eq(15).all()


def test_period_labels():
    """Day, ISO week, month, quarter and year labels."""
    times = pd.Series(pd.to_datetime(["2025-01-01 10:00", "2024-12-30 23:00"]).tz_localize(TZ))
    assert inc.period_labels(times, "day").tolist() == ["2025-01-01", "2024-12-30"]
    assert inc.period_labels(times, "week").tolist() == ["2025-W01", "2025-W01"]
    assert inc.period_labels(times, "month").tolist() == ["2025-01", "2024-12"]
    assert inc.period_labels(times, "quarter").tolist() == ["2025-Q1", "2024-Q4"]
    with pytest.raises(InputError, match="hour"):
        inc.period_labels(times, "hour")


def test_period_change_gives_the_report_figure():
    """68 last June, 59 this June -> 同比下降13.24%; 50 in May -> 环比上升18.00%."""
    times = ["2024-06-10 10:00"] * 68 + ["2025-05-10 10:00"] * 50 + ["2025-06-10 10:00"] * 59
    frame = incidents_at([(116.35, 39.99)] * len(times), times, ["刑事"] * len(times))
    change = inc.period_change(frame, "2025-06", category="刑事")
    assert (change.count, change.previous_count, change.last_year_count) == (59, 50, 68)
    assert change.phrase_zh("刑事警情") == "刑事警情同比下降13.24%，环比上升18.00%"
    assert inc.period_change(frame, "2023-06").phrase_zh().endswith("无可比数据")
    assert change.text() == "2025-06: 59 (2025-05: 50, 2024-06: 68)"


def test_yearly_change_names_the_year_before_once():
    """A year's previous period is the year before: printed once, not (2024: n, 2024: n)."""
    times = ["2024-03-01 10:00"] * 40 + ["2025-03-01 10:00"] * 30
    frame = incidents_at([(116.35, 39.99)] * len(times), times, ["刑事"] * len(times))
    change = inc.period_change(frame, "2025")
    assert change.yearly
    assert change.text() == "2025: 30 (2024: 40)"
    assert change.phrase_zh() == "警情同比下降25.00%"


def test_hour_by_weekday_skips_sources_without_hours():
    """The weekday x hour table counts hourly records only."""
    frame = incidents_at(
        [(116.35, 39.99)] * 3, ["2025-06-02 18:10", "2025-06-02 18:50", "2025-06-03 0:00"]
    )
    frame.loc[2, "time_precision"] = "month"
    table = inc.hour_by_weekday(frame)
    assert table.shape == (7, 24) and table.loc["Mon", 18] == 2 and table.to_numpy().sum() == 2


def test_summaries_count_distinct_cases_and_categories_the_cases_that_include_them():
    """Case 7 with two offences (theft + assault): the total is 1 case, theft 1, assault 1
    (categories add up to more than the total); hour-by-weekday and period change count
    the case once."""
    mapping = inc.mapping_from_dict(
        {
            "name": "t",
            "source": {"coordinates": "wgs84"},
            "columns": {"case_id": "case", "time": "time", "category": "cat", "x": "x", "y": "y"},
        }
    )
    table = pd.DataFrame(
        {
            "case": ["7", "7"],
            "time": ["2025-03-01 21:30"] * 2,
            "cat": ["theft", "assault"],
            "x": ["116.3"] * 2,
            "y": ["39.9"] * 2,
        },
        index=[1, 2],
    )
    incidents = inc.clean_incidents(table, mapping).incidents
    total = inc.summarize(incidents, None, freq=None)
    per_category = inc.summarize(incidents, None, freq=None, by_category=True)
    assert total["count"].tolist() == [1]
    assert dict(zip(per_category["category"], per_category["count"], strict=True)) == {
        "theft": 1,
        "assault": 1,
    }
    assert int(inc.hour_by_weekday(incidents).to_numpy().sum()) == 1
    assert inc.period_change(incidents, "2025-03").count == 1
