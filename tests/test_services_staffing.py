"""geogrid.services.staffing: roster import with rejects, assign, tables, notice boards, diff."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geogrid.errors import InputError
from geogrid.io.workspace import Workspace
from geogrid.services import grids as SG
from geogrid.services import staffing as SS
from tests.grids_area import make_area

MAPPING = """name = "花名册"
kind = "staff"
[source]
coordinates = "wgs84"
[columns]
name = "姓名"
role = "岗位"
phone = "电话"
x = "经度"
y = "纬度"
community = "社区"
"""


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic area with grids and a synthetic roster."""
    folder = make_area(tmp_path_factory.mktemp("staff") / "area", with_communities=True)
    SG.generate(folder, seed=0, author="test")
    SS.synthetic_roster(folder)
    return folder


def test_assign_fills_every_grid_and_writes_the_outputs(area: Path) -> None:
    """The synthetic roster staffs every grid; staffing.json, CSV, Excel and the boards exist."""
    run = SS.assign(area)
    assert not run.staffing.unfilled and [i for i in run.issues if i.kind != "unfilled"] == []
    ws = Workspace(area)
    for path in (
        ws.staffing_path,
        ws.staffing_csv_path,
        ws.staffing_xlsx_path,
        ws.notice_boards_path,
    ):
        assert path in run.written and path.exists()
    assert "专职网格员" in ws.staffing_csv_path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert run.lines()[0].startswith(f"{len(run.table)} of {len(run.table)} grids fully staffed")


def test_diff_after_a_second_assignment(area: Path) -> None:
    """Assigning again with the same roster changes nobody; --against roster compares to the
    file."""
    SS.assign(area)
    SS.assign(area)
    assert SS.diff(area).empty
    assert isinstance(SS.diff(area, against="roster"), pd.DataFrame)


def test_import_keeps_good_rows_and_names_bad_ones(area: Path, tmp_path: Path) -> None:
    """A roster with a bad role, a duplicate, a home outside and no phone: 2 kept, 4 named."""
    grids = Workspace(area).read(with_network=False).grids
    inside = grids.geometry.iloc[0].representative_point()
    rows = [
        {
            "姓名": "王芳",
            "岗位": "专职网格员",
            "电话": "138",
            "经度": inside.x,
            "纬度": inside.y,
            "社区": "",
        },
        {
            "姓名": "李强",
            "岗位": "社区民警",
            "电话": "139",
            "经度": "",
            "纬度": "",
            "社区": "东社区",
        },
        {"姓名": "钱多", "岗位": "保安", "电话": "1", "经度": "", "纬度": "", "社区": "东社区"},
        {
            "姓名": "王芳",
            "岗位": "专职网格员",
            "电话": "138",
            "经度": inside.x,
            "纬度": inside.y,
            "社区": "",
        },
        {"姓名": "远方", "岗位": "志愿者", "电话": "", "经度": 10.0, "纬度": 50.0, "社区": ""},
        {"姓名": "孙悟", "岗位": "网格员", "电话": "", "经度": "", "纬度": "", "社区": "西社区"},
    ]
    source = tmp_path / "花名册.csv"
    pd.DataFrame(rows).to_csv(source, index=False, encoding="gbk")
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    folder = make_area(tmp_path / "other", with_communities=True)
    SG.generate(folder, seed=0, author="test")
    report = SS.import_roster(folder, source, mapping)
    assert [p.name for p in report.roster.people] == ["王芳", "李强"]
    reasons = dict(
        zip(report.roster.rejects.table["row"], report.roster.rejects.table["reason"], strict=True)
    )
    assert reasons == {
        4: "unknown_role",
        5: "duplicate_person",
        6: "outside_area",
        7: "missing_phone",
    }
    text = "\n".join(report.lines())
    assert "row 4: unknown_role" in text and report.rejects_path.exists()


def test_assign_without_a_roster_says_how(tmp_path: Path) -> None:
    """No roster imported: a clear message naming both ways to get one."""
    folder = make_area(tmp_path / "area")
    with pytest.raises(InputError, match="staff import"):
        SS.assign(folder)
