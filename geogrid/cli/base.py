"""The ``geogrid`` command group and what every subcommand shares.

Errors for bad input print a message naming the file, row or feature and
exit with code 1; a person never sees a traceback for bad input.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
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
