"""``geogrid grids micro``: micro-grids (微网格) inside the grids; ``grids micro-check``.

Attaches to the ``grids`` group (as :mod:`geogrid.cli.imports` does).
"""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors
from geogrid.cli.grids import AREA, _band, grids

BAND = click.option(
    "--band",
    "band_text",
    default="10-15",
    show_default=True,
    help="Households MIN-MAX per micro-grid.",
)


@grids.command("micro")
@AREA
@BAND
@click.option(
    "--entrances",
    "entrances_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Register by entrance (CSV/Excel: building_id, entrance, households or "
    "楼栋编号, 单元, 户数): buildings over the max are split by entrance.",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--dry-run", is_flag=True, help="Build and check, write nothing.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="List every note and problem (default: problems counted by kind with examples).",
)
@click.option("--author", default="planner", show_default=True, help="Who makes the change.")
@click.option("--message", "-m", default=None, help="Why (kept in the history).")
@friendly_errors
def grids_micro(
    area_dir: Path,
    band_text: str,
    entrances_path: Path | None,
    seed: int,
    dry_run: bool,
    every: bool,
    author: str,
    message: str | None,
) -> None:
    """Cut every grid into contiguous micro-grids of buildings (micro_grids.geojson).

    Problems are counted by kind with what to do: an address (building or entrance) that
    alone holds more households than the band is named with its households; it must be split
    by entrance/unit (单元) in the register (--entrances) or kept as a micro-grid of its own
    with more than one responsible person.
    """
    from geogrid.grids import Band
    from geogrid.services.micro_grids import build_micro
    from geogrid.store.base import command_area

    run = build_micro(
        command_area(area_dir),
        band=Band(*_band(band_text)),
        entrances_path=entrances_path,
        seed=seed,
        dry_run=dry_run,
        author=author,
        message=message,
    )
    for line in run.lines(every=every):
        click.echo(line)


@grids.command("micro-check")
@AREA
@BAND
@click.option("--require-leader", is_flag=True, help="Report micro-grids without a leader.")
@friendly_errors
def grids_micro_check(area_dir: Path, band_text: str, require_leader: bool) -> None:
    """List every problem of the micro-grids (codes, pieces, band, households placed once)."""
    from geogrid.grids import Band
    from geogrid.services.micro_grids import validate_micro
    from geogrid.store.base import command_area

    problems = validate_micro(
        command_area(area_dir), band=Band(*_band(band_text)), require_leader=require_leader
    )
    from geogrid.grids.micro import summarize_problems

    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo("by kind:")
        for line in summarize_problems(problems, examples=0):
            click.echo(f"  {line}")
    click.echo(f"{len(problems)} problem(s)")
    if problems:
        raise SystemExit(2)
