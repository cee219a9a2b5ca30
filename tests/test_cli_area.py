"""Tests for geogrid.cli.area (and the CLI end to end) through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


HOUSEHOLDS_OSM = Path(__file__).parent / "data" / "osm" / "households.osm"


def test_build_and_info_report_household_coverage(runner: CliRunner, tmp_path: Path):
    """build and info print residential land without buildings (ha, polygons), households per
    km² against plausible ranges, and a warning naming the register import when too thin."""
    out = tmp_path / "sz"
    res = runner.invoke(main, ["area", "build", str(HOUSEHOLDS_OSM), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in (res.output, runner.invoke(main, ["area", "info", str(out)]).output):
        assert "without buildings: 1.6 ha in 1 polygon(s)" in text
        assert "households per km²" in text and "plausible" in text
        assert "households: 280 (tag 30, estimate 250)" in text
    res = runner.invoke(main, ["area", "build", str(HOUSEHOLDS_OSM), "--out", str(out),
                               "--bbox", "114.046,22.536,114.058,22.548"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "WARNING: the household estimate is too thin" in res.output
    assert "geogrid households import" in res.output


def test_area_build_info_validate_and_matrix(runner: CliRunner, tmp_path: Path):
    """build -> info -> validate -> network matrix work end to end on a small OSM file."""
    out = tmp_path / "mini"
    res = runner.invoke(
        main,
        [
            "area",
            "build",
            str(MINI),
            "--out",
            str(out),
            "--admin",
            "矿业大学社区居委会",
            "--admin-code",
            "110108",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "street segments" in res.output
    res = runner.invoke(main, ["area", "info", str(out)])
    assert res.exit_code == 0, res.output
    assert "EPSG:32650" in res.output and "ODbL" in res.output
    res = runner.invoke(main, ["area", "validate", str(out)])
    assert res.exit_code == 0 and "all layers valid" in res.output
    csv_path = tmp_path / "m.csv"
    res = runner.invoke(
        main,
        [
            "network",
            "matrix",
            str(out),
            "--from",
            "police",
            "--to",
            "schools",
            "--out",
            str(csv_path),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = csv_path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2  # header + one police post
    minutes = [float(v) for v in rows[1].split(",")[1:]]
    assert all(0 < m < 15 for m in minutes)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["area", "build", "nowhere.osm", "--out", "{tmp}/x"], "nowhere.osm"),
        (
            ["area", "build", str(MINI), "--out", "{tmp}/x", "--bbox", "1,2,3"],
            "west,south,east,north",
        ),
        (["area", "build", "--out", "{tmp}/x"], "give an OSM file"),
        (["area", "info", "{tmp}"], "build the area first"),
        (["network", "matrix", "{tmp}", "--from", "police"], "build the area first"),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(
    runner: CliRunner, tmp_path: Path, args: list[str], fragment: str
):
    """Bad input exits non-zero with a message naming the problem and no traceback."""
    res = runner.invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert res.exit_code != 0
    assert fragment in res.output
    assert "Traceback" not in res.output


def _write_boundary_and_incidents(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A 2 km square in Shenzhen, 120 seeded incidents (a cluster in one corner), a mapping."""
    import json

    import numpy as np

    west, south = 114.05, 22.53
    boundary = tmp_path / "boundary.geojson"
    ring = [[west, south], [west + 0.02, south], [west + 0.02, south + 0.018],
            [west, south + 0.018], [west, south]]  # fmt: skip
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "福田测试街道"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")  # fmt: skip
    rng = np.random.default_rng(7)
    rows = ["id,time,category,lon,lat"]
    for i in range(120):
        if i < 60:  # the cluster
            x, y = west + 0.003 + rng.normal(0, 0.0008), south + 0.003 + rng.normal(0, 0.0008)
        else:
            x, y = west + rng.uniform(0.001, 0.019), south + rng.uniform(0.001, 0.017)
        day = 1 + i % 28
        rows.append(f"N{i},2025-03-{day:02d} 22:{i % 60:02d},盗窃,{x:.6f},{y:.6f}")
    incidents = tmp_path / "calls.csv"
    incidents.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        'name = "calls"\n[source]\ncoordinates = "wgs84"\ntimezone = "Asia/Shanghai"\n'
        '[columns]\nid = "id"\ntime = "time"\ncategory = "category"\nx = "lon"\ny = "lat"\n',
        encoding="utf-8",
    )
    return boundary, incidents, mapping


def test_area_without_streets_serves_incidents(runner: CliRunner, tmp_path: Path):
    """--boundary FILE without an OSM file makes an incidents-only area: incidents import, hot
    spots and the public map work; commands that need streets say what is missing."""
    boundary, calls, mapping = _write_boundary_and_incidents(tmp_path)
    out = tmp_path / "futian"
    res = runner.invoke(main, ["area", "build", "--boundary", str(boundary), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "incidents-only area" in res.output
    import json

    manifest = json.loads((out / "area.json").read_text(encoding="utf-8"))
    assert manifest["streets"] is False
    assert not (out / "network").exists()
    res = runner.invoke(main, ["area", "info", str(out)])
    assert res.exit_code == 0 and "street network: none" in res.output, res.output
    res = runner.invoke(main, ["incidents", "import", str(calls), "--mapping", str(mapping),
                               "--area", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "120 good" in res.output
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(out),
                               "--out", str(tmp_path / "hot.geojson")])  # fmt: skip
    assert res.exit_code == 0, res.output
    for args, command in (
        (["network", "matrix", str(out), "--from", "police"], "geogrid network matrix"),
        (["grids", "build", str(out)], "drawing grids from street blocks"),
        (["plan", str(out)], "a patrol plan"),
        (["coverage", str(out)], "geogrid coverage"),
        (["posts", str(out)], "siting posts"),
    ):
        res = runner.invoke(main, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        assert "has no street network" in res.output and command in res.output, res.output
        assert "geogrid area build OSM_FILE" in res.output

    from webmap import create_app

    client = create_app({"AREA_PATH": str(out), "TESTING": True}).test_client()
    page = client.get("/")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    assert client.get("/api/area").status_code == 200
