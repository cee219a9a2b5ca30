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
