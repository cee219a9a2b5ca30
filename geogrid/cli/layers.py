"""``geogrid layers``: layer specifications."""

from __future__ import annotations

import click

from geogrid.cli.base import main


@main.group()
def layers() -> None:
    """Layer specifications."""


@layers.command("doc")
def layers_doc() -> None:
    """Print the specification of every layer (docs/LAYERS.md)."""
    from geogrid.layers import SPECS, render_markdown

    click.echo(render_markdown(SPECS))
