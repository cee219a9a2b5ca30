"""``geogrid demo``: the embedded demo area."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors, main


@main.group()
def demo() -> None:
    """The embedded demo area (real Helsinki OSM data, synthetic incidents)."""


@demo.command("build")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder (default data/geo/helsinki-demo).",
)
@click.option("--force", is_flag=True, help="Rebuild even if it exists.")
@click.option(
    "--grids/--no-grids",
    default=True,
    show_default=True,
    help="Also draw household-balanced grids in the OSM communities (kept if already drawn).",
)
@friendly_errors
def demo_build(out_dir: Path | None, force: bool, grids: bool) -> None:
    """Build the demo area workspace (a few seconds)."""
    from geogrid.services.demo import DEMO_DIR, build_demo, demo_exists

    out_dir = out_dir or DEMO_DIR
    if demo_exists(out_dir) and not force:
        click.echo(f"demo already built at {out_dir} (use --force to rebuild)")
        return
    for line in build_demo(out_dir, with_grids=grids).lines():
        click.echo(line)
