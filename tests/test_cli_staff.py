"""geogrid.cli.staff: ``geogrid staff synthetic|assign|notices|diff``."""

from __future__ import annotations

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services import grids as SG
from tests.grids_area import make_area


def test_staff_commands(tmp_path) -> None:
    """Synthetic -> assign -> notices -> diff run and say what they did; no roster is exit 1."""
    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    runner = CliRunner()
    assert runner.invoke(main, ["staff", "assign", str(area)]).exit_code == 1
    result = runner.invoke(main, ["staff", "synthetic", str(area)])
    assert result.exit_code == 0 and "专职网格员" in result.output
    result = runner.invoke(main, ["staff", "assign", str(area)])
    assert result.exit_code == 0, result.output
    assert "0 unfilled post(s)" in result.output
    result = runner.invoke(main, ["staff", "notices", str(area), "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 0 and (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    result = runner.invoke(main, ["staff", "diff", str(area), "--against", "roster"])
    assert result.exit_code == 0 and "people change grid" in result.output


def test_staff_commands_with_geogrid_store(tmp_path) -> None:
    """With GEOGRID_STORE naming the database, import, synthetic, assign, notices and diff on a
    path with no folder work on the database's area of that name as on its folder: the same
    roster people, the same assignment, the same changes; the roster, the staffing (and its
    history) and the notice boards are documents of the area in the database, --out stays
    local, and nothing is written where the path points."""
    import json
    import shutil

    import pandas as pd
    from store_db import db_url, unique_name

    from geogrid.io.workspace import Workspace
    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url, name = db_url(), unique_name("staff")
    folder = make_area(tmp_path / "areas" / name, with_communities=True)
    SG.generate(folder, seed=0, author="test")
    store = PostgisStore(url)
    copy_area(FolderStore(folder.parent), name, store, name)
    nowhere = tmp_path / "no-folder" / name
    env = {"GEOGRID_STORE": url}
    runner = CliRunner()

    def both(command: str, *args: str) -> tuple[str, str]:
        here = runner.invoke(main, ["staff", command, str(folder), *args])
        there = runner.invoke(main, ["staff", command, str(nowhere), *args], env=env)
        assert here.exit_code == 0, here.output
        assert there.exit_code == 0, there.output
        return here.output, there.output

    def said(output: str) -> list[str]:
        return [
            line
            for line in output.splitlines()
            if not line.startswith(("wrote", "saved", "rejects report"))
        ]

    def document(name_in_area: str) -> dict:
        data = store.read_area_file(name, name_in_area)
        assert data is not None, name_in_area
        return json.loads(data)

    def on_folder(name_in_area: str) -> dict:
        return json.loads((folder / name_in_area).read_text(encoding="utf-8"))

    inside = Workspace(folder).read(with_network=False).grids.geometry.iloc[0]
    point = inside.representative_point()
    source = tmp_path / "roster.csv"
    pd.DataFrame(
        [
            {"姓名": "王芳", "岗位": "专职网格员", "电话": "138", "经度": point.x, "纬度": point.y},
            {"姓名": "钱多", "岗位": "保安", "电话": "1", "经度": "", "纬度": ""},
        ]
    ).to_csv(source, index=False)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'name = "花名册"\nkind = "staff"\n[source]\ncoordinates = "wgs84"\n[columns]\n'
        'name = "姓名"\nrole = "岗位"\nphone = "电话"\nx = "经度"\ny = "纬度"\n',
        encoding="utf-8",
    )
    here, there = both("import", str(source), "--mapping", str(mapping))
    assert said(there) == said(here) and "1 rejected" in there
    assert f"saved staff/roster.json in area {name} (database)" in there
    assert document("staff/roster.json")["people"] == on_folder("staff/roster.json")["people"]
    here, there = both("synthetic")
    assert said(there) == said(here)
    assert document("staff/roster.json")["people"] == on_folder("staff/roster.json")["people"]
    for _ in range(2):
        here, there = both("assign")
        assert said(there) == said(here)
    assert f"saved staff/staffing.json in area {name} (database)" in there
    stored, kept = document("staff/staffing.json"), on_folder("staff/staffing.json")
    assert stored["assignment"] == kept["assignment"] and stored["version"] == kept["version"] == 2
    assert len(store.area_file_names(name, "staff/history")) == 1
    here, there = both("notices")
    assert f"saved staff/notice_boards.pdf in area {name} (database)" in there
    assert (store.read_area_file(name, "staff/notice_boards.pdf") or b"")[:4] == b"%PDF"
    out = tmp_path / "boards.pdf"
    result = runner.invoke(main, ["staff", "notices", str(nowhere), "--out", str(out)], env=env)
    assert result.exit_code == 0 and out.read_bytes().startswith(b"%PDF"), result.output
    for against in ("previous", "roster"):
        here, there = both("diff", "--against", against)
        assert there == here and "people change grid" in there
    assert not nowhere.parent.exists()
    shutil.rmtree(folder)  # the database's area does not need its folder
    assert runner.invoke(main, ["staff", "diff", str(nowhere)], env=env).exit_code == 0


def test_staff_on_an_area_missing_from_the_database(tmp_path) -> None:
    """One line naming the area and the database, suggesting geogrid store push; exit 1."""
    from store_db import db_url, unique_name

    url, name = db_url(), unique_name("missing")
    for command in ("synthetic", "assign", "notices", "diff"):
        result = CliRunner().invoke(
            main, ["staff", command, str(tmp_path / name)], env={"GEOGRID_STORE": url}
        )
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert f"{name}: no such area in the database" in result.output
        assert "geogrid store push" in result.output
