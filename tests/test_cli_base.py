"""Tests for geogrid.cli.base: shared option parsing and error handling."""

from __future__ import annotations

import click
import pytest

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
