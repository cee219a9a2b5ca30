"""Tests for geogrid.services.area: OSM file + boundary -> area workspace."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import geopandas as gpd
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
