"""geogrid.cli.staff: ``geogrid staff synthetic|assign|notices|diff``."""

from __future__ import annotations

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services import grids as SG
from tests.grids_area import make_area


def test_staff_commands(tmp_path) -> None:
    """Synthetic -> assign -> notices -> diff run and say what they did; no roster is exit 1."""
    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    runner = CliRunner()
    assert runner.invoke(main, ["staff", "assign", str(area)]).exit_code == 1
    result = runner.invoke(main, ["staff", "synthetic", str(area)])
    assert result.exit_code == 0 and "专职网格员" in result.output
    result = runner.invoke(main, ["staff", "assign", str(area)])
    assert result.exit_code == 0, result.output
    assert "0 unfilled post(s)" in result.output
    result = runner.invoke(main, ["staff", "notices", str(area), "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 0 and (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    result = runner.invoke(main, ["staff", "diff", str(area), "--against", "roster"])
    assert result.exit_code == 0 and "people change grid" in result.output
