"""Tests for geogrid.io.roads: an office's road layer (EPSG:4549 Shapefile) -> network frames."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.crs import WGS84
from geogrid.errors import CRSError, InputError
from geogrid.io.roads import RoadMapping, read_road_mapping, read_roads
from geogrid.network import StreetNetwork, travel_time_matrix
from tests.roads_layer import GK_CRS, STEP, X0, Y0, road_features, write_roads

METRIC = "EPSG:32651"
EDGE_COLUMNS = [
    "u", "v", "way_id", "highway", "name", "length_m", "walk", "bike", "drive",
    "oneway_bike", "oneway_drive", "geometry",
]  # fmt: skip


@pytest.fixture(scope="module")
def roads_shp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_roads(tmp_path_factory.mktemp("roads"))


def lonlat(x: float, y: float) -> shapely.Point:
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=GK_CRS).to_crs(WGS84)
    return point.iloc[0]


def node_near(nodes: gpd.GeoDataFrame, x: float, y: float) -> int:
    metric = nodes.to_crs(GK_CRS)
    distance = metric.distance(shapely.Point(x, y))
    assert distance.min() < 0.5, f"no node at {x}, {y} (nearest {distance.min():.3f} m)"
    return int(distance.idxmin())


def test_frames_follow_the_network_contract(roads_shp: Path) -> None:
    """The frames have the columns and dtypes of the contract, in WGS-84, and compile."""
    layer = read_roads(roads_shp)
    assert list(layer.edges.columns) == EDGE_COLUMNS
    assert layer.edges.crs == WGS84 and layer.nodes.crs == WGS84
    assert layer.nodes.index.name == "node_id" and layer.nodes.index.dtype == np.int64
    assert set(layer.edges["u"]) | set(layer.edges["v"]) <= set(layer.nodes.index)
    assert layer.crs == "EPSG:4549"
    StreetNetwork.from_frames(layer.nodes, layer.edges, METRIC)  # validates the contract


def test_gauss_kruger_metres_land_where_they_are(roads_shp: Path) -> None:
    """EPSG:4549 metres become lon/lat near 120.15E 30.25N; lengths are geodesic metres."""
    layer = read_roads(roads_shp)
    west, south, east, north = layer.nodes.total_bounds
    assert 120.14 < west < east < 120.16 and 30.24 < south < north < 30.25
    total = layer.edges.loc[layer.edges["name"] == "中河路2", "length_m"].sum()
    assert total == pytest.approx(2 * STEP + 40, abs=1.0)


def test_crossings_become_junctions_by_default(roads_shp: Path) -> None:
    """Lines drawn across each other without a shared vertex meet at the crossing (noding)."""
    layer = read_roads(roads_shp)
    crossing = node_near(layer.nodes, X0 + STEP, Y0 + STEP)
    names = set(
        layer.edges.loc[(layer.edges["u"] == crossing) | (layer.edges["v"] == crossing), "name"]
    )
    assert {"庆春路", "中河路2"} <= names
    network = StreetNetwork.from_frames(layer.nodes, layer.edges, METRIC)
    assert network.largest_component_share("walk") == 1.0
    assert "split at every crossing (noding)" in "\n".join(layer.notes)


def test_no_noding_keeps_bridges_apart(roads_shp: Path) -> None:
    """With noding=False the bridge and the crossing streets share no node."""
    layer = read_roads(roads_shp, noding=False)
    bridge = layer.edges[layer.edges["name"] == "复兴大桥"]
    others = layer.edges[layer.edges["name"] != "复兴大桥"]
    bridge_nodes = set(bridge["u"]) | set(bridge["v"])
    assert not bridge_nodes & (set(others["u"]) | set(others["v"]))
    assert len(bridge) == 1  # one straight segment, nothing inserted
    noded = read_roads(roads_shp)
    assert len(noded.edges[noded.edges["name"] == "复兴大桥"]) > 1


def test_line_end_short_of_a_street_is_joined(roads_shp: Path) -> None:
    """The T-junction drawn 0.3 m short of 庆春路 is joined to it (in both noding modes)."""
    for noding in (True, False):
        layer = read_roads(roads_shp, noding=noding)
        tee = layer.edges[layer.edges["name"] == "小河路"]
        street = layer.edges[layer.edges["name"] == "庆春路"]
        assert (set(tee["u"]) | set(tee["v"])) & (set(street["u"]) | set(street["v"]))
        assert "joined to it" in "\n".join(layer.notes)


def test_classes_and_oneway_values_become_osm_rules(roads_shp: Path) -> None:
    """主干路/次干路/支路/人行道/快速路 map to OSM highways; 正向 runs u -> v, 反向 is reversed."""
    edges = read_roads(roads_shp).edges.set_index("name", drop=False)
    highway = edges.reset_index(drop=True).groupby("name")["highway"].first().to_dict()
    assert highway["解放路"] == "primary" and highway["庆春路"] == "secondary"
    assert highway["中河路1"] == "tertiary" and highway["复兴大桥"] == "trunk"
    path = edges[edges["highway"] == "footway"]
    assert len(path) and path["walk"].all() and not path["drive"].any()
    assert not edges.loc["复兴大桥", "walk"].any()  # trunk without sidewalk
    forward = edges.loc["庆春路"]
    assert forward["oneway_drive"].all()
    xs = [g.coords[0][0] < g.coords[-1][0] for g in forward.geometry]
    assert all(xs)  # drawn west -> east, one-way that way
    backward = edges.loc["凤起路"]
    assert backward["oneway_drive"].all()
    assert not any(g.coords[0][0] < g.coords[-1][0] for g in backward.geometry)  # written reversed
    assert not edges.loc["解放路", "oneway_drive"].any()


def test_travel_times_run_on_the_office_streets(roads_shp: Path) -> None:
    """A travel-time matrix on the road layer: walking a block along 解放路 takes its length /
    speed."""
    layer = read_roads(roads_shp)
    network = StreetNetwork.from_frames(layer.nodes, layer.edges, METRIC)
    points = gpd.GeoSeries([lonlat(X0, Y0), lonlat(X0 + STEP, Y0)], crs=WGS84)
    matrix = travel_time_matrix(network, points, mode="walk", speed_kmh=5.0)
    assert matrix.seconds[0, 1] == pytest.approx(STEP / (5 / 3.6), rel=0.02)
    drive = travel_time_matrix(network, points, mode="drive")
    assert np.isfinite(drive.seconds).all()


def test_mapping_names_columns_and_classes(tmp_path: Path) -> None:
    """A mapping TOML names the columns, maps the office's own class values and one-way codes."""
    frame = road_features().rename(columns={"路名": "MC", "DLDJ": "LEVEL", "ONEWAY": "DIR"})
    frame["LEVEL"] = frame["LEVEL"].replace({"主干路": "A", "次干路": "B", "支路": "C"})
    frame["DIR"] = frame["DIR"].replace({"正向": "2", "反向": "3"})
    shp = write_roads(tmp_path, frame)
    mapping = tmp_path / "roads.toml"
    mapping.write_text(
        '[columns]\nname = "MC"\nclass = "LEVEL"\noneway = "DIR"\n'
        '[classes]\nA = "primary"\nB = "secondary"\nC = "residential"\n'
        '[oneway]\nforward = ["2"]\nbackward = ["3"]\n',
        encoding="utf-8",
    )
    edges = read_roads(shp, read_road_mapping(mapping)).edges
    assert set(edges.loc[edges["name"] == "解放路", "highway"]) == {"primary"}
    assert set(edges.loc[edges["name"] == "中河路1", "highway"]) == {"residential"}
    assert edges.loc[edges["name"] == "庆春路", "oneway_drive"].all()


def test_unknown_class_values_are_listed_with_the_fix(tmp_path: Path) -> None:
    """A class value no table knows is refused, naming the value, its features and the mapping
    line."""
    frame = road_features()
    frame.loc[[0, 3], "DLDJ"] = "城市道路"
    shp = write_roads(tmp_path, frame)
    with pytest.raises(InputError, match="unknown") as info:
        read_roads(shp)
    text = str(info.value)
    assert "'城市道路': features 1, 4" in text and "[classes]" in text


@pytest.mark.parametrize(
    ("change", "error", "fragment"),
    [
        ("points", InputError, "a road layer holds lines"),
        ("no_prj", CRSError, "EPSG:4549"),
        ("bad_column", InputError, "no column 'NAME_X' for the road name"),
    ],
)
def test_bad_road_layers(tmp_path: Path, change: str, error: type, fragment: str) -> None:
    """Points, a layer without .prj and a mapping naming a missing column give errors that say how
    to fix."""
    frame = road_features()
    mapping = None
    if change == "points":
        frame.loc[2, "geometry"] = shapely.Point(X0, Y0)
        shp = tmp_path / "roads.geojson"
        frame.to_file(shp, driver="GeoJSON")
    else:
        shp = write_roads(tmp_path, frame)
    if change == "no_prj":
        shp.with_suffix(".prj").unlink()
    if change == "bad_column":
        mapping = RoadMapping(name="NAME_X")
    with pytest.raises(error) as info:
        read_roads(shp, mapping)
    assert fragment in str(info.value)


def test_bad_mapping_values_are_listed(tmp_path: Path) -> None:
    """A mapping that maps a class to a non-street value is refused with the allowed values."""
    mapping = tmp_path / "roads.toml"
    mapping.write_text('[classes]\n"快速路" = "highway"\n[colums]\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_road_mapping(mapping)
    assert "'快速路' maps to 'highway', not a street class" in str(info.value)
    assert "unknown table [colums]" in str(info.value)
