"""Tests for geogrid.io.workspace: manifests and loading whole areas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.io.workspace import read_area, read_manifest, write_json_atomic
from geogrid.services.area import BoundaryChoice, build_area

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


def test_missing_manifest_says_how_to_fix(tmp_path: Path):
    """A folder without area.json says to build the area first."""
    with pytest.raises(InputError, match="build the area first"):
        read_manifest(tmp_path)


def test_malformed_and_incomplete_manifests(tmp_path: Path):
    """Broken JSON names the line; a manifest without metric_crs is refused."""
    (tmp_path / "area.json").write_text('{"name": "x",\n  oops}', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_manifest(tmp_path)
    write_json_atomic(tmp_path / "area.json", {"name": "x", "sources": []})
    with pytest.raises(InputError, match="metric_crs"):
        read_manifest(tmp_path)


def test_json_written_atomically_keeps_chinese(tmp_path: Path):
    """write_json_atomic leaves no temp file and keeps non-ASCII text readable."""
    write_json_atomic(tmp_path / "a" / "area.json", {"name": "海淀"})
    text = (tmp_path / "a" / "area.json").read_text(encoding="utf-8")
    assert "海淀" in text
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["area.json"]


def test_read_area_lists_problems_of_every_layer(tmp_path: Path):
    """A damaged area reports each broken file by name, not just the first."""
    out = tmp_path / "mini"
    build_area(MINI, out, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    (out / "grids.geojson").write_text("{ not json", encoding="utf-8")
    (out / "buildings.geojson").unlink()
    with pytest.raises(InputError) as info:
        read_area(out)
    text = str(info.value)
    assert "grids.geojson" in text
    assert "buildings.geojson" in text


def test_read_area_without_network(tmp_path: Path):
    """with_network=False skips the street layers."""
    out = tmp_path / "mini"
    build_area(MINI, out, name="mini", boundary=BoundaryChoice(admin="矿业大学社区居委会"))
    area = read_area(out, with_network=False)
    assert area.nodes is None and area.edges is None
    assert json.loads((out / "area.json").read_text(encoding="utf-8"))["name"] == area.name
