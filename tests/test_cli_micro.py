"""geogrid.cli.micro: ``geogrid grids micro`` and ``grids micro-check``."""

from __future__ import annotations

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services import grids as SG
from tests.grids_area import make_area


def test_grids_micro_writes_and_checks(tmp_path) -> None:
    """The command writes micro_grids.geojson; the check passes with the same band; a bad band is
    refused."""
    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    runner = CliRunner()
    result = runner.invoke(main, ["grids", "micro", str(area), "--band", "100-250"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (area / "micro_grids.geojson").exists()
    check = runner.invoke(main, ["grids", "micro-check", str(area), "--band", "100-250"])
    assert check.exit_code == 0 and "0 problem(s)" in check.output
    bad = runner.invoke(main, ["grids", "micro", str(area), "--band", "15-10"])
    assert bad.exit_code == 1 and "is empty" in bad.output
