"""Tests for geogrid.cli.demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogrid.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_demo_build_then_skip_then_force(runner: CliRunner, tmp_path: Path):
    """Demo build writes the area, refuses to redo it silently, and --force rebuilds."""
    out = tmp_path / "demo"
    res = runner.invoke(main, ["demo", "build", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "synthetic incidents: 3000" in res.output
    assert "grids (v0001):" in res.output
    res = runner.invoke(main, ["demo", "build", "--out", str(out)])
    assert "already built" in res.output
    res = runner.invoke(main, ["demo", "build", "--out", str(out), "--force"])
    assert res.exit_code == 0 and "area written" in res.output
