"""Tests for geogrid.io.tables: CSV is written whole or not at all."""

from __future__ import annotations

import os

import pytest

from geogrid.io.tables import write_csv_atomic


def test_csv_round_trip_keeps_chinese(tmp_path):
    """Rows come back as written, Chinese text included."""
    path = tmp_path / "sub" / "m.csv"
    write_csv_atomic(path, [["from", "to"], ["海淀实验小学", "3.5"]])
    assert path.read_text(encoding="utf-8").splitlines() == ["from,to", "海淀实验小学,3.5"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    """If the rename fails the previous file is intact and no temp file is left."""
    path = tmp_path / "m.csv"
    path.write_text("old\n", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_csv_atomic(path, [["new"]])
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.csv"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '"\'=HYPERLINK(""http://evil.example"",""click"")"',
        ),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("-12", "-12"),
        ("-3.5", "-3.5"),
        ("+7", "+7"),
        ("1e-3", "1e-3"),
        (-4, "-4"),
        (2.5, "2.5"),
        ("海淀 = 北京", "海淀 = 北京"),
    ],
)
def test_formula_cells_are_neutralised(tmp_path, cell, written):
    """A text cell a spreadsheet would run as a formula gets a leading quote; numbers stay
    numbers."""
    path = tmp_path / "m.csv"
    write_csv_atomic(path, [["name"], [cell]])
    assert path.read_bytes().decode("utf-8").split("\n")[1] == written


def test_frame_csv_neutralises_and_keeps_numbers():
    """DataFrames written through frame_csv get the same treatment (reports, rejects, releases)."""
    import pandas as pd

    from geogrid.io.tables import frame_csv

    text = frame_csv(pd.DataFrame({"name": ["=1+1", "ok"], "count": [-3, 4]}), bom=True)
    assert text.startswith("\ufeffname,count\n")
    assert text.splitlines()[1:] == ["'=1+1,-3", "ok,4"]


def test_every_csv_writer_goes_through_the_neutraliser(tmp_path):
    """The rejects report (and every other CSV geogrid writes) neutralises formula cells."""
    import pandas as pd

    from geogrid.io.incidents import write_rejects

    rejects = pd.DataFrame(
        {"row": [3], "id": ["@SUM(A1:A9)"], "reason": ['=HYPERLINK("x")'], "detail": ["-5"]}
    )
    text = write_rejects(rejects, tmp_path / "r.csv", source="=cmd|' /C calc'!A0").read_text(
        encoding="utf-8-sig"
    )
    assert text.splitlines()[1] == '\'=cmd|\' /C calc\'!A0,3,\'@SUM(A1:A9),"\'=HYPERLINK(""x"")",-5'
    import pathlib

    sources = pathlib.Path(__file__).parents[1] / "geogrid"
    for path in sources.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert ".to_csv(" not in text or path.name == "tables.py", (
            f"{path}: write CSV via geogrid.io.tables"
        )
        assert "csv.writer(" not in text or path.name == "tables.py", (
            f"{path}: write CSV via geogrid.io.tables"
        )
