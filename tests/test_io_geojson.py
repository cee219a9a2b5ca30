"""Tests for geogrid.io.geojson: reading, validating and writing GeoJSON layers."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geogrid.errors import CRSError, InputError
from geogrid.io import geojson
from geogrid.io.geojson import read_geojson_features, read_layer, write_layer
from geogrid.layers import SPECS

BAD = Path(__file__).parent / "data" / "bad"
HELSINKI_BBOX = (24.8, 60.1, 25.1, 60.3)
BEIJING_BBOX = (116.2, 39.8, 116.5, 40.1)


def square(x: float, y: float, d: float = 0.002, clockwise: bool = False) -> Polygon:
    """A small square with its south-west corner at (x, y)."""
    ring = [(x, y), (x + d, y), (x + d, y + d), (x, y + d)]
    return Polygon(ring[::-1] if clockwise else ring)


def write_fc(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    """Write a FeatureCollection of plain feature dicts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"type": "FeatureCollection", **extra, "features": features}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    """A GeoJSON feature dict from properties and a shapely geometry (or None)."""
    geometry = None if geom is None else shapely.geometry.mapping(geom)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def grids_frame() -> gpd.GeoDataFrame:
    """Two valid grids with Chinese names."""
    return gpd.GeoDataFrame(
        {
            "code": ["g-01", "g-02"],
            "name": ["学院路一网格", "学院路二网格"],
            "households": [320, 0],
            "locked": [True, False],
        },
        geometry=[square(116.35, 39.99), square(116.36, 39.99)],
        crs="EPSG:4326",
    )


# --------------------------------------------------------------------------- bad input table

BAD_INPUT = [
    # (file, spec, read_layer kwargs, error class, fragments the message must contain)
    ("does_not_exist.geojson", "grids", {}, InputError, ["file not found", "check the path"]),
    ("empty.geojson", "grids", {}, InputError, ["empty", '"FeatureCollection"']),
    ("malformed.geojson", "grids", {}, InputError, ["malformed JSON", "line 3, column 4"]),
    ("gbk.geojson", "grids", {}, InputError, ["not UTF-8", "iconv -f GBK"]),
    (
        "not_a_collection.geojson",
        "grids",
        {},
        InputError,
        ["not a GeoJSON FeatureCollection", "single Feature", "wrap it"],
    ),
    (
        "projected_crs_member.geojson",
        "grids",
        {},
        CRSError,
        ["EPSG:3857", "reproject it to EPSG:4326", "allow_reproject=True"],
    ),
    (
        "projected_no_crs.geojson",
        "grids",
        {},
        InputError,
        ["all 2 features", "outside the WGS-84 range", "looks projected", "EPSG:4326"],
    ),
    (
        "latlon_swapped_beijing.geojson",
        "incidents",
        {},
        InputError,
        ["feature 0 (id 'i-1')", "latitude, longitude", "x=39.9042, y=116.4074", "longitude first"],
    ),
    (
        "latlon_swapped_helsinki.geojson",
        "incidents",
        {"expected_bbox": HELSINKI_BBOX},
        InputError,
        ["feature 0 (id 'i-1')", "outside the area bbox", "x and y swapped"],
    ),
    (
        "bowtie.geojson",
        "grids",
        {},
        InputError,
        ["feature 1 (id 'g-02')", "Self-intersection at lon 116.361, lat 39.991", "redraw"],
    ),
    ("empty_polygon.geojson", "grids", {}, InputError, ["feature 1 (id 'g-02')", "is empty"]),
    ("null_geometry.geojson", "grids", {}, InputError, ["feature 1", "no geometry"]),
    (
        "linestring_in_grids.geojson",
        "grids",
        {},
        InputError,
        ["geometry is a LineString, but grids holds Polygon, MultiPolygon"],
    ),
    (
        "missing_code.geojson",
        "grids",
        {},
        InputError,
        ["feature 1, property 'code': is missing", "add it to every grids feature"],
    ),
    (
        "negative_households.geojson",
        "grids",
        {},
        InputError,
        [
            "negative_households.geojson feature 1 (id 'g-12'), property 'households': "
            "-5 is below 0; households must be a whole number >= 0"
        ],
    ),
    (
        "duplicate_codes.geojson",
        "grids",
        {},
        InputError,
        ["feature 1 (id 'g-01'), property 'code'", "also used by feature 0", "unique"],
    ),
    (
        "bad_time.geojson",
        "incidents",
        {},
        InputError,
        [
            "feature 0 (id 'i-1'), property 'time': '2024-05-01 晚上' is not an ISO-8601",
            "feature 1 (id 'i-2'), property 'time': '2024-05-01T21:30:00' has no time zone",
            "2024-05-01T21:30:00+08:00",
        ],
    ),
    (
        "bad_team.geojson",
        "teams",
        {},
        InputError,
        [
            "'mode': 'scooter' is not an allowed value",
            "one of 'walk', 'bike', 'drive'",
            "'size': 0 is below 1",
            "'shift_start': '7:00' is not a 24-hour time HH:MM",
            "'shift_end': '25:00'",
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "spec", "kwargs", "error", "fragments"),
    BAD_INPUT,
    ids=[row[0] for row in BAD_INPUT],
)
def test_bad_input_raises_a_clear_error(
    name: str, spec: str, kwargs: dict[str, Any], error: type[Exception], fragments: list[str]
) -> None:
    """Each bad file raises the expected error class whose message names file and fix."""
    with pytest.raises(error) as info:
        read_layer(BAD / name, spec, **kwargs)
    text = str(info.value)
    assert name in text
    for fragment in fragments:
        assert fragment in text
    assert isinstance(info.value, InputError)
    assert info.value.problems, "every error lists its problems line by line"


def test_every_bad_fixture_is_in_the_table() -> None:
    """No fixture under tests/data/bad is left untested (except the multi-problem one)."""
    tested = {row[0] for row in BAD_INPUT} | {"many_problems.geojson"}
    assert {p.name for p in BAD.iterdir()} <= tested


def test_all_problems_are_collected_and_raised_once() -> None:
    """A file with several bad features lists every problem in one InputError."""
    with pytest.raises(InputError) as info:
        read_layer(BAD / "many_problems.geojson", "grids")
    problems = info.value.problems
    assert len(problems) == 5
    joined = "\n".join(problems)
    for fragment in (
        "feature 1 (id 'g-02'), property 'households': 'many' is text",
        "feature 1 (id 'g-02'), property 'locked': 'yes' is text, not true/false",
        "feature 2 (id 'g-01'): geometry is a Point",
        "feature 2 (id 'g-01'), property 'code': 'g-01' is also used by feature 0",
        "feature 2 (id 'g-01'), property 'households': 2.5 is not a whole number",
    ):
        assert fragment in joined
    assert info.value.message.startswith("many_problems.geojson: 5 problems")


def test_feature_collection_without_features_array(tmp_path: Path) -> None:
    """A FeatureCollection whose features member is not a list is refused with a hint."""
    path = tmp_path / "grids.geojson"
    path.write_text('{"type": "FeatureCollection", "features": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="must be a list of Feature objects"):
        read_geojson_features(path)


def test_a_folder_is_not_a_layer(tmp_path: Path) -> None:
    """Passing a folder instead of a file says so."""
    with pytest.raises(InputError, match="is a folder"):
        read_layer(tmp_path, "grids")


def test_unknown_layer_name_lists_the_layers(tmp_path: Path) -> None:
    """An unknown spec name raises InputError naming the known layers."""
    path = write_fc(tmp_path / "x.geojson", [])
    with pytest.raises(InputError, match=r"unknown layer 'gridz'.*grids"):
        read_layer(path, "gridz")


# --------------------------------------------------------------------------- crs member


@pytest.mark.parametrize(
    "name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"]
)
def test_wgs84_crs_member_is_accepted(tmp_path: Path, name: str) -> None:
    """Old-style files naming WGS-84 lon/lat in a crs member read normally."""
    path = write_fc(
        tmp_path / "grids.geojson",
        [feature({"code": "g-01"}, square(116.35, 39.99))],
        crs={"type": "name", "properties": {"name": name}},
    )
    assert len(read_layer(path, "grids")) == 1


def test_foreign_crs_member_is_reprojected_on_request() -> None:
    """allow_reproject=True turns an EPSG:3857 file into lon/lat instead of refusing it."""
    grids = read_layer(BAD / "projected_crs_member.geojson", "grids", allow_reproject=True)
    west, south, east, north = grids.total_bounds
    assert 116.3 < west < east < 116.4
    assert 39.9 < south < north < 40.0
    assert grids.crs.to_epsg() == 4326


def test_unknown_crs_member_is_refused(tmp_path: Path) -> None:
    """A crs member naming something pyproj does not know raises CRSError."""
    path = write_fc(
        tmp_path / "grids.geojson",
        [feature({"code": "g-01"}, square(116.35, 39.99))],
        crs={"type": "name", "properties": {"name": "EPSG:999999"}},
    )
    with pytest.raises(CRSError, match="does not know the CRS"):
        read_layer(path, "grids")


# --------------------------------------------------------------------------- good reads


def test_keep_good_keeps_good_rows_and_reports_bad() -> None:
    """keep_good returns the valid features and lists the bad ones in attrs['problems']."""
    grids = read_layer(BAD / "many_problems.geojson", "grids", keep_good=True)
    assert list(grids["code"]) == ["g-01"]
    assert list(grids.index) == [0], "index is the feature's position in the file"
    bad = {p.feature_index for p in grids.attrs["problems"] if p.severity == "error"}
    assert bad == {1, 2}


def test_keep_good_with_a_layer_wide_problem_keeps_nothing() -> None:
    """When every feature is projected, keep_good returns an empty frame and one problem."""
    grids = read_layer(BAD / "projected_no_crs.geojson", "grids", keep_good=True)
    assert grids.empty
    assert [p.feature_index for p in grids.attrs["problems"]] == [None]


def test_clockwise_rings_are_reoriented_with_a_note(tmp_path: Path) -> None:
    """Left-hand (clockwise) rings are not an error: they are fixed on load and noted."""
    hole = [(116.3505, 39.9905), (116.3505, 39.9915), (116.3515, 39.9915), (116.3515, 39.9905)]
    ring = list(square(116.35, 39.99, clockwise=True).exterior.coords)
    polygon = {"type": "Polygon", "coordinates": [ring, [*hole[::-1], hole[-1]]]}
    path = write_fc(
        tmp_path / "grids.geojson",
        [{"type": "Feature", "properties": {"code": "g-01"}, "geometry": polygon}],
    )
    assert not Polygon(ring).exterior.is_ccw
    grids = read_layer(path, "grids")
    geom = grids.geometry.iloc[0]
    assert geom.exterior.is_ccw
    assert all(not interior.is_ccw for interior in geom.interiors)
    notes = grids.attrs["problems"]
    assert [(p.severity, p.feature_index) for p in notes] == [("note", 0)]
    assert "right-hand rule" in str(notes[0])


def test_empty_collection_gives_empty_frame_with_spec_columns(tmp_path: Path) -> None:
    """An empty FeatureCollection is a valid, empty layer with the spec's columns."""
    path = write_fc(tmp_path / "edges.geojson", [])
    edges = read_layer(path, "edges")
    assert edges.empty
    assert list(edges.columns) == [*SPECS["edges"].columns, "geometry"]
    assert edges.crs.to_epsg() == 4326
    assert str(edges["u"].dtype) == "int64"
    assert str(edges["walk"].dtype) == "bool"


def test_columns_are_typed_by_the_spec(tmp_path: Path) -> None:
    """Required ints are int64, optional ints nullable Int64, bools bool/boolean."""
    path = write_fc(
        tmp_path / "grids.geojson",
        [
            feature({"code": "g-01", "households": 3, "locked": True, "extra": "x"}, square(0, 0)),
            feature({"code": "g-02", "households": 4.0}, square(1, 0)),
        ],
    )
    grids = read_layer(path, "grids")
    assert str(grids["households"].dtype) == "Int64"
    assert list(grids["households"]) == [3, 4]
    assert str(grids["locked"].dtype) == "boolean"
    assert grids["locked"].isna().tolist() == [False, True]
    assert list(grids.columns)[-2:] == ["extra", "geometry"], "unknown properties are kept"


# --------------------------------------------------------------------------- writing


def test_round_trip_keeps_chinese_names_and_values(tmp_path: Path) -> None:
    """Write -> read gives the same values; Chinese stays literal UTF-8 in the file."""
    path = tmp_path / "area" / "grids.geojson"
    write_layer(grids_frame(), path, "grids")
    text = path.read_text(encoding="utf-8")
    assert "学院路一网格" in text and "\\u" not in text
    assert '"crs"' not in text
    back = read_layer(path, "grids")
    assert list(back["name"]) == ["学院路一网格", "学院路二网格"]
    assert list(back["households"]) == [320, 0]
    assert list(back["locked"]) == [True, False]
    assert back.geometry.geom_equals_exact(grids_frame().geometry, tolerance=1e-7).all()
    assert back.attrs["problems"] == []


def test_rewriting_a_read_layer_gives_the_same_file(tmp_path: Path) -> None:
    """write(read(file)) is byte-identical: spec columns added on read, null ones not written."""
    path = write_layer(grids_frame(), tmp_path / "grids.geojson", "grids")
    before = path.read_bytes()
    assert b"worker" not in before, "null optional properties are left out"
    write_layer(read_layer(path, "grids"), path, "grids", history=False)
    assert path.read_bytes() == before


def test_written_file_is_rfc7946(tmp_path: Path) -> None:
    """Output is lon/lat, right-hand rule and rounded to 7 decimals, even from metres."""
    metric = gpd.GeoDataFrame(
        {"code": ["g-01"]},
        geometry=[square(116.351234567891, 39.99, clockwise=True)],
        crs="EPSG:4326",
    ).to_crs("EPSG:32650")
    path = write_layer(metric, tmp_path / "grids.geojson", "grids")
    data = json.loads(path.read_text(encoding="utf-8"))
    ring = data["features"][0]["geometry"]["coordinates"][0]
    assert Polygon(ring).exterior.is_ccw
    x, y = ring[0]
    assert 116 < x < 117 and 39 < y < 41
    assert all(len(repr(v).split(".")[-1]) <= 7 for xy in ring for v in xy)


def test_write_refuses_invalid_data_and_leaves_the_file(tmp_path: Path) -> None:
    """Invalid frames are not written: InputError lists the problems, old file untouched."""
    path = write_layer(grids_frame(), tmp_path / "grids.geojson", "grids")
    before = path.read_bytes()
    bad = grids_frame()
    bad.loc[1, "households"] = -5
    bad.loc[0, "code"] = None
    with pytest.raises(InputError) as info:
        write_layer(bad, path, "grids", history=False)
    assert "nothing was written" in str(info.value)
    assert len(info.value.problems) == 2
    assert path.read_bytes() == before


def test_write_refuses_a_frame_without_crs(tmp_path: Path) -> None:
    """A frame with no CRS cannot be written: CRSError says to set one."""
    frame = grids_frame().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        write_layer(frame, tmp_path / "grids.geojson", "grids")


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash at the rename leaves the original file intact and no temp file behind."""
    path = write_layer(grids_frame(), tmp_path / "grids.geojson", "grids")
    before = path.read_bytes()
    changed = grids_frame()
    changed["households"] = [1, 2]

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_layer(changed, path, "grids", history=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["grids.geojson"]


def test_history_keeps_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing a layer copies the old file to history/<stem>/<UTC time> with a sidecar."""
    area = tmp_path / "area"
    history = area / "history"
    path = write_layer(grids_frame(), area / "grids.geojson", "grids", history_dir=history)
    assert not history.exists(), "a new file has no previous version"
    before = path.read_bytes()
    when = datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    monkeypatch.setattr(geojson, "_utcnow", lambda: when)
    changed = grids_frame()
    changed["worker"] = ["王芳", "李强"]
    write_layer(
        changed,
        path,
        "grids",
        author="张伟",
        message="网格员分配",
        history_dir=history,
    )
    copy = history / "grids" / "20250301T083000123456Z.geojson"
    assert copy.read_bytes() == before
    meta = json.loads(copy.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta == {
        "layer": "grids.geojson",
        "replaced_at": "2025-03-01T08:30:00.123456Z",
        "author": "张伟",
        "message": "网格员分配",
    }
    assert list(read_layer(path, "grids")["worker"]) == ["王芳", "李强"]
    write_layer(changed, path, "grids", history_dir=history)
    assert len(list((history / "grids").glob("*.geojson"))) == 2, "same second, no overwrite"


def test_history_needs_an_explicit_folder(tmp_path: Path) -> None:
    """Replacing a file with history on but no history_dir is refused, nothing written."""
    path = write_layer(grids_frame(), tmp_path / "grids.geojson", "grids")
    with pytest.raises(ValueError, match="history_dir"):
        write_layer(grids_frame(), path, "grids")
    write_layer(grids_frame(), path, "grids", history=False)


def test_network_frames_round_trip(tmp_path: Path) -> None:
    """Nodes keep their node_id index and edges the contract's columns and dtypes."""
    nodes = gpd.GeoDataFrame(
        geometry=[Point(116.35, 39.99), Point(116.36, 39.99)],
        index=gpd.pd.Index([101, 102], dtype="int64", name="node_id"),
        crs="EPSG:4326",
    )
    edges = gpd.GeoDataFrame(
        {
            "u": [101],
            "v": [102],
            "way_id": [9],
            "highway": ["residential"],
            "name": ["学院路"],
            "length_m": [853.2],
            "walk": [True],
            "bike": [True],
            "drive": [False],
            "oneway_bike": [False],
            "oneway_drive": [False],
        },
        geometry=[LineString([(116.35, 39.99), (116.36, 39.99)])],
        crs="EPSG:4326",
    )
    write_layer(nodes, tmp_path / "network" / "nodes.geojson", "nodes")
    write_layer(edges, tmp_path / "network" / "edges.geojson", "edges")
    nodes_back = read_layer(tmp_path / "network" / "nodes.geojson", "nodes")
    edges_back = read_layer(tmp_path / "network" / "edges.geojson", "edges")
    assert nodes_back.index.name == "node_id" and list(nodes_back.index) == [101, 102]
    assert str(nodes_back.index.dtype) == "int64"
    assert edges_back["u"].dtype == "int64" and edges_back["drive"].dtype == bool
    assert edges_back.loc[0, "name"] == "学院路"


def test_problem_lines_name_folder_for_nested_layers(tmp_path: Path) -> None:
    """Layers under layers/ and network/ are named with their folder in messages."""
    path = write_fc(
        tmp_path / "layers" / "schools.geojson",
        [feature({"id": "s-1"}, Point(116.35, 39.99))],
    )
    with pytest.raises(InputError) as info:
        read_layer(path, "places")
    assert info.value.problems == [
        "layers/schools.geojson feature 0 (id 's-1'), property 'kind': is missing; add it to "
        "every places feature: kind must be text"
    ]


def test_read_vector_names_the_file_and_the_fix(tmp_path):
    """Non-layer inputs (hot spots, zones): missing and unreadable files get an InputError
    naming the file; a readable file comes back in EPSG:4326."""
    from geogrid.io.geojson import read_vector

    with pytest.raises(InputError, match="no such hot-spot file"):
        read_vector(tmp_path / "nope.geojson", "hot-spot file")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("bad.geojson: cannot read this zones file")):
        read_vector(bad, "zones file")
    good = tmp_path / "good.geojson"
    gpd.GeoDataFrame(
        {"id": ["z1"]}, geometry=[shapely.box(116.3, 39.9, 116.4, 40.0)], crs="EPSG:4326"
    ).to_file(good)
    frame = read_vector(good)
    assert frame.crs.to_epsg() == 4326 and list(frame["id"]) == ["z1"]


def test_read_vector_keeps_times_as_written(tmp_path):
    """A hot-spot file's window "07:00" and a date come back as the text written, not as a
    datetime.time / Timestamp that parse_hhmm refuses (geogrid plan --hotspots FILE)."""
    from geogrid.io.geojson import read_vector
    from geogrid.planning.problem import parse_hhmm

    path = tmp_path / "hotspots.geojson"
    gpd.GeoDataFrame(
        {"id": ["h1"], "window_start": ["07:00"], "day": ["2025-06-01"]},
        geometry=[shapely.Point(116.35, 40.0)],
        crs="EPSG:4326",
    ).to_file(path)
    frame = read_vector(path, "hot-spot file")
    assert list(frame["window_start"]) == ["07:00"] and list(frame["day"]) == ["2025-06-01"]
    assert parse_hhmm(frame["window_start"].iloc[0]) == 7 * 3600
