"""geogrid grids CLI: build, validate, edit, log, diff, undo, report; errors exit 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.io import versions
from tests.grids_area import make_area


def test_grids_cli_walkthrough(tmp_path: Path) -> None:
    """A planner builds grids, splits one, sees the log and diff, undoes, and writes a report."""
    area = str(make_area(tmp_path / "area", with_communities=True))
    run = CliRunner().invoke
    out = run(main, ["grids", "build", area, "--seed", "0", "--author", "王芳"])
    assert out.exit_code == 0, out.output
    assert "inside their household band" in out.output
    out = run(main, ["grids", "validate", area])
    assert out.exit_code == 2 and "missing worker" in out.output
    grids = versions.load_version(area)[1]
    code = grids.sort_values("units")["code"].iloc[-1]
    out = run(main, ["grids", "split", area, code, "--author", "李明"])
    assert out.exit_code == 0, out.output
    out = run(main, ["grids", "log", area])
    assert "* v0002" in out.output and "李明" in out.output
    out = run(main, ["grids", "diff", area, "v1", "v2"])
    assert f"moved from {code}" in out.output
    out = run(main, ["grids", "undo", area])
    assert "v0001" in out.output
    out = run(main, ["grids", "report", area, "--csv", str(tmp_path / "r.csv")])
    assert out.exit_code == 0 and (tmp_path / "r.csv").exists()


def test_grids_cli_errors_are_messages(tmp_path: Path) -> None:
    """Unknown grid codes and bad bands give a message, not a traceback."""
    area = str(make_area(tmp_path / "area"))
    run = CliRunner().invoke
    out = run(main, ["grids", "merge", area, "a", "b"])
    assert out.exit_code == 1 and "no saved grids yet" in out.output
    run(main, ["grids", "build", area])
    out = run(main, ["grids", "merge", area, "110108000000001", "nope"])
    assert out.exit_code == 1 and "no grid nope" in out.output
    out = run(main, ["grids", "build", area, "--band", "500-300"])
    assert out.exit_code == 1 and "min <= max" in out.output
