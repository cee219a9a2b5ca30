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
    write = {
        "text": lambda: write_text_atomic(target, "new"),
        "bytes": lambda: write_bytes_atomic(target, b"new"),
        "copy": lambda: copy_atomic(source, target),
    }[writer]
    with pytest.raises(OSError, match="killed mid-save"):
        write()
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.geojson", "src.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_files_honour_the_umask_so_a_web_server_can_read_the_area(tmp_path, umask):
    """Written and copied files get 0666 minus the umask (0644 under 022), not mkstemp's 0600;
    private ones (secrets) stay 0600."""
    old = os.umask(umask)
    try:
        text = write_text_atomic(tmp_path / "area.json", "{}\n")
        data = write_bytes_atomic(tmp_path / "grids.geojson", b"{}")
        copied = copy_atomic(text, tmp_path / "history" / "area.json")
        secret = write_text_atomic(tmp_path / "secret_key", "x", private=True)
    finally:
        os.umask(old)
    for path in (text, data, copied):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
    assert secret.stat().st_mode & 0o777 == 0o600
