"""Tests for geogrid.incidents.mapping: mapping files, cleaning on import, merging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geogrid import incidents as inc
from geogrid.crs import wgs84_to_bd09, wgs84_to_gcj02
from geogrid.errors import InputError
from tests.incidents_data import TZ, UTM50

DATA = Path(__file__).parent / "data" / "incidents"
HAIDIAN = (116.30, 39.95, 116.40, 40.03)


def _mapping(**overrides):
    base = {
        "name": "t",
        "source": {"coordinates": "gcj02", "timezone": TZ, "bbox": list(HAIDIAN)},
        "columns": {"id": "id", "time": "报警时间", "category": "类别", "x": "经度", "y": "纬度"},
    }
    base.update(overrides)
    return inc.mapping_from_dict(base)


def _fixture_table() -> pd.DataFrame:
    table = pd.read_csv(DATA / "haidian_gcj02.csv", dtype=str, keep_default_na=False)
    table.index = pd.RangeIndex(1, len(table) + 1)
    return table


# --------------------------------------------------------------------------- mapping


def test_mapping_collects_every_problem_and_says_how_to_fix():
    """A broken mapping lists all its problems at once: no coordinate system, no time, bad field."""
    with pytest.raises(InputError) as err:
        inc.mapping_from_dict({"columns": {"colour": "c", "x": "lon"}}, where="m.toml")
    text = str(err.value)
    assert "m.toml" in text
    for fragment in (
        "name",
        "coordinates is required",
        "never guesses",
        "time",
        "colour",
        "x and y",
    ):
        assert fragment in text


def test_a_synthetic_source_labels_every_record():
    """[source] synthetic = true marks every imported record synthetic (the public map then says
    so); a quoted "yes" is refused with the fix, and a source says nothing: real records."""
    cleaned = inc.clean_incidents(
        _fixture_table(),
        _mapping(
            source={
                "coordinates": "gcj02",
                "timezone": TZ,
                "bbox": list(HAIDIAN),
                "synthetic": True,
            }
        ),
    )
    assert len(cleaned.incidents) == 3 and cleaned.incidents["synthetic"].eq(True).all()
    with pytest.raises(InputError, match="synthetic 'yes': write true or false"):
        _mapping(source={"coordinates": "gcj02", "synthetic": "yes"})
    assert not _mapping().synthetic


# --------------------------------------------------------------------------- bad rows

BAD_ROWS = [
    (4, "B1", "missing_coordinates", "empty"),
    (5, "B2", "out_of_range", "not lon/lat"),
    (6, "B3", "swapped_coordinates", "swap them in this row"),
    (7, "B4", "outside_area", "outside the area"),
    (8, "B5", "bad_time", "'2025-13-45 25:00' cannot be read"),
    (9, "B6", "bad_time", "time is empty"),
    (10, "A1", "duplicate_id", "already on row 1"),
    (11, "", "missing_id", "is empty"),
    (12, "B7", "missing_category", "category is empty"),
    (13, "B8", "missing_coordinates", "0,0"),
]


@pytest.mark.parametrize(("row", "id_", "reason", "fragment"), BAD_ROWS)
def test_each_bad_row_kind_is_rejected_with_row_and_reason(row, id_, reason, fragment):
    """Every kind of bad row lands in the rejects with its row number, reason and a hint."""
    cleaned = inc.clean_incidents(_fixture_table(), _mapping())
    rejects = cleaned.rejects.set_index("row")
    assert rejects.loc[row, "reason"] == reason
    assert rejects.loc[row, "id"] == id_
    assert fragment in rejects.loc[row, "detail"]


def test_good_rows_are_kept_converted_to_wgs84_and_local_time():
    """The three good rows survive; GCJ-02 becomes WGS-84 (1 cm), times carry +08:00."""
    cleaned = inc.clean_incidents(_fixture_table(), _mapping())
    assert cleaned.rows == 13 and len(cleaned.rejects) == 10
    got = cleaned.incidents.set_index("id")
    assert list(got.index) == ["A1", "A2", "A3"]
    expected = {"A1": (116.35, 39.99), "A2": (116.355, 39.995), "A3": (116.36, 40.0)}
    for key, (lon, lat) in expected.items():
        p = got.loc[key, "geometry"]
        assert abs(p.x - lon) < 1e-6 and abs(p.y - lat) < 1e-6  # 7-decimal fixture, ~1 cm
    assert str(got.loc["A1", "time"]) == "2025-03-01 21:30:00+08:00"
    assert str(got.loc["A2", "time"]) == "2025-03-02 08:15:00+08:00"
    assert got["synthetic"].eq(False).all() and got["source"].eq("t").all()


def test_swapped_lonlat_inside_valid_ranges_is_caught_by_the_area():
    """(lat, lon) that is still a valid (lon, lat) is reported as swapped when the swap lands
    inside."""
    table = pd.DataFrame(
        {
            "id": ["a", "b"],
            "t": ["2025-01-01 10:00"] * 2,
            "c": ["x"] * 2,
            "lon": ["24.94", "60.17"],
            "lat": ["60.17", "24.94"],
        },
        index=[1, 2],
    )
    mapping = inc.mapping_from_dict(
        {
            "name": "h",
            "source": {"coordinates": "wgs84", "timezone": "Europe/Helsinki"},
            "columns": {"id": "id", "time": "t", "category": "c", "x": "lon", "y": "lat"},
        }
    )
    area = shapely.box(24.93, 60.16, 24.96, 60.18)
    cleaned = inc.clean_incidents(table, mapping, area=area)
    assert list(cleaned.incidents["id"]) == ["a"]
    assert cleaned.rejects.loc[0, "reason"] == "swapped_coordinates"


def test_projected_source_and_time_parts_with_dst_gaps():
    """UTM metres become lon/lat; a time skipped by DST is rejected, an ambiguous one kept."""
    table = pd.DataFrame(
        {
            "Y": ["2020", "2020", "2020"],
            "M": ["3", "3", "11"],
            "D": ["7", "8", "1"],
            "H": ["2", "2", "1"],
            "MIN": ["30", "30", "30"],
            "T": ["Theft"] * 3,
            "X": ["490320.299"] * 3,
            "N": ["5458606.9208"] * 3,
        },
        index=[1, 2, 3],
    )
    mapping = inc.mapping_from_dict(
        {
            "name": "v",
            "source": {"coordinates": "EPSG:26910", "timezone": "America/Vancouver"},
            "columns": {"category": "T", "x": "X", "y": "N"},
            "time_parts": {"year": "Y", "month": "M", "day": "D", "hour": "H", "minute": "MIN"},
        }
    )
    cleaned = inc.clean_incidents(table, mapping)
    assert list(cleaned.rejects["row"]) == [2]
    assert "clocks go forward" in cleaned.rejects.loc[0, "detail"]
    p = cleaned.incidents.geometry.iloc[0]
    assert -123.14 < p.x < -123.12 and 49.27 < p.y < 49.29
    assert str(cleaned.incidents["time"].iloc[1]) == "2020-11-01 01:30:00-07:00"


def test_generated_ids_are_stable_and_keep_identical_rows_apart():
    """Without an id column, ids hash the row; identical rows get -0, -1; reruns give the same
    ids."""
    table = pd.DataFrame(
        {"m": ["2022-01"] * 3, "x": ["-2.46", "-2.46", "-2.47"], "y": ["53.7"] * 3}, index=[1, 2, 3]
    )
    mapping = inc.mapping_from_dict(
        {
            "name": "uk",
            "source": {
                "coordinates": "wgs84",
                "timezone": "Europe/London",
                "time_precision": "month",
            },
            "columns": {"time": "m", "x": "x", "y": "y"},
            "constants": {"category": "asb"},
        }
    )
    first = inc.clean_incidents(table, mapping).incidents["id"].tolist()
    again = inc.clean_incidents(table, mapping).incidents["id"].tolist()
    assert first == again and len(set(first)) == 3
    assert first[0].endswith("-0") and first[1].endswith("-1") and first[0][:-2] == first[1][:-2]


def test_missing_columns_are_listed_with_what_the_file_has():
    """A mapping naming absent columns fails once, listing each and the file's columns."""
    table = _fixture_table().drop(columns=["经度", "纬度"])
    with pytest.raises(InputError) as err:
        inc.clean_incidents(table, _mapping(), where="x.csv")
    assert (
        "'经度'" in str(err.value) and "'纬度'" in str(err.value) and "'报警时间'" in str(err.value)
    )


def test_merge_is_idempotent():
    """Merging the same records twice adds them once; the second merge adds nothing."""
    cleaned = inc.clean_incidents(_fixture_table(), _mapping()).incidents
    merged, added = inc.merge_incidents(None, cleaned)
    again, added2 = inc.merge_incidents(merged, cleaned)
    assert added == 3 and added2 == 0 and again is merged


def test_wgs84_gcj02_and_bd09_imports_of_the_same_points_agree():
    """The same points given in WGS-84, GCJ-02 or BD-09 (written to 9 decimals, as exports
    do) end up within 1 mm of each other."""
    lon, lat = np.array([116.35, 116.36]), np.array([39.99, 40.0])
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = wgs84_to_bd09(lon, lat)
    frames = []
    systems = (("wgs84", (lon, lat)), ("gcj02", (glon, glat)), ("bd09", (blon, blat)))
    for system, (x, y) in systems:
        table = pd.DataFrame(
            {
                "id": ["a", "b"],
                "t": ["2025-01-01T10:00:00"] * 2,
                "c": ["x"] * 2,
                "x": [f"{v:.9f}" for v in x],
                "y": [f"{v:.9f}" for v in y],
            },
            index=[1, 2],
        )
        mapping = inc.mapping_from_dict(
            {
                "name": "s",
                "source": {"coordinates": system},
                "columns": {"id": "id", "time": "t", "category": "c", "x": "x", "y": "y"},
            }
        )
        frames.append(inc.clean_incidents(table, mapping).incidents.to_crs(UTM50))
    assert frames[0].geometry.distance(frames[1].geometry).max() < 0.001
    assert frames[0].geometry.distance(frames[2].geometry).max() < 0.001


# ------------------------------------------------------------------------ several offences per case


def _offences(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    table = pd.DataFrame(
        [(case, time, cat, "116.3561934", "39.9913555") for case, time, cat in rows],
        columns=["案件编号", "发案时间", "案由", "经度", "纬度"],
    )
    table.index = pd.RangeIndex(1, len(table) + 1)
    return table


def _case_mapping():
    return _mapping(
        columns={
            "case_id": "案件编号",
            "time": "发案时间",
            "category": "案由",
            "x": "经度",
            "y": "纬度",
        }
    )


def test_one_record_per_offence_of_a_case_and_exact_copies_rejected():
    """With case_id mapped, case 7's theft and assault are two records of one case (ids
    '<case>/<category>', case_id kept); an exact copy of a row is duplicate_id, the same
    case and category with another time duplicate_offence; the first row is kept."""
    table = _offences(
        [
            ("7", "2025-03-01 21:30", "theft"),
            ("7", "2025-03-01 21:30", "assault"),
            ("7", "2025-03-01 21:30", "assault"),
            ("7", "2025-03-02 09:00", "theft"),
            ("8", "2025-03-03 10:00", "theft"),
        ]
    )
    cleaned = inc.clean_incidents(table, _case_mapping())
    got = cleaned.incidents
    assert list(got["id"]) == ["7/theft", "7/assault", "8/theft"]
    assert list(got["case_id"]) == ["7", "7", "8"]
    assert list(cleaned.rejects["row"]) == [3, 4]
    assert list(cleaned.rejects["reason"]) == ["duplicate_id", "duplicate_offence"]
    assert "row 2" in cleaned.rejects["detail"][0] and "row 1" in cleaned.rejects["detail"][1]
    assert inc.count_cases(got) == 2


def test_an_empty_case_number_is_rejected_and_without_case_id_nothing_changes():
    """An empty case number is missing_case; a mapping without case_id keeps one record
    per row as before (no case_id column, ids from the mapping)."""
    table = _offences([("", "2025-03-01 21:30", "theft"), ("9", "2025-03-01 21:30", "theft")])
    cleaned = inc.clean_incidents(table, _case_mapping())
    assert cleaned.reject_counts() == {"missing_case": 1}
    plain = inc.clean_incidents(
        table.assign(id=["a", "b"]),
        _mapping(
            columns={"id": "id", "time": "发案时间", "category": "案由", "x": "经度", "y": "纬度"}
        ),
    )
    assert "case_id" not in plain.incidents.columns and len(plain.incidents) == 2


def test_cgcs2000_lonlat_rows_are_checked_like_wgs84():
    """EPSG:4490 (CGCS2000 lon/lat, what offices' files state) is lon/lat: a swapped row is
    named swapped, as for WGS-84 and as the household register says, not only out of range."""
    table = pd.DataFrame(
        {
            "id": ["a", "b"],
            "t": ["2025-01-01 10:00"] * 2,
            "c": ["x"] * 2,
            "lon": ["116.35", "39.99"],
            "lat": ["39.99", "116.35"],
        },
        index=[1, 2],
    )
    mapping = inc.mapping_from_dict(
        {
            "name": "cgcs",
            "source": {"coordinates": "EPSG:4490", "timezone": TZ},
            "columns": {"id": "id", "time": "t", "category": "c", "x": "lon", "y": "lat"},
        }
    )
    cleaned = inc.clean_incidents(table, mapping)
    assert list(cleaned.incidents["id"]) == ["a"]
    assert cleaned.rejects.set_index("row").loc[2, "reason"] == "swapped_coordinates"


def test_a_whole_file_in_another_chinese_system_is_refused():
    """A police export in GCJ-02 (Amap) mapped as WGS-84: 26% of the Shanghai pilot's rows fell
    outside the area and were rejected, the rest imported ~480 m off. With an area, a file
    whose rows lie inside far better read in another system is refused, naming it; the
    right mapping imports it."""
    rng = np.random.default_rng(11)
    area = shapely.box(121.4611, 31.2196, 121.4863, 31.2412)
    lon, lat = rng.uniform(121.4611, 121.4863, 60), rng.uniform(31.2196, 31.2412, 60)
    gx, gy = wgs84_to_gcj02(lon, lat)
    table = pd.DataFrame(
        {
            "id": [f"J{n}" for n in range(60)],
            "t": ["2026-06-01 21:00"] * 60,
            "c": ["盗窃"] * 60,
            "x": [f"{v:.6f}" for v in gx],
            "y": [f"{v:.6f}" for v in gy],
        },
        index=range(1, 61),
    )

    def mapping(system: str):
        return inc.mapping_from_dict(
            {
                "name": "p",
                "source": {"coordinates": system},
                "columns": {"id": "id", "time": "t", "category": "c", "x": "x", "y": "y"},
            }
        )

    with pytest.raises(InputError) as err:
        inc.clean_incidents(table, mapping("wgs84"), area=area, where="警情.csv")
    text = str(err.value)
    assert "警情.csv" in text and 'coordinates = "gcj02"' in text
    assert len(inc.clean_incidents(table, mapping("gcj02"), area=area).incidents) == 60
    # stated as a geographic EPSG code (CGCS2000, WGS-84), the same file is refused as well
    for stated in ("EPSG:4490", "EPSG:4326"):
        with pytest.raises(InputError, match='coordinates = "gcj02"'):
            inc.clean_incidents(table, mapping(stated), area=area, where="警情.csv")
