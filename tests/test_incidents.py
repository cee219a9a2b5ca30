"""Tests for geogrid.incidents: cleaning, counts, density, hot spots, public release."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geogrid import incidents as inc
from geogrid.crs import wgs84_to_bd09, wgs84_to_gcj02
from geogrid.errors import InputError

DATA = Path(__file__).parent / "data" / "incidents"
TZ = "Asia/Shanghai"
UTM50 = "EPSG:32650"
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


def _incidents(points, times, categories=None, precision="minute") -> gpd.GeoDataFrame:
    n = len(points)
    return gpd.GeoDataFrame(
        {
            "id": [f"i{i}" for i in range(n)],
            "time": pd.to_datetime(list(times)).tz_localize(TZ),
            "category": categories if categories is not None else ["theft"] * n,
            "time_precision": precision,
        },
        geometry=shapely.points(np.asarray(points)),
        crs="EPSG:4326",
    )


def _random_incidents(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    pts = np.column_stack([rng.uniform(116.33, 116.37, n), rng.uniform(39.98, 40.01, n)])
    start = pd.Timestamp("2024-01-01")
    times = start + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, n), unit="min")
    return _incidents(pts, times)


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
    """(lat, lon) that is still a valid (lon, lat) is reported as swapped when the swap lands inside."""
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
    """Without an id column, ids hash the row; identical rows get -0, -1; reruns give the same ids."""
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


# --------------------------------------------------------------------------- cells


def _voronoi_cells(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    box = shapely.box(116.33, 39.98, 116.37, 40.01)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(116.33, 116.37, n), rng.uniform(39.98, 40.01, n)])
    )
    polys = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    polys = shapely.intersection(polys, box)
    return gpd.GeoDataFrame(
        {"cell": [f"g{i:03d}" for i in range(len(polys))]}, geometry=polys, crs="EPSG:4326"
    ).set_index("cell")


def test_assign_cells_agrees_with_shapely_contains():
    """Fast point-in-polygon gives the same polygon as a plain contains test; outside -> -1."""
    cells = _voronoi_cells(60)
    rng = np.random.default_rng(5)
    x = rng.uniform(116.32, 116.38, 4000)
    y = rng.uniform(39.97, 40.02, 4000)
    got = inc.assign_cells(x, y, cells.geometry.to_numpy())
    expected = np.full(len(x), -1)
    for i, poly in enumerate(cells.geometry):
        expected[shapely.contains_xy(poly, x, y)] = i
    assert (got == expected).mean() > 0.999  # only exact-edge points may differ
    assert (got[expected == -1] == -1).all()


def test_summarize_counts_rates_and_parents():
    """Counts per grid with rates per 1,000 households, rolled up to community and street."""
    cells = _voronoi_cells(4)
    cells["households"] = [100, 200, 0, 400]
    cells["parent_code"] = ["110108001001", "110108001001", "110108002001", "110108002001"]
    pts = [shapely.centroid(g) for g in cells.geometry]
    frame = _incidents(
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
    frame = _random_incidents(200)
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
    frame = _incidents([(116.35, 39.99)] * len(times), times, ["刑事"] * len(times))
    change = inc.period_change(frame, "2025-06", category="刑事")
    assert (change.count, change.previous_count, change.last_year_count) == (59, 50, 68)
    assert change.phrase_zh("刑事警情") == "刑事警情同比下降13.24%，环比上升18.00%"
    assert inc.period_change(frame, "2023-06").phrase_zh().endswith("无可比数据")


def test_hour_by_weekday_skips_sources_without_hours():
    """The weekday x hour table counts hourly records only."""
    frame = _incidents(
        [(116.35, 39.99)] * 3, ["2025-06-02 18:10", "2025-06-02 18:50", "2025-06-03 0:00"]
    )
    frame.loc[2, "time_precision"] = "month"
    table = inc.hour_by_weekday(frame)
    assert table.shape == (7, 24) and table.loc["Mon", 18] == 2 and table.to_numpy().sum() == 2


# --------------------------------------------------------------------------- density


def test_kernel_density_integrates_to_the_count_and_states_its_rule():
    """The surface is in incidents per km² and sums to n; Silverman's bandwidth is recorded."""
    frame = _random_incidents(500)
    density = inc.kernel_density(frame, UTM50, cell_m=20)
    total = density.values_per_km2.sum() * (density.cell_m**2) / 1e6
    assert total == pytest.approx(500, rel=1e-6)
    xy = frame.to_crs(UTM50).geometry
    assert density.bandwidth_m == pytest.approx(inc.silverman_bandwidth_m(xy.x.values, xy.y.values))
    assert "silverman" in density.rule
    squares = density.to_frame(min_per_km2=1.0)
    assert squares.crs.to_epsg() == 4326 and (squares["density_per_km2"] > 1).all()
    fixed = inc.kernel_density(frame, UTM50, bandwidth_m=150)
    assert fixed.bandwidth_m == 150 and fixed.rule == "given"


# --------------------------------------------------------------------------- hot spots


def _clustered(n_background=400, n_cluster=120, seed=1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    bg = np.column_stack(
        [rng.uniform(116.33, 116.37, n_background), rng.uniform(39.98, 40.01, n_background)]
    )
    cl = np.column_stack(
        [rng.normal(116.355, 0.0006, n_cluster), rng.normal(39.995, 0.0005, n_cluster)]
    )
    hours_bg = rng.integers(0, 24, n_background)
    hours_cl = rng.integers(19, 22, n_cluster)  # evening cluster
    times = [
        pd.Timestamp("2025-03-01") + pd.Timedelta(hours=int(h), minutes=10)
        for h in np.concatenate([hours_bg, hours_cl])
    ]
    return _incidents(np.vstack([bg, cl]), times)


def test_gi_star_finds_a_planted_cluster_and_matches_esda_fdr():
    """On a lattice a planted block is significant; BH p_fdr <= alpha picks esda.fdr's cells."""
    side = 12
    counts = np.random.default_rng(0).poisson(2, side * side).astype(float)
    grid = counts.reshape(side, side)
    grid[5:8, 5:8] += 12
    neighbours = []
    for r in range(side):
        for c in range(side):
            neighbours.append(
                [
                    rr * side + cc
                    for rr in range(r - 1, r + 2)
                    for cc in range(c - 1, c + 2)
                    if 0 <= rr < side and 0 <= cc < side and (rr, cc) != (r, c)
                ]
            )
    gi = inc.gi_star(grid.ravel(), neighbours, alpha=0.05)
    assert gi.z[6 * side + 6] > 3 and gi.p_fdr[6 * side + 6] < 0.05
    by_threshold = gi.p <= gi.fdr_threshold
    assert (by_threshold == (gi.p_fdr <= 0.05)).all()
    flat = inc.gi_star(np.ones(20), [[(i + 1) % 20] for i in range(20)])
    assert (flat.p_fdr == 1).all()


def test_rank_hotspots_contract_on_h3():
    """The ranked frame keeps the planner's contract: columns, types, order, priorities, window."""
    frame = _clustered()
    spots = inc.rank_hotspots(frame, UTM50, resolution=9)
    assert len(spots) >= 1 and spots.crs.to_epsg() == 4326
    for col in (
        "id",
        "rank",
        "score",
        "p_fdr",
        "count",
        "priority",
        "peak_hours",
        "window_start",
        "window_end",
        "dwell_min",
        "geometry",
    ):
        assert col in spots.columns
    assert spots["rank"].tolist() == list(range(1, len(spots) + 1))
    assert spots["score"].is_monotonic_decreasing
    assert spots["priority"].between(1, 5).all() and spots["priority"].iloc[0] == 5
    assert (spots["p_fdr"] <= 0.05).all() and spots["dwell_min"].eq(12.0).all()
    assert spots.geometry.geom_type.eq("Point").all()
    top = spots.iloc[0]
    assert top["peak_hours"] == "19-22" and (top["window_start"], top["window_end"]) == (
        "19:00",
        "22:00",
    )
    p = top.geometry
    assert abs(p.x - 116.355) < 0.002 and abs(p.y - 39.995) < 0.002
    assert isinstance(top["id"], str) and spots["count"].dtype.kind == "i"


def test_rank_hotspots_on_grid_polygons_and_without_hours():
    """With grid polygons the ids are grid codes; month-level sources get an all-day window."""
    frame = _clustered()
    frame["time_precision"] = "month"
    cells = _voronoi_cells(80)
    spots = inc.rank_hotspots(frame, UTM50, cells, top=3)
    assert 1 <= len(spots) <= 3 and spots["id"].str.startswith("g").all()
    assert spots["peak_hours"].eq("").all() and spots["window_start"].eq("00:00").all()
    containing = cells.loc[spots["id"].iloc[0]].geometry
    assert (
        containing.buffer(1e-9).contains(spots.geometry.iloc[0])
        or containing.distance(spots.geometry.iloc[0]) < 0.002
    )


# --------------------------------------------------------------------------- release

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
    frame = _clustered(n_background=300, n_cluster=80)
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
        inc.release(raw)
    raw["count"] = 1
    with pytest.raises(InputError, match="never points"):
        inc.release(raw)
    daily = pd.DataFrame({"place": ["a"], "period": ["2025-03-01"], "count": [9]})
    with pytest.raises(InputError, match="finer than month"):
        inc.release(daily)
    with pytest.raises(InputError, match="finer than quarter"):
        inc.release(
            pd.DataFrame({"period": ["2025-03"], "count": [9]}),
            inc.ReleaseRules(finest_period="quarter"),
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
    out = inc.release(table, inc.ReleaseRules(secondary=False))
    assert list(out["place"]) == ["a", "b", "d"]
    assert out["count"].iloc[0] == 0 and pd.isna(out["count"].iloc[1]) and out["count"].iloc[2] == 7
    assert pd.isna(out["rate_per_1000_households"].iloc[1])
    assert out["suppressed"].tolist() == [False, True, False]
    assert "address" not in out.columns and out.attrs["dropped_columns"] == ["address"]
    assert inc.release(table, inc.ReleaseRules(k=2))["count"].iloc[1] == 3
    with pytest.raises(InputError, match="at least 1"):
        inc.ReleaseRules(k=0)


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
    out = inc.release(table)
    hidden = out["suppressed"].to_numpy()
    assert hidden.tolist() == [True, True, False, True, True, False]
    for key in ("place", "period"):
        per_line = out.groupby(key)["suppressed"].sum()
        assert (per_line != 1).all(), (key, per_line)
    assert out.attrs["release_rules"]["secondary"] is True
    none = inc.release(table.assign(count=[5, 9, 20, 12, 0, 30]))
    assert not none["suppressed"].any()
    zeros = inc.release(table.assign(count=[3, 9, 20, 12, 0, 30]))  # b: hidden 9 and a shown 0
    assert (zeros.groupby("place")["suppressed"].sum() != 1).all()


@pytest.mark.parametrize("name", inc.PUBLIC_FUNCTIONS)
def test_no_raw_data_gets_out_through_any_public_function(name):
    """Every public function, fed raw records with personal fields and sensitive categories,
    either refuses or returns only released, polygon, month-level, k-suppressed counts."""
    raw = _adversarial_incidents()
    func = getattr(inc, name)
    cells = _voronoi_cells(30)
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
            lambda: func(raw, cells, rules=inc.ReleaseRules(k=3)),
        ],
    }[name]
    for attempt in attempts:
        try:
            out = attempt()
        except InputError:
            continue
        _assert_public(out, k=out.attrs["release_rules"]["k"])
    with pytest.raises(InputError):
        inc.public_counts(raw, freq="day")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_cells=st.integers(1, 40), n_points=st.integers(0, 3000))
def test_assign_cells_matches_contains_for_any_layout(seed, n_cells, n_points):
    """For any Voronoi grid and point cloud, each point gets the polygon that contains it
    (or -1), whatever the number of points (the bucket raster scales with it)."""
    cells = (
        _voronoi_cells(n_cells, seed=seed)
        if n_cells > 1
        else gpd.GeoDataFrame(geometry=[shapely.box(116.33, 39.98, 116.37, 40.01)], crs="EPSG:4326")
    )
    rng = np.random.default_rng(seed)
    x = rng.uniform(116.32, 116.38, n_points)
    y = rng.uniform(39.97, 40.02, n_points)
    got = inc.assign_cells(x, y, cells.geometry.to_numpy())
    inside = np.zeros((len(cells), n_points), dtype=bool)
    for i, poly in enumerate(cells.geometry):
        inside[i] = shapely.contains_xy(poly, x, y)
    assert (inside.sum(axis=0) <= 1).all()
    expected = np.where(inside.any(axis=0), inside.argmax(axis=0), -1)
    assert (got == expected).all()


def test_release_suppresses_counts_on_polygons_small_enough_to_pin_incidents_down():
    """Counts on tiny polygons (H3 resolution 13, about 44 m²) are suppressed like small
    counts; resolution-9 hexagons keep theirs; the minimum is configurable."""
    same_spot = _incidents([(116.3551, 39.9951)] * 10, ["2025-03-01 20:00"] * 10)
    frame = gpd.GeoDataFrame(pd.concat([_clustered(), same_spot], ignore_index=True))
    fine = inc.summarize(frame, freq=None, resolution=13)
    cells = inc.hex_cells(fine["place"].unique())
    table = gpd.GeoDataFrame(
        fine, geometry=fine["place"].map(cells.geometry).to_numpy(), crs="EPSG:4326"
    )
    assert fine["count"].max() >= 5
    assert inc.release(table)["count"].isna().all()
    loose = inc.release(table, inc.ReleaseRules(min_area_m2=10))
    assert loose["count"].max() == fine["count"].max()
    coarse = inc.public_counts(frame, resolution=9, freq="year", by_category=False)
    assert coarse["count"].max() >= 5
    assert inc.public_counts(frame, resolution=12)["count"].isna().all()


def test_secondary_suppression_treats_place_name_as_a_label():
    """A table of places with their names still gets secondary suppression: with one grid
    hidden and the total public, the next smallest grid is hidden too."""
    table = pd.DataFrame({"place": ["g1", "g2", "g3"], "place_name": ["甲", "乙", "丙"],
                          "count": [3, 37, 60]})
    out = inc.release(table)
    assert list(out["suppressed"]) == [True, True, False]
