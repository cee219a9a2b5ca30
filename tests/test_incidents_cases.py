"""Tests for geogrid.incidents.cases: several offences of one case counted once."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geogrid.incidents import cases


def _frame(rows: list[tuple[str, str | None, str, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "case_id": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "time": pd.to_datetime([r[3] for r in rows]).tz_localize("Asia/Shanghai"),
        },
        geometry=[shapely.Point(116.3, 39.9)] * len(rows),
        crs="EPSG:4326",
    )


def test_a_case_is_counted_once_at_its_first_record():
    """Case 7 (theft, then assault an hour earlier) is one case dated by the assault;
    a record without case_id is a case of its own, even if its id looks like a case."""
    frame = _frame(
        [
            ("7/theft", "7", "theft", "2025-03-01 22:00"),
            ("7/assault", "7", "assault", "2025-03-01 21:00"),
            ("7", None, "theft", "2025-03-02 08:00"),
        ]
    )
    assert cases.count_cases(frame) == 2
    assert cases.has_cases(frame)
    first = cases.case_records(frame)
    assert list(first["id"]) == ["7/assault", "7"]
    assert list(cases.first_of_case(frame)) == [False, True, True]


def test_offence_records_keep_one_per_case_and_category_and_frames_without_cases_pass():
    """Two records of one case and category (two sources merged) count once for that
    category; a frame without case_id is every record a case."""
    frame = _frame(
        [
            ("a", "7", "theft", "2025-03-01 22:00"),
            ("b", "7", "theft", "2025-03-01 22:05"),
            ("c", "7", "assault", "2025-03-01 22:05"),
        ]
    )
    assert list(cases.offence_records(frame)["id"]) == ["a", "c"]
    plain = frame.drop(columns="case_id")
    assert cases.count_cases(plain) == 3 and not cases.has_cases(plain)
    assert cases.offence_records(plain) is plain
