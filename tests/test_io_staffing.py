"""geogrid.io.staffing: roster and staffing files (private, history kept), Excel table."""

from __future__ import annotations

import io
import stat

import pandas as pd
from openpyxl import load_workbook

from geogrid.io import staffing as store
from tests.staffing_area import roster


def test_roster_round_trip_is_private(tmp_path) -> None:
    """The roster reads back as written; the file is 0600 (names and phones)."""
    people = roster()
    path = store.write_roster(tmp_path / "staff" / "roster.json", people, "test")
    assert store.read_roster(path).people == tuple(p for p in people.people)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_staffing_keeps_the_previous_one(tmp_path) -> None:
    """Writing twice leaves the first staffing in history, readable for the diff."""
    path, history = tmp_path / "staffing.json", tmp_path / "history"
    store.write_staffing(
        path,
        history,
        {"assignment": [{"person_id": "a", "name": "A", "role": "worker", "grid": "1"}]},
    )
    store.write_staffing(
        path,
        history,
        {"assignment": [{"person_id": "a", "name": "A", "role": "worker", "grid": "2"}]},
    )
    assert store.assignment_frame(store.previous_staffing(history))["grid"].tolist() == ["1"]
    assert store.assignment_frame(store.read_staffing(path))["grid"].tolist() == ["2"]


def test_excel_table_has_chinese_headers_and_no_formulas() -> None:
    """The workbook has the Chinese headers; a formula-like name is shown as text."""
    table = pd.DataFrame({"code": ["001"], "worker": ["=HYPERLINK(1)"], "unfilled": [""]})
    book = load_workbook(io.BytesIO(store.staffing_xlsx(table, synthetic=True)))
    sheet = book.active
    assert "SYNTHETIC" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["网格编码", "专职网格员", "空缺岗位"]
    assert sheet["B3"].value == "'=HYPERLINK(1)"
