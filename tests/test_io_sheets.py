"""Reading an office's tables: CSV in any of its encodings, Excel with titles and merged headers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from geogrid.errors import InputError
from geogrid.io.sheets import SheetOptions, detect_encoding, read_sheet, sheet_names
from tests import office_files as O


def _csv(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


TEXT = "地址编码,标准地址,户数\nA1,学院路1号,12\nA2,学院路2号,8\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    """UTF-8, UTF-8 with BOM and GBK CSVs read to the same Chinese text; rows keep file line
    numbers."""
    sheet = read_sheet(_csv(tmp_path / "r.csv", TEXT, encoding))
    assert list(sheet.table.columns) == ["地址编码", "标准地址", "户数"]
    assert sheet.table.loc[2, "标准地址"] == "学院路1号"
    assert list(sheet.table.index) == [2, 3]


def test_excel_title_and_merged_header_rows(tmp_path: Path) -> None:
    """A merged title row is skipped and a merged two-row header becomes 坐标/经度; rows are
    Excel's."""
    rows = O.register_rows(n=3)
    path = O.write_register_xlsx(tmp_path / "r.xlsx", rows)
    sheet = read_sheet(path, SheetOptions(sheet="户籍"))
    assert list(sheet.table.columns) == ["地址编码", "标准地址", "户数", "坐标/经度", "坐标/纬度"]
    assert list(sheet.table.index) == [4, 5, 6]  # title row 1, header rows 2-3
    assert sheet.table.loc[4, "户数"] == str(rows["户数"].iloc[0])
    assert sheet_names(path) == ["说明", "户籍"]


def test_csv_two_header_rows_fill_groups(tmp_path: Path) -> None:
    """A CSV export of merged header cells (group then blanks) reads with header_rows = 2."""
    text = "编号,坐标,\n,经度,纬度\nP1,116.3,39.9\n"
    sheet = read_sheet(_csv(tmp_path / "p.csv", text, "utf-8"), SheetOptions(header_rows=2))
    assert list(sheet.table.columns) == ["编号", "坐标/经度", "坐标/纬度"]
    assert sheet.table.loc[3, "坐标/纬度"] == "39.9"


def _empty_sheet(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "空表"
    other = book.create_sheet("数据")
    other.append(["a", "b"])
    other.append([1, 2])
    book.save(path)
    return path


def _repeated_header(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["坐标", "坐标", "户数"])
    ws.append([116.3, 39.9, 3])
    book.save(path)
    return path


BAD = [
    (
        "gbk stated, utf-8 file",
        lambda p: _csv(p / "r.csv", TEXT, "utf-8"),
        SheetOptions(encoding="gbk"),
        "the mapping says GBK but the file is UTF-8",
    ),
    (
        "utf-8 stated, gbk file",
        lambda p: _csv(p / "r.csv", TEXT, "gbk"),
        SheetOptions(encoding="utf-8"),
        'encoding = "gbk"',
    ),
    (
        "empty sheet",
        lambda p: _empty_sheet(p / "e.xlsx"),
        SheetOptions(sheet="空表"),
        "sheet '空表' is empty; set [source] sheet = \"数据\"",
    ),
    (
        "missing sheet",
        lambda p: _empty_sheet(p / "e.xlsx"),
        SheetOptions(sheet="户籍"),
        "no sheet '户籍'",
    ),
    (
        "repeated header",
        lambda p: _repeated_header(p / "h.xlsx"),
        SheetOptions(),
        "header_rows = 2",
    ),
    ("header only", lambda p: _csv(p / "h.csv", "a,b\n", "utf-8"), SheetOptions(), "no data rows"),
    (
        "unknown suffix",
        lambda p: _csv(p / "r.dat", TEXT, "utf-8"),
        SheetOptions(),
        "cannot read .dat as a table",
    ),
    (
        "broken xlsx",
        lambda p: _csv(p / "r.xlsx", TEXT, "utf-8"),
        SheetOptions(),
        "not a readable .xlsx workbook",
    ),
    (
        "broken xls",
        lambda p: _csv(p / "r.xls", TEXT, "utf-8"),
        SheetOptions(),
        "not a readable .xls workbook",
    ),
]


@pytest.mark.parametrize(("case", "make", "options", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_tables(tmp_path: Path, case: str, make, options: SheetOptions, fragment: str) -> None:
    """Each bad table is an InputError naming the file and the fix."""
    path = make(tmp_path)
    with pytest.raises(InputError) as err:
        read_sheet(path, options)
    assert fragment in str(err.value), str(err.value)
    assert path.name in str(err.value)


def test_detect_encoding_auto_prefers_utf8() -> None:
    """Auto reads UTF-8 (BOM or not) first and falls back to GB18030 for GBK bytes."""
    assert detect_encoding("户数".encode(), "auto", "x") == "utf-8-sig"
    assert detect_encoding("户数".encode("gbk"), "auto", "x") == "gb18030"
