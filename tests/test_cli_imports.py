"""The import commands: households, grids, layers (places, communities), teams; errors without
tracebacks."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from geogrid.cli import main
from tests import grids_area
from tests import office_files as O


def test_import_commands_end_to_end(tmp_path: Path) -> None:
    """Each command imports its file and prints what it wrote; a second run says unchanged."""
    area = grids_area.make_area(tmp_path / "area", with_communities=True)
    runner = CliRunner()
    xlsx = O.write_register_xlsx(tmp_path / "r.xlsx", O.register_rows("gcj02"))
    reg = O.write_text(
        tmp_path / "r.toml",
        O.REGISTER_TOML.format(
            coordinates="gcj02", extra='sheet = "户籍"', x="坐标/经度", y="坐标/纬度"
        ),
    )
    out = runner.invoke(main, ["households", "import", str(area), str(xlsx), "--mapping", str(reg)])
    assert out.exit_code == 0, out.output
    assert "households into 68 buildings" in out.output
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells())
    gm = O.write_text(tmp_path / "g.toml", O.GRIDS_TOML.format(extra=""))
    out = runner.invoke(
        main, ["grids", "import", str(area), str(shp), "--mapping", str(gm), "--band", "500-1100"]
    )
    assert out.exit_code == 0, out.output
    assert "saved as v0001" in out.output and "imported" in out.output
    places = tmp_path / "p.xlsx"
    O.places_rows("bd09").to_excel(places, index=False)
    pm = O.write_text(tmp_path / "p.toml", O.PLACES_TOML.format(coordinates="bd09"))
    out = runner.invoke(
        main,
        ["layers", "import", str(area), str(places), "--layer", "key_places", "--mapping", str(pm)],
    )
    assert out.exit_code == 0, out.output
    roster = tmp_path / "t.csv"
    O.roster_rows().to_csv(roster, index=False, encoding="gbk")
    tm = O.write_text(tmp_path / "t.toml", O.TEAMS_TOML)
    out = runner.invoke(main, ["teams", "import", str(area), str(roster), "--mapping", str(tm)])
    assert out.exit_code == 0, out.output
    assert "2 teams" in out.output
    out = runner.invoke(main, ["teams", "import", str(area), str(roster), "--mapping", str(tm)])
    assert "unchanged" in out.output


def test_bad_file_is_a_message(tmp_path: Path) -> None:
    """A shapefile without .prj exits 1 with the file, the hint and the fix, no traceback."""
    area = grids_area.make_area(tmp_path / "area")
    shp = O.write_shapefile(tmp_path / "shp", O.grid_cells(), prj=False)
    gm = O.write_text(tmp_path / "g.toml", O.GRIDS_TOML.format(extra=""))
    out = CliRunner().invoke(main, ["grids", "import", str(area), str(shp), "--mapping", str(gm)])
    assert out.exit_code == 1
    assert "网格.shp has no .prj file" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(main, ["layers", "import", str(area), str(shp), "--mapping", str(gm)])
    assert out.exit_code != 0 and "--layer" in out.output


def test_a_register_whose_every_row_is_rejected_exits_1(tmp_path: Path) -> None:
    """Every row rejected is not 'unchanged': exit 1, the reasons, the rejects report and the
    fix (the Shanghai pilot's roads-only area has no building: 600 of 600 rows no_building,
    printed 'unchanged: the area already holds this file's content' and exited 0)."""
    import pandas as pd

    area = grids_area.make_area(tmp_path / "area")
    park = grids_area.units_frame([(3, 2, 0)]).geometry.iloc[0].centroid
    rows = pd.DataFrame(
        {
            "地址编码": ["P-1"],
            "标准地址": ["公园管理处"],
            "户数": [4],
            "经度": [park.x],
            "纬度": [park.y],
        }
    )
    csv = tmp_path / "r.csv"
    rows.to_csv(csv, index=False)
    reg = O.write_text(
        tmp_path / "r.toml",
        O.REGISTER_TOML.format(coordinates="wgs84", extra="", x="经度", y="纬度"),
    )
    out = CliRunner().invoke(
        main, ["households", "import", str(area), str(csv), "--mapping", str(reg)]
    )
    assert out.exit_code == 1, out.output
    assert "unchanged" not in out.output and "nothing imported" in out.output
    assert "all 1 rows were rejected (no_building 1)" in out.output
    assert "r.csv.rejects.csv" in out.output and "--unmatched points" in out.output
    assert "Traceback" not in out.output


# ----------------------------------------------------------------------- GEOGRID_STORE


def _office_files(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """Each import's office file and mapping: GBK CSV, xlsx, shapefile + .cpg."""
    from tests import grids_area

    files = tmp_path / "files"
    files.mkdir()
    xlsx = O.write_register_xlsx(files / "r.xlsx", O.register_rows("gcj02"))
    reg = O.write_text(
        files / "r.toml",
        O.REGISTER_TOML.format(
            coordinates="gcj02", extra='sheet = "户籍"', x="坐标/经度", y="坐标/纬度"
        ),
    )
    shp = O.write_shapefile(files / "shp", O.grid_cells())
    grids_toml = O.write_text(files / "g.toml", O.GRIDS_TOML.format(extra=""))
    places = files / "p.xlsx"
    O.places_rows("bd09").to_excel(places, index=False)
    places_toml = O.write_text(files / "p.toml", O.PLACES_TOML.format(coordinates="bd09"))
    roster = files / "t.csv"
    O.roster_rows().to_csv(roster, index=False, encoding="gbk")
    teams_toml = O.write_text(files / "t.toml", O.TEAMS_TOML)
    comms = grids_area.communities().rename(columns={"code": "CODE", "name": "NAME"})
    comms["CODE"] = ["110108001", "110108002"]
    comms_shp = O.write_shapefile(files / "c", comms, O.GK_117E, stem="街道")
    comms_toml = O.write_text(files / "c.toml", O.COMMUNITIES_TOML)
    return {
        "households": (xlsx, reg),
        "grids": (shp, grids_toml),
        "places": (places, places_toml),
        "teams": (roster, teams_toml),
        "communities": (comms_shp, comms_toml),
    }


def _import_args(kind: str, area: Path, source: Path, mapping: Path) -> list[str]:
    extra = {
        "households": ["households", "import"],
        "grids": ["grids", "import"],
        "places": ["layers", "import"],
        "communities": ["layers", "import"],
        "teams": ["teams", "import"],
    }[kind]
    args = [*extra, str(area), str(source), "--mapping", str(mapping), "--author", "li"]
    if kind == "places":
        args += ["--layer", "key_places"]
    if kind == "communities":
        args += ["--as", "communities"]
    if kind == "grids":
        args += ["--band", "500-1100"]
    return args


def test_imports_with_geogrid_store_write_the_database_as_a_folder_import_would(
    tmp_path: Path,
) -> None:
    """With GEOGRID_STORE the five imports write the database's area (its folder does not
    exist here) exactly what the same imports write into a folder; each write changes the
    version tag, the grid import is a version "imported" in the history, and a second run
    of the same file changes nothing."""
    from geogrid.store.folder import FolderStore
    from tests import grids_area
    from tests.store_commands import same_features, twins

    pair = twins(grids_area.make_area(tmp_path / "area", with_communities=True), tmp_path)
    files = _office_files(tmp_path)
    layer_of = {"households": "buildings", "places": "key_places", "teams": "teams"}
    layer_of["communities"] = "communities"
    for kind in ("households", "grids", "places", "teams", "communities"):
        source, mapping = files[kind]
        tag = pair.store.version_tag(pair.name)
        out = pair.run_folder(_import_args(kind, pair.folder, source, mapping))
        assert out.exit_code == 0, out.output
        out = pair.run_db(_import_args(kind, pair.missing, source, mapping))
        assert out.exit_code == 0, out.output
        assert pair.name in out.output and "nowhere" not in out.output
        assert not pair.missing.exists()
        assert pair.store.version_tag(pair.name) != tag, kind
        if kind == "grids":
            history, head = pair.store.list_versions(pair.name)
            assert history[-1].message == "imported" and history[-1].author == "li"
            assert head == history[-1].id
            assert same_features(pair.db_layer("grids"), pair.folder_layer("grids"))
            db_grids = pair.store.load_version(pair.name)[1]
            folder_grids = FolderStore(pair.folder.parent).load_version(pair.folder.name)[1]
            assert list(db_grids["code"]) == list(folder_grids["code"])
        else:
            assert same_features(pair.db_layer(layer_of[kind]), pair.folder_layer(layer_of[kind]))
            history = pair.store.layer_history(pair.name, layer_of[kind])
            folder_history = FolderStore(pair.folder.parent).layer_history(
                pair.folder.name, layer_of[kind]
            )
            assert [(h["author"], h["message"]) for h in history] == [
                (h["author"], h["message"]) for h in folder_history
            ]
            if kind in ("households", "communities"):  # they replaced a layer: in the history
                assert history and history[-1]["author"] == "li", history
        tag = pair.store.version_tag(pair.name)
        again = pair.run_db(_import_args(kind, pair.missing, source, mapping))
        assert again.exit_code == 0 and "unchanged" in again.output, again.output
        assert pair.store.version_tag(pair.name) == tag, kind


def test_a_bad_file_with_geogrid_store_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """A shapefile without .prj, grids that overlap, a register whose every row is rejected:
    exit 1 with the message, and the database area is unchanged (tag, layers, versions)."""
    import pandas as pd

    from tests import grids_area
    from tests.store_commands import twins

    pair = twins(grids_area.make_area(tmp_path / "area"), tmp_path)
    before = pair.snapshot()
    no_prj = O.write_shapefile(tmp_path / "shp", O.grid_cells(), prj=False)
    gm = O.write_text(tmp_path / "g.toml", O.GRIDS_TOML.format(extra=""))
    out = pair.run_db(["grids", "import", str(pair.missing), str(no_prj), "--mapping", str(gm)])
    assert out.exit_code == 1 and "has no .prj file" in out.output, out.output
    cells = O.grid_cells()
    overlapping = pd.concat([cells, cells.iloc[[0]].assign(编码=["X-9"])], ignore_index=True)
    shp = O.write_shapefile(tmp_path / "over", overlapping)
    out = pair.run_db(["grids", "import", str(pair.missing), str(shp), "--mapping", str(gm)])
    assert out.exit_code == 1 and "nothing was saved" in out.output, out.output
    park = grids_area.units_frame([(3, 2, 0)]).geometry.iloc[0].centroid
    rows = pd.DataFrame(
        {"地址编码": ["P-1"], "标准地址": ["公园"], "户数": [4], "经度": [park.x], "纬度": [park.y]}
    )
    csv = tmp_path / "r.csv"
    rows.to_csv(csv, index=False)
    reg = O.write_text(
        tmp_path / "r.toml",
        O.REGISTER_TOML.format(coordinates="wgs84", extra="", x="经度", y="纬度"),
    )
    out = pair.run_db(["households", "import", str(pair.missing), str(csv), "--mapping", str(reg)])
    assert out.exit_code == 1 and "all 1 rows were rejected" in out.output, out.output
    assert (tmp_path / "r.csv.rejects.csv").exists()  # the report still goes next to the file
    assert pair.snapshot() == before


def test_an_area_missing_from_the_database_is_one_line(tmp_path: Path) -> None:
    """An import on an area the database does not hold: exit 1, one line naming the area and
    the database without its password, and how to put it there."""
    from tests.store_commands import twins
    from tests.store_db import unique_name

    pair = twins(grids_area.make_area(tmp_path / "area"), tmp_path)
    absent = unique_name("absent")
    roster = tmp_path / "t.csv"
    O.roster_rows().to_csv(roster, index=False, encoding="gbk")
    tm = O.write_text(tmp_path / "t.toml", O.TEAMS_TOML)
    out = pair.run_db(
        ["teams", "import", str(tmp_path / absent), str(roster), "--mapping", str(tm)]
    )
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and absent in lines[0] and "no such area" in lines[0], out.output
    assert "127.0.0.1" in lines[0] and "geogrid_test@" not in lines[0].replace("***", "")
    assert "geogrid store push" in lines[0] and "area build" in lines[0]
