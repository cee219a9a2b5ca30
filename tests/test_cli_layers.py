"""Tests for geogrid.cli.layers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geogrid.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_layers_doc_prints_the_specs(runner: CliRunner):
    """`geogrid layers doc` prints the layer specification with units."""
    res = runner.invoke(main, ["layers", "doc"])
    assert res.exit_code == 0
    assert "grids" in res.output and "households" in res.output
