"""The ``geogrid`` command group and what every subcommand shares.

Errors for bad input print a message naming the file, row or feature and
exit with code 1; a person never sees a traceback for bad input.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from geogrid.errors import GeogridError

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., object])


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn GeogridError into a clean message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except GeogridError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)

    return wrapper


def author_options(func: F) -> F:
    """Add ``--author`` and ``--message``/``-m`` (who makes a change, and why) to a command."""
    func = click.option("--message", "-m", default=None, help="Why (kept with the version).")(func)
    return click.option(
        "--author", default="planner", show_default=True, help="Who makes the change."
    )(func)


def area_argument(name: str = "area") -> Callable[[F], F]:
    """The AREA argument: an area folder (not a file), passed as ``name``."""
    return click.argument(name, type=click.Path(file_okay=False, path_type=Path))


def config_option(help_text: str) -> Callable[[F], F]:
    """``--config`` (passed as ``config_path``): a patrol TOML file."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help=help_text
    )


def mapping_option(help_text: str) -> Callable[[F], F]:
    """``--mapping`` (passed as ``mapping_path``, required): the TOML mapping of the columns."""
    return click.option(
        "--mapping",
        "mapping_path",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=help_text,
    )


def rejects_option(help_text: str) -> Callable[[F], F]:
    """``--rejects`` (passed as ``rejects_path``): where the rejects report CSV goes."""
    return click.option(
        "--rejects",
        "rejects_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help=help_text,
    )


MODE = click.option(
    "--mode", type=click.Choice(["walk", "bike", "drive"]), default="walk", show_default=True
)
"""``--mode``: walk, bike or drive (default walk)."""
MAX_SNAP_M = click.option(
    "--max-snap-m", type=float, default=500.0, show_default=True,
    help="Farthest a post or demand point may lie from a street of the mode (metres).",
)  # fmt: skip
"""``--max-snap-m``: how far a point may lie from the streets (metres, default 500)."""
HOTSPOTS = click.option(
    "--hotspots",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ranked hot spots (GeoJSON).",
)
"""``--hotspots``: a ranked hot-spot file (GeoJSON, from ``geogrid incidents hotspots``)."""


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        raise click.BadParameter(
            f"{text!r}: give four numbers west,south,east,north in lon/lat, "
            "e.g. 116.344,39.997,116.360,40.009"
        ) from err
    return west, south, east, north


@click.group()
@click.version_option(package_name="geogrid")
def main() -> None:
    """Community-safety grid mapping and volunteer patrol planning."""
