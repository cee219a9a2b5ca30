"""Acceptance on the real Beijing Haidian OSM export from ../shared/data.

Skipped with a reason when ../shared/data is absent (a fresh clone elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main
from geogrid.io.workspace import read_area
from geogrid.network import StreetNetwork, travel_time_matrix

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HAIDIAN = SHARED / "osm_china" / "beijing_haidian_cau" / "map.osm"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not HAIDIAN.exists(), reason=f"{HAIDIAN} not present (needs ../shared)"),
]


def test_haidian_builds_with_key_places_and_a_routable_network(tmp_path: Path):
    """`geogrid area build` on the Haidian export finds schools, police and markets, and routes."""
    out = tmp_path / "haidian"
    res = CliRunner().invoke(main, [
        "area", "build", str(HAIDIAN), "--out", str(out), "--admin-code", "110108",
        "--bbox", "116.34403,39.99767,116.35974,40.00888",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    area = read_area(out)
    assert area.metric_crs == "EPSG:32650"
    assert len(area.layers["schools"]) >= 3
    assert len(area.layers["police"]) == 2
    assert (area.layers["markets"]["kind"] == "marketplace").sum() == 2
    names = set(area.layers["schools"]["name"].dropna())
    assert "中国农业大学附属实验小学" in names
    assert area.nodes is not None and area.edges is not None
    net = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    stops = area.layers["schools"].geometry
    walk = travel_time_matrix(net, area.layers["police"].geometry, stops, mode="walk")
    assert walk.seconds.shape == (2, len(stops))
    assert (walk.seconds > 0).all() and (walk.seconds < 30 * 60).all()


def test_haidian_community_boundary_is_reported_incomplete(tmp_path: Path):
    """The community relation lacks a member way in the export: it is closed along the file's
    edge, and the build says so (clipped, which share of its ways, how inside was told)."""
    res = CliRunner().invoke(main, [
        "area", "build", str(HAIDIAN), "--out", str(tmp_path / "x"),
        "--admin", "矿业大学社区居委会",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "15972224" in res.output and "clipped: 1 of its 2 member ways" in res.output
    assert "complete=False" in res.output
