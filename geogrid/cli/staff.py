"""``geogrid staff``: the 1+3+N staff of the grids - import, synthetic, assign, check, table,
notice boards, diff."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import area_argument, friendly_errors, main, mapping_option, rejects_option
from geogrid.services.patrol import command_where
from geogrid.store.base import AreaRef, StoredArea

AREA = area_argument("area_dir")
RULES = click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="1+3+N rules TOML (default: <AREA>/staffing.toml, else the defaults; "
    "see data/config/staffing.example.toml).",
)


def saved(where: AreaRef, line: str) -> str:
    """``line``, its ``wrote NAME`` said as a document saved in the area of the database."""
    if isinstance(where, StoredArea) and line.startswith("wrote "):
        return f"saved {line.removeprefix('wrote ')} in area {where.name} (database)"
    return line


@main.group()
def staff() -> None:
    """1+3+N staffing (一格一员 + 民警、干部、物业 + N 志愿者): roster, assignment,
    notice boards. With GEOGRID_STORE=postgresql://... AREA is that database's area of the
    folder's name: the roster and staffing are its documents."""


@staff.command("import")
@AREA
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@mapping_option("TOML mapping of the roster's columns (data/mappings/office_staff.toml).")
@RULES
@rejects_option("Rejects report CSV (default: <SOURCE>.rejects.csv next to SOURCE).")
@friendly_errors
def staff_import(
    area_dir: Path,
    source: Path,
    mapping_path: Path,
    rules_path: Path | None,
    rejects_path: Path | None,
) -> None:
    """Read a staff roster (CSV/Excel): good rows kept, bad rows listed with row and reason."""
    from geogrid.services.staffing import import_roster

    where = command_where(area_dir)
    report = import_roster(
        where, source, mapping_path, rules_path=rules_path, rejects_path=rejects_path
    )
    for line in report.lines():
        click.echo(saved(where, line))


@staff.command("synthetic")
@AREA
@click.option("--seed", default=7, show_default=True)
@click.option("--volunteers", default=4, show_default=True, help="Volunteers per grid.")
@friendly_errors
def staff_synthetic(area_dir: Path, seed: int, volunteers: int) -> None:
    """Make a seeded SYNTHETIC roster that can staff every grid (for demos; labelled synthetic)."""
    from geogrid.services.staffing import synthetic_roster

    where = command_where(area_dir)
    for line in synthetic_roster(where, seed=seed, volunteers_per_grid=volunteers).lines():
        click.echo(saved(where, line))


@staff.command("assign")
@AREA
@RULES
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--publish-phones",
    is_flag=True,
    help="Print phone numbers on the notice boards (off: names only).",
)
@click.option("--dry-run", is_flag=True, help="Assign and check, write nothing.")
@friendly_errors
def staff_assign(
    area_dir: Path, rules_path: Path | None, seed: int, publish_phones: bool, dry_run: bool
) -> None:
    """Assign the roster to the grids (min-cost flow), check every rule, write tables and
    notice boards."""
    from geogrid.services.staffing import assign

    where = command_where(area_dir)
    run = assign(
        where, rules_path=rules_path, seed=seed, publish_phones=publish_phones, dry_run=dry_run
    )
    for line in run.lines():
        click.echo(line)
    if isinstance(where, StoredArea) and not dry_run:
        click.echo(
            f"saved staff/staffing.json in area {where.name} (database); its tables and notice "
            "boards are made from it when downloaded (geogrid staff notices AREA --out FILE)"
        )


@staff.command("notices")
@AREA
@click.argument("codes", nargs=-1)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="PDF file (default: <AREA>/staff/notice_boards.pdf).",
)
@click.option(
    "--publish-phones",
    is_flag=True,
    help="Print phone numbers on the notice boards (off: names only).",
)
@friendly_errors
def staff_notices(
    area_dir: Path, codes: tuple[str, ...], out: Path | None, publish_phones: bool
) -> None:
    """Print the grid notice boards (网格公示牌) of the saved staffing, one A4 page per grid."""
    from geogrid.services.staffing import notice_boards

    where = command_where(area_dir)
    path = notice_boards(where, out=out, publish_phones=publish_phones, codes=codes)
    click.echo(saved(where, f"wrote {path}") if out is None else f"wrote {path}")


@staff.command("diff")
@AREA
@click.option(
    "--against",
    type=click.Choice(["previous", "roster"]),
    default="previous",
    show_default=True,
    help="Compare with the staffing before, or the roster's current grids.",
)
@friendly_errors
def staff_diff(area_dir: Path, against: str) -> None:
    """Who changes grid (e.g. after geogrid grids rebalance and staff assign)."""
    from geogrid.services.staffing import diff

    changes = diff(command_where(area_dir), against=against)
    for row in changes.to_dict("records"):
        click.echo(
            f"{row['name']} ({row['role']}, {row['person_id']}): "
            f"{row['before'] or '-'} -> {row['after'] or '-'}"
        )
    click.echo(f"{len(changes)} people change grid")
