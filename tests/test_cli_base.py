"""Tests for geogrid.cli.base: shared option parsing and error handling."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geogrid.cli import base
from geogrid.cli.base import friendly_errors, parse_bbox
from geogrid.errors import InputError


def test_parse_bbox():
    """Four comma-separated numbers become a bbox; anything else says the expected form."""
    assert parse_bbox("116.3,39.9,116.4,40.0") == (116.3, 39.9, 116.4, 40.0)
    assert parse_bbox(None) is None
    with pytest.raises(click.BadParameter, match="west,south,east,north"):
        parse_bbox("116.3,39.9")


def test_friendly_errors_exit_1_with_the_message(capsys):
    """A GeogridError becomes 'error: ...' on stderr and exit code 1."""

    @friendly_errors
    def fails() -> None:
        raise InputError("grids.geojson feature 3: households -5 is below 0")

    with pytest.raises(SystemExit) as info:
        fails()
    assert info.value.code == 1
    assert "error: grids.geojson feature 3" in capsys.readouterr().err


def test_shared_options_parse_paths_and_defaults(tmp_path: Path) -> None:
    """The shared AREA argument takes a folder (a file is refused, naming it), the path options
    give Paths, --mapping is required, and --mode / --max-snap-m default to walk / 500 m."""
    seen: dict[str, object] = {}

    @click.command()
    @base.area_argument()
    @base.config_option("Patrol TOML config.")
    @base.mapping_option("TOML mapping.")
    @base.rejects_option("Rejects report CSV.")
    @base.MODE
    @base.MAX_SNAP_M
    @base.HOTSPOTS
    def command(**kwargs: object) -> None:
        seen.update(kwargs)

    runner = CliRunner()
    ok = runner.invoke(command, [str(tmp_path), "--mapping", "m.toml", "--config", "p.toml"])
    assert ok.exit_code == 0, ok.output
    assert seen == {
        "area": tmp_path,
        "config_path": Path("p.toml"),
        "mapping_path": Path("m.toml"),
        "rejects_path": None,
        "mode": "walk",
        "max_snap_m": 500.0,
        "hotspots": None,
    }
    assert runner.invoke(command, [str(tmp_path)]).exit_code == 2  # --mapping missing
    a_file = tmp_path / "area.json"
    a_file.write_text("{}")
    refused = runner.invoke(command, [str(a_file), "--mapping", "m.toml"])
    assert refused.exit_code == 2 and "area.json" in refused.output
