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
