"""Tests for geogrid.services.area: OSM file + boundary -> area workspace."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.errors import InputError
from geogrid.io.workspace import read_area
from geogrid.services.area import BoundaryChoice, build_area

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("areas") / "mini"
    build_area(
        MINI,
        out,
        name="mini",
        boundary=BoundaryChoice(admin="矿业大学社区居委会"),
        admin_code="110108",
    )
    return out


def test_build_writes_every_layer_and_a_manifest(built: Path):
    """The build writes the manifest, boundary, buildings, layers and network, all loadable."""
    manifest = json.loads((built / "area.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "mini"
    assert manifest["admin_code"] == "110108"
    assert manifest["metric_crs"] == "EPSG:32650"
    src = manifest["sources"][0]
    assert src["licence"] == "ODbL 1.0" and "OpenStreetMap" in src["attribution"]
    assert len(src["sha256"]) == 64
    area = read_area(built)
    assert area.boundary.geometry.iloc[0].geom_type in {"Polygon", "MultiPolygon"}
    assert {"schools", "police", "markets"} <= set(area.layers)
    names = set(area.layers["schools"]["name"])
    assert "海淀实验小学" in names
    assert set(area.layers["police"]["name"]) == {"学院路派出所"}
    assert len(area.edges) > 0 and len(area.nodes) > 0
    assert area.grids.empty


def test_admin_boundary_clips_places(built: Path):
    """Places outside the community boundary are left out; those inside are kept."""
    area = read_area(built)
    outline = area.boundary.geometry.iloc[0]
    for frame in area.layers.values():
        assert frame.geometry.within(outline.buffer(1e-9)).all()
    # the hospital sits outside the inner 3 x 3 blocks
    all_names = {n for f in area.layers.values() for n in f["name"]}
    assert "学院路社区医院" not in all_names


def test_households_follow_the_documented_rule(built: Path):
    """Tagged flats win; the school building has no households."""
    area = read_area(built)
    b = area.buildings
    assert (b["households"] >= 0).all()
    tagged = b[b["households_source"] == "tag"]
    assert 48 in set(tagged["households"])


def test_rebuild_keeps_history_and_grids(built: Path, tmp_path: Path):
    """Rebuilding moves old layers to history/ and never overwrites grids.geojson."""
    grids = built / "grids.geojson"
    before = grids.read_bytes()
    build_area(MINI, built, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    assert grids.read_bytes() == before
    assert any((built / "history").rglob("*.geojson"))


def test_bz2_and_bbox_boundary(tmp_path: Path):
    """A .osm.bz2 file with a bbox boundary builds the same streets as the plain file."""
    packed = tmp_path / "mini.osm.bz2"
    packed.write_bytes(bz2.compress(MINI.read_bytes()))
    bbox = (116.3455, 39.9985, 116.3515, 40.0030)
    build_area(packed, tmp_path / "a", name="a", boundary=BoundaryChoice(bbox=bbox))
    build_area(MINI, tmp_path / "b", name="b", boundary=BoundaryChoice(bbox=bbox))
    a = read_area(tmp_path / "a")
    b = read_area(tmp_path / "b")
    assert len(a.edges) == len(b.edges) > 0


def test_polygon_boundary_file(tmp_path: Path):
    """A polygon GeoJSON can be the boundary."""
    outline = shapely.box(116.3460, 39.9990, 116.3500, 40.0020)
    path = tmp_path / "outline.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[outline], crs="EPSG:4326").to_file(path)
    build_area(MINI, tmp_path / "c", name="c", boundary=BoundaryChoice(geojson_path=path))
    assert read_area(tmp_path / "c").boundary.geometry.iloc[0].equals_exact(outline, 1e-7)


@pytest.mark.parametrize(
    ("choice", "fragment"),
    [
        (BoundaryChoice(admin="不存在的社区"), "不存在的社区"),
        (BoundaryChoice(bbox=(116.36, 40.0, 116.35, 40.01)), "empty or reversed"),
        (BoundaryChoice(bbox=(10.0, 10.0, 10.01, 10.01)), "no streets inside"),
        (BoundaryChoice(bbox=(440000.0, 4420000.0, 441000.0, 4421000.0)), "not WGS-84"),
        (BoundaryChoice(admin="x", bbox=(116.34, 39.99, 116.36, 40.01)), "only one boundary"),
    ],
)
def test_bad_boundaries_say_what_is_wrong(tmp_path: Path, choice: BoundaryChoice, fragment: str):
    """Each bad boundary choice gives an InputError naming the problem."""
    with pytest.raises(InputError, match=fragment):
        build_area(MINI, tmp_path / "bad", name="bad", boundary=choice)


HOUSEHOLDS_OSM = Path(__file__).parent / "data" / "osm" / "households.osm"


def test_build_keeps_residential_land_and_reports_household_coverage(tmp_path: Path):
    """The build stores landuse=residential as residential_land.geojson, counts households only
    in homes (a mall, library, police post... at an untagged building counts none), writes
    households_source on every building and the coverage figures into area.json."""
    out = tmp_path / "sz"
    report = build_area(HOUSEHOLDS_OSM, out, name="sz")
    area = read_area(out)
    assert area.residential_land is not None and len(area.residential_land) == 3
    sources = area.buildings["households_source"]
    assert sources.notna().all() and set(sources) <= {"register", "tag", "estimate", "none"}
    mall = area.buildings[area.buildings["name"] == "expect:none mall"].iloc[0]
    assert mall["households"] == 0 and mall["use"] == "shop=mall"
    summary = json.loads((out / "area.json").read_text(encoding="utf-8"))["households"]
    assert summary["residential_land_polygons"] == 3
    assert summary["empty_land_polygons"] == 1
    assert summary["households"] == int(area.buildings["households"].sum()) == 280
    lines = "\n".join(report.lines())
    assert "residential land:" in lines and "households per km²" in lines


def street_lattice_osm(west: float, south: float, cols: int, rows: int, step_deg: float) -> str:
    """SYNTHETIC OSM XML: a lattice of residential streets, ``step_deg`` apart (seedless)."""
    nodes, ways = [], []

    def nid(i: int, j: int) -> int:
        return 1 + i * (rows + 1) + j

    for i in range(cols + 1):
        for j in range(rows + 1):
            lon, lat = west + i * step_deg, south + j * step_deg
            nodes.append(f'<node id="{nid(i, j)}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    way = 1
    for i in range(cols + 1):
        refs = "".join(f'<nd ref="{nid(i, j)}"/>' for j in range(rows + 1))
        ways.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for j in range(rows + 1):
        refs = "".join(f'<nd ref="{nid(i, j)}"/>' for i in range(cols + 1))
        ways.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    return '<?xml version="1.0"?>\n<osm version="0.6">' + "".join(nodes + ways) + "</osm>\n"


def gcj02_outline_file(path: Path, outline: shapely.Polygon) -> Path:
    """The WGS-84 ``outline`` written as a DataV-like GCJ-02 GeoJSON (name only)."""
    from geogrid.crs import wgs84_to_gcj02

    shifted = shapely.transform(
        outline, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    gpd.GeoDataFrame({"name": ["黄浦区"]}, geometry=[shifted], crs=4326).to_file(path)
    return path


@pytest.mark.parametrize("extract", ["clipped", "wider"])
def test_gcj02_boundary_is_refused_and_converted_when_stated(tmp_path: Path, extract: str):
    """Shanghai pilot: a GCJ-02 outline (DataV) read as WGS-84 lay ~480 m off and lost a quarter
    of its streets. Refused naming GCJ-02 and the option, whether the extract is clipped to the
    true outline (part of the shifted one has no streets) or wider (the true outline follows
    streets); with --boundary-coordinates gcj02 it is converted and gets every street."""
    step = 0.0013  # ~125 m
    if extract == "clipped":
        west, south, cols, rows = 121.4611, 31.2196, 20, 18
        true = shapely.box(west, south, west + cols * step, south + rows * step)
    else:
        west, south, cols, rows = 121.4500, 31.2100, 30, 28
        true = shapely.box(west + 8 * step, south + 8 * step, west + 22 * step, south + 20 * step)
    osm_path = tmp_path / "lattice.osm"
    osm_path.write_text(street_lattice_osm(west, south, cols, rows, step), encoding="utf-8")
    outline = gcj02_outline_file(tmp_path / "huangpu_gcj.geojson", true)
    with pytest.raises(InputError) as err:
        build_area(
            osm_path, tmp_path / "a", name="a", boundary=BoundaryChoice(geojson_path=outline)
        )
    text = str(err.value)
    assert "huangpu_gcj.geojson" in text and "GCJ-02" in text
    assert "--boundary-coordinates gcj02" in text and " m off" in text
    assert not (tmp_path / "a").exists()
    choice = BoundaryChoice(geojson_path=outline, coordinates="gcj02")
    build_area(osm_path, tmp_path / "b", name="b", boundary=choice)
    area = read_area(tmp_path / "b")
    got = area.boundary.geometry.iloc[0]
    assert got.symmetric_difference(true).area < 0.001 * true.area
    assert "GCJ-02, converted to WGS-84" in area.manifest["boundary_source"]
    # the same outline in WGS-84 is accepted as it is
    plain = tmp_path / "true.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[true], crs=4326).to_file(plain)
    build_area(osm_path, tmp_path / "c", name="c", boundary=BoundaryChoice(geojson_path=plain))


def test_build_into_a_store_and_read_it_back(tmp_path: Path) -> None:
    """build_into stores a new area of a database whole, and a rebuild writes back only what
    changed (the layer history says so); read_area_of reads it. Needs GEOGRID_TEST_DB."""
    from geogrid.services.area import build_area_without_streets, build_into, read_area_of
    from geogrid.store.base import StoredArea, open_store
    from tests.store_db import db_url, unique_name

    store = open_store(db_url())
    name = unique_name("built")
    boundary = tmp_path / "b.geojson"
    gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[shapely.box(114.05, 22.53, 114.07, 22.55)], crs="EPSG:4326"
    ).to_file(boundary, driver="GeoJSON")
    where = StoredArea(store, name)
    report = build_into(
        where, lambda folder: build_area_without_streets(boundary, folder, name=name)
    )
    assert name in "\n".join(report.lines()) and store.read_manifest(name)["streets"] is False
    shown, area = read_area_of(where)
    assert name in shown and len(area.boundary) == 1 and area.edges is None
    gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[shapely.box(114.05, 22.53, 114.08, 22.55)], crs="EPSG:4326"
    ).to_file(boundary, driver="GeoJSON")
    build_into(where, lambda folder: build_area_without_streets(boundary, folder, name=name))
    assert [h["author"] for h in store.layer_history(name, "boundary")] == ["geogrid area build"]
    assert store.layer_history(name, "grids") == []
