"""``geogrid store``: the PostGIS store - migrate its schema, push an area folder, pull it back."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors, main

DB = click.option(
    "--db",
    "url",
    envvar="GEOGRID_STORE",
    required=True,
    metavar="URL",
    help="PostgreSQL URL, e.g. postgresql://geogrid@localhost/geogrid (default: $GEOGRID_STORE).",
)


@main.group()
def store() -> None:
    """Keep areas in PostgreSQL + PostGIS instead of folders (GEOGRID_STORE=postgresql://...)."""


@store.command("migrate")
@DB
@friendly_errors
def migrate(url: str) -> None:
    """Create or upgrade the database schema (Alembic; safe to run again)."""
    from geogrid.store.postgis import migrate as run

    click.echo(f"database schema at revision {run(url)}")


@store.command("push")
@click.argument("area_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@DB
@click.option(
    "--name", default=None, help="Area name in the database (default: the folder's name)."
)
@friendly_errors
def push(area_dir: Path, url: str, name: str | None) -> None:
    """Copy an area folder into the database (replacing the area of that name there; its layer
    history is kept and the folder's history/ added to it)."""
    from geogrid.store.transfer import push as run

    click.echo(f"pushed {area_dir} as area {run(area_dir, url, name)!r}")


@store.command("pull")
@click.argument("area_name")
@DB
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="New area folder to write (must not hold anything).",
)
@friendly_errors
def pull(area_name: str, url: str, out_dir: Path) -> None:
    """Write an area of the database as an area folder."""
    from geogrid.store.transfer import pull as run

    click.echo(f"pulled {area_name!r} into {run(url, area_name, out_dir)}")
