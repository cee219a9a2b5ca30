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
