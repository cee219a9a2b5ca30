"""Tests for geogrid.cli.network: travel-time matrices from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main

MINI = Path(__file__).parent / "data" / "osm_area" / "mini_haidian.osm"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_matrix_prints_minutes_csv(runner: CliRunner, tmp_path: Path):
    """Without --out the matrix is printed as CSV in minutes, one row per origin."""
    out = tmp_path / "mini"
    runner.invoke(
        main, ["area", "build", str(MINI), "--out", str(out), "--admin", "矿业大学社区居委会"]
    )
    res = runner.invoke(
        main,
        ["network", "matrix", str(out), "--from", "schools", "--mode", "bike", "--speed-kmh", "12"],
    )
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("from \\ to (min)")
    assert len(lines) == 1 + len(lines[0].split(",")) - 1  # square: schools x schools
    diagonal = [float(line.split(",")[k + 1]) for k, line in enumerate(lines[1:])]
    assert diagonal == [0.0] * len(diagonal)


def test_unknown_layer_lists_the_layers(runner: CliRunner, tmp_path: Path):
    """Asking for a layer that does not exist names the layers that do."""
    out = tmp_path / "mini"
    runner.invoke(
        main, ["area", "build", str(MINI), "--out", str(out), "--admin", "矿业大学社区居委会"]
    )
    res = runner.invoke(main, ["network", "matrix", str(out), "--from", "churches"])
    assert res.exit_code == 1
    assert "no layer 'churches'" in res.output and "police" in res.output


def test_workers_option_reaches_the_matrix(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The CLI opts in to worker processes: --workers N is passed on, and without it the
    matrix may use every CPU this process may run on; 0 workers is refused."""
    import geogrid.network

    seen: list[int] = []
    real = geogrid.network.travel_time_matrix

    def recording(*args, **kwargs):
        seen.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(geogrid.network, "travel_time_matrix", recording)
    out = tmp_path / "mini"
    runner.invoke(
        main, ["area", "build", str(MINI), "--out", str(out), "--admin", "矿业大学社区居委会"]
    )
    res = runner.invoke(main, ["network", "matrix", str(out), "--from", "schools"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main, ["network", "matrix", str(out), "--from", "schools", "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    assert seen == [geogrid.network.available_cpus(), 1]
    res = runner.invoke(
        main, ["network", "matrix", str(out), "--from", "schools", "--workers", "0"]
    )
    assert res.exit_code == 2 and "--workers" in res.output


def test_matrix_with_geogrid_store_reads_the_database(runner: CliRunner, tmp_path: Path):
    """With GEOGRID_STORE the matrix of the database's area (no folder here) is the folder's."""
    from tests.store_commands import twins

    out = tmp_path / "mini"
    runner.invoke(
        main, ["area", "build", str(MINI), "--out", str(out), "--admin", "矿业大学社区居委会"]
    )
    pair = twins(out, tmp_path)
    args = ["--from", "schools", "--mode", "bike"]
    folder = pair.run_folder(["network", "matrix", str(pair.folder), *args])
    db = pair.run_db(["network", "matrix", str(pair.missing), *args])
    assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
    assert db.output == folder.output and not pair.missing.exists()
    bad = pair.run_db(["network", "matrix", str(pair.missing), "--from", "nope"])
    assert bad.exit_code == 1 and pair.name in bad.output and "schools" in bad.output
