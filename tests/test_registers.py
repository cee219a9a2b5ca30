"""Mapped rows become points, households, places, teams and communities; bad rows set aside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geogrid.crs import wgs84_to_gcj02
from geogrid.errors import InputError
from geogrid.registers import (
    communities_from_rows,
    community_code,
    compass,
    detect_offset,
    households_to_buildings,
    mapping_from_dict,
    match_buildings,
    parse_households,
    point_units,
    points_from_table,
    teams_from_rows,
)
from tests import grids_area
from tests import office_files as O

METRIC = grids_area.UTM_50N


def _mapping(kind: str = "households", coordinates: str = "wgs84", **columns: str):
    cols = columns or {"id": "id", "x": "x", "y": "y", "households": "households"}
    return mapping_from_dict(
        {"name": "t", "source": {"coordinates": coordinates}, "columns": cols}, kind
    )


def _area() -> shapely.Geometry:
    return grids_area.buildings().union_all().envelope.buffer(0.0005)


def test_points_rejects_each_bad_row() -> None:
    """Missing, out-of-range, swapped and outside rows are set aside with row and reason; good
    kept."""
    pts = O.building_points(4)
    fields = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "x": [str(pts["lon"][0]), "", "500", str(pts["lat"][2]), "120.5", str(pts["lon"][3])],
            "y": [str(pts["lat"][0]), "39.9", "40", str(pts["lon"][2]), "30.1", str(pts["lat"][3])],
        },
        index=pd.Index([2, 3, 4, 5, 6, 7]),
    )
    got = points_from_table(fields, _mapping(), area=_area(), where="r.csv")
    assert list(got.rows.index) == [2, 7]
    reasons = dict(zip(got.rejects.table["row"], got.rejects.table["reason"], strict=True))
    assert reasons == {
        3: "missing_coordinates",
        4: "out_of_range",
        5: "swapped_coordinates",
        6: "outside_area",
    }


def test_all_rows_swapped_is_a_mapping_error() -> None:
    """When every row is swapped the mapping is wrong: one error says to swap x and y."""
    pts = O.building_points(3)
    fields = pd.DataFrame({"x": pts["lat"].astype(str), "y": pts["lon"].astype(str)})
    with pytest.raises(InputError, match="swap them in \\[columns\\]"):
        points_from_table(
            fields, _mapping(x="x", y="y", households="h"), area=_area(), where="r.csv"
        )


def test_detect_offset_gcj02_given_as_wgs84() -> None:
    """GCJ-02 read as WGS-84 sits ~540 m east-northeast of Haidian's buildings: reported as
    GCJ-02."""
    pts = O.building_points()
    x, y = wgs84_to_gcj02(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    found = detect_offset(x, y, "wgs84", grids_area.buildings(), METRIC)
    assert found is not None and found.likely == "gcj02"
    assert 450 < found.shift_m < 650 and found.direction == "east-northeast"
    assert "GCJ-02" in found.message("r.xlsx")
    # a register stating CGCS2000 lon/lat (EPSG:4490) is checked the same way
    cgcs = detect_offset(x, y, "EPSG:4490", grids_area.buildings(), METRIC)
    assert cgcs is not None and cgcs.likely == "gcj02"
    assert (
        detect_offset(
            pts["lon"].to_numpy(), pts["lat"].to_numpy(), "wgs84", grids_area.buildings(), METRIC
        )
        is None
    )


def test_compass() -> None:
    """Compass names: east, southeast, north-northeast."""
    assert (
        compass(1, 0) == "east"
        and compass(1, -1) == "southeast"
        and compass(0.4, 1) == "north-northeast"
    )


def test_households_summed_into_buildings() -> None:
    """Rows of one building add up; the building's source becomes register; others unchanged."""
    buildings = grids_area.buildings()
    pts = O.building_points(4)
    fields = pd.DataFrame({"households": pts["户数"].astype(str), "x": pts["lon"], "y": pts["lat"]})
    rows = points_from_table(
        fields.astype(str), _mapping(x="x", y="y", households="households"), where="r"
    ).rows
    hh, bad = parse_households(rows)
    matched = match_buildings(rows, buildings, METRIC)
    out, n = households_to_buildings(buildings, hh, matched)
    assert n == 2 and not len(bad)
    first = out.iloc[0]
    assert first["households"] == pts["户数"][0] + pts["户数"][1]
    assert first["households_source"] == "register"
    assert out.iloc[5]["households"] == buildings.iloc[5]["households"]


def test_bad_households_and_point_units() -> None:
    """Non-numbers are bad_value; a row far from buildings becomes a stable 4 m point unit."""
    fields = pd.DataFrame({"households": ["3户", "x", "-1"], "address": ["甲", "乙", "丙"]})
    hh, bad = parse_households(fields)
    assert list(hh) == [3] and list(bad.table["reason"]) == ["bad_value", "bad_value"]
    import geopandas as gpd

    rows = gpd.GeoDataFrame(
        {"address": ["甲"]}, geometry=[shapely.Point(116.3, 39.97)], crs="EPSG:4326"
    )
    units = point_units(rows, pd.Series([3]), _mapping(), METRIC)
    again = point_units(rows, pd.Series([3]), _mapping(), METRIC)
    assert units["id"].iloc[0] == again["id"].iloc[0] and units["households"].iloc[0] == 3
    assert units.to_crs(METRIC).area.iloc[0] == pytest.approx(16, rel=0.01)


def test_teams_from_roster_rows() -> None:
    """Member rows group into teams: leader by role, size by members, base by a place name."""
    import geopandas as gpd

    roster = O.roster_rows().astype("string").replace("", pd.NA)
    fields = roster.rename(
        columns={
            "队伍": "id",
            "队名": "name",
            "姓名": "member",
            "职务": "role",
            "方式": "mode",
            "驻点": "base",
            "开始": "shift_start",
            "结束": "shift_end",
        }
    )
    places = gpd.GeoDataFrame(
        {"name": ["学院路派出所", "学院路小学"]},
        geometry=[shapely.Point(116.3, 39.97), shapely.Point(116.301, 39.971)],
        crs="EPSG:4326",
    )
    mapping = mapping_from_dict(
        {"name": "r", "columns": {"id": "队伍", "mode": "方式", "base": "驻点"}}, "teams"
    )
    teams, rejects = teams_from_rows(fields, None, places, mapping)
    assert not len(rejects)
    t1 = teams.set_index("id").loc["T1"]
    assert t1["leader"] == "张三" and t1["size"] == 3 and t1["mode"] == "walk"
    assert t1["shift_start"] == "18:30" and t1.geometry.equals(shapely.Point(116.3, 39.97))
    fields.loc[3, "base"] = "不存在的地方"
    teams, rejects = teams_from_rows(fields, None, places, mapping)
    assert list(teams["id"]) == ["T1"] and "unknown_base" in set(rejects.table["reason"])


def test_community_codes_and_rows() -> None:
    """9-digit street codes are padded to 12; bad, repeated and outside features are set aside."""
    import geopandas as gpd

    assert community_code("110108001") == "110108001000"
    assert community_code("1101080010") is None
    box = shapely.box(116.29, 39.96, 116.31, 39.98)
    features = gpd.GeoDataFrame(
        {
            "code": ["110108001001", "abc", "110108001001", "110108001002"],
            "name": ["a", "b", "c", "d"],
        },
        geometry=[box, box, box, shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
        index=pd.Index([1, 2, 3, 4]),
    )
    mapping = mapping_from_dict({"name": "c", "columns": {"code": "CODE"}}, "communities")
    out, rejects = communities_from_rows(features, box, mapping)
    assert list(out["code"]) == ["110108001001"]
    assert list(rejects.table["reason"]) == ["bad_value", "duplicate_id", "outside_area"]
    assert np.all(rejects.table["row"].to_numpy() == [2, 3, 4])


def test_detect_offset_among_dense_streets_by_the_outline() -> None:
    """A city centre with streets every 60 m and no buildings (the Shanghai pilot): GCJ-02
    read as WGS-84 is only 40 m from a street against 28 m, and 26% of the points fall
    outside the area; every point falls inside read as GCJ-02, so it is reported. A true
    WGS-84 file with 15% of its rows beyond the area is not."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geogrid.crs import wgs84_to_gcj02

    metric = "EPSG:32651"
    x0, y0 = 352000.0, 3455000.0
    streets = [shapely.LineString([(x0 + d, y0), (x0 + d, y0 + 2400)]) for d in range(0, 2401, 60)]
    streets += [shapely.LineString([(x0, y0 + d), (x0 + 2400, y0 + d)]) for d in range(0, 2401, 60)]
    reference = gpd.GeoSeries(streets, crs=metric).to_crs("EPSG:4326")
    outline = gpd.GeoSeries([shapely.box(x0, y0, x0 + 2400, y0 + 2400)], crs=metric)
    outline_ll = outline.to_crs("EPSG:4326").iloc[0]
    rng = np.random.default_rng(7)
    inside = gpd.GeoSeries(
        gpd.points_from_xy(x0 + rng.uniform(0, 2400, 300), y0 + rng.uniform(0, 2400, 300)),
        crs=metric,
    ).to_crs("EPSG:4326")
    lon, lat = inside.x.to_numpy(), inside.y.to_numpy()
    gx, gy = wgs84_to_gcj02(lon, lat)
    found = detect_offset(gx, gy, "wgs84", reference, metric, outline=outline_ll)
    assert found is not None and found.likely == "gcj02" and found.unit == "%"
    beyond = gpd.GeoSeries(
        gpd.points_from_xy(x0 + rng.uniform(0, 2400, 50), y0 + rng.uniform(2500, 3000, 50)),
        crs=metric,
    ).to_crs("EPSG:4326")
    wx = np.concatenate([lon, beyond.x.to_numpy()])
    wy = np.concatenate([lat, beyond.y.to_numpy()])
    assert detect_offset(wx, wy, "wgs84", reference, metric, outline=outline_ll) is None
