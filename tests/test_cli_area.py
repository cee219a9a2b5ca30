"""Tests for geogrid.cli.area (and the CLI end to end) through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


HOUSEHOLDS_OSM = Path(__file__).parent / "data" / "osm" / "households.osm"


def test_build_and_info_report_household_coverage(runner: CliRunner, tmp_path: Path):
    """Build and info print residential land without buildings (ha, polygons), households per
    km² against plausible ranges, and a warning naming the register import when too thin."""
    out = tmp_path / "sz"
    res = runner.invoke(main, ["area", "build", str(HOUSEHOLDS_OSM), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in (res.output, runner.invoke(main, ["area", "info", str(out)]).output):
        assert "without buildings: 1.6 ha in 1 polygon(s)" in text
        assert "households per km²" in text and "plausible" in text
        assert "households: 280 (tag 30, estimate 250)" in text
    res = runner.invoke(main, ["area", "build", str(HOUSEHOLDS_OSM), "--out", str(out),
                               "--bbox", "114.046,22.536,114.058,22.548"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "WARNING: the household estimate is too thin" in res.output
    assert "geogrid households import" in res.output


def test_area_build_info_validate_and_matrix(runner: CliRunner, tmp_path: Path):
    """Build -> info -> validate -> network matrix work end to end on a small OSM file."""
    out = tmp_path / "mini"
    res = runner.invoke(
        main,
        [
            "area",
            "build",
            str(MINI),
            "--out",
            str(out),
            "--admin",
            "矿业大学社区居委会",
            "--admin-code",
            "110108",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "street segments" in res.output
    res = runner.invoke(main, ["area", "info", str(out)])
    assert res.exit_code == 0, res.output
    assert "EPSG:32650" in res.output and "ODbL" in res.output
    res = runner.invoke(main, ["area", "validate", str(out)])
    assert res.exit_code == 0 and "all layers valid" in res.output
    csv_path = tmp_path / "m.csv"
    res = runner.invoke(
        main,
        [
            "network",
            "matrix",
            str(out),
            "--from",
            "police",
            "--to",
            "schools",
            "--out",
            str(csv_path),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = csv_path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2  # header + one police post
    minutes = [float(v) for v in rows[1].split(",")[1:]]
    assert all(0 < m < 15 for m in minutes)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["area", "build", "nowhere.osm", "--out", "{tmp}/x"], "nowhere.osm"),
        (
            ["area", "build", str(MINI), "--out", "{tmp}/x", "--bbox", "1,2,3"],
            "west,south,east,north",
        ),
        (["area", "build", "--out", "{tmp}/x"], "give an OSM file"),
        (["area", "info", "{tmp}"], "build the area first"),
        (["network", "matrix", "{tmp}", "--from", "police"], "build the area first"),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(
    runner: CliRunner, tmp_path: Path, args: list[str], fragment: str
):
    """Bad input exits non-zero with a message naming the problem and no traceback."""
    res = runner.invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert res.exit_code != 0
    assert fragment in res.output
    assert "Traceback" not in res.output


def _write_boundary_and_incidents(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A 2 km square in Shenzhen, 120 seeded incidents (a cluster in one corner), a mapping."""
    import json

    import numpy as np

    west, south = 114.05, 22.53
    boundary = tmp_path / "boundary.geojson"
    ring = [[west, south], [west + 0.02, south], [west + 0.02, south + 0.018],
            [west, south + 0.018], [west, south]]  # fmt: skip
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "福田测试街道"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")  # fmt: skip
    rng = np.random.default_rng(7)
    rows = ["id,time,category,lon,lat"]
    for i in range(120):
        if i < 60:  # the cluster
            x, y = west + 0.003 + rng.normal(0, 0.0008), south + 0.003 + rng.normal(0, 0.0008)
        else:
            x, y = west + rng.uniform(0.001, 0.019), south + rng.uniform(0.001, 0.017)
        day = 1 + i % 28
        rows.append(f"N{i},2025-03-{day:02d} 22:{i % 60:02d},盗窃,{x:.6f},{y:.6f}")
    incidents = tmp_path / "calls.csv"
    incidents.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        'name = "calls"\n[source]\ncoordinates = "wgs84"\ntimezone = "Asia/Shanghai"\n'
        '[columns]\nid = "id"\ntime = "time"\ncategory = "category"\nx = "lon"\ny = "lat"\n',
        encoding="utf-8",
    )
    return boundary, incidents, mapping


def test_area_without_streets_serves_incidents(runner: CliRunner, tmp_path: Path):
    """--boundary FILE without an OSM file makes an incidents-only area: incidents import, hot
    spots and the public map work; commands that need streets say what is missing."""
    boundary, calls, mapping = _write_boundary_and_incidents(tmp_path)
    out = tmp_path / "futian"
    res = runner.invoke(main, ["area", "build", "--boundary", str(boundary), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "incidents-only area" in res.output
    import json

    manifest = json.loads((out / "area.json").read_text(encoding="utf-8"))
    assert manifest["streets"] is False
    assert not (out / "network").exists()
    res = runner.invoke(main, ["area", "info", str(out)])
    assert res.exit_code == 0 and "street network: none" in res.output, res.output
    res = runner.invoke(main, ["incidents", "import", str(calls), "--mapping", str(mapping),
                               "--area", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "120 good" in res.output
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(out),
                               "--out", str(tmp_path / "hot.geojson")])  # fmt: skip
    assert res.exit_code == 0, res.output
    for args, command in (
        (["network", "matrix", str(out), "--from", "police"], "geogrid network matrix"),
        (["grids", "build", str(out)], "drawing grids from street blocks"),
        (["plan", str(out)], "a patrol plan"),
        (["coverage", str(out)], "geogrid coverage"),
        (["posts", str(out)], "siting posts"),
    ):
        res = runner.invoke(main, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        assert "has no street network" in res.output and command in res.output, res.output
        assert "geogrid area build OSM_FILE" in res.output

    from webmap import create_app

    client = create_app({"AREA_PATH": str(out), "TESTING": True}).test_client()
    page = client.get("/")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert client.get("/api/area").status_code == 200


def test_area_time_zone_is_looked_up_and_used_for_hours_and_months(
    runner: CliRunner, tmp_path: Path
):
    """A Chicago boundary gives area.json timezone America/Chicago (timezonefinder, offline);
    incidents imported at 22:00-01:00 Chicago time peak at those hours in the hot spots, and
    the public months run 2019-01 to 2019-12 (no phantom 2020-01 from Asia/Shanghai)."""
    import json

    import numpy as np

    from geogrid.io.workspace import read_area
    from geogrid.release import release_area

    west, south = -87.66, 41.87
    boundary = tmp_path / "boundary.geojson"
    ring = [[west, south], [west + 0.02, south], [west + 0.02, south + 0.015],
            [west, south + 0.015], [west, south]]  # fmt: skip
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")  # fmt: skip
    rng = np.random.default_rng(3)
    rows = ["id,time,category,lon,lat"]
    for i in range(240):
        month, day, hour = 1 + i % 12, 1 + (i * 7) % 28, (22, 23, 0, 1)[i % 4]
        if month == 12:
            day, hour = 31, 22  # 31 December 22:30: still 2019 in Chicago
        x = west + 0.004 + rng.normal(0, 0.0006) if i % 2 else west + rng.uniform(0.001, 0.019)
        y = south + 0.004 + rng.normal(0, 0.0006) if i % 2 else south + rng.uniform(0.001, 0.014)
        rows.append(f"C{i},2019-{month:02d}-{day:02d} {hour:02d}:30,THEFT,{x:.6f},{y:.6f}")
    calls = tmp_path / "chicago.csv"
    calls.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "chicago.toml"
    mapping.write_text(
        'name = "chicago"\n[source]\ncoordinates = "wgs84"\ntimezone = "America/Chicago"\n'
        '[columns]\nid = "id"\ntime = "time"\ncategory = "category"\nx = "lon"\ny = "lat"\n',
        encoding="utf-8",
    )
    out = tmp_path / "chicago"
    res = runner.invoke(main, ["area", "build", "--boundary", str(boundary), "--out", str(out)])
    assert res.exit_code == 0 and "time zone: America/Chicago" in res.output, res.output
    area_json = json.loads((out / "area.json").read_text(encoding="utf-8"))
    assert area_json["timezone"] == "America/Chicago"
    res = runner.invoke(main, ["incidents", "import", str(calls), "--mapping", str(mapping),
                               "--area", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    hot = tmp_path / "hot.geojson"
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(out), "--out", str(hot)])
    assert res.exit_code == 0, res.output
    spots = json.loads(hot.read_text(encoding="utf-8"))["features"]
    assert spots
    for spot in spots:
        start = int(spot["properties"]["peak_hours"].split("-")[0])
        assert start in (21, 22, 23, 0, 1), spot["properties"]["peak_hours"]
    table = release_area(read_area(out))
    assert (table.months[0], table.months[-1]) == ("2019-01", "2019-12")
    res = runner.invoke(main, ["area", "info", str(out)])
    assert "time zone: America/Chicago" in res.output


def test_given_time_zone_wins_and_a_bad_one_is_refused(runner: CliRunner, tmp_path: Path):
    """--timezone is stored as given; an unknown name is an error naming examples."""
    boundary, _, _ = _write_boundary_and_incidents(tmp_path)
    out = tmp_path / "a"
    args = ["area", "build", "--boundary", str(boundary), "--out", str(out), "--timezone"]
    res = runner.invoke(main, [*args, "Asia/Urumqi"])
    assert res.exit_code == 0, res.output
    import json

    assert json.loads((out / "area.json").read_text(encoding="utf-8"))["timezone"] == "Asia/Urumqi"
    res = runner.invoke(main, [*args, "Mars/Olympus"])
    assert res.exit_code == 1 and "time zone 'Mars/Olympus' unknown" in res.output


def test_old_area_without_time_zone_says_it_uses_the_default(runner: CliRunner, tmp_path: Path):
    """An area.json written before the time zone was stored reads as Asia/Shanghai, and info
    says that this is a default."""
    import json

    boundary, _, _ = _write_boundary_and_incidents(tmp_path)
    out = tmp_path / "old"
    assert runner.invoke(main, ["area", "build", "--boundary", str(boundary), "--out", str(out)]
                         ).exit_code == 0  # fmt: skip
    manifest = json.loads((out / "area.json").read_text(encoding="utf-8"))
    del manifest["timezone"]
    (out / "area.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = runner.invoke(main, ["area", "info", str(out)])
    assert "time zone: Asia/Shanghai (default: area.json names none" in res.output, res.output


def _roads_area(runner: CliRunner, tmp_path: Path, *extra: str) -> Path:
    """An area built from the office road layer (EPSG:4549 Shapefile) and a boundary, no OSM file,
    with a police layer of two posts on the streets."""
    from tests.roads_layer import POSTS, add_layer, write_boundary, write_roads

    roads = write_roads(tmp_path / "office")
    boundary = write_boundary(tmp_path)
    out = tmp_path / "hz"
    args = ["area", "build", "--roads", str(roads), "--boundary", str(boundary), "--out", str(out)]
    res = runner.invoke(main, [*args, *extra])
    assert res.exit_code == 0, res.output
    add_layer(out, "police", POSTS)
    return out


def test_area_from_the_office_road_layer_routes(runner: CliRunner, tmp_path: Path):
    """Build --roads FILE --boundary FILE (no OSM file) gives a street network in EPSG:4549's
    place that validates and answers a travel-time matrix; --no-noding is said in the notes."""
    import json

    out = _roads_area(runner, tmp_path)
    manifest = json.loads((out / "area.json").read_text(encoding="utf-8"))
    roads = next(s for s in manifest["sources"] if s["role"] == "roads")
    assert roads["file"] == "roads.shp" and roads["crs"] == "EPSG:4549" and roads["noding"]
    assert manifest["counts"]["walk largest connected share %"] == 100
    assert runner.invoke(main, ["area", "validate", str(out)]).exit_code == 0
    csv_path = tmp_path / "m.csv"
    res = runner.invoke(
        main, ["network", "matrix", str(out), "--from", "police", "--out", str(csv_path)]
    )
    assert res.exit_code == 0, res.output
    rows = csv_path.read_text(encoding="utf-8").splitlines()
    minutes = float(rows[1].split(",")[2])  # p1 -> p2 on foot: about 800 m of streets
    assert 8 < minutes < 14
    flat = _roads_area(runner, tmp_path / "flat", "--no-noding")
    text = json.loads((flat / "area.json").read_text(encoding="utf-8"))["warnings"]
    assert any("--no-noding" in w for w in text)


def test_roads_options_need_roads(runner: CliRunner, tmp_path: Path):
    """--roads-mapping or --no-noding without --roads is a usage error, not a traceback."""
    res = runner.invoke(main, ["area", "build", "--no-noding", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "go with --roads FILE" in res.output


def test_boundary_coordinates_converts_an_outline_without_streets(
    runner: CliRunner, tmp_path: Path
):
    """--boundary-coordinates gcj02 converts a GCJ-02 outline (DataV) to WGS-84; the manifest
    says so; without --boundary it is a usage error."""
    import geopandas as gpd
    import shapely

    from geogrid.crs import gcj02_to_wgs84
    from geogrid.io.workspace import read_area

    gcj = shapely.box(121.4657, 31.2176, 121.4908, 31.2393)
    path = tmp_path / "huangpu_gcj.geojson"
    gpd.GeoDataFrame({"name": ["黄浦区"]}, geometry=[gcj], crs=4326).to_file(path)
    out = tmp_path / "hp"
    args = ["area", "build", "--boundary", str(path), "--boundary-coordinates", "gcj02"]
    res = runner.invoke(main, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    area = read_area(out)
    west, south = gcj02_to_wgs84(121.4657, 31.2176)
    got = area.boundary.geometry.iloc[0].bounds
    assert abs(got[0] - float(west)) < 1e-5 and abs(got[1] - float(south)) < 1e-5
    assert "GCJ-02, converted to WGS-84" in area.manifest["boundary_source"]
    res = runner.invoke(main, ["area", "build", str(MINI), "--boundary-coordinates", "gcj02",
                               "--out", str(tmp_path / "x")])  # fmt: skip
    assert res.exit_code == 2 and "--boundary-coordinates goes with --boundary" in res.output


# ----------------------------------------------------------------------- GEOGRID_STORE


def _db_env() -> dict[str, str]:
    from tests.store_db import db_url

    return {"GEOGRID_STORE": db_url()}


def test_build_with_geogrid_store_stores_the_area_in_the_database(
    runner: CliRunner, tmp_path: Path
):
    """With GEOGRID_STORE `area build --out data/geo/NAME` builds the area and stores it in
    the database as NAME (no folder written): the same layers as the folder build; info and
    validate read it there; a rebuild keeps the planner's grid versions; a failed build
    leaves the stored area as it was."""
    from geogrid.store.base import open_store
    from geogrid.store.folder import FolderStore
    from tests.store_commands import same_features
    from tests.store_db import unique_name

    env = _db_env()
    name = unique_name("build")
    folder = tmp_path / "folder" / name
    missing = tmp_path / "nowhere" / name
    args = ["area", "build", str(MINI), "--admin", "矿业大学社区居委会", "--admin-code", "110108"]
    res = runner.invoke(main, [*args, "--out", str(folder)], env={"GEOGRID_STORE": ""})
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, [*args, "--out", str(missing)], env=env)
    assert res.exit_code == 0, res.output
    assert not missing.exists() and f"area written to area {name} in" in res.output
    assert "geogrid_test:geogrid_test@" not in res.output
    store = open_store(env["GEOGRID_STORE"])
    stored, built = store.export_area(name), FolderStore(folder.parent).export_area(name)
    assert sorted(stored.layers) == sorted(built.layers)
    for layer in built.layers:
        assert same_features(stored.layers[layer], built.layers[layer]), layer
    assert stored.manifest["counts"] == built.manifest["counts"]
    for command in ("info", "validate"):
        res = runner.invoke(main, ["area", command, str(missing)], env=env)
        assert res.exit_code == 0 and name in res.output, res.output
    assert "ODbL" in runner.invoke(main, ["area", "info", str(missing)], env=env).output
    # a rebuild keeps what the planner made: the grid versions stay
    from tests import grids_area

    grids = grids_area.units_frame([(0, 0, 10)])
    store.save_version(name, grids.assign(code="110108001001001"), None, author="li", message="x")
    tag = store.version_tag(name)
    res = runner.invoke(main, [*args, "--out", str(missing)], env=env)
    assert res.exit_code == 0, res.output
    assert [v.message for v in store.list_versions(name)[0]] == ["x"]
    assert store.version_tag(name) != tag
    before = store.export_area(name)
    res = runner.invoke(main, [*args[:2], str(tmp_path / "nothing.osm"), "--out", str(missing)],
                        env=env)  # fmt: skip
    assert res.exit_code != 0
    after = store.export_area(name)
    assert after.layers == before.layers and after.manifest == before.manifest


def test_info_on_an_area_missing_from_the_database_is_one_line(runner: CliRunner, tmp_path):
    """Area info / validate on a name the database does not hold: exit 1, one line."""
    from tests.store_db import unique_name

    absent = unique_name("absent")
    for command in ("info", "validate"):
        res = runner.invoke(main, ["area", command, str(tmp_path / absent)], env=_db_env())
        assert res.exit_code == 1
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and absent in lines[0] and "geogrid store push" in lines[0]


def test_an_incidents_only_area_built_into_the_database(runner: CliRunner, tmp_path: Path):
    """With GEOGRID_STORE `area build --boundary` stores an incidents-only area in the
    database; info says it has no street network; incidents import into it there."""
    from geogrid.store.base import open_store
    from tests.store_db import unique_name

    boundary, calls, mapping = _write_boundary_and_incidents(tmp_path)
    env = _db_env()
    name = unique_name("futian")
    missing = tmp_path / "nowhere" / name
    res = runner.invoke(main, ["area", "build", "--boundary", str(boundary), "--out",
                               str(missing)], env=env)  # fmt: skip
    assert res.exit_code == 0 and "incidents-only area" in res.output, res.output
    store = open_store(env["GEOGRID_STORE"])
    assert store.read_manifest(name)["streets"] is False and not missing.exists()
    res = runner.invoke(main, ["area", "info", str(missing)], env=env)
    assert res.exit_code == 0 and "street network: none" in res.output, res.output
    res = runner.invoke(main, ["incidents", "import", str(calls), "--mapping", str(mapping),
                               "--area", str(missing)], env=env)  # fmt: skip
    assert res.exit_code == 0 and "120 good" in res.output, res.output
    assert len(store.read_incidents(name)) == 120
