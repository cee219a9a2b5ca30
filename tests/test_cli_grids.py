"""geogrid grids CLI: build, validate, edit, log, diff, undo, report; errors exit 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.io import versions
from tests.grids_area import make_area


def test_grids_cli_walkthrough(tmp_path: Path) -> None:
    """A planner builds grids, splits one, sees the log and diff, undoes, and writes a report."""
    area = str(make_area(tmp_path / "area", with_communities=True))
    run = CliRunner().invoke
    out = run(main, ["grids", "build", area, "--seed", "0", "--author", "王芳"])
    assert out.exit_code == 0, out.output
    assert "inside their household band" in out.output
    out = run(main, ["grids", "validate", area])
    assert out.exit_code == 2 and "missing worker" in out.output
    grids = versions.load_version(area)[1]
    code = grids.sort_values("units")["code"].iloc[-1]
    out = run(main, ["grids", "split", area, code, "--author", "李明"])
    assert out.exit_code == 0, out.output
    out = run(main, ["grids", "log", area])
    assert "* v0002" in out.output and "李明" in out.output
    out = run(main, ["grids", "diff", area, "v1", "v2"])
    assert f"moved from {code}" in out.output
    out = run(main, ["grids", "undo", area])
    assert "v0001" in out.output
    out = run(main, ["grids", "report", area, "--csv", str(tmp_path / "r.csv")])
    assert out.exit_code == 0 and (tmp_path / "r.csv").exists()


def test_grids_cli_errors_are_messages(tmp_path: Path) -> None:
    """Unknown grid codes and bad bands give a message, not a traceback."""
    area = str(make_area(tmp_path / "area"))
    run = CliRunner().invoke
    out = run(main, ["grids", "merge", area, "a", "b"])
    assert out.exit_code == 1 and "no saved grids yet" in out.output
    run(main, ["grids", "build", area])
    out = run(main, ["grids", "merge", area, "110108000000001", "nope"])
    assert out.exit_code == 1 and "no grid nope" in out.output
    out = run(main, ["grids", "build", area, "--band", "500-300"])
    assert out.exit_code == 1 and "min <= max" in out.output


def test_grids_cli_rebalance(tmp_path: Path) -> None:
    """After housing grows, rebalance --dry-run prints per-grid changes and saves nothing; without
    it a version is saved."""
    area = str(make_area(tmp_path / "area", with_communities=True))
    run = CliRunner().invoke
    assert run(main, ["grids", "build", area, "--seed", "0"]).exit_code == 0
    _, grids, units = versions.load_version(area)
    code = grids.sort_values("households")["code"].iloc[-1]
    members = units[units["grid"] == code]
    table = tmp_path / "households.csv"
    grown = members["households"] + 600 // len(members) + 1
    table.write_text(
        "id,households\n" + "".join(f"{u},{h}\n" for u, h in grown.items()), encoding="utf-8"
    )
    out = run(main, ["grids", "rebalance", area, "--households", str(table), "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "households in" in out.output and "dry run: nothing saved" in out.output
    assert code in out.output
    assert len(versions.list_versions(area)[0]) == 1
    out = run(main, ["grids", "rebalance", area, "--households", str(table), "--author", "王芳"])
    assert out.exit_code == 0, out.output
    saved, _head = versions.list_versions(area)
    assert len(saved) == 2 and saved[-1].message.startswith("rebalance")
    out = run(main, ["grids", "rebalance", area, "--also", "population"])
    assert out.exit_code != 0 and "COLUMN=MIN-MAX" in out.output


def test_grids_cli_grow_then_rebalance_per_worker(tmp_path: Path) -> None:
    """Grids grow adds an estate; rebalance and diff print a per-worker section and write it as
    CSV."""
    import geopandas as gpd
    import shapely

    from tests.grids_area import UTM_50N, X0, Y0

    area = str(make_area(tmp_path / "area", with_communities=True))
    run = CliRunner().invoke
    assert run(main, ["grids", "build", area, "--seed", "0"]).exit_code == 0
    code = versions.load_version(area)[1]["code"].iloc[-1]
    assert run(main, ["grids", "worker", area, code, "张伟"]).exit_code == 0
    estate = tmp_path / "estate.geojson"
    gpd.GeoDataFrame(
        geometry=[shapely.box(X0 + 10, Y0 + 10, X0 + 150, Y0 + 80)], crs=UTM_50N
    ).to_crs("EPSG:4326").to_file(estate, driver="GeoJSON")
    out = run(
        main,
        [
            "grids",
            "grow",
            area,
            "--polygon",
            str(estate),
            "--households",
            "260",
            "--name",
            "新小区",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "added 260 households" in out.output and "geogrid grids rebalance" in out.output
    out = run(main, ["grids", "grow", area, "--polygon", str(estate), "--households", "0"])
    assert out.exit_code != 0 and "households" in out.output
    csv_path = tmp_path / "workers.csv"
    out = run(main, ["grids", "rebalance", area, "--workers-csv", str(csv_path)])
    assert out.exit_code == 0, out.output
    assert "per grid worker" in out.output and "worker (no worker):" in out.output
    assert csv_path.read_text(encoding="utf-8-sig").startswith("worker,code,direction,kind")
    out = run(
        main, ["grids", "diff", area, "v2", "v3", "--workers-csv", str(tmp_path / "diff.csv")]
    )
    assert out.exit_code == 0, out.output
    assert "worker " in out.output and (tmp_path / "diff.csv").exists()


def test_grids_communities_takes_several_admin_levels(tmp_path: Path) -> None:
    """--admin-level 8,10 and --admin-level 8 --admin-level 10 both take towns and communities
    (4 parents); a level that is no number is refused naming the option."""
    from geogrid.services.area import BoundaryChoice, build_area

    osm = Path(__file__).parent / "data" / "osm" / "clipped_admin.osm"
    area = tmp_path / "corner"
    build_area(
        osm, area, name="corner",
        boundary=BoundaryChoice(bbox=(114.100, 22.600, 114.120, 22.620)),
        admin_code="441900", timezone="Asia/Shanghai",
    )  # fmt: skip
    runner = CliRunner()
    for levels in (["--admin-level", "8,10"], ["--admin-level", "8", "--admin-level", "10"]):
        res = runner.invoke(main, ["grids", "communities", str(area), "--osm", str(osm), *levels])
        assert res.exit_code == 0, res.output
        assert "wrote 4 communities" in res.output and "竹塘社区" in res.output
    bad = runner.invoke(main, ["grids", "communities", str(area), "--osm", str(osm),
                               "--admin-level", "ten"])  # fmt: skip
    assert bad.exit_code == 2 and "--admin-level" in bad.output and "'ten'" in bad.output


def test_grids_cli_rebalance_splits_a_block_by_building(tmp_path: Path) -> None:
    """A block pushed over the max by new buildings is cut by building: the output says so, and
    'N of M before' counts the grids the rebalance started from."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geogrid.io import geojson
    from tests.grids_area import UTM_50N, X0, Y0

    area = make_area(tmp_path / "area", with_communities=True)
    run = CliRunner().invoke
    assert run(main, ["grids", "build", str(area), "--seed", "0"]).exit_code == 0
    count = len(versions.load_version(area)[1])
    path = area / "buildings.geojson"
    old = gpd.read_file(path)
    spots = [(15, 85), (50, 85), (85, 85), (85, 50)]
    new = gpd.GeoDataFrame(
        {"id": [f"way/{9000 + i}" for i in range(4)], "building": "apartments", "households": 110},
        geometry=[shapely.box(X0 + x - 5, Y0 + y - 5, X0 + x + 5, Y0 + y + 5) for x, y in spots],
        crs=UTM_50N,
    ).to_crs(old.crs)
    both = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs=old.crs)
    geojson.write_layer(both, path, "buildings", history=False)
    out = run(main, ["grids", "rebalance", str(area), "--dry-run", "--time-limit", "20"])
    assert out.exit_code == 0, out.output
    assert f" of {count} grids inside their band before" in out.output, out.output
    assert "split: unit " in out.output and "cut by building" in out.output
    assert "locked" not in out.output


# ----------------------------------------------------------------------- GEOGRID_STORE


def test_grids_communities_with_geogrid_store_writes_the_database(tmp_path: Path) -> None:
    """With GEOGRID_STORE `grids communities` writes the database area's communities (no
    folder here) as on the folder; a level with no admin area there changes nothing."""
    from geogrid.services.area import BoundaryChoice, build_area
    from tests.store_commands import same_features, twins

    osm = Path(__file__).parent / "data" / "osm" / "clipped_admin.osm"
    build_area(
        osm, tmp_path / "corner", name="corner",
        boundary=BoundaryChoice(bbox=(114.100, 22.600, 114.120, 22.620)),
        admin_code="441900", timezone="Asia/Shanghai",
    )  # fmt: skip
    pair = twins(tmp_path / "corner", tmp_path)
    before = pair.snapshot()
    bad = pair.run_db(["grids", "communities", str(pair.missing), "--osm", str(osm),
                       "--admin-level", "4"])  # fmt: skip
    assert bad.exit_code == 1 and pair.name in bad.output, bad.output
    assert pair.snapshot() == before
    args = ["--osm", str(osm), "--admin-level", "8,10"]
    folder = pair.run_folder(["grids", "communities", str(pair.folder), *args])
    db = pair.run_db(["grids", "communities", str(pair.missing), *args])
    assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
    assert "wrote 4 communities to communities.geojson of area " + pair.name in db.output
    assert not pair.missing.exists() and pair.store.version_tag(pair.name) != before[0]
    assert same_features(pair.db_layer("communities"), pair.folder_layer("communities"))


def test_grids_grow_with_geogrid_store_writes_the_database(tmp_path: Path) -> None:
    """With GEOGRID_STORE `grids grow` adds the estate to the database area's buildings (no
    folder here) as on the folder, from the database's current grid version; an estate
    outside the area changes nothing."""
    import geopandas as gpd
    import shapely

    from geogrid.services import grids as SG
    from tests.grids_area import UTM_50N, X0, Y0
    from tests.store_commands import same_features, twins

    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    pair = twins(area, tmp_path)
    before = pair.snapshot()
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(X0 + 1e5, Y0, X0 + 1e5 + 50, Y0 + 50)],
                     crs=UTM_50N).to_crs("EPSG:4326").to_file(far, driver="GeoJSON")  # fmt: skip
    bad = pair.run_db(["grids", "grow", str(pair.missing), "--polygon", str(far),
                       "--households", "10"])  # fmt: skip
    assert bad.exit_code == 1 and "outside the area" in bad.output, bad.output
    assert pair.snapshot() == before
    estate = tmp_path / "estate.geojson"
    gpd.GeoDataFrame(
        geometry=[shapely.box(X0 + 10, Y0 + 10, X0 + 150, Y0 + 80)], crs=UTM_50N
    ).to_crs("EPSG:4326").to_file(estate, driver="GeoJSON")
    args = ["--polygon", str(estate), "--households", "260", "--name", "新小区"]
    folder = pair.run_folder(["grids", "grow", str(pair.folder), *args])
    db = pair.run_db(["grids", "grow", str(pair.missing), *args])
    assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
    assert "added 260 households" in db.output and pair.name in db.output
    assert not pair.missing.exists() and pair.store.version_tag(pair.name) != before[0]
    assert same_features(pair.db_layer("buildings"), pair.folder_layer("buildings"))
