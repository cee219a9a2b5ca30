"""Tests for geogrid.io.atomic: files are written whole or not at all."""

from __future__ import annotations

import os

import pytest

from geogrid.io.atomic import copy_atomic, write_bytes_atomic, write_text_atomic


def test_text_and_bytes_round_trip(tmp_path):
    """Text is written as UTF-8 with Chinese intact; missing folders are made."""
    path = write_text_atomic(tmp_path / "a" / "b.txt", "网格 1\n")
    assert path.read_bytes() == "网格 1\n".encode()
    write_bytes_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"


@pytest.mark.parametrize("writer", ["text", "bytes", "copy"])
def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, writer):
    """When the rename fails, the previous content survives and no temp file is left."""
    target = tmp_path / "layer.geojson"
    target.write_text("old", encoding="utf-8")
    source = tmp_path / "src.txt"
    source.write_text("new", encoding="utf-8")

    def boom(src, dst):
        raise OSError("killed mid-save")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="killed mid-save"):
        if writer == "text":
            write_text_atomic(target, "new")
        elif writer == "bytes":
            write_bytes_atomic(target, b"new")
        else:
            copy_atomic(source, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.geojson", "src.txt"]
